"""Complaints and text messages (sms.md §3): a complaint links to the texts to its number of its
look-back window (the day's and the store's earlier days') as to calls, and names the customer's
last contact of either channel before it.

Only written when the day has messages, or an earlier day of the window texted a complaining
number: complaints.csv then gains, at the end, `texts_in_window` (the texts sent to the number
in the window), `last_contact_channel` (call | sms), `last_contact_agency` and `last_contact_at`
(bank's zone, ISO 8601; a date alone when the last contact is a call of an earlier day of the
window, which the store keeps per day). The order of contacts is sms.md's: instant, calls before
messages, agency_id, id; a call of an earlier day is the last contact only when its day is later
than the last text's (on the same day, the text: its instant is known, the call's is not).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audits.phones import e164_integers

LAST_CONTACT_COLUMNS = ("texts_in_window", "last_contact_channel", "last_contact_agency", "last_contact_at")


def with_texts_and_last_contact(register: pd.DataFrame, complaints: pd.DataFrame, *, calls: pd.DataFrame | None,
                                messages: pd.DataFrame | None, bank_timezone: str,
                                window_calls: pd.DataFrame | None = None,
                                earlier_texts: pd.DataFrame | None = None) -> pd.DataFrame:
    """complaints.csv rows (`register`) with the window's texts linked and LAST_CONTACT_COLUMNS.

    `complaints`: the day's accepted complaints (complaint_id, phone_e164, received_utc);
    `calls`: the day's calls (call_id, agency_id, callee_e164, start_utc); `messages`: the day's
    enriched messages (message_id, agency_id, customer_e164, sent_utc, is_mt; None: none);
    `window_calls`: the window's calls per (call_date, callee_number, agency_id), for a last call
    of an earlier day; `earlier_texts`: the texts sent to the complaining numbers on the earlier
    days of the window (store.read_texts_to)."""
    asked = complaints[["complaint_id", "phone_e164", "received_utc"]].rename(columns={"phone_e164": "number"})
    # only the contacts of the complaints' numbers can link (the day's calls and texts are millions)
    if messages is not None:
        messages = messages[messages["customer_e164"].isin(asked["number"]).to_numpy(bool)]
    calls = None if calls is None else calls[calls["callee_e164"].isin(asked["number"]).to_numpy(bool)]
    mt = None if messages is None else messages[messages["is_mt"].to_numpy(bool)]
    texts = pd.concat([_contacts(mt, "sms", "message_id", "customer_e164", "sent_utc"),
                       _contacts(earlier_texts, "sms", "message_id", "customer_e164", "sent_utc")],
                      ignore_index=True)
    contacts = pd.concat([_contacts(calls, "call", "call_id", "callee_e164", "start_utc"), texts], ignore_index=True)
    sent = asked.merge(texts, on="number", how="inner")
    before = asked.merge(contacts, on="number", how="inner")
    before = before[before["instant"] <= before["received_utc"]]
    last = (before.sort_values(["complaint_id", "instant", "order", "agency_id", "id"], kind="stable")
            .groupby("complaint_id", sort=False).tail(1).set_index("complaint_id"))
    out = register.copy()
    ids = out["complaint_id"]
    out["linked_agencies"] = _joined_agencies(out, sent)
    linked_by_text = ids.isin(sent["complaint_id"]).to_numpy()
    out["status"] = np.where(linked_by_text, "linked", out["status"].to_numpy(dtype=object))
    out["texts_in_window"] = ids.map(sent.groupby("complaint_id").size()).fillna(0).astype("int64").to_numpy()
    local = last["instant"].dt.tz_convert(bank_timezone).dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    at = local.str.replace(r"(\d\d)(\d\d)$", r"\1:\2", regex=True)
    channel, agency = ids.map(last["channel"]), ids.map(last["agency_id"])
    at = ids.map(at)
    if window_calls is not None and len(window_calls):
        channel, agency, at = _earlier_call(out, asked, window_calls, channel, agency, at)
    out["last_contact_channel"] = channel.astype(object).fillna("").to_numpy(dtype=object)
    out["last_contact_agency"] = agency.astype(object).fillna("").to_numpy(dtype=object)
    out["last_contact_at"] = at.astype(object).fillna("").to_numpy(dtype=object)
    return out


def _contacts(frame: pd.DataFrame | None, channel: str, id_column: str, number: str, instant: str) -> pd.DataFrame:
    """Contacts of one channel: number (E.164), instant, channel, order (calls 0, messages 1), agency_id, id."""
    if frame is None or frame.empty:
        return pd.DataFrame({"number": pd.Series([], dtype=object),
                             "instant": pd.Series([], dtype="datetime64[ns, UTC]"),
                             "channel": pd.Series([], dtype=object), "order": pd.Series([], dtype="int64"),
                             "agency_id": pd.Series([], dtype=object), "id": pd.Series([], dtype=object)})
    return pd.DataFrame({"number": frame[number].to_numpy(dtype=object), "instant": frame[instant],
                         "channel": channel, "order": int(channel == "sms"),
                         "agency_id": frame["agency_id"].to_numpy(dtype=object),
                         "id": frame[id_column].to_numpy(dtype=object)}).reset_index(drop=True)


def _joined_agencies(register: pd.DataFrame, sent: pd.DataFrame) -> np.ndarray:
    """linked_agencies with the agencies that texted the number added (sorted, ';'-joined)."""
    extra = sent.groupby("complaint_id")["agency_id"].agg(lambda a: set(a))
    out = []
    for complaint_id, joined in zip(register["complaint_id"], register["linked_agencies"].fillna("")):
        agencies = {a for a in str(joined).split(";") if a} | extra.get(complaint_id, set())
        out.append(";".join(sorted(agencies)))
    return np.asarray(out, dtype=object)


def _earlier_call(register: pd.DataFrame, asked: pd.DataFrame, window_calls: pd.DataFrame,
                  channel: pd.Series, agency: pd.Series, at: pd.Series):
    """Where no contact of the day came before a complaint and no text of a later or the same
    day: the latest earlier day of the window with a call to its number (channel call, the
    first agency of that day, the date)."""
    today = str(register["audit_date"].iat[0]) if len(register) else ""
    numbers = asked.assign(callee_number=e164_integers(asked["number"]))[["complaint_id", "callee_number"]]
    earlier = numbers.merge(window_calls[window_calls["call_date"] < today], on="callee_number", how="inner")
    if earlier.empty:
        return channel, agency, at
    latest = (earlier.sort_values(["complaint_id", "call_date", "agency_id"], ascending=[True, False, True])
              .drop_duplicates("complaint_id").set_index("complaint_id"))
    ids = register["complaint_id"]
    call_day = ids.map(latest["call_date"]).astype(object).fillna("")
    shown_day = at.astype(object).fillna("").astype(str).str[:10]
    later = (call_day != "") & (call_day > shown_day)          # ISO dates, bank's zone
    channel = channel.where(~later, "call")
    agency = agency.where(~later, ids.map(latest["agency_id"]))
    at = at.where(~later, call_day)
    return channel, agency, at
