"""What the pipeline calls: record a day's early-warning counts in the store (when the day is
audited, and when an earlier day is ingested), and the day's warnings against the stored
baseline.

Cheap per night whatever the history: the baseline reads each earlier day's counts (one row
per agency and agent), and the new numbers come from the window stored with the previous day
(one file); the window is rebuilt from the days' stored pairs only when an earlier day was
rerun (or ingested late) after it was built. The caller holds the store's lock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from audits import store
from audits.config import AuditConfig, Rulepack
from audits.phones import e164_integers
from audits.signals import metricstore as signalstore
from audits.signals.metrics import FINDING_COUNTS, DayCounts, day_counts
from audits.signals.attempted import Window, advance, distinct_pairs
from audits.signals.warnings import day_warnings


@dataclass(frozen=True)
class Settings:
    """What a day's stored counts depend on besides its calls: days recorded with other
    settings are not comparable (not baseline days), or not usable for the window."""

    attempt_dispositions: tuple[str, ...]
    short_answer_ms: int
    judged: tuple[str, ...]                  # the finding counts' rules the rulepack runs
    new_numbers_days: int

    @staticmethod
    def of(rulepack: Rulepack) -> "Settings":
        pack = rulepack.warnings
        return Settings(attempt_dispositions=tuple(sorted(rulepack.attempt_dispositions)),
                        short_answer_ms=int(round(pack.short_answer_seconds * 1000)),
                        judged=tuple(sorted(r for r in FINDING_COUNTS.values() if r in rulepack.enabled_rules)),
                        new_numbers_days=pack.new_numbers_days)

    def as_record(self) -> dict:
        return {"attempt_dispositions": list(self.attempt_dispositions), "short_answer_ms": self.short_answer_ms,
                "judged": list(self.judged), "new_numbers_days": self.new_numbers_days}


def record_day(store_dir: Path, day: dt.date, calls: pd.DataFrame, findings: pd.DataFrame, rulepack: Rulepack, *,
               run_id: str = "") -> DayCounts:
    """Compute and store the day's counts, its attempted pairs and its window (calls: the day's
    accepted calls, enriched; findings: its violations, or at least its CONF_UNASSIGNED and
    FREQ_CALLING_HOURS ones). The store must hold the day's calls partition."""
    settings = Settings.of(rulepack)
    days = settings.new_numbers_days
    window, sources = window_before(store_dir, day, settings)
    counts = day_counts(calls, findings, window=window, day=day, new_numbers_days=days,
                        short_answer_ms=settings.short_answer_ms, judged=frozenset(settings.judged))
    keep_from = day - dt.timedelta(days=days - 1)
    calls_record = store.day_record(store_dir, day) or {}
    record = {"date": day.isoformat(), "run_id": run_id,
              "calls_sha256": (calls_record.get("calls") or {}).get("sha256"),
              "settings": settings.as_record(),
              "window": {"from": keep_from.isoformat(),
                         "sources": {d: token for d, token in sources.items() if d >= keep_from.isoformat()}}}
    signalstore.write_day(store_dir, day, record, counts.counts,
                          (counts.agency_ids, counts.pair_agency, counts.pair_number), counts.window)
    return counts


