"""A large landing zone for the performance benchmark: lean, fast, deterministic.

    write_bulk_landing(Path("data/bench/landing"), start=dt.date(2026, 11, 21), days=7)

writes the layout of data-contract.md section 1: reference/contracts.xlsx, agents.csv,
caller_numbers.csv, campaigns.csv, assignments.csv, consents.csv, and
cdr/<YYYY-MM-DD>/<agency_id>.csv (a few .csv.gz, .parquet, BOM and GB18030 files). Unlike
audits.sample it plants nothing and writes no truth: it is a large bank's ordinary traffic,
in which a low share of calls breaks a rule the way real dialers do. Customers' state (7-day
attempts, cooling-off, refusals) is carried from day to day, so the rolling rules see history.
One agency-day is generated and written at a time with numpy and pyarrow compute (no Python
loop over rows); memory held between agency-days is the dialer's state, 10 bytes a customer.
The same arguments give the same bytes.

Assumptions (a large Chinese bank; counts scale with calls_per_day = N; the dialer keeps to the
thresholds of rulepack cn_bank, read from its YAML):
- Agencies: all in the bank's zone (Asia/Shanghai); sizes lognormal (sd 0.25), a day's volume
  +-3 %, exactly N calls a day in all. Half are collection agencies (two collection campaigns,
  one servicing), 40 % full service (marketing, servicing, collection), 10 % telemarketing (two
  marketing, one servicing): about 64 % collection, 19 % servicing, 17 % marketing calls.
  Contracts in force over the whole period (40 % also have an earlier, ended contract),
  purposes and products exactly those of their campaigns, licence and NDA valid throughout.
- Agents: 400 per 200,000 daily calls (power dialers: ~500 calls an agent a day), all active
  and trained within 365 days of every day (runs of up to 360 days), plus 5 % who left.
- Caller IDs: fixed lines (Shanghai, Beijing, Guangzhou, Shenzhen), one per 125 daily calls,
  picked with mildly uneven weights, so a busy line now and then passes 200 calls a day;
  plus 5 % retired lines.
- Customers: about 1.16 N distinct valid mobile numbers, each assigned to one agency and
  campaign, sized from calls per customer per day of 0.35 (marketing), 0.9 (servicing), 1.4
  (collection) (CUSTOMERS_PER_DAY_CALL). A smaller base does not fit the rules: 0.45 N
  customers means 2.2 calls per customer a day, 15 a week, more than the 7-day caps of
  marketing (7) and servicing (10) allow and near collection's (20), so FREQ_ROLLING_7D and
  FREQ_COOLING_OFF would flag most calls of the later days. Assignments: one current row per
  customer (from 1-400 days before the start; 3 % end after the last day) and, for 10 %, an
  earlier ended row with another agency: about 1.27 N rows. Consents: every marketing
  customer (94 % consented before the start, 2 % consent during the period, 2 % withdraw
  during it, 1 % withdrew earlier, 1 % never consented) and 10 % of the others: ~0.56 N rows.
- Dialer: each day and campaign it calls the customers it may call, picked by a lasting
  weight (gamma, mean 1), 1 + Poisson(lambda x weight) calls each (lambda 0.35, 0.5, 1.2:
  mostly 1-3), 30 min-3 h apart (4 % redialled after 1-5 min), inside the purpose's
  callee-local calling hours (0.2 % of customer-days start up to 25 min early, 0.1 % end
  late). It keeps the daily and 7-day caps, cooling-off, refusals and consent, and stops a
  customer's day after a conversation, except for 1 % of customers a day (stale lists) and
  3 % of calls after a conversation (collection 10 %). That is where the findings come from:
  about 1.4 % of the calls of the 7th day (mostly FREQ_RAPID_REDIAL, FREQ_COOLING_OFF and
  FREQ_CALLING_HOURS; a few FREQ_AFTER_REFUSAL, CONF_NO_CONSENT, FREQ_ROLLING_7D,
  FREQ_CALLER_DAILY_CAP, FREQ_DAILY_CAP, CONF_PII_IN_NOTES); no qualification findings.
- Calls: ANSWERED ~35 %, NO_ANSWER ~30 %, REJECTED ~12 %, VOICEMAIL ~10 %, BUSY ~8 %,
  FAILED ~5 %; outcomes only on answered calls (2 % left blank), answer_time only then,
  start <= answer <= end. Notes blank on ~2/3 (else short Chinese text; 1 in 50,000 holds a
  full mobile number); callee_tz blank on 98 %, else Asia/Shanghai or (0.3 %) Asia/Urumqi.
  call_id = <agency>-<yyyymmdd>-<sequence in start-time order>.
- Deliveries vary by agency: timestamp styles (space or T; seconds, minutes or milliseconds;
  no offset, +08:00, +0800 or Z), phone forms (13812345678, +86 138 1234 5678,
  +8613812345678, 0086-138-1234-5678, and 3 % 138 1234 5678), lower-case enums, quoted or
  bare fields.
"""

