"""Audited sample landing zones, shared by the end-to-end tests (the `audited_sample` fixture in
tests/conftest.py makes each one once per test session and parameter set).

A sample is written by audits.sample (with its planted truth under landing/truth/) and audited
day by day, earlier days first, so that the store fills as it does night after night. Tests
read it; a test that reruns a day works on a copy (`AuditedSample.copy`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

from audits.config import AuditConfig
from audits.pipeline import run_audit
from audits.rulepack import load_rulepack
from audits.sample import write_sample_landing

START = dt.date(2026, 11, 21)
SEED = 5
GENERATED_AT = "2026-12-01T02:00:00+00:00"     # the reports' timestamp, the same on every day and rerun

# The sample the truth tests share (rules, data quality, cases, complaints, partitions): ten days,
# because cn_bank resolves a case after 7 quiet days (the planted V901 case resolves on day 8
# and reopens on day 9); 1,000 calls a day, enough for the caller-cap plant and its near miss.
TEN_DAYS = dict(days=10, agencies=8, calls_per_day=1000)


@dataclass(frozen=True)
class AuditedSample:
    root: Path                         # holds out/ and store/
    landing: Path
    start: dt.date
    days: int
    reports: dict[dt.date, Path]       # each audited day's published report

    @property
    def out(self) -> Path:
        return self.root / "out"

    @property
    def store(self) -> Path:
        return self.root / "store"

    def day(self, offset: int) -> dt.date:
        return self.start + dt.timedelta(days=offset)

    @property
    def last_day(self) -> dt.date:
        return self.day(self.days - 1)

    def config(self, day: dt.date, **changes) -> AuditConfig:
        """The configuration the sample's day was audited with (run id `sample-<offset>`)."""
        config = AuditConfig(audit_date=day, landing=self.landing, out=self.out, store=self.store,
                             rulepack=load_rulepack("cn_bank"), run_id=f"sample-{(day - self.start).days}",
                             generated_at=GENERATED_AT)
        return dataclasses.replace(config, **changes)

    def copy(self, folder: Path) -> AuditedSample:
        """The same sample, its reports and store copied into `folder` (the landing is shared,
        read only), for a test that audits again."""
        for part in ("out", "store"):
            shutil.copytree(self.root / part, folder / part, symlinks=True)
        reports = {day: folder / "out" / path.relative_to(self.out) for day, path in self.reports.items()}
        return dataclasses.replace(self, root=folder, reports=reports)


def audit_sample(root: Path, *, days: int, agencies: int, calls_per_day: int, start: dt.date = START,
                 seed: int = SEED, audited: range | None = None, anomalies: bool = True) -> AuditedSample:
    """Write a sample landing zone in root/landing and audit the days `audited` (offsets; every
    day by default) into root/out and root/store."""
    write_sample_landing(root / "landing", start=start, days=days, agencies=agencies, calls_per_day=calls_per_day,
                         seed=seed, anomalies=anomalies)
    sample = AuditedSample(root=root, landing=root / "landing", start=start, days=days, reports={})
    for offset in range(days) if audited is None else audited:
        day = sample.day(offset)
        sample.reports[day] = run_audit(sample.config(day)).report_dir
    return sample
