"""History kept between nightly runs: validated calls as Parquet partitioned by call date, and
a compact per-day index of refusals (the refusal rule looks back forever; reading one small
file per day beats rescanning every call).

    <store>/calls/call_date=YYYY-MM-DD/calls.parquet
    <store>/calls/call_date=YYYY-MM-DD/partition.json      what was written: rows and sha256 of both files
    <store>/refusals/call_date=YYYY-MM-DD/refusals.parquet
    <store>/messages/sent_date=YYYY-MM-DD/messages.parquet  validated text messages (MESSAGE_COLUMNS, both directions)
    <store>/opt_outs/sent_date=YYYY-MM-DD/opt_outs.parquet  the day's opt-outs by text (OPT_OUT_COLUMNS)
    <store>/.lock                                           writers exclusive, readers shared (audits.locks)

The day's record (partition.json) lists every file of the day; a day written before the store
kept messages has neither messages file nor entry, and reads as a day without texts.

A day is written whole or not at all: its files are written aside first (all that needs
space), then the day's record is removed, each file renamed into place (a rename replaces a
file atomically, so no file is ever missing or half-written) and the record written last. A
day is in the store when its record is; a day whose files do not match their record was
changed after it was written (or its write was interrupted between the renames) and stops
the run that reads it. Writers hold the store lock exclusively and readers share it, so no
reader sees a day half-replaced and no two runs ingest the same day.

Every other part of the store (cases, signals) keeps its files the same way, through
replace_folder and check_file: a folder per day written aside with a record (a JSON object
whose "files" gives the rows and sha256 of each file, written last) and renamed into place;
each file checked against its record when it is read. A file that does not match stops the run
naming it (StoreError), unless it is only a cache of the calls partitions, which is rebuilt.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from audits import atomic, locks
from audits.config import Rulepack
from audits.ingest import CannotAudit
from audits.manifest import sha256_path
from audits.phones import e164_integers
from audits.rules.messages.history import STORED_HISTORY_COLUMNS, compact_message_history
from audits.rules.messages.inputs import (
    MESSAGE_COLUMNS,
    OPT_OUT_COLUMNS,
    message_order,
    no_messages,
    no_opt_outs,
)
from audits.tables import in_order
from audits.workers import in_threads

STORED_COLUMNS = ("call_id", "agency_id", "agent_id", "campaign_id", "caller_e164", "callee_e164",
                  "start_utc", "disposition_code", "outcome_code", "call_date", "callee_number")
# What the history rules read of earlier days (callee_number: the E.164 digits as int64).
HISTORY_COLUMNS = ("callee_number", "start_utc", "campaign_id", "disposition_code", "outcome_code")
_CODED = ("campaign_id", "disposition_code", "outcome_code")      # few distinct values: read as dictionaries
_CODED_TEXTS = ("campaign_id", "direction_code", "status_code")    # the same of stored messages
REFUSAL_COLUMNS = ("callee_e164", "start_utc", "agency_id", "call_id")
FILES = {"calls": "calls.parquet", "refusals": "refusals.parquet", "messages": "messages.parquet",
         "opt_outs": "opt_outs.parquet"}
CALL_KINDS = ("calls", "refusals")
MESSAGE_KINDS = ("messages", "opt_outs")          # absent from days stored before the store kept texts
_PARTITION_KEY = {"messages": "sent_date", "opt_outs": "sent_date"}     # else call_date
RECORD = "partition.json"
LOCK = ".lock"
LOCK_WAIT_SECONDS = 1800.0


class StoreError(CannotAudit):
    """A store partition that does not match what the audit wrote; the message says how to rebuild it."""


def _partition(store: Path, kind: str, day: dt.date) -> Path:
    return store / kind / f"{_PARTITION_KEY.get(kind, 'call_date')}={day.isoformat()}"


def _record_path(store: Path, day: dt.date) -> Path:
    return _partition(store, "calls", day) / RECORD


@contextmanager
def writing(store: Path, *, run_id: str = "", wait_seconds: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold the store's lock exclusively (one writer at a time, no readers)."""
    store.mkdir(parents=True, exist_ok=True)
    with locks.hold(store / LOCK, what=f"the store {store}", run_id=run_id, wait_seconds=wait_seconds):
        yield


