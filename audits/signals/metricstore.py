"""The early warnings' part of the store: per day, beside the day's calls partition,

    <store>/signals/metrics/call_date=YYYY-MM-DD/metrics.parquet   counts per agency and agent (metrics.COUNT_COLUMNS)
    <store>/signals/metrics/call_date=YYYY-MM-DD/numbers.arrow     the distinct (agency_id, number) pairs attempted
    <store>/signals/metrics/call_date=YYYY-MM-DD/window.arrow      (agency_id, number, last_day) attempted in the
                                                            new_numbers_days days up to the day
    <store>/signals/metrics/call_date=YYYY-MM-DD/record.json       what they were computed from, rows and sha256

written when the day is audited or ingested, rewritten when it is rerun. A day's folder is
written aside and renamed into place, so its files change together. The record names the
sha256 of the calls partition the counts come from (a day whose calls were written again since
is stale: not a baseline day) and, for the window, the source of each day it covers, so that a
window built before an earlier day was rerun is not used. The numbers and window files are
Arrow IPC, uncompressed: read memory-mapped, a window of ten million pairs loads in
milliseconds where Parquet took a second.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq

from audits.manifest import sha256_path
from audits.signals.metrics import COUNT_COLUMNS, ENTITY_COLUMNS
from audits.signals.attempted import Window
from audits.store import StoreError

FOLDER = "signals/metrics"   # beside the complaints' signals/numbers, reach, findings, complaints
RECORD = "record.json"
METRICS, NUMBERS, WINDOW = "metrics.parquet", "numbers.arrow", "window.arrow"


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


def write_day(store: Path, day: dt.date, record: dict, counts: pd.DataFrame,
              pairs: tuple[np.ndarray, np.ndarray, np.ndarray], window: Window) -> dict:
    """Replace the day's signals with these (written aside, then renamed into place); returns
    the record written, completed with each file's rows and sha256. record["window"]["sources"]
    gets the day's own entry ("numbers:<sha256 of numbers.arrow>")."""
    folder = day_folder(store, day)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f".{folder.name}.{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        frame = counts[list(ENTITY_COLUMNS + COUNT_COLUMNS)].reset_index(drop=True)
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), staging / METRICS, compression="zstd")
        agency_ids, agency, number = pairs
        feather.write_feather(pa.table({"agency_id": _labels(agency_ids, agency), "number": pa.array(number)}),
                              staging / NUMBERS, compression="uncompressed")
        feather.write_feather(pa.table({"agency_id": _labels(window.agency_ids, window.agency),
                                        "number": pa.array(window.number), "last_day": pa.array(window.last_day)}),
                              staging / WINDOW, compression="uncompressed")
        files = {name: {"rows": rows, "sha256": sha256_path(staging / name)}
                 for name, rows in ((METRICS, len(frame)), (NUMBERS, len(number)), (WINDOW, len(window)))}
        written = {**record, "files": files}
        written["window"] = {**record["window"], "sources": {**record["window"]["sources"],
                                                             day.isoformat(): f"numbers:{files[NUMBERS]['sha256']}"}}
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


def read_pairs(store: Path, day: dt.date, record: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The day's distinct (agency, number) pairs attempted, checked against its record."""
    path = _checked(store, day, record, NUMBERS)
    table = feather.read_table(path, memory_map=True)
    agency_ids, agency = _codes_of(table.column("agency_id"))
    return agency_ids, agency, table.column("number").to_numpy()


def read_window(store: Path, day: dt.date, record: dict) -> Window | None:
    """The window written with the day, or None when its file does not match the record (a
    window is derived: the caller rebuilds it from the days' pairs)."""
    path = day_folder(store, day) / WINDOW
    entry = record["files"].get(WINDOW) or {}
    if not path.is_file() or sha256_path(path) != entry.get("sha256"):
        return None
    table = feather.read_table(path, memory_map=True)
    agency_ids, agency = _codes_of(table.column("agency_id"))
    return Window(agency_ids=agency_ids, agency=agency, number=table.column("number").to_numpy(),
                  last_day=table.column("last_day").to_numpy())


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


def _labels(agency_ids: np.ndarray, agency: np.ndarray) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(np.asarray(agency, dtype=np.int32)),
                                          pa.array(list(agency_ids), type=pa.string()))


def _codes_of(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted labels and each row's code into them, from a dictionary column."""
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if not pa.types.is_dictionary(array.type):
        array = array.dictionary_encode()
    labels = np.asarray(array.dictionary.to_pylist(), dtype=object)
    order = np.argsort(labels, kind="stable")
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(len(labels))
    indices = array.indices.to_numpy(zero_copy_only=False)
    return labels[order], (rank[indices] if len(indices) else np.zeros(0, np.int64)).astype(np.int32)
