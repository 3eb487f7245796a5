"""The complaint rate (signals.md §1) as the pages show it: a panel on each scorecard and a
table on the portfolio, each with the rate's daily trend as a small inline SVG. Everything is
decided here; templates/_complaints.html only prints it."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from markupsafe import Markup, escape

from audits.models import ComplaintRate, Portfolio, Scorecard, agency_file_stem
from audits.rendering.formatting import DASH, MINUS, fmt_int, lang_of

SPARK_W, SPARK_H = 160, 36
_LINE = "#1f4e79"
_MUTED = "#6b7785"


@dataclass(frozen=True)
class ComplaintsPanel:
    """One agency's complaint indicator."""

    complaints: str            # "3"
    regulator: str             # "1 through the regulator" or ""
    numbers: str               # "12,480"
    rate: str                  # "2.40" or "—"
    window: str                # "30 days"
    change: str                # "+0.80 since 2026-11-20" or ""
    change_css: str
    trend_svg: Markup
    note: str


@dataclass(frozen=True)
class ComplaintRow:
    agency_id: str
    agency_name: str
    name_lang: str
    html_href: str
    complaints: str
    regulator: str
    numbers: str
    rate: str
    change: str
    change_css: str
    trend_svg: Markup


def complaints_panel(card: Scorecard) -> ComplaintsPanel | None:
    """The scorecard's complaint panel (None when the report carries no complaint rate)."""
    indicator = card.complaints
    if indicator is None:
        return None
    change, css = _change(indicator)
    return ComplaintsPanel(
        complaints=fmt_int(indicator.complaints),
        regulator=(f"{fmt_int(indicator.regulator)} through the regulator" if indicator.regulator else ""),
        numbers=fmt_int(indicator.numbers), rate=_rate(indicator.rate_per_10k),
        window=f"{indicator.window_days} days", change=change, change_css=css,
        trend_svg=rate_sparkline(indicator.trend, f"complaint-trend-{agency_file_stem(card.agency_id)}"),
        note=(f"Complaints linked to the agency (by a call to the customer's number in the look-back window, or "
              f"named by the customer) received in the last {indicator.window_days} days, per 10,000 distinct "
              f"numbers it attempted in those days. An indicator beside the score, not part of it."))


def complaint_rows(portfolio: Portfolio) -> tuple[ComplaintRow, ...]:
    """The portfolio's complaint table: agencies with a complaint in the window, highest rate
    first (an agency without numbers attempted last), then agency id."""
    cards = [c for c in portfolio.scorecards if c.complaints is not None and c.complaints.complaints]
    cards.sort(key=lambda c: (c.complaints.rate_per_10k is None, -(c.complaints.rate_per_10k or 0.0), c.agency_id))
    rows = []
    for card in cards:
        indicator = card.complaints
        change, css = _change(indicator)
        rows.append(ComplaintRow(
            agency_id=card.agency_id, agency_name=card.agency_name, name_lang=lang_of(card.agency_name),
            html_href=f"agencies/{agency_file_stem(card.agency_id)}.html",
            complaints=fmt_int(indicator.complaints), regulator=fmt_int(indicator.regulator),
            numbers=fmt_int(indicator.numbers), rate=_rate(indicator.rate_per_10k), change=change, change_css=css,
            trend_svg=rate_sparkline(indicator.trend, f"complaint-trend-{agency_file_stem(card.agency_id)}")))
    return tuple(rows)


def _rate(value: float | None) -> str:
    return DASH if value is None or not math.isfinite(value) else f"{value:.2f}"


def _change(indicator: ComplaintRate) -> tuple[str, str]:
    """The rate's change since the first day of its trend whose window was full ("" when none);
    while today's window still fills, how many of its days the reports cover (rates over a
    few days are not compared with rates over the whole window)."""
    window, history = indicator.window_days, indicator.history_days
    if history is not None and history < window:
        return f"window filling ({history} of {window} days)", "change-none"
    today = dt.date.fromisoformat(indicator.trend[-1][0]) if indicator.trend else None
    known = [(day, rate) for day, rate in indicator.trend if rate is not None
             and (history is None or history - (today - dt.date.fromisoformat(day)).days >= window)]
    if len(known) < 2 or indicator.rate_per_10k is None:
        return "", "change-none"
    first_day, first = known[0]
    delta = indicator.rate_per_10k - first
    if abs(delta) < 0.005:
        return f"unchanged since {first_day}", "change-flat"
    sign = "+" if delta > 0 else MINUS
    # more complaints per number is worse: up is shown as bad
    return f"{sign}{abs(delta):.2f} since {first_day}", "change-down" if delta > 0 else "change-up"


def rate_sparkline(trend: tuple[tuple[str, float | None], ...], chart_id: str) -> Markup:
    """A small line of the rate over the trend's days (gaps where a day has no rate)."""
    known = [(i, rate) for i, (_, rate) in enumerate(trend) if rate is not None and math.isfinite(rate)]
    label = (f"Complaint rate per 10,000 numbers, {trend[0][0]} to {trend[-1][0]}" if trend
             else "Complaint rate: no history yet")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="spark" id="{escape(chart_id)}" '
           f'viewBox="0 0 {SPARK_W} {SPARK_H}" width="{SPARK_W}" height="{SPARK_H}" role="img" '
           f'aria-label="{escape(label)}">', f"<title>{escape(label)}</title>"]
    if not known:
        out.append(f'<text x="0" y="{SPARK_H / 2 + 4:.1f}" font-size="11" fill="{_MUTED}">no rate yet</text></svg>')
        return Markup("".join(out))
    peak = max(rate for _, rate in known) or 1.0
    span = max(len(trend) - 1, 1)

    def point(i: int, rate: float) -> tuple[float, float]:
        return 3 + (SPARK_W - 6) * (i / span if len(trend) > 1 else 0.5), SPARK_H - 4 - (SPARK_H - 8) * rate / peak

    segment: list[str] = []
    previous = None
    for i, rate in known:
        if previous is not None and i - previous > 1 and segment:
            out.append(_polyline(segment))
            segment = []
        x, y = point(i, rate)
        segment.append(f"{x:.1f},{y:.1f}")
        previous = i
    out.append(_polyline(segment))
    x, y = point(*known[-1])
    out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{_LINE}"/></svg>')
    return Markup("".join(out))


def _polyline(points: list[str]) -> str:
    if len(points) < 2:
        return ""
    return f'<polyline points="{" ".join(points)}" fill="none" stroke="{_LINE}" stroke-width="1.5"/>'
