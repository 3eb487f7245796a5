"""Building findings: violation rows (VIOLATION_COLUMNS) for the offending calls, and the
pieces of their detail text (ordinals, local clock times, earlier calls)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from audits.cases.keys import case_ids, subjects
from audits.models import RULES_BY_ID, VIOLATION_COLUMNS
from audits.privacy import mask_phones, phone_keys
from audits.rules.inputs import RuleInputs


def empty_violations() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series([], dtype="str") for column in VIOLATION_COLUMNS})


def frame_to_ipc(violations: pd.DataFrame) -> bytes:
    """Violation rows as an Arrow stream (their text columns' buffers as they are): what a
    worker sends back, cheaper to write and far cheaper to read than a pickle."""
    table = pa.Table.from_pandas(violations, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def frame_from_ipc(data: bytes) -> pd.DataFrame:
    """frame_to_ipc's violation rows again (text columns as dtype str, a fresh RangeIndex)."""
    return pa.ipc.open_stream(data).read_all().to_pandas().astype("str")


def as_violations(inputs: RuleInputs, rows: pd.DataFrame, rule_id: str, detail: pd.Series | str, *,
                  channel: str = "call") -> pd.DataFrame:
    """Violation rows for the offending calls `rows` (a slice of inputs.calls); `channel` "sms"
    for messages shaped as calls (messages.findings.message_violations)."""
    if rows.empty:
        return empty_violations()
    info = RULES_BY_ID[rule_id]
    size = len(rows)
    start_text = local_start_text(rows["start_utc"], inputs.rulepack.bank_timezone)
    callee_keys = phone_keys(rows["callee_e164"], inputs.secret)
    subject = subjects(rows, rule_id, callee_keys=callee_keys, secret=inputs.secret)
    def same(text: str):                      # one text on every row, made by Arrow (not size objects)
        return pd.Series(pa.repeat(pa.scalar(text, pa.string()), size), dtype="str").array

    return pd.DataFrame({                     # arrays by position, text columns kept as they are
        "audit_date": same(inputs.audit_date.isoformat()),
        "agency_id": rows["agency_id"].array,
        "rule_id": same(rule_id),
        "family": same(info.family.value),
        "severity": same(info.severity.value),
        "call_id": rows["call_id"].array,
        "agent_id": rows["agent_id"].array,
        "campaign_id": rows["campaign_id"].array,
        "callee_masked": mask_phones(rows["callee_e164"]).array,
        "callee_key": callee_keys.array,
        "start_time": start_text,
        "detail": detail.array if isinstance(detail, pd.Series) else same(detail),
        "case_id": case_ids(rows["agency_id"], rule_id, subject),
        "decision": same(""),                 # accepted / dismissed / disputed: not yet (cases.md §3)
        "channel": same(channel),
    }).astype("str")


def local_start_text(start_utc: pd.Series, zone: str) -> np.ndarray:
    """Each instant as 'YYYY-MM-DDTHH:MM:SS+08:00' on `zone`'s wall clock, as strftime with %z
    writes it (the offset's colon added). Formatted by numpy and once per distinct offset: pandas'
    strftime is Python per value (~7 us a finding). A missing instant (none in validated calls)
    sends them all to strftime."""
    utc = start_utc.array.as_unit("ns")
    wall = utc.tz_convert(zone).tz_localize(None).asi8
    if utc.isna().any():
        text = start_utc.dt.tz_convert(zone).dt.strftime("%Y-%m-%dT%H:%M:%S%z")
        return text.str.replace(r"(\d\d)(\d\d)$", r"\1:\2", regex=True).to_numpy(dtype=object)
    seconds = wall // 1_000_000_000
    offsets, which = np.unique((wall - utc.asi8) // 1_000_000_000, return_inverse=True)
    clock = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s").astype(object)
    return clock + np.asarray([_offset_text(int(offset)) for offset in offsets], dtype=object)[which]


def _offset_text(seconds: int) -> str:
    """strftime's %z of a UTC offset in seconds ('+0800', '-0330', '+053328') with the colon
    as_violations adds before the last two digits ('+08:00', '+0533:28')."""
    sign, seconds = ("-", -seconds) if seconds < 0 else ("+", seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    digits = f"{hours:02d}{minutes:02d}" + (f"{seconds:02d}" if seconds else "")
    return f"{sign}{digits[:-2]}:{digits[-2:]}"


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
