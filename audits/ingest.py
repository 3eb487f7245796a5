"""Ingestion: landing files -> typed, validated frames plus quarantine rows and per-file records.

Every row read is either accepted or quarantined with its reasons (row conservation); a bad
CDR file quarantines that file only. Unusable reference data stops the run (CannotAudit).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from audits.config import DEFAULT_MAX_FILE_BYTES, Rulepack
from audits.errors import PermanentError
from audits.ingest_sms import masked_excerpt, messages_in_order, text_masked, texting_contracts, type_sms
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
    scan_sms_folder,
)
from audits.manifest import sha256_path
from audits.models import DECISION_TABLES, QUARANTINE_COLUMNS, REFERENCE_TABLES, TABLE_COLUMNS
from audits.privacy import mask_free_text
from audits.rules.sms_inputs import MESSAGE_COLUMNS, no_messages
from audits.rules.sms_scope import permits_calls
from audits.tables import (
    CALL_COLUMNS_KEPT,
    REFERENCE_COLUMNS_KEPT,
    agency_zones,
    contracts_in_force,
    rows_in_call_order,
    type_cdr,
    type_reference,
)
from audits.validation import batch_frame, merge_results, nullity, nullity_only_columns, suite_columns, validate_table
from audits.values import _ZONES


class CannotAudit(PermanentError):
    """The audit cannot run at all (e.g. reference data missing); the message says what to do."""


@dataclass
class FileRecord:
    """One input file: where, its hash, and what became of its rows."""

    path: str                  # relative to the landing zone
    sha256: str
    table: str
    agency_id: str = ""
    status: str = "ok"         # ok | unreadable | missing | ignored (not an agency file)
    message: str = ""
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    # The file's columns in its order (frame names; RawTable.delivered), so that a quarantined
    # row shows as delivered. Work files only, never published: a headerless file's "header"
    # is a data row.
    delivered_columns: list[str] = field(default_factory=list)

    @property
    def conserved(self) -> bool:
        return self.rows_read == self.rows_accepted + self.rows_quarantined


@dataclass
class Ingested:
    accepted: pd.DataFrame
    quarantine: pd.DataFrame
    files: list[FileRecord]
    dq_results: dict[str, dict] = field(default_factory=dict)


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


@dataclass
class StagedFile:
    """One agency's file of the day (CDR or SMS), read and typed but not yet validated (the
    per-agency stage)."""

    record: FileRecord
    typed: pd.DataFrame          # typed rows (empty when unreadable)
    set_aside: pd.DataFrame      # quarantine rows found while reading (malformed lines, unreadable file)
    others: list[FileRecord] = field(default_factory=list)   # the agency's other files of the day (a conflict)


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
# The id of a row of an agency's file of the day (quarantine.csv's call_id).
ROW_ID_COLUMNS = {"cdr": "call_id", "sms": "message_id"}


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


def validation_columns() -> list[str]:
    """The typed columns validate_calls reads of a staged file when its rows all pass: what the
    suite checks and what the accepted calls keep. Staged files can be loaded with only these
    (the rest is the raw text a quarantined row shows; see validate_calls' `full_rows`)."""
    return sorted(set(suite_columns("cdr")) | set(CALL_COLUMNS_KEPT) | {"source", ROW, "file_agency_id"})


def lean_for_validation(typed: pd.DataFrame) -> pd.DataFrame:
    """A staged file's typed frame as validate_calls needs it when full_rows is given: text
    columns the suite reads only for nullity become 1.0/NaN (8 bytes, not the text; the same
    verdicts). Applied per agency file as it is loaded, so the day never holds that text."""
    keep = set(CALL_COLUMNS_KEPT) | {"source", ROW, "file_agency_id"}
    lean = typed.copy(deep=False)
    for column in nullity_only_columns("cdr"):
        if column in lean and column not in keep and not pd.api.types.is_numeric_dtype(lean[column]):
            lean[column] = nullity(lean[column])
    return lean


# Rows per Great Expectations batch: GX copies and filters its batch per expectation, so its
# memory follows the batch; whole agency files are batched together up to about this many.
CHUNK_ROWS = 2_000_000


def validate_calls(staged: list[StagedFile], *, day: dt.date,
                   full_rows: Callable[[int, np.ndarray], pd.DataFrame] | None = None,
                   chunk_rows: int = CHUNK_ROWS) -> Ingested:
    """All agencies' typed rows validated in batches of whole files (one batch up to
    chunk_rows rows; one merged result); quarantine and per-file counts.

    A batch holds only the columns the suite reads (validation.batch_frame), and the
    accepted calls, in call order, only the columns later stages read (CALL_COLUMNS_KEPT):
    ten million calls must fit in a few GiB. The typed frames are released (emptied) as
    their batch is done. When full_rows is given, staged files may hold only
    validation_columns() (lean_for_validation), and full_rows(i, positions) gives every
    column of those rows of staged[i] for the quarantine.
    """
    return validate_files(staged, DayFiles("cdr", CALL_COLUMNS_KEPT, rows_in_call_order), day=day,
                          full_rows=full_rows, chunk_rows=chunk_rows)


@dataclass(frozen=True)
class DayFiles:
    """How the agencies' files of a day of one table are validated: the table (its suite, its
    row id, ROW_ID_COLUMNS), the typed columns accepted rows keep, how the accepted parts are
    put in order (`in_order([(frame, positions), ...])`), and how a failing row is shown in
    quarantine (`shown(rows)`: e.g. a message's text masked further)."""

    table: str
    kept: tuple[str, ...]
    in_order: Callable[[list[tuple[pd.DataFrame, np.ndarray]]], pd.DataFrame]
    shown: Callable[[pd.DataFrame], pd.DataFrame] = lambda rows: rows
    nothing: Callable[[], pd.DataFrame] = pd.DataFrame        # the accepted rows when no file has any


def validate_files(staged: list[StagedFile], files: DayFiles, *, day: dt.date,
                   full_rows: Callable[[int, np.ndarray], pd.DataFrame] | None = None,
                   chunk_rows: int = CHUNK_ROWS) -> Ingested:
    """validate_calls for the staged files of any table of agencies' day files (`files`)."""
    table = files.table
    records = [s.record for s in staged] + [other for s in staged for other in s.others]
    quarantines = [s.set_aside for s in staged]
    present = [index for index, s in enumerate(staged) if not s.typed.empty]
    if not present:          # no file with a readable row (say, every line malformed): nothing to validate
        quarantine = _concat(quarantines)
        _count_rows(records, {}, quarantine)
        return Ingested(accepted=files.nothing(), quarantine=quarantine, files=records, dq_results={})
    parameters = {"audit_dates": [day.isoformat()], "known_timezones": sorted(_ZONES)}
    accepted_parts, accepted_per_file, results = [], {}, []
    for chunk in _chunks(present, [len(s.typed) for s in staged], chunk_rows):
        frames = [staged[index].typed for index in chunk]
        batch = pd.concat([batch_frame(frame, table) for frame in frames], ignore_index=True)
        labels = pd.concat([frame[["source", ROW]] for frame in frames], ignore_index=True)
        validation = validate_table(batch, table, row_labels=labels, parameters=parameters)
        results.append(validation.result)
        del batch, labels
        offsets = np.cumsum([0] + [len(frame) for frame in frames])
        for index, frame, start, stop in zip(chunk, frames, offsets[:-1], offsets[1:]):
            reasons = validation.reasons.iloc[start:stop].reset_index(drop=True)
            valid = (reasons == "").to_numpy()
            failing = np.flatnonzero(~valid)
            if len(failing):
                rows = frame if full_rows is None else full_rows(index, failing)
                if rows is not frame:                              # only the failing rows, renumbered
                    reasons = reasons.iloc[failing].reset_index(drop=True)
                    rows = rows.reset_index(drop=True)
                rows = files.shown(rows)
                quarantines.append(_quarantine_rows(day, None, rows, reasons, rows["file_agency_id"],
                                                    call_ids=rows[ROW_ID_COLUMNS[table]], table=table, malformed=[],
                                                    delivered=staged[index].record.delivered_columns))
            accepted_parts.append((frame[list(files.kept)], np.flatnonzero(valid)))   # no copy yet
            accepted_per_file[frame["source"].iloc[0]] = int(valid.sum())      # one file per frame
            staged[index].typed = pd.DataFrame()                               # released
        del frames
    quarantine = _concat(quarantines)
    accepted = files.in_order(accepted_parts)          # the store and the rules sort no more
    _count_rows(records, accepted_per_file, quarantine)
    return Ingested(accepted=accepted, quarantine=quarantine, files=records,
                    dq_results={table: merge_results(results)})


def _count_rows(records: list[FileRecord], accepted_per_file: dict[str, int], quarantine: pd.DataFrame) -> None:
    """Rows accepted and quarantined of each readable file (an unreadable one has its counts)."""
    quarantined_per_file = quarantine["source"].value_counts()
    for record in records:
        if record.status == "ok":
            record.rows_accepted = accepted_per_file.get(record.path, 0)
            record.rows_quarantined = int(quarantined_per_file.get(record.path, 0))


def _chunks(indexes: list[int], sizes: list[int], limit: int) -> list[list[int]]:
    """Consecutive groups of indexes whose sizes add up to about `limit` (a larger single
    file is a group of its own)."""
    groups, current, rows = [], [], 0
    for index in indexes:
        if current and rows + sizes[index] > limit:
            groups.append(current)
            current, rows = [], 0
        current.append(index)
        rows += sizes[index]
    return groups + [current] if current else groups


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


def _accepted(frame: pd.DataFrame, valid: pd.Series, columns: tuple[str, ...] | None) -> pd.DataFrame:
    """The valid rows (only `columns`, when given); no copy when nothing is dropped."""
    mask = valid.to_numpy()
    if columns is not None:
        frame = frame[list(columns)]
    return frame if mask.all() else frame[mask].reset_index(drop=True)


def _quarantine_rows(day: dt.date, source: str | None, frame: pd.DataFrame, reasons: pd.Series,
                     agency: pd.Series, *, call_ids: pd.Series | None, table: str,
                     malformed: list[tuple[int, str]], file_agency: str = "",
                     delivered: Sequence[str] = ()) -> pd.DataFrame:
    """quarantine.csv rows for failing rows (reasons != '') and malformed lines; `raw` is the
    row as delivered (the `delivered` columns of `frame`, in the file's order), masked.
    (Control characters such as NUL stay; csvcells writes them as control pictures.)"""
    failing = np.flatnonzero(reasons.to_numpy() != "")
    columns = list(delivered) or list(TABLE_COLUMNS[table][0] + TABLE_COLUMNS[table][1])
    rows = frame.iloc[failing]
    sources = rows["source"] if source is None else pd.Series(source, index=rows.index)
    out = pd.DataFrame({
        "audit_date": day.isoformat(),
        "source": sources.astype("str"),
        "agency_id": agency.iloc[failing].fillna("").astype("str"),
        "row_number": rows[ROW].astype("int64"),
        "call_id": (call_ids.iloc[failing].fillna("").astype("str") if call_ids is not None else ""),
        "reasons": reasons.iloc[failing].astype("str"),
        "raw": [_masked_line(values) for values in rows[columns].itertuples(index=False)],
    })
    if malformed:
        lines = pd.DataFrame({"audit_date": day.isoformat(), "source": source, "agency_id": file_agency,
                              "row_number": [n for n, _ in malformed], "call_id": "",
                              "reasons": "DQ_MALFORMED_ROW", "raw": [text for _, text in malformed]})
        out = pd.concat([out, lines], ignore_index=True)
    return out[list(QUARANTINE_COLUMNS)]


def _unreadable_rows(day: dt.date, source: str, agency_id: str, message: str,
                     rows: pd.DataFrame | None, malformed: list[tuple[int, str]] = (), *,
                     id_column: str = "call_id") -> pd.DataFrame:
    """Quarantine rows of an unreadable file: each row and malformed line it let us count, with
    its line number, call_id and reason but `raw` blank (such a file may be anything: a password
    file, a key); or one row 0 standing for the file, its `raw` the audit's own message."""
    if (rows is None or rows.empty) and not malformed:
        return pd.DataFrame([{"audit_date": day.isoformat(), "source": source, "agency_id": agency_id,
                              "row_number": 0, "call_id": "", "reasons": "DQ_FILE_UNREADABLE",
                              "raw": mask_free_text(message)}])[list(QUARANTINE_COLUMNS)]
    rows = pd.DataFrame({ROW: pd.Series([], dtype="int64")}) if rows is None else rows
    return pd.DataFrame({
        "audit_date": day.isoformat(), "source": source, "agency_id": agency_id,
        "row_number": np.concatenate([rows[ROW].to_numpy(dtype="int64"),
                                      np.array([n for n, _ in malformed], dtype="int64")]),
        # The rows come as read, before trimming (the file failed before it): call_id is
        # trimmed here as everywhere else, so " C1" quarantines as "C1".
        "call_id": (rows[id_column].str.strip().fillna("").astype("str").tolist() if id_column in rows
                    else [""] * len(rows)) + [""] * len(malformed),
        "reasons": "DQ_FILE_UNREADABLE",
        "raw": "",              # never echoed: a file the audit cannot read may be anything (no contract header)
    })[list(QUARANTINE_COLUMNS)]


def _masked_line(values) -> str:
    """One row as a CSV line, every field masked (phones, IDs and cards lose their digits)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(
        ["" if not isinstance(v, str) else mask_free_text(v) for v in values])
    return buffer.getvalue()


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame({c: pd.Series([], dtype="str") for c in QUARANTINE_COLUMNS})
    return pd.concat(frames, ignore_index=True)



# --- text messages (sms.md §1): the same stage, validation and file rules as CDRs ---------------

def stage_sms_file(landing: Path, path: Path, *, others: tuple[Path, ...] = (), agency_id: str, day: dt.date,
                   local_zone: str, rulepack: Rulepack, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> StagedFile:
    """Read and type one agency's SMS file as stage_cdr_file does its CDR file (typed:
    ingest_sms.type_sms); a malformed line shows at most a masked excerpt of its text."""
    def typing(frame: pd.DataFrame, source: str) -> pd.DataFrame:
        return type_sms(frame, source=source, file_agency_id=agency_id, local_zone=local_zone,
                        bank_zone=rulepack.bank_timezone, region=rulepack.default_region)

    return stage_file(landing, path, "sms", typing, agency_id=agency_id, day=day, others=others,
                      max_bytes=max_bytes, masked_line=masked_excerpt)


SMS_DAY_FILES = DayFiles("sms", tuple(MESSAGE_COLUMNS), messages_in_order, shown=text_masked, nothing=no_messages)


def validate_messages(staged: list[StagedFile], *, day: dt.date,
                      full_rows: Callable[[int, np.ndarray], pd.DataFrame] | None = None) -> Ingested:
    """The day's staged SMS files validated (suite `sms`): accepted messages (MESSAGE_COLUMNS,
    in message order), quarantine rows (source the file's landing path, call_id the
    message_id, `raw` masked with the text cut to a masked excerpt), one record per file with
    its rows conserved. `full_rows` as for validate_calls."""
    return validate_files(staged, SMS_DAY_FILES, day=day, full_rows=full_rows)


def missing_sms_files(landing: Path, *, day: dt.date, contracts: pd.DataFrame,
                      agencies: tuple[str, ...] | None = None) -> list[FileRecord]:
    """DQ_FILE_MISSING: agencies whose contract in force on the day includes `sms`
    (contracts.channels) but that delivered no SMS file. None when no contract includes sms
    (then the day's sms folder may be absent)."""
    texting = texting_contracts(contracts, day)
    expected = set(texting.index) if agencies is None else set(texting.index) & set(agencies)
    delivered = set(scan_sms_folder(landing, day).files)
    return [FileRecord(path=f"sms/{day.isoformat()}/{agency_id}.csv", sha256="", table="sms",
                       agency_id=agency_id, status="missing",
                       message=f"no SMS file delivered for {day.isoformat()} although contract "
                               f"{texting.loc[agency_id, 'contract_id']} in force includes the sms channel")
            for agency_id in sorted(expected - delivered)]
