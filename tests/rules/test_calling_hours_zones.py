"""Calling hours in the zones the callee's number may be in (data-contract §1, rules.md
FREQ_CALLING_HOURS): callee_tz counts only when it is one of the number's zones, a number
spanning several zones is judged in each, a number without a known zone in the agency's."""

from __future__ import annotations

import pytest

from audits.phone_zones import disagreeing_callee_tz
from audits.rules.frequency import calls_outside_hours
from tests.landing import call, rule_inputs
from tests.rules.helpers import assignment, consent, contract, ids, iso, only, two_agencies

D0 = iso(0)                      # 2026-11-27: US standard time (Anchorage UTC-9, Adak UTC-10)
EVE = iso(-1)                    # an Alaskan evening of the 26th is after midnight of the 27th in New York
FREEPHONE = "+800 1234 5678"     # valid, in no zone phonenumbers knows


@pytest.fixture(scope="module")
def cn(tmp_path_factory):
    """cn_bank: AG01 in Asia/Shanghai, AG02 in Asia/Urumqi; the customer a CN mobile (Asia/Shanghai)."""
    calls = [
        # a zone that is not the number's is not used: the number's zone decides
        call("g_london_2331", f"{D0} 23:31:00", callee_tz="Europe/London"),          # 15:31 in London
        call("g_kiritimati_0600", f"{D0} 06:00:00", callee_tz="Pacific/Kiritimati"),  # 12:00 in Kiritimati
        call("g_newyork_1000", f"{D0} 10:00:00", callee_tz="America/New_York"),       # 21:00 in New York
        # the number's own zone as callee_tz
        call("sh_0759", f"{D0} 07:59:59", callee_tz="Asia/Shanghai"),
        call("sh_0800", f"{D0} 08:00:00", callee_tz="Asia/Shanghai"),
        # an agency in Urumqi (UTC+6) calling a CN mobile: Beijing time decides, per purpose
        call("u_mkt_0559", f"{D0} 05:59:59", agency_id="AG02"),                      # 07:59:59 Beijing
        call("u_mkt_0600", f"{D0} 06:00:00", agency_id="AG02"),
        call("u_mkt_1859", f"{D0} 18:59:59", agency_id="AG02"),                      # 20:59:59 Beijing
        call("u_mkt_1900", f"{D0} 19:00:00", agency_id="AG02"),
        call("u_srv_1859", f"{D0} 18:59:59", agency_id="AG02", campaign_id="SRV"),
        call("u_srv_1900", f"{D0} 19:00:00", agency_id="AG02", campaign_id="SRV"),
        call("u_col_0559", f"{D0} 05:59:59", agency_id="AG02", campaign_id="COL"),
        call("u_col_0600", f"{D0} 06:00:00", agency_id="AG02", campaign_id="COL"),
        call("u_col_1959", f"{D0} 19:59:59", agency_id="AG02", campaign_id="COL"),   # 21:59:59 Beijing
        call("u_col_2000", f"{D0} 20:00:00", agency_id="AG02", campaign_id="COL"),
        # no zone known for the number: the agency's zone (Urumqi), callee_tz or not
        call("f_0759", f"{D0} 07:59:59", agency_id="AG02", callee_number=FREEPHONE),
        call("f_0800", f"{D0} 08:00:00", agency_id="AG02", callee_number=FREEPHONE),
        call("f_tz_0759", f"{D0} 07:59:59", agency_id="AG02", callee_number=FREEPHONE, callee_tz="Asia/Shanghai"),
    ]
    reference = two_agencies(timezone="Asia/Urumqi")
    return rule_inputs(tmp_path_factory.mktemp("cn_zones"), calls, **reference)


def test_a_callee_tz_that_is_not_the_numbers_zone_cannot_hide_a_late_or_early_call(cn):
    found = calls_outside_hours(cn)
    assert ids(found, "g_") == {"g_london_2331", "g_kiritimati_0600"}
    assert "23:31" in only(found, "g_london_2331")["detail"]
    assert "Asia/Shanghai" in only(found, "g_kiritimati_0600")["detail"]


