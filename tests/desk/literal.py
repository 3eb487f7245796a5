"""Literal desk events for tests: a sealed chain built from (actor, role, kind, case_id, payload)
rows, one minute apart from T0."""

from __future__ import annotations

import datetime as dt

from audits.desk.events import Event, sealed

T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def chain(*rows: tuple[str, str, str, str, dict]) -> list[Event]:
    events, previous = [], ""
    for k, (actor, role, kind, case_id, payload) in enumerate(rows, start=1):
        event = sealed(Event(seq=k, event_id=f"EV-{k:04d}", at=T0 + dt.timedelta(minutes=k), actor=actor, role=role,
                             case_id=case_id, kind=kind, payload=payload, previous_hash=previous))
        events.append(event)
        previous = event.hash
    return events
