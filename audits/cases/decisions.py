"""Decisions made by people, applied to the day's cases and findings (cases.md §3).

Every finding of day D has call date D, so a decision is a property of a case on a day: each
case gets at most one decision, and every finding of the case on D carries it.

- **accepted**: an exception in force on D (valid_from <= D <= valid_to) that names the case by
  its case_id, or whose agency and rule match and whose subject matches (blank = every subject
  of the agency and rule). The findings stay in violations.csv but do not count in scores.
- **dismissed**: an upheld dispute of the case decided on or after D (it dismisses the
  findings with call dates <= decided_on; later findings count again). Do not count.
- **disputed**: an open dispute of the case. The findings count as usual.
- a rejected dispute, or an upheld one decided before D, changes nothing but is shown
  (dispute_id in cases.csv).

Decisions where cases.md is silent:
- A row dated after D (approved_on, raised_on, decided_on) is not a decision yet on D: the
  suites quarantine it (DQ_BAD_DATE), so it never reaches this module. Otherwise a dispute
  contests its case as disputes.csv states it when D is audited; decided_on bounds an upheld
  dispute's dismissal.
- Several decisions on one case: dismissed (the findings were wrong) over accepted (the bank
  took the risk) over disputed. Several exceptions: one naming the case (by case_id or
  subject) over one for every subject, then the smallest exception_id. Several disputes: the
  one that acts (upheld
  covering D, then open), then the latest raised_on, then the smallest dispute_id. The other
  ids are not listed; each decision column of cases.csv names one.
- The lifecycle (status, first_seen, findings_episode, ...) counts every finding: decisions
  overlay the status, they do not change it (cases.md §2).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from audits.cases.keys import case_id
from audits.privacy import mask_free_text

ACCEPTED, DISMISSED, DISPUTED = "accepted", "dismissed", "disputed"
DECISIONS = (ACCEPTED, DISMISSED, DISPUTED)          # violations.csv / cases.csv `decision`, beside ""
NOT_COUNTED = frozenset({ACCEPTED, DISMISSED})       # findings that do not count in scores
DECIDED_COLUMNS = ("case_id", "decision", "exception_id", "dispute_id", "decision_note")


def counted_findings(violations: pd.DataFrame) -> pd.DataFrame:
    """The findings that count in scores: neither accepted nor dismissed (`violations` itself,
    uncopied, when none is)."""
    if "decision" not in violations or violations.empty:
        return violations
    excluded = violations["decision"].isin(NOT_COUNTED).to_numpy()
    return violations[~excluded] if excluded.any() else violations


def decide_cases(cases: pd.DataFrame, exceptions: pd.DataFrame | None, disputes: pd.DataFrame | None,
                 day: dt.date) -> pd.DataFrame:
    """The decision of each case on `day` (DECIDED_COLUMNS, one row per case with an exception
    in force or a dispute; `cases`: case_id, agency_id, rule_id). `exceptions` and `disputes`
    are the accepted rows of the decision tables (decision_inputs), or None when not delivered."""
    ids = cases[["case_id", "agency_id", "rule_id"]].drop_duplicates("case_id")
    exception = _exception_per_case(ids, exceptions, day)
    dispute = _dispute_per_case(ids, disputes, day)
    decided = exception.merge(dispute, on="case_id", how="outer")
    if decided.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in DECIDED_COLUMNS})
    acting = decided["dispute_acts"].fillna("").to_numpy(dtype=object)
    has_exception = decided["exception_id"].notna().to_numpy()
    decided["decision"] = np.select([acting == DISMISSED, has_exception, acting == DISPUTED],
                                    [DISMISSED, ACCEPTED, DISPUTED], "").astype(object)
    decided["decision_note"] = _notes(decided)
    out = decided.fillna({"exception_id": "", "dispute_id": ""})
    return out.sort_values("case_id", kind="stable")[list(DECIDED_COLUMNS)].reset_index(drop=True)


def _exception_per_case(ids: pd.DataFrame, exceptions: pd.DataFrame | None, day: dt.date) -> pd.DataFrame:
    """case_id, exception_id, valid_to of the exception covering each case on `day`."""
    columns = ["case_id", "exception_id", "valid_to"]
    if exceptions is None or exceptions.empty or ids.empty:
        return pd.DataFrame(columns=columns, dtype=object)
    day64 = np.datetime64(day, "ns")
    live = exceptions[((exceptions["valid_from_date"] <= day64) & (exceptions["valid_to_date"] >= day64)).to_numpy()]
    if live.empty:
        return pd.DataFrame(columns=columns, dtype=object)
    cases = live["case_key"].to_numpy(dtype=object, na_value="") if "case_key" in live else np.full(len(live), "")
    live = pd.DataFrame({"exception_id": live["exception_id"].to_numpy(dtype=object),
                         "agency_id": live["agency_id"].to_numpy(dtype=object),
                         "rule_id": live["rule_id"].to_numpy(dtype=object),
                         "subject_key": live["subject_key"].to_numpy(dtype=object, na_value=""),
                         "case_key": cases.astype(object),
                         "valid_to": live["valid_to_date"].dt.strftime("%Y-%m-%d").to_numpy(dtype=object)})
    one = (live["subject_key"] != "") | (live["case_key"] != "")       # names its case (by id, or by subject)
    named = live[one]
    named = named.assign(case_id=[c or case_id(a, r, s) for a, r, s, c in
                                  zip(named["agency_id"], named["rule_id"], named["subject_key"], named["case_key"])],
                         rank=0)
    everyone = live[~one].merge(ids, on=["agency_id", "rule_id"]).assign(rank=1)
    both = pd.concat([named, everyone], ignore_index=True)
    both = both[both["case_id"].isin(ids["case_id"])]
    first = both.sort_values(["case_id", "rank", "exception_id"], kind="stable").drop_duplicates("case_id")
    return first[columns].reset_index(drop=True)


def _dispute_per_case(ids: pd.DataFrame, disputes: pd.DataFrame | None, day: dt.date) -> pd.DataFrame:
    """case_id, dispute_id, what it does on `day` (dismissed, disputed or ''), status, its dates."""
    columns = ["case_id", "dispute_id", "dispute_acts", "status", "raised_on", "decided_on"]
    if disputes is None or disputes.empty or ids.empty:
        return pd.DataFrame(columns=columns, dtype=object)
    day64 = np.datetime64(day, "ns")
    status = disputes["status_code"].to_numpy(dtype=object)
    covers = (status == "upheld") & (disputes["decided_on_date"] >= day64).to_numpy()
    acts = np.select([covers, status == "open"], [DISMISSED, DISPUTED], "").astype(object)
    frame = pd.DataFrame({
        "case_id": disputes["case_id"].to_numpy(dtype=object),
        "dispute_id": disputes["dispute_id"].to_numpy(dtype=object),
        "dispute_acts": acts, "status": status,
        "raised_on": disputes["raised_on_date"].dt.strftime("%Y-%m-%d").to_numpy(dtype=object),
        "decided_on": disputes["decided_on_date"].dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object),
        "rank": np.select([covers, status == "open"], [0, 1], 2)})
    frame = frame[frame["case_id"].isin(ids["case_id"])]
    frame = frame.assign(raised_key=-pd.to_datetime(frame["raised_on"]).astype("int64"))
    first = frame.sort_values(["case_id", "rank", "raised_key", "dispute_id"], kind="stable").drop_duplicates("case_id")
    return first[columns].reset_index(drop=True)


def _notes(decided: pd.DataFrame) -> np.ndarray:
    """A clause for each case's summary: which decision applies, or which dispute is shown."""
    notes = []
    shown = decided.assign(**{c: decided[c].map(lambda v: mask_free_text(v) if isinstance(v, str) else v)
                              for c in ("exception_id", "dispute_id")})     # ids as published
    for row in shown.itertuples(index=False):                    # one per decided case, not per finding
        if row.decision == DISMISSED:
            notes.append(f"dismissed: dispute {row.dispute_id} upheld on {row.decided_on}")
        elif row.decision == ACCEPTED:
            notes.append(f"accepted under exception {row.exception_id} to {row.valid_to}")
        elif row.decision == DISPUTED:
            notes.append(f"disputed by the agency (dispute {row.dispute_id}, raised {row.raised_on})")
        elif isinstance(row.dispute_id, str):
            notes.append(f"dispute {row.dispute_id} {row.status} on {row.decided_on}")
        else:
            notes.append("")
    return np.asarray(notes, dtype=object)


