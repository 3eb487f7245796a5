"""Each finding's call among the day's calls, found once by hashing (agency_id, call_id).

The pair is unique among accepted calls. Scoring (top caller numbers) and the cases (a caller
case's masked number) need a column of the call that violations.csv does not hold; on a
findings-heavy day that is half a million findings against a million calls, so the look-up
is one Arrow hash join of the joined text keys, several times faster than isin + factorize
or a merge.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_SEPARATOR = "\x1f"     # agency ids are [A-Za-z0-9_-]: the joined key splits one way only


def call_positions(findings: pd.DataFrame, calls: pd.DataFrame) -> np.ndarray:
    """For each row of `findings` (agency_id, call_id), the row position of its call in `calls`
    (the first, should a pair repeat), or -1 when the day's calls do not hold it."""
    if findings.empty or calls.empty:
        return np.full(len(findings), -1, dtype="int64")
    agencies, call_ids = _text(calls["agency_id"]), _text(calls["call_id"])
    candidates = None
    if len(findings) * 8 < len(calls):       # a few findings (one per caller case): probe the calls for them first
        candidates = np.flatnonzero(pc.is_in(call_ids, value_set=_text(findings["call_id"]), skip_nulls=True)
                                    .to_numpy(zero_copy_only=False))
        if not len(candidates):                # none of the findings' call ids is among the calls
            return np.full(len(findings), -1, dtype="int64")
        agencies, call_ids = agencies.take(candidates), call_ids.take(candidates)
    found = pc.index_in(_keys(findings), value_set=_join(agencies, call_ids), skip_nulls=True)
    positions = found.fill_null(-1).to_numpy(zero_copy_only=False).astype("int64")
    if candidates is not None:
        positions = np.where(positions >= 0, candidates[np.maximum(positions, 0)], -1)
    return positions


def call_column(findings: pd.DataFrame, calls: pd.DataFrame, column: str) -> pd.Series:
    """The value of `column` of each finding's call (null where the call is not found), aligned
    with `findings`. Taken in Arrow: only the findings' values become Python objects."""
    positions = call_positions(findings, calls)
    if calls.empty:
        return pd.Series([None] * len(findings), index=findings.index, dtype=object)
    taken = _text(calls[column]).take(pa.array(positions, mask=positions < 0))
    return pd.Series(taken.to_numpy(zero_copy_only=False), index=findings.index, dtype=object)


def _keys(frame: pd.DataFrame) -> pa.Array:
    return _join(_text(frame["agency_id"]), _text(frame["call_id"]))


def _join(agencies: pa.Array, call_ids: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(agencies, call_ids, pa.scalar(_SEPARATOR, pa.large_string()))


def _text(values: pd.Series) -> pa.Array:
    return pa.array(values, from_pandas=True).cast(pa.large_string())
