"""Frequency rules of text messages (sms.md §2): hours, the daily cap, contacts over both
channels in 7 days, and texts or calls after an opt-out or a refusal.

Counting is bank-wide (any agency), in message order (sent_utc, agency_id, message_id) and,
across channels, in cross-channel order (sms_contacts). A message whose campaign is unknown
has no purpose and is skipped by the purpose rules, as a call is.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from audits.rules.findings import as_violations, local_clock, ordinal
from audits.rules.frequency import (
    attempts_after_refusal,
    callee_zones,
    number_purpose_keys,
    outside_hours,
    per_purpose,
    purpose_slots,
)
from audits.rules.grouping import running_count
from audits.rules.inputs import RuleInputs
from audits.rules.joins import pairs_in
from audits.rules.messages.contacts import after_events, contact_ordinals, contacts_of
from audits.rules.messages.findings import joined_violations, message_violations
from audits.tables import agency_zones

_MINUTE_NS = 60 * 1_000_000_000


def messages_outside_hours(inputs: RuleInputs) -> pd.DataFrame:
    """SMS_HOURS: an SMS attempt whose customer-local sent time is before `start` or at/after
    `end` of its purpose's `sms.hours`, in any zone the number may be in (as calls are judged)."""
    messages, windows = inputs.sms.messages, inputs.rulepack.sms.hours
    slot = purpose_slots(messages)
    attempt = messages["is_attempt"].to_numpy()
    opens = np.where(attempt, per_purpose({p: w[0] * _MINUTE_NS for p, w in windows.items()}, -1)[slot], -1)
    closes = per_purpose({p: w[1] * _MINUTE_NS for p, w in windows.items()}, -1)[slot]
    zones = callee_zones(messages["number"].to_numpy(), messages["customer_zone"], agency_zone_of(inputs, messages))
    outside = outside_hours(messages["sent_utc"], zones, opens, closes)
    hits = outside >= 0
    rows = messages[hits]
    zone = pd.Series(np.asarray(zones.names, dtype=object)[outside[hits]], index=rows.index, dtype="str")
    clock = local_clock(rows["sent_utc"], zone)
    window_text = rows["purpose"].map({p: f"{s // 60:02d}:{s % 60:02d}–{e // 60:02d}:{e % 60:02d}"
                                       for p, (s, e) in windows.items()})
    detail = ("text at " + clock + " customer local time (" + zone + "); " + rows["purpose"]
              + " texts are allowed " + window_text)
    return message_violations(inputs, rows, "SMS_HOURS", detail)


def agency_zone_of(inputs: RuleInputs, frame: pd.DataFrame) -> pd.Series:
    """Each row's agency zone (as its naive timestamps were read), by position."""
    bank = inputs.rulepack.bank_timezone
    zone_of = agency_zones(inputs.contracts, inputs.audit_date, bank)
    codes, agencies = pd.factorize(frame["agency_id"])
    zone_codes, zone_names = pd.factorize(pd.Series([zone_of.get(a, bank) for a in agencies], dtype=object))
    return pd.Series(pd.Categorical.from_codes(np.append(zone_codes, -1)[codes], categories=zone_names))


def messages_over_daily_cap(inputs: RuleInputs) -> pd.DataFrame:
    """SMS_DAILY_CAP: the (cap+1)-th and later SMS attempt of a purpose to a number on a date."""
    messages = inputs.sms.messages
    caps = per_purpose(inputs.rulepack.sms.daily_caps, -1)[purpose_slots(messages)]
    capped = messages["is_attempt"].to_numpy() & (caps >= 0)
    attempts = messages[capped]
    dates, distinct = pd.factorize(attempts["sent_date"], use_na_sentinel=False)
    position = running_count(number_purpose_keys(attempts) * max(len(distinct), 1) + dates)
    cap = caps[capped]
    hits = position >= cap
    rows = attempts[hits]
    detail = (ordinal(pd.Series(position[hits] + 1, index=rows.index)) + " " + rows["purpose"]
              + " text to this number on " + rows["sent_date"] + " (cap "
              + pd.Series(cap[hits], index=rows.index).astype("str") + ", all agencies)")
    return message_violations(inputs, rows, "SMS_DAILY_CAP", detail)


