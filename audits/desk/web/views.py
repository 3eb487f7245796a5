"""What the desk's pages show, as presentation-ready values: the templates only loop over them.

Inputs are the case catalogue (the store's register, masked subjects only), the desk state
folded from the events, the signed-in actor and today's date; nothing here reads a file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from audits.desk.roles import Actor, may
from audits.desk.state import DeskState, default_due, in_force
from audits.privacy import mask_free_text

ENDING_DAYS = 14                     # exceptions ending within this many days are listed
GROUP_CASES_SHOWN = 25               # cases listed inside a group; the rest are counted
LIST_LIMIT = 200                     # rows of a filtered list
FILTERS = ("agency", "rule", "severity", "status", "owner", "due")
OPEN_STATUSES = ("new", "reopened", "open", "quiet")
SUBJECT_WORDS = {"customer": ("customer", "customers"), "caller": ("caller number", "caller numbers"),
                 "agent": ("agent", "agents"), "campaign": ("campaign", "campaigns"), "agency": ("case", "cases")}
_SEVERITY_ORDER = {"critical": 0, "major": 1, "minor": 2}


@dataclass(frozen=True)
class CaseRow:
    case_id: str
    agency_id: str
    rule_id: str
    severity: str
    status: str
    subject: str
    subject_kind: str
    owner: str
    due: str
    overdue: bool
    days_open: str


@dataclass(frozen=True)
class Group:
    agency_id: str
    rule_id: str
    label: str                       # "AG03 · CONF_UNASSIGNED · 750 customers"
    count: int
    cases: tuple[CaseRow, ...]
    more: int


@dataclass(frozen=True)
class Inbox:
    awaiting: tuple[dict, ...]
    overdue: tuple[CaseRow, ...]
    mine: tuple[CaseRow, ...]
    untaken: tuple[Group, ...]
    disputes: tuple[dict, ...]
    ending: tuple[dict, ...]
    matching: tuple[CaseRow, ...] | None        # None: no filter set
    matching_more: int
    options: Mapping[str, tuple[str, ...]]
    chosen: Mapping[str, str]


def due_of(case: Mapping, state: DeskState, due_days: Mapping[str, int]) -> dt.date | None:
    """The case's due date: the one set on the desk, else its first day seen plus its severity's days."""
    held = state.cases.get(case["case_id"])
    if held is not None and held.due is not None:
        return held.due
    first = _day(case.get("first_seen"))
    return default_due(first, str(case.get("severity", "")), due_days) if first else None


def case_rows(cases: pd.DataFrame, state: DeskState, due_days: Mapping[str, int], today: dt.date) -> list[CaseRow]:
    """The catalogue's cases with their owner and due date from the desk."""
    rows = []
    for case in cases.to_dict("records"):
        held = state.cases.get(case["case_id"])
        due = due_of(case, state, due_days)
        open_ = str(case.get("status", "")) in OPEN_STATUSES
        rows.append(CaseRow(
            case_id=str(case["case_id"]), agency_id=str(case.get("agency_id", "")),
            rule_id=str(case.get("rule_id", "")),
            severity=str(case.get("severity", "")), status=str(case.get("status", "")),
            subject=mask_free_text(str(case.get("subject_display", ""))),
            subject_kind=str(case.get("subject_kind", "") or ""), owner=held.owner if held else "",
            due=due.isoformat() if due else "", overdue=bool(open_ and due and due < today),
            days_open=text_of(case.get("days_open"))))
    return rows


def inbox(cases: pd.DataFrame, state: DeskState, actor: Actor, *, today: dt.date,
          due_days: Mapping[str, int], chosen: Mapping[str, str]) -> Inbox:
    """The first page (desk.md §3): what needs the signed-in person, in the order they work it."""
    rows = case_rows(cases, state, due_days, today)
    kept = [r for r in rows if _matches(r, chosen, today)]
    mine = [r for r in kept if r.owner == actor.name and r.status in OPEN_STATUSES]
    untaken = [r for r in kept if not r.owner and r.severity == "critical" and r.status in ("new", "reopened")]
    filtered = any(chosen.get(name) for name in FILTERS)
    matching = sorted(kept, key=_work_order) if filtered else []
    return Inbox(
        awaiting=tuple(awaiting_approval(state, actor)),
        overdue=tuple(r for r in mine if r.overdue), mine=tuple(r for r in mine if not r.overdue),
        untaken=tuple(groups(untaken)), disputes=tuple(waiting_disputes(state, today)),
        ending=tuple(ending_exceptions(state, today)),
        matching=tuple(matching[:LIST_LIMIT]) if filtered else None, matching_more=max(0, len(matching) - LIST_LIMIT),
        options=_options(rows), chosen={name: chosen.get(name, "") for name in FILTERS})


