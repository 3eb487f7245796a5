"""The cells, sheet layout and file plumbing both workbooks are built from (openpyxl).

Safety: every text that comes from the inputs is written as a string cell (data_type "s",
never a formula); text starting with = + - @ tab or CR also gets Excel's quote prefix (the
stored form of a leading apostrophe), so editing the cell in Excel cannot turn it into a
formula either. Characters XML cannot hold are replaced.

Stability: the workbook's created/modified properties and every zip entry's timestamp come
from provenance.generated_at, so the same Scorecard gives the same bytes.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from audits import atomic
from audits.models import Provenance

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL_TEXT = 32767

# One number format per kind of number, in every sheet of every workbook.
SCORE_FMT = "0.0"           # scores out of 100
RATE_FMT = "0.00%"          # rates and shares (stored as fractions)
WEIGHT_FMT = "0.00"         # weights, ratios, per-10,000 rates
INT_FMT = "#,##0"           # counts
Z_FMT = "0.0"               # z of an early warning
CHANGE_FMT = '"\u25b2 "+0.0;"\u25bc "-0.0;"\u2192 "0.0'
DATETIME_FMT = "yyyy-mm-dd hh:mm:ss"

_INK = "1C2733"
_NAVY = "1F3A5F"
TITLE = Font(bold=True, size=14, color=_INK)
HEADING = Font(bold=True, size=12, color=_NAVY)
LABEL = Font(bold=True, color="5B6B7B")
BIG = Font(bold=True, size=16, color=_INK)
BIG_WHITE = Font(bold=True, size=16, color="FFFFFF")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor=_NAVY)
CARD_FILL = PatternFill("solid", fgColor="EEF1F4")
CENTER = Alignment(horizontal="center", vertical="center")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")     # the other cells of a row with wrapped text, level with its first line
_HEADER_ALIGN = Alignment(wrap_text=True, vertical="center")
# Column widths (Excel's character units) that print legibly on one landscape A4 page: up to this
# a sheet is fit to one page wide (about 70 %: 11 pt text printed at 7.7 pt or more). A wider sheet
# narrows its long-text columns, wrapping their text, down to WRAP_MIN; when it still does not fit
# they keep WRAP_WIDE and the sheet prints as many pages wide as it needs at a legible scale, its
# first column repeated on each.
LEGIBLE_WIDTH = 200
WRAP_MIN = 30
WRAP_WIDE = 45
_FILTER_BUTTON = 3          # room for the autofilter's button beside a header
WRAP_COLUMNS = "_audits_wrap_columns"     # a sheet's wrapped columns (0-based), which Rows and bulk rows wrap
WIDTHS = "_audits_widths"                 # a sheet's column widths as layout_sheet set them
LINE_HEIGHT = 15.0          # points per line of 11 pt text: a row's height is set from its wrapped lines,
MAX_LINES = 10              # which neither Excel nor LibreOffice recompute when they open the file
GRADE_FILLS = {g: PatternFill("solid", fgColor=c) for g, c in
              {"A": "1E7B4A", "B": "4F8A3C", "C": "B7791F", "D": "C2571A", "F": "B42318"}.items()}
_TABLE_STYLE = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
_EPOCH = datetime(1980, 1, 1)
BULK_ROWS = "_audits_bulk_rows"     # a sheet's rows written as XML text (xlsx/bulk.py), spliced in by save_workbook
# What XML 1.0 cannot hold: C0 controls but tab, LF and CR; surrogates; U+FFFE and U+FFFF. (openpyxl's
# ILLEGAL_CHARACTERS_RE misses the last three: U+FFFF from a CSV made a sheet Excel cannot open.)
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# --- cells --------------------------------------------------------------------------------


def clean_text(value: str) -> str:
    """Text Excel can store: no XML-illegal characters, at most 32,767 characters. A printable
    text holds none (they are all controls, surrogates or noncharacters): no regex for it."""
    if value.isprintable():
        return value[:MAX_CELL_TEXT]
    return _NOT_XML.sub("\ufffd", value)[:MAX_CELL_TEXT]


def text_cell(ws, value: str, *, font: Font | None = None, fill: PatternFill | None = None,
              alignment: Alignment | None = None) -> WriteOnlyCell:
    """A string cell that can never be read as a formula."""
    text = clean_text(value)
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"
    if text.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True
    return _styled(cell, font, fill, alignment)


def _styled(cell: WriteOnlyCell, font: Font | None, fill: PatternFill | None,
            alignment: Alignment | None) -> WriteOnlyCell:
    """The cell with whichever of font, fill and alignment are given."""
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if alignment is not None:
        cell.alignment = alignment
    return cell


def safe(ws, value: str):
    """Input text for bulk rows: a plain value when harmless, else a protected cell.

    openpyxl reads a plain string starting with "=" as a formula and "#N/A" and friends as
    error values; those become explicit string cells.
    """
    text = clean_text(value)
    if text.startswith(FORMULA_PREFIXES) or text in ERROR_CODES:
        return text_cell(ws, text)
    return text


def num_cell(ws, value: float | int | None, number_format: str, *,
             font: Font | None = None, fill: PatternFill | None = None,
             alignment: Alignment | None = None):
    """A number with its format; None (an empty cell) for a missing or non-finite value."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = number_format
    return _styled(cell, font, fill, alignment)


