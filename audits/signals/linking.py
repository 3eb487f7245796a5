"""Linking complaints to calls and cases (signals.md §1), pure and vectorised.

A complaint received on day D is linked to every call to its number (any agency, any
disposition) dated D − lookback_days .. D. Its linked agencies are the agencies of those calls
plus the agency it names; its linked cases are the cases whose findings include one of those
calls. Status: `linked` (calls found), `named_only` (no calls, an agency named), `unlinked`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from audits.phones import e164_integers
from audits.privacy import mask_phones, phone_keys

COMPLAINT_COLUMNS = ("audit_date", "complaint_id", "received_at", "channel", "category", "callee_masked",
                     "callee_key", "named_agency", "linked_agencies", "calls_in_window", "findings_in_window",
                     "linked_case_ids", "status")
STATUSES = ("linked", "named_only", "unlinked")


def complaint_numbers(complaints: pd.DataFrame) -> np.ndarray:
    """Each complaint's number as E.164 digits (int64), as the store keeps callee numbers."""
    return e164_integers(complaints["phone_e164"]) if len(complaints) else np.zeros(0, dtype=np.int64)


def link_complaints(complaints: pd.DataFrame, calls: pd.DataFrame, findings: pd.DataFrame, *, day: dt.date,
                    secret: bytes, bank_timezone: str) -> pd.DataFrame:
    """complaints.csv rows, sorted by received_at then complaint_id.

    `complaints`: the day's accepted complaints (feed.ACCEPTED_COLUMNS); `calls`: one row per
    (call date, number, agency) of the window's calls to their numbers, with `callee_number`,
    `agency_id`, `calls`; `findings`: the window's findings on those calls per (callee_key,
    agency_id, case_id) with `findings`."""
    numbers = complaint_numbers(complaints)
    keys = phone_keys(complaints["phone_e164"], secret).to_numpy(dtype=object)
    frame = pd.DataFrame({"complaint_id": complaints["complaint_id"].to_numpy(dtype=object),
                          "callee_number": numbers, "callee_key": keys,
                          "named": complaints["agency_id"].fillna("").to_numpy(dtype=object)})

    linked_calls = frame[["complaint_id", "callee_number"]].merge(calls, on="callee_number", how="inner")
    linked_findings = frame[["complaint_id", "callee_key"]].merge(findings, on="callee_key", how="inner")
    named = frame.loc[frame["named"] != "", ["complaint_id", "named"]].rename(columns={"named": "agency_id"})
    agency_pairs = pd.concat([linked_calls[["complaint_id", "agency_id"]], named], ignore_index=True)
    ids = pd.Index(frame["complaint_id"])
    total_calls = _per_complaint(linked_calls.groupby("complaint_id")["calls"].sum(), ids, 0).astype(np.int64)
    found = _per_complaint(linked_findings.groupby("complaint_id")["findings"].sum(), ids, 0).astype(np.int64)
    agencies = _per_complaint(_joined(agency_pairs, "agency_id"), ids, "")
    case_ids = _per_complaint(_joined(linked_findings, "case_id"), ids, "")
    status = np.select([total_calls > 0, frame["named"].to_numpy() != ""], ["linked", "named_only"],
                       "unlinked").astype(object)

    local = complaints["received_utc"].dt.tz_convert(bank_timezone)
    received = local.dt.strftime("%Y-%m-%dT%H:%M:%S%z").str.replace(r"(\d\d)(\d\d)$", r"\1:\2", regex=True)
    out = pd.DataFrame({
        "audit_date": np.full(len(frame), day.isoformat(), dtype=object),
        "complaint_id": frame["complaint_id"].to_numpy(dtype=object),
        "received_at": received.to_numpy(dtype=object),
        "channel": complaints["channel_code"].to_numpy(dtype=object),
        "category": complaints["category_code"].to_numpy(dtype=object),
        "callee_masked": mask_phones(complaints["phone_e164"]).to_numpy(dtype=object),
        "callee_key": keys,
        "named_agency": frame["named"].to_numpy(dtype=object),
        "linked_agencies": np.asarray(agencies, dtype=object),
        "calls_in_window": total_calls,
        "findings_in_window": found,
        "linked_case_ids": case_ids,
        "status": status,
        "_instant": complaints["received_utc"].to_numpy(),
    })
    out = out.sort_values(["_instant", "complaint_id"], kind="stable").drop(columns="_instant")
    return out[list(COMPLAINT_COLUMNS)].reset_index(drop=True)


def _joined(pairs: pd.DataFrame, column: str) -> pd.Series:
    """complaint_id -> its distinct values of `column`, sorted and ';'-joined."""
    distinct = pairs[["complaint_id", column]].drop_duplicates().sort_values(["complaint_id", column])
    return distinct.groupby("complaint_id", sort=False)[column].agg(";".join)


def _per_complaint(values: pd.Series, ids: pd.Index, missing) -> np.ndarray:
    """`values` (indexed by complaint_id) in the order of `ids`, `missing` where absent."""
    return values.reindex(ids).fillna(missing).to_numpy(dtype=object if isinstance(missing, str) else np.int64)


def complaint_links(register: pd.DataFrame, column: str) -> pd.DataFrame:
    """(complaint_id, value) for each agency or case ';'-joined in `column` of complaints.csv
    rows (or their stored records)."""
    pairs = register[["complaint_id", column]].assign(value=register[column].astype(str).str.split(";"))
    pairs = pairs.explode("value")
    pairs = pairs[pairs["value"].notna() & (pairs["value"] != "")]
    return pairs[["complaint_id", "value"]].reset_index(drop=True)
