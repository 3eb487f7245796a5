"""Period totals per agency from the daily scores.csv rows, scored by the daily formula
(audits.scoring.score_totals) over the period's totals: rates are contacts (calls and text
messages) with a finding in the family over the contacts audited in the period, not a mean of
daily scores.

Which days count (decisions where review.md is silent):
- calls and calls with a finding per family: the days the agency was assessed (a day with its
  file missing or unreadable audits no calls);
- rows read and quarantined (data quality): every day of the period with a report, so a day
  whose file was unreadable counts its rows as quarantined, as on that day's scorecard;
- a period in which the agency was never assessed is not assessed, like such a day: data
  quality 0, the other families, the overall and the grade not assessed (blank);
- the grade gates (rules.md, Scoring) judge the period's counted findings: calls with a
  critical finding over the period's calls audited, any finding of a `fail_rules` rule;
- days without a report are not "not assessed" days of the agency: they are listed on every
  scorecard as missing and never scored.
"""

from __future__ import annotations

import pandas as pd

from audits.config import Rulepack
from audits.scoring import FAMILIES, score_totals

_COUNTS = ("rows_read", "rows_quarantined", "calls_audited", "critical_findings",
           *(f"calls_{f}" for f in FAMILIES))
# Text messages (sms.md §3): summed when the daily scores.csv have them (reports made with texts).
TEXT_COUNTS = ("messages_audited", "findings_sms")


def agency_totals(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per agency (sorted): agency_name (its latest), days_audited, days_not_assessed,
    not_assessed_dates (";"-joined), and the period's sums of the daily counts (TEXT_COUNTS too
    when the daily scores have them)."""
    frame = scores.copy()
    frame["assessed"] = frame["assessed"].str.strip().str.lower() == "true"
    counts = [*_COUNTS, *(c for c in TEXT_COUNTS if c in frame.columns)]
    for column in counts:
        frame[column] = pd.to_numeric(frame[column].fillna("").replace("", "0"), errors="raise").astype("int64")
    frame = frame.sort_values(["agency_id", "audit_date"], kind="stable")
    grouped = frame.groupby("agency_id", sort=True)
    totals = grouped[counts].sum()
    named = frame[frame["agency_name"].str.strip() != ""]
    totals["agency_name"] = named.groupby("agency_id")["agency_name"].last().reindex(totals.index).fillna("")
    totals["days_audited"] = grouped["assessed"].sum().astype("int64")
    totals["days_not_assessed"] = grouped["assessed"].size().astype("int64") - totals["days_audited"]
    unassessed = frame[~frame["assessed"]]
    totals["not_assessed_dates"] = (unassessed.groupby("agency_id")["audit_date"].agg(";".join)
                                    .reindex(totals.index).fillna(""))
    return totals.reset_index()


def period_scores(totals: pd.DataFrame, rulepack: Rulepack, *, critical_calls: dict[str, int],
                  fail_rule_hits: dict[str, frozenset[str]]) -> pd.DataFrame:
    """rate_<family>, score_<family>, overall, grade, grade_capped, grade_gate per agency, by the
    daily formula over contacts (calls audited, plus messages audited when the totals have them).
    `critical_calls`: per agency, the period's contacts with a counted critical finding;
    `fail_rule_hits`: per agency, the rules of scoring.gates.fail_rules with a counted finding in
    the period."""
    rows = []
    for row in totals.itertuples(index=False):         # one per agency
        counts = {f: int(getattr(row, f"calls_{f}")) for f in FAMILIES}
        contacts = int(row.calls_audited) + int(getattr(row, "messages_audited", 0))   # rates over contacts
        scores, overall, grade, gate = score_totals(
            readable=row.days_audited > 0, calls_audited=contacts, calls_by_family=counts,
            rows_read=int(row.rows_read), rows_quarantined=int(row.rows_quarantined),
            critical_calls=int(critical_calls.get(row.agency_id, 0)),
            fail_rule_hits=fail_rule_hits.get(row.agency_id, frozenset()), rulepack=rulepack)
        rates = {f"rate_{f}": _rate(counts[f], contacts) for f in FAMILIES}
        rates["rate_data_quality"] = _rate(int(row.rows_quarantined), int(row.rows_read))
        rows.append({"agency_id": row.agency_id, **rates, **{f"score_{f}": s for f, s in scores.items()},
                     "overall": overall, "grade": grade, "grade_capped": bool(gate), "grade_gate": gate})
    return pd.DataFrame(rows, columns=["agency_id", *(f"rate_{f}" for f in (*FAMILIES, "data_quality")),
                                       *(f"score_{f}" for f in (*FAMILIES, "data_quality")),
                                       "overall", "grade", "grade_capped", "grade_gate"])


def complaint_rate(complaints: int, numbers: int) -> float | None:
    """Complaints per 10,000 distinct numbers called (None without a number called)."""
    return round(complaints / numbers * 10_000, 4) if numbers else None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None
