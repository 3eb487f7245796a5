"""`python -m audits desk …` (desk.md §6): the desk's acts for scripts and for people without the
web app, over the same events, roles and four-eyes rule; and `verify --desk`. A refused act exits
1 with one sentence and records nothing; a recorded act prints what it recorded."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from audits.cases.text import terminal_frame, terminal_text
from audits.cli_help import HelpFormatter
from audits.csv_cells import formula_safe
from audits.desk.events import at_text
from audits.desk.export import log_frame
from audits.desk.nightly import signed_head_problems
from audits.desk.roles import Actor, DeskConfigError, load_desk_config
from audits.desk.service import Refused, desk_exists, open_desk
from audits.sources.connections import error_text

EXIT_REFUSED = 1
EXIT_CANNOT = 2
_STORE_HELP = "the store the audit runs were given as --store (the desk's database is <store>/desk.sqlite " \
              "unless AUDIT_DESK_DB or the Airflow connection audit_desk_db names another)"
# command: (event kind, the target's argument name, what the command does)
_ACTS = {
    "propose-exception": ("propose_exception", "case_id", ("accept the case under an exception a second person "
                          "approves; prints the new exception id (EXC-…) as its last line")),
    "approve": ("approve_exception", "exception_id", "approve a proposed exception (not your own)"),
    "reject": ("reject_exception", "exception_id", "reject a proposed exception"),
    "revoke": ("revoke_exception", "exception_id", "end an approved exception"),
    "take": ("take", "case_id", "make yourself the case's owner"),
    "ack": ("acknowledge", "case_id", "acknowledge the case"),
    "assign": ("assign", "case_id", "make someone the case's owner"),
    "due": ("set_due", "case_id", "set the case's due date"),
    "comment": ("comment", "case_id", "comment on the case"),
    "dispute": ("record_dispute", "case_id", ("record that the agency contests the case; prints the new dispute "
                "id (DSP-…) as its last line")),
    "decide": ("decide_dispute", "dispute_id", "decide a dispute (not one you recorded)"),
    "request-plan": ("request_plan", "case_id", "ask the agency for a corrective plan"),
    "plan": ("record_plan", "case_id", "record the agency's corrective plan"),
    "close-note": ("close_note", "case_id", "write the case's closing note"),
}
_TARGET_HELP = {"case_id": "the case's id, e.g. C-3f9a0c12d4e5", "exception_id": "the exception's id, e.g. "
                "EXC-2026-12-07-N001", "dispute_id": "the dispute's id, e.g. DSP-2026-12-07-N001"}


def add_desk_arguments(desk: argparse.ArgumentParser) -> None:
    """The `desk` command's subcommands (its description comes from cli_help.COMMANDS)."""
    acts = desk.add_subparsers(required=True, metavar="ACT", help="what to do (each ACT --help says more)")
    for name, (kind, target, summary) in _ACTS.items():
        act = acts.add_parser(name, help=summary, description=summary[0].upper() + summary[1:] + ".",
                              formatter_class=HelpFormatter)
        act.add_argument(target, metavar=target.upper(), help=_TARGET_HELP[target])
        _values(act, kind)
        act.add_argument("--as", dest="actor", required=True, metavar="USER",
                         help="who acts: a user named under users: in the desk config")
        _common(act)
        act.set_defaults(handler=_act, kind=kind, target=target)
    log = acts.add_parser("log", help="print every event of the desk, in chain order",
                          description="Print every event of the desk in chain order (or as CSV).",
                          formatter_class=HelpFormatter)
    log.add_argument("--format", choices=("table", "csv"), default="table",
                     help="a table for the terminal, or CSV (seq, event_id, at, actor, role, case_id, kind, payload, "
                          "previous_hash, hash)")
    _common(log)
    log.set_defaults(handler=_log)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", type=Path, required=True, metavar="DIR", help=_STORE_HELP)
    parser.add_argument("--desk-config", type=Path, default=None, metavar="FILE",
                        help="the desk config (YAML: airflow_roles:, users:, due_days:) (default: <store>/desk.yaml)")


def _values(act: argparse.ArgumentParser, kind: str) -> None:
    if kind == "propose_exception":
        act.add_argument("--reason", required=True, metavar="TEXT", help="why the risk is accepted")
        act.add_argument("--from", dest="valid_from", required=True, metavar="YYYY-MM-DD",
                         help="the first day the exception is in force")
        act.add_argument("--to", dest="valid_to", required=True, metavar="YYYY-MM-DD",
                         help="the last day the exception is in force (at most 90 days after --from, or the "
                              "config's max_exception_days)")
    elif kind == "assign":
        act.add_argument("--to", required=True, metavar="USER", help="the new owner")
    elif kind == "set_due":
        act.add_argument("--on", required=True, metavar="YYYY-MM-DD", help="the due date (today or later)")
    elif kind == "comment":
        act.add_argument("--text", required=True, metavar="TEXT", help="the comment")
    elif kind == "record_dispute":
        act.add_argument("--raised-by", dest="raised_by", required=True, metavar="TEXT",
                         help="who at the agency contests the case")
        act.add_argument("--note", default="", metavar="TEXT", help="what the agency says")
    elif kind == "request_plan":
        act.add_argument("--note", default="", metavar="TEXT", help="what the plan must cover")
    elif kind == "record_plan":
        act.add_argument("--action", dest="corrective_action", required=True, metavar="TEXT",
                         help="the corrective action the agency commits to")
        act.add_argument("--target-date", dest="target_date", required=True, metavar="YYYY-MM-DD",
                         help="when the agency will have done it (today or later)")
        act.add_argument("--contact", default="", metavar="TEXT", help="who at the agency answers for it")
    elif kind == "close_note":
        act.add_argument("--text", required=True, metavar="TEXT", help="the closing note")
    elif kind == "decide_dispute":
        act.add_argument("--outcome", required=True, choices=("upheld", "rejected"),
                         help="upheld: the case's findings up to today are dismissed; rejected: nothing changes")


