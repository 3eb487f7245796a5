"""An agency not assessed is written the same way in every output (rules.md, Scoring): blank
overall and grade with assessed false in scores.csv, the words "not assessed" in the HTML
pages, workbooks, e-mail, review and share pack, never 0.0 or F; its trend leaves a gap.

One literal landing zone, two days: AG01 delivers both days, AG02 only the first, AG03 never
(its contract is in force, so its file is missing each day)."""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import openpyxl
import pytest

from audits.cli import main as cli
from audits.csv_cells import read_csv
from audits.notify import compose_summary
from tests.landing import DAY, REFERENCE, call, make_landing

WORDS = "not assessed"
NEXT = DAY + dt.timedelta(days=1)
ZERO = re.compile(r"(?<![\d.])0\.0(?![\d])")          # 0.0 as a number, not inside 100.00


def _others(table: str, **fields) -> list[dict]:
    return [dict(row, **{k: v(a) for k, v in fields.items()}) for a in ("AG02", "AG03")
            for row in REFERENCE[table][:1]]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    root = tmp_path_factory.mktemp("not-assessed")
    reference = {
        "contracts": REFERENCE["contracts"] + _others("contracts", agency_id=lambda a: a,
                                                      agency_name=lambda a: f"Agency {a}", contract_id=lambda a: f"C{a}"),
        "agents": REFERENCE["agents"] + [dict(REFERENCE["agents"][0], agency_id="AG02", agent_id="B1")],
        "caller_numbers": REFERENCE["caller_numbers"] + [dict(REFERENCE["caller_numbers"][0], agency_id="AG02")],
        "assignments": REFERENCE["assignments"] + [dict(r, agency_id="AG02") for r in REFERENCE["assignments"]],
    }

    def calls(day, agency, agent):
        return [call(f"{agency}-{day:%d}-{k}", f"{day} 1{k}:00:00", agency_id=agency, agent_id=agent) for k in range(3)]

    make_landing(root / "landing", {DAY: {"AG01": calls(DAY, "AG01", "A1"), "AG02": calls(DAY, "AG02", "B1")},
                                    NEXT: {"AG01": calls(NEXT, "AG01", "A1")}}, **reference)
    out, store = root / "out", root / "store"
    for day in (DAY, NEXT):
        assert cli(["run", "--date", day.isoformat(), "--landing", str(root / "landing"), "--out", str(out),
                    "--store", str(store), "--run-id", f"r{day:%d}"]) == 0
    assert cli(["review", "--month", "2026-11", "--out", str(out), "--store", str(store),
                "--allow-missing-days"]) == 0
    return out


def _html_row(page: str, agency: str) -> str:
    rows = [r for r in re.findall(r"<tr[^>]*>.*?</tr>", page, re.S) if f"agencies/{agency}." in r]
    assert rows, f"no ranking row of {agency}"
    return re.sub(r"\s+", " ", rows[0])


def _tile(page: str) -> str:
    """The headline tile with the overall score and grade of a scorecard page."""
    found = re.search(r'id="overall">(.*?)</div>\s*</div>', page, re.S)
    assert found
    return found.group(1)


def _assert_words(text: str, where: str) -> None:
    assert WORDS in text, f"{where}: no '{WORDS}' in {text[:300]!r}"
    assert not ZERO.search(text), f"{where}: 0.0 in {text[:300]!r}"
    assert not re.search(r">\s*F\s*<|Grade F", text), f"{where}: grade F in {text[:300]!r}"


def _sheet_rows(path, sheet: str) -> list[list]:
    ws = openpyxl.load_workbook(path, read_only=True)[sheet]
    return [[v for v in row if v is not None] for row in ws.iter_rows(values_only=True)]


def _assert_cells(cells: list, where: str) -> None:
    assert WORDS in cells, f"{where}: {cells}"
    assert "F" not in cells and not any(isinstance(v, float) and v == 0.0 for v in cells), f"{where}: {cells}"


def test_daily_scores_csv_leaves_overall_and_grade_blank(reports):
    scores = read_csv(reports / NEXT.isoformat() / "scores.csv", dtype="str", keep_default_na=False)
    row = scores.set_index("agency_id").loc["AG03"]
    assert row["assessed"].lower() == "false"
    assert (row["overall"], row["grade"], row["grade_gate"], row["overall_before_decisions"],
            row["grade_before_decisions"]) == ("", "", "", "", "")
    assert row["score_data_quality"] == "0.0"                # data quality alone is scored: 0


def test_daily_pages_workbooks_and_e_mail_say_not_assessed(reports):
    day = reports / NEXT.isoformat()
    index = (day / "index.html").read_text(encoding="utf-8")
    _assert_words(_html_row(index, "AG03"), "index.html")
    _assert_words(_tile((day / "agencies" / "AG03.html").read_text(encoding="utf-8")), "AG03.html")
    ranking = [r for r in _sheet_rows(day / "summary.xlsx", "Ranking") if "AG03" in r]
    _assert_cells(ranking[0], "summary.xlsx")
    summary = _sheet_rows(day / "agencies" / "AG03.xlsx", "Summary")
    headline = summary[next(k for k, r in enumerate(summary) if "Overall score" in r) + 1]
    _assert_cells(headline, "AG03.xlsx")
    mail = compose_summary(day).html
    _assert_words(next(line for line in mail.splitlines() if "(AG03)" in line), "e-mail")


def test_the_trend_leaves_a_gap_for_the_day_not_assessed(reports):
    page = (reports / NEXT.isoformat() / "agencies" / "AG02.html").read_text(encoding="utf-8")
    assert f"{NEXT.isoformat()}: {WORDS}" in page
    assert not re.search(rf"{NEXT.isoformat()}: 0\.0", page)
    trend = [r for r in _sheet_rows(reports / NEXT.isoformat() / "agencies" / "AG02.xlsx", "Summary")
             if r and r[0] == NEXT.isoformat()]
    assert trend == [[NEXT.isoformat(), WORDS]]              # no score cell: the chart breaks there


def test_the_review_and_the_share_pack_say_not_assessed(reports):
    review = reports / "reviews" / "2026-11"
    scores = read_csv(review / "scores.csv", dtype="str", keep_default_na=False).set_index("agency_id")
    assert (scores.loc["AG03", "overall"], scores.loc["AG03", "grade"], scores.loc["AG03", "days_audited"]) == \
        ("", "", "0")
    index = (review / "index.html").read_text(encoding="utf-8")
    _assert_words(_html_row(index, "AG03"), "review index.html")
    assert index.index("agencies/AG03.") < index.index("agencies/AG01.")        # not assessed ranks first
    _assert_words(_tile((review / "agencies" / "AG03.html").read_text(encoding="utf-8")), "review AG03.html")
    ranking = [r for r in _sheet_rows(review / "summary.xlsx", "Ranking") if "AG03" in r]
    _assert_cells(ranking[0], "review summary.xlsx")
    summary = _sheet_rows(review / "agencies" / "AG03.xlsx", "Summary")
    headline = summary[next(k for k, r in enumerate(summary) if "Overall score" in r) + 1]
    _assert_cells(headline, "review AG03.xlsx")
    with zipfile.ZipFile(review / "share" / "AG03.zip") as pack:
        _assert_words(_tile(pack.read("scorecard.html").decode("utf-8")), "share pack")
