"""Workbooks that print and filter: every sheet landscape with print titles, one page wide only when
the columns stay legible there (else as few pages wide as stay legible, the first column repeated), every table filterable,
headers never cut, one number format per kind of number, the trend chart straight with gaps."""

from __future__ import annotations

import dataclasses
import re
import zipfile

import openpyxl
from openpyxl.utils import get_column_letter

from audits.models import CaseLine, EarlyWarning, TrendPoint
from audits.rendering import write_scorecard_workbook, write_summary_workbook

LEGIBLE = 200                      # column width units: about 70 % on a landscape A4 page
FORMATS = {"#,##0", "0.0", "0.00%", "0.00", "yyyy-mm-dd hh:mm:ss", '"\u25b2 "+0.0;"\u25bc "-0.0;"\u2192 "0.0'}
CASES = tuple(CaseLine(case_id=f"C-{k:012d}", rule_id="CONF_UNASSIGNED", family="confidentiality",
                       severity="critical", subject_kind="customer", subject_display="+86 138****0000",
                       status=("new", "open", "quiet")[k % 3], decision="", first_seen="2026-03-01",
                       last_seen="2026-03-14", days_open=1852 + k, findings_today=3716 * (k % 2),
                       findings_episode=1840, calls_today=1, summary="A long summary of the case. " * 6)
              for k in range(30))
WARNINGS = (EarlyWarning("agency", "AG001", "", "unassigned_share", "0.201", "0.0007", 10.02, "history", "…"),
            EarlyWarning("agent", "AG001", "E1", "attempts", "1852", "203", 9.4, "history", "…"))


def _books(tmp_path, assessed_card, portfolio, *, texts: bool = False):
    """The scorecard and summary workbooks; `texts`: of a day with texts (both channels shown)."""
    trend = assessed_card.trend[:-3] + (TrendPoint("2026-03-12", None, "n/a"),) + assessed_card.trend[-2:]
    card = dataclasses.replace(assessed_card, cases=CASES, warnings=WARNINGS, trend=trend,
                               **({"messages_audited": 321, "findings_sms": 7, "texts_shown": True} if texts else {}))
    cards = tuple(card if c.agency_id == card.agency_id else c for c in portfolio.scorecards)
    summary = write_summary_workbook(dataclasses.replace(portfolio, scorecards=cards, warnings=WARNINGS),
                                     tmp_path / "summary.xlsx")
    return [write_scorecard_workbook(card, tmp_path / "AG001.xlsx"), summary]


def _width(ws, column: int) -> float:
    dimension = ws.column_dimensions.get(get_column_letter(column))
    return dimension.width if dimension is not None and dimension.width else 8.43


def test_every_sheet_prints_landscape_with_titles_one_page_wide_only_when_legible(tmp_path, assessed_card,
                                                                                    portfolio):
    for path in _books(tmp_path, assessed_card, portfolio):
        for ws in openpyxl.load_workbook(path).worksheets:
            where = f"{path.name}/{ws.title}"
            assert ws.page_setup.orientation == "landscape", where
            assert ws.print_title_rows, where
            total = sum(_width(ws, k) for k in range(1, ws.max_column + 1))
            assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0, where
            pages = ws.page_setup.fitToWidth
            if pages == 1:
                assert total <= LEGIBLE, (where, total)               # one page wide, at 70 % or more
            else:                                                     # several, each legible, column A on each
                assert ws.print_title_cols and total + (pages - 1) * _width(ws, 1) <= pages * LEGIBLE, where
                assert total + (pages - 2) * _width(ws, 1) > (pages - 1) * LEGIBLE, (where, "one page fewer fits")


