"""Scorecard -> the presentation-ready values of one agency's page.

Everything the scorecard template shows is decided here (the workbooks reuse a few texts):
grade bands, family bars, evidence rows and their cap, notes under the charts. The template
only loops over these values.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from markupsafe import Markup

from audits.models import DataQuality, Provenance, Scorecard, agency_file_stem
from audits.rendering.formatting import (
    DASH,
    DQ_DESCRIPTIONS,
    EVIDENCE_LIMIT,
    GRADE_CLASSES,
    Change,
    Pill,
    change_of,
    family_label,
    fmt_int,
    fmt_rate,
    fmt_score,
    fmt_weight,
    grade_pill,
    lang_of,
    severity_pill,
    status_pill,
    without_server_paths,
)
from audits.rendering.html import charts
from audits.rendering.views.cases import (
    OVERDUE_DAYS,
    CaseRow,
    EvidenceGroup,
    EvidenceRow,
    case_counts,
    cases_note,
    evidence_row,
    grouped_evidence_note,
)
from audits.rendering.views.channels import ChannelsView, channels_view
from audits.rendering.views.summary import CaseGroup, SlaView, StatusCount, case_sections, sla_view, status_counts

# --- view values ------------------------------------------------------------------------


@dataclass(frozen=True)
class GradeBand:
    grade: str
    text: str         # "≥ 90"
    css: str
    current: bool


@dataclass(frozen=True)
class FamilyRow:
    name: str
    weight: str
    score: str
    score_css: str
    bar: str          # CSS width, e.g. "72.4%"; "0%" when not assessed
    rate: str
    affected: str
    assessed: bool


@dataclass(frozen=True)
class RuleRow:
    rule_id: str
    title: str
    family: str
    severity: Pill
    threshold: str
    evaluated: str
    findings: str
    rate: str
    has_findings: bool


@dataclass(frozen=True)
class CountRow:
    label: str
    count: str
    share: str


@dataclass(frozen=True)
class ReasonRow:
    code: str
    description: str
    rows: str
    share: str


@dataclass(frozen=True)
class DataQualityView:
    status: Pill
    message: str
    rows_read: str
    rows_accepted: str
    rows_quarantined: str
    quarantined_share: str
    balanced: bool
    balance_text: str
    reasons: tuple[ReasonRow, ...]
    callee_tz_note: str = ""            # calls whose callee_tz is not a zone of the number, when any


@dataclass(frozen=True)
class InputRow:
    path: str
    rows: str
    sha256: str


@dataclass(frozen=True)
class ProvenanceView:
    run_id: str
    audit_date: str
    rulepack_name: str
    rulepack_sha256: str
    code_version: str
    generated_at: str
    inputs: tuple[InputRow, ...]


@dataclass(frozen=True)
class ScorecardView:
    page_title: str
    agency_id: str
    agency_name: str
    name_lang: str
    audit_date: str
    assessed: bool
    not_assessed_message: str
    calls_audited: str
    overall: str
    overall_css: str
    grade: Pill
    grade_note: str
    grade_bands: tuple[GradeBand, ...]
    critical: str
    critical_css: str
    gates_text: str          # the rulepack's grade gates in words
    total_findings: str
    changes: tuple[Change, ...]
    families: tuple[FamilyRow, ...]
    rules: tuple[RuleRow, ...]
    top_agents: tuple[CountRow, ...]
    top_callers: tuple[CountRow, ...]
    evidence: tuple[EvidenceRow, ...]            # flat evidence of a scorecard without cases
    evidence_note: str
    evidence_truncated: bool
    before_decisions: str                        # "Before decisions: 71.2, grade C"; "" when not known
    has_cases: bool
    status_counts: tuple[StatusCount, ...]       # cases by status, for the summary
    sla: SlaView | None                          # the month's SLA so far
    toc: tuple[tuple[str, str], ...]             # (element id, heading) of the page's sections
    case_groups: tuple[CaseGroup, ...]           # cases with findings today, by rule
    cases_today: str                             # their count
    quiet_cases: tuple[CaseRow, ...]
    quiet_count: str
    resolved_cases: tuple[CaseRow, ...]
    resolved_count: str
    cases_hidden_note: str
    cases_note: str
    cases_open: str                              # the Cases tile
    cases_tile_note: str
    cases_overdue: str                           # "1 critical open more than 7 days", "" when none
    evidence_groups: tuple[EvidenceGroup, ...]   # evidence under its case (when the card has cases)
    workbook_href: str
    index_href: str
    trend_svg: Markup
    trend_note: str
    hours_svg: Markup
    hours_note: str
    data_quality: DataQualityView
    provenance: ProvenanceView
    channels: ChannelsView | None = None         # calls and texts side by side; None on a day without texts


# --- builders ---------------------------------------------------------------------------


def grade_bands(card: Scorecard) -> tuple[GradeBand, ...]:
    bands = [GradeBand(g, f"\u2265 {floor:g}", GRADE_CLASSES.get(g, "grade-na"), card.grade == g)
             for g, floor in card.grade_bands]
    lowest = card.grade_bands[-1][1] if card.grade_bands else 0.0
    bands.append(GradeBand("F", f"< {lowest:g}", "grade-f", card.grade == "F"))
    return tuple(bands)


def grade_bands_text(card: Scorecard) -> str:
    parts = [f"{g} \u2265 {floor:g}" for g, floor in card.grade_bands]
    return ", ".join(parts) + ", else F. " + card.gates_text


def not_assessed_message(card: Scorecard) -> str:
    dq = card.data_quality
    status = status_pill(dq.file_status).text
    unchecked = sum(1 for case in card.cases if case.status != "resolved")
    checked = (f" Not assessed today: {fmt_int(unchecked)} case{'' if unchecked == 1 else 's'} could not be "
               "checked (none resolves on a day not assessed)." if unchecked else "")
    if dq.file_message:
        return f"{status}: {without_server_paths(dq.file_message)}{checked}"
    return f"{status}: no usable file was delivered for {card.audit_date}.{checked}"


def _share(count: int, total: int) -> str:
    return fmt_rate(count / total) if total else DASH


def data_quality_view(dq: DataQuality) -> DataQualityView:
    balanced = dq.rows_read == dq.rows_accepted + dq.rows_quarantined
    balance_text = (
        "rows read = rows accepted + rows quarantined"
        if balanced else
        f"does not balance: {fmt_int(dq.rows_read)} read, "
        f"{fmt_int(dq.rows_accepted + dq.rows_quarantined)} accepted or quarantined"
    )
    reasons = tuple(
        ReasonRow(code, DQ_DESCRIPTIONS.get(code, ""), fmt_int(rows), _share(rows, dq.rows_read))
        for code, rows in dq.reasons
    )
    return DataQualityView(
        status=status_pill(dq.file_status),
        message=without_server_paths(dq.file_message),
        rows_read=fmt_int(dq.rows_read),
        rows_accepted=fmt_int(dq.rows_accepted),
        rows_quarantined=fmt_int(dq.rows_quarantined),
        quarantined_share=_share(dq.rows_quarantined, dq.rows_read),
        balanced=balanced,
        balance_text=balance_text,
        reasons=reasons,
        callee_tz_note=(f"Callee time zone not that of the number: {fmt_int(dq.callee_tz_not_of_number)} "
                        f"call{'s' if dq.callee_tz_not_of_number != 1 else ''} (judged in the number's zones)"
                        if dq.callee_tz_not_of_number else ""),
    )


def provenance_view(prov: Provenance) -> ProvenanceView:
    return ProvenanceView(
        run_id=prov.run_id,
        audit_date=prov.audit_date,
        rulepack_name=prov.rulepack_name,
        rulepack_sha256=prov.rulepack_sha256,
        code_version=prov.code_version,
        generated_at=prov.generated_at,
        inputs=tuple(InputRow(f.path, fmt_int(f.rows), f.sha256) for f in prov.inputs),
    )


def agency_inputs(prov: Provenance, agency_id: str) -> tuple[tuple[str, int | None, str], ...]:
    """(landing-relative path, rows or None, sha256) of the inputs an agency's page may name: its own
    call files with their rows, the shared tables without a count; no other agency's file."""
    inputs = []
    for f in prov.inputs:
        calls = f.table == "cdr" or (not f.table and "cdr/" in f.path)
        if calls and (f.agency_id or _stem_of(f.path)) != agency_id:
            continue
        inputs.append((_landing_relative(f.path), f.rows if calls else None, f.sha256))
    return tuple(inputs)


