"""Numbers attempted: distinct (entity, number) pairs of a day, and the window of the numbers
each agency attempted over the previous days, which says which of today's numbers are new.

Everything is sorting and binary search on int64 keys (no hashing: hashing ten million random
phone numbers costs seconds, a sort a fraction of one). A pair (code, number) becomes one int64
key `code << bits | (number - base)` when both fit in 63 bits, which they do unless the day
mixes numbers from all over the world with tens of thousands of agents; then the pairs are
sorted with lexsort instead (slower, the same result).

A window is a frame-free triple of arrays, sorted by (agency label, number):
    agency_ids  the agencies' labels, sorted (object array)
    agency      int32 code of each row into agency_ids
    number      int64 E.164 digits
    last_day    int32 days since 1970-01-01 of the latest day in the window the agency attempted it
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

EPOCH = dt.date(1970, 1, 1)


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01 (what a window's last_day holds)."""
    return (day - EPOCH).days


@dataclass(frozen=True)
class Window:
    agency_ids: np.ndarray
    agency: np.ndarray
    number: np.ndarray
    last_day: np.ndarray

    def __len__(self) -> int:
        return len(self.number)

    @staticmethod
    def empty() -> "Window":
        return Window(np.array([], dtype=object), np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, np.int32))


@dataclass(frozen=True)
class Attempted:
    """A day's distinct (agency, number) pairs, sorted, and its distinct (agent, number) pairs,
    each pointing at its agency pair."""

    agency: np.ndarray          # per agency pair: agency code
    number: np.ndarray          # per agency pair
    agent: np.ndarray           # per agent pair: agent (entity) code
    pair: np.ndarray            # per agent pair: index of its agency pair


def attempted(agency: np.ndarray, agent: np.ndarray, first_agent: np.ndarray, number: np.ndarray) -> Attempted:
    """The distinct pairs of the day's attempts (agency code, agent code, number of each), with one
    sort of (agency, number, agent within the agency) keys. Agents are numbered agency by agency:
    first_agent[a] is the first agent code of agency a."""
    if len(agency) == 0:
        empty = np.zeros(0, np.int64)
        return Attempted(empty, empty, empty, empty)
    local = agent - first_agent[agency]
    pair_packing = _packing([agency], [number])
    local_bits = max(int(local.max()).bit_length(), 1)
    if pair_packing is None or pair_packing.bits + local_bits + int(agency.max()).bit_length() > 62:
        agency_pair, agency_number = distinct_pairs(agency, number)          # rare: the general way
        agent_pair, agent_number = distinct_pairs(agent, number)
        pair = np.searchsorted(_pack_general(agency_pair, agency_number),
                               _pack_general(first_agency(first_agent, agent_pair), agent_number))
        return Attempted(agency_pair, agency_number, agent_pair, pair)
    keys = agency.astype(np.int64)                  # built and sorted in place: ten million keys are 80 MB each copy
    keys <<= pair_packing.bits
    keys += number
    keys -= pair_packing.base
    keys <<= local_bits
    keys |= local
    keys.sort()
    distinct = keys[_firsts(keys)]                  # the distinct (agency, number, agent) keys
    del keys
    pair_keys = distinct >> local_bits
    new_pair = _firsts(pair_keys)
    pair_agency, pair_number = _unpack(pair_packing, pair_keys[new_pair])
    del pair_keys
    pair = np.cumsum(new_pair)
    pair -= 1
    distinct &= (1 << local_bits) - 1               # the agent within its agency
    agent_code = first_agent[pair_agency[pair]] + distinct
    return Attempted(pair_agency, pair_number, agent_code, pair)


