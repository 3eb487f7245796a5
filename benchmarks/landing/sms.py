"""One agency-day's text messages (sms.md §1) for the benchmark: the agency's own customers,
texted from its registered ports and written the way its CDR file is written (format, encoding,
quoting, timestamp style, phone form, enum case).

Assumptions (counts scale with sms_per_day = M, spread over the agencies as their calls are):
- Every agency texts (contracts `call;sms`) from PORTS_PER_AGENCY ports registered in
  caller_numbers with channel `sms` (106 numbers, written as digits, `+digits`, or with spaces
  or dashes, by agency).
- Each day an agency texts distinct customers of its own (a customer gets at most one MT a day
  from an agency), drawn from those it may text: marketing only with consent in force and not
  opted out, so the share of marketing texts is the share of marketing customers (about 40 %).
  A compliant agency's texts keep to 08:00-21:00 but for SLIP of them (up to 30 min outside),
  start with the bank's signature (or end with it, a quarter of the agencies) and, when
  marketing, say how to opt out (but for SLIP of them).
- Status of an MT: DELIVERED 93 %, PENDING 2 %, FAILED 4 %, REJECTED 1 %. 80 % are sent by a
  system (agent_id blank).
- MO replies: OPT_OUT of the marketing MTs get an opt-out reply ("T", "退订", "TD", full-width
  "Ｔ") 1-60 min later (those customers get no more marketing texts from the agency; the dialer
  knows nothing of them, so a few marketing calls to them are FREQ_AFTER_REFUSAL findings on
  later days) and REPLY of all MTs an ordinary reply, which is no opt-out. MO rows have no
  status. M counts the messages (MT rows); the replies come on top (about 0.4 %).
- message_id = <agency>-<yyyymmdd>-S<sequence in sent order>; customer_tz as the calls' callee_tz.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from audits.models import TABLE_COLUMNS
from benchmarks.landing.plan import CALLEE_ZONES, Agency, customer_traits, utc_offset
from benchmarks.landing.text import PHONE_FORMS, TS_STYLES, agent_ids, as_text, mobiles, phone_forms, timestamps

SMS_COLUMNS = ("message_id", "agency_id", "agent_id", "campaign_id", "direction", "sender", "customer_number",
               "sent_at", "status", "text", "customer_tz")
assert set(SMS_COLUMNS) == set(TABLE_COLUMNS["sms"][0] + TABLE_COLUMNS["sms"][1])
PORTS_PER_AGENCY = 2
SIGNATURE = "【示范银行】"
STATUSES = ("DELIVERED", "PENDING", "FAILED", "REJECTED")
STATUS_CDF = np.array([0.93, 0.95, 0.99])
SYSTEM, SLIP, OPT_OUT, REPLY = 0.80, 0.002, 0.004, 0.002
HOURS = (8 * 3600, 21 * 3600)              # sms.hours of cn_bank, every purpose
# By purpose (marketing, servicing, collection); no ASCII comma or quote (files written without quoting).
BODIES = ("您的信用卡可申请专属分期优惠，详询客服热线", "您本期账单已出，请按时还款；如已还款请忽略",
          "您的账户已逾期，请尽快还款以免影响征信")
OPT_OUT_SENTENCE = "回复T退订"
OPT_OUT_WORDS = ("T", "退订", "TD", "Ｔ")
REPLIES = ("好的", "谢谢", "已还款", "收到")


def port_numbers(agency: Agency) -> list[str]:
    """The agency's SMS ports, as digits (unique across agencies)."""
    return [f"10690{agency.idx + 1:05d}{k:02d}" for k in range(1, PORTS_PER_AGENCY + 1)]


def port_forms(agency: Agency) -> pa.Array:
    """The ports as the agency writes them in its files: digits, +digits, spaced or dashed."""
    ports = port_numbers(agency)
    form = agency.idx % 4
    return pa.array([p if form == 0 else f"+{p}" if form == 1 else f"{p[:4]} {p[4:8]} {p[8:]}" if form == 2
                     else f"{p[:5]}-{p[5:]}" for p in ports], pa.string())


def _zone_shift(zone: str, date: dt.date) -> np.ndarray:
    """Seconds to add to a customer-local time of day to get the bank's, by CALLEE_ZONES index."""
    return np.array([0 if z is None else utc_offset(zone, date) - utc_offset(z, date) for z in CALLEE_ZONES])


