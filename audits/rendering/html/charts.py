"""Inline SVG charts, drawn in Python so the HTML needs no script and prints as vectors.

Every text that reaches the SVG goes through `escape`; coordinates are formatted with a fixed
number of decimals so the same input always gives the same bytes.
"""

from __future__ import annotations

import math
from datetime import date

from markupsafe import Markup, escape

from audits.models import TrendPoint

TREND_W, TREND_H = 540, 230
HOURS_W, HOURS_H = 540, 230
_INK = "#1c2733"
_MUTED = "#6b7785"
_GRID = "#e3e8ee"
_LINE = "#1f4e79"
_BAR = "#4a6f93"
_BAR_EMPTY = "#dfe5ec"
_BAND_COLOURS = {"A": "#1e7b4a", "B": "#4f8a3c", "C": "#b7791f", "D": "#c2571a"}


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def _svg_open(chart_id: str, width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{chart_id}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        'font-family="inherit" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def trend_svg(points: tuple[TrendPoint, ...], *,
              bands: tuple[tuple[str, float], ...] = (), title: str = "Overall score, last 30 days") -> Markup:
    """Line of the overall score over (up to) 30 days; a gap for not-assessed or missing days.
    `title`: the chart's accessible title (a review charts its period)."""
    left, right, top, bottom = 34, 46, 14, 30
    plot_w, plot_h = TREND_W - left - right, TREND_H - top - bottom
    points = tuple(p if p.overall is None or math.isfinite(p.overall)
                   else TrendPoint(p.audit_date, None, p.grade) for p in points)
    scored = [p for p in points if p.overall is not None]
    desc = (f"{len(points)} days from {points[0].audit_date} to {points[-1].audit_date}; "
            f"{len(points) - len(scored)} not assessed."
            if points else "No history yet.")
    out = _svg_open("trend", TREND_W, TREND_H, title, desc)
    # zoom to 50..100 when every score is comfortably inside it; the axis says so
    low = 50 if scored and min(p.overall for p in scored) >= 55 else 0  # type: ignore[type-var]
    ticks = range(low, 101, 10) if low else range(0, 101, 25)

    def y_of(score: float) -> float:
        return top + plot_h * (1 - (max(low, min(100.0, score)) - low) / (100 - low))

    # grid and grade bands (labelled in the right margin)
    for tick in ticks:
        y = y_of(tick)
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{_n(y)}" y2="{_n(y)}" '
                   f'stroke="{_GRID}" stroke-width="1"/>')
        out.append(f'<text x="{left - 6}" y="{_n(y + 4)}" text-anchor="end" font-size="11" '
                   f'fill="{_MUTED}">{tick}</text>')
    for grade, floor in bands:
        if floor < low:
            continue
        y = y_of(floor)
        colour = _BAND_COLOURS.get(grade, _MUTED)
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{_n(y)}" y2="{_n(y)}" '
                   f'stroke="{colour}" stroke-width="1" stroke-dasharray="3 4" opacity="0.6"/>')
        out.append(f'<text x="{left + plot_w + 6}" y="{_n(y + 4)}" font-size="10.5" '
                   f'fill="{colour}">{escape(grade)} \u2265 {floor:g}</text>')

    if not points:
        out.append(f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" '
                   f'text-anchor="middle" font-size="13" fill="{_MUTED}">No history yet</text>')
        out.append("</svg>")
        return Markup("\n".join(out))

    # x positions: by calendar day when every date parses, else by position
    days = [_parse_day(p.audit_date) for p in points]
    if all(days) and len(points) > 1:
        first = days[0]
        offsets = [(d - first).days for d in days]  # type: ignore[operator]
    else:
        offsets = list(range(len(points)))
    span = max(max(offsets) - min(offsets), 1)
    base = min(offsets)
    xs = [left + plot_w * ((o - base) / span if len(points) > 1 else 0.5) for o in offsets]

    # line segments, broken at not-assessed points and at missing calendar days
    segments: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    prev_offset: int | None = None
    for point, x, offset in zip(points, xs, offsets, strict=True):
        if point.overall is None:
            if current:
                segments.append(current)
            current, prev_offset = [], None
            continue
        if prev_offset is not None and offset - prev_offset > 1 and current:
            segments.append(current)
            current = []
        current.append((x, y_of(point.overall)))
        prev_offset = offset
    if current:
        segments.append(current)
    for seg in segments:
        if len(seg) > 1:
            path = " ".join(f"{_n(x)},{_n(y)}" for x, y in seg)
            out.append(f'<polyline points="{path}" fill="none" stroke="{_LINE}" '
                       'stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/>')

    # markers
    last = len(points) - 1
    for i, (point, x) in enumerate(zip(points, xs, strict=True)):
        if point.overall is None:
            y = top + plot_h
            out.append(f'<g class="na-day"><title>{escape(point.audit_date)}: not assessed</title>'
                       f'<path d="M{_n(x - 4)},{_n(y - 4)} L{_n(x + 4)},{_n(y + 4)} '
                       f'M{_n(x - 4)},{_n(y + 4)} L{_n(x + 4)},{_n(y - 4)}" '
                       f'stroke="{_MUTED}" stroke-width="1.5"/></g>')
            continue
        radius = "4" if i == last else "2.5"
        label = f"{point.audit_date}: {point.overall:.1f} (grade {point.grade})"
        out.append(f'<g><title>{escape(label)}</title><circle cx="{_n(x)}" '
                   f'cy="{_n(y_of(point.overall))}" r="{radius}" fill="{_LINE}" '
                   'stroke="#ffffff" stroke-width="1"/></g>')
    if points[last].overall is not None:
        x, y = xs[last], y_of(points[last].overall)  # type: ignore[arg-type]
        anchor = "end" if x > left + plot_w - 40 else "start"
        dx = -8 if anchor == "end" else 8
        out.append(f'<text x="{_n(x + dx)}" y="{_n(y - 8)}" text-anchor="{anchor}" '
                   f'font-size="12" font-weight="600" fill="{_INK}">'
                   f'{points[last].overall:.1f}</text>')

    # x labels: first, last and every 7th day in between
    label_idx = sorted({0, last, *range(0, last, 7)})
    for i in label_idx:
        if i != last and i != 0 and xs[last] - xs[i] < 40:
            continue
        text = points[i].audit_date[5:] if len(points[i].audit_date) == 10 else points[i].audit_date
        out.append(f'<text x="{_n(xs[i])}" y="{TREND_H - bottom + 18}" text-anchor="middle" '
                   f'font-size="11" fill="{_MUTED}">{escape(text)}</text>')
    out.append("</svg>")
    return Markup("\n".join(out))