@contextmanager
def reading(store: Path, *, run_id: str = "", wait_seconds: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold the store's lock shared (readers together, no writer); nothing to hold without a store."""
    if not store.is_dir():
        yield
        return
    with locks.hold(store / LOCK, what=f"the store {store}", run_id=run_id, exclusive=False,
                    wait_seconds=wait_seconds):
        yield


def has_day(store: Path, day: dt.date) -> bool:
    """Whether the store holds day D whole (its record is written; check_days compares the files)."""
    with reading(store):
        return _record_path(store, day).is_file()


def day_record(store: Path, day: dt.date) -> dict | None:
    """What the store recorded writing for day D (rows and sha256 of its files), or None when
    it holds no record of D. Read as is: check_days compares it with the files."""
    try:
        return json.loads(_record_path(store, day).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_day(store: Path, day: dt.date, calls: pd.DataFrame, *, messages: pd.DataFrame | None = None,
              opt_outs: pd.DataFrame | None = None, run_id: str = "", wait_seconds: float = LOCK_WAIT_SECONDS) -> None:
    """Replace day D's partitions with these validated calls and text messages (all agencies;
    none is a day too). `messages`: the typed messages (MESSAGE_COLUMNS), None for none;
    `opt_outs`: the opt-outs among them (messages.inputs.opt_outs_of of the enriched messages: which
    replies opt out depends on the rulepack), required with messages."""
    if messages is not None and opt_outs is None:
        raise TypeError("write_day: the opt-outs of the messages are required with them (messages.inputs.opt_outs_of)")
    calls = calls.assign(callee_number=e164_integers(calls["callee_e164"]))
    frame = in_order(calls.loc[:, list(STORED_COLUMNS)])                # history needs no sort
    refusals = frame.loc[(frame["disposition_code"] == "ANSWERED") & (frame["outcome_code"] == "REFUSED"),
                         list(REFUSAL_COLUMNS)]
    texts = no_messages() if messages is None else messages.loc[:, list(MESSAGE_COLUMNS)]
    texts = texts.iloc[message_order(texts)].reset_index(drop=True)
    opted = no_opt_outs() if opt_outs is None else opt_outs.loc[:, list(OPT_OUT_COLUMNS)]
    opted = opted.sort_values(["sent_utc", "agency_id", "message_id"], kind="stable").reset_index(drop=True)
    with writing(store, run_id=run_id, wait_seconds=wait_seconds):
        _replace_day(store, day, {"calls": frame, "refusals": refusals, "messages": texts, "opt_outs": opted},
                     run_id)


def _replace_day(store: Path, day: dt.date, frames: dict[str, pd.DataFrame], run_id: str) -> None:
    _sweep(store, day)
    aside: dict[str, Path] = {}
    record = {"date": day.isoformat(), "run_id": run_id}
    try:
        for kind, frame in frames.items():
            folder = _partition(store, kind, day)
            folder.mkdir(parents=True, exist_ok=True)
            aside[kind] = atomic.temporary_path(folder / FILES[kind])
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), aside[kind], compression="zstd")
            record[kind] = {"path": f"{kind}/{folder.name}/{FILES[kind]}", "rows": len(frame),
                            "sha256": sha256_path(aside[kind])}
        aside[RECORD] = atomic.temporary_path(_record_path(store, day))
        aside[RECORD].write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    except BaseException:
        for path in aside.values():
            path.unlink(missing_ok=True)
        raise
    # Nothing below needs space. Killed between these renames, the day has no record (or one
    # its files do not match): the next run ingests it again from the landing zone, or stops.
    _record_path(store, day).unlink(missing_ok=True)
    for kind in frames:
        os.replace(aside[kind], _partition(store, kind, day) / FILES[kind])
    os.replace(aside[RECORD], _record_path(store, day))


def _sweep(store: Path, day: dt.date) -> None:
    """Remove the files killed writers of day D left aside (under the writer's lock, nobody else writes)."""
    for kind in FILES:
        folder = _partition(store, kind, day)
        for left in (folder.glob(".*.tmp") if folder.is_dir() else ()):
            left.unlink(missing_ok=True)


