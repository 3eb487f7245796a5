"""Cases in the reports: the scorecard (HTML and workbook) opens with them, evidence is grouped
under its case, the portfolio counts them, and nothing grows with the findings."""

from __future__ import annotations

import dataclasses

import openpyxl

from audits.models import CaseLine, Finding, Portfolio
from audits.rendering import render_index_html, render_scorecard_html, write_scorecard_workbook, write_summary_workbook
from audits.rendering.xlsx.cases import CASE_HEADERS
from tests.rendering.test_html import parse


def _finding(case_id: str, k: int, rule_id: str = "QUAL_NO_CONTRACT") -> Finding:
    return Finding(rule_id=rule_id, severity="critical", call_id=f"{case_id}-call-{k:04d}", agent_id="E1",
                   campaign_id="COL", callee_masked="+86 138****5678", callee_key=f"key-{k}",
                   start_time=f"2026-03-14T10:{k % 60:02d}:00+08:00", detail="no contract in force", case_id=case_id)


def _case(case_id: str, status: str = "open", severity: str = "critical", today: int = 1, *, days_open=1,
          rule_id: str = "FREQ_AFTER_REFUSAL", kind: str = "customer", display: str = "+86 138****5678",
          decision: str = "", shown: int | None = None, summary: str = "") -> CaseLine:
    evidence = tuple(_finding(case_id, k, rule_id) for k in range(min(today, 5 if shown is None else shown)))
    return CaseLine(case_id=case_id, rule_id=rule_id, family="frequency", severity=severity, subject_kind=kind,
                    subject_display=display, status=status, decision=decision, first_seen="2026-03-07",
                    last_seen="2026-03-14" if today else "2026-03-10", days_open=days_open, findings_today=today,
                    findings_episode=today + 10, calls_today=today, summary=summary or f"Summary of {case_id}.",
                    evidence=evidence)


SYSTEMIC = _case("C-000000systemic", "open", "critical", 1369, days_open=8, rule_id="QUAL_NO_CONTRACT", kind="agency",
                 display="AG001", summary="No contract in force since 2026-03-07 (8 days); 1,369 calls on 2026-03-14.")
CUSTOMER = _case("C-00000customer", "new", "critical", 2, summary="Called 2 times after refusing.")
QUIET = _case("C-000000000quiet", "quiet", "major", 0, days_open=3, rule_id="FREQ_DAILY_CAP")


def _with_cases(card, cases, **changes):
    return dataclasses.replace(card, cases=tuple(cases), **changes)


def test_scorecard_opens_with_one_line_per_case_in_the_given_order(assessed_card, templates_dir):
    card = _with_cases(assessed_card, [CUSTOMER, SYSTEMIC, QUIET])
    html = render_scorecard_html(card, templates_dir=templates_dir)
    doc = parse(html)
    groups = doc.ids["case-groups"]                             # cases with findings today, by rule, in order
    assert groups.index("C-00000customer") < groups.index("C-000000systemic") and "C-000000000quiet" not in groups
    assert doc.rows["rule-FREQ_AFTER_REFUSAL-cases"] == doc.rows["rule-QUAL_NO_CONTRACT-cases"] == 1
    assert doc.ids["rule-QUAL_NO_CONTRACT-summary"] == (
        "critical No contract in force QUAL_NO_CONTRACT 1 case 1 open \u00b7 Agency, all calls AG001 1,369 8 days")
    assert ("Agency, all calls AG001 C-000000systemic open 2026-03-07 8 1,369 No contract in force since 2026-03-07 "
            "(8 days)") in doc.ids["rule-QUAL_NO_CONTRACT-cases"]
    assert 'id="rule-QUAL_NO_CONTRACT" open' in html              # a small group is shown open
    assert doc.ids["cases-quiet"].startswith("Quiet: 1 case without a finding today")   # collapsed behind its count
    assert '<details class="collapsed" id="cases-quiet">' in html
    assert doc.ids["cases-note"] == "3 open (not resolved: 1 new, 1 open, 1 quiet); 1 critical open more than 7 days."
    assert html.index('id="cases-heading"') < html.index('id="families-heading"') < html.index('id="evidence-heading"')
    assert doc.ids["open-cases"] == "3"
    assert doc.ids["status-counts"] == "new 1 reopened 0 open 1 quiet 1 resolved 0 today"


def test_evidence_is_grouped_under_its_case_with_the_count_of_the_rest(assessed_card, templates_dir):
    card = _with_cases(assessed_card, [CUSTOMER, SYSTEMIC, QUIET])
    html = render_scorecard_html(card, templates_dir=templates_dir)
    doc = parse(html)
    assert "evidence" not in doc.rows                            # no flat list of findings
    systemic = doc.ids["evidence-C-000000systemic"]
    assert [f"C-000000systemic-call-{k:04d}" in systemic for k in range(6)] == [True] * 5 + [False]
    assert systemic.endswith("and 1,364 more calls")
    customer = doc.ids["evidence-C-00000customer"]
    assert "C-00000customer-call-0001" in customer and "more call" not in customer
    assert "evidence-C-000000000quiet" not in doc.ids            # nothing today, no evidence group
    assert doc.rows["evidence-by-case"] == 2 + 5 + 1 + 2          # a head row per case, its calls, the "more" row
    assert 'href="#evidence-C-000000systemic"' in html


