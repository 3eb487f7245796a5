"""Data quality of text messages (sms.md §1): each DQ reason of the SMS suite at its boundary,
quarantine rows (source, call_id = message_id, reasons, `raw` masked with the text cut to a
masked excerpt), row conservation per file, and no full number in any quarantine row."""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from audits.ingest_sms import type_sms
from audits.models import QUARANTINE_COLUMNS
from audits.validation import load_suite_document, nullity_only_columns, prepare, suite_columns
from tests.landing import CUSTOMER, DAY, OTHER
from tests.sms.messages import PACK, ZONE, csv_text, ingest_day, message, reasons_by_id, reply, sms_path, write_sms

FOLDER = f"sms/{DAY.isoformat()}"
PREVIOUS, NEXT = "2026-11-26", "2026-11-28"


def _verdicts(tmp_path, rows, **kwargs) -> dict[str, str]:
    """message_id -> reasons ('' = accepted) of one AG01 file holding rows."""
    write_sms(tmp_path, rows, **kwargs)
    got = ingest_day(tmp_path)
    assert got.files[0].conserved and got.files[0].rows_read == len(rows)
    quarantined = reasons_by_id(got)
    return {row["message_id"]: quarantined.get(row["message_id"], "") for row in rows}


def test_a_blank_required_field_is_missing_and_optional_ones_may_be_blank(tmp_path):
    rows = [message(f"blank_{c}", **{c: "  "}) for c in
            ("agency_id", "campaign_id", "direction", "sender", "customer_number", "sent_at")]
    rows += [message("status_blank_mt", status=""), reply("status_blank_mo"),
             message("dash_sender", sender=" - "),
             message("no_agent_no_text_no_tz", agent_id="", text="", customer_tz="")]
    assert _verdicts(tmp_path, rows) == {
        "blank_agency_id": "DQ_MISSING_FIELD", "blank_campaign_id": "DQ_MISSING_FIELD",
        "blank_direction": "DQ_MISSING_FIELD", "blank_sender": "DQ_MISSING_FIELD",
        "blank_customer_number": "DQ_MISSING_FIELD", "blank_sent_at": "DQ_MISSING_FIELD",
        "status_blank_mt": "DQ_MISSING_FIELD", "status_blank_mo": "", "dash_sender": "DQ_MISSING_FIELD",
        "no_agent_no_text_no_tz": ""}


def test_a_blank_message_id_is_missing(tmp_path):
    write_sms(tmp_path, [message(""), message("m2")])
    got = ingest_day(tmp_path)
    assert got.quarantine[["row_number", "call_id", "reasons"]].to_dict("records") == [
        {"row_number": 1, "call_id": "", "reasons": "DQ_MISSING_FIELD"}]


def test_timestamps_and_zones(tmp_path):
    rows = [message("bad_hour", f"{DAY} 24:00:01"), message("not_a_date", "yesterday"),
            message("offset_ok", f"{DAY}T09:00+0800"), message("bad_zone", customer_tz="Mars/Olympus"),
            message("zone_ok", customer_tz="Asia/Shanghai")]
    assert _verdicts(tmp_path, rows) == {"bad_hour": "DQ_BAD_TIMESTAMP", "not_a_date": "DQ_BAD_TIMESTAMP",
                                         "offset_ok": "", "bad_zone": "DQ_BAD_TIMESTAMP", "zone_ok": ""}


def test_the_customer_number_is_a_phone_the_sender_a_port(tmp_path):
    rows = [message("possible_only", customer_number="12345"), message("written_loosely",
                                                                        customer_number="0086-138-1234-5678"),
            message("short_port", sender="10690"), message("port_with_letters", sender="+106 9000-1234"),
            message("port_is_a_mobile", sender=OTHER)]
    assert _verdicts(tmp_path, rows) == {"possible_only": "DQ_BAD_PHONE", "written_loosely": "",
                                         "short_port": "", "port_with_letters": "", "port_is_a_mobile": ""}


