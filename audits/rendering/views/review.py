"""PeriodScorecard / ReviewPortfolio -> the presentation-ready values of the review pages.

Everything the review templates show is decided here (the review workbooks reuse these
texts); the templates only loop over them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from markupsafe import Markup

from audits.models import NOT_ASSESSED, TrendPoint, agency_file_stem
from audits.rendering.formatting import (
    DASH,
    GRADE_CLASSES,
    Pill,
    family_label,
    fmt_int,
    fmt_rate,
    fmt_score,
    fmt_weight,
    grade_pill,
    lang_of,
    severity_pill,
)
from audits.rendering.html import charts
from audits.rendering.views.scorecard import GradeBand
from audits.review.cards import PeriodScorecard, ReviewPortfolio, ReviewProvenance
from audits.review.dailies import days_text
from audits.review.sla import MET, NOT_MET, ClauseResult

_SLA_CSS = {MET: "status-ok", NOT_MET: "status-bad"}


@dataclass(frozen=True)
class SlaRow:
    label: str
    threshold: str
    actual: str
    result: Pill
    text: str


@dataclass(frozen=True)
class FamilyRow:
    name: str
    weight: str
    score: str
    score_css: str
    bar: str
    rate: str
    affected: str
    findings: str
    assessed: bool


@dataclass(frozen=True)
class DayRow:
    date: str
    status: str
    calls: str
    findings: str
    critical: str
    overall: str
    grade: Pill
    assessed: bool


@dataclass(frozen=True)
class CaseRow:
    case_id: str
    rule_id: str
    title: str
    severity: Pill
    subject: str
    status: str
    opened: str
    days_open: str
    findings: str
    complaints: str
    summary: str


@dataclass(frozen=True)
class PeerRow:
    label: str
    own: str
    q1: str
    median: str
    q3: str
    quartile: str


@dataclass(frozen=True)
class ProvenanceView:
    period: str
    rulepack_name: str
    rulepack_sha256: str
    code_version: str
    data_as_of: str
    daily_manifests: tuple[tuple[str, str], ...]
    rulepack_note: str


@dataclass(frozen=True)
class ReviewScorecardView:
    page_title: str
    agency_id: str
    agency_name: str
    name_lang: str
    period_label: str
    period_title: str
    period_span: str
    index_href: str              # "" in a share pack (nothing outside it)
    workbook_href: str
    missing_note: str
    not_assessed_note: str
    overall: str
    overall_css: str
    grade: Pill
    grade_note: str
    grade_bands: tuple[GradeBand, ...]
    sla_result: Pill
    sla_rows: tuple[SlaRow, ...]
    sla_failed: tuple[str, ...]
    days_audited: str
    days_not_assessed: str
    calls_audited: str
    findings: str
    critical: str
    critical_css: str
    complaints: str
    complaint_rate: str
    complaint_note: str
    complaints_empty: str        # what the complaint list says when it is empty
    families: tuple[FamilyRow, ...]
    trend_svg: Markup
    trend_note: str
    daily: tuple[DayRow, ...]
    cases_opened: str
    cases_resolved: str
    cases_open: str
    top_cases: tuple[CaseRow, ...]
    complaint_rows: tuple[tuple[str, ...], ...]
    warnings_available: bool
    warning_rows: tuple[tuple[str, ...], ...]
    exception_rows: tuple[tuple[str, ...], ...]
    dispute_rows: tuple[tuple[str, ...], ...]
    peers_available: bool
    peers_note: str
    peer_rows: tuple[PeerRow, ...]
    provenance: ProvenanceView
    messages: str = ""           # messages audited in the period (sms.md §3); "" without texts
    findings_sms: str = ""
    contacts: str = "calls"      # what the family rates are over: "contacts" in a period with texts


@dataclass(frozen=True)
class IndexRow:
    rank: str
    agency_id: str
    agency_name: str
    name_lang: str
    grade: Pill
    overall: str
    sla: Pill
    sla_failed: str
    days: str
    calls: str
    findings: str
    critical: str
    critical_css: str
    complaint_rate: str
    open_cases: str
    html_href: str
    xlsx_href: str
    pack_href: str
    messages: str = ""           # in a period with texts (sms.md §3): messages audited, findings on them
    findings_sms: str = ""


@dataclass(frozen=True)
class ReviewIndexView:
    page_title: str
    period_label: str
    period_title: str
    period_span: str
    missing_note: str
    rows: tuple[IndexRow, ...]
    agencies: str
    sla_met: str
    sla_not_met: str
    sla_not_met_css: str
    sla_clauses: tuple[str, ...]
    provenance: ProvenanceView
    texts: bool = False          # some agency's reports of the period audited texts: both channels shown


# --- builders ---------------------------------------------------------------------------


def sla_pill(result: str) -> Pill:
    return Pill(result, _SLA_CSS.get(result, "sev-minor"))


def sla_row(clause: ClauseResult) -> SlaRow:
    return SlaRow(label=clause.label, threshold=DASH if clause.threshold is None else f"{clause.threshold:g}",
                  actual=DASH if clause.actual is None else f"{clause.actual:g}", result=sla_pill(clause.result),
                  text=clause.text)


def missing_note(days: tuple[str, ...]) -> str:
    if not days:
        return ""
    return (f"{len(days)} day{'' if len(days) == 1 else 's'} of the period had no published report and "
            f"{'is' if len(days) == 1 else 'are'} not part of this review: "
            f"{days_text([dt.date.fromisoformat(d) for d in days])}.")


def provenance_view(prov: ReviewProvenance) -> ProvenanceView:
    return ProvenanceView(prov.period, prov.rulepack_name, prov.rulepack_sha256, prov.code_version, prov.data_as_of,
                          prov.daily_manifests, prov.rulepack_note)


def period_span(card_period) -> str:
    return f"{card_period.first} to {card_period.last} ({card_period.days} days)"


def review_scorecard_view(card: PeriodScorecard, *, in_pack: bool = False) -> ReviewScorecardView:
    stem = agency_file_stem(card.agency_id)
    scored = card.overall is not None
    if card.days_audited == 0:
        grade_note = ("Not assessed on any day of the period (file missing or unreadable): data quality scores 0 "
                      "and the other families are not assessed.")
    elif card.grade_capped:
        grade_note = f"Grade set by a gate \u2014 {card.gate_sentence} (in the period)."
    else:
        grade_note = ""
    bands = [GradeBand(g, f"\u2265 {floor:g}", GRADE_CLASSES.get(g, "grade-na"), card.grade == g)
             for g, floor in card.grade_bands]
    bands.append(GradeBand("F", f"< {card.grade_bands[-1][1]:g}" if card.grade_bands else "", "grade-f",
                           card.grade == "F"))
    if card.complaints is None:
        complaints, rate, note = DASH, DASH, "The period's reports hold no complaint data."
    else:
        complaints = fmt_int(card.complaints)
        rate = DASH if card.complaint_rate is None else f"{card.complaint_rate:g}"
        note = (f"{fmt_int(card.complaints)} complaint{'' if card.complaints == 1 else 's'} linked to the agency; "
                f"{fmt_int(card.numbers_called)} distinct numbers called in the period.")
    trend = tuple(TrendPoint(p.date, p.overall, p.grade) for p in card.daily if p.status != "not in the report")
    gaps = sum(1 for p in card.daily if p.overall is None)
    return ReviewScorecardView(
        page_title=f"{card.agency_name} ({card.agency_id}) \u2014 compliance review {card.period.label}",
        agency_id=card.agency_id, agency_name=card.agency_name, name_lang=lang_of(card.agency_name),
        period_label=card.period.label, period_title=card.period.title, period_span=period_span(card.period),
        index_href="" if in_pack else "../index.html",
        workbook_href="scorecard.xlsx" if in_pack else f"{stem}.xlsx",
        missing_note=missing_note(card.period.missing_days),
        not_assessed_note=(f"Not assessed on {len(card.not_assessed_dates)} day"
                           f"{'' if len(card.not_assessed_dates) == 1 else 's'} (file missing or unreadable): "
                           f"{', '.join(card.not_assessed_dates)}." if card.not_assessed_dates else ""),
        overall=fmt_overall(card.overall) if scored else "not assessed",
        overall_css=_score_css(card.overall), grade=grade_pill(card.grade if scored else "n/a"),
        grade_note=grade_note, grade_bands=tuple(bands),
        sla_result=sla_pill(card.sla_result), sla_rows=tuple(sla_row(c) for c in card.sla),
        sla_failed=tuple(f"{c.label}: {c.text}" for c in card.sla if c.result == NOT_MET),
        days_audited=f"{card.days_audited} of {card.period.days}", days_not_assessed=fmt_int(card.days_not_assessed),
        calls_audited=fmt_int(card.calls_audited), findings=fmt_int(card.findings),
        critical=fmt_int(card.critical_findings), critical_css="crit-some" if card.critical_findings else "crit-none",
        complaints=complaints, complaint_rate=rate, complaint_note=note,
        complaints_empty=note if card.complaints is None else "No complaint linked to the agency in the period.",
        families=tuple(_family_row(f, card.days_audited > 0, card.contacts_noun) for f in card.families),
        trend_svg=charts.trend_svg(trend, bands=card.grade_bands, title=f"Overall score by day, {card.period.title}"),
        trend_note=(f"Daily overall score over the {card.period.days} days of the period"
                    + (f"; {gaps} day{'' if gaps == 1 else 's'} without a score (crossed; the line breaks there)."
                       if gaps else ".")),
        daily=tuple(_day_row(p) for p in card.daily),
        cases_opened=fmt_int(card.cases_opened), cases_resolved=fmt_int(card.cases_resolved),
        cases_open=fmt_int(card.cases_open_at_end),
        top_cases=tuple(CaseRow(c.case_id, c.rule_id, c.title, severity_pill(c.severity),
                                c.subject_display if c.subject_kind != "agency" else "the agency",
                                c.status + (f" ({c.decision})" if c.decision else ""), c.opened_on or DASH,
                                c.days_open or DASH, fmt_int(c.findings), c.complaints or DASH, c.summary)
                        for c in card.top_cases),
        complaint_rows=tuple((c.received_at, c.complaint_id, c.channel, c.category, c.callee_masked,
                              "yes" if c.named else "no", c.case_ids or DASH) for c in card.complaint_rows),
        warnings_available=card.warnings is not None,
        warning_rows=tuple((w.audit_date, w.level, w.agent_id or DASH, w.metric, w.value, w.baseline, w.z, w.detail)
                           for w in card.warnings or ()),
        exception_rows=tuple((e.exception_id, e.case_id, e.rule_id, e.subject_display, fmt_int(e.findings_accepted))
                             for e in card.exceptions),
        dispute_rows=tuple((d.dispute_id, d.case_id, d.rule_id, d.subject_display, d.outcome,
                            fmt_int(d.findings_dismissed)) for d in card.disputes),
        peers_available=card.peers.available, peers_note=card.peers.note,
        peer_rows=tuple(PeerRow(f.label, _figure(f.key, f.own), _figure(f.key, f.q1), _figure(f.key, f.median),
                                _figure(f.key, f.q3), f.quartile or DASH) for f in card.peers.figures),
        provenance=provenance_view(card.provenance),
        messages="" if card.messages_audited is None else fmt_int(card.messages_audited),
        findings_sms="" if card.messages_audited is None else fmt_int(card.findings_sms),
        contacts=card.contacts_noun,
    )


def review_index_view(portfolio: ReviewPortfolio) -> ReviewIndexView:
    rows = []
    texts = period_has_texts(portfolio)
    for rank, card in enumerate(portfolio.scorecards, 1):
        stem = agency_file_stem(card.agency_id)
        scored = card.overall is not None
        rows.append(IndexRow(
            rank=str(rank), agency_id=card.agency_id, agency_name=card.agency_name, name_lang=lang_of(card.agency_name),
            grade=grade_pill(card.grade if scored else "n/a"),
            overall=fmt_overall(card.overall) if scored else NOT_ASSESSED,
            sla=sla_pill(card.sla_result),
            sla_failed="; ".join(c.label for c in card.sla if c.result == NOT_MET),
            days=f"{card.days_audited} / {card.days_not_assessed}", calls=fmt_int(card.calls_audited),
            findings=fmt_int(card.findings), critical=fmt_int(card.critical_findings),
            critical_css="crit-some" if card.critical_findings else "crit-none",
            complaint_rate=DASH if card.complaint_rate is None else f"{card.complaint_rate:g}",
            open_cases=fmt_int(card.cases_open_at_end), html_href=f"agencies/{stem}.html",
            xlsx_href=f"agencies/{stem}.xlsx", pack_href=f"share/{stem}.zip",
            messages=fmt_int(card.messages_audited or 0) if texts else "",
            findings_sms=fmt_int(card.findings_sms) if texts else ""))
    met = sum(1 for c in portfolio.scorecards if c.sla_result == MET)
    period = portfolio.period
    return ReviewIndexView(
        page_title=f"Vendor compliance review \u2014 {period.title}", period_label=period.label,
        period_title=period.title, period_span=period_span(period), missing_note=missing_note(period.missing_days),
        rows=tuple(rows), agencies=fmt_int(len(rows)), sla_met=fmt_int(met),
        sla_not_met=fmt_int(len(rows) - met), sla_not_met_css="crit-some" if len(rows) > met else "crit-none",
        sla_clauses=portfolio.sla_clauses,
        provenance=provenance_view(portfolio.provenance), texts=texts)


def period_has_texts(portfolio: ReviewPortfolio) -> bool:
    """The period's reports audited texts (review scores.csv has messages_audited): the index
    and the summary show messages beside calls."""
    return any(card.messages_audited is not None for card in portfolio.scorecards)


def fmt_overall(value: float | None) -> str:
    """A period's overall score with the two decimals the SLA judges (84.99 is not 85.0)."""
    return DASH if value is None else f"{value:.2f}"


