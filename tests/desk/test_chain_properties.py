"""Property: whatever chain of events, changing one field of one event, removing one event (but
the last: only the head a manifest records shows that) or swapping two is found by the chain
check, which names the events affected; an untouched chain has no problem."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from audits.desk.events import KINDS, chain_problems
from tests.desk.literal import chain

ROWS = st.lists(st.tuples(st.sampled_from(["alice", "bob", "carol"]), st.sampled_from(["officer", "approver"]),
                          st.sampled_from(KINDS), st.sampled_from(["C-000000000001", "C-000000000002"]),
                          st.dictionaries(st.sampled_from(["text", "note", "to"]), st.text(max_size=5), max_size=2)),
                min_size=2, max_size=8)
FIELDS = ("event_id", "actor", "role", "case_id", "kind", "payload")


def _seq(problem: str) -> int:
    """The seq a problem names: 'event #7 (EV-…, …)…' -> 7."""
    return int(problem.split("#", 1)[1].split(" ", 1)[0])


def _named(problems: list[str]) -> set[int]:
    return {_seq(p) for p in problems}


@given(ROWS)
def test_an_untouched_chain_has_no_problem(rows):
    assert chain_problems(chain(*rows)) == []


@given(ROWS, st.data())
def test_one_changed_field_is_named(rows, data):
    events = chain(*rows)
    k = data.draw(st.integers(0, len(events) - 1))
    field = data.draw(st.sampled_from(FIELDS))
    value = {"payload": {**events[k].payload, "x": "y"}}.get(field, str(getattr(events[k], field)) + "!")
    events[k] = dataclasses.replace(events[k], **{field: value})
    assert _named(chain_problems(events)) == {k + 1}


@given(ROWS, st.data())
def test_a_removed_event_is_named_by_the_one_after_it(rows, data):
    events = chain(*rows)
    k = data.draw(st.integers(0, len(events) - 2))
    del events[k]
    assert _seq(chain_problems(events)[0]) == k + 2


@given(ROWS, st.data())
def test_two_swapped_events_are_named(rows, data):
    events = chain(*rows)
    i, j = sorted(data.draw(st.lists(st.integers(0, len(events) - 1), min_size=2, max_size=2, unique=True)))
    events[i], events[j] = events[j], events[i]
    problems = chain_problems(events)
    assert _seq(problems[0]) == j + 1 and i + 1 in _named(problems)   # the one moved up first, and the other
