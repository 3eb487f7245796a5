"""The desk's state, folded from its events (pure): per case its owner, due date,
acknowledgement, exceptions, disputes and plans; per exception and dispute its status and who
decided it when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from audits.desk.events import Event


@dataclass(frozen=True)
class CaseState:
    case_id: str
    owner: str = ""
    due: dt.date | None = None
    acknowledged_by: str = ""
    exceptions: tuple[str, ...] = ()
    disputes: tuple[str, ...] = ()
    plans_requested: int = 0
    plans: tuple[Mapping, ...] = ()
    last_event_at: dt.datetime | None = None
    comments: int = 0
    close_note: str = ""


@dataclass(frozen=True)
class ExceptionState:
    exception_id: str
    case_id: str
    status: str                           # proposed | approved | rejected | revoked
    reason: str
    valid_from: dt.date
    valid_to: dt.date
    proposed_by: str
    proposed_at: dt.datetime
    decided_by: str = ""                  # who approved or rejected it
    decided_at: dt.datetime | None = None
    revoked_by: str = ""
    revoked_at: dt.datetime | None = None


@dataclass(frozen=True)
class DisputeState:
    dispute_id: str
    case_id: str
    status: str                           # open | upheld | rejected
    raised_by: str
    note: str
    recorded_by: str
    recorded_at: dt.datetime
    decided_by: str = ""
    decided_at: dt.datetime | None = None


@dataclass(frozen=True)
class DeskState:
    cases: Mapping[str, CaseState]
    exceptions: Mapping[str, ExceptionState]
    disputes: Mapping[str, DisputeState]


def fold(events: Iterable[Event]) -> DeskState:
    """The state after `events`, in their order. Events that do not apply (a decision on an
    unknown or already decided proposal) change nothing: the service refuses them before they
    are recorded, so they only arrive here from a tampered log."""
    cases: dict[str, CaseState] = {}
    exceptions: dict[str, ExceptionState] = {}
    disputes: dict[str, DisputeState] = {}
    for event in events:
        case = replace(cases.get(event.case_id) or CaseState(event.case_id), last_event_at=event.at)
        cases[event.case_id] = _case_after(case, event)
        p = event.payload
        if event.kind == "propose_exception":
            exceptions[p["exception_id"]] = ExceptionState(
                p["exception_id"], event.case_id, "proposed", p.get("reason", ""),
                dt.date.fromisoformat(p["valid_from"]), dt.date.fromisoformat(p["valid_to"]), event.actor, event.at)
        elif event.kind in ("approve_exception", "reject_exception", "revoke_exception"):
            _decide_exception(exceptions, event)
        elif event.kind == "record_dispute":
            disputes[p["dispute_id"]] = DisputeState(p["dispute_id"], event.case_id, "open", p.get("raised_by", ""),
                                                     p.get("note", ""), event.actor, event.at)
        elif event.kind == "decide_dispute":
            dispute = disputes.get(p.get("dispute_id", ""))
            if dispute is not None and dispute.status == "open":
                disputes[dispute.dispute_id] = replace(dispute, status=p["outcome"], decided_by=event.actor,
                                                       decided_at=event.at)
    return DeskState(cases, exceptions, disputes)


def _case_after(case: CaseState, event: Event) -> CaseState:
    p, kind = event.payload, event.kind
    if kind == "take":
        return replace(case, owner=event.actor)
    if kind == "assign":
        return replace(case, owner=p["to"])
    if kind == "set_due":
        return replace(case, due=dt.date.fromisoformat(p["on"]))
    if kind == "acknowledge":
        return replace(case, acknowledged_by=event.actor)
    if kind == "comment":
        return replace(case, comments=case.comments + 1)
    if kind == "propose_exception":
        return replace(case, exceptions=case.exceptions + (p["exception_id"],))
    if kind == "record_dispute":
        return replace(case, disputes=case.disputes + (p["dispute_id"],))
    if kind == "request_plan":
        return replace(case, plans_requested=case.plans_requested + 1)
    if kind == "record_plan":
        plan = {k: p.get(k, "") for k in ("corrective_action", "target_date", "contact")}
        return replace(case, plans=case.plans + ({**plan, "recorded_by": event.actor, "at": event.at},))
    if kind == "close_note":
        return replace(case, close_note=p.get("text", ""))
    return case


_DECIDED = {"approve_exception": ("proposed", "approved"), "reject_exception": ("proposed", "rejected"),
            "revoke_exception": ("approved", "revoked")}


def _decide_exception(exceptions: dict[str, ExceptionState], event: Event) -> None:
    exception = exceptions.get(event.payload.get("exception_id", ""))
    before, after = _DECIDED[event.kind]
    if exception is None or exception.status != before:
        return
    if event.kind == "revoke_exception":
        exceptions[exception.exception_id] = replace(exception, status=after, revoked_by=event.actor,
                                                     revoked_at=event.at)
    else:
        exceptions[exception.exception_id] = replace(exception, status=after, decided_by=event.actor,
                                                     decided_at=event.at)


def default_due(first_seen: dt.date, severity: str, due_days: Mapping[str, int]) -> dt.date | None:
    """The due date a case has until someone sets one: its first day seen plus its severity's days."""
    days = due_days.get(severity)
    return None if days is None else first_seen + dt.timedelta(days=days)


def in_force(exception: ExceptionState, day: dt.date) -> bool:
    """An approved (not revoked) exception whose validity covers `day`."""
    return exception.status == "approved" and exception.valid_from <= day <= exception.valid_to
