"""Portfolio -> the presentation-ready values of the index page.

Its first screen answers "what do I do this morning", in this order: the regulator complaints
of the day; the new and reopened critical cases grouped by agency and rule (every group, however
many customers; each opens to its cases); the critical cases open more than OVERDUE_DAYS days,
grouped likewise; the agencies not assessed and why; the early warnings, one line each. The
ranking follows.
"""

from __future__ import annotations

from dataclasses import dataclass

from audits.models import NOT_ASSESSED, IgnoredFile, Portfolio, RegulatorComplaint, Scorecard, agency_file_stem
from audits.rendering.formatting import (
    Change,
    Pill,
    change_of,
    fmt_int,
    fmt_score,
    grade_pill,
    lang_of,
    parse_timestamp,
    status_pill,
)
from audits.rendering.views.cases import (
    OVERDUE_DAYS,
    CaseGroup,
    case_counts,
    case_groups,
    new_critical_cases,
    overdue_cases,
)
from audits.rendering.views.scorecard import ProvenanceView, not_assessed_message, provenance_view
from audits.rendering.views.warnings import WarningEvent, warning_events

WARNINGS_FIRST_SCREEN = 10     # early warnings on the first screen; the section below lists every one
OVERDUE_OPEN_UP_TO = 3         # an overdue group of at most this many cases is listed case by case

# --- view values ------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexRow:
    rank: str
    agency_id: str
    agency_name: str
    name_lang: str
    assessed: bool
    grade: Pill
    grade_gate: str          # why a gate lowered the grade, in words ("" when none did)
    overall: str
    change: Change
    critical: str
    critical_css: str
    findings: str
    calls: str
    dq_status: Pill
    dq_note: str
    html_href: str
    xlsx_href: str
    cases_new: str                 # began today (new or reopened)
    cases_open: str                # not resolved
    cases_resolved: str            # resolved today
    cases_overdue: str             # critical, open more than OVERDUE_DAYS days
    cases_overdue_css: str
    messages: str = ""       # messages audited, on a day with texts (sms.md §3)
    findings_sms: str = ""   # findings on them


@dataclass(frozen=True)
class Totals:
    agencies: str
    assessed: str
    not_assessed: str
    calls: str
    findings: str
    critical: str
    critical_css: str
    agencies_with_critical: str
    line: str
    messages: str = ""       # on a day with texts: messages audited, findings on them
    findings_sms: str = ""


@dataclass(frozen=True)
class AgencyLink:
    agency_id: str
    href: str


@dataclass(frozen=True)
class RegulatorLine:
    complaint_id: str
    received_at: str
    category: str
    callee_masked: str
    agencies: tuple[AgencyLink, ...]
    how: str                 # "3 calls in the look-back window" / "named by the customer, no call found"
    cases: str               # "C-…, C-…" or ""


@dataclass(frozen=True)
class NotAssessedLine:
    agency_id: str
    agency_name: str
    name_lang: str
    href: str
    reason: str              # "File unreadable: …"
    unchecked: str           # "4 open cases could not be checked today", "" when none


@dataclass(frozen=True)
class IndexView:
    page_title: str
    audit_date: str
    rows: tuple[IndexRow, ...]
    totals: Totals
    grade_counts: tuple[tuple[Pill, str], ...]
    provenance: ProvenanceView
    ignored_files: tuple[IgnoredFile, ...]     # delivered, not agency files: listed, not audited
    regulator: tuple[RegulatorLine, ...]       # regulator complaints of the day linked to an agency
    new_critical: tuple[CaseGroup, ...]        # the day's new and reopened critical cases by agency and rule
    new_critical_line: str                     # "762 new or reopened critical cases in 6 groups at 5 agencies"
    overdue: tuple[CaseGroup, ...]             # critical cases open more than OVERDUE_DAYS days, by agency and rule
    overdue_line: str
    not_assessed: tuple[NotAssessedLine, ...]     # by agency id
    warnings_first: tuple[WarningEvent, ...]   # the first WARNINGS_FIRST_SCREEN events, one line each
    warnings_more: str                         # "and 4 more below", "" when every event is on the first screen
    warnings: tuple[WarningEvent, ...]         # every event: the section below the ranking
    unread_decisions: tuple[IgnoredFile, ...]  # decision tables that could not be read: shown first
    overdue_days: int
    cases_line: str
    desk: object | None = None                 # audits.desk.nightly.DeskAttention; None when there is no desk


