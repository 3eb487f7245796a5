"""Early warnings of one day (signals.md §2): each entity's metrics against its own baseline of
earlier days (basis `history`) and each agent's against its agency's other agents the same day
(basis `peers`), by a robust z:

    z = (x - m) / max(1.4826 * s, floor_metric)       m: median, s: MAD (median absolute deviation)

A warning is raised when z >= warnings.z and the entity had at least min_attempts attempts on
the day. Decisions where signals.md is silent:
- A rate whose denominator (conversations, answered calls, ...) is below its
  `warnings.min_denominators` is undefined that day: not judged, not a baseline day, not a peer.
- Only the high side warns: more of every metric (volume, redials, unassigned or off-hours
  calls, short answers, refusals, new numbers) is the risk; a drop is an operational matter.
- The baseline is the previous `baseline_days` calendar days (D-28..D-1), of them the days on
  which the entity had at least min_attempts attempts and the metric was defined; a day is
  not looked for further back (an entity dormant for a month gets a fresh baseline).
- Peers are the agency's other agents with at least min_attempts attempts and the metric
  defined that day; the agent itself is left out of its peers' median and MAD.
- An entity and metric may warn on both bases: two rows, `basis` telling them apart (sorted
  by agency_id, level, agent_id, metric, then basis).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from audits.config import WarningSettings
from audits.models import WARNING_COLUMNS, WARNING_METRICS
from audits.signals.metrics import AGENCY, AGENT, ENTITY_COLUMNS, activity, metric_values
from audits.signals.robust import leave_one_out, row_median_mad

MAD_SCALE = 1.4826                   # MAD of a normal distribution -> its standard deviation
HISTORY, PEERS = "history", "peers"
COUNTED = ("attempts", "numbers")    # whole-number metrics; intensity is a ratio, the rest shares


def day_warnings(day: dt.date, today: pd.DataFrame, history: list[tuple[dt.date, pd.DataFrame]],
                 settings: WarningSettings, *, short_answer_seconds: float | None = None) -> pd.DataFrame:
    """warnings.csv rows (WARNING_COLUMNS, text) for the day's counts `today` (metrics.day_counts'
    frame) against `history`: (day, counts) of earlier days, each counts frame holding NaN in a
    metric that is not comparable with today's (metric_values of it taken as they are)."""
    today = today.reset_index(drop=True)
    values = metric_values(today, settings.min_denominators)
    judged = {metric: activity(today, metric) >= settings.min_attempts for metric in WARNING_METRICS}
    rows = []
    baseline = _history_baseline(today, history, settings, day)
    peers = _peers(today, values, judged, settings)
    for basis, (median, mad, count, enough) in ((HISTORY, baseline), (PEERS, peers)):
        for metric in WARNING_METRICS:
            x = values[metric].to_numpy()
            m, s, k, ok = median[metric], mad[metric], count[metric], enough[metric]
            with np.errstate(invalid="ignore"):
                z = (x - m) / np.maximum(MAD_SCALE * s, settings.floors[metric])
                hit = judged[metric] & ok & ~np.isnan(x) & (z >= settings.z)
            for at in np.flatnonzero(hit):
                rows.append(_row(day, today.iloc[at], metric, x[at], m[at], z[at], basis, int(k[at]),
                                 settings, short_answer_seconds))
    if not rows:
        return pd.DataFrame({c: pd.Series([], dtype="str") for c in WARNING_COLUMNS})
    frame = pd.DataFrame(rows, columns=[*WARNING_COLUMNS, "_z"])
    frame = frame.sort_values(["agency_id", "level", "agent_id", "metric", "basis"], kind="stable")
    return frame[list(WARNING_COLUMNS)].reset_index(drop=True)


