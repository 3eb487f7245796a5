"""Boundary tests of what a text says and who may send it (sms.md §2): opt-out replies in every
case and width, the opt-out sentence, signatures at the start or the end, identifiers in the
text, consent, registered sender ports, and the rules of rules.md on messages."""

from __future__ import annotations

import pandas as pd
import pytest

from audits.rules import run_rules
from audits.rules.messages.inputs import is_opt_out_text, sender_digits
from audits.rules.messages.scope import marketing_texts_without_consent, messages_from_unregistered_senders
from audits.rules.messages.texts import marketing_without_opt_out_text, messages_with_pii, messages_without_signature
from tests.landing import CUSTOMER, OTHER
from tests.rules.helpers import agent, assert_empty_violations, assignment, consent, contract, iso, two_agencies
from tests.rules.messages.helpers import found_ids, message, port, reply, rulepack_with, sms_inputs, with_rulepack

D0 = iso(0)
CN_KEYWORDS = frozenset({"t", "td", "n", "0000", "退订", "退", "stop", "unsubscribe"})
US_KEYWORDS = frozenset({"stop", "stopall", "unsubscribe", "quit", "end", "revoke", "opt out", "cancel"})


# --- opt-out replies ------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "T", "t", "Ｔ", "ｔ", " T ", "\u3000T\u3000", "TD", "Td", "ｔｄ", "ＴＤ", "N", "n", "Ｎ", "0000", "００００",
    "退订", " 退订 ", "退", "STOP", "Stop", "ｓｔｏｐ", "ＳＴＯＰ", "UNSUBSCRIBE", "Unsubscribe",
    "请帮我退订，谢谢", "退订短信",
])
def test_opt_out_replies_in_every_case_and_width(text):
    assert is_opt_out_text(text, CN_KEYWORDS)


@pytest.mark.parametrize("text", ["", "TT", "T T", "TD1", "00000", "退出", "退 订", "好的",
                                  "stop please", "N/A", "T.", "ＴＴ"])
def test_other_replies_are_no_opt_out(text):
    assert not is_opt_out_text(text, CN_KEYWORDS)


@pytest.mark.parametrize(("text", "opts_out"), [("STOP", True), ("ｓｔｏｐ", True), ("Opt Out", True),
                                                ("cancel", True), ("T", False), ("TD", False), ("退订", True)])
def test_us_collections_keywords(text, opts_out):
    assert is_opt_out_text(text, US_KEYWORDS) is opts_out


# --- the opt-out sentence, the signature, identifiers -------------------------------------

@pytest.fixture(scope="module")
def texts(tmp_path_factory):
    messages = [
        message("t_says_t", f"{D0} 10:00:00", text="【华信银行】额度提升，回复T退订"),
        message("t_says_td", f"{D0} 10:00:01", text="【华信银行】额度提升 回复 TD"),
        message("t_says_full_width", f"{D0} 10:00:02", text="【华信银行】额度提升，回复ｔｄ"),
        message("t_says_reply_stop", f"{D0} 10:00:03", text="【Huaxin】Limit raised. Reply STOP to opt out"),
        message("t_silent", f"{D0} 10:00:04", text="【华信银行】额度提升，详询客服"),
        message("t_blank", f"{D0} 10:00:05", text=""),
        message("t_silent_servicing", f"{D0} 10:00:06", text="【华信银行】账单已出", campaign_id="SRV"),
        # signatures: start or end (after trimming); 2 to 20 characters
        message("s_end", f"{D0} 11:00:00", text="额度提升，回复T退订【华信银行】"),
        message("s_start_spaces", f"{D0} 11:00:01", text="\u3000 【华信银行】额度提升，回复T退订 "),
        message("s_middle", f"{D0} 11:00:02", text="额度提升【华信银行】回复T退订"),
        message("s_one_char", f"{D0} 11:00:03", text="【华】额度提升，回复T退订"),
        message("s_two_chars", f"{D0} 11:00:04", text="【华信】额度提升，回复T退订"),
        message("s_twenty", f"{D0} 11:00:05", text="【" + "信" * 20 + "】额度提升，回复T退订"),
        message("s_twenty_one", f"{D0} 11:00:06", text="【" + "信" * 21 + "】额度提升，回复T退订"),
        message("s_square", f"{D0} 11:00:07", text="[华信银行]额度提升，回复T退订"),
        message("s_other_bank", f"{D0} 11:00:08", text="【别家银行】额度提升，回复T退订"),
        reply("s_mo_unsigned", f"{D0} 11:00:09", text="好的"),               # MO: never a finding
        # identifiers in the text
        message("p_mobile", f"{D0} 12:00:00", text="【华信银行】请致电 138 0013 8000，回复T退订"),
        message("p_masked", f"{D0} 12:00:01", text="【华信银行】尾号138****8000，回复T退订"),
        message("p_card", f"{D0} 12:00:02", text="【华信银行】卡号4111-1111-1111-1111，回复T退订"),
    ]
    return sms_inputs(tmp_path_factory.mktemp("sms_texts"), messages)


