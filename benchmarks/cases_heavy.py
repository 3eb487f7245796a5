"""Benchmark: the cases, scoring and rendering stages on a day of many customer cases, without
landing, loading or rules (a synthetic findings frame, built in seconds).

    python benchmarks/cases_heavy.py [--calls 1000000] [--cases 157000] [--root /tmp/cases-heavy] [--profile STAGE]

The day is shaped like a findings-heavy day of agencies that lost a contract or called
unassigned numbers: a few agency-wide cases (every call of the agency a finding), a few hundred
agent and caller cases, and the rest customer cases (CONF_UNASSIGNED and the frequency rules,
keyed by callee_key) of one to a few findings each. An earlier day is recorded first (untimed) so
that the lifecycle carries open and quiet cases. Prints wall and CPU seconds per stage (the
stages of benchmarks/run.py: cases, scoring, rendering); `--profile STAGE` prints its cProfile.
Not part of the tests.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import pstats
import resource
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from audits.cases.daily import record_cases  # noqa: E402
from audits.cases.keys import case_ids  # noqa: E402
from audits.models import RULES_BY_ID, VIOLATION_COLUMNS, Portfolio, Provenance, SubjectKind  # noqa: E402
from audits.rulepack import load_rulepack  # noqa: E402
from audits.scoring import AgencyVolume, build_scorecards, rank_worst_first, score_agencies  # noqa: E402

AGENCY_RULES = ("QUAL_NO_CONTRACT", "CONF_NDA_NOT_IN_FORCE")
CUSTOMER_RULES = ("CONF_UNASSIGNED", "FREQ_DAILY_CAP", "FREQ_ROLLING_7D", "FREQ_COOLING_OFF")


def synthetic_day(day: dt.date, *, agencies: int, calls: int, cases: int, seed: int) -> tuple[pd.DataFrame,
                                                                                          pd.DataFrame]:
    """(calls, violations) of one day: ~45 % of the calls with a finding in about `cases` cases."""
    rng = np.random.default_rng(seed)
    agency_ids = np.array([f"AG{k:02d}" for k in range(1, agencies + 1)], dtype=object)
    agency = np.sort(rng.integers(0, agencies, calls))
    minutes = rng.integers(8 * 60, 21 * 60, calls)
    start = np.array([f"{day.isoformat()}T{m // 60:02d}:{m % 60:02d}:{s:02d}+08:00"
                      for m, s in zip(minutes, rng.integers(0, 60, calls))], dtype=object)
    frame = pd.DataFrame({
        "agency_id": agency_ids[agency],
        "call_id": np.array([f"K{k:08d}" for k in range(calls)], dtype=object),
        "agent_id": np.array([f"E{k:04d}" for k in rng.integers(0, 4000, calls)], dtype=object),
        "campaign_id": np.array([f"CP{k:03d}" for k in rng.integers(0, 60, calls)], dtype=object),
        "caller_e164": np.array([f"+86105{k:06d}" for k in rng.integers(0, 8000, calls)], dtype=object),
        "callee_e164": np.array([f"+86138{k:08d}" for k in rng.integers(0, 40_000_000, calls)], dtype=object),
        "start_time": start,
        "purpose": rng.choice(np.array(["marketing", "collection", "servicing"], dtype=object), calls),
        "is_attempt": rng.random(calls) < 0.8,
    })
    # agency-wide: the first agencies lose their contract or NDA (every call a finding)
    broken = frame["agency_id"].isin(agency_ids[:4])
    parts = [frame[broken].assign(rule_id=np.where(frame.loc[broken, "agency_id"].isin(agency_ids[:2]),
                                                   AGENCY_RULES[0], AGENCY_RULES[1]))]
    rest = frame[~broken]
    agent_rows = rest.sample(n=min(len(rest), calls // 25), random_state=seed)
    parts.append(agent_rows.assign(rule_id="CONF_AGENT_NOT_ACTIVE"))
    # customer cases: callees that recur 1-4 times within an agency
    customer_findings = int(0.451 * calls) - sum(len(p) for p in parts)
    per_case = rng.integers(1, 5, max(cases, 1))
    per_case = per_case[np.cumsum(per_case) <= customer_findings]
    chosen = rest.sample(n=int(per_case.sum()), random_state=seed + 1).sort_values("agency_id", kind="stable")
    owner = np.repeat(np.arange(len(per_case)), per_case)
    chosen = chosen.assign(callee_e164=np.array([f"+86139{k:08d}" for k in owner], dtype=object),
                           rule_id=np.asarray(CUSTOMER_RULES, dtype=object)[owner % len(CUSTOMER_RULES)])
    parts.append(chosen)
    found = pd.concat(parts, ignore_index=True)
    rules = found["rule_id"].map(RULES_BY_ID)
    callee_key = "k" + found["callee_e164"].str.slice(3)
    violations = pd.DataFrame({
        "audit_date": day.isoformat(), "agency_id": found["agency_id"], "rule_id": found["rule_id"],
        "family": rules.map(lambda i: i.family.value), "severity": rules.map(lambda i: i.severity.value),
        "call_id": found["call_id"], "agent_id": found["agent_id"], "campaign_id": found["campaign_id"],
        "callee_masked": "+86 " + found["callee_e164"].str.slice(3, 6) + "****" + found["callee_e164"].str.slice(-4),
        "callee_key": callee_key, "start_time": found["start_time"], "detail": "synthetic finding",
        "decision": "", "channel": "call"})
    subject = pd.Series("", index=found.index, dtype=object)
    kinds = rules.map(lambda i: i.subject)
    subject[kinds == SubjectKind.AGENT] = found.loc[kinds == SubjectKind.AGENT, "agent_id"]
    subject[kinds == SubjectKind.CUSTOMER] = callee_key[kinds == SubjectKind.CUSTOMER]
    violations["case_id"] = ""
    for rule_id in violations["rule_id"].unique():
        rows = (violations["rule_id"] == rule_id).to_numpy()
        violations.loc[rows, "case_id"] = case_ids(violations.loc[rows, "agency_id"], rule_id, subject[rows])
    violations = violations.sort_values(["agency_id", "rule_id", "start_time", "call_id"], kind="stable")
    return frame, violations[list(VIOLATION_COLUMNS)].reset_index(drop=True)


def _cpu_seconds() -> float:
    """User + system CPU of this process and of its waited-for children (the rendering workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _cached(root: Path, day: dt.date, **shape) -> tuple[pd.DataFrame, pd.DataFrame]:
    """synthetic_day, kept as Parquet under `root` for the next run of the same shape."""
    stem = root / ("day-" + day.isoformat() + "-" + "-".join(f"{k}{v}" for k, v in sorted(shape.items())))
    if not stem.with_suffix(".violations.parquet").exists():
        calls, violations = synthetic_day(day, **shape)
        calls.to_parquet(stem.with_suffix(".calls.parquet"))
        violations.to_parquet(stem.with_suffix(".violations.parquet"))
    return (pd.read_parquet(stem.with_suffix(".calls.parquet")).astype({"is_attempt": bool}),
            pd.read_parquet(stem.with_suffix(".violations.parquet")))


@contextmanager
def timed(name: str, rows: list, profile: str | None):
    profiler = cProfile.Profile() if profile == name else None
    wall, cpu = time.perf_counter(), _cpu_seconds()
    if profiler:
        profiler.enable()
    try:
        yield
    finally:
        if profiler:
            profiler.disable()
        rows.append((name, time.perf_counter() - wall, _cpu_seconds() - cpu))
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


def run(root: Path, *, agencies: int, calls: int, cases: int, workers: int, profile: str | None) -> list:
    from audits.rendering import default_templates_dir, write_reports

    shutil.rmtree(root / "store", ignore_errors=True)
    shutil.rmtree(root / "rendered", ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    pack = load_rulepack("cn_bank")
    day = dt.date(2026, 11, 27)
    before_calls, before = _cached(root, day - dt.timedelta(days=1), agencies=agencies, calls=calls,
                                   cases=cases // 10, seed=1)       # an ordinary day before
    record_cases(root / "store", day - dt.timedelta(days=1), before, before_calls,
                 resolve_after_days=pack.cases.resolve_after_days)
    del before_calls, before
    day_calls, violations = _cached(root, day, agencies=agencies, calls=calls, cases=cases, seed=2)
    print(f"{len(day_calls):,} calls, {len(violations):,} findings", flush=True)
    rows: list = []
    with timed("cases", rows, profile):
        register = record_cases(root / "store", day, violations, day_calls,
                                resolve_after_days=pack.cases.resolve_after_days)
    print(f"{len(register):,} cases on the register", flush=True)
    with timed("scoring", rows, profile):
        counts = day_calls["agency_id"].value_counts()
        volumes = [AgencyVolume(a, a, "ok", "", int(counts.get(a, 0)), 0, ()) for a in sorted(counts.index)]
        history = pd.DataFrame(columns=["audit_date", "agency_id", "overall", "grade"])
        scores = score_agencies(day, volumes, day_calls, violations, pack, history=history)
        provenance = Provenance("benchmark", day.isoformat(), pack.name, pack.sha256, "benchmark", "", ())
        cards = build_scorecards(scores, volumes, day_calls, violations, pack, history, provenance, cases=register)
    with timed("rendering", rows, profile):
        write_reports(Portfolio(day.isoformat(), rank_worst_first(cards), provenance), root / "rendered",
                      templates_dir=default_templates_dir(), workers=workers)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=int, default=50)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=157_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--root", type=Path, default=Path("/tmp/cases-heavy"))
    parser.add_argument("--profile", choices=("cases", "scoring", "rendering"))
    args = parser.parse_args(argv)
    rows = run(args.root, agencies=args.agencies, calls=args.calls, cases=args.cases, workers=args.workers,
               profile=args.profile)
    print(f"{'stage':<12}{'wall s':>10}{'cpu s':>10}  (cpu: this process and its workers)")
    for name, wall, cpu in rows:
        print(f"{name:<12}{wall:>10.2f}{cpu:>10.2f}")
    print(f"{'total':<12}{sum(r[1] for r in rows):>10.2f}{sum(r[2] for r in rows):>10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