def agency_provenance_view(prov: Provenance, agency_id: str) -> ProvenanceView:
    """Provenance as an agency's page shows it (agency_inputs)."""
    return dataclasses.replace(provenance_view(prov), inputs=tuple(
        InputRow(path, DASH if rows is None else fmt_int(rows), sha)
        for path, rows, sha in agency_inputs(prov, agency_id)))


def _stem_of(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1].split(".", 1)[0]


def _landing_relative(path: str) -> str:
    """A path as it sits under the landing zone, never the server's folders above it."""
    text = path.replace("\\", "/")
    if not text.startswith("/") and text[1:3] != ":/":
        return text
    for folder in ("/cdr/", "/reference/", "/complaints/"):
        if folder in text:
            return folder[1:] + text.rsplit(folder, 1)[1]
    return text.rsplit("/", 1)[-1]


def _family_rows(card: Scorecard) -> tuple[FamilyRow, ...]:
    rows = []
    for fam in card.families:
        is_dq = fam.family == "data_quality"
        assessed = fam.score is not None and (card.assessed or is_dq)
        unit = "rows quarantined" if is_dq else f"{card.contacts_noun} with a finding"
        if assessed:
            score = fmt_score(fam.score)
            css = _score_css(fam.score)
            bar = f"{max(0.0, min(100.0, fam.score)):.1f}%"
        else:
            score, css, bar = "not assessed", "score-na", "0%"
        rows.append(FamilyRow(
            name=family_label(fam.family),
            weight=fmt_weight(fam.weight),
            score=score,
            score_css=css,
            bar=bar,
            rate=fmt_rate(fam.rate) if assessed else DASH,
            affected=f"{fmt_int(fam.affected)} {unit}" if assessed else DASH,
            assessed=assessed,
        ))
    return tuple(rows)


