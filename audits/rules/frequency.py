"""Frequency rules: is the customer being harassed? (rules.md, "Frequency").

Counting is bank-wide (any agency) and in call order (start_time, agency_id, call_id).
A call whose campaign is unknown has no purpose and is skipped by the purpose rules.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from audits.models import PURPOSES
from audits.rules.common import RuleInputs, as_violations, earlier_calls_text, local_clock, ordinal


def calls_outside_hours(inputs: RuleInputs) -> pd.DataFrame:
    """FREQ_CALLING_HOURS: callee-local start before `start` or at/after `end` of the purpose's window."""
    calls = inputs.calls
    windows = inputs.rulepack.calling_hours
    judged = calls["purpose"].isin(list(windows))
    seconds = pd.Series(np.nan, index=calls.index)
    for zone in calls.loc[judged, "callee_zone"].unique():
        rows = judged & (calls["callee_zone"] == zone)
        local = calls.loc[rows, "start_utc"].dt.tz_convert(zone)
        # wall-clock seconds since local midnight (not elapsed time: on a DST day they differ)
        seconds[rows] = (local.dt.hour * 3600 + local.dt.minute * 60 + local.dt.second
                         + local.dt.microsecond / 1e6).astype("float64")
    # float64 even when no call has a known purpose (an empty str map would not compare)
    start = calls["purpose"].map({p: w[0] * 60 for p, w in windows.items()}).astype("float64")
    end = calls["purpose"].map({p: w[1] * 60 for p, w in windows.items()}).astype("float64")
    hits = judged & ((seconds < start) | (seconds >= end))
    rows = calls[hits]
    window_text = rows["purpose"].map({p: f"{s // 60:02d}:{s % 60:02d}–{e // 60:02d}:{e % 60:02d}"
                                       for p, (s, e) in windows.items()})
    detail = ("call at " + local_clock(rows["start_utc"], rows["callee_zone"]) + " callee local time ("
              + rows["callee_zone"] + "); " + rows["purpose"] + " calls are allowed " + window_text)
    return as_violations(inputs, rows, "FREQ_CALLING_HOURS", detail)


def attempts_over_daily_cap(inputs: RuleInputs) -> pd.DataFrame:
    """FREQ_DAILY_CAP: the (cap+1)-th and later attempt of a purpose to a number on the call date."""
    calls = inputs.calls
    caps = inputs.rulepack.daily_cap
    attempts = calls.loc[calls["is_attempt"] & calls["purpose"].isin(list(caps)),      # only what is read
                         ["number", "purpose_id", "purpose", "call_date", "start_utc", "agency_id"]]
    keys = number_purpose_date_keys(attempts)
    position = attempts.groupby(keys, sort=False).cumcount()
    cap = attempts["purpose"].map(caps).astype("int64")      # int64 even with no attempts
    hits = position >= cap
    rows = calls.loc[attempts.index[hits.to_numpy()]]
    earlier = earlier_calls_text(keys, attempts, hits, inputs.rulepack.bank_timezone)
    detail = (ordinal(position[hits] + 1) + " " + rows["purpose"] + " attempt to this number on "
              + rows["call_date"] + " (cap " + cap[hits].astype("str") + "); earlier: " + earlier)
    return as_violations(inputs, rows, "FREQ_DAILY_CAP", detail)


def attempts_over_rolling_cap(inputs: RuleInputs) -> pd.DataFrame:
    """FREQ_ROLLING_7D: the (cap+1)-th and later attempt of a purpose to a number among calls
    dated D-6..D (window_days), earlier days from the store."""
    calls, pack, day = inputs.calls, inputs.rulepack, inputs.audit_date
    caps = pack.rolling_cap
    first_day = (day - dt.timedelta(days=pack.rolling_window_days - 1)).isoformat()
    history = inputs.history
    earlier = (history["is_attempt"].to_numpy() & history["purpose_id"].isin(_purpose_ids(caps)).to_numpy()
               & (history["days_ago"].to_numpy() <= pack.rolling_window_days - 1))
    attempts = calls.loc[calls["is_attempt"] & calls["purpose"].isin(list(caps)), ["number", "purpose_id", "purpose"]]
    keys = number_purpose_keys(attempts)
    before_today = pd.Series(count_in(number_purpose_keys(history)[earlier], keys), index=attempts.index)
    position = before_today + attempts.groupby(keys, sort=False).cumcount()
    cap = attempts["purpose"].map(caps).astype("int64")      # int64 even with no attempts
    hits = position >= cap
    rows = calls.loc[attempts.index[hits.to_numpy()]]
    detail = (ordinal(position[hits] + 1) + " " + rows["purpose"] + " attempt to this number in the "
              + str(pack.rolling_window_days) + " days " + first_day + " to " + day.isoformat()
              + " (cap " + cap[hits].astype("str") + "; " + before_today[hits].astype("str")
              + " on earlier days)")
    return as_violations(inputs, rows, "FREQ_ROLLING_7D", detail)