def test_direction_and_status_enumerations(tmp_path):
    rows = [message("mt_lower", direction=" mt ", status="delivered"), message("bad_direction", direction="MX"),
            message("bad_status", status="SENT"), message("failed", status="FAILED"),
            message("rejected", status="rejected"), message("pending", status="PENDING"),
            reply("mo_with_status", status="DELIVERED"), reply("mo_lower", direction="mo"),
            reply("mo_bad_status", status="SENT")]
    assert _verdicts(tmp_path, rows) == {
        "mt_lower": "", "bad_direction": "DQ_BAD_ENUM", "bad_status": "DQ_BAD_ENUM", "failed": "",
        "rejected": "", "pending": "", "mo_with_status": "DQ_BAD_ENUM", "mo_lower": "", "mo_bad_status": "DQ_BAD_ENUM"}


def test_the_agency_must_be_the_files(tmp_path):
    assert _verdicts(tmp_path, [message("other", agency_id="AG02"), message("own")]) == {
        "other": "DQ_AGENCY_MISMATCH", "own": ""}


def test_the_day_is_the_bank_zones_day_of_sent_at(tmp_path):
    rows = [message("before", f"{PREVIOUS} 23:59:59"), message("first", f"{DAY} 00:00:00"),
            message("last", f"{DAY} 23:59:59.999"), message("after", f"{NEXT} 00:00:00"),
            message("utc_first", f"{PREVIOUS}T16:00:00Z"), message("utc_before", f"{PREVIOUS}T15:59:59Z")]
    assert _verdicts(tmp_path, rows) == {"before": "DQ_OUT_OF_DAY", "first": "", "last": "",
                                         "after": "DQ_OUT_OF_DAY", "utc_first": "", "utc_before": "DQ_OUT_OF_DAY"}


def test_a_message_id_is_unique_within_its_file_only(tmp_path):
    write_sms(tmp_path, [message("m1"), message("m2"), message("m1", f"{DAY} 11:00:00")])
    write_sms(tmp_path, [message("m1", agency_id="AG02")], agency_id="AG02")
    got = ingest_day(tmp_path)
    assert got.quarantine[["source", "row_number", "call_id", "reasons"]].to_dict("records") == [
        {"source": f"{FOLDER}/AG01.csv", "row_number": 3, "call_id": "m1", "reasons": "DQ_DUPLICATE_MESSAGE_ID"}]
    assert sorted(zip(got.accepted["agency_id"], got.accepted["message_id"])) == [
        ("AG01", "m1"), ("AG01", "m2"), ("AG02", "m1")]


def test_every_reason_of_a_row_is_listed(tmp_path):
    write_sms(tmp_path, [message("m1", agency_id="AG02", status="", customer_number="123", sent_at=f"{NEXT} 10:00")])
    assert reasons_by_id(ingest_day(tmp_path)) == {
        "m1": "DQ_AGENCY_MISMATCH;DQ_BAD_PHONE;DQ_MISSING_FIELD;DQ_OUT_OF_DAY"}


def test_a_malformed_line_is_quarantined_and_rows_are_conserved(tmp_path):
    text = csv_text([message("m1"), message("m2")]) + "m3,AG01,MKT,MT,1069,13812345678,x,y,z,w,v,u,extra\n"
    sms_path(tmp_path).write_text(text, encoding="utf-8")
    got = ingest_day(tmp_path)
    record = got.files[0]
    assert (record.rows_read, record.rows_accepted, record.rows_quarantined) == (3, 2, 1)
    row = got.quarantine.iloc[0]
    assert (row["row_number"], row["reasons"], row["source"]) == (3, "DQ_MALFORMED_ROW", f"{FOLDER}/AG01.csv")
    assert "13812345678" not in row["raw"] and len(row["raw"]) <= 40


def test_quarantine_rows_name_the_file_and_the_message(tmp_path):
    write_sms(tmp_path, [message("m1"), message("m2", status="SENT", agent_id="A7")])
    got = ingest_day(tmp_path)
    assert list(got.quarantine.columns) == list(QUARANTINE_COLUMNS)
    assert got.quarantine.drop(columns="raw").to_dict("records") == [
        {"audit_date": DAY.isoformat(), "source": f"{FOLDER}/AG01.csv", "agency_id": "AG01", "row_number": 2,
         "call_id": "m2", "reasons": "DQ_BAD_ENUM"}]
    raw = got.quarantine["raw"].iloc[0]
    assert raw == f"m2,AG01,MKT,MT,********1234,*******5678,{DAY} 10:00:00,A7,SENT,【华信】您的账单已出，回复T退订,"
    assert CUSTOMER not in raw


