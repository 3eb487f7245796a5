"""verify, the day's decisions (cases.md §3) decided again from what the run recorded.

A report made since decisions were recorded holds `decisions.csv` (audits.cases.decisionsnapshot:
the exceptions and disputes it applied) and its manifest says so (`decisions`: file, rows). Each
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

from audits.cases.decisions import decide_cases
from audits.cases.decisionsnapshot import COLUMNS, FILE, decision_tables
from audits.csvcells import read_csv
from audits.manifest import whole_number

_SHOWN = ("decision", "exception_id", "dispute_id")


def check_recorded_decisions(report_dir: Path, manifest: dict, cases: pd.DataFrame) -> list[str]:
    """Problems of cases.csv (`cases`: case_id, agency_id, rule_id and _SHOWN, as text) against
    the decisions the run recorded; [] for a report from before decisions were recorded."""
    recorded = manifest.get("decisions")
    path = report_dir / FILE
    if recorded is None:
        return []
    if not isinstance(recorded, dict):
        return [f"manifest: decisions {str(recorded)[:80]!r} is not a record of {FILE}."]
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
    read = {str(e.get("table")) for e in manifest["inputs"]}
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
