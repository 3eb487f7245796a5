"""What every rule shares: its inputs, effective dating, and building violation rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from audits.config import Rulepack
from audits.models import PURPOSES, RULES_BY_ID, VIOLATION_COLUMNS
from audits.privacy import mask_phones, phone_keys

# Columns of an enriched call frame (the audit day's calls and the history alike).
CALL_COLUMNS = ("call_id", "agency_id", "agent_id", "campaign_id", "caller_e164", "callee_e164",
                "start_utc", "disposition_code", "outcome_code", "call_date")
ORDER = ["start_utc", "agency_id", "call_id"]


@dataclass(frozen=True)
class RuleInputs:
    """Everything a rule may read. Frames are validated and typed (see audits.tables)."""

    audit_date: dt.date
    calls: pd.DataFrame          # day D, enriched (enrich_calls), in call order, RangeIndex
    history: pd.DataFrame        # earlier days from the store, enriched, in call order
    refusals: pd.DataFrame       # earlier days' refusals: callee_e164, start_utc, agency_id, call_id
    contracts: pd.DataFrame
    agents: pd.DataFrame
    caller_numbers: pd.DataFrame
    campaigns: pd.DataFrame
    assignments: pd.DataFrame
    consents: pd.DataFrame
    rulepack: Rulepack
    secret: bytes

    def __post_init__(self):
        """Give calls, history and refusals one integer code per callee number (`number`):
        grouping and joining on integers is several times faster than on text."""
        if "number" in self.calls and "number" in self.history:
            return
        frames = (self.calls, self.history, self.refusals)
        codes, _ = pd.factorize(pd.concat([f["callee_e164"] for f in frames], ignore_index=True))
        start = 0
        for name, frame in zip(("calls", "history", "refusals"), frames):
            object.__setattr__(self, name, frame.assign(number=codes[start:start + len(frame)]))
            start += len(frame)

    @property
    def day64(self) -> np.datetime64:
        return np.datetime64(self.audit_date, "ns")


def enrich_calls(calls: pd.DataFrame, campaigns: pd.DataFrame, rulepack: Rulepack, *,
                 in_order: bool = False) -> pd.DataFrame:
    """Add purpose/product (null for an unknown campaign), attempt and conversation flags;
    sort into call order (start_time, agency_id, call_id) unless the calls are `in_order`
    already (the store keeps each day in call order)."""
    catalogue = campaigns.drop_duplicates("campaign_id").set_index("campaign_id")
    if not (in_order and calls["start_utc"].is_monotonic_increasing):      # a guard for older stores
        calls = calls.sort_values(ORDER, kind="stable")
    enriched = calls.reset_index(drop=True)
    # Look each distinct campaign up once and spread by position (Series.map on millions of
    # text keys is ~20x slower).
    codes, campaign_ids = pd.factorize(enriched["campaign_id"])
    known = pd.Index(campaign_ids)
    purpose = known.map(catalogue["purpose_code"]).to_numpy(dtype=object)
    purpose_id = pd.Series(purpose).map({p: i for i, p in enumerate(PURPOSES)}).fillna(-1).to_numpy("int8")
    enriched["purpose"] = _spread(purpose, codes)
    enriched["purpose_id"] = np.where(codes >= 0, purpose_id[codes] if len(purpose_id) else -1, -1).astype("int8")
    enriched["product"] = _spread(known.map(catalogue["product"]).to_numpy(dtype=object), codes)
    enriched["is_attempt"] = enriched["disposition_code"].isin(rulepack.attempt_dispositions)
    enriched["is_conversation"] = (enriched["disposition_code"] == "ANSWERED") & enriched["outcome_code"].isin(
        ["RIGHT_PARTY", "REFUSED", "COMPLAINT"])
    enriched["is_refusal"] = (enriched["disposition_code"] == "ANSWERED") & (enriched["outcome_code"] == "REFUSED")
    return enriched


def _spread(values: np.ndarray, codes: np.ndarray) -> pd.Series:
    """values[code] for each code, as text; code -1 (no key) and missing values -> null."""
    text = pd.Series(values, dtype="str")
    return pd.Series(text.array.take(codes, allow_fill=True), dtype="str")


def active_on(frame: pd.DataFrame, start: str, end: str, day64: np.datetime64) -> pd.Series:
    """Rows whose [start, end] date range holds the day; a blank end is open."""
    return (frame[start] <= day64) & (frame[end].isna() | (frame[end] >= day64))


def pairs_in(left: tuple[pd.Series, ...], right: tuple[pd.Series, ...]) -> np.ndarray:
    """For each row of `left` (aligned key columns), whether the same key occurs in `right`.

    A hash join on the columns: no per-row string keys or MultiIndex to build (that took
    seconds per million calls).
    """
    hit = map_pairs(left, right, pd.Series(True, index=right[0].index))
    return hit.notna().to_numpy()


def map_pairs(left: tuple[pd.Series, ...], right: tuple[pd.Series, ...], values: pd.Series) -> pd.Series:
    """For each row of `left`, the value of the matching key in `right` (first wins); null if none."""
    names = [f"k{i}" for i in range(len(left))]
    probe = pd.DataFrame({n: c.reset_index(drop=True) for n, c in zip(names, left)})
    table = pd.DataFrame({**{n: c.reset_index(drop=True) for n, c in zip(names, right)},
                          "value": values.reset_index(drop=True)})
    table = table.dropna(subset=names).drop_duplicates(names)
    joined = probe.merge(table, on=names, how="left", sort=False)
    return pd.Series(joined["value"].to_numpy(), index=left[0].index)


def empty_violations() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series([], dtype="str") for column in VIOLATION_COLUMNS})


def as_violations(inputs: RuleInputs, rows: pd.DataFrame, rule_id: str, detail: pd.Series | str) -> pd.DataFrame:
    """Violation rows for the offending calls `rows` (a slice of inputs.calls)."""
    if rows.empty:
        return empty_violations()
    info = RULES_BY_ID[rule_id]
    size = len(rows)
    local = rows["start_utc"].dt.tz_convert(inputs.rulepack.bank_timezone)
    start_text = local.dt.strftime("%Y-%m-%dT%H:%M:%S%z").str.replace(r"(\d\d)(\d\d)$", r"\1:\2", regex=True)
    return pd.DataFrame({
        "audit_date": np.full(size, inputs.audit_date.isoformat(), dtype=object),
        "agency_id": rows["agency_id"].to_numpy(),
        "rule_id": np.full(size, rule_id, dtype=object),
        "family": np.full(size, info.family.value, dtype=object),
        "severity": np.full(size, info.severity.value, dtype=object),
        "call_id": rows["call_id"].to_numpy(),
        "agent_id": rows["agent_id"].to_numpy(),
        "campaign_id": rows["campaign_id"].to_numpy(),
        "callee_masked": mask_phones(rows["callee_e164"]).to_numpy(),
        "callee_key": phone_keys(rows["callee_e164"], inputs.secret).to_numpy(),
        "start_time": start_text.to_numpy(),
        "detail": (detail.to_numpy() if isinstance(detail, pd.Series) else np.full(size, detail, dtype=object)),
    }).astype("str")


def ordinal(numbers: pd.Series) -> pd.Series:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th', 23 -> '23rd'."""
    values = numbers.astype("int64")
    suffix = np.where((values % 100 >= 11) & (values % 100 <= 13), "th",
                      np.select([values % 10 == 1, values % 10 == 2, values % 10 == 3], ["st", "nd", "rd"], "th"))
    return values.astype("str") + pd.Series(suffix, index=numbers.index)


