"""The SLA of the month so far, as the daily scorecard shows it: each clause met, or at risk when it
would fail if the month ended on the audit day (a clean A can already be over the complaint limit)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from audits.review.month_to_date import month_rows, sla_to_date
from audits.rulepack import load_rulepack

DAY = dt.date(2026, 11, 12)


def _score(day: str, agency: str, *, assessed: bool = True, calls: int = 1000, conf: int = 0) -> dict:
    return {"audit_date": day, "agency_id": agency, "agency_name": f"Agency {agency}", "assessed": assessed,
            "file_status": "ok" if assessed else "unreadable", "rows_read": calls if assessed else 50,
            "rows_quarantined": 0 if assessed else 50, "calls_audited": calls if assessed else 0, "findings": conf,
            "critical_findings": conf, "calls_confidentiality": conf, "calls_frequency": 0, "calls_qualification": 0}


def _cases(rows) -> pd.DataFrame:
    return pd.DataFrame([{"case_id": f"C-{n}", "agency_id": a, "severity": s, "status": st, "decision": d,
                          "days_open": str(days)} for n, (a, s, st, d, days) in enumerate(rows)])


def test_each_clause_is_met_or_at_risk_on_the_month_so_far():
    prior = pd.DataFrame([_score("2026-10-31", "AG01", assessed=False), _score("2026-10-31", "AG02", assessed=False)]
                         + [_score(f"2026-11-{d:02d}", "AG01") for d in range(1, 12)]
                         + [_score(f"2026-11-{d:02d}", "AG02", assessed=d not in (3, 4), conf=30 if d == 5 else 0)
                            for d in range(1, 12)])
    prior["assessed"] = prior["assessed"].map({True: "true", False: "false"})     # as read back from scores.csv
    today = pd.DataFrame([_score(DAY.isoformat(), "AG01"), _score(DAY.isoformat(), "AG02", conf=400)])
    rows = month_rows(today, prior, DAY)
    assert sorted(rows["audit_date"].unique())[0] == "2026-11-01" and rows["audit_date"].nunique() == 12
    cases = _cases([("AG01", "critical", "open", "", 7), ("AG02", "critical", "quiet", "", 8),
                    ("AG02", "critical", "open", "accepted", 30), ("AG02", "major", "open", "", 40)])
    rates = pd.DataFrame({"agency_id": ["AG01", "AG02"], "complaints": [5, 0], "regulator": [1, 0],
                          "numbers": [6000, 9000], "rate_per_10k": pd.array([8.33, 0.0], dtype="Float64")})
    judged = sla_to_date(rows, cases=cases, month_rates=rates, rulepack=load_rulepack("cn_bank"), audit_date=DAY)

    ag01 = {c.label: (c.result, c.text) for c in judged["AG01"].clauses}
    assert judged["AG01"].days == 12 and judged["AG01"].month == "2026-11"
    assert ag01["Overall score at least 85"][0] == "met"
    assert ag01["No critical case open longer than 7 days at period end"] == (
        "met", "longest open critical case 7 days: exactly the limit")
    assert ag01["Complaint rate at most 5 per 10,000 numbers called"] == (
        "at risk", "8.33 per 10,000 (5 complaints), 3.33 over the limit")
    assert ag01["At most 1 day not assessed"][0] == "met"

    ag02 = {c.label: (c.result, c.text) for c in judged["AG02"].clauses}
    assert ag02["No critical case open longer than 7 days at period end"][0] == "at risk"    # the quiet one, 8 days
    assert ag02["At most 1 day not assessed"] == ("at risk", "2 days not assessed: 1 day over the limit")
    assert ag02["Overall score at least 85"][0] == "at risk"      # 430 critical calls of 10,000: confidentiality low


def test_without_complaint_data_the_complaint_clause_is_not_judged():
    today = pd.DataFrame([_score(DAY.isoformat(), "AG01")])
    judged = sla_to_date(month_rows(today, today.iloc[0:0], DAY), cases=None, month_rates=None,
                         rulepack=load_rulepack("cn_bank"), audit_date=DAY)
    results = {c.label: c.result for c in judged["AG01"].clauses}
    assert results["Complaint rate at most 5 per 10,000 numbers called"] == "n/a"
    assert judged["AG01"].days == 1
