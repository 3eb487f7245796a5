"""What ingestion produces, shared by its stages: the record of each input file, the ingested
table (accepted rows, quarantine rows, records, data-quality results), an agency's staged file,
and the quarantine.csv rows of failing rows, malformed lines and unreadable files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from audits.errors import PermanentError
from audits.loaders import ROW
from audits.models import QUARANTINE_COLUMNS, TABLE_COLUMNS
from audits.privacy import mask_free_text

# The id of a row of an agency's file of the day (quarantine.csv's call_id).
ROW_ID_COLUMNS = {"cdr": "call_id", "sms": "message_id"}


class CannotAudit(PermanentError):
    """The audit cannot run at all (e.g. reference data missing); the message says what to do."""


@dataclass
class FileRecord:
    """One input file: where, its hash, and what became of its rows."""

    path: str                  # relative to the landing zone
    sha256: str
    table: str
    agency_id: str = ""
    status: str = "ok"         # ok | unreadable | missing | ignored (not an agency file)
    message: str = ""
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    # The file's columns in its order (frame names; RawTable.delivered), so that a quarantined
    # row shows as delivered. Work files only, never published: a headerless file's "header"
    # is a data row.
    delivered_columns: list[str] = field(default_factory=list)

    @property
    def conserved(self) -> bool:
        return self.rows_read == self.rows_accepted + self.rows_quarantined


@dataclass
class Ingested:
    accepted: pd.DataFrame
    quarantine: pd.DataFrame
    files: list[FileRecord]
    dq_results: dict[str, dict] = field(default_factory=dict)


@dataclass
class StagedFile:
    """One agency's file of the day (CDR or SMS), read and typed but not yet validated (the
    per-agency stage)."""

    record: FileRecord
    typed: pd.DataFrame          # typed rows (empty when unreadable)
    set_aside: pd.DataFrame      # quarantine rows found while reading (malformed lines, unreadable file)
    others: list[FileRecord] = field(default_factory=list)   # the agency's other files of the day (a conflict)


def _quarantine_rows(day: dt.date, source: str | None, frame: pd.DataFrame, reasons: pd.Series,
                     agency: pd.Series, *, call_ids: pd.Series | None, table: str,
                     malformed: list[tuple[int, str]], file_agency: str = "",
                     delivered: Sequence[str] = ()) -> pd.DataFrame:
    """quarantine.csv rows for failing rows (reasons != '') and malformed lines; `raw` is the
    row as delivered (the `delivered` columns of `frame`, in the file's order), masked.
    (Control characters such as NUL stay; csv_cells writes them as control pictures.)"""
    failing = np.flatnonzero(reasons.to_numpy() != "")
    columns = list(delivered) or list(TABLE_COLUMNS[table][0] + TABLE_COLUMNS[table][1])
    rows = frame.iloc[failing]
    sources = rows["source"] if source is None else pd.Series(source, index=rows.index)
    out = pd.DataFrame({
        "audit_date": day.isoformat(),
        "source": sources.astype("str"),
        "agency_id": agency.iloc[failing].fillna("").astype("str"),
        "row_number": rows[ROW].astype("int64"),
        "call_id": (call_ids.iloc[failing].fillna("").astype("str") if call_ids is not None else ""),
        "reasons": reasons.iloc[failing].astype("str"),
        "raw": [_masked_line(values) for values in rows[columns].itertuples(index=False)],
    })
    if malformed:
        lines = pd.DataFrame({"audit_date": day.isoformat(), "source": source, "agency_id": file_agency,
                              "row_number": [n for n, _ in malformed], "call_id": "",
                              "reasons": "DQ_MALFORMED_ROW", "raw": [text for _, text in malformed]})
        out = pd.concat([out, lines], ignore_index=True)
    return out[list(QUARANTINE_COLUMNS)]


def _unreadable_rows(day: dt.date, source: str, agency_id: str, message: str,
                     rows: pd.DataFrame | None, malformed: list[tuple[int, str]] = (), *,
                     id_column: str = "call_id") -> pd.DataFrame:
    """Quarantine rows of an unreadable file: each row and malformed line it let us count, with
    its line number, call_id and reason but `raw` blank (such a file may be anything: a password
    file, a key); or one row 0 standing for the file, its `raw` the audit's own message."""
    if (rows is None or rows.empty) and not malformed:
        return pd.DataFrame([{"audit_date": day.isoformat(), "source": source, "agency_id": agency_id,
                              "row_number": 0, "call_id": "", "reasons": "DQ_FILE_UNREADABLE",
                              "raw": mask_free_text(message)}])[list(QUARANTINE_COLUMNS)]
    rows = pd.DataFrame({ROW: pd.Series([], dtype="int64")}) if rows is None else rows
    return pd.DataFrame({
        "audit_date": day.isoformat(), "source": source, "agency_id": agency_id,
        "row_number": np.concatenate([rows[ROW].to_numpy(dtype="int64"),
                                      np.array([n for n, _ in malformed], dtype="int64")]),
        # The rows come as read, before trimming (the file failed before it): call_id is
        # trimmed here as everywhere else, so " C1" quarantines as "C1".
        "call_id": (rows[id_column].str.strip().fillna("").astype("str").tolist() if id_column in rows
                    else [""] * len(rows)) + [""] * len(malformed),
        "reasons": "DQ_FILE_UNREADABLE",
        "raw": "",              # never echoed: a file the audit cannot read may be anything (no contract header)
    })[list(QUARANTINE_COLUMNS)]


def _masked_line(values) -> str:
    """One row as a CSV line, every field masked (phones, IDs and cards lose their digits)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(
        ["" if not isinstance(v, str) else mask_free_text(v) for v in values])
    return buffer.getvalue()


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame({c: pd.Series([], dtype="str") for c in QUARANTINE_COLUMNS})
    return pd.concat(frames, ignore_index=True)
