"""Boundary tests of the frequency rules (rules.md, "Frequency").

Each fixture builds one literal landing zone (real loaders, validation and store) holding
many independent cases; each case owns a call_id prefix and its own callee number.
"""

from __future__ import annotations

import pytest

from audits.rules import RULES, run_rules
from audits.rules.frequency import (
    attempts_after_refusal,
    attempts_in_cooling_off,
    attempts_over_daily_cap,
    attempts_over_rolling_cap,
    calls_outside_hours,
    calls_over_caller_cap,
    rapid_redials,
)
from tests.landing import OTHER, call, rule_inputs
from tests.rules.helpers import (
    answered,
    assert_empty_violations,
    assignment,
    caller,
    consent,
    contract,
    day,
    ids,
    iso,
    only,
    two_agencies,
    with_calls,
    without_calls,
)

FREEPHONE = "+800 1234 5678"          # valid, in no zone phonenumbers knows: the agency's zone applies

FREQUENCY_RULES = [rule for rule in RULES if rule.rule_id.startswith("FREQ_")]

# --- calling hours (cn_bank: marketing/servicing 08:00-21:00, collection 08:00-22:00) -------

D0 = iso(0)   # "2026-11-27"


@pytest.fixture(scope="module")
def hours(tmp_path_factory):
    """AG01 in Asia/Shanghai (the bank's zone), AG02 in Asia/Urumqi (UTC+6)."""
    calls = [
        # AG01, naive timestamps = Asia/Shanghai
        call("h_0759", f"{D0} 07:59:59"),
        call("h_0800", f"{D0} 08:00:00"),
        call("h_2059", f"{D0} 20:59:59"),
        call("h_2100", f"{D0} 21:00:00"),
        call("h_srv_2059", f"{D0} 20:59:59", campaign_id="SRV"),
        call("h_srv_2100", f"{D0} 21:00:00", campaign_id="SRV"),
        call("h_col_0759", f"{D0} 07:59:59", campaign_id="COL"),
        call("h_col_2159", f"{D0} 21:59:00", campaign_id="COL"),
        call("h_col_215959", f"{D0} 21:59:59", campaign_id="COL"),
        call("h_col_2200", f"{D0} 22:00:00", campaign_id="COL"),
        call("h_unknown_0300", f"{D0} 03:00:00", campaign_id="NOPE"),     # no purpose: skipped
        call("h_busy_0759", f"{D0} 07:59:59", disposition="BUSY"),        # any call, not only attempts
        call("h_failed_2100", f"{D0} 21:00:00", disposition="FAILED"),
        # offsets written in the timestamp win over the agency's zone
        call("h_off_0800", f"{D0}T08:00:00+08:00"),
        call("h_off_0759", f"{D0}T07:59:59+08:00"),
        call("h_z_0759", "2026-11-26T23:59:59Z"),                         # 07:59:59 Shanghai
        call("h_z_0800", f"{D0}T00:00:00Z"),
        call("h_z_2100", f"{D0}T13:00:00Z"),                              # 21:00 Shanghai
        # callee_tz that is not one of the number's zones (a CN mobile: Asia/Shanghai) is not used
        call("h_ny_2100", f"{D0} 10:00:00", callee_tz="America/New_York"),    # 21:00 EST, 10:00 Beijing
        call("h_ny_2059", f"{D0} 09:59:59", callee_tz="America/New_York"),
        call("h_urc_0759", f"{D0} 09:59:59", callee_tz="Asia/Urumqi"),        # 07:59:59 Urumqi
        call("h_urc_0800", f"{D0} 10:00:00", callee_tz="Asia/Urumqi"),
        call("h_urc_1930", f"{D0} 21:30:00", callee_tz="Asia/Urumqi"),        # late in Beijing: a finding
        # AG02, naive timestamps = Asia/Urumqi; its customer's CN mobile is judged in Beijing time
        call("u_0759", f"{D0} 07:59:59", agency_id="AG02"),                   # 09:59:59 Shanghai
        call("u_0800", f"{D0} 08:00:00", agency_id="AG02"),
        call("u_2059", f"{D0} 20:59:59", agency_id="AG02"),                   # 22:59:59 Shanghai
        call("u_2100", f"{D0} 21:00:00", agency_id="AG02"),
        call("u_off_1900", f"{D0}T21:00:00+08:00", agency_id="AG02"),         # 19:00 Urumqi, 21:00 Shanghai
        call("u_off_0759", f"{D0}T09:59:59+08:00", agency_id="AG02"),         # 07:59:59 Urumqi
        call("u_prev_2330", "2026-11-26 23:30:00", agency_id="AG02"),         # D 01:30 in the bank's zone
        call("u_tz_sh_0830", f"{D0} 06:30:00", agency_id="AG02", callee_tz="Asia/Shanghai"),
        # a number without a known zone takes the agency's: its contract in force on D, else its latest
        call("z3_0630", f"{D0}T08:30:00+08:00", agency_id="AG03", callee_number=FREEPHONE),   # latest: Urumqi
        call("z4_0830", f"{D0}T08:30:00+08:00", agency_id="AG04", callee_number=FREEPHONE),   # in force: Shanghai
    ]
    reference = two_agencies(timezone="Asia/Urumqi")
    reference["contracts"] += [
        contract("AG03", "C3-old", contract_start="2025-01-01", contract_end=iso(-1)),
        contract("AG03", "C3-last", contract_start="2025-06-01", contract_end=iso(-1), timezone="Asia/Urumqi"),
        contract("AG04", "C4-now", contract_start="2026-01-01"),
        contract("AG04", "C4-next", contract_start=iso(1), contract_end="2027-12-31", timezone="Asia/Urumqi"),
    ]
    return rule_inputs(tmp_path_factory.mktemp("hours"), calls, **reference)


