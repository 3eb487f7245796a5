"""The numbers of an audited day, shared by both signals (signals.md §1 and §2): the day's
(number, agency) index (numbers.py) and the rolling state of what each agency attempted over
the last `days` days (reach.py), advanced by the day. One sort of the day's calls and one merge
into the state a night serve the complaints (look-ups, the 30-day reach) and the early
warnings (numbers attempted, new numbers) alike.

`days` covers both: the complaint rate's window (keys attempted on D − window_days + 1 .. D)
and the new numbers' (attempted on D − new_numbers_days .. D − 1), so
days = max(window_days, new_numbers_days + 1).

The state of day D is built from the latest stored state of a day before D whose days are
still as the store holds them (checked against each day's calls partition record), with the
days after it merged in, never from D's own stored state: a rerun of D advances the same state
a first run did, so both find the same new numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from audits.config import Rulepack
from audits.phones import e164_integers
from audits.signals import signal_store
from audits.signals.numbers import AGENCY_BITS, DayNumbers, day_numbers
from audits.signals.reach import Reach, advanced, advanced_with_previous, within

EPOCH = dt.date(1970, 1, 1)


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01 (what a state's last_day holds)."""
    return (day - EPOCH).days


def state_days(rulepack: Rulepack) -> int:
    """How many days the rolling state keeps: what the complaint rate and the new numbers need."""
    return max(rulepack.complaints.window_days, rulepack.warnings.new_numbers_days + 1)


@dataclass(frozen=True)
class CallKeys:
    """Per call of the day, in the order of the calls they come from: its agency's code into
    agency_ids (sorted labels), its callee's E.164 digits (int64; -1 when none), whether it is
    an attempt. Computed once a night for both signals."""

    agency_ids: np.ndarray
    agency: np.ndarray
    number: np.ndarray
    attempt: np.ndarray

    def index(self) -> DayNumbers:
        return day_numbers(self.number, self.agency, self.attempt, tuple(self.agency_ids))


def call_keys(calls: pd.DataFrame) -> CallKeys:
    """The keys of the day's enriched calls (agency_id, callee_e164 or number, is_attempt)."""
    agency, agency_ids = text_codes(calls["agency_id"])
    number = calls["number"].to_numpy(dtype=np.int64) if "number" in calls else e164_integers(calls["callee_e164"])
    return CallKeys(agency_ids=agency_ids, agency=agency, number=number,
                    attempt=calls["is_attempt"].to_numpy(dtype=bool))


def text_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer code of each value into the sorted distinct values (Arrow's dictionary encoding,
    several times faster than pandas' factorize on text)."""
    if len(values) == 0:
        return np.zeros(0, np.int64), np.array([], dtype=object)
    arrow = pa.array(values)
    encoded = pc.dictionary_encode(arrow.combine_chunks() if isinstance(arrow, pa.ChunkedArray) else arrow)
    labels = encoded.dictionary.to_numpy(zero_copy_only=False).astype(object)
    order = np.argsort(labels, kind="stable")
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(len(labels))
    return rank[encoded.indices.to_numpy()], labels[order]


@dataclass(frozen=True)
class NumbersOfDay:
    day: dt.date
    index: DayNumbers          # the day's calls per (number, agency) key
    reach: Reach               # keys attempted on the `days` days up to the day, with their last day
    previous: np.ndarray       # per key the day attempted (attempted_keys order): its last earlier
    #                            day in the state (days since the epoch), -1 when none
    keys: CallKeys | None = None     # the day's calls' keys, when the index was built from them

    def attempted_keys(self) -> np.ndarray:
        return np.asarray(self.index.keys)[np.asarray(self.index.attempts) > 0]

    def reach_within(self, window_days: int) -> Reach:
        """The keys attempted on D − window_days + 1 .. D."""
        return within(self.reach, first_kept=day_number(self.day) - window_days + 1)


def advance_day(state: Reach, index: DayNumbers, day: dt.date, *, days: int,
                keys: CallKeys | None = None) -> NumbersOfDay:
    """The numbers of `day` from the state of the days before it (holding at least
    D − days + 1 .. D − 1): the state advanced by the day's index, and each attempted key's
    previous day."""
    reach, previous = advanced_with_previous(state, index, day_number(day), first_kept=day_number(day) - days + 1)
    return NumbersOfDay(day=day, index=index, reach=reach, previous=previous, keys=keys)


def numbers_of_day(root: Path, day: dt.date, *, days: int, attempt_dispositions: frozenset[str],
                   checked: bool = False, keys: CallKeys | None = None) -> NumbersOfDay:
    """Day D's numbers, stored (the day's index and state); the caller holds the store's lock.
    `checked`: D's calls partition was written by this run (not hashed again); `keys`: the keys
    of the calls this run wrote to it (then its index is built from them, not read back)."""
    first = day - dt.timedelta(days=days - 1)
    window = [first + dt.timedelta(days=n) for n in range(days)]
    digests = {d.isoformat(): signal_store.calls_digest(root, d) for d in window}
    wanted = {"window_days": days, "attempt_dispositions": sorted(attempt_dispositions)}
    state, start = Reach.empty(), first
    for earlier in sorted((d for d in signal_store.reach_days(root) if first <= d < day), reverse=True):
        stored = signal_store.read_reach(root, earlier)
        if stored is None:
            continue
        reach, record = stored
        recorded = record.get("days") or {}
        if all(record.get(k) == v for k, v in wanted.items()) and all(
                recorded.get(d.isoformat(), "absent") == digests[d.isoformat()] for d in window if d <= earlier):
            state, start = within(reach, first_kept=day_number(first)), earlier + dt.timedelta(days=1)
            break
    while start < day:
        index = signal_store.day_index(root, start, attempt_dispositions=attempt_dispositions)
        state = advanced(state, index, day_number(start), first_kept=day_number(first))
        start += dt.timedelta(days=1)
    today = signal_store.day_index(root, day, attempt_dispositions=attempt_dispositions, checked=checked,
                                  built=keys.index() if keys is not None else None)
    numbers = advance_day(state, today, day, days=days, keys=keys)
    signal_store.write_reach(root, day, numbers.reach, {**wanted, "days": digests})
    return numbers


def previous_days(numbers: NumbersOfDay, agency_ids: np.ndarray, agency: np.ndarray,
                  number: np.ndarray) -> np.ndarray:
    """For (agency code into agency_ids, number) pairs the day attempted, sorted by number then
    agency (as attempted.attempted gives them): the last earlier day each agency attempted the
    number within the state, -1 when none. The pairs are the index's attempted keys, in the
    same order, when the calls are the day's stored calls (then no search is needed); any pair
    the index lacks has none."""
    labels = np.asarray(numbers.index.agencies, dtype=object)
    agency_ids = np.asarray(agency_ids, dtype=object)
    at = np.minimum(np.searchsorted(labels, agency_ids), max(len(labels) - 1, 0)) if len(labels) else \
        np.zeros(len(agency_ids), np.int64)
    known = (labels[at] == agency_ids) if len(labels) else np.zeros(len(agency_ids), dtype=bool)
    keys = (np.asarray(number, dtype=np.int64) << AGENCY_BITS) | at[agency]
    usable = known[agency] & (np.asarray(number) >= 0)
    attempted = numbers.attempted_keys()
    if usable.all() and np.array_equal(keys, attempted):
        return numbers.previous.copy()
    previous = np.full(len(keys), -1, dtype=np.int32)
    if len(attempted):
        position = np.minimum(np.searchsorted(attempted, keys), len(attempted) - 1)
        found = usable & (attempted[position] == keys)
        previous[found] = numbers.previous[position[found]]
    return previous
