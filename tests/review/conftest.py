"""A real sample month, once per session: the sample landing zone (5 agencies, 3 days, small),
audited day by day (the `audited_sample` fixture), then reviewed by `python -m audits review
--allow-missing-days` in a copy of its reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from audits.cli import main as cli

START = dt.date(2026, 11, 1)
DAYS = 3
AGENCIES = 5


@dataclass(frozen=True)
class SampleMonth:
    landing: Path
    out: Path
    store: Path
    review: Path


@pytest.fixture(scope="session")
def sample_month(audited_sample, tmp_path_factory) -> SampleMonth:
    sample = audited_sample(days=DAYS, agencies=AGENCIES, calls_per_day=500, start=START, seed=7)
    reviewed = sample.copy(tmp_path_factory.mktemp("review-sample"))
    assert cli(["review", "--month", "2026-11", "--out", str(reviewed.out), "--store", str(reviewed.store),
                "--allow-missing-days"]) == 0
    return SampleMonth(reviewed.landing, reviewed.out, reviewed.store, reviewed.out / "reviews" / "2026-11")