def check_days(store: Path, days: list[dt.date]) -> list[dict]:
    """For each stored day among `days` (in order): {"date", "path", "rows", "sha256"} of its
    calls, after checking both its files against its record. StoreError on any mismatch."""
    checked = in_threads(lambda day: _check_day(store, day), days)       # sha256 of a big day: ~1 s
    return [entry for entry in checked if entry is not None]


def _check_day(store: Path, day: dt.date, kinds: tuple[str, ...] = CALL_KINDS) -> dict | None:
    record_path = _record_path(store, day)
    if not record_path.is_file():
        present = [_partition(store, kind, day) / FILES[kind] for kind in kinds]
        present = [path for path in present if path.exists()]
        if present:
            raise StoreError(_rebuild(day, f"store partition {present[0].parent} has no record of what was written "
                                           f"({RECORD}): its write was interrupted, or an older version wrote it."))
        return None
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        entries = {kind: record.get(kind) if kind in MESSAGE_KINDS else record[kind] for kind in kinds
                   if kind not in MESSAGE_KINDS or kind in record
                   or (_partition(store, kind, day) / FILES[kind]).exists()}     # a day stored before texts
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreError(_rebuild(day, f"the store's record {record_path} is unreadable ({exc}).")) from None
    for kind, entry in entries.items():
        check_file(_partition(store, kind, day) / FILES[kind], entry, record=record_path,
                   advice=_rebuild(day, "").lstrip())
    if "messages" in kinds:
        entry = entries.get("messages")
        return None if entry is None else {"date": day.isoformat(), "path": str(
            _partition(store, "messages", day).resolve() / FILES["messages"]), "rows": entry["rows"],
            "sha256": entry["sha256"]}
    calls = entries.get("calls")
    return None if calls is None else {"date": day.isoformat(), "path": str(_partition(store, "calls", day).resolve()
                                                                             / FILES["calls"]),
                                       "rows": calls["rows"], "sha256": calls["sha256"]}


def _rows(path: Path) -> int | None:
    """The rows of a store file: a Parquet file's, an .npy array's length; None when unreadable
    (or of another kind)."""
    try:
        if path.suffix == ".npy":
            return int(len(np.load(path, mmap_mode="r")))
        return pq.ParquetFile(path).metadata.num_rows
    except (OSError, ValueError, EOFError, pa.ArrowException):
        return None


def _rebuild(day: dt.date, problem: str) -> str:
    return (f"{problem} The audit will not use history it cannot trust. Rebuild day {day.isoformat()} from the "
            f"landing zone: with its CDR and SMS files in <landing>/cdr/{day.isoformat()}/ and "
            f"<landing>/sms/{day.isoformat()}/, run `python -m audits run --date {day.isoformat()} …` again (it "
            f"rewrites that day's partitions), or delete the folders call_date={day.isoformat()} under "
            f"<store>/calls and <store>/refusals and sent_date={day.isoformat()} under <store>/messages and "
            "<store>/opt_outs so that the next run ingests the day again.")


# --- every store file: recorded when written, checked when read ------------------------------

def file_entry(path: Path) -> dict:
    """What a record says of a file: its rows (see _rows) and sha256."""
    return {"rows": _rows(path), "sha256": sha256_path(path)}


def replace_folder(folder: Path, writers: dict[str, Callable[[Path], None]], record: str, document: dict) -> dict:
    """Write the files aside (each writer gets its path), then the record named `record`:
    `document` with "files" giving each file's rows and sha256; then rename the folder into
    place. Returns the record written. The caller holds the store's lock."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f".{folder.name}.{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        for name, write in writers.items():
            write(staging / name)
        written = {**document, "files": {name: file_entry(staging / name) for name in writers}}
        (staging / record).write_text(json.dumps(written, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        atomic.replace_folder(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return written


def cached_record(path: Path) -> dict | None:
    """A record as replace_folder wrote it, or None when missing or unreadable."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) and isinstance(document.get("files"), dict) else None


