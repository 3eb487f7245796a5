"""Intermediate results of one run, on disk, so that each stage can run as its own Airflow task
(possibly on another worker with the same shared storage) and tasks pass only paths and dates.

    <store>/.work/<YYYY-MM-DD>/<run id>/
        owner.json                                           who made it: run id, CLI or Airflow, host, pid
        reference/<table>.parquet, reference/ingested.json   typed reference rows, records, DQ
        agencies/<agency_id>.parquet|.aside.parquet|.stamp|.json   one agency's typed file (per-agency task)
        day/calls.parquet, day/quarantine.parquet, day/ingested.json
        history.json                                         the store partitions the rules read
        violations.parquet
    <store>/.work/<YYYY-MM-DD>/<run id>.lock                 held (shared) by every process working in it

Work files hold full numbers and notes, so they live in the store (which holds full numbers
anyway), never under <out>, and never outlive their run: the run removes them when it
publishes or fails, and the start of every run purges work directories that no live run
holds (see purge_orphans). A stage takes only what this attempt produced: the first stage
of an attempt clears what an earlier attempt with the same run id left (claim).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from audits import atomic, locks
from audits.config import AuditConfig, check_run_id
from audits.errors import PermanentError
from audits.ingest import FileRecord, Ingested, StagedFile
from audits.workers import in_threads

_SET_COLUMNS = ("purposes", "products")       # frozenset columns of contracts
WORK = ".work"
# A run under Airflow leaves its work directory between tasks (the sensor may wait hours), so
# an unheld one is an orphan only after a day without activity; a CLI run holds its lock for
# its whole life, so its unheld work directory is an orphan at once.
ORPHANED_AFTER_SECONDS = 24 * 3600


class WorkMissing(PermanentError, FileNotFoundError):
    """A stage's input is not in the run's work directory; the message says why and what to do."""


class WorkDir:
    def __init__(self, config: AuditConfig):
        self.config = config
        check_run_id(config.run_id)           # a run id names this folder: never "..", never a path
        self.root = config.store / WORK / config.audit_date.isoformat() / config.run_id
        self.lock_path = self.root.with_name(f"{config.run_id}.lock")

    @contextmanager
    def in_use(self) -> Iterator[None]:
        """Hold the work directory for the block (shared: every task of the run may), so that no
        other run's purge removes it, and mark the run as active now."""
        with locks.hold(self.lock_path, what=f"the work directory {self.root}", run_id=self.config.run_id,
                        exclusive=False, wait_seconds=self.config.lock_wait_seconds):
            try:
                os.utime(self.lock_path)
            except FileNotFoundError:         # removed by this run (it published) while held
                pass
            yield

    def claim(self) -> None:
        """Start this attempt afresh: whatever an earlier attempt with this run id left (killed,
        cleared, retried) is removed, so no stage can take it for this attempt's work."""
        shutil.rmtree(self.root, ignore_errors=True)
        self.save_json("owner", {"run_id": self.config.run_id, "orchestrated": self.config.orchestrated,
                                 "host": socket.gethostname(), "pid": os.getpid()})

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        self.lock_path.unlink(missing_ok=True)
        self.root.with_name(f"{self.config.run_id}.rebuild.lock").unlink(missing_ok=True)   # audits.restore's
        for parent in (self.root.parent, self.root.parent.parent):
            try:
                parent.rmdir()
            except OSError:
                break

    def has(self, name: str) -> bool:
        return (self.root / name).exists()

    def _missing(self, name: str) -> WorkMissing:
        return WorkMissing(
            f"{name} is not in the work directory {self.root} of run {self.config.run_id} for "
            f"{self.config.audit_date}: the stage that writes it did not run in this attempt, or the work was "
            "removed when the run published or failed. Run the whole day again (under Airflow: clear the run "
            "from check_reference), not a single stage.")

    # frames ---------------------------------------------------------------------------
    def save_frame(self, name: str, frame: pd.DataFrame) -> Path:
        path = self.root / f"{name}.parquet"
        out = frame.copy()
        for column in _SET_COLUMNS:
            if column in out:
                out[column] = out[column].map(sorted)
        with atomic.writing(path) as staging:        # work files: read back soon, lz4 ~2x faster than snappy
            out.to_parquet(staging, index=False, compression="lz4")
        return path

    def load_frame(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        """A saved frame, or only those of `columns` it has."""
        path = self.root / f"{name}.parquet"
        if not path.is_file():
            raise self._missing(f"{name}.parquet")
        if columns is not None:
            names = set(pq.read_schema(path).names)
            columns = [c for c in columns if c in names]
        frame = pd.read_parquet(path, columns=columns)
        for column in _SET_COLUMNS:
            if column in frame:
                frame[column] = frame[column].map(lambda items: frozenset(items) if items is not None else frozenset())
        return frame

    def save_json(self, name: str, document: object) -> None:
        path = self.root / f"{name}.json"
        # tasks of a run may write the same file: each its own temporary name
        atomic.write_text(path, json.dumps(document, ensure_ascii=False, default=str))

    def load_json(self, name: str) -> object:
        path = self.root / f"{name}.json"
        if not path.is_file():
            raise self._missing(f"{name}.json")
        return json.loads(path.read_text(encoding="utf-8"))

    # ingested tables ------------------------------------------------------------------
    def save_ingested(self, name: str, ingested: Ingested) -> None:
        self.save_frame(f"{name}/accepted", ingested.accepted)
        self.save_frame(f"{name}/quarantine", ingested.quarantine)
        self.save_json(f"{name}/ingested", {"files": [dataclasses.asdict(f) for f in ingested.files],
                                            "dq_results": ingested.dq_results})

    def load_ingested(self, name: str) -> Ingested:
        meta = self.load_json(f"{name}/ingested")
        return Ingested(accepted=self.load_frame(f"{name}/accepted"),
                        quarantine=self.load_frame(f"{name}/quarantine"),
                        files=[FileRecord(**f) for f in meta["files"]], dq_results=meta["dq_results"])

    # An agency's staged file of the day, by table: its CDR file under agencies/, its SMS file
    # under sms-agencies/.
    def save_staged(self, agency_id: str, staged: StagedFile, stamp: dict | None = None, *,
                    table: str = "cdr") -> None:
        """One agency's staged file; `stamp` identifies the input it was read from (written before
        the record, which marks the agency staged)."""
        folder = _STAGED[table]
        self.save_frame(f"{folder}/{agency_id}", staged.typed)
        self.save_frame(f"{folder}/{agency_id}.aside", staged.set_aside)
        if stamp is not None:
            self.save_json(f"{folder}/{agency_id}.stamp", stamp)
        self.save_json(f"{folder}/{agency_id}", {**dataclasses.asdict(staged.record),
                                                 "others": [dataclasses.asdict(o) for o in staged.others]})

    def staged_stamp(self, agency_id: str, *, table: str = "cdr") -> dict | None:
        path = self.root / _STAGED[table] / f"{agency_id}.stamp.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    def drop_staged(self, agency_id: str, *, table: str = "cdr") -> None:
        """Forget one agency's staged file (its record first: it marks the agency staged)."""
        folder = self.root / _STAGED[table]
        for name in (f"{agency_id}.json", f"{agency_id}.stamp.json", f"{agency_id}.parquet",
                     f"{agency_id}.aside.parquet"):
            (folder / name).unlink(missing_ok=True)

    def staged_agencies(self, *, table: str = "cdr") -> list[str]:
        folder = self.root / _STAGED[table]
        return sorted(p.stem for p in folder.glob("*.json") if not p.name.endswith(".stamp.json")) \
            if folder.is_dir() else []

    def load_staged(self, columns: list[str] | None = None,
                    reduce: Callable[[pd.DataFrame], pd.DataFrame] | None = None, *,
                    table: str = "cdr") -> list[StagedFile]:
        """Every staged agency file: typed frames with only `columns` (when given), each passed
        through `reduce` as soon as it is read."""
        reduce = reduce or (lambda frame: frame)
        folder = _STAGED[table]

        def load(agency_id: str) -> StagedFile:
            record = self.load_json(f"{folder}/{agency_id}")
            others = [FileRecord(**other) for other in record.pop("others", [])]
            return StagedFile(record=FileRecord(**record), others=others,
                              typed=reduce(self.load_frame(f"{folder}/{agency_id}", columns)),
                              set_aside=self.load_frame(f"{folder}/{agency_id}.aside"))

        return in_threads(load, self.staged_agencies(table=table))     # Parquet reads release the GIL

    def staged_rows(self, index: int, positions, *, table: str = "cdr") -> pd.DataFrame:
        """Every column of these rows (0-based positions) of the index-th staged agency file."""
        return self.load_frame(f"{_STAGED[table]}/{self.staged_agencies(table=table)[index]}").iloc[positions]


_STAGED = {"cdr": "agencies", "sms": "sms-agencies"}


def purge_orphans(store: Path) -> list[Path]:
    """Remove the work directories under <store>/.work that no live run holds: a CLI run's at
    once (it holds its lock all its life), an Airflow run's after ORPHANED_AFTER_SECONDS without
    activity. Work directories in use (their lock held, by any process) are left alone."""
    root = store / WORK
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    now = time.time()                 # housekeeping only: no audit result depends on it
    for day in sorted(p for p in root.iterdir() if p.is_dir()):
        runs = {p.name[: -len(".lock")] if p.name.endswith(".lock") else p.name for p in day.iterdir()}
        for run in sorted(runs):
            folder, lock_path = day / run, day / f"{run}.lock"
            touched = [p.stat().st_mtime for p in (folder, lock_path) if p.exists()]   # before locking creates it
            fd = locks.try_exclusive(lock_path)
            if fd is None:
                continue
            orphan = not folder.is_dir() or _orphaned(folder, max(touched, default=0.0), now)
            if orphan and folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
            locks.release(fd, unlink=lock_path if orphan else None)
        try:
            day.rmdir()
        except OSError:
            pass
    return removed


def _orphaned(folder: Path, last_active: float, now: float) -> bool:
    try:
        owner = json.loads((folder / "owner.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        owner = {}
    if owner and not owner.get("orchestrated", True):
        return True
    return now - last_active > ORPHANED_AFTER_SECONDS
