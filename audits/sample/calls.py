"""The clean CDR background of one day, vectorised.

Clean by construction: every background call is placed by an active, validly trained agent
of an agency with the customer assigned to it, inside 08:00-21:00 callee-local time, to a
number that gets no other call that day (pools are disjoint and sampled without
replacement), so no daily cap, rolling cap or rapid redial can fire. Marketing numbers must
hold consent on the day and rest for 7 days after a conversation (day of the conversation =
day 1); a number that answered REFUSED in marketing or servicing is never called again for
either. Caller numbers are rotated evenly (<= 150 calls each, see assemble.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audits.models import CONVERSATION_OUTCOMES
from audits.sample.agencies import CUSTOMER_TZ, Plan, day_midnight_ms, zone_offset_s
from audits.sample.notes import fill_notes
from audits.sample.reference import PURPOSE_CODES, Pool, Roster

DISPOSITIONS = ("ANSWERED", "NO_ANSWER", "BUSY", "REJECTED", "VOICEMAIL", "FAILED")
DISP_P = {"marketing": (0.33, 0.30, 0.08, 0.12, 0.12, 0.05),
          "servicing": (0.40, 0.28, 0.07, 0.08, 0.13, 0.04),
          "collection": (0.35, 0.30, 0.08, 0.12, 0.10, 0.05)}
OUTCOMES = ("RIGHT_PARTY", "WRONG_PARTY", "REFUSED", "COMPLAINT")
OUTCOME_P = {"marketing": (0.76, 0.14, 0.07, 0.03), "servicing": (0.85, 0.10, 0.03, 0.02),
             "collection": (0.74, 0.16, 0.05, 0.05)}
# Relative call volume per hour 08..20 (callee-local): busy mornings and evenings.
HOUR_WEIGHTS = np.array([0.6, 1.2, 1.3, 1.1, 0.5, 0.6, 0.9, 0.9, 0.85, 0.8, 1.0, 1.2, 0.9])
CALLEE_ZONES = ("Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong", "Asia/Taipei")
CALLEE_ZONE_P = (0.6, 0.15, 0.15, 0.1)
N_STYLES = 9
MINUTE_STYLES = (2,)
MS_STYLES = (3, 8)
SECOND_STYLES = (0, 1, 4, 5, 6, 7)          # the styles plants use: exact whole seconds

COLUMNS = ("agency", "campaign", "callee", "callee_tz", "agent", "caller", "start_ms", "answer_ms",
           "end_ms", "disp", "outcome", "notes", "style", "kind", "rules", "dq", "override")


def background_day(plan: Plan, pools: dict[str, Pool], roster: Roster, day: int,
                   counts: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """counts: (agencies, 3) calls to place per purpose. Updates the pools' state."""
    picked, purposes = [], []
    for a in plan.agencies:
        for j, purpose in enumerate(PURPOSE_CODES):
            want = int(counts[a.idx, j])
            if want <= 0:
                continue
            eligible = pools[purpose].eligible(a.idx, day)
            take = rng.choice(eligible, size=min(want, eligible.size), replace=False)
            picked.append(np.sort(take))
            purposes.append(np.full(take.size, j, dtype=np.int8))
    if not picked:
        return empty_frame()
    index = np.concatenate(picked)
    pcode = np.concatenate(purposes)
    n = index.size
    number = np.empty(n, dtype=np.int64)
    agency = np.empty(n, dtype=np.int64)
    campaign = np.empty(n, dtype=object)
    for j, purpose in enumerate(PURPOSE_CODES):
        rows = pcode == j
        pool = pools[purpose]
        number[rows] = pool.number[index[rows]]
        agency[rows] = pool.agency[index[rows]]
        campaign[rows] = pool.campaign[index[rows]]
    purpose = np.asarray(PURPOSE_CODES, dtype=object)[pcode]

    disp = np.empty(n, dtype=object)
    outcome = np.full(n, "", dtype=object)
    for p in PURPOSE_CODES:
        rows = np.flatnonzero(purpose == p)
        disp[rows] = np.asarray(DISPOSITIONS, dtype=object)[rng.choice(6, rows.size, p=DISP_P[p])]
        answered = rows[disp[rows] == "ANSWERED"]
        outcome[answered] = np.asarray(OUTCOMES, dtype=object)[rng.choice(4, answered.size, p=OUTCOME_P[p])]

    date = plan.date(day)
    has_tz = np.array([a.has_callee_tz for a in plan.agencies])[agency]
    callee_tz = np.full(n, "", dtype=object)
    with_tz = has_tz & (rng.random(n) < 0.03)
    callee_tz[with_tz] = np.asarray(CALLEE_ZONES, dtype=object)[
        rng.choice(len(CALLEE_ZONES), int(with_tz.sum()), p=CALLEE_ZONE_P)]
    zone = np.full(n, CUSTOMER_TZ, dtype=object)          # hours in the customers' zone, whatever callee_tz says
    midnight = np.zeros(n, dtype=np.int64)
    for z in np.unique(zone):
        midnight[zone == z] = day_midnight_ms(date, zone_offset_s(z, date))
    hour = 8 + rng.choice(HOUR_WEIGHTS.size, n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    start = midnight + (hour * 3600 + rng.integers(0, 3600, n)) * 1000

    primary = np.array([a.ts_primary for a in plan.agencies])[agency]
    style = np.where(rng.random(n) < 0.75, primary, rng.integers(0, N_STYLES, n)).astype(np.int8)
    frame = pd.DataFrame({
        "agency": agency, "campaign": campaign, "callee": number, "callee_tz": callee_tz,
        "agent": _agents(plan, roster, day, agency, rng), "caller": "", "start_ms": start,
        "disp": disp, "outcome": outcome, "style": style})
    frame = add_times(frame, purpose, rng)
    products = np.array([plan.campaigns[c][1] for c in campaign], dtype=object) if n else campaign
    frame["notes"] = fill_notes(purpose, disp, outcome, products, number, date, rng)
    frame["kind"], frame["rules"], frame["dq"], frame["override"] = "bg", [()] * n, "", None
    _update_pools(pools, pcode, index, disp, outcome, day)
    return frame[list(COLUMNS)]


def _agents(plan: Plan, roster: Roster, day: int, agency: np.ndarray,
            rng: np.random.Generator) -> np.ndarray:
    out = np.empty(agency.size, dtype=object)
    for a in plan.agencies:
        rows = np.flatnonzero(agency == a.idx)
        if rows.size:
            ids = roster.eligible(a.idx, day)
            if ids.size == 0:
                raise RuntimeError(f"no trained active agent for {a.agency_id} on day {day}")
            out[rows] = ids[rng.integers(0, ids.size, rows.size)]
    return out


def add_times(frame: pd.DataFrame, purpose: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """answer_ms/end_ms from start_ms and disposition; then precision by style."""
    n = len(frame)
    disp = frame["disp"].to_numpy(dtype=object)
    answered = disp == "ANSWERED"
    ring = np.select(
        [answered, disp == "NO_ANSWER", disp == "BUSY", disp == "REJECTED", disp == "VOICEMAIL"],
        [rng.integers(3, 26, n), rng.integers(25, 61, n), rng.integers(2, 9, n), rng.integers(3, 21, n),
         rng.integers(30, 91, n)], rng.integers(0, 4, n))
    median = np.select([purpose == "marketing", purpose == "servicing"], [80.0, 120.0], 160.0)
    talk = np.clip(np.round(median * rng.lognormal(0.0, 0.7, n)), 8, 1800).astype(np.int64)
    style = frame["style"].to_numpy()
    fraction = np.isin(style, MS_STYLES)
    start = frame["start_ms"].to_numpy(dtype=np.int64) + np.where(fraction, rng.integers(0, 1000, n), 0)
    answer = np.where(answered, start + ring * 1000 + np.where(fraction, rng.integers(0, 1000, n), 0), -1)
    end = np.where(answered, answer + talk * 1000, start + ring * 1000) + np.where(
        fraction, rng.integers(0, 1000, n), 0)
    minute = np.isin(style, MINUTE_STYLES)
    start, end = np.where(minute, start // 60_000 * 60_000, start), np.where(minute, end // 60_000 * 60_000, end)
    answer = np.where(minute & answered, answer // 60_000 * 60_000, answer)
    frame["start_ms"], frame["answer_ms"], frame["end_ms"] = start, answer, end
    return frame


def _update_pools(pools: dict[str, Pool], pcode: np.ndarray, index: np.ndarray, disp: np.ndarray,
                  outcome: np.ndarray, day: int) -> None:
    conversation = (disp == "ANSWERED") & np.isin(outcome, list(CONVERSATION_OUTCOMES))
    refused = outcome == "REFUSED"
    market = pcode == 0
    pools["marketing"].blocked_until[index[market & conversation]] = day + 7
    for j, purpose in ((0, "marketing"), (1, "servicing")):
        pools[purpose].retired[index[(pcode == j) & refused]] = True


def empty_frame() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
