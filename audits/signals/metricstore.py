"""The early warnings' part of the store: per day, beside the day's calls partition,

    <store>/signals/metrics/call_date=YYYY-MM-DD/metrics.parquet   counts per agency and agent (metrics.COUNT_COLUMNS)
    <store>/signals/metrics/call_date=YYYY-MM-DD/record.json       what they were computed from, rows and sha256

written when the day is audited or ingested, rewritten when it is rerun. A day's folder is
written aside and renamed into place, so its files change together. The record names the
sha256 of the calls partition the counts come from (a day whose calls were written again since
is stale: not a baseline day). What each agency attempted on earlier days (the new numbers) is
the complaints' rolling state (daynumbers.py), kept once for both signals.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from audits.manifest import sha256_path
from audits.signals.metrics import COUNT_COLUMNS, ENTITY_COLUMNS
from audits.store import StoreError

FOLDER = "signals/metrics"   # beside the complaints' signals/numbers, reach, findings, complaints
RECORD = "record.json"
METRICS = "metrics.parquet"


def day_folder(store: Path, day: dt.date) -> Path:
    return store / FOLDER / f"call_date={day.isoformat()}"


def read_record(store: Path, day: dt.date) -> dict | None:
    """The day's record, or None when the store holds no signals of the day (or only a
    record it cannot read, which is as good as none: the day is recomputed when next written)."""
    try:
        record = json.loads((day_folder(store, day) / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("files"), dict) else None


def write_day(store: Path, day: dt.date, record: dict, counts: pd.DataFrame) -> dict:
    """Replace the day's counts with these (written aside, then renamed into place); returns
    the record written, completed with the file's rows and sha256."""
    folder = day_folder(store, day)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f".{folder.name}.{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        frame = counts[list(ENTITY_COLUMNS + COUNT_COLUMNS)].reset_index(drop=True)
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), staging / METRICS, compression="zstd")
        written = {**record, "files": {METRICS: {"rows": len(frame), "sha256": sha256_path(staging / METRICS)}}}
        (staging / RECORD).write_text(json.dumps(written, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        retired = folder.parent / f".{folder.name}.old.{uuid.uuid4().hex}"
        if folder.exists():
            os.replace(folder, retired)
        os.replace(staging, folder)
        shutil.rmtree(retired, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return written


def read_counts(store: Path, day: dt.date, record: dict) -> pd.DataFrame:
    """The day's counts, checked against its record (StoreError when they differ)."""
    path = _checked(store, day, record, METRICS)
    frame = pq.read_table(path).to_pandas()
    text = {c: "str" for c in ENTITY_COLUMNS if frame[c].dtype != "str"}
    return frame.astype(text) if text else frame


def _checked(store: Path, day: dt.date, record: dict, name: str) -> Path:
    path = day_folder(store, day) / name
    entry = record["files"].get(name) or {}
    digest = sha256_path(path) if path.is_file() else None
    if digest is None or digest != entry.get("sha256"):
        now = "is missing" if digest is None else f"has sha256 {digest[:12]}…"
        raise StoreError(
            f"store file {path} does not match what the audit wrote (the record {RECORD} says sha256 "
            f"{str(entry.get('sha256'))[:12]}…; the file {now}): it was changed after it was written. The early "
            f"warnings will not use history they cannot trust. Rebuild it by running `python -m audits run --date "
            f"{day.isoformat()} …` again, or delete the folder {path.parent} (that day then counts as having no "
            "early-warning metrics).")
    return path
