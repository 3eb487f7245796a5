"""Benchmark: one audit day of a large bank, stage by stage (wall time, CPU time, peak memory).

    python benchmarks/run.py [--agencies 50] [--calls-per-day 10000000] [--days 7] [--root data/bench]
    python benchmarks/run.py --findings-heavy [0.36] --agencies 50 --calls-per-day 1000000 --days 3 --whole-run
    python benchmarks/run.py --calls-per-day 10000000 --sms-per-day 5000000 --whole-run

Generates (or reuses) a landing zone of `days` days, brings the earlier days into the store
(not timed: that is what the previous nights did), then audits the last day stage by stage and
prints a table and writes JSON to benchmarks/results/. `--findings-heavy` makes the last day one
on which agencies lose their contract or assignments, dial a stale list, or their NDA, licence or
registrations lapse (about 35 % of the calls findings, mostly in customer cases;
benchmarks/landing/heavy.py); `--whole-run` then also times `python -m
audits run` of that day end to end. `--sms-per-day N` adds N text messages a day (sms/<D>/, the
same calls: benchmarks/landing/sms.py); `--whole-run` then times the audit of both channels.
`--messy` (combinable with both) writes the landing as agencies really deliver it (written forms of
numbers and timestamps, encodings, formats, a bank-sized consent register); its marker names the
shape, so a tidy landing and a messy one are never taken for each other. Not
part of the tests; a tiny size of it runs in
tests/test_benchmark.py to keep it working.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from audits import store  # noqa: E402
from audits.cases.daily import record_cases  # noqa: E402
from audits.config import AuditConfig  # noqa: E402
from audits.ingest import missing_files  # noqa: E402
from audits.ingest_validation import lean_for_validation, validate_calls, validation_columns  # noqa: E402
from audits.loaders import list_cdr_files  # noqa: E402
from audits.models import REFERENCE_TABLES, Portfolio, Provenance  # noqa: E402
from audits.pipeline import (  # noqa: E402
    ingest_earlier_days,
    rule_inputs,
    run_rules_in_processes,
    stage_agency,
    stage_reference_tables,
)
from audits.rulepack import load_rulepack  # noqa: E402
from audits.scoring import AgencyVolume, build_scorecards, rank_worst_first, score_agencies  # noqa: E402
from audits.workdir import WorkDir  # noqa: E402
from audits.workers import in_processes, release_memory  # noqa: E402
from benchmarks.landing.heavy import DEFAULT_SHARE  # noqa: E402


def _tree_memory_bytes() -> int:
    """Proportional set size (PSS) of this process and every descendant: forked workers share
    copy-on-write pages with the parent, and PSS counts each page once across them (summing
    RSS would count it per process)."""
    import psutil

    me = psutil.Process()
    total = 0
    for process in (me, *me.children(recursive=True)):
        try:
            with open(f"/proc/{process.pid}/smaps_rollup") as handle:
                total += next(int(line.split()[1]) * 1024 for line in handle if line.startswith("Pss:"))
        except (OSError, StopIteration):
            pass                                                # ended between listing and reading
    return total


def _cpu_seconds() -> float:
    """User + system CPU of this process and of its waited-for children (the worker pools)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class StageTimer:
    """Wall time, CPU time (this process and its finished workers) and peak memory (PSS of the
    process tree, sampled every 50 ms) of each stage."""

    def __init__(self):
        self.rows: list[dict] = []

    @contextmanager
    def stage(self, name: str):
        peak = [_tree_memory_bytes()]
        stop = threading.Event()

        def sample():
            while not stop.wait(0.05):
                peak[0] = max(peak[0], _tree_memory_bytes())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        wall, cpu = time.perf_counter(), _cpu_seconds()
        try:
            yield
        finally:
            stop.set()
            sampler.join()
            peak[0] = max(peak[0], _tree_memory_bytes())
            self.rows.append({"stage": name, "wall_s": round(time.perf_counter() - wall, 2),
                              "cpu_s": round(_cpu_seconds() - cpu, 2),
                              "peak_mib": round(peak[0] / 2**20)})

    def table(self) -> str:
        lines = [f"{'stage':<12}{'wall s':>10}{'cpu s':>10}{'peak MiB':>10}  (peak: PSS of all processes)"]
        lines += [f"{r['stage']:<12}{r['wall_s']:>10.2f}{r['cpu_s']:>10.2f}{r['peak_mib']:>10}" for r in self.rows]
        total_wall = sum(r["wall_s"] for r in self.rows)
        total_cpu = sum(r["cpu_s"] for r in self.rows)
        lines.append(f"{'total':<12}{total_wall:>10.2f}{total_cpu:>10.2f}{max(r['peak_mib'] for r in self.rows):>10}")
        return "\n".join(lines)


