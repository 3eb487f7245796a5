"""Reference data of the sample: phone numbers, agent rosters, caller IDs, customer pools
(assignments and consents). Days are integers relative to the start date (day 0).

The background draws customers from per-agency, per-purpose *pools*; a number belongs to one
pool only, so bank-wide counting never adds two agencies' background calls together.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from audits.sample.agencies import KIND_SHARES, Plan, day_midnight_ms

OPEN = 10**7          # open end of a validity period (active_to, assigned_to, registered_to)
NEVER = -(10**7)      # blank trained_on
PURPOSE_CODES = ("marketing", "servicing", "collection")
TRAINING_VALID_DAYS = 365
CALLS_PER_AGENT = 150
CALLS_PER_CALLER = 150

MOBILE_PREFIXES = (138, 139, 150, 186, 188, 135, 137, 158, 159, 187)
_MULT = 61_803_399                          # odd and not a multiple of 5: a bijection mod 10**8
LANDLINE_BLOCKS = (("021", "6"), ("010", "6"), ("020", "3"), ("021", "5"), ("0755", "2"))


class Numbers:
    """Unique, valid CN mobile numbers (national significant number as int64)."""

    def __init__(self, rng: np.random.Generator):
        self._next = 0
        self._add = int(rng.integers(10**8))
        self._prefixes = rng.permutation(np.array(MOBILE_PREFIXES, dtype=np.int64))

    def take(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """k fresh numbers and their customer indexes."""
        i = np.arange(self._next, self._next + k, dtype=np.int64)
        self._next += k
        suffix = ((i // len(MOBILE_PREFIXES)) * _MULT + self._add) % 10**8
        return self._prefixes[i % len(MOBILE_PREFIXES)] * 10**8 + suffix, i + 100_000_001

    def one(self) -> tuple[int, int]:
        number, customer = self.take(1)
        return int(number[0]), int(customer[0])


class Landlines:
    """Unique, valid CN fixed-line numbers, national form with trunk prefix ('02161234567')."""

    def __init__(self, rng: np.random.Generator):
        self._next = 0
        self._add = int(rng.integers(10**7))

    def take(self, block: int, k: int) -> list[str]:
        area, first = LANDLINE_BLOCKS[block % len(LANDLINE_BLOCKS)]
        j = np.arange(self._next, self._next + k, dtype=np.int64)
        self._next += k
        local = (j * 7_919_113 + self._add) % 10**7
        return [f"{area}{first}{x:07d}" for x in local.tolist()]


def purpose_volumes(plan: Plan, calls_per_day: int, floor: int = 0) -> np.ndarray:
    """Background calls per day, shape (agencies, 3) in PURPOSE_CODES order. The caller-cap
    host gets at least `floor` calls when the total allows (small samples)."""
    weights = np.array([a.weight for a in plan.agencies])
    per_agency = apportion(calls_per_day, weights)
    host = plan.cap_host
    if host is not None and per_agency[host] < floor <= calls_per_day * 0.8 and len(weights) > 1:
        rest = np.delete(np.arange(len(weights)), host)
        per_agency[host] = floor
        per_agency[rest] = apportion(calls_per_day - floor, weights[rest])
    out = np.zeros((len(plan.agencies), 3), dtype=np.int64)
    for a in plan.agencies:
        shares = agency_shares(plan, a.idx)
        out[a.idx] = apportion(int(per_agency[a.idx]), shares)
    return out


def agency_shares(plan: Plan, idx: int) -> np.ndarray:
    agency = plan.agencies[idx]
    have = {plan.campaigns[c][0] for c in agency.campaigns}
    shares = np.array([KIND_SHARES[agency.kind].get(p, 0.0) if p in have else 0.0 for p in PURPOSE_CODES])
    return shares / shares.sum()


def apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Split an integer total by weights (largest remainder), deterministic."""
    weights = np.asarray(weights, dtype=float)
    exact = total * weights / weights.sum()
    base = np.floor(exact).astype(np.int64)
    rest = int(total - base.sum())
    if rest:
        order = np.lexsort((np.arange(len(exact)), -(exact - base)))
        base[order[:rest]] += 1
    return base


