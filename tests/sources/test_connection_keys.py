"""Handing an SFTP private key to Airflow the way the README says leaves no trace of it in the
metadata database: a key file on the workers named by the connection's `key_file` extra (its
passphrase, if any, as the connection's password, which Airflow masks and encrypts), or the whole
connection in an AIRFLOW_CONN_<ID> variable of the workers' environment. Pasting the key into
`airflow connections add --conn-json/--conn-extra` does leave it there (Airflow logs the command
line in its `log` table): shown first, so that the scan is seen to find a key when there is one.

Everything runs in subprocesses against a throwaway SQLite AIRFLOW_HOME: `airflow db migrate`,
`airflow connections add`, and `airflow dags test` of a one-task DAG that pulls through the SFTP
hook (inside a task, the connection comes from the metadata database or the environment)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import yaml

from tests.landing import DAY, make_landing
from tests.sources.test_pull import COMPACT, _cdr, _put

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
REPO = Path(__file__).resolve().parents[2]
PULL_DAG = '''
import datetime as dt
import os
from pathlib import Path

from airflow.sdk import dag, task


@dag(dag_id="pull_with_keys", schedule=None, start_date=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
def pull_with_keys():
    @task
    def pull(agency_id: str) -> str:
        from audits.sources.config import load_sources
        from audits.sources.pull import PullSettings, pull_agency

        settings = PullSettings(landing=Path(os.environ["TEST_LANDING"]), day=dt.date(2026, 11, 27),
                                sources=load_sources(Path(os.environ["TEST_SOURCES"])))
        return pull_agency(settings, agency_id).status

    pull.expand(agency_id=["AG01", "AG02"])


pull_with_keys()
'''


def _airflow_env(home: Path, **more: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "AIRFLOW_CONN_"))},
            "AIRFLOW_HOME": str(home), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO", "PYTHONPATH": str(REPO), **more}


def _airflow(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
    done = subprocess.run([AIRFLOW, *arguments], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"airflow {arguments[:2]}: {done.stderr[-3000:]}"
    return done


def _key_lines(private_key: str) -> list[str]:
    """The lines of a private key's body (what must never be stored)."""
    return [line for line in private_key.splitlines() if len(line) > 20 and "PRIVATE KEY" not in line]


def _database_text(home: Path) -> str:
    """Every cell of every table of the metadata database, as text."""
    cells = []
    with sqlite3.connect(home / "airflow.db") as database:
        tables = [row[0] for row in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in database.execute(f'SELECT * FROM "{table}"'):
                cells += [cell.decode("utf-8", "replace") if isinstance(cell, bytes) else str(cell) for cell in row]
    return "\n".join(cells)


def test_the_documented_ways_to_hand_over_a_key_leave_none_in_the_metadata_database(tmp_path, sshd):
    home = tmp_path / "airflow"
    (home / "dags").mkdir(parents=True)
    (home / "dags" / "pull_with_keys.py").write_text(PULL_DAG)
    env = _airflow_env(home)
    _airflow(env, "db", "migrate")
    fresh = (home / "airflow.db").read_bytes()

    # Pasted into the command line: Airflow keeps it (the scan finds it).
    pasted = sshd.connection()
    _airflow(env, "connections", "add", "sftp_pasted", "--conn-json", json.dumps({**pasted, "extra": json.dumps(
        pasted["extra"])}))
    stored = _database_text(home)
    assert any(line in stored for line in _key_lines(sshd.plain_private_key))
    (home / "airflow.db").write_bytes(fresh)                          # start again with a clean database

    # 1. A key file on the worker, its passphrase as the (masked, encrypted) password.
    key_file = home / "keys" / "sftp_ag01"
    key_file.parent.mkdir(mode=0o700)
    key_file.write_text(sshd.user_private_key)
    key_file.chmod(0o600)
    _airflow(env, "connections", "add", "sftp_ag01", "--conn-type", "sftp", "--conn-host", "127.0.0.1",
             "--conn-port", str(sshd.port), "--conn-login", sshd.user, "--conn-password", sshd.user_key_passphrase,
             "--conn-extra", json.dumps({"key_file": str(key_file), "host_key": sshd.host_public_key,
                                         "look_for_keys": "false"}))
    # 2. The whole connection in the workers' environment.
    worker_env = {**env, "AIRFLOW_CONN_SFTP_AG02": json.dumps(sshd.connection())}

    landing = make_landing(tmp_path / "landing")
    drop = tmp_path / "drop"
    ag01 = _put(drop / f"ag01_{COMPACT}.csv", _cdr("AG01", "a1")).read_bytes()
    ag02 = _put(drop / f"ag02_{COMPACT}.csv", _cdr("AG02", "b1")).read_bytes()
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({"cdr": {
        "AG01": {"kind": "sftp", "connection": "sftp_ag01", "path": f"{drop}/ag01_{{date:%Y%m%d}}.csv"},
        "AG02": {"kind": "sftp", "connection": "sftp_ag02", "path": f"{drop}/ag02_{{date:%Y%m%d}}.csv"}}}))
    done = _airflow({**worker_env, "TEST_LANDING": str(landing), "TEST_SOURCES": str(sources)},
                    "dags", "test", "pull_with_keys", DAY.isoformat())
    day = landing / "cdr" / DAY.isoformat()
    assert (day / "AG01.csv").read_bytes() == ag01, done.stdout[-3000:] + done.stderr[-3000:]
    assert (day / "AG02.csv").read_bytes() == ag02

    stored = _database_text(home)
    assert "cli_connections_add" in stored and str(key_file) in stored          # the command was logged ...
    for secret in [*_key_lines(sshd.user_private_key), *_key_lines(sshd.plain_private_key),
                   sshd.user_key_passphrase]:
        assert secret not in stored                                           # ... without any secret
    logs = "\n".join(p.read_text(errors="replace") for p in (home / "logs").rglob("*") if p.is_file()) \
        if (home / "logs").is_dir() else ""
    for secret in [*_key_lines(sshd.plain_private_key), sshd.user_key_passphrase]:
        assert secret not in logs + done.stdout + done.stderr
