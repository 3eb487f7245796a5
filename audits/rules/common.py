"""What every rule shares: its inputs, effective dating, and building violation rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from audits.cases.keys import case_ids, subjects
from audits.config import Rulepack
from audits.models import PURPOSES, RULES_BY_ID, VIOLATION_COLUMNS
from audits.phones import e164_integers
from audits.privacy import mask_phones, phone_keys
from audits.rules.sms_inputs import MessageInputs
from audits.tables import in_order

# Columns of the compact history (compact_history): what the history rules need of earlier days.
HISTORY_FRAME_COLUMNS = ("number", "start_utc", "days_ago", "purpose_id", "is_attempt", "is_conversation",
                         "is_unanswered")
CONVERSATION_OUTCOMES = ("RIGHT_PARTY", "REFUSED", "COMPLAINT")
UNANSWERED = ("NO_ANSWER", "REJECTED", "VOICEMAIL")


@dataclass(frozen=True)
class RuleInputs:
    """Everything a rule may read. Frames are validated and typed (see audits.tables)."""

    audit_date: dt.date
    calls: pd.DataFrame          # day D, enriched (enrich_calls), in call order, RangeIndex
    history: pd.DataFrame        # earlier days from the store (compact_history), in call order
    refusals: pd.DataFrame       # earlier days' refusals: callee_e164, start_utc, agency_id, call_id
    contracts: pd.DataFrame
    agents: pd.DataFrame
    caller_numbers: pd.DataFrame
    campaigns: pd.DataFrame
    assignments: pd.DataFrame
    consents: pd.DataFrame
    rulepack: Rulepack
    secret: bytes
    sms: MessageInputs = field(default_factory=MessageInputs.empty)   # text messages (sms.md); none by default

    def __post_init__(self):
        """Give the calls and refusals the callee number as an integer (`number`, as the history
        has it), and the assignments and consents their phone so: grouping and joining on
        integers is several times faster than on text. The assignments and consents then
        drop the text (no rule reads it; ~0.4 GiB for 18 million rows)."""
        for name, column in (("calls", "callee_e164"), ("refusals", "callee_e164"),
                             ("assignments", "phone_e164"), ("consents", "phone_e164")):
            frame = getattr(self, name)
            if "number" not in frame:
                frame = frame.assign(number=e164_integers(frame[column]))
                if name in ("assignments", "consents"):
                    frame = frame.drop(columns=[column])
                object.__setattr__(self, name, frame)

    @property
    def day64(self) -> np.datetime64:
        return np.datetime64(self.audit_date, "ns")


def enrich_calls(calls: pd.DataFrame, campaigns: pd.DataFrame, rulepack: Rulepack) -> pd.DataFrame:
    """Add purpose/product (null for an unknown campaign), attempt, conversation and
    unanswered flags; sort into call order (start_time, agency_id, call_id)."""
    catalogue = campaigns.drop_duplicates("campaign_id").set_index("campaign_id")
    enriched = in_order(calls)
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
        list(CONVERSATION_OUTCOMES))
    enriched["is_unanswered"] = enriched["disposition_code"].isin(list(UNANSWERED))
    enriched["is_refusal"] = (enriched["disposition_code"] == "ANSWERED") & (enriched["outcome_code"] == "REFUSED")
    return enriched


def compact_history(days: Iterable[tuple[dt.date, pa.Table]], audit_date: dt.date, campaigns: pd.DataFrame,
                    rulepack: Rulepack, rows: int) -> pd.DataFrame:
    """Earlier days' stored calls (store.read_history: tables of calls, oldest day first, each
    in call order; `rows` calls in all, store.history_rows) reduced to HISTORY_FRAME_COLUMNS:
    the callee number, start, days before the audit day, purpose (as of today's campaigns,
    like enrich_calls) and the attempt / conversation / unanswered flags. About 20 bytes a
    call instead of ~130 as text: six earlier days of ten million calls fit in ~1.2 GiB.
    Each table is written into columns allocated once for all `rows`: collecting parts and
    concatenating them left the parts' 1.2 GiB with the allocator (measured at 10M calls)."""
    catalogue = campaigns.drop_duplicates("campaign_id").set_index("campaign_id")["purpose_code"]
    purpose_ids = {p: i for i, p in enumerate(PURPOSES)}
    attempt, unanswered = set(rulepack.attempt_dispositions), set(UNANSWERED)
    dtypes = {"number": "int64", "start_utc": "datetime64[ns]", "days_ago": "int16", "purpose_id": "int8"}
    columns = {name: np.empty(rows, dtype=dtypes.get(name, bool)) for name in HISTORY_FRAME_COLUMNS}
    at = 0
    for day, table in days:
        end = at + table.num_rows
        if end > rows:
            raise ValueError(f"the store holds more history than the {rows:,} calls counted")
        disposition, outcome = table.column("disposition_code"), table.column("outcome_code")
        columns["number"][at:end] = table.column("callee_number").to_numpy()
        columns["start_utc"][at:end] = pc.cast(table.column("start_utc"), pa.timestamp("ns")).to_numpy()
        columns["days_ago"][at:end] = (audit_date - day).days
        columns["purpose_id"][at:end] = _dictionary_lookup(
            table.column("campaign_id"), lambda c: purpose_ids.get(catalogue.get(c), -1), -1)
        columns["is_attempt"][at:end] = _dictionary_lookup(disposition, lambda d: d in attempt, False)
        columns["is_conversation"][at:end] = (_dictionary_lookup(disposition, lambda d: d == "ANSWERED", False)
                                              & _dictionary_lookup(outcome, lambda o: o in CONVERSATION_OUTCOMES,
                                                                   False))
        columns["is_unanswered"][at:end] = _dictionary_lookup(disposition, lambda d: d in unanswered, False)
        at = end
    history = pd.DataFrame({name: values[:at] for name, values in columns.items()}, copy=False)
    # made UTC-aware through Arrow: one memcpy (0.1 s for 60M starts; tz_localize took 1.1 s)
    history["start_utc"] = pa.array(columns.pop("start_utc")[:at].view("int64"),
                                    type=pa.timestamp("ns", tz="UTC")).to_pandas()
    return history


