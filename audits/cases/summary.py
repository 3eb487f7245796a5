"""The case register of a day (cases.csv, cases.md §4): the cases shown on the day, in the
order a compliance officer works them, each with a one-sentence summary."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from audits.cases.lifecycle import STATUSES, days_open, shown_on
from audits.models import RULES_BY_ID, Severity
from audits.privacy import mask_free_text

CASE_COLUMNS = ("audit_date", "case_id", "agency_id", "rule_id", "family", "severity", "subject_kind",
                "subject_display", "status", "decision", "first_seen", "last_seen", "days_open", "findings_today",
                "findings_episode", "calls_today", "exception_id", "dispute_id", "summary")
_SEVERITY_ORDER = {s.value: k for k, s in enumerate((Severity.CRITICAL, Severity.MAJOR, Severity.MINOR))}
_STATUS_ORDER = {status: k for k, status in enumerate(STATUSES)}


def case_register(snapshot: pd.DataFrame, day: dt.date, *, resolve_after_days: int) -> pd.DataFrame:
    """cases.csv of `day` from its snapshot: sorted by agency_id, severity (critical first),
    status (new, reopened, open, quiet, resolved), case_id. Decisions are blank (not yet)."""
    cases = shown_on(snapshot, day)
    info = cases["rule_id"].map(lambda rule_id: RULES_BY_ID[rule_id])
    register = pd.DataFrame({
        "audit_date": np.full(len(cases), day.isoformat(), dtype=object),
        "case_id": cases["case_id"].to_numpy(dtype=object),
        "agency_id": cases["agency_id"].to_numpy(dtype=object),
        "rule_id": cases["rule_id"].to_numpy(dtype=object),
        "family": info.map(lambda i: i.family.value).to_numpy(dtype=object),
        "severity": info.map(lambda i: i.severity.value).to_numpy(dtype=object),
        "subject_kind": cases["subject_kind"].to_numpy(dtype=object),
        "subject_display": cases["subject_display"].to_numpy(dtype=object),
        "status": cases["status"].to_numpy(dtype=object),
        "decision": np.full(len(cases), "", dtype=object),
        "first_seen": cases["first_seen"].to_numpy(dtype=object),
        "last_seen": cases["last_seen"].to_numpy(dtype=object),
        "days_open": days_open(cases, day).array,          # whole days, blank once resolved (never 7.0)
        "findings_today": cases["findings_today"].to_numpy("int64"),
        "findings_episode": cases["findings_episode"].to_numpy("int64"),
        "calls_today": cases["calls_today"].to_numpy("int64"),
        "exception_id": np.full(len(cases), "", dtype=object),
        "dispute_id": np.full(len(cases), "", dtype=object),
    })
    register["summary"] = [summary_sentence(row, day, resolve_after_days) for row in
                           cases.assign(days_open=register["days_open"].to_numpy()).itertuples(index=False)]
    order = (register.assign(_severity=register["severity"].map(_SEVERITY_ORDER),
                             _status=register["status"].map(_STATUS_ORDER))
             .sort_values(["agency_id", "_severity", "_status", "case_id"], kind="stable"))
    return order[list(CASE_COLUMNS)].reset_index(drop=True)


def summary_sentence(case, day: dt.date, resolve_after_days: int) -> str:
    """One sentence a compliance officer can paste into an e-mail (one per case, not per call:
    a register holds hundreds of cases, never the day's findings)."""
    title = RULES_BY_ID[case.rule_id].title
    subject = mask_free_text(str(case.subject_display))            # an agent or campaign id as published
    about = title if case.subject_kind == "agency" else f"{title}: {case.subject_kind} {subject}"
    episode = f" (episode {case.episode})" if case.episode > 1 else ""
    total = f"{_count(case.findings_episode, 'call')} since {case.first_seen}"
    if case.status == "resolved":
        return (f"{about}: resolved, no finding since {case.last_seen} ({_count(case.quiet_days, 'assessed day')}); "
                f"{total.replace(' since ', ' from ')} to {case.last_seen}{episode}.")
    if case.status == "quiet":
        return (f"{about}: no finding since {case.last_seen} (quiet {_count(case.quiet_days, 'assessed day')}, "
                f"resolved after {resolve_after_days} without one); {total}{episode}.")
    last = str(case.last_call)[11:16]
    if case.subject_kind == "agency":
        return (f"{title} since {case.first_seen} ({_count(case.days_open, 'day')}){episode}; "
                f"{_count(case.calls_today, 'call')} on {day.isoformat()}, last at {last}.")
    today = f"{about}; {_count(case.calls_today, 'call')} on {day.isoformat()}, last at {last}"
    if case.status == "new":
        return today + "."
    return f"{today}; {total} ({_count(case.days_open, 'day')}){episode}."


def _count(number: int, noun: str) -> str:
    return f"{int(number):,} {noun}{'' if int(number) == 1 else 's'}"
