"""Complaints for one audited day (signals.md §1), what the publish stage calls: the feed
validated, each complaint linked to the calls of its number in the look-back window and to
their cases, the day's records stored, and per agency the complaints and distinct numbers
attempted over the last window_days days.

Cost at ten million calls a day: the day's number index is built once from the day's calls
(one integer sort; day_numbers.py, shared with the early warnings); each complaint costs a binary
search per window day in memory-mapped indexes; the rolling reach merges one sorted day into the
previous state. No earlier day's calls are read unless its index is missing or stale.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from audits import store
from audits.config import AuditConfig
from audits.ingest import Ingested
from audits.privacy import key_fingerprint, phone_keys
from audits.signals import signal_store
from audits.signals.day_numbers import NumbersOfDay, call_keys, numbers_of_day, state_days
from audits.signals.effects import complaint_rates, complaints_per_case, stored_history_days
from audits.signals.feed import load_complaints
from audits.signals.last_contact import with_texts_and_last_contact
from audits.signals.linking import complaint_numbers, link_complaints
from audits.signals.numbers import DayNumbers, calls_to
from audits.signals.reach import numbers_per_agency


@dataclass(frozen=True)
class ComplaintSignals:
    ingested: Ingested               # the feed: accepted complaints, quarantine, file record, GX result
    register: pd.DataFrame           # complaints.csv rows (linking.COMPLAINT_COLUMNS)
    case_complaints: pd.Series       # case_id -> complaints linked to it, received in the window
    rates: pd.DataFrame              # per agency (effects.RATE_COLUMNS)
    window_days: int
    numbers: NumbersOfDay            # the day's numbers, which the early warnings count too
    month_rates: pd.DataFrame | None = None   # like `rates`, over the month so far (the SLA to date)
    history_days: int | None = None  # days of calls the store holds up to D (effects.stored_history_days)


def complaint_signals(config: AuditConfig, *, contracts: pd.DataFrame, violations: pd.DataFrame,
                      calls: pd.DataFrame | None = None, messages: pd.DataFrame | None = None) -> ComplaintSignals:
    """Everything complaints add to day D's report; stores D's findings by number, number
    index, reach and complaint records (under the store's lock). `calls`: the day's enriched
    calls, which this run wrote to D's partition (its number index is then built from them);
    `messages`: the day's enriched messages (None or empty: no texts), which complaints link to
    and whose last contact they name, with the texts of the window's earlier days to their
    numbers (last_contact.py; neither: complaints.csv as before)."""
    day, pack, root = config.audit_date, config.rulepack, config.store
    settings = pack.complaints
    fingerprint = key_fingerprint(config.hmac_secret)
    attempts = pack.attempt_dispositions
    with store.writing(root, run_id=config.run_id, wait_seconds=config.lock_wait_seconds):
        ingested = load_complaints(config.landing, day, rulepack=pack, known_agencies=contracts["agency_id"],
                                   earlier_ids=signal_store.complaint_ids_before(root, day),
                                   max_bytes=config.max_file_bytes)
        signal_store.write_findings(root, day, findings_by_number(violations), key_fingerprint=fingerprint)
        # Day D's calls partition was written by this run's validation stage: not hashed again here.
        numbers = numbers_of_day(root, day, days=state_days(pack), attempt_dispositions=attempts, checked=True,
                                 keys=call_keys(calls) if calls is not None else None)
        today = numbers.index
        complaints = ingested.accepted
        lookback = [day - dt.timedelta(days=n) for n in range(settings.lookback_days, -1, -1)]
        complained = np.unique(complaint_numbers(complaints))       # a handful: np.unique is fine here
        day_calls, calls = calls, calls_in_window(root, lookback, complained, attempts, today=today)
        keys = sorted(set(link_keys(complaints, config.hmac_secret)))
        findings = signal_store.read_findings(root, lookback, keys, key_fingerprint=fingerprint)
        register = link_complaints(complaints, calls, findings, day=day, secret=config.hmac_secret,
                                   bank_timezone=pack.bank_timezone)
        earlier_texts = store.read_texts_to(root, lookback[:-1], complaints["phone_e164"].tolist())
        if (messages is not None and not messages.empty) or not earlier_texts.empty:
            register = with_texts_and_last_contact(register, complaints, calls=day_calls, messages=messages,
                                                   bank_timezone=pack.bank_timezone, window_calls=calls,
                                                   earlier_texts=earlier_texts)
        signal_store.write_complaints(root, day, register)
        reach = numbers.reach_within(settings.window_days)
        window = [day - dt.timedelta(days=n) for n in range(settings.window_days - 1, 0, -1)]
        stored = signal_store.read_complaints(root, window)
        todays = register[list(signal_store.COMPLAINT_RECORD_COLUMNS)].astype(object)
        recent = pd.concat([stored.drop(columns="day"), todays], ignore_index=True)
        # the month so far, for the SLA as if the month ended today (review.md §1)
        month_days = min(day.day, state_days(pack), settings.window_days)
        first = (day - dt.timedelta(days=month_days - 1)).isoformat()
        in_month = pd.concat([stored[stored["day"] >= first].drop(columns="day"), todays], ignore_index=True)
        month_rates = complaint_rates(in_month, numbers_per_agency(numbers.reach_within(month_days)))
        signal_store.prune(root, day, keep_days=max(settings.lookback_days, state_days(pack)) + 1)
    return ComplaintSignals(ingested=ingested, register=register, case_complaints=complaints_per_case(recent),
                            rates=complaint_rates(recent, numbers_per_agency(reach)),
                            window_days=settings.window_days, numbers=numbers, month_rates=month_rates,
                            history_days=stored_history_days(day, lambda d: store.has_day(root, d),
                                                             settings.window_days + pack.scoring.trend_days))


def findings_by_number(violations: pd.DataFrame) -> pd.DataFrame:
    """The day's findings per (callee_key, agency, case), counted: what later complaints link to."""
    columns = ["callee_key", "agency_id", "case_id"]
    if violations.empty:
        return pd.DataFrame({**{c: pd.Series([], dtype=object) for c in columns},
                             "findings": pd.Series([], dtype="int64")})
    return violations.groupby(columns, sort=True).size().rename("findings").reset_index()


def link_keys(complaints: pd.DataFrame, secret: bytes) -> list[str]:
    return phone_keys(complaints["phone_e164"], secret).tolist() if len(complaints) else []


def calls_in_window(root, days: list[dt.date], numbers: np.ndarray, attempt_dispositions: frozenset[str], *,
                    today: DayNumbers) -> pd.DataFrame:
    """One row per (call date, number, agency) with calls to `numbers` on `days` (the last is
    the audit day, whose index is `today`)."""
    frames = []
    for day in days if len(numbers) else []:
        index = (today if day == days[-1]
                 else signal_store.day_index(root, day, attempt_dispositions=attempt_dispositions))
        which, codes, calls = calls_to(index, numbers)
        if len(which):
            frames.append(pd.DataFrame({"call_date": day.isoformat(), "callee_number": numbers[which],
                                        "agency_id": np.asarray(index.agencies, dtype=object)[codes],
                                        "calls": calls}))
    if not frames:
        return pd.DataFrame({"call_date": pd.Series([], dtype=object), "callee_number": pd.Series([], dtype="int64"),
                             "agency_id": pd.Series([], dtype=object), "calls": pd.Series([], dtype="int64")})
    return pd.concat(frames, ignore_index=True)
