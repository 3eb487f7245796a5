"""What the pipeline calls: record a day's early-warning counts in the store (when the day is
audited, and when an earlier day is ingested), and the day's warnings against the stored
baseline.

Cheap per night whatever the history: the baseline reads each earlier day's counts (one row
per agency and agent), and the new numbers come from the day's numbers (day_numbers.py: the
rolling state the complaints keep too, advanced by the day). The caller holds the store's lock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from audits import store
from audits.config import AuditConfig, Rulepack
from audits.signals import metric_store
from audits.signals.day_numbers import NumbersOfDay, numbers_of_day, state_days
from audits.signals.metrics import FINDING_COUNTS, DayCounts, day_counts
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
    def of(rulepack: Rulepack) -> Settings:
        pack = rulepack.warnings
        return Settings(attempt_dispositions=tuple(sorted(rulepack.attempt_dispositions)),
                        short_answer_ms=int(round(pack.short_answer_seconds * 1000)),
                        judged=tuple(sorted(r for r in FINDING_COUNTS.values() if r in rulepack.enabled_rules)),
                        new_numbers_days=pack.new_numbers_days)

    def as_record(self) -> dict:
        return {"attempt_dispositions": list(self.attempt_dispositions), "short_answer_ms": self.short_answer_ms,
                "judged": list(self.judged), "new_numbers_days": self.new_numbers_days}


def record_day(store_dir: Path, day: dt.date, calls: pd.DataFrame, findings: pd.DataFrame, rulepack: Rulepack, *,
               numbers: NumbersOfDay | None = None, run_id: str = "", messages: pd.DataFrame | None = None
               ) -> DayCounts:
    """Compute and store the day's counts (calls: the day's accepted calls, enriched; findings:
    its violations, or at least its CONF_UNASSIGNED and FREQ_CALLING_HOURS ones). The store must
    hold the day's calls partition; `numbers`: the day's numbers when the caller has them
    (computed and stored here otherwise); `messages`: the day's enriched messages (None: no texts,
    opt_out_rate undefined)."""
    settings = Settings.of(rulepack)
    if numbers is None:
        numbers = numbers_of_day(store_dir, day, days=state_days(rulepack),
                                 attempt_dispositions=frozenset(settings.attempt_dispositions))
    counts = day_counts(calls, findings, numbers=numbers, new_numbers_days=settings.new_numbers_days,
                        short_answer_ms=settings.short_answer_ms, judged=frozenset(settings.judged),
                        messages=messages)
    calls_record = store.day_record(store_dir, day) or {}
    record = {"date": day.isoformat(), "run_id": run_id,
              "calls_sha256": (calls_record.get("calls") or {}).get("sha256"),
              "settings": settings.as_record()}
    metric_store.write_day(store_dir, day, record, counts.counts)
    return counts


def early_warnings(config: AuditConfig, calls: pd.DataFrame, findings: pd.DataFrame, *,
                   numbers: NumbersOfDay | None = None, messages: pd.DataFrame | None = None
                   ) -> tuple[pd.DataFrame, list[dict]]:
    """The audit day's counts recorded in the store (under its lock) and its warnings; with the
    baseline days read ({"date", "sha256"} of each one's counts), for the manifest. `messages`:
    the day's enriched messages (opt_out_rate per agency; None: no texts)."""
    with store.writing(config.store, run_id=config.run_id, wait_seconds=config.lock_wait_seconds):
        counts = record_day(config.store, config.audit_date, calls, findings, config.rulepack, numbers=numbers,
                            run_id=config.run_id, messages=messages)
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
    return warnings_of_day(store_dir, day, metric_store.read_counts(store_dir, day, record), rulepack)


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
        counts = metric_store.read_counts(store_dir, earlier, record)
        if read is not None:
            read.append({"date": earlier.isoformat(), "sha256": record["files"][metric_store.METRICS]["sha256"]})
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


def _fresh_record(store_dir: Path, day: dt.date, settings: Settings) -> dict | None:
    """The day's signals record when it is current: computed from the calls partition the
    store holds now, with the same attempt dispositions."""
    record = metric_store.read_record(store_dir, day)
    if record is None:
        return None
    calls = (store.day_record(store_dir, day) or {}).get("calls") or {}
    recorded = record.get("settings") or {}
    if record.get("calls_sha256") != calls.get("sha256") or calls.get("sha256") is None:
        return None
    if tuple(recorded.get("attempt_dispositions") or ()) != settings.attempt_dispositions:
        return None
    return record