def benchmark(root: Path, *, agencies: int, calls_per_day: int, days: int, start: dt.date, seed: int = 11,
              workers: int = os.cpu_count() or 1, rule_costs: bool = False, findings_heavy: float = 0.0,
              whole_run: bool = False, sms_per_day: int = 0, messy: bool = False) -> dict:
    from audits.rendering import default_templates_dir, write_reports
    from benchmarks.landing import write_bulk_landing

    landing, out = root / "landing", root / "reports"
    last = start + dt.timedelta(days=days - 1)
    shape = f"{agencies}x{calls_per_day}x{days}-seed{seed}" + (f"-heavy{findings_heavy:g}" if findings_heavy else "") \
        + (f"-sms{sms_per_day}" if sms_per_day else "") + ("-messy" if messy else "")
    marker = root / f"bulk-landing-{shape}.done"
    if not marker.exists():
        for stale in root.glob("bulk-landing-*.done"):          # another shape's landing is overwritten
            stale.unlink()
        write_bulk_landing(landing, start=start, days=days, agencies=agencies, calls_per_day=calls_per_day,
                           seed=seed, findings_heavy=findings_heavy, sms_per_day=sms_per_day, messy=messy)
        marker.write_text("ok")
    config = AuditConfig(audit_date=last, landing=landing, out=out, store=root / "store",
                         rulepack=load_rulepack("cn_bank"), run_id="benchmark", code_version="benchmark",
                         generated_at="2026-01-01T00:00:00+00:00", workers=workers)
    pack = config.rulepack
    timer = StageTimer()
    work = WorkDir(config)
    with timer.stage("reference"):      # the six reference tables, read, typed and validated
        stage_reference_tables(config)
    contracts = work.load_ingested("reference/contracts").accepted
    ingest_earlier_days(config, contracts, progress=lambda _m: None)   # untimed: earlier nights
    release_memory()
    with timer.stage("load"):           # one process per core, as run_audit does
        agency_ids = sorted(list_cdr_files(landing, last))
        in_processes(stage_agency, [(config, a) for a in agency_ids], config.workers)
        staged = work.load_staged(validation_columns(), lean_for_validation)
    with timer.stage("validation"):
        today = validate_calls(staged, day=last, full_rows=work.staged_rows)
        today.files += missing_files(landing, day=last, contracts=contracts)
    del staged
    release_memory()
    with timer.stage("store"):
        store.write_day(config.store, last, today.accepted)
        inputs = rule_inputs(config, {table: work.load_ingested(f"reference/{table}").accepted
                                      for table in REFERENCE_TABLES}, today.accepted)
        today.accepted = None                                  # as in the DAG: the rules hold the calls
    release_memory()
    with timer.stage("rules"):          # groups of rules of about equal cost, one process each
        violations = run_rules_in_processes(inputs, config.workers)
    costs, cpu_costs = rule_seconds(inputs) if rule_costs else ({}, {})   # untimed: each rule alone, for Rule.cost
    calls = inputs.calls
    del inputs                          # as in the DAG: publishing reads only the day's calls
    work.remove()
    release_memory()
    with timer.stage("cases"):          # the day's cases into the store's chain, and its register
        cases = record_cases(config.store, last, violations, calls, resolve_after_days=pack.cases.resolve_after_days)
    with timer.stage("scoring"):
        volumes = [AgencyVolume(f.agency_id, f.agency_id, f.status, f.message, f.rows_read, f.rows_quarantined, ())
                   for f in today.files]
        scores = score_agencies(last, volumes, calls, violations, pack, history=_no_history())
        provenance = Provenance("benchmark", last.isoformat(), pack.name, pack.sha256, "benchmark", "", ())
        cards = build_scorecards(scores, volumes, calls, violations, pack, _no_history(), provenance, cases=cases)
    with timer.stage("rendering"):
        target = root / "rendered"
        target.mkdir(parents=True, exist_ok=True)
        write_reports(Portfolio(last.isoformat(), rank_worst_first(cards), provenance), target,
                      templates_dir=default_templates_dir(), workers=workers)
    run_seconds = _whole_run(config) if whole_run else None
    return {"agencies": agencies, "calls_per_day": calls_per_day, "sms_per_day": sms_per_day, "days": days,
            "messy": messy,
            "workers": workers,
            "findings_heavy": findings_heavy, "calls_audited": int(len(calls)), "findings": int(len(violations)),
            "calls_with_findings": int(len(violations.drop_duplicates(["agency_id", "call_id"]))),
            "cases": int(len(cases)), "run_seconds": run_seconds, "rule_seconds": costs, "rule_cpu_seconds": cpu_costs,
            "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "stages": timer.rows, "table": timer.table()}


def _whole_run(config: AuditConfig) -> float:
    """Wall seconds of `python -m audits run` of the benchmark's day (its earlier days in the store,
    as on a normal night), in a fresh process with the same workers, into its own report folder."""
    out = config.out.parent / "run-reports"
    command = [sys.executable, "-m", "audits", "run", "--date", config.audit_date.isoformat(),
               "--landing", str(config.landing), "--out", str(out), "--store", str(config.store),
               "--workers", str(config.workers)]
    environment = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
                   "AUDIT_HMAC_SECRET": os.environ.get("AUDIT_HMAC_SECRET", "benchmark")}
    began = time.perf_counter()
    subprocess.run(command, check=True, env=environment, stdout=subprocess.DEVNULL)
    return round(time.perf_counter() - began, 2)


