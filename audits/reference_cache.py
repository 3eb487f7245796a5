"""Reference tables kept typed and validated in the store, so that a night whose reference
files did not change, or only grew, does not read, type and validate millions of rows again.

    <store>/reference/<table>/<file sha256>-<key>/accepted.parquet    the rows the full read accepts
    <store>/reference/<table>/<file sha256>-<key>/quarantine.parquet  its quarantine rows (audit_date blank)
    <store>/reference/<table>/<file sha256>-<key>/dq_result.json      its data-quality result
    <store>/reference/<table>/<file sha256>-<key>/entry.json          the record, written last

An entry is what a full read of that landing file gives: accepted rows, quarantine rows and
reasons, the file's record (rows read, accepted, quarantined) and the DQ result. Its record
also says how the file was read (length, encoding, records, whether it ends between records).

`key` is a digest of everything besides the file's bytes that typing and validation depend on:
the code (every audits/ module and expectation suite), the library versions, the time-zone
database, the rulepack (its sha256, bank zone and region), the size cap, the table and the
file's path in the landing zone. Nothing in an entry depends on the audit date: "in force on
day D" (effective dating) is decided by the stages that read the tables, never here, and the
quarantine rows are stamped with the audit date when they are read.

A run looks the file up (load_reference_cached):
1. an entry for the file's sha256 and key: its rows are used as they are;
2. else an entry of the same key whose file is the first bytes of this one (the table only
   grew by rows appended at its end: same header, encoding and format): only the appended
   bytes are read (below the header line), numbered after the earlier rows, typed and
   validated, and added to the entry's rows. Only plain CSV files whose suites judge each row
   on its own (caller_numbers, assignments, consents: no duplicate-key check across rows), and
   only when the earlier file ended between records (no quote left open);
3. else the file is read whole, as without a store.
Either way a new entry is written for the file and the table's older entries beyond the two
newest are removed. The result is the full read's, row for row and reason for reason.

The entries are a cache: an entry whose files do not match its record (changed, truncated,
half-deleted) is not used and the table is read from the landing zone instead, never an error
(the landing file is the source of truth and is always at hand). Entries are read under the
store's shared lock and written under its exclusive lock, like every store file. The
manifest records the landing files' sha256 as before (computed from the bytes read here).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
import shutil
import sys
import zoneinfo
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

import pandas as pd

from audits import loaders, locks, store
from audits.config import DEFAULT_MAX_FILE_BYTES, Rulepack
from audits.ingest import FileRecord, Ingested, judge_reference_table, load_reference_table
from audits.manifest import open_regular
from audits.models import QUARANTINE_COLUMNS
from audits.validation import EXPECTATIONS_DIR, merge_results
from audits.values import _ZONES
from audits.workdir import _SET_COLUMNS

FOLDER = "reference"
RECORD = "entry.json"
KEPT_ENTRIES = 2                       # per table: this night's file and the one before
GROWABLE_TABLES = ("caller_numbers", "assignments", "consents")   # suites judge each row alone
_GROWABLE_ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")
_MALFORMED = "DQ_MALFORMED_ROW"
_LIBRARIES = ("pandas", "pyarrow", "numpy", "great_expectations", "phonenumbers", "tzdata")
# One CSV record as Arrow reads it: a field opening with a quote runs to its closing quote
# ("" is a quote inside it, newlines included), then to the next comma or line end.
_FIELD = rb'(?:"(?:[^"]++|"")*+"[^,\r\n]*+|[^",\r\n][^,\r\n]*+)?'
_RECORDS = re.compile(rb"(?:" + _FIELD + rb"(?:," + _FIELD + rb")*+(?:\r\n|\n|\r))*+")


def load_reference_cached(store_root: Path, landing: Path, table: str, path: Path, *, audit_date: dt.date,
                          rulepack: Rulepack, max_bytes: int = DEFAULT_MAX_FILE_BYTES,
                          run_id: str = "", wait_seconds: float = store.LOCK_WAIT_SECONDS) -> Ingested:
    """load_reference_table's result for one reference table, taken from the store when it
    holds the file (or an earlier, shorter version of it) read; see the module's docstring."""
    source = path.relative_to(landing).as_posix()
    key = reading_key(table, source, rulepack, max_bytes)
    try:
        data = _file_bytes(path, max_bytes)
    except OSError:
        data = None
    if data is None:                   # a link, a folder, too large: the full read says why
        return load_reference_table(landing, table, path, audit_date=audit_date, rulepack=rulepack,
                                    max_bytes=max_bytes)
    folder = store_root / FOLDER / table
    sha256, earlier = _sha256_and_earlier(data, folder, key)
    cached, grown = _looked_up(store_root, folder / _entry_name(sha256, key),
                               None if earlier is None else folder / earlier["name"],
                               run_id=run_id, wait_seconds=wait_seconds)
    if cached is not None:
        return _stamped(cached, audit_date)
    raw = _raw_from(grown, data, path, table) if grown is not None else None
    if raw is not None:
        tail = judge_reference_table(source, table, raw, sha256, audit_date=audit_date, rulepack=rulepack)
        ingested = _grown(_stamped(grown, audit_date), tail)
        earlier_shape = grown[2]
        shape = {"bytes": len(data), "encoding": earlier_shape["encoding"], "growable": True,
                 "records": earlier_shape["records"] + raw.rows_read,
                 "clean_end": _ends_between_records(data[earlier_shape["bytes"]:])}
    else:
        shape = _shape(table, path, data)
        del data, grown                # the full read reads the file again: hold one copy only
        ingested = load_reference_table(landing, table, path, audit_date=audit_date, rulepack=rulepack,
                                        max_bytes=max_bytes)
        shape["records"] = ingested.files[0].rows_read
    if ingested.files[0].sha256 != sha256:     # the file changed while it was read: keep nothing
        return ingested
    _write_entry(store_root, folder, _entry_name(sha256, key), ingested,
                 {**shape, "key": key, "table": table, "source": source, "sha256": sha256},
                 run_id=run_id, wait_seconds=wait_seconds)
    return ingested


