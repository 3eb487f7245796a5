"""Boundary tests of the SMS frequency rules (sms.md §2): hours, the daily cap, contacts over both
channels in 7 days, and texts or calls after an opt-out or a refusal.

Each fixture builds one literal day (calls through the landing and the store, messages typed as
the loaders type them); each case owns an id prefix and, where counts matter, its own number.
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from audits.rulepack import RULEPACK_DIR
from audits.rules import run_rules, sort_violations
from audits.rules.messages.frequency import (
    attempts_after_refusal_or_opt_out,
    contacts_over_rolling_cap,
    marketing_after_opt_out,
    messages_outside_hours,
    messages_over_daily_cap,
)
from tests.landing import OTHER, call
from tests.rules.helpers import answered, assert_empty_violations, assignment, consent, day, iso, two_agencies
from tests.rules.messages.helpers import found_ids, message, reply, rulepack_with, sms_inputs, with_rulepack

D0 = iso(0)
US_NUMBER = "+1 212 555 0100"          # New York: 13 hours behind Shanghai in November
N = {k: f"1391234{k:04d}" for k in range(1, 40)}      # one CN mobile per case


def people(*numbers: str) -> dict:
    """Reference overrides: AG01 and AG02, both assigned and with consent for these numbers."""
    reference = two_agencies()
    reference["assignments"] = [assignment(a, n) for n in numbers for a in ("AG01", "AG02")]
    reference["consents"] = [consent(n) for n in numbers]
    return reference


# --- SMS_HOURS (cn_bank: 08:00-21:00 customer-local, all purposes) ----------------------------

@pytest.fixture(scope="module")
def hours(tmp_path_factory):
    messages = [
        message("h_0759", f"{D0} 07:59:59"),
        message("h_0800", f"{D0} 08:00:00"),
        message("h_2059", f"{D0} 20:59:59"),
        message("h_2100", f"{D0} 21:00:00"),
        message("h_col_0759", f"{D0} 07:59:00", campaign_id="COL"),
        message("h_srv_2100", f"{D0} 21:00:00", campaign_id="SRV"),
        message("h_failed_2300", f"{D0} 23:00:00", status="FAILED"),      # not an SMS attempt
        message("h_pending_2300", f"{D0} 23:00:00", status="PENDING"),    # an SMS attempt
        message("h_unknown_2300", f"{D0} 23:00:00", campaign_id="NOPE"),   # no purpose: skipped
        reply("h_mo_2300", f"{D0} 23:00:00"),                              # MO: never a finding
        # 20:30 in Shanghai is 07:30 in New York: outside in the customer's zone
        message("h_us_0730", f"{D0} 20:30:00", customer_number=US_NUMBER),
        message("h_us_0800", f"{D0} 21:00:00", customer_number=US_NUMBER),
    ]
    return sms_inputs(tmp_path_factory.mktemp("sms_hours"), messages)


def test_hours_boundaries_in_customer_local_time(hours):
    found = messages_outside_hours(hours)
    assert found_ids(found) == {"h_0759", "h_2100", "h_col_0759", "h_srv_2100", "h_pending_2300", "h_us_0730"}
    detail = found.set_index("call_id").loc["h_us_0730", "detail"]
    assert detail == ("text at 07:30 customer local time (America/New_York); marketing texts are allowed "
                      "08:00–21:00")


def test_hours_follow_the_rulepack(hours, tmp_path):
    pack = rulepack_with(tmp_path, hours={"marketing": {"start": "07:00", "end": "22:00"}})
    found = messages_outside_hours(with_rulepack(hours, pack))
    # only marketing has a window: the other purposes are not judged
    assert found_ids(found) == {"h_pending_2300"}


# --- SMS_DAILY_CAP (cn_bank: marketing 1, servicing 5, collection 3) --------------------------

@pytest.fixture(scope="module")
def daily(tmp_path_factory):
    messages = [
        # marketing cap 1: the 2nd is a finding whichever agency sends it; FAILED does not count
        message("d_mkt_failed", f"{D0} 09:00:00", customer_number=N[1], status="FAILED"),
        message("d_mkt_1", f"{D0} 09:30:00", customer_number=N[1]),
        message("d_mkt_2", f"{D0} 10:00:00", customer_number=N[1], agency_id="AG02"),
        # collection cap 3: the 4th is the first finding
        *(message(f"d_col_{k}", f"{D0} 1{k}:00:00", customer_number=N[2], campaign_id="COL") for k in range(1, 5)),
        # the same second: AG01 sorts before AG02, so AG02's text is the 2nd
        message("d_tie_b", f"{D0} 12:00:00", customer_number=N[3], agency_id="AG02"),
        message("d_tie_a", f"{D0} 12:00:00", customer_number=N[3]),
        # one of each purpose: each the 1st of its own count
        message("d_mix_m", f"{D0} 12:00:00", customer_number=N[4]),
        message("d_mix_s", f"{D0} 12:00:01", customer_number=N[4], campaign_id="SRV"),
        # replies are not messages
        reply("d_mo_1", f"{D0} 12:00:00", text="好的", customer_number=N[5]),
        message("d_mo_mt", f"{D0} 12:00:01", customer_number=N[5]),
    ]
    return sms_inputs(tmp_path_factory.mktemp("sms_daily"), messages, **people(*N.values()))


def test_daily_cap_is_the_cap_plus_first_attempt_of_the_date(daily):
    found = messages_over_daily_cap(daily)
    assert found_ids(found) == {"d_mkt_2", "d_col_4", "d_tie_b"}
    assert found.set_index("call_id").loc["d_col_4", "detail"] == (
        "4th collection text to this number on 2026-11-27 (cap 3, all agencies)")


def test_daily_cap_without_messages_is_empty(tmp_path):
    assert_empty_violations(messages_over_daily_cap(sms_inputs(tmp_path, [])))


# --- CONTACT_ROLLING_7D (cn_bank: marketing 10 over D-6..D, calls and texts) -------------------

@pytest.fixture(scope="module")
def contacts(tmp_path_factory):
    earlier = {
        # outside the window (D-7): not counted
        day(-7): [call(f"k_old_{k}", f"{iso(-7)} 1{k}:00:00", callee_number=N[10]) for k in range(5)],
        # inside: 4 call attempts on D-6 (and a BUSY call, not an attempt)
        day(-6): [call(f"k_c6_{k}", f"{iso(-6)} 1{k}:00:00", callee_number=N[10]) for k in range(4)]
        + [call("k_busy", f"{iso(-6)} 15:00:00", callee_number=N[10], disposition="BUSY")],
    }
    earlier_messages = {
        day(-3): [message(f"k_m3_{k}", f"{iso(-3)} 1{k}:00:00", customer_number=N[10]) for k in range(3)]
        + [message("k_m3_failed", f"{iso(-3)} 15:00:00", customer_number=N[10], status="FAILED")],
    }
    calls = [
        call("k_c_08", f"{D0} 08:00:00", callee_number=N[10]),                        # 8th
        call("k_c_10", f"{D0} 10:00:00", callee_number=N[10], agency_id="AG02"),      # 10th (a call first)
        call("k_c_12", f"{D0} 12:00:00", callee_number=N[10]),                        # 12th
        call("k_srv", f"{D0} 12:30:00", callee_number=N[10], campaign_id="SRV"),      # servicing: its own count
    ]
    messages = [
        message("k_m_09", f"{D0} 09:00:00", customer_number=N[10]),                  # 9th
        message("k_m_10", f"{D0} 10:00:00", customer_number=N[10]),                  # 11th: same instant, after the call
        message("k_m_11_failed", f"{D0} 11:00:00", customer_number=N[10], status="REJECTED"),
    ]
    return sms_inputs(tmp_path_factory.mktemp("sms_contacts"), messages, calls, earlier=earlier,
                      earlier_messages=earlier_messages, **people(*N.values()))


def test_contacts_count_calls_and_texts_across_days_in_cross_channel_order(contacts):
    found = contacts_over_rolling_cap(contacts)
    assert found_ids(found) == {"k_m_10", "k_c_12"}
    detail = found.set_index("call_id")["detail"]
    assert detail["k_m_10"] == ("11th marketing contact (calls and texts) with this number in the 7 days "
                                "2026-11-21 to 2026-11-27 (cap 10; 7 on earlier days)")
    assert detail["k_c_12"].startswith("12th marketing contact")


# --- SMS_AFTER_OPT_OUT and FREQ_AFTER_REFUSAL across channels ---------------------------------

@pytest.fixture(scope="module")
def opt_outs(tmp_path_factory):
    earlier_messages = {
        # N20 opted out on D-3 by a reply to AG02's port
        day(-3): [reply("o_old_mo", f"{iso(-3)} 10:00:00", text="退订", customer_number=N[20], agency_id="AG02")],
    }
    earlier = {
        # N21 refused AG02's call on D-2
        day(-2): [answered("o_old_refused", f"{iso(-2)} 10:00:00", outcome="REFUSED", agency_id="AG02",
                               callee_number=N[21], campaign_id="COL")],
        # N27 opted out by text to AG02 on D-1 (below): AG01's marketing call on D follows it
    }
    earlier_messages[day(-1)] = [reply("o_n27_mo", f"{iso(-1)} 18:00:00", text="ＳＴＯＰ", customer_number=N[27],
                                       agency_id="AG02")]
    messages = [
        # opt-out then a text the same second: the reply sorts first (message_id), so the text is after it
        reply("o_a1", f"{D0} 10:00:00", customer_number=N[22]),
        message("o_a2", f"{D0} 10:00:00", customer_number=N[22]),
        # the text sorts first at the same second: before the opt-out; the next second is after
        message("o_b1", f"{D0} 10:00:00", customer_number=N[23]),
        reply("o_b2", f"{D0} 10:00:00", text="td", customer_number=N[23]),
        message("o_b3", f"{D0} 10:00:01", customer_number=N[23]),
        # refused in a call at 09:00 (AG02): a text at the same instant is after it (calls first)
        message("o_call_same", f"{D0} 09:00:00", customer_number=N[24]),
        message("o_call_srv", f"{D0} 09:30:00", customer_number=N[24], campaign_id="SRV"),   # not marketing
        # earlier days: any agency
        message("o_old_mo_text", f"{D0} 09:00:00", customer_number=N[20]),
        message("o_old_refused_text", f"{D0} 09:00:00", customer_number=N[21], status="FAILED"),   # any MT
        # a reply that is no opt-out
        reply("o_ok_mo", f"{D0} 09:00:00", text="好的 谢谢", customer_number=N[25]),
        message("o_ok_text", f"{D0} 09:00:01", customer_number=N[25]),
        # N26 opts out by text at 11:00: a marketing call at 11:00 is before it, 11:00:01 after
        reply("o_n26_mo", f"{D0} 11:00:00", text="Unsubscribe", customer_number=N[26], agency_id="AG02"),
    ]
    calls = [
        answered("o_refusing_call", f"{D0} 09:00:00", outcome="REFUSED", agency_id="AG02", callee_number=N[24],
                 campaign_id="COL"),
        call("o_n26_same", f"{D0} 11:00:00", callee_number=N[26]),
        call("o_n26_after", f"{D0} 11:00:01", callee_number=N[26]),
        call("o_n26_col", f"{D0} 11:00:02", callee_number=N[26], campaign_id="COL"),       # not marketing
        call("o_n26_busy", f"{D0} 11:00:03", callee_number=N[26], disposition="BUSY"),     # not an attempt
        call("o_n27_next_day", f"{D0} 08:00:00", callee_number=N[27]),
    ]
    return sms_inputs(tmp_path_factory.mktemp("sms_opt_outs"), messages, calls, earlier=earlier,
                      earlier_messages=earlier_messages, **people(*N.values()))


def test_marketing_text_after_an_opt_out_or_a_refusal(opt_outs):
    found = marketing_after_opt_out(opt_outs)
    assert found_ids(found) == {"o_a2", "o_b3", "o_call_same", "o_old_mo_text", "o_old_refused_text"}
    detail = found.set_index("call_id")["detail"]
    assert detail["o_call_same"] == "marketing text after this number refused in a call on 2026-11-27 09:00 (AG02)"
    assert detail["o_old_mo_text"] == "marketing text after this number opted out by text on 2026-11-24 10:00 (AG02)"


def test_marketing_call_after_an_opt_out_by_text(opt_outs):
    found = attempts_after_refusal_or_opt_out(opt_outs)
    assert {c for c in found["call_id"] if c.startswith("o_")} == {"o_n26_after", "o_n27_next_day"}
    detail = found.set_index("call_id")["detail"]
    assert detail["o_n27_next_day"] == ("marketing attempt after this number opted out by text on "
                                        "2026-11-26 18:00 (AG02)")


def test_an_opt_out_is_no_refusal_of_calls_when_the_rulepack_says_so(opt_outs, tmp_path):
    pack = rulepack_with(tmp_path, opt_out_is_refusal=False)
    assert with_rulepack(opt_outs, pack).rulepack.sms.opt_out_is_refusal is False
    found = attempts_after_refusal_or_opt_out(with_rulepack(opt_outs, pack))
    assert not {c for c in found["call_id"] if c.startswith("o_")}


def test_a_call_refused_and_opted_out_is_one_finding(tmp_path):
    calls = [answered("r_refused", f"{D0} 09:00:00", outcome="REFUSED"), call("r_after", f"{D0} 10:00:00")]
    inputs = sms_inputs(tmp_path, [reply("r_mo", f"{D0} 09:30:00")], calls)
    found = attempts_after_refusal_or_opt_out(inputs)
    assert list(found["call_id"]) == ["r_after"]
    assert found["detail"].iloc[0].startswith("attempt after this number refused further calls")


def test_rules_on_a_day_without_messages_are_empty(tmp_path):
    inputs = sms_inputs(tmp_path, [], [call("e_1", f"{D0} 10:00:00", callee_number=OTHER)])
    for find in (messages_outside_hours, messages_over_daily_cap, marketing_after_opt_out):
        assert_empty_violations(find(inputs))
    assert_empty_violations(contacts_over_rolling_cap(inputs))


def test_partitions_of_the_numbers_give_the_single_run_findings(opt_outs, contacts):
    for inputs in (opt_outs, contacts):
        whole = run_rules(inputs)
        parts = sort_violations([run_rules(inputs, partition=k, partitions=3) for k in range(3)])
        assert len(whole) > 0
        pd.testing.assert_frame_equal(parts, whole)


def test_contacts_read_every_day_of_their_window_from_the_store(tmp_path):
    """The call rules look back 1 day here (rolling window 2, no cooling-off): the contacts still
    count calls of D-5."""
    document = yaml.safe_load((RULEPACK_DIR / "cn_bank.yaml").read_text(encoding="utf-8"))
    document["rules"]["FREQ_ROLLING_7D"]["window_days"] = 2
    document["rules"]["FREQ_COOLING_OFF"]["cooling_off_days"] = {}
    document["sms"]["contact_caps"] = {"marketing": 2}
    pack = tmp_path / "short.yaml"
    pack.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    earlier = {day(-5): [call("w_old_1", f"{iso(-5)} 10:00:00"), call("w_old_2", f"{iso(-5)} 11:00:00")]}
    inputs = sms_inputs(tmp_path / "day", [], [call("w_today", f"{D0} 10:00:00")], earlier=earlier,
                        rulepack=str(pack))
    found = contacts_over_rolling_cap(inputs)
    assert list(found["call_id"]) == ["w_today"]
    assert found["detail"].iloc[0].endswith("(cap 2; 2 on earlier days)")
