"""Decisions in the review: those in force when the review runs, applied to every day of the
period (cases.md §3), so that one case is never dismissed on one day and counted on another.

A dispute upheld after a day was published dismisses that day's findings of its case too (every
finding with a call date on or before decided_on), yet the day's report, published while the
dispute was open, counts them. Each daily report records the decisions it applied
(`decisions.csv`, audits.cases.decision_snapshot); the review takes those of the latest
published report, the decisions in force at its run, and decides every case of every day of
the period again with them (audits.cases.decisions.decide_cases, as the nightly run does):
the findings' decisions, the findings and calls that count per agency and family, and the
register's decision columns. A report without decisions.csv (an earlier version's) is refused
(audits.review.dailies.require_outputs): rerun its day.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from audits.cases.decisions import counted_findings, decide_cases, overlay_register, with_decisions
from audits.scoring import FAMILIES

# The clause overlay_register appends to a case's summary, one form per decision (cases.decisions._notes).
_NOTE = re.compile(r"; (?:dismissed: dispute .+ upheld on [0-9-]*|accepted under exception .+ to [0-9-]*"
                   r"|disputed by the agency \(dispute .+, raised [0-9-]*\)|dispute .+ \w+ on [0-9-]*)\.$")
COUNT_COLUMNS = ("critical_findings", *(f"calls_{f}" for f in FAMILIES))


def decide_findings(frame: pd.DataFrame, day: dt.date, tables: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    """One day's violations.csv rows with `decision` as the decisions `tables` (exceptions,
    disputes) give on `day`."""
    if frame.empty:
        return frame
    decided = decide_cases(frame[["case_id", "agency_id", "rule_id"]], *tables, day)
    return with_decisions(frame.assign(decision=""), decided)


def decide_register(rows: pd.DataFrame, tables: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    """The period's daily cases.csv rows with decision, exception_id, dispute_id and the
    summary's decision clause as `tables` give them on each row's audit_date."""
    if rows is None or rows.empty:
        return rows
    plain = rows.assign(decision="", exception_id="", dispute_id="",
                        summary=rows["summary"].astype(str).str.replace(_NOTE, ".", regex=True))
    days = []
    for day, group in plain.groupby("audit_date", sort=True):
        decided = decide_cases(group[["case_id", "agency_id", "rule_id"]], *tables, dt.date.fromisoformat(day))
        days.append(overlay_register(group, decided))
    return pd.concat(days).loc[rows.index]


def day_counts(frame: pd.DataFrame, day: str) -> pd.DataFrame:
    """Per agency of one day's findings: critical findings and calls with a finding per family,
    over the findings that count (scores.csv's columns of the same names)."""
    counted = counted_findings(frame)
    if counted.empty:
        return pd.DataFrame(columns=["audit_date", "agency_id", *COUNT_COLUMNS])
    by_agency = pd.DataFrame({
        "critical_findings": counted[counted["severity"] == "critical"].groupby("agency_id").size(),
        **{f"calls_{f}": counted[counted["family"] == f].groupby("agency_id")["call_id"].nunique()
           for f in FAMILIES}}).fillna(0).astype("int64")
    return by_agency.rename_axis("agency_id").reset_index().assign(audit_date=day)


def with_counts(daily_scores: pd.DataFrame, counts: list[pd.DataFrame], days: set[str]) -> pd.DataFrame:
    """The daily scores.csv rows of `days` with COUNT_COLUMNS as counted again (0 where an agency
    had no finding that counts); other days as published."""
    if not days:
        return daily_scores
    recounted = pd.concat(counts, ignore_index=True) if counts else pd.DataFrame(
        columns=["audit_date", "agency_id", *COUNT_COLUMNS])
    keys = pd.MultiIndex.from_frame(daily_scores[["audit_date", "agency_id"]])
    table = recounted.set_index(["audit_date", "agency_id"])[list(COUNT_COLUMNS)]
    table = table[~table.index.duplicated()]
    out = daily_scores.copy()
    mine = out["audit_date"].isin(days).to_numpy()
    for column in COUNT_COLUMNS:
        values = table[column].reindex(keys).fillna(0).astype("int64").astype(str).to_numpy(dtype=object)
        out[column] = np.where(mine, values, out[column].to_numpy(dtype=object))
    return out
