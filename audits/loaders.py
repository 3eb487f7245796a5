"""The only code that reads landing files: CSV (UTF-8, UTF-8 BOM, GB18030; plain or .gz),
Parquet and, for contracts, XLSX. It also parses the contract's value types (dates,
timestamps, phone numbers, lists) into typed columns next to the raw text.

A file is read as text first (every column a string, trimmed, blank = null) so that a bad
value is never lost: the raw text goes to quarantine, the typed column holds null.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from audits.arrowtext import as_arrow_text, extract_groups
from audits.models import TABLE_COLUMNS
from audits.privacy import column_names_for_message, mask_free_text

TEXT = pd.StringDtype("pyarrow", na_value=np.nan)   # pandas 3 "str": null is NaN
ROW = "row_number"                # 1-based data row number in its file (header not counted)
EXTRA = "extra:"                  # prefix of a delivered column the contract does not know
CDR_SUFFIXES = (".csv", ".csv.gz", ".parquet")
REFERENCE_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".xlsx")


class FileUnreadable(Exception):
    """A file that cannot be parsed at all; the message names the file and what was expected.

    `rows` holds the file's rows as text when they could be read (a required column is
    absent), so that each can be quarantined; None when the file could not be parsed.
    """

    def __init__(self, message: str, rows: pd.DataFrame | None = None):
        super().__init__(message)
        self.rows = rows


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
    delivered: tuple[str, ...] = ()

    @property
    def rows_read(self) -> int:
        return len(self.frame) + len(self.malformed)


# --- finding files ----------------------------------------------------------------------

def find_table_file(folder: Path, stem: str, suffixes: tuple[str, ...]) -> Path | None:
    """The file `<folder>/<stem><suffix>` for the first suffix that exists."""
    for suffix in suffixes:
        candidate = folder / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def list_cdr_files(landing: Path, day: dt.date) -> dict[str, Path]:
    """agency_id -> CDR file of the day (one per agency; .csv before .csv.gz before .parquet)."""
    folder = landing / "cdr" / day.isoformat()
    if not folder.is_dir():
        return {}
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        for suffix in CDR_SUFFIXES:
            if path.name.endswith(suffix) and path.is_file():
                found.setdefault(path.name[: -len(suffix)], path)
                break
    return found


# --- reading text -----------------------------------------------------------------------

def read_table(path: Path, table: str) -> RawTable:
    """Read a landing file of `table` as text. Raises FileUnreadable with a clear message."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        frame, malformed, encoding = _read_parquet(path), [], "parquet"
    elif name.endswith(".xlsx"):
        frame, malformed, encoding = _read_xlsx(path), [], "xlsx"
    else:
        frame, malformed, encoding = _read_csv(path)
    known = set(TABLE_COLUMNS[table][0] + TABLE_COLUMNS[table][1])
    delivered = tuple(c if c in known else EXTRA + c for c in frame.columns if c != ROW)
    frame = _normalise_columns(frame, path, table)
    return RawTable(path=path, frame=frame, malformed=malformed, encoding=encoding, delivered=delivered)


def _read_csv(path: Path) -> tuple[pd.DataFrame, list[tuple[int, str]], str]:
    data = _read_bytes(path)
    text, encoding = _decode(data, path)
    if not text or text.isspace():
        raise FileUnreadable(f"{path}: the file is empty; expected a header row and data rows.")
    header_line = text[:text.find("\n")].rstrip("\r") if "\n" in text[:65536] else text.splitlines()[0]
    header = [h.strip().lower() for h in next(csv.reader([header_line]))]
    if len(set(header)) != len(header):
        duplicated = sorted({h for h in header if header.count(h) > 1})
        names = column_names_for_message(duplicated, known=_KNOWN_NAMES, among=header)
        raise FileUnreadable(f"{path}: header names a column twice: {names}.")
    if encoding == "gb18030":
        payload = text.encode("utf-8")
    else:                                          # already UTF-8: no second copy of the file
        payload = data[3:] if encoding == "utf-8-sig" else data
    del text
    # Parse with threads; a file with malformed lines is parsed again on one thread, where
    # Arrow can say which line each one was.
    table, malformed = _parse_csv(payload, header, path, threads=True)
    if malformed and any(number is None for number, _ in malformed):
        table, malformed = _parse_csv(payload, header, path, threads=False)
    frame = table.to_pandas(types_mapper={pa.string(): TEXT}.get)
    total = len(frame) + len(malformed)
    bad_rows = np.array([number for number, _ in malformed], dtype="int64")
    frame[ROW] = np.setdiff1d(np.arange(1, total + 1, dtype="int64"), bad_rows, assume_unique=True)
    return frame, sorted(malformed), encoding


