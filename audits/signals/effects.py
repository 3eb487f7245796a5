"""What linked complaints change (signals.md §1): escalated cases in cases.csv, the complaint
rate per agency in scores.csv and on the scorecards, with its trend."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd

from audits.models import ComplaintRate, Scorecard, Severity
from audits.signals.linking import complaint_links

CASE_COLUMN = "complaints"                                   # appended to cases.csv
SCORE_COLUMNS = ("complaints_30d", "complaint_rate_per_10k")  # appended to scores.csv
RATE_COLUMNS = ("agency_id", "complaints", "regulator", "numbers", "rate_per_10k")
PER = 10_000
_SEVERITY_RANK = {severity.value: rank for rank, severity in enumerate(Severity)}


def complaints_per_case(complaints: pd.DataFrame) -> pd.Series:
    """case_id -> distinct complaints linked to it among `complaints` (complaints.csv rows or
    stored records of the window's days)."""
    pairs = complaint_links(complaints, "linked_case_ids").drop_duplicates()
    return pairs.groupby("value")["complaint_id"].size().astype("int64")


def escalated(cases: pd.DataFrame, counts: pd.Series) -> pd.DataFrame:
    """cases.csv with `complaints` (linked complaints in the window) appended; a case with one
    is escalated and sorts first among its agency's cases of its severity. The register's own
    order (status, case_id) is kept within each group: a stable sort on the groups alone."""
    out = cases.copy()
    out[CASE_COLUMN] = counts.reindex(out["case_id"]).fillna(0).astype("int64").to_numpy()
    if out.empty:
        return out
    keys = pd.DataFrame({"agency_id": out["agency_id"].to_numpy(dtype=object),
                         "severity": out["severity"].map(_SEVERITY_RANK).fillna(len(_SEVERITY_RANK)).to_numpy(),
                         "calm": (out[CASE_COLUMN] == 0).to_numpy()})
    order = keys.sort_values(["agency_id", "severity", "calm"], kind="stable").index.to_numpy()
    return out.iloc[order].reset_index(drop=True)


def complaint_rates(complaints: pd.DataFrame, numbers: dict[str, int]) -> pd.DataFrame:
    """Per agency linked to a complaint or with numbers attempted: complaints linked to it,
    of which through the regulator, distinct numbers attempted, and the rate per 10,000
    numbers (None without numbers). `complaints`: the window's complaints."""
    pairs = complaint_links(complaints, "linked_agencies").drop_duplicates()
    regulator = set(complaints.loc[complaints["channel"] == "regulator", "complaint_id"])
    per_agency = pairs.groupby("value")["complaint_id"].size()
    via_regulator = pairs[pairs["complaint_id"].isin(regulator)].groupby("value")["complaint_id"].size()
    agencies = sorted(set(per_agency.index) | set(numbers))
    counts = per_agency.reindex(agencies).fillna(0).astype("int64").to_numpy()
    reached = np.array([numbers.get(agency, 0) for agency in agencies], dtype=np.int64)
    rate = [round(c / n * PER, 2) if n else None for c, n in zip(counts, reached)]
    return pd.DataFrame({"agency_id": agencies, "complaints": counts,
                         "regulator": via_regulator.reindex(agencies).fillna(0).astype("int64").to_numpy(),
                         "numbers": reached, "rate_per_10k": pd.array(rate, dtype="Float64")})[list(RATE_COLUMNS)]


def with_complaint_columns(scores: pd.DataFrame, rates: pd.DataFrame) -> pd.DataFrame:
    """scores.csv with complaints_30d and complaint_rate_per_10k appended (blank rate: the
    agency attempted no number in the window)."""
    mine = rates.set_index("agency_id")
    out = scores.copy()
    out["complaints_30d"] = mine["complaints"].reindex(out["agency_id"]).fillna(0).astype("int64").to_numpy()
    out["complaint_rate_per_10k"] = mine["rate_per_10k"].reindex(out["agency_id"]).to_numpy()
    return out


def with_complaint_rates(cards: list[Scorecard], rates: pd.DataFrame, prior: pd.DataFrame, *,
                         window_days: int, trend_days: int, history_days: int | None = None) -> list[Scorecard]:
    """Each scorecard with its agency's complaint rate and the rate's daily trend (earlier
    reports' scores.csv over the last trend_days days, then today); `history_days`: the days of
    calls the store holds up to today (stored_history_days)."""
    mine = rates.set_index("agency_id")
    out = []
    for card in cards:
        row = mine.loc[card.agency_id] if card.agency_id in mine.index else None
        rate = None if row is None or pd.isna(row["rate_per_10k"]) else float(row["rate_per_10k"])
        out.append(dataclasses.replace(card, complaints=ComplaintRate(
            window_days=window_days, complaints=0 if row is None else int(row["complaints"]),
            numbers=0 if row is None else int(row["numbers"]), rate_per_10k=rate,
            regulator=0 if row is None else int(row["regulator"]),
            trend=_trend(prior, card.agency_id, card.audit_date, rate, trend_days), history_days=history_days)))
    return out


def _trend(prior: pd.DataFrame, agency_id: str, audit_date: str, rate: float | None,
           days: int) -> tuple[tuple[str, float | None], ...]:
    first = (dt.date.fromisoformat(audit_date) - dt.timedelta(days=days - 1)).isoformat()
    points: dict[str, float | None] = {}
    if "complaint_rate_per_10k" in prior.columns and not prior.empty:
        rows = prior[(prior["agency_id"] == agency_id) & (prior["audit_date"] >= first)
                     & (prior["audit_date"] < audit_date)]
        for day, value in zip(rows["audit_date"], pd.to_numeric(rows["complaint_rate_per_10k"], errors="coerce")):
            points[str(day)] = None if pd.isna(value) else float(value)
    points[audit_date] = rate
    return tuple((day, points[day]) for day in sorted(points))


def stored_history_days(day: dt.date, stored: Callable[[dt.date], bool], span: int) -> int | None:
    """Days from the earliest of the `span` days up to `day` whose calls the store holds, to
    `day`, inclusive (a complaint window is full once it holds window_days of them); None when
    the store holds the first of them (the history may be longer)."""
    first = next((day - dt.timedelta(days=back) for back in range(span - 1, 0, -1)
                  if stored(day - dt.timedelta(days=back))), day)
    days = (day - first).days + 1
    return None if days >= span else days
