"""A complaint links to the customer's texts as to their calls, and names the channel of the
customer's last contact before it (sms.md §3)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from audits.signals.last_contact import with_texts_and_last_contact
from audits.signals.linking import COMPLAINT_COLUMNS

D = dt.date(2026, 11, 27)
A, B = "+8613812345678", "+8613900001111"


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="Asia/Shanghai").tz_convert("UTC")


def _complaints(rows) -> pd.DataFrame:
    return pd.DataFrame({"complaint_id": [r[0] for r in rows], "phone_e164": [r[1] for r in rows],
                         "received_utc": pd.Series([_utc(r[2]) for r in rows], dtype="datetime64[ns, UTC]")})


def _register(rows, *, linked=None) -> pd.DataFrame:
    """complaints.csv rows as linking wrote them from calls (unlinked unless `linked` names agencies)."""
    linked = linked or {}
    return pd.DataFrame([{"audit_date": D.isoformat(), "complaint_id": cid, "received_at": "",
                          "channel": "hotline", "category": "harassment", "callee_masked": "", "callee_key": "k",
                          "named_agency": "", "linked_agencies": linked.get(cid, ""),
                          "calls_in_window": 1 if cid in linked else 0, "findings_in_window": 0,
                          "linked_case_ids": "", "status": "linked" if cid in linked else "unlinked"}
                         for cid, _, _ in rows], columns=list(COMPLAINT_COLUMNS))


def _calls(rows) -> pd.DataFrame:
    return pd.DataFrame({"call_id": [r[0] for r in rows], "agency_id": [r[1] for r in rows],
                         "callee_e164": [r[2] for r in rows],
                         "start_utc": pd.Series([_utc(r[3]) for r in rows], dtype="datetime64[ns, UTC]")})


def _messages(rows) -> pd.DataFrame:
    return pd.DataFrame({"message_id": [r[0] for r in rows], "agency_id": [r[1] for r in rows],
                         "customer_e164": [r[2] for r in rows],
                         "sent_utc": pd.Series([_utc(r[3]) for r in rows], dtype="datetime64[ns, UTC]"),
                         "is_mt": [r[4] for r in rows]})


def test_the_last_contact_before_the_complaint_is_named_with_its_channel():
    complaints = [("CP1", A, "2026-11-27 15:00"), ("CP2", B, "2026-11-27 09:00")]
    calls = _calls([("C1", "AG01", A, "2026-11-27 10:00"), ("C2", "AG01", B, "2026-11-27 08:00")])
    messages = _messages([("M1", "AG02", A, "2026-11-27 14:59", True),
                          ("M2", "AG02", A, "2026-11-27 15:01", True),       # after the complaint
                          ("M3", "AG03", B, "2026-11-27 08:30", False),     # the customer's reply: not a contact
                          ("M4", "AG03", B, "2026-11-27 10:00", True)])     # after the complaint
    out = with_texts_and_last_contact(_register(complaints, linked={"CP1": "AG01", "CP2": "AG01"}),
                                      _complaints(complaints), calls=calls, messages=messages,
                                      bank_timezone="Asia/Shanghai").set_index("complaint_id")
    assert out.loc["CP1", "last_contact_channel"] == "sms"
    assert out.loc["CP1", "last_contact_agency"] == "AG02"
    assert out.loc["CP1", "last_contact_at"] == "2026-11-27T14:59:00+08:00"
    assert out.loc["CP2", "last_contact_channel"] == "call"
    assert out.loc["CP2", "last_contact_agency"] == "AG01"
    assert out.loc["CP1", "linked_agencies"] == "AG01;AG02"           # the texting agency joins the links
    assert out.loc["CP2", "linked_agencies"] == "AG01;AG03"
    assert out.loc["CP1", "texts_in_window"] == 2 and out.loc["CP2", "texts_in_window"] == 1


def test_texts_alone_link_a_complaint_that_no_call_links():
    complaints = [("CP1", A, "2026-11-27 15:00")]
    messages = _messages([("M1", "AG02", A, "2026-11-27 14:00", True)])
    out = with_texts_and_last_contact(_register(complaints), _complaints(complaints), calls=_calls([]),
                                      messages=messages, bank_timezone="Asia/Shanghai")
    assert out["status"].tolist() == ["linked"]
    assert out["linked_agencies"].tolist() == ["AG02"]
    assert out["last_contact_channel"].tolist() == ["sms"]


def test_a_call_and_a_text_at_the_same_instant_the_text_is_last():
    complaints = [("CP1", A, "2026-11-27 15:00")]
    calls = _calls([("C1", "AG01", A, "2026-11-27 14:00")])
    messages = _messages([("M1", "AG02", A, "2026-11-27 14:00", True)])
    out = with_texts_and_last_contact(_register(complaints, linked={"CP1": "AG01"}), _complaints(complaints),
                                      calls=calls, messages=messages, bank_timezone="Asia/Shanghai")
    assert out["last_contact_channel"].tolist() == ["sms"]          # calls before messages at one instant


def test_no_contact_before_the_complaint_leaves_the_last_contact_blank():
    complaints = [("CP1", A, "2026-11-27 09:00")]
    out = with_texts_and_last_contact(_register(complaints), _complaints(complaints), calls=_calls([]),
                                      messages=_messages([]), bank_timezone="Asia/Shanghai")
    assert out[["last_contact_channel", "last_contact_agency", "last_contact_at"]].iloc[0].tolist() == ["", "", ""]
    assert out["status"].tolist() == ["unlinked"]


def _earlier(rows) -> pd.DataFrame:
    """Texts of earlier days of the window as the store gives them (store.read_texts_to)."""
    return pd.DataFrame({"customer_e164": [r[2] for r in rows], "agency_id": [r[1] for r in rows],
                         "message_id": [r[0] for r in rows],
                         "sent_utc": pd.Series([_utc(r[3]) for r in rows], dtype="datetime64[ns, UTC]")})


def test_a_text_of_an_earlier_day_links_the_complaint_and_is_its_last_contact():
    complaints = [("CP1", A, "2026-11-27 15:00"), ("CP2", B, "2026-11-27 09:00")]
    earlier = _earlier([("M9", "AG02", A, "2026-11-25 10:00"), ("M8", "AG03", A, "2026-11-24 10:00")])
    out = with_texts_and_last_contact(_register(complaints), _complaints(complaints), calls=_calls([]),
                                      messages=_messages([]), bank_timezone="Asia/Shanghai",
                                      earlier_texts=earlier).set_index("complaint_id")
    assert out.loc["CP1", ["status", "linked_agencies", "texts_in_window"]].tolist() == ["linked", "AG02;AG03", 2]
    assert out.loc["CP1", ["last_contact_channel", "last_contact_agency", "last_contact_at"]].tolist() == [
        "sms", "AG02", "2026-11-25T10:00:00+08:00"]
    assert out.loc["CP2", ["status", "texts_in_window", "last_contact_channel"]].tolist() == ["unlinked", 0, ""]


def test_an_earlier_text_and_an_earlier_call_the_later_day_is_the_last_contact():
    complaints = [("CP1", A, "2026-11-27 15:00"), ("CP2", B, "2026-11-27 15:00")]
    window_calls = pd.DataFrame({"call_date": ["2026-11-26", "2026-11-24"], "callee_number": [8613812345678,
                                                                                               8613900001111],
                                 "agency_id": ["AG01", "AG01"], "calls": [1, 1]})
    earlier = _earlier([("M9", "AG02", A, "2026-11-25 10:00"), ("M7", "AG02", B, "2026-11-25 10:00")])
    out = with_texts_and_last_contact(_register(complaints, linked={"CP1": "AG01", "CP2": "AG01"}),
                                      _complaints(complaints), calls=_calls([]), messages=_messages([]),
                                      bank_timezone="Asia/Shanghai", window_calls=window_calls,
                                      earlier_texts=earlier).set_index("complaint_id")
    # A: a call on the 26th after the text of the 25th (the call's day only: the store keeps calls per day)
    assert out.loc["CP1", ["last_contact_channel", "last_contact_agency", "last_contact_at"]].tolist() == [
        "call", "AG01", "2026-11-26"]
    # B: the text of the 25th after the call of the 24th
    assert out.loc["CP2", ["last_contact_channel", "last_contact_agency", "last_contact_at"]].tolist() == [
        "sms", "AG02", "2026-11-25T10:00:00+08:00"]
    assert out.loc["CP2", "linked_agencies"] == "AG01;AG02"
