"""Portfolio -> summary.xlsx: the Ranking sheet (like index.html), the Cases sheet (xlsx/cases.py)
and the Provenance sheet."""

from __future__ import annotations

from pathlib import Path

from openpyxl.styles import Font

from audits.models import NOT_ASSESSED, Portfolio, agency_file_stem
from audits.rendering.formatting import status_pill
from audits.rendering.xlsx.cases import portfolio_cases_sheet
from audits.rendering.xlsx.cells import (
    CHANGE_FMT,
    INT_FMT,
    SCORE_FMT,
    TITLE,
    Rows,
    add_table,
    layout_sheet,
    new_workbook,
    num_cell,
    safe,
    save_workbook,
    text_cell,
)
from audits.rendering.xlsx.complaints import portfolio_complaints_sheet
from audits.rendering.xlsx.scorecard import provenance_sheet
from audits.rendering.xlsx.warnings import warnings_sheet

RANKING_HEADERS = ("Rank", "Agency ID", "Agency name", "Grade", "Overall score",
                   "Change vs previous day", "Change vs previous 7 days", "Critical findings",
                   "Findings", "Calls audited", "Data quality", "Rows quarantined", "Workbook")
TEXT_HEADERS = ("Messages audited", "Findings on messages")      # on a day with texts (sms.md §3)


def write_summary_workbook(portfolio: Portfolio, path: Path) -> Path:
    """Ranking (like index.html), Cases and Provenance sheets for the whole portfolio."""
    wb = new_workbook(f"Vendor compliance audit {portfolio.audit_date}", portfolio.provenance)
    ws = wb.create_sheet("Ranking")
    texts = any(c.texts_shown for c in portfolio.scorecards)      # a day with texts: both channels (sms.md §3)
    headers = RANKING_HEADERS + (TEXT_HEADERS if texts else ())
    layout_sheet(ws, (7, 10, 34, 8, 10, 15, 18, 11, 11, 10, 16, 14, 21) + ((11, 11) if texts else ()),
                 headers=headers, header_row=3, wrap=(2,))
    ws.freeze_panes = "A4"
    rows = Rows(ws)
    cards = portfolio.scorecards
    rows.add([text_cell(ws, f"Vendor compliance audit \u2014 {portfolio.audit_date}", font=TITLE)])
    n_assessed = sum(1 for c in cards if c.assessed and c.overall is not None)
    rows.add([text_cell(ws, f"{len(cards)} agencies, {len(cards) - n_assessed} not assessed; "
                            "ranked worst first.")])
    first = rows.header(headers)
    for rank, card in enumerate(cards, 1):
        assessed = card.assessed and card.overall is not None
        target = f"agencies/{agency_file_stem(card.agency_id)}.xlsx"
        link = text_cell(ws, target, font=Font(color="1F4E79", underline="single"))
        link.hyperlink = target
        rows.add([
            rank, safe(ws, card.agency_id), safe(ws, card.agency_name),
            safe(ws, card.grade if assessed else NOT_ASSESSED),
            num_cell(ws, card.overall, SCORE_FMT) if assessed else NOT_ASSESSED,
            num_cell(ws, card.change_prev_day, CHANGE_FMT) if assessed else None,
            num_cell(ws, card.change_prev_7d, CHANGE_FMT) if assessed else None,
            card.critical_findings, card.total_findings,
            num_cell(ws, card.calls_audited, INT_FMT),
            safe(ws, status_pill(card.data_quality.file_status).text),
            card.data_quality.rows_quarantined, link,
        ] + ([num_cell(ws, card.messages_audited, INT_FMT), num_cell(ws, card.findings_sms, INT_FMT)]
             if texts else []))
    add_table(ws, "Ranking", headers, first, len(cards))
    if not cards:
        rows.add()
    rows.add()
    bold = Font(bold=True)
    rows.add([text_cell(ws, "Totals", font=bold), None, text_cell(ws, f"{len(cards)} agencies"),
              None, None, None, None,
              num_cell(ws, sum(c.critical_findings for c in cards), INT_FMT, font=bold),
              num_cell(ws, sum(c.total_findings for c in cards), INT_FMT, font=bold),
              num_cell(ws, sum(c.calls_audited for c in cards), INT_FMT, font=bold),
              None,
              num_cell(ws, sum(c.data_quality.rows_quarantined for c in cards), INT_FMT,
                       font=bold)]
             + ([None, num_cell(ws, sum(c.messages_audited for c in cards), INT_FMT, font=bold),
                 num_cell(ws, sum(c.findings_sms for c in cards), INT_FMT, font=bold)] if texts else []))
    if portfolio.ignored_files:
        rows.add()
        rows.add([text_cell(ws, "Files not audited (not agency files)", font=bold)])
        for ignored in portfolio.ignored_files:
            rows.add([None, safe(ws, ignored.path), safe(ws, ignored.reason)])
    portfolio_cases_sheet(wb, portfolio)
    portfolio_complaints_sheet(wb, portfolio.scorecards)     # signals.md §1, when the report carries rates
    warnings_sheet(wb, portfolio.warnings, f"Early warnings of {portfolio.audit_date}: agencies first, then agents, "
                                           "highest z first.")
    provenance_sheet(wb, portfolio.provenance)
    save_workbook(wb, path, portfolio.provenance)
    return Path(path)
