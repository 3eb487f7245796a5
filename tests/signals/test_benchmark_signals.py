"""The signals' benchmark keeps working (at a tiny size; the real size runs outside the tests)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_signals_benchmark_runs_at_a_tiny_size(tmp_path):
    spec = importlib.util.spec_from_file_location("signals_bench", REPO / "benchmarks" / "signals.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    first = bench.benchmark(tmp_path, calls_per_day=4000, agencies=4, say=lambda _: None)
    again = bench.benchmark(tmp_path, calls_per_day=4000, agencies=4, say=lambda _: None)   # the store reused
    for result in (first, again):
        assert result["baseline_days"] == 28 and result["agents"] == 32 and result["reach_agencies"] == 4
        assert result["state_keys"] > 4_000 and result["linked_rows"] >= 1
        assert [s["step"] for s in result["steps"]][-1] == "total"
        assert all(s["wall_s"] >= 0 and s["cpu_s"] >= 0 for s in result["steps"])
    assert {k: v for k, v in first.items() if k != "steps"} == {k: v for k, v in again.items() if k != "steps"}
