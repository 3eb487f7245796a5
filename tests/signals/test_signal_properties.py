"""The complaints' and early warnings' vectorised fast paths against plain per-value oracles
written from signals.md §1-§2 and the modules' docstrings: the day's number index and its
look-up (numbers.py), the rolling reach (reach.py), the attempted pairs (attempted.py), and the
new numbers from the state before the day (day_numbers.py).

Inputs mix the shapes the code meets: non-contiguous arrays (strided views whose gaps hold
junk), int32 and int64 codes, repeated calls, empty days and windows, numbers at both ends of
the E.164 range (1 and 10**15 - 1) and, where a function has one, enough spread to force its
general (unpacked) branch. Run longer with HYPOTHESIS_PROFILE=thorough.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from audits.signals.attempted import attempted
from audits.signals.day_numbers import advance_day, previous_days
from audits.signals.numbers import (
    DayNumbers,
    agency_codes,
    calls_to,
    day_numbers,
    distinct_agencies,
)
from audits.signals.reach import Reach, advanced, numbers_per_agency, recoded, within

BITS = 13                       # numbers.py's AGENCY_BITS, restated: key = number * 8192 + agency code
SMALLEST, LARGEST = 1, 10**15 - 1
NUMBERS = st.one_of(st.sampled_from([SMALLEST, 9, 10**14, 8613800000001, 8613800000002, 447700900123, LARGEST]),
                    st.integers(0, LARGEST))
LABELS = ("AG01", "AG02", "A_3", "x-9", "Z", "ÄG")


@st.composite
def laid_out(draw, values: list[int], dtypes=(np.int64,)) -> np.ndarray:
    """`values` as an array of one of `dtypes`, often a strided view whose gaps hold junk."""
    dtype = draw(st.sampled_from(dtypes))
    step, offset = draw(st.integers(1, 3)), draw(st.integers(0, 2))
    base = np.full(offset + step * len(values) + 1, -7 if np.issubdtype(dtype, np.signedinteger) else 1, dtype=dtype)
    view = base[offset:offset + step * len(values):step]
    view[:] = np.asarray(values, dtype=dtype) if len(values) else view
    return view


# --- numbers.py: the day's index and its look-up ------------------------------------------------

@st.composite
def day_calls(draw):
    """(agencies, calls as (number, code, attempt)); some numbers negative (none); at times no
    agency (no call), at times 8,192 agencies so the codes fill all the key's low bits."""
    size = draw(st.one_of(st.integers(0, 5), st.just(8192)))
    agencies = tuple(sorted(draw(st.lists(st.sampled_from(LABELS), min_size=size, max_size=size, unique=True))
                            if size <= len(LABELS) else (f"A{k:05d}" for k in range(size))))
    if not agencies:                                        # a day without calls
        return agencies, []
    codes = st.one_of(st.integers(0, len(agencies) - 1), st.just(len(agencies) - 1))
    numbers = st.one_of(NUMBERS, st.sampled_from([-1, -5]))
    calls = draw(st.lists(st.tuples(numbers, codes, st.booleans()), max_size=40))
    calls += draw(st.lists(st.sampled_from(calls), max_size=10)) if calls else []     # repeated calls
    return agencies, draw(st.permutations(calls))


def _index_of(draw, agencies, calls) -> DayNumbers:
    return day_numbers(draw(laid_out([n for n, _, _ in calls])),
                       draw(laid_out([c for _, c, _ in calls], (np.int32, np.int64))),
                       draw(laid_out([a for _, _, a in calls], (np.bool_,))), agencies)


def _counted(calls) -> tuple[Counter, Counter]:
    every = Counter((n, c) for n, c, _ in calls if n >= 0)
    tried = Counter((n, c) for n, c, a in calls if n >= 0 and a)
    return every, tried


