"""The morning e-mail: the new and reopened critical cases of cases.csv, masked, not raw findings."""

from __future__ import annotations

import pandas as pd

from audits.cases.summary import CASE_COLUMNS
from audits.csv_cells import write_csv
from audits.notify import compose_summary
from audits.scoring import SCORE_COLUMNS


def _scores() -> pd.DataFrame:
    row = {c: 0 for c in SCORE_COLUMNS}
    row.update(audit_date="2026-11-27", agency_id="AG05", agency_name="Pacific", assessed=True, file_status="ok",
               calls_audited=1400, findings=1369, critical_findings=1369, overall=74.6, grade="C")
    return pd.DataFrame([row], columns=list(SCORE_COLUMNS))


def _case(case_id, status, severity, summary, *, days_open="1", decision="", today="1", display="+86 138****5678",
          agency="AG05", rule_id="FREQ_AFTER_REFUSAL"):
    row = {c: "" for c in CASE_COLUMNS}
    row.update(audit_date="2026-11-27", case_id=case_id, agency_id=agency, rule_id=rule_id,
               family="frequency", severity=severity, subject_kind="customer", subject_display=display,
               status=status, decision=decision, days_open=days_open, findings_today=today, summary=summary)
    return row


def _report(tmp_path, cases) -> object:
    report = tmp_path / "2026-11-27"
    report.mkdir()
    write_csv(_scores(), report / "scores.csv")
    write_csv(pd.DataFrame(cases, columns=list(CASE_COLUMNS)), report / "cases.csv")
    # a raw finding the e-mail must not list (it used to list critical findings one by one)
    write_csv(pd.DataFrame([{"audit_date": "2026-11-27", "agency_id": "AG05", "rule_id": "QUAL_NO_CONTRACT",
                             "severity": "critical", "call_id": "RAW-CALL-1", "detail": "raw finding detail"}]),
              report / "violations.csv")
    return report


def test_lists_new_and_reopened_critical_cases_only_masked(tmp_path):
    report = _report(tmp_path, [
        _case("C-new00000001", "new", "critical", "Called after refusing: customer +86 138****5678; 3 calls.", today="3"),
        _case("C-reopened001", "reopened", "critical", "Reopened: notes of customer 13812345678 again.",
              rule_id="CONF_PII_IN_NOTES"),
        _case("C-open0000001", "open", "critical", "An open critical case.", days_open="9"),
        _case("C-newmajor001", "new", "major", "A new major case."),
        _case("C-accepted001", "open", "critical", "Accepted and old.", days_open="30", decision="accepted"),
    ])
    message = compose_summary(report)
    assert message.subject == "Vendor audit 2026-11-27: 2 new critical cases, worst AG05"
    body = message.html
    assert "New and reopened critical cases" in body
    assert "C-new00000001" in body and "C-reopened001" in body          # two groups (two rules), one case each
    assert "Called after refusing: customer +86 138****5678; 3 calls. <small>case C-new00000001</small>" in body
    assert "C-open0000001" not in body and "C-newmajor001" not in body and "C-accepted001" not in body
    assert "13812345678" not in body and "*******5678 again" in body       # a full number in a summary is masked
    assert "RAW-CALL-1" not in body and "raw finding detail" not in body
    assert ("Cases: 5 open (not resolved: 2 new, 1 reopened, 2 open); <b>2 new critical</b>; "
            "1 critical open more than 7 days.") in body


def test_a_day_without_new_critical_cases_says_so_in_the_subject(tmp_path):
    report = _report(tmp_path, [_case("C-open0000001", "open", "critical", "Open.", days_open="2")])
    message = compose_summary(report)
    assert message.subject == "Vendor audit 2026-11-27: 0 new critical cases, worst AG05"
    assert "New and reopened critical cases" not in message.html


def test_a_burst_at_one_agency_is_one_line_and_every_other_group_is_listed(tmp_path):
    """750 customers not assigned to AG03 are one group; the new cases at four other agencies stay in
    the e-mail, ahead of the ranking (it used to list 20 cases and "… and 742 more")."""
    burst = [_case(f"C-burst{n:06d}", "new", "critical", f"Customer +86 139****{n:04d} not assigned to AG03.",
                   agency="AG03", rule_id="CONF_UNASSIGNED", display=f"+86 139****{n:04d}") for n in range(750)]
    others = [_case(f"C-pii-{agency}", "new", "critical", f"ID number in notes at {agency}.", agency=agency,
                    rule_id="CONF_PII_IN_NOTES", display="E01") for agency in ("AG04", "AG06", "AG07")]
    others += [_case("C-refused-AG02", "reopened", "critical", "Called after refusing.", agency="AG02", today="4")]
    body = compose_summary(_report(tmp_path, burst + others)).html
    assert "New and reopened critical cases: 754 in 5 groups at 5 agencies" in body
    rows = [row for row in body.split("<tr>") if "<td><b>AG" in row]
    assert [row.split("</b>")[0].rsplit(">", 1)[1] for row in rows] == ["AG02", "AG03", "AG04", "AG06", "AG07"]
    assert "750 (750 new)" in rows[1] and "C-burst000001" not in body and "e.g." in rows[1]
    assert "1 (1 reopened)" in rows[0] and "Called after refusing. <small>case C-refused-AG02</small>" in rows[0]
    assert "more in cases.csv" not in body and "\u2026 and" not in body
    assert body.index("New and reopened critical cases") < body.index("Worst agencies")


def test_lists_the_sources_whose_pull_failed_escaped_and_nothing_when_all_were_pulled(tmp_path):
    report = _report(tmp_path, [])
    failed = ["AG05: the pull of its file of 2026-11-27 from its source failed; the report audited "
              "cdr/2026-11-27/AG05.csv, a file landed earlier by other means, not pulled from that source: <b>"]
    body = compose_summary(report, pull_failures=failed).html
    assert "Source pulls that failed (1)" in body
    assert "<li>AG05: the pull of its file of 2026-11-27 from its source failed; the report audited " \
           "cdr/2026-11-27/AG05.csv" in body and "&lt;b&gt;" in body and "<b></li>" not in body
    assert "Source pulls that failed" not in compose_summary(report).html