LEAKY_TEXTS = ["请致电13812345678办理", "客户 138 1234 5678 逾期", "回拨+86-139-8765-4321",
               "号码１３８１２３４５６７８", "身份证110101199003074518核对", "卡号6222021234567890123",
               "一三八一二三四五六七八请回电"]
FULL_NUMBERS = ["13812345678", "13987654321", "110101199003074518", "6222021234567890123"]


def test_quarantine_rows_never_show_a_full_number_of_a_message_text(tmp_path):
    rows = [message(f"m{i}", status="SENT", text=text) for i, text in enumerate(LEAKY_TEXTS)]
    rows.append(message("long", status="SENT", text="【华信】" + "您好" * 40 + "13812345678"))
    write_sms(tmp_path, rows)
    got = ingest_day(tmp_path)
    assert len(got.quarantine) == len(rows)
    published = got.quarantine.to_csv(index=False)
    digits = re.sub(r"[^0-9]", "", re.sub(r"[\s,+\-]", "", published))
    for number in FULL_NUMBERS:
        assert number not in published and number not in digits
    assert "一三八一二三四五六七八" not in published
    assert all(len(text) <= 40 for text in _text_fields(got.quarantine["raw"]))


def _text_fields(raws: pd.Series) -> list[str]:
    import csv
    return [next(csv.reader([raw]))[9] for raw in raws]


# --- the vectorised flags against a per-row oracle --------------------------------------------------

DIRECTIONS = st.sampled_from([None, "MT", "mt", " MO ", "MO", "mo", "XX", ""])
STATUSES = st.sampled_from([None, "", "DELIVERED", "pending", "SENT", " FAILED "])
IDS = st.sampled_from([None, "m1", "m2", "M1", "m1 "])


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(IDS, DIRECTIONS, STATUSES), min_size=1, max_size=12),
       index=st.lists(st.integers(-1000, 1000), min_size=12, max_size=12, unique=True))
def test_the_suites_flags_match_a_per_row_oracle(rows, index):
    frame = pd.DataFrame({name: pd.Series([None] * len(rows), dtype="str") for name in
                          ("agency_id", "agent_id", "campaign_id", "sender", "customer_number", "sent_at", "text",
                           "customer_tz")}, index=index[:len(rows)])
    for name, values in zip(("message_id", "direction", "status"), zip(*rows)):
        frame[name] = pd.Series([_blank_is_null(v) for v in values], index=frame.index, dtype="str")
    typed = type_sms(frame, source="s", file_agency_id="AG01", local_zone=ZONE, bank_zone=PACK.bank_timezone,
                     region=PACK.default_region)
    seen = set()
    for position, (message_id, direction, status) in enumerate(rows):
        code = (_blank_is_null(direction) or "").strip().upper()
        has_status = _blank_is_null(status) is not None
        message_id = _blank_is_null(message_id)
        assert typed["status_missing"].iloc[position] == (code == "MT" and not has_status)
        assert typed["status_on_reply"].iloc[position] == (code == "MO" and has_status)
        assert typed["message_id_repeated"].iloc[position] == (message_id is not None and message_id in seen)
        seen.add(message_id)
    assert list(typed.index) == list(frame.index)


def _blank_is_null(value):
    """As the reader delivers a cell: trimmed, blank = null."""
    return None if value is None or not value.strip() else value.strip()


def test_the_sms_suite_is_prepared_with_the_others_and_gives_the_sms_reasons():
    prepare(["cdr", "sms"])
    reasons = {e["meta"]["reason"] for e in load_suite_document("sms")["expectations"]}
    assert reasons == {"DQ_MISSING_FIELD", "DQ_BAD_TIMESTAMP", "DQ_BAD_PHONE", "DQ_BAD_ENUM", "DQ_AGENCY_MISMATCH",
                       "DQ_OUT_OF_DAY", "DQ_DUPLICATE_MESSAGE_ID"}
    assert "sender_digits" in suite_columns("sms") and "sender" in nullity_only_columns("sms")
