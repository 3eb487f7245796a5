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
