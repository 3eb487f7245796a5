"""Frequency rules: is the customer being harassed? (rules.md, "Frequency").

Counting is bank-wide (any agency) and in call order (start_time, agency_id, call_id).
A call whose campaign is unknown has no purpose and is skipped by the purpose rules.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from audits.rules.common import RuleInputs, as_violations, earlier_calls_text, local_clock, map_pairs, ordinal

_UNANSWERED = ["NO_ANSWER", "REJECTED", "VOICEMAIL"]


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
    attempts = calls[calls["is_attempt"] & calls["purpose"].isin(list(caps))]
    position = attempts.groupby(["purpose_id", "number", "call_date"], sort=False).cumcount()
    cap = attempts["purpose"].map(caps).astype("int64")      # int64 even with no attempts
    hits = position >= cap
    rows = attempts[hits]
    earlier = earlier_calls_text(["purpose_id", "number", "call_date"], attempts, hits,
                                 inputs.rulepack.bank_timezone)
    detail = (ordinal(position[hits] + 1) + " " + rows["purpose"] + " attempt to this number on "
              + rows["call_date"] + " (cap " + cap[hits].astype("str") + "); earlier: " + earlier)
    return as_violations(inputs, rows, "FREQ_DAILY_CAP", detail)


def attempts_over_rolling_cap(inputs: RuleInputs) -> pd.DataFrame:
    """FREQ_ROLLING_7D: the (cap+1)-th and later attempt of a purpose to a number among calls
    dated D-6..D (window_days), earlier days from the store."""
    calls, pack = inputs.calls, inputs.rulepack
    caps = pack.rolling_cap
    first_day = (inputs.audit_date - dt.timedelta(days=pack.rolling_window_days - 1)).isoformat()
    history = inputs.history
    earlier = history[history["is_attempt"] & history["purpose"].isin(list(caps))
                      & (history["call_date"] >= first_day) & (history["call_date"] < inputs.audit_date.isoformat())]
    counts = earlier.groupby(["purpose_id", "number"], as_index=False, sort=False).size()
    attempts = calls[calls["is_attempt"] & calls["purpose"].isin(list(caps))]
    before_today = map_pairs((attempts["purpose_id"], attempts["number"]),
                             (counts["purpose_id"], counts["number"]), counts["size"]).fillna(0).astype("int64")
    position = before_today + attempts.groupby(["purpose_id", "number"], sort=False).cumcount()
    cap = attempts["purpose"].map(caps).astype("int64")      # int64 even with no attempts
    hits = position >= cap
    rows = attempts[hits]
    detail = (ordinal(position[hits] + 1) + " " + rows["purpose"] + " attempt to this number in the "
              + str(pack.rolling_window_days) + " days " + first_day + " to " + inputs.audit_date.isoformat()
              + " (cap " + cap[hits].astype("str") + "; " + before_today[hits].astype("str")
              + " on earlier days)")
    return as_violations(inputs, rows, "FREQ_ROLLING_7D", detail)


def attempts_in_cooling_off(inputs: RuleInputs) -> pd.DataFrame:
    """FREQ_COOLING_OFF: an attempt of a purpose with cooling_off_days N while an earlier
    conversation of that purpose with the number is dated within the last N days (its own
    date being day 1)."""
    calls, days = inputs.calls, inputs.rulepack.cooling_off_days
    if not days:
        return as_violations(inputs, calls.iloc[:0], "FREQ_COOLING_OFF", "")
    history = inputs.history
    window_start = history["purpose"].map(
        {p: (inputs.audit_date - dt.timedelta(days=n - 1)).isoformat() for p, n in days.items()})
    past = history[history["is_conversation"] & history["purpose"].isin(list(days))
                   & (history["call_date"] >= window_start)]
    last_past = past.groupby(["purpose_id", "number"], as_index=False, sort=False)["call_date"].max()
    judged = calls[calls["purpose"].isin(list(days))]
    conversations_before = (judged.groupby(["purpose_id", "number"], sort=False)["is_conversation"].cumsum()
                            - judged["is_conversation"])
    past_date = map_pairs((judged["purpose_id"], judged["number"]),
                          (last_past["purpose_id"], last_past["number"]), last_past["call_date"]).astype("str")
    hits = judged["is_attempt"] & ((conversations_before > 0) | past_date.notna())
    rows = judged[hits]
    since = past_date[hits].where(conversations_before[hits] == 0, inputs.audit_date.isoformat())
    detail = (rows["purpose"] + " attempt within " + rows["purpose"].map(days).astype("str")
              + " days of a conversation with this number on " + since)
    return as_violations(inputs, rows, "FREQ_COOLING_OFF", detail)


def rapid_redials(inputs: RuleInputs) -> pd.DataFrame:
    """FREQ_RAPID_REDIAL: an attempt less than redial_gap_minutes after the start of an earlier
    NO_ANSWER/REJECTED/VOICEMAIL attempt to the number (any agency or purpose, across midnight)."""
    calls, history = inputs.calls, inputs.history
    gap = pd.Timedelta(minutes=inputs.rulepack.redial_gap_minutes)
    if calls.empty:
        return as_violations(inputs, calls, "FREQ_RAPID_REDIAL", "")
    tail = history[history["start_utc"] >= calls["start_utc"].min() - gap]
    columns = ["number", "start_utc", "agency_id", "is_attempt", "disposition_code"]
    combined = pd.concat([tail[columns].assign(today=False), calls[columns].assign(today=True)],
                         ignore_index=True)
    unanswered_start = combined["start_utc"].where(combined["is_attempt"]
                                                   & combined["disposition_code"].isin(_UNANSWERED))
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
    first_refusal = refusals.sort_values("start_utc").drop_duplicates("callee_e164").set_index("callee_e164")
    refused_today_before = (calls.groupby("number", sort=False)["is_refusal"].cumsum()
                            - calls["is_refusal"]) > 0
    refused_earlier_day = calls["callee_e164"].isin(first_refusal.index)
    hits = (calls["is_attempt"] & calls["purpose"].isin(list(inputs.rulepack.refusal_applies_to))
            & (refused_earlier_day | refused_today_before))
    rows = calls[hits]
    if rows.empty:
        return as_violations(inputs, rows, "FREQ_AFTER_REFUSAL", "")
    zone = inputs.rulepack.bank_timezone
    today_first = calls[calls["is_refusal"]].drop_duplicates("callee_e164").set_index("callee_e164")
    when = pd.concat([first_refusal[["start_utc", "agency_id"]],
                      today_first.loc[~today_first.index.isin(first_refusal.index), ["start_utc", "agency_id"]]])
    refused_at = rows["callee_e164"].map(when["start_utc"]).dt.tz_convert(zone).dt.strftime("%Y-%m-%d %H:%M")
    detail = ("attempt after this number refused further calls on " + refused_at + " ("
              + rows["callee_e164"].map(when["agency_id"]) + ")")
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
