"""verify, the report's own files: outputs against the manifest (listed, hashed, none added,
none removed with its entry) and the report's CSVs against each other and the manifest."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import numpy as np
import pandas as pd

from audits.cases.decision_snapshot import FILE as DECISIONS_FILE
from audits.cases.decisions import counted_findings
from audits.config import Rulepack
from audits.csv_cells import booleans_as_words
from audits.manifest import MANIFEST, hash_mismatch, whole_number
from audits.models import (
    DECISION_TABLES,
    REFERENCE_TABLES,
    RULES_BY_ID,
    WARNING_COLUMNS,
    WARNING_METRICS,
    agency_file_stem,
)
from audits.scoring import AgencyVolume, score_agencies
from audits.signals.last_contact import LAST_CONTACT_COLUMNS
from audits.signals.linking import COMPLAINT_COLUMNS, STATUSES
from audits.verification.cases import check_cases
from audits.verification.csvread import read_output_csv

SIGNATURE = "manifest.sig"                   # written beside the manifest when a signing key is set (review.md)
ALWAYS_WRITTEN = ("violations.csv", "quarantine.csv", "scores.csv", "cases.csv", "complaints.csv", "warnings.csv",
                  DECISIONS_FILE, "index.html", "summary.xlsx")
_FAMILIES = ("confidentiality", "frequency", "qualification")
_COUNTS = ("rows_read", "rows_quarantined", "calls_audited", "findings", "critical_findings",
           *(f"calls_{f}" for f in _FAMILIES))
_RECOMPUTED = ("assessed", *(f"score_{f}" for f in (*_FAMILIES, "data_quality")), "overall", "grade",
               "grade_capped")
_BEFORE_DECISIONS = ("overall_before_decisions", "grade_before_decisions")
_MESSAGE_COUNTS = ("messages_audited", "findings_sms")


def check_report_files(report_dir: Path, manifest: dict, rulepack: Rulepack | None, *,
                       superseded: bool) -> list[str]:
    """Outputs against the manifest, and the report's CSVs against each other and the manifest."""
    problems = _check_outputs(report_dir, manifest, superseded=superseded)
    day = str(manifest["audit_date"])
    tables = {}
    for name, columns in (("violations.csv", ("audit_date", "agency_id", "rule_id", "family", "severity", "call_id",
                                              "start_time", "callee_key", "case_id", "decision", "channel")),
                          ("quarantine.csv", ("audit_date", "source", "row_number")),
                          ("scores.csv", ("audit_date", "agency_id", "file_status", *_COUNTS, *_RECOMPUTED,
                                          *_BEFORE_DECISIONS, *_MESSAGE_COUNTS))):
        tables[name] = read_output_csv(report_dir / name, columns, problems)
        if tables[name] is not None:
            wrong = tables[name]["audit_date"] != day
            if wrong.any():
                problems.append(f"output {name}: {int(wrong.sum())} row(s) dated other than {day}.")
    if tables["violations.csv"] is not None:
        problems += _check_rule_metadata(tables["violations.csv"], rulepack)
        problems += check_cases(report_dir, day, manifest)
    problems += _check_complaints(report_dir, day, manifest)
    problems += _check_warnings(report_dir, day, manifest)
    if tables["quarantine.csv"] is not None:
        problems += _check_conservation(manifest, tables["quarantine.csv"])
    if tables["scores.csv"] is not None:
        problems += _check_scores_against_inputs(manifest, tables["scores.csv"])
        if tables["violations.csv"] is not None:
            problems += _check_scores_against_violations(tables["scores.csv"], tables["violations.csv"])
            if rulepack is not None:
                problems += _check_recomputed_scores(day, tables["scores.csv"], tables["violations.csv"], rulepack,
                                                     file_missing=_file_missing(manifest))
    return problems