def _score_css(score: float | None) -> str:
    if score is None:
        return "score-na"
    if score >= 90:
        return "score-good"
    if score >= 70:
        return "score-fair"
    return "score-poor"


def _trend_note(card: Scorecard) -> str:
    days = len(card.trend)
    if not days:
        return "No earlier runs yet."
    gaps = sum(1 for p in card.trend if p.overall is None)
    note = f"{days} {'day' if days == 1 else 'days'} from {card.trend[0].audit_date}."
    if gaps:
        note += (f" {gaps} not assessed: marked with a cross, the line breaks there.")
    return note


def _count_rows(pairs: tuple[tuple[str, int], ...], total: int) -> tuple[CountRow, ...]:
    return tuple(CountRow(label, fmt_int(count), _share(count, total)) for label, count in pairs)


def _before_decisions(card: Scorecard) -> str:
    if card.overall_before_decisions is None:
        return ""
    grade = f", grade {card.grade_before_decisions}" if card.grade_before_decisions else ""
    return f"Before decisions: {fmt_score(card.overall_before_decisions)}{grade}"


def scorecard_view(card: Scorecard) -> ScorecardView:
    stem = agency_file_stem(card.agency_id)
    sections = case_sections(card)
    groups = sections.evidence
    counts = case_counts(card.cases)
    total = max(card.total_findings, len(card.findings))
    in_workbook = len(card.findings)
    severity_rank = {"critical": 0, "major": 1, "minor": 2}
    shown = sorted(card.findings, key=lambda f: severity_rank.get(f.severity, 3))[:EVIDENCE_LIMIT]
    if total == 0:
        evidence_note = "No findings on this day."
    elif total > EVIDENCE_LIMIT:
        evidence_note = (f"Showing {len(shown)} of {fmt_int(total)} findings, the gravest first; "
                         + ("the full list is in the workbook." if in_workbook == total else
                            f"the workbook lists {fmt_int(in_workbook)} (a sample of every rule) and "
                            "violations.csv of this report lists them all."))
    else:
        evidence_note = f"Showing all {fmt_int(total)} findings."

    # A missing or unreadable file scores 0 on data quality and the overall is the weighted mean
    # of what could be assessed (0, grade F): shown as such, never as full marks.
    if card.overall is not None:
        overall, overall_css = fmt_score(card.overall), _score_css(card.overall)
        grade = grade_pill(card.grade)
    else:
        overall, overall_css = "not assessed", "score-na"
        grade = grade_pill("n/a")
    if not card.assessed:
        grade_note = ("Calls not assessed: the agency's file is missing or unreadable, "
                      "so data quality scores 0 and the other families are not assessed.")
    elif card.grade_capped:
        grade_note = f"Grade set by a gate \u2014 {card.gate_sentence}."
    else:
        grade_note = ""

    hour_total = sum(card.findings_by_hour)
    if hour_total:
        peak = max(range(len(card.findings_by_hour)), key=lambda h: card.findings_by_hour[h])
        hours_note = (f"Peak {peak:02d}:00\u2013{peak:02d}:59 with "
                      f"{fmt_int(card.findings_by_hour[peak])} of {fmt_int(hour_total)} findings "
                      "(bank's local time).")
    else:
        hours_note = "No findings to chart for this day."
    trend_note = _trend_note(card)

    return ScorecardView(
        page_title=(f"{card.agency_name} ({card.agency_id}) \u2014 compliance scorecard "
                    f"{card.audit_date}"),
        agency_id=card.agency_id,
        agency_name=card.agency_name,
        name_lang=lang_of(card.agency_name),
        audit_date=card.audit_date,
        assessed=card.assessed,
        not_assessed_message="" if card.assessed else not_assessed_message(card),
        calls_audited=fmt_int(card.calls_audited),
        overall=overall,
        overall_css=overall_css,
        grade=grade,
        grade_note=grade_note,
        grade_bands=grade_bands(card),
        critical=fmt_int(card.critical_findings),
        critical_css="crit-some" if card.critical_findings else "crit-none",
        gates_text=card.gates_text,
        total_findings=fmt_int(card.total_findings),
        changes=(change_of(card.change_prev_day, "vs previous day"),
                 change_of(card.change_prev_7d, "vs previous 7 days")),
        families=_family_rows(card),
        rules=tuple(
            RuleRow(r.rule_id, r.title, family_label(r.family), severity_pill(r.severity),
                    r.threshold, fmt_int(r.evaluated), fmt_int(r.findings), fmt_rate(r.rate),
                    r.findings > 0)
            for r in card.rules
        ),
        top_agents=_count_rows(card.top_agents, card.total_findings),
        top_callers=_count_rows(card.top_callers, card.total_findings),
        evidence=() if card.cases else tuple(evidence_row(f) for f in shown),
        evidence_note=grouped_evidence_note(card.cases, groups) if card.cases else evidence_note,
        evidence_truncated=not card.cases and total > EVIDENCE_LIMIT,
        before_decisions=_before_decisions(card),
        has_cases=bool(card.cases),
        status_counts=status_counts(card.cases),
        sla=sla_view(card.sla_to_date),
        toc=_toc(card),
        case_groups=sections.today,
        cases_today=fmt_int(sections.today_count),
        quiet_cases=sections.quiet,
        quiet_count=fmt_int(sections.quiet_count),
        resolved_cases=sections.resolved,
        resolved_count=fmt_int(sections.resolved_count),
        cases_hidden_note=sections.hidden_note,
        cases_note=cases_note(card.cases),
        cases_open=fmt_int(counts.open),
        cases_tile_note=(f"{fmt_int(counts.new)} new or reopened \u00b7 {fmt_int(counts.resolved)} resolved today"
                         if card.cases else "No cases on this day."),
        cases_overdue=(f"{fmt_int(counts.critical_overdue)} critical open more than {OVERDUE_DAYS} days"
                       if counts.critical_overdue else ""),
        evidence_groups=groups,
        workbook_href=f"{stem}.xlsx",
        index_href="../index.html",
        trend_svg=charts.trend_svg(card.trend, bands=card.grade_bands),
        trend_note=trend_note,
        hours_svg=charts.hours_svg(card.findings_by_hour),
        hours_note=hours_note,
        data_quality=data_quality_view(card.data_quality),
        provenance=agency_provenance_view(card.provenance, card.agency_id),
        channels=channels_view(card),
    )


def _toc(card: Scorecard) -> tuple[tuple[str, str], ...]:
    """The page's sections, in order, for its table of contents."""
    return tuple(item for item in (
        ("cases-heading", "Cases"), ("complaints", "Complaints") if card.complaints is not None else None,
        ("early-warnings", f"Early warnings ({len(card.warnings)})" if card.warnings else "Early warnings"),
        ("families-heading", "Score by family"), ("trend-heading", "Trend"), ("hours-heading", "Findings by hour"),
        ("rules-heading", "Rules"), ("agents-heading", "Top agents"), ("evidence-heading", "Evidence"),
        ("data-quality", "Data quality"), ("provenance-heading", "Provenance")) if item)
