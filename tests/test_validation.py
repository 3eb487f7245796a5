"""Data quality: every DQ reason with literal rows, quarantine agrees with GX, row conservation."""

from __future__ import annotations

import json
import re

import pytest

from audits.ingest import load_calls, load_reference
from audits.models import TABLE_COLUMNS
from audits.rulepack import load_rulepack
from audits.validation import SUITE_TABLES, load_result, load_suite, load_suite_document
from tests.landing import CUSTOMER, DAY, REFERENCE, call, make_landing, write_csv

PACK = load_rulepack("cn_bank")
CDR_COLUMNS = list(TABLE_COLUMNS["cdr"][0] + TABLE_COLUMNS["cdr"][1])


def ingest(tmp_path, rows, agency="AG01", **reference):
    landing = make_landing(tmp_path / "landing", {DAY: {agency: rows}}, **reference)
    tables = load_reference(landing, audit_date=DAY, rulepack=PACK)
    return load_calls(landing, day=DAY, contracts=tables["contracts"].accepted, rulepack=PACK)


def reasons_by_call(ingested):
    return dict(zip(ingested.quarantine["call_id"], ingested.quarantine["reasons"]))


def test_every_row_reason_with_literal_rows(tmp_path):
    rows = [
        call("ok", "2026-11-27 09:00:00"),
        call("missing", "2026-11-27 09:00:00", agent_id=""),
        call("badtime", "2026-11-27 25:00:00"),
        call("badzone", "2026-11-27 09:00:00", callee_tz="Mars/Olympus"),
        call("order", "2026-11-27 09:00:00", end_time="2026-11-27 08:59:59"),
        call("answer", "2026-11-27 09:00:00", end_time="2026-11-27 09:05:00", disposition="ANSWERED",
             answer_time="2026-11-27 09:06:00"),
        call("phone", "2026-11-27 09:00:00", callee_number="12345"),
        call("enum", "2026-11-27 09:00:00", disposition="PICKED_UP"),
        call("outcome", "2026-11-27 09:00:00", outcome="MAYBE"),
        call("ok", "2026-11-27 10:00:00"),                                   # duplicate call_id
        call("mismatch", "2026-11-27 09:00:00", agency_id="AG02"),
        call("nextday", "2026-11-28 00:00:00", end_time="2026-11-28 00:01:00"),
        call("prevday", "2026-11-26T23:59:59+08:00", end_time="2026-11-27 00:01:00"),
        call("several", "2026-11-27 09:00:00", callee_number="abc", disposition="nope", agent_id=""),
        call("lower", "2026-11-27 09:00:00", disposition=" no_answer ", outcome=""),   # enums are trimmed, any case
    ]
    ingested = ingest(tmp_path, rows)
    assert reasons_by_call(ingested) == {
        "missing": "DQ_MISSING_FIELD",
        "badtime": "DQ_BAD_TIMESTAMP",
        "badzone": "DQ_BAD_TIMESTAMP",
        "order": "DQ_TIME_ORDER",
        "answer": "DQ_TIME_ORDER",
        "phone": "DQ_BAD_PHONE",
        "enum": "DQ_BAD_ENUM",
        "outcome": "DQ_BAD_ENUM",
        "ok": "DQ_DUPLICATE_CALL_ID",
        "mismatch": "DQ_AGENCY_MISMATCH",
        "nextday": "DQ_OUT_OF_DAY",
        "prevday": "DQ_OUT_OF_DAY",
        "several": "DQ_BAD_ENUM;DQ_BAD_PHONE;DQ_MISSING_FIELD",
    }
    duplicate = ingested.quarantine[ingested.quarantine["call_id"] == "ok"]
    assert duplicate["row_number"].tolist() == [10]                       # the first is kept
    assert sorted(ingested.accepted["call_id"]) == ["lower", "ok"]
    record = ingested.files[0]
    assert (record.rows_read, record.rows_accepted, record.rows_quarantined) == (15, 2, 13)
    assert record.conserved