def sms_day(agency: Agency, opted_out: np.ndarray, d: int, days: int, date: dt.date, volume: int, numbers: tuple,
            zone: str, rng: np.random.Generator) -> pa.Table:
    """The agency's `volume` messages (MT) of day d and the replies (MO) as a table of SMS_COLUMNS,
    in sent order; `opted_out` (per customer) is carried on to the next day."""
    traits = customer_traits(agency, days)
    purpose = traits["purpose"]
    may = (purpose != 0) | ((traits["consent_day"] < d) & (d <= traits["withdraw_day"]) & ~opted_out)
    pool = np.flatnonzero(may)
    sent = volume
    cust = rng.choice(pool, size=min(sent, pool.size), replace=False) if pool.size else pool
    if cust.size < sent and pool.size:                                   # more texts than customers: repeats
        cust = np.concatenate([cust, rng.choice(pool, size=sent - cust.size)])
    n = cust.size
    p = purpose[cust]
    start = np.where(rng.random(n) < SLIP, rng.choice([HOURS[0] - 1800, HOURS[1]], n) + rng.integers(0, 1800, n),
                     rng.integers(HOURS[0], HOURS[1], n))
    start = start + _zone_shift(zone, date)[traits["zone"][cust]]           # customer-local hours
    marketing = p == 0
    stops = np.flatnonzero(marketing & (rng.random(n) < OPT_OUT))
    replies = np.setdiff1d(np.flatnonzero(rng.random(n) < REPLY), stops)
    opted_out[cust[stops]] = True
    answered = np.concatenate([stops, replies])
    mo_at = np.minimum(start[answered] + rng.integers(60, 3601, answered.size), 86_399)
    body = pa.array(BODIES, pa.string()).take(p)
    with_sentence = marketing & (rng.random(n) >= SLIP)
    body = pc.if_else(pa.array(with_sentence), pc.binary_join_element_wise(body, OPT_OUT_SENTENCE, "。"), body)
    text = (pc.binary_join_element_wise(body, SIGNATURE, "") if agency.idx % 4 == 2
            else pc.binary_join_element_wise(SIGNATURE, body, ""))
    mo_text = pc.if_else(pa.array(np.arange(answered.size) < stops.size),
                         pa.array(OPT_OUT_WORDS, pa.string()).take(rng.integers(0, len(OPT_OUT_WORDS), answered.size)),
                         pa.array(REPLIES, pa.string()).take(rng.integers(0, len(REPLIES), answered.size)))
    who = np.concatenate([cust, cust[answered]])
    at = np.concatenate([start, mo_at])
    is_mo = np.arange(who.size) >= n
    order = np.lexsort((np.arange(who.size), at))
    who, at, is_mo = who[order], at[order], is_mo[order]
    m = who.size
    status = pa.array(STATUSES, pa.string()).take(pa.array(np.searchsorted(STATUS_CDF, rng.random(m), side="right"),
                                                           mask=is_mo))
    offset_s = utc_offset(zone, date)
    midnight_ms = ((date - dt.date(1970, 1, 1)).days * 86_400 - offset_s) * 1000
    style = TS_STYLES[agency.idx % len(TS_STYLES)]
    unit = {"s": 1000, "m": 60_000, "ms": 1}[style[1]]
    case = pc.utf8_lower if agency.idx % 7 == 3 else (lambda values: values)
    form = np.where(rng.random(m) < 0.03, 4, PHONE_FORMS[agency.idx % len(PHONE_FORMS)])
    system = rng.random(m) < SYSTEM
    columns = {
        "message_id": pc.binary_join_element_wise(f"{agency.agency_id}-{date:%Y%m%d}-S",
                                                  pc.utf8_lpad(as_text(np.arange(1, m + 1)), max(7, len(str(m))),
                                                               "0"), ""),
        "agency_id": pa.repeat(agency.agency_id, m),
        "agent_id": agent_ids(agency.agents).take(pa.array(rng.integers(0, agency.agents, m), mask=system)),
        "campaign_id": pa.array(agency.campaigns, pa.string()).take(traits["campaign"][who]),
        "direction": case(pa.array(["MT", "MO"])).take(is_mo.astype(np.int8)),
        "sender": port_forms(agency).take(rng.integers(0, PORTS_PER_AGENCY, m)),
        "customer_number": phone_forms(mobiles(agency.first_customer + who, numbers), form),
        "sent_at": timestamps((midnight_ms + at * 1000) // unit * unit, style, offset_s),
        "status": case(status),
        "text": pa.concat_arrays([text, mo_text]).take(order),
        "customer_tz": pa.array(CALLEE_ZONES, pa.string()).take(traits["zone"][who]),
    }
    return pa.table({c: columns[c] for c in SMS_COLUMNS})
