"""Benchmark: what the signals add to an audit day (signals.md §1 and §2; target: at most 5 s at
ten million calls a day, from compact per-day aggregates, never re-reading earlier days' calls).

    python benchmarks/signals.py [--calls-per-day 10000000] [--agencies 50] [--root DIR]

Untimed set-up (the previous nights' work, kept under --root per size and reused): a store as
thirty nights of audits leave it, built from synthetic calls shaped like benchmarks/landing's
(one agent per 500 calls a day, 1.3 customers per daily call, each entrusted to one agency,
~1.2 attempts per number a day, 0.1 % unassigned, 0.3 % off hours):

- day D's calls partition (what the validation stage wrote) and the day's enriched calls and
  findings (what stage_publish holds);
- the number indexes of the 14 days before D (complaints look numbers up in them), the rolling
  state of D − 1 (30 days of (number, agency) keys: 3 N distinct keys, a customer base called
  about monthly), and the early-warning counts of the 28 days before D.

Timed on day D, as stage_publish runs them (audits.signals): the day's calls' keys (agency
codes, E.164 digits), the day's numbers (index built from them, D − 1's state read, advanced by
the day, both written), the complaint look-up of
200 numbers over D − 14 .. D, the 30-day reach per agency, the early-warning counts (recorded
in the store), the baseline read and the warnings. Wall and CPU time per step, also written as
JSON to benchmarks/results/. Not part of the tests (tests/signals/test_benchmark_signals.py
runs a tiny size).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import resource
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from audits import store  # noqa: E402
from audits.rulepack import load_rulepack  # noqa: E402
from audits.signals import daily, metric_store, signal_store  # noqa: E402
from audits.signals.complaints import calls_in_window  # noqa: E402
from audits.signals.day_numbers import advance_day, call_keys, day_number, numbers_of_day, state_days  # noqa: E402
from audits.signals.metrics import day_counts  # noqa: E402
from audits.signals.numbers import AGENCY_BITS, day_numbers  # noqa: E402
from audits.signals.reach import Reach, numbers_per_agency  # noqa: E402
from audits.signals.warnings import day_warnings  # noqa: E402
from audits.workers import reuse_freed_memory  # noqa: E402

DISPOSITIONS = np.array(["ANSWERED", "NO_ANSWER", "BUSY", "REJECTED", "VOICEMAIL", "FAILED"], dtype=object)
DISPOSITION_P = (0.35, 0.30, 0.08, 0.12, 0.10, 0.05)
OUTCOMES = np.array(["RIGHT_PARTY", "WRONG_PARTY", "REFUSED", "COMPLAINT"], dtype=object)
OUTCOME_P = (0.76, 0.14, 0.06, 0.04)
LOOKBACK_DAYS, BASELINE_DAYS, COMPLAINTS = 14, 28, 200


class Customers:
    """1.3 customers per daily call, each entrusted to one agency; numbers are distinct CN mobiles."""

    def __init__(self, calls_per_day: int, agencies: int, rng: np.random.Generator):
        size = int(1.3 * calls_per_day)
        self.number = 8613000000000 + rng.permutation(size).astype(np.int64) * 37 + 11
        self.agency = rng.integers(0, agencies, size)
        self.by_agency = [np.flatnonzero(self.agency == a) for a in range(agencies)]


def agency_labels(agencies: int) -> np.ndarray:
    return np.array([f"AG{a:03d}" for a in range(agencies)], dtype=object)


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
    agent = rng.integers(0, agents_per_agency, calls)
    frame = pd.DataFrame({
        "call_id": pd.Series(np.char.add(f"{day:%Y%m%d}-", np.arange(calls).astype(str)), dtype="str"),
        "agency_id": pd.Series(agency_labels(agencies)[agency], dtype="str"),
        "agent_id": pd.Series(np.char.add("E", np.char.zfill(agent.astype(str), 5)), dtype="str"),
        "callee_e164": pd.Series(np.char.add("+", customers.number[customer].astype(str)), dtype="str"),
        "disposition_code": pd.Series(disposition, dtype="str"),
        "talk_ms": np.where(answered, rng.lognormal(11.2, 0.8, calls), -1).astype(np.int32),
    })
    frame["is_attempt"] = np.isin(disposition, sorted(load_rulepack("cn_bank").attempt_dispositions))
    frame["is_conversation"] = answered & np.isin(outcome, ["RIGHT_PARTY", "REFUSED", "COMPLAINT"])
    frame["is_refusal"] = answered & (outcome == "REFUSED")
    unassigned = customers.agency[customer] != agency
    off_hours = rng.random(calls) < 0.003
    columns = ["agency_id", "agent_id", "call_id"]
    findings = pd.concat([frame.loc[unassigned, columns].assign(rule_id="CONF_UNASSIGNED"),
                          frame.loc[off_hours, columns].assign(rule_id="FREQ_CALLING_HOURS")], ignore_index=True)
    return frame, findings


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(steps: list[dict], name: str, function, *args, **kwargs):
    wall, cpu = time.perf_counter(), _cpu()
    result = function(*args, **kwargs)
    steps.append({"step": name, "wall_s": round(time.perf_counter() - wall, 3), "cpu_s": round(_cpu() - cpu, 3)})
    return result


def _record(root: Path, day: dt.date, digest: str, rows: int) -> None:
    """An earlier day's calls partition record (its calls are never read: only the record's sha256)."""
    folder = root / "calls" / f"call_date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / store.RECORD).write_text(json.dumps({"calls": {"rows": rows, "sha256": digest}}))


def _partition(root: Path, day: dt.date, calls: pd.DataFrame) -> None:
    """Day D's calls partition: the columns the number index reads, and its record."""
    folder = root / "calls" / f"call_date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    number = calls["callee_e164"].str.slice(1).astype("int64").to_numpy()
    table = pa.table({"agency_id": pa.array(calls["agency_id"]).dictionary_encode(), "callee_number": number,
                      "disposition_code": pa.array(calls["disposition_code"]).dictionary_encode()})
    pq.write_table(table, folder / store.FILES["calls"], compression="zstd")
    digest = hashlib.sha256((folder / store.FILES["calls"]).read_bytes()).hexdigest()
    _record(root, day, digest, len(calls))


