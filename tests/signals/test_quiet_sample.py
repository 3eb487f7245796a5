"""End to end on a 31-day sample landing zone without anomalies: no early warning on any day,
although most agencies and agents are judged against a history (10+ baseline days from day 10 on,
the full 28-day baseline on the last three days). Its own module, so that pytest-xdist runs it
beside the planted warnings of test_sample_warnings.py."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from audits.signals import daily, metric_store
from tests.signals.test_sample_warnings import PACK, SAMPLE, START

DAYS = PACK.warnings.baseline_days + 3         # the last three days judged against a full baseline


def test_a_month_without_anomalies_gives_no_warning(audited_sample):
    quiet = audited_sample(days=DAYS, start=START, audited=range(DAYS - 1, DAYS), anomalies=False, **SAMPLE)
    report = quiet.reports[quiet.last_day]                                # its run ingested the days before
    assert pd.read_csv(report / "warnings.csv").empty
    store = quiet.store
    judged = {"agency": 0, "agent": 0}
    history: list[dict[str, set[tuple]]] = []      # per day before: each level's entities with 50+ attempts
    for offset in range(DAYS):
        day = START + dt.timedelta(days=offset)
        assert (quiet.landing / "truth" / f"{day}-warnings.csv").read_text(encoding="utf-8").strip() == \
            "level,agency_id,agent_id,metric"
        assert daily.stored_warnings(store, day, PACK).empty, day
        counts = metric_store.read_counts(store, day, metric_store.read_record(store, day))
        busy = counts[counts["attempts"] >= 50]
        today = {level: set(zip(busy.loc[busy["level"] == level, "agency_id"],
                                busy.loc[busy["level"] == level, "agent_id"])) for level in judged}
        for level in judged:               # entities judged against a history of 10+ days of 50+ attempts
            based = {key: sum(key in before[level] for before in history[-28:]) for key in today[level]}
            judged[level] += sum(n >= 10 for n in based.values())
        history.append(today)
    assert judged["agency"] >= 100 and judged["agent"] >= 2000, judged    # not vacuous
