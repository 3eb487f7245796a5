"""A real sample month, once per session: the sample landing zone (5 agencies, 3 days, small),
audited day by day by `python -m audits run`, then reviewed with --allow-missing-days."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from audits.cli import main as cli
from audits.sample import write_sample_landing

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
def sample_month(tmp_path_factory) -> SampleMonth:
    root = tmp_path_factory.mktemp("review-sample")
    landing, out, store = root / "landing", root / "reports", root / "store"
    write_sample_landing(landing, start=START, days=DAYS, agencies=AGENCIES, calls_per_day=500, seed=7)
    for k in range(DAYS):
        day = (START + dt.timedelta(days=k)).isoformat()
        assert cli(["run", "--date", day, "--landing", str(landing), "--out", str(out), "--store", str(store),
                    "--workers", "1", "--run-id", f"sample-{day}"]) == 0
    assert cli(["review", "--month", "2026-11", "--out", str(out), "--store", str(store),
                "--allow-missing-days"]) == 0
    return SampleMonth(landing, out, store, out / "reviews" / "2026-11")
