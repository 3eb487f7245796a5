"""Boundary tests of the confidentiality rules (rules.md, "Confidentiality").

One literal landing zone holds every case; each case owns a call_id prefix (and, where it
matters, its own callee number or agency).
"""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest

from audits.rules import RULES, run_rules
from audits.rules.confidentiality import (
    calls_by_inactive_agents,
    calls_under_lapsed_nda,
    calls_with_pii_in_notes,
    calls_without_assignment,
    marketing_without_consent,
)
from tests.landing import CUSTOMER, CUSTOMER_E164, REFERENCE, call, rule_inputs
from tests.rules.helpers import (
    agent,
    assert_empty_violations,
    assignment,
    caller,
    consent,
    contract,
    ids,
    iso,
    only,
    without_calls,
)

CONFIDENTIALITY_RULES = [rule for rule in RULES if rule.rule_id.startswith("CONF_")]
D0 = iso(0)
AT = f"{D0} 10:00:00"          # the instant most cases call at
CLEAN = "13900000999"          # assigned to AG01, consented: its call must raise nothing

# callee numbers of the assignment and consent cases
AS = {name: f"1390000050{i}" for i, name in enumerate(("ended", "today", "future", "starts", "written", "none"), 1)}
CS = {name: f"1390000060{i}" for i, name in enumerate(
    ("at", "after", "wd_at", "wd_after", "none", "offset", "offset_late", "renewed", "blank"), 1)}
CS_ZONE = "13900000610"        # consented 09:00 in the bank's zone, called 08:00 Asia/Urumqi (= 10:00 bank)

# notes -> does it hold an unmasked identifier?
NOTES = {
    "pii_id_x": ("客户身份证11010519491231002X已核实", True),          # valid ID, check character X
    "pii_id_lower_x": ("id 11010519491231002x", True),
    "pii_id_digit": ("ID:440304199001011233", True),                    # valid ID, check digit 3
    "pii_id_fullwidth": ("身份证１１０１０５１９４９１２３１００２Ｘ", True),
    "pii_id_bad_check": ("ID 440304199001011234", False),               # wrong check digit, not Luhn
    "pii_id_bad_x": ("ID 44030419900101123X", False),                   # X where 3 is due
    "pii_card_16": ("card 4111111111111111 ok", True),
    "pii_card_16_bad": ("card 4111111111111112 ok", False),            # fails Luhn
    "pii_card_13": ("4222222222222", True),
    "pii_card_19": ("pan=4111111111111111110;", True),
    "pii_luhn_12": ("ref 123456789015", False),                        # Luhn-valid but only 12 digits
    "pii_luhn_20": ("ref 12345678901234567894", False),                # Luhn-valid but 20 digits
    "pii_mobile": ("call back 13812345678", True),
    "pii_mobile_glued": ("tel13812345678号", True),                     # letters do not break a run
    "pii_mobile_fullwidth": ("回电１３８１２３４５６７８", True),
    "pii_mobile_in_12": ("ref 138123456789", False),                   # 11-digit mobile inside a 12-digit run
    # written in groups joined by single separators (rules.md): the forms people write
    "pii_mobile_spaces": ("call 138 1234 5678", True),
    "pii_mobile_hyphens": ("call 138-1234-5678", True),
    "pii_mobile_spaced": ("138 0013 8001", True),
    "pii_mobile_country": ("+86 (138) 0013-8009", True),                 # the number after a prefix group
    "pii_card_hyphens": ("4111-1111-1111-1111", True),
    "pii_id_spaces": ("110105 19491231 0011", True),
    "pii_id_spaces_x": ("ID 110105 19491231 002X", True),
    "pii_mobile_chinese": ("一三八零零一三八零零一", True),
    "pii_mobile_capital": ("壹叁捌零零壹叁捌零壹叁", True),
    "pii_mobile_liang": ("回电一三八两两一三八零零一", True),                   # 两 = 2
    "pii_mobile_commas": ("138,0013,8019", True),
    "pii_mobile_semicolons": ("138;0013;8020", True),
    "pii_mobile_colons": ("138:0013:8021", True),
    "pii_mobile_dots": ("138.0013.8022", True),
    "pii_mobile_slashes": ("138/0013/8023", True),
    "pii_mobile_underscores": ("138_0013_8024", True),
    "pii_mobile_stars": ("138*0013*8026", True),
    "pii_mobile_bars": ("138|0013|8027", True),
    "pii_mobile_pluses": ("138+0013+8028", True),
    "pii_mobile_brackets": ("[138](0013)8029", True),                    # brackets around a group
    "pii_mobile_invisible": ("138\u200b0013\u20608030", True),           # zero-width space, word joiner
    "pii_mobile_ideographic_space": ("138\u30000013\u30008031", True),
    "pii_mobile_fullwidth_groups": ("１３８－００１３－８０３２", True),
    "pii_mobile_double_space": ("call 138  0013  8001", False),          # two separators: not one number
    "pii_mobile_spaced_dash": ("call 138 - 0013 - 8001", False),
    "pii_mobile_spaced_10": ("call 138 0013 800", False),                 # 10 digits
    "pii_mobile_spaced_12": ("ref 1 138 0013 800", False),                # groups are whole: no 11 of them here
    "pii_date_time_luhn": ("callback 2026-11-30 12:03:00", False),        # its 14 digits pass Luhn: a date-time
    "pii_time": ("回电 12:30", False),
    "pii_id_date_inside": ("110105 1949-12-31 0011", True),               # a date run into other digits is digits
    "pii_mobile_masked": ("call 138****5678", False),
    "pii_landline": ("office 01065529988", False),                     # 11 digits, not 1[3-9]
    "pii_mobile_12x": ("call 12012345678", False),                     # 1 then 2: not a mobile
    "pii_date": ("callback 2026-11-28 10:00, amount 12345.67", False),
    "pii_blank": ("", False),
}


