"""EarlyWarnings -> the presentation-ready rows of the "Early warnings" sections (portfolio
and scorecards) and sheets: labels, values in their unit, links."""

from __future__ import annotations

from dataclasses import dataclass

from audits.models import EarlyWarning

from .formatting import agency_file_stem

METRIC_LABELS = {
    "attempts": "Attempts",
    "numbers": "Numbers dialled",
    "intensity": "Attempts per number",
    "unassigned_share": "Unassigned share",
    "off_hours_share": "Off-hours share",
    "short_answer_share": "Short answers",
    "refusal_rate": "Refusal rate",
    "new_numbers_share": "New numbers",
}
BASIS_LABELS = {"history": "own history", "peers": "agency's other agents"}
_COUNTED = ("attempts", "numbers")


@dataclass(frozen=True)
class WarningRow:
    level: str               # "Agency" | "Agent"
    agency_id: str
    agent_id: str            # "" for an agency
    metric: str              # label
    value: str               # in the metric's unit: 1,240 / 1.85 / 31.2%
    baseline: str
    z: str
    basis: str               # label
    detail: str
    agency_href: str         # the agency's scorecard, from the portfolio


def metric_label(metric: str) -> str:
    return METRIC_LABELS.get(metric, metric)


def shown(metric: str, text: str) -> str:
    """A value of warnings.csv in its metric's unit."""
    try:
        value = float(text)
    except ValueError:
        return text
    if metric in _COUNTED:
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"
    if metric == "intensity":
        return f"{value:.2f}"
    return f"{value * 100:.1f}%"


def warning_rows(warnings: tuple[EarlyWarning, ...]) -> tuple[WarningRow, ...]:
    """One row per warning, in the order given (agencies first, then agents, by z)."""
    return tuple(WarningRow(
        level="Agency" if w.level == "agency" else "Agent", agency_id=w.agency_id, agent_id=w.agent_id,
        metric=metric_label(w.metric), value=shown(w.metric, w.value), baseline=shown(w.metric, w.baseline),
        z=f"{w.z:.1f}", basis=BASIS_LABELS.get(w.basis, w.basis), detail=w.detail,
        agency_href=f"agencies/{agency_file_stem(w.agency_id)}.html") for w in warnings)