def test_calling_hours_boundaries(hours):
    assert ids(calls_outside_hours(hours)) == {
        "h_0759", "h_2100", "h_srv_2100", "h_col_0759", "h_col_2200", "h_busy_0759", "h_failed_2100",
        "h_off_0759", "h_z_0759", "h_z_2100",
        "h_urc_1930",
        "u_2059", "u_2100", "u_off_1900", "u_prev_2330",
        "z3_0630",
    }


def test_calling_hours_detail_and_start_time_in_bank_zone(hours):
    found = calls_outside_hours(hours)
    first = only(found, "h_0759")
    assert first["start_time"] == "2026-11-27T07:59:59+08:00"
    assert "07:59" in first["detail"] and "08:00–21:00" in first["detail"] and "Asia/Shanghai" in first["detail"]
    collection = only(found, "h_col_2200")
    assert "22:00" in collection["detail"] and "08:00–22:00" in collection["detail"]
    assert only(found, "u_prev_2330")["start_time"] == "2026-11-27T01:30:00+08:00"
    urumqi = only(found, "u_2059")
    assert urumqi["start_time"] == "2026-11-27T22:59:59+08:00"
    assert "22:59" in urumqi["detail"] and "Asia/Shanghai" in urumqi["detail"]
    assert "06:30" in only(found, "z3_0630")["detail"] and "Asia/Urumqi" in only(found, "z3_0630")["detail"]
    assert "21:30" in only(found, "h_urc_1930")["detail"]
    assert set(found["rule_id"]) == {"FREQ_CALLING_HOURS"}
    assert set(found["severity"]) == {"major"} and set(found["family"]) == {"frequency"}


def test_calling_hours_only_unknown_campaigns(hours):
    only_unknown = with_calls(hours, hours.calls["campaign_id"] == "NOPE")
    assert len(only_unknown.calls) == 1
    assert_empty_violations(calls_outside_hours(only_unknown))


# --- us_collections: all 08:00-21:00, callee-local wall clock on a DST day ---------------
# 2026-11-01 is the day US clocks go back (EDT -> EST at 02:00).

US_DAY = "2026-11-01"
US_D = day(-26)
assert US_D.isoformat() == US_DAY
US_CUSTOMER = "+86 139 0000 0011"
US_COOL = "+86 139 0000 0012"
US_COOL_OLD = "+86 139 0000 0013"
US_NEW_YORK = "+1 212 555 0123"          # one zone: America/New_York
US_LOS_ANGELES = "+1 213 555 0123"       # one zone: America/Los_Angeles
US_NUMBERS = (US_NEW_YORK, US_LOS_ANGELES, US_CUSTOMER, US_COOL, US_COOL_OLD)