def test_quarantine_raw_is_masked(tmp_path):
    rows = [call("phone", "2026-11-27 09:00:00", caller_number="12345",
                 notes="ID 11010519491231002X card 4111 1111 1111 1111 tel " + CUSTOMER)]
    raw = ingest(tmp_path, rows).quarantine.loc[0, "raw"]
    for secret in (CUSTOMER, "11010519491231002X", "4111 1111 1111 1111", "1101051949"):
        assert secret not in raw
    assert "2026-11-27 09:00:00" in raw                  # timestamps stay readable
    assert "5678" in raw                                  # last four digits kept for investigators


def test_quarantine_raw_masks_numbers_written_with_any_separators(tmp_path):
    rows = [call("c1", "2026-11-27 09:00:00", disposition="PICKED_UP", callee_number="138  0013  8000",
                 notes="card 4111.1111.1111.1111, tel +86.138.0013.8000 or 138\t0013\t8000 or 138 - 0013 - 8000")]
    raw = ingest(tmp_path, rows).quarantine.loc[0, "raw"]
    compact = re.sub(r"[\s.+-]", "", raw)
    for secret in ("13800138000", "4111111111111111"):
        assert not [secret[i:i + 7] for i in range(len(secret) - 6) if secret[i:i + 7] in compact], raw
    assert "2026-11-27 09:00:00" in raw


# A CDR file as an agency delivered it: its own column order, a column the contract does not
# know (vendor_ref), optional columns left out, a NUL byte in the notes.
DELIVERED = (b"call_id,vendor_ref,agency_id,agent_id,campaign_id,caller_number,callee_number,start_time,"
             b"end_time,disposition,notes\n"
             b"c1,R-1,AG01,A1,MKT,01065529988,13812345678,2026-11-27 09:00:00,2026-11-27 09:00:00,PICKED_UP,"
             b"hello\x00world\n"
             b"c2,R-2,AG01,A1,MKT,01065529988,13812345678,2026-11-27 10:00:00,2026-11-27 10:00:00,NO_ANSWER,\n"
             b"c3,R-3,AG01\x00,13812345678\n")                                  # malformed: 4 fields
DELIVERED_RAW = [("c1", "DQ_BAD_ENUM", "c1,R-1,AG01,A1,MKT,*******9988,*******5678,2026-11-27 09:00:00,"
                                       "2026-11-27 09:00:00,PICKED_UP,hello\x00world"),
                 ("", "DQ_MALFORMED_ROW", "c3,R-3,AG01\x00,*******5678")]
# quarantine.csv writes NUL (like any control character) as its control picture, U+2400
DELIVERED_CSV = [(call_id, reasons, raw.replace("\x00", "\u2400")) for call_id, reasons, raw in DELIVERED_RAW]


def test_quarantine_raw_is_the_row_as_delivered(tmp_path):
    landing = make_landing(tmp_path / "landing")
    path = landing / "cdr" / DAY.isoformat() / "AG01.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(DELIVERED)
    tables = load_reference(landing, audit_date=DAY, rulepack=PACK)
    ingested = load_calls(landing, day=DAY, contracts=tables["contracts"].accepted, rulepack=PACK)
    assert sorted(ingested.quarantine[["call_id", "reasons", "raw"]].itertuples(index=False, name=None)) \
        == sorted(DELIVERED_RAW)
    assert ingested.accepted["call_id"].tolist() == ["c2"]


def test_reference_quarantine_raw_is_the_row_as_delivered(tmp_path):
    landing = make_landing(tmp_path / "landing")
    (landing / "reference" / "agents.csv").write_bytes(
        b"agent_id,team,agency_id,active_from,trained_on\n"
        b"A1,north,AG01,2025-01-01,2026-06-01\n"
        b"A2,south\x00,AG01,2025-02-30,\n")
    quarantine = load_reference(landing, audit_date=DAY, rulepack=PACK)["agents"].quarantine
    assert quarantine[["row_number", "reasons", "raw"]].values.tolist() == [
        [2, "DQ_BAD_DATE", "A2,south\x00,AG01,2025-02-30,"]]


