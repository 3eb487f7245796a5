"""The dialler: whom an agency calls on a day, when, and how each call ends; what it remembers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audits.config import Rulepack
from audits.models import CONVERSATION_OUTCOMES, DISPOSITIONS, OUTCOMES
from benchmarks.landing.plan import PURPOSES, Agency, apportion

EXTRA_CALLS = np.array([0.35, 0.5, 1.2])             # Poisson mean of a customer-day's calls after the first
KEEP_AFTER_CONVERSATION = np.array([0.03, 0.03, 0.10])
LEAK, QUICK_REDIAL, EARLY, LATE = 0.01, 0.04, 0.002, 0.001
DISP_P = np.array([[0.28, 0.32, 0.08, 0.15, 0.12, 0.05],     # by purpose, in DISPOSITIONS order
                   [0.42, 0.27, 0.07, 0.08, 0.12, 0.04],
                   [0.36, 0.30, 0.08, 0.12, 0.09, 0.05]])
OUTCOME_P = np.array([[0.74, 0.12, 0.11, 0.03], [0.86, 0.09, 0.03, 0.02], [0.74, 0.16, 0.05, 0.05]])
HOUR_P = np.array([0.6, 1.2, 1.3, 1.1, 0.5, 0.6, 0.9, 0.9, 0.85, 0.8, 1.0, 1.2, 0.9])  # over the window
ZONE_SHIFT_S = np.array([0, 0, 7200])                 # by CALLEE_ZONES: Urumqi clocks are 2 h behind


@dataclass
class State:
    """What the dialer remembers of an agency's customers from one day to the next."""

    attempts: np.ndarray        # (customers, window days) int8: attempts per day, ring indexed by day % window
    blocked_until: np.ndarray   # first day the customer may be called again after a conversation
    refused: np.ndarray


