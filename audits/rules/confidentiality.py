"""Confidentiality rules: is customer data used only as entrusted? (rules.md, "Confidentiality")."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from audits.privacy import may_hold_number, written_numbers
from audits.rules.findings import as_violations
from audits.rules.inputs import RuleInputs
from audits.rules.joins import active_on, agency_numbers_in, pairs_in
from audits.tables import contracts_in_force

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def calls_without_assignment(inputs: RuleInputs) -> pd.DataFrame:
    """CONF_UNASSIGNED: no assignment of the callee number to the agency holds on D."""
    calls, assignments = inputs.calls, inputs.assignments
    live = active_on(assignments, "assigned_from_date", "assigned_to_date", inputs.day64).to_numpy()
    hits = ~agency_numbers_in(calls, assignments, among=live)
    return as_violations(inputs, calls[hits], "CONF_UNASSIGNED",
                         "customer not assigned to this agency on " + inputs.audit_date.isoformat())


def marketing_without_consent(inputs: RuleInputs) -> pd.DataFrame:
    """CONF_NO_CONSENT: a marketing call with no consent given at or before its start and not
    withdrawn by then."""
    calls = inputs.calls
    marketing = calls.loc[calls["purpose"] == "marketing", ["number", "start_utc"]]
    rows, withdrawn = without_consent(marketing, inputs.consents)
    detail = pd.Series(np.where(withdrawn, "marketing call after the customer withdrew consent",
                                "marketing call without recorded consent"), index=rows, dtype="str")
    return as_violations(inputs, calls.loc[rows], "CONF_NO_CONSENT", detail)


def without_consent(contacts: pd.DataFrame, consents: pd.DataFrame) -> tuple[pd.Index, np.ndarray]:
    """Labels of the `contacts` (number, start_utc) with no marketing consent in force at
    start_utc (given at or before it, not withdrawn by then), and for each whether a consent
    had been withdrawn by then."""
    pairs = contacts.rename_axis("index").reset_index().merge(
        consents[["number", "marketing_consent_utc", "marketing_withdrawn_utc"]], on="number", how="inner")
    in_force = ((pairs["marketing_consent_utc"] <= pairs["start_utc"])
                & (pairs["marketing_withdrawn_utc"].isna() | (pairs["marketing_withdrawn_utc"] > pairs["start_utc"])))
    consented = pd.Index(pairs.loc[in_force, "index"].unique())
    withdrawn = pd.Index(pairs.loc[pairs["marketing_withdrawn_utc"] <= pairs["start_utc"], "index"].unique())
    rows = contacts.index[~contacts.index.isin(consented)]
    return rows, rows.isin(withdrawn)


def calls_by_inactive_agents(inputs: RuleInputs) -> pd.DataFrame:
    """CONF_AGENT_NOT_ACTIVE: no roster row of the agency and agent is active on D."""
    calls, agents = inputs.calls, inputs.agents
    live = agents[active_on(agents, "active_from_date", "active_to_date", inputs.day64)]
    active = pairs_in((calls["agency_id"], calls["agent_id"]), (live["agency_id"], live["agent_id"]))
    rows = calls[~active]
    known = pairs_in((rows["agency_id"], rows["agent_id"]), (agents["agency_id"], agents["agent_id"]))
    detail = pd.Series(np.where(known, "agent not active on the agency's roster on ",
                                "agent unknown to the agency's roster on "), index=rows.index, dtype="str")
    return as_violations(inputs, rows, "CONF_AGENT_NOT_ACTIVE", detail + inputs.audit_date.isoformat())


def calls_under_lapsed_nda(inputs: RuleInputs) -> pd.DataFrame:
    """CONF_NDA_NOT_IN_FORCE: the contract in force has no NDA signed by D, or it expired before D."""
    contracts = contracts_in_force(inputs.contracts, inputs.audit_date)
    day64 = inputs.day64
    unsigned = contracts["nda_signed_date"].isna() | (contracts["nda_signed_date"] > day64)
    expired = contracts["nda_expiry_date"].notna() & (contracts["nda_expiry_date"] < day64)
    reason = pd.Series(np.where(unsigned, "no confidentiality agreement signed by ",
                                "confidentiality agreement expired before "), index=contracts.index)
    lapsed = reason[unsigned | expired] + inputs.audit_date.isoformat() + " (contract " \
        + contracts.loc[unsigned | expired, "contract_id"] + ")"
    rows = inputs.calls[inputs.calls["agency_id"].isin(lapsed.index)]
    return as_violations(inputs, rows, "CONF_NDA_NOT_IN_FORCE", rows["agency_id"].map(lapsed))


def calls_with_pii_in_notes(inputs: RuleInputs) -> pd.DataFrame:
    """CONF_PII_IN_NOTES: notes hold an unmasked PRC ID, a Luhn-valid card number or a mobile number."""
    found = identifier_kinds(inputs.calls["notes"])
    hits = found != ""
    return as_violations(inputs, inputs.calls[hits], "CONF_PII_IN_NOTES", "notes contain an unmasked " + found[hits])


def identifier_kinds(notes: pd.Series) -> pd.Series:
    """pii_kinds of each note ('' for none): read in Python only where Arrow's prefilter says
    a note may hold a written number of 11 digits or more (the shortest identifier), each
    distinct note once."""
    text = pa.array(notes, type=pa.string(), from_pandas=True)
    candidates = np.flatnonzero(may_hold_number(text, digits=11))
    kinds = pa.repeat(pa.scalar("", pa.string()), len(notes))
    if candidates.size:
        values = text.take(pa.array(candidates)).to_pylist()
        read = {value: pii_kinds(value) for value in set(values)}
        hit = np.zeros(len(notes), dtype=bool)
        hit[candidates] = True
        kinds = pc.replace_with_mask(kinds, pa.array(hit), pa.array([read[value] for value in values], pa.string()))
    return pd.Series(pd.array(kinds, dtype=pd.StringDtype("pyarrow", na_value=np.nan)), index=notes.index)


def pii_kinds(text: str) -> str:
    """Which identifiers the text holds, e.g. 'PRC resident ID, mobile number' ('' for none).

    Numbers are read as privacy.written_numbers reads them (groups joined by single
    separators, Chinese numerals, full-width digits); an identifier is any run of whole
    consecutive groups of a number: '+86 (138) 0013-8009' holds the mobile 13800138009.
    """
    kinds: list[str] = []
    for groups, ends_in_x in written_numbers(text):
        for first in range(len(groups)):
            digits = ""
            for last in range(first, len(groups)):
                digits += groups[last]
                if len(digits) > 19:
                    break
                id_run = digits + "X" if ends_in_x and last == len(groups) - 1 and len(digits) == 17 else digits
                if len(id_run) == 18 and _valid_prc_id(id_run):
                    kinds.append("PRC resident ID")
                if 13 <= len(digits) <= 19 and _luhn_valid(digits):
                    kinds.append("card number")
                if len(digits) == 11 and _MOBILE.fullmatch(digits):
                    kinds.append("mobile number")
    return ", ".join(dict.fromkeys(kinds))


def _valid_prc_id(run: str) -> bool:
    body, check = run[:17], run[17].upper()
    if not body.isdigit():
        return False
    return _ID_CHECK[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS)) % 11] == check


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0