@pytest.fixture(scope="module")
def conf(tmp_path_factory):
    d1, d_1 = iso(1), iso(-1)
    contracts = [
        contract("AG01", "C1"),                                               # NDA signed 2025-12-01, open
        contract("AG02", nda_signed=""),
        contract("AG03", nda_signed=d1),
        contract("AG04", nda_signed=D0),
        contract("AG05", nda_expiry=d_1),
        contract("AG06", nda_expiry=D0),
        contract("AG07", contract_end=d_1, nda_signed=""),                    # no contract in force
        contract("AG08", "C8-old", contract_start="2026-01-01"),
        contract("AG08", "C8-new", contract_start="2026-06-01", nda_signed=""),   # latest start wins
        contract("AG09", "C9-old", contract_start="2026-01-01", nda_signed=""),
        contract("AG09", "C9-new", contract_start="2026-06-01"),
        contract("AG10", timezone="Asia/Urumqi"),
    ]
    agents = [
        *REFERENCE["agents"],
        agent("AG01", "A_GONE", active_to=d_1),
        agent("AG01", "A_LAST", active_to=D0),
        agent("AG01", "A_NEW", active_from=D0),
        agent("AG01", "A_FUT", active_from=d1),
        agent("AG01", "A_RE", active_from="2024-01-01", active_to="2025-01-01"),
        agent("AG01", "A_RE", active_from="2026-03-01"),
        *[agent(f"AG{i:02d}", "A1") for i in range(2, 11) if i != 4],
        agent("AG04", "B1"),
    ]
    assignments = [
        *REFERENCE["assignments"],
        assignment("AG01", CLEAN),
        assignment("AG01", AS["ended"], assigned_to=d_1),
        assignment("AG01", AS["today"], assigned_to=D0),
        assignment("AG01", AS["future"], assigned_from=d1),
        assignment("AG01", AS["starts"], assigned_from=D0),
        assignment("AG01", "+86 139 0000 0505"),                             # AS["written"], another form
    ]
    consents = [
        *REFERENCE["consents"],
        consent(CLEAN),
        consent(CS["at"], AT),
        consent(CS["after"], f"{D0} 10:00:01"),
        consent(CS["wd_at"], withdrawn_at=AT),
        consent(CS["wd_after"], withdrawn_at=f"{D0} 10:00:01"),
        consent(CS["offset"], f"{D0}T02:00:00Z"),                            # = 10:00 in Shanghai
        consent(CS["offset_late"], f"{D0}T02:00:01Z"),
        consent(CS["renewed"], "2026-01-01 00:00:00", "2026-06-01 00:00:00"),
        consent(CS["renewed"], "2026-09-01 00:00:00"),
        consent(CS["blank"], ""),
        consent(CS_ZONE, f"{D0} 09:00:00"),                                  # no offset: the bank's zone
    ]
    calls = [
        call("clean", AT, callee_number=CLEAN),
        # assignments
        *[call(f"as_{name}", AT, callee_number=number, campaign_id="COL") for name, number in AS.items()],
        call("as_other_agency", AT, agency_id="AG04", agent_id="B1", campaign_id="COL"),   # CUSTOMER is AG01's
        # consents
        *[call(f"cs_{name}", AT, callee_number=number) for name, number in CS.items()],
        call("cs_none_col", AT, callee_number=CS["none"], campaign_id="COL"),
        call("cs_none_srv", AT, callee_number=CS["none"], campaign_id="SRV"),
        call("cs_none_unknown", AT, callee_number=CS["none"], campaign_id="NOPE"),
        call("cs_zone", f"{D0} 08:00:00", agency_id="AG10", callee_number=CS_ZONE),      # no offset: Urumqi
        # agents
        *[call(f"ag_{a}", AT, agent_id=a) for a in ("A1", "A_GONE", "A_LAST", "A_NEW", "A_FUT", "A_RE", "A_UNK")],
        call("ag_wrong_agency", AT, agency_id="AG04", agent_id="A1"),
        # NDA: one call per agency
        *[call(f"nda_AG0{i}", AT, agency_id=f"AG0{i}", agent_id="B1" if i == 4 else "A1") for i in range(1, 10)],
        # notes
        *[call(call_id, AT, notes=text) for call_id, (text, _) in NOTES.items()],
    ]
    reference = dict(contracts=contracts, agents=agents, assignments=assignments, consents=consents,
                     caller_numbers=[caller(f"AG{i:02d}") for i in range(1, 11)])
    return rule_inputs(tmp_path_factory.mktemp("conf"), calls, **reference)