from __future__ import annotations

import datetime as dt
import gzip
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from audits.config import Rulepack, load_rulepack
from audits.models import CONVERSATION_OUTCOMES, DISPOSITIONS, OUTCOMES, TABLE_COLUMNS
from audits.sample import CONTRACT_COLUMNS
from audits.sample.writer import xlsx_bytes

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
EXTRA_CALLS = np.array([0.35, 0.5, 1.2])             # Poisson mean of a customer-day's calls after the first
KEEP_AFTER_CONVERSATION = np.array([0.03, 0.03, 0.10])
LEAK, QUICK_REDIAL, EARLY, LATE, PII = 0.01, 0.04, 0.002, 0.001, 2e-5
AGENTS_PER_CALL, CALLS_PER_LINE = 400 / 200_000, 125
DISP_P = np.array([[0.28, 0.32, 0.08, 0.15, 0.12, 0.05],     # by purpose, in DISPOSITIONS order
                   [0.42, 0.27, 0.07, 0.08, 0.12, 0.04],
                   [0.36, 0.30, 0.08, 0.12, 0.09, 0.05]])
OUTCOME_P = np.array([[0.74, 0.12, 0.11, 0.03], [0.86, 0.09, 0.03, 0.02], [0.74, 0.16, 0.05, 0.05]])
RING_S = np.array([[3, 25], [25, 60], [1, 8], [3, 20], [20, 45], [0, 3]])  # by disposition: seconds to answer/end
TALK_MEDIAN_S = np.array([60.0, 110.0, 150.0])
HOUR_P = np.array([0.6, 1.2, 1.3, 1.1, 0.5, 0.6, 0.9, 0.9, 0.85, 0.8, 1.0, 1.2, 0.9])  # over the window
CALLEE_ZONES = (None, "Asia/Shanghai", "Asia/Urumqi")
ZONE_CDF, ZONE_SHIFT_S = np.array([0.98, 0.997]), np.array([0, 0, 7200])  # Urumqi clocks: 2 h behind
MOBILE_PREFIXES = np.array([138, 139, 150, 186, 188, 135, 137, 158, 159, 187], dtype=np.int64)
LANDLINES = (("021", "6"), ("010", "6"), ("020", "3"), ("0755", "2"))    # area code, first local digit
# (separator, precision, offset): offset "" = naive local time, "colon" +08:00, "compact" +0800, "Z" UTC
TS_STYLES = ((" ", "s", ""), ("T", "s", "colon"), (" ", "s", ""), ("T", "ms", "Z"),
             ("T", "s", ""), (" ", "m", ""), (" ", "s", "compact"), ("T", "ms", ""))
PHONE_FORMS = (0, 1, 0, 2, 0, 3)      # 13812345678, +86 138 1234 5678, +8613812345678, 0086-138-1234-5678
NEVER = 32_000
# Notes by category: right party (marketing, servicing, collection), WRONG_PARTY, REFUSED, COMPLAINT,
# answered without outcome, NO_ANSWER, BUSY, REJECTED, VOICEMAIL, FAILED. "尾号" gets the last 4 digits.
NOTES = (
    ("客户对产品有兴趣，已发送短信链接", "客户表示考虑一下，下周再联系", '客户说"先发资料看看", 尾号'),
    ("已提醒客户还款日", "已协助客户激活信用卡，尾号", "客户确认地址变更，已记录"),
    ("客户承诺月底前还款", "客户资金周转困难，申请分期，尾号", "已告知逾期影响征信，客户表示理解"),
    ("接听人非本人", "家属接听，未透露业务信息", "对方称号码已换人使用"),
    ("客户要求不要再来电", "客户明确拒绝，要求停止致电"),
    ("客户投诉来电频繁，已安抚", "客户对沟通方式不满, 已记录投诉"),
    ("通话中断",), ("无人接听", "响铃无人接"), ("占线",), ("对方拒接", "响一声后被挂断"),
    ("已留言", "转入语音信箱，已留言请回电"), ("号码暂时无法接通", "线路故障"))
