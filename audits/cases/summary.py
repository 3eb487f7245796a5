"""The case register of a day (cases.csv, cases.md §4): the cases shown on the day, in the
order a compliance officer works them, each with a one-sentence summary."""

from __future__ import annotations

import datetime as dt
from collections import namedtuple

import numpy as np
import pandas as pd
import pyarrow as pa

from audits.cases.channels import contacts_by_case, on_messages
from audits.cases.lifecycle import STATUSES, days_open, shown_on
from audits.models import RULES_BY_ID, Severity
from audits.privacy import mask_free_text, may_hold_number

CASE_COLUMNS = ("audit_date", "case_id", "agency_id", "rule_id", "family", "severity", "subject_kind",
                "subject_display", "status", "decision", "first_seen", "last_seen", "days_open", "findings_today",
                "findings_episode", "calls_today", "exception_id", "dispute_id", "summary")
_SEVERITY_ORDER = {s.value: k for k, s in enumerate((Severity.CRITICAL, Severity.MAJOR, Severity.MINOR))}
_STATUS_ORDER = {status: k for k, status in enumerate(STATUSES)}


def case_register(snapshot: pd.DataFrame, day: dt.date, *, resolve_after_days: int,
                  violations: pd.DataFrame | None = None, texts_unsplit: bool = False) -> pd.DataFrame:
    """cases.csv of `day` from its snapshot: sorted by agency_id, severity (critical first),
    status (new, reopened, open, quiet, resolved), case_id. Decisions are blank (not yet).
    `violations`: the day's findings; when some are on text messages, a case's summary counts
    its calls and texts of the day apart (calls_today counts both: contacts). `texts_unsplit`:
    the day had texts but its findings are not at hand (a register rebuilt from the store): a
    summary counts contacts (texts for a rule of texts)."""
    cases = shown_on(snapshot, day)
    texts = [None] * len(cases) if texts_unsplit else _texts_today(violations, cases["case_id"])
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
    register["summary"] = summaries(cases.assign(days_open=register["days_open"].to_numpy()), day,
                                    resolve_after_days, texts_today=texts)
    order = (register.assign(_severity=register["severity"].map(_SEVERITY_ORDER),
                             _status=register["status"].map(_STATUS_ORDER))
             .sort_values(["agency_id", "_severity", "_status", "case_id"], kind="stable"))
    return order[list(CASE_COLUMNS)].reset_index(drop=True)


_SUMMARY_FIELDS = ("rule_id", "subject_kind", "subject_display", "status", "episode", "first_seen", "last_seen",
                   "findings_episode", "quiet_days", "last_call", "days_open", "calls_today")
_SummaryRow = namedtuple("_SummaryRow", _SUMMARY_FIELDS)


def summaries(cases: pd.DataFrame, day: dt.date, resolve_after_days: int, *,
              texts_today: list[int | None]) -> list[str]:
    """summary_sentence of each case (snapshot rows with days_open), read column by column (an Arrow
    text column read row by row costs microseconds a value) and each subject masked only when it
    may hold a number (privacy.may_hold_number): a day of 150,000 customer cases."""
    columns = [cases[name].to_numpy(dtype=object).tolist() for name in _SUMMARY_FIELDS]
    subjects = _masked_subjects(columns[_SUMMARY_FIELDS.index("subject_display")])
    return [summary_sentence(row, day, resolve_after_days, texts_today=n, masked_subject=subject)
            for row, n, subject in zip(map(_SummaryRow._make, zip(*columns)), texts_today, subjects)]


def _masked_subjects(values: list) -> list[str]:
    """mask_free_text(str(value)) of each subject; only those that may hold a number are read."""
    texts = [str(value) for value in values]
    out = list(texts)
    for k in np.flatnonzero(may_hold_number(pa.array(texts, type=pa.string()), digits=7)).tolist():
        out[k] = mask_free_text(texts[k])
    return out


def _texts_today(violations: pd.DataFrame | None, case_ids: pd.Series) -> list[int]:
    """The texts among each case's contacts today (0 for every case when no finding is on one)."""
    if violations is None or violations.empty or not on_messages(violations).any():
        return [0] * len(case_ids)
    texts = contacts_by_case(violations)["texts"]
    return case_ids.map(texts).fillna(0).astype("int64").tolist()


def _contacts(calls_today: int, texts: int | None, rule_id: str) -> str:
    """'3 calls', '2 texts' or '1 call and 2 texts': a case's contacts of the day; texts None (the
    split is not known): '3 contacts', or texts for a rule of texts."""
    if texts is None:
        return _count(calls_today, _episode_noun(rule_id, None))
    calls = int(calls_today) - texts
    if not texts:
        return _count(calls, "call")
    return _count(texts, "text") if not calls else f"{_count(calls, 'call')} and {_count(texts, 'text')}"


def _episode_noun(rule_id: str, texts_today: int | None) -> str:
    """What a case's findings are on: texts for a rule of texts only, contacts for the rule over
    both channels (or a rule of calls that found texts today, or any when that is not known:
    None), calls otherwise."""
    if rule_id.startswith("SMS_"):
        return "text"
    return "contact" if rule_id == "CONTACT_ROLLING_7D" or texts_today is None or texts_today else "call"


def summary_sentence(case, day: dt.date, resolve_after_days: int, *, texts_today: int | None = 0,
                     masked_subject: str | None = None) -> str:
    """One sentence a compliance officer can paste into an e-mail (one per case, not per call:
    a register holds hundreds of cases, never the day's findings); `texts_today`: how many of
    the case's contacts today are texts (None: not known, the day had some); `masked_subject`:
    the subject already masked."""
    title = RULES_BY_ID[case.rule_id].title
    subject = mask_free_text(str(case.subject_display)) if masked_subject is None else masked_subject
    about = title if case.subject_kind == "agency" else f"{title}: {case.subject_kind} {subject}"
    episode = f" (episode {case.episode})" if case.episode > 1 else ""
    total = f"{_count(case.findings_episode, _episode_noun(case.rule_id, texts_today))} since {case.first_seen}"
    if case.status == "resolved":
        return (f"{about}: resolved, no finding since {case.last_seen} ({_count(case.quiet_days, 'assessed day')}); "
                f"{total.replace(' since ', ' from ')} to {case.last_seen}{episode}.")
    if case.status == "quiet":
        return (f"{about}: no finding since {case.last_seen} (quiet {_count(case.quiet_days, 'assessed day')}, "
                f"resolved after {resolve_after_days} without one); {total}{episode}.")
    last = str(case.last_call)[11:16]
    if case.subject_kind == "agency":
        return (f"{title} since {case.first_seen} ({_count(case.days_open, 'day')}){episode}; "
                f"{_contacts(case.calls_today, texts_today, case.rule_id)} on {day.isoformat()}, last at {last}.")
    today = f"{about}; {_contacts(case.calls_today, texts_today, case.rule_id)} on {day.isoformat()}, last at {last}"
    if case.status == "new":
        return today + "."
    return f"{today}; {total} ({_count(case.days_open, 'day')}){episode}."


def _count(number: int, noun: str) -> str:
    return f"{int(number):,} {noun}{'' if int(number) == 1 else 's'}"
