"""PeriodScorecard / ReviewPortfolio -> the review workbooks (openpyxl, write-only), built from
the same cells as the daily workbooks (xlsx/cells.py: formula-safe text, byte-stable files).

Per agency: Summary (headline, SLA clauses, families), Daily, Cases, Complaints, Warnings,
Decisions (exceptions used, disputes), Peers, Provenance. The portfolio: Ranking, SLA,
Provenance.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl.styles import Font

from audits.models import NOT_ASSESSED, Provenance, agency_file_stem
from audits.rendering.formatting import family_label
from audits.rendering.views.review import missing_note, period_has_texts
from audits.rendering.xlsx.cells import (
    BIG,
    BIG_WHITE,
    CARD_FILL,
    CENTER,
    GRADE_FILLS,
    HEADING,
    INT_FMT,
    LABEL,
    RATE_FMT,
    SCORE_FMT,
    TITLE,
    WEIGHT_FMT,
    Rows,
    add_table,
    header_cells,
    layout_sheet,
    new_workbook,
    num_cell,
    safe,
    save_workbook,
    text_cell,
)
from audits.rendering.xlsx.summary import TEXT_HEADERS
from audits.review.cards import PeriodScorecard, ReviewPortfolio, ReviewProvenance

OVERALL_FMT = "0.00"          # the period's overall score as the SLA judges it (84.99 is not 85.0)
_RED = Font(bold=True, color="B42318")
_GREEN = Font(bold=True, color="1E7B4A")


def workbook_provenance(prov: ReviewProvenance, last_day: str) -> Provenance:
    """The daily workbooks' Provenance, for the file plumbing (its stamp is `data_as_of`)."""
    return Provenance(run_id=f"review {prov.period}", audit_date=last_day, rulepack_name=prov.rulepack_name,
                      rulepack_sha256=prov.rulepack_sha256, code_version=prov.code_version,
                      generated_at=prov.data_as_of, inputs=())


def write_review_scorecard_workbook(card: PeriodScorecard, path: Path) -> Path:
    prov = workbook_provenance(card.provenance, card.period.last)
    wb = new_workbook(f"Compliance review {card.agency_id} {card.period.label}", prov)
    _summary(wb, card)
    _table(wb, "Daily", "Daily", ("Day", "Status", "Calls", "Findings", "Critical", "Overall score", "Grade"),
           (12, 26, 12, 12, 10, 14, 8),
           [(d.date, d.status, *((d.calls, d.findings, d.critical) if d.status.startswith(("assessed", "not assessed"))
                                  else ((None, INT_FMT),) * 3), (d.overall, SCORE_FMT),
            d.grade if d.overall is not None else NOT_ASSESSED if d.status.startswith("not assessed") else "")
            for d in card.daily])
    _table(wb, "Cases", "Cases", ("Case ID", "Rule ID", "Severity", "Subject", "Status at period end", "Decision",
                                  "First seen", "Last seen", "Days open", "Opened in period", "Resolved on",
                                  "Findings in period", "Complaints", "Summary"),
           (18, 28, 10, 20, 18, 12, 12, 12, 10, 14, 12, 14, 11, 90),
           [(c.case_id, c.rule_id, c.severity, c.subject_display, c.status, c.decision, c.first_seen, c.last_seen,
             c.days_open, c.opened_on, c.resolved_on, c.findings, c.complaints, c.summary) for c in card.cases])
    _table(wb, "Complaints", "Complaints", ("Received", "Complaint ID", "Channel", "Category", "Customer (masked)",
                                            "Named the agency", "Linked cases"), (24, 18, 12, 14, 18, 16, 40),
           [(c.received_at, c.complaint_id, c.channel, c.category, c.callee_masked, "yes" if c.named else "no",
             c.case_ids) for c in card.complaint_rows])
    _table(wb, "Warnings", "Warnings", ("Day", "Level", "Agent", "Metric", "Value", "Baseline", "z", "Detail"),
           (12, 10, 12, 20, 10, 10, 8, 80),
           [(w.audit_date, w.level, w.agent_id, w.metric, w.value, w.baseline, w.z, w.detail)
            for w in card.warnings or ()])
    _decisions(wb, card)
    _peers(wb, card)
    review_provenance_sheet(wb, card.provenance)
    save_workbook(wb, path, prov)
    return Path(path)


