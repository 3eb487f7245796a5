"""`python -m audits verify`: what a report's manifest claims, re-derived from the files wherever
that can be done.

Re-hashing alone proves little: whoever edits an output can edit its hash in the manifest too
(signatures, review.md, answer that). So verify also re-derives what the files say of each other
and of the landing zone, and a report passes only when they all agree:

- outputs: every file listed hashes as listed, no other file is present (manifest.sig aside),
  and every output a run always writes is listed (the CSVs, dq/, the portfolio, a scorecard
  pair per agency of the day);
- inputs: re-hashed, re-listed from the landing zone (the reference file a run would choose
  now, every agency file of the day) and re-counted with the audit's own reader;
- row conservation, recomputed: per input rows = accepted + quarantined, the quarantined rows
  counted in quarantine.csv, the accepted calls against scores.csv, the totals summed again;
- scores.csv against violations.csv (findings, critical findings, calls per family per agency)
  and its scores and grades recomputed from those counts with the recorded rulepack;
- the rulepack re-hashed (the file it was loaded from, or the packaged file of a built-in name);
- history partitions re-hashed when the manifest lists them and the store is reachable;
- superseded/: every folder is a report this one superseded, found by its manifest's sha256
  along the `supersedes` chain, and verified by its own manifest (outputs and their
  agreement; not its inputs, which may rightly have changed since).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from audits.manifest import MANIFEST, sha256_path
from audits.models import REFERENCE_TABLES

SIGNATURE = "manifest.sig"                   # written beside the manifest when a signing key is set (review.md)
ALWAYS_WRITTEN = ("violations.csv", "quarantine.csv", "scores.csv", "index.html", "summary.xlsx")
_FAMILIES = ("confidentiality", "frequency", "qualification")
_COUNTS = ("rows_read", "rows_quarantined", "calls_audited", "findings", "critical_findings",
           *(f"calls_{f}" for f in _FAMILIES))
_RECOMPUTED = ("assessed", *(f"score_{f}" for f in (*_FAMILIES, "data_quality")), "overall", "grade",
               "grade_capped")
_NEUTRALISED = re.compile(r"^'(?=[=+\-@\t\r])")        # a CSV cell kept from being read as a formula


@dataclass
class Verification:
    problems: list[str] = field(default_factory=list)     # each a mismatch: the report fails
    notes: list[str] = field(default_factory=list)        # what could not be checked here, and why
    superseded: int = 0                                   # superseded reports verified

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_report(report_dir: Path) -> Verification:
    """Every disagreement between the report's manifest, its files and its inputs."""
    result = Verification()
    manifest = _read_manifest(report_dir, result.problems, "")
    if manifest is None:
        return result
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", report_dir.name) and manifest.get("audit_date") != report_dir.name:
        result.problems.append(f"manifest: audit_date {manifest.get('audit_date')!r} is not the report folder's "
                               f"date {report_dir.name}.")
    rulepack = _check_rulepack(manifest, result.problems)
    result.problems += _check_report_files(report_dir, manifest, rulepack, superseded=False)
    result.problems += _check_landing(manifest)
    _check_history(manifest, result)
    _check_superseded(report_dir, manifest, result)
    return result


# --- the report's own files -------------------------------------------------------------

def _read_manifest(report_dir: Path, problems: list[str], label: str) -> dict | None:
    path = report_dir / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(f"{label}{path}: cannot read the manifest ({exc}).")
        return None
    missing = [k for k in ("audit_date", "landing", "rulepack", "inputs", "row_conservation", "outputs")
               if k not in manifest] if isinstance(manifest, dict) else ["all keys"]
    shapes = isinstance(manifest, dict) and isinstance(manifest.get("inputs"), list) \
        and all(isinstance(e, dict) for e in manifest["inputs"]) and isinstance(manifest.get("outputs"), dict) \
        and isinstance(manifest.get("row_conservation"), dict) and isinstance(manifest.get("rulepack"), dict)
    if missing or not shapes:
        problems.append(f"{label}{path}: not a report manifest (missing or malformed: "
                        f"{', '.join(missing) or 'inputs, outputs, row_conservation or rulepack'}).")
        return None
    return manifest