def test_marketing_text_without_the_opt_out_sentence(texts):
    assert {c for c in found_ids(marketing_without_opt_out_text(texts)) if c.startswith("t_")} == {
        "t_silent", "t_blank"}


def test_signature_at_the_start_or_the_end(texts):
    assert {c for c in found_ids(messages_without_signature(texts)) if c.startswith(("s_", "t_"))} == {
        "s_middle", "s_one_char", "s_twenty_one", "s_square", "t_blank"}


def test_registered_signatures_only_when_the_rulepack_lists_them(texts, tmp_path):
    pack = with_rulepack(texts, rulepack_with(tmp_path, signatures=["华信银行", "Huaxin"]))
    found = messages_without_signature(pack)
    assert {c for c in found_ids(found) if c.startswith("s_")} == {
        "s_middle", "s_one_char", "s_two_chars", "s_twenty", "s_twenty_one", "s_square", "s_other_bank"}
    assert found["detail"].iloc[0] == "text neither begins nor ends with a registered signature (【Huaxin】、【华信银行】)"


def test_identifiers_in_the_text(texts):
    found = messages_with_pii(texts).set_index("call_id")["detail"]
    assert dict(found) == {"p_mobile": "text contains an unmasked mobile number",
                           "p_card": "text contains an unmasked card number"}


# --- consent, sender ports --------------------------------------------------------------------

@pytest.fixture(scope="module")
def senders(tmp_path_factory):
    reference = two_agencies()
    reference["consents"] = [consent(CUSTOMER, "2026-11-27 10:00:00"),
                             consent(OTHER, "2026-01-01 00:00:00", withdrawn_at="2026-11-27 09:00:00")]
    ports = [port("AG01"),
             port("AG01", "10690000 5555", registered_from=iso(-1)),      # registered the day before
             port("AG01", "106900006666", registered_from=iso(1)),        # the day after
             port("AG01", "106900007777", registered_to=iso(-1)),         # ended the day before
             port("AG01", "106900008888", registered_to=iso(0)),          # ends on D: still registered
             port("AG02", "106900009999"),                                # another agency's
             port("AG01", "106900001111", channel="call"),                # a caller number, not a port
             port("AG01", "106900002222", channel="")]                    # blank channel: call
    messages = [
        # consent at 10:00: given at sent_at counts; a second before does not
        message("c_before", f"{D0} 09:59:59"),
        message("c_at", f"{D0} 10:00:00"),
        message("c_withdrawn", f"{D0} 10:00:00", customer_number=OTHER),
        message("c_servicing", f"{D0} 09:00:00", campaign_id="SRV"),      # consent is for marketing texts
        message("u_ok", f"{D0} 12:00:00", sender="+106900001234"),
        message("u_dashes", f"{D0} 12:00:01", sender="1069-0000-1234"),
        message("u_day_before", f"{D0} 12:00:02", sender="106900005555"),
        message("u_day_after", f"{D0} 12:00:03", sender="106900006666"),
        message("u_ended", f"{D0} 12:00:04", sender="106900007777"),
        message("u_ends_today", f"{D0} 12:00:05", sender="106900008888"),
        message("u_other_agency", f"{D0} 12:00:06", sender="106900009999"),
        message("u_call_number", f"{D0} 12:00:07", sender="106900001111"),
        message("u_blank_channel", f"{D0} 12:00:08", sender="106900002222"),
        message("u_failed", f"{D0} 12:00:09", sender="106900006666", status="FAILED"),     # any MT
        reply("u_mo", f"{D0} 12:00:10", sender="999"),
    ]
    return sms_inputs(tmp_path_factory.mktemp("sms_senders"), messages, ports=ports, **reference)


def test_marketing_text_without_consent_in_force(senders):
    found = marketing_texts_without_consent(senders).set_index("call_id")["detail"]
    assert {c: d for c, d in found.items() if c.startswith("c_")} == {
        "c_before": "marketing text without recorded consent",
        "c_withdrawn": "marketing text after the customer withdrew consent"}


def test_sender_registered_for_texts_on_the_day(senders):
    assert {c for c in found_ids(messages_from_unregistered_senders(senders)) if c.startswith("u_")} == {
        "u_day_after", "u_ended", "u_other_agency", "u_call_number", "u_blank_channel", "u_failed"}


def test_without_sms_ports_every_text_is_unregistered(tmp_path):
    inputs = sms_inputs(tmp_path, [message("n_1", f"{D0} 12:00:00")], ports=[])
    assert found_ids(messages_from_unregistered_senders(inputs)) == {"n_1"}


@pytest.mark.parametrize(("written", "digits"), [("106900001234", "106900001234"), ("+106900001234", "106900001234"),
                                                  ("1069 0000-1234", "106900001234"), ("１０６９", "1069"),
                                                  ("+86 10690", "8610690"), ("  ", None), ("95588", "95588")])
