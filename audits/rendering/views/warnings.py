"""EarlyWarnings -> the presentation-ready rows of the "Early warnings" sections (portfolio
and scorecards) and sheets: labels, values in their unit, links.

One event is one agency, or one agent, abnormal on the day: its warnings (several metrics, each
against its own history and, for an agent, the agency's other agents) make one row that names
the metrics and both baselines, with a sentence in plain words. The z of each comparison is
shown beside it; its formula is a footnote of the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from audits.models import EarlyWarning, agency_file_stem
from audits.rendering.formatting import DASH

METRIC_LABELS = {
    "attempts": "Attempts",
    "numbers": "Numbers dialled",
    "intensity": "Attempts per number",
    "unassigned_share": "Unassigned share",
    "off_hours_share": "Off-hours share",
    "short_answer_share": "Short answers",
    "refusal_rate": "Refusal rate",
    "new_numbers_share": "New numbers",
    "opt_out_rate": "Opt-out rate (texts)",
}
BASIS_LABELS = {"history": "own history", "peers": "agency's other agents"}
COUNTED_METRICS = ("attempts", "numbers")      # counts; the others are ratios or shares
Z_FOOTNOTE = ("z = (value \u2212 median) / max(1.4826 \u00d7 MAD, floor), against the entity's own earlier days "
              "(\u201cusually\u201d) or, for an agent, the agency's other agents that day; a warning is z at least "
              "the rulepack's threshold.")


@dataclass(frozen=True)
class MetricLine:
    metric: str              # label
    value: str               # in the metric's unit: 1,240 / 1.85 / 31.2%
    history: str             # median of its own earlier days, "—" when not compared
    peers: str               # median of the agency's other agents that day, "—" when not compared
    history_z: str           # "9.4", "" when not compared
    peers_z: str


@dataclass(frozen=True)
class WarningEvent:
    level: str               # "Agency" | "Agent"
    agency_id: str
    agent_id: str            # "" for an agency
    who: str                 # "Agency AG03" / "Agent E0032 of AG02"
    metrics: str             # "Attempts and numbers dialled"
    lines: tuple[MetricLine, ...]
    sentence: str            # the event in plain words, without z
    z: str                   # the highest z of the event
    agency_href: str         # the agency's scorecard, from the portfolio


def metric_label(metric: str) -> str:
    return METRIC_LABELS.get(metric, metric)


def shown(metric: str, text: str) -> str:
    """A value of warnings.csv in its metric's unit."""
    try:
        value = float(text)
    except ValueError:
        return text
    if metric in COUNTED_METRICS:
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"
    if metric == "intensity":
        return f"{value:.2f}"
    return f"{value * 100:.1f}%"


def warning_events(warnings: tuple[EarlyWarning, ...]) -> tuple[WarningEvent, ...]:
    """One event per agency or agent (in the order the warnings come: agencies first, then agents,
    by z), its metrics in order of their highest z."""
    grouped: dict[tuple[str, str, str], list[EarlyWarning]] = {}
    for w in warnings:
        grouped.setdefault((w.level, w.agency_id, w.agent_id), []).append(w)
    return tuple(_event(items) for items in grouped.values())


def _event(items: list[EarlyWarning]) -> WarningEvent:
    first = items[0]
    metrics: dict[str, dict[str, EarlyWarning]] = {}
    for w in sorted(items, key=lambda w: -w.z):
        metrics.setdefault(w.metric, {})[w.basis] = w
    lines = tuple(_line(metric, by_basis) for metric, by_basis in metrics.items())
    agency = first.level == "agency"
    who = f"Agency {first.agency_id}" if agency else f"Agent {first.agent_id} of {first.agency_id}"
    labels = [line.metric.lower() for line in lines]
    named = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    parts = []
    for line in lines:
        usual = [f"usually {line.history}"] if line.history != DASH else []
        usual += [f"the agency's other agents {line.peers}"] if line.peers != DASH else []
        parts.append(f"{line.metric.lower()} {line.value} ({'; '.join(usual)})")
    return WarningEvent(
        level="Agency" if agency else "Agent", agency_id=first.agency_id, agent_id=first.agent_id, who=who,
        metrics=named[:1].upper() + named[1:], lines=lines,
        sentence=f"{who}: unusually high " + " and ".join(parts) + ".",
        z=f"{max(w.z for w in items):.1f}", agency_href=f"agencies/{agency_file_stem(first.agency_id)}.html")


def _line(metric: str, by_basis: dict[str, EarlyWarning]) -> MetricLine:
    any_one = next(iter(by_basis.values()))
    history, peers = by_basis.get("history"), by_basis.get("peers")
    return MetricLine(
        metric=metric_label(metric), value=shown(metric, any_one.value),
        history=shown(metric, history.baseline) if history else DASH,
        peers=shown(metric, peers.baseline) if peers else DASH,
        history_z=f"{history.z:.1f}" if history else "", peers_z=f"{peers.z:.1f}" if peers else "")
