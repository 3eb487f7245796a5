"""The workbooks' case sheets: "Cases" of an agency's workbook (every case of its register) and
"Cases" of summary.xlsx (case counts per agency, the day's new critical cases and the critical cases
open more than OVERDUE_DAYS days)."""

from __future__ import annotations

from openpyxl import Workbook

from audits.models import RULES_BY_ID, Portfolio, Scorecard
from audits.rendering.formatting import family_label
from audits.rendering.views.cases import (
    OVERDUE_DAYS,
    SUBJECT_LABELS,
    case_counts,
    case_row,
    new_critical_cases,
    overdue_cases,
)
from audits.rendering.xlsx.bulk import INT, TEXT, add_bulk_rows
from audits.rendering.xlsx.cells import HEADING, TITLE, Rows, add_table, layout_sheet, safe, text_cell

# What a case is and where it stands first (the first printed page), then the rest (the second).
CASE_HEADERS = ("Case ID", "Status", "Severity", "Rule ID", "Subject", "Days open", "Findings today", "Summary",
                "Decision", "Rule", "Family", "Subject kind", "First seen", "Last seen", "Findings in episode",
                "Calls today", "Complaints")
_CASE_KINDS = (TEXT,) * 5 + (INT,) * 2 + (TEXT,) * 7 + (INT,) * 3
AGENCY_CASE_HEADERS = ("Agency ID", "Agency name", "New", "Reopened", "Open", "Resolved today",
                       f"Critical open > {OVERDUE_DAYS} days")
NEW_CRITICAL_HEADERS = ("Agency ID", "Case ID", "Status", "Rule ID", "Rule", "Subject kind", "Subject",
                        "Findings today", "Summary")
_NEW_CRITICAL_KINDS = (TEXT,) * 7 + (INT, TEXT)
OVERDUE_HEADERS = ("Agency ID", "Case ID", "Status", "Rule ID", "Rule", "Subject kind", "Subject", "Days open",
                   "Summary")


def cases_sheet(wb: Workbook, card: Scorecard) -> None:
    """Every case of the agency's register, in the scorecard's order (bulk rows: a broken
    reference file can give an agency thousands of customer cases)."""
    ws = wb.create_sheet("Cases")
    headers = _case_headers(card)
    layout_sheet(ws, (16, 10, 11, 27, 17, 8, 11, 100, 11, 44, 15, 14, 11, 11, 14, 8, 13), headers=headers,
                 header_row=1, wrap=(7, 9))
    ws.freeze_panes = "A2"
    rows = Rows(ws)
    rows.header(headers)
    add_bulk_rows(ws, rows.row + 1, _CASE_KINDS, (
        (c.case_id, c.status, c.severity, c.rule_id, c.subject_display, c.days_open, c.findings_today, c.summary,
         c.decision, RULES_BY_ID[c.rule_id].title if c.rule_id in RULES_BY_ID else "", family_label(c.family),
         SUBJECT_LABELS.get(c.subject_kind, c.subject_kind), c.first_seen, c.last_seen, c.findings_episode,
         c.calls_today, c.complaints)
        for c in card.cases))
    add_table(ws, "Cases", headers, 1, len(card.cases))


def _case_headers(card: Scorecard) -> tuple[str, ...]:
    """CASE_HEADERS; on a day with texts a case's contacts of the day are "Contacts today"."""
    return tuple("Contacts today" if h == "Calls today" and card.texts_shown else h for h in CASE_HEADERS)


def portfolio_cases_sheet(wb: Workbook, portfolio: Portfolio) -> None:
    """Case counts per agency (in the ranking's order), the critical cases open more than OVERDUE_DAYS
    days, then the day's new critical cases (bulk rows: a burst can bring thousands)."""
    ws = wb.create_sheet("Cases")
    # one set of columns for its three tables: the agency name and the case id share column B
    layout_sheet(ws, (10, 18, 10, 27, 40, 12, 17, 11, 90), headers=NEW_CRITICAL_HEADERS, title_rows="1:1",
                 wrap=(1, 4, 8))
    rows = Rows(ws)
    rows.add([text_cell(ws, f"Cases \u2014 {portfolio.audit_date}", font=TITLE)])
    rows.add([text_cell(ws, "New: began today (new or reopened). Open: not resolved, today's new included.")])
    rows.add([text_cell(ws, f"Critical open > {OVERDUE_DAYS} days: not resolved, open more than {OVERDUE_DAYS} days, "
                            "not counting cases the bank accepted.")])
    rows.add()
    rows.add([text_cell(ws, "Cases by agency", font=HEADING)])
    first = rows.header(AGENCY_CASE_HEADERS)
    for card in portfolio.scorecards:
        counts = case_counts(card.cases)
        rows.add([safe(ws, card.agency_id), safe(ws, card.agency_name), counts.new, counts.reopened, counts.open,
                  counts.resolved, counts.critical_overdue])
    add_table(ws, "CasesByAgency", AGENCY_CASE_HEADERS, first, len(portfolio.scorecards))
    if not portfolio.scorecards:
        rows.add()
    rows.add()
    rows.add([text_cell(ws, f"Critical cases open more than {OVERDUE_DAYS} days", font=HEADING)])
    first = rows.header(OVERDUE_HEADERS)
    overdue = overdue_cases(portfolio)
    for agency_id, case in overdue:
        row = case_row(case)
        rows.add([safe(ws, agency_id), safe(ws, case.case_id), safe(ws, case.status), safe(ws, case.rule_id),
                  safe(ws, row.title), safe(ws, row.subject_label), safe(ws, row.subject), case.days_open,
                  safe(ws, case.summary)])
    add_table(ws, "OverdueCriticalCases", OVERDUE_HEADERS, first, len(overdue))
    if not overdue:
        rows.add()
    rows.add()
    # last, as bulk rows: a burst can bring thousands
    rows.add([text_cell(ws, "New critical cases", font=HEADING)])
    first = rows.header(NEW_CRITICAL_HEADERS)
    critical = new_critical_cases(portfolio)
    add_bulk_rows(ws, rows.row + 1, _NEW_CRITICAL_KINDS, (
        (agency_id, case.case_id, case.status, case.rule_id, title_of(case.rule_id),
         SUBJECT_LABELS.get(case.subject_kind, case.subject_kind), case.subject_display, case.findings_today,
         case.summary) for agency_id, case in critical))
    add_table(ws, "NewCriticalCases", NEW_CRITICAL_HEADERS, first, len(critical))


def title_of(rule_id: str) -> str:
    info = RULES_BY_ID.get(rule_id)
    return info.title if info else ""
