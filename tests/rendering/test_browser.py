"""The reports in real tools: headless Chromium renders the HTML, LibreOffice opens the XLSX.

Each test skips (with the reason) only when its program is not installed (the `chromium` and
`soffice` fixtures of tests/conftest.py).
"""

import subprocess
from html.parser import HTMLParser

from audits.rendering import write_reports


def _dump_dom(chromium: str, page, profile) -> str:
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


class _Text(HTMLParser):
    """Visible text of the DOM Chromium built (scripts and styles excluded)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.tags: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in ("style", "script", "title"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


def _visible(dom: str) -> _Text:
    parser = _Text()
    parser.feed(dom)
    return parser


def test_chromium_renders_index_and_scorecards(chromium, tmp_path, portfolio, templates_dir):
    out = tmp_path / "out"
    write_reports(portfolio, out, templates_dir=templates_dir)

    index = _visible(_dump_dom(chromium, out / "index.html", tmp_path / "profile"))
    assert "This morning \u2014 2026-03-14" in index.text and "Internal \u2014 bank staff only" in index.text
    for heading in ("Regulator complaints today", "New and reopened critical cases", "Critical cases open more than",
                    "Not assessed today", "Early warnings", "Ranking"):
        assert heading in index.text
    assert index.text.index("Not assessed today") < index.text.index("Ranking Worst first")
    assert "Totals: 3 agencies (1 not assessed)" in index.text
    hostile = portfolio.scorecards[2].agency_name
    assert hostile in index.text          # shown as text ...
    assert "script" not in index.tags     # ... never run as markup
    assert portfolio.scorecards[1].agency_name in index.text

    card = _visible(_dump_dom(chromium, out / "agencies" / "AG001.html", tmp_path / "profile"))
    for heading in ("Score by family", "Trend, last 30 days", "Findings by hour of day",
                    "Rules", "Top agents", "Top caller numbers", "Evidence", "Data quality",
                    "Provenance"):
        assert heading in card.text
    assert "86.6 / 100" in card.text
    assert "Grade set by a gate — C: at least one critical finding." in card.text
    assert "12 critical of 60 findings on 1,240 calls" in card.text and "On this page:" in card.text
    assert "Showing 50 of 60 findings" in card.text
    assert card.tags.count("svg") == 2

    missing = _visible(_dump_dom(chromium, out / "agencies" / "AG003.html", tmp_path / "profile"))
    assert "Not assessed for 2026-03-14" in missing.text
    assert "/ 100" not in missing.text

    hostile_card = _dump_dom(chromium, out / "agencies" / "AG002.html", tmp_path / "profile")
    assert "script" not in _visible(hostile_card).tags
    assert "img" not in _visible(hostile_card).tags


def test_libreoffice_opens_the_workbooks(soffice, tmp_path, portfolio, templates_dir):
    out = tmp_path / "out"
    write_reports(portfolio, out, templates_dir=templates_dir)
    pdf_dir = tmp_path / "pdf"
    books = [out / "summary.xlsx", out / "agencies" / "AG001.xlsx",
             out / "agencies" / "AG002.xlsx", out / "agencies" / "AG003.xlsx"]
    result = subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(pdf_dir), *map(str, books)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    for book in books:
        pdf = pdf_dir / (book.stem + ".pdf")
        assert pdf.exists(), result.stdout + result.stderr
        assert pdf.stat().st_size > 1000
        assert pdf.read_bytes().startswith(b"%PDF")
