"""The day's counts per agency and agent from literal calls and findings, and the numbers
attempted (new numbers against the rolling state of earlier days) against a plain per-value
reading of signals.md."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from audits.signals import metrics as metrics_module
from audits.signals.attempted import _attempted_unpacked, attempted
from audits.signals.day_numbers import NumbersOfDay, advance_day, day_number, previous_days
from audits.signals.metrics import day_counts, metric_values
from audits.signals.numbers import AGENCY_BITS, day_numbers
from audits.signals.reach import Reach

DAY = dt.date(2026, 11, 27)
BOTH = frozenset({"CONF_UNASSIGNED", "FREQ_CALLING_HOURS"})
ATTEMPTS = ("ANSWERED", "NO_ANSWER", "REJECTED", "VOICEMAIL")


def calls(*rows: tuple) -> pd.DataFrame:
    """(call_id, agency, agent, number, disposition, outcome, talk_ms) -> enriched calls."""
    frame = pd.DataFrame(rows, columns=["call_id", "agency_id", "agent_id", "number", "disposition_code",
                                        "outcome_code", "talk_ms"])
    frame["is_attempt"] = frame["disposition_code"].isin(ATTEMPTS)
    answered = frame["disposition_code"] == "ANSWERED"
    frame["is_conversation"] = answered & frame["outcome_code"].isin(["RIGHT_PARTY", "REFUSED", "COMPLAINT"])
    frame["is_refusal"] = answered & (frame["outcome_code"] == "REFUSED")
    frame["callee_e164"] = "+" + frame["number"].astype(str)
    return frame.astype({"agency_id": "str", "agent_id": "str", "call_id": "str"})


def findings(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["agency_id", "call_id", "rule_id"]).astype("str")


def numbers_of(day: pd.DataFrame, earlier: list[tuple[str, int, int]] = ()) -> NumbersOfDay:
    """The day's numbers from its calls and earlier attempts (agency, number, days before DAY)."""
    labels = tuple(sorted({a for a, _, _ in earlier} | set(day["agency_id"])))
    latest: dict[tuple[str, int], int] = {}
    for agency, number, back in earlier:
        latest[(agency, number)] = max(latest.get((agency, number), -10**6), day_number(DAY) - back)
    rows = sorted(((number << AGENCY_BITS) | labels.index(agency), last) for (agency, number), last in latest.items())
    state = Reach(keys=np.array([k for k, _ in rows], dtype=np.int64),
                  last_day=np.array([d for _, d in rows], dtype=np.int32), agencies=labels)
    codes = np.array([labels.index(a) for a in day["agency_id"]], dtype=np.int64)
    index = day_numbers(day["number"].to_numpy(dtype=np.int64), codes, day["is_attempt"].to_numpy(dtype=bool),
                        labels)
    return advance_day(state, index, DAY, days=30)


def by_entity(result) -> dict:
    frame = result.counts
    return {(r["agency_id"], r["agent_id"]): r for r in frame.to_dict("records")}


