"""Hand-built Scorecards for the rendering tests.

- AG001: assessed, Chinese name, 60 findings (12 critical), grade capped at C.
- AG002: assessed, a hostile name and finding details full of markup and formula prefixes.
- AG003: not assessed, its file is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from audits.models import (
    DataQuality,
    FamilyScore,
    Finding,
    InputFile,
    Portfolio,
    Provenance,
    RuleLine,
    Scorecard,
    TrendPoint,
)

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "templates"

HOSTILE_NAME = '<script>alert(1)</script> "onload=alert(2) Contact Ltd'
CHINESE_NAME = "华信外呼服务有限公司"

PROVENANCE = Provenance(
    run_id="run-20260314-0001",
    audit_date="2026-03-14",
    rulepack_name="cn_bank",
    rulepack_sha256="9f2c1e7a5b3d4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9011223344556677",
    code_version="0.4.2+g1a2b3c4",
    generated_at="2026-03-15T01:30:00+08:00",
    inputs=(
        InputFile("landing/reference/contracts.csv",
                  "1111111111111111111111111111111111111111111111111111111111111111", 3),
        InputFile("landing/cdr/2026-03-14/AG001.csv",
                  "2222222222222222222222222222222222222222222222222222222222222222", 1250),
        InputFile("landing/cdr/2026-03-14/AG002.csv",
                  "3333333333333333333333333333333333333333333333333333333333333333", 410),
    ),
)

RULES_AG001 = (
    RuleLine("CONF_UNASSIGNED", "confidentiality", "critical",
             "Customer not assigned to this agency", "assignment in force on D", 1240, 12, 0.0097),
    RuleLine("CONF_AGENT_NOT_ACTIVE", "confidentiality", "major",
             "Agent unknown or not active on the day", "roster in force on D", 1240, 0, 0.0),
    RuleLine("FREQ_DAILY_CAP", "frequency", "major",
             "Attempts per number per day over the cap",
             "marketing 3, servicing 5, collection 6", 1180, 30, 0.0254),
    RuleLine("FREQ_CALLING_HOURS", "frequency", "major", "Call outside permitted calling hours",
             "marketing/servicing 08:00-21:00; collection 08:00-22:00", 1240, 18, 0.0145),
    RuleLine("QUAL_AGENT_UNTRAINED", "qualification", "minor",
             "Agent's compliance training missing or stale", "365 days", 1240, 0, 0.0),
)


def _findings_ag001() -> tuple[Finding, ...]:
    rows = []
    for i in range(60):
        rule, severity = (("CONF_UNASSIGNED", "critical") if i < 12
                          else ("FREQ_DAILY_CAP", "major") if i < 42
                          else ("FREQ_CALLING_HOURS", "major"))
        rows.append(Finding(
            rule_id=rule,
            severity=severity,
            call_id=f"C{i:05d}",
            agent_id=f"AGT{i % 4:02d}",
            campaign_id="CMP-MKT-01",
            callee_masked=f"+86 138****{i:04d}",
            callee_key=f"key{i:061d}",
            start_time=f"2026-03-14T{8 + i % 14:02d}:{i % 60:02d}:05+08:00",
            detail=f"attempt {i % 7 + 1} to this number today",
        ))
    return tuple(rows)


def _trend(last: float) -> tuple[TrendPoint, ...]:
    points = []
    for day in range(30):
        date = f"2026-02-{13 + day:02d}" if day < 16 else f"2026-03-{day - 15:02d}"
        if day in (9, 10):
            points.append(TrendPoint(date, None, "n/a"))
        else:
            score = round(78 + (day % 9) * 1.7, 1)
            points.append(TrendPoint(date, score, "C" if score < 80 else "B"))
    points[-1] = TrendPoint("2026-03-14", last, "C")
    return tuple(points)


def _dq_ok(read: int, quarantined: int, reasons) -> DataQuality:
    return DataQuality("ok", "", read, read - quarantined, quarantined, reasons)


CARD_AG001 = Scorecard(
    agency_id="AG001",
    agency_name=CHINESE_NAME,
    audit_date="2026-03-14",
    assessed=True,
    calls_audited=1240,
    overall=86.6,
    grade="C",
    grade_gate="critical",
    critical_findings=12,
    total_findings=60,
    families=(
        FamilyScore("confidentiality", 0.35, 80.6, 0.0097, 12),
        FamilyScore("frequency", 0.30, 76.4, 0.0399, 48),
        FamilyScore("qualification", 0.25, 100.0, 0.0, 0),
        FamilyScore("data_quality", 0.10, 96.0, 0.008, 10),
    ),
    rules=RULES_AG001,
    top_agents=(("AGT00", 15), ("AGT01", 15), ("AGT02", 15), ("AGT03", 15)),
    top_callers=(("+86 21****8800", 41), ("+86 21****8801", 19)),
    findings_by_hour=(0, 0, 0, 0, 0, 0, 0, 0, 6, 5, 5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 0, 0),
    findings=_findings_ag001(),
    trend=_trend(86.6),
    change_prev_day=-1.7,
    change_prev_7d=2.35,
    data_quality=_dq_ok(1250, 10, (("DQ_BAD_PHONE", 7), ("DQ_DUPLICATE_CALL_ID", 3))),
    provenance=PROVENANCE,
)

FORMULA_DETAILS = (
    '=HYPERLINK("http://evil.example/x","click me")',
    "+1 attempt over the daily cap",
    "-2 days after the refusal",
    "@SUM(A1:A9)",
    "\t=1+1",
)

CARD_AG002 = Scorecard(
    agency_id="AG002",
    agency_name=HOSTILE_NAME,
    audit_date="2026-03-14",
    assessed=True,
    calls_audited=400,
    overall=95.5,
    grade="A",
    grade_gate="",
    critical_findings=0,
    total_findings=7,
    families=(
        FamilyScore("confidentiality", 0.35, 100.0, 0.0, 0),
        FamilyScore("frequency", 0.30, 85.0, 0.0075, 3),
        FamilyScore("qualification", 0.25, 100.0, 0.0, 0),
        FamilyScore("data_quality", 0.10, 100.0, 0.0, 0),
    ),
    rules=(
        RuleLine("FREQ_RAPID_REDIAL", "frequency", "minor",
                 "Redial soon after an unanswered attempt", "5 min", 400, 7, 0.0175),
    ),
    top_agents=(("=cmd|' /C calc'!A0", 7),),
    top_callers=(("+86 10****0001", 7),),
    findings_by_hour=(0,) * 9 + (7,) + (0,) * 14,
    findings=tuple(
        Finding("FREQ_RAPID_REDIAL", "minor", f"D{i:03d}",
                "=cmd|' /C calc'!A0" if i == 0 else "AGT9", "CMP-SRV-02", "+86 139****0000",
                f"hostile-key-{i}",
                f"2026-03-14T09:{10 + i:02d}:00+08:00", detail)
        for i, detail in enumerate(FORMULA_DETAILS + (
            '<script>alert("detail")</script>',
            '<img src=x "onload=alert(3)>',
        ))
    ),
    trend=(TrendPoint("2026-03-13", 93.0, "A"), TrendPoint("2026-03-14", 95.5, "A")),
    change_prev_day=2.5,
    change_prev_7d=None,
    data_quality=_dq_ok(410, 10, (("DQ_MALFORMED_ROW", 10),)),
    provenance=PROVENANCE,
)

MISSING_MESSAGE = ("No file landing/cdr/2026-03-14/AG003.csv although contract K-003 is in force "
                   "on 2026-03-14.")

CARD_AG003 = Scorecard(
    agency_id="AG003",
    agency_name="Northwind Collections",
    audit_date="2026-03-14",
    assessed=False,
    calls_audited=0,
    overall=None,
    grade="n/a",
    grade_gate="",
    critical_findings=0,
    total_findings=0,
    families=(
        FamilyScore("confidentiality", 0.35, None, None, 0),
        FamilyScore("frequency", 0.30, None, None, 0),
        FamilyScore("qualification", 0.25, None, None, 0),
        FamilyScore("data_quality", 0.10, 0.0, None, 0),
    ),
    rules=(
        RuleLine("CONF_UNASSIGNED", "confidentiality", "critical",
                 "Customer not assigned to this agency", "assignment in force on D", 0, 0, None),
    ),
    top_agents=(),
    top_callers=(),
    findings_by_hour=(0,) * 24,
    findings=(),
    trend=(TrendPoint("2026-03-12", 91.0, "A"), TrendPoint("2026-03-13", 90.2, "A"),
           TrendPoint("2026-03-14", None, "n/a")),
    change_prev_day=None,
    change_prev_7d=None,
    data_quality=DataQuality("missing", MISSING_MESSAGE, 0, 0, 0, ()),
    provenance=PROVENANCE,
)

PORTFOLIO = Portfolio(
    audit_date="2026-03-14",
    scorecards=(CARD_AG003, CARD_AG001, CARD_AG002),
    provenance=PROVENANCE,
)


@pytest.fixture
def templates_dir() -> Path:
    return TEMPLATES


@pytest.fixture
def assessed_card() -> Scorecard:
    return CARD_AG001


@pytest.fixture
def hostile_card() -> Scorecard:
    return CARD_AG002


@pytest.fixture
def missing_card() -> Scorecard:
    return CARD_AG003


@pytest.fixture
def portfolio() -> Portfolio:
    return PORTFOLIO
