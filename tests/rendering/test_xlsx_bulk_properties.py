"""The workbooks' bulk rows (xlsx/bulk.py: sheet XML written as text) read back with openpyxl,
against a per-value oracle written from the modules' docstrings and XML 1.0, and against the
ordinary openpyxl path of the project (xlsx/cells.py safe / num_cell, as the sheets wrote these
rows before bulk rows) for the same rows: both must give the same cells.

The oracle of a text cell: characters XML 1.0 cannot hold (C0 controls other than tab, LF and
CR; surrogates; U+FFFE and U+FFFF) become U+FFFD, at most 32,767 characters are kept, an empty
text is an empty cell, and every text is a string cell (never a formula) with Excel's quote
prefix when it starts with = + - @ tab or CR. A number is written as it is (NaN and infinity
as an empty cell, as openpyxl writes them); a timestamp is the wall clock at its offset, to the
millisecond openpyxl reads back (one off at most), styled as a date-time. Run longer with
HYPOTHESIS_PROFILE=thorough.
"""

from __future__ import annotations

import dataclasses
import math
import zipfile
from datetime import datetime, timedelta
from xml.etree import ElementTree

import openpyxl
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from audits.models import Provenance
from audits.rendering import write_scorecard_workbook
from audits.rendering.xlsx.bulk import INT, TEXT, TIMESTAMP, add_bulk_rows
from audits.rendering.xlsx.cells import (
    DATETIME_FMT,
    INT_FMT,
    MAX_CELL_TEXT,
    Rows,
    add_table,
    clean_text,
    header_cells,
    num_cell,
    safe,
    save_workbook,
)

PROVENANCE = Provenance("r", "2026-03-14", "cn_bank", "0" * 64, "test", "2026-03-15T01:30:00+08:00", ())
KINDS = (TEXT, INT, TIMESTAMP, TEXT)
HEADERS = ("Text", "Number", "Time", "More text")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
XML_NS = "http://www.w3.org/XML/1998/namespace"

# --- values ------------------------------------------------------------------------------------

_SPECIAL = ["&", "<", ">", '"', "'", "&amp;", "]]>", "<t>", "\t", "\n", "\r", "\r\n", " ", "\x00", "\x01", "\x08",
            "\x0b", "\x0c", "\x1f", "\x7f", "\x85", "\u2028", "\ufffe", "\uffff", "\ufffd", "\ud800", "\udfff",
            "=", "+", "-", "@", "#N/A", "华信外呼", "客户", "😀", "👩‍💻", "\U0001F1E8\U0001F1F3", "é", "e\u0301"]
_TEXT = st.one_of(
    st.none(),
    st.lists(st.one_of(st.sampled_from(_SPECIAL), st.text(max_size=4)), max_size=6).map("".join),
    st.sampled_from(['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "-1.5", "@SUM(A1)",
                     "\t=1+1", "\r=1", " =1", "+86 138****5678", "#REF!", "TRUE", "1e5", "  spaced  ", "   ",
                     "=" + "x" * 40_000, "\U0001F600" * 33_000]),                # over Excel's 32,767
)
# Excel's largest number is 9.99...E+307 (written with 16 digits, a float near 1.8E+308 reads back
# as infinity, on both paths)
_FLOATS = st.one_of(st.floats(-1e307, 1e307), st.sampled_from([math.nan, math.inf, -math.inf, 0.1, -0.0, 1e300, 5e-324]))
_NUMBER = st.one_of(st.none(), st.integers(-2**63, 2**63), st.booleans(), _FLOATS)
# openpyxl writes an int through "%.16g" too, so beyond 2**53 (where a double, as a spreadsheet
# holds a number, is no longer exact) it rounds while bulk rows keep every digit: compared below it
_EXACT_NUMBER = st.one_of(st.none(), st.integers(-2**53, 2**53), st.booleans(), _FLOATS)
_MOMENTS = st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 12, 30))
_OFFSETS = st.sampled_from(["Z", "+08:00", "+0800", "+08", "-05:30", "+14:00", ""])


