"""The small vocabulary every rendered value is spelled in.

Number formats, percentages, arrows, colour classes, labels and file names shared by the
scorecard page, the index page and the workbooks. Colour classes are chosen from fixed
tables, never built from input text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from audits.models import NOT_ASSESSED

EVIDENCE_LIMIT = 50
DASH = "\u2014"
MINUS = "\u2212"

FAMILY_LABELS = {
    "confidentiality": "Confidentiality",
    "frequency": "Frequency",
    "qualification": "Qualification",
    "data_quality": "Data quality",
}
SEVERITY_CLASSES = {"critical": "sev-critical", "major": "sev-major", "minor": "sev-minor"}
GRADE_CLASSES = {"A": "grade-a", "B": "grade-b", "C": "grade-c", "D": "grade-d", "F": "grade-f"}
FILE_STATUS = {
    "ok": ("OK", "status-ok"),
    "missing": ("File missing", "status-bad"),
    "unreadable": ("File unreadable", "status-bad"),
}
DQ_DESCRIPTIONS = {
    "DQ_MISSING_FIELD": "A required column is blank",
    "DQ_BAD_TIMESTAMP": "A timestamp or time zone cannot be read",
    "DQ_TIME_ORDER": "End before start, or answer outside start..end",
    "DQ_BAD_PHONE": "A phone number is not a valid number",
    "DQ_BAD_ENUM": "Disposition or outcome outside its set",
    "DQ_DUPLICATE_CALL_ID": "A call_id already seen in the same file",
    "DQ_AGENCY_MISMATCH": "The row's agency differs from the file's agency",
    "DQ_OUT_OF_DAY": "The call date is not the audit date",
    "DQ_MALFORMED_ROW": "A CSV line with the wrong number of fields",
    "DQ_FILE_MISSING": "The agency delivered no file",
    "DQ_FILE_UNREADABLE": "The file could not be read",
}
# An absolute path (POSIX, or a Windows drive) inside a message: at least one folder, then a name.
_ABSOLUTE_PATH = re.compile(r"(?<![\w.~:/\\])(?:[A-Za-z]:)?[/\\](?:[^\s/\\'\"():;,]+[/\\])+[^\s/\\'\"():;,]*")
_LANDING_FOLDERS = ("cdr", "reference", "complaints")
_CJK = re.compile("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\U00020000-\U0002fa1f]")


# --- small formatters -------------------------------------------------------------------


def fmt_int(value: int) -> str:
    return f"{value:,}"


def fmt_score(value: float | None) -> str:
    return DASH if value is None or not math.isfinite(value) else f"{value:.1f}"


def fmt_rate(value: float | None) -> str:
    return DASH if value is None or not math.isfinite(value) else f"{value * 100:.2f}%"


def fmt_weight(value: float) -> str:
    return f"{value:.2f}"


def family_label(family: str) -> str:
    return FAMILY_LABELS.get(family, family.replace("_", " ").capitalize())


def lang_of(text: str) -> str:
    """The language tag for a display name: Chinese names get `zh` so screen readers cope."""
    return "zh" if _CJK.search(text) else ""


def without_server_paths(text: str) -> str:
    """A message with every absolute path shortened to what lies under the landing zone
    (`cdr/2026-11-30/AG03.parquet`), or to its file name: pages never show the server's folders."""
    def shorten(match: re.Match) -> str:
        parts = re.split(r"[/\\]", match.group(0))
        for k in range(len(parts) - 2, -1, -1):
            if parts[k] in _LANDING_FOLDERS:
                return "/".join(parts[k:])
        return parts[-1] or parts[-2]
    return _ABSOLUTE_PATH.sub(shorten, text)


def parse_timestamp(value: str) -> datetime | None:
    """ISO 8601 with offset -> naive wall-clock time of that offset (None when unreadable)."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        return None


# --- pills and changes ------------------------------------------------------------------


@dataclass(frozen=True)
class Pill:
    text: str
    css: str


@dataclass(frozen=True)
class Change:
    label: str        # "vs previous day"
    arrow: str        # ▲ ▼ → or ""
    text: str         # "+2.1" / "−3.4" / "0.0" / "—"
    css: str          # change-up | change-down | change-flat | change-none
    spoken: str       # "up 2.1 points vs previous day"
    value: float | None


def grade_pill(grade: str) -> Pill:
    if grade in GRADE_CLASSES:
        return Pill(grade, GRADE_CLASSES[grade])
    return Pill(NOT_ASSESSED if grade in ("", "n/a") else grade, "grade-na")


def severity_pill(severity: str) -> Pill:
    return Pill(severity, SEVERITY_CLASSES.get(severity, "sev-other"))


def status_pill(status: str) -> Pill:
    text, css = FILE_STATUS.get(status, (status, "status-bad"))
    return Pill(text, css)


def change_of(value: float | None, label: str) -> Change:
    if value is None or not math.isfinite(value):
        return Change(label, "", DASH, "change-none", f"no earlier score to compare {label}", None)
    if abs(value) < 0.05:
        return Change(label, "\u2192", "0.0", "change-flat", f"unchanged {label}", value)
    if value > 0:
        return Change(label, "\u25b2", f"+{value:.1f}", "change-up",
                      f"up {value:.1f} points {label}", value)
    return Change(label, "\u25bc", f"{MINUS}{abs(value):.1f}", "change-down",
                  f"down {abs(value):.1f} points {label}", value)