def dial_day(agency: Agency, state: State, traits: dict, d: int, volume: int, pack: Rulepack,
             rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """The agency's `volume` calls of day d in start order: (customer, start second of the local day,
    disposition, outcome or -1, purpose); the state is carried on to the next day."""
    slot = d % state.attempts.shape[1]
    state.attempts[:, slot] = 0
    history = state.attempts.sum(axis=1, dtype=np.int16)       # attempts on the previous window-1 days
    parts = [_dial(c, agency, traits, state, history, d, int(target), pack, rng)
             for c, target in enumerate(apportion(volume, agency.shares))]
    cust, start_s, disp, outcome = (np.concatenate(x) for x in zip(*parts))
    purpose = traits["purpose"][cust]
    attempt = np.isin(disp, [DISPOSITIONS.index(x) for x in pack.attempt_dispositions])
    state.attempts[:, slot] = np.minimum(np.bincount(cust, weights=attempt, minlength=agency.customers), 127)
    talked = (disp == 0) & np.isin(outcome, [OUTCOMES.index(x) for x in CONVERSATION_OUTCOMES])
    for name, rest in pack.cooling_off_days.items():
        state.blocked_until[cust[talked & (purpose == PURPOSES.index(name))]] = d + rest
    refusing = [PURPOSES.index(name) for name in pack.refusal_applies_to]
    state.refused[cust[(outcome == OUTCOMES.index("REFUSED")) & np.isin(purpose, refusing)]] = True

    order = np.argsort(start_s, kind="stable")
    return cust[order], start_s[order], disp[order], outcome[order], purpose[order]


def _dial(c: int, agency: Agency, traits: dict, state: State, history: np.ndarray, d: int, target: int,
          pack: Rulepack, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Exactly `target` calls of campaign c: (customer, start second of the local day, disposition,
    outcome or -1). The dialer skips customers it must not call, except for a few (LEAK)."""
    lo, hi = int(agency.bounds[c]), int(agency.bounds[c + 1])
    p = int(agency.purposes[c])
    name = PURPOSES[p]
    daily, rolling = pack.daily_cap[name], pack.rolling_cap[name]
    ok = ~state.refused[lo:hi] & (state.blocked_until[lo:hi] <= d) & (history[lo:hi] < rolling)
    if p == 0:
        ok &= (traits["consent_day"][lo:hi] < d) & (d <= traits["withdraw_day"][lo:hi])
    candidates = np.flatnonzero(ok | (rng.random(hi - lo) < LEAK)) + lo
    keys = rng.exponential(size=candidates.size) / traits["weight"][candidates]
    ranked = candidates[np.argsort(keys, kind="stable")]
    size = min(ranked.size, int(target / (1 + EXTRA_CALLS[p]) * 1.3) + 16)
    while True:
        chosen = ranked[:size]
        rows = _calls_to(chosen, p, ok[chosen - lo], history, daily, rolling, traits, pack, rng)
        if rows[0].size >= target or size == ranked.size:
            break
        size = min(ranked.size, 2 * size)
    rows = tuple(x[:target] for x in rows)
    short = target - rows[0].size
    if short > 0:                                      # a tiny or exhausted pool: one more call to anyone
        extra = rng.integers(lo, hi, short)
        opens, closes = _window(pack, name, traits["zone"][extra])
        disp = _draw(DISP_P[p], short, rng)
        outcome = np.where(disp == 0, _draw(OUTCOME_P[p], short, rng), -1)
        rows = tuple(np.concatenate(x) for x in zip(rows, (extra, opens + rng.random(short) * (closes - opens),
                                                          disp, outcome)))
    return rows


def _calls_to(chosen: np.ndarray, p: int, compliant: np.ndarray, history: np.ndarray, daily: int, rolling: int,
              traits: dict, pack: Rulepack, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """The chosen customers' calls, in their order; calls after a conversation mostly dropped."""
    m = chosen.size
    k = 1 + rng.poisson(EXTRA_CALLS[p] * traits["weight"][chosen])
    obey = compliant & (rng.random(m) >= LEAK)
    k = np.maximum(1, np.where(obey, np.minimum(k, np.minimum(daily, rolling - history[chosen])), k))
    first = np.cumsum(k) - k
    total = int(k.sum())
    gap = np.where(rng.random(total) < QUICK_REDIAL, rng.uniform(60, 300, total), rng.uniform(1800, 10_800, total))
    gap[first] = 0
    offset = np.cumsum(gap)
    offset -= np.repeat(offset[first], k)
    span = offset[first + k - 1]
    opens, closes = _window(pack, PURPOSES[p], traits["zone"][chosen])
    room = closes - opens
    squeeze = np.where(span > 0.9 * room, 0.9 * room / np.maximum(span, 1), 1.0)
    offset *= np.repeat(squeeze, k)
    span = span * squeeze
    hour = np.searchsorted(np.cumsum(HOUR_P) / HOUR_P.sum(), rng.random(m), side="right")
    begin = opens + (np.minimum(hour, HOUR_P.size - 1) + rng.random(m)) / HOUR_P.size * (room - span)
    begin = np.where(rng.random(m) < EARLY, opens - rng.uniform(60, 1500, m), begin)
    begin = np.where(rng.random(m) < LATE, np.minimum(closes + 600 + rng.uniform(0, 1200, m), 85_000) - span, begin)
    start = np.repeat(begin, k) + offset
    disp = _draw(DISP_P[p], total, rng)
    outcome = np.where(disp == 0, _draw(OUTCOME_P[p], total, rng), -1)
    outcome[(disp == 0) & (rng.random(total) < 0.02)] = -1
    talked = ((disp == 0) & np.isin(outcome, [OUTCOMES.index(x) for x in CONVERSATION_OUTCOMES])).astype(np.int64)
    seen = np.cumsum(talked)
    before = seen - talked - np.repeat(seen[first] - talked[first], k)      # conversations earlier that day
    kept = (before == 0) | (rng.random(total) < KEEP_AFTER_CONVERSATION[p])
    return np.repeat(chosen, k)[kept], start[kept], disp[kept], outcome[kept]


def _window(pack: Rulepack, purpose: str, zone: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The dialer's hours in the agency's local seconds of day: the callee's calling hours, less 10 min."""
    begin, end = pack.calling_hours[purpose]
    shift = ZONE_SHIFT_S[zone]
    return begin * 60 + shift, np.minimum(end * 60 + shift, 23 * 3600) - 600


def _draw(p: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    return np.minimum(np.searchsorted(np.cumsum(p) / p.sum(), rng.random(n), side="right"), p.size - 1)
