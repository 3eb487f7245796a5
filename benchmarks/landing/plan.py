"""The bank's agencies, their campaigns and customers' lasting traits, fixed before the first day."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from audits.sample.reference import apportion  # the sample generator's largest-remainder split

PURPOSES = ("marketing", "servicing", "collection")
CAMPAIGN_PREFIX = ("MKT", "SRV", "COL")
PRODUCTS = (("CREDIT_CARD", "PERSONAL_LOAN", "WEALTH_MGMT", "MORTGAGE"),
            ("CREDIT_CARD", "PERSONAL_LOAN", "MORTGAGE"),
            ("CREDIT_CARD", "PERSONAL_LOAN", "AUTO_LOAN", "MORTGAGE"))
# kind -> (purpose of each campaign, its share of the agency's calls); agency i is of kind KIND_OF[i % 10].
KINDS = {"collection": ((2, 2, 1), (0.50, 0.35, 0.15)), "full": ((0, 1, 2), (0.25, 0.20, 0.55)),
         "telemarketing": ((0, 0, 1), (0.40, 0.30, 0.30))}
KIND_OF = ("collection",) * 5 + ("full",) * 4 + ("telemarketing",)
CUSTOMERS_PER_DAY_CALL = np.array([1 / 0.35, 1 / 0.9, 1 / 1.4])    # by purpose: customers per daily call
AGENTS_PER_CALL, CALLS_PER_LINE = 400 / 200_000, 125
CALLEE_ZONES = (None, "Asia/Shanghai", "Asia/Urumqi")
ZONE_CDF = np.array([0.98, 0.997])                   # a customer's callee_tz: an index into CALLEE_ZONES
NEVER = 32_000
MESSY_FORMATS = ("csv", "gb18030", "csv.gz", "parquet", "bom", "gb18030", "csv.gz", "parquet")


@dataclass(frozen=True)
class Agency:
    idx: int
    agency_id: str
    kind: str
    campaigns: tuple[str, ...]
    products: tuple[str, ...]   # per campaign
    purposes: np.ndarray        # per campaign, index into PURPOSES
    shares: np.ndarray          # per campaign, share of the agency's calls
    bounds: np.ndarray          # customers of campaign c: bounds[c]:bounds[c + 1] (agency-local indexes)
    first_customer: int         # global index of customer 0 (decides the phone number)
    agents: int
    lines: int                  # caller numbers in use (then 5 % retired ones)
    first_line: int             # global index of line 0
    weight: float               # share of the bank's calls
    seeds: tuple                # SeedSequences: (customers' traits, reference rows)
    messy: bool = False         # writes as real deliveries do (messy_rng): file formats, phone forms, timestamp shapes

    @property
    def customers(self) -> int:
        return int(self.bounds[-1])

    @property
    def fmt(self) -> str:
        i = self.idx
        if self.messy:                                 # a quarter each: UTF-8 CSV (some BOM), GB18030, gzip, Parquet
            return MESSY_FORMATS[i % len(MESSY_FORMATS)]
        return ("parquet" if i % 16 == 1 else "csv.gz" if i % 16 == 2 else "bom" if i % 16 == 9
                else "gb18030" if i % 25 == 12 else "csv")

    @property
    def suffix(self) -> str:
        return {"parquet": ".parquet", "csv.gz": ".csv.gz"}.get(self.fmt, ".csv")


def plan_agencies(n: int, calls_per_day: int, start: dt.date, rng: np.random.Generator,
                  s_static: np.random.SeedSequence) -> list[Agency]:
    weights = rng.lognormal(0.0, 0.25, n)
    volumes = apportion(calls_per_day, weights)
    width, yymm = max(2, len(str(n))), start.strftime("%y%m")
    plan, first_customer, first_line = [], 0, 0
    for i, (seeds, volume) in enumerate(zip(s_static.spawn(n), volumes)):
        kind = KIND_OF[i % 10]
        purposes, shares = (np.array(x) for x in KINDS[kind])
        products = [""] * purposes.size
        for p in range(len(PURPOSES)):               # distinct products among campaigns of one purpose
            slots = np.flatnonzero(purposes == p)
            for slot, product in zip(slots, rng.choice(PRODUCTS[p], slots.size, replace=False)):
                products[slot] = str(product)
        sizes = np.ceil(volume * shares * CUSTOMERS_PER_DAY_CALL[purposes]).astype(np.int64) + 8
        lines = math.ceil(volume / CALLS_PER_LINE) + 2
        plan.append(Agency(
            idx=i, agency_id=f"AG{i + 1:0{width}d}", kind=kind,
            campaigns=tuple(f"{CAMPAIGN_PREFIX[p]}-{product}-{yymm}" for p, product in zip(purposes, products)),
            products=tuple(products), purposes=purposes, shares=shares,
            bounds=np.concatenate([[0], np.cumsum(sizes)]), first_customer=first_customer,
            agents=max(8, math.ceil(volume * AGENTS_PER_CALL)), lines=lines, first_line=first_line,
            weight=float(weights[i]), seeds=tuple(seeds.spawn(2))))
        first_customer += int(sizes.sum())
        first_line += math.ceil(lines * 1.05)
    return plan


def customer_traits(agency: Agency, days: int) -> dict[str, np.ndarray]:
    """The agency's customers' lasting traits, drawn again (identically) wherever needed: this keeps
    the memory held between agency-days to the dialer's state."""
    rng = np.random.default_rng(agency.seeds[0])
    m = agency.customers
    campaign = np.repeat(np.arange(len(agency.campaigns)), np.diff(agency.bounds))
    purpose = agency.purposes[campaign]
    u = rng.random(m)
    # consent kinds, marketing: 0 consented before the start, 1 consents during, 2 withdraws during,
    # 3 withdrew before, 4 never; others: 5 a register row with consent, 6 a row without, 7 no row
    kind = np.where(purpose == 0, np.searchsorted([0.94, 0.96, 0.98, 0.99], u, side="right"),
                    np.searchsorted([0.05, 0.10], u, side="right") + 5)
    day = rng.integers(0, days, m)
    return {"campaign": campaign, "purpose": purpose, "weight": rng.gamma(2.0, 0.5, m),
            "zone": np.searchsorted(ZONE_CDF, rng.random(m), side="right"), "consent_kind": kind,
            "consent_day": np.select([kind == 1, kind == 4], [day, NEVER], -1),
            "withdraw_day": np.select([kind == 2, kind == 3], [day, -1], NEVER),
            "line_weight": rng.gamma(40.0, 1.0, agency.lines)}


def messy_rng(agency: Agency, *key: int) -> np.random.Generator:
    """A generator of the agency's messy written forms (key: e.g. the day), apart from every tidy
    draw: a landing without --messy is the same bytes, and a messy one holds the same calls."""
    root = agency.seeds[0]
    return np.random.default_rng(np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, 0x4D455353, *key)))


def utc_offset(zone: str, date: dt.date) -> int:
    return int(dt.datetime(date.year, date.month, date.day, 12, tzinfo=ZoneInfo(zone)).utcoffset().total_seconds())
