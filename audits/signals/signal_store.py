"""The signals' part of the store, beside the calls partitions it is derived from:

    <store>/signals/numbers/call_date=D/   keys.npy, calls.npy, attempts.npy, index.json
        the day's (number, agency) index (numbers.py), built from calls/call_date=D; index.json
        records the calls partition's sha256 and the attempt dispositions it was built with, so
        a day rerun or ingested again is rebuilt, never read stale
    <store>/signals/reach/call_date=D/     reach.parquet, reach.json
        the rolling state as of D (reach.py, day_numbers.py: what each agency attempted over the
        days both signals need); reach.json records the calls partition sha256 of every day of
        its window, so a state built before a rerun of one of them is not used
    <store>/signals/findings/call_date=D/  findings.parquet, findings.json
        the day's findings by callee_key (agency, case, findings), for linking later complaints
        to cases; findings.json records the HMAC key's fingerprint
    <store>/signals/complaints/day=D/      complaints.parquet, complaints.json
        the complaints received on D as linked (no phone number, no text): the rate's
        numerator, escalation, and complaint ids unique across days

Each day's folder is written aside with its record (the .json: what it was built from, and the
rows and sha256 of each file) and renamed into place (audits.store.replace_folder); each file is
checked against the record when read. Callers hold the store's lock (audits.store.writing).
Indexes and states are caches of the calls partitions: one that does not match its record is
rebuilt from the partitions, those older than the windows need are pruned (and rebuilt if a
rerun of an old day needs them again). Findings and complaints that do not match stop the run.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from audits import store
from audits.phones import e164_integers
from audits.signals.numbers import DayNumbers, agency_codes, day_numbers, distinct_agencies
from audits.signals.reach import Reach

FOLDER = "signals"
COMPLAINT_RECORD_COLUMNS = ("complaint_id", "channel", "category", "status", "linked_agencies", "linked_case_ids")
FINDING_COLUMNS = ("callee_key", "agency_id", "case_id", "findings")
FINDING_SCHEMA = pa.schema([("callee_key", pa.string()), ("agency_id", pa.string()), ("case_id", pa.string()),
                            ("findings", pa.int64())])


def _folder(root: Path, kind: str, day: dt.date) -> Path:
    prefix = "day" if kind == "complaints" else "call_date"
    return root / FOLDER / kind / f"{prefix}={day.isoformat()}"


def _days_of(root: Path, kind: str) -> list[dt.date]:
    folder = root / FOLDER / kind
    if not folder.is_dir():
        return []
    return sorted(dt.date.fromisoformat(p.name.split("=", 1)[1]) for p in folder.iterdir()
                  if "=" in p.name and not p.name.startswith("."))


def calls_digest(root: Path, day: dt.date) -> str | None:
    """The sha256 of day D's calls partition as the store recorded it (None: not stored)."""
    record = store.day_record(root, day)
    try:
        return str(record["calls"]["sha256"]) if isinstance(record, dict) else None
    except (KeyError, TypeError):
        return None


# --- the day's number index ---------------------------------------------------------------

def day_index(root: Path, day: dt.date, *, attempt_dispositions: frozenset[str], checked: bool = False,
              built: DayNumbers | None = None) -> DayNumbers:
    """Day D's number index: the stored one when it was built from the calls partition as it
    is now, else built from that partition (checked against its record first, unless `checked`)
    and stored. `built`: the index of the calls this run wrote to D's partition (the publish
    stage has them in memory: the partition is not read again), stored when none is current.
    A day the store does not hold called nobody."""
    digest = calls_digest(root, day)
    if digest is None:
        return DayNumbers.empty()
    folder = _folder(root, "numbers", day)
    record = store.folder_matches(folder, "index.json")           # altered or torn: rebuilt
    if record and record.get("calls_sha256") == digest and record.get("attempt_dispositions") == sorted(
            attempt_dispositions):
        return DayNumbers(keys=np.load(folder / "keys.npy", mmap_mode="r"),
                          calls=np.load(folder / "calls.npy", mmap_mode="r"),
                          attempts=np.load(folder / "attempts.npy", mmap_mode="r"),
                          agencies=tuple(record["agencies"]))
    if built is not None:
        index = built
    else:
        if not checked:
            store.check_days(root, [day])            # StoreError when the partition was altered
        index = _index_of_partition(root, day, attempt_dispositions)
    store.replace_folder(folder, {
        "keys.npy": lambda path: np.save(path, index.keys), "calls.npy": lambda path: np.save(path, index.calls),
        "attempts.npy": lambda path: np.save(path, index.attempts)}, "index.json", {
        "date": day.isoformat(), "calls_sha256": digest, "rows": int(len(index.keys)),
        "attempt_dispositions": sorted(attempt_dispositions), "agencies": list(index.agencies)})
    return index


