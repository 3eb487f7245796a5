"""Each agency's cases as its scorecard shows them (cases.md §4): the register's rows in the
order a compliance officer works them, each with the first of its findings of the day as
evidence, so that a scorecard grows with its cases, not with its findings.

Order on the scorecard: cases that began an episode today (new, reopened) first, then the
open cases (findings today and on earlier days), then the quiet ones (no finding today), then
those resolved today; within each, critical before major before minor, then escalated cases (a
complaint linked to them, signals.md §1: "sorts first among cases of its severity"), then by
findings today and in the episode (most first), then case_id. The spec says only "new and reopened first,
then by severity and findings"; quiet and resolved cases go after the open ones so that a
critical case without a finding today does not push down a systemic case producing a
thousand findings a day, and a resolved one needs no work.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from audits.cases.channels import message_excerpts
from audits.models import CaseLine, Finding

EVIDENCE_PER_CASE = 5         # calls of a case carried as evidence; the rest are counted
EVIDENCE_CASES = 25           # cases per agency whose calls its page shows: its first with findings today
_TIER = {"new": 0, "reopened": 0, "open": 1, "quiet": 2, "resolved": 3}
_SEVERITY = {"critical": 0, "major": 1, "minor": 2}
# The register's columns a CaseLine is built from (texts: blank for a null), in the order they are unpacked.
_LINE_TEXTS = ("case_id", "agency_id", "rule_id", "family", "severity", "subject_kind", "subject_display", "status",
               "decision", "first_seen", "last_seen", "summary")
_LINE_COUNTS = ("findings_today", "findings_episode", "calls_today")
FINDING_FIELDS = ("rule_id", "severity", "call_id", "agent_id", "campaign_id", "callee_masked", "callee_key",
                  "start_time", "detail", "case_id", "decision", "channel", "excerpt")


def scorecard_order(register: pd.DataFrame) -> pd.DataFrame:
    """The register (cases.csv rows) sorted for the scorecards: agency, then the order above."""
    keys = pd.DataFrame({
        "agency": register["agency_id"].to_numpy(dtype=object),
        "tier": register["status"].map(_TIER).fillna(4).to_numpy(),
        "severity": register["severity"].map(_SEVERITY).fillna(3).to_numpy(),
        "calm": _complaints(register) == 0,
        "today": -register["findings_today"].to_numpy("int64"),
        "episode": -register["findings_episode"].to_numpy("int64"),
        "case": register["case_id"].to_numpy(dtype=object),
    })
    order = keys.sort_values(list(keys.columns), kind="stable").index.to_numpy()
    return register.iloc[order].reset_index(drop=True)


def as_findings(frame: pd.DataFrame) -> list[Finding]:
    """Finding objects of violation rows (columns missing from `frame` are blank), built column-wise."""
    columns = [_texts(frame, name) for name in FINDING_FIELDS]
    return list(map(Finding, *columns))


def agency_cases(register: pd.DataFrame, violations: pd.DataFrame, *, per_case: int = EVIDENCE_PER_CASE,
                 cases_with_evidence: int = EVIDENCE_CASES,
                 messages: pd.DataFrame | None = None) -> dict[str, tuple[CaseLine, ...]]:
    """agency_id -> its CaseLines in scorecard order; the first `cases_with_evidence` cases of
    each agency that have findings today carry the case's first `per_case` findings of the day
    (violations.csv order: by rule, start time, call id) as evidence, the pages show no other; a
    finding on a text quotes a masked excerpt of its message (from `messages`, the day's enriched
    messages; none without them).
    Python objects are built per case and per evidence row only, never per finding."""
    if register is None or register.empty:
        return {}
    ordered = scorecard_order(register)
    evidence: dict[str, list[Finding]] = {}
    if not violations.empty and per_case > 0 and cases_with_evidence > 0:
        shown = _first_with_findings(ordered, violations, cases_with_evidence)
        first = violations[violations["case_id"].isin(shown).to_numpy()].groupby("case_id", sort=False).head(per_case)
        if messages is not None:
            first = first.assign(excerpt=message_excerpts(first, messages))
        for finding in as_findings(first):
            evidence.setdefault(finding.case_id, []).append(finding)
    days = ordered["days_open"].astype("Int64").to_numpy(dtype=object, na_value=None).tolist()
    texts = {name: _texts(ordered, name) for name in _LINE_TEXTS}
    counts = {name: ordered[name].to_numpy("int64").tolist() for name in _LINE_COUNTS}
    lines: dict[str, list[CaseLine]] = {}
    for (case_id, agency, rule_id, family, severity, kind, subject, status, decision, first_seen, last_seen,
         summary), days_open, today, episode, calls, linked in zip(
            zip(*texts.values()), days, *counts.values(), _complaints(ordered).tolist()):
        lines.setdefault(agency, []).append(CaseLine(
            case_id=case_id, rule_id=rule_id, family=family, severity=severity, subject_kind=kind,
            subject_display=subject, status=status, decision=decision, first_seen=first_seen, last_seen=last_seen,
            days_open=None if days_open is None else int(days_open), findings_today=today, findings_episode=episode,
            calls_today=calls, summary=summary, evidence=tuple(evidence.get(case_id, ())), complaints=linked))
    return {agency: tuple(cases) for agency, cases in lines.items()}


def _first_with_findings(ordered: pd.DataFrame, violations: pd.DataFrame, count: int) -> np.ndarray:
    """The case ids of the first `count` cases of each agency (in `ordered`'s order) that have
    findings in `violations`."""
    ids = pa.array(ordered["case_id"].to_numpy(dtype=object), type=pa.string())
    found = pc.is_in(ids, value_set=pa.array(pd.unique(violations["case_id"]), type=pa.string())).to_numpy(
        zero_copy_only=False)
    rank = pd.Series(found.astype("int64")).groupby(ordered["agency_id"].to_numpy(dtype=object), sort=False).cumsum()
    return ordered["case_id"].to_numpy(dtype=object)[found & (rank.to_numpy() <= count)]


def _complaints(register: pd.DataFrame) -> np.ndarray:
    """Complaints linked to each case (0 for a register without the column: before complaints)."""
    if "complaints" not in register.columns:
        return np.zeros(len(register), dtype=np.int64)
    return pd.to_numeric(register["complaints"], errors="coerce").fillna(0).to_numpy(dtype=np.int64)


def _texts(frame: pd.DataFrame, name: str) -> list[str]:
    if name not in frame.columns:
        return [""] * len(frame)
    values = frame[name].to_numpy(dtype=object, na_value="")
    return values.tolist()

