"""Intermediate results of one run, on disk, so that each stage can run as its own Airflow task
(possibly on another worker with the same shared storage) and tasks pass only paths and dates.

    <out>/.work/<YYYY-MM-DD>/<run id>/
        reference/<table>.parquet, reference/ingested.json   typed reference rows, records, DQ
        agencies/<agency_id>.parquet|.aside.parquet|.json    one agency's typed file (per-agency task)
        day/calls.parquet, day/quarantine.parquet, day/ingested.json
        violations.parquet
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Callable

import pandas as pd
import pyarrow.parquet as pq

from audits.config import AuditConfig
from audits.ingest import FileRecord, Ingested, StagedFile
from audits.workers import in_threads

_SET_COLUMNS = ("purposes", "products")       # frozenset columns of contracts


class WorkDir:
    def __init__(self, config: AuditConfig):
        safe_run = "".join(ch if ch.isalnum() or ch in "-_.+" else "_" for ch in config.run_id)
        self.root = config.out / ".work" / config.audit_date.isoformat() / safe_run

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        for parent in (self.root.parent, self.root.parent.parent):
            try:
                parent.rmdir()
            except OSError:
                break

    # frames ---------------------------------------------------------------------------
    def save_frame(self, name: str, frame: pd.DataFrame) -> Path:
        path = self.root / f"{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        out = frame.copy()
        for column in _SET_COLUMNS:
            if column in out:
                out[column] = out[column].map(sorted)
        staging = path.with_suffix(".parquet.tmp")
        out.to_parquet(staging, index=False, compression="lz4")    # work files: read back soon, ~2x faster than snappy
        staging.replace(path)
        return path

    def load_frame(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        """A saved frame, or only those of `columns` it has."""
        path = self.root / f"{name}.parquet"
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
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, ensure_ascii=False, default=str), encoding="utf-8")

    def load_json(self, name: str) -> object:
        return json.loads((self.root / f"{name}.json").read_text(encoding="utf-8"))

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

    def save_staged(self, agency_id: str, staged: StagedFile) -> None:
        self.save_frame(f"agencies/{agency_id}", staged.typed)
        self.save_frame(f"agencies/{agency_id}.aside", staged.set_aside)
        self.save_json(f"agencies/{agency_id}", {**dataclasses.asdict(staged.record),
                                                  "others": [dataclasses.asdict(o) for o in staged.others]})

    def staged_agencies(self) -> list[str]:
        folder = self.root / "agencies"
        return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []

    def load_staged(self, columns: list[str] | None = None,
                    reduce: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> list[StagedFile]:
        """Every staged agency file: typed frames with only `columns` (when given), each passed
        through `reduce` as soon as it is read."""
        reduce = reduce or (lambda frame: frame)

        def load(agency_id: str) -> StagedFile:
            record = self.load_json(f"agencies/{agency_id}")
            others = [FileRecord(**other) for other in record.pop("others", [])]
            return StagedFile(record=FileRecord(**record), others=others,
                              typed=reduce(self.load_frame(f"agencies/{agency_id}", columns)),
                              set_aside=self.load_frame(f"agencies/{agency_id}.aside"))

        return in_threads(load, self.staged_agencies())     # ten million calls read in 4.3 s, not 7.4 s

    def staged_rows(self, index: int, positions) -> pd.DataFrame:
        """Every column of these rows (0-based positions) of the index-th staged agency file."""
        return self.load_frame(f"agencies/{self.staged_agencies()[index]}").iloc[positions]
