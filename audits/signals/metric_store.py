"""The early warnings' part of the store: per day, beside the day's calls partition,

    <store>/signals/metrics/call_date=YYYY-MM-DD/metrics.parquet   counts per agency and agent (metrics.COUNT_COLUMNS)
    <store>/signals/metrics/call_date=YYYY-MM-DD/record.json       what they were computed from, rows and sha256

written when the day is audited or ingested, rewritten when it is rerun. A day's folder is
written aside and renamed into place, so its files change together. The record names the
sha256 of the calls partition the counts come from (a day whose calls were written again since
is stale: not a baseline day). What each agency attempted on earlier days (the new numbers) is
the complaints' rolling state (day_numbers.py), kept once for both signals.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from audits import store
from audits.signals.metrics import COUNT_COLUMNS, ENTITY_COLUMNS

FOLDER = "signals/metrics"   # beside the complaints' signals/numbers, reach, findings, complaints
RECORD = "record.json"
METRICS = "metrics.parquet"


def day_folder(store_dir: Path, day: dt.date) -> Path:
    return store_dir / FOLDER / f"call_date={day.isoformat()}"


def _advice(store_dir: Path, day: dt.date) -> str:
    return (store.rerun_advice(day, "early-warning history") + f" Or delete the folder {day_folder(store_dir, day)} "
            "(that day then counts as having no early-warning metrics).")


def read_record(store_dir: Path, day: dt.date) -> dict | None:
    """The day's record, or None when the store holds no signals of the day; StoreError when
    the day's folder holds no record it can read."""
    folder = day_folder(store_dir, day)
    if not folder.is_dir():
        return None
    return store.read_record(folder / RECORD, advice=_advice(store_dir, day))


def write_day(store_dir: Path, day: dt.date, record: dict, counts: pd.DataFrame) -> dict:
    """Replace the day's counts with these (written aside, then renamed into place); returns
    the record written, completed with the file's rows and sha256."""
    table = pa.Table.from_pandas(counts[list(ENTITY_COLUMNS + COUNT_COLUMNS)].reset_index(drop=True),
                                 preserve_index=False)
    return store.replace_folder(day_folder(store_dir, day), {
        METRICS: lambda path: pq.write_table(table, path, compression="zstd")}, RECORD, record)


def read_counts(store_dir: Path, day: dt.date, record: dict) -> pd.DataFrame:
    """The day's counts, checked against its record (StoreError when they differ)."""
    folder = day_folder(store_dir, day)
    path = store.check_file(folder / METRICS, record["files"].get(METRICS), record=folder / RECORD,
                            advice=_advice(store_dir, day))
    frame = pq.read_table(path).to_pandas()
    text = {c: "str" for c in ENTITY_COLUMNS if frame[c].dtype != "str"}
    return frame.astype(text) if text else frame
