"""The only code that reads landing files: CSV (UTF-8, UTF-8 BOM, GB18030; plain or .gz),
Parquet and, for reference tables, XLSX, as text (audits.values parses the contract's value
types).

A file is read as text first (every column a string, trimmed, blank = null) so that a bad
value is never lost: the raw text goes to quarantine, the typed column holds null.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from audits.config import DEFAULT_MAX_FILE_BYTES
from audits.errors import PermanentError
from audits.manifest import open_regular
from audits.models import AGENCY_ID, COLUMN_KINDS, DECISION_TABLES, REFERENCE_TABLES, TABLE_COLUMNS
from audits.privacy import column_names_for_message, mask_free_text

TEXT = pd.StringDtype("pyarrow", na_value=np.nan)   # pandas 3 "str": null is NaN
ROW = "row_number"                # 1-based data row number in its file (header not counted)
# Reference rows only: True where an XLSX cell of a contract column holds a formula whose value
# was never saved (the workbook was written by a program that does not compute formulas). The
# suites quarantine such a row (DQ_MISSING_FIELD): its value is unknown, not blank.
FORMULA_WITHOUT_VALUE = "formula_without_value"
EXTRA = "extra:"                  # prefix of a delivered column the contract does not know
CDR_SUFFIXES = (".csv", ".csv.gz", ".parquet")
REFERENCE_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".xlsx")
_SEPARATOR_HINT = re.compile(rb"\s*sep=.?\s*", re.IGNORECASE)   # Excel's "sep=," first line
_GZIP_CHUNK = 1 << 20


class FileUnreadable(PermanentError):
    """A file that cannot be parsed at all; the message names the file and what was expected.

    `rows` holds the file's rows as text when they could be read (a required column is
    absent) and `malformed` its lines with the wrong number of fields, so that each can be
    quarantined; rows is None when the file could not be parsed.
    """

    def __init__(self, message: str, rows: pd.DataFrame | None = None,
                 malformed: list[tuple[int, str]] | None = None):
        super().__init__(message)
        self.rows = rows
        self.malformed = malformed or []

    @property
    def rows_read(self) -> int:
        return (0 if self.rows is None else len(self.rows)) + len(self.malformed)


_KNOWN_NAMES = frozenset(c for required, optional in TABLE_COLUMNS.values() for c in required + optional)


def _error_text(exc: BaseException) -> str:
    """A library's error text as a message may show it: its first line, without the row text
    Arrow appends ("Expected 13 columns, got 5: <the row>") or the values libraries quote,
    numbers masked, at most 200 characters. File content never reaches a message whole."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    text = re.sub(r"(got \d+):.*", r"\1", text)
    text = re.sub(r"'[^']*'?|\"[^\"]*\"?", "'...'", text)
    return mask_free_text(text)[:200]


@dataclass
class RawTable:
    """A landing file read as text: one string column per contract column, plus ROW, plus each
    column the contract does not know (named EXTRA + its name, untouched, read only for the
    quarantine's `raw`); `delivered` names the file's own columns in the file's order."""

    path: Path
    frame: pd.DataFrame
    malformed: list[tuple[int, str]] = field(default_factory=list)   # (row_number, raw line)
    encoding: str = "utf-8"
    note: str = ""                 # what the file's owner must fix although the file was read
    delivered: tuple[str, ...] = ()

    @property
    def rows_read(self) -> int:
        return len(self.frame) + len(self.malformed)


# --- finding files ----------------------------------------------------------------------

def find_table_file(folder: Path, stem: str, suffixes: tuple[str, ...]) -> Path | None:
    """The file `<folder>/<stem><suffix>` for the first suffix that exists, the suffix in any
    case (`contracts.XLSX`), as agency files are found. A symbolic link of that name is found
    too, so that reading it is refused by name (read_table never follows a link)."""
    files = sorted(p for p in folder.iterdir() if p.is_file() or p.is_symlink()) if folder.is_dir() else []
    for suffix in suffixes:
        for path in files:
            if path.name[: len(stem)] == stem and path.name[len(stem):].lower() == suffix:
                return path
    return None