def header_cells(ws, names: Sequence[str]) -> list[WriteOnlyCell]:
    """A table's header row: wrapped on two lines at most (header_width), never cut."""
    return [text_cell(ws, name, font=_HEADER_FONT, fill=_HEADER_FILL, alignment=_HEADER_ALIGN) for name in names]


def header_width(name: str) -> float:
    """The column width that shows a header whole on at most two lines, beside its filter button."""
    words = name.split()
    best = len(name)
    for k in range(1, len(words)):
        best = min(best, max(len(" ".join(words[:k])), len(" ".join(words[k:]))))
    return best + _FILTER_BUTTON


def column_widths(widths: Sequence[float], headers: Sequence[str] = (), wrap: Sequence[int] = ()) -> list[float]:
    """Each width at least its header's (header_width); when the sheet is wider than LEGIBLE_WIDTH,
    the `wrap` columns narrowed (the widest first, down to WRAP_MIN or their header) until it fits,
    or, when even that is too wide, each to at most WRAP_WIDE."""
    out = [max(float(w), header_width(headers[k]) if k < len(headers) else 0.0) for k, w in enumerate(widths)]
    floor = {k: max(float(WRAP_MIN), header_width(headers[k]) if k < len(headers) else 0.0) for k in wrap}
    excess = sum(out) - LEGIBLE_WIDTH
    if excess <= 0:
        return out
    if sum(max(0.0, out[k] - floor[k]) for k in wrap) < excess:          # cannot fit one page wide
        return [min(w, max(float(WRAP_WIDE), floor[k])) if k in floor else w for k, w in enumerate(out)]
    for k in sorted(wrap, key=lambda k: -out[k]):
        cut = min(excess, max(0.0, out[k] - floor[k]))
        out[k] -= cut
        excess -= cut
    return out


def pages_wide(widths: Sequence[float]) -> int:
    """Landscape A4 pages a sheet of these column widths prints across at a legible scale (the
    first column repeated on each after the first)."""
    total, first = sum(widths), (widths[0] if widths else 0.0)
    pages = 1
    while total + (pages - 1) * first > pages * LEGIBLE_WIDTH:
        pages += 1
    return pages