@st.composite
def _timestamp_text(draw):
    moment = draw(_MOMENTS)
    separator = draw(st.sampled_from(["T", " "]))
    shape = draw(st.sampled_from(["%Y-%m-%d{}%H:%M:%S", "%Y-%m-%d{}%H:%M", "%Y-%m-%d{}%H:%M:%S.%f"]))
    return moment.strftime(shape.format(separator)) + draw(_OFFSETS)


_TIME = st.one_of(st.none(), st.just(""), _timestamp_text(), _MOMENTS,
                  st.sampled_from(["not a time", "2026-02-30T10:00:00+08:00", "=NOW()", "2026-03-14",
                                   " 2026-03-14T08:00Z "]))
_ROWS = st.lists(st.tuples(_TEXT, _NUMBER, _TIME, _TEXT), max_size=25)
_EXACT_ROWS = st.lists(st.tuples(_TEXT, _EXACT_NUMBER, _TIME, _TEXT), max_size=25)


# --- the oracle -----------------------------------------------------------------------------

def _xml_char(ch: str) -> bool:
    code = ord(ch)
    return (code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF)


def _expected_text(value: str | None) -> tuple[str | None, bool]:
    """(value read back, quote prefix) of a text cell."""
    if value is None or value == "":
        return None, False
    text = "".join(ch if _xml_char(ch) else "\ufffd" for ch in value)[:32767]
    return text, text.startswith(FORMULA_STARTS)


def _expected_number(value):
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value


def _wall_clock(value) -> datetime | None:
    """A timestamp text's wall clock at its own offset (None when it is not one)."""
    if isinstance(value, datetime):
        return value
    text = value.strip()
    try:
        return datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text).replace(tzinfo=None)
    except ValueError:
        return None


# --- writing ---------------------------------------------------------------------------------

def _workbook(tmp_path, name: str, rows, *, bulk: bool):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Bulk")
    header = Rows(ws)
    header.add(header_cells(ws, HEADERS))
    if bulk:
        count = add_bulk_rows(ws, header.row + 1, KINDS, rows)
    else:
        for text, number, time, more in rows:
            # a bool is written as the number 1 or 0 (add_bulk_rows); openpyxl would make a boolean cell
            number = int(number) if isinstance(number, bool) else number
            # a count, as every sheet writes one: a number in the one format of counts
            count_cell = num_cell(ws, number, INT_FMT) if number is not None else None
            header.add([_ordinary_text(ws, text), count_cell, _ordinary_time(ws, time), _ordinary_text(ws, more)])
        count = len(rows)
    add_table(ws, "Bulk", HEADERS, 1, count)
    wb.create_sheet("After").append(["after"])
    path = tmp_path / name
    save_workbook(wb, path, PROVENANCE)
    _assert_spaces_preserved(path)
    return openpyxl.load_workbook(path)


def _assert_spaces_preserved(path) -> None:
    """Excel drops a text's leading and trailing white space unless its <t> says
    xml:space="preserve" (openpyxl reads it back either way, so the XML is checked)."""
    with zipfile.ZipFile(path) as book:
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    for t in sheet.iter(f"{{{SHEET_NS}}}t"):
        text = t.text or ""
        if text.strip() and text != text.strip():
            assert t.get(f"{{{XML_NS}}}space") == "preserve", repr(text)


def _ordinary_text(ws, value):
    return None if value is None else safe(ws, value)