@given(day_calls(), st.data())
def test_day_numbers_counts_calls_and_attempts_per_number_and_agency(drawn, data):
    agencies, calls = drawn
    index = _index_of(data.draw, agencies, calls)
    every, tried = _counted(calls)
    pairs = sorted(every)
    assert index.agencies == agencies
    assert index.keys.dtype == np.int64
    assert index.keys.tolist() == [n * 2**BITS + c for n, c in pairs]            # sorted, distinct, no negatives
    assert index.calls.tolist() == [every[p] for p in pairs]
    assert index.attempts.tolist() == [tried[p] for p in pairs]


@given(day_calls(), st.lists(NUMBERS, max_size=12), st.data())
def test_calls_to_finds_exactly_the_agencies_that_called_each_number(drawn, others, data):
    agencies, calls = drawn
    index = _index_of(data.draw, agencies, calls)
    called = [n for n, _, _ in calls if n >= 0]
    wanted = list(dict.fromkeys(data.draw(st.lists(st.sampled_from(called), max_size=8)) if called else [])) + \
        [SMALLEST, LARGEST, 0, -1] + others                                      # some never called; -1: none
    queries = data.draw(st.permutations(list(dict.fromkeys(wanted))))
    queries = queries[:data.draw(st.integers(0, len(queries)))]
    which, codes, counts = calls_to(index, data.draw(laid_out(queries)))
    every, _ = _counted(calls)
    expected = sorted((i, c, k) for i, q in enumerate(queries) for (n, c), k in every.items() if n == q)
    assert sorted(zip(which.tolist(), codes.tolist(), counts.tolist())) == expected
    assert len(which) == len(expected)


@st.composite
def text_column(draw, *, nulls: bool):
    """A chunked text column of several chunks, its rows as a list. A chunked array has one
    type, so the chunks are all plain (string or large_string) or all dictionary-encoded, each
    dictionary its own (in any order, some holding values no row of the chunk uses)."""
    value = st.sampled_from(LABELS)
    kind = draw(st.sampled_from([pa.string(), pa.large_string(), pa.int8(), pa.int32()]))
    chunks, rows = [], []
    for _ in range(draw(st.integers(0, 4))):
        values = draw(st.lists(st.one_of(value, st.none()) if nulls else value, max_size=8))
        rows += values
        if kind in (pa.string(), pa.large_string()):
            chunks.append(pa.array(values, type=kind))
            continue
        present = [v for v in dict.fromkeys(values) if v is not None]
        unused = draw(st.lists(st.sampled_from(LABELS), unique=True))
        dictionary = draw(st.permutations(present + [v for v in unused if v not in present]))
        indices = pa.array([None if v is None else dictionary.index(v) for v in values], type=kind)
        chunks.append(pa.DictionaryArray.from_arrays(indices, pa.array(dictionary, pa.string())))
    kind = pa.dictionary(kind, pa.string()) if pa.types.is_integer(kind) else kind
    return pa.chunked_array(chunks, type=kind), rows


@given(text_column(nulls=True))
def test_distinct_agencies_are_the_sorted_values_present(drawn):
    column, rows = drawn
    assert distinct_agencies(column) == tuple(sorted({v for v in rows if v is not None}))


def test_distinct_agencies_leave_out_dictionary_values_no_row_uses():
    # Found by the property above: a filtered dictionary column keeps its whole dictionary (and
    # Parquet writes it back), so the day's agency list named an agency with no call that day.
    column = pa.chunked_array([pa.array(["AG02", "AG01", "AG03", None]).dictionary_encode()
                               .filter(pa.array([True, False, True, True]))])
    assert column.chunks[0].dictionary.to_pylist() == ["AG02", "AG01", "AG03"]
    assert distinct_agencies(column) == ("AG02", "AG03")


@given(text_column(nulls=False), st.lists(st.sampled_from(LABELS), unique=True))
def test_agency_codes_are_positions_in_the_agency_list(drawn, extra):
    column, rows = drawn
    agencies = tuple(sorted(set(rows) | set(extra)))                # any sorted list holding every value
    codes = agency_codes(column, agencies)
    assert codes.tolist() == [agencies.index(v) for v in rows]


