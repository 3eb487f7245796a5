"""The period's cases (review cases.csv): every case that any daily cases.csv of the period
shows, with its status at period end.

A daily register shows each case that is new, open, quiet or reopened on the day, and a
resolved case once, on the day it resolves; so the union of the period's registers is every
case active in the period, and a case's last row is its state at period end: the last
audited day's row, or the day it was shown resolved.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audits.cases.lifecycle import STATUSES
from audits.models import OPEN_STATUSES as MODEL_OPEN_STATUSES

CASE_COLUMNS = (
    "period", "case_id", "agency_id", "rule_id", "family", "severity", "subject_kind", "subject_display",
    "status", "decision", "first_seen", "last_seen", "days_open", "opened_on", "resolved_on", "findings_period",
    "days_with_findings", "findings_accepted", "findings_dismissed", "exception_id", "dispute_id",
    "dispute_outcome", "complaints", "summary",
)
OPEN_STATUSES = MODEL_OPEN_STATUSES      # open = not resolved, as everywhere (models.open_cases_text)
# A case whose risk the bank accepted (an exception) or whose findings an upheld dispute dismissed
# is not held against the agency's SLA; a disputed case is (its findings count while it is open).
_DECIDED = ("accepted", "dismissed")
_SEVERITY = {"critical": 0, "major": 1, "minor": 2}
_STATUS = {s: k for k, s in enumerate(STATUSES)}


def period_cases(daily: pd.DataFrame | None, period_label: str, *, decisions: pd.DataFrame,
                 complaints: pd.DataFrame | None) -> pd.DataFrame:
    """CASE_COLUMNS, sorted like a daily register (agency, severity, status, case_id).

    `daily`: the period's cases.csv rows (all text); `decisions`: findings per (case_id,
    decision) from the period's violations.csv; `complaints`: the period's complaints.csv rows
    (None when the reports hold no complaint data: the column stays blank)."""
    if daily is None or daily.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in CASE_COLUMNS})
    rows = daily.sort_values(["audit_date"], kind="stable").copy()
    rows["findings_today"] = pd.to_numeric(rows["findings_today"].replace("", "0")).astype("int64")
    grouped = rows.groupby("case_id", sort=False)
    last = grouped.tail(1).set_index("case_id")
    frame = last[["agency_id", "rule_id", "family", "severity", "subject_kind", "subject_display", "status",
                  "decision", "first_seen", "last_seen", "days_open", "summary"]].copy()
    opened = rows[rows["status"].isin(("new", "reopened"))].groupby("case_id")["audit_date"].first()
    frame["opened_on"] = opened.reindex(frame.index).fillna("")
    frame["resolved_on"] = np.where(frame["status"] == "resolved", last["audit_date"], "")
    frame["findings_period"] = grouped["findings_today"].sum().reindex(frame.index)
    frame["days_with_findings"] = (rows["findings_today"] > 0).groupby(rows["case_id"]).sum().reindex(frame.index)
    counts = (decisions.pivot_table(index="case_id", columns="decision", values="findings", aggfunc="sum")
              if not decisions.empty else pd.DataFrame())
    for decision in ("accepted", "dismissed"):
        values = counts[decision] if decision in counts else pd.Series(dtype="float64")
        frame[f"findings_{decision}"] = values.reindex(frame.index).fillna(0).astype("int64")
    frame["exception_id"] = _joined(rows, "exception_id").reindex(frame.index).fillna("")
    frame["dispute_id"] = _joined(rows, "dispute_id").reindex(frame.index).fillna("")
    frame["dispute_outcome"] = _dispute_outcomes(rows, frame)
    if complaints is None:
        frame["complaints"] = ""
    else:
        linked = _split(complaints.get("linked_case_ids", pd.Series([], dtype=object)))
        frame["complaints"] = linked.value_counts().reindex(frame.index).fillna(0).astype("int64")
    frame["period"] = period_label
    frame = frame.reset_index()
    order = frame.assign(_s=frame["severity"].map(_SEVERITY).fillna(9), _t=frame["status"].map(_STATUS).fillna(9))
    order = order.sort_values(["agency_id", "_s", "_t", "case_id"], kind="stable")
    return order[list(CASE_COLUMNS)].reset_index(drop=True)


def decision_counts(violations: pd.DataFrame) -> pd.DataFrame:
    """Findings per (agency_id, case_id, decision) of one day's violations.csv (decision "" =
    counted); summed over the period by the caller."""
    if violations.empty:
        return pd.DataFrame({"agency_id": [], "case_id": [], "decision": [], "findings": []})
    return (pd.DataFrame({"agency_id": violations["agency_id"].to_numpy(), "case_id": violations["case_id"].to_numpy(),
                          "decision": violations["decision"].to_numpy()})
            .groupby(["agency_id", "case_id", "decision"], sort=True).size().rename("findings").reset_index())


def open_critical_days(cases: pd.DataFrame) -> pd.Series:
    """Per agency, the longest days_open of its critical cases still open at period end (as of
    the last audited day: a case's last row), neither accepted nor dismissed; agencies without
    one are absent (0)."""
    still = cases[(cases["severity"] == "critical") & cases["status"].isin(OPEN_STATUSES)
                  & ~cases["decision"].isin(_DECIDED) & (cases["days_open"].astype(str) != "")]
    if still.empty:
        return pd.Series(dtype="int64")
    return pd.to_numeric(still["days_open"]).astype("int64").groupby(still["agency_id"]).max()


def _joined(rows: pd.DataFrame, column: str) -> pd.Series:
    values = rows.loc[rows[column].astype(str).str.strip() != "", ["case_id", column]]
    if values.empty:
        return pd.Series(dtype=object)
    exploded = values.assign(**{column: values[column].str.split(";")}).explode(column)
    exploded[column] = exploded[column].str.strip()
    return exploded.drop_duplicates().sort_values(column).groupby("case_id")[column].agg(";".join)


def _dispute_outcomes(rows: pd.DataFrame, frame: pd.DataFrame) -> pd.Series:
    """At period end: `open` while the case's latest row naming a dispute says disputed; `upheld`
    once findings were dismissed; else `rejected` (a rejected dispute changes nothing but is shown)."""
    named = rows[rows["dispute_id"].astype(str).str.strip() != ""]
    if named.empty:
        return pd.Series("", index=frame.index)
    latest = named.groupby("case_id")["decision"].last()
    dismissed = named["decision"].eq("dismissed").groupby(named["case_id"]).any()
    outcome = np.where(latest == "disputed", "open",
                       np.where(dismissed.reindex(latest.index)
                                | (frame["findings_dismissed"].reindex(latest.index) > 0),
                                "upheld", "rejected"))
    return pd.Series(outcome, index=latest.index).reindex(frame.index).fillna("")


def _split(values: pd.Series) -> pd.Series:
    parts = values.astype(str).str.split(";").explode().str.strip()
    return parts[parts != ""]
