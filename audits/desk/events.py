"""The desk's events and their chain (desk.md §2): each event's hash is sha256 over a canonical
JSON of its fields and the previous event's hash, so an edited, removed or reordered event
breaks the chain from there on."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

KINDS = ("take", "assign", "set_due", "acknowledge", "comment", "propose_exception",
         "approve_exception", "reject_exception", "revoke_exception", "record_dispute",
         "decide_dispute", "request_plan", "record_plan", "close_note")
AT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"       # UTC to the microsecond; sorts as text


@dataclass(frozen=True)
class Event:
    seq: int
    event_id: str
    at: dt.datetime                       # UTC, aware
    actor: str
    role: str
    case_id: str
    kind: str
    payload: Mapping = field(default_factory=dict)
    previous_hash: str = ""
    hash: str = ""

    def describe(self) -> str:
        """How a message names the event: '#7 (EV-…, approve_exception on C-… by bob at …)'."""
        return f"#{self.seq} ({self.event_id}, {self.kind} on {self.case_id} by {self.actor} at {at_text(self.at)})"


def at_text(at: dt.datetime) -> str:
    """The event time as stored and hashed: UTC, microseconds, 'Z'."""
    if at.tzinfo is None:
        raise ValueError("event times must be timezone-aware")
    return at.astimezone(dt.UTC).strftime(AT_FORMAT)


def parse_at(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, AT_FORMAT).replace(tzinfo=dt.UTC)


def payload_text(payload: Mapping) -> str:
    """The payload as canonical JSON (sorted keys, no spaces, UTF-8 kept): what is stored and hashed."""
    return json.dumps(dict(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(*, seq: int, event_id: str, at: dt.datetime, actor: str, role: str, case_id: str, kind: str,
               payload: Mapping, previous_hash: str) -> str:
    """sha256 (hex) over the canonical JSON of the event's fields and the previous event's hash."""
    fields = {"seq": seq, "event_id": event_id, "at": at_text(at), "actor": actor, "role": role,
              "case_id": case_id, "kind": kind, "payload": json.loads(payload_text(payload)),
              "previous_hash": previous_hash}
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def sealed(event: Event) -> Event:
    """The event with its hash computed from its fields and previous_hash."""
    return Event(**{**_fields(event), "hash": event_hash(**_fields(event))})


def _fields(event: Event) -> dict:
    return {"seq": event.seq, "event_id": event.event_id, "at": event.at, "actor": event.actor, "role": event.role,
            "case_id": event.case_id, "kind": event.kind, "payload": event.payload,
            "previous_hash": event.previous_hash}


def chain_problems(events: Iterable[Event]) -> list[str]:
    """What breaks the chain, each problem naming the event; [] when every event follows the one
    before (seq without gaps from 1, previous_hash = the hash before, hash = its content's)."""
    problems, previous = [], None
    for event in events:
        expected_seq = 1 if previous is None else previous.seq + 1
        if event.seq != expected_seq:
            gap = (f"the events jump from #{previous.seq} to #{event.seq}" if previous is not None
                   else f"the log starts at #{event.seq}, not #1")
            problems.append(f"event {event.describe()}: {gap}: an event was removed or the log reordered.")
        expected_previous = "" if previous is None else previous.hash
        if event.previous_hash != expected_previous:
            problems.append(f"event {event.describe()}: its previous hash does not match the hash of the event "
                            "before it: an event before it was removed, inserted or moved.")
        try:
            recomputed = event_hash(**_fields(event))
        except (TypeError, ValueError):
            recomputed = ""
        if event.hash != recomputed:
            problems.append(f"event {event.describe()}: its hash does not match its content: the event was edited.")
        previous = event
    return problems
