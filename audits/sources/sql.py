"""`kind: sql`: a reference table from the vendor-management database, or an agency's text
messages of the day from a messages table (`sms:`), through
apache-airflow-providers-postgres' PostgresHook and an Airflow connection. The query (one
SELECT, checked when sources.yaml is loaded: query.py) runs as it is, as a server-side cursor
in a read-only transaction, never pasted into another statement; its rows stream to CSV a
batch at a time. Imported lazily, inside functions.

The database account must be read-only and must not hold pg_execute_server_program,
pg_read_server_files or pg_write_server_files (README, Sources): the checks here are a second
line, not the first.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from pathlib import Path

from audits.models import TABLE_COLUMNS
from audits.sources.connections import connection_secrets, error_text, get_connection
from audits.sources.fetch import PullError, PullRefused

POSTGRES_TYPES = ("postgres", "postgresql")
BATCH_ROWS = 10_000
# Errors of the query itself, by SQLSTATE class: 42 syntax, unknown table or column, no privilege;
# 22 a bad value or cast; 25 a write in the read-only transaction; 0A not supported. The query
# must be fixed, so they are not retried. Connection errors (08, 57) and the rest are.
_QUERY_ERROR_CLASSES = ("42", "22", "25", "0A")


def export_query(connection_id: str, query: str, *, table: str, name: str, path: Path,
                 empty_ok: bool = False) -> bool:
    """Write the query's result to `path` (created new) as UTF-8 CSV with a header, then check
    that its columns are the table's contract columns (all required ones, no others). Returns
    whether it has rows; no rows is PullError unless `empty_ok` (a day's texts not there yet)."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    secrets = connection_secrets(connection_id)
    try:
        connection_type = get_connection(connection_id).conn_type
    except LookupError as exc:
        raise PullRefused(f"{name}: {exc}") from None
    if connection_type not in POSTGRES_TYPES:
        raise PullRefused(f"{name}: Airflow connection {connection_id!r} is of type {connection_type!r}; kind sql "
                          "reads PostgreSQL (connection type postgres).")
    try:
        database = PostgresHook(postgres_conn_id=connection_id).get_conn()
    except Exception as exc:
        if "authentication failed" in str(exc) or "no password supplied" in str(exc):
            raise PullRefused(f"{name}: the database of connection {connection_id!r} refused the login: "
                              f"{error_text(exc, secrets)}. Check the connection's login and password; not "
                              "retried.") from None
        raise PullError(f"{name}: cannot connect to the database of connection {connection_id!r}: "
                        f"{error_text(exc, secrets)}.") from None
    try:
        _read_only(database)
        with open(path, "x", encoding="utf-8", newline="") as sink:
            _write_rows(database, query, sink)
            sink.flush()
            os.fsync(sink.fileno())
        database.rollback()
    except Exception as exc:
        state = str(getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None) or "")
        if state[:2] in _QUERY_ERROR_CLASSES:
            raise PullRefused(f"{name}: the query failed: {error_text(exc, secrets)}. Fix {name}.query "
                              "in sources.yaml; not retried.") from None
        if isinstance(exc, OSError):
            raise
        raise PullError(f"{name}: the query could not be run to the end: {error_text(exc, secrets)}.") from None
    finally:
        database.close()
    return _check_columns(path, table, name, empty_ok=empty_ok)


def _write_rows(database, query: str, sink) -> None:
    """The query's result as CSV with a header: a server-side (named) cursor, so PostgreSQL
    declares it only for a query and the rows come BATCH_ROWS at a time (psycopg 2 and 3 alike)."""
    cursor = database.cursor(name="audits_pull")
    try:
        cursor.execute(query)
        rows = cursor.fetchmany(BATCH_ROWS)
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow([column[0] for column in cursor.description or ()])
        while rows:
            writer.writerows([[csv_text(value) for value in row] for row in rows])
            rows = cursor.fetchmany(BATCH_ROWS)
    finally:
        cursor.close()


def csv_text(value: object) -> str:
    """A database value as the contract writes it: blank for NULL, dates YYYY-MM-DD, times ISO
    8601 with a space, lists ';'-separated, true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ";".join(csv_text(item) for item in value)
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    return str(value)


def _read_only(database) -> None:
    """Run the query in a read-only transaction: a query that writes fails instead."""
    if hasattr(database, "set_session"):                      # psycopg2
        database.set_session(readonly=True)
    else:                                                     # psycopg 3
        database.read_only = True


def _check_columns(path: Path, table: str, name: str, *, empty_ok: bool = False) -> bool:
    """The result's header must be the table's contract columns: every required one, no other
    (a column the contract does not know has no place in the landing zone); and rows, unless
    `empty_ok`. Returns whether there are rows."""
    required, optional = TABLE_COLUMNS[table]
    with open(path, "rb") as handle:
        header = handle.readline().decode("utf-8", errors="replace")
        has_rows = bool(handle.read(1))
    columns = next(csv.reader(io.StringIO(header)), [])
    names = [c.strip().lower() for c in columns]
    missing = [c for c in required if c not in names]
    unknown = [c for c in columns if c.strip().lower() not in (*required, *optional)]
    if missing or unknown:
        lines = [f"{name}: the query returns columns that are not those of {table}"]
        if missing:
            lines.append(f"missing: {', '.join(missing)}")
        if unknown:
            lines.append(f"not in the contract: {', '.join(unknown[:10])}")
        lines.append(f"Select {', '.join(required + optional)} (the optional ones may be left out), in the "
                     "contract's formats (dates YYYY-MM-DD, lists as ';'-separated text); not retried.")
        raise PullRefused("\n".join(lines))
    if not has_rows and not empty_ok:
        raise PullError(f"{name}: the query returned no rows; reference/{table} was left as it was. Reference "
                        "tables are effective-dated and never lose rows: check the vendor database.")
    return has_rows