def test_counts_follow_the_definitions():
    day = calls(
        ("c1", "AG1", "E1", 8613800000001, "ANSWERED", "RIGHT_PARTY", 9_999),     # short (< 10 s)
        ("c2", "AG1", "E1", 8613800000001, "ANSWERED", "REFUSED", 10_000),       # not short; a refusal
        ("c3", "AG1", "E1", 8613800000002, "BUSY", None, -1),                    # not an attempt
        ("c4", "AG1", "E1", 8613800000003, "ANSWERED", "WRONG_PARTY", -1),       # no answer time: neither side
        ("c5", "AG1", "E2", 8613800000001, "NO_ANSWER", "REFUSED", -1),          # REFUSED without an answer: no
        ("c6", "AG2", "E1", 8613800000001, "VOICEMAIL", None, -1))
    found = findings(("AG1", "c3", "CONF_UNASSIGNED"),       # on a BUSY call: not an attempt, not counted
                     ("AG1", "c5", "CONF_UNASSIGNED"),
                     ("AG2", "c2", "CONF_UNASSIGNED"),       # another agency's call id: not AG1's c2
                     ("AG1", "c3", "FREQ_CALLING_HOURS"))    # off hours counts every call
    result = day_counts(day, found, numbers=numbers_of(day), new_numbers_days=28, short_answer_ms=10_000,
                        judged=BOTH)
    rows = by_entity(result)
    assert list(result.counts["level"]) == ["agency", "agent", "agent", "agency", "agent"]
    e1 = rows[("AG1", "E1")]
    assert {k: e1[k] for k in ("calls", "attempts", "numbers", "answered_timed", "short_answers", "conversations",
                               "refusals", "unassigned", "off_hours", "new_numbers")} == {
        "calls": 4, "attempts": 3, "numbers": 2, "answered_timed": 2, "short_answers": 1, "conversations": 2,
        "refusals": 1, "unassigned": 0, "off_hours": 1, "new_numbers": 2}
    ag1 = rows[("AG1", "")]
    assert (ag1["calls"], ag1["attempts"], ag1["numbers"], ag1["unassigned"], ag1["refusals"]) == (5, 4, 2, 1, 1)
    assert (rows[("AG2", "")]["numbers"], rows[("AG2", "")]["unassigned"]) == (1, 0)
    values = metric_values(result.counts).set_index(result.counts["agency_id"] + "/" + result.counts["agent_id"])
    assert values.loc["AG1/E1", "intensity"] == 1.5
    assert values.loc["AG1/E1", "short_answer_share"] == 0.5
    assert values.loc["AG1/", "unassigned_share"] == 0.25
    assert np.isnan(values.loc["AG1/E2", "refusal_rate"])            # no conversation: undefined, not 0


def test_a_rule_the_rulepack_disables_leaves_its_share_undefined():
    day = calls(("c1", "AG1", "E1", 8613800000001, "NO_ANSWER", None, -1))
    result = day_counts(day, findings(), numbers=numbers_of(day), new_numbers_days=28, short_answer_ms=10_000,
                        judged=frozenset({"FREQ_CALLING_HOURS"}))
    values = metric_values(result.counts)
    assert values["unassigned_share"].isna().all() and (values["off_hours_share"] == 0).all()


def test_new_numbers_are_new_to_the_agency_within_the_window():
    # AG1 called ...01 on D-28 (the edge: still in the window) and ...02 on D-29 (out of it);
    # AG2 called ...03 yesterday: new to AG1 all the same.
    earlier = [("AG1", 8613800000001, 28), ("AG1", 8613800000002, 29), ("AG2", 8613800000003, 1)]
    day = calls(("c1", "AG1", "E1", 8613800000001, "NO_ANSWER", None, -1),
                ("c2", "AG1", "E2", 8613800000002, "NO_ANSWER", None, -1),
                ("c3", "AG1", "E2", 8613800000003, "NO_ANSWER", None, -1),
                ("c4", "AG1", "E2", 8613800000001, "BUSY", None, -1))
    result = day_counts(day, findings(), numbers=numbers_of(day, earlier), new_numbers_days=28,
                        short_answer_ms=10_000, judged=BOTH)
    rows = by_entity(result)
    assert (rows[("AG1", "")]["numbers"], rows[("AG1", "")]["new_numbers"]) == (3, 2)
    assert (rows[("AG1", "E1")]["new_numbers"], rows[("AG1", "E2")]["new_numbers"]) == (0, 2)


def test_the_agency_pairs_come_in_the_index_order_and_both_sort_paths_agree():
    rng = np.random.default_rng(3)
    agency = rng.integers(0, 4, 300)
    first_agent = np.array([0, 5, 9, 12])
    agent = first_agent[agency] + rng.integers(0, 3, 300)
    number = rng.choice(np.array([1, 5, 8613800000000, 999999999999999, 12]), 300)
    packed = attempted(agency, agent, first_agent, number[::-1].copy()[::-1])
    pairs = sorted({(int(n), int(a)) for n, a in zip(number, agency)})
    assert list(zip(packed.number.tolist(), packed.agency.tolist())) == pairs        # by number, then agency
    triples = sorted({(int(n), int(a), int(g)) for n, a, g in zip(number, agency, agent)})
    assert [(int(packed.number[p]), int(packed.agency[p]), int(g)) for g, p in zip(packed.agent, packed.pair)] == triples
    general = _attempted_unpacked(agency, agent, number)
    assert all(np.array_equal(getattr(packed, f), getattr(general, f)) for f in ("agency", "number", "agent", "pair"))
    wide = attempted(agency, agent * 10**6, first_agent * 10**6, number)          # 62 bits exceeded: the general path
    assert list(zip(wide.number.tolist(), wide.agency.tolist())) == pairs


