"""The lifecycle of cases (cases.md §2): day D's case snapshot from the previous audited day's
snapshot and D's case counts. Pure and vectorised; nothing here reads the store.

A snapshot holds every case ever seen (a resolved case stays, so that a later finding
reopens it with a new episode rather than starting a new case). Dates are ISO text.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from audits.models import CASE_STATUSES

# One row per case with findings on the day (audits.cases.daily.day_counts).
COUNT_COLUMNS = ("case_id", "agency_id", "rule_id", "subject_kind", "subject_display", "findings", "calls",
                 "last_call")
SNAPSHOT_COLUMNS = ("case_id", "agency_id", "rule_id", "subject_kind", "subject_display", "status", "episode",
                    "first_seen", "last_seen", "resolved_on", "findings_today", "calls_today", "findings_episode",
                    "last_call", "quiet_days")
STATUSES = CASE_STATUSES      # the order of cases.csv
_DISPLAY = ("agency_id", "rule_id", "subject_kind", "subject_display")
_INTEGERS = ("episode", "findings_today", "calls_today", "findings_episode", "quiet_days")


def empty_counts() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in COUNT_COLUMNS})
    return frame.astype({"findings": "int64", "calls": "int64"})


def empty_snapshot() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in SNAPSHOT_COLUMNS})
    return frame.astype({c: "int64" for c in _INTEGERS})


def advance(previous: pd.DataFrame, counts: pd.DataFrame, day: dt.date, *, resolve_after_days: int,
            not_assessed: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Day `day`'s snapshot: `previous` (the snapshot of the latest audited day before it, or
    empty) moved on by the day's case `counts` (COUNT_COLUMNS); `not_assessed`: the agencies
    whose CDR file was missing or unreadable on `day`.

    Quiet and resolution count assessed days only: `quiet_days` is the number of audited days
    since the last finding on which the case's agency was assessed; a case without findings on
    `day` is resolved on `day` (its resolved_on) when that count reaches `resolve_after_days`,
    never on a day its agency was not assessed (it stays quiet, its count unchanged). A case
    with findings on `day` that was not resolved on an earlier audited day continues its
    episode, however long the gap of days without a report.
    """
    ids = pd.Index(previous["case_id"]).union(pd.Index(counts["case_id"])).sort_values()
    before = previous.set_index("case_id").reindex(ids)
    today = counts.set_index("case_id").reindex(ids)
    day_text = day.isoformat()

    found = today["findings"].fillna(0).to_numpy("int64") > 0
    known = before["status"].notna().to_numpy()
    was_resolved = (before["status"] == "resolved").to_numpy()
    agency = np.where(found, today["agency_id"].to_numpy(dtype=object), before["agency_id"].to_numpy(dtype=object))
    checked = ~pd.Index(agency).isin(list(not_assessed))
    quiet_before = before["quiet_days"].fillna(0).to_numpy("int64")
    quiet = np.where(found, 0, quiet_before + checked.astype("int64"))

    status = np.select(
        [found & ~known, found & was_resolved, found, was_resolved, checked & (quiet >= resolve_after_days)],
        ["new", "reopened", "open", "resolved", "resolved"], "quiet").astype(object)
    starts = (status == "new") | (status == "reopened")
    findings = today["findings"].fillna(0).to_numpy("int64")
    episode_before = before["episode"].fillna(0).to_numpy("int64")
    episode_findings_before = before["findings_episode"].fillna(0).to_numpy("int64")

    snapshot = pd.DataFrame({"case_id": ids.to_numpy(dtype=object)})
    for column in _DISPLAY:
        snapshot[column] = np.where(found, today[column].to_numpy(dtype=object), before[column].to_numpy(dtype=object))
    snapshot["status"] = status
    snapshot["episode"] = np.where(starts, episode_before + 1, episode_before)
    snapshot["first_seen"] = np.where(starts, day_text, before["first_seen"].to_numpy(dtype=object))
    snapshot["last_seen"] = np.where(found, day_text, before["last_seen"].to_numpy(dtype=object))
    newly_resolved = (status == "resolved") & ~was_resolved
    stays_resolved = (status == "resolved") & was_resolved
    snapshot["resolved_on"] = np.where(newly_resolved, day_text,
                                       np.where(stays_resolved, before["resolved_on"].to_numpy(dtype=object), ""))
    snapshot["findings_today"] = findings
    snapshot["calls_today"] = today["calls"].fillna(0).to_numpy("int64")
    snapshot["findings_episode"] = np.where(starts, findings, episode_findings_before + findings)
    snapshot["last_call"] = np.where(found, today["last_call"].to_numpy(dtype=object),
                                     before["last_call"].to_numpy(dtype=object))
    snapshot["quiet_days"] = np.where(was_resolved & ~found, quiet_before, quiet)
    return snapshot[list(SNAPSHOT_COLUMNS)].astype({c: "int64" for c in _INTEGERS})


def shown_on(snapshot: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """The cases of the day's register: every case but those resolved on an earlier day."""
    keep = (snapshot["status"] != "resolved") | (snapshot["resolved_on"] == day.isoformat())
    return snapshot[keep.to_numpy()].reset_index(drop=True)


def days_open(snapshot: pd.DataFrame, day: dt.date) -> pd.Series:
    """day − first_seen + 1 for a case still open (new, open, reopened, quiet); null once resolved."""
    first = pd.to_datetime(snapshot["first_seen"], format="%Y-%m-%d")
    days = (pd.Timestamp(day) - first).dt.days + 1
    return days.where((snapshot["status"] != "resolved").to_numpy()).astype("Int64")
