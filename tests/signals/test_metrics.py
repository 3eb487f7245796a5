"""The day's counts per agency and agent from literal calls and findings, and the window of
numbers attempted (new numbers) against a plain per-value reading of signals.md."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from audits.signals import attempted as numbers_module
from audits.signals.metrics import day_counts, metric_values
from audits.signals.attempted import Window, advance, day_number, distinct_pairs, new_in_window, pairs_in

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
    result = day_counts(day, found, window=Window.empty(), day=DAY, new_numbers_days=28, short_answer_ms=10_000,
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
    assert (list(result.agency_ids), list(result.pair_agency), list(result.pair_number)) == (
        ["AG1", "AG2"], [0, 0, 1], [8613800000001, 8613800000003, 8613800000001])


def test_a_rule_the_rulepack_disables_leaves_its_share_undefined():
    day = calls(("c1", "AG1", "E1", 8613800000001, "NO_ANSWER", None, -1))
    result = day_counts(day, findings(), window=Window.empty(), day=DAY, new_numbers_days=28, short_answer_ms=10_000,
                        judged=frozenset({"FREQ_CALLING_HOURS"}))
    values = metric_values(result.counts)
    assert values["unassigned_share"].isna().all() and (values["off_hours_share"] == 0).all()


def test_new_numbers_are_new_to_the_agency_within_the_window():
    # AG1 called ...01 on D-28 (the edge: still in the window) and ...02 on D-29 (out of it);
    # AG2 called ...03 yesterday: new to AG1 all the same.
    window = Window(agency_ids=np.array(["AG1", "AG2"], dtype=object), agency=np.array([0, 0, 1], np.int32),
                    number=np.array([8613800000001, 8613800000002, 8613800000003]),
                    last_day=np.array([day_number(DAY) - 28, day_number(DAY) - 29, day_number(DAY) - 1], np.int32))
    day = calls(("c1", "AG1", "E1", 8613800000001, "NO_ANSWER", None, -1),
                ("c2", "AG1", "E2", 8613800000002, "NO_ANSWER", None, -1),
                ("c3", "AG1", "E2", 8613800000003, "NO_ANSWER", None, -1),
                ("c4", "AG1", "E2", 8613800000001, "BUSY", None, -1))
    result = day_counts(day, findings(), window=window, day=DAY, new_numbers_days=28, short_answer_ms=10_000,
                        judged=BOTH)
    rows = by_entity(result)
    assert (rows[("AG1", "")]["numbers"], rows[("AG1", "")]["new_numbers"]) == (3, 2)
    assert (rows[("AG1", "E1")]["new_numbers"], rows[("AG1", "E2")]["new_numbers"]) == (0, 2)


def test_the_window_advances_keeping_the_latest_day_of_each_pair():
    window = Window(agency_ids=np.array(["AG1"], dtype=object), agency=np.array([0, 0], np.int32),
                    number=np.array([5, 9]), last_day=np.array([100, 90], np.int32))
    after = advance(window, np.array(["AG0", "AG1"], dtype=object), np.array([0, 1, 1]), np.array([9, 5, 7]),
                    day=dt.date(1970, 4, 21), keep_from=dt.date(1970, 4, 1))      # days 110 and 90
    assert list(after.agency_ids) == ["AG0", "AG1"]
    assert list(zip(after.agency, after.number, after.last_day)) == [(0, 9, 110), (1, 5, 110), (1, 7, 110), (1, 9, 90)]
    later = advance(after, np.array([], dtype=object), np.zeros(0, np.int64), np.zeros(0, np.int64),
                    day=dt.date(1970, 4, 22), keep_from=dt.date(1970, 4, 2))      # day 91: (AG1, 9) drops out
    assert list(zip(later.agency, later.number, later.last_day)) == [(0, 9, 110), (1, 5, 110), (1, 7, 110)]


@pytest.mark.parametrize("seed", range(5))
def test_packed_and_unpacked_pair_paths_agree(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    high = rng.integers(0, 6, 400)
    low = rng.choice(np.array([1, 5, 8613800000000, 999999999999999, 12]), 400)
    query_high, query_low = rng.integers(0, 7, 50), rng.choice(low, 50)
    packed = distinct_pairs(high, low), None
    set_high, set_low = packed[0]
    found = pairs_in(query_high, query_low, set_high, set_low)
    plain = {(int(h), int(x)) for h, x in zip(high, low)}
    assert list(zip(set_high.tolist(), set_low.tolist())) == sorted(plain)
    assert found.tolist() == [(int(h), int(x)) in plain for h, x in zip(query_high, query_low)]
    monkeypatch.setattr(numbers_module, "_packing", lambda highs, lows: None)      # force the rare path
    unpacked = distinct_pairs(high, low)
    assert [a.tolist() for a in unpacked] == [set_high.tolist(), set_low.tolist()]
    assert pairs_in(query_high, query_low, *unpacked).tolist() == found.tolist()


def test_new_in_window_ignores_agencies_absent_from_the_day():
    window = Window(agency_ids=np.array(["AG0", "AG1"], dtype=object), agency=np.array([0, 1], np.int32),
                    number=np.array([5, 5]), last_day=np.array([10, 10], np.int32))
    assert new_in_window(window, np.array(["AG1", "AG2"], dtype=object), np.array([0, 1]), np.array([5, 5]),
                         since=dt.date(1970, 1, 11)).tolist() == [False, True]


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
    rows = [(f"AG{int(rng.integers(0, 5))}", int(rng.choice(pool)), int(rng.integers(-35, 0))) for _ in range(60)]
    labels = np.array(sorted({a for a, _, _ in rows}), dtype=object)
    rows = sorted(set((labels.tolist().index(a), x, d) for a, x, d in rows))
    rows = list({(a, x): (a, x, d) for a, x, d in rows}.values())              # one row per pair (latest wins)
    rows.sort()
    window = Window(agency_ids=labels, agency=np.array([r[0] for r in rows], np.int32),
                    number=np.array([r[1] for r in rows], np.int64),
                    last_day=np.array([day_number(DAY) + r[2] for r in rows], np.int32))
    seen = {(labels[a], x) for a, x, d in rows if d >= -28}
    if not packed:
        monkeypatch.setattr(numbers_module, "_packing", lambda highs, lows: None)
    result = day_counts(day, findings(), window=window, day=DAY, new_numbers_days=28, short_answer_ms=10_000,
                        judged=BOTH)
    got = {(r["agency_id"], r["agent_id"]): (r["numbers"], r["new_numbers"]) for r in result.counts.to_dict("records")}
    assert got == _plain_numbers(day, seen)
    after = {(result.window.agency_ids[a], int(x)): int(d) for a, x, d in
             zip(result.window.agency, result.window.number, result.window.last_day)}
    expected = {(labels[a], x): day_number(DAY) + d for a, x, d in rows if d >= -27}
    expected.update({(a, int(x)): day_number(DAY) for a, x in
                     zip(day.loc[day["is_attempt"], "agency_id"], day.loc[day["is_attempt"], "number"])})
    assert after == expected