class Roster:
    """Agents per agency: training cohorts every 30 days, departures, a few never trained."""

    def __init__(self, plan: Plan, volumes: np.ndarray, rng: np.random.Generator):
        self.ids: list[list[str]] = []
        self.cols: list[dict[str, list[int]]] = []
        self._eligible: dict[tuple[int, int], np.ndarray] = {}
        self.reserved: set[tuple[int, str]] = set()      # (agency, agent) kept for a plant: never in the background
        for a in plan.agencies:
            needed = math.ceil(volumes[a.idx].sum() / CALLS_PER_AGENT) + 1
            size = math.ceil(needed / 9) + 1
            cohorts = np.arange(-330, plan.days, 30)
            trained = np.repeat(cohorts, size) - rng.integers(0, 6, len(cohorts) * size)
            veteran = rng.random(trained.size) < 0.5
            active_from = np.where(veteran, trained - rng.integers(30, 901, trained.size),
                                   trained + rng.integers(0, 5, trained.size))
            leaves = rng.random(trained.size) < 0.08
            active_to = np.where(leaves, active_from + rng.integers(10, 400, trained.size), OPEN)
            untrained_from = -rng.integers(10, 200, 2)
            self.ids.append([])
            self.cols.append({"active_from": [], "active_to": [], "trained_on": []})
            for f, t, tr in zip(active_from.tolist(), active_to.tolist(), trained.tolist()):
                self.add(a.idx, active_from=f, active_to=t, trained_on=tr)
            for f in untrained_from.tolist():
                self.add(a.idx, active_from=f)

    def add(self, agency: int, *, active_from: int, active_to: int = OPEN, trained_on: int = NEVER,
            agent_id: str | None = None) -> str:
        agent_id = agent_id or f"E{len(self.ids[agency]) + 1:04d}"
        self._eligible.clear()
        self.ids[agency].append(agent_id)
        cols = self.cols[agency]
        cols["active_from"].append(active_from)
        cols["active_to"].append(active_to)
        cols["trained_on"].append(trained_on)
        return agent_id

    def reserve(self, agency: int, agent_id: str) -> None:
        """Keep an agent for a plant: background calls and other plants never use it."""
        self.reserved.add((agency, agent_id))
        self._eligible.clear()

    def eligible(self, agency: int, day: int) -> np.ndarray:
        """Agents who are active and validly trained on the day (the background uses only these)."""
        if (agency, day) in self._eligible:
            return self._eligible[agency, day]
        cols = {k: np.asarray(v) for k, v in self.cols[agency].items()}
        ok = ((cols["active_from"] <= day) & (day <= cols["active_to"]) & (cols["trained_on"] <= day)
              & (day - cols["trained_on"] <= TRAINING_VALID_DAYS))
        if self.reserved:
            ok &= ~np.isin(np.asarray(self.ids[agency], dtype=object), [i for a, i in self.reserved if a == agency])
        self._eligible[agency, day] = np.asarray(self.ids[agency], dtype=object)[ok]
        return self._eligible[agency, day]

    def frame(self, plan: Plan) -> pd.DataFrame:
        parts = []
        for a in plan.agencies:
            cols = self.cols[a.idx]
            parts.append(pd.DataFrame({
                "agency_id": a.agency_id, "agent_id": self.ids[a.idx],
                "active_from": day_strings(plan, np.asarray(cols["active_from"])),
                "active_to": day_strings(plan, np.asarray(cols["active_to"])),
                "trained_on": day_strings(plan, np.asarray(cols["trained_on"]))}))
        return pd.concat(parts, ignore_index=True)


class Callers:
    """Registered caller numbers. core[a][0] is kept for the caller-cap plant, core[a][1] for its
    near miss (exactly the cap); the background rotates over core[a][2:]."""

    def __init__(self, plan: Plan, volumes: np.ndarray, lines: Landlines, rng: np.random.Generator):
        self.core: list[list[str]] = []
        self.rows: list[dict] = []
        for a in plan.agencies:
            k = math.ceil(1.15 * volumes[a.idx].sum() / CALLS_PER_CALLER) + 4
            numbers = lines.take(a.idx, k)
            self.core.append(numbers)
            for number in numbers:
                self.add(a.idx, number, int(-rng.integers(30, 700)))
        self.lines = lines

    def add(self, agency: int, number: str, registered_from: int, registered_to: int = OPEN) -> str:
        self.rows.append({"agency": agency, "number": number, "from": registered_from, "to": registered_to})
        return number

    def frame(self, plan: Plan, forms: list[str]) -> pd.DataFrame:
        return pd.DataFrame({
            "agency_id": [plan.agencies[r["agency"]].agency_id for r in self.rows],
            "caller_number": forms,
            "registered_from": day_strings(plan, np.array([r["from"] for r in self.rows])),
            "registered_to": day_strings(plan, np.array([r["to"] for r in self.rows]))})


