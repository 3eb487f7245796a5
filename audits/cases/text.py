"""Cases as plain-text tables for a terminal (already masked: subjects are shown as the
register holds them, never a full number)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from audits.models import RULES_BY_ID

_REGISTER = (("case_id", "CASE"), ("agency_id", "AGENCY"), ("severity", "SEVERITY"), ("status", "STATUS"),
             ("rule_id", "RULE"), ("subject_display", "SUBJECT"), ("first_seen", "FIRST SEEN"),
             ("last_seen", "LAST SEEN"), ("days_open", "DAYS"), ("findings_today", "TODAY"),
             ("findings_episode", "EPISODE"))
_HISTORY = (("day", "DAY"), ("status", "STATUS"), ("episode", "EPISODE"), ("first_seen", "FIRST SEEN"),
            ("findings_today", "FINDINGS"), ("calls_today", "CALLS"), ("findings_episode", "IN EPISODE"),
            ("last_call", "LAST FINDING"))


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
             "  decisions: none recorded (exceptions and disputes are not read yet)", ""]
    shown = history.assign(last_call=history["last_call"].fillna("").astype(str).str.replace("T", " ").str[:16],
                           findings_today=history["findings_today"].where(history["findings_today"] > 0, "-"))
    return "\n".join(lines) + "\n" + _table(shown, _HISTORY)


def _table(frame: pd.DataFrame, columns: tuple[tuple[str, str], ...]) -> str:
    cells = [[title for _, title in columns]]
    for row in frame[[name for name, _ in columns]].itertuples(index=False):
        cells.append(["" if pd.isna(value) else str(value) for value in row])
    widths = [max(len(line[k]) for line in cells) for k in range(len(columns))]
    return "\n".join("  ".join(text.ljust(width) for text, width in zip(line, widths)).rstrip() for line in cells)
