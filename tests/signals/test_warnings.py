"""Early warnings from literal counts: the baseline (floor, too few days, the window of days,
quiet days), the day's own volume, the peer comparison's 9 and 10 peers, z at the threshold."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from audits.config import WarningSettings
from audits.models import WARNING_COLUMNS
from audits.signals.metrics import COUNT_COLUMNS, ENTITY_COLUMNS
from audits.signals.warnings import day_warnings

DAY = dt.date(2026, 11, 27)
SETTINGS = WarningSettings()


def counts(*rows: dict) -> pd.DataFrame:
    """Count rows: level, agency_id, agent_id and whatever counts are given (the rest 0, or
    made consistent: numbers = attempts = calls, answered and conversations 0)."""
    out = []
    for row in rows:
        attempts = row.get("attempts", 100)
        full = {"level": "agency", "agent_id": "", "calls": attempts, "attempts": attempts, "numbers": attempts,
                "answered_timed": 0, "short_answers": 0, "conversations": 0, "refusals": 0, "unassigned": 0.0,
                "off_hours": 0.0, "new_numbers": 0}
        full.update(row)
        out.append(full)
    return pd.DataFrame(out, columns=[*ENTITY_COLUMNS, *COUNT_COLUMNS])


def days_before(n: int, *rows: dict, start: int = 1) -> list[tuple[dt.date, pd.DataFrame]]:
    """The same counts on each of the n days before DAY (from DAY - start backwards)."""
    return [(DAY - dt.timedelta(days=back), counts(*rows)) for back in range(start, start + n)]


def keys(frame: pd.DataFrame) -> list[tuple]:
    return list(zip(frame["level"], frame["agency_id"], frame["agent_id"], frame["metric"], frame["basis"]))


def test_a_flat_baseline_uses_the_floor_and_z_exactly_at_the_threshold_warns():
    # 20 days of exactly 100 attempts: MAD 0, so the floor (25 attempts) is the spread.
    history = days_before(20, {"agency_id": "AG1", "attempts": 100})
    at_threshold = day_warnings(DAY, counts({"agency_id": "AG1", "attempts": 200}), history, SETTINGS)
    assert keys(at_threshold) == [("agency", "AG1", "", "attempts", "history"),
                                  ("agency", "AG1", "", "numbers", "history")]
    row = at_threshold.iloc[0]
    assert (row["value"], row["baseline"], row["z"]) == ("200", "100", "4.00")
    assert row["detail"] == "Agency AG1 made 200 attempts, 2.0\u00d7 its median of 100 over 20 earlier days (z 4.0)."
    just_below = day_warnings(DAY, counts({"agency_id": "AG1", "attempts": 199}), history, SETTINGS)
    assert just_below.empty                       # z 3.96


def test_a_spread_baseline_uses_its_mad_not_the_floor():
    # attempts 100 +- 30 on alternate days: MAD 30, 1.4826 * 30 = 44.5 > floor 25.
    history = [(d, counts({"agency_id": "AG1", "attempts": 70 if k % 2 else 130}))
               for k, (d, _) in enumerate(days_before(20, {"agency_id": "AG1"}))]
    history += days_before(1, {"agency_id": "AG1", "attempts": 100}, start=21)
    assert day_warnings(DAY, counts({"agency_id": "AG1", "attempts": 270}), history, SETTINGS).empty   # z 3.82
    found = day_warnings(DAY, counts({"agency_id": "AG1", "attempts": 280}), history, SETTINGS)        # z 4.05
    assert ("agency", "AG1", "", "attempts", "history") in keys(found)


def test_too_few_baseline_days_give_no_warning():
    today = counts({"agency_id": "AG1", "attempts": 100, "unassigned": 60.0})
    nine = days_before(9, {"agency_id": "AG1", "attempts": 100})
    assert day_warnings(DAY, today, nine, SETTINGS).empty
    ten = days_before(10, {"agency_id": "AG1", "attempts": 100})
    assert keys(day_warnings(DAY, today, ten, SETTINGS)) == [("agency", "AG1", "", "unassigned_share", "history")]


def test_quiet_days_and_days_outside_the_window_are_not_baseline_days():
    today = counts({"agency_id": "AG1", "attempts": 100, "unassigned": 60.0})
    quiet = days_before(18, {"agency_id": "AG1", "attempts": 49})          # below min_attempts: not counted
    active = days_before(9, {"agency_id": "AG1", "attempts": 100}, start=19)   # D-19..D-27: 9 days
    assert day_warnings(DAY, today, quiet + active, SETTINGS).empty
    outside = days_before(1, {"agency_id": "AG1", "attempts": 100}, start=29)  # D-29: beyond baseline_days
    assert day_warnings(DAY, today, quiet + active + outside, SETTINGS).empty
    inside = days_before(1, {"agency_id": "AG1", "attempts": 100}, start=28)   # D-28: the 10th day
    assert not day_warnings(DAY, today, quiet + active + inside, SETTINGS).empty


def test_an_entity_below_min_attempts_on_the_day_is_not_judged():
    history = days_before(12, {"agency_id": "AG1", "attempts": 100})
    assert day_warnings(DAY, counts({"agency_id": "AG1", "attempts": 49, "unassigned": 49.0}), history,
                        SETTINGS).empty
    found = day_warnings(DAY, counts({"agency_id": "AG1", "attempts": 50, "unassigned": 50.0}), history, SETTINGS)
    assert keys(found) == [("agency", "AG1", "", "unassigned_share", "history")]


def test_only_the_high_side_warns():
    history = days_before(12, {"agency_id": "AG1", "attempts": 1000, "unassigned": 500.0})
    assert day_warnings(DAY, counts({"agency_id": "AG1", "attempts": 100, "unassigned": 0.0}), history,
                        SETTINGS).empty


def _agents(n: int, agency: str = "AG1", attempts: int = 60) -> list[dict]:
    return [{"level": "agent", "agency_id": agency, "agent_id": f"E{k:03d}", "attempts": attempts}
            for k in range(1, n + 1)]


def test_an_agent_is_compared_with_ten_peers_but_not_nine():
    outlier = {"level": "agent", "agency_id": "AG1", "agent_id": "E999", "attempts": 300}
    nine = day_warnings(DAY, counts(*_agents(9), outlier), [], SETTINGS)
    assert nine.empty
    ten = day_warnings(DAY, counts(*_agents(10), outlier), [], SETTINGS)
    assert keys(ten) == [("agent", "AG1", "E999", "attempts", "peers"), ("agent", "AG1", "E999", "numbers", "peers")]
    row = ten.iloc[1]
    assert row["detail"] == "Agent E999 dialled 300 numbers, 5.0\u00d7 the agency's median of 60 (z 9.6)."
    assert (row["value"], row["baseline"], row["z"]) == ("300", "60", "9.60")


def test_peers_are_the_agencys_other_agents_with_enough_attempts():
    outlier = {"level": "agent", "agency_id": "AG1", "agent_id": "E999", "attempts": 300}
    quiet = [dict(a, attempts=49) for a in _agents(5, attempts=49)]
    elsewhere = _agents(10, agency="AG2")                                 # another agency's agents
    nine = [dict(a, agent_id=f"F{k}") for k, a in enumerate(_agents(9))]
    assert day_warnings(DAY, counts(*quiet, *elsewhere, *nine, outlier), [], SETTINGS).empty


def test_the_agent_itself_is_not_among_its_peers():
    # Two outliers: each is judged against the ten and the other outlier, not against itself.
    two = [{"level": "agent", "agency_id": "AG1", "agent_id": f"X{k}", "attempts": 300} for k in (1, 2)]
    found = day_warnings(DAY, counts(*_agents(10), *two), [], SETTINGS)
    assert {(a, m) for _, _, a, m, _ in keys(found)} == {("X1", "attempts"), ("X1", "numbers"),
                                                         ("X2", "attempts"), ("X2", "numbers")}


def test_both_bases_give_two_rows_in_the_documented_order():
    history = days_before(12, {"level": "agent", "agency_id": "AG1", "agent_id": "E999", "attempts": 60})
    today = counts(*_agents(10), {"level": "agent", "agency_id": "AG1", "agent_id": "E999", "attempts": 300},
                   {"agency_id": "AG1", "attempts": 900})
    found = day_warnings(DAY, today, history, SETTINGS)
    assert list(found.columns) == list(WARNING_COLUMNS)
    assert keys(found) == [("agent", "AG1", "E999", "attempts", "history"), ("agent", "AG1", "E999", "attempts", "peers"),
                           ("agent", "AG1", "E999", "numbers", "history"), ("agent", "AG1", "E999", "numbers", "peers")]
    assert set(found["audit_date"]) == {"2026-11-27"}


def test_share_details_name_the_share_and_the_baseline():
    history = days_before(12, {"agency_id": "AG1", "attempts": 200, "unassigned": 1.0})
    found = day_warnings(DAY, counts({"agency_id": "AG1", "attempts": 200, "unassigned": 62.0}), history, SETTINGS)
    row = found.iloc[0]
    assert (row["metric"], row["value"], row["baseline"], row["z"]) == ("unassigned_share", "0.31", "0.005", "15.25")
    assert row["detail"] == ("Agency AG1 made 31.0% of its attempts to numbers not assigned to it, against its median "
                             "of 0.5% over 12 earlier days (z 15.2).")


def test_an_undefined_metric_is_neither_judged_nor_a_baseline_day():
    # no conversations on the day: refusal rate undefined, no warning whatever the history
    history = days_before(12, {"agency_id": "AG1", "conversations": 50, "refusals": 1})
    assert day_warnings(DAY, counts({"agency_id": "AG1", "conversations": 0, "refusals": 0}), history,
                        SETTINGS).empty
    # baseline days without conversations do not count: 9 such days with conversations are too few
    sparse = days_before(9, {"agency_id": "AG1", "conversations": 50, "refusals": 1}) + \
        days_before(3, {"agency_id": "AG1"}, start=10)
    assert day_warnings(DAY, counts({"agency_id": "AG1", "conversations": 50, "refusals": 40}), sparse,
                        SETTINGS).empty
    assert not day_warnings(DAY, counts({"agency_id": "AG1", "conversations": 50, "refusals": 40}), history,
                            SETTINGS).empty


# --- the least denominator of a rate ------------------------------------------------------------

def test_one_refusal_in_two_conversations_or_one_short_answer_in_one_is_no_warning():
    history = days_before(12, {"agency_id": "AG1", "answered_timed": 40, "short_answers": 0, "conversations": 30,
                               "refusals": 0})
    refusal = counts({"agency_id": "AG1", "answered_timed": 40, "conversations": 2, "refusals": 1})    # z 5.0 before
    short = counts({"agency_id": "AG1", "answered_timed": 1, "short_answers": 1, "conversations": 30})  # z 20 before
    assert day_warnings(DAY, refusal, history, SETTINGS).empty
    assert day_warnings(DAY, short, history, SETTINGS).empty


# Each rate, its numerator and denominator columns, and the rulepacks' least denominator.
RATES = [("unassigned_share", "unassigned", "attempts", 50), ("off_hours_share", "off_hours", "calls", 50),
         ("short_answer_share", "short_answers", "answered_timed", 20),
         ("refusal_rate", "refusals", "conversations", 20), ("new_numbers_share", "new_numbers", "numbers", 20)]
FEW_ATTEMPTS = dataclasses.replace(SETTINGS, min_attempts=5)      # so that every denominator's boundary shows
BUSY = {"agency_id": "AG1", "attempts": 100, "answered_timed": 100, "conversations": 100}


def _all_of(numerator: str, denominator: str, n: int) -> dict:
    """An agency day whose rate is 100% over a denominator of n (attempts and calls follow it down)."""
    row = dict(BUSY, **{denominator: n, numerator: float(n) if numerator in ("unassigned", "off_hours") else n})
    if denominator in ("attempts", "calls"):
        row.update(attempts=n, calls=n, numbers=n)
    return row


@pytest.mark.parametrize("metric, numerator, denominator, least", RATES)
def test_a_rate_needs_the_least_denominator_the_rulepack_sets(metric, numerator, denominator, least):
    assert SETTINGS.min_denominators[metric] == least
    history = days_before(12, BUSY)
    below = day_warnings(DAY, counts(_all_of(numerator, denominator, least - 1)), history, FEW_ATTEMPTS)
    assert metric not in set(below["metric"])
    at = day_warnings(DAY, counts(_all_of(numerator, denominator, least)), history, FEW_ATTEMPTS)
    assert ("agency", "AG1", "", metric, "history") in keys(at)


def test_intensity_has_a_least_number_of_numbers_when_the_rulepack_sets_one():
    assert SETTINGS.min_denominators["intensity"] == 1       # attempts >= min_attempts already; few numbers is the signal
    history = days_before(12, {"agency_id": "AG1", "attempts": 100})
    settings = dataclasses.replace(SETTINGS, min_denominators={**SETTINGS.min_denominators, "intensity": 5})
    assert "intensity" not in set(day_warnings(DAY, counts({"agency_id": "AG1", "attempts": 100, "numbers": 4}),
                                               history, settings)["metric"])
    assert "intensity" in set(day_warnings(DAY, counts({"agency_id": "AG1", "attempts": 100, "numbers": 5}),
                                           history, settings)["metric"])


def test_a_baseline_day_below_the_least_denominator_is_not_a_baseline_day():
    today = counts({"agency_id": "AG1", "conversations": 40, "refusals": 30})
    thin = days_before(12, {"agency_id": "AG1", "conversations": 19, "refusals": 0})
    assert "refusal_rate" not in set(day_warnings(DAY, today, thin, SETTINGS)["metric"])
    enough = days_before(10, {"agency_id": "AG1", "conversations": 20, "refusals": 0}) + \
        days_before(2, {"agency_id": "AG1", "conversations": 19, "refusals": 0}, start=11)
    assert "refusal_rate" in set(day_warnings(DAY, today, enough, SETTINGS)["metric"])


def test_a_peer_below_the_least_denominator_is_not_a_peer():
    outlier = {"level": "agent", "agency_id": "AG1", "agent_id": "E999", "attempts": 60, "conversations": 30,
               "refusals": 30}
    thin = [dict(a, conversations=19) for a in _agents(10)]
    assert "refusal_rate" not in set(day_warnings(DAY, counts(*thin, outlier), [], SETTINGS)["metric"])
    enough = [dict(a, conversations=20) for a in _agents(10)]
    found = day_warnings(DAY, counts(*enough, outlier), [], SETTINGS)
    assert ("agent", "AG1", "E999", "refusal_rate", "peers") in keys(found)
