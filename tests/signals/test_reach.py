"""The day index and the rolling reach (numbers.py, reach.py): literal keys, the window's
edges, and a state built night by night equal to one built from scratch."""

from __future__ import annotations

import numpy as np

from audits.signals.numbers import AGENCY_BITS, DayNumbers, calls_to, day_numbers
from audits.signals.reach import Reach, advanced, advanced_with_previous, numbers_per_agency, within

A = 8613800000001
B = 8613800000002
C = 8613800000003


def _day(rows: list[tuple[int, str, bool]]) -> DayNumbers:
    """One call per (number, agency, attempt?)."""
    agencies = tuple(sorted({agency for _, agency, _ in rows}))
    return day_numbers(np.array([n for n, _, _ in rows], dtype=np.int64),
                       np.array([agencies.index(a) for _, a, _ in rows], dtype=np.int64),
                       np.array([attempt for _, _, attempt in rows], dtype=bool), agencies)


def test_a_day_index_counts_calls_and_attempts_per_number_and_agency():
    index = _day([(B, "AG02", True), (A, "AG01", True), (A, "AG01", False), (A, "AG02", True), (-1, "AG01", True)])
    assert index.agencies == ("AG01", "AG02")
    assert index.keys.tolist() == [A << AGENCY_BITS, (A << AGENCY_BITS) | 1, (B << AGENCY_BITS) | 1]
    assert (index.calls.tolist(), index.attempts.tolist()) == ([2, 1, 1], [1, 1, 1])
    which, codes, calls = calls_to(index, np.array([C, A], dtype=np.int64))
    assert (which.tolist(), codes.tolist(), calls.tolist()) == ([1, 1], [0, 1], [2, 1])


def test_the_reach_keeps_each_number_once_per_agency_and_drops_what_left_the_window():
    day0, day1, day2 = (_day([(A, "AG01", True), (B, "AG01", False)]), _day([(A, "AG01", True), (B, "AG02", True)]),
                        _day([(C, "AG01", True)]))
    state = advanced(Reach.empty(), day0, 100, first_kept=99)
    state = advanced(state, day1, 101, first_kept=99)
    assert numbers_per_agency(state) == {"AG01": 1, "AG02": 1}          # B by AG01 was no attempt
    state = advanced(state, day2, 102, first_kept=101)                   # day 100 leaves the window; A stays (101)
    assert numbers_per_agency(state) == {"AG01": 2, "AG02": 1}
    assert numbers_per_agency(within(state, first_kept=102)) == {"AG01": 1}
    assert state.last_day.tolist() == [101, 101, 102]


def test_a_reach_built_night_by_night_equals_one_built_from_scratch():
    rng = np.random.default_rng(1)
    agencies = [f"AG{k:02d}" for k in range(7)]
    days = [_day([(int(8613800000000 + rng.integers(300)), agencies[int(rng.integers(len(agencies)))],
                   bool(rng.random() < 0.8)) for _ in range(200)]) for _ in range(40)]
    window = 30
    nightly = Reach.empty()
    for k, day in enumerate(days):
        nightly = advanced(nightly, day, k, first_kept=k - window + 1)
    scratch = Reach.empty()
    for k in range(len(days) - window, len(days)):
        scratch = advanced(scratch, days[k], k, first_kept=len(days) - window)
    assert nightly.agencies == scratch.agencies
    assert nightly.keys.tolist() == scratch.keys.tolist() and nightly.last_day.tolist() == scratch.last_day.tolist()
    expected: dict[str, set[int]] = {}
    for day in days[-window:]:
        for key, attempts in zip(day.keys, day.attempts):
            if attempts:
                expected.setdefault(day.agencies[int(key) & 8191], set()).add(int(key) >> AGENCY_BITS)
    assert numbers_per_agency(nightly) == {a: len(n) for a, n in expected.items()}


def test_each_attempted_key_comes_back_with_its_last_earlier_day():
    state = advanced(Reach.empty(), _day([(A, "AG01", True), (B, "AG02", True)]), 100, first_kept=90)
    state = advanced(state, _day([(A, "AG01", True), (C, "AG01", False)]), 103, first_kept=90)
    today = _day([(C, "AG01", True), (A, "AG01", True), (A, "AG02", False), (B, "AG02", True), (B, "AG03", True)])
    after, previous = advanced_with_previous(state, today, 105, first_kept=96)
    attempted = np.asarray(today.keys)[np.asarray(today.attempts) > 0]
    decoded = [(int(k >> AGENCY_BITS), today.agencies[int(k & ((1 << AGENCY_BITS) - 1))]) for k in attempted]
    assert dict(zip(decoded, previous.tolist())) == {(A, "AG01"): 103, (B, "AG02"): 100, (B, "AG03"): -1,
                                                      (C, "AG01"): -1}          # C by AG01 on 103 was no attempt
    assert numbers_per_agency(after) == {"AG01": 2, "AG02": 1, "AG03": 1} and set(after.last_day.tolist()) == {105}