def text_lines(text: str, width: float) -> int:
    """The lines a text takes wrapped on spaces in a column of `width` (a wide character, Chinese
    for one, counts twice), at most MAX_LINES."""
    per_line = max(1, int(width - 1.5))
    if "\n" not in text and (len(text) <= per_line // 2 or (len(text) <= per_line and text.isascii())):
        return 1                                             # short (even if every character is wide)
    lines = 0
    for paragraph in text.split("\n"):
        lines += _ascii_lines(paragraph, per_line) if paragraph.isascii() else _wide_lines(paragraph, per_line)
        if lines >= MAX_LINES:
            return MAX_LINES
    return max(1, lines)


def _ascii_lines(text: str, per_line: int) -> int:
    """Greedy wrapping on spaces, a line at a time (str.rfind: no loop over words)."""
    text = " ".join(text.split())
    lines, start = 1, 0
    while len(text) - start > per_line and lines < MAX_LINES:
        cut = text.rfind(" ", start, start + per_line + 1)
        start = (cut + 1) if cut > start else start + per_line      # a word longer than a line breaks inside
        lines += 1
    return lines


def _wide_lines(text: str, per_line: int) -> int:
    lines, used = 1, 0
    for word in text.split():
        length = _display_width(word)
        if used and used + 1 + length > per_line:
            lines += 1
            used = 0
        while length > per_line:
            lines += 1
            length -= per_line
        used += (1 if used else 0) + length
    return lines


def _display_width(word: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in word)


def row_height(texts: Iterable[tuple[str, float]]) -> float | None:
    """The height of a row whose wrapped cells hold these (text, column width); None for one line."""
    lines = 1
    for text, width in texts:
        if text:
            lines = max(lines, text_lines(text if isinstance(text, str) else str(text), width))
    return lines * LINE_HEIGHT if lines > 1 else None


def layout_sheet(ws, widths: Sequence[float], *, landscape: bool = True, headers: Sequence[str] = (),
                 header_row: int | None = None, wrap: Sequence[int] = (), title_rows: str | None = None) -> None:
    """Before the first row: column widths (column_widths) and print setup: landscape A4, the
    header row (or `title_rows`, "1:2") repeated on every page, one page wide when the columns
    stay legible there (LEGIBLE_WIDTH), else as many pages wide as a legible scale needs
    (pages_wide) with the first column repeated. `wrap`: long-text columns (0-based) whose cells
    wrap (Rows.add and bulk rows)."""
    final = column_widths(widths, headers, wrap)
    for idx, width in enumerate(final, 1):
        ws.column_dimensions[get_column_letter(idx)].width = round(width, 2)
    pages = pages_wide(final)
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = pages
    ws.page_setup.fitToHeight = 0
    if pages > 1:                       # each row's pages side by side: across, then down
        ws.print_title_cols = "A:A"
        ws.page_setup.pageOrder = "overThenDown"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    if header_row is not None:
        ws.print_title_rows = f"{header_row}:{header_row}"
    elif title_rows:
        ws.print_title_rows = title_rows
    setattr(ws, WRAP_COLUMNS, frozenset(wrap))
    setattr(ws, WIDTHS, tuple(final))


def add_table(ws, name: str, headers: Sequence[str], first_row: int, n_rows: int) -> None:
    """An Excel table over headers + n_rows (at least one, possibly blank, data row)."""
    last_row = first_row + max(n_rows, 1)
    ref = f"A{first_row}:{get_column_letter(len(headers))}{last_row}"
    table = Table(displayName=name, ref=ref, tableStyleInfo=_TABLE_STYLE,
                  autoFilter=AutoFilter(ref=ref))
    table.tableColumns = [TableColumn(id=i, name=h) for i, h in enumerate(headers, 1)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "add table columns manually": done above
        ws.add_table(table)


class Rows:
    """Appends rows to a write-only sheet and remembers the row number. A bare count becomes a
    number cell in INT_FMT; text in the sheet's wrapped columns (layout_sheet) wraps, and the row
    is made tall enough for it."""

    def __init__(self, ws):
        self.ws = ws
        self.row = 0
        self.wrap = getattr(ws, WRAP_COLUMNS, frozenset())
        self.widths = getattr(ws, WIDTHS, ())

    def add(self, values: Iterable = ()) -> int:
        cells = [self._cell(k, value) for k, value in enumerate(values)]
        height = row_height((cell.value if isinstance(cell, Cell) else cell, self._width(k))
                            for k, cell in enumerate(cells) if k in self.wrap and cell is not None)
        if height:
            self.ws.row_dimensions[self.row + 1].height = height
            cells = [_on_top(self.ws, cell) for cell in cells]
        self.ws.append(cells)
        self.row += 1
        return self.row

    def header(self, names: Sequence[str]) -> int:
        """A table's header row (header_cells), two lines high when a header needs them."""
        lines = max((text_lines(name, self._width(k) - _FILTER_BUTTON + 1.5) for k, name in enumerate(names)),
                    default=1)
        if lines > 1:
            self.ws.row_dimensions[self.row + 1].height = min(lines, 2) * LINE_HEIGHT + 2     # bold, two lines
        return self.add(header_cells(self.ws, names))

    def _width(self, k: int) -> float:
        return self.widths[k] if k < len(self.widths) else 8.43

    def _cell(self, k: int, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return num_cell(self.ws, value, INT_FMT)
        if k in self.wrap:
            if isinstance(value, str):
                return text_cell(self.ws, value, alignment=WRAP)
            if isinstance(value, Cell) and value.data_type == "s" and not value.alignment.wrap_text:
                value.alignment = WRAP
        return value


def _on_top(ws, cell):
    """A cell of a tall row, aligned with the first line of the row's wrapped text."""
    if isinstance(cell, str):
        return text_cell(ws, cell, alignment=TOP)
    if isinstance(cell, Cell) and cell.alignment.vertical is None:
        cell.alignment = Alignment(horizontal=cell.alignment.horizontal, vertical="top",
                                   wrap_text=cell.alignment.wrap_text)
    return cell


# --- workbook plumbing ----------------------------------------------------------------------


def _generated_at(prov: Provenance) -> datetime:
    """provenance.generated_at as naive UTC (falls back to the audit date, then 1980-01-01)."""
    for text in (prov.generated_at, prov.audit_date):
        raw = text.strip()
        if raw.endswith(("Z", "z")):
            raw = raw[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            continue
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        if moment >= _EPOCH:
            return moment.replace(microsecond=0)
    return _EPOCH


def new_workbook(title: str, prov: Provenance) -> Workbook:
    wb = Workbook(write_only=True)
    moment = _generated_at(prov)
    props = wb.properties
    props.creator = "audits"
    props.lastModifiedBy = "audits"
    props.title = clean_text(title)
    props.created = moment
    props.modified = moment
    return wb


class _StableZip(zipfile.ZipFile):
    """A zip whose entries all carry one fixed timestamp and mode; `splices`: sheet XML rows
    (xlsx/bulk.py) to insert at the end of the sheetData of the named worksheet entries."""

    def __init__(self, file, date_time: tuple[int, int, int, int, int, int], splices: dict[str, str] | None = None):
        super().__init__(file, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self._date_time = date_time
        self._splices = splices or {}

    def _info(self, arcname: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(arcname, date_time=self._date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = self._info(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        name = arcname or os.path.basename(filename)
        info = self._info(name)
        with open(filename, "rb") as src, self.open(info, "w", force_zip64=True) as dst:
            if name in self._splices:
                dst.write(_spliced(src.read(), self._splices[name].encode("utf-8")))
            else:
                shutil.copyfileobj(src, dst, 1 << 20)


def _spliced(sheet: bytes, rows: bytes) -> bytes:
    """The worksheet XML with `rows` appended to its sheetData."""
    end = sheet.rfind(b"</sheetData>")
    if end >= 0:
        return sheet[:end] + rows + sheet[end:]
    empty = sheet.rfind(b"<sheetData/>")
    if empty < 0:
        raise ValueError("worksheet XML without sheetData: cannot add its rows")
    return sheet[:empty] + b"<sheetData>" + rows + b"</sheetData>" + sheet[empty + len(b"<sheetData/>"):]


def save_workbook(wb: Workbook, path: Path, prov: Provenance) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = _generated_at(prov).timetuple()[:6]
    # openpyxl names the k-th worksheet's entry sheet<k>.xml (ExcelWriter._write_worksheets)
    splices = {f"xl/worksheets/sheet{k}.xml": "".join(getattr(ws, BULK_ROWS))
               for k, ws in enumerate(wb.worksheets, 1) if getattr(ws, BULK_ROWS, None)}
    with atomic.writing(path) as staging, open(staging, "wb") as fh:
        ExcelWriter(wb, _StableZip(fh, stamp, splices)).save()  # not wb.save(): it stamps "now"
