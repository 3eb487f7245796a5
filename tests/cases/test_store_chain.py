"""The cases' store chain (audits.cases.daily.build_snapshot on literal counts): a day rerun
afterwards, or audited for the first time after later days, gives later days what a run of
the days in order from scratch gives."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from audits.cases.case_store import case_days, read_link, read_snapshot
from audits.cases.daily import build_snapshot
from audits.cases.lifecycle import empty_counts

DAYS = [dt.date(2026, 11, d) for d in (1, 2, 3, 4)]


def _counts(**cases: int) -> pd.DataFrame:
    rows = [dict(case_id=cid, agency_id="AG01", rule_id="QUAL_OUT_OF_SCOPE", subject_kind="campaign",
                 subject_display=cid, findings=n, calls=n, last_call="2026-11-01T09:00:00+08:00")
            for cid, n in cases.items()]
    return pd.DataFrame(rows) if rows else empty_counts()


ORIGINAL = {DAYS[0]: _counts(A=1), DAYS[1]: _counts(A=2, B=1), DAYS[2]: _counts(B=1), DAYS[3]: _counts(A=1)}
CHANGED_D2 = _counts(C=5)


def _sequential(store, counts, n=2):
    return {day: build_snapshot(store, day, counts[day], resolve_after_days=n) for day in sorted(counts)}


def test_rerunning_an_earlier_day_then_a_later_one_equals_a_sequential_run_from_scratch(tmp_path):
    _sequential(tmp_path / "store", ORIGINAL)
    build_snapshot(tmp_path / "store", DAYS[1], CHANGED_D2, resolve_after_days=2)          # rerun D2, changed
    rerun = build_snapshot(tmp_path / "store", DAYS[3], ORIGINAL[DAYS[3]], resolve_after_days=2)  # rerun D4
    scratch = _sequential(tmp_path / "scratch", {**ORIGINAL, DAYS[1]: CHANGED_D2})
    pd.testing.assert_frame_equal(rerun, scratch[DAYS[3]])
    # D3 was rebuilt on the way (its chain link now names the new D2), and matches scratch too
    pd.testing.assert_frame_equal(read_snapshot(tmp_path / "store", DAYS[2]), read_snapshot(tmp_path / "scratch", DAYS[2]))
    assert read_link(tmp_path / "store", DAYS[2]) == read_link(tmp_path / "scratch", DAYS[2])
    statuses = rerun.set_index("case_id")["status"].to_dict()
    # A resolved on D3 without its D2 findings, so D4 reopens it; with the stale D3 it would be open and C absent
    assert statuses == {"A": "reopened", "B": "quiet", "C": "resolved"}


def test_a_day_audited_for_the_first_time_after_later_days_is_woven_into_the_chain(tmp_path):
    store = tmp_path / "store"
    for day in (DAYS[0], DAYS[2]):
        build_snapshot(store, day, ORIGINAL[day], resolve_after_days=2)
    build_snapshot(store, DAYS[1], ORIGINAL[DAYS[1]], resolve_after_days=2)
    late = build_snapshot(store, DAYS[3], ORIGINAL[DAYS[3]], resolve_after_days=2)
    pd.testing.assert_frame_equal(late, _sequential(tmp_path / "scratch", ORIGINAL)[DAYS[3]])
    assert case_days(store) == DAYS


def test_a_run_in_order_reads_no_earlier_counts(tmp_path, monkeypatch):
    store = tmp_path / "store"
    _sequential(store, {day: ORIGINAL[day] for day in DAYS[:3]})
    import audits.cases.daily as daily

    def no_counts(*_args, **_kwargs):
        raise AssertionError("an in-order run must not re-read earlier days' counts")

    monkeypatch.setattr(daily, "read_counts", no_counts)
    build_snapshot(store, DAYS[3], ORIGINAL[DAYS[3]], resolve_after_days=2)


def test_a_rebuilt_chain_keeps_the_days_an_agency_was_not_assessed(tmp_path):
    # AG01 not assessed on D2 and D3: A (last finding D1) has 1 assessed quiet day on D4, not 3
    store = tmp_path / "store"
    gaps = {DAYS[1]: frozenset({"AG01"}), DAYS[2]: frozenset({"AG01"})}
    counts = {DAYS[0]: _counts(A=1), DAYS[1]: empty_counts(), DAYS[2]: empty_counts(), DAYS[3]: empty_counts()}
    for day in DAYS:
        build_snapshot(store, day, counts[day], resolve_after_days=2, not_assessed=gaps.get(day, frozenset()))
    assert read_link(store, DAYS[1]).not_assessed == ("AG01",)
    build_snapshot(store, DAYS[0], _counts(A=2), resolve_after_days=2)            # rerun D1: D2, D3 rebuilt
    again = build_snapshot(store, DAYS[3], counts[DAYS[3]], resolve_after_days=2)
    assert (again["status"].item(), again["quiet_days"].item()) == ("quiet", 1)
