"""Cases -> the presentation-ready values the scorecard, the portfolio and the workbooks show.

What counts as new, open, resolved and overdue on the portfolio is decided here, once:

- new: cases whose episode began today (status new or reopened; reopened ones are also counted
  on their own);
- open: every case not resolved (new, reopened, open, quiet): the agency's backlog, today's new
  ones included;
- resolved: cases resolved today;
- critical open > 7 days: critical cases not resolved whose days_open exceeds OVERDUE_DAYS
  (8 days and more), unless the bank accepted the risk (decision `accepted`): an exception in
  force is a decision, not a backlog.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audits.cases.evidence import EVIDENCE_CASES
from audits.models import RULES_BY_ID, CaseLine, Finding, Portfolio, agency_file_stem, open_cases_text
from audits.rendering.formatting import DASH, Pill, fmt_int, parse_timestamp, severity_pill

OVERDUE_DAYS = 7
CASES_SHOWN = 100             # case lines on a scorecard page; the workbook's Cases sheet lists every one
GROUP_CASES_SHOWN = 25        # case lines inside one group (agency and rule) of a page; the rest are counted
GROUP_OPEN_UP_TO = 5          # on a scorecard, a group of at most this many cases is shown open
STATUS_PILLS = {
    "new": Pill("new", "case-new"),
    "reopened": Pill("reopened", "case-reopened"),
    "open": Pill("open", "case-open"),
    "quiet": Pill("quiet", "case-quiet"),
    "resolved": Pill("resolved", "case-resolved"),
}
DECISION_PILLS = {
    "accepted": Pill("accepted", "decision-accepted"),
    "disputed": Pill("disputed", "decision-disputed"),
    "dismissed": Pill("dismissed", "decision-accepted"),
}
SUBJECT_LABELS = {"agency": "Agency, all calls", "agent": "Agent", "caller": "Caller number", "campaign": "Campaign",
                  "customer": "Customer"}
_ANCHOR = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class CaseCounts:
    new: int                 # began an episode today (new or reopened)
    reopened: int
    open: int                # not resolved, today's new ones included
    resolved: int            # resolved today
    critical_overdue: int    # critical, open more than OVERDUE_DAYS days, not accepted
    total: int
    statuses: tuple[str, ...] = ()     # every case's status, for the breakdown (models.open_cases_text)


@dataclass(frozen=True)
class EvidenceRow:
    start: str
    start_iso: str
    rule_id: str
    severity: Pill
    call_id: str
    agent_id: str
    campaign_id: str
    callee_masked: str
    detail: str
    channel: str = ""        # "text" for a finding on a text message (sms.md §3), "" for a call
    excerpt: str = ""        # the text's masked excerpt (at most 40 characters)


@dataclass(frozen=True)
class CaseRow:
    case_id: str
    agency_id: str
    anchor: str              # id of its line in the scorecard's cases table
    evidence_anchor: str     # id of its evidence group on the scorecard; "" when the page shows none
    href: str                # its line on its scorecard, from the portfolio ("" without agency_id)
    status: Pill
    decision: Pill | None
    severity: Pill
    escalated: Pill | None   # "complaint" / "2 complaints" when complaints are linked to it
    rule_id: str
    title: str
    subject_label: str       # "Customer"
    subject: str             # masked (the agency id for an agency case)
    first_seen: str
    days_open: str
    findings_today: str
    summary: str


@dataclass(frozen=True)
class EvidenceGroup:
    case: CaseRow
    rows: tuple[EvidenceRow, ...]
    more: str                # "and 1,364 more calls", "" when every call is shown


@dataclass(frozen=True)
class CaseGroup:
    """Cases of one agency and one rule, shown as one line that opens to its cases (<details>)."""

    anchor: str              # element id
    agency_id: str
    agency_name: str
    agency_href: str         # the agency's scorecard ("" on the scorecard itself)
    rule_id: str
    title: str
    severity: Pill
    count: str               # "750 cases"
    statuses: str            # "748 new, 2 reopened"
    single: str              # the subject of a group of one case ("Customer +86 138****5678"), else ""
    findings_today: str
    longest_open: str        # "12 days"
    cases: tuple[CaseRow, ...]
    more: str                # "and 650 more cases: …", "" when every case is listed
    open: bool               # small groups are shown open


def is_overdue(case: CaseLine) -> bool:
    """A critical case open more than OVERDUE_DAYS days that the bank has not accepted."""
    return (case.severity == "critical" and case.status != "resolved" and case.days_open is not None
            and case.days_open > OVERDUE_DAYS and case.decision != "accepted")


def case_counts(cases: tuple[CaseLine, ...]) -> CaseCounts:
    statuses = [c.status for c in cases]
    return CaseCounts(
        new=sum(s in ("new", "reopened") for s in statuses),
        reopened=statuses.count("reopened"),
        open=sum(s != "resolved" for s in statuses),
        resolved=statuses.count("resolved"),
        critical_overdue=sum(is_overdue(c) for c in cases),
        total=len(cases),
        statuses=tuple(statuses),
    )


def counts_text(counts: CaseCounts) -> str:
    """'12 open (not resolved: 3 new, 1 reopened, 8 quiet); 2 resolved today; 1 critical open
    more than 7 days' (models.open_cases_text: "open" is every case not resolved)."""
    if not counts.total:
        return "No cases."
    text = open_cases_text(counts.statuses)
    if counts.critical_overdue:
        text += f"; {fmt_int(counts.critical_overdue)} critical open more than {OVERDUE_DAYS} days"
    return text + "."


