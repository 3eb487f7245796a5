"""The snapshot of decisions a run applied (`decisions.csv` under the day's report, hashed in its
manifest): what the exceptions and disputes it read said, in the fields that decide a case, so
that the decisions can be applied again later without the reference files, which may have
changed since (a dispute decided after the day was published).

    table         exceptions | disputes
    id            exception_id | dispute_id (published masked, as every id from input)
    agency_id, rule_id, case_id         an exception's case: the case of its subject, or '' = every
                                        subject (the subject itself, an agent id or a customer's
                                        key, is not written; subject_key is blank)
    valid_from, valid_to                an exception's validity (YYYY-MM-DD)
    case_id, status, raised_on, decided_on   a dispute's case and outcome

Who approved, raised or decided, and the free-text reason and note, stay in the reference files:
they decide nothing. `decision_tables` turns the rows back into the accepted frames
`audits.cases.decisions.decide_cases` takes, so the same function decides a case in the run, in
verify and in the review.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audits.cases.keys import case_id

FILE = "decisions.csv"
COLUMNS = ("table", "id", "agency_id", "rule_id", "subject_key", "valid_from", "valid_to", "case_id", "status",
           "raised_on", "decided_on")


def snapshot_rows(exceptions: pd.DataFrame | None, disputes: pd.DataFrame | None) -> pd.DataFrame:
    """COLUMNS, one row per accepted exception and dispute, sorted by table and id (text cells;
    blank where a field does not apply)."""
    parts = []
    if exceptions is not None and len(exceptions):
        agencies, rules = _text(exceptions["agency_id"]), _text(exceptions["rule_id"])
        named = (_text(exceptions["case_key"]) if "case_key" in exceptions
                 else np.full(len(exceptions), "", dtype=object))
        cases = [given or (case_id(a, r, s) if s else "")
                 for given, a, r, s in zip(named, agencies, rules, _text(exceptions["subject_key"]))]
        parts.append(pd.DataFrame({
            "table": "exceptions", "id": _text(exceptions["exception_id"]), "agency_id": agencies, "rule_id": rules,
            "subject_key": "", "case_id": np.asarray(cases, dtype=object),
            "valid_from": _day(exceptions["valid_from_date"]), "valid_to": _day(exceptions["valid_to_date"])}))
    if disputes is not None and len(disputes):
        parts.append(pd.DataFrame({
            "table": "disputes", "id": _text(disputes["dispute_id"]), "case_id": _text(disputes["case_id"]),
            "status": _text(disputes["status_code"]), "raised_on": _day(disputes["raised_on_date"]),
            "decided_on": _day(disputes["decided_on_date"])}))
    if not parts:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in COLUMNS})
    rows = pd.concat(parts, ignore_index=True).reindex(columns=list(COLUMNS)).astype(object).fillna("")
    return rows.sort_values(["table", "id"], kind="stable").reset_index(drop=True)


def decision_tables(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(exceptions, disputes) as decide_cases takes them, from snapshot rows read as text."""
    rows = rows.fillna("").astype(str)
    exceptions = rows[rows["table"] == "exceptions"]
    disputes = rows[rows["table"] == "disputes"]
    return (pd.DataFrame({"exception_id": exceptions["id"].to_numpy(dtype=object),
                          "agency_id": exceptions["agency_id"].to_numpy(dtype=object),
                          "rule_id": exceptions["rule_id"].to_numpy(dtype=object),
                          "subject_key": exceptions["subject_key"].to_numpy(dtype=object),   # older reports
                          "case_key": exceptions["case_id"].to_numpy(dtype=object),
                          "valid_from_date": _dates(exceptions["valid_from"]),
                          "valid_to_date": _dates(exceptions["valid_to"])}),
            pd.DataFrame({"dispute_id": disputes["id"].to_numpy(dtype=object),
                          "case_id": disputes["case_id"].to_numpy(dtype=object),
                          "status_code": disputes["status"].to_numpy(dtype=object),
                          "raised_on_date": _dates(disputes["raised_on"]),
                          "decided_on_date": _dates(disputes["decided_on"])}))


def _text(values: pd.Series) -> np.ndarray:
    return values.astype(object).where(values.notna(), "").astype(str).to_numpy(dtype=object)


def _day(values: pd.Series) -> np.ndarray:
    return pd.to_datetime(values).dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)


def _dates(values: pd.Series) -> np.ndarray:
    days = [value or None for value in values.to_numpy(dtype=object)]
    return pd.to_datetime(pd.Series(days, dtype=object), format="%Y-%m-%d").to_numpy(dtype="datetime64[ns]")
