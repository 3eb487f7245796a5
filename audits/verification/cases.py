"""verify, the day's cases (cases.md §2-4): cases.csv against violations.csv, and each case's
decision decided again from what the run recorded.

cases.csv lists every case of the day's findings with exactly their count, in the register's
columns; each finding carries its case's decision, and each decision names the row that made it.

Every report holds `decisions.csv` (audits.cases.decision_snapshot: the exceptions and disputes
it applied) and its manifest says so (`decisions`: file, rows). Each
case of cases.csv is decided again from that snapshot with the run's own function
(audits.cases.decisions.decide_cases) on the audit day, and its decision, exception_id and
dispute_id must be what it gives (violations.csv carries each case's decision: checked apart).
The decision tables as they are now play no part: a dispute decided after the day was published
never makes the day's report fail (desk.md §4).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from audits.cases.decision_snapshot import COLUMNS, FILE, decision_tables
from audits.cases.decisions import ACCEPTED, DECISIONS, DISMISSED, DISPUTED, decide_cases
from audits.cases.lifecycle import STATUSES
from audits.cases.summary import CASE_COLUMNS
from audits.csv_cells import read_csv
from audits.manifest import whole_number
from audits.signals.effects import CASE_COLUMN as CASE_COMPLAINTS
from audits.verification.csvread import read_output_csv

_SHOWN = ("decision", "exception_id", "dispute_id")


def check_recorded_decisions(report_dir: Path, manifest: dict, cases: pd.DataFrame) -> list[str]:
    """Problems of cases.csv (`cases`: case_id, agency_id, rule_id and _SHOWN, as text) against
    the decisions the run recorded (the manifest's `decisions` record and decisions.csv)."""
    recorded = manifest["decisions"]
    path = report_dir / FILE
    if not path.is_file():
        return []                                 # required: the outputs check names it
    try:
        rows = read_csv(path, dtype="str", keep_default_na=False, encoding="utf-8")   # neutralised cells as written
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        return [f"output {FILE}: not a readable CSV ({type(exc).__name__})."]
    if list(rows.columns) != list(COLUMNS):
        return [f"output {FILE}: columns are {', '.join(map(str, rows.columns))}; expected {', '.join(COLUMNS)}."]
    problems = []
    if whole_number(recorded.get("rows")) != len(rows):
        problems.append(f"output {FILE}: {len(rows)} rows; the manifest records {str(recorded.get('rows'))[:20]}.")
    read = _decision_sources(manifest)
    for table in sorted(set(rows["table"]) - read):
        problems.append(f"output {FILE}: decisions of {table[:40]!r}, which is not an input of the manifest.")
    try:
        tables = decision_tables(rows)
    except (ValueError, TypeError):
        return problems + [f"output {FILE}: a date that is not YYYY-MM-DD."]
    day = dt.date.fromisoformat(str(manifest["audit_date"]))
    decided = decide_cases(cases[["case_id", "agency_id", "rule_id"]], *tables, day).set_index("case_id")
    for row in cases.drop_duplicates("case_id").itertuples(index=False):
        want = tuple(decided.at[row.case_id, c] if row.case_id in decided.index else "" for c in _SHOWN)
        have = tuple(getattr(row, c) for c in _SHOWN)
        if have != want:
            problems.append(f"output cases.csv: case {row.case_id} shows decision {have[0]!r} (exception "
                            f"{have[1]!r}, dispute {have[2]!r}); the decisions the run recorded in {FILE} give "
                            f"{want[0]!r} (exception {want[1]!r}, dispute {want[2]!r}).")
    return problems[:50]


def check_cases(report_dir: Path, day: str, manifest: dict) -> list[str]:
    """cases.csv (cases.md §4) against violations.csv: it lists every case of the day's findings,
    with exactly their count on the day, in the register's columns."""
    path = report_dir / "cases.csv"
    if not path.is_file():
        return []                                 # required: the outputs check names it
    with path.open(encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split(",")
    if header != [*CASE_COLUMNS, CASE_COMPLAINTS]:     # complaints: signals.md §1
        return [f"output cases.csv: columns are {', '.join(header)}; expected "
                f"{', '.join((*CASE_COLUMNS, CASE_COMPLAINTS))}."]
    problems: list[str] = []
    cases = read_output_csv(path, ("audit_date", "case_id", "agency_id", "rule_id", "status", "findings_today",
                                    "decision", "exception_id", "dispute_id"), problems)
    findings = read_output_csv(report_dir / "violations.csv", ("case_id", "decision"), problems)
    if cases is None or findings is None:
        return problems
    problems += _decisions_agree(cases, findings, manifest)
    problems += check_recorded_decisions(report_dir, manifest, cases)
    if (cases["audit_date"] != day).any():
        problems.append(f"output cases.csv: {int((cases['audit_date'] != day).sum())} row(s) dated other than {day}.")
    unknown = sorted(set(cases["status"]) - set(STATUSES))
    if unknown:
        problems.append(f"output cases.csv: unknown status(es) {', '.join(unknown[:10])}.")
    if cases["case_id"].duplicated().any():
        problems.append("output cases.csv: a case_id is listed more than once.")
    expected = findings["case_id"].value_counts()
    listed = pd.to_numeric(cases.set_index("case_id")["findings_today"], errors="coerce")
    listed = listed[~listed.index.duplicated()]
    for case_id, count in expected.items():
        if case_id not in listed.index:
            problems.append(f"output cases.csv: case {case_id} of violations.csv is not listed.")
        elif listed[case_id] != count:
            problems.append(f"output cases.csv: case {case_id} findings_today is {listed[case_id]:g}; "
                            f"violations.csv holds {count}.")
    for case_id in listed.index[(listed > 0) & ~listed.index.isin(expected.index)]:
        problems.append(f"output cases.csv: case {case_id} has findings today but none in violations.csv.")
    return problems[:50]


def _decision_sources(manifest: dict) -> set[str]:
    """The tables decisions may come from: the inputs the manifest lists, and both decision
    tables when the run read the case desk (its `desk` entry: desk.md §4)."""
    tables = {str(e.get("table")) for e in manifest["inputs"]}
    return tables | ({"exceptions", "disputes"} if isinstance(manifest.get("desk"), dict) else set())


def _decisions_agree(cases: pd.DataFrame, findings: pd.DataFrame, manifest: dict) -> list[str]:
    """Decisions (cases.md §3) agree across violations.csv, cases.csv and the inputs: every
    finding of a case on the day carries its case's decision (all have call date D), each
    decision names the row that made it, and none comes from a table the audit did not read."""
    problems = []
    for name, frame in (("violations.csv", findings), ("cases.csv", cases)):
        unknown = sorted(set(frame["decision"]) - {"", *DECISIONS})
        if unknown:
            problems.append(f"output {name}: unknown decision(s) {', '.join(unknown[:10])}.")
    per_case = findings.drop_duplicates(["case_id", "decision"])
    for case_id in sorted(per_case.loc[per_case["case_id"].duplicated(), "case_id"].unique())[:10]:
        problems.append(f"output violations.csv: the findings of case {case_id} carry different decisions.")
    listed = cases.drop_duplicates("case_id").set_index("case_id")
    for row in per_case.drop_duplicates("case_id").itertuples(index=False):
        if row.case_id in listed.index and listed.at[row.case_id, "decision"] != row.decision:
            problems.append(f"output cases.csv: case {row.case_id} decision is {listed.at[row.case_id, 'decision']!r}; "
                            f"its findings in violations.csv are {row.decision!r}.")
    tables = _decision_sources(manifest)
    for decision, column, table in ((ACCEPTED, "exception_id", "exceptions"), (DISMISSED, "dispute_id", "disputes"),
                                    (DISPUTED, "dispute_id", "disputes")):
        mine = cases[cases["decision"] == decision]
        if (mine[column] == "").any():
            problems.append(f"output cases.csv: a case {decision} without its {column}.")
        if len(mine) and table not in tables:
            problems.append(f"output cases.csv: cases {decision}, yet reference/{table} is not an input of the "
                            "manifest, nor did the run read the case desk.")
    for column, table in (("exception_id", "exceptions"), ("dispute_id", "disputes")):
        if (cases[column] != "").any() and table not in tables:
            problems.append(f"output cases.csv: {column} given, yet reference/{table} is not an input of the manifest.")
    return problems
