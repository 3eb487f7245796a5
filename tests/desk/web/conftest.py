"""The desk's web app over a literal case store and report: a burst of new critical cases at
AG03 (30 customers called after refusing), two at AG01, one major at AG02; the report of the
day lists their evidence calls (masked) and one complaint linked to an AG01 case. Users come
from a test header (`X-Test-User: name:airflow_role`) in place of Airflow's auth manager."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from audits.cases.daily import build_snapshot
from audits.cases.lifecycle import empty_counts
from audits.csv_cells import write_csv
from audits.desk.web.app import create_app
from audits.desk.web.security import Identity

DAY = dt.date(2026, 12, 4)
NOW = dt.datetime(2026, 12, 5, 9, 30, tzinfo=dt.UTC)
SECRET = b"test-form-secret"


def case_id(agency: str, rule: str, subject: str) -> str:
    return "C-" + hashlib.sha256(f"{agency}{rule}{subject}".encode()).hexdigest()[:12]


BURST = [case_id("AG03", "FREQ_AFTER_REFUSAL", f"+86 139****{k:04d}") for k in range(30)]
AG01_CASE = case_id("AG01", "FREQ_AFTER_REFUSAL", "+86 138****5678")
AG01_OTHER = case_id("AG01", "CONF_UNASSIGNED", "+86 137****0001")
AG02_CASE = case_id("AG02", "CONF_AGENT_NOT_ACTIVE", "E0032")


def _counts() -> pd.DataFrame:
    rows = [(cid, "AG03", "FREQ_AFTER_REFUSAL", "customer", f"+86 139****{k:04d}") for k, cid in enumerate(BURST)]
    rows += [(AG01_CASE, "AG01", "FREQ_AFTER_REFUSAL", "customer", "+86 138****5678"),
             (AG01_OTHER, "AG01", "CONF_UNASSIGNED", "customer", "+86 137****0001"),
             (AG02_CASE, "AG02", "CONF_AGENT_NOT_ACTIVE", "agent", "E0032")]
    return pd.DataFrame([{"case_id": c, "agency_id": a, "rule_id": r, "subject_kind": k, "subject_display": s,
                          "findings": 2, "calls": 2, "last_call": f"{DAY}T14:05:00+08:00"} for c, a, r, k, s in rows])


def _report(reports) -> None:
    folder = reports / DAY.isoformat()
    folder.mkdir(parents=True)
    violations = pd.DataFrame([
        {"audit_date": DAY.isoformat(), "agency_id": "AG01", "rule_id": "FREQ_AFTER_REFUSAL", "family": "frequency",
         "severity": "critical", "call_id": f"SRC-0000{k}", "agent_id": "E0005", "campaign_id": "COLL-01",
         "callee_masked": "+86 138****5678", "callee_key": "k" * 64, "start_time": f"{DAY}T1{k}:05:00+08:00",
         "detail": "call after the customer refused on 2026-12-01", "case_id": AG01_CASE, "decision": ""}
        for k in range(2)])
    write_csv(violations, folder / "violations.csv")
    complaints = pd.DataFrame([{
        "audit_date": DAY.isoformat(), "complaint_id": "CMP-0001", "received_at": f"{DAY}T09:00:00+08:00",
        "channel": "hotline", "category": "harassment", "callee_masked": "+86 138****5678", "callee_key": "k" * 64,
        "named_agency": "AG01", "linked_agencies": "AG01", "calls_in_window": 2, "findings_in_window": 2,
        "linked_case_ids": AG01_CASE, "status": "linked"}])
    write_csv(complaints, folder / "complaints.csv")


def make_case_store(root: Path) -> Path:
    """root/store with the cases above (and vera named a vendor manager), root/reports with the day's report."""
    store = root / "store"
    build_snapshot(store, DAY - dt.timedelta(days=1), empty_counts(), resolve_after_days=7)
    build_snapshot(store, DAY, _counts(), resolve_after_days=7)
    _report(root / "reports")
    (store / "desk.yaml").write_text("users:\n  vera: [vendor_manager]\n", encoding="utf-8")
    return store


@pytest.fixture
def desk_store(tmp_path):
    return make_case_store(tmp_path)


async def _header_identity(request) -> Identity | None:
    given = request.headers.get("x-test-user", "")
    if not given:
        return None
    name, _, role = given.partition(":")
    return Identity(name, (role,) if role else ())


@pytest.fixture
def app(desk_store):
    return create_app(store=desk_store, reports=desk_store.parent / "reports", identify=_header_identity,
                      secret=SECRET, clock=lambda: NOW)


@pytest.fixture
def client(app):
    """`client(name, airflow_role)`: a TestClient signed in as that user (no name: no session)."""
    def signed_in(name: str = "", role: str = "") -> TestClient:
        headers = {"x-test-user": f"{name}:{role}"} if name else {}
        return TestClient(app, headers=headers, follow_redirects=False)
    return signed_in