NOTE_P = np.array([0.7] * 7 + [0.08, 0.05, 0.08, 0.4, 0.08])
CDR_COLUMNS = ("call_id", "agency_id", "agent_id", "campaign_id", "caller_number", "callee_number", "start_time",
               "answer_time", "end_time", "disposition", "outcome", "notes", "callee_tz")
CDR_SUFFIXES = (".csv", ".csv.gz", ".parquet")
_CITIES = ("苏州", "南京", "武汉", "西安", "重庆", "天津", "青岛", "厦门", "长沙", "郑州")
_WORDS = ("恒信", "中安", "瑞丰", "鼎诚", "汇通")
_SUFFIX = {"collection": "资产管理有限公司", "full": "客户服务有限公司", "telemarketing": "电话营销有限公司"}


@dataclass(frozen=True)
class _Agency:
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

    @property
    def customers(self) -> int:
        return int(self.bounds[-1])

    @property
    def fmt(self) -> str:
        i = self.idx
        return ("parquet" if i % 16 == 1 else "csv.gz" if i % 16 == 2 else "bom" if i % 16 == 9
                else "gb18030" if i % 25 == 12 else "csv")

    @property
    def suffix(self) -> str:
        return {"parquet": ".parquet", "csv.gz": ".csv.gz"}.get(self.fmt, ".csv")


@dataclass
class _State:
    """What the dialer remembers of an agency's customers from one day to the next."""

    attempts: np.ndarray        # (customers, window days) int8: attempts per day, ring indexed by day % window
    blocked_until: np.ndarray   # first day the customer may be called again after a conversation
    refused: np.ndarray


def write_bulk_landing(landing: Path, *, start: dt.date, days: int, agencies: int = 50,
                       calls_per_day: int = 10_000_000, seed: int = 11,
                       progress: Callable[[str], None] | None = None) -> dict:
    """Write the landing zone; returns {"days", "agencies", "calls", "files", "customers",
    "reference": {table: rows}}."""
    if days < 1 or agencies < 1 or calls_per_day < 0:
        raise ValueError(f"need days >= 1, agencies >= 1 and calls_per_day >= 0; got {days}, {agencies}, "
                         f"{calls_per_day}")
    say = progress or (lambda message: None)
    landing, pack = Path(landing), load_rulepack("cn_bank")
    s_plan, s_static, s_days = np.random.SeedSequence(seed).spawn(3)
    rng = np.random.default_rng(s_plan)
    plan = _plan(agencies, calls_per_day, start, rng, s_static)
    numbers = (rng.permutation(MOBILE_PREFIXES), int(rng.integers(10**8)), int(rng.integers(10**7)))
    say(f"bulk landing: {agencies} agencies, {days} day(s) from {start.isoformat()}, {calls_per_day:,} calls "
        f"a day, seed {seed}")
    reference = _write_reference(landing / "reference", plan, start, days, numbers, pack.bank_timezone, rng)
    say("reference: " + ", ".join(f"{table} {rows:,}" for table, rows in reference.items()) + " rows")
    states = [_State(np.zeros((a.customers, pack.rolling_window_days), np.int8),
                     np.full(a.customers, -1, np.int16), np.zeros(a.customers, bool)) for a in plan]
    weights = np.array([a.weight for a in plan])
    calls = files = 0
    for d, day_seed in enumerate(s_days.spawn(days)):
        date = start + dt.timedelta(days=d)
        rngs = [np.random.default_rng(s) for s in day_seed.spawn(agencies + 1)]
        volumes = _apportion(calls_per_day, weights * rngs[-1].lognormal(0.0, 0.03, agencies))
        folder, written = landing / "cdr" / date.isoformat(), set()
        folder.mkdir(parents=True, exist_ok=True)
        for agency, state, volume, day_rng in zip(plan, states, volumes, rngs):
            table = _agency_day(agency, state, d, days, date, int(volume), numbers, pack, day_rng)
            path = folder / f"{agency.agency_id}{agency.suffix}"
            _write_cdr(path, table, agency)
            written.add(path.name)
            calls += table.num_rows
        for stale in folder.iterdir():                 # another run's files must not stay behind
            if stale.name.endswith(CDR_SUFFIXES) and stale.name not in written:
                stale.unlink()
        files += len(written)
        say(f"{date.isoformat()}: {int(volumes.sum()):,} calls in {len(written)} files")
    return {"days": days, "agencies": agencies, "calls": calls, "files": files,
            "customers": sum(a.customers for a in plan), "reference": reference}


