"""Hostile and odd landing files, end to end: each is reported (DQ_FILE_UNREADABLE, or "not an
agency file") and the audit of the other agencies goes on."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json
import os
import re
import shutil
import tracemalloc
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from audits.cli import main as cli
from audits.config import AuditConfig
from audits.loaders import FileUnreadable, read_table
from audits.models import TABLE_COLUMNS
from audits.pipeline import run_audit
from tests.landing import CALLER, CUSTOMER, DAY, OTHER, REFERENCE, call, config_for, make_landing, write_csv

CDR_COLUMNS = list(TABLE_COLUMNS["cdr"][0] + TABLE_COLUMNS["cdr"][1])
CONTRACT_COLUMNS = list(TABLE_COLUMNS["contracts"][0] + TABLE_COLUMNS["contracts"][1])
FOLDER = f"cdr/{DAY.isoformat()}"


def _landing(tmp_path, **agencies):
    """AG01 delivers one clean call; `agencies` adds more files (name -> rows)."""
    return make_landing(tmp_path / "landing", {DAY: {"AG01": [call("c1", "2026-11-27 10:00:00")], **agencies}})


def _cdr_folder(tmp_path):
    return tmp_path / "landing" / FOLDER


def _run_cli(tmp_path, *extra):
    return cli(["run", "--date", DAY.isoformat(), "--landing", str(tmp_path / "landing"), "--out",
                str(tmp_path / "out"), "--store", str(tmp_path / "store"), "--run-id", "r1", "--workers", "1",
                *extra])


def _manifest(tmp_path):
    return json.loads((tmp_path / "out" / DAY.isoformat() / "manifest.json").read_text(encoding="utf-8"))


def _inputs(tmp_path) -> dict[str, dict]:
    return {entry["path"]: entry for entry in _manifest(tmp_path)["inputs"]}


def _quarantine(tmp_path) -> list[list[str]]:
    import csv

    with (tmp_path / "out" / DAY.isoformat() / "quarantine.csv").open(encoding="utf-8") as handle:
        return list(csv.reader(handle))[1:]


def _scores(tmp_path) -> dict[str, dict]:
    import csv

    with (tmp_path / "out" / DAY.isoformat() / "scores.csv").open(encoding="utf-8") as handle:
        return {row["agency_id"]: row for row in csv.DictReader(handle)}


def _parquet(path, rows: list[dict], **columns) -> None:
    """rows as a Parquet file of text columns, plus any `columns` given as Arrow arrays."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {c: pa.array([r[c] or None for r in rows], pa.string()) for c in CDR_COLUMNS}
    data.update(columns)
    pq.write_table(pa.table(data), path)


# --- columns that are one column once trimmed and case-folded ----------------------------------

def test_parquet_columns_equal_but_for_case_and_spaces_make_the_file_unreadable(tmp_path):
    _landing(tmp_path)
    rows = [call("p1", "2026-11-27 11:00:00", agency_id="AG02", callee_number=CUSTOMER)]
    _parquet(_cdr_folder(tmp_path) / "AG02.parquet", rows, **{"Callee_Number ": pa.array([OTHER])})
    assert _run_cli(tmp_path) == 0
    entry = _inputs(tmp_path)[f"{FOLDER}/AG02.parquet"]
    assert entry["status"] == "unreadable"
    assert "'callee_number' and 'Callee_Number '" in entry["message"]
    assert [q[5] for q in _quarantine(tmp_path) if q[1].endswith("AG02.parquet")] == ["DQ_FILE_UNREADABLE"]
    assert _scores(tmp_path)["AG02"]["assessed"] == "false" and _scores(tmp_path)["AG01"]["assessed"] == "true"


