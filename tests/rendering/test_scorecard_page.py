"""A scorecard page: marked internal, safe to read on its own (no other agency's files, counts or
the server's paths), a fixed summary (grade with its gate, families, cases by status, the SLA of
the month so far) and a table of contents before the details."""

from __future__ import annotations

import dataclasses

import openpyxl

from audits.models import DataQuality, InputFile, SlaClauseToDate, SlaToDate
from audits.rendering import render_scorecard_html, write_scorecard_workbook
from tests.rendering.test_html import parse

SERVER = "/srv/vendor-audit/landing"
INPUTS = (
    InputFile(f"{SERVER}/reference/contracts.csv", "1" * 64, 51, table="contracts"),
    InputFile("cdr/2026-03-14/AG001.csv", "2" * 64, 1250, table="cdr", agency_id="AG001"),
    InputFile("cdr/2026-03-14/AG002.csv", "3" * 64, 410, table="cdr", agency_id="AG002"),
    InputFile(f"{SERVER}/cdr/2026-03-14/AG009.parquet", "4" * 64, 98765, table="cdr", agency_id="AG009"),
    InputFile("complaints/2026-03-14.csv", "5" * 64, 12, table="complaints"),
)


def test_a_scorecard_shows_no_other_agencys_file_or_count_nor_a_server_path(assessed_card, missing_card,
                                                                              templates_dir, tmp_path):
    card = dataclasses.replace(assessed_card, provenance=dataclasses.replace(assessed_card.provenance, inputs=INPUTS))
    html = render_scorecard_html(card, templates_dir=templates_dir)
    inputs = parse(html).ids["inputs-table"]
    assert "cdr/2026-03-14/AG001.csv 1,250" in inputs                       # its own file, landing-relative
    assert "reference/contracts.csv \u2014" in inputs and "complaints/2026-03-14.csv \u2014" in inputs   # no counts
    for other in ("AG002.csv", "AG009", "410", "98,765", "51", "/srv/", "vendor-audit"):
        assert other not in inputs, other
    assert "/srv/" not in html and "AG009" not in html
    assert parse(html).ids["internal-marking"].startswith("Internal \u2014 bank staff only")

    broken = dataclasses.replace(missing_card, provenance=card.provenance, data_quality=DataQuality(
        "unreadable", f"{SERVER}/cdr/2026-03-14/AG003.parquet: cannot be read (not a Parquet file)", 0, 0, 0, ()))
    page = render_scorecard_html(broken, templates_dir=templates_dir)
    assert "/srv/" not in page and "cdr/2026-03-14/AG003.parquet: cannot be read" in page

    book = openpyxl.load_workbook(write_scorecard_workbook(broken, tmp_path / "AG003.xlsx"))
    cells = [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c]
    assert not [c for c in cells if "/srv/" in c or "AG009" in c or "AG002.csv" in c]


def test_the_summary_comes_first_with_the_gate_in_words_and_the_sla_at_risk(assessed_card, templates_dir):
    sla = SlaToDate("2026-03", "2026-03-01", "2026-03-14", 14, (
        SlaClauseToDate("Overall score at least 85", "met", "86.60, 1.60 points above the minimum"),
        SlaClauseToDate("Complaint rate at most 5 per 10,000 numbers called", "at risk",
                        "8.33 per 10,000 (5 complaints), 3.33 over the limit")))
    html = render_scorecard_html(dataclasses.replace(assessed_card, sla_to_date=sla), templates_dir=templates_dir)
    doc = parse(html)
    assert doc.ids["grade-note"] == "Grade set by a gate \u2014 C: at least one critical finding."
    assert doc.ids["sla"] == ("met Overall score at least 85 86.60, 1.60 points above the minimum at risk Complaint "
                              "rate at most 5 per 10,000 numbers called 8.33 per 10,000 (5 complaints), 3.33 over the "
                              "limit")
    assert "tile-risk" in html
    assert doc.ids["family-summary"].startswith("Score by family Confidentiality 80.6 Frequency 76.4")
    order = [html.index(f'id="{i}"') for i in ("summary", "overall", "family-tile", "case-tile", "sla-tile", "toc",
                                                "cases-heading", "families-heading", "evidence-heading",
                                                "provenance-heading")]
    assert order == sorted(order)
    toc = doc.ids["toc"]
    assert toc.startswith("On this page: Cases Early warnings Score by family Trend")
    assert all(f'href="#{anchor}"' in html for anchor in ("cases-heading", "data-quality", "provenance-heading"))


def test_a_heavy_day_keeps_the_cases_short_critical_groups_first(assessed_card, templates_dir):
    """Every rule with findings today (17), four cases each, and a quiet backlog of 400: critical groups
    come first, small groups are listed open only while they list at most 20 cases, and the quiet
    ones are one closed line; the page stays short whatever the day."""
    from audits.models import RULE_INFO
    from tests.rendering.test_cases_render import _case
    rules = list(RULE_INFO)
    cases = [_case(f"C-{info.rule_id[:10]}{k}", "new" if k else "open", info.severity.value, 1, rule_id=info.rule_id)
             for info in sorted(rules, key=lambda i: i.rule_id) for k in range(4)]
    cases += [_case(f"C-quiet{k:06d}", "quiet", "major", 0, rule_id="FREQ_DAILY_CAP") for k in range(400)]
    html = render_scorecard_html(dataclasses.replace(assessed_card, cases=tuple(cases)), templates_dir=templates_dir)
    body = html[html.index('id="case-groups"'):html.index('id="cases-quiet"')]
    summaries = [part.split('id="rule-', 1)[1].split('"', 1)[0] for part in body.split("<details")[1:]
                 if 'id="rule-' in part]
    severities = [next(i.severity.value for i in rules if i.rule_id == rule) for rule in summaries]
    assert severities == sorted(severities, key=["critical", "major", "minor"].index)
    opened = body.count('" open>')
    assert opened == 5 and len(summaries) == len(rules)          # 5 groups of 4: 20 cases listed, the rest one line
    assert body.count('class="case-row"') == len(rules) * 4      # every case is on the page, behind its line
    assert parse(html).ids["cases-quiet"].startswith("Quiet: 400 cases without a finding today")
    assert html.count('class="case-row"') == len(rules) * 4 + 100   # the quiet list: its first 100
