"""The "Early warnings" sections: the portfolio lists every warning (agencies first, then agents,
by z) linked to the scorecards, each scorecard its own; text from the inputs is escaped in HTML
and stored as text (never a formula) in the workbooks; the pages stay offline."""

from __future__ import annotations

import dataclasses

import openpyxl

from audits.models import EarlyWarning
from audits.rendering import render_index_html, render_scorecard_html, write_scorecard_workbook, write_summary_workbook
from tests.rendering.test_html import parse

HOSTILE_AGENT = '=HYPERLINK("http://x")<script>alert(1)</script>'
WARNINGS = (
    EarlyWarning("agency", "AG001", "", "unassigned_share", "0.201", "0.0007", 10.02, "history",
                 "Agency AG001 made 20.1% of its attempts to numbers not assigned to it, against its median of 0.1% "
                 "over 12 earlier days (z 10.0)."),
    EarlyWarning("agency", "AG002", "", "attempts", "900", "300", 5.5, "history",
                 "Agency AG002 made 900 attempts, 3.0\u00d7 its median of 300 over 20 earlier days (z 5.5)."),
    EarlyWarning("agent", "AG002", HOSTILE_AGENT, "numbers", "241", "55", 7.44, "peers",
                 f"Agent {HOSTILE_AGENT} dialled 241 numbers, 4.4\u00d7 the agency's median of 55 (z 7.4)."),
)


def test_the_portfolio_lists_every_warning_escaped_and_linked(portfolio, templates_dir):
    page = render_index_html(dataclasses.replace(portfolio, warnings=WARNINGS), templates_dir=templates_dir)
    section = page[page.index('id="early-warnings"'):]
    section = section[:section.index("</section>")]
    assert section.index("Agency AG001: unusually high unassigned share 20.1% (usually 0.1%).") < section.index(
        "Agency AG002: unusually high attempts 900 (usually 300).") < section.index("unusually high numbers dialled")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert 'href="agencies/AG001.html"' in section and "Unassigned share" in section and "20.1%" in section
    assert "http://x" not in [ref for ref in section.split('"') if ref.startswith("http")]


def test_one_event_is_one_row_naming_its_metrics_and_both_baselines(portfolio, templates_dir):
    """An agent dialling far more than usual warns on attempts and numbers, each against its own days
    and its peers: four warnings, one event, one row."""
    event = tuple(EarlyWarning("agent", "AG002", "E0032", metric, value, baseline, z, basis, "…")
                  for metric, value, baseline, z, basis in (
                      ("attempts", "1240", "203", 9.4, "history"), ("attempts", "1240", "180", 7.2, "peers"),
                      ("numbers", "1100", "190", 8.8, "history"), ("numbers", "1100", "170", 6.5, "peers")))
    page = render_index_html(dataclasses.replace(portfolio, warnings=WARNINGS[:2] + event), templates_dir=templates_dir)
    table = parse(page[page.index('id="early-warnings"'):])
    assert table.rows["warnings"] == 3                                  # AG001, AG002, and the agent's one event
    row = page[page.rindex('<tr class="warning-event">'):]
    row = row[:row.index("</tr>")]
    cells = [" ".join(parse(f"<div id='c'>{cell}</div>").ids["c"].split()) for cell in row.split("<td")[1:]]
    assert cells[0].endswith("Attempts Numbers dialled") and cells[1].endswith("1,240 1,100")
    assert cells[2].endswith("203 z 9.4 190 z 8.8") and cells[3].endswith("180 z 7.2 170 z 6.5")
    assert ("Agent E0032 of AG002: unusually high attempts 1,240 (usually 203; the agency's other agents 180) and "
            "numbers dialled 1,100 (usually 190; the agency's other agents 170).") in cells[4]
    assert 'id="z-footnote"' in page and "1.4826" in page


def test_a_scorecard_shows_its_own_warnings_and_says_when_there_are_none(assessed_card, hostile_card,
                                                                         templates_dir):
    own = render_scorecard_html(dataclasses.replace(hostile_card, warnings=WARNINGS[1:]), templates_dir=templates_dir)
    assert "Agency AG002: unusually high attempts 900 (usually 300)." in own
    assert "Agency AG001" not in own
    assert "&lt;script&gt;alert(1)" in own and "<script>alert(1)" not in own
    none = render_scorecard_html(assessed_card, templates_dir=templates_dir)
    assert 'id="no-warnings"' in none


def test_a_scorecard_with_warnings_links_to_them_from_its_masthead(assessed_card, templates_dir):
    """The warnings sit below a page of cases: the masthead says there are some and links to them."""
    page = render_scorecard_html(dataclasses.replace(assessed_card, warnings=WARNINGS[1:]), templates_dir=templates_dir)
    nav = page[page.index('<nav aria-label="Report navigation">'):]
    nav = nav[:nav.index("</nav>")]
    assert '<a href="#early-warnings" id="warnings-link">Early warnings (2)</a>' in nav
    assert 'id="early-warnings"' in page
    assert 'id="warnings-link"' not in render_scorecard_html(assessed_card, templates_dir=templates_dir)


def test_workbooks_store_warnings_as_text_never_formulas(tmp_path, portfolio, hostile_card):
    summary = write_summary_workbook(dataclasses.replace(portfolio, warnings=WARNINGS), tmp_path / "summary.xlsx")
    sheet = openpyxl.load_workbook(summary)["Early warnings"]
    rows = [r for r in sheet.iter_rows(min_row=4) if r[0].value]
    assert [(r[0].value, r[1].value, r[3].value, r[4].value, r[6].value) for r in rows] == [
        ("Agency", "AG001", "Unassigned share", 0.201, 10.02), ("Agency", "AG002", "Attempts", 900.0, 5.5),
        ("Agent", "AG002", "Numbers dialled", 241.0, 7.44)]
    agent = rows[2][2]
    assert agent.value == HOSTILE_AGENT and agent.data_type == "s" and agent.quotePrefix
    card = write_scorecard_workbook(dataclasses.replace(hostile_card, warnings=WARNINGS[1:]), tmp_path / "AG002.xlsx")
    own = openpyxl.load_workbook(card)["Early warnings"]
    assert [r[1] for r in own.iter_rows(min_row=4, values_only=True) if r[0]] == ["AG002", "AG002"]