def test_malformed_row_is_quarantined_whole_and_counted(tmp_path):
    landing = make_landing(tmp_path / "landing")
    path = landing / "cdr" / DAY.isoformat() / "AG01.csv"
    path.parent.mkdir(parents=True)
    good = call("c1", "2026-11-27 09:00:00")
    path.write_text(",".join(CDR_COLUMNS) + "\n" + ",".join(good[c] for c in CDR_COLUMNS) + "\n"
                    + "c2,AG01,A1,MKT,010,13812345678\n", encoding="utf-8")
    tables = load_reference(landing, audit_date=DAY, rulepack=PACK)
    ingested = load_calls(landing, day=DAY, contracts=tables["contracts"].accepted, rulepack=PACK)
    assert ingested.quarantine[["row_number", "reasons"]].values.tolist() == [[2, "DQ_MALFORMED_ROW"]]
    assert CUSTOMER not in ingested.quarantine.loc[0, "raw"]
    assert ingested.accepted["call_id"].tolist() == ["c1"]
    assert ingested.files[0].conserved and ingested.files[0].rows_read == 2


def test_gb18030_file_with_chinese_notes_is_audited(tmp_path):
    landing = make_landing(tmp_path / "landing")
    write_csv(landing / "cdr" / DAY.isoformat() / "AG01.csv",
              [call("c1", "2026-11-27 09:00:00", notes="客户表示月底还款，尾号5678")], CDR_COLUMNS, encoding="gb18030")
    tables = load_reference(landing, audit_date=DAY, rulepack=PACK)
    ingested = load_calls(landing, day=DAY, contracts=tables["contracts"].accepted, rulepack=PACK)
    assert ingested.accepted["notes"].tolist() == ["客户表示月底还款，尾号5678"]
    assert ingested.quarantine.empty


def test_unreadable_file_is_quarantined_and_others_go_on(tmp_path):
    contracts = REFERENCE["contracts"] + [dict(REFERENCE["contracts"][0], agency_id="AG02", contract_id="C2")]
    landing = make_landing(tmp_path / "landing", {DAY: {"AG01": [call("c1", "2026-11-27 09:00:00")]}},
                           contracts=contracts)
    broken = landing / "cdr" / DAY.isoformat() / "AG02.csv"
    broken.write_text("call_id,agency_id\nx1,AG02\nx2,AG02\n", encoding="utf-8")
    tables = load_reference(landing, audit_date=DAY, rulepack=PACK)
    ingested = load_calls(landing, day=DAY, contracts=tables["contracts"].accepted, rulepack=PACK)
    status = {f.agency_id: (f.status, f.rows_read, f.rows_quarantined) for f in ingested.files}
    assert status == {"AG01": ("ok", 1, 0), "AG02": ("unreadable", 2, 2)}
    assert set(ingested.quarantine["reasons"]) == {"DQ_FILE_UNREADABLE"}
    assert ingested.accepted["call_id"].tolist() == ["c1"]


def test_missing_file_of_an_agency_with_a_contract_in_force(tmp_path):
    contracts = REFERENCE["contracts"] + [dict(REFERENCE["contracts"][0], agency_id="AG02", contract_id="C2"),
                                          dict(REFERENCE["contracts"][0], agency_id="AG03", contract_id="C3",
                                               contract_end="2026-11-26")]
    ingested = ingest(tmp_path, [call("c1", "2026-11-27 09:00:00")], contracts=contracts)
    status = {f.agency_id: f.status for f in ingested.files}
    assert status == {"AG01": "ok", "AG02": "missing"}        # AG03's contract ended: no file expected


def test_reference_rows_are_validated_and_quarantined(tmp_path):
    contracts = REFERENCE["contracts"] + [
        dict(REFERENCE["contracts"][0], agency_id="AG 02!", contract_id="C2"),
        dict(REFERENCE["contracts"][0], agency_id="AG03", contract_id="C3", contract_end="2025-01-01"),
        dict(REFERENCE["contracts"][0], agency_id="AG04", contract_id="C1"),
        dict(REFERENCE["contracts"][0], agency_id="AG05", contract_id="C5", permitted_purposes="telesales"),
    ]
    campaigns = REFERENCE["campaigns"] + [dict(campaign_id="X", purpose="sales", product="")]
    landing = make_landing(tmp_path / "landing", contracts=contracts, campaigns=campaigns)
    tables = load_reference(landing, audit_date=DAY, rulepack=PACK)
    quarantined = tables["contracts"].quarantine
    assert dict(zip(quarantined["row_number"], quarantined["reasons"])) == {
        2: "DQ_BAD_KEY", 3: "DQ_DATE_ORDER", 4: "DQ_DUPLICATE_KEY", 5: "DQ_BAD_ENUM"}
    assert tables["contracts"].accepted["agency_id"].tolist() == ["AG01"]
    assert tables["campaigns"].quarantine["reasons"].tolist() == ["DQ_BAD_ENUM"]
    assert all(f.conserved for t in tables.values() for f in t.files)


