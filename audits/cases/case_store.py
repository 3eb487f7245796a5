"""The cases' part of the store: per audited day, the day's case counts and the case snapshot
built from them, beside the day's calls partition:

    <store>/cases/call_date=YYYY-MM-DD/counts.parquet     one row per case with findings (COUNT_COLUMNS)
    <store>/cases/call_date=YYYY-MM-DD/snapshot.parquet   every case as of the day (SNAPSHOT_COLUMNS)
    <store>/cases/call_date=YYYY-MM-DD/decisions.parquet  the day's decided cases (decisions.DECIDED_COLUMNS),
                                                          for the command line; not part of the chain (decisions
                                                          do not change the lifecycle), kept when the day is rebuilt
    <store>/cases/call_date=YYYY-MM-DD/chain.json         the record: what the snapshot was built from, its
                                                          digest, the run that wrote it, and the rows and sha256
                                                          of each file (audits.store.replace_folder)
    <store>/cases/.pending/call_date=YYYY-MM-DD/          the same, written by a run whose report is not yet
                                                          published: not part of the chain until it is

A day's folder is written aside and renamed into place, so its files change together; each
file is checked against the record when it is read (StoreError naming it otherwise). A run
writes its day pending and moves it into place once its report is published (commit_case_day),
so a run that fails before publishing leaves no case state of its day in the chain.

The chain digest of day D covers D's counts, the previous audited day and that day's digest,
and resolve_after_days: a snapshot whose recorded predecessor no longer matches was built
from an earlier day that has since been rerun (or audited for the first time).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from audits import atomic
from audits import store as stored
from audits.cases.lifecycle import COUNT_COLUMNS, SNAPSHOT_COLUMNS, empty_counts, empty_snapshot

FOLDER = "cases"
PENDING = ".pending"
CHAIN = "chain.json"
COUNTS = "counts.parquet"
SNAPSHOT = "snapshot.parquet"
DECISIONS = "decisions.parquet"


@dataclass(frozen=True)
class ChainLink:
    """What a day's snapshot was built from."""

    day: str
    previous_day: str            # the latest audited day before it ("" for the first)
    previous_digest: str         # that day's digest ("" for the first)
    counts_sha256: str
    resolve_after_days: int
    not_assessed: tuple[str, ...] = ()    # agencies whose CDR file was missing or unreadable (sorted)

    @property
    def digest(self) -> str:
        fields = asdict(self)
        if not self.not_assessed:             # a link written before this was kept digests as it did
            del fields["not_assessed"]
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def day_folder(store: Path, day: dt.date) -> Path:
    return store / FOLDER / f"call_date={day.isoformat()}"


def pending_folder(store: Path, day: dt.date) -> Path:
    return store / FOLDER / PENDING / f"call_date={day.isoformat()}"


def case_days(store: Path) -> list[dt.date]:
    """Audited days whose cases the store holds, oldest first."""
    folder = store / FOLDER
    if not folder.is_dir():
        return []
    return sorted(dt.date.fromisoformat(p.name.split("=", 1)[1]) for p in folder.iterdir()
                  if p.name.startswith("call_date=") and (p / CHAIN).is_file())


def pending_days(store: Path) -> list[dt.date]:
    """Days whose case files wait for their report to be published, oldest first."""
    folder = store / FOLDER / PENDING
    if not folder.is_dir():
        return []
    return sorted(dt.date.fromisoformat(p.name.split("=", 1)[1]) for p in folder.iterdir()
                  if p.name.startswith("call_date="))


def _advice(day: dt.date) -> str:
    return stored.rerun_advice(day, "case history")


def _record(store: Path, day: dt.date) -> dict:
    return stored.read_record(day_folder(store, day) / CHAIN, advice=_advice(day))


def read_link(store: Path, day: dt.date) -> ChainLink:
    record = _record(store, day)
    values = {f.name: record[f.name] for f in fields(ChainLink) if f.name in record}
    try:
        return ChainLink(**{**values, "not_assessed": tuple(values.get("not_assessed", ()))})
    except TypeError:
        raise stored.StoreError(f"store file {day_folder(store, day) / CHAIN} does not match what the audit wrote: "
                                f"it lacks the chain's fields. {_advice(day)}") from None


