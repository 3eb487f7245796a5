"""The portfolio's first screen answers "what do I do this morning": regulator complaints, new
critical cases grouped by agency and rule (a burst at one agency hides nobody else), overdue
critical cases listed, agencies not assessed and why, early warnings one line each; then the ranking."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser

from audits.models import CaseLine, EarlyWarning, Portfolio, RegulatorComplaint
from audits.rendering import render_index_html
from tests.rendering.test_html import parse


def _case(agency: str, n: int, rule_id: str = "CONF_UNASSIGNED", status: str = "new", *, days_open: int = 1,
          severity: str = "critical", kind: str = "customer", decision: str = "") -> CaseLine:
    return CaseLine(case_id=f"C-{agency}{rule_id[:4]}{n:05d}", rule_id=rule_id, family="confidentiality",
                    severity=severity, subject_kind=kind, subject_display=f"+86 138****{n:04d}", status=status,
                    decision=decision, first_seen="2026-03-14", last_seen="2026-03-14", days_open=days_open,
                    findings_today=1, findings_episode=1, calls_today=1, summary=f"Case {n} of {agency}.")


class _Groups(HTMLParser):
    """The summary text of each <details> group per enclosing section id, and where sections start."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.groups: dict[str, list[str]] = {}
        self.rows_in: dict[str, int] = {}
        self.order: list[str] = []
        self._section: list[str] = []
        self._summary: list[str] | None = None
        self._group = ""
        self._depth: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self._section.append(attrs.get("id") or "")
            self.order.append(attrs.get("id") or "")
        if tag == "details":
            self._group = attrs.get("id", "")
        if tag == "summary":
            self._summary = []
        if tag == "tr" and self._group and self._summary is None:
            self.rows_in[self._group] = self.rows_in.get(self._group, 0) + 1

    def handle_endtag(self, tag):
        if tag == "section":
            self._section.pop()
        if tag == "summary":
            self.groups.setdefault(self._section[-1], []).append(" ".join(" ".join(self._summary).split()))
            self._summary = None
        if tag == "details":
            self._group = ""

    def handle_data(self, data):
        if self._summary is not None:
            self._summary.append(data)


def _groups(html: str) -> _Groups:
    parser = _Groups()
    parser.feed(html)
    return parser


def _busy_day(portfolio) -> Portfolio:
    """AG001: a burst of 750 customers not assigned to it, plus one reopened; AG002: one new PII-in-notes
    case and two overdue critical cases; AG003 (not assessed): an open case it could not check."""
    burst = [_case("AG001", n) for n in range(750)] + [_case("AG001", 9999, status="reopened")]
    ag002 = [_case("AG002", 1, "CONF_PII_IN_NOTES", kind="agent"),
             _case("AG002", 2, "FREQ_AFTER_REFUSAL", "open", days_open=12),
             _case("AG002", 3, "FREQ_AFTER_REFUSAL", "quiet", days_open=9),
             _case("AG002", 4, "FREQ_AFTER_REFUSAL", "open", days_open=20, decision="accepted")]
    burst += [_case("AG001", 20000 + n, status="open", days_open=9 + n % 3) for n in range(10)]   # overdue, collapsed
    ag003 = [_case("AG003", 5, "QUAL_LICENCE_INVALID", "open", days_open=3, severity="major", kind="agency")]
    cases = {"AG001": burst, "AG002": ag002, "AG003": ag003}
    cards = tuple(dataclasses.replace(c, cases=tuple(cases[c.agency_id])) for c in portfolio.scorecards)
    warnings = (
        EarlyWarning("agency", "AG001", "", "unassigned_share", "0.38", "0.004", 41.0, "history",
                     "Agency AG001 made 38.0% of its attempts to numbers not assigned to it (z 41.0)."),
        EarlyWarning("agent", "AG002", "E0032", "attempts", "1240", "203", 9.4, "history", "Agent E0032 ... (z 9.4)."),
        EarlyWarning("agent", "AG002", "E0032", "attempts", "1240", "180", 7.2, "peers", "Agent E0032 ... (z 7.2)."),
        EarlyWarning("agent", "AG002", "E0032", "numbers", "1100", "190", 8.8, "history", "Agent E0032 ... (z 8.8)."),
        EarlyWarning("agent", "AG002", "E0032", "numbers", "1100", "170", 6.5, "peers", "Agent E0032 ... (z 6.5)."),
    )
    regulator = (RegulatorComplaint("CMP-20260314-001", "2026-03-14T09:12:00+08:00", "harassment", "+86 139****0001",
                                    ("AG001", "AG002"), ("C-AG001CONF00001",), "linked"),)
    return dataclasses.replace(portfolio, scorecards=cards, warnings=warnings, regulator_complaints=regulator)


