"""Loaders: every encoding and format of the landing zone, typed values, clear errors."""

from __future__ import annotations

import gzip

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from audits.loaders import FileUnreadable, list_cdr_files, read_table
from audits.phones import normalise_phones
from audits.values import parse_dates, parse_lists, parse_timestamps

HEADER = "call_id,agency_id,agent_id,campaign_id,caller_number,callee_number,start_time,answer_time,end_time,disposition,outcome,notes,callee_tz\n"
ROW = "c1,AG01,A1,MKT,01065529988,13812345678,2026-11-27 09:00:00,,2026-11-27 09:01:00,NO_ANSWER,,客户说月底还款,\n"


def test_utf8_csv_is_read_as_trimmed_text_with_blanks_as_null(tmp_path):
    path = tmp_path / "AG01.csv"
    path.write_text(HEADER + "c1 , AG01,A1,MKT,01065529988,13812345678,2026-11-27 09:00:00,  ,2026-11-27 09:01:00,NO_ANSWER,,,\n",
                    encoding="utf-8")
    table = read_table(path, "cdr")
    assert table.encoding == "utf-8"
    assert table.frame.loc[0, "call_id"] == "c1"
    assert table.frame.loc[0, "agency_id"] == "AG01"
    assert pd.isna(table.frame.loc[0, "answer_time"])
    assert table.frame.loc[0, "row_number"] == 1
    assert table.rows_read == 1


def test_utf8_with_bom_and_gb18030_are_detected(tmp_path):
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + (HEADER + ROW).encode("utf-8"))
    gb = tmp_path / "gb.csv"
    gb.write_bytes((HEADER + ROW).encode("gb18030"))
    with pytest.raises(UnicodeDecodeError):
        gb.read_bytes().decode("utf-8")
    assert read_table(bom, "cdr").encoding == "utf-8-sig"
    assert read_table(bom, "cdr").frame.loc[0, "call_id"] == "c1"      # the BOM is not in the header
    gb_table = read_table(gb, "cdr")
    assert gb_table.encoding == "gb18030"
    assert gb_table.frame.loc[0, "notes"] == "客户说月底还款"


def test_gzip_csv_and_a_truncated_gzip(tmp_path):
    good = tmp_path / "AG01.csv.gz"
    data = gzip.compress((HEADER + ROW).encode("utf-8"))
    good.write_bytes(data)
    assert read_table(good, "cdr").frame.loc[0, "callee_number"] == "13812345678"
    broken = tmp_path / "AG02.csv.gz"
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises(FileUnreadable, match="AG02.csv.gz.*gzip"):
        read_table(broken, "cdr")


def test_parquet_is_read_as_text(tmp_path):
    path = tmp_path / "AG01.parquet"
    table = pa.table({c: [v] for c, v in zip(HEADER.strip().split(","), ROW.strip("\n").split(","))})
    pq.write_table(table, path)
    frame = read_table(path, "cdr").frame
    assert frame.loc[0, "start_time"] == "2026-11-27 09:00:00"
    assert pd.isna(frame.loc[0, "outcome"])


def test_contracts_as_xlsx_first_sheet_with_real_dates(tmp_path):
    import datetime as dt

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["agency_id", "agency_name", "contract_id", "contract_start", "contract_end", "licence_no"])
    sheet.append(["AG01", "华信", "C1", dt.datetime(2026, 1, 1), "2026-12-31", 12345])
    workbook.create_sheet("other").append(["ignored"])
    path = tmp_path / "contracts.xlsx"
    workbook.save(path)
    frame = read_table(path, "contracts").frame
    assert frame.loc[0, "contract_start"] == "2026-01-01"
    assert frame.loc[0, "contract_end"] == "2026-12-31"
    assert frame.loc[0, "licence_no"] == "12345"
    assert pd.isna(frame.loc[0, "nda_signed"])           # optional column absent -> null


def test_missing_required_column_names_file_and_column(tmp_path):
    path = tmp_path / "AG01.csv"
    path.write_text(HEADER.replace("callee_number,", "") + ROW.replace("13812345678,", ""), encoding="utf-8")
    with pytest.raises(FileUnreadable, match=r"AG01.csv: required column callee_number is absent") as caught:
        read_table(path, "cdr")
    assert len(caught.value.rows) == 1                   # the rows are still there, to be quarantined