def test_every_table_filters_and_no_header_is_cut(tmp_path, assessed_card, portfolio):
    for path in (*_books(tmp_path, assessed_card, portfolio),
                 *_books(tmp_path / "texts", assessed_card, portfolio, texts=True)):
        book = openpyxl.load_workbook(path)
        for ws in book.worksheets:
            for table in ws.tables.values():
                where = f"{path.name}/{ws.title}/{table.displayName}"
                assert table.autoFilter is not None and table.autoFilter.ref == table.ref, where
                first = openpyxl.utils.cell.range_boundaries(table.ref)
                for column in range(first[0], first[2] + 1):
                    header = ws.cell(first[1], column)
                    width = _width(ws, column)
                    words = str(header.value).split()
                    # two lines at most, beside the filter button: the longest word and half the text fit
                    assert header.alignment.wrap_text, (where, header.value)
                    assert width >= max(map(len, words)) + 2 and 2 * width >= len(str(header.value)) + 2, \
                        (where, header.value, width)
        assert {"Families", "Trend"} <= {n for ws in book.worksheets for n in ws.tables} or path.name == "summary.xlsx"


def test_one_number_format_per_kind(tmp_path, assessed_card, portfolio):
    """Every number carries its kind's format (never General: "1852" beside "1,840"); counts #,##0."""
    counts = {"Days open", "Findings today", "Findings in episode", "Calls today", "Complaints", "Rank",
              "Critical findings", "Findings", "Calls audited", "Rows quarantined", "Rows", "Calls evaluated"}
    for path in _books(tmp_path, assessed_card, portfolio):
        for ws in openpyxl.load_workbook(path).worksheets:
            headers = {}
            for table in ws.tables.values():
                left, top, right, _ = openpyxl.utils.cell.range_boundaries(table.ref)
                headers.update({(top, k): ws.cell(top, k).value for k in range(left, right + 1)})
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, bool) or not isinstance(cell.value, (int, float)):
                        continue
                    where = f"{path.name}/{ws.title}!{cell.coordinate}={cell.value}"
                    assert cell.number_format in FORMATS, where
                    above = [(top, h) for (top, k), h in headers.items() if k == cell.column and top < cell.row]
                    header = max(above, key=lambda item: item[0])[1] if above else None     # its table's header
                    if header in counts:
                        assert cell.number_format == "#,##0", where


def test_the_trend_chart_is_straight_with_a_gap_for_a_day_not_assessed(tmp_path, assessed_card, portfolio):
    path = _books(tmp_path, assessed_card, portfolio)[0]
    with zipfile.ZipFile(path) as book:
        chart = next(book.read(n).decode() for n in book.namelist() if n.startswith("xl/charts/chart"))
    assert re.search(r'<(c:)?smooth val="(0|false)"\s*/>', chart) and not re.search(r'<(c:)?smooth val="(1|true)"', chart)
    assert re.search(r'<(c:)?dispBlanksAs val="gap"\s*/>', chart)
    ws = openpyxl.load_workbook(path)["Summary"]
    days = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    assert "2026-03-12" in days and days["2026-03-12"] is None          # not assessed: an empty cell, not 0


def test_a_row_is_as_tall_as_its_wrapped_text():
    from audits.rendering.xlsx.cells import MAX_LINES, text_lines
    assert text_lines("", 30) == text_lines("Customer not assigned", 30) == 1
    assert text_lines("Customer not assigned to this agency", 24) == 2          # wraps on a space
    assert text_lines("Customer not assigned to this agency", 20) == 3
    assert text_lines("华信外呼服务有限公司华信", 18) == 2                            # 12 wide characters: 24 units
    assert text_lines("a\nb\nc", 80) == 3 and text_lines("x " * 500, 20) == MAX_LINES


def test_wrapped_ascii_lines_match_wrapping_word_by_word():
    """The line-at-a-time count of ASCII text (str.rfind) against the plain word-by-word wrapping
    that every other text goes through."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from audits.rendering.xlsx.cells import MAX_LINES, _ascii_lines, _wide_lines

    words = st.text(alphabet="abcdefghij-.,;:()0123456789", min_size=1, max_size=40)

    @settings(max_examples=400, deadline=None)
    @given(st.lists(words, max_size=30), st.lists(st.sampled_from([" ", "  ", "\t"]), min_size=30, max_size=30),
           st.integers(min_value=4, max_value=60))
    def same(parts, gaps, per_line):
        text = "".join(p + g for p, g in zip(parts, gaps))
        assert _ascii_lines(text, per_line) == min(_wide_lines(text, per_line), MAX_LINES), (text, per_line)

    same()
