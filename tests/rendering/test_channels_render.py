"""Both channels on the scorecard (sms.md §3): calls and texts side by side on a day with texts, the
text findings marked with their masked excerpt, and nothing of it on a day without texts."""

from __future__ import annotations

import dataclasses
import re

import openpyxl
import pandas as pd

from audits.channel_cards import with_channels
from audits.models import CaseLine, Finding, RuleLine
from audits.rendering import render_index_html, render_scorecard_html, write_scorecard_workbook, write_summary_workbook
from audits.rendering.views.cases import more_text
from tests.rendering.conftest import CARD_AG001
from tests.rendering.test_html import parse

EXCERPT = "【银行】尊敬的客户，卡号****************0123已逾期"


def _text_case() -> CaseLine:
    finding = Finding(rule_id="SMS_PII_IN_TEXT", severity="critical", call_id="M-0001", agent_id="",
                      campaign_id="MKT1", callee_masked="+86 138****5678", callee_key="k",
                      start_time="2026-03-14T10:00:00+08:00", detail="text contains an unmasked card number",
                      case_id="C-0000000000aa", channel="sms", excerpt=EXCERPT)
    return CaseLine(case_id="C-0000000000aa", rule_id="SMS_PII_IN_TEXT", family="confidentiality",
                    severity="critical", subject_kind="campaign", subject_display="MKT1", status="new", decision="",
                    first_seen="2026-03-14", last_seen="2026-03-14", days_open=1, findings_today=1,
                    findings_episode=1, calls_today=1, summary="s", evidence=(finding,))


def _texting(card):
    return dataclasses.replace(card, cases=(_text_case(),), findings=card.findings + _text_case().evidence,
                               messages_audited=321, findings_sms=7, texts_shown=True)


def test_a_day_with_texts_shows_calls_and_messages_side_by_side(assessed_card, templates_dir):
    card = _texting(assessed_card)
    doc = parse(render_scorecard_html(card, templates_dir=templates_dir))
    table = " ".join(doc.ids["channels"].split())
    assert f"Audited {card.calls_audited:,} 321" in table
    assert f"Findings {card.total_findings - 7:,} 7" in table
    assert doc.ids["messages-audited"] == "321 messages audited"


def test_a_text_finding_is_marked_and_quotes_its_masked_excerpt(assessed_card, templates_dir):
    html = render_scorecard_html(_texting(assessed_card), templates_dir=templates_dir)
    parse(html)
    row = re.search(r"<tr>(?:(?!</tr>).)*M-0001(?:(?!</tr>).)*</tr>", html, re.S).group()
    assert '<span class="channel">text</span>' in row
    assert f'<q class="excerpt">{EXCERPT}</q>' in row


def test_a_day_without_texts_renders_exactly_as_before(assessed_card, templates_dir, tmp_path):
    html = render_scorecard_html(assessed_card, templates_dir=templates_dir)
    assert 'id="channels"' not in html and "messages audited" not in html and 'class="channel"' not in html
    for none in (None, pd.DataFrame({"agency_id": [], "is_mt": [], "is_attempt": []})):
        cards = with_channels([assessed_card], pd.DataFrame({"agency_id": []}), pd.DataFrame(), pd.DataFrame(), none)
        assert cards == [assessed_card]
    assert render_scorecard_html(cards[0], templates_dir=templates_dir) == html


def test_the_workbook_shows_both_channels_and_each_findings_channel_and_excerpt(assessed_card, tmp_path):
    path = write_scorecard_workbook(_texting(assessed_card), tmp_path / "AG001.xlsx")
    wb = openpyxl.load_workbook(path)
    summary = [[c for c in row if c is not None] for row in wb["Summary"].iter_rows(values_only=True)]
    assert ["Findings on calls", assessed_card.total_findings - 7, "Messages audited", 321] in summary
    assert ["Findings on messages", 7] in summary
    findings = list(wb["Findings"].iter_rows(values_only=True))
    assert findings[0][-2:] == ("Channel", "Text (masked excerpt)")
    assert findings[-1][-2:] == ("sms", EXCERPT)
    plain = openpyxl.load_workbook(write_scorecard_workbook(assessed_card, tmp_path / "plain.xlsx"))
    assert "Channel" not in next(plain["Findings"].iter_rows(values_only=True))