def _parse_csv(payload: bytes, header: list[str], path: Path, *, threads: bool):
    """All columns as text; malformed lines as (data row number or None, masked text)."""
    malformed: list[tuple[int | None, str]] = []

    def on_invalid(row) -> str:
        malformed.append((None if row.number is None else int(row.number) - 1, mask_free_text(row.text)))
        return "skip"

    try:
        table = pa_csv.read_csv(
            io.BytesIO(payload),
            read_options=pa_csv.ReadOptions(use_threads=threads, column_names=header, skip_rows=1,
                                            block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
            convert_options=pa_csv.ConvertOptions(column_types={h: pa.string() for h in header},
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, ValueError) as exc:
        raise FileUnreadable(f"{path}: not a readable CSV file ({_error_text(exc)}).") from None
    return table, malformed


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
        if path.name.lower().endswith(".gz"):
            data = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise FileUnreadable(f"{path}: cannot decompress or read the file ({_error_text(exc)}); "
                             "expected a complete gzip-compressed CSV.") from None
    return data


def _decode(data: bytes, path: Path) -> tuple[str, str]:
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


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise FileUnreadable(f"{path}: not a readable Parquet file ({_error_text(exc)}).") from None
    frame = pd.DataFrame({
        name.strip().lower(): _text_column(column.to_pandas())
        for name, column in zip(table.column_names, table.columns)
    })
    frame[ROW] = np.arange(1, len(frame) + 1, dtype="int64")
    return frame


def _read_xlsx(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_excel(path, sheet_name=0, dtype=object, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise FileUnreadable(f"{path}: not a readable XLSX workbook "
                             f"({type(exc).__name__}: {_error_text(exc)}).") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    frame = pd.DataFrame({c: _text_column(frame[c]) for c in frame.columns})
    frame[ROW] = np.arange(1, len(frame) + 1, dtype="int64")
    return frame


def _text_column(values: pd.Series) -> pd.Series:
    """Any column as text; Excel/Parquet dates and datetimes become ISO strings."""
    def as_text(value: object) -> object:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
            return None
        if isinstance(value, (pd.Timestamp, dt.datetime)):
            return value.date().isoformat() if value.time() == dt.time(0) and value.tzinfo is None \
                else value.isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    if values.dtype == object or not pd.api.types.is_string_dtype(values):
        values = values.map(as_text)
    return values.astype(TEXT)


def _normalise_columns(frame: pd.DataFrame, path: Path, table: str) -> pd.DataFrame:
    required, optional = TABLE_COLUMNS[table]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise FileUnreadable(
            f"{path}: required column {', '.join(missing)} is absent. "
            f"Expected columns: {', '.join(required + optional)}; found: "
            f"{column_names_for_message([c for c in frame.columns if c != ROW], known=required + optional)}.",
            rows=frame)
    out = {}
    for column in required + optional:
        if column in frame.columns:
            out[column] = _trimmed_or_null(frame[column])
        else:
            out[column] = pd.Series(pd.NA, index=frame.index, dtype=TEXT)
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
    return pd.Series(trimmed, index=values.index, dtype=TEXT)


# --- typed values -----------------------------------------------------------------------

_TIMESTAMP = (r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)"
              r"(?:(?P<zulu>Z)|(?P<sign>[+-])(?P<hours>\d{2})(?::?(?P<minutes>\d{2}))?)?$")


def parse_dates(values: pd.Series) -> pd.Series:
    """'YYYY-MM-DD' -> datetime64 (midnight, naive); anything else -> NaT."""
    return pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")


# The shapes nearly every file uses, in ranges Arrow's ISO 8601 cast and the general path
# agree on; such text is cast by Arrow (C++) instead of split by regex and parsed by pandas.
_PLAIN = r"^\d{4}-\d{2}-\d{2}[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?"
_PLAIN_NAIVE = _PLAIN + "$"
_PLAIN_OFFSET = _PLAIN + r"(?:Z|[+-](?:0\d|1[0-4])(?::?[0-5]\d)?)$"


def parse_timestamps(values: pd.Series, local_zone: str | pd.Series) -> pd.Series:
    """ISO 8601 text -> UTC instants. Text without an offset is local time in `local_zone`
    (one IANA name, or one per row). Unparseable text, or a zone that is not IANA -> NaT.

    A local time that falls in a daylight-saving gap moves forward; an ambiguous one takes
    the first (daylight) occurrence.

    The common shapes are cast by Arrow; the rest (and any batch Arrow refuses, e.g. 30
    February) take the general path, so both give the same instants (tests/test_loaders.py).
    """
    array = as_arrow_text(values)
    zones = local_zone if isinstance(local_zone, pd.Series) else pd.Series(local_zone, index=values.index)
    utc = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")      # naive numpy: no per-row boxing
    general = pc.fill_null(pc.invert(pc.is_null(array)), False).to_numpy(zero_copy_only=False).copy()
    for pattern, target in ((_PLAIN_NAIVE, pa.timestamp("ns")), (_PLAIN_OFFSET, pa.timestamp("ns", "UTC"))):
        rows = pc.fill_null(pc.match_substring_regex(array, pattern), False).to_numpy(zero_copy_only=False)
        if not rows.any():
            continue
        try:
            instants = pc.cast(pc.filter(array, pa.array(rows)), target)
        except pa.ArrowInvalid:
            continue                                           # left to the general path
        general &= ~rows
        naive = pc.cast(instants, pa.timestamp("ns")).to_numpy(zero_copy_only=False)    # UTC when it had a zone
        if target.tz is not None:
            utc[rows] = naive
        else:
            utc[rows] = _as_naive_utc(_localised(pd.Series(naive, index=values.index[rows]), zones[rows]))
    if general.any():
        utc[general] = _as_naive_utc(_parse_generally(values[general], zones[general]))
    return pd.Series(utc, index=values.index).dt.tz_localize("UTC")


def _as_naive_utc(instants: pd.Series) -> np.ndarray:
    return instants.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()


def _localised(local: pd.Series, zones: pd.Series) -> pd.Series:
    """Naive local times in their zones (per row) -> UTC; NaT where the zone is not IANA."""
    result = pd.Series(pd.NaT, index=local.index, dtype="datetime64[ns, UTC]")
    known = local.notna()
    for zone in zones[known].dropna().unique():
        rows = known & (zones == zone)
        if not is_timezone(zone):
            continue
        localized = local[rows].dt.tz_localize(zone, ambiguous=np.ones(int(rows.sum()), dtype=bool),
                                               nonexistent="shift_forward")
        result[rows] = localized.dt.tz_convert("UTC")
    return result


def _parse_generally(values: pd.Series, zones: pd.Series) -> pd.Series:
    """parse_timestamps for any text: split by regex, parsed by pandas."""
    parts = extract_groups(values, _TIMESTAMP)
    local = pd.to_datetime(parts["date"] + " " + parts["time"].str.replace(",", ".", regex=False),
                           format="ISO8601", errors="coerce")
    has_offset = parts["zulu"].notna() | parts["sign"].notna()
    sign = parts["sign"].map({"+": 1, "-": -1}).astype("float64")
    offset_minutes = (sign * (parts["hours"].astype("float64") * 60
                              + parts["minutes"].fillna("0").astype("float64"))).where(parts["sign"].notna(), 0.0)
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    with_offset = has_offset & local.notna()
    result[with_offset] = (local[with_offset] - pd.to_timedelta(offset_minutes[with_offset], unit="min")
                           ).dt.tz_localize("UTC")
    naive = ~has_offset & local.notna()
    result[naive] = _localised(local[naive], zones[naive])
    return result


_ZONES = frozenset(available_timezones())


def is_timezone(name: object) -> bool:
    """True for an IANA zone name known to this machine's tz database."""
    return isinstance(name, str) and name in _ZONES and _loads(name)


def _loads(name: str) -> bool:
    try:
        ZoneInfo(name)
        return True
    except Exception:
        return False


def parse_lists(values: pd.Series, *, lower: bool = True) -> pd.Series:
    """'a; b;c' -> frozenset({'a','b','c'}); blank -> empty frozenset."""
    def split(text: object) -> frozenset[str]:
        if not isinstance(text, str):
            return frozenset()
        items = (item.strip() for item in text.split(";"))
        return frozenset((item.lower() if lower else item) for item in items if item)
    return values.map(split).astype(object)
