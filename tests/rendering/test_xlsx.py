import dataclasses
import re
import zipfile
from datetime import datetime

import openpyxl

from audits.rendering import write_scorecard_workbook, write_summary_workbook
from audits.rendering.xlsx.scorecard import FINDING_HEADERS

INVALID_TITLE = re.compile(r"[\[\]:*?/\\]")


def _sheet_xml(path, title):
    """The worksheet XML of the sheet with this title."""
    with zipfile.ZipFile(path) as zf:
        workbook = zf.read("xl/workbook.xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
        rel_id = re.search(rf'<sheet [^>]*name="{re.escape(title)}"[^>]*r:id="(\w+)"', workbook)
        target = re.search(rf'<Relationship [^>]*Id="{rel_id.group(1)}"[^>]*Target="([^"]+)"'
                           rf'|<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rel_id.group(1)}"',
                           rels)
        name = (target.group(1) or target.group(2)).lstrip("/")
        return zf.read(name if name.startswith("xl/") else "xl/" + name).decode()


def _row_starting(values, cells):
    """Index of the first row whose leading cells are `cells`."""
    return next(i for i, row in enumerate(values) if row[:len(cells)] == cells)


def test_scorecard_workbook_has_the_sheets_tables_and_panes(tmp_path, assessed_card):
    path = write_scorecard_workbook(assessed_card, tmp_path / "AG001.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Summary", "Cases", "Rules", "Findings", "Data quality", "Early warnings", "Provenance"]
    for ws in wb.worksheets:
        assert len(ws.title) <= 31 and not INVALID_TITLE.search(ws.title)

    findings = wb["Findings"]
    assert findings.freeze_panes == "A2"
    assert list(findings.tables) == ["Findings"]
    assert findings.tables["Findings"].ref == "A1:L61"
    assert findings.tables["Findings"].autoFilter is not None
    assert [c.value for c in findings[1]] == list(FINDING_HEADERS)
    assert findings.max_row == 61
    assert findings.column_dimensions["J"].width >= 30                   # Detail: wrapped to print legibly

    rules = wb["Rules"]
    assert rules.freeze_panes == "A2" and rules.tables["Rules"].ref == "A1:H6"
    assert [c.value for c in rules[4]] == [
        "FREQ_DAILY_CAP", "Attempts per number per day over the cap", "Frequency", "major",
        "marketing 3, servicing 5, collection 6", 1180, 30, 0.0254]

    names = [name for ws in wb.worksheets for name in ws.tables]
    assert len(names) == len(set(names)) == 8      # Families, Trend, Cases, Rules, Findings, DataQualityReasons,
    #                                               EarlyWarnings, Inputs


def test_table_headers_match_their_column_names(tmp_path, assessed_card, portfolio):
    paths = [write_scorecard_workbook(assessed_card, tmp_path / "a.xlsx"),
             write_summary_workbook(portfolio, tmp_path / "s.xlsx")]
    for path in paths:
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for table in ws.tables.values():
                header = ws[table.ref][0]
                assert [c.data_type for c in header] == ["s"] * len(header)
                assert [c.value for c in header] == [col.name for col in table.tableColumns]


def test_summary_sheet_cards_families_and_trend_chart(tmp_path, assessed_card):
    path = write_scorecard_workbook(assessed_card, tmp_path / "AG001.xlsx")
    ws = openpyxl.load_workbook(path)["Summary"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    labels = _row_starting(values, ["Overall score", "Grade", "Critical findings",
                                    "Change vs previous day", "Change vs previous 7 days",
                                    "Findings"])
    assert values[labels + 1][:6] == [86.6, "C", 12, -1.7, 2.35, 60]
    assert values[labels + 2][0] == "Grade set by a gate — C: at least one critical finding."
    families = _row_starting(values, ["Family", "Weight", "Score", "Rate", "Affected"])
    assert values[families + 1][:5] == ["Confidentiality", 0.35, 80.6, 0.0097, 12]
    assert values[families + 4][:5] == ["Data quality", 0.10, 96.0, 0.008, 10]
    trend = _row_starting(values, ["Audit date", "Overall score", "Grade"])
    assert values[trend + 1][:3] == ["2026-02-13", 78.0, "C"]
    assert values[trend + 10][:3] == ["2026-02-22", None, "not assessed"]
    assert len(ws._charts) == 1
    with zipfile.ZipFile(path) as zf:
        chart = zf.read("xl/charts/chart1.xml").decode()
    assert "lineChart" in chart and "<cat><strRef><f>'Summary'!$A$20:$A$49</f>" in chart


def test_not_assessed_workbook_has_no_score(tmp_path, missing_card):
    path = write_scorecard_workbook(missing_card, tmp_path / "AG003.xlsx")
    wb = openpyxl.load_workbook(path)
    values = [[c.value for c in row] for row in wb["Summary"].iter_rows()]
    flat = [v for row in values for v in row if v is not None]
    assert "not assessed" in flat and "n/a" not in flat
    families = _row_starting(values, ["Family", "Weight", "Score", "Rate", "Affected"])
    assert [row[2] for row in values[families + 1:families + 5]] == [
        "not assessed", "not assessed", "not assessed", 0.0]
    assert any(isinstance(v, str) and missing_card.data_quality.file_message in v for v in flat)
    findings = wb["Findings"]
    assert findings.tables["Findings"].ref == "A1:L2"   # an empty table keeps one blank row
    dq = {row[0]: row[1] for row in wb["Data quality"].iter_rows(values_only=True) if row[0]}
    assert dq["File status"] == "File missing" and dq["Rows read"] == 0


def test_start_time_is_a_real_datetime(tmp_path, assessed_card):
    path = write_scorecard_workbook(assessed_card, tmp_path / "AG001.xlsx")
    cell = openpyxl.load_workbook(path)["Findings"]["A2"]
    assert cell.value == datetime(2026, 3, 14, 8, 0, 5)
    assert cell.is_date and cell.number_format == "yyyy-mm-dd hh:mm:ss"


def test_utc_start_time_keeps_the_wall_clock_of_its_offset(tmp_path, assessed_card):
    finding = dataclasses.replace(assessed_card.findings[0], start_time="2026-03-14T01:02:03Z")
    odd = dataclasses.replace(assessed_card.findings[1], start_time="not a time")
    card = dataclasses.replace(assessed_card, findings=(finding, odd))
    ws = openpyxl.load_workbook(write_scorecard_workbook(card, tmp_path / "x.xlsx"))["Findings"]
    assert ws["A2"].value == datetime(2026, 3, 14, 1, 2, 3)
    assert ws["A3"].value == "not a time" and ws["A3"].data_type == "s"


def test_formula_like_text_is_stored_as_text(tmp_path, hostile_card, portfolio):
    path = write_scorecard_workbook(hostile_card, tmp_path / "AG002.xlsx")
    ws = openpyxl.load_workbook(path)["Findings"]
    details = {ws.cell(row, 10).value: ws.cell(row, 10) for row in range(2, ws.max_row + 1)}
    for text in ('=HYPERLINK("http://evil.example/x","click me")', "+1 attempt over the daily cap",
                 "-2 days after the refusal", "@SUM(A1:A9)", "\t=1+1"):
        cell = details[text]
        assert cell.data_type == "s" and cell.value == text
        assert cell.quotePrefix is True
    agent = ws["F2"]
    assert agent.value == "=cmd|' /C calc'!A0" and agent.data_type == "s" and agent.quotePrefix
    summary = write_summary_workbook(portfolio, tmp_path / "summary.xlsx")
    for book in (path, summary):
        with zipfile.ZipFile(book) as zf:
            for name in zf.namelist():
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    xml = zf.read(name).decode()
                    assert not re.search(r"<f[ >]", xml), name
    assert "HYPERLINK" in _sheet_xml(path, "Findings")


def test_illegal_xml_characters_are_replaced(tmp_path, hostile_card):
    bad = dataclasses.replace(hostile_card.findings[0], detail="bell\x07 and nul\x00")
    card = dataclasses.replace(hostile_card, findings=(bad,), agency_name="Acme\x0b Ltd")
    ws = openpyxl.load_workbook(write_scorecard_workbook(card, tmp_path / "x.xlsx"))["Findings"]
    assert ws["J2"].value == "bell\ufffd and nul\ufffd"


def test_summary_workbook_ranks_like_the_index(tmp_path, portfolio):
    path = write_summary_workbook(portfolio, tmp_path / "summary.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Ranking", "Cases", "Early warnings", "Provenance"]    # no rates: no Complaints sheet
    ws = wb["Ranking"]
    assert ws.freeze_panes == "A4"
    table = ws.tables["Ranking"]
    assert table.ref == "A3:M6"
    rows = list(ws.iter_rows(min_row=4, max_row=6, values_only=True))
    assert [r[:5] for r in rows] == [
        (1, "AG003", "Northwind Collections", "not assessed", "not assessed"),
        (2, "AG001", portfolio.scorecards[1].agency_name, "C", 86.6),
        (3, "AG002", portfolio.scorecards[2].agency_name, "A", 95.5),
    ]
    assert rows[0][10] == "File missing"
    assert ws["M5"].hyperlink.target == "agencies/AG001.xlsx"
    assert ws["C6"].data_type == "s"
    totals = next(r for r in ws.iter_rows(min_row=7, values_only=True) if r[0] == "Totals")
    assert totals[7:10] == (12, 67, 1640)
    prov = {r[0]: r[1] for r in wb["Provenance"].iter_rows(values_only=True) if r[0]}
    assert prov["Run ID"] == portfolio.provenance.run_id
    assert prov["Rulepack SHA-256"] == portfolio.provenance.rulepack_sha256
    assert wb["Provenance"].tables["Inputs"].ref == "A9:C12"


def test_workbooks_are_byte_stable_and_dated_from_provenance(tmp_path, assessed_card, portfolio):
    a = write_scorecard_workbook(assessed_card, tmp_path / "a.xlsx").read_bytes()
    b = write_scorecard_workbook(assessed_card, tmp_path / "b.xlsx").read_bytes()
    assert a == b
    s1 = write_summary_workbook(portfolio, tmp_path / "s1.xlsx").read_bytes()
    s2 = write_summary_workbook(portfolio, tmp_path / "s2.xlsx").read_bytes()
    assert s1 == s2
    props = openpyxl.load_workbook(tmp_path / "a.xlsx").properties
    assert props.created == props.modified == datetime(2026, 3, 14, 17, 30, 0)
    with zipfile.ZipFile(tmp_path / "a.xlsx") as zf:
        assert {info.date_time for info in zf.infolist()} == {(2026, 3, 14, 17, 30, 0)}


def test_many_findings_stream_into_the_findings_table(tmp_path, assessed_card):
    template = assessed_card.findings[0]
    many = tuple(dataclasses.replace(template, call_id=f"M{i:06d}") for i in range(20_000))
    card = dataclasses.replace(assessed_card, findings=many, total_findings=len(many))
    path = write_scorecard_workbook(card, tmp_path / "many.xlsx")
    ws = openpyxl.load_workbook(path, read_only=True)["Findings"]
    assert sum(1 for _ in ws.iter_rows(values_only=True)) == 20_001
    with zipfile.ZipFile(path) as zf:
        tables = [zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/tables/")]
    table = next(t for t in tables if 'displayName="Findings"' in t)
    assert 'ref="A1:L20001"' in table


def test_error_code_text_stays_text(tmp_path, hostile_card):
    odd = dataclasses.replace(hostile_card.findings[0], detail="#N/A")
    card = dataclasses.replace(hostile_card, findings=(odd,))
    ws = openpyxl.load_workbook(write_scorecard_workbook(card, tmp_path / "x.xlsx"))["Findings"]
    assert ws["J2"].value == "#N/A" and ws["J2"].data_type == "s"