US_REFERENCE = dict(
    contracts=[contract("AG01", "C1", timezone="America/New_York")],
    caller_numbers=[caller("AG01", "+861065529988")],
    assignments=[assignment("AG01", n) for n in US_NUMBERS],
    consents=[consent(n) for n in US_NUMBERS],
)


def us_call(call_id, start, **fields):
    """A call under us_collections: numbers written with their country code (default region US)."""
    return call(call_id, start, caller_number="+861065529988", **{"callee_number": US_NEW_YORK, **fields})


@pytest.fixture(scope="module")
def us_day(tmp_path_factory):
    def us_answered(call_id, start, outcome="RIGHT_PARTY", **fields):
        return answered(call_id, start, outcome, caller_number="+861065529988", **fields)

    calls = [
        us_call("dst_0730", f"{US_DAY} 07:30:00", campaign_id="COL"),
        us_call("dst_0800", f"{US_DAY} 08:00:00", campaign_id="COL"),
        us_call("dst_2030", f"{US_DAY} 20:30:00", campaign_id="COL"),
        us_call("dst_2059", f"{US_DAY} 20:59:59", campaign_id="COL"),
        us_call("dst_2100", f"{US_DAY} 21:00:00", campaign_id="COL"),        # collection ends 21:00 here
        us_call("dst_la_2059", f"{US_DAY} 23:59:00", campaign_id="COL", callee_number=US_LOS_ANGELES,
                callee_tz="America/Los_Angeles"),
        # refusal applies to collection only under us_collections
        us_answered("rf_refused", f"{US_DAY} 10:00:00", "REFUSED", callee_number=US_CUSTOMER),
        us_call("rf_col", f"{US_DAY} 11:00:00", campaign_id="COL", callee_number=US_CUSTOMER),
        us_call("rf_mkt", f"{US_DAY} 11:10:00", campaign_id="MKT", callee_number=US_CUSTOMER),
        us_call("rf_srv", f"{US_DAY} 11:20:00", campaign_id="SRV", callee_number=US_CUSTOMER),
        # cooling-off applies to collection only under us_collections
        us_call("co_col", f"{US_DAY} 12:00:00", campaign_id="COL", callee_number=US_COOL),
        us_call("co_mkt", f"{US_DAY} 12:10:00", campaign_id="MKT", callee_number=US_COOL),
        us_call("co_old_col", f"{US_DAY} 12:20:00", campaign_id="COL", callee_number=US_COOL_OLD),
    ]
    earlier = {
        day(-32): [us_answered("e_conv_d6", "2026-10-26 12:00:00", campaign_id="COL", callee_number=US_COOL),
                   us_answered("e_conv_mkt_d6", "2026-10-26 13:00:00", callee_number=US_COOL)],
        day(-33): [us_answered("e_conv_d7", "2026-10-25 12:00:00", campaign_id="COL", callee_number=US_COOL_OLD)],
    }
    assert day(-32).isoformat() == "2026-10-26"
    return rule_inputs(tmp_path_factory.mktemp("us"), calls, earlier=earlier, day=US_D,
                       rulepack="us_collections", **US_REFERENCE)


def test_calling_hours_use_wall_clock_on_dst_day(us_day):
    found = calls_outside_hours(us_day)
    assert ids(found, "dst_") == {"dst_0730", "dst_2100"}
    assert "07:30" in only(found, "dst_0730")["detail"]
    assert only(found, "dst_0730")["start_time"] == "2026-11-01T07:30:00-05:00"


def test_calling_hours_use_wall_clock_on_spring_forward_day(tmp_path):
    """2026-03-08: US clocks jump from 02:00 EST to 03:00 EDT."""
    spring = "2026-03-08"
    calls = [us_call(f"sp_{t.replace(':', '')}", f"{spring} {t}", campaign_id="COL")
             for t in ("07:59:59", "08:00:00", "08:30:00", "20:59:59", "21:00:00")]
    inputs = rule_inputs(tmp_path, calls, day=day(-264), rulepack="us_collections", **US_REFERENCE)
    assert inputs.audit_date.isoformat() == spring
    assert ids(calls_outside_hours(inputs)) == {"sp_075959", "sp_210000"}


