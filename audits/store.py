"""History kept between nightly runs: validated calls as Parquet partitioned by call date, and
a compact per-day index of refusals (the refusal rule looks back forever; reading one small
file per day beats rescanning every call).

    <store>/calls/call_date=YYYY-MM-DD/calls.parquet
    <store>/refusals/call_date=YYYY-MM-DD/refusals.parquet

Writing day D replaces only D's partitions, atomically (write aside, then rename).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from audits.phones import e164_integers
from audits.tables import in_order

STORED_COLUMNS = ("call_id", "agency_id", "agent_id", "campaign_id", "caller_e164", "callee_e164",
                  "start_utc", "disposition_code", "outcome_code", "call_date", "callee_number")
# What the history rules read of earlier days (callee_number: the E.164 digits as int64).
HISTORY_COLUMNS = ("callee_number", "start_utc", "campaign_id", "disposition_code", "outcome_code")
_CODED = ("campaign_id", "disposition_code", "outcome_code")      # few distinct values: read as dictionaries
REFUSAL_COLUMNS = ("callee_e164", "start_utc", "agency_id", "call_id")


def _partition(store: Path, kind: str, day: dt.date) -> Path:
    return store / kind / f"call_date={day.isoformat()}"


def has_day(store: Path, day: dt.date) -> bool:
    return (_partition(store, "calls", day) / "calls.parquet").is_file()


def stored_days(store: Path) -> list[dt.date]:
    folder = store / "calls"
    if not folder.is_dir():
        return []
    return sorted(dt.date.fromisoformat(p.name.split("=", 1)[1]) for p in folder.iterdir()
                  if p.name.startswith("call_date=") and (p / "calls.parquet").is_file())


def write_day(store: Path, day: dt.date, calls: pd.DataFrame) -> None:
    """Replace day D's partitions with these validated calls (all agencies)."""
    calls = calls.assign(callee_number=e164_integers(calls["callee_e164"]))
    frame = in_order(calls.loc[:, list(STORED_COLUMNS)])                # history needs no sort
    refusals = frame.loc[(frame["disposition_code"] == "ANSWERED") & (frame["outcome_code"] == "REFUSED"),
                         list(REFUSAL_COLUMNS)]
    _replace_partition(_partition(store, "refusals", day), "refusals.parquet", refusals)
    _replace_partition(_partition(store, "calls", day), "calls.parquet", frame)


def _replace_partition(folder: Path, name: str, frame: pd.DataFrame) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f".{folder.name}.{uuid.uuid4().hex}"
    staging.mkdir()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, staging / name, compression="zstd")
    retired = folder.parent / f".{folder.name}.old.{uuid.uuid4().hex}"
    if folder.exists():
        os.replace(folder, retired)
    os.replace(staging, folder)
    shutil.rmtree(retired, ignore_errors=True)


def read_history(store: Path, days: list[dt.date],
                 batch_rows: int = 1 << 20) -> Iterator[tuple[dt.date, pa.Table]]:
    """The HISTORY_COLUMNS of each stored day, in the order given, as Arrow tables of up to
    `batch_rows` calls each (in call order; text columns with few distinct values
    dictionary-encoded), one at a time: reading a whole day of ten million calls at once held
    ~300 MiB per day in Arrow's pool on top of the compact history being built."""
    for day in days:
        path = _partition(store, "calls", day) / "calls.parquet"
        if not path.is_file():
            continue
        with pq.ParquetFile(path, read_dictionary=list(_CODED)) as parquet:
            names = parquet.schema_arrow.names
            columns = [c if c in names else "callee_e164" for c in HISTORY_COLUMNS]    # stores before callee_number
            for batch in parquet.iter_batches(batch_size=batch_rows, columns=columns):
                table = pa.Table.from_batches([batch])
                if "callee_number" not in names:
                    numbers = e164_integers(table.column("callee_e164").to_pandas())
                    table = table.drop_columns(["callee_e164"]).append_column("callee_number", pa.array(numbers))
                yield day, table.select(list(HISTORY_COLUMNS))


def history_rows(store: Path, days: list[dt.date]) -> int:
    """How many calls read_history yields for these days (from the Parquet footers)."""
    paths = [_partition(store, "calls", day) / "calls.parquet" for day in days]
    return sum(pq.ParquetFile(path).metadata.num_rows for path in paths if path.is_file())


def read_refusals_before(store: Path, day: dt.date) -> pd.DataFrame:
    """Every stored refusal dated before `day` (one small file per day)."""
    folder = store / "refusals"
    frames = []
    if folder.is_dir():
        for partition in sorted(folder.iterdir()):
            if partition.name.startswith("call_date=") and partition.name.split("=", 1)[1] < day.isoformat():
                path = partition / "refusals.parquet"
                if path.is_file():
                    frames.append(pq.read_table(path).to_pandas())
    frames = [f for f in frames if not f.empty]
    if not frames:
        return _empty(REFUSAL_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype="str") for c in columns})
    if "start_utc" in frame:
        frame["start_utc"] = pd.Series([], dtype="datetime64[ns, UTC]")
    return frame
