"""The "Early warnings" sheet of both workbooks (summary.xlsx and each agency's)."""

from __future__ import annotations

from openpyxl import Workbook

from audits.models import EarlyWarning

from .warnings_view import BASIS_LABELS, metric_label
from .xlsx_cells import TITLE, Rows, add_table, header_cells, layout_sheet, safe, text_cell

WARNING_HEADERS = ("Level", "Agency ID", "Agent ID", "Metric", "Value", "Median", "z", "Compared with", "Detail")


def warnings_sheet(wb: Workbook, warnings: tuple[EarlyWarning, ...], intro: str) -> None:
    """Agencies first, then agents, by z; values as numbers (shares as fractions, as warnings.csv)."""
    ws = wb.create_sheet("Early warnings")
    layout_sheet(ws, (9, 14, 12, 20, 12, 12, 8, 22, 100), landscape=True)
    rows = Rows(ws)
    rows.add([text_cell(ws, "Early warnings", font=TITLE)])
    rows.add([text_cell(ws, intro)])
    first = rows.add(header_cells(ws, WARNING_HEADERS))
    for w in warnings:
        rows.add([safe(ws, "Agency" if w.level == "agency" else "Agent"), safe(ws, w.agency_id), safe(ws, w.agent_id),
                  safe(ws, metric_label(w.metric)), _number(w.value), _number(w.baseline), round(w.z, 2),
                  safe(ws, BASIS_LABELS.get(w.basis, w.basis)), safe(ws, w.detail)])
    if not warnings:
        rows.add()                                     # the table's one (blank) data row
    add_table(ws, "EarlyWarnings", WARNING_HEADERS, first, len(warnings))


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text
