"""The signals' store files (signal_store.py) through run_audit: the rolling reach and the day
indexes follow a day of the store that was ingested again with other calls, and are pruned."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import shutil

from audits.pipeline import run_audit
from audits.signals import signal_store
from tests.landing import DAY, REFERENCE, call, config_for, make_landing, write_csv

EARLIER = DAY - dt.timedelta(days=1)
NUMBERS = ["13800000001", "13800000002", "13800000003"]


def _assigned():
    return [*REFERENCE["assignments"], *(dict(agency_id="AG01", campaign_id="COL", customer_id=f"K{n}", phone=n,
                                              assigned_from="2026-01-01", assigned_to="") for n in NUMBERS)]


def _calls(day: dt.date, numbers: list[str]) -> list[dict]:
    return [call(f"{day:%d}-{k}", f"{day} 1{k}:00:00", campaign_id="COL", callee_number=n)
            for k, n in enumerate(numbers)]


def _rate_row(report):
    with (report / "scores.csv").open(newline="", encoding="utf-8") as handle:
        return {row["agency_id"]: row for row in csv.DictReader(handle)}["AG01"]


def test_a_day_ingested_again_with_other_calls_changes_the_next_reach(tmp_path):
    landing = make_landing(tmp_path / "landing", {EARLIER: {"AG01": _calls(EARLIER, NUMBERS[:1])},
                                                  DAY: {"AG01": _calls(DAY, NUMBERS[1:2])}}, assignments=_assigned())
    write_csv(landing / "complaints" / f"{DAY}.csv", [dict(
        complaint_id="K1", received_at=f"{DAY} 09:00", phone=NUMBERS[1], channel="app", category="other",
        agency_id="", text="")])
    run_audit(config_for(tmp_path, EARLIER))
    first = run_audit(config_for(tmp_path, DAY)).report_dir
    assert (_rate_row(first)["complaints_30d"], _rate_row(first)["complaint_rate_per_10k"]) == ("1", "5000.0")
    # the earlier day delivered again with one more number, and its partition rebuilt by the next run
    make_landing(tmp_path / "landing", {EARLIER: {"AG01": _calls(EARLIER, [NUMBERS[0], NUMBERS[2]])}},
                 assignments=_assigned())
    for kind in ("calls", "refusals"):
        shutil.rmtree(tmp_path / "store" / kind / f"call_date={EARLIER}")
    again = run_audit(dataclasses.replace(config_for(tmp_path, DAY), run_id="again")).report_dir
    assert _rate_row(again)["complaint_rate_per_10k"] == "3333.33"      # 1 complaint over 3 numbers


def test_indexes_and_states_older_than_the_windows_are_pruned(tmp_path):
    old = DAY - dt.timedelta(days=40)
    make_landing(tmp_path / "landing", {old: {"AG01": _calls(old, NUMBERS[:1])},
                                        DAY: {"AG01": _calls(DAY, NUMBERS[1:2])}}, assignments=_assigned())
    run_audit(config_for(tmp_path, old))
    assert old in signal_store.reach_days(tmp_path / "store")
    run_audit(config_for(tmp_path, DAY))
    assert signal_store.reach_days(tmp_path / "store") == [DAY]
    assert not (tmp_path / "store" / "signals" / "numbers" / f"call_date={old}").exists()
    assert (tmp_path / "store" / "signals" / "findings" / f"call_date={old}").is_dir()     # small: kept
