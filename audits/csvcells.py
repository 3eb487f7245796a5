"""The cells of the report's CSV files (violations.csv, quarantine.csv, scores.csv): every CSV
under <out> is written and read back through here.

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

import pandas as pd

_FORMULA_PREFIX = r"[=+\-@\t\r]"           # = + - @ tab CR (OWASP)
_STARTS_LIKE_A_FORMULA = "^" + _FORMULA_PREFIX
_NOT_A_FORMULA = (r"^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"      # a number
                  r"|\+\d{1,3} [0-9*]+)$")                                  # a masked phone: +86 138****5678
_CONTROLS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_CONTROL_PICTURES = {code: 0x2400 + code for code in range(32) if chr(code) not in "\t\n\r"} | {0x7F: 0x2421}
_NEUTRALISED = "^'" + _FORMULA_PREFIX


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """`frame` as UTF-8 CSV (LF line ends, no index), every text cell formula-safe."""
    formula_safe(frame).to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def read_csv(path: Path, **options) -> pd.DataFrame:
    """A CSV written by write_csv, its neutralised text cells as they were."""
    frame = pd.read_csv(path, **options)
    for column in _text_columns(frame):
        values = frame[column]
        quoted = values.str.contains(_NEUTRALISED, regex=True).fillna(False).astype(bool)
        if quoted.any():
            frame[column] = values.where(~quoted, values.str.slice(1))
    return frame


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A shallow copy of `frame` whose text cells a spreadsheet cannot run (module docstring)."""
    out = frame.copy(deep=False)
    for column in _text_columns(frame):
        values = frame[column]
        controls = values.str.contains(_CONTROLS, regex=True).fillna(False).astype(bool)
        if controls.any():
            values = values.where(~controls, values.str.translate(_CONTROL_PICTURES))
        risky = (values.str.contains(_STARTS_LIKE_A_FORMULA, regex=True).fillna(False).astype(bool)
                 & ~values.str.contains(_NOT_A_FORMULA, regex=True).fillna(False).astype(bool))
        if risky.any():
            values = values.where(~risky, "'" + values)
        if values is not frame[column]:
            out[column] = values
    return out


def _text_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns
            if pd.api.types.is_string_dtype(frame[c]) or pd.api.types.is_object_dtype(frame[c])]
