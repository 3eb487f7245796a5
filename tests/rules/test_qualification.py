"""Boundary tests of the qualification rules (rules.md, "Qualification").

One literal landing zone holds every case; each case owns a call_id prefix and, for the
contract cases, its own agency.
"""

from __future__ import annotations

import pytest

from audits.rules import RULES
from audits.rules.confidentiality import calls_by_inactive_agents
from audits.rules.qualification import (
    calls_by_untrained_agents,
    calls_from_unregistered_numbers,
    calls_out_of_scope,
    calls_under_invalid_licence,
    calls_without_contract,
)
from tests.landing import REFERENCE, call, rule_inputs
from tests.rules.helpers import agent, assert_empty_violations, caller, contract, ids, iso, only, without_calls

QUALIFICATION_RULES = [rule for rule in RULES if rule.rule_id.startswith("QUAL_")]
D0 = iso(0)
AT = f"{D0} 10:00:00"
AGENCIES = [f"AG{i:02d}" for i in range(1, 12)]


@pytest.fixture(scope="module")
def qual(tmp_path_factory):
    d1, d_1 = iso(1), iso(-1)
    contracts = [
        contract("AG01", "C1"),                                   # all purposes, CREDIT_CARD;PERSONAL_LOAN
        contract("AG02", contract_end=d_1, licence_no="", permitted_purposes="", permitted_products=""),
        contract("AG03", contract_end=D0),
        contract("AG04", contract_start=d1, contract_end="2027-12-31"),
        contract("AG05", contract_start=D0),
        contract("AG06", "C6-old", contract_start="2026-01-01"),
        contract("AG06", "C6-new", contract_start="2026-06-01", licence_no="",
                 permitted_purposes="collection", permitted_products="PERSONAL_LOAN"),   # latest start wins
        contract("AG07", licence_no=""),
        contract("AG08", licence_expiry=d_1),
        contract("AG09", licence_expiry=D0),
        contract("AG10", licence_no="L-10", licence_expiry=""),   # a licence without expiry
        contract("AG11", "C11", permitted_purposes="marketing", permitted_products="CREDIT_CARD"),
    ]
    agents = [
        *[agent(a, "A1") for a in AGENCIES],
        agent("AG01", "T365", trained_on="2025-11-27"),           # 365 days before D
        agent("AG01", "T366", trained_on="2025-11-26"),           # 366 days before D
        agent("AG01", "TBL", trained_on=""),
        agent("AG01", "TFU", trained_on=d1),
        agent("AG01", "TTD", trained_on=D0),
        agent("AG01", "TDP", active_to=d_1, trained_on="2026-06-01"),               # departed, trained
        agent("AG01", "TDU", active_to="2025-12-31", trained_on=""),                # departed, never trained
        agent("AG02", "TX", trained_on=""),                                         # another agency's roster
    ]
    caller_numbers = [
        *[caller(a) for a in AGENCIES],                           # CALLER = 010 6552 9988, every agency
        caller("AG01", "01065529989", registered_to=d_1),
        caller("AG01", "01065529990", registered_to=D0),
        caller("AG01", "01065529991", registered_from=d1),
        caller("AG01", "01065529994", registered_from=D0),
        caller("AG05", "01065529992"),
    ]
    campaigns = [*REFERENCE["campaigns"], dict(campaign_id="MKT_LOAN", purpose="marketing", product="PERSONAL_LOAN")]
    calls = [
        # contract in force
        *[call(f"nc_{a}", AT, agency_id=a) for a in ("AG01", "AG02", "AG03", "AG04", "AG05")],
        call("nc_AG02_unknown", AT, agency_id="AG02", campaign_id="NOPE"),
        # overlapping contracts of AG06
        call("ov_mkt", AT, agency_id="AG06"),
        call("ov_col", AT, agency_id="AG06", campaign_id="COL"),
        # licence
        *[call(f"lic_{a}", AT, agency_id=a) for a in ("AG07", "AG08", "AG09", "AG10")],
        # scope
        call("sc_AG11_ok", AT, agency_id="AG11"),
        call("sc_AG11_col", AT, agency_id="AG11", campaign_id="COL"),
        call("sc_AG11_loan", AT, agency_id="AG11", campaign_id="MKT_LOAN"),
        call("sc_AG11_unknown", AT, agency_id="AG11", campaign_id="NOPE"),
        call("sc_AG01_unknown", AT, campaign_id="NOPE"),
        call("sc_AG01_loan", AT, campaign_id="MKT_LOAN"),
        # training (AG01)
        *[call(f"tr_{a}", AT, agent_id=a) for a in ("T365", "T366", "TBL", "TFU", "TTD", "TUN", "TDP", "TDU", "TX")],
        # caller IDs (AG01 unless named)
        call("cid_plus", AT, caller_number="+86 10 6552 9988"),
        call("cid_0086", AT, caller_number="0086-10-65529988"),
        call("cid_ended", AT, caller_number="01065529989"),
        call("cid_today", AT, caller_number="01065529990"),
        call("cid_future", AT, caller_number="01065529991"),
        call("cid_starts", AT, caller_number="01065529994"),
        call("cid_other_agency", AT, caller_number="01065529992"),
        call("cid_unknown", AT, caller_number="01065529993"),
        call("cid_AG05_own", AT, agency_id="AG05", caller_number="01065529992"),
    ]
    reference = dict(contracts=contracts, agents=agents, caller_numbers=caller_numbers, campaigns=campaigns)
    return rule_inputs(tmp_path_factory.mktemp("qual"), calls, **reference)