@functools.cache
def _code_fingerprint() -> str:
    """sha256 of what reads, types and validates a table: the audits modules, the suites, the
    library versions and the time-zone database's zones (paths relative to the checkout, so that a
    checkout moved elsewhere keeps its store's tables)."""
    digest = hashlib.sha256(sys.version.encode())
    package = Path(__file__).resolve().parent
    for file in sorted([*package.rglob("*.py"), *EXPECTATIONS_DIR.glob("*.json")]):
        digest.update(file.relative_to(package.parent).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    for library in _LIBRARIES:
        try:
            digest.update(f"{library}={metadata.version(library)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library}=-\0".encode())
    digest.update("\0".join(sorted(_ZONES)).encode())
    return digest.hexdigest()


def reading_key(table: str, source: str, rulepack: Rulepack, max_bytes: int) -> str:
    """The digest an entry is filed under, besides its file's sha256 (see the module docstring)."""
    parts = [_code_fingerprint(), table, source, str(max_bytes), rulepack.sha256, rulepack.bank_timezone,
             rulepack.default_region, _zone_file_digest(rulepack.bank_timezone)]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def _zone_file_digest(zone: str) -> str:
    """sha256 of the zone's tz database file (its offsets type timestamps), '' when not found."""
    for directory in zoneinfo.TZPATH:
        candidate = Path(directory) / zone
        if candidate.is_file():
            return hashlib.sha256(candidate.read_bytes()).hexdigest()
    return ""


def _entry_name(sha256: str, key: str) -> str:
    return f"{sha256}-{key}"


def _file_bytes(path: Path, max_bytes: int) -> bytes | None:
    """The file's bytes, None when larger than max_bytes (not a link: open_regular)."""
    with open_regular(path, follow_links=False) as handle:
        data = handle.read(max_bytes + 1)
    return None if len(data) > max_bytes else data


def _sha256_and_earlier(data: bytes, folder: Path, key: str) -> tuple[str, dict | None]:
    """The file's sha256, and the longest growable entry of `key` whose file is a strict
    prefix of `data` ({"name", "bytes"}), hashed in one pass over the bytes."""
    candidates = sorted((entry for entry in _growable_entries(folder, key) if entry["bytes"] < len(data)),
                        key=lambda entry: entry["bytes"])
    digest, done, found = hashlib.sha256(), 0, None
    view = memoryview(data)
    for entry in candidates:
        digest.update(view[done:entry["bytes"]])
        done = entry["bytes"]
        if digest.copy().hexdigest() == entry["sha256"]:
            found = entry
    digest.update(view[done:])
    return digest.hexdigest(), found


def _growable_entries(folder: Path, key: str) -> list[dict]:
    """{"name", "bytes", "sha256"} of the entries of `key` that a longer file may grow from."""
    found = []
    for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
        record = store.cached_record(entry / RECORD) if not entry.name.startswith(".") else None
        if record and record.get("key") == key and record.get("growable"):
            found.append({"name": entry.name, "bytes": record["bytes"], "sha256": record["sha256"]})
    return found


def _looked_up(store_root: Path, exact: Path, earlier: Path | None, *, run_id: str, wait_seconds: float):
    """The entry of the file itself, else that of its earlier version (`earlier`), read under
    the store's shared lock; (None, None) when the lock is not had in time (read whole)."""
    try:
        with store.reading(store_root, run_id=run_id, wait_seconds=wait_seconds):
            cached = _read_entry(exact)
            return cached, (_read_entry(earlier) if cached is None and earlier is not None else None)
    except locks.LockTimeout:
        return None, None


def _read_entry(entry: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict] | None:
    """An entry's accepted rows, quarantine rows and record; None when absent or when a file
    does not match the record (a cache: the table is then read from the landing zone)."""
    record = store.folder_matches(entry, RECORD)
    if record is None:
        return None
    # the DQ result in a file of its own: its keys in GX's order, as the reports write them
    record["dq_result"] = json.loads((entry / "dq_result.json").read_text(encoding="utf-8"))
    return _read_frame(entry / "accepted.parquet"), _read_frame(entry / "quarantine.parquet"), record


def _stamped(entry: tuple[pd.DataFrame, pd.DataFrame, dict], audit_date: dt.date) -> Ingested:
    """An entry as load_reference_table returns it for `audit_date`."""
    accepted, quarantine, record = entry
    quarantine = quarantine.assign(audit_date=audit_date.isoformat())[list(QUARANTINE_COLUMNS)]
    return Ingested(accepted=accepted, quarantine=quarantine, files=[FileRecord(**record["file"])],
                    dq_results={record["table"]: record["dq_result"]})


def _raw_from(entry: tuple[pd.DataFrame, pd.DataFrame, dict], data: bytes, path: Path, table: str):
    """The rows appended after the entry's file, read as read_table reads a file (header line
    first) and numbered after the entry's rows; None when they cannot be read so (the file
    is then read whole, which says what is wrong)."""
    shape = entry[2]
    header = data[:data.find(b"\n") + 1]
    tail = data[shape["bytes"]:]
    if not _ends_between_records(header):
        return None
    try:
        if shape["encoding"] == "gb18030":
            header, tail = header.decode("gb18030").encode(), tail.decode("gb18030").encode()
        else:
            tail.decode("utf-8")
            header = header[3:] if shape["encoding"] == "utf-8-sig" else header
        frame, malformed = loaders._parse_csv_with_header(header + tail, path)
        known = set(loaders.TABLE_COLUMNS[table][0] + loaders.TABLE_COLUMNS[table][1])
        delivered = tuple(c if c in known else loaders.EXTRA + c for c in frame.columns
                          if c not in (loaders.ROW, loaders.FORMULA_WITHOUT_VALUE))
        frame = loaders._normalise_columns(frame, path, table, malformed)
    except (UnicodeDecodeError, loaders.FileUnreadable):
        return None
    frame[loaders.ROW] += shape["records"]
    malformed = [(number + shape["records"], text) for number, text in malformed]
    return loaders.RawTable(path=path, frame=frame, malformed=malformed, encoding=shape["encoding"],
                            delivered=delivered)


def _grown(earlier: Ingested, tail: Ingested) -> Ingested:
    """The full read's result from an earlier entry's and the appended rows': rows in file
    order; quarantine rows judged by the suite first, malformed lines last, as a full read
    lists them."""
    lines = [frame["reasons"].eq(_MALFORMED).to_numpy(bool) for frame in (earlier.quarantine, tail.quarantine)]
    before, added = earlier.files[0], tail.files[0]
    # A column's type may depend on its values (dates all blank: a coarser unit), so the parts
    # that had rows to type are concatenated even when none of their rows is kept: their
    # common type is the one the full read gives the whole column.
    typed = [before.rows_read > int(lines[0].sum()), added.rows_read > int(lines[1].sum())]
    accepted = _concat([earlier.accepted, tail.accepted], typed)
    quarantine = _concat([earlier.quarantine[~lines[0]], tail.quarantine[~lines[1]],
                          earlier.quarantine[lines[0]], tail.quarantine[lines[1]]], None)
    record = FileRecord(path=before.path, sha256=added.sha256, table=before.table, message=before.message,
                        rows_read=before.rows_read + added.rows_read,
                        rows_accepted=before.rows_accepted + added.rows_accepted,
                        rows_quarantined=before.rows_quarantined + added.rows_quarantined)
    results = [document for part in (earlier, tail) for document in part.dq_results.values()
               if document.get("results")]
    table = before.table
    result = merge_results(results) if results else earlier.dq_results[table]
    return Ingested(accepted=accepted, quarantine=quarantine, files=[record], dq_results={table: result})


def _concat(frames: list[pd.DataFrame], typed: list[bool] | None) -> pd.DataFrame:
    """Frames of the same columns one after the other, index 0..n-1: those cut from a typed
    frame (`typed`; None: those with rows), or the first when none is."""
    typed = [len(frame) > 0 for frame in frames] if typed is None else typed
    kept = [frame for frame, was_typed in zip(frames, typed) if was_typed] or frames[:1]
    return kept[0].reset_index(drop=True) if len(kept) == 1 else pd.concat(kept, ignore_index=True)


def _shape(table: str, path: Path, data: bytes) -> dict:
    """How the file is read, as far as a longer version of it may be read from its end (its
    records are counted by the read)."""
    encoding = _encoding(data)
    growable = (table in GROWABLE_TABLES and path.name.lower().endswith(".csv")
                and encoding in _GROWABLE_ENCODINGS and data.endswith(b"\n") and _ends_between_records(data))
    return {"bytes": len(data), "encoding": encoding, "growable": growable, "clean_end": growable}


def _encoding(data: bytes) -> str:
    """The encoding read_table decodes a CSV file's bytes with (see loaders._decode)."""
    try:
        data.decode("utf-8")
        return "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _ends_between_records(data: bytes) -> bool:
    """Whether CSV bytes end with a line end outside any quoted field."""
    if not data.endswith((b"\n", b"\r")):
        return False
    return b'"' not in data or _RECORDS.fullmatch(data) is not None


def _write_entry(store_root: Path, folder: Path, name: str, ingested: Ingested, shape: dict, *,
                 run_id: str, wait_seconds: float) -> None:
    """Write the entry (under the store's lock) and remove the table's older entries beyond
    KEPT_ENTRIES and any left half-written. A store that cannot be written only costs the
    next run a full read."""
    shape = {**shape, "growable": bool(shape.get("growable") and shape.get("clean_end"))}
    document = {**shape, "file": asdict(ingested.files[0])}
    result = json.dumps(next(iter(ingested.dq_results.values())))
    quarantine = ingested.quarantine.assign(audit_date="")
    try:
        with store.writing(store_root, run_id=run_id, wait_seconds=wait_seconds):
            store.replace_folder(folder / name, {"accepted.parquet": lambda p: _write_frame(p, ingested.accepted),
                                                 "quarantine.parquet": lambda p: _write_frame(p, quarantine),
                                                 "dq_result.json": lambda p: p.write_text(result, encoding="utf-8")},
                                 RECORD, document)
            _prune(folder, keep=name)
    except (OSError, locks.LockTimeout):
        pass


def _prune(folder: Path, *, keep: str) -> None:
    """Remove entries beyond the KEPT_ENTRIES newest (`keep` among them) and staging leftovers."""
    entries = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != keep]
    entries.sort(key=lambda p: (p / RECORD).stat().st_mtime if (p / RECORD).is_file() else 0.0, reverse=True)
    for stale in entries[KEPT_ENTRIES - 1:] + [p for p in folder.iterdir() if p.name.startswith(".")]:
        shutil.rmtree(stale, ignore_errors=True)


def _write_frame(path: Path, frame: pd.DataFrame) -> None:
    """A frame as Parquet, its set columns as sorted lists (as the work files keep them)."""
    out = frame.copy(deep=False)
    for column in _SET_COLUMNS:
        if column in out:
            out[column] = out[column].map(sorted)
    out.to_parquet(path, index=False, compression="lz4")


def _read_frame(path: Path) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    for column in _SET_COLUMNS:
        if column in frame:
            frame[column] = frame[column].map(lambda items: frozenset(items) if items is not None else frozenset())
    return frame

