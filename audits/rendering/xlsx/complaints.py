"""The "Complaints" sheet (signals.md §1) of the scorecard workbook (the agency's rate and its
daily trend) and of summary.xlsx (every agency's rate), beside the sheets the workbooks had."""

from __future__ import annotations

from openpyxl import Workbook

from audits.models import Scorecard
from audits.rendering.xlsx.cells import (
    INT_FMT,
    LABEL,
    TITLE,
    WEIGHT_FMT,
    Rows,
    add_table,
    layout_sheet,
    num_cell,
    safe,
    text_cell,
)

TREND_HEADERS = ("Audit date", "Complaints per 10,000 numbers")

RATE_PER_10K_FMT = WEIGHT_FMT          # a ratio: per 10,000 numbers
SUMMARY_HEADERS = ("Agency ID", "Agency name", "Complaints", "Via regulator", "Numbers attempted",
                   "Complaints per 10,000 numbers")


def agency_complaints_sheet(wb: Workbook, card: Scorecard) -> None:
    """The agency's complaints over the window, its rate and the rate day by day."""
    indicator = card.complaints
    if indicator is None:
        return
    ws = wb.create_sheet("Complaints")
    layout_sheet(ws, (34, 30), headers=TREND_HEADERS, title_rows="1:1")
    rows = Rows(ws)
    rows.add([text_cell(ws, f"Complaints, last {indicator.window_days} days", font=TITLE)])
    for label, value, number_format in (("Complaints linked", indicator.complaints, INT_FMT),
                                        ("Through the regulator", indicator.regulator, INT_FMT),
                                        ("Distinct numbers attempted", indicator.numbers, INT_FMT),
                                        ("Complaints per 10,000 numbers", indicator.rate_per_10k, RATE_PER_10K_FMT)):
        rows.add([text_cell(ws, label, font=LABEL), num_cell(ws, value, number_format)])
    rows.add([text_cell(ws, "An indicator beside the score, not part of it.")])
    rows.add()
    headers = TREND_HEADERS
    first = rows.header(headers)
    for day, rate in indicator.trend:
        rows.add([text_cell(ws, day), num_cell(ws, rate, RATE_PER_10K_FMT)])
    add_table(ws, "ComplaintTrend", headers, first, len(indicator.trend))


def portfolio_complaints_sheet(wb: Workbook, cards: tuple[Scorecard, ...]) -> None:
    """Every agency's complaint rate, highest first (none when the report carries no rates)."""
    rated = [c for c in cards if c.complaints is not None]
    if not rated:
        return
    rated.sort(key=lambda c: (c.complaints.rate_per_10k is None, -(c.complaints.rate_per_10k or 0.0), c.agency_id))
    ws = wb.create_sheet("Complaints")
    layout_sheet(ws, (16, 34, 12, 14, 18, 28), headers=SUMMARY_HEADERS, header_row=2)
    rows = Rows(ws)
    rows.add([text_cell(ws, f"Complaints, last {rated[0].complaints.window_days} days", font=TITLE)])
    first = rows.header(SUMMARY_HEADERS)
    for card in rated:
        indicator = card.complaints
        rows.add([safe(ws, card.agency_id), safe(ws, card.agency_name), indicator.complaints, indicator.regulator,
                  num_cell(ws, indicator.numbers, INT_FMT), num_cell(ws, indicator.rate_per_10k, RATE_PER_10K_FMT)])
    add_table(ws, "ComplaintRates", SUMMARY_HEADERS, first, len(rated))