def _firsts(ordered: np.ndarray) -> np.ndarray:
    """Whether each element of a sorted array differs from the one before it (the first is True)."""
    first = np.empty(len(ordered), dtype=bool)
    if len(ordered):
        first[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return first


def first_agency(first_agent: np.ndarray, agent: np.ndarray) -> np.ndarray:
    """The agency code of each agent code (agents numbered agency by agency)."""
    return np.searchsorted(first_agent, agent, side="right") - 1


def new_and_after(window: Window, agency_ids: np.ndarray, agency: np.ndarray, number: np.ndarray, *,
                  since: dt.date, day: dt.date, keep_from: dt.date) -> tuple[np.ndarray, Window]:
    """For the day's distinct (agency, number) pairs (sorted, codes into agency_ids): whether
    each is new (no attempt in the window on `since` or later), and the window after the day
    (new_in_window and advance in one pass: one packing, one binary search)."""
    labels = np.array(sorted(set(window.agency_ids.tolist()) | set(agency_ids.tolist())), dtype=object)
    old_agency, new_agency = _recoded(window, labels), _recode(agency_ids, labels)[agency] if len(agency) else \
        np.zeros(0, np.int64)
    packing = _packing([old_agency, new_agency], [window.number, number])
    if packing is None:                                   # rare: the general way
        is_new = new_in_window(window, agency_ids, agency, number, since=since)
        return is_new, advance(window, agency_ids, agency, number, day=day, keep_from=keep_from)
    old = _pack(packing, old_agency, window.number)
    if len(old) > 1 and not (old[1:] > old[:-1]).all():
        raise ValueError("a stored window is not sorted by agency and number")
    today = _pack(packing, new_agency, number)
    at = np.minimum(np.searchsorted(old, today), max(len(old) - 1, 0))
    seen = (old[at] == today) if len(old) else np.zeros(len(today), dtype=bool)
    is_new = ~(seen & (window.last_day[at] >= day_number(since)) if len(old) else seen)
    keep = window.last_day >= day_number(keep_from)
    keep[at[seen]] = False                                # attempted again today: its row is today's now
    kept, kept_last = old[keep], window.last_day[keep]
    where = np.searchsorted(kept, today)
    merged = np.insert(kept, where, today)
    last = np.insert(kept_last, where, np.int32(day_number(day)))
    merged_agency, merged_number = _unpack(packing, merged)
    used = np.flatnonzero(np.bincount(merged_agency, minlength=len(labels)))
    relabel = np.full(len(labels), -1, np.int64)
    relabel[used] = np.arange(len(used))
    return is_new, Window(agency_ids=labels[used], agency=relabel[merged_agency].astype(np.int32),
                          number=merged_number, last_day=last.astype(np.int32))


def distinct_pairs(high: np.ndarray, low: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (high, low) pairs, sorted by high then low. high: non-negative int codes;
    low: int64."""
    if len(high) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    packing = _packing([high], [low])
    if packing is not None:
        keys = np.sort(_pack(packing, high, low))
        keep = np.empty(len(keys), dtype=bool)
        keep[0] = True
        np.not_equal(keys[1:], keys[:-1], out=keep[1:])
        return _unpack(packing, keys[keep])
    order = np.lexsort((low, high))
    high, low = high[order], low[order]
    keep = np.empty(len(high), dtype=bool)
    keep[0] = True
    keep[1:] = (high[1:] != high[:-1]) | (low[1:] != low[:-1])
    return high[keep].astype(np.int64), low[keep]


def pairs_in(query_high: np.ndarray, query_low: np.ndarray, high: np.ndarray, low: np.ndarray) -> np.ndarray:
    """For each query pair, whether it is among the pairs (high, low), which must be distinct
    and sorted by high then low (as distinct_pairs and windows give them)."""
    if len(query_high) == 0 or len(high) == 0:
        return np.zeros(len(query_high), dtype=bool)
    packing = _packing([query_high, high], [query_low, low])
    if packing is not None:
        keys = _pack(packing, high, low)
        wanted = _pack(packing, query_high, query_low)
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        return keys[at] == wanted
    # Rare (see the module's docstring): hashing the pairs instead, slower and the same.
    return pd.MultiIndex.from_arrays([query_high, query_low]).isin(pd.MultiIndex.from_arrays([high, low]))


def new_in_window(window: Window, agency_ids: np.ndarray, agency: np.ndarray, number: np.ndarray,
                  *, since: dt.date) -> np.ndarray:
    """For each (agency code into agency_ids, number) of the day: True when the window holds no
    attempt of that agency to that number on `since` or later (a new number)."""
    known = _recoded(window, agency_ids)
    rows = (known >= 0) & (window.last_day >= day_number(since))
    return ~pairs_in(agency, number, known[rows], window.number[rows])


def advance(window: Window, agency_ids: np.ndarray, agency: np.ndarray, number: np.ndarray, *, day: dt.date,
            keep_from: dt.date) -> Window:
    """The window after `day`: its rows attempted on `keep_from` or later, and the day's distinct
    (agency, number) pairs (sorted, as distinct_pairs gives them) with last_day = day."""
    labels = np.array(sorted(set(window.agency_ids.tolist()) | set(agency_ids.tolist())), dtype=object)
    old = window.last_day >= day_number(keep_from)
    old_agency = _recoded(window, labels)[old]
    old_number, old_last = window.number[old], window.last_day[old]
    new_agency = _recode(agency_ids, labels)[agency] if len(agency) else np.zeros(0, np.int64)
    replaced = pairs_in(old_agency, old_number, new_agency, number)
    old_agency, old_number, old_last = old_agency[~replaced], old_number[~replaced], old_last[~replaced]
    all_agency = np.concatenate([old_agency.astype(np.int64), new_agency.astype(np.int64)])
    all_number = np.concatenate([old_number, number])
    all_last = np.concatenate([old_last, np.full(len(number), day_number(day), np.int32)])
    packing = _packing([all_agency], [all_number])
    if packing is not None:
        order = np.argsort(_pack(packing, all_agency, all_number), kind="stable")
    else:
        order = np.lexsort((all_number, all_agency))
    used = np.flatnonzero(np.bincount(all_agency, minlength=len(labels)))     # drop labels no row uses any more
    relabel = np.full(len(labels), -1, np.int64)
    relabel[used] = np.arange(len(used))
    return Window(agency_ids=labels[used], agency=relabel[all_agency[order]].astype(np.int32),
                  number=all_number[order], last_day=all_last[order].astype(np.int32))


def _recode(old_labels: np.ndarray, new_labels: np.ndarray) -> np.ndarray:
    """Code in new_labels (sorted) of each of old_labels, -1 when absent."""
    if len(old_labels) == 0:
        return np.zeros(0, np.int64)
    if len(new_labels) == 0:
        return np.full(len(old_labels), -1, np.int64)
    at = np.minimum(np.searchsorted(new_labels, old_labels), len(new_labels) - 1)
    return np.where(new_labels[at] == old_labels, at, -1).astype(np.int64)


def _recoded(window: Window, labels: np.ndarray) -> np.ndarray:
    mapping = _recode(window.agency_ids, labels)
    return mapping[window.agency] if len(window) else np.zeros(0, np.int64)


# --- packing two integers into one sortable int64 ------------------------------------------


@dataclass(frozen=True)
class _Packing:
    bits: int           # bits of the low part
    base: int           # subtracted from the low part


def _packing(highs: list[np.ndarray], lows: list[np.ndarray]) -> _Packing | None:
    """How to pack these pairs into int64 keys ordered like the pairs, or None when they do not fit."""
    highs = [h for h in highs if len(h)]
    lows = [x for x in lows if len(x)]
    if not highs:
        return _Packing(bits=1, base=0)
    top = max(int(h.max()) for h in highs)
    low_min, low_max = min(int(x.min()) for x in lows), max(int(x.max()) for x in lows)
    if min(int(h.min()) for h in highs) < 0:
        return None
    bits = max((low_max - low_min).bit_length(), 1)
    if top.bit_length() + bits > 62:
        return None
    return _Packing(bits=bits, base=low_min)


def _pack(packing: _Packing, high: np.ndarray, low: np.ndarray) -> np.ndarray:
    keys = high.astype(np.int64)                    # in place from here: one array allocated, not three
    keys <<= packing.bits
    keys += low
    keys -= packing.base
    return keys


def _pack_general(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    """Sortable keys of pairs that do not fit one int64: a structured array (compared field by field)."""
    keys = np.empty(len(high), dtype=[("high", np.int64), ("low", np.int64)])
    keys["high"], keys["low"] = high, low
    return keys


def _unpack(packing: _Packing, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    low = keys & ((1 << packing.bits) - 1)
    low += packing.base
    return keys >> packing.bits, low
