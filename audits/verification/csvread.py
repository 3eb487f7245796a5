"""verify, reading a report's CSV back: the columns it needs, as text, with the cells the
report neutralised against spreadsheet formulas (a leading apostrophe) as the audit read them."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

_NEUTRALISED = re.compile(r"^'(?=[=+\-@\t\r])")        # a CSV cell kept from being read as a formula


def read_output_csv(path: Path, columns: tuple[str, ...], problems: list[str]) -> pd.DataFrame | None:
    """The columns of a report CSV as text (None, with a problem, when it cannot be read)."""
    label = f"output {path.name}"
    if not path.is_file():
        return None                                  # named by the output check
    try:
        frame = pd.read_csv(path, dtype="str", keep_default_na=False, usecols=lambda c: c in columns,
                            encoding="utf-8")
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        problems.append(f"{label}: not a readable CSV ({type(exc).__name__}).")
        return None
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        problems.append(f"{label}: column(s) {', '.join(absent)} absent.")
        return None
    for column in ("agency_id", "call_id"):
        if column in frame:
            frame[column] = frame[column].str.replace(_NEUTRALISED, "", regex=True)
    return frame