def read_record(path: Path, *, advice: str) -> dict:
    """A record as replace_folder wrote it; StoreError naming it when it is missing or unreadable."""
    document = cached_record(path)
    if document is None:
        raise StoreError(f"store file {path} does not match what the audit wrote: it is missing, emptied or not "
                         f"the record of the files beside it that the audit writes. {advice}")
    return document


def file_problem(path: Path, entry: object, record: Path) -> str | None:
    """Why the file does not match its entry in `record` (rows and sha256), or None when it does."""
    if not isinstance(entry, dict):
        return f"the record {record.name} does not list it."
    digest = sha256_path(path) if path.is_file() else None
    rows = _rows(path) if digest is not None else None
    if digest is not None and digest == entry.get("sha256") and rows == entry.get("rows"):
        return None
    now = "is missing" if digest is None else (f"has {rows if rows is not None else 'unreadable'} rows, "
                                               f"sha256 {digest[:12]}…")
    return (f"the record says {entry.get('rows')} rows, sha256 {str(entry.get('sha256'))[:12]}… ({record.name}); "
            f"the file {now}. It was changed, emptied or truncated after it was written.")


def check_file(path: Path, entry: object, *, record: Path, advice: str) -> Path:
    """`path`, once it matches its entry in `record`; StoreError naming it otherwise."""
    problem = file_problem(path, entry, record)
    if problem is not None:
        raise StoreError(f"store file {path} does not match what the audit wrote: {problem} {advice}")
    return path


def check_folder(folder: Path, record: str, *, advice: str) -> dict:
    """Every file the folder's record lists, checked; returns the record (StoreError on a mismatch)."""
    document = read_record(folder / record, advice=advice)
    for name, entry in sorted(document["files"].items()):
        check_file(folder / name, entry, record=folder / record, advice=advice)
    return document


def folder_matches(folder: Path, record: str) -> dict | None:
    """The folder's record when every file it lists matches it, else None (a cache to rebuild)."""
    document = cached_record(folder / record)
    if document is None or any(file_problem(folder / name, entry, folder / record) is not None
                               for name, entry in document["files"].items()):
        return None
    return document


def rerun_advice(day: dt.date, what: str) -> str:
    """How to make a day's store files whole again: audit the day again."""
    return (f"The audit will not use {what} it cannot trust. Rebuild it by running `python -m audits run --date "
            f"{day.isoformat()} …` again with that day's landing files: the run writes the day's store files anew.")


def read_history(store: Path, days: list[dt.date],
                 batch_rows: int = 1 << 20) -> Iterator[tuple[dt.date, pa.Table]]:
    """The HISTORY_COLUMNS of each stored day, in the order given, as Arrow tables of up to
    `batch_rows` calls each (in call order; text columns with few distinct values
    dictionary-encoded), one at a time: reading a whole day of ten million calls at once held
    ~300 MiB per day in Arrow's pool on top of the compact history being built. The caller
    checks the days first (check_days) and holds the store's lock (reading) while it reads."""
    for day in days:
        path = _partition(store, "calls", day) / "calls.parquet"
        if not path.is_file():
            continue
        with pq.ParquetFile(path, read_dictionary=list(_CODED)) as parquet:
            for batch in parquet.iter_batches(batch_size=batch_rows, columns=list(HISTORY_COLUMNS)):
                yield day, pa.Table.from_batches([batch]).select(list(HISTORY_COLUMNS))


def history_rows(store: Path, days: list[dt.date]) -> int:
    """How many calls read_history yields for these days (from the Parquet footers)."""
    paths = [_partition(store, "calls", day) / "calls.parquet" for day in days]
    return sum(pq.ParquetFile(path).metadata.num_rows for path in paths if path.is_file())


def read_refusals_before(store: Path, day: dt.date) -> pd.DataFrame:
    """Every stored refusal dated before `day` (one small file per day, each checked against
    its day's record: StoreError on a mismatch)."""
    frames = _daily_files_before(store, "refusals", day)
    return pd.concat(frames, ignore_index=True) if frames else _empty(REFUSAL_COLUMNS)


