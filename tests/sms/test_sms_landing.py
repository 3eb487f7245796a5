"""SMS files in the landing zone (sms.md §1): found under sms/<D>/ by the CDRs' file rules, read
by the CDRs' readers (every encoding and form gives the same messages), links and oversized
files refused, two files of one agency a conflict, strays recorded, missing files reported
where the contract includes sms."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from audits.ingest import stray_files
from audits.ingest_sms import missing_sms_files
from audits.ingest_sms import validate_messages as validate
from audits.loaders import list_sms_files, scan_sms_folder
from audits.models import QUARANTINE_COLUMNS, TABLE_COLUMNS
from audits.rules.messages.inputs import MESSAGE_COLUMNS
from audits.tables import type_reference
from tests.landing import CUSTOMER_E164, DAY
from tests.sms.messages import PACK, ingest_day, message, reply, sms_path, stage, write_sms

FOLDER = f"sms/{DAY.isoformat()}"
CONTRACT_COLUMNS = list(TABLE_COLUMNS["contracts"][0] + TABLE_COLUMNS["contracts"][1])
ROWS = [message("m1", f"{DAY} 09:00:00", text="【华信】尊敬的客户，您的账单已出。回复T退订"),
        message("m2", f"{DAY} 09:30:00+08:00", status="pending", agent_id="A1", customer_tz="Asia/Shanghai"),
        reply("r1", f"{DAY} 11:00:00", text="退订"),
        message("m3", f"{DAY}T20:59:59", sender="+10690-0001 234", customer_number="+86 138 1234 5678")]


def test_the_sms_folder_is_scanned_as_the_cdr_folder(tmp_path):
    write_sms(tmp_path, ROWS, agency_id="AG01")
    write_sms(tmp_path, ROWS, agency_id="AG02", form="gzip")
    (sms_path(tmp_path, "AG02", ".parquet")).write_bytes(b"PAR1")
    (tmp_path / "sms" / DAY.isoformat() / "notes.txt").write_text("x")
    (tmp_path / "cdr" / DAY.isoformat()).mkdir(parents=True)
    (tmp_path / "cdr" / DAY.isoformat() / "AG09.csv").write_text("x")          # a CDR file, not a text file
    folder = scan_sms_folder(tmp_path, DAY)
    assert sorted(folder.files) == ["AG01", "AG02"]
    assert [p.name for p in folder.files["AG02"]] == ["AG02.csv.gz", "AG02.parquet"]
    assert [p.name for p in folder.strays] == ["notes.txt"]
    assert {a: p.name for a, p in list_sms_files(tmp_path, DAY).items()} == {"AG01": "AG01.csv", "AG02": "AG02.csv.gz"}


def test_an_absent_sms_folder_holds_nothing(tmp_path):
    assert scan_sms_folder(tmp_path, DAY).files == {} and list_sms_files(tmp_path, DAY) == {}
    assert stray_files(tmp_path, day=DAY) == []


@pytest.mark.parametrize("form", ["utf-8", "utf-8-sig", "gb18030", "gzip", "parquet", "reordered", "header case",
                                  "crlf quoted", "extra column", "spaces and case"])
def test_every_form_of_one_file_gives_the_same_accepted_messages(tmp_path, form):
    expected = ingest_day(_landing(tmp_path / "plain", "utf-8")).accepted
    got = ingest_day(_landing(tmp_path / "other", form))
    assert got.quarantine.empty
    assert list(got.accepted.columns) == list(MESSAGE_COLUMNS)
    pd.testing.assert_frame_equal(got.accepted, expected)
    assert list(expected["message_id"]) == ["m1", "m2", "r1", "m3"]           # message order
    assert expected["customer_e164"].iloc[0] == CUSTOMER_E164
    assert list(expected["sender_digits"]) == ["106900001234"] * 4
    assert list(expected["status_code"].fillna("")) == ["DELIVERED", "PENDING", "", "DELIVERED"]
    assert [f.rows_read for f in got.files] == [4] and got.files[0].conserved


def _landing(root, form):
    columns = None
    if form == "reordered":
        columns = ["text", "status", "sent_at", "customer_number", "sender", "direction", "campaign_id",
                   "agent_id", "agency_id", "message_id", "customer_tz"]
    if form in ("crlf quoted", "extra column", "spaces and case"):
        sms_path(root).write_bytes(_written(form).encode("utf-8"))
        return root
    if form == "header case":
        rows = [{k.upper() if i % 2 else f" {k.title()} ": v for i, (k, v) in enumerate(r.items())} for r in ROWS]
        write_sms(root, rows, columns=list(rows[0]))
        return root
    write_sms(root, ROWS, form=form if form in ("utf-8", "utf-8-sig", "gb18030", "gzip", "parquet") else "utf-8",
              columns=columns)
    return root


def _written(form: str) -> str:
    """ROWS as CSV text written another way: every field quoted with CRLF line ends, an extra
    column the contract does not know, or values padded with spaces and enumerations in lower case."""
    import csv
    import io

    rows, columns = [dict(row) for row in ROWS], list(ROWS[0])
    if form == "extra column":
        columns.insert(3, "operator_note")
        rows = [dict(row, operator_note="n/a") for row in rows]
    if form == "spaces and case":
        rows = [{k: (f"  {v.lower() if k in ('direction', 'status') else v} " if v else v) for k, v in row.items()}
                for row in rows]
    buffer = io.StringIO()
    crlf = form == "crlf quoted"
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n" if crlf else "\n",
                            quoting=csv.QUOTE_ALL if crlf else csv.QUOTE_MINIMAL)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def test_a_gb18030_file_is_read_as_gb18030(tmp_path):
    path = write_sms(tmp_path, ROWS, form="gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    got = ingest_day(tmp_path)
    assert got.accepted["text"].iloc[0] == "【华信】尊敬的客户，您的账单已出。回复T退订"


def test_a_link_is_refused_and_the_other_agencies_are_audited(tmp_path):
    target = tmp_path / "elsewhere.csv"
    target.write_text("daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n", encoding="utf-8")
    os.symlink(target, sms_path(tmp_path, "AG01"))
    write_sms(tmp_path, [message("m1", agency_id="AG02")], agency_id="AG02")
    got = ingest_day(tmp_path)
    bad, good = got.files
    assert (bad.path, bad.status, bad.rows_read) == (f"{FOLDER}/AG01.csv", "unreadable", 0)
    assert list(got.quarantine["reasons"]) == ["DQ_FILE_UNREADABLE"]
    assert "daemon" not in got.quarantine.to_csv()
    assert (good.status, good.rows_accepted) == ("ok", 1) and list(got.accepted["message_id"]) == ["m1"]


def test_two_files_of_one_agency_are_a_conflict_none_audited(tmp_path):
    write_sms(tmp_path, ROWS)
    write_sms(tmp_path, ROWS, form="parquet")
    got = ingest_day(tmp_path)
    assert got.accepted.empty and list(got.accepted.columns) == list(MESSAGE_COLUMNS)
    assert [(f.path, f.status, f.table) for f in got.files] == [
        (f"{FOLDER}/AG01.csv", "unreadable", "sms"), (f"{FOLDER}/AG01.parquet", "unreadable", "sms")]
    assert all(f.sha256 for f in got.files)
    assert "which one holds the day's text messages cannot be known" in got.files[0].message
    assert list(got.quarantine["reasons"]) == ["DQ_FILE_UNREADABLE"] * 2


def test_a_file_over_the_size_cap_is_unreadable(tmp_path):
    path = write_sms(tmp_path, ROWS, form="gzip")
    staged = stage(tmp_path, path, max_bytes=100)
    assert staged.record.status == "unreadable" and "more than 100 bytes" in staged.record.message
    assert list(staged.set_aside.columns) == list(QUARANTINE_COLUMNS)


def test_a_bad_sms_file_never_stops_the_others(tmp_path):
    sms_path(tmp_path, "AG01").write_text("message_id,agency_id\nm1,AG01\n", encoding="utf-8")   # columns absent
    write_sms(tmp_path, [message("m9", agency_id="AG02")], agency_id="AG02")
    got = ingest_day(tmp_path)
    assert [f.status for f in got.files] == ["unreadable", "ok"]
    assert got.files[0].rows_read == got.files[0].rows_quarantined == 1
    assert list(got.quarantine["call_id"]) == ["m1"] and got.quarantine["raw"].tolist() == [""]
    assert list(got.accepted["message_id"]) == ["m9"]


def test_no_sms_file_validates_to_no_messages(tmp_path):
    got = validate([], day=DAY)
    assert got.accepted.empty and list(got.accepted.columns) == list(MESSAGE_COLUMNS)


def test_stray_entries_of_the_sms_folder_are_recorded(tmp_path):
    write_sms(tmp_path, ROWS)
    (tmp_path / "sms" / DAY.isoformat() / "AG01.aside.csv").write_text("x")
    (tmp_path / "sms" / DAY.isoformat() / "old").mkdir()
    strays = stray_files(tmp_path, day=DAY)
    assert [(f.path, f.table, f.status) for f in strays] == [
        (f"{FOLDER}/AG01.aside.csv", "sms", "ignored"), (f"{FOLDER}/old", "sms", "ignored")]
    assert "an SMS file is named <agency_id>.csv" in strays[0].message


def _contracts(**channels: str) -> pd.DataFrame:
    rows = [dict(agency_id=agency, contract_id=f"C-{agency}", contract_start="2026-01-01",
                 contract_end="2026-12-31", permitted_purposes="marketing", channels=value)
            for agency, value in channels.items()]
    frame = pd.DataFrame(rows, columns=CONTRACT_COLUMNS, dtype="str").replace("", pd.NA)
    return type_reference("contracts", frame, bank_zone=PACK.bank_timezone, region=PACK.default_region)


def test_a_missing_sms_file_is_reported_only_where_the_contract_includes_sms(tmp_path):
    contracts = _contracts(AG01="call;sms", AG02="SMS", AG03="call", AG04="")
    write_sms(tmp_path, ROWS, agency_id="AG02")
    missing = missing_sms_files(tmp_path, day=DAY, contracts=contracts)
    assert [(f.agency_id, f.path, f.status, f.table) for f in missing] == [
        ("AG01", f"{FOLDER}/AG01.csv", "missing", "sms")]
    assert "C-AG01" in missing[0].message
    assert missing_sms_files(tmp_path, day=DAY, contracts=contracts, agencies=("AG02", "AG03")) == []


def test_a_contract_permitting_only_texts_owes_no_cdr_file(tmp_path):
    from audits.ingest import missing_files

    contracts = _contracts(AG01="call;sms", AG02="sms", AG03="", AG04="SMS ; Call")
    (tmp_path / "cdr" / DAY.isoformat()).mkdir(parents=True)
    assert [f.agency_id for f in missing_files(tmp_path, day=DAY, contracts=contracts)] == ["AG01", "AG03", "AG04"]


def test_no_contract_with_sms_expects_no_sms_folder(tmp_path):
    assert missing_sms_files(tmp_path, day=DAY, contracts=_contracts(AG01="call", AG02="")) == []
    assert not (tmp_path / "sms").exists()


def test_a_stray_of_the_sms_folder_is_an_input_of_the_report_and_verify_passes(tmp_path):
    from audits.cli import main as cli
    from tests.landing import call, make_landing

    landing = make_landing(tmp_path / "landing", {DAY: {"AG01": [call("c1", f"{DAY} 10:00:00")]}})
    (landing / "sms" / DAY.isoformat()).mkdir(parents=True)
    (landing / "sms" / DAY.isoformat() / "notes.txt").write_text("delivered by mistake\n", encoding="utf-8")
    report = tmp_path / "out" / DAY.isoformat()
    assert cli(["run", "--date", DAY.isoformat(), "--landing", str(landing), "--out", str(tmp_path / "out"),
                "--store", str(tmp_path / "store"), "--run-id", "r1", "--workers", "1"]) == 0
    inputs = {e["path"]: e for e in json.loads((report / "manifest.json").read_text(encoding="utf-8"))["inputs"]}
    assert inputs[f"{FOLDER}/notes.txt"]["status"] == "ignored" and inputs[f"{FOLDER}/notes.txt"]["table"] == "sms"
    assert cli(["verify", str(report), "--strict-inputs"]) == 0
