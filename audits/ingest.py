"""Ingestion: landing files -> typed, validated frames plus quarantine rows and per-file records.

Every row read is either accepted or quarantined with its reasons (row conservation); a bad
CDR file quarantines that file only. Unusable reference data stops the run (CannotAudit).
Here: the reference tables, an agency's file of the day read and typed (staged), the file
rules (missing, stray, unread files) and a day's CDR files loaded whole. What ingestion
produces is defined in ingest_records, the batched validation of staged files in
ingest_validation, and what differs for SMS files in ingest_sms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from audits.config import DEFAULT_MAX_FILE_BYTES, Rulepack
from audits.ingest_records import (
    ROW_ID_COLUMNS,
    CannotAudit,
    FileRecord,
    Ingested,
    StagedFile,
    _concat,
    _quarantine_rows,
    _unreadable_rows,
)
from audits.ingest_validation import _accepted, validate_calls
from audits.loaders import (
    DAY_FOLDER_KINDS,
    REFERENCE_SUFFIXES,
    ROW,
    FileUnreadable,
    RawTable,
    find_table_file,
    read_table,
    scan_cdr_folder,
    scan_day_folder,
)
from audits.manifest import sha256_path
from audits.models import DECISION_TABLES, REFERENCE_TABLES
from audits.rules.messages.scope import permits_calls
from audits.tables import REFERENCE_COLUMNS_KEPT, agency_zones, contracts_in_force, type_cdr, type_reference
from audits.validation import validate_table
from audits.values import _ZONES


def load_reference(landing: Path, *, audit_date: dt.date, rulepack: Rulepack,
                   max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> dict[str, Ingested]:
    """All six reference tables, validated. Missing or unreadable -> CannotAudit."""
    paths = reference_paths(landing)
    return {table: load_reference_table(landing, table, paths[table], audit_date=audit_date, rulepack=rulepack,
                                        max_bytes=max_bytes)
            for table in REFERENCE_TABLES}


def reference_paths(landing: Path) -> dict[str, Path]:
    """The file of each reference table; CannotAudit naming the first one missing."""
    paths = {}
    for table in REFERENCE_TABLES:
        path = find_table_file(landing / "reference", table, REFERENCE_SUFFIXES)
        if path is None:
            raise CannotAudit("\n".join([
                f"Reference table {table} is missing: no reference/{table}.csv (or .csv.gz, .parquet, .xlsx) "
                f"under {landing}.",
                "The audit needs all six reference tables (contracts, agents, caller_numbers, campaigns, "
                "assignments, consents); see data-contract.md §1."]))
        paths[table] = path
    return paths


def decision_paths(landing: Path) -> dict[str, Path]:
    """The file of each decision table delivered (optional, cases.md §3), found as the required
    tables are. An entry of that name that is not a regular file (a folder, a dangling link) is
    returned too, so that reading it fails loudly: decisions silently not applied would change
    scores unseen."""
    folder = landing / "reference"
    entries = sorted(folder.iterdir()) if folder.is_dir() else []
    found = {}
    for table in DECISION_TABLES:
        path = find_table_file(folder, table, REFERENCE_SUFFIXES)
        if path is None:
            path = next((p for suffix in REFERENCE_SUFFIXES for p in entries
                         if p.name[:len(table)] == table and p.name[len(table):].lower() == suffix), None)
        if path is not None:
            found[table] = path
    return found


def load_reference_table(landing: Path, table: str, path: Path, *, audit_date: dt.date,
                         rulepack: Rulepack, max_bytes: int = DEFAULT_MAX_FILE_BYTES,
                         typing: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
                         parameters: dict | None = None, optional: bool = False) -> Ingested:
    """One reference table read, typed and validated. Unreadable -> CannotAudit, or for an
    `optional` table (the decisions) its rows quarantined as DQ_FILE_UNREADABLE (optional_unread).

    `typing` adds the columns and flags a suite judges beyond what type_reference gives (the
    decision tables' flags need the rule registry, the HMAC key and the known cases);
    `parameters` fill more of the suite's `$PARAMETER`s."""
    try:
        sha256 = sha256_path(path, follow_links=False)
        raw = read_table(path, table, max_bytes=max_bytes)
    except OSError as exc:
        if optional:
            return optional_unread(landing, table, path, audit_date, f"{_source(landing, path)}: "
                                   f"{exc.strerror or type(exc).__name__}; make it a readable file.")
        raise CannotAudit(f"Reference table {table} cannot be read: {path}: {exc.strerror or exc}.\n"
                         "Make it a readable file; no agency can be audited without it.") from None
    except FileUnreadable as exc:
        if optional:
            return optional_unread(landing, table, path, audit_date, str(exc), exc)
        raise CannotAudit(f"Reference table {table} cannot be read: {exc}\n"
                         "Fix or re-export the file; no agency can be audited without it.") from None
    return judge_reference_table(_source(landing, path), table, raw, sha256, audit_date=audit_date,
                                 rulepack=rulepack, typing=typing, parameters=parameters)


def judge_reference_table(source: str, table: str, raw: RawTable, sha256: str, *, audit_date: dt.date,
                          rulepack: Rulepack, typing: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
                          parameters: dict | None = None) -> Ingested:
    """A reference table read (`raw`, from the landing file `source` of that sha256) typed and
    validated: its accepted rows, quarantine rows (stamped `audit_date`), record and DQ result."""
    typed = type_reference(table, raw.frame, bank_zone=rulepack.bank_timezone, region=rulepack.default_region)
    if typing is not None:
        typed = typing(typed)
    labels = pd.DataFrame({"source": source, "row_number": typed[ROW]})
    validation = validate_table(typed, table, parameters={"known_timezones": sorted(_ZONES), **(parameters or {})},
                                row_labels=labels)
    agency = typed["agency_id"] if "agency_id" in typed else pd.Series("", index=typed.index)
    quarantine = _quarantine_rows(audit_date, source, raw.frame, validation.reasons, agency,
                                  call_ids=None, table=table, malformed=raw.malformed, delivered=raw.delivered)
    record = FileRecord(path=source, sha256=sha256, table=table, rows_read=raw.rows_read, message=raw.note,
                        rows_accepted=int(validation.valid.sum()), rows_quarantined=len(quarantine))
    return Ingested(accepted=_accepted(typed, validation.valid, REFERENCE_COLUMNS_KEPT.get(table)),
                    quarantine=quarantine, files=[record], dq_results={table: validation.result})


def optional_unread(landing: Path, table: str, path: Path, day: dt.date, message: str,
                    exc: FileUnreadable | None = None) -> Ingested:
    """An optional table that cannot be read: recorded as unreadable, every row it let us read
    quarantined as DQ_FILE_UNREADABLE (or one line for the file), nothing accepted."""
    record = FileRecord(path=_source(landing, path), sha256=_sha256_or_blank(path), table=table)
    staged = _unreadable(record, day, message, exc)
    return Ingested(accepted=pd.DataFrame(), quarantine=staged.set_aside, files=[record])


def stage_cdr_file(landing: Path, path: Path, *, agency_id: str, day: dt.date, local_zone: str,
                   rulepack: Rulepack, others: tuple[Path, ...] = (),
                   max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> StagedFile:
    """Read and type one agency's file; an unreadable file is quarantined, never raised.

    `others` are more files the agency delivered for the same day (`AG17.csv` and
    `AG17.parquet`): which one holds the day's calls cannot be known, so none is audited;
    each is recorded (manifest) and quarantined with a message naming them all.
    """
    def typing(frame: pd.DataFrame, source: str) -> pd.DataFrame:
        return type_cdr(frame, source=source, file_agency_id=agency_id, local_zone=local_zone,
                        bank_zone=rulepack.bank_timezone, region=rulepack.default_region)

    return stage_file(landing, path, "cdr", typing, agency_id=agency_id, day=day, others=others, max_bytes=max_bytes)


# What one agency's file of the day holds, by table (the words of the messages about it).
_DAY_FILE_CONTENT = {"cdr": "calls", "sms": "text messages"}
_FILE_KIND = {"cdr": "a CDR file", "sms": "an SMS file"}


def stage_file(landing: Path, path: Path, table: str, typing: Callable[[pd.DataFrame, str], pd.DataFrame], *,
               agency_id: str, day: dt.date, others: tuple[Path, ...] = (),
               max_bytes: int = DEFAULT_MAX_FILE_BYTES,
               masked_line: Callable[[str], str] = lambda line: line) -> StagedFile:
    """Read one agency's file of `table` (cdr, sms) and type it (`typing(raw frame, source)`);
    an unreadable file, or several files of one agency (`others`), is quarantined, never raised.
    `masked_line` masks more of a malformed line's text (already masked as free text)."""
    if others:
        return _conflict(landing, (path, *others), table=table, agency_id=agency_id, day=day)
    record = FileRecord(path=_source(landing, path), sha256="", table=table, agency_id=agency_id)
    try:
        record.sha256 = sha256_path(path, follow_links=False)   # OSError: a link, a directory, a FIFO, no permission
        raw = read_table(path, table, max_bytes=max_bytes)
    except OSError as exc:
        return _unreadable(record, day, f"{path}: cannot be read ({exc.strerror or exc}); deliver the day's "
                                        f"{_DAY_FILE_CONTENT[table]} as one regular file that the audit can read.")
    except FileUnreadable as exc:
        return _unreadable(record, day, str(exc), exc)
    typed = typing(raw.frame, record.path)
    record.rows_read, record.delivered_columns = raw.rows_read, list(raw.delivered)
    set_aside = _quarantine_rows(day, record.path, raw.frame.iloc[:0], pd.Series([], dtype="str"),
                                 pd.Series([], dtype="str"), call_ids=None, table=table,
                                 malformed=[(number, masked_line(text)) for number, text in raw.malformed],
                                 file_agency=agency_id)
    return StagedFile(record=record, typed=typed, set_aside=set_aside)


def _source(landing: Path, path: Path) -> str:
    return path.relative_to(landing).as_posix()


def _unreadable(record: FileRecord, day: dt.date, message: str,
                exc: FileUnreadable | None = None) -> StagedFile:
    """The staged form of a file that cannot be audited: every row it let us read quarantined
    (or one line for the file), so rows read = rows quarantined."""
    record.status, record.message = "unreadable", message
    record.rows_read = record.rows_quarantined = 0 if exc is None else exc.rows_read
    rows, malformed = (None, []) if exc is None else (exc.rows, exc.malformed)
    return StagedFile(record=record, typed=pd.DataFrame(),
                      set_aside=_unreadable_rows(day, record.path, record.agency_id, message, rows, malformed,
                                                 id_column=ROW_ID_COLUMNS.get(record.table, "call_id")))


def _conflict(landing: Path, paths: tuple[Path, ...], *, table: str, agency_id: str, day: dt.date) -> StagedFile:
    """Several files of one agency for one day: each recorded (its hash, so verify covers it)
    and quarantined as one line, none read."""
    names = ", ".join(path.name for path in paths)
    message = (f"{len(paths)} files delivered for {agency_id} on {day.isoformat()} ({names}); which one holds "
               f"the day's {_DAY_FILE_CONTENT[table]} cannot be known, so none was audited. Deliver exactly one "
               f"file, {agency_id}.csv, .csv.gz or .parquet, and rerun the day.")
    staged = [_unreadable(FileRecord(path=_source(landing, path), sha256=_sha256_or_blank(path), table=table,
                                     agency_id=agency_id), day, message) for path in paths]
    return StagedFile(record=staged[0].record, typed=pd.DataFrame(), set_aside=_concat([s.set_aside for s in staged]),
                      others=[s.record for s in staged[1:]])


def _sha256_or_blank(path: Path) -> str:
    try:
        return sha256_path(path, follow_links=False)
    except OSError:
        return ""


def missing_files(landing: Path, *, day: dt.date, contracts: pd.DataFrame,
                  agencies: tuple[str, ...] | None = None) -> list[FileRecord]:
    """DQ_FILE_MISSING: agencies with a contract in force on the day that permits calls
    (contracts.channels blank or holding call) but no CDR file."""
    delivered = set(scan_cdr_folder(landing, day).files)
    in_force = contracts_in_force(contracts, day)
    in_force = in_force[permits_calls(in_force).to_numpy(bool)]
    expected = set(in_force.index) if agencies is None else set(in_force.index) & set(agencies)
    return [FileRecord(path=f"cdr/{day.isoformat()}/{agency_id}.csv", sha256="", table="cdr",
                       agency_id=agency_id, status="missing",
                       message=f"no CDR file delivered for {day.isoformat()} although contract "
                               f"{in_force.loc[agency_id, 'contract_id']} is in force")
            for agency_id in sorted(expected - delivered)]


def stray_files(landing: Path, *, day: dt.date) -> list[FileRecord]:
    """Entries of the day's CDR and SMS folders that are not agency files (`X.aside.csv`,
    `.csv`, `notes.txt`, a folder): not audited, but recorded (status "ignored", hashed when
    they are files) so that the manifest and the portfolio show everything that was delivered."""
    return [FileRecord(path=_source(landing, path), sha256=_sha256_or_blank(path), table=kind, status="ignored",
                       message=f"{path.name!r} is not an agency file, so it was not audited: {_FILE_KIND[kind]} is "
                               "named <agency_id>.csv, .csv.gz or .parquet, the agency_id being 1 to 64 letters, "
                               "digits, '_' or '-'. Rename it (or remove it) and rerun the day if it holds "
                               f"{_DAY_FILE_CONTENT[kind]}.")
            for kind in DAY_FOLDER_KINDS for path in scan_day_folder(landing, kind, day).strays]


def unread_reference_files(landing: Path) -> list[FileRecord]:
    """Entries of reference/ that no audit reads (`complaints.csv`, `agents.xlsx` beside
    `agents.csv`, `notes.txt`): recorded (status "ignored", table "reference", hashed when they
    are files) so that the manifest and the portfolio show they were not read."""
    folder = landing / "reference"
    read = {find_table_file(folder, table, REFERENCE_SUFFIXES) for table in REFERENCE_TABLES}
    read |= set(decision_paths(landing).values())
    return [FileRecord(path=_source(landing, path), sha256=_sha256_or_blank(path), table="reference",
                       status="ignored", message=_why_not_read(path.name))
            for path in (sorted(folder.iterdir()) if folder.is_dir() else ()) if path not in read]


def _why_not_read(name: str) -> str:
    tables = (*REFERENCE_TABLES, *DECISION_TABLES)
    table = next((t for t in tables if name.lower().startswith(t.lower())), None)
    if name.lower().startswith("complaints"):
        why = "complaints are read from complaints/<YYYY-MM-DD>.csv, one file per day received"
    elif table is not None and name[len(table):].lower() in REFERENCE_SUFFIXES:
        why = f"another file of the {table} table is read (one file per table: .csv, then .csv.gz, .parquet, .xlsx)"
    else:
        why = (f"reference/ holds the tables {', '.join(tables)}, each as <table>.csv, .csv.gz, .parquet or .xlsx; "
               "this name is none of them")
    return f"{name!r} is not read: {why}. Move or remove it (and rerun the day if its rows were meant to count)."


def load_calls(landing: Path, *, day: dt.date, contracts: pd.DataFrame, rulepack: Rulepack,
               agencies: tuple[str, ...] | None = None) -> Ingested:
    """The day's CDR files of every agency (or of `agencies`), validated in one batch, plus a
    record for each agency whose file is missing and for each entry that is not an agency file."""
    files = scan_cdr_folder(landing, day).files
    zones = agency_zones(contracts, day, rulepack.bank_timezone)
    staged = [stage_cdr_file(landing, paths[0], others=paths[1:], agency_id=agency_id, day=day, rulepack=rulepack,
                             local_zone=zones.get(agency_id, rulepack.bank_timezone))
              for agency_id, paths in sorted(files.items()) if agencies is None or agency_id in agencies]
    ingested = validate_calls(staged, day=day)
    ingested.files += missing_files(landing, day=day, contracts=contracts, agencies=agencies)
    ingested.files += stray_files(landing, day=day)
    return ingested