def _daily_files_before(store: Path, kind: str, day: dt.date) -> list[pd.DataFrame]:
    """The non-empty frames of the store's one-file-a-day `kind` dated before `day`, oldest
    first, each checked against its day's record first."""
    folder, date_key = store / kind, _PARTITION_KEY.get(kind, "call_date")
    with reading(store):
        days = sorted(dt.date.fromisoformat(p.name.split("=", 1)[1]) for p in folder.iterdir()
                      if p.name.startswith(f"{date_key}=") and p.name.split("=", 1)[1] < day.isoformat()
                      and (p / FILES[kind]).is_file()) if folder.is_dir() else []
        in_threads(lambda earlier: _check_day(store, earlier, (kind,)), days)
        frames = [pq.read_table(_partition(store, kind, earlier) / FILES[kind]).to_pandas() for earlier in days]
    return [f for f in frames if not f.empty]


def read_message_history(store: Path, day: dt.date, campaigns: pd.DataFrame, rulepack: Rulepack, *,
                         read: list[dict] | None = None) -> pd.DataFrame:
    """The earlier days' messages CONTACT_ROLLING_7D counts (MESSAGE_HISTORY_COLUMNS): those of
    the `sms.contact_window_days` - 1 days before `day`, purposes as of today's `campaigns` (as
    the calls' history), each day's messages checked against its record first (StoreError on a
    mismatch); a day stored before the store kept texts has none. The days read are appended to
    `read` ({date, path, rows, sha256}) when given. Read as Arrow (the coded columns as
    dictionaries) and compacted by messages.inputs.compact_message_history."""
    window = rulepack.sms.contact_window_days
    days = [day - dt.timedelta(days=n) for n in range(window - 1, 0, -1)]
    with reading(store):
        checked = [entry for entry in in_threads(lambda earlier: _check_day(store, earlier, MESSAGE_KINDS), days)
                   if entry is not None]
        tables = [((day - dt.date.fromisoformat(entry["date"])).days,
                   pq.read_table(entry["path"], columns=list(STORED_HISTORY_COLUMNS),
                                 read_dictionary=list(_CODED_TEXTS)))
                  for entry in checked]
    if read is not None:
        read.extend(checked)
    return compact_message_history(tables, campaigns)


def read_opt_outs_before(store: Path, day: dt.date) -> pd.DataFrame:
    """Every stored opt-out by text dated before `day` (OPT_OUT_COLUMNS; one small file per day,
    each checked against its day's record: StoreError on a mismatch)."""
    frames = _daily_files_before(store, "opt_outs", day)
    return pd.concat(frames, ignore_index=True) if frames else no_opt_outs()


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype="str") for c in columns})
    if "start_utc" in frame:
        frame["start_utc"] = pd.Series([], dtype="datetime64[ns, UTC]")
    return frame


TEXTS_TO_COLUMNS = ("customer_e164", "agency_id", "message_id", "sent_utc")


def read_texts_to(store: Path, days: list[dt.date], numbers: list[str]) -> pd.DataFrame:
    """The texts sent (MT) to these E.164 `numbers` on the stored `days` (TEXTS_TO_COLUMNS), for
    the complaints received from them (signals.md §1): only these columns are read, each day's
    messages checked against its record first (StoreError on a mismatch); a day not stored, or
    stored before the store kept texts, has none."""
    wanted = sorted(set(numbers))
    frames = []
    if wanted:
        with reading(store):
            checked = [entry for entry in in_threads(lambda day: _check_day(store, day, ("messages",)), days)
                       if entry is not None]
            for entry in checked:
                table = pq.read_table(entry["path"], columns=[*TEXTS_TO_COLUMNS, "direction_code"],
                                      filters=[("direction_code", "=", "MT"), ("customer_e164", "in", wanted)])
                if table.num_rows:
                    frames.append(table.select(list(TEXTS_TO_COLUMNS)).to_pandas())
    if not frames:
        return pd.DataFrame({"customer_e164": pd.Series([], dtype=object), "agency_id": pd.Series([], dtype=object),
                             "message_id": pd.Series([], dtype=object),
                             "sent_utc": pd.Series([], dtype="datetime64[ns, UTC]")})
    return pd.concat(frames, ignore_index=True)
