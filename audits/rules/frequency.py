"""Frequency rules: is the customer being harassed? (rules.md, "Frequency").

Counting is bank-wide (any agency) and in call order (start_time, agency_id, call_id).
A call whose campaign is unknown has no purpose and is skipped by the purpose rules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from audits.models import PURPOSES
from audits.phone_zones import number_zones, zone_is_one_of
from audits.rules.findings import as_violations, earlier_calls_text, local_clock, ordinal
from audits.rules.grouping import group_keys, previous_flagged, running_count, running_sum_before
from audits.rules.inputs import RuleInputs
from audits.tables import agency_zones


def calls_outside_hours(inputs: RuleInputs) -> pd.DataFrame:
    """FREQ_CALLING_HOURS: callee-local start before `start` or at/after `end` of the purpose's
    window in any zone the number may be in (callee_zones)."""
    calls = inputs.calls
    windows = inputs.rulepack.calling_hours
    slot = purpose_slots(calls)
    opens = per_purpose({p: w[0] * 60 * _NS for p, w in windows.items()}, -1)[slot]
    closes = per_purpose({p: w[1] * 60 * _NS for p, w in windows.items()}, -1)[slot]
    zones = callee_zones(calls["number"].to_numpy(), calls["callee_zone"], _agency_zone_of_calls(inputs))
    outside = outside_hours(calls["start_utc"], zones, opens, closes)
    hits = outside >= 0
    rows = calls[hits]
    zone = pd.Series(np.asarray(zones.names, dtype=object)[outside[hits]], index=rows.index, dtype="str")
    window_text = rows["purpose"].map({p: f"{s // 60:02d}:{s % 60:02d}–{e // 60:02d}:{e % 60:02d}"
                                       for p, (s, e) in windows.items()})
    detail = ("call at " + local_clock(rows["start_utc"], zone) + " callee local time (" + zone + "); "
              + rows["purpose"] + " calls are allowed " + window_text)
    return as_violations(inputs, rows, "FREQ_CALLING_HOURS", detail)


_NS = 1_000_000_000
_DAY_NS = 86_400 * _NS


def _agency_zone_of_calls(inputs: RuleInputs) -> pd.Series:
    """Each call's agency zone (as its naive timestamps were read), looked up once per agency."""
    bank = inputs.rulepack.bank_timezone
    zone_of = agency_zones(inputs.contracts, inputs.audit_date, bank)
    codes, agencies = pd.factorize(inputs.calls["agency_id"])
    zone_codes, zone_names = pd.factorize(pd.Series([zone_of.get(a, bank) for a in agencies], dtype=object))
    return pd.Series(pd.Categorical.from_codes(np.append(zone_codes, -1)[codes], categories=zone_names))


@dataclass(frozen=True)
class CalleeZones:
    """The zones each call is judged in: `of` indexes `sets`, each set a tuple of positions in
    `names` (-1: none, not judged)."""

    of: np.ndarray
    sets: tuple[tuple[int, ...], ...]
    names: tuple[str, ...]


def callee_zones(numbers: np.ndarray, callee_tz: pd.Series, agency_zone: pd.Series) -> CalleeZones:
    """The zones each call is judged in (data-contract §1): callee_tz alone when it is one of the
    number's zones; else every zone of the number; the agency's zone for a number with none known.
    numbers: E.164 digits as int64 (-1 none); callee_tz, agency_zone: IANA names per call (by
    position). Worked out per distinct number, callee_tz and agency zone, never per call."""
    known = number_zones(numbers)
    tz_code, tz_names = pd.factorize(callee_tz)
    agency_code, agency_names = pd.factorize(agency_zone)
    names = tuple(dict.fromkeys([*(z for s in known.sets for z in s), *map(str, tz_names),
                                 *map(str, agency_names)]))
    at = {name: k for k, name in enumerate(names)}
    sets = (*(tuple(at[z] for z in s) for s in known.sets), *((at[str(z)],) for z in tz_names),
            *((at[str(z)],) for z in agency_names))
    consistent = zone_is_one_of(known, tz_code, tz_names)
    of = np.where(consistent, len(known.sets) + tz_code,
                  np.where(known.of >= 0, known.of,
                           np.where(agency_code >= 0, len(known.sets) + len(tz_names) + agency_code, -1)))
    return CalleeZones(of=of.astype(np.int64), sets=sets, names=names)