def test_sender_is_compared_as_its_digits(written, digits):
    result = sender_digits(pd.Series([written], dtype="str")).iloc[0]
    assert (None if pd.isna(result) else result) == digits


# --- the registry: every rule on a day of messages, the shared rules on messages ---------------

@pytest.fixture(scope="module")
def registry_day(tmp_path_factory):
    reference = two_agencies()
    messages = [
        message("g_clean", f"{D0} 10:00:00"),
        message("g_unassigned", f"{D0} 10:00:01", customer_number="13911112222"),
        message("g_ag02_texts", f"{D0} 10:00:02", agency_id="AG02", customer_number=OTHER, campaign_id="COL"),
        message("g_agent_unknown", f"{D0} 10:00:03", agent_id="ZZ", customer_number=OTHER, campaign_id="COL"),
        reply("g_mo", f"{D0} 10:00:04", customer_number="13911112222", agency_id="AG09"),
    ]
    return sms_inputs(tmp_path_factory.mktemp("sms_registry"), messages, channels={"AG01": "call;sms", "AG02": "call"},
                      **reference)


def test_the_registry_judges_messages_with_the_shared_rules(registry_day):
    found = run_rules(registry_day)
    pairs = {(r, c) for r, c in zip(found["rule_id"], found["call_id"])}
    assert pairs == {
        ("CONF_UNASSIGNED", "g_unassigned"),
        ("SMS_NO_CONSENT", "g_unassigned"),
        ("QUAL_OUT_OF_SCOPE", "g_ag02_texts"),                 # AG02's contract permits calls only
        ("CONF_AGENT_NOT_ACTIVE", "g_agent_unknown"),
    }
    detail = found.set_index(["rule_id", "call_id"])["detail"]
    assert detail[("QUAL_OUT_OF_SCOPE", "g_ag02_texts")] == "channel sms is not permitted by contract C-AG02"
    assert "13911112222" not in found.to_csv() and OTHER not in found.to_csv()


def test_the_registry_without_messages_judges_calls_only(tmp_path):
    inputs = sms_inputs(tmp_path, [])
    assert_empty_violations(run_rules(inputs))


@pytest.fixture(scope="module")
def agencies_day(tmp_path_factory):
    """AG02 with an expired licence and no NDA; AG03 with no contract in force; AG01's agent A2
    on the roster but never trained."""
    reference = two_agencies(licence_expiry=iso(-1), nda_signed="")
    reference["contracts"] = reference["contracts"] + [contract("AG03", contract_end=iso(-1))]
    reference["agents"] = reference["agents"] + [agent("AG01", "A2", trained_on="")]
    reference["assignments"] = reference["assignments"] + [assignment("AG03", CUSTOMER)]
    messages = [
        message("a_ag02", f"{D0} 10:00:00", agency_id="AG02"),
        message("a_ag03", f"{D0} 10:00:01", agency_id="AG03", campaign_id="SRV"),
        message("a_untrained", f"{D0} 10:00:02", agent_id="A2", campaign_id="SRV"),
        message("a_system", f"{D0} 10:00:03", campaign_id="SRV"),                  # no agent: not judged
        reply("a_mo_ag03", f"{D0} 10:00:04", agency_id="AG03"),                    # MO: never a finding
    ]
    return sms_inputs(tmp_path_factory.mktemp("sms_agencies"), messages,
                      channels={"AG01": "call;sms", "AG02": "sms", "AG03": "call; SMS"},
                      ports=[port("AG01"), port("AG02"), port("AG03")], **reference)


def test_contract_licence_nda_and_training_rules_judge_texts_as_calls(agencies_day):
    found = run_rules(agencies_day)
    assert {(r, c) for r, c in zip(found["rule_id"], found["call_id"])} == {
        ("QUAL_LICENCE_INVALID", "a_ag02"),
        ("CONF_NDA_NOT_IN_FORCE", "a_ag02"),
        ("QUAL_NO_CONTRACT", "a_ag03"),
        ("QUAL_AGENT_UNTRAINED", "a_untrained"),
    }


def test_a_call_from_an_agency_whose_contract_permits_only_texts_is_out_of_scope(tmp_path):
    from tests.landing import call

    calls = [call("c_blank", f"{D0} 10:00:00"),                         # AG01: channels blank = call
             call("c_sms_only", f"{D0} 10:00:01", agency_id="AG02")]     # AG02: channels sms
    inputs = sms_inputs(tmp_path, [], calls, channels={"AG01": "", "AG02": "sms"}, **two_agencies())
    found = run_rules(inputs, only=frozenset({"QUAL_OUT_OF_SCOPE"}))
    assert found[["call_id", "channel", "detail"]].values.tolist() == [
        ["c_sms_only", "call", "channel call is not permitted by contract C-AG02"]]
    both = sms_inputs(tmp_path / "both", [], calls, channels={"AG01": "", "AG02": "SMS; call"}, **two_agencies())
    assert run_rules(both, only=frozenset({"QUAL_OUT_OF_SCOPE"})).empty
