"""Written forms and file formats: timestamps, phone numbers, CSV (UTF-8, BOM, GB18030,
gzip), Parquet (all columns strings) and XLSX, each written to a temporary name and renamed.

Formatting is vectorised on fixed-width unicode code arrays (numpy views), CSV lines are
joined with pyarrow compute, so a million rows format in seconds.
"""

from __future__ import annotations

import gzip
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from audits import atomic

# Timestamp styles: (separator, precision, offset form). Precision: s, m(inutes) or ms.
TS_STYLES = (
    (" ", "s", ""), ("T", "s", ""), ("T", "m", ""), (" ", "ms", ""), ("T", "s", "colon"),
    ("T", "s", "compact"), (" ", "s", "hours"), ("T", "s", "Z"), ("T", "ms", "colon"),
)
# 13812345678 | +86 138 1234 5678 | 0086-138-1234-5678 | +8613812345678 | 138 1234 5678 | 138-1234-5678
CALLEE_FORMS = 6


def _const(text: str, n: int) -> np.ndarray:
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return np.broadcast_to(codes, (n, len(text)))


def _codes(values: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(values)
    return a.view(np.uint32).reshape(len(a), a.dtype.itemsize // 4)


def _join(parts: list[np.ndarray]) -> np.ndarray:
    codes = np.ascontiguousarray(np.concatenate(parts, axis=1))
    return codes.view(f"<U{codes.shape[1]}").ravel().astype(object)


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (48 + (values[:, None] // powers) % 10).astype(np.uint32)


def _offset_text(offset_s: int, form: str) -> str:
    if form == "Z":
        return "Z"
    sign = "+" if offset_s >= 0 else "-"
    hh, mm = divmod(abs(offset_s) // 60, 60)
    if form == "colon" or (form == "hours" and mm):
        return f"{sign}{hh:02d}:{mm:02d}"
    return f"{sign}{hh:02d}{mm:02d}" if form == "compact" else f"{sign}{hh:02d}"


def ts_strings(ms: np.ndarray, style: np.ndarray, offset_s: np.ndarray) -> np.ndarray:
    """Epoch milliseconds -> ISO 8601 text in the row's style; naive styles are local time at
    offset_s, offset styles carry that offset, 'Z' is UTC. ms < 0 -> ''."""
    out = np.full(len(ms), "", dtype=object)
    valid = ms >= 0
    for s in np.unique(style[valid]):
        sep, precision, form = TS_STYLES[int(s)]
        in_style = valid & (style == s)
        for off in np.unique(offset_s[in_style]):
            rows = np.flatnonzero(in_style & (offset_s == off))
            local = ms[rows] + (0 if form == "Z" else int(off) * 1000)
            base = np.datetime_as_string((local // 1000).astype("datetime64[s]"), unit="s")
            codes = _codes(base)[:, :19].copy()             # 'YYYY-MM-DDTHH:MM:SS'; years 1000-9999
            if sep == " ":
                codes[:, 10] = 32
            parts = [codes[:, :16] if precision == "m" else codes]
            if precision == "ms":
                parts += [_const(".", rows.size), _digits(local % 1000, 3)]
            if form:
                parts.append(_const(_offset_text(int(off), form), rows.size))
            out[rows] = _join(parts)
    return out


def callee_strings(national: np.ndarray, form: np.ndarray) -> np.ndarray:
    """11-digit CN mobile numbers in the written form of each row."""
    out = np.empty(len(national), dtype=object)
    for f in np.unique(form):
        rows = np.flatnonzero(form == f)
        d = _digits(national[rows].astype(np.int64), 11)
        a, b, c = d[:, :3], d[:, 3:7], d[:, 7:]
        n = rows.size
        space, dash = _const(" ", n), _const("-", n)
        parts = {0: [d], 1: [_const("+86 ", n), a, space, b, space, c],
                 2: [_const("0086-", n), a, dash, b, dash, c], 3: [_const("+86", n), d],
                 4: [a, space, b, space, c], 5: [a, dash, b, dash, c]}[int(f)]
        out[rows] = _join(parts)
    return out


def caller_forms(national: str) -> tuple[str, str, str, str]:
    """A CN fixed-line number ('02161234567') in four common written forms."""
    area = national[:4] if national.startswith("0755") else national[:3]
    local = national[len(area):]
    return (f"{area}-{local}", national, f"+86 {area[1:]} {local[:4]} {local[4:]}", f"+86{area[1:]}{local}")


# --- files -----------------------------------------------------------------------------

_NEEDS_QUOTES = '[,"\r\n]'


def _quoted(values: np.ndarray) -> pa.Array:
    arr = pa.array(values, type=pa.large_string())
    needs = pc.match_substring_regex(arr, _NEEDS_QUOTES)
    if not pc.any(needs).as_py():
        return arr
    quote = pa.scalar("\"", type=pa.large_string())
    quoted = pc.binary_join_element_wise(quote, pc.replace_substring(arr, "\"", "\"\""), quote,
                                         pa.scalar("", type=pa.large_string()))
    return pc.if_else(needs, quoted, arr)


def csv_field(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if re.search(_NEEDS_QUOTES, value) else value


def csv_bytes(header: list[str], columns: list[np.ndarray], *, newline: str = "\n",
              replace: dict[int, str] | None = None) -> bytes:
    """RFC 4180 CSV (quotes only where needed) as UTF-8; `replace` swaps whole data lines."""
    head = (",".join(csv_field(h) for h in header) + newline).encode("utf-8")
    if not columns or len(columns[0]) == 0:
        return head
    line = pc.binary_join_element_wise(*[_quoted(c) for c in columns], pa.scalar(",", type=pa.large_string()))
    if replace:
        mask = np.zeros(len(line), dtype=bool)
        keys = sorted(replace)
        mask[keys] = True
        lines = pa.array([replace[k] for k in keys], type=pa.large_string())
        line = pc.replace_with_mask(line, pa.array(mask), lines)
    line = pc.binary_join_element_wise(line, pa.scalar("", type=pa.large_string()),
                                       pa.scalar(newline, type=pa.large_string()))
    if isinstance(line, pa.ChunkedArray):
        line = pa.concat_arrays(line.chunks)
    offsets = np.frombuffer(line.buffers()[1], dtype=np.int64)[line.offset: line.offset + len(line) + 1]
    body = memoryview(line.buffers()[2])[int(offsets[0]): int(offsets[-1])]
    return head + bytes(body)


def encode_csv(data: bytes, fmt: str) -> bytes:
    if fmt == "gb18030":
        return data.decode("utf-8").encode("gb18030")
    if fmt == "bom":
        return b"\xef\xbb\xbf" + data
    if fmt == "csv.gz":
        return gzip.compress(data, compresslevel=6, mtime=0)
    return data


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a hidden temporary name in the same folder, then rename over the target."""
    atomic.write_bytes(path, data)


def parquet_bytes(header: list[str], columns: list[np.ndarray]) -> bytes:
    """All columns as (nullable) strings; a blank cell is null."""
    arrays = [pa.array(c, type=pa.string(), mask=(np.asarray(c, dtype=object) == "")) for c in columns]
    sink = io.BytesIO()
    pq.write_table(pa.table(dict(zip(header, arrays))), sink, compression="snappy")
    return sink.getvalue()


def xlsx_bytes(frame: pd.DataFrame, *, sheet: str, stamp: str) -> bytes:
    """A one-sheet workbook (cells as text). Zip entry times and document properties are pinned
    to `stamp` (ISO date) so that the same inputs give the same bytes."""
    raw = io.BytesIO()
    frame.to_excel(raw, index=False, sheet_name=sheet)
    fixed = io.BytesIO()
    when = tuple(int(x) for x in stamp.split("-")) + (0, 0, 0)
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, \
            zipfile.ZipFile(fixed, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", f"{stamp}T00:00:00Z".encode(), data)
            entry = zipfile.ZipInfo(info.filename, date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, data)
    return fixed.getvalue()