def test_contracts_xlsx_with_timezone_and_Timezone_stops_the_run_with_a_clear_message(tmp_path, capsys):
    import openpyxl

    landing = _landing(tmp_path)
    (landing / "reference" / "contracts.csv").unlink()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    contract = REFERENCE["contracts"][0]
    sheet.append(CONTRACT_COLUMNS + ["Timezone "])
    sheet.append([contract.get(c, "") for c in CONTRACT_COLUMNS] + ["Europe/London"])
    workbook.save(landing / "reference" / "contracts.xlsx")
    assert _run_cli(tmp_path) == 2
    message = capsys.readouterr().err
    assert "Reference table contracts cannot be read" in message
    assert "names a column twice: 'timezone' and 'Timezone '" in message


# --- which files are an agency's -------------------------------------------------------------

def test_two_files_of_one_agency_for_one_day_are_both_unreadable_and_named(tmp_path):
    _landing(tmp_path)
    _parquet(_cdr_folder(tmp_path) / "AG01.parquet", [call("c9", "2026-11-27 12:00:00")])
    assert _run_cli(tmp_path) == 0
    inputs = _inputs(tmp_path)
    for name in ("AG01.csv", "AG01.parquet"):
        entry = inputs[f"{FOLDER}/{name}"]
        assert entry["status"] == "unreadable" and entry["agency_id"] == "AG01"
        assert "AG01.csv, AG01.parquet" in entry["message"] and len(entry["sha256"]) == 64
    assert sorted((q[1], q[5]) for q in _quarantine(tmp_path)) == [
        (f"{FOLDER}/AG01.csv", "DQ_FILE_UNREADABLE"), (f"{FOLDER}/AG01.parquet", "DQ_FILE_UNREADABLE")]
    scores = _scores(tmp_path)
    assert list(scores) == ["AG01"] and scores["AG01"]["assessed"] == "false"
    assert scores["AG01"]["file_status"] == "unreadable"
    assert cli(["verify", str(tmp_path / "out" / DAY.isoformat())]) == 0


def test_an_upper_case_suffix_is_an_agency_file(tmp_path):
    landing = make_landing(tmp_path / "landing")
    write_csv(landing / FOLDER / "AG01.CSV", [call("c1", "2026-11-27 10:00:00")], CDR_COLUMNS)
    assert _run_cli(tmp_path) == 0
    entry = _inputs(tmp_path)[f"{FOLDER}/AG01.CSV"]
    assert (entry["status"], entry["rows"], entry["rows_accepted"]) == ("ok", 1, 1)
    assert _scores(tmp_path)["AG01"]["file_status"] == "ok"


# --- a first line over csv's field limit ------------------------------------------------------

def test_a_first_line_over_the_csv_field_limit_quarantines_that_file_only(tmp_path):
    _landing(tmp_path)
    (_cdr_folder(tmp_path) / "AG02.csv").write_text("x" * 140_000 + "\n" + "a,b\n", encoding="utf-8")
    assert _run_cli(tmp_path) == 0
    entry = _inputs(tmp_path)[f"{FOLDER}/AG02.csv"]
    assert entry["status"] == "unreadable" and "line 1 cannot be read as a CSV header row" in entry["message"]
    assert _inputs(tmp_path)[f"{FOLDER}/AG01.csv"]["rows_accepted"] == 1


# --- a gzip bomb ------------------------------------------------------------------------

def test_a_gzip_bomb_is_refused_at_the_cap_and_the_others_are_audited(tmp_path):
    _landing(tmp_path)
    rows = "".join(f"b{i},AG02,A1,MKT,{CALLER},{CUSTOMER},2026-11-27 10:00:00,,2026-11-27 10:00:00,NO_ANSWER,,,\n"
                   for i in range(40_000))
    (_cdr_folder(tmp_path) / "AG02.csv.gz").write_bytes(gzip.compress((",".join(CDR_COLUMNS) + "\n" + rows).encode()))
    config = dataclasses.replace(config_for(tmp_path), max_file_bytes=1024 * 1024)
    result = run_audit(config)
    entry = next(e for e in result.manifest["inputs"] if e["path"] == f"{FOLDER}/AG02.csv.gz")
    assert entry["status"] == "unreadable"
    assert "decompresses to more than 1,048,576 bytes" in entry["message"] and "max_file_bytes" in entry["message"]
    assert next(e for e in result.manifest["inputs"] if e["path"] == f"{FOLDER}/AG01.csv")["rows_accepted"] == 1
    assert AuditConfig.__dataclass_fields__["max_file_bytes"].default == 4 * 1024 ** 3