def attempts_in_cooling_off(inputs: RuleInputs) -> pd.DataFrame:
    """FREQ_COOLING_OFF: an attempt of a purpose with cooling_off_days N while an earlier
    conversation of that purpose with the number is dated within the last N days (its own
    date being day 1)."""
    calls, days, day = inputs.calls, inputs.rulepack.cooling_off_days, inputs.audit_date
    if not days:
        return as_violations(inputs, calls.iloc[:0], "FREQ_COOLING_OFF", "")
    history = inputs.history
    in_window = np.zeros(len(history), dtype=bool)
    for purpose, n in days.items():          # a conversation dated D-(n-1)..D-1 still blocks D
        in_window |= ((history["purpose_id"] == PURPOSES.index(purpose)).to_numpy()
                      & (history["days_ago"].to_numpy() <= n - 1))
    past = history[history["is_conversation"].to_numpy() & in_window]
    latest = past.groupby(number_purpose_keys(past), sort=False)["days_ago"].min()   # days ago, per key
    judged = calls.loc[calls["purpose"].isin(list(days)), ["number", "purpose_id", "purpose", "is_attempt",
                                                           "is_conversation"]]
    keys = number_purpose_keys(judged)
    conversations_before = judged.groupby(keys, sort=False)["is_conversation"].cumsum() - judged["is_conversation"]
    past_days_ago = pd.Series(latest.reindex(keys).to_numpy(), index=judged.index)    # NaN: none in the window
    hits = judged["is_attempt"] & ((conversations_before > 0) | past_days_ago.notna())
    rows = calls.loc[judged.index[hits.to_numpy()]]
    since_days = past_days_ago[hits]
    since = since_days.map({n: (day - dt.timedelta(days=int(n))).isoformat() for n in since_days.dropna().unique()}
                           ).astype("str").where(conversations_before[hits] == 0, day.isoformat())
    detail = (rows["purpose"] + " attempt within " + rows["purpose"].map(days).astype("str")
              + " days of a conversation with this number on " + since)
    return as_violations(inputs, rows, "FREQ_COOLING_OFF", detail)


def number_purpose_keys(frame: pd.DataFrame) -> np.ndarray:
    """One integer per (callee number, purpose) pair, for fast grouping and look-ups."""
    return frame["number"].to_numpy("int64") * 4 + frame["purpose_id"].to_numpy("int64") + 1


def number_purpose_date_keys(frame: pd.DataFrame) -> np.ndarray:
    """One integer per (callee number, purpose, call date); the day's calls have one or two
    dates, so this stays far inside int64."""
    dates, distinct = pd.factorize(frame["call_date"], use_na_sentinel=False)
    return number_purpose_keys(frame) * max(len(distinct), 1) + dates


