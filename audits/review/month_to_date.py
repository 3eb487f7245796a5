"""The SLA of the monthly review (review.md §1) judged on the month so far, as if the month ended
on the audit day: what each daily scorecard shows beside its grade, so a clause that will fail
the month is seen while there is time to act ("at risk").

Everything comes from what the nightly run already has: the month's scores.csv rows (earlier
reports and today's), today's cases.csv and the complaints linked in the month so far per
10,000 distinct numbers called in it (computed with the complaint rate, signals.md §1). The
clauses are judged by the review's own rules (review/sla.py) over the review's own totals
(review/totals.py), so the daily page and the month's review cannot disagree on a complete month.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from audits.config import Rulepack
from audits.models import Scorecard, SlaClauseToDate, SlaToDate
from audits.review import sla as sla_rules
from audits.review.period_cases import open_critical_days
from audits.review.totals import agency_totals, period_scores

AT_RISK = "at risk"
_RESULT_WORDS = {sla_rules.MET: "met", sla_rules.NOT_MET: AT_RISK, sla_rules.NOT_JUDGED: "n/a"}
_COUNTS = ("rows_read", "rows_quarantined", "calls_audited", "critical_findings", "calls_confidentiality",
           "calls_frequency", "calls_qualification")


def month_rows(today: pd.DataFrame, prior: pd.DataFrame, audit_date: dt.date) -> pd.DataFrame:
    """scores.csv rows of the audit day's month up to and including it (text, as the review reads
    them): earlier reports' rows of the month, then today's."""
    first = audit_date.replace(day=1).isoformat()
    dates = prior["audit_date"].astype(str)
    earlier = prior[(dates >= first) & (dates < audit_date.isoformat())]
    frame = pd.concat([earlier, today], ignore_index=True)
    out = pd.DataFrame({"audit_date": frame["audit_date"].astype(str), "agency_id": frame["agency_id"].astype(str),
                        "agency_name": frame["agency_name"].fillna("").astype(str),
                        "assessed": frame["assessed"].map(_flag)})
    for column in _COUNTS:
        out[column] = pd.to_numeric(frame[column], errors="coerce").fillna(0).astype("int64").astype(str)
    return out


def _flag(value) -> str:
    return "true" if str(value).strip().lower() == "true" else "false"


def sla_to_date(rows: pd.DataFrame, *, cases: pd.DataFrame | None, month_rates: pd.DataFrame | None,
                rulepack: Rulepack, audit_date: dt.date) -> dict[str, SlaToDate]:
    """Per agency of today's rows, the SLA clauses judged on the month so far. `month_rates`:
    complaints and distinct numbers per agency over the month so far (effects.RATE_COLUMNS), None
    when the run has no complaint data (the clause is then not judged)."""
    totals = agency_totals(rows)
    # only the overall is judged (min_overall_score); the gates change the grade, not the overall
    scored = totals.merge(period_scores(totals, rulepack, critical_calls={}, fail_rule_hits={}), on="agency_id",
                          how="left").set_index("agency_id")
    longest = open_critical_days(cases) if cases is not None and not cases.empty else pd.Series(dtype="int64")
    rates = month_rates.set_index("agency_id") if month_rates is not None else None
    today = set(rows.loc[rows["audit_date"] == audit_date.isoformat(), "agency_id"])
    days = rows["audit_date"].nunique()
    out = {}
    for agency in sorted(today):
        row = scored.loc[agency]
        complaints = rate = None
        if rates is not None:
            known = agency in rates.index
            complaints = int(rates.loc[agency, "complaints"]) if known else 0
            value = rates.loc[agency, "rate_per_10k"] if known else None
            rate = None if value is None or pd.isna(value) else float(value)
        clauses = sla_rules.judge(rulepack.review.sla, overall=_number(row["overall"]),
                                  open_critical_days=int(longest.get(agency, 0)), complaints=complaints,
                                  complaint_rate=rate, not_assessed_days=int(row["days_not_assessed"]))
        out[agency] = SlaToDate(
            month=f"{audit_date:%Y-%m}", first_day=audit_date.replace(day=1).isoformat(),
            last_day=audit_date.isoformat(), days=days,
            clauses=tuple(SlaClauseToDate(label=c.label, result=_RESULT_WORDS[c.result], text=c.text)
                          for c in clauses if c.threshold is not None))
    return out


def with_sla_to_date(cards: list[Scorecard], judged: dict[str, SlaToDate]) -> list[Scorecard]:
    return [dataclasses.replace(card, sla_to_date=judged.get(card.agency_id)) for card in cards]


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
