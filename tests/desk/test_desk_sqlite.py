"""The desk on its default database (<store>/desk.sqlite): the flow of acts with four eyes, ids,
masking of typed numbers, migrations on open; and tampering with the table directly (an
edited payload, a deleted row, two rows swapped) fails verify, naming the event."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import inspect

from audits.desk.catalogue import known_cases
from audits.desk.service import Refused, desk_exists, open_desk
from tests.desk.conftest import CASE, OTHER, RESOLVED_EARLIER
from tests.desk.flow import ALICE, BOB, at, check_flow, run_flow


@pytest.fixture
def desk(store, monkeypatch):
    monkeypatch.delenv("AUDIT_DESK_DB", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_AUDIT_DESK_DB", raising=False)
    return open_desk(store)


def test_without_a_desk_database_there_is_no_desk_until_it_is_opened(store, monkeypatch):
    monkeypatch.delenv("AUDIT_DESK_DB", raising=False)
    assert not desk_exists(store)
    open_desk(store)
    assert desk_exists(store) and (store / "desk.sqlite").is_file()


def test_the_schema_comes_from_the_shipped_migrations_and_opening_again_changes_nothing(desk, store):
    desk.act(ALICE, "take", CASE, {}, at=at(1))
    again = open_desk(store)
    tables = set(inspect(again.engine).get_table_names())
    assert tables == {"desk_events", "desk_alembic_version"}
    with again.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM desk_alembic_version").scalar() == \
            "0002_append_only"
    assert [e.kind for e in again.events()] == ["take"]


def test_the_flow_records_acts_refuses_four_eyes_and_verifies(desk):
    check_flow(desk, run_flow(desk))


def test_a_refused_act_records_nothing(desk):
    desk.act(ALICE, "take", CASE, {}, at=at(1))
    head = desk.head()
    for kind, case_id, payload in [("approve_exception", "", {"exception_id": "EXC-2026-12-07-N001"}),
                                   ("take", "C-ffffffffffff", {}), ("take", RESOLVED_EARLIER, {}),
                                   ("set_due", CASE, {"on": "2026-13-01"})]:
        with pytest.raises(Refused):
            desk.act(BOB, kind, case_id, payload, at=at(2))
    assert desk.head() == head and len(desk.events()) == 1


def test_an_act_dated_before_the_last_event_is_refused(desk):
    desk.act(ALICE, "take", CASE, {}, at=at(5))
    with pytest.raises(Refused, match="before the last recorded event"):
        desk.act(BOB, "take", CASE, {}, at=at(4))


def test_typed_numbers_are_masked_before_they_are_recorded(desk):
    event = desk.act(ALICE, "comment", CASE, {"text": "  customer said call 13800138000 back  "}, at=at(1))
    assert event.payload == {"text": "customer said call *******8000 back"}
    assert "13800138000" not in (desk.events()[0].payload["text"])


def test_ids_are_the_utc_date_and_the_days_sequence(desk):
    first = desk.act(ALICE, "propose_exception", CASE, {"reason": "r", "valid_from": "2026-12-08",
                                                        "valid_to": "2026-12-09"}, at=at(1))
    second = desk.act(ALICE, "propose_exception", OTHER, {"reason": "r", "valid_from": "2026-12-08",
                                                          "valid_to": "2026-12-09"}, at=at(60 * 15))
    assert (first.payload["exception_id"], second.payload["exception_id"]) == ("EXC-2026-12-07-N001", "EXC-2026-12-08-N001")


def test_the_desk_knows_the_cases_of_the_latest_register_with_masked_subjects(store):
    cases = known_cases(store)
    assert sorted(cases["case_id"]) == [CASE, OTHER]
    assert set(cases.loc[cases["case_id"] == CASE, "subject_display"]) == {"+86 138****5678"}
    assert {"agency_id", "rule_id", "severity", "status", "first_seen", "days_open"} <= set(cases.columns)


def test_the_database_refuses_to_update_or_delete_an_event(desk, store):
    desk.act(ALICE, "take", CASE, {}, at=at(1))
    for statement in ("UPDATE desk_events SET actor = 'mallory'", "DELETE FROM desk_events"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"), sqlite3.connect(store / "desk.sqlite") as db:
            db.execute(statement)
    assert [e.actor for e in desk.events()] == ["alice"] and desk.verify() == []


def _tamper(store, *statements: str) -> None:
    """Run SQL as someone who may drop the database's guard first (a database administrator)."""
    with sqlite3.connect(store / "desk.sqlite") as connection:
        connection.execute("DROP TRIGGER IF EXISTS desk_events_no_update")
        connection.execute("DROP TRIGGER IF EXISTS desk_events_no_delete")
        for statement in statements:
            connection.execute(statement)


def _flowed(desk) -> list:
    run_flow(desk)
    return desk.events()


def test_an_edited_payload_fails_verify_naming_the_event(desk, store):
    events = _flowed(desk)
    _tamper(store, "UPDATE desk_events SET payload = replace(payload, '2026-12-31', '2027-02-28') WHERE seq = 2")
    problems = desk.verify()
    assert problems == [f"event #2 ({events[1].event_id}, propose_exception on {CASE} by alice at "
                        "2026-12-07T09:02:00.000000Z): its hash does not match its content: the event was edited."]


def test_an_edited_actor_fails_verify(desk, store):
    events = _flowed(desk)
    _tamper(store, "UPDATE desk_events SET actor = 'carol' WHERE seq = 4")
    (problem,) = desk.verify()
    assert problem.startswith(f"event #4 ({events[3].event_id}, approve_exception") and "edited" in problem


def test_a_deleted_event_fails_verify_naming_the_event_after_the_gap(desk, store):
    events = _flowed(desk)
    _tamper(store, "DELETE FROM desk_events WHERE seq = 3")
    problems = desk.verify()
    assert len(problems) == 2 and all(p.startswith(f"event #4 ({events[3].event_id}") for p in problems)
    assert "jump from #2 to #4" in problems[0] and "previous hash" in problems[1]


def test_two_swapped_events_fail_verify_naming_both(desk, store):
    events = _flowed(desk)
    _tamper(store, "UPDATE desk_events SET seq = -1 WHERE seq = 2", "UPDATE desk_events SET seq = 2 WHERE seq = 3",
            "UPDATE desk_events SET seq = 3 WHERE seq = -1")
    problems = desk.verify()
    named = {p.split(",")[0] for p in problems}
    assert named == {f"event #2 ({events[2].event_id}", f"event #3 ({events[1].event_id}",
                     f"event #4 ({events[3].event_id}"}


def test_a_payload_edited_into_nonsense_is_named_not_a_crash(desk, store):
    events = _flowed(desk)
    _tamper(store, "UPDATE desk_events SET payload = '{not json' WHERE seq = 1",
            "UPDATE desk_events SET at = 'yesterday' WHERE seq = 5")
    problems = desk.verify()
    assert [p.split(" ")[1] for p in problems] == ["#1", "#5"]
    assert problems[0].startswith(f"event #1 ({events[0].event_id}")