def local_clock(start_utc: pd.Series, zones: pd.Series) -> pd.Series:
    """'HH:MM' of each instant in its own zone (one conversion per distinct zone)."""
    out = pd.Series("", index=start_utc.index, dtype="str")
    for zone in zones.dropna().unique():
        rows = zones == zone
        out[rows] = start_utc[rows].dt.tz_convert(zone).dt.strftime("%H:%M")
    return out


def earlier_calls_text(group_keys: list[str], frame: pd.DataFrame, hits: pd.Series,
                       zone: str, limit: int = 8) -> pd.Series:
    """For each hit row, 'HH:MM AGxx, …' of the earlier rows of its group (frame in call order).

    Only groups that hold a hit are visited, so the cost follows the findings, not the calls.
    """
    result = pd.Series("", index=frame.index[hits.to_numpy()], dtype="str")
    if result.empty:
        return result
    hit_rows = frame.loc[hits, group_keys]
    involved = frame[pairs_in(tuple(frame[k] for k in group_keys), tuple(hit_rows[k] for k in group_keys))]
    labels = involved["start_utc"].dt.tz_convert(zone).dt.strftime("%m-%d %H:%M") + " " + involved["agency_id"]
    for _, positions in involved.groupby(group_keys, sort=False).groups.items():
        seen: list[str] = []
        for position in positions:
            if position in result.index:
                shown = seen[-limit:]
                more = len(seen) - len(shown)
                result[position] = (f"{more} more, " if more else "") + ", ".join(shown)
            seen.append(labels[position])
    return result
