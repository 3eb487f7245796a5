"""The same flow of acts against a real PostgreSQL server on 127.0.0.1 (the project's test
server harness): chosen by AUDIT_DESK_DB or by the Airflow connection audit_desk_db, migrated on
open, four eyes refused, and a row edited or deleted with SQL fails verify naming the event."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from audits.desk.database import desk_url
from audits.desk.service import desk_exists, open_desk
from tests.desk.flow import check_flow, run_flow


@pytest.fixture
def pg_url(postgres_databases):
    return postgres_databases(f"desk_{uuid.uuid4().hex[:8]}")


def _sql(url: str, *statements: str) -> None:
    """Run SQL as the superuser, who may switch the database's guard off first."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE desk_events DISABLE TRIGGER USER"))
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


def test_the_flow_on_postgresql_chosen_by_audit_desk_db(store, pg_url, monkeypatch):
    monkeypatch.setenv("AUDIT_DESK_DB", pg_url)
    assert not desk_exists(store)
    desk = open_desk(store)
    assert desk.engine.dialect.name == "postgresql" and not (store / "desk.sqlite").exists()
    check_flow(desk, run_flow(desk))
    assert desk_exists(store)
    assert open_desk(store).head() == desk.head()          # opening again migrates nothing and reads the same chain


def test_postgresql_refuses_to_update_delete_or_truncate_an_event(store, pg_url):
    from sqlalchemy.exc import InternalError

    desk = open_desk(store, url=pg_url)
    run_flow(desk)
    engine = create_engine(pg_url)
    for statement in ("UPDATE desk_events SET actor = 'mallory'", "DELETE FROM desk_events WHERE seq = 1",
                      "TRUNCATE desk_events"):
        with pytest.raises(InternalError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    engine.dispose()
    assert len(desk.events()) == 6 and desk.verify() == []


def test_tampering_on_postgresql_fails_verify_naming_the_event(store, pg_url):
    desk = open_desk(store, url=pg_url)
    run_flow(desk)
    events = desk.events()
    _sql(pg_url, "UPDATE desk_events SET payload = replace(payload, 'upheld', 'rejected') WHERE seq = 6")
    assert desk.verify() == [f"event #6 ({events[5].event_id}, decide_dispute on {events[5].case_id} by bob at "
                             "2026-12-07T09:06:00.000000Z): its hash does not match its content: the event was "
                             "edited."]
    _sql(pg_url, "DELETE FROM desk_events WHERE seq = 4")
    problems = desk.verify()
    assert any(p.startswith(f"event #5 ({events[4].event_id}") and "jump from #3 to #5" in p for p in problems)


def test_the_airflow_connection_audit_desk_db_names_the_database(store, pg_url, monkeypatch):
    monkeypatch.delenv("AUDIT_DESK_DB", raising=False)
    url = make_url(pg_url)
    monkeypatch.setenv("AIRFLOW_CONN_AUDIT_DESK_DB", json.dumps({
        "conn_type": "postgres", "host": url.host, "port": url.port, "login": url.username,
        "password": url.password, "schema": url.database}))
    assert desk_url(store).startswith("postgresql+psycopg2://") and desk_url(store).endswith(f"/{url.database}")
    desk = open_desk(store)
    check_flow(desk, run_flow(desk))


def test_acts_recorded_at_the_same_time_all_land_in_one_unbroken_chain(store, pg_url):
    """Four people comment at once: every act is recorded once, the chain has no gap or fork."""
    import threading

    from audits.desk.roles import Actor
    from tests.desk.conftest import CASE

    desk = open_desk(store, url=pg_url)
    errors: list[BaseException] = []

    def comment(name: str) -> None:
        try:
            for k in range(3):
                desk.act(Actor(name, frozenset({"officer"})), "comment", CASE, {"text": f"{name} {k}"})
        except BaseException as exc:      # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=comment, args=(f"officer{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    events = desk.events()
    assert [e.seq for e in events] == list(range(1, 13)) and desk.verify() == []
    assert sorted(e.payload["text"] for e in events) == sorted(f"officer{n} {k}" for n in range(4) for k in range(3))


def _open_in_a_process(store: str, url: str) -> int:
    return len(open_desk(Path(store), url=url).events())


def test_processes_and_threads_opening_a_new_database_at_once_all_get_the_schema(store, pg_url):
    import threading
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        started = [pool.submit(_open_in_a_process, str(store), pg_url) for _ in range(2)]
        opened, errors = [], []

        def open_it() -> None:
            try:
                opened.append(open_desk(store, url=pg_url))
            except BaseException as exc:      # noqa: BLE001 (reported below)
                errors.append(exc)

        threads = [threading.Thread(target=open_it, daemon=True) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert [f.result(timeout=120) for f in started] == [0, 0]
    assert errors == [] and len(opened) == 3 and all(d.events() == [] for d in opened)