def _earlier_index(root: Path, day: dt.date, customers: Customers, calls: int, agencies: int, attempts: list[str],
                   rng: np.random.Generator) -> None:
    """An earlier day's stored number index, as the audit of that day left it."""
    digest = hashlib.sha256(day.isoformat().encode()).hexdigest()
    _record(root, day, digest, calls)
    customer = rng.integers(0, len(customers.number), calls)
    index = day_numbers(customers.number[customer], customers.agency[customer], rng.random(calls) < 0.85,
                        tuple(agency_labels(agencies)))
    store.replace_folder(root / "signals" / "numbers" / f"call_date={day}",
                         {f"{name}.npy": (lambda path, name=name: np.save(path, getattr(index, name)))
                          for name in ("keys", "calls", "attempts")},
                         "index.json", {"calls_sha256": digest, "attempt_dispositions": attempts,
                                        "agencies": list(index.agencies)})


def fill(root: Path, day: dt.date, calls: pd.DataFrame, findings: pd.DataFrame, customers: Customers, *,
         calls_per_day: int, agencies: int, rng: np.random.Generator, say=print) -> None:
    """The store as the nights before D leave it (see the module docstring)."""
    pack = load_rulepack("cn_bank")
    attempts = sorted(pack.attempt_dispositions)
    days = state_days(pack)
    for back in range(1, days + 1):
        earlier = day - dt.timedelta(days=back)
        if back <= LOOKBACK_DAYS:
            _earlier_index(root, earlier, customers, calls_per_day, agencies, attempts, rng)
        else:
            _record(root, earlier, hashlib.sha256(earlier.isoformat().encode()).hexdigest(), calls_per_day)
    say(f"{LOOKBACK_DAYS} earlier number indexes written")
    # D − 1's state: what 30 days of calls attempted, ~3 N distinct (number, agency) keys
    customer = rng.integers(0, len(customers.number), 3 * calls_per_day)
    keys = np.unique((customers.number[customer] << AGENCY_BITS) | customers.agency[customer])
    yesterday = day - dt.timedelta(days=1)
    state = Reach(keys=keys, agencies=tuple(agency_labels(agencies)),
                  last_day=rng.integers(day_number(yesterday) - days + 1, day_number(yesterday) + 1,
                                        len(keys)).astype(np.int32))
    window = [yesterday - dt.timedelta(days=days - 1 - k) for k in range(days)]
    signal_store.write_reach(root, yesterday, state, {
        "window_days": days, "attempt_dispositions": attempts,
        "days": {d.isoformat(): signal_store.calls_digest(root, d) for d in window}})
    say(f"state of {yesterday}: {len(keys):,} keys")
    # the baseline: the day's own counts (against an empty history) under each earlier date
    index = day_numbers(calls["callee_e164"].str.slice(1).astype("int64").to_numpy(),
                        np.searchsorted(agency_labels(agencies), calls["agency_id"].to_numpy(dtype=object)),
                        calls["is_attempt"].to_numpy(dtype=bool), tuple(agency_labels(agencies)))
    settings = daily.Settings.of(pack)
    counts = day_counts(calls, findings, numbers=advance_day(Reach.empty(), index, day, days=days),
                        new_numbers_days=settings.new_numbers_days, short_answer_ms=settings.short_answer_ms,
                        judged=frozenset(settings.judged)).counts
    for back in range(1, BASELINE_DAYS + 1):
        earlier = day - dt.timedelta(days=back)
        metric_store.write_day(root, earlier, {"date": earlier.isoformat(), "run_id": "bench",
                                                    "calls_sha256": signal_store.calls_digest(root, earlier),
                                                    "settings": settings.as_record()}, counts)
    say(f"{BASELINE_DAYS} days of early-warning counts written")


