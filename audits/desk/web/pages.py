"""The desk's pages: each view assembled from the catalogue, the desk and the reports, and
rendered through the reports' Jinja environment (templates/desk/, autoescaped, StrictUndefined)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from audits.desk.events import Event
from audits.desk.roles import Actor, DeskConfig, may
from audits.desk.service import FREE_TEXT, Desk
from audits.desk.state import DeskState, in_force
from audits.desk.web import views
from audits.desk.web.evidence import daily_findings, evidence_calls, linked_complaints
from audits.privacy import mask_free_text
from audits.rendering.html.pages import environment

LOG_SHOWN = 500
CASE_ACTIONS = ("take", "acknowledge", "assign", "set_due", "comment", "propose_exception", "record_dispute",
                "request_plan", "record_plan", "close_note")


def render(template: str, **values) -> str:
    return environment().get_template(template).render(**values)


def inbox_view(cases: pd.DataFrame, state: DeskState, actor: Actor, *, today: dt.date, config: DeskConfig,
               chosen: Mapping[str, str]) -> dict:
    box = views.inbox(cases, state, actor, today=today, due_days=config.due_days, chosen=chosen)
    return {"page_title": "Case desk · inbox", "box": box, "today": today.isoformat(),
            "agencies": box.options["agency"]}


def case_view(cases: pd.DataFrame, desk: Desk, actor: Actor, case_id: str, *, store: Path, reports: Path | None,
              today: dt.date) -> dict | None:
    found = cases[cases["case_id"].astype(str) == case_id]
    if found.empty:
        return None
    state = desk.state()
    row = views.case_rows(found, state, desk.config.due_days, today)[0]
    record = found.iloc[0].to_dict()
    held = state.cases.get(case_id)
    evidence, more = evidence_calls(reports, case_id, str(record.get("last_seen", "")))
    exceptions = [_exception(e, actor) for e in state.exceptions.values() if e.case_id == case_id]
    disputes = [_dispute(d, actor) for d in state.disputes.values() if d.case_id == case_id]
    return {
        "page_title": f"Case desk · {case_id}", "case": row, "record": _facts(record),
        "summary": mask_free_text(str(record.get("summary", ""))),
        "acknowledged_by": held.acknowledged_by if held else "",
        "plans": [_plan(p) for p in (held.plans if held else ())],
        "plans_requested": held.plans_requested if held else 0,
        "chart": views.findings_chart(daily_findings(store, case_id)),
        "evidence": evidence, "evidence_more": more, "last_seen": views.text_of(record.get("last_seen")),
        "complaints": linked_complaints(reports, case_id),
        "exceptions": exceptions, "disputes": disputes,
        "history": [_event(e) for e in desk.events(case_id=case_id)],
        "actions": {kind: may(actor, kind) and not (kind == "take" and row.owner == actor.name)
                    for kind in CASE_ACTIONS},
        "today": today.isoformat(), "default_to": (today + dt.timedelta(days=30)).isoformat()}


def agency_view(cases: pd.DataFrame, state: DeskState, actor: Actor, agency_id: str, *, today: dt.date,
                config: DeskConfig) -> dict | None:
    mine = cases[cases["agency_id"].astype(str) == agency_id]
    if mine.empty:
        return None
    rows = views.case_rows(mine, state, config.due_days, today)
    ids = {r.case_id for r in rows}
    by_status_owner = Counter((r.status, r.owner or "(nobody)") for r in rows)
    owners = sorted({owner for _, owner in by_status_owner})
    statuses = [s for s in (*views.OPEN_STATUSES, "resolved") if any(r.status == s for r in rows)]
    plans = [(cid, c) for cid, c in state.cases.items() if cid in ids and (c.plans_requested or c.plans)]
    return {
        "page_title": f"Case desk · {agency_id}", "agency_id": agency_id, "total": len(rows),
        "owners": owners, "table": [{"status": s, "counts": [by_status_owner.get((s, o), 0) for o in owners],
                                     "total": sum(by_status_owner.get((s, o), 0) for o in owners)} for s in statuses],
        "overdue": sorted((r for r in rows if r.overdue), key=lambda r: (r.due, r.case_id)),
        "exceptions": [_exception(e, actor) for e in state.exceptions.values()
                       if e.case_id in ids and in_force(e, today)],
        "disputes": [_dispute(d, actor) for d in state.disputes.values() if d.case_id in ids and d.status == "open"],
        "plans": [{"case_id": cid, "requested": c.plans_requested, "received": len(c.plans),
                   "latest": _plan(c.plans[-1]) if c.plans else None} for cid, c in sorted(plans)],
        "may_upload": may(actor, "record_plan") or may(actor, "record_dispute")}


def log_view(events: list[Event], problems: list[str], head: str, *, chosen: Mapping[str, str], export: str) -> dict:
    newest = list(reversed(events))
    return {"page_title": "Case desk · log", "events": [_event(e) for e in newest[:LOG_SHOWN]],
            "more": max(0, len(newest) - LOG_SHOWN), "count": len(events), "problems": problems, "head": head,
            "chosen": dict(chosen), "export": export}


def _exception(e, actor: Actor) -> dict:
    decide = e.status == "proposed" and may(actor, "approve_exception") and e.proposed_by != actor.name
    return {"exception_id": e.exception_id, "case_id": e.case_id, "status": e.status,
            "reason": mask_free_text(e.reason),
            "valid": f"{e.valid_from} to {e.valid_to}", "proposed_by": e.proposed_by,
            "decided_by": e.decided_by, "may_decide": decide,
            "may_revoke": e.status == "approved" and may(actor, "revoke_exception")}


def _dispute(d, actor: Actor) -> dict:
    return {"dispute_id": d.dispute_id, "case_id": d.case_id, "status": d.status,
            "raised_by": mask_free_text(d.raised_by),
            "note": mask_free_text(d.note), "recorded_by": d.recorded_by, "decided_by": d.decided_by,
            "may_decide": d.status == "open" and may(actor, "decide_dispute") and d.recorded_by != actor.name}


def _plan(plan: Mapping) -> dict:
    return {k: mask_free_text(str(plan.get(k, "")))
            for k in ("corrective_action", "target_date", "contact", "recorded_by")}


def shown_payload(payload: Mapping) -> dict:
    """The payload as shown and exported: typed text masked (ids and dates stay readable)."""
    return {k: mask_free_text(str(v)) if k in FREE_TEXT else v for k, v in sorted(dict(payload).items())}


def _event(e: Event) -> dict:
    details = "; ".join(f"{k}: {v}" for k, v in shown_payload(e.payload).items())
    return {"seq": e.seq, "at": f"{e.at:%Y-%m-%d %H:%M:%S} UTC", "actor": e.actor, "role": e.role, "kind": e.kind,
            "case_id": e.case_id, "details": details, "hash": e.hash[:12]}


def _facts(record: Mapping) -> list[tuple[str, str]]:
    names = (("Rule", "rule_id"), ("Agency", "agency_id"), ("Subject", "subject_display"), ("Severity", "severity"),
             ("Status", "status"), ("First seen", "first_seen"), ("Last seen", "last_seen"),
             ("Days open", "days_open"), ("Findings in the episode", "findings_episode"))
    return [(label, mask_free_text(views.text_of(record.get(key)))) for label, key in names]
