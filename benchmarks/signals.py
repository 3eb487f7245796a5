"""Benchmark: what the early warnings add to an audit day (signals.md §2; target: at most 5 s at
ten million calls a day, from compact per-day counts, never re-reading earlier days' calls).

    python benchmarks/signals.py [--calls-per-day 2000000] [--agencies 50] [--days 28] [--root DIR]

Fills a store with `days` earlier days of early-warning counts, pairs and windows from synthetic
calls (untimed: the previous nights' work), then times, on the next day, exactly what the
publish stage runs for the warnings (audits.signals.daily.early_warnings without the lock):
record_day (the day's counts per agency and agent, its new numbers against the previous day's
window, its pairs and window written) and the baseline and warnings over the earlier days. It
prints wall and CPU time per step and writes them as JSON to benchmarks/results/. The calls
are shaped like benchmarks/landing's: one agent per 500 calls a day, 1.3 customers per daily
call, each entrusted to one agency, ~1.2 attempts per number a day, 0.1 % unassigned, 0.3 %
off hours. Not part of the tests (tests/signals/test_benchmark_signals.py runs a tiny size).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from audits import store  # noqa: E402
from audits.config import load_rulepack  # noqa: E402
from audits.signals import daily  # noqa: E402
from audits.signals import metricstore as signalstore  # noqa: E402
from audits.signals.metrics import day_counts  # noqa: E402
from audits.signals.warnings import day_warnings  # noqa: E402
from audits.workers import reuse_freed_memory  # noqa: E402

DISPOSITIONS = np.array(["ANSWERED", "NO_ANSWER", "BUSY", "REJECTED", "VOICEMAIL", "FAILED"], dtype=object)
DISPOSITION_P = (0.35, 0.30, 0.08, 0.12, 0.10, 0.05)
OUTCOMES = np.array(["RIGHT_PARTY", "WRONG_PARTY", "REFUSED", "COMPLAINT"], dtype=object)
OUTCOME_P = (0.76, 0.14, 0.06, 0.04)
ATTEMPTS = ("ANSWERED", "NO_ANSWER", "REJECTED", "VOICEMAIL")


class Customers:
    """1.3 customers per daily call, each entrusted to one agency; numbers are distinct CN mobiles."""

    def __init__(self, calls_per_day: int, agencies: int, rng: np.random.Generator):
        size = int(1.3 * calls_per_day)
        self.number = 8613000000000 + rng.permutation(size).astype(np.int64) * 37 + 11
        self.agency = rng.integers(0, agencies, size)
        self.by_agency = [np.flatnonzero(self.agency == a) for a in range(agencies)]


def synthetic_day(day: dt.date, customers: Customers, calls: int, agencies: int,
                  rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The day's enriched calls (as stage_publish has them) and their CONF_UNASSIGNED and
    FREQ_CALLING_HOURS findings."""
    agents_per_agency = max(8, calls // 500 // agencies)
    agency = rng.integers(0, agencies, calls)
    # each agency calls its own customers, ~1.2 times each; 0.1 % go to another agency's
    distinct = np.maximum((np.bincount(agency, minlength=agencies) / 1.2).astype(np.int64), 1)
    customer = np.empty(calls, dtype=np.int64)
    for a in range(agencies):
        rows = np.flatnonzero(agency == a)
        pool = customers.by_agency[a]
        todays = pool[rng.integers(0, len(pool), distinct[a])]
        customer[rows] = todays[rng.integers(0, len(todays), len(rows))]
    stray = rng.random(calls) < 0.001
    customer[stray] = rng.integers(0, len(customers.number), int(stray.sum()))
    disposition = DISPOSITIONS[rng.choice(6, calls, p=DISPOSITION_P)]
    answered = disposition == "ANSWERED"
    outcome = np.where(answered, OUTCOMES[rng.choice(4, calls, p=OUTCOME_P)], None)
    agency_ids = np.array([f"AG{a:03d}" for a in range(agencies)], dtype=object)
    agent = rng.integers(0, agents_per_agency, calls)
    frame = pd.DataFrame({
        "call_id": pd.Series(np.char.add(f"{day:%Y%m%d}-", np.arange(calls).astype(str)), dtype="str"),
        "agency_id": pd.Series(agency_ids[agency], dtype="str"),
        "agent_id": pd.Series(np.char.add("E", np.char.zfill(agent.astype(str), 5)), dtype="str"),
        "callee_e164": pd.Series(np.char.add("+", customers.number[customer].astype(str)), dtype="str"),
        "disposition_code": pd.Series(disposition, dtype="str"),
        "talk_ms": np.where(answered, rng.lognormal(11.2, 0.8, calls), -1).astype(np.int32),
    })
    frame["is_attempt"] = np.isin(disposition, ATTEMPTS)
    frame["is_conversation"] = answered & np.isin(outcome, ["RIGHT_PARTY", "REFUSED", "COMPLAINT"])
    frame["is_refusal"] = answered & (outcome == "REFUSED")
    unassigned = customers.agency[customer] != agency
    off_hours = rng.random(calls) < 0.003
    findings = pd.concat([frame.loc[unassigned, ["agency_id", "agent_id", "call_id"]].assign(rule_id="CONF_UNASSIGNED"),
                          frame.loc[off_hours, ["agency_id", "agent_id", "call_id"]].assign(rule_id="FREQ_CALLING_HOURS")],
                         ignore_index=True)
    return frame, findings


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(steps: list[dict], name: str, function, *args, **kwargs):
    wall, cpu = time.perf_counter(), _cpu()
    result = function(*args, **kwargs)
    steps.append({"step": name, "wall_s": round(time.perf_counter() - wall, 3), "cpu_s": round(_cpu() - cpu, 3)})
    return result


def benchmark(root: Path, *, calls_per_day: int, agencies: int, days: int, start: dt.date, seed: int = 5,
              say=print) -> dict:
    """Fill `root`'s store with `days` days of counts (untimed), then time the next day's warnings."""
    reuse_freed_memory()                                     # as stage_publish does
    rulepack = load_rulepack("cn_bank")
    rng = np.random.default_rng(seed)
    customers = Customers(calls_per_day, agencies, rng)
    store_dir = root / "store"
    tiny = pd.DataFrame({c: pd.Series([], dtype="str") for c in store.STORED_COLUMNS if c not in
                         ("start_utc", "callee_number")}).assign(start_utc=pd.Series([], dtype="datetime64[ns, UTC]"))
    for k in range(days + 1):
        day = start + dt.timedelta(days=k)
        if signalstore.read_record(store_dir, day) is not None and k < days:
            continue                                               # filled by an earlier run of this size
        calls, findings = synthetic_day(day, customers, calls_per_day, agencies, rng)
        store.write_day(store_dir, day, tiny)       # the day's store record; its calls are not what is timed
        if k < days:
            daily.record_day(store_dir, day, calls, findings, rulepack)
            say(f"{day}: counts of {len(calls):,} calls stored")
    day = start + dt.timedelta(days=days)
    steps: list[dict] = []
    wall, cpu = time.perf_counter(), _cpu()
    counts = _timed(steps, "record_day (total)", daily.record_day, store_dir, day, calls, findings, rulepack)
    history = _timed(steps, "baseline (read 28 days of counts)", daily.baseline, store_dir, day, rulepack)
    warnings = _timed(steps, "warnings (history and peers)", day_warnings, day, counts.counts, history,
                      rulepack.warnings)
    total = {"step": "total", "wall_s": round(time.perf_counter() - wall, 3), "cpu_s": round(_cpu() - cpu, 3)}
    # record_day's parts, once more on the same day (the window before it is unchanged)
    settings = daily.Settings.of(rulepack)
    window, _ = _timed(steps, "  window before the day (read, checked)", daily.window_before, store_dir, day, settings)
    _timed(steps, "  counts, new numbers, window after the day", day_counts, calls, findings, window=window, day=day,
           new_numbers_days=28, short_answer_ms=10_000, judged=frozenset(settings.judged))
    steps.append(total)
    return {"calls_per_day": calls_per_day, "agencies": agencies, "agents": int((counts.counts["level"] == "agent").sum()),
            "baseline_days": len(history), "window_pairs": int(len(window)), "warnings": len(warnings),
            "steps": steps}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls-per-day", type=int, default=2_000_000)
    parser.add_argument("--agencies", type=int, default=50)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2026, 10, 1))
    parser.add_argument("--root", type=Path, default=None)
    args = parser.parse_args(argv)
    root = args.root or REPO / "data" / f"bench-signals-{args.calls_per_day}"
    result = benchmark(root, calls_per_day=args.calls_per_day, agencies=args.agencies, days=args.days,
                       start=args.start)
    width = max(len(s["step"]) for s in result["steps"])
    print(f"{result['calls_per_day']:,} calls, {result['agencies']} agencies, {result['agents']:,} agents, "
          f"{result['baseline_days']} baseline days, window of {result['window_pairs']:,} pairs")
    for step in result["steps"]:
        print(f"{step['step']:<{width}}  {step['wall_s']:7.2f} s wall  {step['cpu_s']:7.2f} s CPU")
    folder = REPO / "benchmarks" / "results"
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"signals-{args.calls_per_day}.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