def benchmark(root: Path, *, calls_per_day: int, agencies: int, day: dt.date = dt.date(2026, 11, 27),
              seed: int = 5, say=print) -> dict:
    """Set the store up (untimed, unless --root already holds it), then time the signals of day D."""
    reuse_freed_memory()                                          # as stage_publish does
    pack = load_rulepack("cn_bank")
    rng = np.random.default_rng(seed)
    customers = Customers(calls_per_day, agencies, rng)
    calls, findings = synthetic_day(day, customers, calls_per_day, agencies, rng)
    say(f"{day}: {len(calls):,} calls generated")
    ready = root / "ready.json"
    if not ready.is_file():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        fill(root, day, calls, findings, customers, calls_per_day=calls_per_day, agencies=agencies, rng=rng, say=say)
        ready.write_text(json.dumps({"calls_per_day": calls_per_day, "agencies": agencies}))
    _partition(root, day, calls)
    for kind in ("numbers", "reach"):                              # what an earlier run of D left: a first run
        shutil.rmtree(root / "signals" / kind / f"call_date={day}", ignore_errors=True)
    shutil.rmtree(metric_store.day_folder(root, day), ignore_errors=True)
    attempts = frozenset(pack.attempt_dispositions)
    picked = np.random.default_rng(seed + 1).integers(0, len(calls), COMPLAINTS)       # whether or not set up now
    complained = np.unique(calls["callee_e164"].to_numpy(dtype=object)[picked])
    complained = np.array([int(x[1:]) for x in complained], dtype=np.int64)
    lookback = [day - dt.timedelta(days=k) for k in range(LOOKBACK_DAYS, -1, -1)]
    steps: list[dict] = []
    wall, cpu = time.perf_counter(), _cpu()
    keys = _timed(steps, "the day's calls' keys (agency codes, numbers)", call_keys, calls)
    numbers = _timed(steps, "the day's numbers (index, state advanced, both stored)", numbers_of_day, root, day,
                     days=state_days(pack), attempt_dispositions=attempts, checked=True, keys=keys)
    linked = _timed(steps, f"complaint look-up ({len(complained)} numbers, {len(lookback)} days)", calls_in_window,
                    root, lookback, complained, attempts, today=numbers.index)
    reach = _timed(steps, "complaint reach per agency (30 days)",
                   lambda: numbers_per_agency(numbers.reach_within(pack.complaints.window_days)))
    counts = _timed(steps, "early-warning counts (recorded)", daily.record_day, root, day, calls, findings, pack,
                    numbers=numbers)
    history = _timed(steps, f"baseline ({BASELINE_DAYS} days of counts read)", daily.baseline, root, day, pack)
    warnings = _timed(steps, "warnings (history and peers)", day_warnings, day, counts.counts, history, pack.warnings)
    steps.append({"step": "total", "wall_s": round(time.perf_counter() - wall, 3), "cpu_s": round(_cpu() - cpu, 3)})
    return {"calls_per_day": calls_per_day, "agencies": agencies,
            "agents": int((counts.counts["level"] == "agent").sum()), "baseline_days": len(history),
            "state_keys": int(len(numbers.reach.keys)), "linked_rows": int(len(linked)),
            "reach_agencies": len(reach), "warnings": int(len(warnings)), "steps": steps}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls-per-day", type=int, default=10_000_000)
    parser.add_argument("--agencies", type=int, default=50)
    parser.add_argument("--root", type=Path, default=None)
    args = parser.parse_args(argv)
    root = args.root or REPO / "data" / f"bench-signals-{args.calls_per_day}"
    result = benchmark(root, calls_per_day=args.calls_per_day, agencies=args.agencies)
    width = max(len(s["step"]) for s in result["steps"])
    print(f"{result['calls_per_day']:,} calls, {result['agencies']} agencies, {result['agents']:,} agents, "
          f"{result['baseline_days']} baseline days, state of {result['state_keys']:,} keys")
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
