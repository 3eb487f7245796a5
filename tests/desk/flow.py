"""One flow of acts on a desk, shared by the SQLite and the PostgreSQL tests: a proposal its
proposer cannot approve, approved by another; a dispute its recorder cannot decide, decided by
another; each refusal recording nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from audits.desk.roles import Actor
from audits.desk.service import Desk, Refused
from tests.desk.conftest import CASE, OTHER

ALICE = Actor("alice", frozenset({"officer"}))
BOB = Actor("bob", frozenset({"approver"}))
CAROL = Actor("carol", frozenset({"approver"}))
AT = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def at(minutes: int) -> dt.datetime:
    return AT + dt.timedelta(minutes=minutes)


def run_flow(desk: Desk) -> dict[str, str]:
    """The acts; returns the exception and dispute ids the desk gave."""
    desk.act(ALICE, "take", CASE, {}, at=at(1))
    proposed = desk.act(ALICE, "propose_exception", CASE,
                        {"reason": "agreed with legal", "valid_from": "2026-12-08", "valid_to": "2026-12-31"}, at=at(2))
    exception_id = proposed.payload["exception_id"]
    with pytest.raises(Refused, match="may not approve"):
        desk.act(ALICE, "approve_exception", "", {"exception_id": exception_id}, at=at(3))
    desk.act(BOB, "propose_exception", OTHER, {"reason": "r", "valid_from": "2026-12-08", "valid_to": "2026-12-09"},
             at=at(3))
    with pytest.raises(Refused, match="^Four eyes: bob proposed EXC-2026-12-07-N002 and may not approve it"):
        desk.act(BOB, "approve_exception", "", {"exception_id": "EXC-2026-12-07-N002"}, at=at(4))
    desk.act(BOB, "approve_exception", "", {"exception_id": exception_id}, at=at(4))
    recorded = desk.act(CAROL, "record_dispute", OTHER, {"raised_by": "AG02 operations", "note": "on roster"},
                        at=at(5))
    dispute_id = recorded.payload["dispute_id"]
    with pytest.raises(Refused, match="^Four eyes: carol recorded"):
        desk.act(CAROL, "decide_dispute", "", {"dispute_id": dispute_id, "outcome": "upheld"}, at=at(6))
    desk.act(BOB, "decide_dispute", "", {"dispute_id": dispute_id, "outcome": "upheld"}, at=at(6))
    return {"exception_id": exception_id, "dispute_id": dispute_id}


def check_flow(desk: Desk, ids: dict[str, str]) -> None:
    events = desk.events()
    assert [(e.seq, e.actor, e.role, e.kind, e.case_id) for e in events] == [
        (1, "alice", "officer", "take", CASE), (2, "alice", "officer", "propose_exception", CASE),
        (3, "bob", "approver", "propose_exception", OTHER), (4, "bob", "approver", "approve_exception", CASE),
        (5, "carol", "approver", "record_dispute", OTHER), (6, "bob", "approver", "decide_dispute", OTHER)]
    assert ids == {"exception_id": "EXC-2026-12-07-N001", "dispute_id": "DSP-2026-12-07-N001"}
    state = desk.state()
    exception, dispute = state.exceptions[ids["exception_id"]], state.disputes[ids["dispute_id"]]
    assert (exception.status, exception.proposed_by, exception.decided_by, exception.decided_at) == \
        ("approved", "alice", "bob", at(4))
    assert (dispute.status, dispute.recorded_by, dispute.decided_by) == ("upheld", "carol", "bob")
    assert state.cases[CASE].owner == "alice"
    assert desk.state(until=at(3)).exceptions[ids["exception_id"]].status == "proposed"
    assert desk.head() == events[-1].hash and desk.head(until=at(4)) == events[3].hash
    assert desk.head(until=at(0)) == ""
    assert [e.seq for e in desk.events(case_id=OTHER)] == [3, 5, 6]
    assert all(e.at.tzinfo is not None and e.at.utcoffset() == dt.timedelta(0) for e in events)
    assert desk.verify() == []
