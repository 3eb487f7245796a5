"""The review's pages and workbooks: inputs escaped and formula-safe, the scorecard's sections,
and the real tools (headless Chromium, LibreOffice) opening a sample month's review."""

from __future__ import annotations

import subprocess
import zipfile

from audits.review import period as periods
from audits.review_run import ReviewConfig, run_review
from audits.rulepack import load_rulepack
from tests.rendering.test_browser import _dump_dom, _visible
from tests.review.reports import case, finding, publish_day, score, store_day

HOSTILE = '<img src=x onerror=alert(1)>=HYPERLINK("http://x")'


def test_hostile_text_is_escaped_in_html_and_text_in_workbooks(tmp_path):
    out, store = tmp_path / "reports", tmp_path / "store"
    day = "2027-02-01"
    publish_day(out, day, [score(day, "AG01", calls=10, conf=1, name=HOSTILE)],
                cases=[case(day, "C-00000000000a", "AG01", subject_kind="agent", subject="=cmd|' /C calc'!A0")],
                violations=[finding(day, "AG01", "c1", case_id="C-00000000000a", detail="@SUM(1+1)")])
    store_day(store, day, {"AG01": 1})
    review = run_review(ReviewConfig(period=periods.month("2027-02"), out=out, store=store,
                                     rulepack=load_rulepack("cn_bank"), allow_missing_days=True)).review_dir
    for page in (review / "index.html", review / "agencies" / "AG01.html"):
        text = page.read_text(encoding="utf-8")
        assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    for book in (review / "summary.xlsx", review / "agencies" / "AG01.xlsx"):
        with zipfile.ZipFile(book) as parts:
            xml = "".join(parts.read(n).decode("utf-8") for n in parts.namelist() if n.startswith("xl/worksheets/"))
        assert "<f>" not in xml                                    # no formula anywhere
    with zipfile.ZipFile(review / "share" / "AG01.zip") as pack:
        cases = pack.read("cases.csv").decode("utf-8")
        findings = pack.read("findings.csv").decode("utf-8")
    assert "'=cmd" in cases and "'@SUM(1+1)" in findings          # CSV cells neutralised as everywhere


def test_chromium_renders_the_review(chromium, sample_month, tmp_path):
    index = _visible(_dump_dom(chromium, sample_month.review / "index.html", tmp_path / "profile"))
    assert "Vendor compliance review" in index.text and "November 2026" in index.text
    assert "27 days of the period had no published report and are not part of this review: " \
           "2026-11-04 to 2026-11-30." in index.text
    assert "SLA met" in index.text and "Share pack" in index.text
    card = _visible(_dump_dom(chromium, sample_month.review / "agencies" / "AG02.html", tmp_path / "profile"))
    for heading in ("Period overall score", "Service level (SLA)", "SLA clauses", "Score by family", "Daily trend",
                    "Cases in the period", "Top cases", "Day by day", "Complaints", "Early warnings",
                    "Exceptions used", "Disputes", "Compared with all agencies", "Provenance"):
        assert heading in card.text, heading
    assert "Overall score at least 85" in card.text and "No critical case open longer than 7 days" in card.text
    assert "of 5 agencies assessed in the period" in card.text
    assert "script" not in card.tags and card.tags.count("svg") == 1


def test_libreoffice_opens_the_review_workbooks(soffice, sample_month, tmp_path):
    books = [sample_month.review / "summary.xlsx", sample_month.review / "agencies" / "AG01.xlsx"]
    with zipfile.ZipFile(sample_month.review / "share" / "AG02.zip") as pack:
        (tmp_path / "AG02-pack.xlsx").write_bytes(pack.read("scorecard.xlsx"))
    books.append(tmp_path / "AG02-pack.xlsx")
    result = subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path / "pdf"), *map(str, books)],
        capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    for book in books:
        pdf = tmp_path / "pdf" / f"{book.stem}.pdf"
        assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000, book
