"""Numbers attempted: the distinct (agency, number) and (agent, number) pairs of a day's
attempts, which the early warnings count (numbers per agency and agent; new numbers are looked
up for the agency pairs in the day's numbers, day_numbers.py).

One sort of int64 keys (no hashing: hashing ten million random phone numbers costs seconds, a
sort a fraction of one): (number − the day's smallest) << agency and agent bits | agency | agent
within its agency, which fits 62 bits unless the day mixes numbers from all over the world with
tens of thousands of agents; then a lexsort of the three columns instead (slower, the same result).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Attempted:
    """A day's distinct (agency, number) pairs, sorted by number then agency code, and its
    distinct (agent, number) pairs, each pointing at its agency pair."""

    agency: np.ndarray          # per agency pair: agency code
    number: np.ndarray          # per agency pair
    agent: np.ndarray           # per agent pair: agent (entity) code
    pair: np.ndarray            # per agent pair: index of its agency pair


def attempted(agency: np.ndarray, agent: np.ndarray, first_agent: np.ndarray, number: np.ndarray) -> Attempted:
    """The distinct pairs of the day's attempts (agency code, agent code, number of each), with one
    sort of (number, agency, agent within the agency) keys: the agency pairs come sorted by number,
    then agency, as the day's number index holds them (numbers.py). Agents are numbered agency by
    agency: first_agent[a] is the first agent code of agency a."""
    if len(agency) == 0:
        empty = np.zeros(0, np.int64)
        return Attempted(empty, empty, empty, empty)
    local = agent - first_agent[agency]
    local_bits = max(int(local.max()).bit_length(), 1)
    agency_bits = max(int(agency.max()).bit_length(), 1)
    base = int(number.min())
    number_bits = max((int(number.max()) - base).bit_length(), 1)
    if number_bits + agency_bits + local_bits > 62:                     # rare: the general way
        return _attempted_unpacked(agency, agent, number)
    keys = number.astype(np.int64)                  # built and sorted in place: ten million keys are 80 MB each copy
    keys -= base
    keys <<= agency_bits
    keys |= agency
    keys <<= local_bits
    keys |= local
    keys.sort()
    distinct = keys[_firsts(keys)]                  # the distinct (number, agency, agent) keys
    del keys
    pair_keys = distinct >> local_bits
    new_pair = _firsts(pair_keys)
    firsts = pair_keys[new_pair]
    del pair_keys
    pair_agency = firsts & ((1 << agency_bits) - 1)
    firsts >>= agency_bits
    firsts += base
    pair = np.cumsum(new_pair)
    pair -= 1
    distinct &= (1 << local_bits) - 1               # the agent within its agency
    agent_code = first_agent[pair_agency[pair]] + distinct
    return Attempted(pair_agency, firsts, agent_code, pair)


def _attempted_unpacked(agency: np.ndarray, agent: np.ndarray, number: np.ndarray) -> Attempted:
    """attempted() for keys that do not fit one int64: a lexsort of the three columns."""
    order = np.lexsort((agent, agency, number))
    agency, agent, number = agency[order], agent[order], number[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (number[1:] != number[:-1]) | (agency[1:] != agency[:-1]) | (agent[1:] != agent[:-1])
    agency, agent, number = agency[new], agent[new], number[new]
    new_pair = np.ones(len(agency), dtype=bool)
    new_pair[1:] = (number[1:] != number[:-1]) | (agency[1:] != agency[:-1])
    return Attempted(agency[new_pair].astype(np.int64), number[new_pair].astype(np.int64), agent.astype(np.int64),
                     np.cumsum(new_pair) - 1)


def _firsts(ordered: np.ndarray) -> np.ndarray:
    """Whether each element of a sorted array differs from the one before it (the first is True)."""
    first = np.empty(len(ordered), dtype=bool)
    if len(ordered):
        first[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return first