def test_refusal_applies_to_collection_only_under_us_collections(us_day):
    assert ids(attempts_after_refusal(us_day), "rf_") == {"rf_col"}


def test_cooling_off_applies_to_collection_only_under_us_collections(us_day):
    found = attempts_in_cooling_off(us_day)
    assert ids(found, "co_") == {"co_col"}
    assert "2026-10-26" in only(found, "co_col")["detail"]


# --- daily cap (cn_bank: marketing 3, servicing 5, collection 6) and caller cap (200) ------

N3 = "13900000003"
N4 = "13900000004"
CALLER_200 = "01065529989"
CALLER_201 = "01065529990"
CALLER_201_FORMS = ("01065529990", "+86 10 6552 9990", "0086-10-65529990")


def _caller_burst(prefix: str, number_forms: tuple[str, ...], count: int, first_callee: int) -> list[dict]:
    """count calls from one caller number (written in several forms, both agencies, every
    disposition), one minute apart from 09:00, each to a distinct callee."""
    dispositions = ("NO_ANSWER", "BUSY", "FAILED", "REJECTED", "VOICEMAIL")
    return [call(f"{prefix}{i + 1:03d}", f"{D0} {9 + (i // 60):02d}:{i % 60:02d}:00",
                 agency_id=("AG01", "AG02")[i % 2], campaign_id="COL",
                 caller_number=number_forms[i % len(number_forms)],
                 callee_number=f"139{first_callee + i:08d}", disposition=dispositions[i % len(dispositions)])
            for i in range(count)]


@pytest.fixture(scope="module")
def caps(tmp_path_factory):
    calls = [
        # CUSTOMER, marketing (cap 3), bank-wide across AG01 and AG02
        call("mk_1", f"{D0} 09:00:00"),
        answered("mk_2", f"{D0} 09:10:00", "WRONG_PARTY", agency_id="AG02"),
        call("mk_busy", f"{D0} 09:20:00", disposition="BUSY"),
        call("mk_failed", f"{D0} 09:25:00", disposition="FAILED", agency_id="AG02"),
        call("mk_z", f"{D0} 09:30:00"),                          # 3rd: AG01 sorts before AG02
        call("mk_a", f"{D0}T01:30:00Z", agency_id="AG02"),       # same instant; 4th despite the smaller call_id
        call("mk_5", f"{D0} 09:40:00", callee_number="+86 138 1234 5678"),    # CUSTOMER, written otherwise
        # CUSTOMER, collection (cap 6): six attempts, another purpose, no finding
        *[call(f"mc_{i}", f"{D0} 1{i}:00:00", campaign_id="COL", agency_id=("AG01", "AG02")[i % 2])
          for i in range(1, 7)],
        # OTHER, servicing (cap 5); the 5th/6th start at the same instant: call_id decides
        *[call(f"sv_{i}", f"{D0} 09:{i}0:00", campaign_id="SRV", callee_number=OTHER,
               agency_id=("AG01", "AG02")[i % 2]) for i in range(1, 5)],
        call("sv_b", f"{D0} 10:00:00", campaign_id="SRV", callee_number=OTHER),
        call("sv_a", f"{D0}T10:00:00+08:00", campaign_id="SRV", callee_number=OTHER),
        # N3, collection (cap 6), a BUSY in the middle does not count
        *[call(f"cl_{i}", f"{D0} 1{i}:00:00", campaign_id="COL", callee_number=N3) for i in range(1, 4)],
        call("cl_busy", f"{D0} 13:30:00", campaign_id="COL", callee_number=N3, disposition="BUSY"),
        *[call(f"cl_{i}", f"{D0} 1{i}:00:00", campaign_id="COL", callee_number=N3) for i in range(4, 8)],
        # N4, unknown campaign: no purpose, never capped
        *[call(f"un_{i}", f"{D0} 1{i}:00:00", campaign_id="NOPE", callee_number=N4) for i in range(1, 6)],
        # caller numbers: 200 calls (at the cap) and 201 calls (one over)
        *_caller_burst("cc200_", (CALLER_200,), 200, 1000),
        *_caller_burst("cc201_", CALLER_201_FORMS, 201, 2000),
    ]
    reference = two_agencies()
    reference["caller_numbers"] += [caller(a, n) for a in ("AG01", "AG02") for n in (CALLER_200, CALLER_201)]
    return rule_inputs(tmp_path_factory.mktemp("caps"), calls, **reference)


