"""`python -m audits sample|run|verify` (data-contract.md §4).

The CLI is where the environment and the clock are read: it builds an AuditConfig and
passes it down.
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from audits.config import DEVELOPMENT_HMAC_SECRET, AuditConfig, ConfigError, check_run_id, load_rulepack

SECRET_VARIABLE = "AUDIT_HMAC_SECRET"
EXIT_CANNOT_AUDIT = 2
EXIT_VERIFY_FAILED = 1


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    return args.handler(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m audits",
                                     description="Nightly compliance audit of outsourced call-centre agencies.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    sample = commands.add_parser("sample", help="write a realistic sample landing zone with planted violations")
    sample.add_argument("--landing", type=Path, required=True)
    sample.add_argument("--start", type=_date, required=True, help="first business day, YYYY-MM-DD")
    sample.add_argument("--days", type=_positive, required=True)
    sample.add_argument("--agencies", type=_positive, default=8)
    sample.add_argument("--calls-per-day", type=_positive, default=20_000, help="all agencies together")
    sample.add_argument("--seed", type=int, default=7)
    sample.set_defaults(handler=_sample)

    run = commands.add_parser("run", help="audit one business day")
    run.add_argument("--date", type=_date, required=True)
    run.add_argument("--landing", type=Path, required=True)
    run.add_argument("--out", type=Path, required=True)
    run.add_argument("--store", type=Path, default=Path("data/store"))
    run.add_argument("--rulepack", default="cn_bank", help="a rulepack name (cn_bank, us_collections) or a YAML path")
    run.add_argument("--run-id", type=_run_id, default=None,
                     help="identifier of this run: letters, digits and _ . : + - "
                          "(default: manual__<UTC time to the microsecond>-<pid>, unique)")
    run.add_argument("--lock-wait", type=float, default=1800.0, metavar="SECONDS",
                     help="how long to wait while another run holds this day's report or the store (default 1800)")
    run.add_argument("--workers", type=_positive, default=os.cpu_count() or 1,
                     help="processes for the per-agency files and the rule partitions (default: one per core)")
    run.set_defaults(handler=_run)

    verify = commands.add_parser("verify", help="re-hash a report's inputs and outputs against its manifest")
    verify.add_argument("report", type=Path, help="DIR/<YYYY-MM-DD>")
    verify.set_defaults(handler=_verify)
    return parser


def _sample(args) -> int:
    from audits.sample import write_sample_landing

    with _progress() as say:
        summary = write_sample_landing(args.landing, start=args.start, days=args.days, agencies=args.agencies,
                                       calls_per_day=args.calls_per_day, seed=args.seed, progress=say)
    print(f"Sample landing zone written to {args.landing} "
          f"({summary.get('calls', summary.get('calls_written', '?'))} calls over {args.days} day(s)); "
          f"ground truth in {args.landing / 'truth'}.")
    return 0


def _run(args) -> int:
    from audits.ingest import AuditError
    from audits.locks import LockTimeout
    from audits.pipeline import run_audit

    try:
        rulepack = load_rulepack(args.rulepack)
    except ConfigError as exc:
        return _fail(f"Cannot audit: the rulepack is unusable. {exc}")
    started = dt.datetime.now(dt.timezone.utc)
    now = started.replace(microsecond=0)
    config = AuditConfig(
        audit_date=args.date, landing=args.landing, out=args.out, store=args.store, rulepack=rulepack,
        hmac_secret=hmac_secret_from_environment(), run_id=args.run_id or default_run_id(started),
        code_version=code_version(), generated_at=now.isoformat(), workers=args.workers,
        lock_wait_seconds=args.lock_wait,
    )
    if not args.landing.is_dir():
        return _fail(f"Cannot audit {args.date}: the landing zone {args.landing} does not exist. "
                     "Pass --landing with the folder that holds reference/ and cdr/ (data-contract.md §1).")
    for option, folder in (("--out", args.out), ("--store", args.store)):
        if folder.exists() and not folder.is_dir():
            return _fail(f"Cannot audit {args.date}: {option} {folder} is a file, not a folder. Pass a folder "
                         "(it is created when absent); nothing was written.")
    try:
        with _progress() as say:
            result = run_audit(config, progress=say)
    except (AuditError, ConfigError, LockTimeout) as exc:
        return _fail(f"Cannot audit {args.date}: {exc}")
    except OSError as exc:
        return _fail(f"Cannot audit {args.date}: {_os_problem(exc)} Nothing was published: the previous report of "
                     f"{args.date}, if any, is unchanged, and the store holds whole days only (a day is written "
                     "whole or not at all); the run's work files were removed. Fix that, then run again.")
    print(f"Audited {result.calls_audited} calls of {result.agencies} agencies on {args.date}: "
          f"{result.findings} findings, {result.rows_quarantined} rows quarantined.")
    print(f"Report: {result.report_dir / 'index.html'}")
    return 0


def _verify(args) -> int:
    from audits.manifest import verify_report

    problems = verify_report(args.report)
    if problems:
        print(f"{args.report}: {len(problems)} mismatch(es) with the manifest:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_VERIFY_FAILED
    print(f"{args.report}: every input and output matches its manifest.")
    return 0


def default_run_id(started: dt.datetime) -> str:
    """manual__<UTC time to the microsecond>-<pid>: two runs started in the same second differ."""
    return f"manual__{started.strftime('%Y%m%dT%H%M%S.%fZ')}-{os.getpid()}"


def _os_problem(exc: OSError) -> str:
    """An OSError in words: what, where, and what to do (paths only, never file content)."""
    where = f" at {exc.filename}" if exc.filename else ""
    what = exc.strerror or str(exc) or type(exc).__name__
    advice = {errno.ENOSPC: "free space on that file system", errno.EDQUOT: "free space or raise the quota",
              errno.EROFS: "that file system is read-only: pass a writable folder",
              errno.EACCES: "give this user write access there, or pass another folder",
              errno.EPERM: "give this user write access there, or pass another folder",
              errno.ENOTDIR: "a file stands where a folder is needed: remove it or pass another folder",
              errno.EEXIST: "a file stands where a folder is needed: remove it or pass another folder",
              }.get(exc.errno, "check that path and the file system")
    return f"{what}{where} ({advice})."


def hmac_secret_from_environment() -> bytes:
    secret = os.environ.get(SECRET_VARIABLE, "")
    if not secret:
        print(f"WARNING: {SECRET_VARIABLE} is not set; callee_key uses the development secret. Keys made with it "
              "are NOT private: set a secret before auditing real data.", file=sys.stderr)
        return DEVELOPMENT_HMAC_SECRET
    return secret.encode()


def code_version() -> str:
    """git describe of the checkout when there is one, else the package version."""
    root = Path(__file__).resolve().parents[1]
    try:
        described = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty", "--abbrev=12"],
                                   capture_output=True, text=True, timeout=5, check=True).stdout.strip()
        if described:
            return f"git:{described}"
    except (OSError, subprocess.SubprocessError):
        pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"vendor-audit {version('vendor-audit')}"
    except PackageNotFoundError:
        return "unknown"


@contextmanager
def _progress():
    """A status line on a terminal; silence otherwise."""
    if not sys.stderr.isatty():
        yield lambda _message: None
        return
    from rich.console import Console

    console = Console(stderr=True)
    with console.status("starting") as status:
        yield lambda message: status.update(message)


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return EXIT_CANNOT_AUDIT


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _run_id(text: str) -> str:
    try:
        return check_run_id(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value