def count_in(population: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """How often each key occurs in `population` (a hash look-up of the population in the
    distinct keys: no sort of the population, which is the larger side)."""
    codes, distinct = pd.factorize(keys)
    position = pd.Index(distinct).get_indexer(population)
    counts = np.bincount(position[position >= 0], minlength=len(distinct))
    return counts[codes].astype("int64") if len(codes) else np.zeros(0, dtype="int64")


def _purpose_ids(purposes) -> list[int]:
    return [PURPOSES.index(p) for p in purposes]


def rapid_redials(inputs: RuleInputs) -> pd.DataFrame:
    """FREQ_RAPID_REDIAL: an attempt less than redial_gap_minutes after the start of an earlier
    NO_ANSWER/REJECTED/VOICEMAIL attempt to the number (any agency or purpose, across midnight)."""
    calls, history = inputs.calls, inputs.history
    gap = pd.Timedelta(minutes=inputs.rulepack.redial_gap_minutes)
    if calls.empty:
        return as_violations(inputs, calls, "FREQ_RAPID_REDIAL", "")
    tail = history[history["start_utc"] >= calls["start_utc"].min() - gap]
    columns = ["number", "start_utc", "is_attempt", "is_unanswered"]
    combined = pd.concat([tail[columns].assign(today=False), calls[columns].assign(today=True)],
                         ignore_index=True)
    unanswered_start = combined["start_utc"].where(combined["is_attempt"] & combined["is_unanswered"])
    by_number = unanswered_start.groupby(combined["number"], sort=False)
    previous = by_number.shift(1).groupby(combined["number"], sort=False).ffill()
    since = combined["start_utc"] - previous
    hits_combined = combined["today"] & combined["is_attempt"] & (since < gap)
    offset = len(tail)
    hit_positions = np.flatnonzero(hits_combined.to_numpy()) - offset
    rows = calls.iloc[hit_positions]
    seconds = since[hits_combined].dt.total_seconds().astype("int64").to_numpy()
    detail = pd.Series((seconds // 60).astype(str), index=rows.index, dtype="str") + " min " + pd.Series(
        (seconds % 60).astype(str), index=rows.index, dtype="str") + (
        f" s after an unanswered attempt to this number (gap must be at least "
        f"{inputs.rulepack.redial_gap_minutes:g} min)")
    return as_violations(inputs, rows, "FREQ_RAPID_REDIAL", detail)


def attempts_after_refusal(inputs: RuleInputs) -> pd.DataFrame:
    """FREQ_AFTER_REFUSAL: an attempt of a purpose in refusal_applies_to to a number that
    answered with outcome REFUSED in any earlier call (any agency, purpose or day)."""
    calls, refusals = inputs.calls, inputs.refusals
    first_refusal = refusals.sort_values("start_utc", kind="stable").drop_duplicates("number").set_index("number")
    refused_today_before = (calls.groupby("number", sort=False)["is_refusal"].cumsum()
                            - calls["is_refusal"]) > 0
    refused_earlier_day = calls["number"].isin(first_refusal.index)
    hits = (calls["is_attempt"] & calls["purpose"].isin(list(inputs.rulepack.refusal_applies_to))
            & (refused_earlier_day | refused_today_before))
    rows = calls[hits]
    if rows.empty:
        return as_violations(inputs, rows, "FREQ_AFTER_REFUSAL", "")
    zone = inputs.rulepack.bank_timezone
    today_first = calls[calls["is_refusal"]].drop_duplicates("number").set_index("number")
    when = pd.concat([first_refusal[["start_utc", "agency_id"]],
                      today_first.loc[~today_first.index.isin(first_refusal.index), ["start_utc", "agency_id"]]])
    refused_at = rows["number"].map(when["start_utc"]).dt.tz_convert(zone).dt.strftime("%Y-%m-%d %H:%M")
    detail = ("attempt after this number refused further calls on " + refused_at + " ("
              + rows["number"].map(when["agency_id"]) + ")")
    return as_violations(inputs, rows, "FREQ_AFTER_REFUSAL", detail)


def calls_over_caller_cap(inputs: RuleInputs) -> pd.DataFrame:
    """FREQ_CALLER_DAILY_CAP: the (cap+1)-th and later call from one caller number on a call date."""
    calls, cap = inputs.calls, inputs.rulepack.caller_daily_cap
    position = calls.groupby(["caller_e164", "call_date"], sort=False).cumcount()
    hits = position >= cap
    rows = calls[hits]
    detail = (ordinal(position[hits] + 1) + " call from this caller number on " + rows["call_date"]
              + f" (cap {cap}, all agencies and dispositions)")
    return as_violations(inputs, rows, "FREQ_CALLER_DAILY_CAP", detail)