# --- builders ---------------------------------------------------------------------------


def _index_row(rank: int, card: Scorecard) -> IndexRow:
    stem = agency_file_stem(card.agency_id)
    dq = card.data_quality
    assessed = card.assessed
    scored = card.overall is not None          # an unassessed agency still scores 0 (grade F)
    counts = case_counts(card.cases)
    if dq.rows_quarantined:
        dq_note = f"{fmt_int(dq.rows_quarantined)} of {fmt_int(dq.rows_read)} rows quarantined"
    else:
        dq_note = ""
    return IndexRow(
        rank=str(rank),
        agency_id=card.agency_id,
        agency_name=card.agency_name,
        name_lang=lang_of(card.agency_name),
        assessed=assessed,
        grade=grade_pill(card.grade if scored else ""),
        grade_gate=card.gate_sentence.partition(": ")[2] if scored else "",
        overall=fmt_score(card.overall) if scored else "not assessed",
        change=change_of(card.change_prev_day if scored else None, "vs previous day"),
        critical=fmt_int(card.critical_findings),
        critical_css="crit-some" if card.critical_findings else "crit-none",
        findings=fmt_int(card.total_findings),
        calls=fmt_int(card.calls_audited),
        dq_status=status_pill(dq.file_status),
        dq_note=dq_note,
        html_href=f"agencies/{stem}.html",
        xlsx_href=f"agencies/{stem}.xlsx",
        cases_new=fmt_int(counts.new),
        cases_open=fmt_int(counts.open),
        cases_resolved=fmt_int(counts.resolved),
        cases_overdue=fmt_int(counts.critical_overdue),
        cases_overdue_css="crit-some" if counts.critical_overdue else "crit-none",
        messages=fmt_int(card.messages_audited) if card.texts_shown else "",
        findings_sms=fmt_int(card.findings_sms) if card.texts_shown else "",
    )


def regulator_line(complaint: RegulatorComplaint, known: set[str]) -> RegulatorLine:
    """A regulator complaint as the first screen names it (agencies of the run linked)."""
    received = parse_timestamp(complaint.received_at)
    return RegulatorLine(
        complaint_id=complaint.complaint_id,
        received_at=received.strftime("%Y-%m-%d %H:%M") if received else complaint.received_at,
        category=complaint.category,
        callee_masked=complaint.callee_masked,
        agencies=tuple(AgencyLink(a, f"agencies/{agency_file_stem(a)}.html" if a in known else "")
                       for a in complaint.agencies),
        how=("named by the customer, no call found" if complaint.status == "named_only"
             else "calls to the number in the look-back window"),
        cases=", ".join(complaint.case_ids))


def not_assessed_line(card: Scorecard) -> NotAssessedLine:
    unchecked = case_counts(card.cases).open
    return NotAssessedLine(
        agency_id=card.agency_id, agency_name=card.agency_name, name_lang=lang_of(card.agency_name),
        href=f"agencies/{agency_file_stem(card.agency_id)}.html", reason=_first_sentence(not_assessed_message(card)),
        unchecked=(f"{fmt_int(unchecked)} open case{'' if unchecked == 1 else 's'} could not be checked today"
                   if unchecked else ""))


def _first_sentence(text: str) -> str:
    """The reason up to its first full stop (the scorecard gives the whole message)."""
    end = text.find(". ")
    return text if end < 0 else text[:end + 1]


def _groups_line(groups: tuple[CaseGroup, ...], cases: int, what: str) -> str:
    agencies = len({g.agency_id for g in groups})
    return (f"{fmt_int(cases)} {what} in {fmt_int(len(groups))} group{'' if len(groups) == 1 else 's'} "
            "(agency and rule) "
            f"at {fmt_int(agencies)} agenc{'y' if agencies == 1 else 'ies'}")