def _history_baseline(today: pd.DataFrame, history: list[tuple[dt.date, pd.DataFrame]], settings: WarningSettings,
                      day: dt.date):
    """Per metric: median, MAD and number of the entity's baseline days, and whether enough."""
    earliest = day - dt.timedelta(days=settings.baseline_days)
    usable = [counts.assign(_day=column) for column, (_, counts) in
              enumerate((d, c) for d, c in history if earliest <= d < day)]
    cube = np.full((len(WARNING_METRICS), len(today), len(usable)), np.nan)
    if usable:                                           # every earlier day's rows at once: one join
        earlier = pd.concat(usable, ignore_index=True)
        keys = pd.MultiIndex.from_frame(today[list(ENTITY_COLUMNS)])
        row = keys.get_indexer(pd.MultiIndex.from_frame(earlier[list(ENTITY_COLUMNS)]))
        found = row >= 0
        values = metric_values(earlier, settings.min_denominators)
        column = earlier["_day"].to_numpy()[found]
        for k, metric in enumerate(WARNING_METRICS):
            active = activity(earlier, metric) >= settings.min_attempts
            cube[k, row[found], column] = np.where(active, values[metric].to_numpy(), np.nan)[found]
    out = ({}, {}, {}, {})
    for k, metric in enumerate(WARNING_METRICS):
        median, mad, count = row_median_mad(cube[k])
        out[0][metric], out[1][metric], out[2][metric] = median, mad, count
        out[3][metric] = count >= settings.min_baseline_days
    return out


def _peers(today: pd.DataFrame, values: pd.DataFrame, judged: dict[str, np.ndarray], settings: WarningSettings):
    """Per metric: each agent's peers' (the agency's other judged agents) median, MAD and number,
    and whether enough; agencies have no peers."""
    n = len(today)
    agent = (today["level"] == AGENT).to_numpy()
    agency_code = pd.factorize(today["agency_id"])[0]
    out = ({}, {}, {}, {})
    for metric in WARNING_METRICS:
        x = values[metric].to_numpy()
        member = agent & judged[metric] & ~np.isnan(x)
        median, mad, count = np.full(n, np.nan), np.full(n, np.nan), np.zeros(n, np.int64)
        at = np.flatnonzero(member)
        median[at], mad[at], count[at] = leave_one_out(x[at], agency_code[at])
        out[0][metric], out[1][metric], out[2][metric] = median, mad, count
        out[3][metric] = member & (count >= settings.min_peers)
    return out


# --- warnings.csv rows ---------------------------------------------------------------------

_WHAT = {
    "attempts": "made {x} attempts",
    "numbers": "dialled {x} numbers",
    "intensity": "made {x} attempts per number",
    "unassigned_share": "made {x} of {its} attempts to numbers not assigned to {agency}",
    "off_hours_share": "placed {x} of {its} calls outside the permitted calling hours",
    "short_answer_share": "ended {x} of {its} answered calls less than {seconds} s after the answer",
    "refusal_rate": "heard a refusal in {x} of {its} conversations",
    "new_numbers_share": "dialled {x} numbers new to {agency} (not attempted in the previous {days} days)",
    "opt_out_rate": "received opt-outs for {x} of {its} SMS attempts",
}


def _row(day: dt.date, entity: pd.Series, metric: str, x: float, m: float, z: float, basis: str, count: int,
         settings: WarningSettings, short_answer_seconds: float | None) -> list:
    agency = entity["level"] == AGENCY
    subject = f"Agency {entity['agency_id']}" if agency else f"Agent {entity['agent_id']}"
    what = _WHAT[metric].format(
        x=_shown(metric, x), its="its", agency="it" if agency else "the agency",
        seconds=f"{(short_answer_seconds or settings.short_answer_seconds):g}", days=settings.new_numbers_days)
    if basis == PEERS:
        reference = f"the agency's median of {_shown(metric, m)}"
    else:
        reference = f"its median of {_shown(metric, m)} over {count} earlier days"
    if metric in ("attempts", "numbers", "intensity") and m > 0:
        detail = f"{subject} {what}, {x / m:.1f}\u00d7 {reference} (z {z:.1f})."
    else:
        detail = f"{subject} {what}, against {reference} (z {z:.1f})."
    return [day.isoformat(), entity["level"], entity["agency_id"], entity["agent_id"], metric, _written(x), _written(m),
            f"{z:.2f}", basis, detail, z]


def _shown(metric: str, value: float) -> str:
    """A metric's value as a sentence shows it: 1,240 / 203.5 / 1.85 / 31.2%."""
    if metric in COUNTED:
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    if metric == "intensity":
        return f"{value:.2f}"
    return f"{value * 100:.1f}%"


def _written(value: float) -> str:
    """A value as warnings.csv holds it: at most 4 decimals, no trailing zeros (203, 203.5, 0.3125)."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
