"""Medians and MADs (median absolute deviations) without Python loops: along the rows of a
matrix with gaps (an entity's baseline days), and leave-one-out within groups (an agent
against its agency's other agents on the same day).

The median of an even number of values is the mean of the two middle ones (numpy's)."""

from __future__ import annotations

import numpy as np


def row_median_mad(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median, MAD and count of the non-NaN values of each row of a 2-D float array (NaN, NaN
    and 0 for a row without values)."""
    median, count = _row_median(values)
    mad, _ = _row_median(np.abs(values - median[:, None]))
    return median, mad, count


def _row_median(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows, width = values.shape
    count = (~np.isnan(values)).sum(axis=1)
    if width == 0:
        return np.full(rows, np.nan), count
    ordered = np.sort(values, axis=1)                   # NaN sort last
    low = np.clip((count - 1) // 2, 0, width - 1)
    high = np.clip(count // 2, 0, width - 1)
    at = np.arange(rows)
    median = (ordered[at, low] + ordered[at, high]) / 2
    return np.where(count > 0, median, np.nan), count


def leave_one_out(values: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each element: the median and MAD of the other elements of its group, and how many
    there are (NaN, NaN, 0 when it is alone). values: finite floats; groups: int codes."""
    n = len(values)
    if n == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0, np.int64)
    order = np.lexsort((values, groups))
    ordered, grouped = values[order], groups[order]
    start = np.searchsorted(grouped, grouped, side="left")
    size = np.searchsorted(grouped, grouped, side="right") - start
    rank = np.arange(n) - start
    median_sorted = _median_without(ordered, start, size, rank)

    # The MAD around each element's own median: the median of |v_j - m_i| over j != i. An
    # element's median takes at most three values in its group (it depends only on whether the
    # element lies below, at or above the middle), so the deviations are sorted once per
    # distinct (group, median) - a "candidate" - and each element is looked up in its own.
    lone = size <= 1
    key_order = np.lexsort((np.where(lone, 0.0, median_sorted), grouped))
    key_group = grouped[key_order]
    key_median = np.where(lone, 0.0, median_sorted)[key_order]
    first = np.ones(n, dtype=bool)
    first[1:] = (key_group[1:] != key_group[:-1]) | (key_median[1:] != key_median[:-1])
    candidate_sorted = np.empty(n, dtype=np.int64)
    candidate_sorted[key_order] = np.cumsum(first) - 1          # candidate of each element (sorted order)
    cand_group_start = start[key_order][first]
    cand_size = size[key_order][first]
    cand_median = key_median[first]
    offsets = np.concatenate([[0], np.cumsum(cand_size)[:-1]])
    owner = np.repeat(np.arange(len(cand_size)), cand_size)
    member = cand_group_start[owner] + (np.arange(len(owner)) - offsets[owner])      # sorted positions
    deviation = np.abs(ordered[member] - cand_median[owner])
    dev_order = np.lexsort((member, deviation, owner))
    inverse = np.empty(len(dev_order), dtype=np.int64)
    inverse[dev_order] = np.arange(len(dev_order))
    mine = offsets[candidate_sorted] + rank                      # (own candidate, itself) in the expansion
    dev_rank = inverse[mine] - offsets[candidate_sorted]
    mad_sorted = _median_without(deviation[dev_order], offsets[candidate_sorted], size, dev_rank)

    median, mad, peers = np.empty(n), np.empty(n), np.empty(n, dtype=np.int64)
    median[order], mad[order], peers[order] = median_sorted, mad_sorted, size - 1
    return median, mad, peers


def _median_without(ordered: np.ndarray, start: np.ndarray, size: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """The median of each block ordered[start:start+size] without its element at `rank`."""
    rest = size - 1
    low, high = (rest - 1) // 2, rest // 2

    def kth(q: np.ndarray) -> np.ndarray:
        at = start + q + (q >= rank)
        return ordered[np.clip(at, 0, len(ordered) - 1)]

    return np.where(rest > 0, (kth(np.maximum(low, 0)) + kth(np.maximum(high, 0))) / 2, np.nan)