def with_decisions(violations: pd.DataFrame, decided: pd.DataFrame) -> pd.DataFrame:
    """violations.csv rows with `decision` filled from their case's decision."""
    decisions = decided[decided["decision"] != ""]
    if violations.empty or decisions.empty:
        return violations
    positions = pd.Index(decisions["case_id"]).get_indexer(violations["case_id"])
    values = np.where(positions >= 0, decisions["decision"].to_numpy(dtype=object)[np.maximum(positions, 0)],
                      violations["decision"].to_numpy(dtype=object))
    return violations.assign(decision=pd.array(values, dtype=violations["decision"].dtype))


def overlay_register(register: pd.DataFrame, decided: pd.DataFrame) -> pd.DataFrame:
    """cases.csv rows with decision, exception_id and dispute_id filled, and the decision said
    at the end of the summary."""
    if register.empty or decided.empty:
        return register
    positions = pd.Index(decided["case_id"]).get_indexer(register["case_id"])
    hit = positions >= 0
    out = register.copy()
    for column in ("decision", "exception_id", "dispute_id"):
        values = out[column].to_numpy(dtype=object).copy()
        values[hit] = decided[column].to_numpy(dtype=object)[positions[hit]]
        out[column] = values
    notes = np.full(len(out), "", dtype=object)
    notes[hit] = decided["decision_note"].to_numpy(dtype=object)[positions[hit]]
    summary = out["summary"].to_numpy(dtype=object).copy()
    noted = notes != ""
    summary[noted] = [text.rstrip(".") + f"; {note}." for text, note in zip(summary[noted], notes[noted])]
    out["summary"] = summary
    return out


def merged_decisions(reference: pd.DataFrame | None, desk: pd.DataFrame | None) -> pd.DataFrame | None:
    """The accepted rows of a reference decision table with the desk's (None when neither)."""
    parts = [frame for frame in (reference, desk) if frame is not None and len(frame)]
    if not parts:
        return reference if reference is not None else (desk if desk is not None and len(desk.columns) else None)
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