def rule_seconds(inputs) -> tuple[dict[str, float], dict[str, float]]:
    """Wall and CPU seconds of each enabled rule run alone in this process: where the rules
    stage's time goes, and the figures behind Rule.cost (which balances the rules over workers)."""
    from audits.rules import RULES

    seconds, cpu_seconds = {}, {}
    for rule in RULES:
        if rule.rule_id in inputs.rulepack.enabled_rules:
            began, cpu = time.perf_counter(), time.process_time()
            rule.find(inputs)
            seconds[rule.rule_id] = round(time.perf_counter() - began, 2)
            cpu_seconds[rule.rule_id] = round(time.process_time() - cpu, 2)     # what a loaded machine can compare
    return seconds, cpu_seconds


def _no_history():
    import pandas as pd

    return pd.DataFrame(columns=["audit_date", "agency_id", "overall", "grade"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--agencies", type=int, default=50)
    parser.add_argument("--calls-per-day", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2026, 11, 21))
    parser.add_argument("--root", type=Path, default=None, help="default data/bench (data/bench-heavy with "
                        "--findings-heavy)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rule-costs", action="store_true",
                        help="after the rules stage, time each rule alone (untimed in the table; adds a minute at 10M)")
    parser.add_argument("--findings-heavy", type=float, nargs="?", const=DEFAULT_SHARE, default=0.0, metavar="SHARE",
                        help=f"make the last day findings-heavy: agencies with SHARE of the calls (default "
                             f"{DEFAULT_SHARE}, so ~35 %% of calls with a finding in ~150k cases at 1M calls) lose "
                             "their contract or assignments, dial a stale list, or their NDA, licence or "
                             "registrations lapse")
    parser.add_argument("--sms-per-day", type=int, default=0, metavar="N",
                        help="also write N text messages a day (sms/<D>/; every contract call;sms), the calls "
                             "unchanged; --whole-run then audits both channels")
    parser.add_argument("--messy", action="store_true",
                        help="write the landing as agencies really deliver it: 45 %% of phone numbers in other "
                             "written forms, timestamps in mixed shapes, files a mix of UTF-8 and GB18030 CSV, "
                             ".csv.gz and Parquet, ~0.95 N consent rows (benchmarks/landing/text.py)")
    parser.add_argument("--whole-run", action="store_true",
                        help="also time `python -m audits run` of the last day end to end")
    args = parser.parse_args(argv)
    root = args.root or REPO / "data" / ("bench-heavy" if args.findings_heavy else "bench")
    result = benchmark(root, agencies=args.agencies, calls_per_day=args.calls_per_day, days=args.days,
                       start=args.start, workers=args.workers, rule_costs=args.rule_costs,
                       findings_heavy=args.findings_heavy, whole_run=args.whole_run, sms_per_day=args.sms_per_day,
                       messy=args.messy)
    print(result["table"])
    print(f"{result['calls_audited']:,} calls, {result['findings']:,} findings on "
          f"{result['calls_with_findings'] / max(result['calls_audited'], 1):.1%} of the calls, "
          f"{result['cases']:,} cases")
    if result["run_seconds"] is not None:
        print(f"python -m audits run, end to end: {result['run_seconds']:.2f} s")
    for rule_id, seconds in result["rule_seconds"].items():
        print(f"  {rule_id:<30}{seconds:>8.2f} s {result['rule_cpu_seconds'][rule_id]:>8.2f} s CPU")
    results = REPO / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    kind = ("heavy-" if args.findings_heavy else "") + ("messy-" if args.messy else "")
    texts = f"+{args.sms_per_day}sms" if args.sms_per_day else ""
    path = results / f"bench-{kind}{args.agencies}x{args.calls_per_day}{texts}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps({k: v for k, v in result.items() if k != "table"}, indent=2) + "\n")
    print(f"JSON: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
