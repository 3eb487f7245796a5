"""The register's summaries, read column by column with the subjects masked only where they may
hold a number, equal summary_sentence of each case read row by row (the per-case oracle)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from audits.cases.summary import summaries, summary_sentence
from audits.loaders import TEXT

DAY = dt.date(2026, 11, 27)
_RULES = ("QUAL_NO_CONTRACT", "CONF_AGENT_NOT_ACTIVE", "FREQ_DAILY_CAP", "CONF_UNASSIGNED", "SMS_HOURS",
          "CONTACT_ROLLING_7D", "QUAL_UNREGISTERED_CALLER_ID")
_SUBJECTS = ("", "AG01", "E0032", "+86 138****5678", "13800138000", "E-138 0013 8000", "一三八零零一三八零零三",
             "CMP-20261123-001", "１３８００１３８０００", "agent 12:30 2026-11-27", "x\u200b1380013800")


@st.composite
def cases(draw):
    n = draw(st.integers(0, 12))
    rows = []
    for _ in range(n):
        status = draw(st.sampled_from(["new", "open", "reopened", "quiet", "resolved"]))
        rows.append({"rule_id": draw(st.sampled_from(_RULES)),
                     "subject_kind": draw(st.sampled_from(["agency", "agent", "customer", "caller", "campaign"])),
                     "subject_display": draw(st.sampled_from(_SUBJECTS) | st.text(max_size=12)),
                     "status": status, "episode": draw(st.integers(1, 3)), "first_seen": "2026-11-20",
                     "last_seen": draw(st.sampled_from(["2026-11-25", "2026-11-27"])),
                     "findings_episode": draw(st.integers(0, 2000)), "quiet_days": draw(st.integers(0, 9)),
                     "last_call": draw(st.sampled_from(["2026-11-27T14:05:00+08:00", "2026-11-27T09:00:00+08:00"])),
                     "days_open": None if status == "resolved" else draw(st.integers(1, 40)),
                     "calls_today": draw(st.integers(0, 1500))})
    texts = [draw(st.integers(0, 2)) for _ in rows]
    return rows, texts, draw(st.sampled_from([TEXT, object])), draw(st.randoms(use_true_random=False))


@given(cases())
def test_summaries_equal_the_sentence_of_each_case(world):
    rows, texts, dtype, rng = world
    index = rng.sample(range(5, 5 + 13 * max(len(rows), 1), 13), len(rows))
    frame = pd.DataFrame(rows, columns=["rule_id", "subject_kind", "subject_display", "status", "episode",
                                        "first_seen", "last_seen", "findings_episode", "quiet_days", "last_call",
                                        "days_open", "calls_today"], index=index)
    frame = frame.astype({c: dtype for c in ("rule_id", "subject_kind", "subject_display", "status", "first_seen",
                                             "last_seen", "last_call")})
    frame["days_open"] = frame["days_open"].astype("Int64")
    expected = [summary_sentence(row, DAY, 7, texts_today=n) for row, n in zip(frame.itertuples(index=False), texts)]
    assert summaries(frame, DAY, 7, texts_today=texts) == expected


def test_a_subject_holding_a_number_is_masked_in_its_summary():
    frame = pd.DataFrame({"rule_id": ["CONF_AGENT_NOT_ACTIVE"], "subject_kind": ["agent"],
                          "subject_display": ["E-13800138000"], "status": ["new"], "episode": [1],
                          "first_seen": ["2026-11-27"], "last_seen": ["2026-11-27"], "findings_episode": [2],
                          "quiet_days": [0], "last_call": ["2026-11-27T14:05:00+08:00"], "days_open": [1],
                          "calls_today": [2]})
    assert summaries(frame, DAY, 7, texts_today=[0]) == [
        "Agent unknown or not active on the day: agent E-*******8000; 2 calls on 2026-11-27, last at 14:05."]
