"""The early warnings' benchmark keeps working (at a tiny size; the real size runs outside the tests)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_signals_benchmark_runs_at_a_tiny_size(tmp_path):
    spec = importlib.util.spec_from_file_location("signals_bench", REPO / "benchmarks" / "signals.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.benchmark(tmp_path, calls_per_day=4000, agencies=4, days=3, start=dt.date(2026, 10, 1),
                             say=lambda _: None)
    assert result["baseline_days"] == 3 and result["agents"] == 32 and result["window_pairs"] > 3000
    assert [s["step"] for s in result["steps"]][-1] == "total"
    assert all(s["wall_s"] >= 0 and s["cpu_s"] >= 0 for s in result["steps"])