def test_the_numbers_zone_decides_at_each_purposes_boundaries(cn):
    found = calls_outside_hours(cn)
    assert ids(found, "sh_") == {"sh_0759"}
    assert ids(found, "u_") == {"u_mkt_0559", "u_mkt_1900", "u_srv_1900", "u_col_0559", "u_col_2000"}
    assert "20:00" not in only(found, "u_mkt_1900")["detail"]          # shown in the callee's zone, 21:00
    assert "21:00" in only(found, "u_mkt_1900")["detail"] and "Asia/Shanghai" in only(found, "u_mkt_1900")["detail"]


def test_a_number_without_a_known_zone_takes_the_agencys_zone(cn):
    found = calls_outside_hours(cn)
    assert ids(found, "f_") == {"f_0759", "f_tz_0759"}
    assert "Asia/Urumqi" in only(found, "f_0759")["detail"]


def test_callee_tz_that_disagrees_with_the_number_is_counted(cn):
    disagrees = disagreeing_callee_tz(cn.calls["number"].to_numpy(), cn.calls["callee_zone"])
    assert set(cn.calls.loc[disagrees, "call_id"]) == {"g_london_2331", "g_kiritimati_0600", "g_newyork_1000"}


ALASKA = "+1 907 555 0123"       # area code 907: America/Anchorage and America/Adak
NEW_YORK = "+1 212 555 0123"


@pytest.fixture(scope="module")
def us(tmp_path_factory):
    """us_collections (all 08:00-21:00), the agency in New York."""
    def us_call(call_id, start, callee=ALASKA, **fields):
        return call(call_id, start, callee_number=callee, caller_number="+861065529988", campaign_id="COL",
                    **fields)

    calls = [
        # Anchorage 08:30 is Adak 07:30: outside in one of the number's zones
        us_call("ak_0830", f"{D0}T08:30:00-09:00"),
        us_call("ak_0859", f"{D0}T08:59:59-09:00"),
        us_call("ak_0900", f"{D0}T09:00:00-09:00"),                      # Adak 08:00
        us_call("ak_2059", f"{EVE}T20:59:59-09:00"),
        us_call("ak_2100", f"{EVE}T21:00:00-09:00"),
        # callee_tz one of the number's zones narrows to it; another zone does not count
        us_call("ak_anchorage_0830", f"{D0}T08:30:00-09:00", callee_tz="America/Anchorage"),
        us_call("ak_adak_2030", f"{EVE}T21:30:00-09:00", callee_tz="America/Adak"),   # Adak 20:30
        us_call("ak_newyork_0830", f"{D0}T08:30:00-09:00", callee_tz="America/New_York"),
        # a number in one zone, naive times in the agency's (New York) zone
        us_call("ny_0759", f"{D0} 07:59:59", callee=NEW_YORK),
        us_call("ny_0800", f"{D0} 08:00:00", callee=NEW_YORK),
        us_call("ny_2059", f"{D0} 20:59:59", callee=NEW_YORK),
        us_call("ny_2100", f"{D0} 21:00:00", callee=NEW_YORK),
    ]
    numbers = (ALASKA, NEW_YORK)
    reference = dict(contracts=[contract("AG01", "C1", timezone="America/New_York")],
                     caller_numbers=[dict(agency_id="AG01", caller_number="+861065529988",
                                          registered_from="2025-01-01", registered_to="")],
                     assignments=[assignment("AG01", n, "COL") for n in numbers],
                     consents=[consent(n) for n in numbers])
    return rule_inputs(tmp_path_factory.mktemp("us_zones"), calls, rulepack="us_collections", **reference)


def test_a_number_spanning_several_zones_is_judged_in_each(us):
    found = calls_outside_hours(us)
    assert ids(found, "ak_") == {"ak_0830", "ak_0859", "ak_2100", "ak_newyork_0830"}
    assert "07:30" in only(found, "ak_0830")["detail"] and "America/Adak" in only(found, "ak_0830")["detail"]
    assert "21:00" in only(found, "ak_2100")["detail"] and "America/Anchorage" in only(found, "ak_2100")["detail"]
    assert ids(found, "ny_") == {"ny_0759", "ny_2100"}


def test_only_a_disagreeing_callee_tz_is_counted_in_the_us(us):
    disagrees = disagreeing_callee_tz(us.calls["number"].to_numpy(), us.calls["callee_zone"])
    assert set(us.calls.loc[disagrees, "call_id"]) == {"ak_newyork_0830"}