def test_a_page_lists_at_most_25_cases_of_a_rule_and_evidence_of_25(assessed_card, templates_dir):
    many = [_case(f"C-{k:012d}", "new", "major", 40, rule_id="FREQ_DAILY_CAP") for k in range(150)]
    html = render_scorecard_html(_with_cases(assessed_card, many), templates_dir=templates_dir)
    doc = parse(html)
    assert doc.rows["rule-FREQ_DAILY_CAP-cases"] == 25 + 1       # one group: 25 cases and "and 125 more"
    assert "and 125 more: the workbook&#39;s Cases sheet and cases.csv list them all" in html
    assert 'id="rule-FREQ_DAILY_CAP">' in html                   # a large group is closed: one line
    assert doc.rows["evidence-by-case"] == 25 * (1 + 5 + 1)
    assert doc.ids["evidence-note"].startswith("The first calls of the first 25 cases with findings today (of 150)")
    assert html.count("and 35 more calls") == 25


def test_score_before_decisions_is_shown_only_when_known(assessed_card, templates_dir, tmp_path):
    plain = parse(render_scorecard_html(assessed_card, templates_dir=templates_dir))
    assert "before-decisions" not in plain.ids
    decided = dataclasses.replace(assessed_card, overall_before_decisions=71.24, grade_before_decisions="C")
    doc = parse(render_scorecard_html(decided, templates_dir=templates_dir))
    assert doc.ids["overall-score"] == "86.6 / 100"
    assert doc.ids["before-decisions"] == "Before decisions: 71.2, grade C"
    ws = openpyxl.load_workbook(write_scorecard_workbook(decided, tmp_path / "x.xlsx"))["Summary"]
    row = next(r for r in ws.iter_rows(values_only=True) if r[0] == "Score before decisions")
    assert row[1:3] == (71.24, "C")


def test_case_text_is_escaped_in_html_and_text_in_the_workbook(hostile_card, templates_dir, tmp_path):
    hostile = _case("C-<b>x</b>", "new", "critical", 1, display='=HYPERLINK("http://evil.example","x")',
                    summary='<script>alert("case")</script>')
    card = _with_cases(hostile_card, [hostile])
    html = render_scorecard_html(card, templates_dir=templates_dir)
    assert "<script" not in html and "<b>x</b>" not in html
    assert "&lt;script&gt;alert(&#34;case&#34;)&lt;/script&gt;" in html
    ws = openpyxl.load_workbook(write_scorecard_workbook(card, tmp_path / "x.xlsx"))["Cases"]
    subject = ws.cell(2, CASE_HEADERS.index("Subject") + 1)
    assert subject.value == '=HYPERLINK("http://evil.example","x")' and subject.data_type == "s"
    assert subject.quotePrefix is True
    assert ws.cell(2, 1).value == "C-<b>x</b>"