def write_review_summary_workbook(portfolio: ReviewPortfolio, path: Path) -> Path:
    prov = workbook_provenance(portfolio.provenance, portfolio.period.last)
    wb = new_workbook(f"Vendor compliance review {portfolio.period.label}", prov)
    ws = wb.create_sheet("Ranking")
    texts = period_has_texts(portfolio)           # a period with texts: messages beside calls (sms.md §3)
    layout_sheet(ws, (7, 16, 34, 8, 14, 12, 14, 16, 12, 11, 11, 18, 12, 30) + ((12, 14) if texts else ()),
                 landscape=True)
    ws.freeze_panes = "A4"
    rows = Rows(ws)
    rows.add([text_cell(ws, f"Vendor compliance review \u2014 {portfolio.period.title}", font=TITLE)])
    rows.add([text_cell(ws, missing_note(portfolio.period.missing_days)
                        or f"{portfolio.period.first} to {portfolio.period.last}; ranked worst first.")])
    headers = ("Rank", "Agency ID", "Agency name", "Grade", "Overall score", "SLA", "Days audited",
               "Days not assessed", "Calls audited", "Findings", "Critical", "Complaints / 10k", "Open cases",
               "Workbook") + (TEXT_HEADERS if texts else ())
    first = rows.add(header_cells(ws, headers))
    for rank, card in enumerate(portfolio.scorecards, 1):
        target = f"agencies/{agency_file_stem(card.agency_id)}.xlsx"
        link = text_cell(ws, target, font=Font(color="1F4E79", underline="single"))
        link.hyperlink = target
        scored = card.overall is not None
        rows.add([rank, safe(ws, card.agency_id), safe(ws, card.agency_name),
                  safe(ws, card.grade) if scored else NOT_ASSESSED,
                  num_cell(ws, card.overall, OVERALL_FMT) if scored else NOT_ASSESSED,
                  text_cell(ws, card.sla_result, font=_sla_font(card.sla_result)),
                  card.days_audited, card.days_not_assessed, num_cell(ws, card.calls_audited, INT_FMT), card.findings,
                  card.critical_findings, num_cell(ws, card.complaint_rate, "0.00"), card.cases_open_at_end, link]
                 + ([num_cell(ws, card.messages_audited or 0, INT_FMT), num_cell(ws, card.findings_sms, INT_FMT)]
                    if texts else []))
    add_table(ws, "Ranking", headers, first, len(portfolio.scorecards))

    ws = wb.create_sheet("SLA")
    labels = portfolio.sla_clauses
    layout_sheet(ws, (16, 12, *(46 for _ in labels)), landscape=True)
    ws.freeze_panes = "B2"
    rows = Rows(ws)
    headers = ("Agency ID", "SLA", *labels)
    rows.add(header_cells(ws, headers))
    for card in sorted(portfolio.scorecards, key=lambda c: c.agency_id):
        rows.add([safe(ws, card.agency_id), text_cell(ws, card.sla_result, font=_sla_font(card.sla_result)),
                  *(text_cell(ws, f"{c.result}: {c.text}") for c in card.sla)])
    add_table(ws, "SLA", headers, 1, len(portfolio.scorecards))
    review_provenance_sheet(wb, portfolio.provenance)
    save_workbook(wb, path, prov)
    return Path(path)


