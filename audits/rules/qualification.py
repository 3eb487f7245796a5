"""Qualification rules: may this agency, agent and number make this call? (rules.md, "Qualification")."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audits.rules.findings import as_violations
from audits.rules.inputs import RuleInputs
from audits.rules.joins import active_on, map_pairs, pairs_in
from audits.tables import contracts_in_force


def calls_without_contract(inputs: RuleInputs) -> pd.DataFrame:
    """QUAL_NO_CONTRACT: the agency has no contract in force on D."""
    in_force = contracts_in_force(inputs.contracts, inputs.audit_date)
    rows = inputs.calls[~inputs.calls["agency_id"].isin(in_force.index)]
    return as_violations(inputs, rows, "QUAL_NO_CONTRACT",
                         "no contract of this agency is in force on " + inputs.audit_date.isoformat())


def calls_under_invalid_licence(inputs: RuleInputs) -> pd.DataFrame:
    """QUAL_LICENCE_INVALID: the contract in force has no licence_no, or the licence expired before D."""
    contracts = contracts_in_force(inputs.contracts, inputs.audit_date)
    missing = contracts["licence_no"].isna()
    expired = contracts["licence_expiry_date"].notna() & (contracts["licence_expiry_date"] < inputs.day64)
    reason = pd.Series(np.where(missing, "no licence on the contract in force",
                                "licence expired on "
                                + contracts["licence_expiry_date"].dt.strftime("%Y-%m-%d").fillna("")),
                       index=contracts.index)
    invalid = reason[missing | expired]
    rows = inputs.calls[inputs.calls["agency_id"].isin(invalid.index)]
    return as_violations(inputs, rows, "QUAL_LICENCE_INVALID", rows["agency_id"].map(invalid))


def calls_out_of_scope(inputs: RuleInputs) -> pd.DataFrame:
    """QUAL_OUT_OF_SCOPE: under a contract in force, the campaign is unknown, or its purpose is not
    permitted, or its product is not permitted.

    A campaign with a blank product is judged on its purpose only; a contract with blank
    permitted_products permits no product.
    """
    calls = inputs.calls
    contracts = contracts_in_force(inputs.contracts, inputs.audit_date)
    covered = calls.loc[calls["agency_id"].isin(contracts.index), ["agency_id", "purpose", "product"]]
    unknown = covered["purpose"].isna().to_numpy()
    purposes, products = _permitted(contracts, "purposes"), _permitted(contracts, "products")
    bad_purpose = ~unknown & ~pairs_in((covered["agency_id"], covered["purpose"]),
                                       (purposes["agency_id"], purposes["purposes"]))
    bad_product = ~unknown & covered["product"].notna().to_numpy() & ~pairs_in(
        (covered["agency_id"], covered["product"]), (products["agency_id"], products["products"]))
    hits = unknown | bad_purpose | bad_product
    rows = calls.loc[covered.index[hits]]
    contract = rows["agency_id"].map(contracts["contract_id"])
    detail = np.select(
        [unknown[hits], bad_purpose[hits]],
        ["campaign " + rows["campaign_id"] + " is unknown",
         "purpose " + rows["purpose"] + " is not permitted by contract " + contract],
        "product " + rows["product"] + " is not permitted by contract " + contract)
    return as_violations(inputs, rows, "QUAL_OUT_OF_SCOPE", pd.Series(detail, index=rows.index, dtype="str"))


def _permitted(contracts: pd.DataFrame, column: str) -> pd.DataFrame:
    """(agency_id, item) for every item a contract in force permits (one row per item)."""
    return contracts.reset_index(drop=True)[["agency_id", column]].explode(column).dropna()


def calls_by_untrained_agents(inputs: RuleInputs) -> pd.DataFrame:
    """QUAL_AGENT_UNTRAINED: the agent is on the agency's roster (any period) and no roster row has
    trained_on within training_valid_days before D (blank or after D does not count)."""
    calls, agents = inputs.calls, inputs.agents
    day64, valid_days = inputs.day64, inputs.rulepack.training_valid_days
    trained = agents.assign(trained=agents["trained_on_date"].where(agents["trained_on_date"] <= day64))
    latest = trained.groupby(["agency_id", "agent_id"], as_index=False)["trained"].max()
    pair = (calls["agency_id"], calls["agent_id"])
    on_roster = pd.Series(pairs_in(pair, (agents["agency_id"], agents["agent_id"])), index=calls.index)
    last = pd.to_datetime(map_pairs(pair, (latest["agency_id"], latest["agent_id"]), latest["trained"]))
    age_days = (day64 - last).dt.days
    hits = on_roster & (last.isna() | (age_days > valid_days))
    rows = calls[hits]
    detail = pd.Series(np.where(last[hits].isna(), "agent has no compliance training on record",
                                "agent's last compliance training was " + age_days[hits].astype("Int64").astype("str")
                                + f" days before the call (valid {valid_days} days)"),
                       index=rows.index, dtype="str")
    return as_violations(inputs, rows, "QUAL_AGENT_UNTRAINED", detail)


def call_numbers(caller_numbers: pd.DataFrame) -> pd.DataFrame:
    """The caller_numbers rows that register a caller number for calls: channel blank, absent
    or `call` (an `sms` row registers a texting port, sms.md §1)."""
    if "channel" not in caller_numbers:
        return caller_numbers
    sms = caller_numbers["channel"].str.strip().str.lower().eq("sms").fillna(False).to_numpy(bool)
    return caller_numbers[~sms]


def calls_from_unregistered_numbers(inputs: RuleInputs) -> pd.DataFrame:
    """QUAL_UNREGISTERED_CALLER_ID: the caller number is not registered to the agency on D."""
    calls, numbers = inputs.calls, call_numbers(inputs.caller_numbers)
    live = numbers[active_on(numbers, "registered_from_date", "registered_to_date", inputs.day64)]
    rows = calls[~pairs_in((calls["agency_id"], calls["caller_e164"]), (live["agency_id"], live["caller_e164"]))]
    return as_violations(inputs, rows, "QUAL_UNREGISTERED_CALLER_ID",
                         "caller number not registered to this agency on " + inputs.audit_date.isoformat())
