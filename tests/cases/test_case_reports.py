"""Cases through run_audit into the reports: the scorecard opens with one line per case and its
evidence grouped under it, the portfolio counts them, and no full phone number is written."""

from __future__ import annotations

import re
import zipfile

import openpyxl

from audits.pipeline import run_audit
from audits.rendering.xlsx.cases import CASE_HEADERS
from tests.landing import CALLER, CUSTOMER, DAY, OTHER, call, config_for, make_landing

UNREGISTERED = "13800001111"


def _landing(tmp_path):
    """AG02 has no contract: 12 calls, one agency case; AG01 calls CUSTOMER without consent on file."""
    calls = [call(f"b{k:02d}", f"2026-11-27 1{k % 10}:0{k // 10}:00", agency_id="AG02", agent_id="E7",
                  caller_number=UNREGISTERED, callee_number=OTHER, campaign_id="COL") for k in range(12)]
    return make_landing(tmp_path / "landing", {DAY: {"AG01": [call("a1", "2026-11-27 10:00:00",
                                                                   notes=f"customer said call {CUSTOMER}")],
                                                     "AG02": calls}})


def _texts(report) -> dict[str, str]:
    """Every output as text; workbooks as the XML of their parts."""
    texts = {}
    for path in report.rglob("*"):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                texts[str(path)] = "".join(book.read(name).decode("utf-8") for name in book.namelist())
        elif path.is_file():
            texts[str(path)] = path.read_text(encoding="utf-8", errors="replace")
    return texts


def test_scorecard_and_workbook_open_with_the_cases_and_group_the_evidence(tmp_path):
    _landing(tmp_path)
    report = run_audit(config_for(tmp_path)).report_dir
    html = (report / "agencies" / "AG02.html").read_text(encoding="utf-8")
    cases = html[html.index('id="cases-heading"'):html.index('<table id="families">')]
    assert cases.count('class="case-row"') >= 4                  # no contract, caller, customer, agent, ...
    summary = "No contract in force since 2026-11-27 (1 day); 12 calls on 2026-11-27"
    assert cases.count(summary) == 1                               # 12 calls, one line
    evidence = html[html.index('id="evidence-by-case"'):]
    assert evidence.count("b0") >= 5 and "and 7 more calls" in evidence
    book = openpyxl.load_workbook(report / "agencies" / "AG02.xlsx")
    assert book.sheetnames[:2] == ["Summary", "Cases"]
    rule_column = CASE_HEADERS.index("Rule ID")
    listed = [row[rule_column] for row in book["Cases"].iter_rows(min_row=2, values_only=True)]
    assert listed.count("QUAL_NO_CONTRACT") == 1 and len(listed) >= 4
    index = (report / "index.html").read_text(encoding="utf-8")
    assert 'href="agencies/AG02.html#case-C-' in index            # a new critical case, linked to its line


def test_no_full_phone_number_in_any_output(tmp_path):
    _landing(tmp_path)
    report = run_audit(config_for(tmp_path)).report_dir
    numbers = [CUSTOMER, OTHER, UNREGISTERED, CALLER.lstrip("0")]
    texts = _texts(report)
    cases_sheet = openpyxl.load_workbook(report / "agencies" / "AG02.xlsx")["Cases"]
    subject_column = CASE_HEADERS.index("Subject")
    assert "+86 138****1111" in [row[subject_column] for row in cases_sheet.iter_rows(values_only=True)]   # the caller case, masked
    for name, text in texts.items():
        digits = re.sub(r"[\s\-.()+]", "", text)
        for number in numbers:
            assert number not in digits, f"{number} in {name}"