def continued_snapshot(store: Path, day: dt.date) -> pd.DataFrame:
    """The snapshot of the day the chain goes on from, once every file of that day (counts,
    snapshot, decisions) is checked against its record (StoreError otherwise)."""
    stored.check_folder(day_folder(store, day), CHAIN, advice=_advice(day))
    return _read(day_folder(store, day) / SNAPSHOT, SNAPSHOT_COLUMNS, None)


def _checked(store: Path, day: dt.date, name: str, *, optional: bool = False) -> Path | None:
    """The day's file `name` once checked against the record; None when `optional` and the
    record lists none."""
    record = _record(store, day)
    if optional and name not in record["files"]:
        return None
    path = day_folder(store, day) / name
    return stored.check_file(path, record["files"].get(name), record=path.with_name(CHAIN), advice=_advice(day))


def read_counts(store: Path, day: dt.date, case_id: str | None = None) -> pd.DataFrame:
    return _read(_checked(store, day, COUNTS), COUNT_COLUMNS, case_id) if day else empty_counts()


def read_snapshot(store: Path, day: dt.date | None, case_id: str | None = None) -> pd.DataFrame:
    if day is None:
        return empty_snapshot()
    return _read(_checked(store, day, SNAPSHOT), SNAPSHOT_COLUMNS, case_id)


def counts_sha256(counts: pd.DataFrame) -> str:
    """A digest of the day's case counts that does not depend on their row order."""
    frame = counts[list(COUNT_COLUMNS)].sort_values("case_id", kind="stable")
    return hashlib.sha256(frame.to_csv(index=False, lineterminator="\n").encode("utf-8")).hexdigest()


def write_case_day(store: Path, link: ChainLink, counts: pd.DataFrame, snapshot: pd.DataFrame,
                   decided: pd.DataFrame | None = None, *, run_id: str = "", pending: bool = False) -> None:
    """Replace the day's case folder (`pending`: the one waiting for the day's report) with
    these files; without `decided`, the decisions the day was audited with are kept."""
    day = dt.date.fromisoformat(link.day)
    writers = {COUNTS: _parquet(counts[list(COUNT_COLUMNS)]), SNAPSHOT: _parquet(snapshot[list(SNAPSHOT_COLUMNS)])}
    if decided is not None:
        writers[DECISIONS] = _parquet(decided.astype(object))
    elif (day_folder(store, day) / CHAIN).is_file():            # a rebuilt day keeps the decisions it was audited with
        kept = _checked(store, day, DECISIONS, optional=True)
        if kept is not None:
            writers[DECISIONS] = lambda path: shutil.copyfile(kept, path)
    folder = pending_folder(store, day) if pending else day_folder(store, day)
    stored.replace_folder(folder, writers, CHAIN, {**asdict(link), "run_id": run_id})


def _parquet(frame: pd.DataFrame):
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    return lambda path: pq.write_table(table, path, compression="zstd")


def pending_run(store: Path, day: dt.date) -> str | None:
    """The run that wrote the day's pending case files (None when there are none, or unreadable)."""
    record = stored.cached_record(pending_folder(store, day) / CHAIN)
    return None if record is None else str(record.get("run_id", ""))


def commit_case_day(store: Path, day: dt.date, run_id: str) -> bool:
    """Move the day's pending case files written by `run_id` into the chain (its report is
    published); False when there are none of that run. The caller holds the store's lock."""
    if pending_run(store, day) != run_id:
        return False
    atomic.replace_folder(pending_folder(store, day), day_folder(store, day))
    return True


def read_decisions(store: Path, day: dt.date, case_id: str | None = None) -> pd.DataFrame | None:
    """The decided cases the day was audited with (one case's with `case_id`); None when the
    store holds none for the day (audited before decisions were read)."""
    path = _checked(store, day, DECISIONS, optional=True)
    if path is None:
        return None
    filters = [("case_id", "=", case_id)] if case_id is not None else None
    frame = pq.read_table(path, filters=filters).to_pandas()
    return frame.astype(object)


def _read(path: Path, columns: tuple[str, ...], case_id: str | None) -> pd.DataFrame:
    filters = [("case_id", "=", case_id)] if case_id is not None else None
    frame = pq.read_table(path, filters=filters).to_pandas()
    frame = frame.astype({c: object for c in frame.columns if not pd.api.types.is_integer_dtype(frame[c])})
    return frame[list(columns)]