def test_clean_call_raises_nothing(conf):
    found = run_rules(conf)
    assert "clean" not in set(found["call_id"])
    assert len(found) > 0


def test_unassigned_boundaries(conf):
    assert ids(calls_without_assignment(conf), "as_") == {"as_ended", "as_future", "as_none", "as_other_agency"}


def test_unassigned_detail(conf):
    assert "2026-11-27" in only(calls_without_assignment(conf), "as_ended")["detail"]


def test_no_consent_boundaries(conf):
    found = marketing_without_consent(conf)
    assert ids(found, "cs_") == {"cs_after", "cs_wd_at", "cs_none", "cs_offset_late", "cs_blank"}
    assert "withdrew" in only(found, "cs_wd_at")["detail"]
    assert "without recorded consent" in only(found, "cs_none")["detail"]


def test_no_consent_only_for_marketing(conf):
    # collection, servicing and unknown campaigns to a number with no consent: never a finding
    found = marketing_without_consent(conf)
    assert not ids(found, "as_") and not ids(found, "cs_none_")
    assert set(conf.calls.loc[conf.calls["call_id"].isin(ids(found)), "campaign_id"]) == {"MKT"}


def test_agent_not_active_boundaries(conf):
    found = calls_by_inactive_agents(conf)
    assert ids(found, "ag_") == {"ag_A_GONE", "ag_A_FUT", "ag_A_UNK", "ag_wrong_agency"}
    assert "unknown" in only(found, "ag_A_UNK")["detail"]
    assert "not active" in only(found, "ag_A_GONE")["detail"]


def test_nda_not_in_force_boundaries(conf):
    found = calls_under_lapsed_nda(conf)
    assert ids(found, "nda_") == {"nda_AG02", "nda_AG03", "nda_AG05", "nda_AG08"}
    assert "C8-new" in only(found, "nda_AG08")["detail"]
    assert "expired" in only(found, "nda_AG05")["detail"]
    # only the calls of the lapsed agencies are findings
    assert ids(found) == ids(found, "nda_")       # the other cases all call for AG01 or AG04


def test_pii_in_notes(conf):
    found = calls_with_pii_in_notes(conf)
    assert ids(found) == {call_id for call_id, (_, has_pii) in NOTES.items() if has_pii}


def test_pii_detail_names_kind_not_value(conf):
    found = calls_with_pii_in_notes(conf)
    assert "PRC resident ID" in only(found, "pii_id_x")["detail"]
    assert "card number" in only(found, "pii_card_16")["detail"]
    assert "mobile number" in only(found, "pii_mobile")["detail"]
    assert not found["detail"].str.contains(r"\d{7}").any()


def test_callee_is_masked_and_keyed(conf):
    found = run_rules(conf)
    assert len(found) > 20
    assert found["callee_key"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert found["callee_masked"].str.fullmatch(r"\+86 1\d\d\*{4}\d{4}").all()
    assert found["case_id"].str.fullmatch(r"C-[0-9a-f]{12}").all()
    for column in found.columns.difference(["callee_key", "case_id"]):      # hex digests may hold digit runs
        assert not found[column].str.contains(r"\d{11}").any(), column
    customer = found[found["call_id"] == "ag_A_UNK"].iloc[0]
    assert customer["callee_masked"] == "+86 138****5678"
    assert customer["callee_key"] == hmac.new(b"test-secret", CUSTOMER_E164.encode(), hashlib.sha256).hexdigest()
    assert customer["callee_masked"] not in (CUSTOMER, CUSTOMER_E164)


def test_violation_rows_follow_the_contract(conf):
    found = run_rules(conf)
    assert re.fullmatch(r"2026-11-27T10:00:00\+08:00", found["start_time"].iloc[0])
    assert set(found["audit_date"]) == {"2026-11-27"}
    ordered = found.sort_values(["agency_id", "rule_id", "start_time", "call_id"], kind="stable")
    assert ordered.index.tolist() == found.index.tolist()
    conf_rows = found[found["rule_id"].str.startswith("CONF_")]
    assert set(conf_rows["family"]) == {"confidentiality"}
    severities = dict(zip(conf_rows["rule_id"], conf_rows["severity"]))
    assert severities == {"CONF_UNASSIGNED": "critical", "CONF_NO_CONSENT": "critical",
                          "CONF_AGENT_NOT_ACTIVE": "major", "CONF_NDA_NOT_IN_FORCE": "major",
                          "CONF_PII_IN_NOTES": "critical"}


@pytest.mark.parametrize("rule", CONFIDENTIALITY_RULES, ids=lambda rule: rule.rule_id)
def test_empty_day_gives_empty_frame(conf, rule):
    assert_empty_violations(rule.find(without_calls(conf)))