def _day_row(point) -> DayRow:
    reported = point.status.startswith(("assessed", "not assessed"))
    counts = (fmt_int(point.calls), fmt_int(point.findings), fmt_int(point.critical)) if reported else (DASH,) * 3
    return DayRow(point.date, point.status, *counts, fmt_score(point.overall),
                  grade_pill(point.grade if point.overall is not None else "n/a"), point.status == "assessed")


def _family_row(family, assessed_any: bool, contacts: str) -> FamilyRow:
    is_dq = family.family == "data_quality"
    assessed = family.score is not None and (assessed_any or is_dq)
    unit = "rows quarantined" if is_dq else f"{contacts} with a finding"
    return FamilyRow(
        name=family_label(family.family), weight=fmt_weight(family.weight),
        score=fmt_score(family.score) if assessed else "not assessed", score_css=_score_css(family.score),
        bar=f"{max(0.0, min(100.0, family.score)):.1f}%" if assessed else "0%",
        rate=fmt_rate(family.rate) if assessed else DASH,
        affected=f"{fmt_int(family.affected)} {unit}" if assessed else DASH,
        findings=DASH if family.findings is None else fmt_int(family.findings), assessed=assessed)


def _figure(key: str, value: float | None) -> str:
    if value is None:
        return DASH
    return fmt_overall(value) if key == "overall" else fmt_rate(value)


def _score_css(score: float | None) -> str:
    if score is None:
        return "score-na"
    return "score-good" if score >= 90 else "score-fair" if score >= 70 else "score-poor"
