"""Bulk rows of a write-only sheet, written as sheet XML text: the workbooks' long tables
(Findings, Cases).

openpyxl makes a cell object per value and writes it through lxml, ~15 µs a cell: a
findings-heavy day's 50 workbooks, each with up to 2,000 findings per rule, spent most of
their rendering time there. Here a row is one string in the XML openpyxl itself writes
(inline strings, numbers, styles by index), ~1 µs a cell, and the rows are spliced into the
sheet's XML when the workbook is saved (save_workbook in xlsx/cells.py), after the rows
appended the ordinary way. The same safety as cells.text_cell: every text is a string
cell (t="inlineStr", never a formula), text starting with = + - @ tab or CR gets Excel's quote
prefix, characters XML cannot hold are replaced.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

from audits.rendering.formatting import parse_timestamp
from audits.rendering.xlsx.cells import (
    BULK_ROWS,
    DATETIME_FMT,
    FORMULA_PREFIXES,
    INT_FMT,
    LINE_HEIGHT,
    TOP,
    WIDTHS,
    WRAP,
    WRAP_COLUMNS,
    clean_text,
    text_lines,
)

TEXT, INT, TIMESTAMP = "text", "int", "timestamp"     # column kinds
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def add_bulk_rows(ws, first_row: int, kinds: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Write `rows` (values per column as `kinds` says: TEXT str, INT a number (a float as openpyxl
    writes it, NaN and infinities as an empty cell, a bool as 1 or 0), TIMESTAMP an ISO 8601
    text shown as a date-time at its offset's wall clock, or as text when unreadable; None or ""
    = empty cell) as sheet rows `first_row`, `first_row` + 1, ... Call it after the sheet's last
    ordinary row (`first_row` is the row after it) and append nothing afterwards. Returns the
    number of rows written."""
    letters = [get_column_letter(k) for k in range(1, len(kinds) + 1)]
    styles = _style_ids(ws)
    wrapped = getattr(ws, WRAP_COLUMNS, frozenset())
    # Each distinct value's cell XML after its reference, made once per column: rule ids, details,
    # case ids and agents repeat over thousands of rows.
    columns = [(letter, _WRITERS[kind], {}, styles.wrapped(k in wrapped and kind == TEXT))
               for k, (letter, kind) in enumerate(zip(letters, kinds))]
    widths = getattr(ws, WIDTHS, ())
    tall = [(k, widths[k] if k < len(widths) else 8.43) for k in sorted(wrapped) if k < len(kinds) and kinds[k] == TEXT]
    chunks = getattr(ws, BULK_ROWS, None)
    if chunks is None:
        chunks = []
        setattr(ws, BULK_ROWS, chunks)
    count = 0
    for offset, values in enumerate(rows):
        number = str(first_row + offset)
        cells = []
        for (letter, write, made, style), value in zip(columns, values):
            if value is None or value == "":
                continue
            tail = made.get(value)
            if tail is None:
                tail = made[value] = write(value, style)
            cells.append(f'<c r="{letter}{number}"{tail}')
        lines = 1
        for k, width in tall:                       # as tall as its longest wrapped text (text_lines)
            value = values[k] if k < len(values) else None
            if isinstance(value, str) and len(value) > width / 2 - 1:
                lines = max(lines, text_lines(value, width))
        size = f' ht="{lines * LINE_HEIGHT:g}" customHeight="1"' if lines > 1 else ""
        chunks.append(f'<row r="{number}"{size}>{"".join(cells)}</row>')
        count += 1
    return count


@dataclass(frozen=True)
class _Styles:
    """The workbook's style indexes the bulk cells use (registered in its style table as openpyxl
    registers a styled cell's): plain and quote-prefixed text, wrapped or not; a count; a date-time."""

    text: int
    quoted: int
    count: int
    stamp: int

    def wrapped(self, wrap: bool) -> _Styles:
        return self if not wrap else _Styles(self.text_wrapped, self.quoted_wrapped, self.count, self.stamp)

    text_wrapped: int = 0
    quoted_wrapped: int = 0


def _style_ids(ws) -> _Styles:
    def style(value, **attributes) -> int:
        cell = WriteOnlyCell(ws, value=value)
        for name, attribute in attributes.items():
            setattr(cell, name, attribute)
        return cell.style_id
    # every cell at the top of its row: a row made tall by a wrapped text reads from its first line
    return _Styles(text=style("", alignment=TOP), quoted=style("", quotePrefix=True, alignment=TOP),
                   count=style(0, number_format=INT_FMT, alignment=TOP),
                   stamp=style(0, number_format=DATETIME_FMT, alignment=TOP), text_wrapped=style("", alignment=WRAP),
                   quoted_wrapped=style("", quotePrefix=True, alignment=WRAP))


# A cell's XML after `<c r="A2"`: attributes and content.
def _text(value, styles: _Styles) -> str:
    text = clean_text(str(value))
    index = styles.quoted if text.startswith(FORMULA_PREFIXES) else styles.text
    style = f' s="{index}"' if index else ""
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'{style} t="inlineStr"><is><t{space}>{text.translate(_ESCAPES)}</t></is></c>'


def _int(value, styles: _Styles) -> str:
    if isinstance(value, float):            # as openpyxl writes a float (int() truncated it, failed on NaN)
        return f' s="{styles.count}" t="n"><v>{value:.16g}</v></c>' if math.isfinite(value) else "/>"
    return f' s="{styles.count}" t="n"><v>{int(value)}</v></c>'


def _timestamp(value, styles: _Styles) -> str:
    moment = parse_timestamp(value) if isinstance(value, str) else value if isinstance(value, datetime) else None
    if moment is None:
        return _text(value, styles)
    return f' s="{styles.stamp}" t="n"><v>{to_excel(moment):.16g}</v></c>'


_WRITERS = {TEXT: _text, INT: _int, TIMESTAMP: _timestamp}