def _summary(wb, card: PeriodScorecard) -> None:
    ws = wb.create_sheet("Summary")
    layout_sheet(ws, (44, 14, 14, 14, 60, 14), landscape=True)
    rows = Rows(ws)
    rows.add([text_cell(ws, f"Compliance review \u2014 {card.period.title}", font=TITLE)])
    rows.add([text_cell(ws, "Agency", font=LABEL), text_cell(ws, card.agency_name), None,
              text_cell(ws, "Agency ID", font=LABEL), text_cell(ws, card.agency_id)])
    rows.add([text_cell(ws, "Period", font=LABEL), text_cell(ws, f"{card.period.first} to {card.period.last}"), None,
              text_cell(ws, "Calls audited", font=LABEL), num_cell(ws, card.calls_audited, INT_FMT)])
    rows.add([text_cell(ws, "Days audited", font=LABEL), card.days_audited, None,
              text_cell(ws, "Days not assessed", font=LABEL), card.days_not_assessed])
    if card.messages_audited is not None:            # the period's texts (sms.md §3)
        rows.add([text_cell(ws, "Messages audited", font=LABEL), num_cell(ws, card.messages_audited, INT_FMT), None,
                  text_cell(ws, "Findings on messages", font=LABEL), num_cell(ws, card.findings_sms, INT_FMT)])
    if card.period.missing_days:
        rows.add([text_cell(ws, missing_note(card.period.missing_days), font=_RED)])
    if card.not_assessed_dates:
        rows.add([text_cell(ws, "Not assessed on: " + ", ".join(card.not_assessed_dates))])
    rows.add()
    labels = ("Overall score", "Grade", "SLA", "Findings", "Critical findings", "Complaints / 10k")
    rows.add([text_cell(ws, label, font=LABEL, fill=CARD_FILL, alignment=CENTER) for label in labels])
    big = {"font": BIG, "alignment": CENTER}
    fill = GRADE_FILLS.get(card.grade)
    ws.row_dimensions[rows.row + 1].height = 30
    rows.add([num_cell(ws, card.overall, OVERALL_FMT, **big) if card.overall is not None
              else text_cell(ws, "not assessed", **big),
              text_cell(ws, card.grade or NOT_ASSESSED, font=BIG_WHITE if fill else BIG, fill=fill, alignment=CENTER),
              text_cell(ws, card.sla_result, font=_sla_font(card.sla_result), alignment=CENTER),
              num_cell(ws, card.findings, INT_FMT, **big), num_cell(ws, card.critical_findings, INT_FMT, **big),
              num_cell(ws, card.complaint_rate, "0.00", **big) if card.complaint_rate is not None
              else text_cell(ws, "\u2014", **big)])
    if card.grade_capped:
        rows.add([text_cell(ws, f"Grade set by a gate \u2014 {card.gate_sentence} (in the period).")])
    rows.add()
    rows.add([text_cell(ws, "SLA clauses", font=HEADING)])
    rows.add(header_cells(ws, ("Clause", "Limit", "Actual", "Result", "By how much")))
    for clause in card.sla:
        rows.add([text_cell(ws, clause.label), num_cell(ws, clause.threshold, "0.##"),
                  num_cell(ws, clause.actual, "0.##"), text_cell(ws, clause.result, font=_sla_font(clause.result)),
                  text_cell(ws, clause.text)])
    rows.add()
    rows.add([text_cell(ws, "Score by family (the daily formula over the period's totals)", font=HEADING)])
    rows.add(header_cells(ws, ("Family", "Weight", "Score", "Rate", "Affected", "Findings")))
    for family in card.families:
        rows.add([text_cell(ws, family_label(family.family)), num_cell(ws, family.weight, WEIGHT_FMT),
                  num_cell(ws, family.score, SCORE_FMT), num_cell(ws, family.rate, RATE_FMT),
                  num_cell(ws, family.affected, INT_FMT), num_cell(ws, family.findings, INT_FMT)])
    rows.add()
    rows.add([text_cell(ws, "Cases", font=HEADING)])
    for label, value in (("Opened in the period", card.cases_opened), ("Resolved in the period", card.cases_resolved),
                         ("Open at period end", card.cases_open_at_end)):
        rows.add([text_cell(ws, label, font=LABEL), num_cell(ws, value, INT_FMT)])


