"""Decisions (cases.md §3) on literal data: which exception or dispute decides a case on a day,
at every boundary, and what that does to the day's findings and the scores."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from audits.cases.decision_inputs import dispute_columns, exception_columns
from audits.cases.decisions import counted_findings, decide_cases, overlay_register, with_decisions
from audits.cases.keys import case_id
from audits.loaders import TEXT
from audits.privacy import phone_keys

SECRET = b"test-secret"
DAY = dt.date(2026, 11, 27)
AGENT_CASE = case_id("AG01", "CONF_AGENT_NOT_ACTIVE", "E9")
OTHER_AGENT_CASE = case_id("AG01", "CONF_AGENT_NOT_ACTIVE", "E7")
CALLEE_KEY = phone_keys(pd.Series(["+8613812345678"]), SECRET).iat[0]
CUSTOMER_CASE = case_id("AG01", "FREQ_DAILY_CAP", CALLEE_KEY)
CALLER_KEY = phone_keys(pd.Series(["+861065529988"]), SECRET).iat[0]
CALLER_CASE = case_id("AG01", "QUAL_UNREGISTERED_CALLER_ID", CALLER_KEY)
NO_CONTRACT_AG02 = case_id("AG02", "QUAL_NO_CONTRACT", "")
CASES = pd.DataFrame([(AGENT_CASE, "AG01", "CONF_AGENT_NOT_ACTIVE"),
                      (OTHER_AGENT_CASE, "AG01", "CONF_AGENT_NOT_ACTIVE"), (CUSTOMER_CASE, "AG01", "FREQ_DAILY_CAP"), (CALLER_CASE, "AG01", "QUAL_UNREGISTERED_CALLER_ID"),
                      (NO_CONTRACT_AG02, "AG02", "QUAL_NO_CONTRACT")], columns=["case_id", "agency_id", "rule_id"])


def _text(rows: list[dict], columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame([{c: (row.get(c) or None) for c in columns} for row in rows], columns=list(columns),
                        dtype=TEXT)


def exceptions(*rows: dict) -> pd.DataFrame:
    defaults = dict(agency_id="AG01", rule_id="CONF_AGENT_NOT_ACTIVE", subject="", valid_from="2026-11-25",
                    valid_to="2026-11-27", approved_by="Li Wei", approved_on="2026-11-20", reason="temporary agents")
    frame = _text([{"exception_id": f"X{k}", **defaults, **row} for k, row in enumerate(rows, 1)],
                  ("exception_id", "agency_id", "rule_id", "subject", "valid_from", "valid_to", "approved_by",
                   "approved_on", "reason"))
    return exception_columns(frame, region="CN", secret=SECRET)


def disputes(*rows: dict) -> pd.DataFrame:
    defaults = dict(case_id=AGENT_CASE, raised_by="AG01 ops", raised_on="2026-11-24", status="open")
    frame = _text([{"dispute_id": f"D{k}", **defaults, **row} for k, row in enumerate(rows, 1)],
                  ("dispute_id", "case_id", "raised_by", "raised_on", "status", "decided_by", "decided_on", "note"))
    return dispute_columns(frame, known_cases=CASES["case_id"])


def decided(day: dt.date, exception_rows=None, dispute_rows=None) -> dict[str, tuple[str, str, str]]:
    """case_id -> (decision, exception_id, dispute_id) on `day`."""
    frame = decide_cases(CASES, exception_rows, dispute_rows, day)
    return {row.case_id: (row.decision, row.exception_id, row.dispute_id) for row in frame.itertuples()}


def test_an_exception_accepts_its_case_on_both_boundary_days_and_not_a_day_outside():
    table = exceptions(dict(subject="E9"))                                   # 2026-11-25 .. 2026-11-27
    assert decided(dt.date(2026, 11, 24), table) == {}
    assert decided(dt.date(2026, 11, 25), table) == {AGENT_CASE: ("accepted", "X1", "")}
    assert decided(dt.date(2026, 11, 27), table) == {AGENT_CASE: ("accepted", "X1", "")}
    assert decided(dt.date(2026, 11, 28), table) == {}


def test_a_blank_subject_covers_every_subject_of_its_agency_and_rule_only():
    assert decided(DAY, exceptions(dict(subject=""))) == {AGENT_CASE: ("accepted", "X1", ""),
                                                          OTHER_AGENT_CASE: ("accepted", "X1", "")}


def test_a_phone_subject_in_another_written_form_matches_its_customer_or_caller_case():
    table = exceptions(dict(rule_id="FREQ_DAILY_CAP", subject="0086-138-1234-5678"),
                       dict(rule_id="QUAL_UNREGISTERED_CALLER_ID", subject="+86 10 6552 9988"),
                       dict(rule_id="FREQ_DAILY_CAP", subject="+86 139 8765 4321"))       # another customer
    assert decided(DAY, table) == {CUSTOMER_CASE: ("accepted", "X1", ""), CALLER_CASE: ("accepted", "X2", "")}
    assert table["subject_key"].tolist() == [CALLEE_KEY, CALLER_KEY, phone_keys(pd.Series(["+8613987654321"]),
                                                                                 SECRET).iat[0]]


def test_an_exception_naming_the_subject_wins_over_one_for_every_subject():
    table = exceptions(dict(exception_id="X9", subject=""), dict(exception_id="X5", subject="E9"))
    assert decided(DAY, table)[AGENT_CASE] == ("accepted", "X5", "")
    assert decided(DAY, table)[OTHER_AGENT_CASE] == ("accepted", "X9", "")


def test_an_upheld_dispute_dismisses_up_to_decided_on_and_not_the_day_after():
    table = disputes(dict(status="upheld", decided_by="Zhang Min", decided_on="2026-11-27"))
    assert decided(dt.date(2026, 11, 20), None, table) == {AGENT_CASE: ("dismissed", "", "D1")}   # before raised_on too
    assert decided(DAY, None, table) == {AGENT_CASE: ("dismissed", "", "D1")}
    assert decided(DAY + dt.timedelta(days=1), None, table) == {AGENT_CASE: ("", "", "D1")}     # counts again, shown


def test_an_open_dispute_marks_the_case_disputed_and_a_rejected_one_is_only_shown():
    assert decided(DAY, None, disputes(dict(status="open"))) == {AGENT_CASE: ("disputed", "", "D1")}
    rejected = disputes(dict(status="Rejected", decided_by="Zhang Min", decided_on="2026-11-26"))
    assert decided(DAY, None, rejected) == {AGENT_CASE: ("", "", "D1")}


def test_dismissed_wins_over_accepted_which_wins_over_disputed_and_every_id_is_named():
    accepted = exceptions(dict(subject="E9"))
    upheld = disputes(dict(status="upheld", decided_by="Zhang Min", decided_on="2026-11-30"))
    assert decided(DAY, accepted, upheld)[AGENT_CASE] == ("dismissed", "X1", "D1")
    assert decided(DAY, accepted, disputes(dict(status="open")))[AGENT_CASE] == ("accepted", "X1", "D1")


def test_of_several_disputes_the_one_that_acts_is_named():
    table = disputes(dict(status="rejected", raised_on="2026-11-25", decided_by="Z", decided_on="2026-11-26"),
                     dict(status="open", raised_on="2026-11-20"))
    assert decided(DAY, None, table)[AGENT_CASE] == ("disputed", "", "D2")


def _findings(*case_ids: str) -> pd.DataFrame:
    return pd.DataFrame({"agency_id": "AG01", "call_id": [f"c{k}" for k in range(len(case_ids))],
                         "case_id": list(case_ids), "decision": ""}).astype("str")


def test_every_finding_of_a_decided_case_carries_the_decision_and_only_undecided_or_disputed_ones_count():
    frame = decide_cases(CASES, exceptions(dict(subject="E9")),
                         disputes(dict(case_id=CUSTOMER_CASE, status="upheld", decided_by="Z", decided_on="2026-11-27"),
                                  dict(case_id=CALLER_CASE, status="open")), DAY)
    findings = with_decisions(_findings(AGENT_CASE, OTHER_AGENT_CASE, AGENT_CASE, CUSTOMER_CASE, CALLER_CASE), frame)
    assert findings["decision"].tolist() == ["accepted", "", "accepted", "dismissed", "disputed"]
    assert counted_findings(findings)["call_id"].tolist() == ["c1", "c4"]
    plain = _findings(OTHER_AGENT_CASE)
    assert counted_findings(plain) is plain                                   # nothing decided: not copied


def test_the_register_shows_the_decision_its_ids_and_says_it_in_the_summary():
    frame = decide_cases(CASES, exceptions(dict(subject="E9")), disputes(dict(status="open")), DAY)
    register = pd.DataFrame({"case_id": [AGENT_CASE, OTHER_AGENT_CASE], "decision": "", "exception_id": "",
                             "dispute_id": "", "summary": ["Agent E9; 3 calls.", "Agent E7; 1 call."]})
    shown = overlay_register(register, frame)
    assert shown[["decision", "exception_id", "dispute_id"]].values.tolist() == [["accepted", "X1", "D1"], ["", "", ""]]
    assert shown["summary"].tolist() == ["Agent E9; 3 calls; accepted under exception X1 to 2026-11-27.",
                                         "Agent E7; 1 call."]
