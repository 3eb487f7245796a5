"""The "Early warnings" sheet of both workbooks (summary.xlsx and each agency's)."""

from __future__ import annotations

from openpyxl import Workbook

from audits.models import EarlyWarning
from audits.rendering.views.warnings import BASIS_LABELS, COUNTED_METRICS, metric_label
from audits.rendering.xlsx.cells import (
    INT_FMT,
    RATE_FMT,
    TITLE,
    WEIGHT_FMT,
    Z_FMT,
    Rows,
    add_table,
    layout_sheet,
    num_cell,
    safe,
    text_cell,
)

WARNING_HEADERS = ("Level", "Agency ID", "Agent ID", "Metric", "Value", "Median", "z", "Compared with", "Detail")


def warnings_sheet(wb: Workbook, warnings: tuple[EarlyWarning, ...], intro: str) -> None:
    """Agencies first, then agents, by z; values as numbers (shares as fractions, as warnings.csv)."""
    ws = wb.create_sheet("Early warnings")
    layout_sheet(ws, (9, 11, 12, 20, 12, 12, 8, 22, 100), headers=WARNING_HEADERS, header_row=3, wrap=(8,))
    rows = Rows(ws)
    rows.add([text_cell(ws, "Early warnings", font=TITLE)])
    rows.add([text_cell(ws, intro)])
    first = rows.header(WARNING_HEADERS)
    for w in warnings:
        rows.add([safe(ws, "Agency" if w.level == "agency" else "Agent"), safe(ws, w.agency_id), safe(ws, w.agent_id),
                  safe(ws, metric_label(w.metric)), _number(ws, w.metric, w.value), _number(ws, w.metric, w.baseline),
                  num_cell(ws, round(w.z, 2), Z_FMT),
                  safe(ws, BASIS_LABELS.get(w.basis, w.basis)), safe(ws, w.detail)])
    if not warnings:
        rows.add()                                     # the table's one (blank) data row
    add_table(ws, "EarlyWarnings", WARNING_HEADERS, first, len(warnings))


def _number(ws, metric: str, text: str):
    """A value of warnings.csv as a number in its metric's format (shares as fractions)."""
    try:
        value = float(text)
    except ValueError:
        return safe(ws, text)
    number_format = INT_FMT if metric in COUNTED_METRICS else WEIGHT_FMT if metric == "intensity" else RATE_FMT
    return num_cell(ws, value, number_format)