def _check_report_files(report_dir: Path, manifest: dict, rulepack, *, superseded: bool) -> list[str]:
    """Outputs against the manifest, and the report's CSVs against each other and the manifest."""
    problems = _check_outputs(report_dir, manifest, superseded=superseded)
    day = str(manifest["audit_date"])
    tables = {}
    for name, columns in (("violations.csv", ("audit_date", "agency_id", "family", "severity", "call_id")),
                          ("quarantine.csv", ("audit_date", "source", "row_number")),
                          ("scores.csv", ("audit_date", "agency_id", "file_status", *_COUNTS, *_RECOMPUTED))):
        tables[name] = _read_output_csv(report_dir / name, columns, problems)
        if tables[name] is not None:
            wrong = tables[name]["audit_date"] != day
            if wrong.any():
                problems.append(f"output {name}: {int(wrong.sum())} row(s) dated other than {day}.")
    if tables["quarantine.csv"] is not None:
        problems += _check_conservation(manifest, tables["quarantine.csv"])
    if tables["scores.csv"] is not None:
        problems += _check_scores_against_inputs(manifest, tables["scores.csv"])
        if tables["violations.csv"] is not None:
            problems += _check_scores_against_violations(tables["scores.csv"], tables["violations.csv"])
            if rulepack is not None:
                problems += _check_recomputed_scores(day, tables["scores.csv"], tables["violations.csv"], rulepack)
    return problems


def _check_outputs(report_dir: Path, manifest: dict, *, superseded: bool) -> list[str]:
    problems = []
    recorded = manifest["outputs"]
    for relative, digest in sorted(recorded.items()):
        parts = Path(relative).parts
        if Path(relative).is_absolute() or ".." in parts or not parts or parts[0] == "superseded" \
                or relative in (MANIFEST, SIGNATURE):
            problems.append(f"output {relative}: not a path a report writes its outputs at.")
            continue
        problems += _compare(report_dir / relative, str(digest), f"output {relative}", "the report was altered")
    present = set()
    for path in report_dir.rglob("*"):
        relative = path.relative_to(report_dir).as_posix()
        if path.is_file() and relative not in (MANIFEST, SIGNATURE) \
                and (superseded or not relative.startswith("superseded/")):
            present.add(relative)
    for extra in sorted(present - set(recorded)):
        problems.append(f"output {extra}: present but not listed in the manifest (added after the audit).")
    for name in sorted(_required_outputs(manifest) - set(recorded) - present):
        problems.append(f"output {name}: absent and not listed in the manifest, although every report has it "
                        "(removed with its manifest entry).")
    return problems


def _required_outputs(manifest: dict) -> set[str]:
    """The outputs every report of these inputs has: the CSVs, the portfolio, a DQ result per
    reference table (and for the calls once any was validated), a scorecard pair per agency."""
    from audits.rendering.formatting import agency_file_stem

    inputs = manifest["inputs"]
    required = set(ALWAYS_WRITTEN) | {f"dq/{e.get('table')}.json" for e in inputs if e.get("table") in REFERENCE_TABLES}
    if any(e.get("table") == "cdr" and _int(e.get("rows_accepted")) for e in inputs):
        required.add("dq/cdr.json")
    for agency in _agency_records(manifest):
        stem = agency_file_stem(agency)
        required |= {f"agencies/{stem}.html", f"agencies/{stem}.xlsx"}
    return required


def _read_output_csv(path: Path, columns: tuple[str, ...], problems: list[str]) -> pd.DataFrame | None:
    """The columns of a report CSV as text (None, with a problem, when it cannot be read)."""
    label = f"output {path.name}"
    if not path.is_file():
        return None                                  # named by the output check
    try:
        frame = pd.read_csv(path, dtype="str", keep_default_na=False, usecols=lambda c: c in columns,
                            encoding="utf-8")
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        problems.append(f"{label}: not a readable CSV ({type(exc).__name__}).")
        return None
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        problems.append(f"{label}: column(s) {', '.join(absent)} absent.")
        return None
    for column in ("agency_id", "call_id"):
        if column in frame:
            frame[column] = frame[column].str.replace(_NEUTRALISED, "", regex=True)
    return frame