def test_workbook_cases_sheet_lists_every_case_and_findings_carry_their_case(assessed_card, tmp_path):
    many = [_case(f"C-{k:012d}", "open", "major", 3, days_open=k + 1, rule_id="FREQ_DAILY_CAP") for k in range(150)]
    resolved = _case("C-resolved0000", "resolved", "critical", 0, days_open=None)
    card = _with_cases(assessed_card, [SYSTEMIC, *many, resolved],
                       findings=(_finding("C-000000systemic", 0), _finding("C-000000systemic", 1)))
    wb = openpyxl.load_workbook(write_scorecard_workbook(card, tmp_path / "AG001.xlsx"))
    assert wb.sheetnames[:2] == ["Summary", "Cases"]
    ws = wb["Cases"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == CASE_HEADERS and len(rows) == 1 + 152
    assert ws.tables["Cases"].ref == "A1:Q153"
    assert rows[1] == ("C-000000systemic", "open", "critical", "QUAL_NO_CONTRACT", "AG001", 8, 1369,
                       "No contract in force since 2026-03-07 (8 days); 1,369 calls on 2026-03-14.", None,
                       "No contract in force", "Frequency", "Agency, all calls", "2026-03-07", "2026-03-14", 1379,
                       1369, 0)
    assert rows[2][0] == "C-000000000000" and rows[-1][:2] == ("C-resolved0000", "resolved")
    assert rows[-1][CASE_HEADERS.index("Days open")] is None      # no days_open once resolved
    findings = list(wb["Findings"].iter_rows(values_only=True))
    assert findings[0][-2:] == ("Case ID", "Decision")
    assert [r[-2] for r in findings[1:]] == ["C-000000systemic"] * 2
    summary = [r for r in wb["Summary"].iter_rows(values_only=True) if r[0] == "Cases"]
    assert summary[0][1].startswith("151 open (not resolved: 151 open); 1 resolved today; 1 critical open more than "
                                    "7 days.")


def _portfolio(portfolio, **cases_by_agency) -> Portfolio:
    cards = tuple(dataclasses.replace(card, cases=tuple(cases_by_agency.get(card.agency_id, ())))
                  for card in portfolio.scorecards)
    return dataclasses.replace(portfolio, scorecards=cards)


def test_portfolio_counts_cases_and_critical_open_longer_than_7_days(portfolio, templates_dir, tmp_path):
    ag001 = [
        _case("C-crit-7-days00", "open", "critical", 1, days_open=7),            # 7 days: not yet
        _case("C-crit-8-days00", "open", "critical", 1, days_open=8),            # 8 days: counted
        _case("C-crit-quiet-9d", "quiet", "critical", 0, days_open=9),           # quiet is still open: counted
        _case("C-crit-accepted", "open", "critical", 1, days_open=30, decision="accepted"),   # accepted: not
        _case("C-major-9-days0", "open", "major", 1, days_open=9),               # major: not
        _case("C-new-critical0", "new", "critical", 3),
        _case("C-reopened-crit", "reopened", "critical", 1),
        _case("C-resolved-crit", "resolved", "critical", 0, days_open=None),
    ]
    ag002 = [_case("C-ag002-new0000", "new", "minor", 1, rule_id="FREQ_RAPID_REDIAL")]
    chosen = _portfolio(portfolio, AG001=ag001, AG002=ag002)
    doc = parse(render_index_html(chosen, templates_dir=templates_dir))
    ranking = doc.ids["ranking"]
    assert "86.6 \u25bc \u22121.7 12 60 2 7 1 2 OK" in ranking       # new 2, open 7, resolved 1, critical > 7 days 2
    assert "95.5 \u25b2 +2.5 0 7 1 1 0 0 OK" in ranking
    listed = doc.ids["new-critical-groups"]           # one group (AG001, FREQ_AFTER_REFUSAL) of both cases
    assert doc.ids["new-AG001-FREQ_AFTER_REFUSAL-summary"].endswith("2 cases 1 new, 1 reopened 4 1 day")
    assert listed.index("C-new-critical0") < listed.index("C-reopened-crit") and "C-ag002-new0000" not in listed
    assert doc.ids["cases-line"].startswith("8 open cases, 3 new or reopened today, 1 resolved today; "
                                            "2 critical open more than 7 days")

    ws = openpyxl.load_workbook(write_summary_workbook(chosen, tmp_path / "summary.xlsx"))["Cases"]
    rows = [r for r in ws.iter_rows(values_only=True)]
    by_agency = {r[0]: r[2:7] for r in rows if r[0] in ("AG001", "AG002", "AG003") and isinstance(r[2], int)}
    assert by_agency == {"AG001": (2, 1, 7, 1, 2), "AG002": (1, 0, 1, 0, 0), "AG003": (0, 0, 0, 0, 0)}
    critical = [r for r in rows if r[1] in ("C-new-critical0", "C-reopened-crit")]
    assert [(r[0], r[2], r[6], r[7]) for r in critical] == [("AG001", "new", "+86 138****5678", 3),
                                                            ("AG001", "reopened", "+86 138****5678", 1)]


def test_no_new_critical_case_is_said_so(portfolio, templates_dir):
    doc = parse(render_index_html(portfolio, templates_dir=templates_dir))
    assert doc.ids["no-new-critical"] == "No new critical case today."


def test_an_escalated_case_shows_its_complaints_on_the_page_and_in_the_workbook(assessed_card, templates_dir,
                                                                                 tmp_path):
    linked = dataclasses.replace(CUSTOMER, complaints=2)
    card = _with_cases(assessed_card, [linked, SYSTEMIC])
    html = render_scorecard_html(card, templates_dir=templates_dir)
    assert parse(html).ids["case-groups"].count("2 complaints") == 1
    assert html.count('class="pill case-escalated"') == 1             # the linked case only
    path = tmp_path / "card.xlsx"
    write_scorecard_workbook(card, path)
    ws = openpyxl.load_workbook(path)["Cases"]
    column = CASE_HEADERS.index("Complaints") + 1
    assert [ws.cell(row, column).value for row in (2, 3)] == [2, 0]


def test_a_scorecard_not_assessed_says_how_many_cases_could_not_be_checked(missing_card, templates_dir):
    card = _with_cases(missing_card, [QUIET, _case("C-0000000quiet2", "quiet", "critical", 0),
                                      _case("C-000000resolved", "resolved", "major", 0, days_open=None)])
    doc = parse(render_scorecard_html(card, templates_dir=templates_dir))
    assert "Not assessed today: 2 cases could not be checked" in doc.ids["not-assessed"]