def contacts_over_rolling_cap(inputs: RuleInputs) -> pd.DataFrame:
    """CONTACT_ROLLING_7D: the (cap+1)-th and later contact (call or SMS attempt) of a purpose
    with a number over D-6..D (contact_window_days); the finding goes to that call or message."""
    settings, day = inputs.rulepack.sms, inputs.audit_date
    caps, window = per_purpose(settings.contact_caps, -1), settings.contact_window_days
    calls, messages = inputs.calls, inputs.sms.messages

    def counted(frame: pd.DataFrame) -> np.ndarray:
        return frame["is_attempt"].to_numpy(bool) & (caps[purpose_slots(frame)] >= 0)

    def earlier(history: pd.DataFrame) -> np.ndarray:
        return number_purpose_keys(history, counted(history) & (history["days_ago"].to_numpy() <= window - 1))

    keys = ["number", "purpose_id", "agency_id"]               # only what contacts_of reads is taken
    contacts = contacts_of(calls.loc[counted(calls), [*keys, "start_utc", "call_id"]],
                           messages.loc[counted(messages), [*keys, "sent_utc", "message_id"]])
    position, before_today = contact_ordinals(contacts, np.concatenate(
        [earlier(inputs.history), earlier(inputs.sms.history)]))
    cap = caps[contacts["purpose_id"].to_numpy("int64") + 1]
    hits = contacts[position >= cap].assign(position=position[position >= cap] + 1,
                                            before=before_today[position >= cap], cap=cap[position >= cap])
    first_day = (day - dt.timedelta(days=window - 1)).isoformat()
    found = []
    for channel, frame, build in (("call", calls, as_violations), ("sms", messages, message_violations)):
        mine = hits[hits["channel"] == channel].set_index("row")
        rows = frame.loc[mine.index]
        detail = (ordinal(mine["position"]) + " " + rows["purpose"]
                  + " contact (calls and texts) with this number in the "
                  + f"{window} days {first_day} to {day.isoformat()} (cap " + mine["cap"].astype("str") + "; "
                  + mine["before"].astype("str") + " on earlier days)")
        found.append(build(inputs, rows, "CONTACT_ROLLING_7D", detail))
    return joined_violations(found)


def marketing_after_opt_out(inputs: RuleInputs) -> pd.DataFrame:
    """SMS_AFTER_OPT_OUT: a marketing MT to a number that earlier opted out by text or refused
    in a call (any agency, the same day or any earlier day in the store)."""
    calls, messages = inputs.calls, inputs.sms.messages
    events = pd.concat([_events(inputs.refusals, "call", "start_utc", "call_id"),
                        _events(calls[calls["is_refusal"].to_numpy(bool)], "call", "start_utc", "call_id"),
                        _events(inputs.sms.opt_outs, "sms", "sent_utc", "message_id"),
                        _events(messages[messages["is_opt_out"].to_numpy()], "sms", "sent_utc", "message_id")],
                       ignore_index=True)
    targets = messages[messages["is_mt"].to_numpy() & (messages["purpose"] == "marketing").to_numpy(bool)
                       & messages["number"].isin(events["number"]).to_numpy()]     # only numbers with an event
    blocked, first = after_events(_events(targets, "sms", "sent_utc", "message_id"), events)
    rows = targets[blocked]
    detail = _event_text(events, first[blocked], inputs.rulepack.bank_timezone, rows.index)
    return message_violations(inputs, rows, "SMS_AFTER_OPT_OUT", "marketing text after this number " + detail)


def attempts_after_refusal_or_opt_out(inputs: RuleInputs) -> pd.DataFrame:
    """FREQ_AFTER_REFUSAL over both channels: the call rule, and (with sms.opt_out_is_refusal) a
    marketing attempt to a number that opted out by text earlier (any agency or day): an
    opt-out refuses marketing only. One finding per call."""
    found = attempts_after_refusal(inputs)
    if not inputs.rulepack.sms.opt_out_is_refusal:
        return found
    calls, messages = inputs.calls, inputs.sms.messages
    events = pd.concat([_events(inputs.sms.opt_outs, "sms", "sent_utc", "message_id"),
                        _events(messages[messages["is_opt_out"].to_numpy()], "sms", "sent_utc", "message_id")],
                       ignore_index=True)
    if events.empty:
        return found
    targets = calls[calls["is_attempt"].to_numpy(bool) & (calls["purpose"] == "marketing").to_numpy(bool)
                    & calls["number"].isin(events["number"]).to_numpy()]           # only numbers that opted out
    targets = targets[~pairs_in((targets["agency_id"], targets["call_id"]), (found["agency_id"], found["call_id"]))]
    blocked, first = after_events(_events(targets, "call", "start_utc", "call_id"), events)
    rows = targets[blocked]
    detail = "marketing attempt after this number " + _event_text(events, first[blocked],
                                                                   inputs.rulepack.bank_timezone, rows.index)
    return joined_violations([found, as_violations(inputs, rows, "FREQ_AFTER_REFUSAL", detail)])


def _events(frame: pd.DataFrame, channel: str, instant: str, contact_id: str) -> pd.DataFrame:
    return pd.DataFrame({"number": frame["number"].to_numpy("int64"), "instant": frame[instant].array.as_unit("ns"),
                         "channel": channel, "agency_id": frame["agency_id"].to_numpy(dtype=object),
                         "contact_id": frame[contact_id].to_numpy(dtype=object)})


def _event_text(events: pd.DataFrame, first: np.ndarray, zone: str, index: pd.Index) -> pd.Series:
    """'opted out by text on YYYY-MM-DD HH:MM (AGxx)' or 'refused in a call on …' of each event."""
    if not len(first):
        return pd.Series([], index=index, dtype="str")
    chosen = events.iloc[first]
    what = np.where(chosen["channel"] == "sms", "opted out by text on ", "refused in a call on ")
    when = chosen["instant"].dt.tz_convert(zone).dt.strftime("%Y-%m-%d %H:%M").to_numpy(dtype=object)
    return pd.Series(what + when + " (" + chosen["agency_id"].to_numpy(dtype=object) + ")", index=index, dtype="str")