def _decisions(wb, card: PeriodScorecard) -> None:
    ws = wb.create_sheet("Decisions")
    layout_sheet(ws, (18, 18, 28, 20, 12, 18), landscape=True)
    rows = Rows(ws)
    rows.add([text_cell(ws, "Exceptions used", font=HEADING)])
    headers = ("Exception ID", "Case ID", "Rule ID", "Subject", "Findings accepted")
    first = rows.add(header_cells(ws, headers))
    for e in card.exceptions:
        rows.add([safe(ws, e.exception_id), safe(ws, e.case_id), safe(ws, e.rule_id), safe(ws, e.subject_display),
                  e.findings_accepted])
    add_table(ws, "Exceptions", headers, first, len(card.exceptions))
    if not card.exceptions:
        rows.add()
    rows.add()
    rows.add([text_cell(ws, "Disputes", font=HEADING)])
    headers = ("Dispute ID", "Case ID", "Rule ID", "Subject", "Outcome", "Findings dismissed")
    first = rows.add(header_cells(ws, headers))
    for d in card.disputes:
        rows.add([safe(ws, d.dispute_id), safe(ws, d.case_id), safe(ws, d.rule_id), safe(ws, d.subject_display),
                  safe(ws, d.outcome), d.findings_dismissed])
    add_table(ws, "Disputes", headers, first, len(card.disputes))


def _peers(wb, card: PeriodScorecard) -> None:
    ws = wb.create_sheet("Peers")
    layout_sheet(ws, (30, 14, 14, 14, 14, 18))
    rows = Rows(ws)
    rows.add([text_cell(ws, "Compared with all agencies", font=TITLE)])
    rows.add([text_cell(ws, card.peers.note)])
    rows.add()
    headers = ("Figure", "This agency", "Lower quartile", "Median", "Upper quartile", "Position")
    first = rows.add(header_cells(ws, headers))
    for f in card.peers.figures:
        fmt = OVERALL_FMT if f.key == "overall" else RATE_FMT
        rows.add([text_cell(ws, f.label), num_cell(ws, f.own, fmt), num_cell(ws, f.q1, fmt),
                  num_cell(ws, f.median, fmt), num_cell(ws, f.q3, fmt), text_cell(ws, f.quartile)])
    add_table(ws, "Peers", headers, first, len(card.peers.figures))


def review_provenance_sheet(wb, prov: ReviewProvenance) -> None:
    ws = wb.create_sheet("Provenance")
    layout_sheet(ws, (22, 70))
    rows = Rows(ws)
    rows.add([text_cell(ws, "Provenance", font=TITLE)])
    for label, value in (("Period", prov.period), ("Rulepack", prov.rulepack_name),
                         ("Rulepack SHA-256", prov.rulepack_sha256), ("Code version", prov.code_version),
                         ("Data as of", prov.data_as_of)):
        rows.add([text_cell(ws, label, font=LABEL), text_cell(ws, value)])
    rows.add()
    headers = ("Daily report", "manifest.json SHA-256")
    first = rows.add(header_cells(ws, headers))
    for day, digest in prov.daily_manifests:
        rows.add([text_cell(ws, day), text_cell(ws, digest)])
    add_table(ws, "DailyReports", headers, first, len(prov.daily_manifests))


def _table(wb, title: str, name: str, headers: tuple[str, ...], widths: tuple[int, ...], values: list[tuple]) -> None:
    """A sheet holding one Excel table; text through safe(), (value, format) pairs as numbers."""
    ws = wb.create_sheet(title)
    layout_sheet(ws, widths, landscape=True)
    ws.freeze_panes = "A2"
    rows = Rows(ws)
    rows.add(header_cells(ws, headers))
    for row in values:
        rows.add([num_cell(ws, v[0], v[1]) if isinstance(v, tuple) else v if isinstance(v, (int, float))
                  else safe(ws, str(v)) for v in row])
    add_table(ws, name, headers, 1, len(values))


def _sla_font(result: str) -> Font | None:
    return {"met": _GREEN, "not met": _RED}.get(result)