# The folders of the day's agency files, by kind: `<landing>/<kind>/<YYYY-MM-DD>/<agency_id>.<suffix>`
# (CDRs: data-contract.md §1; text messages: sms.md §1). Both kinds follow the same file rules.
DAY_FOLDER_KINDS = ("cdr", "sms")


@dataclass(frozen=True)
class DayFolder:
    """What `<landing>/<kind>/<day>/` holds, by name: each agency's file(s), and the rest."""

    files: dict[str, tuple[Path, ...]]     # agency_id -> its files by name (several: a conflict)
    strays: tuple[Path, ...]               # entries that are not <agency_id>.csv|.csv.gz|.parquet


def day_folder(landing: Path, kind: str, day: dt.date) -> Path:
    """`<landing>/<kind>/<YYYY-MM-DD>` for a kind of DAY_FOLDER_KINDS."""
    if kind not in DAY_FOLDER_KINDS:
        raise ValueError(f"unknown kind of day folder {kind!r}; expected one of {', '.join(DAY_FOLDER_KINDS)}")
    return landing / kind / day.isoformat()


def scan_day_folder(landing: Path, kind: str, day: dt.date) -> DayFolder:
    """Every entry of the day's folder of `kind` (cdr, sms), by name only. An entry named like an
    agency file is that agency's even when it is a directory or cannot be opened (staging finds
    it unreadable), and every other entry is a stray: nothing delivered goes unreported."""
    folder = day_folder(landing, kind, day)
    files: dict[str, list[Path]] = {}
    strays = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else ():
        agency_id = agency_of_file(path.name)
        if agency_id is None:
            strays.append(path)
        else:
            files.setdefault(agency_id, []).append(path)
    return DayFolder(files={a: tuple(paths) for a, paths in files.items()}, strays=tuple(strays))


def scan_cdr_folder(landing: Path, day: dt.date) -> DayFolder:
    """The day's CDR folder, `<landing>/cdr/<day>/` (scan_day_folder)."""
    return scan_day_folder(landing, "cdr", day)


def scan_sms_folder(landing: Path, day: dt.date) -> DayFolder:
    """The day's text-message folder, `<landing>/sms/<day>/` (scan_day_folder; may be absent)."""
    return scan_day_folder(landing, "sms", day)


def agency_of_file(name: str) -> str | None:
    """`AG01` for `AG01.csv`, `AG01.csv.gz` or `AG01.parquet` (the suffix in any case); None for
    a name that is not an agency id plus a known suffix (`X.aside.csv`, `.csv`, `notes.txt`)."""
    lower = name.lower()
    for suffix in sorted(CDR_SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix):
            stem = name[: -len(suffix)]
            return stem if AGENCY_ID.fullmatch(stem) else None
    return None


def list_cdr_files(landing: Path, day: dt.date) -> dict[str, Path]:
    """agency_id -> CDR file of the day (the first by name when an agency delivered several)."""
    return _first_files(scan_cdr_folder(landing, day))


def list_sms_files(landing: Path, day: dt.date) -> dict[str, Path]:
    """agency_id -> SMS file of the day (the first by name when an agency delivered several)."""
    return _first_files(scan_sms_folder(landing, day))


def _first_files(folder: DayFolder) -> dict[str, Path]:
    return {agency_id: paths[0] for agency_id, paths in folder.files.items()}


# --- reading text -----------------------------------------------------------------------

