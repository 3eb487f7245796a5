"""The desk as the web app, the CLI and the nightly run use it: record an act (refused with one
sentence, recording nothing, unless the roles, four eyes, the target and the values allow it),
read the events, the folded state, the chain head, and verify the chain."""

from __future__ import annotations

import datetime as dt
import json
import random
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from audits.desk import database
from audits.desk.catalogue import known_case_ids
from audits.desk.database import EventRow
from audits.desk.events import Event, at_text, chain_problems, parse_at, payload_text, sealed
from audits.desk.permits import refusal
from audits.desk.roles import Actor, DeskConfig, acting_role, load_desk_config
from audits.desk.state import DeskState, fold
from audits.errors import PermanentError
from audits.privacy import mask_free_text

CONFIG_FILE = "desk.yaml"
ATTEMPTS = 20                     # a concurrent act took the same seq: fold again and retry
_NEW_IDS = {"propose_exception": ("exception_id", "EXC"), "record_dispute": ("dispute_id", "DSP")}
FREE_TEXT = frozenset({"text", "reason", "note", "raised_by", "corrective_action", "contact", "to"})
_TARGETS = {"exception_id": "exceptions", "dispute_id": "disputes"}


class Refused(PermanentError):
    """An act the desk does not record; str(e) is one sentence saying why. Nothing was recorded."""


class Desk:
    def __init__(self, engine: Engine, *, config: DeskConfig, known: Callable[[str], bool]) -> None:
        self.engine, self.config, self._known = engine, config, known

    def act(self, actor: Actor, kind: str, case_id: str, payload: Mapping, *, at: dt.datetime | None = None) -> Event:
        """Record the act and return its event; Refused (recording nothing) when it is not allowed.
        For decisions on an exception or dispute, case_id may be '' (the target's case is used)."""
        if at is not None and at.tzinfo is None:
            raise ValueError("event times must be timezone-aware")
        cleaned = {k: _clean(v) if k in FREE_TEXT else v for k, v in dict(payload).items()}
        for _ in range(ATTEMPTS):
            with self.engine.connect() as connection:
                events = _read(connection)
                state = fold(events)
                event = self._event(state, events, actor, kind, case_id, cleaned, at)
                try:
                    connection.execute(EventRow.__table__.insert().values(**_row(event)))
                    connection.commit()
                    return event
                except (IntegrityError, OperationalError) as exc:
                    connection.rollback()
                    if isinstance(exc, OperationalError) and "locked" not in str(exc):
                        raise
                    time.sleep(random.uniform(0.0, 0.05))
        raise Refused("The desk was busy with other acts; nothing was recorded: try again.")

    def _event(self, state: DeskState, events: list[Event], actor: Actor, kind: str, case_id: str,
               payload: dict, at: dt.datetime | None) -> Event:
        if at is None:                     # now, but never before the last event (another machine's clock)
            at = max([dt.datetime.now(dt.UTC)] + [e.at for e in events[-1:]])
        elif events and at < events[-1].at:
            raise Refused(f"The act's time {at_text(at)} is before the last recorded event's; nothing was recorded.")
        case_id = case_id or _target_case(state, payload)
        why = refusal(state, known=self._known, actor=actor, kind=kind, case_id=case_id, payload=payload, at=at,
                      config=self.config)
        if why:
            raise Refused(why)
        if kind in _NEW_IDS:
            key, prefix = _NEW_IDS[kind]
            payload = {**payload, key: _new_id(prefix, at, getattr(state, _TARGETS[key]))}
        previous = events[-1] if events else None
        return sealed(Event(seq=(previous.seq if previous else 0) + 1, event_id=f"EV-{uuid.uuid4().hex[:16]}",
                            at=at, actor=actor.name, role=acting_role(actor, kind), case_id=case_id, kind=kind,
                            payload=payload, previous_hash=previous.hash if previous else ""))

    def refusal(self, actor: Actor, kind: str, case_id: str, payload: Mapping | None = None, *,
                at: dt.datetime | None = None) -> str:
        """Why `act` would refuse this act now ('' when it would record it): for showing only the
        actions a person may take. Placeholder values stand in for a payload not yet typed."""
        at = at or dt.datetime.now(dt.UTC)
        state = self.state()
        payload = dict(payload) if payload is not None else _placeholder(kind, at)
        return refusal(state, known=self._known, actor=actor, kind=kind,
                       case_id=case_id or _target_case(state, payload), payload=payload, at=at, config=self.config)

    def events(self, *, case_id: str | None = None, until: dt.datetime | None = None) -> list[Event]:
        """The events in chain order (those of one case; those at or before `until`)."""
        with self.engine.connect() as connection:
            events = _read(connection)
        return [e for e in events if (case_id is None or e.case_id == case_id) and (until is None or e.at <= until)]

    def state(self, *, until: dt.datetime | None = None) -> DeskState:
        return fold(self.events(until=until))

    def head(self, *, until: dt.datetime | None = None) -> str:
        """The hash of the last event (at or before `until`); '' when there is none."""
        events = self.events(until=until)
        return events[-1].hash if events else ""

    def verify(self) -> list[str]:
        """What breaks the chain, each problem naming the event; [] when it is intact."""
        with self.engine.connect() as connection:
            return chain_problems(_read(connection))