def hours_svg(counts: tuple[int, ...]) -> Markup:
    """24 bars: findings by the bank's local hour of the call's start time."""
    left, right, top, bottom = 34, 10, 18, 30
    plot_w, plot_h = HOURS_W - left - right, HOURS_H - top - bottom
    values = list(counts[:24]) + [0] * max(0, 24 - len(counts))
    total = sum(values)
    peak = max(values) if values else 0
    scale_max = _nice_max(peak)
    desc = (f"{total} findings; most in hour {values.index(peak):02d} ({peak})."
            if total else "No findings on this day.")
    out = _svg_open("hours", HOURS_W, HOURS_H, "Findings by hour of day", desc)
    for frac in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - frac)
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{_n(y)}" y2="{_n(y)}" '
                   f'stroke="{_GRID}" stroke-width="1"/>')
        out.append(f'<text x="{left - 6}" y="{_n(y + 4)}" text-anchor="end" font-size="11" '
                   f'fill="{_MUTED}">{round(scale_max * frac)}</text>')
    slot = plot_w / 24
    bar_w = slot * 0.72
    for hour, value in enumerate(values):
        x = left + slot * hour + (slot - bar_w) / 2
        height = plot_h * value / scale_max if scale_max else 0.0
        height = max(height, 1.5)
        y = top + plot_h - height
        colour = _BAR if value else _BAR_EMPTY
        noun = "finding" if value == 1 else "findings"
        out.append(f'<g><title>{hour:02d}:00\u2013{hour:02d}:59: {value} {noun}</title>'
                   f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(bar_w)}" height="{_n(height)}" '
                   f'fill="{colour}" rx="1.5"/></g>')
        if value:
            out.append(f'<text x="{_n(x + bar_w / 2)}" y="{_n(y - 4)}" text-anchor="middle" '
                       f'font-size="10" fill="{_INK}">{value}</text>')
        if hour % 3 == 0:
            out.append(f'<text x="{_n(x + bar_w / 2)}" y="{HOURS_H - bottom + 16}" '
                       f'text-anchor="middle" font-size="11" fill="{_MUTED}">{hour:02d}</text>')
    out.append("</svg>")
    return Markup("\n".join(out))


def _nice_max(peak: int) -> int:
    """A round axis maximum at or above the peak whose half is a whole number."""
    if peak <= 0:
        return 2
    magnitude = 10 ** (len(str(peak)) - 1)
    top = -(-peak // magnitude) * magnitude
    return top + 1 if top % 2 else top
