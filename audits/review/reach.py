"""How many distinct numbers each agency attempted over the period, from the store: the
denominator of the period's complaint rate (signals.md §1, over the period instead of 30 days).

Each day's calls partition is checked against its record first (audits.store.check_days), and
read three columns at a time; per agency the sorted distinct numbers so far are kept as int64
(8 bytes per distinct number), so a quarter of a large bank fits in memory.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from audits import store as history
from audits.review.dailies import ReviewError, days_text


def numbers_called(store: Path, days: list[dt.date], attempt_dispositions: frozenset[str]
                   ) -> tuple[dict[str, int], list[dict]]:
    """({agency_id: distinct numbers attempted on these days}, the store partitions read
    ({"date", "path", "rows", "sha256"}, as the daily manifest's `history` lists them))."""
    with history.reading(store):
        partitions = history.check_days(store, days)
        absent = sorted(set(days) - {dt.date.fromisoformat(p["date"]) for p in partitions})
        if absent:
            raise ReviewError(
                f"Cannot review: the store {store} holds no calls for {days_text(absent)}, although those days have "
                "published reports. Pass the --store the daily runs used; or rerun those days so that the store "
                "holds them again.")
        seen: dict[str, np.ndarray] = {}
        wanted = pa.array(sorted(attempt_dispositions), type=pa.string())
        for partition in partitions:
            path = Path(partition["path"])
            table = pq.read_table(path, columns=["agency_id", "callee_number", "disposition_code"])
            attempts = pc.fill_null(pc.is_in(table.column("disposition_code").cast(pa.string()), value_set=wanted),
                                    False)
            table = table.filter(attempts)
            agencies = table.column("agency_id").cast(pa.string()).to_numpy(zero_copy_only=False)
            numbers = table.column("callee_number").to_numpy(zero_copy_only=False)
            if not len(agencies):
                continue
            codes, labels = _codes(agencies)
            order = np.lexsort((numbers, codes))
            codes, numbers = codes[order], np.asarray(numbers, dtype="int64")[order]
            bounds = np.flatnonzero(np.diff(codes)) + 1
            for code_run, number_run in zip(np.split(codes, bounds), np.split(numbers, bounds)):
                agency = str(labels[code_run[0]])
                fresh = np.unique(number_run)
                seen[agency] = fresh if agency not in seen else np.union1d(seen[agency], fresh)
    return {agency: len(values) for agency, values in sorted(seen.items())}, partitions


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    labels, codes = np.unique(values.astype(str), return_inverse=True)
    return codes.astype("int64"), labels
