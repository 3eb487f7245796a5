"""Building findings: violation rows (VIOLATION_COLUMNS) for the offending calls, and the
pieces of their detail text (ordinals, local clock times, earlier calls)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audits.cases.keys import case_ids, subjects
from audits.models import RULES_BY_ID, VIOLATION_COLUMNS
from audits.privacy import mask_phones, phone_keys
from audits.rules.inputs import RuleInputs


def empty_violations() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series([], dtype="str") for column in VIOLATION_COLUMNS})


def as_violations(inputs: RuleInputs, rows: pd.DataFrame, rule_id: str, detail: pd.Series | str, *,
                  channel: str = "call") -> pd.DataFrame:
    """Violation rows for the offending calls `rows` (a slice of inputs.calls); `channel` "sms"
    for messages shaped as calls (sms_findings.message_violations)."""
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
        "channel": np.full(size, channel, dtype=object),
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