def _check_complaints(report_dir: Path, day: str, manifest: dict) -> list[str]:
    """complaints.csv (signals.md §1) against the manifest: one row per complaint accepted from
    the day's complaints input, in the file's columns, each with a known status (the header
    alone when no complaints file was read)."""
    feeds = [e for e in manifest["inputs"] if e.get("table") == "complaints"]
    path = report_dir / "complaints.csv"
    if not path.is_file():
        return []                           # absent: _check_outputs names it (required)
    with path.open(encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split(",")
    if header not in (list(COMPLAINT_COLUMNS), [*COMPLAINT_COLUMNS, *LAST_CONTACT_COLUMNS]):    # with texts: more
        return [f"output complaints.csv: columns are {', '.join(header)}; expected {', '.join(COMPLAINT_COLUMNS)} "
                f"(on a day with texts, then {', '.join(LAST_CONTACT_COLUMNS)})."]
    problems: list[str] = []
    rows = read_output_csv(path, ("audit_date", "complaint_id", "status"), problems)
    if rows is None:
        return problems
    if (rows["audit_date"] != day).any():
        wrong_day = int((rows["audit_date"] != day).sum())
        problems.append(f"output complaints.csv: {wrong_day} row(s) dated other than {day}.")
    unknown = sorted(set(rows["status"]) - set(STATUSES))
    if unknown:
        problems.append(f"output complaints.csv: unknown status(es) {', '.join(unknown[:10])}.")
    if rows["complaint_id"].duplicated().any():
        problems.append("output complaints.csv: a complaint_id is listed more than once.")
    accepted = sum(whole_number(e.get("rows_accepted")) or 0 for e in feeds)
    if len(rows) != accepted:
        problems.append(f"output complaints.csv: {len(rows)} complaint(s); the manifest's complaints input has "
                        f"{accepted} accepted row(s).")
    return problems


def _check_warnings(report_dir: Path, day: str, manifest: dict) -> list[str]:
    """warnings.csv (signals.md §2): its columns, its date, its vocabulary and its row count as
    the manifest's `early_warnings` records it."""
    recorded = manifest["early_warnings"]
    path = report_dir / "warnings.csv"
    if not path.is_file():
        return []                           # absent: _check_outputs names it (required)
    problems: list[str] = []
    frame = read_output_csv(path, tuple(WARNING_COLUMNS), problems)
    if frame is None:
        return problems
    with open(path, encoding="utf-8", newline="") as handle:
        header = handle.readline().rstrip("\r\n").split(",")
    if header != list(WARNING_COLUMNS):
        problems.append(f"output warnings.csv: columns are {', '.join(header)}; expected {', '.join(WARNING_COLUMNS)}.")
    for column, allowed in (("audit_date", {day}), ("level", {"agency", "agent"}), ("metric", set(WARNING_METRICS)),
                            ("basis", {"history", "peers"})):
        wrong = sorted(set(frame[column]) - allowed) if column in frame else []
        if wrong:
            problems.append(f"output warnings.csv: {column} holds {', '.join(map(str, wrong[:10]))}, not "
                            f"{' or '.join(sorted(allowed))}.")
    if whole_number(recorded.get("rows")) != len(frame):
        problems.append(f"output warnings.csv: {len(frame)} rows; the manifest records {recorded.get('rows')}.")
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
        problems += hash_mismatch(report_dir / relative, str(digest), f"output {relative}", "the report was altered")
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
    """The outputs every report of these inputs has: the CSVs (ALWAYS_WRITTEN), the portfolio, a DQ result per
    reference table (and for the calls once any was validated), a scorecard pair per agency."""
    inputs = manifest["inputs"]
    required = set(ALWAYS_WRITTEN) | {f"dq/{e.get('table')}.json" for e in inputs      # unreadable: never validated
                                      if e.get("table") in (*REFERENCE_TABLES, *DECISION_TABLES)
                                      and e.get("status") != "unreadable"}
    if any(e.get("table") == "cdr" and whole_number(e.get("rows_accepted")) for e in inputs):
        required.add("dq/cdr.json")
    if any(e.get("table") == "complaints" and e.get("status") == "ok" for e in inputs):
        required.add("dq/complaints.json")
    for agency in _agency_records(manifest):
        stem = agency_file_stem(agency)
        required |= {f"agencies/{stem}.html", f"agencies/{stem}.xlsx"}
    return required


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
        rows, accepted, quarantined = (whole_number(entry.get(key))
                                       for key in ("rows", "rows_accepted", "rows_quarantined"))
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
        claims = {"rows_read": (whole_number(row.rows_read), record["rows"]),
                  "rows_quarantined": (whole_number(row.rows_quarantined), record["rows_quarantined"]),
                  "calls_audited": (whole_number(row.calls_audited), record["calls"])}
        if len(record["statuses"]) == 1 or "ok" in record["statuses"]:      # one file read: ok
            claims["file_status"] = (row.file_status, "ok" if "ok" in record["statuses"]
                                     else next(iter(record["statuses"])))
        for column, (in_scores, in_manifest) in claims.items():
            if in_scores != in_manifest:
                problems.append(f"output scores.csv: agency {row.agency_id} {column} is {in_scores!r}; its input "
                                f"{', '.join(record['paths'])} in the manifest says {in_manifest!r}.")
    return problems


def _agency_records(manifest: dict) -> dict[str, dict]:
    """The manifest's CDR and SMS inputs per agency (an input without an agency id is no agency's
    file): paths, statuses, rows read and quarantined, calls accepted from readable CDR files."""
    records: dict[str, dict] = {}
    for entry in manifest["inputs"]:
        if entry.get("table") not in ("cdr", "sms") or not entry.get("agency_id"):
            continue
        record = records.setdefault(str(entry["agency_id"]), {"paths": [], "statuses": set(), "rows": 0,
                                                              "rows_quarantined": 0, "calls": 0})
        record["paths"].append(str(entry.get("path")))
        record["statuses"].add(str(entry.get("status")))
        record["rows"] += whole_number(entry.get("rows")) or 0
        record["rows_quarantined"] += whole_number(entry.get("rows_quarantined")) or 0
        if entry.get("status") == "ok" and entry.get("table") == "cdr":
            record["calls"] += whole_number(entry.get("rows_accepted")) or 0
    return records


def _file_missing(manifest: dict) -> set[str]:
    """Agencies one of whose files (CDR, SMS) is missing or unreadable while another was read."""
    return {agency for agency, record in _agency_records(manifest).items()
            if "ok" in record["statuses"] and record["statuses"] & {"missing", "unreadable"}}


def _check_rule_metadata(violations: pd.DataFrame, rulepack: Rulepack | None) -> list[str]:
    """Each finding's family and severity are its rule's, and the rule was enabled."""
    problems = []
    known = pd.DataFrame([(i.rule_id, i.family.value, i.severity.value) for i in RULES_BY_ID.values()],
                         columns=["rule_id", "family", "severity"])
    pairs = violations[["rule_id", "family", "severity"]].drop_duplicates()
    wrong = pairs.merge(known, how="left", indicator=True).query("_merge == 'left_only'")
    for row in wrong.itertuples(index=False):
        problems.append(f"output violations.csv: findings of {row.rule_id} with family {row.family!r} and severity "
                        f"{row.severity!r}, which are not that rule's.")
    if rulepack is not None:
        for rule_id in sorted(set(pairs["rule_id"]) & set(RULES_BY_ID) - rulepack.enabled_rules):
            problems.append(f"output violations.csv: findings of {rule_id}, which the rulepack disables.")
    return problems


def _check_scores_against_violations(scores: pd.DataFrame, violations: pd.DataFrame) -> list[str]:
    """Per agency: findings, critical findings and calls with a finding per family, counted
    again in violations.csv over the findings that count (neither accepted nor dismissed)."""
    violations = counted_findings(violations)
    problems = []
    counted = pd.DataFrame({
        "findings": violations.groupby("agency_id").size(),
        "critical_findings": violations[violations["severity"] == "critical"].groupby("agency_id").size(),
        **{f"calls_{f}": _distinct_calls(violations[violations["family"] == f]) for f in _FAMILIES},
        "findings_sms": violations[violations["channel"] == "sms"].groupby("agency_id").size()},
        index=pd.Index(sorted(set(violations["agency_id"])), dtype=object)).fillna(0).astype("int64")
    for agency in sorted(set(counted.index) - set(scores["agency_id"])):
        problems.append(f"output violations.csv: findings of agency {agency}, which has no row in scores.csv.")
    for row in scores.drop_duplicates("agency_id").itertuples(index=False):
        for column in counted.columns:
            expected = int(counted[column].get(row.agency_id, 0))
            if whole_number(getattr(row, column)) != expected:
                problems.append(f"output scores.csv: agency {row.agency_id} {column} is {getattr(row, column)!r}; "
                                f"violations.csv holds {expected}.")
        audited = (whole_number(row.calls_audited) or 0) + (whole_number(row.messages_audited) or 0)
        if row.file_status != "ok" and int(counted["findings"].get(row.agency_id, 0)):
            problems.append(f"output violations.csv: findings of agency {row.agency_id}, whose file was "
                            f"{row.file_status} (no call of it was audited).")
        for family in _FAMILIES:
            if int(counted[f"calls_{family}"].get(row.agency_id, 0)) > audited:
                problems.append(f"output violations.csv: more {family} contacts of agency {row.agency_id} with "
                                f"findings than the {audited} calls and messages scores.csv says were audited.")
    return problems


def _distinct_calls(violations: pd.DataFrame) -> pd.Series:
    """Contacts per agency among findings: call_id is published masked (two ids may differ only in
    hidden digits), so a call is its masked id, start time and callee key together (a message
    likewise, on its channel)."""
    keys = ["agency_id", "call_id", "start_time", "callee_key", "channel"]
    return violations.drop_duplicates(keys).groupby("agency_id").size()


def _check_recomputed_scores(day: str, scores: pd.DataFrame, violations: pd.DataFrame,
                             rulepack: Rulepack, *, file_missing: set[str] = frozenset()) -> list[str]:
    """The scores and grades of scores.csv recomputed from its own counts and violations.csv
    with the recorded rulepack (trends aside: they read other days' reports); those before
    decisions too, where scores.csv has them."""
    rows = scores.drop_duplicates("agency_id")
    counts = rows[["rows_read", "rows_quarantined", "calls_audited"]].apply(pd.to_numeric, errors="coerce")
    if counts.isna().any().any() or (counts < 0).any().any() or (counts % 1 != 0).any().any():
        return ["output scores.csv: rows_read, rows_quarantined and calls_audited must be whole numbers."]
    volumes = [AgencyVolume(agency_id=a, agency_name="", file_status=s, file_message="", rows_read=int(r),
                            rows_quarantined=int(q), reasons=(), file_missing=a in file_missing)
               for a, s, r, q in zip(rows["agency_id"], rows["file_status"], counts["rows_read"],
                                     counts["rows_quarantined"])]
    per_agency = counts["calls_audited"].astype("int64").to_numpy()      # one code per audited call, not its text
    calls = pd.DataFrame({"agency_id": pd.Categorical.from_codes(np.repeat(np.arange(len(rows)), per_agency),
                                                                 categories=rows["agency_id"].to_numpy())})
    sent = pd.to_numeric(rows["messages_audited"], errors="coerce").fillna(0).astype("int64").to_numpy()
    messages = pd.DataFrame({"agency_id": np.repeat(rows["agency_id"].to_numpy(), sent), "is_mt": True})
    expected = score_agencies(dt.date.fromisoformat(day), volumes, calls, violations, rulepack,
                              pd.DataFrame(columns=["audit_date", "agency_id", "overall", "grade"]), messages=messages)
    recomputed = _RECOMPUTED + tuple(c for c in (*_BEFORE_DECISIONS, "grade_gate") if c in scores)
    expected = pd.read_csv(_as_csv(expected[["agency_id", *recomputed]]), dtype="str", keep_default_na=False,
                           ).set_index("agency_id")
    problems = []
    for have in rows[["agency_id", *recomputed]].itertuples(index=False):
        for column in recomputed:
            want = expected.at[have.agency_id, column]
            if getattr(have, column) != want:
                problems.append(f"output scores.csv: agency {have.agency_id} {column} is {getattr(have, column)!r}; "
                                f"recomputed from its counts it is {want!r}.")
    return problems


def _as_csv(frame: pd.DataFrame) -> io.StringIO:
    return io.StringIO(booleans_as_words(frame).to_csv(index=False, lineterminator="\n"))
