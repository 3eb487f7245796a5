"""Regex extraction on text columns with Arrow's compute kernels (RE2, in C++), not per-row Python.

pandas' `Series.str.extract` falls back to a Python loop even on Arrow-backed strings; at ten
million calls a night that loop is the slowest part of parsing timestamps and phone numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

STRING = pa.string()
_TEXT = pd.StringDtype("pyarrow", na_value=float("nan"))
# White space as Python's str.isspace() knows it (RE2's \s is ASCII only: an ideographic or
# no-break space stayed in), dashes, dots and brackets.
_SEPARATORS = r"[\s\x{0B}\x{1C}-\x{1F}\x{85}\pZ\-().]"


def as_arrow_text(values: pd.Series) -> pa.Array:
    """A text column as one Arrow string array (any dtype converted to text first)."""
    return pa.array(values if isinstance(values.dtype, pd.StringDtype) else values.astype("str"), type=pa.string())


def text_array(values: pd.Series, type: pa.DataType = STRING) -> pa.Array | None:
    """A text column as one Arrow array, nulls kept (mixed objects as the text to_csv writes);
    None for a column that is not text."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    if not (pd.api.types.is_string_dtype(values) or pd.api.types.is_object_dtype(values)):
        return None
    try:
        text = pa.array(values, type=type, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        text = pa.array(values.map(lambda v: v if v is None or isinstance(v, str) or pd.isna(v) else str(v)),
                        type=type, from_pandas=True)
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text


def extract_groups(values: pd.Series, pattern: str) -> pd.DataFrame:
    """One text column per named group `(?P<name>…)` of `pattern`; null where it does not match
    (or where a group took no part in the match)."""
    array = pa.array(values if isinstance(values.dtype, pd.StringDtype) else values.astype("str"))
    matched = pc.extract_regex(array, pattern)
    hit = pc.is_valid(matched)
    columns = {}
    for index, field in enumerate(matched.type):
        column = pc.struct_field(matched, [index])
        column = pc.if_else(hit, column, pa.scalar(None, column.type))
        # Positional: the i-th match belongs to the i-th row of `values`, whatever its label
        # (a Series passed with index= would be reindexed by label; an array is taken as is).
        column = pc.if_else(pc.equal(column, ""), pa.scalar(None, column.type), column)
        columns[field.name] = pd.array(column, dtype=_TEXT)
    return pd.DataFrame(columns, index=values.index)


def strip_separators(values: pd.Series) -> pd.Series:
    """Remove white space, dashes, dots and brackets (how people write phone numbers)."""
    array = pa.array(values if isinstance(values.dtype, pd.StringDtype) else values.astype("str"))
    stripped = pc.replace_substring_regex(array, _SEPARATORS, "")
    return pd.Series(pd.array(stripped, dtype=_TEXT), index=values.index).astype(values.dtype)


def mask_digit_runs(values: pa.Array, *, joins: bytes, alone: bytes, shortest: int, keep: int) -> pa.Array:
    """Each run of `shortest` or more ASCII digits with all but its last `keep` digits as '*',
    over the UTF-8 bytes of a whole string column at once (numpy, no per-row Python).

    Two digits of a value are in one run when only bytes of `joins` stand between them, or a
    single byte of `alone` (`138 - 0013-8000`, `138,0013,8000`; not `138,,0013` nor `138, 0013`).
    Only ASCII bytes are read: a non-ASCII character ends a run (callers route such values elsewhere).
    """
    values = pc.cast(values, pa.large_string())
    validity, offsets_buffer, data_buffer = values.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[values.offset:values.offset + len(values) + 1]
    if data_buffer is None or offsets[-1] == offsets[0]:
        return values
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    classes = np.zeros(256, dtype=np.uint8)                # 0 other, 1 digit, 2 join, 3 alone
    classes[np.frombuffer(joins, dtype=np.uint8)] = 2
    classes[np.frombuffer(alone, dtype=np.uint8)] = 3
    classes[ord("0"):ord("9") + 1] = 1
    kind = classes[data[offsets[0]:offsets[-1]]]
    digits = np.flatnonzero(kind == 1)
    if digits.size < shortest:
        return values
    # Between two digits of one run: no other byte and no value boundary (counted as one), and
    # either no `alone` byte or that byte alone.
    breaks = (kind == 0).astype(np.int32)
    bounds = offsets[1:-1] - offsets[0]
    breaks[bounds[bounds < kind.size]] += 1                # empty values share an offset: one suffices
    breaks, alones = np.cumsum(breaks, dtype=np.int32), np.cumsum(kind == 3, dtype=np.int32)
    before, after = digits[:-1], digits[1:]
    joined = (breaks[after] == breaks[before]) & ((alones[after] == alones[before]) | (after - before == 2))
    starts = np.flatnonzero(np.concatenate([[True], ~joined]))
    ends = np.concatenate([starts[1:], [digits.size]])             # one past each run's last digit
    sizes = ends - starts
    hidden = (np.repeat(sizes, sizes) >= shortest) & (np.repeat(ends - 1, sizes) - np.arange(digits.size) >= keep)
    if not hidden.any():
        return values
    masked = data.copy()
    masked[offsets[0] + digits[hidden]] = ord("*")
    return pa.LargeStringArray.from_buffers(len(values), offsets_buffer, pa.py_buffer(masked), validity,
                                            values.null_count, values.offset)
