"""Review frames -> PeriodScorecards (what rendering sees): one per agency of the period."""

from __future__ import annotations

import math

import pandas as pd

from audits.config import Rulepack
from audits.models import RULES_BY_ID
from audits.review import sla as sla_rules
from audits.review.cards import (
    DayPoint,
    DisputeOutcome,
    ExceptionUse,
    PeriodCase,
    PeriodComplaint,
    PeriodFamily,
    PeriodInfo,
    PeriodScorecard,
    PeriodWarning,
    ReviewProvenance,
)
from audits.review.peers import PeerComparison
from audits.review.period_cases import OPEN_STATUSES
from audits.scoring import FAMILIES

TOP_CASES = 10


def period_scorecard(row, *, period: PeriodInfo, daily_scores: pd.DataFrame, cases: pd.DataFrame,
                     complaints: pd.DataFrame | None, warnings: pd.DataFrame | None, clauses: tuple,
                     peers: PeerComparison, provenance: ReviewProvenance, rulepack: Rulepack) -> PeriodScorecard:
    """One agency's period. `row`: its review scores.csv row; the frames: already this agency's."""
    families = tuple(
        PeriodFamily(family=f, weight=rulepack.scoring.weights[f], score=_number(getattr(row, f"score_{f}")),
                     rate=_number(getattr(row, f"rate_{f}")), affected=int(getattr(row, f"calls_{f}")),
                     findings=int(getattr(row, f"findings_{f}")))
        for f in FAMILIES) + (PeriodFamily(
            family="data_quality", weight=rulepack.scoring.weights["data_quality"],
            score=_number(row.score_data_quality), rate=_number(row.rate_data_quality),
            affected=int(row.rows_quarantined), findings=None),)
    return PeriodScorecard(
        agency_id=row.agency_id, agency_name=row.agency_name or row.agency_id, period=period,
        days_audited=int(row.days_audited), days_not_assessed=int(row.days_not_assessed),
        not_assessed_dates=tuple(d for d in str(row.not_assessed_dates).split(";") if d),
        calls_audited=int(row.calls_audited), findings=int(row.findings), critical_findings=int(row.critical_findings),
        overall=_number(row.overall), grade="" if _number(row.overall) is None else str(row.grade),
        grade_gate=str(row.grade_gate or ""), families=families,
        sla=clauses, sla_result=sla_rules.overall_result(clauses),
        complaints=None if _number(row.complaints) is None else int(row.complaints),
        numbers_called=int(row.numbers_called), complaint_rate=_number(row.complaint_rate_per_10k),
        daily=_daily(daily_scores, period),
        cases_opened=int((cases["opened_on"] != "").sum()),
        cases_resolved=int((cases["status"] == "resolved").sum()),
        cases_open_at_end=int(cases["status"].isin(OPEN_STATUSES).sum()),
        top_cases=tuple(_case(c) for c in _top(cases).itertuples(index=False)),
        cases=tuple(_case(c) for c in cases.itertuples(index=False)),
        complaint_rows=_complaints(complaints, row.agency_id),
        warnings=None if warnings is None else tuple(
            PeriodWarning(*(str(getattr(w, c, "")) for c in ("audit_date", "level", "agent_id", "metric", "value",
                                                             "baseline", "z", "detail")))
            for w in warnings.itertuples(index=False)),
        exceptions=_exceptions(cases), disputes=_disputes(cases), peers=peers, provenance=provenance,
        grade_bands=tuple((g, float(f)) for g, f in rulepack.scoring.grade_bands),
        critical_shares=(rulepack.scoring.gates.critical_share_d or 0.0,
                         rulepack.scoring.gates.critical_share_f or 0.0),
        messages_audited=_whole(getattr(row, "messages_audited", None)),
        findings_sms=_whole(getattr(row, "findings_sms", None)) or 0,
    )


def _whole(value) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def _daily(scores: pd.DataFrame, period: PeriodInfo) -> tuple[DayPoint, ...]:
    by_day = {r.audit_date: r for r in scores.itertuples(index=False)}
    missing = set(period.missing_days)
    points = []
    for day in pd.date_range(period.first, period.last, freq="D").strftime("%Y-%m-%d"):
        row = by_day.get(day)
        if row is None:
            points.append(DayPoint(day, "no report" if day in missing else "not in the report", 0, 0, 0, None, ""))
            continue
        assessed = str(row.assessed).strip().lower() == "true"
        overall = _number(row.overall) if assessed else None        # a day not assessed has no score
        points.append(DayPoint(day, "assessed" if assessed else f"not assessed ({row.file_status})",
                               int(row.calls_audited or 0), int(row.findings or 0), int(row.critical_findings or 0),
                               overall, str(row.grade) if overall is not None else ""))
    return tuple(points)


def _top(cases: pd.DataFrame) -> pd.DataFrame:
    """The cases to read first: severity, then complaints, then findings in the period."""
    if cases.empty:
        return cases
    ranked = cases.assign(
        _s=cases["severity"].map({"critical": 0, "major": 1, "minor": 2}).fillna(9),
        _c=-pd.to_numeric(cases["complaints"], errors="coerce").fillna(0),
        _f=-pd.to_numeric(cases["findings_period"], errors="coerce").fillna(0))
    return ranked.sort_values(["_s", "_c", "_f", "case_id"], kind="stable").head(TOP_CASES)


def _case(c) -> PeriodCase:
    info = RULES_BY_ID.get(c.rule_id)
    return PeriodCase(case_id=c.case_id, rule_id=c.rule_id, title=info.title if info else c.rule_id, family=c.family,
                      severity=c.severity, subject_kind=c.subject_kind, subject_display=str(c.subject_display),
                      status=c.status, decision=str(c.decision), first_seen=str(c.first_seen),
                      last_seen=str(c.last_seen), days_open=str(c.days_open), opened_on=str(c.opened_on),
                      resolved_on=str(c.resolved_on), findings=int(c.findings_period), complaints=str(c.complaints),
                      summary=str(c.summary))


def _complaints(complaints: pd.DataFrame | None, agency: str) -> tuple[PeriodComplaint, ...]:
    if complaints is None:
        return ()
    return tuple(PeriodComplaint(received_at=str(c.received_at), complaint_id=str(c.complaint_id),
                                 channel=str(c.channel), category=str(c.category),
                                 callee_masked=str(c.callee_masked), named=str(c.named_agency) == agency,
                                 case_ids=str(c.own_case_ids))
                 for c in complaints.itertuples(index=False))


def _exceptions(cases: pd.DataFrame) -> tuple[ExceptionUse, ...]:
    used = cases[cases["exception_id"] != ""]
    return tuple(ExceptionUse(exception_id=c.exception_id, case_id=c.case_id, rule_id=c.rule_id,
                              subject_display=str(c.subject_display), findings_accepted=int(c.findings_accepted))
                 for c in used.sort_values(["exception_id", "case_id"]).itertuples(index=False))


def _disputes(cases: pd.DataFrame) -> tuple[DisputeOutcome, ...]:
    named = cases[cases["dispute_id"] != ""]
    return tuple(DisputeOutcome(dispute_id=c.dispute_id, case_id=c.case_id, rule_id=c.rule_id,
                                subject_display=str(c.subject_display), outcome=c.dispute_outcome,
                                findings_dismissed=int(c.findings_dismissed))
                 for c in named.sort_values(["dispute_id", "case_id"]).itertuples(index=False))


def _number(value) -> float | None:
    if value is None or value == "" or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)