def _index_of_partition(root: Path, day: dt.date, attempt_dispositions: frozenset[str]) -> DayNumbers:
    path = root / "calls" / f"call_date={day.isoformat()}" / store.FILES["calls"]
    with pq.ParquetFile(path, read_dictionary=["agency_id", "disposition_code"]) as parquet:
        names = parquet.schema_arrow.names
        number_column = "callee_number" if "callee_number" in names else "callee_e164"   # stores before callee_number
        table = parquet.read(columns=[number_column, "agency_id", "disposition_code"])
    if number_column == "callee_number":
        numbers = table.column("callee_number").to_numpy().astype(np.int64)
    else:
        numbers = e164_integers(table.column("callee_e164").to_pandas())
    agencies = distinct_agencies(table.column("agency_id"))
    codes = agency_codes(table.column("agency_id"), agencies)
    attempt = np.concatenate([_attempt_flags(chunk, attempt_dispositions)
                              for chunk in table.column("disposition_code").chunks]) if table.num_rows else \
        np.zeros(0, dtype=bool)
    return day_numbers(numbers, codes, attempt, agencies)


def _attempt_flags(chunk: pa.Array, attempt_dispositions: frozenset[str]) -> np.ndarray:
    if pa.types.is_dictionary(chunk.type):
        lookup = np.array([value in attempt_dispositions for value in chunk.dictionary.to_pylist()], dtype=bool)
        return lookup[chunk.indices.to_numpy(zero_copy_only=False)] if len(lookup) else np.zeros(len(chunk), bool)
    return np.isin(np.asarray(chunk.to_pylist(), dtype=object), list(attempt_dispositions))


# --- the rolling reach ---------------------------------------------------------------------

def read_reach(root: Path, day: dt.date) -> tuple[Reach, dict] | None:
    """The stored reach of day D and its record (None when absent, or not as written: the state
    is then rebuilt from the days' indexes)."""
    folder = _folder(root, "reach", day)
    record = store.folder_matches(folder, "reach.json")
    if record is None:
        return None
    try:
        table = pq.read_table(folder / "reach.parquet")
    except (OSError, pa.ArrowException):
        return None
    return Reach(keys=table.column("key").to_numpy().astype(np.int64, copy=False),
                 last_day=table.column("last_day").to_numpy().astype(np.int32, copy=False),
                 agencies=tuple(record.get("agencies", ()))), record


def write_reach(root: Path, day: dt.date, state: Reach, record: dict) -> None:
    table = pa.table({"key": pa.array(state.keys, pa.int64()), "last_day": pa.array(state.last_day, pa.int32())})
    store.replace_folder(_folder(root, "reach", day), {
        # Sorted keys and days a month apart delta-encode to a few bytes each, smaller than LZ4 on top
        # gives and faster both ways.
        "reach.parquet": lambda path: pq.write_table(table, path, compression="none", use_dictionary=False,
                                                     column_encoding={"key": "DELTA_BINARY_PACKED",
                                                                      "last_day": "DELTA_BINARY_PACKED"})},
        "reach.json", {**record, "date": day.isoformat(), "agencies": list(state.agencies),
                       "rows": int(len(state.keys))})


def reach_days(root: Path) -> list[dt.date]:
    return _days_of(root, "reach")


# --- findings by number ----------------------------------------------------------------------

def _advice(day: dt.date) -> str:
    return store.rerun_advice(day, "signals")


