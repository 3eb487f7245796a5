"""A day's pull (sources.md §2): each reference table and each agency's CDR file and SMS file
(its text messages, sms.md §1) from its source into the landing zone. The CLI (`python -m audits
pull`) pulls them all, one after the other, each on its own (one failing never stops the
others); the DAG pulls each agency's file of each channel in its own mapped task and the
reference tables in one task, with these same functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from audits import locks
from audits.config import ConfigError
from audits.loaders import FileUnreadable, read_table
from audits.manifest import sha256_path
from audits.sources import local, objects, sftp
from audits.sources.config import COMPLAINTS, Source, SourcesConfig, load_sources, parse_sources
from audits.sources.connections import connection_secrets, error_text
from audits.sources.fetch import Landing, Outcome, PullError, PullRefused, land_export, pull_file, source_text
from audits.sources.landing import (
    AuditedDay,
    agency_files,
    audited_day,
    cdr_target,
    complaints_files,
    complaints_target,
    record_path,
    reference_target,
    table_files,
)
from audits.sources.query import NotASelect, one_select
from audits.sources.sql import export_query

DEFAULT_SOURCES = "sources.yaml"      # <landing>/sources.yaml
LOCK_WAIT_SECONDS = 900.0             # for another pull of the same file (a large file over a slow line)


@dataclass(frozen=True)
class PullSettings:
    """One day's pull: where to land, what to pull, where the reports are (to know audited
    days), whether an audited day's file may be replaced, and the time (for the records)."""

    landing: Path
    day: dt.date
    sources: SourcesConfig
    out: Path | None = None          # None: audited days cannot be told, so no landed file is changed
    replace: bool = False
    now: dt.datetime = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Failure:
    """A source whose pull failed: its name, the message, and whether a retry may fix it."""

    name: str
    message: str
    retryable: bool


def sources_config(landing: Path, path: str | Path | None, *, absolute: bool = False) -> SourcesConfig:
    """The sources to pull: `path`, else <landing>/sources.yaml when it exists, else none (every
    file is expected in the landing zone already). An explicit path that is missing is ConfigError,
    and so is a relative one when `absolute` (under Airflow each worker has its own working folder)."""
    if path:
        if absolute and not Path(path).is_absolute():
            raise ConfigError(f"Param `sources` is {str(path)!r}, a relative path: pass the absolute path of "
                              "sources.yaml on storage every worker reads (or leave it empty for "
                              "<landing>/sources.yaml).")
        return load_sources(Path(path))
    default = Path(landing) / DEFAULT_SOURCES
    return load_sources(default) if default.exists() else parse_sources(None)


def pull_agency(settings: PullSettings, agency_id: str, channel: str = "cdr") -> Outcome:
    """Pull one agency's file of the day: its CDR file (channel cdr) or its text messages (sms),
    landing as <channel>/<D>/<agency_id><suffix>. PullRefused (not retried), PullError (retried)."""
    source = settings.sources.agencies(channel).get(agency_id)
    if source is None:
        raise ConfigError(f"agency {agency_id} has no entry under {channel}: in sources.yaml.")
    landing, day = settings.landing, settings.day
    what = "SMS file" if channel == "sms" else "file"
    return _pull_of_day(settings, source,
                        target=cdr_target(landing, day, agency_id, source.suffix_on(day), channel),
                        stem=agency_id, existing=lambda: agency_files(landing, day, agency_id, channel),
                        record=record_path(landing, day, channel, agency_id),
                        used=lambda audited: audited.files_of(agency_id, channel),
                        none_used=f"no {what} from {agency_id}", table=channel)


def pull_complaints(settings: PullSettings) -> Outcome:
    """Pull the day's complaints into complaints/<D>.csv (signals.md §1). PullRefused, PullError."""
    source = settings.sources.complaints
    if source is None:
        raise ConfigError("sources.yaml has no complaints: entry.")
    landing, day = settings.landing, settings.day
    return _pull_of_day(settings, source, target=complaints_target(landing, day), stem=day.isoformat(),
                        existing=lambda: complaints_files(landing, day),
                        record=record_path(landing, day, COMPLAINTS, COMPLAINTS),
                        used=lambda audited: audited.complaints, none_used="no complaints file")