def outside_hours(start_utc: pd.Series, zones: CalleeZones, opens: np.ndarray, closes: np.ndarray) -> np.ndarray:
    """For each call, the first of its zones (in `zones.names` order) whose wall clock is before
    `opens` or at/after `closes` (ns since local midnight; -1: no window), as a position in
    zones.names; -1 when inside in every zone or not judged. One conversion per zone."""
    judged = (opens >= 0) & (zones.of >= 0)
    first = np.full(len(start_utc), -1, dtype=np.int64)
    used = np.bincount(zones.of[judged], minlength=len(zones.sets)) > 0
    for k, name in enumerate(zones.names):
        holds = np.asarray([k in s and bool(u) for s, u in zip(zones.sets, used)] + [False])
        if not holds.any():
            continue
        rows = judged & (first < 0) & holds[zones.of]
        if rows.any():
            clock = wall_clock_in(start_utc, name, rows)
            first[rows] = np.where((clock < opens[rows]) | (clock >= closes[rows]), k, -1)
    return first


def wall_clock_in(start_utc: pd.Series, zone: str, rows: np.ndarray) -> np.ndarray:
    """Nanoseconds since local midnight on `zone`'s wall clock (not elapsed time: on a DST day
    they differ) of the instants at `rows` (a boolean mask, by position), in their order."""
    return start_utc.array.as_unit("ns")[rows].tz_convert(zone).tz_localize(None).asi8 % _DAY_NS


def purpose_slots(frame: pd.DataFrame) -> np.ndarray:
    """Each row's purpose_id + 1: a position in per_purpose tables (0: unknown campaign)."""
    return frame["purpose_id"].to_numpy("int64") + 1


def per_purpose(values: dict[str, int], missing: int) -> np.ndarray:
    """A table from purpose_slots to the purpose's value (`missing` for purposes without
    one and for unknown campaigns): an array look-up per row instead of a text map."""
    table = np.full(len(PURPOSES) + 1, missing, dtype="int64")
    for purpose, value in values.items():
        table[PURPOSES.index(purpose) + 1] = value
    return table


def purpose_in(frame: pd.DataFrame, purposes) -> np.ndarray:
    """Whether each row's purpose is one of `purposes` (an unknown campaign's is not)."""
    return per_purpose(dict.fromkeys(purposes, 1), 0)[purpose_slots(frame)] > 0


def attempts_over_daily_cap(inputs: RuleInputs) -> pd.DataFrame:
    """FREQ_DAILY_CAP: the (cap+1)-th and later attempt of a purpose to a number on the call date."""
    calls = inputs.calls
    caps = per_purpose(inputs.rulepack.daily_cap, -1)[purpose_slots(calls)]
    capped = calls["is_attempt"].to_numpy() & (caps >= 0)
    attempts = calls.loc[capped, ["number", "purpose_id", "call_date", "start_utc", "agency_id"]]  # only what is read
    keys = number_purpose_date_keys(attempts)
    position = running_count(keys)
    cap = caps[capped]
    hits = position >= cap
    rows = calls.loc[attempts.index[hits]]
    earlier = earlier_calls_text(keys, attempts, pd.Series(hits, index=attempts.index), inputs.rulepack.bank_timezone)
    detail = (ordinal(pd.Series(position[hits] + 1, index=rows.index)) + " " + rows["purpose"]
              + " attempt to this number on " + rows["call_date"] + " (cap "
              + pd.Series(cap[hits], index=rows.index).astype("str") + "); earlier: " + earlier)
    return as_violations(inputs, rows, "FREQ_DAILY_CAP", detail)