def _check_conservation(manifest: dict, quarantine: pd.DataFrame) -> list[str]:
    """Row conservation recomputed: per input and in total, and against quarantine.csv (a line
    numbered 0 stands for a file that could not be read into rows and is not a row)."""
    problems = []
    inputs = manifest["inputs"]
    counted = quarantine.loc[quarantine["row_number"] != "0", "source"].value_counts()
    totals = {"rows_read": 0, "rows_accepted": 0, "rows_quarantined": 0}
    paths = [str(e.get("path")) for e in inputs]
    for duplicate in sorted({p for p in paths if paths.count(p) > 1}):
        problems.append(f"input {duplicate}: listed more than once in the manifest.")
    for entry in inputs:
        label = f"input {entry.get('path')}"
        rows, accepted, quarantined = (_int(entry.get(k)) for k in ("rows", "rows_accepted", "rows_quarantined"))
        if None in (rows, accepted, quarantined):
            problems.append(f"{label}: rows, rows_accepted and rows_quarantined must be whole numbers.")
            continue
        totals["rows_read"] += rows
        totals["rows_accepted"] += accepted
        totals["rows_quarantined"] += quarantined
        if rows != accepted + quarantined:
            problems.append(f"{label}: row conservation broken: {rows} rows read, {accepted} accepted + "
                            f"{quarantined} quarantined.")
        in_file = int(counted.get(str(entry.get("path")), 0))
        if in_file != quarantined:
            problems.append(f"{label}: the manifest says {quarantined} row(s) quarantined; quarantine.csv holds "
                            f"{in_file}.")
        if entry.get("status") == "missing" and (rows or entry.get("sha256")):
            problems.append(f"{label}: recorded as missing, yet with rows or a sha256.")
    for source in sorted(set(quarantine["source"]) - set(paths)):
        problems.append(f"output quarantine.csv: rows from {source}, which is not an input of the manifest.")
    recorded = manifest["row_conservation"]
    expected = {"ok": True, "files": len(inputs), **totals}
    for key, value in expected.items():
        if recorded.get(key) != value:
            problems.append(f"row_conservation.{key}: the manifest says {recorded.get(key)!r}; recomputed from "
                            f"the inputs it is {value!r}.")
    return problems


def _check_scores_against_inputs(manifest: dict, scores: pd.DataFrame) -> list[str]:
    """One scores.csv row per agency of the manifest's CDR inputs, with their status and row counts."""
    problems = []
    records = _agency_records(manifest)
    agencies = list(scores["agency_id"])
    for agency in sorted({a for a in agencies if agencies.count(a) > 1}):
        problems.append(f"output scores.csv: agency {agency} has more than one row.")
    for agency in sorted(set(records) - set(agencies)):
        problems.append(f"output scores.csv: no row for agency {agency}, whose file is an input of the manifest.")
    for agency in sorted(set(agencies) - set(records)):
        problems.append(f"output scores.csv: a row for agency {agency}, which has no input in the manifest.")
    for row in scores.drop_duplicates("agency_id").itertuples(index=False):
        record = records.get(row.agency_id)
        if record is None:
            continue
        claims = {"rows_read": (_int(row.rows_read), record["rows"]),
                  "rows_quarantined": (_int(row.rows_quarantined), record["rows_quarantined"]),
                  "calls_audited": (_int(row.calls_audited), record["calls"])}
        if len(record["statuses"]) == 1:
            claims["file_status"] = (row.file_status, next(iter(record["statuses"])))
        for column, (in_scores, in_manifest) in claims.items():
            if in_scores != in_manifest:
                problems.append(f"output scores.csv: agency {row.agency_id} {column} is {in_scores!r}; its input "
                                f"{', '.join(record['paths'])} in the manifest says {in_manifest!r}.")
    return problems


def _agency_records(manifest: dict) -> dict[str, dict]:
    """The manifest's CDR inputs per agency (an input without an agency id is no agency's file):
    paths, statuses, rows read and quarantined, calls accepted from readable files."""
    records: dict[str, dict] = {}
    for entry in manifest["inputs"]:
        if entry.get("table") != "cdr" or not entry.get("agency_id"):
            continue
        record = records.setdefault(str(entry["agency_id"]), {"paths": [], "statuses": set(), "rows": 0,
                                                              "rows_quarantined": 0, "calls": 0})
        record["paths"].append(str(entry.get("path")))
        record["statuses"].add(str(entry.get("status")))
        record["rows"] += _int(entry.get("rows")) or 0
        record["rows_quarantined"] += _int(entry.get("rows_quarantined")) or 0
        if entry.get("status") == "ok":
            record["calls"] += _int(entry.get("rows_accepted")) or 0
    return records


