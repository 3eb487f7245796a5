"""Joins the rules make without merging frames: key tuples as one int64 per row, membership,
lookup of a value by key, and effective dating."""

from __future__ import annotations

import numpy as np
import pandas as pd


def active_on(frame: pd.DataFrame, start: str, end: str, day64: np.datetime64) -> pd.Series:
    """Rows whose [start, end] date range holds the day; a blank end is open."""
    return (frame[start] <= day64) & (frame[end].isna() | (frame[end] >= day64))


def pairs_in(left: tuple[pd.Series, ...], right: tuple[pd.Series, ...]) -> np.ndarray:
    """For each row of `left` (aligned key columns), whether the same key occurs in `right`.

    Keys become one int64 per row (pair_keys): no merge, no per-row string keys or MultiIndex
    (those took seconds and gigabytes per ten million calls).
    """
    left_keys, right_keys = pair_keys(left, right)
    return pd.Series(left_keys).isin(right_keys[right_keys >= 0]).to_numpy() & (left_keys >= 0)


def pair_keys(left: tuple[pd.Series, ...], right: tuple[pd.Series, ...]) -> tuple[np.ndarray, np.ndarray]:
    """One int64 per row of `left` and of `right`, equal exactly when the tuples are equal;
    -1 for a row with a null, or (left) with a value `right` does not have. Each column is
    factorised (Arrow's dictionary encoding: fast on text) and its distinct values looked up
    in those of `right`."""
    left_keys = np.zeros(len(left[0]), dtype="int64")
    right_keys = np.zeros(len(right[0]), dtype="int64")
    left_bad = np.zeros(len(left_keys), dtype=bool)
    right_bad = np.zeros(len(right_keys), dtype=bool)
    width = 1
    for left_column, right_column in zip(left, right):
        right_codes, distinct = pd.factorize(right_column)
        left_codes = positions_in(left_column, distinct)
        size = len(distinct) + 1
        if width * size >= 2**62:
            raise ValueError("too many distinct key values for one int64 key")
        left_keys, right_keys, width = left_keys * size + left_codes, right_keys * size + right_codes, width * size
        left_bad |= left_codes < 0
        right_bad |= right_codes < 0
    return np.where(left_bad, -1, left_keys), np.where(right_bad, -1, right_keys)


def positions_in(values: pd.Series, distinct) -> np.ndarray:
    """Each value's position in `distinct` (unique values), -1 for a null or a value not there:
    looked up once per distinct value of `values`, not once per row."""
    codes, own_distinct = pd.factorize(values)
    found = pd.Index(distinct).get_indexer(own_distinct) if len(distinct) else np.full(len(own_distinct), -1)
    return np.append(found, -1)[codes]                                  # code -1 (null) -> -1


def agency_numbers_in(calls: pd.DataFrame, pairs: pd.DataFrame, among: np.ndarray | None = None) -> np.ndarray:
    """For each call, whether (its agency_id, its callee `number`) is a pair of `pairs`
    (columns agency_id, number; only the rows `among`, when given): one int64 key per pair,
    number * agencies + agency. Agencies are looked up once per distinct value, not per row."""
    call_agency, agencies = pd.factorize(calls["agency_id"])
    among = np.ones(len(pairs), dtype=bool) if among is None else np.asarray(among, dtype=bool)
    if len(agencies) * 10**15 >= 2**63:                      # too many agencies for one int64 key
        chosen = pairs[among]
        return pairs_in((calls["agency_id"], calls["number"]), (chosen["agency_id"], chosen["number"]))
    pair_agency = positions_in(pairs["agency_id"], agencies)
    usable = among & (pair_agency >= 0)
    keys = pairs["number"].to_numpy("int64")[usable] * len(agencies) + pair_agency[usable]
    probe = calls["number"].to_numpy("int64") * len(agencies) + call_agency
    return pd.Series(probe).isin(keys).to_numpy() & (call_agency >= 0)


def map_pairs(left: tuple[pd.Series, ...], right: tuple[pd.Series, ...], values: pd.Series) -> pd.Series:
    """For each row of `left`, the value of the matching key in `right` (first wins); null if none."""
    left_keys, right_keys = pair_keys(left, right)
    usable = np.flatnonzero(right_keys >= 0)
    first, position = np.unique(right_keys[usable], return_index=True)
    if not len(first):
        return pd.Series(None, index=left[0].index, dtype=values.dtype)         # nothing to match
    found = np.where(left_keys >= 0, pd.Index(first).get_indexer(left_keys), -1)
    picked = values.iloc[usable[position]].reset_index(drop=True)
    return pd.Series(picked.take(np.maximum(found, 0)).to_numpy(), index=left[0].index).where(found >= 0)
