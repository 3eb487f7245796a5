"""What rendering sees of a review: plain frozen values, never a DataFrame (style.md).

A PeriodScorecard is one agency's period; a ReviewPortfolio is the period's index. The same
PeriodScorecard renders the bank's scorecard and the one in the agency's share pack, which
differ only in their links (`in_pack`).
"""

from __future__ import annotations

from dataclasses import dataclass

from audits.models import CRITICAL_SHARE_D, CRITICAL_SHARE_F, GatedGrade
from audits.review.peers import PeerComparison
from audits.review.sla import ClauseResult


@dataclass(frozen=True)
class PeriodInfo:
    label: str                   # "2026-11" | "2026-Q4"
    title: str                   # "November 2026"
    first: str
    last: str
    days: int
    missing_days: tuple[str, ...]    # days of the period without a published report


@dataclass(frozen=True)
class PeriodFamily:
    family: str
    weight: float
    score: float | None
    rate: float | None
    affected: int                # calls with a finding (rows quarantined for data quality)
    findings: int | None         # findings in the family (None for data quality)


@dataclass(frozen=True)
class DayPoint:
    date: str
    status: str                  # "assessed" | "not assessed" | "no report" | "not delivered"
    calls: int
    findings: int
    critical: int
    overall: float | None
    grade: str


@dataclass(frozen=True)
class PeriodCase:
    case_id: str
    rule_id: str
    title: str
    family: str
    severity: str
    subject_kind: str
    subject_display: str
    status: str
    decision: str
    first_seen: str
    last_seen: str
    days_open: str
    opened_on: str
    resolved_on: str
    findings: int
    complaints: str
    summary: str


@dataclass(frozen=True)
class PeriodComplaint:
    received_at: str
    complaint_id: str
    channel: str
    category: str
    callee_masked: str
    named: bool                  # the customer named this agency
    case_ids: str                # this agency's cases it is linked to, ";"-joined


@dataclass(frozen=True)
class PeriodWarning:
    audit_date: str
    level: str
    agent_id: str
    metric: str
    value: str
    baseline: str
    z: str
    detail: str


@dataclass(frozen=True)
class ExceptionUse:
    exception_id: str
    case_id: str
    rule_id: str
    subject_display: str
    findings_accepted: int


@dataclass(frozen=True)
class DisputeOutcome:
    dispute_id: str
    case_id: str
    rule_id: str
    subject_display: str
    outcome: str                 # open | upheld | rejected
    findings_dismissed: int


@dataclass(frozen=True)
class ReviewProvenance:
    period: str
    rulepack_name: str
    rulepack_sha256: str
    code_version: str
    data_as_of: str              # the latest generation time of the daily reports read
    daily_manifests: tuple[tuple[str, str], ...]     # (date, sha256 of its manifest.json)
    rulepack_note: str = ""      # when daily reports were audited with another rulepack than the review scores with


@dataclass(frozen=True)
class PeriodScorecard(GatedGrade):
    agency_id: str
    agency_name: str
    period: PeriodInfo
    days_audited: int
    days_not_assessed: int
    not_assessed_dates: tuple[str, ...]
    calls_audited: int
    findings: int
    critical_findings: int
    overall: float | None
    grade: str                   # "" when not assessed on any day of the period
    grade_gate: str              # the gate that lowered the band's letter, "" when none (models.gate_words)
    families: tuple[PeriodFamily, ...]
    sla: tuple[ClauseResult, ...]
    sla_result: str              # met | not met
    complaints: int | None       # None: no complaint data in the period's reports
    numbers_called: int
    complaint_rate: float | None
    daily: tuple[DayPoint, ...]
    cases_opened: int
    cases_resolved: int
    cases_open_at_end: int
    top_cases: tuple[PeriodCase, ...]
    cases: tuple[PeriodCase, ...]                    # every case of the agency active in the period
    complaint_rows: tuple[PeriodComplaint, ...]
    warnings: tuple[PeriodWarning, ...] | None       # None: no warning data in the period's reports
    exceptions: tuple[ExceptionUse, ...]
    disputes: tuple[DisputeOutcome, ...]
    peers: PeerComparison
    provenance: ReviewProvenance
    grade_bands: tuple[tuple[str, float], ...]
    critical_shares: tuple[float, float] = (CRITICAL_SHARE_D, CRITICAL_SHARE_F)   # scoring.gates' shares
    messages_audited: int | None = None          # texts (sms.md §3); None: no texts in the period's reports
    findings_sms: int = 0


@dataclass(frozen=True)
class ReviewPortfolio:
    period: PeriodInfo
    scorecards: tuple[PeriodScorecard, ...]          # worst first (models.worst_first_key)
    provenance: ReviewProvenance
    sla_clauses: tuple[str, ...]                     # the clause labels of the rulepack, in order
