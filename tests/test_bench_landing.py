"""The benchmark's bulk landing zone is read by the real loaders without a single quarantined row,
holds what its summary says, and is the same bytes for the same seed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from audits.config import load_rulepack
from audits.ingest import load_calls, load_reference
from audits.models import REFERENCE_TABLES
from benchmarks.landing import write_bulk_landing

START = dt.date(2026, 11, 21)
DAYS = (START, START + dt.timedelta(days=1))


@pytest.fixture(scope="module")
def bulk(tmp_path_factory) -> tuple[Path, dict]:
    landing = tmp_path_factory.mktemp("bulk") / "landing"
    return landing, write_bulk_landing(landing, start=START, days=2, agencies=3, calls_per_day=3000, seed=5)


def test_reference_rows_are_all_accepted_and_counted_in_the_summary(bulk):
    landing, summary = bulk
    reference = load_reference(landing, audit_date=DAYS[-1], rulepack=load_rulepack("cn_bank"))
    assert set(reference) == set(REFERENCE_TABLES)
    for table, ingested in reference.items():
        (record,) = ingested.files
        assert ingested.quarantine.empty, (table, ingested.quarantine["reasons"].value_counts().to_dict())
        assert record.rows_read == record.rows_accepted == len(ingested.accepted) == summary["reference"][table] > 0
    assert (landing / "reference" / "contracts.xlsx").is_file()
    assert reference["contracts"].files[0].path == "reference/contracts.xlsx"


def test_every_call_is_accepted_on_every_day(bulk):
    landing, summary = bulk
    pack = load_rulepack("cn_bank")
    contracts = load_reference(landing, audit_date=DAYS[0], rulepack=pack)["contracts"].accepted
    call_ids, total = set(), 0
    for day in DAYS:
        ingested = load_calls(landing, day=day, contracts=contracts, rulepack=pack)
        assert ingested.quarantine.empty, ingested.quarantine["reasons"].value_counts().to_dict()
        assert [(f.agency_id, f.status) for f in ingested.files] == [("AG01", "ok"), ("AG02", "ok"), ("AG03", "ok")]
        assert all(f.rows_read == f.rows_accepted > 0 for f in ingested.files)
        calls = ingested.accepted
        assert len(calls) == sum(f.rows_read for f in ingested.files) == summary["calls"] // 2 == 3000
        assert (calls["call_date"] == day.isoformat()).all()
        answered = calls["disposition_code"] == "ANSWERED"
        assert calls.loc[~answered, "outcome_code"].isna().all()       # outcomes only on answered calls
        assert 0.25 < answered.mean() < 0.45
        call_ids |= set(calls["call_id"])
        total += len(calls)
    assert len(call_ids) == total == summary["calls"]                  # unique across agencies and days
    assert summary["files"] == 6 and summary["days"] == 2 and summary["agencies"] == 3
    names = sorted(p.name for p in (landing / "cdr" / DAYS[0].isoformat()).iterdir())
    assert names == ["AG01.csv", "AG02.parquet", "AG03.csv.gz"]


def _contents(landing: Path) -> dict[str, bytes]:
    return {p.relative_to(landing).as_posix(): p.read_bytes() for p in sorted(landing.rglob("*")) if p.is_file()}


def test_the_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path):
    def run(name: str, seed: int) -> dict[str, bytes]:
        write_bulk_landing(tmp_path / name, start=START, days=2, agencies=3, calls_per_day=1500, seed=seed)
        return _contents(tmp_path / name)

    first, again, other = run("a", 9), run("b", 9), run("c", 10)
    assert len(first) == 12                      # 6 reference files, 3 agencies x 2 days
    assert first == again
    assert set(other) == set(first)
    assert [path for path in first if first[path] != other[path] and path.startswith("cdr/")]