def test_no_contract_boundaries(qual):
    found = calls_without_contract(qual)
    assert ids(found) == {"nc_AG02", "nc_AG02_unknown", "nc_AG04"}
    assert "2026-11-27" in only(found, "nc_AG02")["detail"]
    assert set(found["severity"]) == {"critical"} and set(found["family"]) == {"qualification"}


def test_licence_invalid_boundaries(qual):
    found = calls_under_invalid_licence(qual)
    assert ids(found) == {"ov_mkt", "ov_col", "lic_AG07", "lic_AG08"}   # never AG02: no contract in force
    assert "2026-11-26" in only(found, "lic_AG08")["detail"]
    assert "no licence" in only(found, "lic_AG07")["detail"]


def test_out_of_scope_boundaries(qual):
    found = calls_out_of_scope(qual)
    # nc_AG02_unknown: no contract in force, so QUAL_NO_CONTRACT covers it, not this rule
    assert ids(found) == {"ov_mkt", "sc_AG11_col", "sc_AG11_loan", "sc_AG11_unknown", "sc_AG01_unknown"}
    assert "NOPE is unknown" in only(found, "sc_AG01_unknown")["detail"]
    assert "purpose collection" in only(found, "sc_AG11_col")["detail"] and "C11" in only(found, "sc_AG11_col")["detail"]
    assert "product PERSONAL_LOAN" in only(found, "sc_AG11_loan")["detail"]
    assert "purpose marketing" in only(found, "ov_mkt")["detail"] and "C6-new" in only(found, "ov_mkt")["detail"]


def test_agent_untrained_boundaries(qual):
    found = calls_by_untrained_agents(qual)
    assert ids(found) == {"tr_T366", "tr_TBL", "tr_TFU", "tr_TDU"}
    detail = only(found, "tr_T366")["detail"]
    assert "366 days" in detail and "365" in detail
    assert "no compliance training" in only(found, "tr_TBL")["detail"]


def test_agents_off_the_roster_are_confidentiality_findings(qual):
    # TUN (never on the roster) and TX (on AG02's roster only) are no QUAL finding, but a CONF one
    assert ids(calls_by_inactive_agents(qual), "tr_") == {"tr_TUN", "tr_TDP", "tr_TDU", "tr_TX"}


def test_unregistered_caller_id_boundaries(qual):
    found = calls_from_unregistered_numbers(qual)
    assert ids(found, "cid_") == {"cid_ended", "cid_future", "cid_other_agency", "cid_unknown"}
    assert ids(found) == ids(found, "cid_")
    assert "2026-11-27" in only(found, "cid_ended")["detail"]


@pytest.mark.parametrize("rule", QUALIFICATION_RULES, ids=lambda rule: rule.rule_id)
def test_empty_day_gives_empty_frame(qual, rule):
    assert_empty_violations(rule.find(without_calls(qual)))