def open_desk(store: Path, *, url: str | None = None, config: DeskConfig | None = None) -> Desk:
    """The desk of `store` (its database created or migrated to the newest schema). `url` None:
    AUDIT_DESK_DB, else the Airflow connection audit_desk_db, else <store>/desk.sqlite.
    `config` None: <store>/desk.yaml (the defaults when there is none)."""
    resolved = database.desk_url(store, url)
    if resolved.startswith("sqlite:///"):
        Path(store).mkdir(parents=True, exist_ok=True)
    engine = database.make_engine(resolved)
    database.upgrade(engine)
    config = config if config is not None else load_desk_config(Path(store) / CONFIG_FILE)
    return Desk(engine, config=config, known=lambda case_id: case_id in known_case_ids(store))


def desk_exists(store: Path, *, url: str | None = None) -> bool:
    """Whether there is a desk database (without one, the nightly run behaves as before)."""
    resolved = database.desk_url(store, url)
    if resolved == database.default_url(store) and not (Path(store) / database.SQLITE_FILE).is_file():
        return False
    engine = database.make_engine(resolved)
    try:
        return database.has_events_table(engine)
    finally:
        engine.dispose()


def _read(connection) -> list[Event]:
    rows = connection.execute(select(EventRow.__table__).order_by(EventRow.seq)).mappings()
    return [_event_of(row) for row in rows]


def _event_of(row: Mapping) -> Event:
    """An event as stored; a payload or time edited into nonsense is kept as it reads (its hash
    then fails), never an error."""
    try:
        payload = json.loads(row["payload"])
        payload = payload if isinstance(payload, dict) else {"unreadable": row["payload"]}
    except (TypeError, ValueError):
        payload = {"unreadable": str(row["payload"])}
    try:
        at = parse_at(row["at"])
    except (TypeError, ValueError):
        at = dt.datetime.min.replace(tzinfo=dt.UTC)
    return Event(seq=row["seq"], event_id=row["event_id"], at=at, actor=row["actor"], role=row["role"],
                 case_id=row["case_id"], kind=row["kind"], payload=payload, previous_hash=row["previous_hash"],
                 hash=row["hash"])


def _row(event: Event) -> dict:
    return {"seq": event.seq, "event_id": event.event_id, "at": at_text(event.at), "actor": event.actor,
            "role": event.role, "case_id": event.case_id, "kind": event.kind,
            "payload": payload_text(event.payload), "previous_hash": event.previous_hash, "hash": event.hash}


def _clean(value):
    """Typed text as recorded: trimmed, and every written number of 7+ digits masked (a note may
    quote a customer's phone; the desk never keeps one)."""
    return mask_free_text(value.strip()) if isinstance(value, str) else value


def _target_case(state: DeskState, payload: Mapping) -> str:
    if "exception_id" in payload and payload["exception_id"] in state.exceptions:
        return state.exceptions[payload["exception_id"]].case_id
    if "dispute_id" in payload and payload["dispute_id"] in state.disputes:
        return state.disputes[payload["dispute_id"]].case_id
    return ""


def _new_id(prefix: str, at: dt.datetime, existing: Mapping[str, object]) -> str:
    """EXC-/DSP- + the UTC date + the next number of that day: EXC-2026-12-07-N001 (the reports mask
    every run of 7+ digits as a possible phone number, so the date's digits stay apart)."""
    stem = f"{prefix}-{at.astimezone(dt.UTC):%Y-%m-%d}-N"
    taken = [int(i[len(stem):]) for i in existing if i.startswith(stem) and i[len(stem):].isdigit()]
    return f"{stem}{max(taken, default=0) + 1:03d}"


def _placeholder(kind: str, at: dt.datetime) -> dict:
    today = at.astimezone(dt.UTC).date().isoformat()
    return {"assign": {"to": "someone"}, "set_due": {"on": today}, "comment": {"text": "…"},
            "propose_exception": {"reason": "…", "valid_from": today, "valid_to": today},
            "record_dispute": {"raised_by": "…"}, "record_plan": {"corrective_action": "…", "target_date": today},
            "close_note": {"text": "…"}}.get(kind, {})