def test_daily_cap_per_purpose_bank_wide(caps):
    assert ids(attempts_over_daily_cap(caps)) == {"mk_a", "mk_5", "sv_b", "cl_7"}


def test_daily_cap_detail_names_position_and_cap(caps):
    found = attempts_over_daily_cap(caps)
    detail = only(found, "mk_a")["detail"]
    assert "4th marketing attempt" in detail and "(cap 3)" in detail and "2026-11-27" in detail
    assert "AG01" in detail                       # the earlier attempts are listed with their agency
    assert "7th collection attempt" in only(found, "cl_7")["detail"] and "(cap 6)" in only(found, "cl_7")["detail"]
    assert "6th servicing attempt" in only(found, "sv_b")["detail"]
    assert only(found, "mk_a")["agency_id"] == "AG02"


def test_daily_cap_without_attempts(caps):
    not_attempts = with_calls(caps, caps.calls["call_id"].str.contains("_busy|_failed", regex=True))   # BUSY, FAILED
    assert len(not_attempts.calls) > 0
    assert_empty_violations(attempts_over_daily_cap(not_attempts))
    assert_empty_violations(attempts_over_rolling_cap(not_attempts))


def test_caller_daily_cap_200_vs_201(caps):
    found = calls_over_caller_cap(caps)
    assert ids(found) == {"cc201_201"}
    detail = only(found, "cc201_201")["detail"]
    assert "201st call" in detail and "cap 200" in detail and "2026-11-27" in detail


# --- history: rolling 7 days, cooling-off, refusal, rapid redial (cn_bank) -----------------

R1, R2 = "13900000101", "13900000102"
C1, C2, C3, C4, C5, C6 = (f"1390000020{i}" for i in range(1, 7))
F1, F2, F3, F4, F5 = (f"1390000030{i}" for i in range(1, 6))
X = {i: f"139000004{i:02d}" for i in range(1, 13)}


