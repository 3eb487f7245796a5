"""Cases of findings on text messages (sms.md §3): their subjects, a customer case counting calls
and texts, a sender's case shown by its masked port, and evidence with masked excerpts."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from audits.cases.daily import day_counts
from audits.cases.evidence import agency_cases
from audits.cases.keys import subjects
from audits.cases.lifecycle import advance, empty_snapshot
from audits.cases.summary import CASE_COLUMNS, case_register
from audits.models import VIOLATION_COLUMNS
from audits.privacy import phone_keys

D = dt.date(2026, 11, 27)
SECRET = b"k" * 32


@pytest.mark.parametrize(("rule_id", "expected"), [
    ("SMS_DAILY_CAP", "KEY"), ("CONTACT_ROLLING_7D", "KEY"), ("SMS_AFTER_OPT_OUT", "KEY"),
    ("SMS_HOURS", "MKT1"), ("SMS_NO_CONSENT", "MKT1"), ("SMS_PII_IN_TEXT", "MKT1"),
    ("SMS_NO_OPT_OUT_TEXT", "MKT1"), ("SMS_NO_SIGNATURE", "MKT1"), ("SMS_UNREGISTERED_SENDER", "SENDER")])
def test_each_sms_rule_keys_its_cases_by_the_subject_of_sms_md(rule_id, expected):
    rows = pd.DataFrame({"agent_id": [None], "campaign_id": ["MKT1"], "caller_e164": ["106900001234"]})
    keys = pd.Series(["KEY"])
    got = subjects(rows, rule_id, callee_keys=keys, secret=SECRET).tolist()
    want = {"KEY": "KEY", "MKT1": "MKT1",
            "SENDER": phone_keys(pd.Series(["106900001234"]), SECRET).iat[0]}[expected]
    assert got == [want]


def _finding(call_id, rule, *, channel, case="C-1", agency="AG01", minute=0, detail="over the cap"):
    return {"audit_date": D.isoformat(), "agency_id": agency, "rule_id": rule, "family": "frequency",
            "severity": "major", "call_id": call_id, "agent_id": "", "campaign_id": "MKT1",
            "callee_masked": "+86 138****5678", "callee_key": "k1",
            "start_time": f"2026-11-27T10:{minute:02d}:00+08:00", "detail": detail, "case_id": case,
            "decision": "", "channel": channel}


def _violations(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(VIOLATION_COLUMNS))


def _messages(rows) -> pd.DataFrame:
    """An enriched messages frame of the columns these outputs read."""
    return pd.DataFrame(rows, columns=["message_id", "agency_id", "sender_digits", "customer_e164", "text"])


def test_a_customer_case_of_the_shared_rule_counts_calls_and_texts_in_its_summary():
    violations = _violations([_finding("CALL-1", "CONTACT_ROLLING_7D", channel="call", minute=1),
                              _finding("CALL-2", "CONTACT_ROLLING_7D", channel="call", minute=2),
                              _finding("M-1", "CONTACT_ROLLING_7D", channel="sms", minute=3),
                              _finding("CALL-1", "CONTACT_ROLLING_7D", channel="sms", minute=4)])   # a message id like a call's
    counts = day_counts(violations, pd.DataFrame())
    assert counts["calls"].tolist() == [4]                 # contacts: 2 calls and 2 texts
    snapshot = advance(empty_snapshot(), counts, D, resolve_after_days=7)
    register = case_register(snapshot, D, resolve_after_days=7, violations=violations)
    summary = register["summary"].iat[0]
    assert "2 calls and 2 texts on 2026-11-27" in summary, summary
    assert register["calls_today"].tolist() == [4]


def test_a_case_of_texts_only_counts_texts_and_a_case_of_calls_only_stays_as_it_was():
    violations = _violations([_finding("M-1", "SMS_DAILY_CAP", channel="sms", case="C-sms"),
                              _finding("M-2", "SMS_DAILY_CAP", channel="sms", case="C-sms", minute=5),
                              _finding("CALL-1", "FREQ_DAILY_CAP", channel="call", case="C-call")])
    counts = day_counts(violations, pd.DataFrame())
    snapshot = advance(empty_snapshot(), counts, D, resolve_after_days=7)
    with_channels = case_register(snapshot, D, resolve_after_days=7, violations=violations)
    summaries = dict(zip(with_channels["case_id"], with_channels["summary"]))
    assert "2 texts on 2026-11-27" in summaries["C-sms"]
    without = case_register(snapshot, D, resolve_after_days=7)
    calls_only = dict(zip(without["case_id"], without["summary"]))["C-call"]
    assert summaries["C-call"] == calls_only and "1 call on 2026-11-27" in calls_only


def test_an_unregistered_sender_case_shows_the_masked_port_of_the_message():
    violations = _violations([_finding("M-1", "SMS_UNREGISTERED_SENDER", channel="sms", case="C-port")])
    messages = _messages([["M-1", "AG01", "106900001234", "+8613812345678", "hello"]])
    counts = day_counts(violations, pd.DataFrame(), messages=messages)
    display = counts["subject_display"].iat[0]
    assert display == "106*****1234"
    assert "00001" not in display


def _register(case_ids) -> pd.DataFrame:
    rows = [{"audit_date": D.isoformat(), "case_id": cid, "agency_id": "AG01", "rule_id": "SMS_PII_IN_TEXT",
             "family": "confidentiality", "severity": "critical", "subject_kind": "campaign",
             "subject_display": "MKT1", "status": "new", "decision": "", "first_seen": D.isoformat(),
             "last_seen": D.isoformat(), "days_open": 1, "findings_today": 1, "findings_episode": 1,
             "calls_today": 1, "exception_id": "", "dispute_id": "", "summary": "s"} for cid in case_ids]
    return pd.DataFrame(rows, columns=list(CASE_COLUMNS)).astype({"days_open": "Int64"})


def test_evidence_of_a_text_marks_the_channel_and_quotes_a_masked_excerpt_of_at_most_40_characters():
    text = "【银行】尊敬的客户，您的卡号6222021234567890123已逾期，身份证110105194912310028，请致电13812345678回复T退订"
    violations = _violations([_finding("M-1", "SMS_PII_IN_TEXT", channel="sms", case="C-pii"),
                              _finding("CALL-9", "SMS_PII_IN_TEXT", channel="call", case="C-pii", minute=1)])
    messages = _messages([["M-1", "AG01", "106900001234", "+8613812345678", text]])
    (lines,) = agency_cases(_register(["C-pii"]), violations, messages=messages).values()
    sms, call = lines[0].evidence
    assert sms.channel == "sms" and call.channel == "call"
    assert 0 < len(sms.excerpt) <= 40
    assert sms.excerpt.startswith("【银行】尊敬的客户")
    for secret in ("6222021234567890123", "110105194912310028", "13812345678", "2345678", "12345678901"):
        assert secret not in sms.excerpt
    assert call.excerpt == ""


def test_without_messages_the_evidence_has_no_excerpt():
    violations = _violations([_finding("M-1", "SMS_PII_IN_TEXT", channel="sms", case="C-pii")])
    (lines,) = agency_cases(_register(["C-pii"]), violations).values()
    assert lines[0].evidence[0].excerpt == ""