def _ordinary_time(ws, value):
    """As the Findings sheet wrote its start time before bulk rows."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else _wall_clock(value)
    return num_cell(ws, moment, DATETIME_FMT) if moment is not None else safe(ws, value)


def _cells(wb, rows: int) -> list[list]:
    """(value, data type, quote prefix, number format) of each cell; an empty cell as None."""
    return [[(c.value, c.data_type, bool(c.quotePrefix), c.number_format) if c.value is not None else None
             for c in row]
            for row in wb["Bulk"].iter_rows(min_row=2, max_row=1 + rows, max_col=len(KINDS))]


def _assert_text(cell, given_text) -> None:
    expected, prefix = _expected_text(given_text)
    if expected is None:
        assert cell is None, (given_text, cell)
    else:
        assert cell is not None and (cell[0], cell[1], cell[2]) == (expected, "s", prefix), (given_text, cell)


@given(_ROWS)
def test_bulk_rows_read_back_as_the_values_given(tmp_path_factory, rows):
    wb = _workbook(tmp_path_factory.mktemp("bulk"), "bulk.xlsx", rows, bulk=True)
    cells = _cells(wb, len(rows))
    for row, (text, number, time, more) in zip(cells, rows):
        _assert_text(row[0], text)
        _assert_text(row[3], more)
        expected = _expected_number(number)
        if expected is None:
            assert row[1] is None, (number, row[1])
        else:
            value, data_type, _quoted, _fmt = row[1]
            same = math.isclose(value, expected, rel_tol=1e-15, abs_tol=1e-300) if isinstance(expected, float) \
                else value == expected
            assert data_type == "n" and same, (number, value)
        moment = None if time is None or time == "" else _wall_clock(time)
        if moment is not None:
            value, _data_type, _quoted, number_format = row[2]
            # openpyxl reads a date-time back to the millisecond; 16 significant digits of a serial
            # day number (as openpyxl writes it too) can move that by one millisecond
            assert isinstance(value, datetime) and number_format == DATETIME_FMT, (time, value)
            assert abs(value - moment) <= timedelta(milliseconds=1), (time, value)
        else:
            _assert_text(row[2], time)
    assert wb["After"]["A1"].value == "after"
    assert wb["Bulk"].tables["Bulk"].ref == f"A1:D{1 + max(len(rows), 1)}"


@given(_EXACT_ROWS)
def test_bulk_rows_give_the_cells_of_the_ordinary_openpyxl_path(tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("both")
    bulk = _cells(_workbook(folder, "bulk.xlsx", rows, bulk=True), len(rows))
    ordinary = _cells(_workbook(folder, "ordinary.xlsx", rows, bulk=False), len(rows))
    assert bulk == ordinary


# --- regressions found by the properties above --------------------------------------------------

def test_a_text_with_u_ffff_or_a_surrogate_is_replaced_and_the_workbook_opens(tmp_path, assessed_card):
    """U+FFFE and U+FFFF are valid UTF-8 in a CSV but not XML 1.0: an agent id holding one was
    written as it was into the Findings sheet (bulk rows), and the published scorecard could not
    be opened (openpyxl: "not well-formed (invalid token)"; Excel: unreadable content); the
    ordinary openpyxl path raised instead. Lone surrogates likewise."""
    first, *rest = assessed_card.findings
    card = dataclasses.replace(assessed_card, findings=(dataclasses.replace(first, agent_id="E00\uffff21",
                                                                            detail="a\ufffeb\ud800c"), *rest))
    path = write_scorecard_workbook(card, tmp_path / "AG001.xlsx")
    findings = openpyxl.load_workbook(path)["Findings"]
    assert (findings["F2"].value, findings["J2"].value) == ("E00\ufffd21", "a\ufffdb\ufffdc")
    ws = Workbook(write_only=True).create_sheet("S")
    assert safe(ws, "x\uffff") == "x\ufffd"                                   # the ordinary path too


def test_a_number_column_writes_floats_as_they_are_and_nan_or_infinity_as_an_empty_cell(tmp_path):
    """add_bulk_rows wrote every INT value through int(): 2.5 became 2 and NaN stopped the workbook."""
    wb = _workbook(tmp_path, "numbers.xlsx", [(None, 2.5, None, None), (None, math.nan, None, None),
                                              (None, -math.inf, None, None), (None, 7, None, None)], bulk=True)
    assert [wb["Bulk"].cell(row, 2).value for row in range(2, 6)] == [2.5, None, None, 7]


@given(st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=40)
       | st.sampled_from(["plain", "tab\there", "line\nbreak", "\x00\x1f", "\ud800x", "\ufffe\uffff", "x" * 33000]))
def test_clean_text_replaces_exactly_what_xml_cannot_hold(text):
    """Its printable fast path against the plain per-character oracle."""
    illegal = {*map(chr, (*range(0x00, 0x09), 0x0b, 0x0c, *range(0x0e, 0x20), 0xfffe, 0xffff))}
    expected = "".join("\ufffd" if ch in illegal or 0xd800 <= ord(ch) <= 0xdfff else ch for ch in text)
    assert clean_text(text) == expected[:MAX_CELL_TEXT]
