"""Portfolio -> the presentation-ready values of the index page (the ranking of agencies)."""

from __future__ import annotations

from dataclasses import dataclass

from audits.models import IgnoredFile, Portfolio, Scorecard

from .formatting import (
    Change,
    Pill,
    agency_file_stem,
    change_of,
    fmt_int,
    fmt_score,
    grade_pill,
    lang_of,
    status_pill,
)
from .cases_view import OVERDUE_DAYS, CaseRow, case_counts, case_row, new_critical_cases
from .view import ProvenanceView, provenance_view


NEW_CRITICAL_SHOWN = 50        # the page's list of new critical cases; summary.xlsx lists every one

# --- view values ------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexRow:
    rank: str
    agency_id: str
    agency_name: str
    name_lang: str
    assessed: bool
    grade: Pill
    grade_capped: bool
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


@dataclass(frozen=True)
class IndexView:
    page_title: str
    audit_date: str
    rows: tuple[IndexRow, ...]
    totals: Totals
    grade_counts: tuple[tuple[Pill, str], ...]
    provenance: ProvenanceView
    ignored_files: tuple[IgnoredFile, ...]     # delivered, not agency files: listed, not audited
    unread_decisions: tuple[IgnoredFile, ...]  # decision tables that could not be read: shown first
    new_critical: tuple[CaseRow, ...]          # the day's new and reopened critical cases, every agency
    new_critical_note: str                     # when there are more than the page lists
    overdue_days: int
    cases_line: str


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
        grade=grade_pill(card.grade if scored else "n/a"),
        grade_capped=scored and card.grade_capped,
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
    )


def index_view(portfolio: Portfolio) -> IndexView:
    cards = portfolio.scorecards
    begun_critical = new_critical_cases(portfolio)
    rows = tuple(_index_row(i, card) for i, card in enumerate(cards, 1))
    n_assessed = sum(1 for r in rows if r.assessed)
    calls = sum(c.calls_audited for c in cards)
    findings = sum(c.total_findings for c in cards)
    critical = sum(c.critical_findings for c in cards)
    with_critical = sum(1 for c in cards if c.critical_findings)
    line = (f"{fmt_int(len(cards))} agencies ({fmt_int(len(cards) - n_assessed)} not assessed) "
            f"\u00b7 {fmt_int(calls)} calls audited \u00b7 {fmt_int(findings)} findings "
            f"\u00b7 {fmt_int(critical)} critical")
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.grade.text] = counts.get(r.grade.text, 0) + 1
    order = ["A", "B", "C", "D", "F", "n/a"]
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
        ),
        grade_counts=grade_counts,
        provenance=provenance_view(portfolio.provenance),
        ignored_files=portfolio.ignored_files,
        unread_decisions=portfolio.unread_decisions,
        new_critical=tuple(case_row(case, agency_id=agency_id) for agency_id, case in begun_critical[:NEW_CRITICAL_SHOWN]),
        new_critical_note=(f"The first {NEW_CRITICAL_SHOWN} of {fmt_int(len(begun_critical))}; summary.xlsx (sheet "
                           "Cases) and cases.csv list them all." if len(begun_critical) > NEW_CRITICAL_SHOWN else ""),
        overdue_days=OVERDUE_DAYS,
        cases_line=_cases_line(cards),
    )


def _cases_line(cards: tuple[Scorecard, ...]) -> str:
    counts = [case_counts(card.cases) for card in cards]
    return (f"{fmt_int(sum(c.open for c in counts))} open cases, {fmt_int(sum(c.new for c in counts))} new or "
            f"reopened today, {fmt_int(sum(c.resolved for c in counts))} resolved today; "
            f"{fmt_int(sum(c.critical_overdue for c in counts))} critical open more than {OVERDUE_DAYS} days")