def _dictionary_lookup(column: pa.ChunkedArray, lookup, missing) -> np.ndarray:
    """lookup(value) for each row of a (dictionary-encoded) text column, computed once per
    distinct value; `missing` for nulls."""
    parts = []
    for chunk in column.chunks:
        if not pa.types.is_dictionary(chunk.type):
            chunk = pc.dictionary_encode(chunk)
        table = np.asarray([lookup(v) for v in chunk.dictionary.to_pylist()] + [missing])
        indices = pc.fill_null(chunk.indices, len(table) - 1).to_numpy(zero_copy_only=False)
        parts.append(table[indices])
    if not parts:
        return np.asarray([missing])[:0]
    return np.concatenate(parts)


def _spread(values: np.ndarray, codes: np.ndarray) -> pd.Series:
    """values[code] for each code, as text; code -1 (no key) and missing values -> null."""
    text = pd.Series(values, dtype="str")
    return pd.Series(text.array.take(codes, allow_fill=True), dtype="str")


def active_on(frame: pd.DataFrame, start: str, end: str, day64: np.datetime64) -> pd.Series:
    """Rows whose [start, end] date range holds the day; a blank end is open."""
    return (frame[start] <= day64) & (frame[end].isna() | (frame[end] >= day64))


def pairs_in(left: tuple[pd.Series, ...], right: tuple[pd.Series, ...]) -> np.ndarray:
    """For each row of `left` (aligned key columns), whether the same key occurs in `right`.

    Keys become one int64 per row (pair_keys): no merge, no per-row string keys or MultiIndex
    (those took seconds and gigabytes per ten million calls).
    """
    left_keys, right_keys = pair_keys(left, right)
    return pd.Series(left_keys).isin(right_keys[right_keys >= 0]).to_numpy() & (left_keys >= 0)


def pair_keys(left: tuple[pd.Series, ...], right: tuple[pd.Series, ...]) -> tuple[np.ndarray, np.ndarray]:
    """One int64 per row of `left` and of `right`, equal exactly when the tuples are equal;
    -1 for a row with a null, or (left) with a value `right` does not have. Each column is
    factorised (Arrow's dictionary encoding: fast on text) and its distinct values looked up
    in those of `right`."""
    left_keys = np.zeros(len(left[0]), dtype="int64")
    right_keys = np.zeros(len(right[0]), dtype="int64")
    left_bad = np.zeros(len(left_keys), dtype=bool)
    right_bad = np.zeros(len(right_keys), dtype=bool)
    width = 1
    for left_column, right_column in zip(left, right):
        right_codes, distinct = pd.factorize(right_column)
        left_codes = positions_in(left_column, distinct)
        size = len(distinct) + 1
        if width * size >= 2**62:
            raise ValueError("too many distinct key values for one int64 key")
        left_keys, right_keys, width = left_keys * size + left_codes, right_keys * size + right_codes, width * size
        left_bad |= left_codes < 0
        right_bad |= right_codes < 0
    return np.where(left_bad, -1, left_keys), np.where(right_bad, -1, right_keys)


