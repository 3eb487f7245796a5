"""What complaints add to a night at scale (signals.md §1): the audit day's number index built
from its calls partition, 200 complaints looked up over a 14-day window of stored indexes,
and the 30-day reach merged from the previous night's state. Synthetic store, no landing zone:

    python benchmarks/complaints.py [--calls 10000000] [--customers 11600000] [--complaints 200] [--dir DIR]

A large bank's shape (benchmarks/README.md): N calls a day to 1.16 N customers over 50
agencies; the previous state holds the distinct (number, agency) pairs of 29 such days.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from audits import store
from audits.workers import reuse_freed_memory
from audits.signals import signalstore
from audits.signals.complaints import calls_in_window, rolling_reach
from audits.signals.numbers import AGENCY_BITS, day_numbers
from audits.signals.reach import Reach

DAY = dt.date(2026, 11, 27)
ATTEMPTS = frozenset({"ANSWERED", "NO_ANSWER", "REJECTED", "VOICEMAIL"})
AGENCIES = tuple(f"AG{k:02d}" for k in range(50))


def _partition(root: Path, day: dt.date, numbers: np.ndarray, agencies: np.ndarray, dispositions: np.ndarray) -> None:
    folder = root / "calls" / f"call_date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.table({"agency_id": pa.array(np.asarray(AGENCIES, dtype=object)[agencies]),
                      "callee_number": numbers, "disposition_code": pa.array(dispositions)})
    pq.write_table(table, folder / "calls.parquet", compression="zstd")
    digest = hashlib.sha256((folder / "calls.parquet").read_bytes()).hexdigest()
    (folder / store.RECORD).write_text(json.dumps({"calls": {"rows": len(numbers), "sha256": digest}}))


def _calls(rng, calls: int, customers: int):
    """Numbers and agencies of a day's calls: each customer is assigned to one agency, and 5 %
    of calls are another agency's (customers moved between agencies, shared lists)."""
    customer = rng.integers(0, customers, calls)
    agency = np.where(rng.random(calls) < 0.95, customer % len(AGENCIES), rng.integers(0, len(AGENCIES), calls))
    return 8613000000000 + customer, agency


def _fake_day(root: Path, day: dt.date, rng, calls: int, customers: int) -> None:
    """An earlier day: a record and its stored index (no partition: never read when the index is current)."""
    numbers, agencies = _calls(rng, calls, customers)
    index = day_numbers(numbers, agencies, rng.random(calls) < 0.9, AGENCIES)
    folder = root / "calls" / f"call_date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(day.isoformat().encode()).hexdigest()
    (folder / store.RECORD).write_text(json.dumps({"calls": {"rows": calls, "sha256": digest}}))
    target = root / "signals" / "numbers" / f"call_date={day}"
    target.mkdir(parents=True, exist_ok=True)
    for name in ("keys", "calls", "attempts"):
        np.save(target / f"{name}.npy", getattr(index, name))
    (target / "index.json").write_text(json.dumps({"calls_sha256": digest, "attempt_dispositions": sorted(ATTEMPTS),
                                                   "agencies": list(AGENCIES)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=11_600_000)
    parser.add_argument("--complaints", type=int, default=200)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    reuse_freed_memory()                                  # as stage_publish does
    root = Path(args.dir or tempfile.mkdtemp(prefix="complaints-bench-"))
    rng = np.random.default_rng(7)
    n, customers = args.calls, args.customers
    print(f"building a synthetic store in {root} ...", flush=True)
    for back in range(1, 15):
        _fake_day(root, DAY - dt.timedelta(days=back), rng, n, customers)
    previous, agencies = _calls(rng, 3 * n, customers)               # ~29 days of a customer base called ~monthly
    keys = np.sort((previous << AGENCY_BITS) | agencies)
    keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
    first = (DAY - dt.timedelta(days=29) - dt.date(1970, 1, 1)).days
    state = Reach(keys=keys, last_day=rng.integers(first, first + 29, len(keys)).astype(np.int32), agencies=AGENCIES)
    window = [DAY - dt.timedelta(days=29 - k) for k in range(30)]
    digests = {d.isoformat(): signalstore.calls_digest(root, d) for d in window}
    signalstore.write_reach(root, DAY - dt.timedelta(days=1), state,
                            {"window_days": 30, "attempt_dispositions": sorted(ATTEMPTS), "days": digests})
    numbers, agencies = _calls(rng, n, customers)
    dispositions = np.array(["ANSWERED", "NO_ANSWER", "BUSY", "REJECTED"], dtype=object)[rng.integers(0, 4, n)]
    _partition(root, DAY, numbers, agencies, dispositions)
    complained = np.unique(numbers[rng.integers(0, n, args.complaints)])
    print(f"previous reach: {len(keys):,} keys; day {DAY}: {n:,} calls", flush=True)

    timings = {}

    def timed(label, work):
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        timings[label] = (time.perf_counter() - wall, time.process_time() - cpu)
        return result

    today = timed("day index (build + write)",
                  lambda: signalstore.day_index(root, DAY, attempt_dispositions=ATTEMPTS, checked=True))
    days = [DAY - dt.timedelta(days=k) for k in range(14, -1, -1)]
    linked = timed(f"look-up of {len(complained)} numbers over 15 days",
                   lambda: calls_in_window(root, days, complained, ATTEMPTS, today=today))
    reach = timed("30-day reach (read, merge, write)",
                  lambda: rolling_reach(root, DAY, window_days=30, attempt_dispositions=ATTEMPTS, today=today))
    print(f"{'':45s} {'wall':>8s} {'cpu':>8s}")
    for label, (wall, cpu) in timings.items():
        print(f"{label:45s} {wall:7.2f}s {cpu:7.2f}s")
    print(f"{'total':45s} {sum(w for w, _ in timings.values()):7.2f}s {sum(c for _, c in timings.values()):7.2f}s"
          f"  ({len(linked):,} linked rows, {len(reach.keys):,} reach keys)")
    if args.dir is None:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