def early_warnings(config: AuditConfig, calls: pd.DataFrame, findings: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """The audit day's counts recorded in the store (under its lock) and its warnings; with the
    baseline days read ({"date", "sha256"} of each one's counts), for the manifest."""
    with store.writing(config.store, run_id=config.run_id, wait_seconds=config.lock_wait_seconds):
        counts = record_day(config.store, config.audit_date, calls, findings, config.rulepack, run_id=config.run_id)
        read: list[dict] = []
        days = baseline(config.store, config.audit_date, config.rulepack, read=read)
    return day_warnings(config.audit_date, counts.counts, days, config.rulepack.warnings), read


def warnings_of_day(store_dir: Path, day: dt.date, counts: pd.DataFrame, rulepack: Rulepack) -> pd.DataFrame:
    """warnings.csv rows of the day: `counts` (the day's, as record_day returned them) against
    the baseline days the store holds."""
    return day_warnings(day, counts, baseline(store_dir, day, rulepack), rulepack.warnings)


def stored_warnings(store_dir: Path, day: dt.date, rulepack: Rulepack) -> pd.DataFrame:
    """The warnings of a day whose counts are in the store (as the report of that day has them,
    when its history has not changed since)."""
    record = _fresh_record(store_dir, day, Settings.of(rulepack))
    if record is None:
        raise ValueError(f"the store holds no current early-warning counts of {day.isoformat()}")
    return warnings_of_day(store_dir, day, signalstore.read_counts(store_dir, day, record), rulepack)


def baseline(store_dir: Path, day: dt.date, rulepack: Rulepack, *,
             read: list[dict] | None = None) -> list[tuple[dt.date, pd.DataFrame]]:
    """The counts of the baseline_days before `day` that the store holds, current (computed from
    the calls partition the store holds now, with the same attempt dispositions); counts whose
    definition differs from today's are blanked (short answers, new numbers). Each day read is
    appended to `read` ({"date", "sha256"} of its counts) when given."""
    settings = Settings.of(rulepack)
    out = []
    for back in range(rulepack.warnings.baseline_days, 0, -1):
        earlier = day - dt.timedelta(days=back)
        record = _fresh_record(store_dir, earlier, settings)
        if record is None:
            continue
        counts = signalstore.read_counts(store_dir, earlier, record)
        if read is not None:
            read.append({"date": earlier.isoformat(), "sha256": record["files"][signalstore.METRICS]["sha256"]})
        recorded = record.get("settings") or {}
        if recorded.get("short_answer_ms") != settings.short_answer_ms:
            counts["short_answers"] = np.nan
        if recorded.get("new_numbers_days") != settings.new_numbers_days:
            counts["new_numbers"] = np.nan
        for name, rule_id in FINDING_COUNTS.items():
            if rule_id not in recorded.get("judged", ()):
                counts[name] = np.nan
        out.append((earlier, counts))
    return out


def window_before(store_dir: Path, day: dt.date, settings: Settings) -> tuple[Window, dict[str, str]]:
    """What each agency attempted on the new_numbers_days days before `day`, and the source of
    each of those days (day_source). Taken from the latest earlier window whose sources are
    still current, completed with the days after it; rebuilt from every day when none is."""
    days = [day - dt.timedelta(days=back) for back in range(settings.new_numbers_days, 0, -1)]
    sources = {d.isoformat(): day_source(store_dir, d, settings) for d in days}
    window, start = Window.empty(), 0
    for at in range(len(days) - 1, -1, -1):
        record = _fresh_record(store_dir, days[at], settings)
        if record is None:
            continue
        recorded = (record.get("window") or {}).get("sources") or {}
        if all(recorded.get(d.isoformat()) == sources[d.isoformat()] for d in days[:at + 1]):
            found = signalstore.read_window(store_dir, days[at], record)
            if found is not None:
                window, start = found, at + 1
                break
    for earlier in days[start:]:
        pairs = _day_pairs(store_dir, earlier, sources[earlier.isoformat()], settings)
        if pairs is not None:
            window = advance(window, *pairs, day=earlier, keep_from=days[0])
    return window, sources


def day_source(store_dir: Path, day: dt.date, settings: Settings) -> str:
    """Where a day's attempted pairs come from: "numbers:<sha256>" (its stored pairs, current),
    "calls:<sha256>" (its calls partition: pairs stale or never recorded), or "none"."""
    calls = (store.day_record(store_dir, day) or {}).get("calls")
    if not calls:
        return "none"
    record = _fresh_record(store_dir, day, settings)
    if record is not None:
        return f"numbers:{record['files'][signalstore.NUMBERS]['sha256']}"
    return f"calls:{calls.get('sha256')}"


def _day_pairs(store_dir: Path, day: dt.date, source: str, settings: Settings):
    if source.startswith("numbers:"):
        return signalstore.read_pairs(store_dir, day, signalstore.read_record(store_dir, day))
    if source.startswith("calls:"):
        return _pairs_from_calls(store_dir, day, settings)
    return None


def _pairs_from_calls(store_dir: Path, day: dt.date, settings: Settings):
    """A day's attempted pairs read from its calls partition (checked first): only for a day
    whose stored pairs are stale or missing (an interrupted run, other attempt dispositions)."""
    store.check_days(store_dir, [day])
    path = store_dir / "calls" / f"call_date={day.isoformat()}" / "calls.parquet"
    names = pq.ParquetFile(path).schema_arrow.names
    table = pq.read_table(path, columns=["agency_id", "disposition_code",
                                         "callee_number" if "callee_number" in names else "callee_e164"])
    attempt = np.asarray(pc.is_in(table.column("disposition_code"), value_set=pa.array(
        list(settings.attempt_dispositions))).to_numpy(zero_copy_only=False), dtype=bool)
    agency = table.column("agency_id").to_pandas().to_numpy(dtype=object)[attempt]
    number = (table.column("callee_number").to_numpy() if "callee_number" in names      # stores before callee_number
              else e164_integers(table.column("callee_e164").to_pandas()))[attempt]
    agency_ids, codes = np.unique(agency.astype(str), return_inverse=True) if len(agency) else (
        np.array([], dtype=object), np.zeros(0, np.int64))
    pair_agency, pair_number = distinct_pairs(codes.astype(np.int64), number.astype(np.int64))
    return agency_ids.astype(object), pair_agency.astype(np.int32), pair_number


def _fresh_record(store_dir: Path, day: dt.date, settings: Settings) -> dict | None:
    """The day's signals record when it is current: computed from the calls partition the
    store holds now, with the same attempt dispositions."""
    record = signalstore.read_record(store_dir, day)
    if record is None:
        return None
    calls = (store.day_record(store_dir, day) or {}).get("calls") or {}
    recorded = record.get("settings") or {}
    if record.get("calls_sha256") != calls.get("sha256") or calls.get("sha256") is None:
        return None
    if tuple(recorded.get("attempt_dispositions") or ()) != settings.attempt_dispositions:
        return None
    return record
