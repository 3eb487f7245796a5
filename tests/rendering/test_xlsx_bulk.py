"""Bulk rows (sheet XML written as text) read back as the cells openpyxl itself would write."""

from __future__ import annotations

from datetime import datetime

import openpyxl
from openpyxl import Workbook

from audits.models import Provenance
from audits.rendering.xlsx.bulk import INT, TEXT, TIMESTAMP, add_bulk_rows
from audits.rendering.xlsx.cells import Rows, add_table, header_cells, save_workbook

PROVENANCE = Provenance("r", "2026-03-14", "cn_bank", "0" * 64, "test", "2026-03-15T01:30:00+08:00", ())


def _book(tmp_path, rows, kinds=(TEXT, INT, TIMESTAMP)):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Bulk")
    header = Rows(ws)
    header.add(header_cells(ws, ("Text", "Number", "Time")))
    count = add_bulk_rows(ws, header.row + 1, kinds, rows)
    add_table(ws, "Bulk", ("Text", "Number", "Time"), 1, count)
    other = wb.create_sheet("After")                       # a later sheet keeps its own rows
    other.append(["after"])
    path = tmp_path / "bulk.xlsx"
    save_workbook(wb, path, PROVENANCE)
    return openpyxl.load_workbook(path)


def test_text_numbers_and_times_read_back(tmp_path):
    wb = _book(tmp_path, [
        ("plain", 3, "2026-03-14T08:00:05+08:00"),
        ("  spaced  ", 0, "2026-03-14T01:02:03Z"),
        ("a & b < c > d", None, "not a time"),
        ("", 12, None),
        ("line\r\nbreak", -4, "2026-03-14T23:59:59.5+08:00"),
        ("bell\x07", 1, ""),
    ])
    ws = wb["Bulk"]
    values = [tuple(c.value for c in row) for row in ws.iter_rows(min_row=2)]
    assert values == [
        ("plain", 3, datetime(2026, 3, 14, 8, 0, 5)),
        ("  spaced  ", 0, datetime(2026, 3, 14, 1, 2, 3)),
        ("a & b < c > d", None, "not a time"),
        (None, 12, None),
        ("line\r\nbreak", -4, datetime(2026, 3, 14, 23, 59, 59, 500000)),
        ("bell\ufffd", 1, None),
    ]
    assert ws["C2"].number_format == "yyyy-mm-dd hh:mm:ss" and ws["C4"].data_type == "s"
    assert ws.tables["Bulk"].ref == "A1:C7"
    assert wb["After"]["A1"].value == "after"


def test_formula_like_text_stays_text_with_a_quote_prefix(tmp_path):
    hostile = ('=HYPERLINK("http://evil.example","x")', "+1", "-2 days", "@SUM(A1)", "\t=1+1", "#N/A")
    ws = _book(tmp_path, [(text, 1, None) for text in hostile])["Bulk"]
    for row, text in enumerate(hostile, 2):
        cell = ws.cell(row, 1)
        assert cell.value == text and cell.data_type == "s"
        assert cell.quotePrefix is (text != "#N/A")


def test_no_rows_leave_an_empty_table_row(tmp_path):
    ws = _book(tmp_path, [])["Bulk"]
    assert ws.max_row == 1 or all(c.value is None for c in ws[2])
    assert ws.tables["Bulk"].ref == "A1:C2"