def _attempts(prefix: str, on: str, number: str, hours_: tuple[int, ...], **fields) -> list[dict]:
    return [call(f"{prefix}{h}", f"{on} {h:02d}:00:00", callee_number=number, **fields) for h in hours_]


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    d1, d2, d3, d6, d7, d30 = (iso(-n) for n in (1, 2, 3, 6, 7, 30))
    earlier = {
        day(-6): [*_attempts("e_r1_d6_", d6, R1, (10, 11, 12)),
                  *_attempts("e_r2_d6_", d6, R2, (10, 11)),
                  answered("e_c1_conv", f"{d6} 10:00:00", callee_number=C1)],
        day(-7): [*_attempts("e_r2_d7_", d7, R2, (10, 11, 12)),
                  answered("e_c2_conv", f"{d7} 10:00:00", callee_number=C2)],
        day(-3): [*_attempts("e_r1_d3_", d3, R1, (10, 11, 12)),
                  call("e_r1_d3_busy", f"{d3} 13:00:00", callee_number=R1, disposition="BUSY"),
                  answered("e_f2_refused", f"{d3} 10:00:00", "REFUSED", callee_number=F2, agency_id="AG02",
                           campaign_id="COL")],
        day(-2): [*_attempts("e_r2_d2_", d2, R2, (10, 11)),
                  answered("e_c3_conv_col", f"{d2} 10:00:00", campaign_id="COL", callee_number=C3),
                  answered("e_c4_wrong", f"{d2} 10:00:00", "WRONG_PARTY", callee_number=C4),
                  answered("e_f4_wrong", f"{d2} 10:00:00", "WRONG_PARTY", callee_number=F4)],
        day(-1): [call("e_x6", f"{d1} 23:58:00", callee_number=X[6]),
                  call("e_x7", f"{d1} 23:57:00", callee_number=X[7])],
        day(-30): [answered("e_f3_refused", f"{d30} 10:00:00", "REFUSED", callee_number=F3)],
    }
    calls = [
        # rolling: R1 has 6 attempts on D-6..D-1, R2 has 4 (and 3 more on D-7, outside)
        *_attempts("ro1_", D0, R1, (10, 11)),
        *_attempts("ro2_", D0, R2, (10, 11, 12)),
        # cooling-off (marketing 7 days)
        call("co_c1", f"{D0} 10:00:00", callee_number=C1),
        call("co_c1_busy", f"{D0} 11:00:00", callee_number=C1, disposition="BUSY"),
        call("co_c1_col", f"{D0} 12:00:00", callee_number=C1, campaign_id="COL"),
        call("co_c2", f"{D0} 10:00:00", callee_number=C2),
        call("co_c3", f"{D0} 10:00:00", callee_number=C3),
        call("co_c4", f"{D0} 10:00:00", callee_number=C4),
        call("co_c5_before", f"{D0} 09:00:00", callee_number=C5),
        answered("co_c5_first", f"{D0} 10:00:00", callee_number=C5),
        call("co_c5_after", f"{D0} 11:00:00", callee_number=C5),
        answered("co_c5_second", f"{D0} 12:00:00", "COMPLAINT", callee_number=C5),
        answered("co_c6_b", f"{D0} 10:00:00", callee_number=C6),
        call("co_c6_a", f"{D0} 10:00:00", callee_number=C6),                     # same instant, sorts first
        call("co_c6_c", f"{D0} 10:00:00", callee_number=C6),                     # sorts after the conversation
        call("co_c6_0", f"{D0} 10:00:00", callee_number=C6, agency_id="AG02"),   # AG02 sorts after AG01
        # refusal (cn_bank: marketing, servicing)
        call("rf1_before", f"{D0} 08:30:00", callee_number=F1),
        answered("rf1_refused", f"{D0} 09:00:00", "REFUSED", callee_number=F1),
        call("rf1_mkt", f"{D0} 10:00:00", callee_number=F1),
        call("rf1_srv", f"{D0} 10:10:00", callee_number=F1, campaign_id="SRV"),
        call("rf1_col", f"{D0} 10:20:00", callee_number=F1, campaign_id="COL"),
        call("rf1_busy", f"{D0} 10:30:00", callee_number=F1, disposition="BUSY"),
        call("rf1_ag02", f"{D0} 10:40:00", callee_number=F1, agency_id="AG02"),
        call("rf2_mkt", f"{D0} 10:00:00", callee_number=F2),
        call("rf2_col", f"{D0} 10:10:00", callee_number=F2, campaign_id="COL"),
        call("rf3_srv", f"{D0} 10:00:00", callee_number=F3, campaign_id="SRV"),
        call("rf4_mkt", f"{D0} 10:00:00", callee_number=F4),
        answered("rf5_b", f"{D0} 10:00:00", "REFUSED", callee_number=F5),
        call("rf5_a", f"{D0} 10:00:00", callee_number=F5),
        call("rf5_0", f"{D0} 10:00:00", callee_number=F5, agency_id="AG02"),
        # rapid redial (5 minutes)
        call("rd1_first", f"{D0} 10:00:00", callee_number=X[1]),
        call("rd1_0459", f"{D0} 10:04:59", callee_number=X[1]),
        call("rd2_first", f"{D0} 10:00:00", callee_number=X[2]),
        call("rd2_0500", f"{D0} 10:05:00", callee_number=X[2]),
        answered("rd3_first", f"{D0} 10:00:00", "WRONG_PARTY", callee_number=X[3]),
        call("rd3_next", f"{D0} 10:01:00", callee_number=X[3]),
        call("rd4_first", f"{D0} 10:00:00", callee_number=X[4], disposition="BUSY"),
        call("rd4_next", f"{D0} 10:01:00", callee_number=X[4]),
        call("rd5_first", f"{D0} 10:00:00", callee_number=X[5], disposition="REJECTED"),
        call("rd5_vm", f"{D0} 10:02:00", callee_number=X[5], disposition="VOICEMAIL"),
        call("rd5_third", f"{D0} 10:06:00", callee_number=X[5]),
        call("rd6_midnight", f"{D0} 00:02:59", callee_number=X[6]),
        call("rd7_midnight", f"{D0} 00:02:00", callee_number=X[7]),
        call("rd8_first", f"{D0} 10:00:00", callee_number=X[8]),
        call("rd8_other", f"{D0} 10:03:00", callee_number=X[8], agency_id="AG02", campaign_id="COL"),
        call("rd9_first", f"{D0} 10:00:00", callee_number=X[9]),
        call("rd9_busy", f"{D0} 10:01:00", callee_number=X[9], disposition="BUSY"),
        call("rd9_after", f"{D0} 10:04:00", callee_number=X[9]),
        call("rd10_z", f"{D0} 11:00:00", callee_number=X[10]),
        call("rd10_a", f"{D0} 11:00:00", callee_number=X[10], agency_id="AG02"),
        # rapid redial does not depend on purpose: unknown campaigns count both ways
        call("rd11_first", f"{D0} 10:00:00", callee_number=X[11], campaign_id="NOPE"),
        call("rd11_next", f"{D0} 10:02:00", callee_number=X[11]),
        call("rd12_first", f"{D0} 10:00:00", callee_number=X[12]),
        call("rd12_next", f"{D0} 10:02:00", callee_number=X[12], campaign_id="NOPE"),
    ]
    return rule_inputs(tmp_path_factory.mktemp("history"), calls, earlier=earlier, **two_agencies())