def positions_in(values: pd.Series, distinct) -> np.ndarray:
    """Each value's position in `distinct` (unique values), -1 for a null or a value not there:
    looked up once per distinct value of `values`, not once per row."""
    codes, own_distinct = pd.factorize(values)
    found = pd.Index(distinct).get_indexer(own_distinct) if len(distinct) else np.full(len(own_distinct), -1)
    return np.append(found, -1)[codes]                                  # code -1 (null) -> -1


def agency_numbers_in(calls: pd.DataFrame, pairs: pd.DataFrame, among: np.ndarray | None = None) -> np.ndarray:
    """For each call, whether (its agency_id, its callee `number`) is a pair of `pairs`
    (columns agency_id, number; only the rows `among`, when given): one int64 key per pair,
    number * agencies + agency. Agencies are looked up once per distinct value, not per row."""
    call_agency, agencies = pd.factorize(calls["agency_id"])
    among = np.ones(len(pairs), dtype=bool) if among is None else np.asarray(among, dtype=bool)
    if len(agencies) * 10**15 >= 2**63:                      # too many agencies for one int64 key
        chosen = pairs[among]
        return pairs_in((calls["agency_id"], calls["number"]), (chosen["agency_id"], chosen["number"]))
    pair_agency = positions_in(pairs["agency_id"], agencies)
    usable = among & (pair_agency >= 0)
    keys = pairs["number"].to_numpy("int64")[usable] * len(agencies) + pair_agency[usable]
    probe = calls["number"].to_numpy("int64") * len(agencies) + call_agency
    return pd.Series(probe).isin(keys).to_numpy() & (call_agency >= 0)


def map_pairs(left: tuple[pd.Series, ...], right: tuple[pd.Series, ...], values: pd.Series) -> pd.Series:
    """For each row of `left`, the value of the matching key in `right` (first wins); null if none."""
    left_keys, right_keys = pair_keys(left, right)
    usable = np.flatnonzero(right_keys >= 0)
    first, position = np.unique(right_keys[usable], return_index=True)
    if not len(first):
        return pd.Series(None, index=left[0].index, dtype=values.dtype)         # nothing to match
    found = np.where(left_keys >= 0, pd.Index(first).get_indexer(left_keys), -1)
    picked = values.iloc[usable[position]].reset_index(drop=True)
    return pd.Series(picked.take(np.maximum(found, 0)).to_numpy(), index=left[0].index).where(found >= 0)


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
    callee_keys = phone_keys(rows["callee_e164"], inputs.secret)
    subject = subjects(rows, rule_id, callee_keys=callee_keys, secret=inputs.secret)
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
        "callee_key": callee_keys.to_numpy(),
        "start_time": start_text.to_numpy(),
        "detail": (detail.to_numpy() if isinstance(detail, pd.Series) else np.full(size, detail, dtype=object)),
        "case_id": case_ids(rows["agency_id"], rule_id, subject),
        "decision": np.full(size, "", dtype=object),      # accepted / dismissed / disputed: not yet (cases.md §3)
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


def earlier_calls_text(keys: np.ndarray, frame: pd.DataFrame, hits: pd.Series,
                       zone: str, limit: int = 8) -> pd.Series:
    """For each hit row, 'HH:MM AGxx, …' of the earlier rows of its group (frame in call order;
    `keys`: one integer group key per row).

    Only groups that hold a hit are visited, so the cost follows the findings, not the calls.
    """
    result = pd.Series("", index=frame.index[hits.to_numpy()], dtype="str")
    if result.empty:
        return result
    in_hit_group = pd.Series(keys).isin(pd.unique(keys[hits.to_numpy()])).to_numpy()
    involved = frame[in_hit_group]
    labels = involved["start_utc"].dt.tz_convert(zone).dt.strftime("%m-%d %H:%M") + " " + involved["agency_id"]
    for _, positions in involved.groupby(keys[in_hit_group], sort=False).groups.items():
        seen: list[str] = []
        for position in positions:
            if position in result.index:
                shown = seen[-limit:]
                more = len(seen) - len(shown)
                result[position] = (f"{more} more, " if more else "") + ", ".join(shown)
            seen.append(labels[position])
    return result
