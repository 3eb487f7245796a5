"""The cells of the report's CSV files (violations.csv, quarantine.csv, scores.csv): every CSV
under <out> is written and read back through here, so ids from input files (call_id, agent_id,
complaint_id, ...) are masked here, as free text is (privacy.mask_published_ids).

Formula safety (OWASP "CSV injection"): a spreadsheet opening a CSV runs a cell that starts
with = + - @ (or a tab or CR before them) as a formula, so `=HYPERLINK(...)` or
`+cmd|' /C calc'!A0` in an agent id or a note would run on an auditor's machine. Such a text
cell is written with a leading apostrophe, which spreadsheets read as "text follows". The
exceptions are text cells that cannot be a formula although they start with + or -: a plain
number (`-1.5`) and a masked phone as the audit writes it (`+86 138****5678`, the contract's
own example). Numeric columns are written as they are. Control characters other than tab and
line breaks (NUL above all) are written as their Unicode control pictures (NUL as U+2400).

Reading back (earlier scores for trends, the e-mail) drops the apostrophe again.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from audits.arrow_text import text_array
from audits.privacy import mask_published_ids

_FORMULA_PREFIXES = pa.array(["=", "+", "-", "@", "\t", "\r"])      # OWASP
_NOT_A_FORMULA = (r"^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"      # a number
                  r"|\+\d{1,3} [0-9*]+)$")                                  # a masked phone: +86 138****5678
_CONTROLS = [chr(code) for code in (*range(32), 0x7F) if chr(code) not in "\t\n\r"]
_ANY_CONTROL = "[" + "".join(f"\\x{ord(ch):02x}" for ch in _CONTROLS) + "]"
_NEUTRALISED = r"^'[=+\-@\t\r]"
_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """`frame` as UTF-8 CSV (LF line ends, no index), ids from input masked (privacy.PUBLISHED_IDS)
    and every text cell formula-safe."""
    formula_safe(mask_published_ids(booleans_as_words(frame))).to_csv(path, index=False, lineterminator="\n",
                                                                        encoding="utf-8")


def booleans_as_words(frame: pd.DataFrame) -> pd.DataFrame:
    """A shallow copy of `frame` with its boolean columns as the words true / false (blank for NA)."""
    names = [name for name, dtype in frame.dtypes.items() if pd.api.types.is_bool_dtype(dtype)]
    if not names:
        return frame
    out = frame.copy(deep=False)
    for name in names:
        values = frame[name].to_numpy(dtype=object, na_value=None)
        out[name] = pd.Series(np.where(values == True, "true", np.where(values == False, "false", "")),  # noqa: E712
                              index=frame.index, dtype=object)
    return out


def read_csv(path: Path, **options) -> pd.DataFrame:
    """A CSV written by write_csv, its neutralised text cells as they were."""
    frame = pd.read_csv(path, **options)
    for column in frame.columns:
        text = text_array(frame[column])
        if text is None:
            continue
        quoted = pc.fill_null(pc.match_substring_regex(text, _NEUTRALISED), False)
        if pc.any(quoted).as_py():
            restored = pc.if_else(quoted, pc.utf8_slice_codeunits(text, 1), text)
            frame[column] = pd.Series(pd.array(restored, dtype=_TEXT), index=frame.index)
    return frame


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A shallow copy of `frame` whose text cells a spreadsheet cannot run (module docstring).
    Arrow kernels over whole columns; only the rare cells that need it are rewritten."""
    out = frame.copy(deep=False)
    for column in frame.columns:
        text = text_array(frame[column])
        if text is None:
            continue
        controls = pc.fill_null(pc.match_substring_regex(text, _ANY_CONTROL), False)
        risky = pc.fill_null(pc.is_in(pc.utf8_slice_codeunits(text, 0, 1), value_set=_FORMULA_PREFIXES), False)
        if not pc.any(controls).as_py() and not pc.any(risky).as_py():
            continue
        if pc.any(controls).as_py():
            pictured = pc.filter(text, controls)
            for ch in _CONTROLS:
                pictured = pc.replace_substring(pictured, ch, chr(0x2400 + ord(ch) if ch != "\x7f" else 0x2421))
            text = pc.replace_with_mask(text, controls, pictured)
        risky = pc.and_(risky, pc.invert(pc.fill_null(pc.match_substring_regex(text, _NOT_A_FORMULA), False)))
        text = pc.if_else(risky, pc.binary_join_element_wise("'", text, ""), text)
        out[column] = pd.Series(pd.array(text, dtype=_TEXT), index=frame.index)
    return out
