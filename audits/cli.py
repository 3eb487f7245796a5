"""`python -m audits sample|run|verify|keygen|cases|case|review|pull` (data-contract.md §4, cases.md §6,
review.md, sources.md).

The CLI is where the environment and the clock are read: it builds an AuditConfig and
passes it down.
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

from audits.cases.lifecycle import STATUSES
from audits.cases.lookup import NoCases, case_history, register_as_of
from audits.cases.text import history_table, register_table, terminal_frame
from audits.cli_help import PROGRAM_EPILOG, HelpFormatter, add_command
from audits.config import (
    DEFAULT_MAX_FILE_BYTES,
    DEVELOPMENT_HMAC_SECRET,
    AuditConfig,
    ConfigError,
    check_run_id,
)
from audits.csv_cells import formula_safe
from audits.desk.cli import add_desk_arguments, verify_desk
from audits.errors import AuditError
from audits.models import Severity
from audits.pipeline import run_audit
from audits.privacy import mask_published_ids
from audits.review import period as periods
from audits.review_run import ReviewConfig, run_review
from audits.rulepack import load_rulepack
from audits.sample import write_sample_landing
from audits.signing import (
    SIGNATURE,
    SIGNING_KEY_VARIABLE,
    UNSIGNED_NOTICE,
    load_public_key,
    public_key_fingerprint,
    signing_key_from_environment,
    unlinked_note,
    write_key_pair,
)
from audits.sources.config import CHANNELS
from audits.sources.pull import PullSettings, pull_agencies, pull_references, sources_config
from audits.verification.dispatch import verify_path
from audits.version import code_version

SECRET_VARIABLE = "AUDIT_HMAC_SECRET"
EXIT_CANNOT_AUDIT = 2
EXIT_VERIFY_FAILED = 1
EXIT_PULL_FAILED = 1          # some sources failed; the others were pulled


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    return args.handler(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m audits", formatter_class=HelpFormatter,
                                     description="Nightly compliance audit of outsourced call-centre agencies.",
                                     epilog=PROGRAM_EPILOG)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    sample = add_command(commands, "sample")
    sample.add_argument("--landing", type=Path, required=True, metavar="DIR",
                        help="the folder to write the landing zone into (reference/, cdr/, sms/, truth/)")
    sample.add_argument("--start", type=_date, required=True, metavar="YYYY-MM-DD", help="the first business day")
    sample.add_argument("--days", type=_positive, required=True, metavar="N", help="how many consecutive days")
    sample.add_argument("--agencies", type=_positive, default=8, metavar="K", help="how many agencies")
    sample.add_argument("--calls-per-day", type=_positive, default=20_000, metavar="N",
                        help="calls per day, all agencies together")
    sample.add_argument("--seed", type=int, default=7, metavar="S", help="the random seed: the same seed writes the "
                                                                         "same files")
    sample.set_defaults(handler=_sample)

    run = add_command(commands, "run")
    run.add_argument("--date", type=_date, required=True, metavar="YYYY-MM-DD",
                     help="the business day to audit (call dates in the bank's time zone)")
    run.add_argument("--landing", type=Path, required=True, metavar="DIR",
                     help="the landing zone: the folder that holds reference/ and cdr/<date>/")
    run.add_argument("--out", type=Path, required=True, metavar="DIR",
                     help="the reports root: the report goes to DIR/<date>/ (created when absent)")
    run.add_argument("--store", type=Path, default=Path("data/store"), metavar="DIR",
                     help="the store of earlier days' calls and cases (full numbers: keep it apart from the reports)")
    run.add_argument("--rulepack", default="cn_bank", metavar="NAME|FILE",
                     help="a rulepack name (cn_bank, us_collections) or a YAML path")
    run.add_argument("--run-id", type=_run_id, default=None,
                     help="identifier of this run: letters, digits and _ . : + - "
                          "(default: manual__<UTC time to the microsecond>-<pid>, unique)")
    run.add_argument("--desk-url", default=os.environ.get("VENDOR_AUDIT_DESK_URL", ""), metavar="URL",
                     help="where the case desk is served: the portfolio links its cases there "
                          "(default: env VENDOR_AUDIT_DESK_URL; empty: no links)")
    run.add_argument("--lock-wait", type=float, default=1800.0, metavar="SECONDS",
                     help="how long to wait while another run holds this day's report or the store")
    run.add_argument("--workers", type=_positive, default=os.cpu_count() or 1, metavar="N",
                     help="processes for the per-agency files and the rule partitions (default: one per core, "
                          "%(default)s here)")
    run.add_argument("--max-file-gib", type=_positive_number, default=DEFAULT_MAX_FILE_BYTES / 1024 ** 3,
                     metavar="GIB", help="the most one landing file may hold once decompressed, in GiB; a larger "
                                         "file is DQ_FILE_UNREADABLE (default: %(default)g)")
    run.set_defaults(handler=_run)

    verify = add_command(commands, "verify")
    verify.add_argument("report", type=Path, nargs="?", metavar="PATH",
                        help="DIR/<YYYY-MM-DD>, a review folder, a share pack (.zip or extracted), or with --chain DIR")
    verify.add_argument("--public-key", type=Path, default=None, metavar="FILE",
                        help="the bank's public key (PEM): every manifest checked must be signed by it "
                             "(default: signatures are not checked)")
    verify.add_argument("--chain", type=_date_range, default=None, metavar="FROM..TO",
                        help="with PATH the reports root: check the chain of daily manifests over these days")
    verify.add_argument("--strict-inputs", action="store_true",
                        help="fail on inputs changed since the report was made (by default a note names them)")
    verify.add_argument("--desk", action="store_true",
                        help="check the case desk's chain of events instead (with --store; with PATH the "
                             "reports root: also that every desk head a daily manifest signed still matches)")
    verify.add_argument("--store", type=Path, default=None, metavar="DIR", help="with --desk: the store of the desk")
    verify.set_defaults(handler=_verify)

    keygen = add_command(commands, "keygen")
    keygen.add_argument("folder", type=Path, metavar="DIR", help="the folder to write the key pair into "
                                                                 "(created when absent)")
    keygen.set_defaults(handler=_keygen)

    cases = add_command(commands, "cases")
    cases.add_argument("--store", type=Path, required=True, metavar="DIR",
                       help="the store the audit runs were given as --store (not the reports folder)")
    cases.add_argument("--agency", default=None, metavar="ID", help="only this agency's cases (default: every agency)")
    cases.add_argument("--status", type=_statuses, default=None, metavar="LIST",
                       help="only these statuses, comma-separated: new,reopened,open,quiet,resolved (open: findings "
                            "today and before; every status but resolved is open in the counts) (default: all)")
    cases.add_argument("--severity", type=_severities, default=None, metavar="LIST",
                       help="only these severities, comma-separated: critical,major,minor (default: all)")
    cases.add_argument("--as-of", type=_date, default=None, metavar="YYYY-MM-DD",
                       help="the register of the latest audited day on or before this date (default: the latest)")
    cases.add_argument("--format", choices=("table", "csv"), default="table",
                       help="a table for the terminal, or CSV (the columns of cases.csv)")
    cases.set_defaults(handler=_cases)

    case = add_command(commands, "case")
    case.add_argument("case_id", metavar="CASE_ID", help="the case's id, e.g. C-3f9a0c12d4e5 (cases.csv of a report, "
                                                         "or the cases command)")
    case.add_argument("--store", type=Path, required=True, metavar="DIR",
                      help="the store the audit runs were given as --store (not the reports folder)")
    case.set_defaults(handler=_case)
    _review_parser(commands)
    add_desk_arguments(add_command(commands, "desk"))

    pull = add_command(commands, "pull")
    pull.add_argument("--date", type=_date, required=True, metavar="YYYY-MM-DD", help="the business day to pull")
    pull.add_argument("--landing", type=Path, required=True, metavar="DIR",
                      help="the landing zone to pull into (the folder that holds reference/ and cdr/)")
    pull.add_argument("--sources", type=Path, default=None, metavar="FILE",
                      help="sources.yaml (default: <landing>/sources.yaml)")
    pull.add_argument("--out", type=Path, default=None, metavar="DIR",
                      help="the reports folder, to know which days were audited (without it, pull changes no file "
                           "already landed)")
    pull.add_argument("--replace", action="store_true",
                      help="replace an audited day's landed file that differs from its source (then rerun the day)")
    pull.add_argument("--agency", action="append", default=None, metavar="ID",
                      help="pull only this agency's CDR and SMS files, no reference table (repeatable; default: every "
                           "source)")
    pull.set_defaults(handler=_pull)
    return parser


def _review_parser(commands) -> None:
    """`review`: the month's or quarter's period scorecards and share packs (review.md)."""
    review = add_command(commands, "review")
    which = review.add_mutually_exclusive_group(required=True)
    which.add_argument("--month", metavar="YYYY-MM", help="a calendar month, e.g. 2026-11")
    which.add_argument("--quarter", metavar="YYYY-Qn", help="a calendar quarter, e.g. 2026-Q4")
    review.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="the reports root that holds the daily <YYYY-MM-DD>/ reports; the review goes to "
                             "<out>/reviews/<period>/")
    review.add_argument("--store", type=Path, required=True, metavar="DIR",
                        help="the store the daily runs were given as --store (numbers called, for complaint rates)")
    review.add_argument("--rulepack", default="cn_bank", metavar="NAME|FILE",
                        help="a rulepack name (cn_bank, us_collections) or a YAML path: its scoring and SLA")
    review.add_argument("--allow-missing-days", action="store_true",
                        help="review even when days of the period have no published report (every scorecard names "
                             "them)")
    review.add_argument("--lock-wait", type=float, default=1800.0, metavar="SECONDS",
                        help="how long to wait while another run writes the same review")
    review.set_defaults(handler=_review)


def _review(args) -> int:
    label = args.month or args.quarter
    try:
        period = periods.month(args.month) if args.month else periods.quarter(args.quarter)
        rulepack = load_rulepack(args.rulepack)
    except AuditError as exc:                         # a period or rulepack that cannot be read
        return _fail(f"Cannot review {label}: {exc}")
    for option, folder in (("--out", args.out), ("--store", args.store)):
        if not folder.is_dir():
            return _fail(f"Cannot review {period.label}: {option} {folder} is not a folder. Pass the folder the daily "
                         f"runs used for {option}.")
    try:
        signing_key = signing_key_from_environment(announce=True)     # None: unsigned, said once on stderr
    except ConfigError as exc:
        return _fail(f"Cannot review {period.label}: {exc}")
    config = ReviewConfig(period=period, out=args.out, store=args.store, rulepack=rulepack,
                          code_version=code_version(), allow_missing_days=args.allow_missing_days,
                          lock_wait_seconds=args.lock_wait, signing_key=signing_key)
    try:
        result = run_review(config)
    except AuditError as exc:             # the review cannot be made, a lock is held, a store partition changed
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"Cannot review {period.label}: {_os_problem(exc)} Nothing was published.")
    if result.missing_days:
        print(f"note: {len(result.missing_days)} day(s) without a report are not part of the review (named on every "
              "scorecard).", file=sys.stderr)
    print(f"Reviewed {period.label}: {result.agencies} agencies over {result.days_read} audited day(s); SLA not met by "
          f"{len(result.sla_not_met)}{': ' + ', '.join(result.sla_not_met) if result.sla_not_met else ''}. "
          f"{result.outcome[:1].upper()}{result.outcome[1:]}.")
    print(f"Review: {result.review_dir / 'index.html'}")
    return 0


def _sample(args) -> int:
    with _progress() as say:
        summary = write_sample_landing(args.landing, start=args.start, days=args.days, agencies=args.agencies,
                                       calls_per_day=args.calls_per_day, seed=args.seed, progress=say)
    print(f"Sample landing zone written to {args.landing} "
          f"({summary['calls']} calls and {summary['messages']} texts over {args.days} day(s)); "
          f"ground truth in {args.landing / 'truth'}.")
    return 0


def _run(args) -> int:
    try:
        rulepack = load_rulepack(args.rulepack)
    except ConfigError as exc:
        return _fail(f"Cannot audit: the rulepack is unusable. {exc}")
    started = dt.datetime.now(dt.UTC)
    now = started.replace(microsecond=0)
    refusal = _cannot_audit_day(args.date, args.landing, now, rulepack.bank_timezone)
    if refusal:
        return _fail(f"Cannot audit {args.date}: {refusal}")
    try:
        signing_key = signing_key_from_environment(announce=False)     # None: unsigned (said once, if published)
    except ConfigError as exc:
        return _fail(f"Cannot audit {args.date}: {exc}")
    config = AuditConfig(
        audit_date=args.date, landing=args.landing, out=args.out, store=args.store, rulepack=rulepack,
        hmac_secret=hmac_secret_from_environment(), run_id=args.run_id or default_run_id(started),
        code_version=code_version(), generated_at=now.isoformat(), workers=args.workers,
        max_file_bytes=int(args.max_file_gib * 1024 ** 3), lock_wait_seconds=args.lock_wait,
        signing_key=signing_key, desk_base_url=args.desk_url,
    )
    for option, folder in (("--out", args.out), ("--store", args.store)):
        if folder.exists() and not folder.is_dir():
            return _fail(f"Cannot audit {args.date}: {option} {folder} is a file, not a folder. Pass a folder "
                         "(it is created when absent); nothing was written.")
    try:
        with _progress() as say:
            result = run_audit(config, progress=say)
    except AuditError as exc:
        return _fail(f"Cannot audit {args.date}: {exc}")
    except OSError as exc:
        return _fail(f"Cannot audit {args.date}: {_os_problem(exc)} Nothing was published: the previous report of "
                     f"{args.date}, if any, is unchanged, and the store holds whole days only (a day is written "
                     "whole or not at all); the run's work files were removed. Fix that, then run again.")
    print(f"Audited {result.calls_audited} calls of {result.agencies} agencies on {args.date}: "
          f"{result.findings} findings, {result.rows_quarantined} rows quarantined.")
    print(f"Report: {result.report_dir / 'index.html'}")
    _say_signed_and_linked(result, signing_key, args.out)
    return 0


def _say_signed_and_linked(result, signing_key, out: Path) -> None:
    """After publishing: signed with which key, or (once, on stderr) that the manifest is unsigned;
    and whether the chain of manifests starts here."""
    if signing_key is not None:
        print(f"Signed: {result.report_dir / SIGNATURE} (key fingerprint {public_key_fingerprint(signing_key)[:16]}…).")
    else:
        print(UNSIGNED_NOTICE, file=sys.stderr)
    note = unlinked_note(result.manifest, out)
    if note:
        print(note, file=sys.stderr)


def _cannot_audit_day(day: dt.date, landing: Path, now: dt.datetime, bank_timezone: str) -> str:
    """Why the CLI refuses to audit `day` from `landing` ("" when it can).

    Here, not in run_audit: the DAG's sensor decides for itself how long to wait for late
    files. A future day, or a day without cdr/<day>/, would otherwise give a report with every
    agency DQ_FILE_MISSING and exit 0. To document a day on which nothing was delivered,
    create the empty folder cdr/<day>/ and run again.
    """
    where = "Pass --landing with the folder that holds reference/ and cdr/ (data-contract.md §1)."
    if not landing.exists():
        return f"the landing zone {landing} does not exist. {where}"
    if not landing.is_dir():
        return f"the landing zone {landing} is a file, not a folder. {where}"
    today = now.astimezone(ZoneInfo(bank_timezone)).date()
    if day > today:
        return (f"the date is in the future: today is {today} in the bank's time zone ({bank_timezone}). "
                "No calls of that day can have landed yet.")
    folder = landing / "cdr" / day.isoformat()
    if not folder.is_dir():
        return (f"there is no CDR folder {folder}, so no agency's calls for that day have landed. Check --date "
                "and --landing; if the files are late, run again when they have landed. To report the day with "
                "every agency's file missing, create the empty folder and run again.")
    return ""


def _verify(args) -> int:
    if args.desk or args.report is None:
        return verify_desk(args.store, args.report) if args.desk and args.store else _fail(
            "Cannot verify: give PATH (a report, review or share pack), or --desk --store DIR.")
    try:
        public_key = load_public_key(args.public_key) if args.public_key else None
        verified = verify_path(args.report, public_key=public_key, chain=args.chain, strict_inputs=args.strict_inputs)
    except AuditError as exc:                         # an unusable key, a path and options that do not fit
        return _fail(f"Cannot verify: {exc}")
    result = verified.result
    if result.about:
        print(f"{args.report}: {result.about}.")
    for note in result.notes:
        print(f"{args.report}: not checked: {note}", file=sys.stderr)
    for change in result.changed:
        since = "the audit" if verified.kind == "report" else "it was made"
        print(f"{args.report}: note: changed since {since} (not a failure of the {verified.kind.replace('_', ' ')}; "
              f"--strict-inputs makes it one): {change}", file=sys.stderr)
    if result.problems:
        what = {"report": "the report does not match its manifest, inputs or itself",
                "chain": "the chain of daily reports is broken",
                }.get(verified.kind, "it does not match its manifest")
        print(f"{args.report}: {len(result.problems)} problem(s); {what}:", file=sys.stderr)
        for problem in result.problems:
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_VERIFY_FAILED
    signed = (f" Signed by the given public key (fingerprint {public_key_fingerprint(public_key)[:16]}…)."
              if public_key is not None else "")
    if verified.kind == "chain":
        first, last = args.chain
        print(f"{args.report}: chain verified from {first} to {last}: every day has a published report whose "
              "outputs match its manifest, and each names the manifest published for the day before." + signed)
    elif verified.kind == "report":
        inputs = ("the inputs match and are all the landing zone holds for the day, and their rows were counted again"
                  if not result.changed else f"{len(result.changed)} input(s) changed since the audit (named above; "
                  "the report stands as made from the inputs it recorded)")
        print(f"{args.report}: verified. Every output is listed and matches its sha256, no other file is present; "
              f"{inputs}; row conservation, the scores and the decisions were recomputed; the rulepack matches"
              + (f"; {result.superseded} superseded report(s) verified by their own manifests." if result.superseded
                 else ".") + signed)
    else:
        what = "share pack" if verified.kind == "share_pack" else "review"
        print(f"{args.report}: {what} verified. Every file is listed in its manifest and matches its sha256, and no "
              "other file is present." + signed)
    return 0


def _keygen(args) -> int:
    try:
        pair = write_key_pair(args.folder)
    except FileExistsError as exc:
        return _fail(f"Cannot write a key pair: {exc}")
    except OSError as exc:
        return _fail(f"Cannot write a key pair: {_os_problem(exc)}")
    print(f"Private key: {pair.private} (mode 0600; keep it secret, back it up, and set "
          f"{SIGNING_KEY_VARIABLE}={pair.private} where the audit runs).")
    print(f"Public key:  {pair.public} (give it to whoever verifies: "
          "python -m audits verify PATH --public-key FILE).")
    print(f"Fingerprint: {pair.fingerprint} (sha256 of the public key, as manifest.sig names it).")
    return 0


def _cases(args) -> int:
    if _is_reports_folder(args.store):
        return _fail(f"No cases to show: {_reports_not_store(args.store)}")
    try:
        day, register = register_as_of(args.store, args.as_of)
    except NoCases as exc:
        return _fail(f"No cases to show: {exc}")
    if args.as_of and day != args.as_of:
        print(f"note: {args.as_of} was not audited; showing the register of {day}, the latest audited day before it.",
              file=sys.stderr)
    if args.agency:
        register = register[register["agency_id"] == args.agency]
    if args.status:
        register = register[register["status"].isin(args.status)]
    if args.severity:
        register = register[register["severity"].isin(args.severity)]
    register = mask_published_ids(register)          # the store keeps ids whole; a terminal shows them masked
    if args.format == "csv":
        formula_safe(terminal_frame(register)).to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        print(register_table(register, day))
    return 0


def _case(args) -> int:
    if _is_reports_folder(args.store):
        return _fail(f"No such case: {_reports_not_store(args.store)}")
    try:
        history = case_history(args.store, args.case_id)
    except NoCases as exc:
        return _fail(f"No such case: {exc}")
    print(history_table(mask_published_ids(history)))
    return 0


def _pull(args) -> int:
    """Exit 0 when every source was pulled or is not there yet, 1 when some failed (the others
    were pulled), 2 when nothing can be pulled (sources.yaml unusable, no landing zone)."""
    if not args.landing.is_dir():
        return _fail(f"Cannot pull: the landing zone {args.landing} is not a folder. Pass --landing with the folder "
                     "that holds reference/ and cdr/ (data-contract.md §1).")
    try:
        sources = sources_config(args.landing, args.sources)
    except ConfigError as exc:
        return _fail(f"Cannot pull: {exc}")
    known = set(sources.cdr) | set(sources.sms)
    unknown = sorted(set(args.agency or ()) - known)
    if unknown:
        return _fail(f"Cannot pull: no source for agency {', '.join(unknown)} under cdr: or sms: in the sources file "
                     f"(agencies there: {', '.join(sorted(known)) or 'none'}).")
    settings = PullSettings(landing=args.landing, day=args.date, sources=sources, out=args.out, replace=args.replace,
                            now=dt.datetime.now(dt.UTC).replace(microsecond=0))
    outcomes, failures = ([], []) if args.agency else pull_references(settings)
    more_outcomes, more_failures = [], []
    for channel in CHANNELS:
        got, failed = pull_agencies(settings, tuple(args.agency) if args.agency else None, channel)
        more_outcomes, more_failures = more_outcomes + got, more_failures + failed
    for outcome in outcomes + more_outcomes:
        print(f"{outcome.status:<9} {outcome.name}: {outcome.message}")
    for failure in failures + more_failures:
        print(f"FAILED    {failure.message}" + ("" if failure.retryable else "\n          (pull again once fixed)"),
              file=sys.stderr)
    if not (outcomes or more_outcomes or failures or more_failures):
        print(f"nothing to pull: no sources in {args.sources or args.landing / 'sources.yaml'}")
    return EXIT_PULL_FAILED if failures or more_failures else 0


def _is_reports_folder(folder: Path) -> bool:
    """A reports root (daily <YYYY-MM-DD>/manifest.json, or reviews/) rather than a store."""
    if not folder.is_dir():
        return False
    return (folder / "reviews").is_dir() or any(
        child.is_dir() and len(child.name) == 10 and (child / "manifest.json").is_file() for child in folder.iterdir())


def _reports_not_store(folder: Path) -> str:
    return (f"{folder} is a reports folder (it holds published daily reports), not the case store. Pass --store "
            "with the folder the audit runs were given as --store (default data/store). The store holds full "
            "phone numbers: keep it apart from the reports, which are read and shared more widely.")


def _severities(text: str) -> tuple[str, ...]:
    known = tuple(s.value for s in Severity)
    chosen = tuple(s.strip().lower() for s in text.split(",") if s.strip())
    unknown = [s for s in chosen if s not in known]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"{text!r}: severities are {', '.join(known)} (comma-separated)")
    return chosen


def _statuses(text: str) -> tuple[str, ...]:
    chosen = tuple(s.strip().lower() for s in text.split(",") if s.strip())
    unknown = [s for s in chosen if s not in STATUSES]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"{text!r}: statuses are {', '.join(STATUSES)} (comma-separated)")
    return chosen


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


def _date_range(text: str) -> tuple[dt.date, dt.date]:
    first, separator, last = text.partition("..")
    if not separator:
        raise argparse.ArgumentTypeError(f"{text!r} is not a range FROM..TO (YYYY-MM-DD..YYYY-MM-DD)")
    first, last = _date(first.strip()), _date(last.strip())
    if last < first:
        raise argparse.ArgumentTypeError(f"{text!r}: TO is before FROM")
    return first, last


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be a number above 0")
    return value


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