def awaiting_approval(state: DeskState, actor: Actor) -> list[dict]:
    """Proposed exceptions the actor may approve: not their own (four eyes)."""
    if not may(actor, "approve_exception"):
        return []
    return [{"exception_id": e.exception_id, "case_id": e.case_id, "proposed_by": e.proposed_by,
             "reason": mask_free_text(e.reason), "valid": f"{e.valid_from} to {e.valid_to}",
             "proposed_at": f"{e.proposed_at:%Y-%m-%d %H:%M} UTC"}
            for e in sorted(state.exceptions.values(), key=lambda e: e.proposed_at)
            if e.status == "proposed" and e.proposed_by != actor.name]


def waiting_disputes(state: DeskState, today: dt.date) -> list[dict]:
    """Open disputes, oldest first, with their age in days."""
    return [{"dispute_id": d.dispute_id, "case_id": d.case_id, "raised_by": mask_free_text(d.raised_by),
             "recorded_by": d.recorded_by, "age": (today - d.recorded_at.date()).days}
            for d in sorted(state.disputes.values(), key=lambda d: d.recorded_at) if d.status == "open"]


def ending_exceptions(state: DeskState, today: dt.date) -> list[dict]:
    """Approved exceptions in force today that end within ENDING_DAYS."""
    return [{"exception_id": e.exception_id, "case_id": e.case_id, "valid_to": e.valid_to.isoformat(),
             "days_left": (e.valid_to - today).days}
            for e in sorted(state.exceptions.values(), key=lambda e: e.valid_to)
            if in_force(e, today) and (e.valid_to - today).days <= ENDING_DAYS]


def groups(rows: list[CaseRow]) -> list[Group]:
    """Cases grouped by agency and rule, largest group first, so a burst at one agency never
    hides another agency's cases."""
    by_key: dict[tuple[str, str], list[CaseRow]] = {}
    for row in rows:
        by_key.setdefault((row.agency_id, row.rule_id), []).append(row)
    out = []
    for (agency, rule), members in by_key.items():
        members.sort(key=_work_order)
        word = SUBJECT_WORDS.get(members[0].subject_kind, ("case", "cases"))[len(members) != 1]
        out.append(Group(agency, rule, f"{agency} · {rule} · {len(members):,} {word}", len(members),
                         tuple(members[:GROUP_CASES_SHOWN]), max(0, len(members) - GROUP_CASES_SHOWN)))
    return sorted(out, key=lambda g: (-g.count, g.agency_id, g.rule_id))


@dataclass(frozen=True)
class Chart:
    """Bars of the daily count of findings, geometry ready for an inline SVG."""

    width: int
    height: int
    bars: tuple[dict, ...] = field(default_factory=tuple)
    peak: int = 0
    first: str = ""
    last: str = ""


def findings_chart(daily: list[tuple[dt.date, int]], *, width: int = 560, height: int = 90) -> Chart:
    """A bar per audited day (zero days included), scaled to the busiest day."""
    if not daily:
        return Chart(width, height)
    peak = max(count for _, count in daily) or 1
    step = width / len(daily)
    plot = height - 14                                   # room for the first and last day below
    bars = tuple({"x": round(k * step + 1, 1), "w": round(max(step - 2, 1), 1), "h": round(plot * count / peak, 1),
                  "y": round(plot - plot * count / peak, 1), "day": day.isoformat(), "count": count}
                 for k, (day, count) in enumerate(daily))
    return Chart(width, height, bars, peak, daily[0][0].isoformat(), daily[-1][0].isoformat())


def _matches(row: CaseRow, chosen: Mapping[str, str], today: dt.date) -> bool:
    checks = {"agency": row.agency_id, "rule": row.rule_id, "severity": row.severity, "status": row.status,
              "owner": row.owner or "(nobody)"}
    for name, value in checks.items():
        if chosen.get(name) and chosen[name] != value:
            return False
    due = chosen.get("due", "")
    if due == "overdue":
        return row.overdue
    if due == "this week":
        return bool(row.due) and row.status in OPEN_STATUSES and row.due <= (today + dt.timedelta(days=7)).isoformat()
    return True


def _options(rows: list[CaseRow]) -> dict[str, tuple[str, ...]]:
    return {"agency": tuple(sorted({r.agency_id for r in rows})), "rule": tuple(sorted({r.rule_id for r in rows})),
            "severity": tuple(s for s in _SEVERITY_ORDER if any(r.severity == s for r in rows)),
            "status": tuple(s for s in (*OPEN_STATUSES, "resolved") if any(r.status == s for r in rows)),
            "owner": ("(nobody)", *sorted({r.owner for r in rows if r.owner})), "due": ("overdue", "this week")}


def _work_order(row: CaseRow) -> tuple:
    return (_SEVERITY_ORDER.get(row.severity, 3), row.due or "9999", row.case_id)


def _day(value) -> dt.date | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def text_of(value) -> str:
    """A register cell as text: blank for missing, whole numbers without ".0"."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT or value is pd.NA:
        return ""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