def test_empty_file_and_undecodable_file(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(FileUnreadable, match="empty"):
        read_table(empty, "cdr")
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(HEADER.encode() + b"\x81\x30\xff\xfe\x00\x81")
    with pytest.raises(FileUnreadable, match="neither UTF-8 nor GB18030"):
        read_table(garbage, "cdr")


def test_malformed_lines_are_set_aside_not_shifted(tmp_path):
    path = tmp_path / "AG01.csv"
    path.write_text(HEADER + ROW + "c2,AG01,A1,13812345678,only,five\n" + ROW.replace("c1", "c3"),
                    encoding="utf-8")
    table = read_table(path, "cdr")
    assert table.frame["call_id"].tolist() == ["c1", "c3"]
    assert table.frame["row_number"].tolist() == [1, 3]
    assert [n for n, _ in table.malformed] == [2]
    assert "13812345678" not in table.malformed[0][1]     # the raw text is masked
    assert table.rows_read == 3


def test_list_cdr_files_one_per_agency(tmp_path):
    folder = tmp_path / "cdr" / "2026-11-27"
    folder.mkdir(parents=True)
    for name in ("AG01.csv", "AG02.csv.gz", "AG03.parquet", "notes.txt"):
        (folder / name).write_text("x")
    import datetime as dt

    files = list_cdr_files(tmp_path, dt.date(2026, 11, 27))
    assert {a: p.name for a, p in files.items()} == {"AG01": "AG01.csv", "AG02": "AG02.csv.gz",
                                                      "AG03": "AG03.parquet"}


@pytest.mark.parametrize("written, expected", [
    ("13812345678", "+8613812345678"),
    ("+86 138 1234 5678", "+8613812345678"),
    ("0086-138-1234-5678", "+8613812345678"),
    ("(010) 6552-9988", "+861065529988"),
    ("+1 202-456-1111", "+12024561111"),
    ("12345", None),                      # possible but not valid
    ("not a number", None),
    ("1381234567", None),                 # one digit short
])
def test_phone_numbers_normalise_to_e164(written, expected):
    result = normalise_phones(pd.Series([written], dtype="str"), "CN").iloc[0]
    assert (result if isinstance(result, str) else None) == expected


@pytest.mark.parametrize("text, expected_utc", [
    ("2026-11-27 09:02:11", "2026-11-27 01:02:11"),         # naive: local time in the zone given
    ("2026-11-27T09:02", "2026-11-27 01:02:00"),
    ("2026-11-27T09:02:11+08:00", "2026-11-27 01:02:11"),
    ("2026-11-27T09:02:11+0800", "2026-11-27 01:02:11"),
    ("2026-11-27T09:02:11+08", "2026-11-27 01:02:11"),
    ("2026-11-27T01:02:11Z", "2026-11-27 01:02:11"),
    ("2026-11-27 09:02:11.250-05:00", "2026-11-27 14:02:11.250"),
    ("2026-11-27 09:02:11,5", "2026-11-27 01:02:11.500"),
    ("2026-13-27 09:02:11", None),
    ("2026-11-27 25:02", None),
    ("27/11/2026 09:02", None),
    ("2026-11-27", None),                                    # a date is not a timestamp
])
def test_timestamps_with_and_without_offsets(text, expected_utc):
    result = parse_timestamps(pd.Series([text], dtype="str"), "Asia/Shanghai").iloc[0]
    if expected_utc is None:
        assert pd.isna(result)
    else:
        assert result == pd.Timestamp(expected_utc, tz="UTC")


def test_naive_timestamps_use_each_rows_zone():
    values = pd.Series(["2026-11-27 09:00:00", "2026-11-27 09:00:00", "2026-11-27 09:00:00"], dtype="str")
    zones = pd.Series(["Asia/Shanghai", "Asia/Urumqi", "Nowhere/Else"], dtype="str")
    result = parse_timestamps(values, zones)
    assert result.iloc[0] == pd.Timestamp("2026-11-27 01:00", tz="UTC")
    assert result.iloc[1] == pd.Timestamp("2026-11-27 03:00", tz="UTC")
    assert pd.isna(result.iloc[2])


def test_dates_and_lists():
    dates = parse_dates(pd.Series(["2026-11-27", "2026-02-30", None], dtype="str"))
    assert dates.iloc[0] == pd.Timestamp("2026-11-27")
    assert pd.isna(dates.iloc[1]) and pd.isna(dates.iloc[2])
    lists = parse_lists(pd.Series(["Marketing; collection;", None], dtype="str"))
    assert lists.iloc[0] == frozenset({"marketing", "collection"})
    assert lists.iloc[1] == frozenset()


def test_arrow_error_text_loses_the_row_it_quotes():
    import io

    import pyarrow as pa
    import pyarrow.csv as pa_csv

    from audits.loaders import _error_text

    with pytest.raises(pa.ArrowInvalid) as caught:       # Arrow's own message quotes the row
        pa_csv.read_csv(io.BytesIO(b"a,b\nc1,13912345678,11010519491231002X\n"))
    assert "13912345678" in str(caught.value)
    assert _error_text(caught.value) == "CSV parse error: Expected 2 columns, got 3"
    assert _error_text(ValueError("could not convert string to float: '13912345678 Zhang'")) == \
        "could not convert string to float: '...'"


def test_unknown_column_names_are_shown_only_when_the_header_is_a_header(tmp_path):
    path = tmp_path / "agents.csv"
    path.write_text("agency_id,agent,active_from,13912345678\nAG01,A1,2025-01-01,x\n", encoding="utf-8")
    with pytest.raises(FileUnreadable) as caught:
        read_table(path, "agents")
    assert str(caught.value).endswith("found: agency_id, agent, active_from and 1 name not shown.")
    path.write_text("AG01,Zhang San,2025-01-01\nAG01,A1,2025-01-01\n", encoding="utf-8")    # no header row
    with pytest.raises(FileUnreadable) as caught:
        read_table(path, "agents")
    assert "zhang" not in str(caught.value)
    assert str(caught.value).endswith("found: 3 names not shown (none is a column name the contract knows: "
                                      "is the header row missing?).")
