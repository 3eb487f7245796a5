"""The early warnings' part of the store: new numbers from the stored rolling state equal a
plain reading of the days' attempts, also after an earlier day is rerun or its counts go stale;
what was tampered with is refused (counts) or rebuilt (the state)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from audits import store
from audits.config import WarningSettings
from audits.rulepack import load_rulepack
from audits.signals import daily, metric_store, signal_store
from audits.store import StoreError

START = dt.date(2026, 11, 1)
PACK = dataclasses.replace(load_rulepack("cn_bank"), warnings=WarningSettings(new_numbers_days=3))
ATTEMPTS = ("ANSWERED", "NO_ANSWER", "REJECTED", "VOICEMAIL")


def day_calls(day: dt.date, rows: list[tuple[str, int, str]]) -> pd.DataFrame:
    """(agency, number, disposition) -> the day's accepted calls, enriched as the pipeline has them."""
    n = len(rows)
    frame = pd.DataFrame({
        "call_id": [f"C{k:04d}" for k in range(n)], "agency_id": [r[0] for r in rows],
        "agent_id": [f"E{r[1] % 3}" for r in rows], "campaign_id": "MKT-1", "caller_e164": "+862155550000",
        "callee_e164": [f"+{r[1]}" for r in rows],
        "start_utc": pd.Timestamp(day.isoformat(), tz="Asia/Shanghai").tz_convert("UTC") + pd.to_timedelta(
            np.arange(n), unit="s"),
        "disposition_code": [r[2] for r in rows], "outcome_code": None, "call_date": day.isoformat(),
        "notes": "", "callee_zone": "Asia/Shanghai", "talk_ms": -1})
    frame = frame.astype({c: "str" for c in ("call_id", "agency_id", "agent_id", "campaign_id", "caller_e164",
                                              "callee_e164", "disposition_code", "call_date", "notes",
                                              "callee_zone")})
    frame["outcome_code"] = pd.Series([None] * n, dtype="str")
    frame["is_attempt"] = frame["disposition_code"].isin(ATTEMPTS)
    frame["is_conversation"] = False
    frame["is_refusal"] = False
    return frame


NO_FINDINGS = pd.DataFrame({"agency_id": [], "call_id": [], "rule_id": []}, dtype="str")


def audit(root, day: dt.date, rows, *, pack=PACK, signals: bool = True) -> pd.DataFrame | None:
    calls = day_calls(day, rows)
    store.write_day(root, day, calls)
    if signals:
        return daily.record_day(root, day, calls, NO_FINDINGS, pack).counts
    return None


def new_numbers(counts: pd.DataFrame) -> dict[str, int]:
    agencies = counts[counts["level"] == "agency"]
    return dict(zip(agencies["agency_id"], agencies["new_numbers"].astype(int)))


def oracle(history: dict[dt.date, list], day: dt.date, days: int = 3) -> dict[str, int]:
    """New numbers of each agency on `day`: attempted then, not attempted in the `days` before."""
    seen = {(a, n) for d, rows in history.items() if day - dt.timedelta(days=days) <= d < day
            for a, n, disp in rows if disp in ATTEMPTS}
    today = {(a, n) for a, n, disp in history[day] if disp in ATTEMPTS}
    return {a: len({p for p in today if p[0] == a and p not in seen}) for a in sorted({p[0] for p in today})}


def random_days(seed: int, count: int) -> dict[dt.date, list]:
    rng = np.random.default_rng(seed)
    return {START + dt.timedelta(days=k): [(str(rng.choice(["AG1", "AG2", "AG3"])), int(8613800000000 +
                                            rng.integers(0, 40)), str(rng.choice(ATTEMPTS + ("BUSY",))))
                                           for _ in range(30)] for k in range(count)}


def test_new_numbers_from_the_stored_state_equal_the_days_attempts(tmp_path):
    history = random_days(1, 8)
    for day, rows in history.items():
        assert new_numbers(audit(tmp_path, day, rows)) == oracle(history, day), day


