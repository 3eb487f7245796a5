"""What a case page shows beyond the register: its daily count of findings (the case store's
counts), its evidence calls and linked complaints (the published reports' violations.csv and
complaints.csv, masked as the scorecards show them). Never the calls partitions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from audits.cases.case_store import case_days, read_counts
from audits.csv_cells import read_csv
from audits.privacy import mask_free_text
from audits.store import StoreError

CHART_DAYS = 30                      # the last audited days charted on a case page
EVIDENCE_CALLS = 5                   # as on the scorecard (cases.evidence.EVIDENCE_PER_CASE)
EVIDENCE_COLUMNS = ("start_time", "call_id", "agent_id", "campaign_id", "callee_masked", "detail")
COMPLAINT_COLUMNS = ("audit_date", "complaint_id", "received_at", "channel", "category", "callee_masked", "status")


def daily_findings(store: Path, case_id: str, *, days: int = CHART_DAYS) -> list[tuple[dt.date, int]]:
    """(day, findings) of the case over the store's last `days` audited days (0 where none)."""
    out = []
    for day in case_days(store)[-days:]:
        try:
            counts = read_counts(store, day, case_id)
        except (StoreError, OSError):
            continue                    # a day the store cannot vouch for is left out, not guessed
        out.append((day, int(counts["findings"].sum()) if len(counts) else 0))
    return out


def evidence_calls(reports: Path | None, case_id: str, day: str) -> tuple[list[dict], int]:
    """The first EVIDENCE_CALLS findings of the case in the report of `day` (its last day
    seen), masked as published, and how many more the day had."""
    path = _report_file(reports, day, "violations.csv")
    if path is None:
        return [], 0
    frame = read_csv(path, dtype=str, keep_default_na=False,
                     usecols=lambda c: c in (*EVIDENCE_COLUMNS, "case_id"))
    rows = frame[frame["case_id"] == case_id].sort_values("start_time", kind="stable")
    shown = [{c: mask_free_text(str(row.get(c, ""))) for c in EVIDENCE_COLUMNS}
             for row in rows.head(EVIDENCE_CALLS).to_dict("records")]
    return shown, max(0, len(rows) - EVIDENCE_CALLS)


def linked_complaints(reports: Path | None, case_id: str) -> list[dict]:
    """Complaints of any published day linked to the case, newest first."""
    if reports is None or not Path(reports).is_dir():
        return []
    found = []
    for path in sorted(Path(reports).glob("????-??-??/complaints.csv"), reverse=True):
        frame = read_csv(path, dtype=str, keep_default_na=False)
        if "linked_case_ids" not in frame:
            continue
        linked = frame[frame["linked_case_ids"].str.split(";").map(lambda ids: case_id in ids)]
        found += [{c: mask_free_text(str(row.get(c, ""))) for c in COMPLAINT_COLUMNS}
                  for row in linked.to_dict("records")]
    return found


def _report_file(reports: Path | None, day: str, name: str) -> Path | None:
    if reports is None or not day:
        return None
    try:
        folder = dt.date.fromisoformat(str(day)[:10]).isoformat()
    except ValueError:
        return None
    path = Path(reports) / folder / name
    return path if path.is_file() else None