def test_sms_rules_are_evaluated_over_the_agencys_messages():
    card_rules = (RuleLine("SMS_NO_SIGNATURE", "qualification", "minor", "t", "", 1000, 2, 0.002),
                  RuleLine("FREQ_DAILY_CAP", "frequency", "major", "t", "", 1000, 3, 0.003),
                  RuleLine("CONTACT_ROLLING_7D", "frequency", "major", "t", "", 1000, 1, 0.001))
    card = dataclasses.replace(CARD_AG001, rules=card_rules)
    messages = pd.DataFrame({"agency_id": ["AG001"] * 4 + ["AG002"], "is_mt": [True, True, True, False, True],
                             "is_attempt": [True, True, False, False, True],
                             "purpose": ["marketing", None, "servicing", None, "marketing"]})
    calls = pd.DataFrame({"agency_id": ["AG001", "AG001"], "is_attempt": [True, True],
                          "purpose": ["marketing", None]})
    violations = pd.DataFrame({"agency_id": ["AG001", "AG001"], "channel": ["sms", "call"]})
    (out,) = with_channels([card], pd.DataFrame({"agency_id": ["AG001"]}), violations, calls, messages)
    rules = {r.rule_id: (r.evaluated, r.rate) for r in out.rules}
    assert rules["SMS_NO_SIGNATURE"] == (3, round(2 / 3, 6))     # AG001's MT messages
    assert rules["FREQ_DAILY_CAP"] == (1000, 0.003)              # a call rule as it was
    assert rules["CONTACT_ROLLING_7D"] == (2, 0.5)               # call and SMS attempts with a purpose
    assert (out.messages_audited, out.findings_sms, out.texts_shown) == (3, 1, True)


def test_the_portfolio_adds_a_messages_column_only_on_a_day_with_texts(portfolio, templates_dir, tmp_path):
    plain = render_index_html(portfolio, templates_dir=templates_dir)
    assert "messages audited" not in plain and ">Texts<" not in plain
    cards = tuple(_texting(c) if c.agency_id == "AG001" else dataclasses.replace(c, texts_shown=True)
                  for c in portfolio.scorecards)
    texting = dataclasses.replace(portfolio, scorecards=cards)
    doc = parse(render_index_html(texting, templates_dir=templates_dir))
    assert doc.ids["messages-audited"] == "321 messages audited"
    assert "321 messages audited" in doc.ids["totals-line"]
    ranking = openpyxl.load_workbook(write_summary_workbook(texting, tmp_path / "summary.xlsx"))["Ranking"]
    rows = list(ranking.iter_rows(values_only=True))
    assert rows[2][-2:] == ("Messages audited", "Findings on messages")
    by_agency = {row[1]: row[-2:] for row in rows[3:3 + len(cards)]}
    assert by_agency["AG001"] == (321, 7)
    plain_book = openpyxl.load_workbook(write_summary_workbook(portfolio, tmp_path / "plain.xlsx"))["Ranking"]
    assert "Messages audited" not in list(plain_book.iter_rows(values_only=True))[2]


def test_the_rest_of_a_text_case_is_counted_as_texts():
    case = dataclasses.replace(_text_case(), findings_today=8)
    assert more_text(case) == "and 7 more texts"
    assert more_text(dataclasses.replace(case, rule_id="FREQ_DAILY_CAP")) == "and 7 more calls"


def test_on_a_day_with_texts_the_scorecard_counts_contacts_where_it_counts_both(assessed_card, templates_dir,
                                                                                 tmp_path):
    gated = dataclasses.replace(assessed_card, grade="D", grade_gate="critical_share_d")
    html = render_scorecard_html(_texting(gated), templates_dir=templates_dir)
    assert "contacts with a finding" in html and "calls with a finding" not in html
    assert "critical findings on 0.1 % or more of contacts" in html
    book = openpyxl.load_workbook(write_scorecard_workbook(_texting(gated), tmp_path / "texts.xlsx"))
    assert "Contacts today" in next(book["Cases"].iter_rows(values_only=True))
    assert "Calls or messages evaluated" in next(book["Rules"].iter_rows(values_only=True))
    plain_html = render_scorecard_html(gated, templates_dir=templates_dir)
    assert "calls with a finding" in plain_html and "critical findings on 0.1 % or more of calls" in plain_html
    plain = openpyxl.load_workbook(write_scorecard_workbook(gated, tmp_path / "plain.xlsx"))
    assert "Calls today" in next(plain["Cases"].iter_rows(values_only=True))
    assert "Calls evaluated" in next(plain["Rules"].iter_rows(values_only=True))