# --- reach.py: the rolling reach ------------------------------------------------------------------

REACH_NUMBERS = st.sampled_from([SMALLEST, 7, 8613800000001, 8613800000002, 447700900123, LARGEST])


@st.composite
def plain_day(draw) -> tuple[tuple[str, ...], list[tuple[int, int, bool]]]:
    """A day's agencies (any subset of LABELS, none at times) and its calls (number, code, attempt)."""
    agencies = tuple(sorted(draw(st.lists(st.sampled_from(LABELS), unique=True))))
    if not agencies:
        return agencies, []
    calls = draw(st.lists(st.tuples(REACH_NUMBERS, st.integers(0, len(agencies) - 1), st.booleans()), max_size=12))
    return agencies, calls


def _plain_index(draw, agencies, calls) -> DayNumbers:
    """The day index written out by hand (not with day_numbers): keys sorted, calls and attempts."""
    every, tried = _counted(calls)
    pairs = sorted(every)
    keys = draw(laid_out([n * 2**BITS + c for n, c in pairs]))
    return DayNumbers(keys=keys, calls=np.array([every[p] for p in pairs], np.uint8),
                      attempts=np.array([tried[p] for p in pairs], np.uint8), agencies=agencies)


def _reach_oracle(days, up_to: int, window: int) -> dict[tuple[int, str], int]:
    """(number, agency) attempted on day numbers up_to - window + 1 .. up_to -> its last such day."""
    last: dict[tuple[int, str], int] = {}
    for number_of_day, (agencies, calls) in days:
        if up_to - window + 1 <= number_of_day <= up_to:
            for n, c, a in calls:
                if a:
                    last[(n, agencies[c])] = max(last.get((n, agencies[c]), number_of_day), number_of_day)
    return last


def _decoded(state: Reach) -> dict[tuple[int, str], int]:
    keys = state.keys.tolist()
    assert keys == sorted(set(keys)) and state.keys.dtype == np.int64 and state.last_day.dtype == np.int32
    assert list(state.agencies) == sorted(set(state.agencies))
    assert {k % 2**BITS for k in keys} == set(range(len(state.agencies)))       # no agency without a key
    return {(k >> BITS, state.agencies[k % 2**BITS]): d for k, d in zip(keys, state.last_day.tolist())}


@st.composite
def reach_history(draw):
    """Days (strictly increasing day numbers, gaps at times), each with its calls, and a window."""
    count = draw(st.integers(1, 8))
    gaps = draw(st.lists(st.sampled_from([1, 1, 1, 2, 3]), min_size=count, max_size=count))
    numbers = np.cumsum([19_000] + gaps[1:]).tolist()
    return [(n, draw(plain_day())) for n in numbers], draw(st.integers(1, 5))


@given(reach_history(), st.data())
def test_the_reach_is_the_pairs_attempted_in_the_window_with_their_last_day(drawn, data):
    days, window = drawn
    indexes = [_plain_index(data.draw, *day) for _, day in days]
    state = Reach.empty()
    for (number_of_day, _), index in zip(days, indexes):
        state = advanced(state, index, number_of_day, first_kept=number_of_day - window + 1)
        expected = _reach_oracle(days, number_of_day, window)
        assert _decoded(state) == expected
        assert numbers_per_agency(state) == dict(Counter(agency for _, agency in expected))