def test_a_rerun_earlier_day_makes_the_next_day_rebuild_its_state(tmp_path):
    history = random_days(2, 6)
    for day, rows in history.items():
        audit(tmp_path, day, rows)
    fourth, sixth = START + dt.timedelta(days=3), START + dt.timedelta(days=5)
    history[fourth] = [("AG1", 8613899999999, "ANSWERED")] * 3 + history[fourth][:5]     # day 4 rerun: other calls
    audit(tmp_path, fourth, history[fourth])
    # Day 6 again (day 5 not): day 5's state holds day 4 as it was; day 4's new state is used instead.
    assert new_numbers(audit(tmp_path, sixth, history[sixth])) == oracle(history, sixth)


def test_a_day_whose_counts_are_stale_is_read_from_its_calls(tmp_path):
    history = random_days(3, 5)
    for day, rows in list(history.items())[:3]:
        audit(tmp_path, day, rows)
    third = START + dt.timedelta(days=2)
    history[third] = [("AG2", 8613800000001, "NO_ANSWER"), ("AG3", 8613800000002, "VOICEMAIL")]
    audit(tmp_path, third, history[third], signals=False)         # calls rewritten, the run died before its counts
    for day in sorted(history)[3:]:
        assert new_numbers(audit(tmp_path, day, history[day])) == oracle(history, day), day
    index = signal_store._folder(tmp_path, "numbers", third) / "index.json"      # rebuilt from the new calls
    assert f'"calls_sha256": "{store.day_record(tmp_path, third)["calls"]["sha256"]}"' in index.read_text()


def test_a_tampered_state_is_rebuilt_and_tampered_counts_are_refused(tmp_path):
    history = random_days(4, 4)
    for day, rows in list(history.items())[:3]:
        audit(tmp_path, day, rows)
    third = START + dt.timedelta(days=2)
    state = signal_store._folder(tmp_path, "reach", third) / "reach.parquet"
    pq.write_table(pq.read_table(state).slice(0, 1), state)        # readable, and most of the state gone
    last = START + dt.timedelta(days=3)
    assert new_numbers(audit(tmp_path, last, history[last])) == oracle(history, last)

    metrics = metric_store.day_folder(tmp_path, third) / metric_store.METRICS
    metrics.write_bytes(metrics.read_bytes() + b" ")
    with pytest.raises(StoreError, match=r"signals/metrics/call_date=2026-11-03/metrics.parquet does not match"):
        daily.baseline(tmp_path, last, PACK)


def test_counts_with_another_definition_are_not_baseline_values(tmp_path):
    day = START + dt.timedelta(days=1)
    audit(tmp_path, START, [("AG1", 8613800000001, "ANSWERED")])
    other = dataclasses.replace(PACK, warnings=WarningSettings(new_numbers_days=3, short_answer_seconds=5))
    [(found_day, counts)] = daily.baseline(tmp_path, day, other)
    assert found_day == START and counts["short_answers"].isna().all() and not counts["attempts"].isna().any()
    fewer = dataclasses.replace(PACK, attempt_dispositions=frozenset({"ANSWERED"}))
    assert daily.baseline(tmp_path, day, fewer) == []              # attempts counted otherwise: not comparable


def test_rerunning_a_day_rewrites_its_counts(tmp_path):
    audit(tmp_path, START, [("AG1", 8613800000001, "ANSWERED")])
    audit(tmp_path, START, [("AG1", 8613800000001, "ANSWERED"), ("AG1", 8613800000002, "ANSWERED")])
    record = metric_store.read_record(tmp_path, START)
    assert record["calls_sha256"] == store.day_record(tmp_path, START)["calls"]["sha256"]
    counts = metric_store.read_counts(tmp_path, START, record)
    assert counts.loc[counts["level"] == "agency", "attempts"].tolist() == [2]
