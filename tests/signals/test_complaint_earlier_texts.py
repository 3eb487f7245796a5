"""A complaint links to the texts of earlier days of its look-back window as to their calls
(signals.md §1, sms.md §3): read from the store's messages partitions, only the texts sent to the
complaining numbers, each day checked against its record on read."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from audits import store
from audits.pipeline import run_audit
from audits.rulepack import load_rulepack
from audits.rules.messages.inputs import enrich_messages, opt_outs_of, type_messages
from tests.landing import (
    CALLER,
    CUSTOMER,
    CUSTOMER_E164,
    DAY,
    OTHER,
    REFERENCE,
    call,
    config_for,
    make_landing,
    write_csv,
)
from tests.sms.messages import message, reply, write_sms

EARLIER = DAY - dt.timedelta(days=2)
PACK = load_rulepack("cn_bank")
CAMPAIGNS = pd.DataFrame({"campaign_id": ["MKT"], "purpose_code": ["marketing"], "product": ["CREDIT_CARD"]})


def _store_texts(root, day, rows):
    raw = pd.DataFrame(rows, dtype="str").replace({"": None})
    texts = type_messages(raw, local_zone=PACK.bank_timezone, bank_zone=PACK.bank_timezone, region="CN")
    calls = pd.DataFrame({"call_id": ["x"], "agency_id": ["AG01"], "agent_id": ["A1"], "campaign_id": ["MKT"],
                          "caller_e164": ["+861065529988"], "callee_e164": ["+8613900000000"],
                          "start_utc": pd.to_datetime([f"{day}T02:00:00Z"], utc=True),
                          "disposition_code": ["NO_ANSWER"], "outcome_code": [None], "call_date": [day.isoformat()]})
    store.write_day(root, day, calls, messages=texts,
                    opt_outs=opt_outs_of(enrich_messages(texts, CAMPAIGNS, PACK.sms)))


def test_the_store_gives_the_texts_sent_to_the_numbers_of_the_days_asked(tmp_path):
    _store_texts(tmp_path, EARLIER, [message("m1", f"{EARLIER} 10:00:00"),
                                     message("m2", f"{EARLIER} 11:00:00", customer_number=OTHER),
                                     reply("r1", f"{EARLIER} 12:00:00", customer_number=CUSTOMER)])
    days = [EARLIER - dt.timedelta(days=1), EARLIER, EARLIER + dt.timedelta(days=1)]     # only one stored
    texts = store.read_texts_to(tmp_path, days, [CUSTOMER_E164])
    assert texts[["customer_e164", "agency_id", "message_id"]].values.tolist() == [[CUSTOMER_E164, "AG01", "m1"]]
    assert texts["sent_utc"].tolist() == [pd.Timestamp(f"{EARLIER}T02:00:00Z")]
    assert store.read_texts_to(tmp_path, days, []).empty
    path = tmp_path / "messages" / f"sent_date={EARLIER}" / "messages.parquet"
    path.write_bytes(path.read_bytes()[:-10])                            # changed after it was written
    with pytest.raises(store.StoreError, match="does not match what the audit wrote"):
        store.read_texts_to(tmp_path, days, [CUSTOMER_E164])


def test_a_complaint_names_a_text_sent_two_days_before(tmp_path):
    """AG01 texts the customer on D-2 and nobody contacts them since; the complaint of D is linked
    to AG01 by that text, which it names as the last contact (agency, time; the number masked)."""
    contracts = [{**REFERENCE["contracts"][0], "channels": "call;sms"}]
    ports = [*REFERENCE["caller_numbers"], dict(agency_id="AG01", caller_number="106900001234",
                                                registered_from="2025-01-01", registered_to="", channel="sms")]
    landing = make_landing(tmp_path / "landing",
                           {EARLIER: {"AG01": [call("c0", f"{EARLIER} 09:00:00", callee_number=OTHER)]},
                            DAY: {"AG01": [call("c1", f"{DAY} 09:00:00", callee_number=OTHER)]}},
                           contracts=contracts, caller_numbers=ports)
    write_sms(landing, [message("m0", f"{EARLIER} 10:00:00")], day=EARLIER)
    write_sms(landing, [message("m1", f"{DAY} 10:00:00", customer_number=OTHER)], day=DAY)
    write_csv(landing / "complaints" / f"{DAY}.csv",
              [dict(complaint_id="CMP-1", received_at=f"{DAY} 18:00", phone=CUSTOMER, channel="hotline",
                    category="harassment", agency_id="", text="短信太多")],
              ["complaint_id", "received_at", "phone", "channel", "category", "agency_id", "text"])
    report = run_audit(config_for(tmp_path, DAY)).report_dir
    row = pd.read_csv(report / "complaints.csv", dtype=str, keep_default_na=False).iloc[0]
    assert (row["status"], row["linked_agencies"], row["calls_in_window"], row["texts_in_window"]) == (
        "linked", "AG01", "0", "1")
    assert (row["last_contact_channel"], row["last_contact_agency"], row["last_contact_at"]) == (
        "sms", "AG01", f"{EARLIER}T10:00:00+08:00")
    assert row["callee_masked"] == "+86 138****5678" and CUSTOMER not in row.to_string()
    assert CALLER not in (report / "complaints.csv").read_text(encoding="utf-8")
