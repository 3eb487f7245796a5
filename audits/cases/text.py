"""Cases as plain-text tables for a terminal (already masked: subjects are shown as the
register holds them, never a full number). Every cell goes through `terminal_text`: an agent id
or campaign id comes from an agency's file, and a control character in it must not reach the
terminal as one (a screen clear, a window title, a bidi override)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from audits.models import RULES_BY_ID, open_cases_text

_REGISTER = (("case_id", "CASE"), ("agency_id", "AGENCY"), ("severity", "SEVERITY"), ("status", "STATUS"),
             ("decision", "DECISION"),
             ("rule_id", "RULE"), ("subject_display", "SUBJECT"), ("first_seen", "FIRST SEEN"),
             ("last_seen", "LAST SEEN"), ("days_open", "DAYS"), ("findings_today", "TODAY"),
             ("findings_episode", "EPISODE"), ("summary", "SUMMARY"))
_HISTORY = (("day", "DAY"), ("status", "STATUS"), ("episode", "EPISODE"), ("first_seen", "FIRST SEEN"),
            ("findings_today", "FINDINGS"), ("calls_today", "CONTACTS"), ("findings_episode", "IN EPISODE"),
            ("last_call", "LAST FINDING"), ("decision", "DECISION"), ("decided_by", "DECIDED IN"))


def register_table(register: pd.DataFrame, day: dt.date) -> str:
    """'Cases on D: N shown; M open (not resolved: …); K resolved today', then the table."""
    head = f"Cases on {day}: {len(register):,} shown; {open_cases_text(register['status'])}"
    return head + "\n\n" + _table(register, _REGISTER)


def terminal_text(value: str) -> str:
    """`value` with every control or format character (C0, C1, DEL, bidi overrides) written
    as its escape (\\x1b, \\u202e): safe to print to a terminal."""
    if value.isprintable():
        return value
    return "".join(ch if ch.isprintable() or ch == " " else
                   (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}") for ch in value)


def terminal_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with terminal_text applied to its text cells."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_object_dtype(out[column]) or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(lambda v: terminal_text(v) if isinstance(v, str) else v)
    return out


def history_table(history: pd.DataFrame) -> str:
    last = history.iloc[-1]
    info = RULES_BY_ID[last["rule_id"]]
    lines = [f"Case {terminal_text(str(last['case_id']))}: {info.title}",
             f"  agency {terminal_text(str(last['agency_id']))}, {last['subject_kind']} "
             f"{terminal_text(str(last['subject_display']))}",
             f"  rule {info.rule_id} ({info.family.value}, {info.severity.value})",
             "  decisions: " + _decisions_line(history), ""]
    shown = history.assign(decided_by=(history["exception_id"] + " " + history["dispute_id"]).str.strip(),
                           last_call=history["last_call"].fillna("").astype(str).str.replace("T", " ").str[:16],
                           findings_today=history["findings_today"].where(history["findings_today"] > 0, "-"))
    return "\n".join(lines) + "\n" + _table(shown, _HISTORY)


def _decisions_line(history: pd.DataFrame) -> str:
    """The exceptions and disputes that ever covered the case, by id, or 'none'."""
    ids = [i for column in ("exception_id", "dispute_id") for i in dict.fromkeys(history[column]) if i]
    return terminal_text(", ".join(ids)) + " (per day below)" if ids else "none recorded"


def _table(frame: pd.DataFrame, columns: tuple[tuple[str, str], ...]) -> str:
    cells = [[title for _, title in columns]]
    for row in frame[[name for name, _ in columns]].itertuples(index=False):
        cells.append(["" if pd.isna(value) else terminal_text(str(value)) for value in row])
    widths = [max(len(line[k]) for line in cells) for k in range(len(columns))]
    return "\n".join("  ".join(text.ljust(width) for text, width in zip(line, widths)).rstrip() for line in cells)