def _checked_file(root: Path, kind: str, day: dt.date, name: str, record: str) -> tuple[Path, dict] | None:
    """The day's file of `kind` and its folder's record, the file checked against it (StoreError
    otherwise); None when the store holds no folder of that day."""
    folder = _folder(root, kind, day)
    if not folder.is_dir():
        return None
    document = store.read_record(folder / record, advice=_advice(day))
    path = store.check_file(folder / name, document["files"].get(name), record=folder / record, advice=_advice(day))
    return path, document


def write_findings(root: Path, day: dt.date, findings: pd.DataFrame, *, key_fingerprint: str) -> None:
    """Day D's findings per (callee_key, agency, case) with their count."""
    table = pa.Table.from_pandas(findings[list(FINDING_COLUMNS)].reset_index(drop=True), preserve_index=False,
                                 schema=FINDING_SCHEMA)          # typed even when empty: the look-up filters on it
    store.replace_folder(_folder(root, "findings", day), {
        "findings.parquet": lambda path: pq.write_table(table, path, compression="zstd")}, "findings.json",
        {"date": day.isoformat(), "key_fingerprint": key_fingerprint, "rows": int(len(findings))})


def read_findings(root: Path, days: list[dt.date], callee_keys: list[str], *, key_fingerprint: str) -> pd.DataFrame:
    """The stored findings of these days on calls to these callee_keys, with `call_date`, each
    day's file checked against its record. A day stored with another HMAC key is left out (its
    keys cannot match)."""
    frames = []
    for day in days:
        found = _checked_file(root, "findings", day, "findings.parquet", "findings.json")
        if found is None or found[1].get("key_fingerprint") != key_fingerprint or not callee_keys:
            continue
        table = pq.read_table(found[0], filters=[("callee_key", "in", callee_keys)])
        frames.append(table.to_pandas().assign(call_date=day.isoformat()))
    if not frames:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in (*FINDING_COLUMNS, "call_date")}).astype(
            {"findings": "int64"})
    return pd.concat(frames, ignore_index=True)


# --- the days' complaints --------------------------------------------------------------------

def write_complaints(root: Path, day: dt.date, records: pd.DataFrame) -> None:
    table = pa.Table.from_pandas(records[list(COMPLAINT_RECORD_COLUMNS)].reset_index(drop=True).astype(str),
                                 preserve_index=False,
                                 schema=pa.schema([(c, pa.string()) for c in COMPLAINT_RECORD_COLUMNS]))
    store.replace_folder(_folder(root, "complaints", day), {
        "complaints.parquet": lambda path: pq.write_table(table, path, compression="zstd")}, "complaints.json",
        {"date": day.isoformat(), "rows": table.num_rows})


def _complaints_file(root: Path, day: dt.date) -> Path | None:
    found = _checked_file(root, "complaints", day, "complaints.parquet", "complaints.json")
    return None if found is None else found[0]


def read_complaints(root: Path, days: list[dt.date]) -> pd.DataFrame:
    """The stored complaints of these days (those stored, each checked), with `day`."""
    frames = []
    for day in days:
        path = _complaints_file(root, day)
        if path is not None:
            frames.append(pq.read_table(path).to_pandas().assign(day=day.isoformat()))
    if not frames:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in (*COMPLAINT_RECORD_COLUMNS, "day")})
    return pd.concat(frames, ignore_index=True).astype(object)


def complaint_ids_before(root: Path, day: dt.date) -> np.ndarray:
    """Every complaint id stored for a day before D (ids are unique across days)."""
    paths = [_complaints_file(root, earlier) for earlier in _days_of(root, "complaints") if earlier < day]
    ids = [pq.read_table(path, columns=["complaint_id"]).column("complaint_id").to_numpy(zero_copy_only=False)
           for path in paths if path is not None]
    return np.concatenate(ids).astype(object) if ids else np.zeros(0, dtype=object)


# --- retention --------------------------------------------------------------------------------

def prune(root: Path, day: dt.date, *, keep_days: int) -> None:
    """Remove number indexes and reach states dated more than `keep_days` days before D: later
    nights do not read them, and a rerun of an old day rebuilds what it needs."""
    first = day - dt.timedelta(days=keep_days)
    for kind in ("numbers", "reach"):
        for earlier in _days_of(root, kind):
            if earlier < first:
                shutil.rmtree(_folder(root, kind, earlier), ignore_errors=True)