def _check_scores_against_violations(scores: pd.DataFrame, violations: pd.DataFrame) -> list[str]:
    """Per agency: findings, critical findings and calls with a finding per family, counted
    again in violations.csv."""
    problems = []
    counted = pd.DataFrame({
        "findings": violations.groupby("agency_id").size(),
        "critical_findings": violations[violations["severity"] == "critical"].groupby("agency_id").size(),
        **{f"calls_{f}": violations[violations["family"] == f].groupby("agency_id")["call_id"].nunique()
           for f in _FAMILIES}}).fillna(0).astype("int64")
    for agency in sorted(set(counted.index) - set(scores["agency_id"])):
        problems.append(f"output violations.csv: findings of agency {agency}, which has no row in scores.csv.")
    for row in scores.drop_duplicates("agency_id").itertuples(index=False):
        for column in counted.columns:
            expected = int(counted[column].get(row.agency_id, 0))
            if _int(getattr(row, column)) != expected:
                problems.append(f"output scores.csv: agency {row.agency_id} {column} is {getattr(row, column)!r}; "
                                f"violations.csv holds {expected}.")
        audited = _int(row.calls_audited) or 0
        if row.file_status != "ok" and int(counted["findings"].get(row.agency_id, 0)):
            problems.append(f"output violations.csv: findings of agency {row.agency_id}, whose file was "
                            f"{row.file_status} (no call of it was audited).")
        for family in _FAMILIES:
            if int(counted[f"calls_{family}"].get(row.agency_id, 0)) > audited:
                problems.append(f"output violations.csv: more {family} calls of agency {row.agency_id} with "
                                f"findings than the {audited} calls scores.csv says were audited.")
    return problems


def _check_recomputed_scores(day: str, scores: pd.DataFrame, violations: pd.DataFrame, rulepack) -> list[str]:
    """The scores and grades of scores.csv recomputed from its own counts and violations.csv
    with the recorded rulepack (trends aside: they read other days' reports)."""
    from audits.scoring import AgencyVolume, score_agencies

    rows = scores.drop_duplicates("agency_id")
    counts = rows[["rows_read", "rows_quarantined", "calls_audited"]].apply(pd.to_numeric, errors="coerce")
    if counts.isna().any().any():
        return ["output scores.csv: rows_read, rows_quarantined and calls_audited must be whole numbers."]
    volumes = [AgencyVolume(agency_id=a, agency_name="", file_status=s, file_message="", rows_read=int(r),
                            rows_quarantined=int(q), reasons=())
               for a, s, r, q in zip(rows["agency_id"], rows["file_status"], counts["rows_read"],
                                     counts["rows_quarantined"])]
    agencies = rows["agency_id"].to_numpy()
    calls = pd.DataFrame({"agency_id": np.repeat(agencies, counts["calls_audited"].astype("int64").to_numpy())})
    expected = score_agencies(dt.date.fromisoformat(day), volumes, calls, violations, rulepack,
                              pd.DataFrame(columns=["audit_date", "agency_id", "overall", "grade"]))
    expected = pd.read_csv(_as_csv(expected[["agency_id", *_RECOMPUTED]]), dtype="str", keep_default_na=False,
                           ).set_index("agency_id")
    problems = []
    for have in rows[["agency_id", *_RECOMPUTED]].itertuples(index=False):
        for column in _RECOMPUTED:
            want = expected.at[have.agency_id, column]
            if getattr(have, column) != want:
                problems.append(f"output scores.csv: agency {have.agency_id} {column} is {getattr(have, column)!r}; "
                                f"recomputed from its counts it is {want!r}.")
    return problems


def _as_csv(frame: pd.DataFrame) -> io.StringIO:
    return io.StringIO(frame.to_csv(index=False, lineterminator="\n"))


# --- inputs, rulepack, history -----------------------------------------------------------