def cases_note(cases: tuple[CaseLine, ...]) -> str:
    """The line above a scorecard's cases table."""
    if not cases:
        return "No cases on this day."
    return counts_text(case_counts(cases))


def grouped_evidence_note(cases: tuple[CaseLine, ...], groups: tuple[EvidenceGroup, ...]) -> str:
    """The line above the evidence grouped by case."""
    if not groups:
        return "No findings on this day."
    with_findings = sum(1 for c in cases if c.findings_today)
    scope = (f"The first calls of the first {EVIDENCE_CASES} cases with findings today (of {fmt_int(with_findings)})"
             if with_findings > len(groups) else "The first calls of each case with findings today")
    return (f"{scope}, in call order. The workbook's Findings sheet holds up to 2,000 findings of each rule with "
            "their case; violations.csv of this report lists every finding.")


def case_row(case: CaseLine, agency_id: str = "", *, with_evidence: bool = False) -> CaseRow:
    info = RULES_BY_ID.get(case.rule_id)
    return CaseRow(
        case_id=case.case_id,
        agency_id=agency_id,
        anchor=anchor_of(case.case_id),
        evidence_anchor=anchor_of(case.case_id, "evidence") if with_evidence else "",
        href=f"agencies/{agency_file_stem(agency_id)}.html#{anchor_of(case.case_id)}" if agency_id else "",
        status=STATUS_PILLS.get(case.status, Pill(case.status, "case-quiet")),
        decision=DECISION_PILLS.get(case.decision, Pill(case.decision, "decision-accepted")) if case.decision else None,
        severity=severity_pill(case.severity),
        escalated=(Pill("complaint" if case.complaints == 1 else f"{fmt_int(case.complaints)} complaints",
                        "case-escalated") if case.complaints else None),
        rule_id=case.rule_id,
        title=info.title if info else case.rule_id,
        subject_label=SUBJECT_LABELS.get(case.subject_kind, case.subject_kind),
        subject=case.subject_display,
        first_seen=case.first_seen,
        days_open=fmt_int(case.days_open) if case.days_open is not None else DASH,
        findings_today=fmt_int(case.findings_today),
        summary=case.summary,
    )


def anchor_of(case_id: str, kind: str = "case") -> str:
    """The element id of a case's line ("case-…") or of its evidence ("evidence-…") on its scorecard."""
    return f"{kind}-" + _ANCHOR.sub("_", case_id)


def evidence_row(f: Finding) -> EvidenceRow:
    parsed = parse_timestamp(f.start_time)
    shown = parsed.strftime("%Y-%m-%d %H:%M:%S") if parsed else f.start_time
    return EvidenceRow(start=shown, start_iso=f.start_time, rule_id=f.rule_id, severity=severity_pill(f.severity),
                       call_id=f.call_id, agent_id=f.agent_id, campaign_id=f.campaign_id,
                       callee_masked=f.callee_masked, detail=f.detail,
                       channel="text" if f.channel == "sms" else "", excerpt=f.excerpt)


def more_text(case: CaseLine) -> str:
    more = case.findings_today - len(case.evidence)
    noun = "text" if case.rule_id.startswith("SMS_") else "call"          # an SMS rule finds texts only
    return f"and {fmt_int(more)} more {noun}{'' if more == 1 else 's'}" if more > 0 else ""