class Pool:
    """Customers of one purpose, grouped by agency (agency a owns rows start[a]:start[a+1])."""

    def __init__(self, purpose: str, plan: Plan, sizes: np.ndarray, numbers: Numbers,
                 rng: np.random.Generator):
        self.purpose = purpose
        self.bounds = np.concatenate([[0], np.cumsum(sizes)])
        total = int(self.bounds[-1])
        self.number, self.customer = numbers.take(total)
        self.agency = np.repeat(np.arange(len(sizes)), sizes)
        self.campaign = np.empty(total, dtype=object)
        for a in plan.agencies:
            own = [c for c in a.campaigns if plan.campaigns[c][0] == purpose]
            lo, hi = self.bounds[a.idx], self.bounds[a.idx + 1]
            if own and hi > lo:
                self.campaign[lo:hi] = np.asarray(own, dtype=object)[rng.integers(0, len(own), hi - lo)]
        days = plan.days
        self.assigned_from = -rng.integers(1, 200, total)
        self.assigned_to = np.full(total, OPEN, dtype=np.int64)
        churn = rng.random(total)
        if days > 1:
            late = churn < 0.03
            self.assigned_from[late] = rng.integers(1, days, int(late.sum()))
            ends = (churn >= 0.03) & (churn < 0.06)
            self.assigned_to[ends] = rng.integers(0, days - 1, int(ends.sum()))
        self.prior = churn > 0.95                      # an older, ended assignment row
        self.blocked_until = np.zeros(total, dtype=np.int64)   # cooling-off (marketing)
        self.retired = np.zeros(total, dtype=bool)              # refused marketing/servicing
        self.consent_day = np.full(total, -OPEN, dtype=np.int64)
        self.withdraw_day = np.full(total, OPEN, dtype=np.int64)
        self.consent_ms = np.full(total, -1, dtype=np.int64)
        self.withdrawn_ms = np.full(total, -1, dtype=np.int64)
        if purpose == "marketing":
            self._consents(plan, rng)
        else:                                          # a few register rows without marketing consent
            self.consent_ms[rng.random(total) < 0.05] = -2

    def _consents(self, plan: Plan, rng: np.random.Generator) -> None:
        total = self.number.size
        day0 = day_midnight_ms(plan.start, 8 * 3600)
        self.consent_ms = day0 - rng.integers(10 * 86_400, 700 * 86_400, total) * 1000
        kind = rng.random(total)
        days = plan.days
        during = kind < 0.02                                       # consent given mid-sample
        c = rng.integers(0, days, int(during.sum()))
        self.consent_day[during] = c
        self.consent_ms[during] = day0 + c * 86_400_000 + rng.integers(0, 7 * 3600, c.size) * 1000
        withdrawn = (kind >= 0.02) & (kind < 0.05)                 # withdrawn at night, mid-sample
        w = rng.integers(0, days, int(withdrawn.sum()))
        self.withdraw_day[withdrawn] = w
        self.withdrawn_ms[withdrawn] = day0 + w * 86_400_000 + rng.integers(83_100, 86_340, w.size) * 1000
        gone = (kind >= 0.05) & (kind < 0.07)                      # withdrawn before the start
        self.withdraw_day[gone] = -1
        self.withdrawn_ms[gone] = day0 - rng.integers(1, 9 * 86_400, int(gone.sum())) * 1000

    def eligible(self, agency: int, day: int) -> np.ndarray:
        lo, hi = self.bounds[agency], self.bounds[agency + 1]
        ok = ((self.assigned_from[lo:hi] <= day) & (day <= self.assigned_to[lo:hi])
              & (self.blocked_until[lo:hi] <= day) & ~self.retired[lo:hi])
        if self.purpose == "marketing":
            ok &= (self.consent_day[lo:hi] <= day) & (day <= self.withdraw_day[lo:hi])
        return np.flatnonzero(ok) + lo


def pool_sizes(volumes: np.ndarray, days: int) -> dict[str, np.ndarray]:
    factors = {"marketing": 3.5 + 0.03 * days, "servicing": 1.35 + 0.015 * days, "collection": 1.25}
    return {p: np.where(volumes[:, i] > 0, np.ceil(volumes[:, i] * factors[p]).astype(np.int64) + 8, 0)
            for i, p in enumerate(PURPOSE_CODES)}


def day_strings(plan: Plan, days: np.ndarray) -> np.ndarray:
    """Relative day numbers -> 'YYYY-MM-DD'; OPEN/NEVER -> ''."""
    days = np.asarray(days, dtype=np.int64)
    base = np.datetime64(plan.start.isoformat(), "D")
    blank = (days >= OPEN) | (days <= NEVER)
    text = np.datetime_as_string(base + np.where(blank, 0, days), unit="D").astype(object)
    text[blank] = ""
    return text