def _pull_of_day(settings: PullSettings, source: Source, *, target: Path, stem: str,
                 existing: Callable[[], tuple[Path, ...]], record: Path,
                 used: Callable[[AuditedDay], dict[str, str]], none_used: str, table: str = "") -> Outcome:
    """Pull a file of the day (an agency's CDR or SMS file, the complaints), guarded as an audited
    day's landing (sources.md §2): `used` gives what the day's report read. A `kind: sql` source
    (an agency's texts from a messages table, `table` sms) lands its query's result of the day."""
    day = settings.day
    audited = audited_day(settings.out, day) if settings.out else None
    if source.kind == "sql":
        with _one_at_a_time(record, source), _translated(source, (OSError,)):
            spot = Landing(landing=settings.landing, target=target, stem=stem, existing=existing(), record=record)
            guard = _audited_day_guard(settings, spot, source, audited, used, none_used)
            outcome = land_export(source, spot, day=day, now=settings.now, guard=guard,
                                  export=lambda path: export_query(source.connection, _day_query(source, day),
                                                                   table=table, name=source.name, path=path,
                                                                   empty_ok=True))
        return _rerun_note(outcome, audited, used, day)
    with _one_at_a_time(record, source), _remote(source) as remote:
        spot = Landing(landing=settings.landing, target=target, stem=stem, existing=existing(), record=record)
        outcome = pull_file(source, remote, spot, day=day, now=settings.now,
                            guard=_audited_day_guard(settings, spot, source, audited, used, none_used))
    return _rerun_note(outcome, audited, used, day)


def _day_query(source: Source, day: dt.date) -> str:
    """The source's query of `day`, checked again once rendered (one SELECT, query.py)."""
    try:
        return one_select(source.query_on(day))
    except NotASelect as exc:
        raise PullRefused(f"{source.name}: the query of {day} is not a single SELECT: {exc}") from None


def _rerun_note(outcome: Outcome, audited: AuditedDay | None, used: Callable[[AuditedDay], dict[str, str]],
                day: dt.date) -> Outcome:
    """The outcome, saying that the day must be rerun when it changed an audited day's landing."""
    if audited is not None and outcome.status in ("landed", "replaced") and \
            used(audited) != {outcome.path: outcome.sha256}:
        return Outcome(outcome.name, outcome.status,
                       f"{outcome.message}. {day} was audited with the earlier landing (report {audited.report}, run "
                       f"{audited.run_id}): rerun {day} so that its report reads this file.",
                       outcome.path, outcome.sha256, outcome.fetched, rerun=True)
    return outcome


def pull_reference(settings: PullSettings, table: str) -> Outcome:
    """Pull one reference table into <landing>/reference/. PullRefused, PullError."""
    source = settings.sources.reference.get(table)
    if source is None:
        raise ConfigError(f"reference table {table} has no entry under reference: in sources.yaml.")
    record = record_path(settings.landing, settings.day, "reference", table)
    target = reference_target(settings.landing, table, source.suffix_on(settings.day))
    validate = _readable_as(table, source.name)
    if source.kind == "sql":
        with _one_at_a_time(record, source), _translated(source, (OSError,)):
            spot = Landing(landing=settings.landing, target=target, stem=table,
                           existing=table_files(settings.landing, table), record=record)
            return land_export(source, spot, day=settings.day, now=settings.now, validate=validate,
                               export=lambda path: export_query(source.connection, source.query, table=table,
                                                                name=source.name, path=path))
    with _one_at_a_time(record, source), _remote(source) as remote:
        spot = Landing(landing=settings.landing, target=target, stem=table,
                       existing=table_files(settings.landing, table), record=record)
        return pull_file(source, remote, spot, day=settings.day, now=settings.now, validate=validate)


def pull_references(settings: PullSettings) -> tuple[list[Outcome], list[Failure]]:
    """Every reference table of sources.yaml, each on its own, then the day's complaints."""
    names = [*settings.sources.reference, *([COMPLAINTS] if settings.sources.complaints else [])]
    return _each(names, lambda name: (pull_complaints(settings) if name == COMPLAINTS
                                      else pull_reference(settings, name)))


def pull_agencies(settings: PullSettings, agencies: tuple[str, ...] | None = None,
                  channel: str = "cdr") -> tuple[list[Outcome], list[Failure]]:
    """Every agency of sources.yaml's `channel` section (cdr or sms; or these agencies), each on
    its own: one unreachable server never keeps the others from being pulled."""
    chosen = {a: s for a, s in settings.sources.agencies(channel).items() if agencies is None or a in agencies}
    return _each(chosen, lambda agency_id: pull_agency(settings, agency_id, channel))


