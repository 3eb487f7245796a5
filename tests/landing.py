"""Tiny literal landing zones for tests: reference tables with sensible defaults that any test
can override, and CDR rows written as CSV exactly as an agency would deliver them."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import replace
from pathlib import Path

from audits.config import AuditConfig
from audits.ingest import load_calls, load_reference
from audits.models import DECISION_TABLES, TABLE_COLUMNS
from audits.pipeline import ingest_earlier_days
from audits.pipeline import rule_inputs as pipeline_rule_inputs
from audits.rulepack import load_rulepack
from audits.rules import RuleInputs

DAY = dt.date(2026, 11, 27)
CUSTOMER = "13812345678"          # valid CN mobile
CUSTOMER_E164 = "+8613812345678"
OTHER = "13987654321"
CALLER = "01065529988"            # Beijing landline
CALLER_E164 = "+861065529988"

REFERENCE = {
    "contracts": [dict(agency_id="AG01", agency_name="华信催收服务有限公司", contract_id="C1",
                       contract_start="2026-01-01", contract_end="2026-12-31",
                       permitted_purposes="marketing;collection;servicing",
                       permitted_products="CREDIT_CARD;PERSONAL_LOAN", licence_no="L-1",
                       licence_expiry="2027-12-31", nda_signed="2025-12-01", nda_expiry="",
                       timezone="Asia/Shanghai")],
    "agents": [dict(agency_id="AG01", agent_id="A1", active_from="2025-01-01", active_to="",
                    trained_on="2026-06-01")],
    "caller_numbers": [dict(agency_id="AG01", caller_number=CALLER, registered_from="2025-01-01",
                            registered_to="")],
    "campaigns": [dict(campaign_id="MKT", purpose="marketing", product="CREDIT_CARD"),
                  dict(campaign_id="COL", purpose="collection", product="PERSONAL_LOAN"),
                  dict(campaign_id="SRV", purpose="servicing", product="CREDIT_CARD")],
    "assignments": [dict(agency_id="AG01", campaign_id="MKT", customer_id="K1", phone=CUSTOMER,
                         assigned_from="2026-01-01", assigned_to=""),
                    dict(agency_id="AG01", campaign_id="COL", customer_id="K2", phone=OTHER,
                         assigned_from="2026-01-01", assigned_to="")],
    "consents": [dict(customer_id="K1", phone=CUSTOMER, marketing_consent_at="2026-01-01 00:00:00",
                      marketing_withdrawn_at=""),
                 dict(customer_id="K2", phone=OTHER, marketing_consent_at="2026-01-01 00:00:00",
                      marketing_withdrawn_at="")],
}


def call(call_id: str, start: str, **fields) -> dict:
    """A clean answered marketing call by AG01/A1 to CUSTOMER; override any field."""
    row = dict(call_id=call_id, agency_id="AG01", agent_id="A1", campaign_id="MKT", caller_number=CALLER,
               callee_number=CUSTOMER, start_time=start, answer_time="", end_time=start,
               disposition="NO_ANSWER", outcome="", notes="", callee_tz="")
    row.update(fields)
    return row


def write_csv(path: Path, rows: list[dict], columns: list[str] | None = None, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = columns or (list(rows[0]) if rows else [])
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def make_landing(root: Path, days: dict[dt.date, dict[str, list[dict]]] | None = None, **reference) -> Path:
    """A landing zone under root: reference tables (defaults overridden by keyword) and CDR files."""
    for table, default_rows in REFERENCE.items():
        rows = reference.get(table, default_rows)
        required, optional = TABLE_COLUMNS[table]
        write_csv(root / "reference" / f"{table}.csv", rows, list(required + optional))
    for table in DECISION_TABLES:                  # optional: written only when given
        path = root / "reference" / f"{table}.csv"
        if table in reference:
            required, optional = TABLE_COLUMNS[table]
            write_csv(path, reference[table], list(required + optional))
        elif path.exists():
            path.unlink()
    for day, agencies in (days or {}).items():
        for agency, rows in agencies.items():
            write_csv(root / "cdr" / day.isoformat() / f"{agency}.csv", rows,
                      list(TABLE_COLUMNS["cdr"][0] + TABLE_COLUMNS["cdr"][1]))
    return root


def config_for(root: Path, day: dt.date = DAY, rulepack: str = "cn_bank") -> AuditConfig:
    return AuditConfig(audit_date=day, landing=root / "landing", out=root / "out", store=root / "store",
                       rulepack=load_rulepack(rulepack), run_id="test-run", code_version="test",
                       generated_at="2026-11-28T02:00:00+00:00")


def rule_inputs(tmp_path: Path, calls: list[dict], *, earlier: dict[dt.date, list[dict]] | None = None,
                day: dt.date = DAY, rulepack: str = "cn_bank", **reference) -> RuleInputs:
    """RuleInputs for `calls` on `day` (agency files split by agency_id), earlier days via the store."""
    days: dict[dt.date, dict[str, list[dict]]] = {}
    for when, rows in {**(earlier or {}), day: calls}.items():
        for row in rows:
            days.setdefault(when, {}).setdefault(row["agency_id"], []).append(row)
    make_landing(tmp_path / "landing", days, **reference)
    config = config_for(tmp_path, day, rulepack)
    tables = {name: i.accepted for name, i in load_reference(config.landing, audit_date=day,
                                                             rulepack=config.rulepack).items()}
    ingest_earlier_days(config, tables["contracts"], progress=lambda _m: None)
    today = load_calls(config.landing, day=day, contracts=tables["contracts"], rulepack=config.rulepack)
    assert today.quarantine.empty, f"test calls were quarantined: {today.quarantine.to_dict('records')}"
    return replace(pipeline_rule_inputs(config, tables, today.accepted), secret=b"test-secret")
