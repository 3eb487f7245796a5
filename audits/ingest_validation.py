"""Validation of the agencies' staged files of a day (CDR, SMS): whole files batched for the
table's Great Expectations suite, quarantine rows and per-file counts, the accepted rows in order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from audits.ingest_records import ROW_ID_COLUMNS, FileRecord, Ingested, StagedFile, _concat, _quarantine_rows
from audits.loaders import ROW
from audits.tables import CALL_COLUMNS_KEPT, rows_in_call_order
from audits.validation import batch_frame, merge_results, nullity, nullity_only_columns, suite_columns, validate_table
from audits.values import _ZONES


@dataclass(frozen=True)
class DayFiles:
    """How the agencies' files of a day of one table are validated: the table (its suite, its
    row id, ROW_ID_COLUMNS), the typed columns accepted rows keep, how the accepted parts are
    put in order (`in_order([(frame, positions), ...])`), and how a failing row is shown in
    quarantine (`shown(rows)`: e.g. a message's text masked further)."""

    table: str
    kept: tuple[str, ...]
    in_order: Callable[[list[tuple[pd.DataFrame, np.ndarray]]], pd.DataFrame]
    shown: Callable[[pd.DataFrame], pd.DataFrame] = lambda rows: rows
    nothing: Callable[[], pd.DataFrame] = pd.DataFrame        # the accepted rows when no file has any


CDR_DAY_FILES = DayFiles("cdr", CALL_COLUMNS_KEPT, rows_in_call_order)
_LABELS = ("source", ROW, "file_agency_id")       # what names a row of a staged file


def validation_columns(files: DayFiles = CDR_DAY_FILES) -> list[str]:
    """The typed columns validate_files reads of a staged file of `files` (CDR by default) when
    its rows all pass: what the suite checks and what the accepted rows keep. Staged files can
    be loaded with only these (the rest is the raw text a quarantined row shows; see
    validate_calls' `full_rows`)."""
    return sorted(set(suite_columns(files.table)) | set(files.kept) | set(_LABELS))


def lean_for_validation(typed: pd.DataFrame, files: DayFiles = CDR_DAY_FILES) -> pd.DataFrame:
    """A staged file's typed frame as validate_files needs it when full_rows is given: text
    columns the suite reads only for nullity become 1.0/NaN (8 bytes, not the text; the same
    verdicts). Applied per agency file as it is loaded, so the day never holds that text."""
    keep = set(files.kept) | set(_LABELS)
    lean = typed.copy(deep=False)
    for column in nullity_only_columns(files.table):
        if column in lean and column not in keep and not pd.api.types.is_numeric_dtype(lean[column]):
            lean[column] = nullity(lean[column])
    return lean


# Rows per Great Expectations batch: GX copies and filters its batch per expectation, so its
# memory follows the batch; whole agency files are batched together up to about this many.
CHUNK_ROWS = 2_000_000


def validate_calls(staged: list[StagedFile], *, day: dt.date,
                   full_rows: Callable[[int, np.ndarray], pd.DataFrame] | None = None,
                   chunk_rows: int = CHUNK_ROWS) -> Ingested:
    """All agencies' typed rows validated in batches of whole files (one batch up to
    chunk_rows rows; one merged result); quarantine and per-file counts.

    A batch holds only the columns the suite reads (validation.batch_frame), and the
    accepted calls, in call order, only the columns later stages read (CALL_COLUMNS_KEPT):
    ten million calls must fit in a few GiB. The typed frames are released (emptied) as
    their batch is done. When full_rows is given, staged files may hold only
    validation_columns() (lean_for_validation), and full_rows(i, positions) gives every
    column of those rows of staged[i] for the quarantine.
    """
    return validate_files(staged, CDR_DAY_FILES, day=day, full_rows=full_rows, chunk_rows=chunk_rows)


def validate_files(staged: list[StagedFile], files: DayFiles, *, day: dt.date,
                   full_rows: Callable[[int, np.ndarray], pd.DataFrame] | None = None,
                   chunk_rows: int = CHUNK_ROWS) -> Ingested:
    """validate_calls for the staged files of any table of agencies' day files (`files`)."""
    table = files.table
    records = [s.record for s in staged] + [other for s in staged for other in s.others]
    quarantines = [s.set_aside for s in staged]
    present = [index for index, s in enumerate(staged) if not s.typed.empty]
    if not present:          # no file with a readable row (say, every line malformed): nothing to validate
        quarantine = _concat(quarantines)
        _count_rows(records, {}, quarantine)
        return Ingested(accepted=files.nothing(), quarantine=quarantine, files=records, dq_results={})
    parameters = {"audit_dates": [day.isoformat()], "known_timezones": sorted(_ZONES)}
    accepted_parts, accepted_per_file, results = [], {}, []
    for chunk in _chunks(present, [len(s.typed) for s in staged], chunk_rows):
        frames = [staged[index].typed for index in chunk]
        batch = pd.concat([batch_frame(frame, table) for frame in frames], ignore_index=True)
        labels = pd.concat([frame[["source", ROW]] for frame in frames], ignore_index=True)
        validation = validate_table(batch, table, row_labels=labels, parameters=parameters)
        results.append(validation.result)
        del batch, labels
        offsets = np.cumsum([0] + [len(frame) for frame in frames])
        for index, frame, start, stop in zip(chunk, frames, offsets[:-1], offsets[1:]):
            reasons = validation.reasons.iloc[start:stop].reset_index(drop=True)
            valid = (reasons == "").to_numpy()
            failing = np.flatnonzero(~valid)
            if len(failing):
                rows = frame if full_rows is None else full_rows(index, failing)
                if rows is not frame:                              # only the failing rows, renumbered
                    reasons = reasons.iloc[failing].reset_index(drop=True)
                    rows = rows.reset_index(drop=True)
                rows = files.shown(rows)
                quarantines.append(_quarantine_rows(day, None, rows, reasons, rows["file_agency_id"],
                                                    call_ids=rows[ROW_ID_COLUMNS[table]], table=table, malformed=[],
                                                    delivered=staged[index].record.delivered_columns))
            accepted_parts.append((frame[list(files.kept)], np.flatnonzero(valid)))   # no copy yet
            accepted_per_file[frame["source"].iloc[0]] = int(valid.sum())      # one file per frame
            staged[index].typed = pd.DataFrame()                               # released
        del frames
    quarantine = _concat(quarantines)
    accepted = files.in_order(accepted_parts)          # the store and the rules sort no more
    _count_rows(records, accepted_per_file, quarantine)
    return Ingested(accepted=accepted, quarantine=quarantine, files=records,
                    dq_results={table: merge_results(results)})


def _count_rows(records: list[FileRecord], accepted_per_file: dict[str, int], quarantine: pd.DataFrame) -> None:
    """Rows accepted and quarantined of each readable file (an unreadable one has its counts)."""
    quarantined_per_file = quarantine["source"].value_counts()
    for record in records:
        if record.status == "ok":
            record.rows_accepted = accepted_per_file.get(record.path, 0)
            record.rows_quarantined = int(quarantined_per_file.get(record.path, 0))


def _chunks(indexes: list[int], sizes: list[int], limit: int) -> list[list[int]]:
    """Consecutive groups of indexes whose sizes add up to about `limit` (a larger single
    file is a group of its own)."""
    groups, current, rows = [], [], 0
    for index in indexes:
        if current and rows + sizes[index] > limit:
            groups.append(current)
            current, rows = [], 0
        current.append(index)
        rows += sizes[index]
    return groups + [current] if current else groups


def _accepted(frame: pd.DataFrame, valid: pd.Series, columns: tuple[str, ...] | None) -> pd.DataFrame:
    """The valid rows (only `columns`, when given); no copy when nothing is dropped."""
    mask = valid.to_numpy()
    if columns is not None:
        frame = frame[list(columns)]
    return frame if mask.all() else frame[mask].reset_index(drop=True)
