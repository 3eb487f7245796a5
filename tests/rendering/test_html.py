import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path

import openpyxl

from audits.models import Portfolio, TrendPoint, agency_file_stem
from audits.rendering import (
    default_templates_dir,
    render_index_html,
    render_scorecard_html,
    write_reports,
)
from audits.rendering.html.pages import environment

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class _Collector(HTMLParser):
    """Text of every element with an id, body rows per table id, tags, and every href/src."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: dict[str, str] = {}
        self.rows: dict[str, int] = {}
        self.tags: list[str] = []
        self.refs: list[str] = []
        self._stack: list[tuple[str, str | None]] = []
        self._text: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        self.refs += [attrs[key] for key in ("src", "href") if attrs.get(key)]
        if tag in VOID:
            return
        if tag == "tr":
            open_tags = [t for t, _ in self._stack]
            if "tbody" in open_tags:
                table = next(i for t, i in reversed(self._stack) if t == "table")
                self.rows[table or ""] = self.rows.get(table or "", 0) + 1
        element_id = attrs.get("id")
        if element_id:
            self._text[element_id] = []
        self._stack.append((tag, element_id))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        while self._stack:
            open_tag, element_id = self._stack.pop()
            if element_id:
                self.ids[element_id] = " ".join(" ".join(self._text.pop(element_id)).split())
            if open_tag == tag:
                break

    def handle_data(self, data):
        for _, element_id in self._stack:
            if element_id:
                self._text[element_id].append(data)


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    assert not collector._stack, "unclosed elements"
    return collector


def test_scorecard_shows_headline_figures(assessed_card, templates_dir):
    html = render_scorecard_html(assessed_card, templates_dir=templates_dir)
    doc = parse(html)
    assert doc.ids["overall-score"] == "86.6 / 100"
    assert doc.ids["critical-count"] == "12"
    assert doc.ids["total-findings"] == "60"
    assert doc.ids["grade-note"] == "Grade set by a gate — C: at least one critical finding."
    assert 'class="grade grade-c large"' in html
    for band in ("A \u2265 90", "B \u2265 80", "C \u2265 70", "D \u2265 60", "F &lt; 60"):
        assert band in html
    assert '<html lang="en">' in html and '<meta charset="utf-8">' in html


def test_change_is_shown_with_arrows_before_the_level(assessed_card, templates_dir):
    html = render_scorecard_html(assessed_card, templates_dir=templates_dir)
    doc = parse(html)
    overall = doc.ids["overall"]
    assert overall.startswith("Grade and overall score C 86.6 / 100")
    assert "\u25bc \u22121.7 vs previous day \u25b2 +2.4 vs previous 7 days" in overall


def test_family_breakdown_uses_the_weights_of_the_scorecard(assessed_card, templates_dir):
    doc = parse(render_scorecard_html(assessed_card, templates_dir=templates_dir))
    families = doc.ids["families"]
    for text in ("Confidentiality 0.35 80.6", "Frequency 0.30 76.4", "Qualification 0.25 100.0",
                 "Data quality 0.10 96.0 0.80% 10 rows quarantined"):
        assert text in families
    assert doc.rows["families"] == 4


def test_one_row_per_rule_with_its_figures(assessed_card, templates_dir):
    doc = parse(render_scorecard_html(assessed_card, templates_dir=templates_dir))
    assert doc.rows["rules"] == len(assessed_card.rules) == 5
    rules = doc.ids["rules"]
    assert ("FREQ_DAILY_CAP Attempts per number per day over the cap Frequency major "
            "marketing 3, servicing 5, collection 6 1,180 30 2.54%") in rules
    assert "CONF_UNASSIGNED Customer not assigned to this agency Confidentiality critical" in rules


def test_top_agents_callers_and_data_quality(assessed_card, templates_dir):
    doc = parse(render_scorecard_html(assessed_card, templates_dir=templates_dir))
    assert "AGT00 15 25.00%" in doc.ids["top-agents"]
    assert "+86 21****8800 41 68.33%" in doc.ids["top-callers"]
    assert "DQ_BAD_PHONE A phone number is not a valid number 7 0.56%" in doc.ids["dq-reasons"]
    dq = doc.ids["data-quality"]
    assert "File status OK Rows read 1,250 Rows accepted 1,240 Rows quarantined 10" in dq


def test_provenance_block_lists_run_rulepack_and_inputs(assessed_card, templates_dir):
    doc = parse(render_scorecard_html(assessed_card, templates_dir=templates_dir))
    prov = assessed_card.provenance
    block = doc.ids["provenance-heading"]
    assert block == "Provenance"
    inputs = doc.ids["inputs-table"]
    assert "landing/cdr/2026-03-14/AG001.csv 1,250 " + "2" * 64 in inputs
    html = render_scorecard_html(assessed_card, templates_dir=templates_dir)
    for value in (prov.run_id, prov.rulepack_name, prov.rulepack_sha256, prov.code_version,
                  prov.generated_at):
        assert value in html


def test_evidence_is_capped_at_50_with_a_pointer_to_the_workbook(assessed_card, templates_dir):
    html = render_scorecard_html(assessed_card, templates_dir=templates_dir)
    doc = parse(html)
    assert doc.rows["evidence"] == 50
    assert doc.ids["evidence-note"].startswith(
        "Showing 50 of 60 findings, the gravest first; the full list is in the workbook.")
    assert 'href="AG001.xlsx"' in html
    critical = [f.call_id for f in assessed_card.findings if f.severity == "critical"]
    assert critical and all(call_id in html for call_id in critical)
    others = [f.call_id for f in assessed_card.findings if f.severity != "critical"]
    assert sum(call_id in html for call_id in others) == 50 - len(critical)


def test_sampled_evidence_points_to_violations_csv(assessed_card, templates_dir):
    from dataclasses import replace

    sampled = replace(assessed_card, total_findings=250_000)
    doc = parse(render_scorecard_html(sampled, templates_dir=templates_dir))
    assert doc.ids["evidence-note"].startswith(
        "Showing 50 of 250,000 findings, the gravest first; the workbook lists 60 (a sample of every rule) "
        "and violations.csv of this report lists them all.")


def test_small_evidence_is_shown_whole(hostile_card, templates_dir):
    doc = parse(render_scorecard_html(hostile_card, templates_dir=templates_dir))
    assert doc.rows["evidence"] == len(hostile_card.findings) == 7
    assert doc.ids["evidence-note"] == "Showing all 7 findings."


def test_callee_key_never_reaches_html(assessed_card, hostile_card, templates_dir):
    for card in (assessed_card, hostile_card):
        html = render_scorecard_html(card, templates_dir=templates_dir)
        for finding in card.findings:
            assert finding.callee_key not in html
        for finding in card.findings[:50]:
            assert finding.callee_masked in html


def test_hostile_name_and_details_render_as_text(hostile_card, portfolio, templates_dir):
    html = render_scorecard_html(hostile_card, templates_dir=templates_dir)
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '"onload=' not in html and "&#34;onload=alert(2)" in html
    assert "&lt;script&gt;alert(&#34;detail&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x &#34;onload=alert(3)&gt;" in html
    assert "<img" not in html
    doc = parse(html)
    assert doc.ids["agency-name"] == hostile_card.agency_name
    index = render_index_html(portfolio, templates_dir=templates_dir)
    assert "<script" not in index and "&lt;script&gt;alert(1)&lt;/script&gt;" in index
    assert '"onload=' not in index


def test_attribute_and_svg_contexts_are_escaped(hostile_card, templates_dir):
    hostile = dataclasses.replace(
        hostile_card,
        trend=(TrendPoint('2026-03-13"><script>x()</script>', 90.0, '<b onload="y()">A</b>'),
               TrendPoint("2026-03-14", 95.5, "A")),
        findings=(dataclasses.replace(hostile_card.findings[0],
                                      start_time='x" onmouseover="alert(1)'),),
    )
    html = render_scorecard_html(hostile, templates_dir=templates_dir)
    assert "<script" not in html and "<b " not in html
    assert '" onmouseover=' not in html
    assert 'datetime="x&#34; onmouseover=&#34;alert(1)"' in html
    assert "&lt;b onload=&#34;y()&#34;&gt;A&lt;/b&gt;" in html or \
           "&lt;b onload=&quot;y()&quot;&gt;A&lt;/b&gt;" in html


def test_not_assessed_shows_no_score_and_says_why(missing_card, templates_dir):
    html = render_scorecard_html(missing_card, templates_dir=templates_dir)
    doc = parse(html)
    assert doc.ids["not-assessed"].startswith("Not assessed for 2026-03-14 File missing: ")
    assert missing_card.data_quality.file_message in doc.ids["not-assessed"]
    assert doc.ids["overall-score"] == "not assessed"
    assert "/ 100" not in html
    families = doc.ids["families"]
    assert families.count("not assessed") == 3
    assert "100.0" not in families
    assert "Data quality 0.10 0.0" in families
    assert 'class="grade grade-na large"' in html
    assert doc.ids["dq-message"] == "Message: " + missing_card.data_quality.file_message


def test_chinese_name_is_marked_as_chinese(assessed_card, portfolio, templates_dir):
    html = render_scorecard_html(assessed_card, templates_dir=templates_dir)
    assert f'<span lang="zh">{assessed_card.agency_name}</span>' in html
    assert assessed_card.agency_name in render_index_html(portfolio, templates_dir=templates_dir)


def test_charts_are_inline_svg(assessed_card, templates_dir):
    html = render_scorecard_html(assessed_card, templates_dir=templates_dir)
    trend = html[html.index('<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="trend"'):]
    trend = trend[:trend.index("</svg>")]
    # two not-assessed days split the 30-day line into two segments
    assert trend.count("<polyline") == 2
    assert trend.count('class="na-day"') == 2
    hours = html[html.index('id="hours"'):]
    hours = hours[:hours.index("</svg>")]
    assert hours.count("<rect") == 24
    assert "08:00\u201308:59: 6 findings" in hours


def test_report_is_self_contained(assessed_card, portfolio, templates_dir):
    for html in (render_scorecard_html(assessed_card, templates_dir=templates_dir),
                 render_index_html(portfolio, templates_dir=templates_dir)):
        doc = parse(html)
        assert "script" not in doc.tags and "link" not in doc.tags
        assert not [ref for ref in doc.refs if re.match(r"[a-z]+:", ref)]
        assert "@media print" in html
        assert "@import" not in html and "url(" not in html


def test_every_table_has_a_caption_and_scoped_headers(assessed_card, portfolio, templates_dir):
    for html in (render_scorecard_html(assessed_card, templates_dir=templates_dir),
                 render_index_html(portfolio, templates_dir=templates_dir)):
        assert html.count("<table") == html.count("<caption>") + html.count('<caption class="visually-hidden">')
        assert "<th>" not in html


def test_index_lists_agencies_in_the_given_order(
        assessed_card, hostile_card, portfolio, templates_dir):
    html = render_index_html(portfolio, templates_dir=templates_dir)
    doc = parse(html)
    assert doc.rows["ranking"] == 3
    ranking = doc.ids["ranking"]
    first = ranking.index("1 Northwind Collections AG003 not assessed not assessed")
    second = ranking.index(
        f"2 {assessed_card.agency_name} AG001 C at least one critical finding 86.6 \u25bc \u22121.7 12 60 0 0 0 0 OK")
    third = ranking.index("3 " + hostile_card.agency_name + " AG002 A 95.5 \u25b2 +2.5 0 7 0 0 0 0 OK")
    assert first < second < third
    assert "File missing" in ranking
    for agency in ("AG001", "AG002", "AG003"):
        assert f'href="agencies/{agency}.html"' in html
        assert f'href="agencies/{agency}.xlsx"' in html
    assert doc.ids["totals-line"].startswith(
        "Totals: 3 agencies (1 not assessed) \u00b7 1,640 calls audited \u00b7 67 findings "
        "\u00b7 12 critical.")


def test_rendering_is_deterministic(
        assessed_card, hostile_card, missing_card, portfolio, templates_dir):
    for card in (assessed_card, hostile_card, missing_card):
        first = render_scorecard_html(card, templates_dir=templates_dir)
        assert first == render_scorecard_html(card, templates_dir=templates_dir)
    assert render_index_html(portfolio, templates_dir=templates_dir) == \
        render_index_html(portfolio, templates_dir=templates_dir)


def test_write_reports_writes_every_file_and_is_byte_stable_in_workers_too(portfolio, templates_dir, tmp_path):
    first = write_reports(portfolio, tmp_path / "one", templates_dir=templates_dir)
    second = write_reports(portfolio, tmp_path / "two", templates_dir=templates_dir, workers=2)   # forked workers
    names = [p.relative_to(tmp_path / "one").as_posix() for p in first]
    assert names == sorted([
        "agencies/AG001.html", "agencies/AG001.xlsx", "agencies/AG002.html",
        "agencies/AG002.xlsx", "agencies/AG003.html", "agencies/AG003.xlsx",
        "index.html", "summary.xlsx",
    ])
    assert first == sorted(first)
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert not list((tmp_path / "one").rglob("*.tmp"))


def test_write_reports_rejects_duplicate_agencies(
        assessed_card, portfolio, templates_dir, tmp_path):
    doubled = Portfolio("2026-03-14", (assessed_card, assessed_card), portfolio.provenance)
    try:
        write_reports(doubled, tmp_path, templates_dir=templates_dir)
    except ValueError as exc:
        assert "agencies/AG001.html" in str(exc)
    else:
        raise AssertionError("duplicate agency ids must be refused")


def test_odd_agency_ids_cannot_escape_the_agencies_folder(
        hostile_card, portfolio, templates_dir, tmp_path):
    card = dataclasses.replace(hostile_card, agency_id="../../etc/passwd")
    stem = agency_file_stem(card.agency_id)
    assert "/" not in stem and ".." not in stem
    paths = write_reports(Portfolio("2026-03-14", (card,), portfolio.provenance), tmp_path,
                          templates_dir=templates_dir)
    assert all(tmp_path in p.parents for p in paths)
    assert (tmp_path / "agencies" / f"{stem}.html").exists()


def test_default_templates_dir_and_cached_environment(assessed_card, templates_dir):
    assert default_templates_dir() == templates_dir
    env = environment(templates_dir)
    assert env is environment(Path(str(templates_dir)))
    assert env.autoescape is True
    assert render_scorecard_html(assessed_card) == render_scorecard_html(
        assessed_card, templates_dir=templates_dir)


def test_an_agencys_pages_call_every_other_agency_another_agency(assessed_card, portfolio, templates_dir, tmp_path):

    refused = dataclasses.replace(assessed_card.findings[0], rule_id="FREQ_AFTER_REFUSAL",
                                  detail="attempt after this number refused further calls on 2026-03-13 10:00 (AG002)")
    own = dataclasses.replace(refused, detail="attempt after this number refused further calls on 2026-03-13 10:00 (AG001)")
    first = dataclasses.replace(assessed_card, findings=(refused, own))
    shown = dataclasses.replace(portfolio, scorecards=tuple(
        first if card.agency_id == "AG001" else card for card in portfolio.scorecards))
    write_reports(shown, tmp_path, templates_dir=templates_dir)
    page = (tmp_path / "agencies" / "AG001.html").read_text(encoding="utf-8")
    assert "10:00 (another agency)" in page and "10:00 (AG001)" in page
    assert "(AG002)" not in page and "(AG003)" not in page
    book = openpyxl.load_workbook(tmp_path / "agencies" / "AG001.xlsx", read_only=True)
    cells = [str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row if v]
    assert any("(another agency)" in c for c in cells) and not any("(AG002)" in c for c in cells)
