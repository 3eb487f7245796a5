"""Hand-written daily reports with literal figures (what the review reads: scores.csv,
cases.csv, violations.csv, complaints.csv, warnings.csv, a manifest hashing them) and a
store holding the calls those days count, for tests that need exact totals."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from audits.cases import decision_snapshot
from audits.cases.summary import CASE_COLUMNS
from audits.csv_cells import write_csv
from audits.manifest import output_hashes
from audits.models import VIOLATION_COLUMNS
from audits.scoring import SCORE_COLUMNS
from audits.store import write_day

COMPLAINT_COLUMNS = ("audit_date", "complaint_id", "received_at", "channel", "category", "callee_masked",
                     "callee_key", "named_agency", "linked_agencies", "calls_in_window", "findings_in_window",
                     "linked_case_ids", "status")
WARNING_COLUMNS = ("audit_date", "level", "agency_id", "agent_id", "metric", "value", "baseline", "z", "basis",
                   "detail")


def score(day: str, agency: str, *, calls: int = 0, conf: int = 0, freq: int = 0, qual: int = 0,
          quarantined: int = 0, critical: int = 0, status: str = "ok", name: str = "", overall: float | None = None,
          grade: str = "", **extra) -> dict:
    """One daily scores.csv row; the daily scores are only shown by the review, not summed."""
    assessed = status == "ok"
    return {"audit_date": day, "agency_id": agency, "agency_name": name or f"Agency {agency}", "assessed": assessed,
            "file_status": status, "rows_read": calls + quarantined, "rows_quarantined": quarantined,
            "calls_audited": calls, "findings": conf + freq + qual, "critical_findings": critical,
            "calls_confidentiality": conf, "calls_frequency": freq, "calls_qualification": qual,
            "score_confidentiality": None, "score_frequency": None, "score_qualification": None,
            "score_data_quality": None, "overall": overall if overall is not None else (50.0 if assessed else None),
            "grade": grade or ("F" if assessed else ""), "grade_capped": False, "change_prev_day": None,
            "change_prev_7d": None, **extra}


def case(day: str, case_id: str, agency: str, *, rule: str = "CONF_UNASSIGNED", family: str = "confidentiality",
         severity: str = "critical", status: str = "open", first_seen: str = "", days_open: int | str = 1,
         findings_today: int = 1, decision: str = "", exception_id: str = "", dispute_id: str = "",
         subject_kind: str = "customer", subject: str = "+86 138****5678") -> dict:
    return {"audit_date": day, "case_id": case_id, "agency_id": agency, "rule_id": rule, "family": family,
            "severity": severity, "subject_kind": subject_kind, "subject_display": subject, "status": status,
            "decision": decision, "first_seen": first_seen or day, "last_seen": day,
            "days_open": "" if status == "resolved" else days_open, "findings_today": findings_today,
            "findings_episode": findings_today, "calls_today": findings_today, "exception_id": exception_id,
            "dispute_id": dispute_id, "summary": f"Case {case_id} of {agency}."}


def finding(day: str, agency: str, call_id: str, *, rule: str = "CONF_UNASSIGNED", family: str = "confidentiality",
            severity: str = "critical", case_id: str = "", decision: str = "", detail: str = "d",
            agent: str = "A1", campaign: str = "MKT") -> dict:
    return {"audit_date": day, "agency_id": agency, "rule_id": rule, "family": family, "severity": severity,
            "call_id": call_id, "agent_id": agent, "campaign_id": campaign, "callee_masked": "+86 138****5678",
            "callee_key": "k" * 64, "start_time": f"{day}T10:00:00+08:00", "detail": detail, "case_id": case_id,
            "decision": decision}


def publish_day(out: Path, day: str, scores: list[dict], *, cases: list[dict] | None = (),
                violations: list[dict] = (), complaints: list[dict] | None = None,
                warnings: list[dict] | None = None, rulepack_sha256: str = "x",
                decisions: list[dict] | None = (), landing: Path | None = None) -> Path:
    """<out>/<day>/ with the given CSVs and a manifest whose `outputs` hash them; `decisions`:
    the rows of the decisions.csv the day recorded (decision_snapshot.COLUMNS, blanks left out;
    none by default, as every report writes it; None: no decisions.csv at all);
    `landing`: the landing zone the manifest names."""
    folder = out / day
    folder.mkdir(parents=True)
    score_columns = list(SCORE_COLUMNS) + [c for row in scores for c in row if c not in SCORE_COLUMNS]
    write_csv(_frame(scores, list(dict.fromkeys(score_columns))), folder / "scores.csv")
    write_csv(_frame(list(violations), list(VIOLATION_COLUMNS)), folder / "violations.csv")
    if cases is not None:
        write_csv(_frame(list(cases), list(CASE_COLUMNS)), folder / "cases.csv")
    if complaints is not None:
        write_csv(_frame(complaints, list(COMPLAINT_COLUMNS)), folder / "complaints.csv")
    if warnings is not None:
        write_csv(_frame(warnings, list(WARNING_COLUMNS)), folder / "warnings.csv")
    if decisions is not None:
        rows = _frame(decisions, list(decision_snapshot.COLUMNS)).astype(object).fillna("")
        write_csv(rows, folder / decision_snapshot.FILE)
    manifest = {"run_id": f"test-{day}", "audit_date": day, "generated_at": f"{day}T20:00:00+00:00",
                "code_version": "test", "rulepack": {"name": "cn_bank", "sha256": rulepack_sha256},
                "outputs": output_hashes(folder), **({"landing": str(landing)} if landing else {})}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return folder


def store_day(store: Path, day: str, numbers_by_agency: dict[str, int], *, start: int = 0,
              disposition: str = "NO_ANSWER") -> None:
    """The store's calls of `day`: for each agency, one attempt to each of `n` numbers
    (+86 139 0000 0000 + start + k, so agencies and days may share numbers)."""
    rows = []
    for agency, n in numbers_by_agency.items():
        for k in range(n):
            number = f"+86139{start + k:08d}"
            rows.append({"call_id": f"{agency}-{day}-{k}", "agency_id": agency, "agent_id": "A1", "campaign_id": "MKT",
                         "caller_e164": "+861065529988", "callee_e164": number,
                         "start_utc": pd.Timestamp(f"{day}T02:00:00Z") + pd.Timedelta(seconds=k),
                         "disposition_code": disposition, "outcome_code": None, "call_date": day})
    frame = pd.DataFrame(rows, columns=["call_id", "agency_id", "agent_id", "campaign_id", "caller_e164",
                                        "callee_e164", "start_utc", "disposition_code", "outcome_code", "call_date"])
    frame["start_utc"] = pd.to_datetime(frame["start_utc"], utc=True)
    frame = frame.sort_values(["start_utc", "agency_id", "call_id"], kind="stable").reset_index(drop=True)
    write_day(store, dt.date.fromisoformat(day), frame)


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame({c: pd.Series([], dtype=object)
                                                                          for c in columns})