def _each(names, pull) -> tuple[list[Outcome], list[Failure]]:
    outcomes, failures = [], []
    for name in names:
        try:
            outcomes.append(pull(name))
        except PullError as exc:
            failures.append(Failure(name, str(exc), retryable=True))
        except ConfigError as exc:          # PullRefused included
            failures.append(Failure(name, str(exc), retryable=False))
    return outcomes, failures


def _audited_day_guard(settings: PullSettings, spot: Landing, source: Source, audited: AuditedDay | None,
                       used_by: Callable[[AuditedDay], dict[str, str]], none_used: str):
    """What may not change (sources.md §2): the landing of a day whose report is published. A
    change is refused unless `replace`; without `out` the audited days are unknown, so a file
    already landed is never changed (a first landing is)."""
    day = settings.day

    def refusal(sha256: str) -> str:
        if settings.replace:
            return ""
        before = ", ".join(f"{p.relative_to(settings.landing).as_posix()} (sha256 {_sha256_or_unreadable(p)})"
                           for p in spot.existing) or "nothing"
        what = f"{source.name}: the source {source_text(source.described(day))} (sha256 {sha256})"
        again = (f"If the source is right, pull again with --replace (DAG param `replace_landed`), then rerun {day} "
                 "so that its report reads the new file.")
        if settings.out is None:
            if not spot.existing:
                return ""
            return "\n".join([f"{what} differs from the landed {before}.",
                              f"Without --out (the reports folder) pull cannot tell whether {day} was audited, so "
                              "it changes no landed file; nothing was landed.", again])
        if audited is None:
            return ""
        if not audited.readable:
            return "\n".join([f"{what} would change the landing of {day}, which was audited, but the report's "
                              f"manifest {audited.report}/manifest.json cannot be read; nothing was landed.", again])
        used = used_by(audited)
        if used == {spot.relative: sha256}:
            return ""               # it restores exactly what the report read
        read = ", ".join(f"{p} (sha256 {h})" for p, h in sorted(used.items()))
        return "\n".join([
            f"{what} differs from what the report of {day} audited: "
            + (read if read else none_used) + f" (report {audited.report}, run {audited.run_id}; "
            f"landed now: {before}).",
            "An audited day's landing files do not change, so nothing was landed.", again])

    return refusal


def _sha256_or_unreadable(path: Path) -> str:
    try:
        return sha256_path(path)
    except OSError:
        return "unreadable"


def _readable_as(table: str, name: str):
    """The check a pulled reference file passes before it replaces the landed one: the audit's
    own reader can read it as `table` (its rows are then validated by check_reference, as any
    reference file's)."""
    def validate(path: Path) -> None:
        try:
            read_table(path, table)
        except FileUnreadable as exc:
            raise PullError(f"{name}: the pulled file cannot be read as the {table} table: {exc} reference/{table} "
                            "was left as it was; fix the source.") from None
    return validate


@contextmanager
def _one_at_a_time(record: Path, source: Source) -> Iterator[None]:
    """One pull of a file at a time (a CLI pull beside the DAG's, a rerun beside a run): each
    would otherwise remove the other's temporary file as a leftover. The lock sits beside the
    file's pull record."""
    record.parent.mkdir(parents=True, exist_ok=True)
    try:
        with locks.hold(record.with_suffix(".lock"), what=f"the pull of {source.name}",
                        wait_seconds=LOCK_WAIT_SECONDS):
            yield
    except locks.LockTimeout as exc:
        raise PullError(f"{source.name}: {exc}") from None


@contextmanager
def _remote(source: Source) -> Iterator:
    """The source's Remote, its library's transient errors turned into PullError (retried)."""
    if source.kind == "sftp":
        context, transient_errors = sftp.sftp_files(source.connection, source.name), sftp.transient_errors
    elif source.kind == "object":
        context, transient_errors = objects.object_files(source.connection, source.name), objects.transient_errors
    else:
        context, transient_errors = local.local_files(), local.transient_errors
    with _translated(source, transient_errors()):
        with context as remote:
            yield remote


@contextmanager
def _translated(source: Source, transient: tuple[type[BaseException], ...]) -> Iterator[None]:
    try:
        yield
    except (PullError, ConfigError):
        raise
    except transient as exc:
        secrets = connection_secrets(source.connection) if source.connection else ()
        raise PullError(f"{source.name}: {error_text(exc, secrets)}. Nothing was landed from this try; it is tried "
                        "again.") from None
