"""Data quality with Great Expectations: the only module that imports great_expectations.

One suite per input table lives in `expectations/<table>.json`; each expectation's
`meta.reason` is the DQ code a failing row is quarantined with. The suites are the single
definition of row validity: a row's reasons are read off the GX result (its unexpected
index lists), never recomputed here.

Speed: one ephemeral context per process, one pandas batch per table (all agencies'
files in one frame), one `validate` call per batch.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

EXPECTATIONS_DIR = Path(__file__).resolve().parents[1] / "expectations"
SUITE_TABLES = ("cdr", "sms", "contracts", "agents", "caller_numbers", "campaigns", "assignments", "consents",
                "exceptions", "disputes", "complaints")
_RESULT_FORMAT = {"result_format": "COMPLETE", "partial_unexpected_count": 0,
                  "return_unexpected_index_query": False}
_PARTIAL_ROWS_KEPT = 20


@dataclass(frozen=True)
class Validation:
    """Reasons per row ('' = valid, else DQ codes joined by ';') and the GX result as JSON."""

    reasons: pd.Series
    result: dict

    @property
    def valid(self) -> pd.Series:
        return self.reasons == ""


def load_suite_document(table: str, directory: Path = EXPECTATIONS_DIR) -> dict:
    path = directory / f"{table}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RuntimeError(f"Expectation suite {path} cannot be loaded ({exc}); "
                           "restore it from the repository.") from None


def load_suite(table: str, directory: Path = EXPECTATIONS_DIR):
    """The suite of `table` as a GX ExpectationSuite."""
    import great_expectations as gx

    return gx.ExpectationSuite(**load_suite_document(table, directory))


@functools.cache
def _suite(table: str):
    return load_suite(table)


@functools.cache
def _batch_definition(table: str):
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = _context()
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_or_update_pandas(f"landing_{table}")
    asset = source.add_dataframe_asset(table)
    del gx
    return asset.add_batch_definition_whole_dataframe(f"{table}_whole")


@functools.cache
def _context():
    import great_expectations as gx
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every pandas batch under 1 GB (an MD5 over a hash of every row) as a
    # batch marker; the audit neither reads nor keeps it (validate_table drops the markers),
    # and it costs seconds of validation on a large day. No public switch exists in 1.24.
    pandas_execution_engine.HASH_THRESHOLD = 0
    return gx.get_context(mode="ephemeral")


def prepare(tables) -> None:
    """Import Great Expectations and build the suites and batch definitions of these tables
    now (seconds, once), so that forked workers inherit them instead of each paying it."""
    for table in tables:
        _suite(table)
        _batch_definition(table)


def validate_table(frame: pd.DataFrame, table: str, *, parameters: dict | None = None,
                   row_labels: pd.DataFrame | None = None) -> Validation:
    """Validate `frame` (typed, with a RangeIndex) against the suite of `table`.

    `parameters` fill the suite's `$PARAMETER`s (audit_dates, known_timezones).
    `row_labels` (same index; e.g. source and row_number) name the rows kept as examples in
    the saved result, instead of raw values (which may hold personal data).
    """
    suite = _suite(table)
    if frame.empty:
        return Validation(reasons=pd.Series([], dtype="str"), result=_empty_result(table, suite))
    batch = _batch_definition(table).get_batch(batch_parameters={"dataframe": _lean_frame(frame, suite)})
    result = batch.validate(suite, result_format=_RESULT_FORMAT, expectation_parameters=parameters or {})
    failed: dict[str, np.ndarray] = {}
    document = result.to_json_dict()
    # the batch markers are the load's wall-clock time and a fingerprint: kept, they would make
    # a rerun's dq/*.json differ from the first run's although every verdict is the same
    document.get("meta", {}).pop("batch_markers", None)
    for entry in document["results"]:
        reason = entry["expectation_config"]["meta"]["reason"]
        message = _exception_message(entry.get("exception_info") or {})
        if message:
            raise RuntimeError(f"Expectation {entry['expectation_config']['type']} on table {table} "
                               f"could not run: {message}. Check expectations/{table}.json.")
        rows = np.asarray(entry["result"].get("unexpected_index_list") or [], dtype="int64")
        mask = failed.setdefault(reason, np.zeros(len(frame), dtype=bool))
        mask[rows] = True
        _strip_values(entry, rows, row_labels)
    return Validation(reasons=_join_reasons(failed, len(frame)), result=document)


def merge_results(documents: list[dict]) -> dict:
    """One validation result for batches of the same suite validated one by one: counts
    added, percentages and successes recomputed, example rows joined (up to the usual few).
    A single result is returned as it is."""
    if len(documents) == 1:
        return documents[0]
    merged = json.loads(json.dumps(documents[0]))
    for position, entry in enumerate(merged["results"]):
        parts = [document["results"][position]["result"] for document in documents]
        result = entry["result"]
        for key in ("element_count", "unexpected_count", "missing_count"):
            if key in result:
                result[key] = sum(part.get(key, 0) for part in parts)
        examples = [row for part in parts for row in part.get("partial_unexpected_index_list", [])]
        if examples:
            result["partial_unexpected_index_list"] = examples[:_PARTIAL_ROWS_KEPT]
        total, unexpected = result.get("element_count", 0), result.get("unexpected_count", 0)
        present = total - result.get("missing_count", 0)
        if "missing_count" in result:
            result["missing_percent"] = _percent(result["missing_count"], total)
            result["unexpected_percent_total"] = _percent(unexpected, total)
            result["unexpected_percent_nonmissing"] = _percent(unexpected, present)
            result["unexpected_percent"] = _percent(unexpected, present)
        elif "unexpected_percent" in result:
            result["unexpected_percent"] = _percent(unexpected, total)
        mostly = entry["expectation_config"]["kwargs"].get("mostly")
        entry["success"] = (all(document["results"][position]["success"] for document in documents)
                            if mostly is None else present == 0 or unexpected / present <= 1 - mostly)
    successful = sum(1 for entry in merged["results"] if entry["success"])
    evaluated = len(merged["results"])
    merged["statistics"].update(evaluated_expectations=evaluated, successful_expectations=successful,
                                unsuccessful_expectations=evaluated - successful,
                                success_percent=_percent(successful, evaluated))
    merged["success"] = successful == evaluated
    return merged


def _percent(part: int, whole: int) -> float | None:
    return part / whole * 100 if whole else None


def batch_frame(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """The lean frame the suite of `table` is run on (see _lean_frame)."""
    return _lean_frame(frame, _suite(table))


def _exception_message(info: dict) -> str:
    """The message of an expectation that could not run ('' when it ran). GX reports it either
    at the top level or per metric."""
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return ""


def suite_columns(table: str) -> list[str]:
    """The columns the suite of `table` reads."""
    return list(_used_columns(_suite(table)))


def nullity_only_columns(table: str) -> list[str]:
    """The columns of which the suite of `table` reads only whether they are null."""
    return [column for column, nullity_only in _used_columns(_suite(table)).items() if nullity_only]


def _used_columns(suite) -> dict[str, bool]:
    """Each column the suite reads -> whether only its nullity is read."""
    used: dict[str, bool] = {}
    for expectation in suite.expectations:
        config = expectation.configuration
        kwargs = config.kwargs
        nullity_only = config.type == "expect_column_values_to_not_be_null"
        for key in ("column", "column_A", "column_B"):
            if key in kwargs:
                used[kwargs[key]] = used.get(kwargs[key], True) and nullity_only
        condition = kwargs.get("row_condition")
        if condition is not None:
            condition = condition if isinstance(condition, dict) else condition.dict()
            name = (condition.get("column") or {}).get("name")
            if not name or condition.get("type") != "nullity":
                raise RuntimeError(f"Suite {suite.name}: only nullity row conditions are supported, got {condition}.")
            used[name] = used.get(name, True)
    return used


def nullity(values: pd.Series) -> pd.Series:
    """1.0 where a value is given, NaN where it is null: all a nullity check needs of a text
    column, in 8 bytes a row."""
    return pd.Series(np.where(values.isna().to_numpy(), np.nan, 1.0), index=values.index)


def _lean_frame(frame: pd.DataFrame, suite) -> pd.DataFrame:
    """The columns the suite reads, text columns it only tests for nullity reduced to 1.0/NaN.

    GX copies and filters the batch for every row condition; on ten million calls doing that
    to ~20 text columns costs far more than the checks.
    Nullity is kept exactly, so the suite's verdicts do not change.
    """
    lean = {}
    for column, nullity_only in _used_columns(suite).items():
        if column not in frame:
            continue                     # GX reports the missing column as an expectation error
        values = frame[column]
        if nullity_only and not (pd.api.types.is_numeric_dtype(values)
                                 or pd.api.types.is_datetime64_any_dtype(values)):
            values = nullity(values)
        lean[column] = values
    if not lean:
        return pd.DataFrame(index=frame.index)
    # concat, not DataFrame(dict): the dict constructor copies same-typed columns into one block;
    # concat keeps each column as it is
    return pd.concat(list(lean.values()), axis=1, keys=list(lean))


def _join_reasons(failed: dict[str, np.ndarray], size: int) -> pd.Series:
    reasons = np.full(size, "", dtype=object)
    any_failed = np.zeros(size, dtype=bool)
    for mask in failed.values():
        any_failed |= mask
    for row in np.flatnonzero(any_failed):
        reasons[row] = ";".join(sorted(code for code, mask in failed.items() if mask[row]))
    return pd.Series(reasons, dtype="str")


def _strip_values(entry: dict, rows: np.ndarray, row_labels: pd.DataFrame | None) -> None:
    """Keep counts and a few row labels in the saved result; drop raw values (personal data)."""
    result = entry["result"]
    for key in ("unexpected_list", "partial_unexpected_list", "partial_unexpected_counts",
                "unexpected_index_list", "partial_unexpected_index_list", "unexpected_index_query"):
        result.pop(key, None)
    if len(rows) and row_labels is not None:
        sample = row_labels.iloc[rows[:_PARTIAL_ROWS_KEPT]]
        result["partial_unexpected_index_list"] = sample.astype(object).to_dict(orient="records")


def _empty_result(table: str, suite) -> dict:
    return {"success": True, "results": [], "suite_name": table, "suite_parameters": {},
            "statistics": {"evaluated_expectations": 0, "successful_expectations": 0,
                           "unsuccessful_expectations": 0, "success_percent": None},
            "meta": {"note": "no rows to validate"}}


def load_result(path: Path):
    """A saved validation result, loaded back as a GX ExpectationSuiteValidationResult."""
    from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    document = json.loads(path.read_text(encoding="utf-8"))
    results = []
    for entry in document["results"]:
        config = dict(entry["expectation_config"])
        results.append(ExpectationValidationResult(
            success=entry["success"], result=entry["result"], meta=entry.get("meta"),
            exception_info=entry.get("exception_info"),
            expectation_config=ExpectationConfiguration(type=config.pop("type"), kwargs=config.pop("kwargs"),
                                                        meta=config.get("meta"))))
    return ExpectationSuiteValidationResult(
        success=document["success"], results=results, suite_name=document["suite_name"],
        suite_parameters=document.get("suite_parameters"), statistics=document.get("statistics"),
        meta=document.get("meta"))