@given(reach_history(), st.data())
def test_the_reach_does_not_depend_on_the_state_it_started_from(drawn, data):
    # reach.py: "The result does not depend on which earlier state it started from": the last
    # day's reach from an empty state over the window's days equals one from any earlier day's
    # state trimmed to the window (within) with the later days merged in, as rolling_reach does.
    days, window = drawn
    indexes = [_plain_index(data.draw, *day) for _, day in days]
    last, first = days[-1][0], days[-1][0] - window + 1
    nightly = [Reach.empty()]
    for (number_of_day, _), index in zip(days, indexes):
        nightly.append(advanced(nightly[-1], index, number_of_day, first_kept=number_of_day - window + 1))
    start = data.draw(st.integers(0, len(days)))                     # resume after this many days (0: empty)
    resumed = within(nightly[start], first_kept=first)
    for (number_of_day, _), index in list(zip(days, indexes))[start:]:
        resumed = advanced(resumed, index, number_of_day, first_kept=first)
    scratch = Reach.empty()
    for (number_of_day, _), index in zip(days, indexes):
        if number_of_day >= first:
            scratch = advanced(scratch, index, number_of_day, first_kept=first)
    expected = _reach_oracle(days, last, window)
    assert _decoded(resumed) == _decoded(scratch) == _decoded(nightly[-1]) == expected
    assert resumed.agencies == scratch.agencies and resumed.keys.tolist() == scratch.keys.tolist()


@given(st.lists(st.sampled_from(LABELS), unique=True), st.lists(st.sampled_from(LABELS), unique=True),
       st.lists(st.tuples(REACH_NUMBERS, st.integers(0, 5)), unique=True, max_size=12), st.data())
def test_recoded_keeps_the_keys_order_and_their_agencies(agencies, extra, pairs, data):
    agencies = tuple(sorted(agencies))
    into = tuple(sorted(set(agencies) | set(extra)))
    pairs = sorted((n, c) for n, c in pairs if c < len(agencies))
    keys = data.draw(laid_out([n * 2**BITS + c for n, c in pairs]))
    out = recoded(keys, agencies, into).tolist()
    assert out == sorted(out)
    assert [(k >> BITS, into[k % 2**BITS]) for k in out] == [(n, agencies[c]) for n, c in pairs]


# --- attempted.py: a day's distinct pairs and the new-number window --------------------------------

def _fits(*bits: int) -> bool:
    """Whether fields of these widths pack into one key of 62 bits (the modules' packed path)."""
    return sum(bits) <= 62


@st.composite
def day_attempts(draw):
    """A day's attempts (agency code, agent code, number) with the agents numbered agency by
    agency (first_agent); agencies with no agent at times, and at times agencies so large that
    (agency, number, agent within agency) no longer fits one key when numbers span 1..10**15-1."""
    sizes = draw(st.lists(st.one_of(st.integers(0, 4), st.sampled_from([5000, 70_000])), min_size=1, max_size=5))
    first_agent = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    staffed = [a for a, size in enumerate(sizes) if size]
    rows = []
    if staffed:
        def row(agency):
            local = st.one_of(st.integers(0, sizes[agency] - 1), st.just(sizes[agency] - 1))
            return st.tuples(st.just(agency), local.map(lambda k: int(first_agent[agency]) + k), NUMBERS)
        rows = draw(st.lists(st.sampled_from(staffed).flatmap(row), max_size=30))
        rows += draw(st.lists(st.sampled_from(rows), max_size=8)) if rows else []     # the same attempt twice
    rows = draw(st.permutations(rows))
    return first_agent, rows


def _assert_attempted(first_agent, rows, agency, agent, number):
    result = attempted(agency, agent, first_agent, number)
    agency_of = {g: a for a, g, _ in rows}
    # sorted by number, then agency: the order of the day's number index
    assert list(zip(result.number.tolist(), result.agency.tolist())) == sorted({(n, a) for a, _, n in rows})
    agent_pairs = [(g, int(result.number[p]), int(result.agency[p]))
                   for g, p in zip(result.agent.tolist(), result.pair.tolist())]
    assert len(agent_pairs) == len(set(agent_pairs))                # distinct, each pointing at its agency pair
    assert set(agent_pairs) == {(g, n, agency_of[g]) for _, g, n in rows}


@given(day_attempts(), st.data())
def test_attempted_pairs_are_the_distinct_agency_and_agent_pairs(drawn, data):
    first_agent, rows = drawn
    _assert_attempted(first_agent, rows, data.draw(laid_out([a for a, _, _ in rows], (np.int32, np.int64))),
                      data.draw(laid_out([g for _, g, _ in rows], (np.int32, np.int64))),
                      data.draw(laid_out([n for _, _, n in rows])))