# --- plan -------------------------------------------------------------------------------

def _plan(n: int, calls_per_day: int, start: dt.date, rng: np.random.Generator,
          s_static: np.random.SeedSequence) -> list[_Agency]:
    weights = rng.lognormal(0.0, 0.25, n)
    volumes = _apportion(calls_per_day, weights)
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
        plan.append(_Agency(
            idx=i, agency_id=f"AG{i + 1:0{width}d}", kind=kind,
            campaigns=tuple(f"{CAMPAIGN_PREFIX[p]}-{product}-{yymm}" for p, product in zip(purposes, products)),
            products=tuple(products), purposes=purposes, shares=shares,
            bounds=np.concatenate([[0], np.cumsum(sizes)]), first_customer=first_customer,
            agents=max(8, math.ceil(volume * AGENTS_PER_CALL)), lines=lines, first_line=first_line,
            weight=float(weights[i]), seeds=tuple(seeds.spawn(2))))
        first_customer += int(sizes.sum())
        first_line += math.ceil(lines * 1.05)
    return plan


def _traits(agency: _Agency, days: int) -> dict[str, np.ndarray]:
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


# --- one agency-day ---------------------------------------------------------------------

def _agency_day(agency: _Agency, state: _State, d: int, days: int, date: dt.date, volume: int, numbers: tuple,
                pack: Rulepack, rng: np.random.Generator) -> pa.Table:
    traits = _traits(agency, days)
    slot = d % state.attempts.shape[1]
    state.attempts[:, slot] = 0
    history = state.attempts.sum(axis=1, dtype=np.int16)       # attempts on the previous window-1 days
    parts = [_dial(c, agency, traits, state, history, d, int(target), pack, rng)
             for c, target in enumerate(_apportion(volume, agency.shares))]
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
    cust, start_s, disp, outcome, purpose = cust[order], start_s[order], disp[order], outcome[order], purpose[order]
    n = cust.size
    offset_s = _utc_offset(pack.bank_timezone, date)
    start = ((date - dt.date(1970, 1, 1)).days * 86_400 - offset_s) * 1000 + np.round(start_s * 1000).astype(np.int64)
    ring = rng.integers(RING_S[disp, 0] * 1000, RING_S[disp, 1] * 1000 + 1)
    talk = (np.clip(TALK_MEDIAN_S[purpose] * rng.lognormal(0.0, 0.7, n), 5, 1800) * 1000).astype(np.int64)
    answered = disp == 0
    answer = np.where(answered, start + ring, -1)
    end = np.where(answered, answer + talk, start + ring + np.where(disp == 4, rng.integers(10_000, 40_001, n), 0))
    style = TS_STYLES[agency.idx % len(TS_STYLES)]
    unit = {"s": 1000, "m": 60_000, "ms": 1}[style[1]]
    start, answer, end = (np.where(x < 0, x, x // unit * unit) for x in (start, answer, end))

    callee = _mobiles(agency.first_customer + cust, numbers)
    cumulative = np.cumsum(traits["line_weight"])
    line = np.minimum(np.searchsorted(cumulative, rng.random(n) * cumulative[-1], side="right"), agency.lines - 1)
    case = pc.utf8_lower if agency.idx % 7 == 3 else (lambda values: values)
    form = np.where(rng.random(n) < 0.03, 4, PHONE_FORMS[agency.idx % len(PHONE_FORMS)])
    columns = {
        "call_id": pc.binary_join_element_wise(f"{agency.agency_id}-{date:%Y%m%d}-",
                                               pc.utf8_lpad(_text(np.arange(1, n + 1)), max(7, len(str(n))), "0"), ""),
        "agency_id": pa.repeat(agency.agency_id, n),
        "agent_id": _agent_ids(agency.agents).take(rng.integers(0, agency.agents, n)),
        "campaign_id": pa.array(agency.campaigns, pa.string()).take(traits["campaign"][cust]),
        "caller_number": _line_forms(agency, numbers, agency.idx % 3, agency.lines).take(line),
        "callee_number": _phone_forms(callee, form),
        "start_time": _timestamps(start, style, offset_s),
        "answer_time": _timestamps(answer, style, offset_s),
        "end_time": _timestamps(end, style, offset_s),
        "disposition": case(pa.array(DISPOSITIONS)).take(disp),
        "outcome": case(pa.array(OUTCOMES)).take(pa.array(outcome, mask=outcome < 0)),
        "notes": _notes(disp, outcome, purpose, callee, agency.idx % 5 == 4, rng),
        "callee_tz": pa.array(CALLEE_ZONES, pa.string()).take(traits["zone"][cust]),
    }
    return pa.table({c: columns[c] for c in CDR_COLUMNS})


def _dial(c: int, agency: _Agency, traits: dict, state: _State, history: np.ndarray, d: int, target: int,
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


def _utc_offset(zone: str, date: dt.date) -> int:
    return int(dt.datetime(date.year, date.month, date.day, 12, tzinfo=ZoneInfo(zone)).utcoffset().total_seconds())


# --- text -------------------------------------------------------------------------------

def _text(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def _mobiles(index: np.ndarray, numbers: tuple) -> np.ndarray:
    """Distinct valid CN mobile numbers (national, as int) of global customer indexes < 10**9: the last
    8 digits are a bijection of the index mod 10**8, the prefix differs between its 10 blocks."""
    prefixes, add, _ = numbers
    suffix = (index * 61_803_399 + add) % 10**8
    return prefixes[(index // 10**8 + suffix // 10**7) % 10] * 10**8 + suffix


def _phone_forms(national: np.ndarray, form: np.ndarray) -> pa.Array:
    """0 13812345678 | 1 +86 138 1234 5678 | 2 +8613812345678 | 3 0086-138-1234-5678 | 4 138 1234 5678"""
    bare = _text(national)
    if not national.size:
        return bare
    a, b, c = (pc.utf8_slice_codeunits(bare, i, j) for i, j in ((0, 3), (3, 7), (7, 11)))
    forms = {1: lambda: pc.binary_join_element_wise("+86", a, b, c, " "),
             2: lambda: pc.binary_join_element_wise("+86", bare, ""),
             3: lambda: pc.binary_join_element_wise("0086", a, b, c, "-"),
             4: lambda: pc.binary_join_element_wise(a, b, c, " ")}
    out = bare
    for f in np.unique(form[form > 0]):
        out = pc.if_else(pa.array(form == f), forms[int(f)](), out)
    return out


def _line_forms(agency: _Agency, numbers: tuple, form: int, count: int) -> pa.Array:
    """The agency's first `count` fixed lines: 0 021-61234567 | 1 02161234567 | 2 +86 21 6123 4567 |
    3 +862161234567. Line numbers are unique across agencies (a bijection of the global index)."""
    area, first = LANDLINES[agency.idx % len(LANDLINES)]
    j = np.arange(agency.first_line, agency.first_line + count, dtype=np.int64)
    local = pc.binary_join_element_wise(first, pc.utf8_lpad(_text((j * 7_919_113 + numbers[2]) % 10**7), 7, "0"), "")
    if form == 0:
        return pc.binary_join_element_wise(area, local, "-")
    if form == 1:
        return pc.binary_join_element_wise(area, local, "")
    if form == 2:
        return pc.binary_join_element_wise(f"+86 {area[1:]}", pc.utf8_slice_codeunits(local, 0, 4),
                                           pc.utf8_slice_codeunits(local, 4, 8), " ")
    return pc.binary_join_element_wise(f"+86{area[1:]}", local, "")


def _agent_ids(count: int) -> pa.Array:
    return pc.binary_join_element_wise("E", pc.utf8_lpad(_text(np.arange(1, count + 1)), 5, "0"), "")


def _timestamps(ms: np.ndarray, style: tuple[str, str, str], offset_s: int) -> pa.Array:
    """Epoch milliseconds as ISO 8601 text in a style of TS_STYLES; ms < 0 -> null."""
    separator, precision, offset = style
    local = ms if offset == "Z" else ms + offset_s * 1000
    unit = "ms" if precision == "ms" else "s"
    values = (local if unit == "ms" else local // 1000).astype(f"datetime64[{unit}]")
    text = pc.cast(pa.array(values, mask=ms < 0), pa.string())
    if precision == "m":
        text = pc.utf8_slice_codeunits(text, 0, 16)
    if separator == "T":
        text = pc.replace_substring(text, " ", "T", max_replacements=1)
    if not offset:
        return text
    hours, minutes = divmod(abs(offset_s) // 60, 60)
    sign = "+" if offset_s >= 0 else "-"
    suffix = {"Z": "Z", "colon": f"{sign}{hours:02d}:{minutes:02d}", "compact": f"{sign}{hours:02d}{minutes:02d}"}
    return pc.binary_join_element_wise(text, suffix[offset], "")


def _notes(disp: np.ndarray, outcome: np.ndarray, purpose: np.ndarray, callee: np.ndarray, quoted: bool,
           rng: np.random.Generator) -> pa.Array:
    n = disp.size
    category = np.where(disp != 0, disp + 6, np.select([outcome == 0, outcome < 0], [purpose, 6], outcome + 2))
    flat = [note for group in NOTES for note in group]
    if not quoted:                                     # files written without quotes hold no commas or quotes
        flat = [note.replace(", ", "，").replace('"', "“") for note in flat]
    count = np.array([len(group) for group in NOTES])
    pick = (np.cumsum(count) - count)[category] + (rng.random(n) * count[category]).astype(np.int64)
    written = rng.random(n) < NOTE_P[category]
    notes = pa.array(flat, pa.string()).take(pa.array(pick, mask=~written))
    bare = _text(callee)
    tail = pa.array(np.array([note.endswith("尾号") for note in flat])[pick] & written)
    notes = pc.if_else(tail, pc.binary_join_element_wise(notes, pc.utf8_slice_codeunits(bare, 7, 11), ""), notes)
    return pc.if_else(pa.array(rng.random(n) < PII), pc.binary_join_element_wise("回拨号码", bare, ""), notes)


# --- files ------------------------------------------------------------------------------

def _write_cdr(path: Path, table: pa.Table, agency: _Agency) -> None:
    """Write to a hidden temporary name, then rename over the target."""
    options = pa_csv.WriteOptions(quoting_style="needed" if agency.idx % 5 == 4 else "none", quoting_header="none",
                                  batch_size=1 << 16, eol="\r\n" if agency.fmt == "gb18030" else "\n")
    tmp = path.with_name(f".{path.name}.part")
    if agency.fmt == "parquet":
        pq.write_table(table, tmp, compression="snappy")
    elif agency.fmt == "csv":
        pa_csv.write_csv(table, str(tmp), options)
    else:
        sink = pa.BufferOutputStream()
        pa_csv.write_csv(table, sink, options)
        data = sink.getvalue().to_pybytes()
        if agency.fmt == "bom":
            data = b"\xef\xbb\xbf" + data
        elif agency.fmt == "csv.gz":
            data = gzip.compress(data, compresslevel=6, mtime=0)
        else:                                          # a Chinese Excel export
            data = data.decode("utf-8").encode("gb18030")
        tmp.write_bytes(data)
    os.replace(tmp, path)


class _CsvFile:
    """A reference CSV written in chunks (one per agency), renamed into place when closed."""

    def __init__(self, path: Path, table: str):
        self.path, self.tmp = path, path.with_name(f".{path.name}.part")
        self.columns = list(TABLE_COLUMNS[table][0] + TABLE_COLUMNS[table][1])
        self.writer = pa_csv.CSVWriter(str(self.tmp), pa.schema([(c, pa.string()) for c in self.columns]),
                                       write_options=pa_csv.WriteOptions(quoting_style="none", quoting_header="none",
                                                                         batch_size=1 << 16))
        self.rows = 0

    def write(self, columns: dict) -> None:
        table = pa.table({c: pa.array(columns[c], pa.string()) if isinstance(columns[c], list) else columns[c]
                          for c in self.columns})
        self.writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> int:
        self.writer.close()
        os.replace(self.tmp, self.path)
        return self.rows


def _write_reference(folder: Path, plan: list[_Agency], start: dt.date, days: int, numbers: tuple, zone: str,
                     rng: np.random.Generator) -> dict[str, int]:
    """The six reference tables, valid over start .. start + days - 1. Offsets are days from the start."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in ("contracts.csv", "contracts.csv.gz", "contracts.parquet"):   # they would win over .xlsx
        (folder / stale).unlink(missing_ok=True)
    base = np.datetime64(start.isoformat(), "D")

    def dates(offsets: np.ndarray, blank: np.ndarray | None = None) -> pa.Array:
        return pa.array(np.datetime_as_string(base + np.asarray(offsets, np.int64), unit="D"), pa.string(),
                        mask=blank)

    last = start + dt.timedelta(days=days - 1)
    contracts = []
    for a in plan:
        begin = start - dt.timedelta(days=int(rng.integers(60, 801)))
        end = dt.date(last.year + int(rng.integers(1, 4)), 12, 31)
        row = {"agency_id": a.agency_id, "contract_id": f"CT-{a.agency_id}-{begin.year}",
               "agency_name": f"{_CITIES[a.idx % 10]}{_WORDS[(a.idx // 10) % 5]}{_SUFFIX[a.kind]}",
               "contract_start": begin.isoformat(), "contract_end": end.isoformat(),
               "permitted_purposes": ";".join(sorted({PURPOSES[p] for p in a.purposes})),
               "permitted_products": ";".join(sorted(set(a.products))),
               "licence_no": f"B2-{begin.year - int(rng.integers(0, 5))}{int(rng.integers(1000, 10_000))}",
               "licence_expiry": "" if rng.random() < 0.2 else dt.date(end.year + 1, 6, 30).isoformat(),
               "nda_signed": (begin - dt.timedelta(days=int(rng.integers(0, 21)))).isoformat(),
               "nda_expiry": "" if rng.random() < 0.5 else end.isoformat(), "timezone": zone}
        if a.idx % 5 in (1, 3):                        # an earlier contract, ended, kept (effective dating)
            before_end = begin - dt.timedelta(days=1)
            before_start = before_end - dt.timedelta(days=int(rng.integers(365, 901)))
            contracts.append(dict(row, contract_id=f"CT-{a.agency_id}-{before_start.year}",
                                  contract_start=before_start.isoformat(), contract_end=before_end.isoformat(),
                                  nda_signed=before_start.isoformat(), nda_expiry=before_end.isoformat()))
        contracts.append(row)
    tmp = folder / ".contracts.xlsx.part"
    tmp.write_bytes(xlsx_bytes(pd.DataFrame(contracts, columns=CONTRACT_COLUMNS), sheet="contracts",
                               stamp=(start - dt.timedelta(days=1)).isoformat()))
    os.replace(tmp, folder / "contracts.xlsx")

    files = {t: _CsvFile(folder / f"{t}.csv", t)
             for t in ("agents", "caller_numbers", "campaigns", "assignments", "consents")}
    campaigns = sorted({(c, PURPOSES[p], product) for a in plan for c, p, product in
                        zip(a.campaigns, a.purposes, a.products)})
    files["campaigns"].write({name: [row[i] for row in campaigns]
                              for i, name in enumerate(("campaign_id", "purpose", "product"))})
    midnight_s = (start - dt.date(1970, 1, 1)).days * 86_400 - _utc_offset(zone, start)
    for a in plan:
        r = np.random.default_rng(a.seeds[1])
        traits = _traits(a, days)
        _write_agents(files["agents"], a, days, r, dates)
        _write_lines(files["caller_numbers"], a, days, numbers, r, dates)
        m = a.customers
        index = a.first_customer + np.arange(m)
        customer_id = pc.binary_join_element_wise("C", pc.utf8_lpad(_text(index + 1), 9, "0"), "")
        phone = _phone_forms(_mobiles(index, numbers), np.where(r.random(m) < 0.15, 1, 0))
        since = r.integers(1, 401, m)
        older = np.flatnonzero(r.random(m) < 0.10)     # entrusted earlier to the next agency, ended
        other = plan[(a.idx + 1) % len(plan)]
        older_to = since[older] + r.integers(1, 31, older.size)
        files["assignments"].write({
            "agency_id": pa.concat_arrays([pa.repeat(a.agency_id, m), pa.repeat(other.agency_id, older.size)]),
            "campaign_id": pa.array(list(a.campaigns) + [other.campaigns[0]], pa.string()).take(
                np.concatenate([traits["campaign"], np.full(older.size, len(a.campaigns))])),
            "customer_id": pa.concat_arrays([customer_id, customer_id.take(older)]),
            "phone": pa.concat_arrays([phone, phone.take(older)]),
            "assigned_from": dates(-np.concatenate([since, older_to + r.integers(60, 601, older.size)])),
            "assigned_to": dates(np.concatenate([(days - 1) + r.integers(1, 121, m), -older_to]),
                                 np.concatenate([r.random(m) >= 0.03, np.zeros(older.size, bool)]))})
        rows = np.flatnonzero(traits["consent_kind"] < 7)
        kind = traits["consent_kind"][rows]
        earlier = midnight_s - r.integers(10 * 86_400, 700 * 86_400, rows.size)
        during = midnight_s + traits["consent_day"][rows] * 86_400 + r.integers(9 * 3600, 18 * 3600, rows.size)
        given = np.select([kind == 1, np.isin(kind, (4, 6))], [during, -1], earlier)
        withdrawn = np.select(
            [kind == 2, kind == 3],
            [midnight_s + traits["withdraw_day"][rows] * 86_400 + r.integers(9 * 3600, 20 * 3600, rows.size),
             given + ((midnight_s - given) * r.uniform(0.05, 0.95, rows.size)).astype(np.int64)], -1)
        naive = pa.array(r.random(rows.size) < 0.8)
        offset_s = _utc_offset(zone, start)
        files["consents"].write({
            "customer_id": customer_id.take(rows), "phone": phone.take(rows),
            **{column: pc.if_else(naive, _timestamps(np.where(t < 0, -1, t * 1000), (" ", "s", ""), offset_s),
                                  _timestamps(np.where(t < 0, -1, t * 1000), ("T", "s", "colon"), offset_s))
               for column, t in (("marketing_consent_at", given), ("marketing_withdrawn_at", withdrawn))}})
    counts = {"contracts": len(contracts)}
    counts.update({table: f.close() for table, f in files.items()})
    return counts


def _write_agents(out: _CsvFile, a: _Agency, days: int, r: np.random.Generator, dates) -> None:
    """Active agents, trained within 365 days of every day (runs up to 360 days), and 5 % who left."""
    n, gone = a.agents, math.ceil(a.agents * 0.05)
    joined = r.integers(20, 1501, n)                   # days before the start
    trained = r.integers(1, np.maximum(2, np.minimum(joined - 3, 361 - days) + 1))
    left = r.integers(1, 301, gone)
    left_joined = left + r.integers(100, 1201, gone)
    out.write({"agency_id": pa.repeat(a.agency_id, n + gone), "agent_id": _agent_ids(n + gone),
               "active_from": dates(-np.concatenate([joined, left_joined])),
               "active_to": dates(-np.concatenate([np.zeros(n, np.int64), left]), np.arange(n + gone) < n),
               "trained_on": dates(-np.concatenate([trained, left_joined - r.integers(3, 31, gone)]))})


def _write_lines(out: _CsvFile, a: _Agency, days: int, numbers: tuple, r: np.random.Generator, dates) -> None:
    """Lines in use (10 % with an end date after the last day) and 5 % retired ones."""
    lines, retired = a.lines, math.ceil(a.lines * 1.05) - a.lines
    total = lines + retired
    ended = r.integers(1, 301, retired)
    out.write({"agency_id": pa.repeat(a.agency_id, total),
               "caller_number": pc.if_else(pa.array(r.random(total) < 0.8), _line_forms(a, numbers, 0, total),
                                           _line_forms(a, numbers, 3, total)),
               "registered_from": dates(-np.concatenate([r.integers(30, 901, lines),
                                                          ended + r.integers(100, 901, retired)])),
               "registered_to": dates(np.concatenate([(days - 1) + r.integers(1, 366, lines), -ended]),
                                      np.concatenate([r.random(lines) < 0.9, np.zeros(retired, bool)]))})


def _apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Split an integer total by weights (largest remainder), deterministic."""
    weights = np.asarray(weights, dtype=float)
    exact = total * weights / weights.sum()
    base = np.floor(exact).astype(np.int64)
    rest = int(total - base.sum())
    if rest:
        base[np.lexsort((np.arange(exact.size), -(exact - base)))[:rest]] += 1
    return base
