"""Scorecard/Portfolio -> XLSX workbooks (openpyxl, write-only so 100k findings stay cheap).

Safety: every text that comes from the inputs is written as a string cell (data_type "s",
never a formula); text starting with = + - @ tab or CR also gets Excel's quote prefix (the
stored form of a leading apostrophe), so editing the cell in Excel cannot turn it into a
formula either. Characters XML cannot hold are replaced.

Stability: the workbook's created/modified properties and every zip entry's timestamp come
from provenance.generated_at, so the same Scorecard gives the same bytes.
"""

from __future__ import annotations

import math
import os
import shutil
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from audits.models import RULES_BY_ID, DataQuality, Portfolio, Provenance, Scorecard

from .view import (
    DQ_DESCRIPTIONS,
    agency_file_stem,
    family_label,
    grade_bands_text,
    not_assessed_message,
    parse_timestamp,
    status_pill,
)

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL_TEXT = 32767

SCORE_FMT = "0.0"
RATE_FMT = "0.00%"
WEIGHT_FMT = "0.00"
INT_FMT = "#,##0"
CHANGE_FMT = '"\u25b2 "+0.0;"\u25bc "-0.0;"\u2192 "0.0'
DATETIME_FMT = "yyyy-mm-dd hh:mm:ss"

_INK = "1C2733"
_NAVY = "1F3A5F"
_TITLE = Font(bold=True, size=14, color=_INK)
_HEADING = Font(bold=True, size=12, color=_NAVY)
_LABEL = Font(bold=True, color="5B6B7B")
_BIG = Font(bold=True, size=16, color=_INK)
_BIG_WHITE = Font(bold=True, size=16, color="FFFFFF")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor=_NAVY)
_CARD_FILL = PatternFill("solid", fgColor="EEF1F4")
_CENTER = Alignment(horizontal="center", vertical="center")
_GRADE_FILLS = {g: PatternFill("solid", fgColor=c) for g, c in
                {"A": "1E7B4A", "B": "4F8A3C", "C": "B7791F", "D": "C2571A", "F": "B42318"}.items()}
_TABLE_STYLE = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
_EPOCH = datetime(1980, 1, 1)


# --- cells --------------------------------------------------------------------------------


def clean_text(value: str) -> str:
    """Text Excel can store: no XML-illegal characters, at most 32,767 characters."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)[:MAX_CELL_TEXT]


def text_cell(ws, value: str, *, font: Font | None = None, fill: PatternFill | None = None,
              alignment: Alignment | None = None) -> WriteOnlyCell:
    """A string cell that can never be read as a formula."""
    text = clean_text(value)
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"
    if text.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if alignment is not None:
        cell.alignment = alignment
    return cell


def safe(ws, value: str):
    """Input text for bulk rows: a plain value when harmless, else a protected cell.

    openpyxl reads a plain string starting with "=" as a formula and "#N/A" and friends as
    error values; those become explicit string cells.
    """
    text = clean_text(value)
    if text.startswith(FORMULA_PREFIXES) or text in ERROR_CODES:
        return text_cell(ws, text)
    return text


def num_cell(ws, value: float | int | None, number_format: str, *,
             font: Font | None = None, fill: PatternFill | None = None,
             alignment: Alignment | None = None):
    """A number with its format; None (an empty cell) for a missing or non-finite value."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = number_format
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if alignment is not None:
        cell.alignment = alignment
    return cell


def _header(ws, names: Sequence[str]) -> list[WriteOnlyCell]:
    return [text_cell(ws, name, font=_HEADER_FONT, fill=_HEADER_FILL) for name in names]


def _layout(ws, widths: Sequence[float], *, landscape: bool = False) -> None:
    """Column widths and print setup (fit to one page wide); before the first row."""
    for idx, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(idx)].width = width
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    if landscape:
        ws.page_setup.orientation = "landscape"