def read_table(path: Path, table: str, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> RawTable:
    """Read a landing file of `table` as text. Raises FileUnreadable with a clear message.

    `max_bytes` caps what one file may hold once decompressed (CSV text, Parquet's
    uncompressed pages, an XLSX's unzipped parts): a larger file is unreadable, and a
    compressed one is never inflated past the cap. A symbolic link is never followed (the
    file is opened with O_NOFOLLOW): it is unreadable, "is a link".
    """
    name = path.name.lower()
    note = ""
    try:
        handle = open_regular(path, follow_links=False)
    except OSError as exc:
        raise FileUnreadable(f"{path}: cannot be read ({exc.strerror or type(exc).__name__}); deliver it as a "
                             "regular file (not a link, folder or pipe) that the audit can read.") from None
    with handle:
        if name.endswith(".parquet"):
            frame, malformed, encoding = _read_parquet(handle, path, table, max_bytes), [], "parquet"
        elif name.endswith(".xlsx"):
            (frame, note), malformed, encoding = _read_xlsx(handle, path, table, max_bytes), [], "xlsx"
        else:
            frame, malformed, encoding = _read_csv(handle, path, max_bytes)
    known = set(TABLE_COLUMNS[table][0] + TABLE_COLUMNS[table][1])
    delivered = tuple(c if c in known else EXTRA + c for c in frame.columns if c not in (ROW, FORMULA_WITHOUT_VALUE))
    frame = _normalise_columns(frame, path, table, malformed)
    return RawTable(path=path, frame=frame, malformed=malformed, encoding=encoding, note=note, delivered=delivered)


def _column_keys(names: list[object], path: Path) -> list[str]:
    """Column names as the contract spells them: trimmed and case-folded. Two names that
    become one (`callee_number` and `Callee_Number `) make the file unreadable, as a name
    written twice does: which column holds the data cannot be known. A blank name gets a
    placeholder that is never a contract column."""
    keys = [str(name).strip().casefold() if isinstance(name, str) or pd.notna(name) else "" for name in names]
    keys = [key or f"(blank column {index})" for index, key in enumerate(keys, 1)]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        # Spellings of a contract column are shown as written; any other name may be a data
        # value (a headerless file), so it is shown only as column_names_for_message allows.
        spelled = "; ".join(
            " and ".join(repr(str(names[i])) for i, key in enumerate(keys) if key == name) if name in _KNOWN_NAMES
            else column_names_for_message([name], known=_KNOWN_NAMES, among=keys) for name in repeated)
        raise FileUnreadable("\n".join([
            f"{path}: the header names a column twice: {spelled}.",
            "Column names are compared trimmed and ignoring case: keep one column of each name and "
            "deliver the file again."]))
    return keys


def _too_large(path: Path, max_bytes: int, what: str) -> FileUnreadable:
    return FileUnreadable("\n".join([
        f"{path}: the file {what} more than {max_bytes:,} bytes, the limit for one landing file "
        "(AuditConfig.max_file_bytes; `run --max-file-gib`).",
        "A file this large is most likely damaged or hostile (a compression bomb); check it, and raise "
        "the limit only if it is genuine."]))


def _read_csv(handle, path: Path, max_bytes: int) -> tuple[pd.DataFrame, list[tuple[int, str]], str]:
    data = _read_bytes(handle, path, max_bytes)
    text, encoding = _decode(data, path)
    if not text or text.isspace():
        raise FileUnreadable(f"{path}: the file is empty; expected a header row and data rows.")
    if encoding == "gb18030":
        payload = text.encode("utf-8")
    else:                                          # already UTF-8: no second copy of the file
        payload = data[3:] if encoding == "utf-8-sig" else data
    del text, data
    first_end = _line_end(payload)
    if first_end <= 16 and _SEPARATOR_HINT.fullmatch(payload[:first_end]):
        # Excel's separator hint: the header is on line 2. The file is not audited (the
        # contract wants the header first, and the hint may name another separator), but its
        # rows are read and counted so that each is quarantined.
        hint = bytes(payload[:first_end]).decode("utf-8").strip()
        frame, malformed = _parse_csv_with_header(payload[first_end + 1:], path)
        raise FileUnreadable("\n".join([
            f"{path}: line 1 is a spreadsheet's separator hint ({hint!r}), not the header row.",
            "Delete that line so that the header comes first (data-contract.md §1) and deliver the file again."]),
            rows=frame, malformed=malformed)
    frame, malformed = _parse_csv_with_header(payload, path)
    return frame, malformed, encoding


def _line_end(payload: bytes | bytearray) -> int:
    """Offset of the first newline (the length when there is none)."""
    end = payload.find(b"\n")
    return len(payload) if end < 0 else end


def _parse_csv_with_header(payload: bytes | bytearray, path: Path) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """UTF-8 CSV whose first line is the header -> text frame with ROW, and malformed lines."""
    header_line = bytes(payload[:_line_end(payload)]).decode("utf-8").rstrip("\r")
    try:
        names = next(csv.reader([header_line]), [])
    except csv.Error as exc:                        # e.g. a first line over csv's field limit
        raise FileUnreadable("\n".join([
            f"{path}: line 1 cannot be read as a CSV header row ({exc}).",
            "Expected the column names on line 1 (data-contract.md §1); deliver the file again."])) from None
    header = _column_keys(names, path)
    # Parse with threads; a file with malformed lines is parsed again on one thread, where
    # Arrow can say which line each one was.
    table, malformed = _parse_csv(payload, header, path, threads=True)
    if malformed and any(number is None for number, _ in malformed):
        table, malformed = _parse_csv(payload, header, path, threads=False)
    frame = table.to_pandas(types_mapper={pa.string(): TEXT}.get)
    total = len(frame) + len(malformed)
    bad_rows = np.array([number for number, _ in malformed], dtype="int64")
    frame[ROW] = np.setdiff1d(np.arange(1, total + 1, dtype="int64"), bad_rows, assume_unique=True)
    return frame, sorted(malformed)


def _parse_csv(payload: bytes | bytearray, header: list[str], path: Path, *, threads: bool):
    """All columns as text; malformed lines as (data row number or None, masked text)."""
    malformed: list[tuple[int | None, str]] = []

    def on_invalid(row) -> str:
        malformed.append((None if row.number is None else int(row.number) - 1, mask_free_text(row.text)))
        return "skip"

    try:
        table = pa_csv.read_csv(
            pa.BufferReader(pa.py_buffer(payload)),
            read_options=pa_csv.ReadOptions(use_threads=threads, column_names=header, skip_rows=1,
                                            block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
            convert_options=pa_csv.ConvertOptions(column_types={h: pa.string() for h in header},
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, ValueError) as exc:
        raise FileUnreadable(f"{path}: not a readable CSV file ({_error_text(exc)}).") from None
    return table, malformed


def _read_bytes(handle, path: Path, max_bytes: int) -> bytes | bytearray:
    """The file's bytes (`handle`: the file opened), a .gz decompressed as a stream: never more
    than max_bytes in memory."""
    try:
        if not path.name.lower().endswith(".gz"):
            if os.fstat(handle.fileno()).st_size > max_bytes:
                raise _too_large(path, max_bytes, "holds")
            return handle.read()
        data = bytearray()
        with gzip.GzipFile(fileobj=handle) as stream:
            while chunk := stream.read(_GZIP_CHUNK):
                data += chunk
                if len(data) > max_bytes:
                    raise _too_large(path, max_bytes, "decompresses to")
        return data
    except (OSError, EOFError, zlib.error) as exc:
        raise FileUnreadable(f"{path}: cannot decompress or read the file ({_error_text(exc)}); "
                             "expected a complete gzip-compressed CSV.") from None


def _decode(data: bytes | bytearray, path: Path) -> tuple[str, str]:
    """UTF-8 (with or without BOM) first, GB18030 (Chinese Excel exports) second."""
    try:
        return data.decode("utf-8-sig"), ("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            line = data[: utf8_error.start].count(b"\n") + 1
            raise FileUnreadable(f"{path}: line {line} is neither UTF-8 nor GB18030 text; "
                                 "save the file as UTF-8 CSV.") from None


def _read_parquet(handle, path: Path, table: str, max_bytes: int) -> pd.DataFrame:
    try:
        parquet = pq.ParquetFile(handle)
        metadata = parquet.metadata
        if sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups)) > max_bytes:
            raise _too_large(path, max_bytes, "decompresses to")
        data = parquet.read()
    except (OSError, pa.ArrowException) as exc:
        raise FileUnreadable(f"{path}: not a readable Parquet file ({_error_text(exc)}).") from None
    keys = _column_keys(data.column_names, path)
    kinds = COLUMN_KINDS.get(table, {})
    frame = pd.DataFrame({key: _arrow_text(column, kinds.get(key)) for key, column in zip(keys, data.columns)})
    frame[ROW] = np.arange(1, len(frame) + 1, dtype="int64")
    return frame


def _arrow_text(column: pa.ChunkedArray, kind: str | None) -> pd.Series:
    """A Parquet column as text. Dates and times are cast by Arrow: a timestamp column keeps
    its time even at midnight (`2026-11-27 00:00:00` is a timestamp, not a date), and a date
    column takes a naive midnight as its date."""
    if pa.types.is_timestamp(column.type):
        text = pc.cast(column, pa.string())
        if kind == "date" and column.type.tz is None:
            midnight = pc.equal(pc.floor_temporal(column, unit="day"), column)
            text = pc.if_else(midnight, pc.cast(pc.cast(column, pa.date32()), pa.string()), text)
        return pd.Series(pd.array(text, dtype=TEXT))
    if pa.types.is_date(column.type) or pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return pd.Series(pd.array(pc.cast(column, pa.string()), dtype=TEXT))
    return _text_column(column.to_pandas(), kind)


def _read_xlsx(handle, path: Path, table: str, max_bytes: int) -> tuple[pd.DataFrame, str]:
    """The first sheet as text, its first row the header. Formulas are read as the values the
    workbook saved for them; a formula without a saved value keeps its formula text and flags
    its row (FORMULA_WITHOUT_VALUE), and the returned note says how to fix the workbook.
    (A formula whose saved value is empty text reads like one without a value, openpyxl giving
    None for both; it is flagged too: a contract cell computed as blank deserves a look.)"""
    try:
        with zipfile.ZipFile(handle) as archive:
            if sum(member.file_size for member in archive.infolist()) > max_bytes:
                raise _too_large(path, max_bytes, "decompresses to")
        handle.seek(0)
        values = pd.read_excel(handle, sheet_name=0, header=None, dtype=object, engine="openpyxl")
        handle.seek(0)
        formulas = pd.read_excel(handle, sheet_name=0, header=None, dtype=object, engine="openpyxl",
                                 engine_kwargs={"data_only": False})
    except FileUnreadable:
        raise
    except Exception as exc:  # zipfile and openpyxl raise many kinds for a broken workbook
        raise FileUnreadable(f"{path}: not a readable XLSX workbook "
                             f"({type(exc).__name__}: {_error_text(exc)}).") from None
    if formulas.empty:
        raise FileUnreadable(f"{path}: the first sheet is empty; expected a header row and data rows.")
    values = values.reindex(index=formulas.index, columns=formulas.columns)   # a trailing formula-only row
    keys = _column_keys(list(values.iloc[0]), path)
    kinds = COLUMN_KINDS.get(table, {})
    body, formula_body = values.iloc[1:].reset_index(drop=True), formulas.iloc[1:].reset_index(drop=True)
    frame = pd.DataFrame({key: _text_column(body[column], kinds.get(key)) for key, column in zip(keys, body.columns)})
    unsaved = body.isna() & formula_body.map(_is_formula).astype(bool)
    unsaved.columns = keys
    contract = [key for key in keys if key in TABLE_COLUMNS[table][0] + TABLE_COLUMNS[table][1]]
    cells = []
    for key in contract:
        rows = np.flatnonzero(unsaved[key].to_numpy())
        if len(rows):
            frame.loc[rows, key] = formula_body.iloc[rows, keys.index(key)].map(_formula_text).to_numpy()
            cells += [(row, keys.index(key)) for row in rows]
    frame[FORMULA_WITHOUT_VALUE] = unsaved[contract].any(axis=1).to_numpy()
    frame[ROW] = np.arange(1, len(frame) + 1, dtype="int64")
    return frame, _unsaved_formulas_note(path, sorted(cells))


def _is_formula(value: object) -> bool:
    return (isinstance(value, str) and value.startswith("=")) or type(value).__name__.endswith("Formula")


def _formula_text(value: object) -> str:
    return value if isinstance(value, str) else str(getattr(value, "text", "") or "=?")


def _unsaved_formulas_note(path: Path, cells: list[tuple[int, int]]) -> str:
    """What to do about formulas without saved values; cells as (0-based data row, column)."""
    if not cells:
        return ""
    names = [f"{_column_letters(column)}{row + 2}" for row, column in cells]
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return "\n".join([
        f"{path}: {len(names)} cell(s) hold a formula whose value was never saved ({shown}).",
        "The workbook must be saved by a spreadsheet program (Excel, LibreOffice Calc) so that each formula's "
        "value is stored; until then the rows of those cells are quarantined (DQ_MISSING_FIELD)."])


def _column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: a spreadsheet's column name."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _text_column(values: pd.Series, kind: str | None = None) -> pd.Series:
    """Any column as text; Excel/Parquet dates and datetimes become ISO strings. A naive
    midnight becomes a bare date, except in a timestamp column (`kind`, COLUMN_KINDS), where
    the time is kept: there midnight is a time like any other."""
    def as_text(value: object) -> object:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
            return None
        if isinstance(value, (pd.Timestamp, dt.datetime)):
            midnight = value.time() == dt.time(0) and value.tzinfo is None
            return value.date().isoformat() if midnight and kind != "timestamp" else value.isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    if values.dtype == object or not pd.api.types.is_string_dtype(values):
        values = values.map(as_text)
    return values.astype(TEXT)


def _normalise_columns(frame: pd.DataFrame, path: Path, table: str,
                       malformed: list[tuple[int, str]]) -> pd.DataFrame:
    required, optional = TABLE_COLUMNS[table]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        found = [c for c in frame.columns if c not in (ROW, FORMULA_WITHOUT_VALUE)]
        raise FileUnreadable(
            f"{path}: required column {', '.join(missing)} is absent. "
            f"Expected columns: {', '.join(required + optional)}; found: "
            f"{column_names_for_message(found, known=required + optional)}.", rows=frame[found + [ROW]],
            malformed=malformed)
    out = {}
    for column in required + optional:
        if column in frame.columns:
            out[column] = _trimmed_or_null(frame[column])
        else:
            out[column] = pd.Series(pd.NA, index=frame.index, dtype=TEXT)
    if table in REFERENCE_TABLES or table in DECISION_TABLES:
        flags = (frame[FORMULA_WITHOUT_VALUE].to_numpy(dtype=bool) if FORMULA_WITHOUT_VALUE in frame
                 else np.zeros(len(frame), dtype=bool))
        out[FORMULA_WITHOUT_VALUE] = pd.Series(flags, index=frame.index)
    out[ROW] = frame[ROW]
    for column in frame.columns:           # not in the contract: kept as delivered, for quarantine raw
        if column not in out:
            out[EXTRA + column] = frame[column]
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def _trimmed_or_null(values: pd.Series) -> pd.Series:
    """Trimmed text, blank = null; a column that needs neither is passed through uncopied."""
    array = pa.array(values)
    if not pa.types.is_string(array.type) and not pa.types.is_large_string(array.type):
        array = array.cast(pa.string())
    trimmed = pc.utf8_trim_whitespace(array)
    needs_trim = pc.sum(pc.binary_length(trimmed)).as_py() != pc.sum(pc.binary_length(array)).as_py()
    blank = pc.equal(trimmed, "")
    if pc.any(blank).as_py():
        trimmed = pc.if_else(blank, pa.scalar(None, trimmed.type), trimmed)
    elif not needs_trim:
        return values
    return pd.Series(pd.array(trimmed, dtype=TEXT), index=values.index)     # by position, not label
