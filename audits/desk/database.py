"""Where the desk's events live: one table through SQLAlchemy, its schema kept by the Alembic
migrations shipped in audits/desk/migrations (run on open). SQLite at <store>/desk.sqlite by
default; PostgreSQL (or any SQLAlchemy URL) from AUDIT_DESK_DB or the Airflow connection
`audit_desk_db`."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from sqlalchemy import Integer, String, Text, create_engine, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from audits.sources.connections import connection_uri

URL_VARIABLE = "AUDIT_DESK_DB"
CONNECTION_ID = "audit_desk_db"
SQLITE_FILE = "desk.sqlite"
VERSION_TABLE = "desk_alembic_version"     # apart from any other Alembic history in a shared database
MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_LOCK = 0x6465736B                # "desk": the advisory lock key of the desk's migrations
_MIGRATING = threading.Lock()


class Base(DeclarativeBase):
    pass


class EventRow(Base):
    """One act, never updated or deleted; `at` is UTC text (events.AT_FORMAT), `payload` canonical JSON."""

    __tablename__ = "desk_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(40), unique=True)
    at: Mapped[str] = mapped_column(String(32), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


def desk_url(store: Path, url: str | None = None) -> str:
    """The database URL: `url`, else AUDIT_DESK_DB, else the Airflow connection audit_desk_db,
    else SQLite at <store>/desk.sqlite."""
    chosen = url or os.environ.get(URL_VARIABLE) or connection_uri(CONNECTION_ID)
    return sqlalchemy_url(chosen) if chosen else default_url(store)


def default_url(store: Path) -> str:
    return f"sqlite:///{Path(store).resolve() / SQLITE_FILE}"


def sqlalchemy_url(url: str) -> str:
    """An Airflow-style URI (postgres://, postgresql://) as SQLAlchemy names its driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    return url


def make_engine(url: str) -> Engine:
    return create_engine(url, future=True, pool_pre_ping=True)


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (a new database gets the events table). One
    migration at a time: in this process (Alembic's context is process-wide) and, on PostgreSQL,
    across processes (a transaction-scoped advisory lock); elsewhere a migration that lost a race
    is run again, finding the schema made."""
    logging.getLogger("alembic").setLevel(logging.WARNING)      # a person at a terminal sees the act, not the schema
    with _MIGRATING:
        try:
            _upgrade_once(engine)
        except SQLAlchemyError:
            _upgrade_once(engine)


def _upgrade_once(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def has_events_table(engine: Engine) -> bool:
    return inspect(engine).has_table(EventRow.__tablename__)
