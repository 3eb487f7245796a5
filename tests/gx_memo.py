"""Great Expectations' verdicts remembered for the test session, per batch content.

A test audit validates a handful of tables, and most of them are the same few reference tables
(tests/landing.py, the sample generator's) written again by test after test: GX's own work on a
small batch is a tenth of a second to a second of Python, nearly all of it the same each time.
tests/conftest.py puts this memo between `audits.validation` and GX: the first batch of a given
content is validated by GX; a batch equal to it (the same table's suite, the same columns, dtypes,
index and values, the same parameters and result format) gets a copy of that result document.
Everything audits.validation does with the document (reasons per row, the rows kept as examples,
dq/*.json) still runs on every call. GX's result is a function of exactly what the key holds
(the audit's rerun tests prove it byte for byte), so no verdict differs from GX's own.

VALIDATION_MEMO=0 in the environment turns it off (every batch validated by GX).
"""

from __future__ import annotations

import copy
import hashlib
import json
import pickle

_results: dict[tuple, dict] = {}


def batch_key(table: str, suite, frame, result_format: dict, parameters: dict) -> tuple:
    """Everything GX's verdict on the batch depends on; the suite by a digest of its expectations
    (never by object identity, which a later suite may reuse), the frame by a digest of its pickle
    (types and values, so that 1 and "1" or None and NaN never meet)."""
    digest = hashlib.sha256(pickle.dumps(frame, protocol=5)).hexdigest()
    expectations = hashlib.sha256(json.dumps(suite.to_json_dict(), sort_keys=True, default=str).encode()).hexdigest()
    return (table, expectations, digest, json.dumps(result_format, sort_keys=True),
            json.dumps(parameters, sort_keys=True, default=repr))


class _Remembered:
    """What `batch.validate` returns, as far as audits.validation reads it."""

    def __init__(self, document: dict):
        self._document = document

    def to_json_dict(self) -> dict:
        return copy.deepcopy(self._document)


class _Batch:
    def __init__(self, definition, table: str, batch_parameters: dict):
        self._definition, self._table, self._parameters = definition, table, batch_parameters

    def validate(self, suite, *, result_format: dict, expectation_parameters: dict) -> _Remembered:
        key = batch_key(self._table, suite, self._parameters["dataframe"], result_format, expectation_parameters)
        if key not in _results:
            batch = self._definition.get_batch(batch_parameters=self._parameters)
            result = batch.validate(suite, result_format=result_format, expectation_parameters=expectation_parameters)
            _results[key] = result.to_json_dict()
        return _Remembered(_results[key])


class BatchDefinition:
    """GX's batch definition of one table, its batches validated through the memo."""

    def __init__(self, definition, table: str):
        self._definition, self._table = definition, table

    def get_batch(self, *, batch_parameters: dict) -> _Batch:
        return _Batch(self._definition, self._table, batch_parameters)


def remembering(batch_definition):
    """audits.validation._batch_definition with the memo in front of each table's batches."""

    def definition(table: str) -> BatchDefinition:
        return BatchDefinition(batch_definition(table), table)

    definition.__wrapped__ = batch_definition
    return definition
