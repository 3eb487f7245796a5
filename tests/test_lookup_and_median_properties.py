"""Property tests of the call look-up and the early warnings' medians, each against a plain
per-value oracle: the call look-up (an Arrow hash join, with a pre-filter when findings are few) on
shuffled, non-contiguous indexes and subsets with missing calls; the row-wise and
leave-one-out median/MAD of the early warnings against `statistics.median`."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from audits.call_lookup import call_column, call_positions
from audits.signals.robust import leave_one_out, row_median_mad

AGENCIES = st.sampled_from(["AG01", "AG02", "A_3", "x-9"])
CALL_IDS = st.sampled_from(["1", "2", "10", "c-7", "2026-11-27-0001", "", " 5"])


@st.composite
def calls_and_findings(draw):
    pairs = draw(st.lists(st.tuples(AGENCIES, CALL_IDS), max_size=30, unique=True))
    labels = draw(st.permutations(range(0, 3 * max(len(pairs), 1), 3)))[:len(pairs)]
    calls = pd.DataFrame({"agency_id": [a for a, _ in pairs], "call_id": [c for _, c in pairs],
                          "caller": [f"+86 {i}" for i in range(len(pairs))]}, index=labels)
    wanted = draw(st.lists(st.tuples(AGENCIES, CALL_IDS), max_size=40))        # some not among the calls
    flabels = draw(st.permutations(range(100, 100 + 7 * max(len(wanted), 1), 7)))[:len(wanted)]
    findings = pd.DataFrame({"agency_id": [a for a, _ in wanted], "call_id": [c for _, c in wanted]},
                            index=flabels)
    return calls, findings


@given(calls_and_findings())
def test_call_lookup_equals_a_dictionary_of_pairs(case):
    calls, findings = case
    where = {}
    for position, pair in enumerate(zip(calls["agency_id"], calls["call_id"])):
        where.setdefault(pair, position)
    expected = [where.get(pair, -1) for pair in zip(findings["agency_id"], findings["call_id"])]
    assert call_positions(findings, calls).tolist() == expected
    column = call_column(findings, calls, "caller")
    assert list(column.index) == list(findings.index)                     # labels kept, values by position
    assert column.tolist() == [calls["caller"].iloc[p] if p >= 0 else None for p in expected]


VALUES = st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.just(math.nan))


def _median_mad(values: list[float]) -> tuple[float, float]:
    present = [v for v in values if not math.isnan(v)]
    if not present:
        return math.nan, math.nan
    median = statistics.median(present)
    return median, statistics.median([abs(v - median) for v in present])


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@given(st.integers(0, 6).flatmap(lambda width: st.lists(st.lists(VALUES, min_size=width, max_size=width),
                                                        max_size=8)))
def test_row_median_mad_equals_statistics_median(rows):
    width = len(rows[0]) if rows else 0
    array = np.array(rows, dtype=float).reshape(len(rows), width)
    median, mad, count = row_median_mad(array)
    for i, row in enumerate(rows):
        m, s = _median_mad(row)
        assert _same(median[i], m) and _same(mad[i], s)
        assert count[i] == sum(not math.isnan(v) for v in row)


@given(st.lists(st.tuples(st.integers(0, 3), st.floats(-1e6, 1e6, allow_nan=False)), max_size=30))
def test_leave_one_out_equals_the_median_of_the_others(items):
    groups = np.array([g for g, _ in items], dtype=np.int64)
    values = np.array([v for _, v in items], dtype=float)
    median, mad, count = leave_one_out(values, groups)
    for i, (group, _) in enumerate(items):
        others = [v for j, (g, v) in enumerate(items) if g == group and j != i]
        m, s = _median_mad(others)
        assert count[i] == len(others) and _same(median[i], m) and _same(mad[i], s), (i, others)


def test_few_findings_none_of_whose_calls_is_among_the_calls_are_all_not_found():
    """Found by the property above (thorough profile): the pre-filter for few findings took
    positions from an empty candidate list and raised IndexError."""
    calls = pd.DataFrame({"agency_id": ["AG01"] * 9, "call_id": [str(i) for i in range(9)], "caller": ["x"] * 9},
                         index=range(0, 27, 3))
    findings = pd.DataFrame({"agency_id": ["AG01"], "call_id": ["10"]}, index=[100])
    assert call_positions(findings, calls).tolist() == [-1]
    assert call_column(findings, calls, "caller").tolist() == [None]