def _check_landing(manifest: dict) -> list[str]:
    """Inputs re-hashed and re-counted; the landing zone re-listed for the day."""
    from audits.loaders import REFERENCE_SUFFIXES, find_table_file, list_cdr_files

    landing = Path(str(manifest["landing"]))
    if not landing.is_dir():
        return [f"landing zone {landing}: not found, so the inputs cannot be re-hashed or re-listed; run verify "
                "where the landing zone of the audit is reachable."]
    problems = []
    inputs = manifest["inputs"]
    for entry in inputs:
        path, table = str(entry.get("path")), entry.get("table")
        if table not in (*REFERENCE_TABLES, "cdr"):
            problems.append(f"input {path}: table {table!r} is not an input table.")
            continue
        if entry.get("status") == "missing":
            continue
        file = landing / path
        if ".." in Path(path).parts or Path(path).is_absolute():
            problems.append(f"input {path}: not a path inside the landing zone.")
            continue
        mismatch = _compare(file, str(entry.get("sha256")), f"input {path}",
                            "the input changed after the audit; the report no longer matches its inputs")
        if mismatch:
            problems += mismatch
            continue
        rows = _rows_in(file, table)
        if isinstance(rows, str):
            problems.append(f"input {path}: {rows}")
        elif rows != _int(entry.get("rows")):
            problems.append(f"input {path}: {rows} rows read again from the file; the manifest says "
                            f"{entry.get('rows')!r}.")
    for table in REFERENCE_TABLES:
        recorded = [str(e.get("path")) for e in inputs if e.get("table") == table]
        chosen = find_table_file(landing / "reference", table, REFERENCE_SUFFIXES)
        now = chosen.relative_to(landing).as_posix() if chosen else None
        if not recorded:
            problems.append(f"reference table {table}: no input in the manifest, yet no audit runs without it.")
        elif now is not None and now not in recorded:
            problems.append(f"reference table {table}: an audit now reads {now}, not {recorded[0]} as recorded "
                            "(a file added or removed after the audit); rerun the audit for this day.")
    day = dt.date.fromisoformat(str(manifest["audit_date"]))
    delivered = {str(e.get("path")) for e in inputs if e.get("table") == "cdr" and e.get("status") != "missing"}
    recorded_missing = {str(e.get("path")) for e in inputs if e.get("table") == "cdr" and e.get("status") == "missing"}
    for agency, file in sorted(list_cdr_files(landing, day).items()):
        path = file.relative_to(landing).as_posix()
        if path in recorded_missing:
            problems.append(f"input {path}: was missing at audit time but exists now (delivered late, or the "
                            "manifest was altered); rerun the audit for this day.")
        elif path not in delivered:
            problems.append(f"input {path}: agency {agency}'s file of the day is in the landing zone but not an "
                            "input of the manifest (delivered after the audit, or dropped from the manifest); "
                            "rerun the audit for this day.")
    return problems


def _rows_in(path: Path, table: str) -> int | str:
    """Rows read from an input file exactly as the audit counts them (its own reader): a file
    that cannot be read into rows counts 0, one whose rows are all quarantined counts them."""
    from audits.loaders import FileUnreadable, read_table

    try:
        return read_table(path, table).rows_read
    except FileUnreadable as exc:
        return 0 if exc.rows is None else len(exc.rows)
    except (OSError, MemoryError) as exc:
        return f"cannot be read again to count its rows ({type(exc).__name__})."


def _check_rulepack(manifest: dict, problems: list[str]):
    """The rulepack re-hashed where it was loaded from; the Rulepack when it matches (for
    recomputing scores), else None."""
    from audits.config import ConfigError, load_rulepack, rulepack_file

    recorded = manifest["rulepack"]
    source = str(recorded.get("source") or "")
    file = rulepack_file(source) if source else None
    if file is None:
        problems.append(f"rulepack {recorded.get('name')!r}: the manifest does not say which file it was loaded "
                        "from, so it cannot be re-hashed.")
        return None
    mismatch = _compare(file, str(recorded.get("sha256")), f"rulepack {source}", "the rulepack changed after the audit")
    if mismatch:
        problems += mismatch
        return None
    try:
        return load_rulepack(file)
    except ConfigError as exc:
        problems.append(f"rulepack {source}: no longer loads ({exc}).")
        return None


