"""Each agency's cases on its scorecard: the order, and the evidence grouped and capped per case."""

from __future__ import annotations

import pandas as pd

from audits.cases.evidence import agency_cases, scorecard_order
from audits.cases.summary import CASE_COLUMNS
from audits.models import VIOLATION_COLUMNS


def _case(case_id, status, severity, today, *, agency="AG01", rule="FREQ_DAILY_CAP", kind="customer",
          display="+86 138****5678", episode=None, days_open=1):
    return {"audit_date": "2026-11-27", "case_id": case_id, "agency_id": agency, "rule_id": rule, "family": "frequency",
            "severity": severity, "subject_kind": kind, "subject_display": display, "status": status, "decision": "",
            "first_seen": "2026-11-27", "last_seen": "2026-11-27", "days_open": days_open, "findings_today": today,
            "findings_episode": today if episode is None else episode, "calls_today": today, "exception_id": "",
            "dispute_id": "", "summary": f"summary of {case_id}"}


def _register(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(CASE_COLUMNS)).astype({"days_open": "Int64"})


def _findings(case_id, n, *, agency="AG01", rule="QUAL_NO_CONTRACT") -> list[dict]:
    return [{"audit_date": "2026-11-27", "agency_id": agency, "rule_id": rule, "family": "qualification",
             "severity": "critical", "call_id": f"{case_id}-{k:04d}", "agent_id": "E1", "campaign_id": "COL",
             "callee_masked": "+86 138****5678", "callee_key": "k", "start_time": f"2026-11-27T10:{k % 60:02d}:00+08:00",
             "detail": "no contract", "case_id": case_id, "decision": ""} for k in range(n)]


def test_new_and_reopened_first_then_open_quiet_resolved_each_by_severity_then_findings():
    register = _register([
        _case("C-quiet-crit", "quiet", "critical", 0, days_open=4),
        _case("C-open-major-big", "open", "major", 1369, days_open=8),
        _case("C-open-major-small", "open", "major", 3, days_open=2),
        _case("C-new-minor", "new", "minor", 1),
        _case("C-reopened-crit", "reopened", "critical", 2),
        _case("C-new-crit", "new", "critical", 5),
        _case("C-resolved-crit", "resolved", "critical", 0, days_open=None),
        _case("C-open-crit", "open", "critical", 1, days_open=3),
        _case("C-other-agency", "new", "critical", 9, agency="AG00"),
    ])
    ordered = scorecard_order(register)
    assert ordered["case_id"].tolist() == [
        "C-other-agency",                                       # agencies in order
        "C-new-crit", "C-reopened-crit", "C-new-minor",         # began today: critical first, most findings first
        "C-open-crit", "C-open-major-big", "C-open-major-small",
        "C-quiet-crit", "C-resolved-crit",
    ]


def test_an_agency_case_is_one_line_with_its_first_calls_and_the_rest_counted():
    register = _register([_case("C-nocontract", "open", "critical", 1369, rule="QUAL_NO_CONTRACT", kind="agency",
                                display="AG01", episode=4000, days_open=8),
                          _case("C-customer", "new", "major", 2)])
    violations = pd.DataFrame(_findings("C-nocontract", 1369) + _findings("C-customer", 2, rule="FREQ_DAILY_CAP"),
                              columns=list(VIOLATION_COLUMNS))
    cases = agency_cases(register, violations, per_case=5)
    (lines,) = cases.values()
    assert [c.case_id for c in lines] == ["C-customer", "C-nocontract"]
    systemic = lines[1]
    assert (systemic.subject_kind, systemic.findings_today, systemic.days_open) == ("agency", 1369, 8)
    assert [f.call_id for f in systemic.evidence] == [f"C-nocontract-{k:04d}" for k in range(5)]
    assert {f.case_id for f in systemic.evidence} == {"C-nocontract"}
    assert [f.call_id for f in lines[0].evidence] == ["C-customer-0000", "C-customer-0001"]


def test_resolved_case_has_no_days_open_and_no_evidence():
    register = _register([_case("C-done", "resolved", "major", 0, days_open=None)])
    (line,) = agency_cases(register, pd.DataFrame(columns=list(VIOLATION_COLUMNS)))["AG01"]
    assert line.days_open is None and line.evidence == () and line.status == "resolved"


def test_an_escalated_case_sorts_first_among_cases_of_its_severity_on_the_scorecard():
    """signals.md §1: a case linked to a complaint sorts first among cases of its severity; on
    the scorecard within its status tier (cases that began today still come first)."""
    rows = [_case("C-new-crit-big", "new", "critical", 40), _case("C-new-crit-linked", "new", "critical", 1),
            _case("C-new-major-linked", "new", "major", 1), _case("C-open-crit-linked", "open", "critical", 1),
            _case("C-open-crit-big", "open", "critical", 90)]
    register = _register(rows).assign(complaints=[0, 1, 2, 1, 0])
    assert scorecard_order(register)["case_id"].tolist() == [
        "C-new-crit-linked", "C-new-crit-big", "C-new-major-linked", "C-open-crit-linked", "C-open-crit-big"]
    lines = agency_cases(register, pd.DataFrame(columns=list(VIOLATION_COLUMNS)))["AG01"]
    assert [(line.case_id, line.complaints) for line in lines][:3] == [
        ("C-new-crit-linked", 1), ("C-new-crit-big", 0), ("C-new-major-linked", 2)]
    assert [line.case_id for line in agency_cases(_register(rows), pd.DataFrame(
        columns=list(VIOLATION_COLUMNS)))["AG01"]][:2] == ["C-new-crit-big", "C-new-crit-linked"]   # no column: none


def test_only_the_first_cases_with_findings_today_of_each_agency_carry_evidence():
    """A page shows the calls of its first cases with findings today (the rest are counted): a day of
    150,000 customer cases builds evidence for those few cases, not for every finding."""
    register = _register([_case("C-a1", "new", "critical", 3), _case("C-a2", "new", "major", 2),
                          _case("C-a-quiet", "quiet", "critical", 0, days_open=3),
                          _case("C-a3", "open", "minor", 1, days_open=2),
                          _case("C-b1", "new", "major", 1, agency="AG02")])
    violations = pd.DataFrame(
        _findings("C-a1", 3) + _findings("C-a2", 2, rule="FREQ_DAILY_CAP") + _findings("C-a3", 1, rule="FREQ_ROLLING_7D")
        + _findings("C-b1", 1, agency="AG02", rule="FREQ_DAILY_CAP"), columns=list(VIOLATION_COLUMNS))
    cases = agency_cases(register, violations, per_case=5, cases_with_evidence=2)
    assert {c.case_id: len(c.evidence) for c in cases["AG01"]} == {"C-a1": 3, "C-a2": 2, "C-a-quiet": 0, "C-a3": 0}
    assert {c.case_id: len(c.evidence) for c in cases["AG02"]} == {"C-b1": 1}
    assert [c.findings_today for c in cases["AG01"]] == [3, 2, 1, 0]      # every case is still listed and counted
