"""The benchmark script keeps working (at a tiny size; the real size runs outside the tests)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

from audits.rules import RULES

REPO = Path(__file__).resolve().parents[1]


def test_benchmark_runs_every_stage_at_a_tiny_size(tmp_path):
    spec = importlib.util.spec_from_file_location("bench", REPO / "benchmarks" / "run.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.benchmark(tmp_path, agencies=6, calls_per_day=3000, days=3, start=dt.date(2026, 11, 21),
                             rule_costs=True)
    assert [row["stage"] for row in result["stages"]] == ["reference", "load", "validation", "store", "rules",
                                                          "cases", "scoring", "rendering"]
    assert all(row["wall_s"] >= 0 and row["peak_mib"] > 0 for row in result["stages"])
    assert result["calls_audited"] > 2000 and result["findings"] > 0 and result["cases"] > 0
    assert (tmp_path / "rendered" / "index.html").is_file()
    assert len(result["rule_seconds"]) == len(RULES) and all(seconds >= 0 for seconds in result["rule_seconds"].values())
    assert set(result["rule_cpu_seconds"]) == set(result["rule_seconds"])


def test_a_messy_findings_heavy_benchmark_names_its_shape_in_the_landings_marker(tmp_path):
    spec = importlib.util.spec_from_file_location("bench", REPO / "benchmarks" / "run.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    (tmp_path / "bulk-landing-5x2000x2-seed11-heavy0.44.done").write_text("ok")     # a tidy landing's marker
    result = bench.benchmark(tmp_path, agencies=5, calls_per_day=2000, days=2, start=dt.date(2026, 11, 21),
                             findings_heavy=0.44, messy=True)
    assert [p.name for p in tmp_path.glob("bulk-landing-*.done")] == ["bulk-landing-5x2000x2-seed11-heavy0.44-messy.done"]
    assert result["messy"] and result["calls_audited"] == 2000 and result["findings"] > 0
    assert sorted(p.name for p in (tmp_path / "landing" / "cdr" / "2026-11-22").iterdir()) == [
        "AG01.csv", "AG02.csv", "AG03.csv.gz", "AG04.parquet", "AG05.csv"]
