"""The cases' part of the store: per audited day, the day's case counts and the case snapshot
built from them, beside the day's calls partition:

    <store>/cases/call_date=YYYY-MM-DD/counts.parquet     one row per case with findings (COUNT_COLUMNS)
    <store>/cases/call_date=YYYY-MM-DD/snapshot.parquet   every case as of the day (SNAPSHOT_COLUMNS)
    <store>/cases/call_date=YYYY-MM-DD/chain.json         what the snapshot was built from, and its digest
    <store>/cases/call_date=YYYY-MM-DD/decisions.parquet  the day's decided cases (decisions.DECIDED_COLUMNS),
                                                          for the command line; not part of the chain (decisions
                                                          do not change the lifecycle), kept when the day is rebuilt

A day's folder is written aside and renamed into place, so its three files change together.
The chain digest of day D covers D's counts, the previous audited day and that day's digest,
and resolve_after_days: a snapshot whose recorded predecessor no longer matches was built
from an earlier day that has since been rerun (or audited for the first time).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from audits.cases.lifecycle import COUNT_COLUMNS, SNAPSHOT_COLUMNS, empty_counts, empty_snapshot, with_quiet_days

FOLDER = "cases"
CHAIN = "chain.json"
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


def case_days(store: Path) -> list[dt.date]:
    """Audited days whose cases the store holds, oldest first."""
    folder = store / FOLDER
    if not folder.is_dir():
        return []
    return sorted(dt.date.fromisoformat(p.name.split("=", 1)[1]) for p in folder.iterdir()
                  if p.name.startswith("call_date=") and (p / CHAIN).is_file())


def read_link(store: Path, day: dt.date) -> ChainLink:
    fields = json.loads((day_folder(store, day) / CHAIN).read_text(encoding="utf-8"))
    return ChainLink(**{**fields, "not_assessed": tuple(fields.get("not_assessed", ()))})


def read_counts(store: Path, day: dt.date, case_id: str | None = None) -> pd.DataFrame:
    return _read(day_folder(store, day) / "counts.parquet", COUNT_COLUMNS, case_id) if day else empty_counts()


def read_snapshot(store: Path, day: dt.date | None, case_id: str | None = None) -> pd.DataFrame:
    if day is None:
        return empty_snapshot()
    snapshot = with_quiet_days(_read(day_folder(store, day) / "snapshot.parquet", SNAPSHOT_COLUMNS, case_id), day)
    return snapshot[list(SNAPSHOT_COLUMNS)]


def counts_sha256(counts: pd.DataFrame) -> str:
    """A digest of the day's case counts that does not depend on their row order."""
    frame = counts[list(COUNT_COLUMNS)].sort_values("case_id", kind="stable")
    return hashlib.sha256(frame.to_csv(index=False, lineterminator="\n").encode("utf-8")).hexdigest()


def write_case_day(store: Path, link: ChainLink, counts: pd.DataFrame, snapshot: pd.DataFrame) -> None:
    """Replace the day's case folder with these files: written aside, then renamed into place."""
    folder = day_folder(store, dt.date.fromisoformat(link.day))
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f".{folder.name}.{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        for name, frame in (("counts.parquet", counts[list(COUNT_COLUMNS)]),
                            ("snapshot.parquet", snapshot[list(SNAPSHOT_COLUMNS)])):
            pq.write_table(pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False),
                           staging / name, compression="zstd")
        (staging / CHAIN).write_text(json.dumps(asdict(link), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        if (folder / DECISIONS).is_file():          # a rebuilt day keeps the decisions it was audited with
            shutil.copy2(folder / DECISIONS, staging / DECISIONS)
        retired = folder.parent / f".{folder.name}.old.{uuid.uuid4().hex}"
        if folder.exists():
            os.replace(folder, retired)
        os.replace(staging, folder)
        shutil.rmtree(retired, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_decisions(store: Path, day: dt.date, decided: pd.DataFrame) -> None:
    """The day's decided cases, beside its counts (written aside, then renamed into place)."""
    folder = day_folder(store, day)
    staging = folder / f".{DECISIONS}.{uuid.uuid4().hex}"
    try:
        pq.write_table(pa.Table.from_pandas(decided.reset_index(drop=True).astype(object), preserve_index=False),
                       staging, compression="zstd")
        os.replace(staging, folder / DECISIONS)
    finally:
        staging.unlink(missing_ok=True)


def read_decisions(store: Path, day: dt.date, case_id: str | None = None) -> pd.DataFrame | None:
    """The decided cases the day was audited with (one case's with `case_id`); None when the
    store holds none for the day (audited before decisions were read)."""
    path = day_folder(store, day) / DECISIONS
    if not path.is_file():
        return None
    filters = [("case_id", "=", case_id)] if case_id is not None else None
    frame = pq.read_table(path, filters=filters).to_pandas()
    return frame.astype(object)


def _read(path: Path, columns: tuple[str, ...], case_id: str | None) -> pd.DataFrame:
    filters = [("case_id", "=", case_id)] if case_id is not None else None
    frame = pq.read_table(path, filters=filters).to_pandas()
    frame = frame.astype({c: object for c in frame.columns if not pd.api.types.is_integer_dtype(frame[c])})
    return frame[[c for c in columns if c in frame]]           # snapshots before quiet_days: read_snapshot