def test_rolling_7d_counts_d_minus_6_not_d_minus_7(history):
    found = attempts_over_rolling_cap(history)
    assert ids(found) == {"ro1_11"}
    detail = only(found, "ro1_11")["detail"]
    assert "8th marketing attempt" in detail and "(cap 7" in detail and "6 on earlier days" in detail
    assert "2026-11-21 to 2026-11-27" in detail


def test_cooling_off_window_and_same_day(history):
    found = attempts_in_cooling_off(history)
    assert ids(found, "co_") == {"co_c1", "co_c5_after", "co_c5_second", "co_c6_c", "co_c6_0"}
    # a refusal is a conversation too: later marketing attempts to F1 and F5 are inside the window
    assert ids(found, "rf") == {"rf1_mkt", "rf1_ag02", "rf5_0"}
    assert "2026-11-21" in only(found, "co_c1")["detail"] and "7 days" in only(found, "co_c1")["detail"]


def test_after_refusal_same_day_earlier_days_and_ties(history):
    found = attempts_after_refusal(history)
    assert ids(found) == {"rf1_mkt", "rf1_srv", "rf1_ag02", "rf2_mkt", "rf3_srv", "rf5_0"}
    assert "2026-11-24 10:00 (AG02)" in only(found, "rf2_mkt")["detail"]
    assert "2026-10-28" in only(found, "rf3_srv")["detail"]
    assert "2026-11-27 09:00 (AG01)" in only(found, "rf1_mkt")["detail"]
    assert set(found["severity"]) == {"critical"}


def test_rapid_redial_gap_dispositions_midnight_and_ties(history):
    found = rapid_redials(history)
    assert ids(found, "rd") == {"rd1_0459", "rd5_vm", "rd5_third", "rd6_midnight", "rd8_other", "rd9_after",
                                "rd10_a", "rd11_next", "rd12_next"}
    assert "5 min" in only(found, "rd1_0459")["detail"]


def test_rapid_redial_among_same_instant_calls(history):
    # co_c6_a (NO_ANSWER) sorts first; the three calls at the same instant after it are redials
    assert ids(rapid_redials(history), "co_c6") == {"co_c6_b", "co_c6_c", "co_c6_0"}


# --- every frequency rule: empty input ----------------------------------------------------


@pytest.mark.parametrize("rule", FREQUENCY_RULES, ids=lambda rule: rule.rule_id)
def test_empty_day_gives_empty_frame(history, rule):
    """No calls on the audit day (history, refusals and a recent unanswered call exist)."""
    assert_empty_violations(rule.find(without_calls(history)))


def test_run_rules_on_empty_day(history):
    assert_empty_violations(run_rules(without_calls(history)))

