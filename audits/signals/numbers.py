"""Who called which number on a day: one sorted integer key per (number, agency) with its calls
and attempts. Complaint linking looks numbers up in it (a binary search in a memory-mapped
array: a few pages per complaint, not a read of the day's ten million calls), and the rolling
reach (reach.py) adds each day's attempted keys.

key = E.164 digits << AGENCY_BITS | the agency's position in the day's sorted agency list.
E.164 numbers have at most 15 digits (< 2^50), so the key fits an int64 and sorts by number,
then agency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

AGENCY_BITS = 13                                   # up to 8,192 agencies a day
AGENCY_MASK = (1 << AGENCY_BITS) - 1


@dataclass(frozen=True)
class DayNumbers:
    """A day's index: keys sorted and distinct, calls and attempts per key, the agency list
    the keys' low bits point into."""

    keys: np.ndarray            # int64
    calls: np.ndarray           # unsigned, calls of any disposition
    attempts: np.ndarray        # unsigned, calls whose disposition is an attempt
    agencies: tuple[str, ...]   # sorted

    @staticmethod
    def empty() -> DayNumbers:
        nothing = np.zeros(0, dtype=np.uint8)
        return DayNumbers(keys=np.zeros(0, dtype=np.int64), calls=nothing, attempts=nothing, agencies=())


def agency_codes(column: pa.ChunkedArray, agencies: tuple[str, ...]) -> np.ndarray:
    """The position of each row's agency in `agencies` (sorted; every value must be in it), from
    a (dictionary-encoded or plain) text column, one look-up per dictionary entry."""
    lookup = np.asarray(agencies, dtype=object)
    parts = []
    for chunk in column.chunks:
        if pa.types.is_dictionary(chunk.type):
            values = np.asarray(chunk.dictionary.to_pylist(), dtype=object)
            positions = np.searchsorted(lookup, values).astype(np.int64) if len(values) else np.zeros(0, np.int64)
            parts.append(positions[chunk.indices.to_numpy(zero_copy_only=False)])
        else:
            parts.append(np.searchsorted(lookup, np.asarray(chunk.to_pylist(), dtype=object)).astype(np.int64))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def distinct_agencies(column: pa.ChunkedArray) -> tuple[str, ...]:
    """The sorted distinct values of a text column (dictionary-encoded or plain)."""
    values: set[str] = set()
    for chunk in column.chunks:
        # unique(), not a dictionary chunk's dictionary: that may hold values no row uses (a
        # filtered or categorical column keeps them, and Parquet writes them back); on a
        # dictionary chunk unique() hashes the integer indices, ~20 ms per ten million rows.
        values.update(v for v in chunk.unique().to_pylist() if v is not None)
    return tuple(sorted(values))


def day_numbers(numbers: np.ndarray, codes: np.ndarray, attempt: np.ndarray, agencies: tuple[str, ...]) -> DayNumbers:
    """The index of a day's calls: E.164 digits (int64; negative = none, left out), agency
    codes into `agencies` and the attempt flag, one per call."""
    if len(agencies) > AGENCY_MASK + 1:
        raise ValueError(f"{len(agencies)} agencies called on one day; the number index holds at most "
                         f"{AGENCY_MASK + 1}.")
    # One sort of (key, attempt) as uint64 (digits < 2^50, so 50 + 13 + 1 bits fit): runs of a
    # key are its calls, the set low bits in a run its attempts. Built in place (each copy of ten
    # million keys is 80 MB); a call without a number (-1) sorts last and is cut off.
    ordered = np.asarray(numbers, dtype=np.int64).astype(np.uint64)
    ordered <<= np.uint64(AGENCY_BITS)
    ordered |= np.asarray(codes).astype(np.uint64, copy=False)
    ordered <<= np.uint64(1)
    ordered |= np.asarray(attempt, dtype=bool)
    ordered[np.asarray(numbers) < 0] = np.iinfo(np.uint64).max
    ordered.sort()
    ordered = ordered[:np.searchsorted(ordered, np.iinfo(np.uint64).max)]
    pairs = ordered >> np.uint64(1)
    if not len(pairs):
        return DayNumbers(keys=np.zeros(0, dtype=np.int64), calls=np.zeros(0, dtype=np.uint8),
                          attempts=np.zeros(0, dtype=np.uint8), agencies=agencies)
    starts = np.flatnonzero(np.concatenate(([True], pairs[1:] != pairs[:-1])))
    calls = np.diff(np.append(starts, len(pairs)))
    attempts = np.add.reduceat((ordered & np.uint64(1)).astype(np.int64), starts)
    return DayNumbers(keys=pairs[starts].astype(np.int64), calls=_small(calls), attempts=_small(attempts),
                      agencies=agencies)


def _small(counts: np.ndarray) -> np.ndarray:
    """Counts in the smallest unsigned type that holds them (almost always one byte)."""
    return counts.astype(np.min_scalar_type(int(counts.max()) if len(counts) else 0))


def calls_to(index: DayNumbers, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each of `numbers` (distinct E.164 digits), the agencies that called it and how often:
    (position in `numbers`, agency code, calls), one entry per (number, agency). Binary search
    on the sorted keys: on a memory-mapped index only the pages it touches are read."""
    low = np.searchsorted(index.keys, numbers << AGENCY_BITS, side="left")
    high = np.searchsorted(index.keys, (numbers + 1) << AGENCY_BITS, side="left")
    sizes = high - low
    which = np.repeat(np.arange(len(numbers)), sizes)
    positions = (np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes) + np.repeat(low, sizes)
                 ).astype(np.int64)
    keys = np.asarray(index.keys[positions])
    return which, keys & AGENCY_MASK, np.asarray(index.calls[positions]).astype(np.int64)