def test_an_agency_the_index_does_not_hold_has_no_previous_day():
    day = calls(("c1", "AG1", "E1", 5, "NO_ANSWER", None, -1))
    numbers = numbers_of(day, [("AG1", 5, 2)])
    assert previous_days(numbers, np.array(["AG1", "AG2"], dtype=object), np.array([0, 1]),
                         np.array([5, 5])).tolist() == [day_number(DAY) - 2, -1]


def test_talk_time_is_whole_milliseconds_and_missing_without_both_times():
    from audits.tables import talk_milliseconds

    answer = pd.Series(pd.to_datetime(["2026-11-27T01:00:00Z", "2026-11-27T01:00:00.0000005Z", None,
                                       "2026-11-27T01:00:05Z", "2026-11-27T01:00:00+08:00"], format="ISO8601", utc=True))
    end = pd.Series(pd.to_datetime(["2026-11-27T01:00:09.9999999Z", "2026-11-27T01:00:10.0000005Z",
                                    "2026-11-27T01:00:05Z", "2026-11-27T01:00:04Z", "2026-11-26T17:00:10Z"], utc=True,
                                   format="ISO8601"))
    # 9.9999999 s is short of 10 s: 9,999 ms; an end before the answer (quarantined) has none
    assert talk_milliseconds(answer, end).tolist() == [9_999, 10_000, -1, -1, 10_000]


def _plain_numbers(frame: pd.DataFrame, seen: set[tuple[str, int]]) -> dict[tuple[str, str], tuple[int, int]]:
    """(numbers, new numbers) per agency ("") and agent, one value at a time from the definitions."""
    out = {}
    attempts = frame[frame["is_attempt"]]
    for (agency, agent), rows in [((a, ""), attempts[attempts["agency_id"] == a]) for a in set(frame["agency_id"])] + \
            [((a, e), attempts[(attempts["agency_id"] == a) & (attempts["agent_id"] == e)])
             for a, e in set(zip(frame["agency_id"], frame["agent_id"]))]:
        numbers = set(rows["number"].tolist())
        out[(agency, agent)] = (len(numbers), sum((agency, n) not in seen for n in numbers))
    return out


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("packed", [True, False])
def test_numbers_and_new_numbers_equal_a_plain_reading(seed, packed, monkeypatch):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    pool = np.array([8613800000000 + k for k in range(40)] + [12025550100, 447700900123, 999999999999999])
    day = calls(*[(f"c{k}", f"AG{int(rng.integers(0, 4))}", f"E{int(rng.integers(0, 5))}", int(rng.choice(pool)),
                   str(rng.choice(["ANSWERED", "NO_ANSWER", "BUSY", "FAILED"])), None, -1) for k in range(n)])
    earlier = [(f"AG{int(rng.integers(0, 5))}", int(rng.choice(pool)), int(rng.integers(1, 30))) for _ in range(60)]
    seen = {(a, x) for a, x, back in earlier if back <= 28}                     # D-28 .. D-1
    if not packed:
        monkeypatch.setattr(metrics_module, "attempted", lambda agency, agent, first, number:
                            _attempted_unpacked(agency, agent, number))
    result = day_counts(day, findings(), numbers=numbers_of(day, earlier), new_numbers_days=28,
                        short_answer_ms=10_000, judged=BOTH)
    got = {(r["agency_id"], r["agent_id"]): (r["numbers"], r["new_numbers"]) for r in result.counts.to_dict("records")}
    assert got == _plain_numbers(day, seen)
