"""Cases as plain-text tables for a terminal (already masked: subjects are shown as the
register holds them, never a full number)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from audits.models import RULES_BY_ID

_REGISTER = (("case_id", "CASE"), ("agency_id", "AGENCY"), ("severity", "SEVERITY"), ("status", "STATUS"),
             ("decision", "DECISION"),
             ("rule_id", "RULE"), ("subject_display", "SUBJECT"), ("first_seen", "FIRST SEEN"),
             ("last_seen", "LAST SEEN"), ("days_open", "DAYS"), ("findings_today", "TODAY"),
             ("findings_episode", "EPISODE"))
_HISTORY = (("day", "DAY"), ("status", "STATUS"), ("episode", "EPISODE"), ("first_seen", "FIRST SEEN"),
            ("findings_today", "FINDINGS"), ("calls_today", "CALLS"), ("findings_episode", "IN EPISODE"),
            ("last_call", "LAST FINDING"), ("decision", "DECISION"), ("decided_by", "DECIDED IN"))


def register_table(register: pd.DataFrame, day: dt.date) -> str:
    counts = register["status"].value_counts()
    head = f"Cases on {day}: {len(register)}" + "".join(f", {counts[s]} {s}" for s in
                                                         ("new", "reopened", "open", "quiet", "resolved") if s in counts)
    return head + "\n\n" + _table(register, _REGISTER)


def history_table(history: pd.DataFrame) -> str:
    last = history.iloc[-1]
    info = RULES_BY_ID[last["rule_id"]]
    lines = [f"Case {last['case_id']}: {info.title}",
             f"  agency {last['agency_id']}, {last['subject_kind']} {last['subject_display']}",
             f"  rule {info.rule_id} ({info.family.value}, {info.severity.value})",
             "  decisions: " + _decisions_line(history), ""]
    shown = history.assign(decided_by=(history["exception_id"] + " " + history["dispute_id"]).str.strip(),
                           last_call=history["last_call"].fillna("").astype(str).str.replace("T", " ").str[:16],
                           findings_today=history["findings_today"].where(history["findings_today"] > 0, "-"))
    return "\n".join(lines) + "\n" + _table(shown, _HISTORY)


def _decisions_line(history: pd.DataFrame) -> str:
    """The exceptions and disputes that ever covered the case, by id, or 'none'."""
    ids = [i for column in ("exception_id", "dispute_id") for i in dict.fromkeys(history[column]) if i]
    return ", ".join(ids) + " (per day below)" if ids else "none recorded"


def _table(frame: pd.DataFrame, columns: tuple[tuple[str, str], ...]) -> str:
    cells = [[title for _, title in columns]]
    for row in frame[[name for name, _ in columns]].itertuples(index=False):
        cells.append(["" if pd.isna(value) else str(value) for value in row])
    widths = [max(len(line[k]) for line in cells) for k in range(len(columns))]
    return "\n".join("  ".join(text.ljust(width) for text, width in zip(line, widths)).rstrip() for line in cells)
