"""The fixed summary at the top of a scorecard and what follows it: cases by status, the SLA of the
month so far, the page's table of contents, and the cases split into those with findings today
(grouped by rule, each group opening to its cases) and the quiet and resolved ones (collapsed
behind their count)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from audits.models import CaseLine, Scorecard, SlaToDate
from audits.rendering.formatting import Pill, fmt_int
from audits.rendering.views.cases import (
    CASES_SHOWN,
    EVIDENCE_CASES,
    STATUS_PILLS,
    CaseGroup,
    CaseRow,
    EvidenceGroup,
    case_groups,
    case_row,
    evidence_row,
    more_text,
)

SLA_PILLS = {"met": Pill("met", "sla-met"), "at risk": Pill("at risk", "sla-risk"), "n/a": Pill("n/a", "sla-na")}
STATUS_ORDER = ("new", "reopened", "open", "quiet", "resolved")
OPEN_ROWS = 20               # cases listed in open groups at most: larger days show more groups closed
_SEVERITY_RANK = {"critical": 0, "major": 1, "minor": 2}


@dataclass(frozen=True)
class StatusCount:
    status: Pill
    count: str
    label: str               # "resolved today" for resolved, else the status


@dataclass(frozen=True)
class SlaLine:
    label: str
    result: Pill
    text: str


@dataclass(frozen=True)
class SlaView:
    title: str               # "SLA of 2026-11 so far"
    note: str                # "12 days with a report, 2026-11-01 to 2026-11-12; at risk: would fail if …"
    lines: tuple[SlaLine, ...]
    at_risk: int


@dataclass(frozen=True)
class CaseSections:
    today: tuple[CaseGroup, ...]         # cases with findings today, by rule
    today_count: int
    quiet: tuple[CaseRow, ...]
    quiet_count: int
    resolved: tuple[CaseRow, ...]
    resolved_count: int
    hidden_note: str                     # where the cases beyond the page's lists are
    evidence: tuple[EvidenceGroup, ...]


def status_counts(cases: tuple[CaseLine, ...]) -> tuple[StatusCount, ...]:
    counts = {s: 0 for s in STATUS_ORDER}
    for case in cases:
        counts[case.status] = counts.get(case.status, 0) + 1
    return tuple(StatusCount(STATUS_PILLS.get(s, Pill(s, "case-quiet")), fmt_int(n),
                             "resolved today" if s == "resolved" else s) for s, n in counts.items())


def sla_view(sla: SlaToDate | None) -> SlaView | None:
    if sla is None:
        return None
    lines = tuple(SlaLine(c.label, SLA_PILLS.get(c.result, Pill(c.result, "sla-na")), c.text) for c in sla.clauses)
    at_risk = sum(1 for line in lines if line.result.text == "at risk")
    return SlaView(
        title=f"SLA of {sla.month} so far",
        note=(f"{fmt_int(sla.days)} day{'' if sla.days == 1 else 's'} with a report, "
              f"{sla.first_day} to {sla.last_day}. "
              "At risk: the clause would fail if the month ended today."),
        lines=lines, at_risk=at_risk)


def case_sections(card: Scorecard) -> CaseSections:
    """The page's cases: those with findings today grouped by rule (the card's order), quiet and
    resolved ones listed behind their count; evidence of the first EVIDENCE_CASES with findings."""
    today = [c for c in card.cases if c.status not in ("quiet", "resolved")]
    quiet = [c for c in card.cases if c.status == "quiet"]
    resolved = [c for c in card.cases if c.status == "resolved"]
    with_evidence = [c for c in today if c.evidence][:EVIDENCE_CASES]
    anchored = {c.case_id for c in with_evidence}
    groups = case_groups(((card.agency_id, c) for c in today), prefix="rule", link=False, evidence=anchored,
                         more_where="the workbook's Cases sheet and cases.csv list them all")
    groups = _opened(sorted(groups, key=lambda g: _SEVERITY_RANK.get(g.severity.text, 3)))
    by_id = {row.case_id: row for group in groups for row in group.cases}
    evidence = tuple(EvidenceGroup(case=by_id.get(c.case_id) or case_row(c, with_evidence=True),
                                   rows=tuple(evidence_row(f) for f in c.evidence), more=more_text(c))
                     for c in with_evidence)
    hidden = max(0, len(quiet) - CASES_SHOWN) + max(0, len(resolved) - CASES_SHOWN)
    return CaseSections(
        today=groups, today_count=len(today),
        quiet=tuple(case_row(c) for c in quiet[:CASES_SHOWN]), quiet_count=len(quiet),
        resolved=tuple(case_row(c) for c in resolved[:CASES_SHOWN]), resolved_count=len(resolved),
        hidden_note=(f"The first {CASES_SHOWN} of each list; the workbook's Cases sheet and cases.csv list every case."
                     if hidden else ""),
        evidence=evidence)


def _opened(groups: list[CaseGroup]) -> tuple[CaseGroup, ...]:
    """Small groups shown open, in order, while the cases they list stay within OPEN_ROWS: the page
    of a heavy day keeps its length; the others are one line each."""
    out, listed = [], 0
    for group in groups:
        shown = group.open and listed + len(group.cases) <= OPEN_ROWS
        listed += len(group.cases) if shown else 0
        out.append(group if shown == group.open else dataclasses.replace(group, open=shown))
    return tuple(out)