def attempts_over_rolling_cap(inputs: RuleInputs) -> pd.DataFrame:
    """FREQ_ROLLING_7D: the (cap+1)-th and later attempt of a purpose to a number among calls
    dated D-6..D (window_days), earlier days from the store."""
    calls, pack, day = inputs.calls, inputs.rulepack, inputs.audit_date
    first_day = (day - dt.timedelta(days=pack.rolling_window_days - 1)).isoformat()
    history = inputs.history
    caps = per_purpose(pack.rolling_cap, -1)
    earlier = (history["is_attempt"].to_numpy() & (caps[purpose_slots(history)] >= 0)
               & (history["days_ago"].to_numpy() <= pack.rolling_window_days - 1))
    cap_of_call = caps[purpose_slots(calls)]
    capped = calls["is_attempt"].to_numpy() & (cap_of_call >= 0)
    attempts = calls.loc[capped, ["number", "purpose_id"]]
    keys = number_purpose_keys(attempts)
    groups = group_keys(keys)
    before_today = groups.count_in(number_purpose_keys(history, earlier))
    position = before_today + groups.running_count()
    cap = cap_of_call[capped]
    hits = position >= cap
    rows = calls.loc[attempts.index[hits]]

    def text(values: np.ndarray) -> pd.Series:
        return pd.Series(values[hits], index=rows.index).astype("str")

    detail = (ordinal(pd.Series(position[hits] + 1, index=rows.index)) + " " + rows["purpose"]
              + " attempt to this number in the " + str(pack.rolling_window_days) + " days " + first_day
              + " to " + day.isoformat() + " (cap " + text(cap) + "; " + text(before_today) + " on earlier days)")
    return as_violations(inputs, rows, "FREQ_ROLLING_7D", detail)


def attempts_in_cooling_off(inputs: RuleInputs) -> pd.DataFrame:
    """FREQ_COOLING_OFF: an attempt of a purpose with cooling_off_days N while an earlier
    conversation of that purpose with the number is dated within the last N days (its own
    date being day 1)."""
    calls, days, day = inputs.calls, inputs.rulepack.cooling_off_days, inputs.audit_date
    if not days:
        return as_violations(inputs, calls.iloc[:0], "FREQ_COOLING_OFF", "")
    history = inputs.history
    blocking_days_ago = per_purpose({p: n - 1 for p, n in days.items()}, -1)   # D-(n-1)..D-1 still block D
    in_window = history["is_conversation"].to_numpy() & (
        history["days_ago"].to_numpy() <= blocking_days_ago[purpose_slots(history)])
    past = history.loc[in_window, ["number", "purpose_id", "days_ago"]]
    latest = past.groupby(number_purpose_keys(past), sort=False)["days_ago"].min()   # days ago, per key
    judged = calls.loc[purpose_in(calls, days), ["number", "purpose_id", "purpose", "is_attempt", "is_conversation"]]
    keys = number_purpose_keys(judged)
    conversations_before = pd.Series(running_sum_before(keys, judged["is_conversation"].to_numpy()),
                                      index=judged.index)
    past_days_ago = pd.Series(latest.reindex(keys).to_numpy(), index=judged.index)    # NaN: none in the window
    hits = judged["is_attempt"] & ((conversations_before > 0) | past_days_ago.notna())
    rows = calls.loc[judged.index[hits.to_numpy()]]
    since_days = past_days_ago[hits]
    since = since_days.map({n: (day - dt.timedelta(days=int(n))).isoformat() for n in since_days.dropna().unique()}
                           ).astype("str").where(conversations_before[hits] == 0, day.isoformat())
    detail = (rows["purpose"] + " attempt within " + rows["purpose"].map(days).astype("str")
              + " days of a conversation with this number on " + since)
    return as_violations(inputs, rows, "FREQ_COOLING_OFF", detail)