def scorecard_cases(cases: tuple[CaseLine, ...]) -> tuple[tuple[CaseRow, ...], tuple[EvidenceGroup, ...]]:
    """The case lines the page lists (the first CASES_SHOWN, in the scorecard's order) and the
    evidence groups of the first EVIDENCE_CASES of them that have findings today."""
    with_evidence = [c for c in cases[:CASES_SHOWN] if c.evidence][:EVIDENCE_CASES]
    anchored = {c.case_id for c in with_evidence}
    rows = tuple(case_row(c, with_evidence=c.case_id in anchored) for c in cases[:CASES_SHOWN])
    by_id = {row.case_id: row for row in rows}
    groups = tuple(EvidenceGroup(case=by_id[c.case_id], rows=tuple(evidence_row(f) for f in c.evidence),
                                 more=more_text(c)) for c in with_evidence)
    return rows, groups


def new_critical_cases(portfolio: Portfolio) -> tuple[tuple[str, CaseLine], ...]:
    """(agency_id, case) of every critical case that began an episode today (new or reopened),
    by agency_id, then in the scorecard's order."""
    return tuple((card.agency_id, case) for card in sorted(portfolio.scorecards, key=lambda c: c.agency_id)
                 for case in card.cases if case.severity == "critical" and case.status in ("new", "reopened"))


def case_groups(items, *, prefix: str, more_where: str, agency_names: dict[str, str] | None = None,
                link: bool = True, evidence: frozenset[str] | set[str] = frozenset(),
                open_up_to: int = GROUP_OPEN_UP_TO) -> tuple[CaseGroup, ...]:
    """(agency_id, case) pairs -> one group per agency and rule, in the order each group first
    appears; every group is kept however many cases it holds, its first GROUP_CASES_SHOWN listed.
    `link`: rows link to the agency's scorecard (the portfolio); `evidence`: case ids whose calls
    the page shows under Evidence (a scorecard); groups of at most `open_up_to` cases are shown open."""
    grouped: dict[tuple[str, str], list[CaseLine]] = {}
    for agency_id, case in items:
        grouped.setdefault((agency_id, case.rule_id), []).append(case)
    names = agency_names or {}
    return tuple(_group(agency_id, rule_id, cases, prefix=prefix, more_where=more_where,
                        agency_name=names.get(agency_id, ""), link=link, evidence=evidence, open_up_to=open_up_to)
                 for (agency_id, rule_id), cases in grouped.items())


def _group(agency_id: str, rule_id: str, cases: list[CaseLine], *, prefix: str, more_where: str, agency_name: str,
           link: bool, evidence: frozenset[str] | set[str], open_up_to: int) -> CaseGroup:
    info = RULES_BY_ID.get(rule_id)
    statuses: dict[str, int] = {}
    for case in cases:
        statuses[case.status] = statuses.get(case.status, 0) + 1
    longest = max((c.days_open for c in cases if c.days_open is not None), default=None)
    hidden = len(cases) - GROUP_CASES_SHOWN
    rows = tuple(case_row(c, agency_id if link else "", with_evidence=c.case_id in evidence)
                 for c in cases[:GROUP_CASES_SHOWN])
    return CaseGroup(
        anchor=anchor_of(f"{agency_id}-{rule_id}" if link else rule_id, prefix), agency_id=agency_id,
        agency_name=agency_name,
        agency_href=f"agencies/{agency_file_stem(agency_id)}.html" if link else "", rule_id=rule_id,
        title=info.title if info else rule_id, severity=severity_pill(cases[0].severity),
        count=f"{fmt_int(len(cases))} case{'' if len(cases) == 1 else 's'}",
        statuses=", ".join(f"{fmt_int(n)} {status}" for status, n in statuses.items()),
        single=f"{rows[0].subject_label} {rows[0].subject}" if len(cases) == 1 else "",
        findings_today=fmt_int(sum(c.findings_today for c in cases)),
        longest_open=DASH if longest is None else f"{fmt_int(longest)} day{'' if longest == 1 else 's'}",
        cases=rows, more=f"and {fmt_int(hidden)} more: {more_where}" if hidden > 0 else "",
        open=len(cases) <= open_up_to)


def overdue_cases(portfolio: Portfolio) -> tuple[tuple[str, CaseLine], ...]:
    """(agency_id, case) of every critical case open more than OVERDUE_DAYS days and not accepted,
    by agency_id, then longest open first, then case_id."""
    return tuple((card.agency_id, case) for card in sorted(portfolio.scorecards, key=lambda c: c.agency_id)
                 for case in sorted((c for c in card.cases if is_overdue(c)),
                                    key=lambda c: (-(c.days_open or 0), c.case_id)))
