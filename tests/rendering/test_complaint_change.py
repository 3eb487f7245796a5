"""The complaint rate's change: compared only between days whose 30-day window was full."""

import datetime as dt

import pandas as pd

from audits.models import ComplaintRate
from audits.rendering.views.complaints import complaints_panel
from audits.signals.effects import stored_history_days, with_complaint_rates


def _days(last: str, count: int) -> list[str]:
    end = dt.date.fromisoformat(last)
    return [(end - dt.timedelta(days=back)).isoformat() for back in range(count - 1, -1, -1)]


def _card(assessed_card, trend, history_days, window_days=30):
    return assessed_card.__class__(**{**assessed_card.__dict__, "complaints": ComplaintRate(
        window_days=window_days, complaints=3, numbers=4000, rate_per_10k=trend[-1][1], regulator=0,
        trend=tuple(trend), history_days=history_days)})


def test_while_the_window_fills_the_change_says_how_many_days_it_holds(assessed_card):

    trend = [(day, 1.0 + k) for k, day in enumerate(_days("2026-11-30", 10))]
    assert complaints_panel(_card(assessed_card, trend, 10)).change == "window filling (10 of 30 days)"
    assert complaints_panel(_card(assessed_card, trend[-1:], 1)).change == "window filling (1 of 30 days)"


def test_the_change_starts_from_the_first_day_whose_window_was_full(assessed_card):

    trend = [(day, float(k)) for k, day in enumerate(_days("2026-11-30", 60))]
    # 45 days of reports: the window of today-15 was the first full one (its rate: 44.0)
    assert complaints_panel(_card(assessed_card, trend[-46:], 45)).change == "+15.00 since 2026-11-15"
    assert complaints_panel(_card(assessed_card, trend[-30:], 30)).change == ""          # only today is full
    assert complaints_panel(_card(assessed_card, trend[-30:], None)).change == "+29.00 since 2026-11-01"


def test_history_days_count_from_the_earliest_day_the_store_holds_calls_for():

    day = dt.date(2026, 11, 30)
    held = {day - dt.timedelta(days=back) for back in (0, 1, 5, 9)}
    assert stored_history_days(day, held.__contains__, 60) == 10
    assert stored_history_days(day, {day}.__contains__, 60) == 1
    assert stored_history_days(day, lambda d: True, 60) is None                  # holds the span's first day
    held = {day - dt.timedelta(days=back) for back in (0, 58)}
    assert stored_history_days(day, held.__contains__, 60) == 59


def test_the_history_reaches_every_scorecard_of_the_day(assessed_card):

    rates = pd.DataFrame({"agency_id": ["AG001"], "complaints": [1], "regulator": [0], "numbers": [100],
                          "rate_per_10k": pd.array([1.5], dtype="Float64")})
    card = assessed_card.__class__(**{**assessed_card.__dict__, "audit_date": "2026-11-30"})
    prior = pd.DataFrame(columns=["audit_date", "agency_id", "complaint_rate_per_10k"])
    [rated] = with_complaint_rates([card], rates, prior, window_days=30, trend_days=30, history_days=12)
    assert rated.complaints.history_days == 12 and rated.complaints.trend == (("2026-11-30", 1.5),)
