"""The portfolio's case desk section and the owners of overdue critical cases (desk.md §3): present
only with a desk, linked only with a desk URL, every typed text escaped."""

from __future__ import annotations

import dataclasses

import pandas as pd

from audits.desk.nightly import ATTENTION_COLUMNS, attention
from audits.desk.state import CaseState, DeskState
from audits.rendering import render_index_html
from tests.rendering.test_first_screen import _busy_day


def _rows() -> pd.DataFrame:
    return pd.DataFrame([
        ["overdue", "C-AG002FREQ00002", "AG002", "FREQ_AFTER_REFUSAL", "+86 138****0002", "<b>olga</b>", "2026-03-10",
         "", "", "", "", "4"],
        ["awaiting_approval", "C-AG002FREQ00003", "AG002", "FREQ_AFTER_REFUSAL", "+86 138****0003", "",
         "", "EXC-2026-03-13-N001", "olga", "2026-03-13", "2026-04-30", "1"]], columns=list(ATTENTION_COLUMNS))


def test_the_desk_section_lists_with_owners_and_links_to_the_desk_when_a_url_is_set(portfolio, templates_dir):
    state = DeskState(cases={"C-AG002FREQ00002": CaseState("C-AG002FREQ00002", owner="<b>olga</b>")},
                      exceptions={}, disputes={})
    desk = attention(_rows(), "https://bank.example/desk/", state=state)
    html = render_index_html(dataclasses.replace(_busy_day(portfolio), desk=desk), templates_dir=templates_dir)
    section = html[html.index('id="desk"'):html.index('id="not-assessed-today"')]
    assert 'href="https://bank.example/desk/cases/C-AG002FREQ00002"' in section
    assert "owner &lt;b&gt;olga&lt;/b&gt;; due 2026-03-10, 4 days overdue" in section and "<b>olga" not in html
    assert "Proposals awaiting approval (1)" in section and "EXC-2026-03-13-N001" in section
    assert "Disputes waiting more than 7 days (0)" in section and "Exceptions ending within 14 days (0)" in section
    overdue = html[html.index('id="overdue"'):html.index('id="desk"')]
    assert '<td class="owner">&lt;b&gt;olga&lt;/b&gt;</td>' in overdue          # the overdue table's owner


def test_without_a_desk_url_nothing_links_out_and_without_a_desk_there_is_no_section(portfolio, templates_dir):
    html = render_index_html(dataclasses.replace(_busy_day(portfolio), desk=attention(_rows())),
                             templates_dir=templates_dir)
    assert 'id="desk-overdue"' in html and "/cases/C-" not in html
    plain = render_index_html(_busy_day(portfolio), templates_dir=templates_dir)
    assert 'id="desk"' not in plain and "Case desk" not in plain
