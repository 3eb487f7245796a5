"""The reference columns of the sms channel (sms.md §1): contracts.channels (call, sms or both;
blank = call) and caller_numbers.channel (call or sms; blank = call; an sms row's caller_number
is a port, never validated as a phone number), read from literal files by the reference loader
into what the SMS rules read (permits_sms, sms_ports) and what the call rule ignores."""

from __future__ import annotations

import dataclasses

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from audits.ingest import load_reference_table
from audits.rulepack import load_rulepack
from audits.rules.messages.scope import permits_sms, sms_ports
from audits.rules.qualification import calls_from_unregistered_numbers
from audits.tables import contracts_in_force, type_reference
from tests.landing import CALLER, CALLER_E164, DAY, REFERENCE, call, rule_inputs

PACK = load_rulepack("cn_bank")

CONTRACTS_CSV = """agency_id,contract_id,contract_start,contract_end,permitted_purposes,channels
AG01,C1,2026-01-01,2026-12-31,marketing,call;sms
AG02,C2,2026-01-01,2026-12-31,marketing, SMS
AG03,C3,2026-01-01,2026-12-31,marketing,
AG04,C4,2026-01-01,2026-12-31,marketing,call
AG05,C5,2026-01-01,2026-12-31,marketing,call;fax
AG06,C6,2026-01-01,2026-12-31,marketing,sms ; call ;
"""

CALLER_NUMBERS_CSV = f"""agency_id,caller_number,registered_from,registered_to,channel
AG01,{CALLER},2025-01-01,,
AG01,106900001234,2025-01-01,,sms
AG01,+1069-0000 5678,2025-01-01,2026-06-30,SMS
AG01,{CALLER},2025-01-01,,call
AG02,12345,2025-01-01,,call
AG02,12345,2025-01-01,,
AG02,106900009999,2025-01-01,,fax
AG02,10690,2025-01-01,,sms
"""


def _load(tmp_path, table: str, text: str):
    path = tmp_path / "reference" / f"{table}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return load_reference_table(tmp_path, table, path, audit_date=DAY, rulepack=PACK)


def test_contract_channels_are_read_into_what_the_sms_rules_read(tmp_path):
    loaded = _load(tmp_path, "contracts", CONTRACTS_CSV)
    assert loaded.quarantine[["row_number", "reasons"]].to_dict("records") == [
        {"row_number": 5, "reasons": "DQ_BAD_ENUM"}]
    contracts = contracts_in_force(loaded.accepted, DAY)
    assert permits_sms(contracts).to_dict() == {"AG01": True, "AG02": True, "AG03": False, "AG04": False,
                                                "AG06": True}


def test_a_contracts_file_without_channels_permits_calls_only(tmp_path):
    loaded = _load(tmp_path, "contracts", "\n".join(line.rsplit(",", 1)[0] for line in
                                                     CONTRACTS_CSV.splitlines()[:2]) + "\n")
    assert loaded.quarantine.empty
    assert permits_sms(contracts_in_force(loaded.accepted, DAY)).to_dict() == {"AG01": False}


def test_an_sms_port_is_registered_as_digits_never_validated_as_a_phone(tmp_path):
    loaded = _load(tmp_path, "caller_numbers", CALLER_NUMBERS_CSV)
    assert loaded.quarantine[["row_number", "reasons"]].to_dict("records") == [
        {"row_number": 5, "reasons": "DQ_BAD_PHONE"}, {"row_number": 6, "reasons": "DQ_BAD_PHONE"},
        {"row_number": 7, "reasons": "DQ_BAD_ENUM;DQ_BAD_PHONE"}]          # an unknown channel: judged as a call row too
    ports = sms_ports(loaded.accepted)
    assert list(zip(ports["agency_id"], ports["sender_digits"])) == [
        ("AG01", "106900001234"), ("AG01", "106900005678"), ("AG02", "10690")]
    assert ports["registered_to_date"].isna().tolist() == [True, False, True]
    accepted = loaded.accepted
    assert accepted.loc[accepted["channel"].isna() | accepted["channel"].eq("call"), "caller_e164"].tolist() == [
        CALLER_E164, CALLER_E164]
    assert accepted.loc[accepted["channel"].str.lower().eq("sms").fillna(False), "caller_e164"].isna().all()


def test_a_caller_number_registered_for_texts_only_does_not_register_calls(tmp_path):
    numbers = [dict(REFERENCE["caller_numbers"][0], channel="sms")]
    inputs = rule_inputs(tmp_path, [call("c1", f"{DAY} 10:00:00")], caller_numbers=numbers)
    assert list(calls_from_unregistered_numbers(inputs)["call_id"]) == ["c1"]


def test_a_blank_channel_registers_a_caller_number_for_calls(tmp_path):
    numbers = [dict(REFERENCE["caller_numbers"][0], channel="")]
    inputs = rule_inputs(tmp_path, [call("c1", f"{DAY} 10:00:00")], caller_numbers=numbers)
    assert calls_from_unregistered_numbers(inputs).empty


def test_the_call_rule_ignores_sms_rows_whatever_their_typed_number(tmp_path):
    inputs = rule_inputs(tmp_path, [call("c1", f"{DAY} 10:00:00")])
    assert calls_from_unregistered_numbers(inputs).empty
    texting = inputs.caller_numbers.assign(channel=" Sms ")          # the number kept, the row an SMS port's
    assert texting["caller_e164"].tolist() == [CALLER_E164]
    found = calls_from_unregistered_numbers(dataclasses.replace(inputs, caller_numbers=texting))
    assert list(found["call_id"]) == ["c1"]


# --- the vectorised split of caller numbers by channel, against a per-row oracle -----------------

CHANNELS = st.sampled_from([None, "call", "CALL", "sms", "SMS", " sms ", "fax"])
NUMBERS = st.sampled_from([CALLER, "106900001234", "12345", "+86 138 1234 5678"])


@settings(max_examples=50, deadline=None)
@given(rows=st.lists(st.tuples(NUMBERS, CHANNELS), min_size=1, max_size=10),
       index=st.lists(st.integers(-500, 500), min_size=10, max_size=10, unique=True))
def test_only_call_rows_are_read_as_phone_numbers(rows, index):
    frame = pd.DataFrame({"agency_id": "AG01", "caller_number": [n for n, _ in rows],
                          "registered_from": "2025-01-01", "registered_to": None,
                          "channel": [c for _, c in rows]}, index=index[:len(rows)], dtype="str")
    typed = type_reference("caller_numbers", frame, bank_zone=PACK.bank_timezone, region=PACK.default_region)
    expected = type_reference("caller_numbers", frame.assign(channel=None), bank_zone=PACK.bank_timezone,
                              region=PACK.default_region)["caller_e164"]
    for position, (_, channel) in enumerate(rows):
        port = channel is not None and channel.strip().lower() == "sms"
        got = typed["caller_e164"].iloc[position]
        assert (pd.isna(got) if port else got == expected.iloc[position] or
                (pd.isna(got) and pd.isna(expected.iloc[position])))
    assert list(typed.index) == list(frame.index)