def test_missing_reference_table_stops_with_a_clear_message(tmp_path):
    from audits.ingest import CannotAudit

    landing = make_landing(tmp_path / "landing")
    (landing / "reference" / "agents.csv").unlink()
    with pytest.raises(CannotAudit, match="Reference table agents is missing"):
        load_reference(landing, audit_date=DAY, rulepack=PACK)


@pytest.mark.parametrize("table", SUITE_TABLES)
def test_every_suite_loads_and_round_trips_through_json(table):
    document = load_suite_document(table)
    suite = load_suite(table)
    assert suite.name == table
    assert len(suite.expectations) == len(document["expectations"])
    again = suite.to_json_dict()
    assert [e["type"] for e in again["expectations"]] == [e["type"] for e in document["expectations"]]
    assert [e["kwargs"] for e in again["expectations"]] == [e["kwargs"] for e in document["expectations"]]
    assert all(e["meta"]["reason"].startswith("DQ_") for e in again["expectations"])


def test_saved_results_load_back_as_gx_results_without_raw_values(tmp_path):
    ingested = ingest(tmp_path, [call("c1", "2026-11-27 09:00:00", callee_number="1381234567")])
    path = tmp_path / "cdr.json"
    path.write_text(json.dumps(ingested.dq_results["cdr"], default=str), encoding="utf-8")
    assert "1381234567" not in path.read_text()
    result = load_result(path)
    assert type(result).__name__ == "ExpectationSuiteValidationResult"
    assert result.success is False
    failed = [r for r in result.results if not r.success]
    assert [r.expectation_config.meta["reason"] for r in failed] == ["DQ_BAD_PHONE"]
    assert failed[0].result["partial_unexpected_index_list"] == [
        {"source": f"cdr/{DAY.isoformat()}/AG01.csv", "row_number": 1}]


def test_an_expectation_that_cannot_run_stops_the_run_instead_of_passing_rows():
    import pandas as pd

    from audits.validation import validate_table

    with pytest.raises(RuntimeError, match="could not run"):
        validate_table(pd.DataFrame({"campaign_id": ["X"], "purpose_code": ["marketing"]}), "campaigns")


def test_batches_of_files_give_the_result_of_one_batch(tmp_path):
    """validate_calls batches whole files (CHUNK_ROWS); one file per batch must quarantine,
    accept and report exactly what one batch of all files does."""
    import datetime as dt

    import pandas as pd

    from audits.ingest import stage_cdr_file, validate_calls
    from audits.loaders import list_cdr_files
    from audits.sample import write_sample_landing

    day = dt.date(2026, 11, 27)
    landing = tmp_path / "landing"
    write_sample_landing(landing, start=day, days=1, agencies=4, calls_per_day=3000, seed=5)

    def staged():
        return [stage_cdr_file(landing, path, agency_id=agency, day=day, local_zone="Asia/Shanghai", rulepack=PACK)
                for agency, path in sorted(list_cdr_files(landing, day).items())]

    one = validate_calls(staged(), day=day)
    many = validate_calls(staged(), day=day, chunk_rows=1)
    assert one.quarantine["source"].nunique() >= 2                    # failing rows in several batches
    pd.testing.assert_frame_equal(one.accepted, many.accepted)
    pd.testing.assert_frame_equal(one.quarantine, many.quarantine)
    assert [f.rows_accepted for f in one.files] == [f.rows_accepted for f in many.files]
    whole, merged = one.dq_results["cdr"], many.dq_results["cdr"]
    assert merged["statistics"] == whole["statistics"] and merged["success"] == whole["success"]
    for a, b in zip(whole["results"], merged["results"]):
        assert a["success"] == b["success"], a["expectation_config"]
        for key, value in a["result"].items():
            if key == "partial_unexpected_index_list":
                assert len(b["result"][key]) == len(value)
            elif isinstance(value, float):
                assert b["result"][key] == pytest.approx(value), key
            else:
                assert b["result"][key] == value, key