def test_attempted_pairs_when_they_do_not_fit_one_key():
    # numbers 1..10**15-1 (50 bits) + agency 1 (1 bit) + agent 4,999 within its agency (13 bits) > 62
    assert not _fits((LARGEST - SMALLEST).bit_length(), 1, (4999).bit_length())
    rows = [(0, 4999, SMALLEST), (1, 5000, LARGEST), (1, 5001, SMALLEST), (0, 3, LARGEST), (0, 3, LARGEST)]
    agency = np.array([a for a, _, _ in rows for _ in (0, 1)], dtype=np.int32)[::2]
    agent = np.array([g for _, g, _ in rows for _ in (0, 1, 2)], dtype=np.int64)[::3]
    number = np.array([n for _, _, n in rows for _ in (0, 1)], dtype=np.int64)[1::2]
    _assert_attempted(np.array([0, 5000]), rows, agency, agent, number)


DAY = dt.date(2026, 11, 27)
D = (DAY - dt.date(1970, 1, 1)).days


@st.composite
def state_and_day(draw):
    """A rolling state (distinct (label, number) rows with a last day before D) and a day's
    calls (label, number, attempt?), each with labels the other may lack; the state's length."""
    rows = draw(st.lists(st.tuples(st.sampled_from(LABELS), REACH_NUMBERS, st.integers(D - 40, D - 1)), max_size=15,
                         unique_by=lambda r: r[:2]))
    calls = draw(st.lists(st.tuples(st.sampled_from(LABELS), REACH_NUMBERS, st.booleans()), max_size=20))
    calls += [(a, n, True) for a, n, _ in draw(st.lists(st.sampled_from(rows), max_size=4))] if rows else []
    return rows, draw(st.permutations(calls)), draw(st.integers(1, 35))


@given(state_and_day(), st.lists(st.sampled_from(LABELS), max_size=3), st.data())
def test_new_numbers_come_from_the_state_before_the_day(drawn, extra, data):
    rows, calls, days = drawn
    labels = tuple(sorted({a for a, _, _ in rows}))
    keyed = sorted((n * 2**BITS + labels.index(a), d) for a, n, d in rows)
    state = Reach(keys=data.draw(laid_out([k for k, _ in keyed])),
                  last_day=data.draw(laid_out([d for _, d in keyed], (np.int32,))), agencies=labels)
    day_labels = tuple(sorted({a for a, _, _ in calls}))
    index = day_numbers(data.draw(laid_out([n for _, n, _ in calls])),
                        data.draw(laid_out([day_labels.index(a) for a, _, _ in calls], (np.int32, np.int64))),
                        data.draw(laid_out([t for _, _, t in calls], (np.bool_,))), day_labels)
    numbers = advance_day(state, index, DAY, days=days)
    # the oracle: each agency's last attempt of each number before the day, as the state holds it
    earlier = {(n, a): d for a, n, d in rows}
    attempted_today = sorted({(n, a) for a, n, t in calls if t})
    after = {(n, a): d for (n, a), d in earlier.items() if d >= D - days + 1}
    after.update({pair: D for pair in attempted_today})
    assert _decoded(numbers.reach) == {(n, a): d for (n, a), d in after.items()}
    # looked up for the pairs as attempted() gives them (by number, then agency code), coded into
    # the day's labels (the index's own order) or into a list with labels the index lacks
    for agency_ids in (day_labels, tuple(sorted(set(day_labels) | set(extra)))):
        codes = [agency_ids.index(a) for _, a in attempted_today]
        found = previous_days(numbers, np.array(agency_ids, dtype=object),
                              data.draw(laid_out(codes, (np.int32, np.int64))),
                              data.draw(laid_out([n for n, _ in attempted_today])))
        assert found.tolist() == [earlier.get(pair, -1) for pair in attempted_today]
