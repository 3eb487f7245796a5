"""A realistic sample landing zone with planted violations and its ground truth.

    write_sample_landing(Path("landing"), start=dt.date(2026, 11, 27), days=3)

writes, exactly as data-contract.md section 1 describes:

    reference/contracts.xlsx, agents.csv, caller_numbers.csv, campaigns.csv,
              assignments.csv, consents.csv
    cdr/<YYYY-MM-DD>/<agency_id>.csv | .csv.gz | .parquet
    sms/<YYYY-MM-DD>/<agency_id>.csv | .csv.gz | .parquet   text messages (texts.py, text_plants.py)
    reference/exceptions.csv, disputes.csv   decisions about planted cases (lifecycle.py)
    truth/<YYYY-MM-DD>.csv      agency_id, call_id, rule_id, row_number, channel
    truth/cases/<YYYY-MM-DD>.csv   the day's expected case register (lifecycle.py)
    complaints/<YYYY-MM-DD>.csv, truth/<YYYY-MM-DD>-complaints.csv   planted complaints (sample/complaints.py)
    truth/<YYYY-MM-DD>-warnings.csv   level, agency_id, agent_id, metric (anomalies.py)

The truth lists every finding the cn_bank rulepack must report for the day (one row per call
and rule, or per message and rule with call_id the message_id; row_number blank; channel
`call` or `sms`) and every quarantined row (rule_id = its DQ code, row_number =
1-based data row in the agency's file) and file-level problem (DQ_FILE_MISSING,
DQ_FILE_UNREADABLE; call_id and row_number blank). The warnings truth lists every early
warning the cn_bank rulepack must raise that day (anomalies.py; none without `anomalies`).
Same arguments, same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from audits.sample.agencies import BANK_TZ, Plan, plan_agencies, zone_offset_s
from audits.sample.anomalies import Anomalies
from audits.sample.assemble import CALLER_CAP, TRUTH_COLUMNS, AgencyFile, assemble_day
from audits.sample.calls import background_day
from audits.sample.complaints import ComplaintPlanter
from audits.sample.decoys import near_misses
from audits.sample.dq import dq_rows
from audits.sample.history import HISTORY_PLANTS
from audits.sample.lifecycle import SUBJECT_KINDS, CasePlants, subjects_of, write_case_truth
from audits.sample.plants import SINGLE_PLANTS, Planter
from audits.sample.reference import (
    PURPOSE_CODES,
    Callers,
    Landlines,
    Numbers,
    Pool,
    Roster,
    day_strings,
    pool_sizes,
    purpose_volumes,
)
from audits.sample.text_plants import text_plants
from audits.sample.texts import Texting, background_texts, sms_day, write_sms_day
from audits.sample.writer import (
    callee_strings,
    caller_forms,
    csv_bytes,
    encode_csv,
    parquet_bytes,
    ts_strings,
    write_atomic,
    xlsx_bytes,
)

CDR_SUFFIXES = (".csv", ".csv.gz", ".parquet")
CONTRACT_COLUMNS = ["agency_id", "agency_name", "contract_id", "contract_start", "contract_end",
                    "permitted_purposes", "permitted_products", "licence_no", "licence_expiry",
                    "nda_signed", "nda_expiry", "timezone", "channels"]
TRUTH_ORDER = ["agency_id", "channel", "rule_id", "call_id", "_n"]


def write_sample_landing(landing: Path, *, start: dt.date, days: int, agencies: int = 8,
                         calls_per_day: int = 20_000, seed: int = 7, anomalies: bool = True,
                         progress: Callable[[str], None] | None = None) -> dict:
    """Write the sample landing zone and its truth; returns a summary:
    {"days", "agencies", "calls", "messages", "files", "planted": {rule_id or DQ code: rows}}."""
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    if calls_per_day < 1:
        raise ValueError(f"calls_per_day must be at least 1, got {calls_per_day}")
    say = progress or (lambda message: None)
    landing = Path(landing)
    # The order of the streams is part of the sample: a new one goes last, so the others keep their draws.
    s_plan, s_ref, s_plant, s_days, s_complaints, s_anomalies, s_texts = np.random.SeedSequence(seed).spawn(7)
    plan = plan_agencies(agencies, start, days, np.random.default_rng(s_plan))
    rng = np.random.default_rng(s_ref)
    cap_excess = int(min(max(1, round(3 * calls_per_day / 20_000)), 40))
    floor = CALLER_CAP + cap_excess + 10                   # volume for the caller-cap plant ...
    if calls_per_day >= 2 * (floor + CALLER_CAP + 50):     # ... and for its near miss (exactly 200)
        floor += CALLER_CAP + 50
    volumes = purpose_volumes(plan, calls_per_day, floor)
    numbers = Numbers(rng)
    roster = Roster(plan, volumes, rng)
    callers = Callers(plan, volumes, Landlines(rng), rng)
    sizes = pool_sizes(volumes, days)
    pools = {p: Pool(p, plan, sizes[p], numbers, rng) for p in PURPOSE_CODES}
    planter = Planter(plan, roster, callers, numbers, np.random.default_rng(s_plant), calls_per_day)
    cases = CasePlants.choose(plan)                        # cases over days, and decisions about them
    for day in range(days):
        for plant in (*SINGLE_PLANTS, *HISTORY_PLANTS, near_misses, dq_rows, cases.plant):
            plant(planter, day)
    unusual = Anomalies.plant(plan, planter, roster, volumes, days if anomalies else 0,      # 0 days: none
                              np.random.default_rng(s_anomalies))
    texting, text_days = _plan_texts(plan, planter, calls_per_day, s_texts)
    say(f"sample: {agencies} agencies, {days} day(s) from {start.isoformat()}, "
        f"{calls_per_day:,} calls a day, seed {seed}")
    _write_reference(landing, plan, roster, callers, pools, planter, rng, texting)   # complete before any day
    for table, frame in cases.reference_tables().items():
        _csv(landing / "reference" / f"{table}.csv", frame)
    say(f"reference tables written to {landing / 'reference'}")

    complaints = ComplaintPlanter(plan, numbers, np.random.default_rng(s_complaints))
    calls, messages, files, planted, findings = 0, 0, 0, Counter(), {}
    for day, day_seed in enumerate(s_days.spawn(days)):
        day_rng = np.random.default_rng(day_seed)
        rows = planter.calls[day]
        counts = purpose_volumes(plan, max(0, calls_per_day - len(rows) + unusual.planted_rows(day)), floor)
        unusual.make_room(counts, day)
        background = unusual.on_background(background_day(plan, pools, roster, day, counts, day_rng), day)
        unusual.observe(day, background, rows)
        result = assemble_day(plan, callers, background, rows, day, day_rng, cap_excess)
        written = _write_cdr(landing / "cdr" / plan.date(day).isoformat(), result.files)
        texts = sms_day(texting, day, np.random.default_rng(text_days[day]))
        if texting.agencies:
            messages += write_sms_day(landing / "sms" / plan.date(day).isoformat(), texting, texts)
        truth = pd.concat([result.truth[TRUTH_COLUMNS].assign(channel="call"), texts.truth], ignore_index=True)
        truth = truth.assign(_n=pd.to_numeric(truth["row_number"], errors="coerce").fillna(-1))
        truth = truth.sort_values(TRUTH_ORDER, kind="stable").drop(columns="_n")
        _csv(landing / "truth" / f"{plan.date(day).isoformat()}.csv", truth[[*TRUTH_COLUMNS, "channel"]])
        complaints.record_day(day, result.files, result.truth)            # signals.md §3
        complaints.write_day(landing, day)
        _csv(landing / "truth" / f"{plan.date(day).isoformat()}-warnings.csv", unusual.truth_frame(day))
        calls, files = calls + written, files + len(result.files)
        planted.update(truth["rule_id"].tolist())
        rules = result.truth[~result.truth["rule_id"].str.startswith("DQ_")]
        findings[day] = pd.concat([subjects_of(rules[["agency_id", "call_id", "rule_id"]], result.calls),
                                   _text_subjects(texts.truth, texts.subjects)], ignore_index=True)
        say(f"{plan.date(day).isoformat()}: {written:,} rows in {len(result.files)} files, "
            f"{len(result.truth):,} truth rows")
        del background, result                               # keep one day in memory at a time
    write_case_truth(landing, plan, cases.case_truth(findings), _csv)
    for reason in unusual.not_planted:                         # the truth files say none; say why
        say(f"sample: {reason}")
    return {"days": days, "agencies": agencies, "calls": calls, "messages": messages, "files": files,
            "planted": dict(sorted(planted.items())), "anomalies_not_planted": list(unusual.not_planted)}


def _plan_texts(plan: Plan, planter: Planter, calls_per_day: int,
                seed: np.random.SeedSequence) -> tuple[Texting, list[np.random.SeedSequence]]:
    """Who texts, the background texts and the planted texts of every day (planted calls of
    cross-channel cases join the day's planted calls); the seeds of each day's SMS files."""
    s_choose, s_background, s_plants, s_days = seed.spawn(4)
    texting = Texting.choose(plan, np.random.default_rng(s_choose))
    texting.set_contract_channels()
    texter = Planter(plan, planter.roster, planter.callers, planter.numbers, np.random.default_rng(s_plants),
                     calls_per_day)
    texter.calls, texter.assignments, texter.consents = planter.calls, planter.assignments, planter.consents
    if texting.agencies:
        background_texts(texting, texter, calls_per_day, np.random.default_rng(s_background))
        for day in range(plan.days):
            text_plants(texting, texter, day)
    return texting, s_days.spawn(plan.days)


def _text_subjects(truth: pd.DataFrame, texts: pd.DataFrame) -> pd.DataFrame:
    """The case subject of each planted finding on a text (a port's subject is its digits)."""
    found = truth.loc[~truth["rule_id"].str.startswith("DQ_"), ["agency_id", "call_id", "rule_id"]]
    if found.empty:
        return found.assign(subject=pd.Series([], dtype=object))[["agency_id", "rule_id", "subject"]]
    joined = found.merge(texts, on=["agency_id", "call_id"], how="left", validate="many_to_one")
    kind = joined["rule_id"].map(SUBJECT_KINDS)
    subject = pd.Series("", index=joined.index, dtype=object)
    for name, column in (("agent", "agent"), ("campaign", "campaign"), ("caller", "caller")):
        subject[kind == name] = joined.loc[kind == name, column].astype(str)
    subject[kind == "customer"] = "+86" + joined.loc[kind == "customer", "callee"].astype("int64").astype(str)
    return joined[["agency_id", "rule_id"]].assign(subject=subject.to_numpy(dtype=object))


def _write_cdr(folder: Path, files: list[AgencyFile]) -> int:
    """Write the day's agency files; returns the data rows written."""
    folder.mkdir(parents=True, exist_ok=True)
    rows, written = 0, set()
    for f in files:
        path = folder / f"{f.agency.agency_id}{f.agency.suffix}"
        if f.agency.fmt == "parquet":
            data = parquet_bytes(f.header, f.columns)
        else:                                                # Chinese Excel exports end lines with CRLF
            newline = "\r\n" if f.agency.fmt == "gb18030" else "\n"
            data = encode_csv(csv_bytes(f.header, f.columns, newline=newline, replace=f.replace), f.agency.fmt)
        write_atomic(path, data)
        written.add(path.name)
        rows += len(f.columns[0])
    _remove_stale(folder, written)
    return rows


def _remove_stale(folder: Path, written: set[str]) -> None:
    """A rerun into the same landing zone must not leave another run's agency files behind."""
    for path in folder.iterdir():
        if path.is_file() and path.name.endswith(CDR_SUFFIXES) and path.name not in written:
            path.unlink()


def _write_reference(landing: Path, plan: Plan, roster: Roster, callers: Callers, pools: dict[str, Pool],
                     planter: Planter, rng: np.random.Generator, texting: Texting) -> None:
    ref = landing / "reference"
    for stale in ("contracts.csv", "contracts.csv.gz", "contracts.parquet"):
        if (ref / stale).is_file():
            (ref / stale).unlink()
    contracts = pd.DataFrame([row for a in plan.agencies for row in a.contracts], columns=CONTRACT_COLUMNS)
    write_atomic(ref / "contracts.xlsx",
                 xlsx_bytes(contracts, sheet="contracts", stamp=(plan.start - dt.timedelta(days=1)).isoformat()))
    _csv(ref / "agents.csv", roster.frame(plan))
    forms = [caller_forms(r["number"])[0 if rng.random() < 0.8 else 3] for r in callers.rows]
    numbers = callers.frame(plan, forms).assign(channel="call")           # blank would read as call too
    _csv(ref / "caller_numbers.csv", pd.concat([numbers, texting.port_frame()], ignore_index=True))
    campaigns = [(c, p, prod) for c, (p, prod) in sorted(plan.campaigns.items())]
    _csv(ref / "campaigns.csv", pd.DataFrame(campaigns, columns=["campaign_id", "purpose", "product"]))
    _csv(ref / "assignments.csv", _assignments(plan, pools, planter, rng))
    _csv(ref / "consents.csv", _consents(pools, planter, rng))


def _csv(path: Path, frame: pd.DataFrame) -> None:
    columns = [frame[c].astype(str).to_numpy(dtype=object) for c in frame.columns]
    write_atomic(path, csv_bytes(list(frame.columns), columns))


def _phones(number: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return callee_strings(number.astype(np.int64), np.where(rng.random(number.size) < 0.85, 0, 1))


def _customer_ids(customer: np.ndarray) -> np.ndarray:
    return ("C" + pd.Series(customer.astype(np.int64)).astype(str).str.zfill(9)).to_numpy(dtype=object)


def _assignments(plan: Plan, pools: dict[str, Pool], planter: Planter, rng: np.random.Generator) -> pd.DataFrame:
    ids = np.array([a.agency_id for a in plan.agencies], dtype=object)
    parts = []
    for pool in pools.values():
        parts.append(pd.DataFrame({
            "agency_id": ids[pool.agency], "campaign_id": pool.campaign,
            "customer_id": _customer_ids(pool.customer), "phone": _phones(pool.number, rng),
            "assigned_from": day_strings(plan, pool.assigned_from),
            "assigned_to": day_strings(plan, pool.assigned_to)}))
        prior = np.flatnonzero(pool.prior)                  # an older entrustment, ended before the start
        other = (pool.agency[prior] + 1) % len(plan.agencies)
        first = np.array([plan.agencies[a].campaigns[0] for a in range(len(plan.agencies))], dtype=object)
        ended = np.minimum(pool.assigned_from[prior], 0) - rng.integers(1, 60, prior.size)
        parts.append(pd.DataFrame({
            "agency_id": ids[other], "campaign_id": first[other],
            "customer_id": _customer_ids(pool.customer[prior]), "phone": _phones(pool.number[prior], rng),
            "assigned_from": day_strings(plan, ended - rng.integers(200, 600, prior.size)),
            "assigned_to": day_strings(plan, ended)}))
    rows = planter.assignments
    if rows:
        parts.append(pd.DataFrame({
            "agency_id": ids[[r["agency"] for r in rows]], "campaign_id": [r["campaign"] for r in rows],
            "customer_id": _customer_ids(np.array([r["customer"] for r in rows])),
            "phone": _phones(np.array([r["number"] for r in rows]), rng),
            "assigned_from": day_strings(plan, np.array([r["from"] for r in rows])),
            "assigned_to": day_strings(plan, np.array([r["to"] for r in rows]))}))
    return pd.concat(parts, ignore_index=True)


def _consents(pools: dict[str, Pool], planter: Planter, rng: np.random.Generator) -> pd.DataFrame:
    numbers, customers, given, withdrawn = [], [], [], []
    for pool in pools.values():
        rows = np.flatnonzero(pool.consent_ms != -1)
        numbers.append(pool.number[rows])
        customers.append(pool.customer[rows])
        given.append(np.where(pool.consent_ms[rows] >= 0, pool.consent_ms[rows], -1))
        withdrawn.append(pool.withdrawn_ms[rows])
    rows = planter.consents
    numbers.append(np.array([r["number"] for r in rows], dtype=np.int64))
    customers.append(np.array([r["customer"] for r in rows], dtype=np.int64))
    given.append(np.array([r["consent_ms"] for r in rows], dtype=np.int64))
    withdrawn.append(np.array([r["withdrawn_ms"] for r in rows], dtype=np.int64))
    number, given, withdrawn = np.concatenate(numbers), np.concatenate(given), np.concatenate(withdrawn)
    style = np.array([0, 1, 4, 7])[rng.integers(0, 4, number.size)]
    offset = np.full(number.size, zone_offset_s(BANK_TZ, dt.date(2000, 1, 1)))
    return pd.DataFrame({
        "customer_id": _customer_ids(np.concatenate(customers)), "phone": _phones(number, rng),
        "marketing_consent_at": ts_strings(given, style, offset),
        "marketing_withdrawn_at": ts_strings(withdrawn, style, offset)})