def _check_history(manifest: dict, result: Verification) -> None:
    """Store partitions the audit read (a `history` list of {date, path, rows, sha256}),
    re-hashed when the store is reachable from here; a manifest without such a list has none."""
    history = manifest.get("history")
    entries = history if isinstance(history, list) else \
        history.get("partitions") if isinstance(history, dict) and isinstance(history.get("partitions"), list) else []
    if not entries:
        return
    store = manifest.get("store") or (history.get("store") if isinstance(history, dict) else None)
    root = Path(str(store)) if store else None
    if root is not None and not root.is_dir():
        result.notes.append(f"store {root} is not reachable from here: the {len(entries)} history partition(s) "
                            "the audit read were not re-hashed.")
        return
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("path"):
            result.problems.append(f"history: malformed entry {entry!r}.")
            continue
        path = Path(str(entry["path"]))
        if not path.is_absolute():
            if root is None:
                result.notes.append(f"history {entry['path']}: relative path and no store recorded; not re-hashed.")
                continue
            path = root / path
        label = f"history partition {entry.get('date', '')} ({path})"
        mismatch = _compare(path, str(entry.get("sha256")), label,
                            "the store changed after the audit; rebuild it from the landing zone and rerun")
        if mismatch:
            result.problems += mismatch
            continue
        if "rows" in entry:
            try:
                rows = pq.read_metadata(path).num_rows
            except (OSError, ValueError) as exc:
                result.problems.append(f"{label}: not a readable Parquet file ({type(exc).__name__}).")
                continue
            if rows != _int(entry.get("rows")):
                result.problems.append(f"{label}: {rows} rows; the manifest says {entry.get('rows')!r}.")


# --- superseded reports ------------------------------------------------------------------

def _check_superseded(report_dir: Path, manifest: dict, result: Verification) -> None:
    """superseded/ holds exactly the reports this one superseded, each one found along the
    `supersedes` chain by its manifest's sha256 (folder names may carry a suffix) and intact
    by its own manifest."""
    folder = report_dir / "superseded"
    children = sorted(folder.iterdir()) if folder.is_dir() else []
    by_hash: dict[str, Path] = {}
    for child in children:
        if not child.is_dir():
            result.problems.append(f"superseded/{child.name}: a file where only superseded reports belong "
                                   "(added after the audit).")
        elif not (child / MANIFEST).is_file():
            result.problems.append(f"superseded/{child.name}: no manifest.json, so not a report this one "
                                   "superseded (added after the audit).")
        else:
            by_hash[sha256_path(child / MANIFEST)] = child
    reached: set[Path] = set()
    link = manifest.get("supersedes")
    while isinstance(link, dict) and link:
        child = by_hash.get(str(link.get("manifest_sha256")))
        if child is None:
            result.problems.append(f"superseded report of run {link.get('run_id')!r}: not under superseded/ with the "
                                   f"manifest sha256 {str(link.get('manifest_sha256'))[:12]}… named by the report "
                                   "that replaced it (removed or altered).")
            break
        if child in reached:
            break
        reached.add(child)
        older = _read_manifest(child, result.problems, f"superseded/{child.name}: ")
        if older is None:
            break
        rulepack = _check_rulepack(older, [])        # its scores recomputed if its rulepack is unchanged
        result.problems += [f"superseded/{child.name}: {p}"
                            for p in _check_report_files(child, older, rulepack, superseded=True)]
        result.superseded += 1
        link = older.get("supersedes")
    for child in sorted(set(by_hash.values()) - reached):
        result.problems.append(f"superseded/{child.name}: not a report this one superseded (its manifest is not in "
                               "the chain of `supersedes`; added after the audit).")


# --- helpers -----------------------------------------------------------------------------

def _compare(path: Path, expected: str, label: str, meaning: str) -> list[str]:
    if not path.is_file():
        return [f"{label}: file not found at {path}."]
    try:
        actual = sha256_path(path)
    except OSError as exc:
        return [f"{label}: cannot be read at {path} ({exc.strerror})."]
    if actual != expected:
        return [f"{label}: sha256 {actual[:12]}… differs from the manifest's {expected[:12]}…; {meaning}."]
    return []


def _int(value) -> int | None:
    """A whole number from JSON or CSV text; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None
