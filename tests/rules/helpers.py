"""Small builders shared by the rule tests: a second agency, answered calls, finding ids."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from audits.models import VIOLATION_COLUMNS
from audits.rules import RuleInputs
from tests.landing import CALLER, DAY, REFERENCE, call

D = DAY                                   # 2026-11-27, the audit day


def day(offset: int) -> dt.date:
    """D + offset days."""
    return D + dt.timedelta(days=offset)


def iso(offset: int) -> str:
    """'YYYY-MM-DD' of D + offset days."""
    return day(offset).isoformat()


def contract(agency_id: str, contract_id: str | None = None, **fields) -> dict:
    """A contract row like AG01's default one, for another agency; override any field."""
    row = dict(REFERENCE["contracts"][0], agency_id=agency_id, agency_name=f"Agency {agency_id}",
               contract_id=contract_id or f"C-{agency_id}")
    row.update(fields)
    return row


def agent(agency_id: str, agent_id: str, **fields) -> dict:
    row = dict(agency_id=agency_id, agent_id=agent_id, active_from="2025-01-01", active_to="",
               trained_on="2026-06-01")
    row.update(fields)
    return row


def caller(agency_id: str, number: str = CALLER, **fields) -> dict:
    row = dict(agency_id=agency_id, caller_number=number, registered_from="2025-01-01", registered_to="")
    row.update(fields)
    return row


def assignment(agency_id: str, phone: str, campaign_id: str = "MKT", **fields) -> dict:
    row = dict(agency_id=agency_id, campaign_id=campaign_id, customer_id=f"K-{phone}", phone=phone,
               assigned_from="2026-01-01", assigned_to="")
    row.update(fields)
    return row


def consent(phone: str, consent_at: str = "2026-01-01 00:00:00", withdrawn_at: str = "") -> dict:
    return dict(customer_id=f"K-{phone}", phone=phone, marketing_consent_at=consent_at,
                marketing_withdrawn_at=withdrawn_at)


def two_agencies(**ag02_contract) -> dict:
    """Reference overrides adding AG02 (its own contract, agent A1, the same caller number and
    the default assignments) next to the default AG01."""
    return dict(
        contracts=REFERENCE["contracts"] + [contract("AG02", **ag02_contract)],
        agents=REFERENCE["agents"] + [agent("AG02", "A1")],
        caller_numbers=REFERENCE["caller_numbers"] + [caller("AG02")],
        assignments=REFERENCE["assignments"] + [dict(a, agency_id="AG02") for a in REFERENCE["assignments"]],
    )


def answered(call_id: str, start: str, outcome: str = "RIGHT_PARTY", **fields) -> dict:
    """An ANSWERED call with this outcome (answer at start, end one minute later)."""
    end = (pd.Timestamp(start) + pd.Timedelta(minutes=1)).isoformat() if "T" not in start else start
    return call(call_id, start, disposition="ANSWERED", outcome=outcome, answer_time=start,
                end_time=end.replace("T", " "), **fields)


def ids(found: pd.DataFrame, prefix: str = "") -> set[str]:
    """call_ids of the findings that start with prefix (each test section owns a prefix)."""
    return {c for c in found["call_id"] if c.startswith(prefix)}


def only(found: pd.DataFrame, call_id: str) -> pd.Series:
    """The single finding of this call."""
    rows = found[found["call_id"] == call_id]
    assert len(rows) == 1, f"{call_id}: {len(rows)} findings"
    return rows.iloc[0]


def without_calls(inputs: RuleInputs) -> RuleInputs:
    """The same inputs (history, refusals, reference) with no calls on the audit day."""
    return dataclasses.replace(inputs, calls=inputs.calls.iloc[:0])


def with_calls(inputs: RuleInputs, keep: pd.Series) -> RuleInputs:
    """The same inputs keeping only these of the audit day's calls."""
    return dataclasses.replace(inputs, calls=inputs.calls[keep.to_numpy()].reset_index(drop=True))


def assert_empty_violations(found: pd.DataFrame) -> None:
    assert found.empty
    assert tuple(found.columns) == VIOLATION_COLUMNS