def index_view(portfolio: Portfolio) -> IndexView:
    cards = portfolio.scorecards
    begun_critical = new_critical_cases(portfolio)
    overdue = overdue_cases(portfolio)
    names = {card.agency_id: card.agency_name for card in cards}
    new_groups = case_groups(begun_critical, prefix="new", agency_names=names, open_up_to=0,
                             more_where="the agency's workbook (sheet Cases), summary.xlsx and cases.csv list them all")
    overdue_groups = case_groups(overdue, prefix="overdue", agency_names=names, open_up_to=OVERDUE_OPEN_UP_TO,
                                 more_where="summary.xlsx (sheet Cases) and cases.csv list them all")
    events = warning_events(portfolio.warnings)
    rows = tuple(_index_row(i, card) for i, card in enumerate(cards, 1))
    n_assessed = sum(1 for r in rows if r.assessed)
    calls = sum(c.calls_audited for c in cards)
    findings = sum(c.total_findings for c in cards)
    critical = sum(c.critical_findings for c in cards)
    with_critical = sum(1 for c in cards if c.critical_findings)
    texts = any(c.texts_shown for c in cards)              # a day with texts: both channels (sms.md §3)
    messages = sum(c.messages_audited for c in cards)
    line = (f"{fmt_int(len(cards))} agencies ({fmt_int(len(cards) - n_assessed)} not assessed) "
            f"\u00b7 {fmt_int(calls)} calls audited"
            + (f" \u00b7 {fmt_int(messages)} messages audited" if texts else "")
            + f" \u00b7 {fmt_int(findings)} findings \u00b7 {fmt_int(critical)} critical")
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.grade.text] = counts.get(r.grade.text, 0) + 1
    order = ["A", "B", "C", "D", "F", NOT_ASSESSED]
    grade_counts = tuple((grade_pill(g), fmt_int(counts[g]))
                         for g in order + sorted(set(counts) - set(order)) if g in counts)
    return IndexView(
        page_title=f"Vendor compliance audit \u2014 {portfolio.audit_date}",
        audit_date=portfolio.audit_date,
        rows=rows,
        totals=Totals(
            agencies=fmt_int(len(cards)),
            assessed=fmt_int(n_assessed),
            not_assessed=fmt_int(len(cards) - n_assessed),
            calls=fmt_int(calls),
            findings=fmt_int(findings),
            critical=fmt_int(critical),
            critical_css="crit-some" if critical else "crit-none",
            agencies_with_critical=fmt_int(with_critical),
            line=line,
            messages=fmt_int(messages) if texts else "",
            findings_sms=fmt_int(sum(c.findings_sms for c in cards)) if texts else "",
        ),
        grade_counts=grade_counts,
        provenance=provenance_view(portfolio.provenance),
        ignored_files=portfolio.ignored_files,
        regulator=tuple(regulator_line(c, set(names)) for c in portfolio.regulator_complaints),
        new_critical=new_groups,
        new_critical_line=_groups_line(new_groups, len(begun_critical), "new or reopened critical cases"),
        overdue=overdue_groups,
        overdue_line=_groups_line(overdue_groups, len(overdue), f"critical cases open more than {OVERDUE_DAYS} days"),
        not_assessed=tuple(not_assessed_line(card) for card in sorted(cards, key=lambda c: c.agency_id)
                           if not card.assessed),
        warnings_first=events[:WARNINGS_FIRST_SCREEN],
        warnings_more=(f"and {fmt_int(len(events) - WARNINGS_FIRST_SCREEN)} more in Early warnings below"
                       if len(events) > WARNINGS_FIRST_SCREEN else ""),
        warnings=events,
        unread_decisions=portfolio.unread_decisions,
        overdue_days=OVERDUE_DAYS,
        cases_line=_cases_line(cards),
        desk=portfolio.desk,
    )


def _cases_line(cards: tuple[Scorecard, ...]) -> str:
    counts = [case_counts(card.cases) for card in cards]
    return (f"{fmt_int(sum(c.open for c in counts))} open cases, {fmt_int(sum(c.new for c in counts))} new or "
            f"reopened today, {fmt_int(sum(c.resolved for c in counts))} resolved today; "
            f"{fmt_int(sum(c.critical_overdue for c in counts))} critical open more than {OVERDUE_DAYS} days")