def test_a_burst_at_one_agency_leaves_every_other_agencys_new_critical_groups_on_the_first_screen(portfolio,
                                                                                                templates_dir):
    html = render_index_html(_busy_day(portfolio), templates_dir=templates_dir)
    found = _groups(html)
    new = found.groups["new-critical"]
    assert len(new) == 2
    assert new[0].startswith("AG001") and "CONF_UNASSIGNED" in new[0]
    assert "751 cases 750 new, 1 reopened" in new[0]
    assert new[1].startswith("AG002") and "CONF_PII_IN_NOTES" in new[1]
    assert "1 case 1 new \u00b7 Agent +86 138****0001" in new[1]              # a group of one names its subject
    # the burst's group lists its first 25 cases and counts the rest; the small group is open
    assert found.rows_in["new-AG001-CONF_UNASSIGNED"] == 25 + 1 + 1           # header, 25 cases, "and 726 more"
    assert "and 726 more" in html
    assert 'id="new-AG002-CONF_PII_IN_NOTES">' in html and 'id="new-AG001-CONF_UNASSIGNED">' in html   # one line each
    # overdue critical cases are listed (the accepted one is not), each with its masked subject, days open and an
    # owner column; ten at one agency and rule are one line that opens to them
    listed = html[html.index('id="overdue"'):html.index('id="not-assessed-today"')]
    table = parse(html).ids["overdue-table"]
    assert "AG001" in table and "10 cases 10 open" in table and "up to 11 days" in table
    assert "Customer +86 138****0002 open 12" in table and "Customer +86 138****0003 quiet 9" in table
    assert "C-AG002FREQ00004" not in listed
    assert listed.count('<td class="owner"></td>') == 3                       # the desk assigns none yet
    assert found.groups["overdue"] == ["10 cases 10 open"]                     # only the large group is collapsed
    # the first screen comes before the ranking, in the order the brief gives
    order = [s for s in found.order if s]
    assert order.index("regulator-today") < order.index("new-critical") < order.index("overdue") \
        < order.index("not-assessed-today") < order.index("warnings-today") < order.index("early-warnings")
    assert html.index('id="warnings-today"') < html.index('id="ranking"')


def test_the_first_screen_names_the_regulator_complaint_the_agencies_not_assessed_and_one_line_per_warning(
        portfolio, templates_dir):
    html = render_index_html(_busy_day(portfolio), templates_dir=templates_dir)
    top = html[html.index('id="regulator-today"'):html.index('id="new-critical"')]
    assert "CMP-20260314-001" in top and ">AG001</a>, <a" in top and ">AG002</a>" in top
    missing = html[html.index('id="not-assessed-today"'):html.index('id="warnings-today"')]
    assert "AG003" in missing and "File missing: No file landing/cdr/2026-03-14/AG003.csv although contract K-003 is in " \
        "force on 2026-03-14." in missing
    assert "1 open case could not be checked today" in missing
    start = html.index('id="warnings-today"')
    warnings = html[start:html.index("</section>", start)]
    lines = [line for line in warnings.split("<li>")[1:]]
    assert len(lines) == 2                                       # AG001's event and agent E0032's: one line each
    assert ("Agent E0032 of AG002: unusually high attempts 1,240 (usually 203; the agency&#39;s other agents 180) and "
            "numbers dialled 1,100 (usually 190; the agency&#39;s other agents 170).") in lines[1]
    assert "z 9.4" not in warnings and "(z" not in warnings                  # z is in the table and footnote below
