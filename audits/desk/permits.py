"""Why the desk refuses an act (desk.md §1, §6): the actor's roles, four eyes, the target (a
case the case store knows, an exception or dispute the desk holds, in the status the act needs)
and the payload's values. Each reason is one sentence; '' means the act may be recorded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from audits.desk.events import KINDS
from audits.desk.roles import PERMITTED, ROLES, Actor, DeskConfig, may, may_read
from audits.desk.state import DeskState

MAX_TEXT = 2000
# payload keys each kind needs, and those it may carry besides ("source": where an act came from,
# e.g. an uploaded responses.csv); the service adds exception_id / dispute_id to the new ones
REQUIRED: Mapping[str, tuple[str, ...]] = {
    "take": (), "assign": ("to",), "set_due": ("on",), "acknowledge": (), "comment": ("text",),
    "propose_exception": ("reason", "valid_from", "valid_to"), "approve_exception": ("exception_id",),
    "reject_exception": ("exception_id",), "revoke_exception": ("exception_id",),
    "record_dispute": ("raised_by",), "decide_dispute": ("dispute_id", "outcome"), "request_plan": (),
    "record_plan": ("corrective_action", "target_date"), "close_note": ("text",)}
OPTIONAL: Mapping[str, tuple[str, ...]] = {
    "approve_exception": ("note",), "reject_exception": ("note",), "revoke_exception": ("note",),
    "record_dispute": ("note",), "decide_dispute": ("note",), "request_plan": ("note",),
    "record_plan": ("contact", "response")}
OUTCOMES = ("upheld", "rejected")
VALUE_WORDS = {"to": "the new owner", "on": "the due date", "text": "a text", "reason": "a reason",
               "valid_from": "the first day in force", "valid_to": "the last day in force",
               "exception_id": "the exception id", "raised_by": "who at the agency raised it",
               "dispute_id": "the dispute id", "outcome": "the outcome", "corrective_action": "the corrective action",
               "target_date": "the target date"}
WORDS = {"take": "take a case", "assign": "assign a case", "set_due": "set a due date",
         "acknowledge": "acknowledge a case", "comment": "comment", "propose_exception": "propose an exception",
         "approve_exception": "approve an exception", "reject_exception": "reject an exception",
         "revoke_exception": "revoke an exception", "record_dispute": "record a dispute",
         "decide_dispute": "decide a dispute", "request_plan": "request a corrective plan",
         "record_plan": "record a corrective plan", "close_note": "write a closing note"}


def refusal(state: DeskState, *, known: Callable[[str], bool], actor: Actor, kind: str, case_id: str,
            payload: Mapping, at: dt.datetime, config: DeskConfig) -> str:
    """One sentence saying why the act is refused, or '' when it may be recorded."""
    if kind not in KINDS:
        return f"{kind!r} is not an act the desk records; it records {', '.join(KINDS)}."
    if not may_read(actor):
        return f"{actor.name} has no desk role; the desk config maps people to {', '.join(ROLES)}."
    if not may(actor, kind):
        needed = " or ".join(r for r in ROLES if kind in PERMITTED[r])
        held = ", ".join(sorted(actor.roles))
        return f"{actor.name} ({held}) may not {WORDS[kind]}: that needs the role {needed}."
    return (_payload_problem(kind, payload, at, config) or _target_problem(state, known, actor, kind, case_id,
                                                                            payload))


def _payload_problem(kind: str, payload: Mapping, at: dt.datetime, config: DeskConfig) -> str:
    allowed = set(REQUIRED[kind]) | set(OPTIONAL.get(kind, ())) | {"source"}
    extra = sorted(str(k) for k in set(payload) - allowed)
    if extra:
        return f"{WORDS[kind].capitalize()} takes no {', '.join(extra)}; it takes {', '.join(sorted(allowed))}."
    for key in allowed & set(payload):
        if not isinstance(payload[key], str) or len(payload[key]) > MAX_TEXT:
            return f"The {key.replace('_', ' ')} must be text of at most {MAX_TEXT} characters."
        if any(ord(c) < 32 and c not in "\n\t" for c in payload[key]):
            return f"The {key.replace('_', ' ')} holds control characters; type plain text."
    missing = [k for k in REQUIRED[kind] if not str(payload.get(k, "")).strip()]
    if missing:
        return f"To {WORDS[kind]} the desk needs {' and '.join(VALUE_WORDS[k] for k in missing)}."
    today = at.astimezone(dt.UTC).date()
    if kind == "set_due":
        return _date_problem(payload["on"], "due date", not_before=today)
    if kind == "record_plan":
        return _date_problem(payload["target_date"], "target date", not_before=today)
    if kind == "propose_exception":
        return _validity_problem(payload, today, config.max_exception_days)
    if kind == "decide_dispute" and payload["outcome"] not in OUTCOMES:
        return f"A dispute is decided upheld or rejected, not {payload['outcome']!r}."
    return ""


def _date_problem(text: str, what: str, *, not_before: dt.date) -> str:
    day = _date(text)
    if day is None:
        return f"The {what} {text!r} is not a date YYYY-MM-DD."
    if day < not_before:
        return f"The {what} {day} is in the past (today is {not_before})."
    return ""


def _validity_problem(payload: Mapping, today: dt.date, max_days: int) -> str:
    start, end = _date(payload["valid_from"]), _date(payload["valid_to"])
    if start is None or end is None:
        bad = payload["valid_from"] if start is None else payload["valid_to"]
        return f"The validity date {bad!r} is not a date YYYY-MM-DD."
    if end < start:
        return f"The exception would end ({end}) before it starts ({start})."
    if (end - start).days + 1 > max_days:
        return f"An exception lasts at most {max_days} days; {start}..{end} is {(end - start).days + 1}."
    if end < today:
        return f"The exception would have ended already ({end}; today is {today})."
    return ""


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def _target_problem(state: DeskState, known: Callable[[str], bool], actor: Actor, kind: str, case_id: str,
                    payload: Mapping) -> str:
    if "exception_id" in payload:
        return _exception_problem(state, actor, kind, case_id, payload["exception_id"])
    if "dispute_id" in payload:
        return _dispute_problem(state, actor, case_id, payload["dispute_id"])
    if not known(case_id):
        return (f"No case {case_id} in the case register of the latest audited day; case ids look like "
                "C-3f9a0c12d4e5 (cases.csv of a report, or python -m audits cases).")
    case = state.cases.get(case_id)
    if kind == "take" and case is not None and case.owner == actor.name:
        return f"{actor.name} already owns {case_id}."
    if kind == "acknowledge" and case is not None and case.acknowledged_by == actor.name:
        return f"{actor.name} has already acknowledged {case_id}."
    if kind == "record_dispute":
        waiting = [d for d in (case.disputes if case else ()) if state.disputes[d].status == "open"]
        if waiting:
            return f"{case_id} already has an open dispute, {waiting[0]}: decide it before recording another."
    return ""


_NEEDS = {"approve_exception": "proposed", "reject_exception": "proposed", "revoke_exception": "approved"}
_DONE = {"approve_exception": "approved", "reject_exception": "rejected", "revoke_exception": "revoked"}


def _exception_problem(state: DeskState, actor: Actor, kind: str, case_id: str, exception_id: str) -> str:
    exception = state.exceptions.get(exception_id)
    if exception is None:
        return f"No exception {exception_id} on the desk; exception ids look like EXC-2026-12-07-N001."
    if case_id and case_id != exception.case_id:
        return f"{exception_id} is an exception of {exception.case_id}, not of {case_id}."
    if exception.status != _NEEDS[kind]:
        article = "an" if _NEEDS[kind][0] in "aeiou" else "a"
        return f"{exception_id} is {exception.status}; only {article} {_NEEDS[kind]} exception can be {_DONE[kind]}."
    if kind == "approve_exception" and exception.proposed_by == actor.name:
        return f"Four eyes: {actor.name} proposed {exception_id} and may not approve it; another approver must."
    return ""


def _dispute_problem(state: DeskState, actor: Actor, case_id: str, dispute_id: str) -> str:
    dispute = state.disputes.get(dispute_id)
    if dispute is None:
        return f"No dispute {dispute_id} on the desk; dispute ids look like DSP-2026-12-07-N001."
    if case_id and case_id != dispute.case_id:
        return f"{dispute_id} is a dispute of {dispute.case_id}, not of {case_id}."
    if dispute.status != "open":
        return f"{dispute_id} was already decided ({dispute.status})."
    if dispute.recorded_by == actor.name:
        return f"Four eyes: {actor.name} recorded {dispute_id} and may not decide it; another approver must."
    return ""
