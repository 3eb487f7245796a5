"""Scorecard -> the per-agency XLSX workbook (openpyxl, write-only so 100k findings stay cheap).

Summary, Cases (xlsx/cases.py), Rules, Findings, Data quality and Provenance sheets; how a cell is
kept safe and the file byte-stable is in xlsx/cells.py, how long tables are written fast in xlsx/bulk.py.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef

from audits.models import NOT_ASSESSED, RULES_BY_ID, DataQuality, Provenance, Scorecard
from audits.rendering.formatting import DQ_DESCRIPTIONS, family_label, status_pill, without_server_paths
from audits.rendering.views.cases import case_counts, counts_text
from audits.rendering.views.scorecard import agency_inputs, grade_bands_text, not_assessed_message
from audits.rendering.xlsx.bulk import TEXT, TIMESTAMP, add_bulk_rows
from audits.rendering.xlsx.cases import cases_sheet
from audits.rendering.xlsx.cells import (
    BIG,
    BIG_WHITE,
    CARD_FILL,
    CENTER,
    CHANGE_FMT,
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
    layout_sheet,
    new_workbook,
    num_cell,
    safe,
    save_workbook,
    text_cell,
)
from audits.rendering.xlsx.complaints import agency_complaints_sheet
from audits.rendering.xlsx.warnings import warnings_sheet


def write_scorecard_workbook(card: Scorecard, path: Path) -> Path:
    """Summary, Cases, Rules, Findings, Data quality and Provenance sheets for one agency."""
    wb = new_workbook(f"Compliance scorecard {card.agency_id} {card.audit_date}",
                      card.provenance)
    _summary_sheet(wb, card)
    cases_sheet(wb, card)
    _rules_sheet(wb, card)
    _findings_sheet(wb, card)
    _data_quality_sheet(wb, card.data_quality)
    agency_complaints_sheet(wb, card)                 # signals.md §1, when the report carries the rate
    warnings_sheet(wb, card.warnings, f"Early warnings of {card.agency_id} and its agents on {card.audit_date}.")
    provenance_sheet(wb, card.provenance, agency_inputs(card.provenance, card.agency_id))
    save_workbook(wb, path, card.provenance)
    return Path(path)


def _summary_sheet(wb: Workbook, card: Scorecard) -> None:
    ws = wb.create_sheet("Summary")
    layout_sheet(ws, SUMMARY_WIDTHS, title_rows="1:1")
    rows = Rows(ws)
    rows.add([text_cell(ws, "Compliance scorecard", font=TITLE)])
    rows.add([text_cell(ws, "Agency", font=LABEL), text_cell(ws, card.agency_name),
              None, text_cell(ws, "Agency ID", font=LABEL), text_cell(ws, card.agency_id)])
    rows.add([text_cell(ws, "Audit date", font=LABEL), text_cell(ws, card.audit_date),
              None, text_cell(ws, "Calls audited", font=LABEL),
              num_cell(ws, card.calls_audited, INT_FMT)])
    if card.texts_shown:                  # both channels side by side (sms.md §3), on a day with texts
        rows.add([text_cell(ws, "Findings on calls", font=LABEL), num_cell(ws, card.findings_calls, INT_FMT),
                  None, text_cell(ws, "Messages audited", font=LABEL), num_cell(ws, card.messages_audited, INT_FMT)])
        rows.add([text_cell(ws, "Findings on messages", font=LABEL), num_cell(ws, card.findings_sms, INT_FMT)])
    rows.add()

    assessed = card.assessed and card.overall is not None
    labels = ("Overall score", "Grade", "Critical findings", "Change vs previous day",
              "Change vs previous 7 days", "Findings")
    rows.add([text_cell(ws, label, font=LABEL, fill=CARD_FILL, alignment=CENTER)
              for label in labels])
    grade = card.grade if assessed else NOT_ASSESSED
    grade_fill = GRADE_FILLS.get(grade)
    big = {"font": BIG, "alignment": CENTER}
    ws.row_dimensions[rows.row + 1].height = 30
    rows.add([
        num_cell(ws, card.overall, SCORE_FMT, **big) if assessed
        else text_cell(ws, NOT_ASSESSED, **big),
        text_cell(ws, grade, font=BIG_WHITE if grade_fill else BIG, fill=grade_fill,
                  alignment=CENTER),
        num_cell(ws, card.critical_findings, INT_FMT, **big),
        num_cell(ws, card.change_prev_day, CHANGE_FMT, **big) if assessed
        else text_cell(ws, "\u2014", **big),
        num_cell(ws, card.change_prev_7d, CHANGE_FMT, **big) if assessed
        else text_cell(ws, "\u2014", **big),
        num_cell(ws, card.total_findings, INT_FMT, **big),
    ])
    if not card.assessed:
        rows.add([text_cell(ws, "Not assessed. " + not_assessed_message(card))])
    elif card.grade_capped:
        rows.add([text_cell(ws, f"Grade set by a gate \u2014 {card.gate_sentence}.")])
    else:
        rows.add()
    rows.add([text_cell(ws, "Grade bands: " + grade_bands_text(card))])
    if card.overall_before_decisions is not None:         # scores.csv's before-decisions score (cases.md §3)
        rows.add([text_cell(ws, "Score before decisions", font=LABEL),
                  num_cell(ws, card.overall_before_decisions, SCORE_FMT),
                  text_cell(ws, card.grade_before_decisions),
                  text_cell(ws, "counting findings under accepted exceptions and upheld disputes")])
    rows.add([text_cell(ws, "Cases", font=LABEL),
              text_cell(ws, counts_text(case_counts(card.cases)) + (" Every case is on the Cases sheet."
                                                                    if card.cases else ""))])
    rows.add()

    rows.add([text_cell(ws, "Score by family", font=HEADING)])
    first = rows.header(FAMILY_HEADERS)
    for fam in card.families:
        fam_assessed = fam.score is not None and (card.assessed or fam.family == "data_quality")
        rows.add([
            text_cell(ws, family_label(fam.family)),
            num_cell(ws, fam.weight, WEIGHT_FMT),
            num_cell(ws, fam.score, SCORE_FMT) if fam_assessed else text_cell(ws, "not assessed"),
            num_cell(ws, fam.rate, RATE_FMT) if fam_assessed else None,
            num_cell(ws, fam.affected, INT_FMT) if fam_assessed else None,
        ])
    add_table(ws, "Families", FAMILY_HEADERS, first, len(card.families))
    if not card.families:
        rows.add()
    rows.add()

    rows.add([text_cell(ws, "Overall score, last 30 days", font=HEADING)])
    header_row = rows.header(TREND_HEADERS)
    for point in card.trend:
        rows.add([text_cell(ws, point.audit_date),
                  num_cell(ws, point.overall, SCORE_FMT),
                  text_cell(ws, point.grade if point.overall is not None else NOT_ASSESSED)])
    add_table(ws, "Trend", TREND_HEADERS, header_row, len(card.trend))
    if card.trend:
        chart = LineChart()
        chart.title = "Overall score, last 30 days"
        chart.style = 2
        chart.height, chart.width = 7.5, 15
        chart.y_axis.title = "Score"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 100
        chart.y_axis.majorUnit = 20
        chart.x_axis.delete = False   # openpyxl 3.1 otherwise hides the axes
        chart.y_axis.delete = False
        chart.x_axis.tickLblSkip = 7
        chart.legend = None
        chart.display_blanks = "gap"
        last = header_row + len(card.trend)
        chart.add_data(Reference(ws, min_col=2, min_row=header_row, max_row=last),
                       titles_from_data=True)
        dates = Reference(ws, min_col=1, min_row=header_row + 1, max_row=last)
        for series in chart.series:   # the dates are text: a string reference, not numRef
            series.cat = AxDataSource(strRef=StrRef(f=str(dates)))
            series.smooth = False     # straight lines between days: a smoothed curve overshoots
        ws.add_chart(chart, f"E{header_row}")      # beside the trend table, inside the printed width


SUMMARY_WIDTHS = (26, 14, 18, 24, 26, 14, 16)
FAMILY_HEADERS = ("Family", "Weight", "Score", "Rate", "Affected")
TREND_HEADERS = ("Audit date", "Overall score", "Grade")
RULE_HEADERS = ("Rule ID", "Title", "Family", "Severity", "Threshold", "Calls evaluated",
                "Findings", "Rate")


def _rules_sheet(wb: Workbook, card: Scorecard) -> None:
    ws = wb.create_sheet("Rules")
    # on a day with texts a rule of texts is evaluated over messages (the HTML caption says so too)
    headers = tuple("Calls or messages evaluated" if h == "Calls evaluated" and card.texts_shown else h
                    for h in RULE_HEADERS)
    layout_sheet(ws, (28, 52, 16, 11, 42, 12, 11, 10), headers=headers, header_row=1, wrap=(1, 4))
    ws.freeze_panes = "A2"
    rows = Rows(ws)
    rows.header(headers)
    for rule in card.rules:
        rows.add([
            safe(ws, rule.rule_id), safe(ws, rule.title), safe(ws, family_label(rule.family)),
            safe(ws, rule.severity), safe(ws, rule.threshold), rule.evaluated, rule.findings,
            num_cell(ws, rule.rate, RATE_FMT),
        ])
    add_table(ws, "Rules", headers, 1, len(card.rules))


FINDING_HEADERS = ("Start time (bank time)", "Rule ID", "Family", "Severity", "Call ID",
                   "Agent ID", "Campaign ID", "Callee (masked)", "Callee key", "Detail", "Case ID", "Decision")
_FINDING_KINDS = (TIMESTAMP,) + (TEXT,) * 11
TEXT_HEADERS = ("Channel", "Text (masked excerpt)")          # on a day with texts (sms.md §3)


def _findings_sheet(wb: Workbook, card: Scorecard) -> None:
    """The evidence kept per rule (scoring.EVIDENCE_PER_RULE), each finding with its case: written
    as bulk rows (xlsx/bulk.py), so 2,000 findings of a rule cost milliseconds, not seconds."""
    ws = wb.create_sheet("Findings")
    texts = card.texts_shown                      # a day with texts: each finding's channel and excerpt
    headers = FINDING_HEADERS + (TEXT_HEADERS if texts else ())
    widths = (20, 28, 15, 10, 18, 9, 13, 16, 13, 90, 16, 10) + ((8, 42) if texts else ())
    layout_sheet(ws, widths, headers=headers, header_row=1, wrap=(9,))
    ws.freeze_panes = "A2"
    rows = Rows(ws)
    rows.header(headers)
    families = {rule.rule_id: family_label(rule.family) for rule in card.rules}
    for rule_id, info in RULES_BY_ID.items():
        families.setdefault(rule_id, family_label(info.family.value))
    add_bulk_rows(ws, rows.row + 1, _FINDING_KINDS + ((TEXT, TEXT) if texts else ()), (
        (f.start_time, f.rule_id, families.get(f.rule_id, ""), f.severity, f.call_id, f.agent_id, f.campaign_id,
         f.callee_masked, f.callee_key, f.detail, f.case_id, f.decision)
        + ((f.channel or "call", f.excerpt) if texts else ()) for f in card.findings))
    add_table(ws, "Findings", headers, 1, len(card.findings))


DQ_HEADERS = ("Reason", "Description", "Rows")
PROVENANCE_HEADERS = ("Input file", "Rows", "SHA-256")


def _data_quality_sheet(wb: Workbook, dq: DataQuality) -> None:
    ws = wb.create_sheet("Data quality")
    layout_sheet(ws, (26, 60, 12), headers=DQ_HEADERS, title_rows="1:1", wrap=(1,))
    rows = Rows(ws)
    rows.add([text_cell(ws, "Data quality", font=TITLE)])
    balanced = dq.rows_read == dq.rows_accepted + dq.rows_quarantined
    rows.add([text_cell(ws, "File status", font=LABEL),
              text_cell(ws, status_pill(dq.file_status).text)])
    rows.add([text_cell(ws, "Message", font=LABEL), text_cell(ws, without_server_paths(dq.file_message))])
    for label, value in (("Rows read", dq.rows_read), ("Rows accepted", dq.rows_accepted),
                         ("Rows quarantined", dq.rows_quarantined)):
        rows.add([text_cell(ws, label, font=LABEL), num_cell(ws, value, INT_FMT)])
    rows.add([text_cell(ws, "Rows balance", font=LABEL),
              text_cell(ws, "read = accepted + quarantined" if balanced
                        else "DOES NOT BALANCE: read \u2260 accepted + quarantined")])
    rows.add()
    first = rows.header(DQ_HEADERS)
    for code, count in dq.reasons:
        rows.add([safe(ws, code), DQ_DESCRIPTIONS.get(code, ""), count])
    add_table(ws, "DataQualityReasons", DQ_HEADERS, first, len(dq.reasons))


def provenance_sheet(wb: Workbook, prov: Provenance,
                     inputs: tuple[tuple[str, int | None, str], ...] | None = None) -> None:
    """The run's provenance and its inputs (path, rows, sha256): every input on the portfolio's
    workbook, an agency's own (view.agency_inputs) on its workbook."""
    ws = wb.create_sheet("Provenance")
    layout_sheet(ws, (60, 12, 68), headers=PROVENANCE_HEADERS, title_rows="1:1", wrap=(0,))
    rows = Rows(ws)
    rows.add([text_cell(ws, "Provenance", font=TITLE)])
    for label, value in (("Run ID", prov.run_id), ("Audit date", prov.audit_date),
                         ("Rulepack", prov.rulepack_name),
                         ("Rulepack SHA-256", prov.rulepack_sha256),
                         ("Code version", prov.code_version),
                         ("Generated at", prov.generated_at)):
        rows.add([text_cell(ws, label, font=LABEL), text_cell(ws, value)])
    rows.add()
    headers = PROVENANCE_HEADERS
    first = rows.header(headers)
    listed = inputs if inputs is not None else tuple((f.path, f.rows, f.sha256) for f in prov.inputs)
    for path, count, sha256 in listed:
        rows.add([text_cell(ws, path), num_cell(ws, count, INT_FMT), text_cell(ws, sha256)])
    add_table(ws, "Inputs", headers, first, len(listed))
