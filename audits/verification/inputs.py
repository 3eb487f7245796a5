"""verify, what the report was made from: inputs re-hashed, re-listed and re-counted in the
landing zone; the rulepack re-hashed; the store's history partitions and the early warnings'
baseline counts re-hashed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq

from audits.config import ConfigError, Rulepack
from audits.ingest import decision_paths
from audits.loaders import (
    DAY_FOLDER_KINDS,
    REFERENCE_SUFFIXES,
    FileUnreadable,
    find_table_file,
    read_table,
    scan_day_folder,
)
from audits.manifest import hash_mismatch, readable_now, whole_number
from audits.models import DECISION_TABLES, REFERENCE_TABLES
from audits.rulepack import load_rulepack, rulepack_file
from audits.signals.feed import complaints_file


def check_landing(manifest: dict) -> tuple[list[str], list[str]]:
    """Inputs re-hashed and re-counted; the landing zone re-listed for the day: (problems, the
    inputs changed since the audit). A problem is the manifest disagreeing with itself or with
    an input as it still is (rows counted again); an input changed, added or removed since is
    not the report's fault (reference tables grow, decisions are made later): verify names it
    and fails on it only when asked to (--strict-inputs)."""
    landing = Path(str(manifest["landing"]))
    if not landing.is_dir():
        return [], [f"landing zone {landing}: not found, so the inputs cannot be re-hashed or re-listed; run verify "
                    "where the landing zone of the audit is reachable."]
    problems: list[str] = []
    changed: list[str] = []
    inputs = manifest["inputs"]
    day_files = [(e.get("table"), e.get("agency_id")) for e in inputs
                 if e.get("table") in DAY_FOLDER_KINDS and e.get("status") != "ignored"]
    # An agency that delivered two files of a kind (cdr, sms) for the day has neither read (both unreadable, 0 rows).
    in_conflict = {key for key in day_files if key[1] and day_files.count(key) > 1}
    for entry in inputs:
        path, table = str(entry.get("path")), entry.get("table")
        if table not in (*REFERENCE_TABLES, *DECISION_TABLES, *DAY_FOLDER_KINDS, "complaints") and \
                not (table == "reference" and entry.get("status") == "ignored"):      # a file no audit reads
            problems.append(f"input {path}: table {table!r} is not an input table.")
            continue
        if entry.get("status") == "missing":
            continue
        file = landing / path
        if ".." in Path(path).parts or Path(path).is_absolute():
            problems.append(f"input {path}: not a path inside the landing zone.")
            continue
        if not entry.get("sha256"):      # not a readable file at audit time (a directory, FIFO, no permission)
            changed += readable_now(file, f"input {path}")
            continue
        mismatch = hash_mismatch(file, str(entry.get("sha256")), f"input {path}",
                                 "the input changed since the audit")
        if mismatch or entry.get("status") == "ignored" or (table, entry.get("agency_id")) in in_conflict:  # never read
            changed += mismatch
            continue
        rows = _rows_in(file, table)
        if isinstance(rows, str):
            problems.append(f"input {path}: {rows}")
        elif rows != whole_number(entry.get("rows")):
            problems.append(f"input {path}: {rows} rows read again from the file; the manifest says "
                            f"{entry.get('rows')!r}.")
    for table in REFERENCE_TABLES:
        recorded = [str(e.get("path")) for e in inputs if e.get("table") == table]
        chosen = find_table_file(landing / "reference", table, REFERENCE_SUFFIXES)
        now = chosen.relative_to(landing).as_posix() if chosen else None
        if not recorded:
            problems.append(f"reference table {table}: no input in the manifest, yet no audit runs without it.")
        elif now is not None and now not in recorded:
            changed.append(f"reference table {table}: an audit now reads {now}, not {recorded[0]} as recorded "
                           "(a file added or removed after the audit).")
    changed += _decision_tables_listed(landing, inputs)
    day = dt.date.fromisoformat(str(manifest["audit_date"]))
    changed += _complaints_listed(landing, day, manifest)
    for kind in DAY_FOLDER_KINDS:
        changed += _day_folder_listed(landing, day, kind, inputs)
    return problems, changed


def _day_folder_listed(landing: Path, day: dt.date, kind: str, inputs: list[dict]) -> list[str]:
    """Every entry of the day's folder of `kind` (cdr, sms) is an input of the manifest, and
    none recorded missing is there now."""
    changed = []
    delivered = {str(e.get("path")) for e in inputs if e.get("table") == kind and e.get("status") != "missing"}
    recorded_missing = {str(e.get("path")) for e in inputs if e.get("table") == kind and e.get("status") == "missing"}
    folder = scan_day_folder(landing, kind, day)
    found = sorted((agency, file) for agency, files in folder.files.items() for file in files)
    for agency, file in found + [("(not an agency file)", stray) for stray in folder.strays]:
        path = file.relative_to(landing).as_posix()
        if path in recorded_missing:
            changed.append(f"input {path}: was missing at audit time but exists now (delivered late, or the "
                           "manifest was altered).")
        elif path not in delivered:
            changed.append(f"input {path}: agency {agency}'s file of the day is in the landing zone but not an "
                           "input of the manifest (delivered after the audit, or dropped from the manifest).")
    return changed


def _decision_tables_listed(landing: Path, inputs: list[dict]) -> list[str]:
    """The optional decision tables (cases.md §3) an audit would read now are the ones recorded:
    one delivered after the audit would change decisions and scores. (One recorded and gone
    fails its re-hash.)"""
    problems = []
    present = decision_paths(landing)
    for table in DECISION_TABLES:
        recorded = [str(e.get("path")) for e in inputs if e.get("table") == table]
        now = present[table].relative_to(landing).as_posix() if table in present else None
        if now is not None and now not in recorded:
            problems.append(f"reference table {table}: an audit now reads {now}, which the manifest does not list "
                            "(delivered after the audit, or dropped from the manifest); its decisions would change "
                            "the report.")
    return problems


def _complaints_listed(landing: Path, day: dt.date, manifest: dict) -> list[str]:
    """The day's complaints file (signals.md §1) is an input exactly when it is in the landing
    zone now."""
    recorded = [str(e.get("path")) for e in manifest["inputs"] if e.get("table") == "complaints"]
    found = complaints_file(landing, day)
    now = found.relative_to(landing).as_posix() if found else None
    if now is None or now in recorded:
        return []
    return [f"input {now}: the day's complaints file is in the landing zone but not an input of the manifest "
            "(delivered after the audit, or dropped from the manifest)."]


def _rows_in(path: Path, table: str) -> int | str:
    """Rows read from an input file exactly as the audit counts them (its own reader): a file
    that cannot be read into rows counts 0, one whose rows are all quarantined counts them."""
    try:
        return read_table(path, table).rows_read
    except FileUnreadable as exc:
        return exc.rows_read
    except (OSError, MemoryError) as exc:
        return f"cannot be read again to count its rows ({type(exc).__name__})."


def check_rulepack(manifest: dict, problems: list[str]) -> Rulepack | None:
    """The rulepack re-hashed where it was loaded from; the Rulepack when it matches (for
    recomputing scores), else None."""
    recorded = manifest["rulepack"]
    source = str(recorded.get("source") or "")
    file = rulepack_file(source) if source else None
    if file is None:
        problems.append(f"rulepack {recorded.get('name')!r}: the manifest does not say which file it was loaded "
                        "from, so it cannot be re-hashed.")
        return None
    mismatch = hash_mismatch(file, str(recorded.get("sha256")), f"rulepack {source}",
                             "the rulepack changed after the audit")
    if mismatch:
        problems += mismatch
        return None
    try:
        return load_rulepack(file)
    except ConfigError as exc:
        problems.append(f"rulepack {source}: no longer loads ({exc}).")
        return None


def check_history(manifest: dict) -> tuple[list[str], list[str]]:
    """Store partitions the audit read (a `history` list of {date, path, rows, sha256}; a path
    relative to the recorded store), re-hashed when the store is reachable from here: problems,
    and notes on what could not be checked. A manifest without such a list lists none."""
    history = manifest.get("history")
    entries = history if isinstance(history, list) else \
        history.get("partitions") if isinstance(history, dict) and isinstance(history.get("partitions"), list) else []
    problems: list[str] = []
    notes: list[str] = []
    store = manifest.get("store") or (history.get("store") if isinstance(history, dict) else None)
    root = Path(str(store)) if store else None
    if entries and root is not None and not root.is_dir():
        notes.append(f"store {root} is not reachable from here: the {len(entries)} history partition(s) the "
                     "audit read were not re-hashed.")
        return problems, notes
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("path"):
            problems.append(f"history: malformed entry {entry!r}.")
            continue
        path = Path(str(entry["path"]))
        if not path.is_absolute():
            if root is None:
                notes.append(f"history {entry['path']}: relative path and no store recorded; not re-hashed.")
                continue
            path = root / path
        label = f"history partition {entry.get('date', '')} ({path})"
        mismatch = hash_mismatch(path, str(entry.get("sha256")), label,
                                 "the store changed after the audit; rebuild it from the landing zone and rerun")
        if mismatch:
            problems += mismatch
            continue
        if "rows" in entry:
            try:
                rows = pq.read_metadata(path).num_rows
            except (OSError, ValueError) as exc:
                problems.append(f"{label}: not a readable Parquet file ({type(exc).__name__}).")
                continue
            if rows != whole_number(entry.get("rows")):
                problems.append(f"{label}: {rows} rows; the manifest says {entry.get('rows')!r}.")
    return problems, notes


def check_warning_baseline(manifest: dict) -> tuple[list[str], list[str]]:
    """The earlier days' early-warning counts the audit read (`early_warnings.baseline`: {date,
    sha256} of each <store>/signals/metrics/call_date=D/metrics.parquet), re-hashed when the
    store is reachable: problems, and notes on what could not be checked."""
    warnings = manifest.get("early_warnings")
    entries = warnings.get("baseline") if isinstance(warnings, dict) else None
    if not isinstance(entries, list) or not entries:
        return [], []
    store = manifest.get("store")
    history = manifest.get("history")
    if not store and isinstance(history, dict):
        store = history.get("store")
    root = Path(str(store)) if store else None
    if root is None or not root.is_dir():
        return [], [f"store {root or '(not recorded)'} is not reachable from here: the early warnings' "
                    f"{len(entries)} baseline day(s) were not re-hashed."]
    problems = []
    for entry in entries:
        day = entry.get("date") if isinstance(entry, dict) else None
        if not isinstance(day, str) or not isinstance(entry.get("sha256"), str):
            problems.append(f"early_warnings.baseline: malformed entry {entry!r}.")
            continue
        path = root / "signals" / "metrics" / f"call_date={day}" / "metrics.parquet"
        problems += hash_mismatch(path, entry["sha256"], f"early-warning baseline counts of {day} ({path})",
                                  "the day's counts changed after this audit read them (an earlier day rerun "
                                  "since, or the store altered); rerun this day to judge it on the store as it "
                                  "is now")
    return problems, []