_PAYLOAD_KEYS = {"propose_exception": ("reason", "valid_from", "valid_to"), "assign": ("to",), "set_due": ("on",),
                 "comment": ("text",), "record_dispute": ("raised_by", "note"), "decide_dispute": ("outcome",),
                 "request_plan": ("note",), "record_plan": ("corrective_action", "target_date", "contact"),
                 "close_note": ("text",)}


def _act(args) -> int:
    from sqlalchemy.exc import SQLAlchemyError


    try:
        config = _config(args)
        if args.actor not in config.users:             # refused before the database is touched
            print(f"{_safe(args.actor)} is not a user of the desk config {_config_file(args)}; add them under users: "
                  "with their desk roles. Nothing was recorded.", file=sys.stderr)
            return EXIT_REFUSED
        desk = _open(args, config)
    except (DeskConfigError, OSError) as exc:
        return _cannot(str(exc))
    except SQLAlchemyError as exc:
        return _cannot(_unreachable(exc))
    actor = Actor(args.actor, frozenset(config.users[args.actor]))
    payload = {k: getattr(args, k) for k in _PAYLOAD_KEYS.get(args.kind, ()) if getattr(args, k) not in (None, "")}
    target = getattr(args, args.target)
    case_id = target if args.target == "case_id" else ""
    if args.target != "case_id":
        payload[args.target] = target
    try:
        event = desk.act(actor, args.kind, case_id, payload)
    except Refused as exc:
        print(_safe(str(exc)), file=sys.stderr)
        return EXIT_REFUSED
    except SQLAlchemyError as exc:
        return _cannot(_unreachable(exc))
    print(recorded_text(event))
    new_id = event.payload.get("exception_id") if args.kind == "propose_exception" else (
        event.payload.get("dispute_id") if args.kind == "record_dispute" else None)
    if new_id:
        print(new_id)
    return 0


def recorded_text(event) -> str:
    """'Recorded #3: bob (approver) approve_exception on C-… at …: exception_id=EXC-…; …'."""

    values = "; ".join(f"{k}={_safe(str(v))}" for k, v in sorted(event.payload.items()))
    return (f"Recorded #{event.seq}: {_safe(event.actor)} ({event.role}) {event.kind} on {event.case_id} at "
            f"{at_text(event.at)}" + (f": {values}" if values else "") + f". Chain head {event.hash[:16]}…")


def _log(args) -> int:
    from sqlalchemy.exc import SQLAlchemyError


    try:
        desk = _open(args)
        frame = log_frame(desk.events())
    except (DeskConfigError, OSError) as exc:
        return _cannot(str(exc))
    except SQLAlchemyError as exc:
        return _cannot(_unreachable(exc))
    if args.format == "csv":
        formula_safe(frame).to_csv(sys.stdout, index=False, lineterminator="\n")
        return 0
    shown = terminal_frame(frame.drop(columns=["previous_hash"]).assign(hash=frame["hash"].str[:16]))
    print(f"{len(frame):,} event(s)" + ("" if frame.empty else "\n\n" + shown.to_string(index=False)))
    return 0


def verify_desk(store: Path, reports: Path | None = None) -> int:
    """`verify --desk --store DIR [REPORTS]`: 0 when the chain is intact (and, with the reports
    root, still gives every head a published manifest signed), 1 naming each problem."""
    from sqlalchemy.exc import SQLAlchemyError


    try:
        if not desk_exists(store):
            return _cannot(f"No desk database for the store {store}: nothing to verify (the desk is made when its "
                           "first act is recorded, or AUDIT_DESK_DB names its database).")
        desk = open_desk(store)
        problems = desk.verify()
        if reports is not None:
            if not reports.is_dir():
                return _cannot(f"No reports folder {reports}: give the reports root (the run's --out).")
            problems += signed_head_problems(desk, reports)
    except SQLAlchemyError as exc:
        return _cannot(_unreachable(exc))
    if problems:
        print(f"{store}: the desk's chain of events is broken; {len(problems)} problem(s):", file=sys.stderr)
        for problem in problems:
            print(f"  - {_safe(problem)}", file=sys.stderr)
        return EXIT_REFUSED
    events = desk.events()
    signed = f" every desk head signed by the reports under {reports} still matches;" if reports is not None else ""
    print(f"{store}: desk verified: {len(events):,} event(s), each hash matches its content and names the event "
          f"before it;{signed} chain head {desk.head() or '(none)'}.")
    return 0


def _config_file(args) -> Path:
    return args.desk_config or args.store / "desk.yaml"


def _config(args):
    """The desk config (OSError when the store or an explicit --desk-config is missing)."""

    if not args.store.is_dir():
        raise OSError(f"no store at {args.store}: pass the folder the audit runs were given as --store")
    if args.desk_config is not None and not args.desk_config.is_file():
        raise OSError(f"desk config {args.desk_config} does not exist; pass the YAML file with users: and "
                      "airflow_roles:, or leave --desk-config out to use <store>/desk.yaml")
    return load_desk_config(_config_file(args))


def _open(args, config=None):

    return open_desk(args.store, config=config if config is not None else _config(args))


def _unreachable(exc: BaseException) -> str:

    return (f"The desk's database cannot be used ({error_text(exc, ())}). Check AUDIT_DESK_DB or the Airflow "
            "connection audit_desk_db, and that the database server is up; nothing was recorded.")


def _safe(text: str) -> str:

    return terminal_text(text)


def _cannot(message: str) -> int:
    print(_safe(message), file=sys.stderr)
    return EXIT_CANNOT