def test_a_gzip_bomb_is_decompressed_as_a_stream_never_whole(tmp_path):
    bomb = tmp_path / "AG02.csv.gz"
    bomb.write_bytes(gzip.compress(b"\0" * (64 << 20), compresslevel=1))       # 64 MiB of zeros in ~64 KB
    tracemalloc.start()
    try:
        with pytest.raises(FileUnreadable, match="decompresses to more than 1,048,576 bytes"):
            read_table(bomb, "cdr", max_bytes=1 << 20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20


def test_the_cap_is_a_run_option(tmp_path):
    _landing(tmp_path)
    big = "".join(f"b{i},AG02,A1,MKT,{CALLER},{CUSTOMER},2026-11-27 10:00:00,,2026-11-27 10:00:00,NO_ANSWER,,,\n"
                  for i in range(20_000))
    (_cdr_folder(tmp_path) / "AG02.csv").write_text(",".join(CDR_COLUMNS) + "\n" + big, encoding="utf-8")
    assert _run_cli(tmp_path, "--max-file-gib", "0.001") == 0                 # ~1 MiB: the 2 MB file is refused
    assert "holds more than 1,073,741 bytes" in _inputs(tmp_path)[f"{FOLDER}/AG02.csv"]["message"]


# --- names that are not agency files --------------------------------------------------------

def test_files_that_are_not_agency_files_are_listed_and_the_run_goes_on(tmp_path):
    _landing(tmp_path)
    write_csv(_cdr_folder(tmp_path) / "AG01.aside.csv", [call("c7", "2026-11-27 10:00:00")], CDR_COLUMNS)
    write_csv(_cdr_folder(tmp_path) / ".csv", [call("c8", "2026-11-27 10:00:00")], CDR_COLUMNS)
    assert _run_cli(tmp_path) == 0
    inputs = _inputs(tmp_path)
    for name in ("AG01.aside.csv", ".csv"):
        entry = inputs[f"{FOLDER}/{name}"]
        assert entry["status"] == "ignored" and entry["agency_id"] == "" and len(entry["sha256"]) == 64
        assert "is not an agency file" in entry["message"]
    assert inputs[f"{FOLDER}/AG01.csv"]["rows_accepted"] == 1
    assert list(_scores(tmp_path)) == ["AG01"]
    index = (tmp_path / "out" / DAY.isoformat() / "index.html").read_text(encoding="utf-8")
    assert "Files not audited" in index and f"{FOLDER}/AG01.aside.csv" in index and f"{FOLDER}/.csv" in index
    assert cli(["verify", str(tmp_path / "out" / DAY.isoformat())]) == 0


# --- every row of a file malformed ----------------------------------------------------------

def test_a_file_whose_every_line_is_malformed_is_quarantined_row_by_row(tmp_path):
    landing = make_landing(tmp_path / "landing")
    (landing / FOLDER).mkdir(parents=True)
    (landing / FOLDER / "AG01.csv").write_text(",".join(CDR_COLUMNS) + "\nc1,AG01,x\nc2,AG01\n", encoding="utf-8")
    assert _run_cli(tmp_path) == 0
    entry = _inputs(tmp_path)[f"{FOLDER}/AG01.csv"]
    assert (entry["rows"], entry["rows_accepted"], entry["rows_quarantined"]) == (2, 0, 2)
    assert [(q[3], q[5]) for q in _quarantine(tmp_path)] == [("1", "DQ_MALFORMED_ROW"), ("2", "DQ_MALFORMED_ROW")]
    assert _manifest(tmp_path)["row_conservation"]["ok"] is True


# --- contracts.xlsx cells --------------------------------------------------------------------

def _contracts_xlsx(landing, **cells):
    """contracts.xlsx of the one default contract, with `cells` replacing its values."""
    import openpyxl

    (landing / "reference" / "contracts.csv").unlink()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(CONTRACT_COLUMNS)
    sheet.append([cells.get(c, REFERENCE["contracts"][0].get(c, "")) or None for c in CONTRACT_COLUMNS])
    path = landing / "reference" / "contracts.xlsx"
    workbook.save(path)
    return path, sheet


def _with_cached_values(path, values: dict[str, str]) -> None:
    """Store a text value for formulas (cell -> value), as a spreadsheet program does on saving."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for cell, value in values.items():
        sheet, replaced = re.subn(rf'<c r="{cell}"([^>]*)>(<f>.*?</f>)<v></v>', rf'<c r="{cell}"\1 t="str">\2<v>{value}</v>',
                                  sheet)
        assert replaced == 1, cell
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_contract_formulas_without_saved_values_quarantine_the_row(tmp_path):
    landing = _landing(tmp_path)
    _contracts_xlsx(landing, licence_no='="L-"&1', nda_expiry="=DATE(2027,12,31)")
    assert _run_cli(tmp_path) == 0
    entry = _inputs(tmp_path)["reference/contracts.xlsx"]
    assert (entry["rows"], entry["rows_accepted"], entry["rows_quarantined"]) == (1, 0, 1)
    assert "2 cell(s) hold a formula whose value was never saved (H2, K2)" in entry["message"]
    assert "must be saved by a spreadsheet program" in entry["message"]
    [row] = [q for q in _quarantine(tmp_path) if q[1] == "reference/contracts.xlsx"]
    assert row[5] == "DQ_BAD_DATE;DQ_MISSING_FIELD"
    assert '=DATE(' in row[6] and ',12,31)' in row[6]      # the cell as the workbook holds it (digit runs masked)


def test_contract_formulas_are_read_as_their_saved_values(tmp_path):
    landing = _landing(tmp_path)
    path, _ = _contracts_xlsx(landing, licence_no='="L-"&1', nda_expiry='=TEXT(DATE(2027,12,31),"yyyy-mm-dd")')
    _with_cached_values(path, {"H2": "L-1", "K2": "2027-12-31"})
    frame = read_table(path, "contracts").frame
    assert (frame.loc[0, "licence_no"], frame.loc[0, "nda_expiry"]) == ("L-1", "2027-12-31")
    assert not frame.loc[0, "formula_without_value"]
    assert _run_cli(tmp_path) == 0
    entry = _inputs(tmp_path)["reference/contracts.xlsx"]
    assert (entry["rows_accepted"], entry["message"]) == (1, "")


def test_a_contract_date_with_a_midnight_time_is_that_date(tmp_path):
    landing = _landing(tmp_path)
    path, _ = _contracts_xlsx(landing, contract_start=dt.datetime(2026, 1, 1, 0, 0), contract_end="2026-12-31 00:00")
    assert _run_cli(tmp_path) == 0
    entry = _inputs(tmp_path)["reference/contracts.xlsx"]
    assert (entry["rows_accepted"], entry["rows_quarantined"]) == (1, 0)
    violations = (tmp_path / "out" / DAY.isoformat() / "violations.csv").read_text(encoding="utf-8")
    assert "QUAL_NO_CONTRACT" not in violations


# --- a Parquet timestamp at midnight --------------------------------------------------------

def test_a_parquet_timestamp_at_midnight_is_a_timestamp(tmp_path):
    landing = make_landing(tmp_path / "landing")
    rows = [call("m1", "", callee_number=CUSTOMER)]
    _parquet(landing / FOLDER / "AG01.parquet", rows,
             start_time=pa.array([dt.datetime(2026, 11, 27, 0, 0, 0)], pa.timestamp("us")),
             end_time=pa.array([dt.datetime(2026, 11, 27, 0, 0, 30)], pa.timestamp("us")))
    assert _run_cli(tmp_path) == 0
    entry = _inputs(tmp_path)[f"{FOLDER}/AG01.parquet"]
    assert (entry["rows_accepted"], entry["rows_quarantined"]) == (1, 0)
    violations = (tmp_path / "out" / DAY.isoformat() / "violations.csv").read_text(encoding="utf-8")
    assert "FREQ_CALLING_HOURS" in violations and "2026-11-27T00:00:00+08:00" in violations


# --- Excel's sep=, first line ----------------------------------------------------------------

def test_a_separator_hint_line_is_unreadable_and_its_rows_are_counted(tmp_path):
    _landing(tmp_path)
    lines = [",".join(call(f"s{i}", "2026-11-27 10:00:00", agency_id="AG02").values()) for i in range(3)]
    (_cdr_folder(tmp_path) / "AG02.csv").write_text("sep=,\n" + ",".join(CDR_COLUMNS) + "\n" + "\n".join(lines) + "\n",
                                                    encoding="utf-8")
    assert _run_cli(tmp_path) == 0
    entry = _inputs(tmp_path)[f"{FOLDER}/AG02.csv"]
    assert (entry["status"], entry["rows"], entry["rows_quarantined"]) == ("unreadable", 3, 3)
    assert "separator hint ('sep=,')" in entry["message"] and "Delete that line" in entry["message"]
    assert [(q[3], q[4], q[5]) for q in _quarantine(tmp_path) if q[1].endswith("AG02.csv")] == [
        ("1", "s0", "DQ_FILE_UNREADABLE"), ("2", "s1", "DQ_FILE_UNREADABLE"), ("3", "s2", "DQ_FILE_UNREADABLE")]
    assert _manifest(tmp_path)["row_conservation"]["ok"] is True


# --- an agency file that cannot be opened ------------------------------------------------------

def test_an_agency_file_that_cannot_be_opened_is_unreadable_and_the_day_is_audited(tmp_path):
    landing = _landing(tmp_path)
    shutil.rmtree(landing / FOLDER)
    (landing / FOLDER / "AG01.csv").mkdir(parents=True)                       # a directory where the file should be
    os.mkfifo(landing / FOLDER / "AG02.csv")                                 # a FIFO: reading it would wait forever
    os.symlink(tmp_path / "nowhere.csv", landing / FOLDER / "AG03.csv")      # a dangling link
    write_csv(landing / FOLDER / "AG04.csv", [call("c4", "2026-11-27 10:00:00", agency_id="AG04")], CDR_COLUMNS)
    assert _run_cli(tmp_path) == 0
    inputs = _inputs(tmp_path)
    for name, reason in (("AG01.csv", "Is a directory"), ("AG02.csv", "not a regular file"),
                         ("AG03.csv", "is a link")):
        entry = inputs[f"{FOLDER}/{name}"]
        assert (entry["status"], entry["sha256"]) == ("unreadable", ""), name
        assert reason in entry["message"], entry["message"]
    assert inputs[f"{FOLDER}/AG04.csv"]["rows"] == 1
    assert {a: s["file_status"] for a, s in _scores(tmp_path).items()} == {
        "AG01": "unreadable", "AG02": "unreadable", "AG03": "unreadable", "AG04": "ok"}
    assert cli(["verify", str(tmp_path / "out" / DAY.isoformat())]) == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a mode-000 file; the directory, FIFO and link cases "
                                              "above reproduce the same OSError path")
def test_an_agency_file_without_read_permission_is_unreadable(tmp_path):
    landing = _landing(tmp_path)
    (landing / FOLDER / "AG01.csv").chmod(0)
    try:
        assert _run_cli(tmp_path) == 0
        entry = _inputs(tmp_path)[f"{FOLDER}/AG01.csv"]
        assert entry["status"] == "unreadable" and "Permission denied" in entry["message"]
    finally:
        (landing / FOLDER / "AG01.csv").chmod(0o644)


def test_a_reference_table_suffix_in_upper_case_is_found(tmp_path):
    landing = _landing(tmp_path)
    (landing / "reference" / "campaigns.csv").rename(landing / "reference" / "campaigns.CSV")
    assert _run_cli(tmp_path) == 0
    assert _inputs(tmp_path)["reference/campaigns.CSV"]["rows_accepted"] == 3
