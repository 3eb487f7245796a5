"""The monthly review counts texts as the daily reports did (sms.md §3): messages audited and
findings on them per agency, on its period scorecard (HTML and workbook) and in its share pack;
a period without texts keeps the review as it was."""

from __future__ import annotations

import zipfile

import openpyxl

from audits.csv_cells import read_csv
from audits.review import period as periods
from audits.review_run import REVIEW_SCORE_COLUMNS, ReviewConfig, run_review
from audits.rulepack import load_rulepack
from tests.review.reports import finding, publish_day, score, store_day

FEB = [f"2027-02-0{d}" for d in (1, 2)]


def _month(tmp_path, *, texts: bool, critical: bool = False):
    """February's first two days of AG01 (100 calls, 2 with a finding a day) and AG02; `texts`:
    AG01 sent 200 and 100 messages (5 findings on them); `critical`: AG01's first finding is critical."""
    out, store = tmp_path / "reports", tmp_path / "store"
    extra = ({"messages_audited": 200, "findings_sms": 4}, {"messages_audited": 100, "findings_sms": 1}) \
        if texts else ({}, {})
    for k, day in enumerate(FEB):
        publish_day(out, day, [score(day, "AG01", calls=100, conf=2, overall=90.0, grade="A", **extra[k]),
                               score(day, "AG02", calls=50, overall=100.0, grade="A",
                                     **({"messages_audited": 0, "findings_sms": 0} if texts else {}))],
                    violations=[finding(day, "AG01", f"c{k}{n}", rule="CONF_AGENT_NOT_ACTIVE",
                                        severity="critical" if critical and (k, n) == (0, 0) else "major")
                                for n in range(2)])
        store_day(store, day, {"AG01": 2, "AG02": 1}, start=k)
    config = ReviewConfig(period=periods.month("2027-02"), out=out, store=store, rulepack=load_rulepack("cn_bank"),
                          code_version="test", allow_missing_days=True)
    return run_review(config).review_dir


def test_the_review_sums_messages_audited_and_findings_on_them(tmp_path):
    review = _month(tmp_path, texts=True)
    scores = read_csv(review / "scores.csv", dtype="str", keep_default_na=False).set_index("agency_id")
    assert list(scores.reset_index().columns)[-2:] == ["messages_audited", "findings_sms"]
    assert (scores.loc["AG01", "messages_audited"], scores.loc["AG01", "findings_sms"]) == ("300", "5")
    assert (scores.loc["AG02", "messages_audited"], scores.loc["AG02", "findings_sms"]) == ("0", "0")
    html = (review / "agencies" / "AG01.html").read_text(encoding="utf-8")
    assert "300 messages audited" in html and "5 findings on messages" in html
    summary = [[c for c in row if c is not None]
               for row in openpyxl.load_workbook(review / "agencies" / "AG01.xlsx")["Summary"].iter_rows(values_only=True)]
    assert ["Messages audited", 300, "Findings on messages", 5] in summary
    with zipfile.ZipFile(review / "share" / "AG01.zip") as pack:
        page = next(pack.read(n).decode("utf-8") for n in pack.namelist() if n.endswith(".html"))
    assert "300 messages audited" in page


def test_a_period_without_texts_keeps_the_review_columns_and_pages(tmp_path):
    review = _month(tmp_path, texts=False)
    scores = read_csv(review / "scores.csv", dtype="str", keep_default_na=False)
    assert tuple(scores.columns) == REVIEW_SCORE_COLUMNS
    assert "messages audited" not in (review / "agencies" / "AG01.html").read_text(encoding="utf-8")


def test_the_periods_family_rates_are_over_calls_and_messages_audited(tmp_path):
    review = _month(tmp_path, texts=True)
    scores = read_csv(review / "scores.csv", dtype="str", keep_default_na=False).set_index("agency_id")
    # AG01: 200 calls and 300 messages audited; 4 contacts with a confidentiality finding (2 a day):
    # rate 4 / 500 = 0.008, score 100 * (1 - 0.008 / 0.05) = 84 (over calls alone: 0.02 and 60)
    assert (scores.loc["AG01", "rate_confidentiality"], scores.loc["AG01", "score_confidentiality"]) == ("0.008", "84.0")
    assert scores.loc["AG02", "rate_confidentiality"] == "0.0"                      # 100 calls, no message


def _ranking(review):
    """The Ranking sheet of the review's summary.xlsx: its header row and the rows by agency."""
    sheet = openpyxl.load_workbook(review / "summary.xlsx")["Ranking"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = next(r for r in rows if r and r[0] == "Rank")
    return header, {r[1]: dict(zip(header, r)) for r in rows[rows.index(header) + 1:] if r[1]}


def test_the_review_index_and_summary_show_messages_beside_calls(tmp_path):
    review = _month(tmp_path, texts=True)
    index = (review / "index.html").read_text(encoding="utf-8")
    assert ">Messages</th>" in index and ">Findings on messages</th>" in index
    row = index[index.index(">AG01<"):]
    row = row[:row.index("</tr>")]
    assert '<td class="num">200</td>' in row and '<td class="num">300</td>' in row and '<td class="num">5</td>' in row
    header, rows = _ranking(review)
    assert header[-2:] == ["Messages audited", "Findings on messages"]
    assert (rows["AG01"]["Calls audited"], rows["AG01"]["Messages audited"], rows["AG01"]["Findings on messages"]) \
        == (200, 300, 5)
    assert (rows["AG02"]["Messages audited"], rows["AG02"]["Findings on messages"]) == (0, 0)


def test_a_period_without_texts_keeps_the_review_index_and_summary(tmp_path):
    review = _month(tmp_path, texts=False)
    assert "Messages" not in (review / "index.html").read_text(encoding="utf-8")
    header, _ = _ranking(review)
    assert header[-1] == "Workbook" and "Messages audited" not in header


def test_the_period_scorecard_counts_contacts_in_its_family_rates_and_gate_when_texts_were_audited(tmp_path):
    html = (_month(tmp_path / "texts", texts=True, critical=True) / "agencies" / "AG01.html").read_text(
        encoding="utf-8")
    # 1 contact of 500 with a critical finding (0.2 %): the critical-share gate's D
    assert "critical findings on 0.1 % or more of contacts" in html
    assert "contacts with a finding" in html and "calls with a finding" not in html
    assert "the period's contacts with a finding over its contacts audited (calls and messages)" in html
    plain = (_month(tmp_path / "plain", texts=False, critical=True) / "agencies" / "AG01.html").read_text(
        encoding="utf-8")
    assert "critical findings on 0.1 % or more of calls" in plain
    assert "calls with a finding" in plain and "contacts" not in plain
