"""A large landing zone for the performance benchmark: lean, fast, deterministic.

    write_bulk_landing(Path("data/bench/landing"), start=dt.date(2026, 11, 21), days=7)

writes the layout of data-contract.md section 1: reference/contracts.xlsx, agents.csv,
caller_numbers.csv, campaigns.csv, assignments.csv, consents.csv, and
cdr/<YYYY-MM-DD>/<agency_id>.csv (a few .csv.gz, .parquet, BOM and GB18030 files) and, with
`sms_per_day`, sms/<YYYY-MM-DD>/<agency_id>.<the same suffix> (sms.py). Unlike
audits.sample it plants nothing and writes no truth: it is a large bank's ordinary traffic,
in which a low share of calls breaks a rule the way real dialers do. Customers' state (7-day
attempts, cooling-off, refusals) is carried from day to day, so the rolling rules see history.
One agency-day is generated and written at a time with numpy and pyarrow compute (no Python
loop over rows); memory held between agency-days is the dialer's state, 10 bytes a customer.
The same arguments give the same bytes. `findings_heavy` (a share of the calls, e.g. 0.44) makes
the last day findings-heavy: agencies lose their contract, NDA or licence, or their callers' or
agents' registrations lapse, on that day (heavy.py). `messy` writes the landing as agencies
really deliver it: a quarter each of UTF-8 CSV (some with BOM), GB18030 CSV, .csv.gz and Parquet
files; 45 % of callee numbers and of the assignments' and consents' phones in one of eleven other
written forms (text.phone_forms: +86 / 0086 / 86 prefixes, spaces, dashes, dots, brackets,
full-width digits); every row's timestamps in one of twelve shapes (text.MESSY_TS_STYLES: T or
space, minutes to milliseconds, comma fractions, no offset, Z, +08, +0800, +08:00); a consent
register of ~0.95 N rows (most customers have a row, many without consent). Its draws come from
a generator of their own (plan.messy_rng): the calls are those of the tidy landing (ids, numbers,
dispositions; times cut to each row's precision), and a landing without `messy` is the same
bytes as before it existed.

plan.py fixes the agencies, campaigns and customers' traits; dialler.py decides each day's calls
and carries the dialer's state; cdr.py turns them into an agency's file; reference.py writes the
six reference tables; sms.py an agency's text messages of a day; text.py renders values the
ways agencies write them. The calls do not depend on `sms_per_day` (the texts draw from a seed
of their own), so a run with texts and one without audit the same calls.

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

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np

from audits.rulepack import load_rulepack
from benchmarks.landing.cdr import CDR_SUFFIXES, agency_day, write_cdr
from benchmarks.landing.dialler import State
from benchmarks.landing.heavy import plan_breakages
from benchmarks.landing.plan import apportion, plan_agencies
from benchmarks.landing.reference import write_reference
from benchmarks.landing.sms import sms_day
from benchmarks.landing.text import MOBILE_PREFIXES


def write_bulk_landing(landing: Path, *, start: dt.date, days: int, agencies: int = 50,
                       calls_per_day: int = 10_000_000, seed: int = 11, findings_heavy: float = 0.0,
                       sms_per_day: int = 0, messy: bool = False,
                       progress: Callable[[str], None] | None = None) -> dict:
    """Write the landing zone; returns {"days", "agencies", "calls", "files", "customers",
    "reference": {table: rows}, "broken": {agency_id: breakage on the last day}, "messages",
    "sms_rows", "sms_files"}."""
    if days < 1 or agencies < 1 or calls_per_day < 0 or sms_per_day < 0:
        raise ValueError(f"need days >= 1, agencies >= 1, calls_per_day >= 0 and sms_per_day >= 0; got {days}, "
                         f"{agencies}, {calls_per_day}, {sms_per_day}")
    say = progress or (lambda message: None)
    landing, pack = Path(landing), load_rulepack("cn_bank")
    s_plan, s_static, s_days, s_sms = np.random.SeedSequence(seed).spawn(4)    # the first three as without texts
    rng = np.random.default_rng(s_plan)
    plan = plan_agencies(agencies, calls_per_day, start, rng, s_static)
    if messy:
        plan = [dataclasses.replace(a, messy=True) for a in plan]
    numbers = (rng.permutation(MOBILE_PREFIXES), int(rng.integers(10**8)), int(rng.integers(10**7)))
    say(f"bulk landing: {agencies} agencies, {days} day(s) from {start.isoformat()}, {calls_per_day:,} calls "
        f"a day, seed {seed}")
    broken = plan_breakages([a.agency_id for a in plan], np.array([a.weight for a in plan]), findings_heavy)
    reference = write_reference(landing / "reference", plan, start, days, numbers, pack.bank_timezone, rng, broken,
                                texting=sms_per_day > 0)
    say("reference: " + ", ".join(f"{table} {rows:,}" for table, rows in reference.items()) + " rows")
    states = [State(np.zeros((a.customers, pack.rolling_window_days), np.int8),
                    np.full(a.customers, -1, np.int16), np.zeros(a.customers, bool)) for a in plan]
    weights = np.array([a.weight for a in plan])
    calls = files = 0
    for d, day_seed in enumerate(s_days.spawn(days)):
        date = start + dt.timedelta(days=d)
        rngs = [np.random.default_rng(s) for s in day_seed.spawn(agencies + 1)]
        volumes = apportion(calls_per_day, weights * rngs[-1].lognormal(0.0, 0.03, agencies))
        folder, written = landing / "cdr" / date.isoformat(), set()
        folder.mkdir(parents=True, exist_ok=True)
        for agency, state, volume, day_rng in zip(plan, states, volumes, rngs):
            table = agency_day(agency, state, d, days, date, int(volume), numbers, pack, day_rng)
            path = folder / f"{agency.agency_id}{agency.suffix}"
            write_cdr(path, table, agency)
            written.add(path.name)
            calls += table.num_rows
        for stale in folder.iterdir():                 # another run's files must not stay behind
            if stale.name.endswith(CDR_SUFFIXES) and stale.name not in written:
                stale.unlink()
        files += len(written)
        say(f"{date.isoformat()}: {int(volumes.sum()):,} calls in {len(written)} files")
    texts = write_texts(landing, plan, start=start, days=days, sms_per_day=sms_per_day, numbers=numbers,
                        zone=pack.bank_timezone, seed=s_sms, say=say)
    return {"days": days, "agencies": agencies, "calls": calls, "files": files,
            "customers": sum(a.customers for a in plan), "reference": reference, "broken": broken, **texts}


def write_texts(landing: Path, plan: list, *, start: dt.date, days: int, sms_per_day: int, numbers: tuple, zone: str,
                seed: np.random.SeedSequence, say: Callable[[str], None]) -> dict:
    """Every day's SMS files (sms.py), or none when sms_per_day is 0 (then no sms/ folder either);
    returns {"messages", "sms_rows", "sms_files"}."""
    messages = rows = files = 0
    opted_out = [np.zeros(a.customers, bool) for a in plan] if sms_per_day else []
    weights = np.array([a.weight for a in plan])
    for d, day_seed in enumerate(seed.spawn(days) if sms_per_day else ()):
        date = start + dt.timedelta(days=d)
        rngs = [np.random.default_rng(s) for s in day_seed.spawn(len(plan) + 1)]
        volumes = apportion(sms_per_day, weights * rngs[-1].lognormal(0.0, 0.03, len(plan)))
        folder, written = landing / "sms" / date.isoformat(), set()
        folder.mkdir(parents=True, exist_ok=True)
        for agency, stopped, volume, day_rng in zip(plan, opted_out, volumes, rngs):
            table = sms_day(agency, stopped, d, days, date, int(volume), numbers, zone, day_rng)
            path = folder / f"{agency.agency_id}{agency.suffix}"
            write_cdr(path, table, agency)                 # written as the agency writes its CDR file
            written.add(path.name)
            messages += int(volume)
            rows += table.num_rows
        for stale in folder.iterdir():
            if stale.name.endswith(CDR_SUFFIXES) and stale.name not in written:
                stale.unlink()
        files += len(written)
        say(f"{date.isoformat()}: {int(volumes.sum()):,} text messages in {len(written)} files")
    return {"messages": messages, "sms_rows": rows, "sms_files": files}