def number_purpose_keys(frame: pd.DataFrame, rows: np.ndarray | None = None) -> np.ndarray:
    """One integer per (callee number, purpose) pair of each row (of `rows` only, when given),
    for fast grouping and look-ups. Masked before widening and computed in place, so the peak
    holds one int64 column of the chosen rows, not several of all rows."""
    numbers, purposes = frame["number"].to_numpy(), frame["purpose_id"].to_numpy()
    if rows is None:
        keys = numbers.astype("int64")                              # a copy: the frame is left alone
    else:
        keys, purposes = numbers[rows].astype("int64", copy=False), purposes[rows]
    keys *= 4
    keys += purposes
    keys += 1
    return keys


def number_purpose_date_keys(frame: pd.DataFrame) -> np.ndarray:
    """One integer per (callee number, purpose, call date); the day's calls have one or two
    dates, so this stays far inside int64."""
    dates, distinct = pd.factorize(frame["call_date"], use_na_sentinel=False)
    return number_purpose_keys(frame) * max(len(distinct), 1) + dates


def rapid_redials(inputs: RuleInputs) -> pd.DataFrame:
    """FREQ_RAPID_REDIAL: an attempt less than redial_gap_minutes after the start of an earlier
    NO_ANSWER/REJECTED/VOICEMAIL attempt to the number (any agency or purpose, across midnight)."""
    calls, history = inputs.calls, inputs.history
    gap = pd.Timedelta(minutes=inputs.rulepack.redial_gap_minutes).as_unit("ns")
    if calls.empty:
        return as_violations(inputs, calls, "FREQ_RAPID_REDIAL", "")
    tail = history[history["start_utc"] >= calls["start_utc"].min() - gap]

    def both(column: str, dtype: str) -> np.ndarray:
        return np.concatenate([tail[column].to_numpy(dtype), calls[column].to_numpy(dtype)])

    start = np.concatenate([tail["start_utc"].array.as_unit("ns").asi8, calls["start_utc"].array.as_unit("ns").asi8])
    attempt = both("is_attempt", "bool")
    previous = previous_flagged(both("number", "int64"), attempt & both("is_unanswered", "bool"))
    since = start - start[np.maximum(previous, 0)]
    hits_combined = attempt & (previous >= 0) & (since < gap.value)
    hits_combined[:len(tail)] = False                      # the tail is context: only day D is judged
    hit_positions = np.flatnonzero(hits_combined) - len(tail)
    rows = calls.iloc[hit_positions]
    seconds = since[hits_combined] // 1_000_000_000
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
    refused_today_before = _refused_earlier_today(calls["number"].to_numpy("int64"), calls["is_refusal"].to_numpy())
    refused_earlier_day = calls["number"].isin(first_refusal.index)
    applies = purpose_in(calls, inputs.rulepack.refusal_applies_to)
    hits = calls["is_attempt"] & applies & (refused_earlier_day | refused_today_before)
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


def _refused_earlier_today(numbers: np.ndarray, refusals: np.ndarray) -> np.ndarray:
    """For each call, whether an earlier call of the day to its number was refused; only the
    numbers refused today are sorted (a few percent of the calls)."""
    involved = np.flatnonzero(pd.Series(numbers).isin(pd.unique(numbers[refusals])).to_numpy())
    refused_before = np.zeros(len(numbers), dtype=bool)
    refused_before[involved] = running_sum_before(numbers[involved], refusals[involved]) > 0
    return refused_before


def calls_over_caller_cap(inputs: RuleInputs) -> pd.DataFrame:
    """FREQ_CALLER_DAILY_CAP: the (cap+1)-th and later call from one caller number on a call date."""
    calls, cap = inputs.calls, inputs.rulepack.caller_daily_cap
    position = calls.groupby(["caller_e164", "call_date"], sort=False).cumcount()
    hits = position >= cap
    rows = calls[hits]
    detail = (ordinal(position[hits] + 1) + " call from this caller number on " + rows["call_date"]
              + f" (cap {cap}, all agencies and dispositions)")
    return as_violations(inputs, rows, "FREQ_CALLER_DAILY_CAP", detail)
