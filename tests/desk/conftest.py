"""Desk fixtures: a literal case store (cases C-… of AG01/AG02 with masked subjects), a desk
config with one user per role, and a throwaway PostgreSQL database from the project's test
server harness."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from audits.cases.daily import build_snapshot
from audits.cases.lifecycle import empty_counts

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="desk-airflow-home-"))   # before airflow is imported

DAY = dt.date(2026, 12, 4)
CASE = "C-0a0a0a0a0a01"                  # AG01, a customer called after refusing (masked subject)
OTHER = "C-0b0b0b0b0b02"                 # AG02, an agent not on the roster
RESOLVED_EARLIER = "C-0c0c0c0c0c03"      # found once, long before: resolved, not in the latest register
DESK_YAML = """\
users:
  alice: [officer]
  bob: [approver]
  carol: [approver]
  vera: [vendor_manager]
  audrey: [auditor]
"""


def _counts(*rows: tuple[str, str, str, str, str]) -> pd.DataFrame:
    records = [dict(case_id=cid, agency_id=agency, rule_id=rule, subject_kind=kind, subject_display=shown,
                    findings=2, calls=2, last_call=f"{DAY}T14:05:00+08:00") for cid, agency, rule, kind, shown in rows]
    return pd.DataFrame(records) if records else empty_counts()


@pytest.fixture(scope="session")
def built_store(tmp_path_factory):
    """A store whose latest register (DAY) holds CASE and OTHER; RESOLVED_EARLIER was found 20
    days before and resolved since; plus desk.yaml naming one user per role."""
    store = tmp_path_factory.mktemp("desk") / "store"
    early = DAY - dt.timedelta(days=20)
    build_snapshot(store, early, _counts((RESOLVED_EARLIER, "AG01", "CONF_PII_IN_NOTES", "agent", "E0007")),
                   resolve_after_days=7)
    for k in range(8):
        build_snapshot(store, early + dt.timedelta(days=k + 1), empty_counts(), resolve_after_days=7)
    build_snapshot(store, DAY, _counts((CASE, "AG01", "FREQ_AFTER_REFUSAL", "customer", "+86 138****5678"),
                                       (OTHER, "AG02", "CONF_AGENT_NOT_ACTIVE", "agent", "E0032")),
                   resolve_after_days=7)
    (store / "desk.yaml").write_text(DESK_YAML, encoding="utf-8")
    return store


@pytest.fixture
def store(built_store, tmp_path):
    """A copy of the built store for one test (its desk database is the test's own)."""
    return Path(shutil.copytree(built_store, tmp_path / "store"))


@pytest.fixture
def postgres_databases(postgres):
    """make(name) -> a SQLAlchemy URL of a new, empty database on the suite's real PostgreSQL
    server (tests/conftest.py: `postgres`, listening on 127.0.0.1)."""
    return postgres.create_database


@pytest.fixture(autouse=True)
def _airflow_environment(airflow_home):
    """The desk's web app (the signed-in user) and its command line (the audit_desk_db
    connection) read Airflow's settings in this process: its environment is set first."""
    return airflow_home
