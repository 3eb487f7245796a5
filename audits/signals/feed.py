"""The complaints feed (signals.md §1): `<landing>/complaints/<D>.csv`, the complaints received
on day D, read, typed and validated with its Great Expectations suite like every input table.
A bad row is quarantined with its reasons; a missing file means no complaints that day (not a
data-quality finding); an unreadable file quarantines its rows and the audit goes on.

`text` is the customer's own words: personal data that is never written to any output, log
or message. A quarantined row's `raw` shows every other column as delivered (masked), with the
text, and any column the contract does not know, withheld; a malformed line is withheld whole.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from audits.config import DEFAULT_MAX_FILE_BYTES, Rulepack
from audits.ingest import FileRecord, Ingested, _quarantine_rows
from audits.loaders import EXTRA, ROW, TEXT, FileUnreadable, find_table_file, read_table
from audits.manifest import sha256_path
from audits.models import QUARANTINE_COLUMNS, TABLE_COLUMNS
from audits.phones import normalise_phones
from audits.privacy import mask_free_text
from audits.tables import local_dates
from audits.validation import validate_table
from audits.values import parse_timestamps

TABLE = "complaints"
FOLDER = "complaints"
WITHHELD = "[withheld: free text]"
ACCEPTED_COLUMNS = ("complaint_id", "received_utc", "phone_e164", "channel_code", "category_code", "agency_id", ROW)


def complaints_file(landing: Path, day: dt.date) -> Path | None:
    """`<landing>/complaints/<D>.csv` (the suffix in any case), or None when not delivered."""
    return find_table_file(landing / FOLDER, day.isoformat(), (".csv",))


def no_complaints() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype=TEXT) for c in ACCEPTED_COLUMNS if c not in ("received_utc", ROW)})
    frame["received_utc"] = pd.Series([], dtype="datetime64[ns, UTC]")
    frame[ROW] = pd.Series([], dtype="int64")
    return frame[list(ACCEPTED_COLUMNS)]


def load_complaints(landing: Path, day: dt.date, *, rulepack: Rulepack, known_agencies, earlier_ids,
                    max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Ingested:
    """The day's complaints validated: accepted rows (ACCEPTED_COLUMNS), quarantine, the file's
    record and GX result. `known_agencies`: every agency_id of the contracts (a named agency
    must be one); `earlier_ids`: complaint ids of earlier days (a repeat is a duplicate)."""
    path = complaints_file(landing, day)
    if path is None:
        return Ingested(accepted=no_complaints(), quarantine=_no_quarantine(), files=[], dq_results={})
    source = path.relative_to(landing).as_posix()
    record = FileRecord(path=source, sha256="", table=TABLE)
    try:
        record.sha256 = sha256_path(path, follow_links=False)
        raw = read_table(path, TABLE, max_bytes=max_bytes)
    except OSError as exc:
        return _unreadable(record, day, f"{source}: cannot be read ({exc.strerror or type(exc).__name__}); deliver "
                                        "the day's complaints as one regular UTF-8 CSV file.", None)
    except FileUnreadable as exc:
        return _unreadable(record, day, str(exc), exc)
    typed = type_complaints(raw.frame, day=day, rulepack=rulepack, known_agencies=known_agencies,
                            earlier_ids=earlier_ids)
    labels = pd.DataFrame({"source": source, "row_number": typed[ROW]})
    validation = validate_table(typed, TABLE, parameters={"audit_dates": [day.isoformat()]}, row_labels=labels)
    shown = _withheld(raw.frame)
    quarantine = _quarantine_rows(day, source, shown, validation.reasons, shown["agency_id"].fillna(""),
                                  call_ids=None, table=TABLE, malformed=[(n, WITHHELD) for n, _ in raw.malformed],
                                  delivered=raw.delivered)
    valid = validation.valid.to_numpy()
    record.rows_read = raw.rows_read
    record.rows_accepted = int(valid.sum())
    record.rows_quarantined = len(quarantine)
    accepted = typed.loc[valid, list(ACCEPTED_COLUMNS)].reset_index(drop=True)
    return Ingested(accepted=accepted, quarantine=quarantine, files=[record], dq_results={TABLE: validation.result})


def type_complaints(frame: pd.DataFrame, *, day: dt.date, rulepack: Rulepack, known_agencies,
                    earlier_ids) -> pd.DataFrame:
    """The typed columns and flags the suite judges (expectations/complaints.json). A naive
    received_at is in the bank's zone; received_date is its date there."""
    typed = frame.copy(deep=False)
    typed["received_utc"] = parse_timestamps(frame["received_at"], rulepack.bank_timezone)
    typed["received_date"] = local_dates(typed["received_utc"], rulepack.bank_timezone)
    typed["phone_e164"] = normalise_phones(frame["phone"], rulepack.default_region)
    typed["channel_code"] = frame["channel"].str.lower()
    typed["category_code"] = frame["category"].str.lower()
    ids = frame["complaint_id"]
    earlier = pd.Index(np.asarray(earlier_ids, dtype=object))
    typed["id_repeated"] = ((ids.duplicated(keep="first") | ids.isin(earlier)) & ids.notna()).astype(bool)
    named = frame["agency_id"]
    known = pd.Index(np.asarray(sorted(set(known_agencies)), dtype=object))
    typed["agency_unknown"] = (named.notna() & ~named.isin(known)).astype(bool)
    return typed


def _withheld(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows as a quarantine may show them: `text` and every column the contract does not
    know replaced by a marker where given (the other columns are masked by the quarantine)."""
    shown = frame.copy(deep=False)
    for column in [c for c in frame.columns if c == "text" or c.startswith(EXTRA)]:
        given = frame[column].notna().to_numpy()
        shown[column] = pd.Series(np.where(given, WITHHELD, None), index=frame.index, dtype=object)
    return shown


def _unreadable(record: FileRecord, day: dt.date, message: str, exc: FileUnreadable | None) -> Ingested:
    """A complaints file that cannot be read: each row it let us read quarantined (raw withheld
    but for its complaint_id), or one line for the file, so rows read = rows quarantined."""
    record.status, record.message = "unreadable", message
    rows = exc.rows if exc is not None and exc.rows is not None else pd.DataFrame({ROW: pd.Series([], "int64")})
    numbers = [int(n) for n in rows[ROW]] + [int(n) for n, _ in (exc.malformed if exc is not None else [])]
    record.rows_read = record.rows_quarantined = len(numbers)
    raw = WITHHELD
    if not numbers:                                   # one line standing for the file (row 0: not a row)
        numbers, raw = [0], mask_free_text(message)   # the audit's own words; values are never quoted in them
    quarantine = pd.DataFrame({
        "audit_date": day.isoformat(), "source": record.path, "agency_id": "", "row_number": numbers, "call_id": "",
        "reasons": "DQ_FILE_UNREADABLE", "raw": raw})
    return Ingested(accepted=no_complaints(), quarantine=quarantine[list(QUARANTINE_COLUMNS)], files=[record],
                    dq_results={})


def _no_quarantine() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="str") for c in QUARANTINE_COLUMNS})


# The contract's columns of the feed, for tests and the sample generator.
COLUMNS = TABLE_COLUMNS[TABLE][0] + TABLE_COLUMNS[TABLE][1]