def _add_table(ws, name: str, headers: Sequence[str], first_row: int, n_rows: int) -> None:
    """An Excel table over headers + n_rows (at least one, possibly blank, data row)."""
    last_row = first_row + max(n_rows, 1)
    ref = f"A{first_row}:{get_column_letter(len(headers))}{last_row}"
    table = Table(displayName=name, ref=ref, tableStyleInfo=_TABLE_STYLE,
                  autoFilter=AutoFilter(ref=ref))
    table.tableColumns = [TableColumn(id=i, name=h) for i, h in enumerate(headers, 1)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "add table columns manually": done above
        ws.add_table(table)


class _Rows:
    """Appends rows to a write-only sheet and remembers the row number."""

    def __init__(self, ws):
        self.ws = ws
        self.row = 0

    def add(self, values: Iterable = ()) -> int:
        self.ws.append(list(values))
        self.row += 1
        return self.row


# --- workbook plumbing ----------------------------------------------------------------------


def _generated_at(prov: Provenance) -> datetime:
    """provenance.generated_at as naive UTC (falls back to the audit date, then 1980-01-01)."""
    for text in (prov.generated_at, prov.audit_date):
        raw = text.strip()
        if raw.endswith(("Z", "z")):
            raw = raw[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            continue
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        if moment >= _EPOCH:
            return moment.replace(microsecond=0)
    return _EPOCH


def _new_workbook(title: str, prov: Provenance) -> Workbook:
    wb = Workbook(write_only=True)
    moment = _generated_at(prov)
    props = wb.properties
    props.creator = "audits"
    props.lastModifiedBy = "audits"
    props.title = clean_text(title)
    props.created = moment
    props.modified = moment
    return wb


class _StableZip(zipfile.ZipFile):
    """A zip whose entries all carry one fixed timestamp and mode."""

    def __init__(self, file, date_time: tuple[int, int, int, int, int, int]):
        super().__init__(file, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self._date_time = date_time

    def _info(self, arcname: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(arcname, date_time=self._date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = self._info(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        info = self._info(arcname or os.path.basename(filename))
        with open(filename, "rb") as src, self.open(info, "w", force_zip64=True) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)


def _save(wb: Workbook, path: Path, prov: Provenance) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    stamp = _generated_at(prov).timetuple()[:6]
    with open(tmp, "wb") as fh:
        ExcelWriter(wb, _StableZip(fh, stamp)).save()  # not wb.save(): it stamps "now"
    os.replace(tmp, path)


# --- per-agency workbook ------------------------------------------------------------------


def write_scorecard_workbook(card: Scorecard, path: Path) -> Path:
    """Summary, Rules, Findings, Data quality and Provenance sheets for one agency."""
    wb = _new_workbook(f"Compliance scorecard {card.agency_id} {card.audit_date}",
                       card.provenance)
    _summary_sheet(wb, card)
    _rules_sheet(wb, card)
    _findings_sheet(wb, card)
    _data_quality_sheet(wb, card.data_quality)
    _provenance_sheet(wb, card.provenance)
    _save(wb, path, card.provenance)
    return Path(path)


def _summary_sheet(wb: Workbook, card: Scorecard) -> None:
    ws = wb.create_sheet("Summary")
    _layout(ws, (26, 14, 18, 24, 26, 14, 16), landscape=True)
    rows = _Rows(ws)
    rows.add([text_cell(ws, "Compliance scorecard", font=_TITLE)])
    rows.add([text_cell(ws, "Agency", font=_LABEL), text_cell(ws, card.agency_name),
              None, text_cell(ws, "Agency ID", font=_LABEL), text_cell(ws, card.agency_id)])
    rows.add([text_cell(ws, "Audit date", font=_LABEL), text_cell(ws, card.audit_date),
              None, text_cell(ws, "Calls audited", font=_LABEL),
              num_cell(ws, card.calls_audited, INT_FMT)])
    rows.add()

    assessed = card.assessed and card.overall is not None
    labels = ("Overall score", "Grade", "Critical findings", "Change vs previous day",
              "Change vs previous 7 days", "Findings")
    rows.add([text_cell(ws, label, font=_LABEL, fill=_CARD_FILL, alignment=_CENTER)
              for label in labels])
    grade = card.grade if assessed else "n/a"
    grade_fill = _GRADE_FILLS.get(grade)
    big = {"font": _BIG, "alignment": _CENTER}
    ws.row_dimensions[rows.row + 1].height = 30
    rows.add([
        num_cell(ws, card.overall, SCORE_FMT, **big) if assessed
        else text_cell(ws, "not assessed", **big),
        text_cell(ws, grade, font=_BIG_WHITE if grade_fill else _BIG, fill=grade_fill,
                  alignment=_CENTER),
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
        rows.add([text_cell(ws, "Grade capped at C by a critical finding.")])
    else:
        rows.add()
    rows.add([text_cell(ws, "Grade bands: " + grade_bands_text(card))])
    rows.add()

    rows.add([text_cell(ws, "Score by family", font=_HEADING)])
    rows.add(_header(ws, ("Family", "Weight", "Score", "Rate", "Affected")))
    for fam in card.families:
        fam_assessed = fam.score is not None and (card.assessed or fam.family == "data_quality")
        rows.add([
            text_cell(ws, family_label(fam.family)),
            num_cell(ws, fam.weight, WEIGHT_FMT),
            num_cell(ws, fam.score, SCORE_FMT) if fam_assessed else text_cell(ws, "not assessed"),
            num_cell(ws, fam.rate, RATE_FMT) if fam_assessed else None,
            num_cell(ws, fam.affected, INT_FMT) if fam_assessed else None,
        ])
    rows.add()

    rows.add([text_cell(ws, "Overall score, last 30 days", font=_HEADING)])
    header_row = rows.add(_header(ws, ("Audit date", "Overall score", "Grade")))
    for point in card.trend:
        rows.add([text_cell(ws, point.audit_date),
                  num_cell(ws, point.overall, SCORE_FMT),
                  text_cell(ws, point.grade)])
    if card.trend:
        chart = LineChart()
        chart.title = "Overall score, last 30 days"
        chart.style = 2
        chart.height, chart.width = 7.5, 16
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
        ws.add_chart(chart, "I4")


RULE_HEADERS = ("Rule ID", "Title", "Family", "Severity", "Threshold", "Calls evaluated",
                "Findings", "Rate")


def _rules_sheet(wb: Workbook, card: Scorecard) -> None:
    ws = wb.create_sheet("Rules")
    _layout(ws, (30, 52, 16, 11, 42, 16, 11, 10), landscape=True)
    ws.freeze_panes = "A2"
    rows = _Rows(ws)
    rows.add(_header(ws, RULE_HEADERS))
    for rule in card.rules:
        rows.add([
            safe(ws, rule.rule_id), safe(ws, rule.title), safe(ws, family_label(rule.family)),
            safe(ws, rule.severity), safe(ws, rule.threshold), rule.evaluated, rule.findings,
            num_cell(ws, rule.rate, RATE_FMT),
        ])
    _add_table(ws, "Rules", RULE_HEADERS, 1, len(card.rules))


FINDING_HEADERS = ("Start time (bank time)", "Rule ID", "Family", "Severity", "Call ID",
                   "Agent ID", "Campaign ID", "Callee (masked)", "Callee key", "Detail")


def _findings_sheet(wb: Workbook, card: Scorecard) -> None:
    ws = wb.create_sheet("Findings")
    _layout(ws, (21, 28, 16, 10, 20, 14, 16, 18, 24, 90), landscape=True)
    ws.freeze_panes = "A2"
    rows = _Rows(ws)
    rows.add(_header(ws, FINDING_HEADERS))
    families = {rule.rule_id: family_label(rule.family) for rule in card.rules}
    for rule_id, info in RULES_BY_ID.items():
        families.setdefault(rule_id, family_label(info.family.value))
    for f in card.findings:
        moment = parse_timestamp(f.start_time)
        start = (num_cell(ws, moment, DATETIME_FMT) if moment is not None
                 else safe(ws, f.start_time))
        ws.append([
            start, safe(ws, f.rule_id), safe(ws, families.get(f.rule_id, "")),
            safe(ws, f.severity),
            safe(ws, f.call_id), safe(ws, f.agent_id), safe(ws, f.campaign_id),
            safe(ws, f.callee_masked), safe(ws, f.callee_key), safe(ws, f.detail),
        ])
    _add_table(ws, "Findings", FINDING_HEADERS, 1, len(card.findings))


def _data_quality_sheet(wb: Workbook, dq: DataQuality) -> None:
    ws = wb.create_sheet("Data quality")
    _layout(ws, (26, 52, 12))
    rows = _Rows(ws)
    rows.add([text_cell(ws, "Data quality", font=_TITLE)])
    balanced = dq.rows_read == dq.rows_accepted + dq.rows_quarantined
    rows.add([text_cell(ws, "File status", font=_LABEL),
              text_cell(ws, status_pill(dq.file_status).text)])
    rows.add([text_cell(ws, "Message", font=_LABEL), text_cell(ws, dq.file_message)])
    for label, value in (("Rows read", dq.rows_read), ("Rows accepted", dq.rows_accepted),
                         ("Rows quarantined", dq.rows_quarantined)):
        rows.add([text_cell(ws, label, font=_LABEL), num_cell(ws, value, INT_FMT)])
    rows.add([text_cell(ws, "Rows balance", font=_LABEL),
              text_cell(ws, "read = accepted + quarantined" if balanced
                        else "DOES NOT BALANCE: read \u2260 accepted + quarantined")])
    rows.add()
    headers = ("Reason", "Description", "Rows")
    first = rows.add(_header(ws, headers))
    for code, count in dq.reasons:
        rows.add([safe(ws, code), DQ_DESCRIPTIONS.get(code, ""), count])
    _add_table(ws, "DataQualityReasons", headers, first, len(dq.reasons))


def _provenance_sheet(wb: Workbook, prov: Provenance) -> None:
    ws = wb.create_sheet("Provenance")
    _layout(ws, (60, 12, 68), landscape=True)
    rows = _Rows(ws)
    rows.add([text_cell(ws, "Provenance", font=_TITLE)])
    for label, value in (("Run ID", prov.run_id), ("Audit date", prov.audit_date),
                         ("Rulepack", prov.rulepack_name),
                         ("Rulepack SHA-256", prov.rulepack_sha256),
                         ("Code version", prov.code_version),
                         ("Generated at", prov.generated_at)):
        rows.add([text_cell(ws, label, font=_LABEL), text_cell(ws, value)])
    rows.add()
    headers = ("Input file", "Rows", "SHA-256")
    first = rows.add(_header(ws, headers))
    for item in prov.inputs:
        rows.add([text_cell(ws, item.path), num_cell(ws, item.rows, INT_FMT),
                  text_cell(ws, item.sha256)])
    _add_table(ws, "Inputs", headers, first, len(prov.inputs))


# --- portfolio workbook ---------------------------------------------------------------------

RANKING_HEADERS = ("Rank", "Agency ID", "Agency name", "Grade", "Overall score",
                   "Change vs previous day", "Change vs previous 7 days", "Critical findings",
                   "Findings", "Calls audited", "Data quality", "Rows quarantined", "Workbook")


def write_summary_workbook(portfolio: Portfolio, path: Path) -> Path:
    """Ranking (like index.html) and Provenance sheets for the whole portfolio."""
    wb = _new_workbook(f"Vendor compliance audit {portfolio.audit_date}", portfolio.provenance)
    ws = wb.create_sheet("Ranking")
    _layout(ws, (7, 16, 34, 8, 14, 22, 24, 17, 11, 14, 16, 17, 26), landscape=True)
    ws.freeze_panes = "A4"
    rows = _Rows(ws)
    cards = portfolio.scorecards
    rows.add([text_cell(ws, f"Vendor compliance audit \u2014 {portfolio.audit_date}", font=_TITLE)])
    n_assessed = sum(1 for c in cards if c.assessed and c.overall is not None)
    rows.add([text_cell(ws, f"{len(cards)} agencies, {len(cards) - n_assessed} not assessed; "
                            "ranked worst first.")])
    first = rows.add(_header(ws, RANKING_HEADERS))
    for rank, card in enumerate(cards, 1):
        assessed = card.assessed and card.overall is not None
        target = f"agencies/{agency_file_stem(card.agency_id)}.xlsx"
        link = text_cell(ws, target, font=Font(color="1F4E79", underline="single"))
        link.hyperlink = target
        rows.add([
            rank, safe(ws, card.agency_id), safe(ws, card.agency_name),
            safe(ws, card.grade if assessed else "n/a"),
            num_cell(ws, card.overall, SCORE_FMT) if assessed else "not assessed",
            num_cell(ws, card.change_prev_day, CHANGE_FMT) if assessed else None,
            num_cell(ws, card.change_prev_7d, CHANGE_FMT) if assessed else None,
            card.critical_findings, card.total_findings,
            num_cell(ws, card.calls_audited, INT_FMT),
            safe(ws, status_pill(card.data_quality.file_status).text),
            card.data_quality.rows_quarantined, link,
        ])
    _add_table(ws, "Ranking", RANKING_HEADERS, first, len(cards))
    if not cards:
        rows.add()
    rows.add()
    bold = Font(bold=True)
    rows.add([text_cell(ws, "Totals", font=bold), None, text_cell(ws, f"{len(cards)} agencies"),
              None, None, None, None,
              num_cell(ws, sum(c.critical_findings for c in cards), INT_FMT, font=bold),
              num_cell(ws, sum(c.total_findings for c in cards), INT_FMT, font=bold),
              num_cell(ws, sum(c.calls_audited for c in cards), INT_FMT, font=bold),
              None,
              num_cell(ws, sum(c.data_quality.rows_quarantined for c in cards), INT_FMT,
                       font=bold)])
    _provenance_sheet(wb, portfolio.provenance)
    _save(wb, path, portfolio.provenance)
    return Path(path)
