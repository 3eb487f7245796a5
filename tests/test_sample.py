"""The sample landing-zone generator: layout, formats, determinism, planted truth."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import re
from pathlib import Path

import pandas as pd
import phonenumbers
import pyarrow.parquet as pq
import pytest

from audits.models import DQ_FILE_REASONS, DQ_MESSAGE_REASONS, DQ_ROW_REASONS, RULES_BY_ID, TABLE_COLUMNS
from audits.sample import write_sample_landing

START = dt.date(2026, 11, 27)
DATES = ["2026-11-27", "2026-11-28", "2026-11-29"]
ARGS = dict(start=START, days=3, agencies=8, calls_per_day=3000)
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$")


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("sample") / "landing"
    return path, write_sample_landing(path, seed=7, **ARGS)


@pytest.fixture(scope="module")
def landing(sample) -> Path:
    return sample[0]


@pytest.fixture(scope="module")
def truth(landing) -> pd.DataFrame:
    frames = [pd.read_csv(landing / "truth" / f"{d}.csv", dtype=str, keep_default_na=False).assign(date=d)
              for d in DATES]
    return pd.concat(frames, ignore_index=True)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and data rows of a CDR file of any format, as text."""
    if path.name.endswith(".parquet"):
        table = pq.read_table(path)
        columns = [[("" if v is None else v) for v in c.to_pylist()] for c in table.columns]
        return table.column_names, [list(r) for r in zip(*columns)]
    data = path.read_bytes()
    data = gzip.decompress(data) if path.name.endswith(".gz") else data
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030")
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def _valid(number: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(number, "CN"))
    except phonenumbers.NumberParseException:
        return False


def test_layout_and_summary(sample):
    landing, summary = sample
    names = set(_files(landing))
    for table in ("agents", "caller_numbers", "campaigns", "assignments", "consents"):
        assert f"reference/{table}.csv" in names
    assert "reference/contracts.xlsx" in names
    assert {f"truth/{d}.csv" for d in DATES} <= names
    assert "cdr/2026-11-27/AG01.csv" in names and "cdr/2026-11-27/AG02.csv.gz" in names
    assert "cdr/2026-11-27/AG03.parquet" in names
    assert "cdr/2026-11-28/AG04.csv" not in names              # the planted missing file
    assert not [n for n in names if n.endswith(".tmp")]
    assert (summary["days"], summary["agencies"], summary["files"]) == (3, 8, 23)
    assert summary["calls"] == sum(len(_rows(landing / n)[1]) for n in names if n.startswith("cdr/"))
    assert summary["planted"]["DQ_FILE_MISSING"] == 1


def test_same_seed_same_bytes_other_seed_other_bytes(landing, tmp_path):
    again = tmp_path / "again"
    write_sample_landing(again, seed=7, **ARGS)
    assert _files(again) == _files(landing)
    other = tmp_path / "other"
    write_sample_landing(other, seed=8, **ARGS)
    first, second = _files(landing), _files(other)
    cdr = [n for n in first if n.startswith("cdr/")]
    assert cdr and all(first[n] != second.get(n) for n in cdr)
    assert first["truth/2026-11-27.csv"] != second["truth/2026-11-27.csv"]


def test_every_rule_and_every_dq_reason_is_planted(truth):
    expected = set(RULES_BY_ID) | set(DQ_ROW_REASONS) | set(DQ_MESSAGE_REASONS) | set(DQ_FILE_REASONS)
    assert expected - set(truth["rule_id"]) == set()
    assert set(truth["rule_id"]) - expected == set()
    history = truth[truth["rule_id"].isin(["FREQ_ROLLING_7D", "FREQ_COOLING_OFF", "FREQ_AFTER_REFUSAL"])]
    assert set(history["date"]) >= {"2026-11-29"}


def test_truth_format(landing, truth):
    header = (landing / "truth" / "2026-11-27.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "agency_id,call_id,rule_id,row_number,channel"
    assert set(truth["channel"]) == {"call", "sms"}
    rules = truth[~truth["rule_id"].str.startswith("DQ_")]
    assert (rules["row_number"] == "").all() and (rules["call_id"] != "").all()
    rows = truth[truth["rule_id"].isin([*DQ_ROW_REASONS, *DQ_MESSAGE_REASONS])]
    assert rows["row_number"].str.fullmatch(r"[1-9]\d*").all()
    files = truth[truth["rule_id"].isin(DQ_FILE_REASONS)]
    assert files[["agency_id", "call_id", "rule_id", "row_number", "date"]].values.tolist() == [
        ["AG04", "", "DQ_FILE_MISSING", "", "2026-11-28"],
        ["AG03", "", "DQ_FILE_UNREADABLE", "", "2026-11-29"]]
    for d in DATES:
        day = truth[truth["date"] == d]
        key = list(zip(day["agency_id"], day["channel"], day["rule_id"], day["call_id"],
                       pd.to_numeric(day["row_number"], errors="coerce").fillna(-1)))
        assert key == sorted(key)
        assert not day.duplicated(["agency_id", "call_id", "rule_id", "row_number", "channel"]).any()
    assert "AG01" not in set(truth["agency_id"])               # the fully clean agency


def test_agency_level_plants_cover_every_call_of_the_agency(landing, truth):
    day = truth[(truth["date"] == "2026-11-27") & (truth["channel"] == "call")]
    for agency, rule in (("AG05", "QUAL_NO_CONTRACT"), ("AG06", "CONF_NDA_NOT_IN_FORCE"),
                         ("AG07", "QUAL_LICENCE_INVALID")):
        header, rows = _rows(landing / "cdr" / "2026-11-27" / f"{agency}.csv")
        quarantined = set(day[(day["agency_id"] == agency) & day["rule_id"].str.startswith("DQ_")]["row_number"])
        audited = {r[0] for n, r in enumerate(rows, start=1) if str(n) not in quarantined}
        assert set(day[(day["agency_id"] == agency) & (day["rule_id"] == rule)]["call_id"]) == audited
    assert not day[(day["agency_id"] == "AG05") & day["rule_id"].isin(
        ["CONF_NDA_NOT_IN_FORCE", "QUAL_LICENCE_INVALID", "QUAL_OUT_OF_SCOPE"])].shape[0]


def test_file_formats(landing):
    contracts = pd.read_excel(landing / "reference" / "contracts.xlsx", sheet_name=0, dtype=str)
    required, optional = TABLE_COLUMNS["contracts"]
    assert contracts.columns[-1] == "channels"                  # optional: the channels each contract permits
    assert [c for c in contracts.columns if c != "channels"] == list(required[:1]) + ["agency_name"] + list(required[1:]) + [
        c for c in optional if c not in ("agency_name", "channels")]
    assert "华信催收服务有限公司" in set(contracts["agency_name"])
    assert set(contracts["timezone"].dropna()) == {"Asia/Shanghai", "Asia/Urumqi"}
    day = landing / "cdr" / "2026-11-27"
    assert gzip.decompress((day / "AG02.csv.gz").read_bytes()).startswith(b"call_id,")
    table = pq.read_table(day / "AG03.parquet")
    assert {str(t) for t in table.schema.types} == {"string"}
    gb = (day / "AG04.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        gb.decode("utf-8")
    assert "尾号" in gb.decode("gb18030") and b"\r\n" in gb
    assert (day / "AG05.csv").read_bytes().startswith(b"\xef\xbb\xbfcall_id,")
    assert "callee_tz" not in _rows(day / "AG07.csv")[0]      # an optional column left out


def test_written_forms_are_mixed_and_iso(landing, truth):
    calls = truth[truth["channel"] == "call"]
    quarantined = set(zip(calls["date"], calls["agency_id"], calls["row_number"]))
    starts, callees, dispositions = [], [], set()
    for path in sorted((landing / "cdr").rglob("AG*")):
        header, rows = _rows(path)
        if "disposition" not in header:                        # the planted unreadable file
            continue
        i, j, k = header.index("start_time"), header.index("callee_number"), header.index("disposition")
        for n, row in enumerate(rows, start=1):
            if (path.parent.name, path.name.split(".")[0], str(n)) in quarantined:
                continue
            starts.append(row[i])
            callees.append(row[j])
            dispositions.add(row[k])
    assert all(ISO.match(s) for s in starts)
    forms = {"space": r" \d{2}:\d{2}:\d{2}$", "T": r"T\d{2}:\d{2}:\d{2}$", "minutes": r"T\d{2}:\d{2}$",
             "fraction": r"\.\d{3}", "colon": r"\+0[68]:00$", "compact": r"\+0[68]00$", "hours": r"\+0[68]$",
             "Z": r"Z$"}
    for name, pattern in forms.items():
        assert any(re.search(pattern, s) for s in starts), name
    for pattern in (r"^1\d{10}$", r"^\+86 1\d\d \d{4} \d{4}$", r"^0086-1\d\d-\d{4}-\d{4}$"):
        assert any(re.match(pattern, c) for c in callees), pattern
    assert {"ANSWERED", "answered", "NO_ANSWER", "BUSY", "REJECTED", "VOICEMAIL", "FAILED"} <= dispositions


def test_customer_numbers_are_valid_except_planted_bad_phones(landing, truth):
    planted = truth[truth["rule_id"].isin(["DQ_BAD_PHONE", "DQ_MALFORMED_ROW"])]
    skip = set(zip(planted["date"], planted["agency_id"], planted["row_number"]))
    bad_rows = []
    for path in sorted((landing / "cdr").rglob("AG*")):
        header, rows = _rows(path)
        j = header.index("callee_number")
        for n, row in enumerate(rows, start=1):
            if (path.parent.name, path.name.split(".")[0], str(n)) not in skip and not _valid(row[j]):
                bad_rows.append((path.name, n, row[j]))
    assert bad_rows == []
    assert (planted["rule_id"] == "DQ_BAD_PHONE").sum() == 3
    for table, column in (("assignments", "phone"), ("consents", "phone"), ("caller_numbers", "caller_number")):
        frame = pd.read_csv(landing / "reference" / f"{table}.csv", dtype=str, keep_default_na=False)
        ports = frame["channel"] == "sms" if "channel" in frame else pd.Series(False, index=frame.index)
        assert frame.loc[~ports, column].map(_valid).all(), table
        assert frame.loc[ports, column].str.fullmatch(r"1069\d{8}").all(), table     # SMS ports: digits


def test_planted_rows_point_at_their_defect(landing, truth):
    for date, agency, call_id, rule, row in truth[truth["rule_id"].isin(DQ_ROW_REASONS) & (truth["channel"] == "call")][
            ["date", "agency_id", "call_id", "rule_id", "row_number"]].values.tolist():
        path = next((landing / "cdr" / date).glob(f"{agency}.*"))
        header, rows = _rows(path)
        line = rows[int(row) - 1]
        if rule == "DQ_MALFORMED_ROW":
            assert path.suffix == ".csv" and len(line) != len(header)
        elif rule == "DQ_DUPLICATE_CALL_ID":
            assert call_id in [r[0] for r in rows[: int(row) - 1]]
        elif rule == "DQ_AGENCY_MISMATCH":
            assert line[header.index("agency_id")] not in ("", agency)
        elif rule == "DQ_BAD_ENUM":
            assert {line[header.index("disposition")], line[header.index("outcome")]} & {"PICKED_UP", "CALLBACK"}
        elif rule == "DQ_OUT_OF_DAY":
            assert line[header.index("start_time")][:10] > date
        else:
            assert line[0] == call_id


@pytest.mark.parametrize("kwargs", [dict(days=0), dict(agencies=0), dict(agencies=201), dict(calls_per_day=0)])
def test_rejects_impossible_arguments(tmp_path, kwargs):
    with pytest.raises(ValueError):
        write_sample_landing(tmp_path, **{**ARGS, **kwargs})


def test_small_samples_keep_a_clean_agency_and_plant_what_fits(tmp_path):
    summary = write_sample_landing(tmp_path, start=START, days=2, agencies=5, calls_per_day=600, seed=3)
    truth = pd.concat(pd.read_csv(tmp_path / "truth" / f"{d}.csv", dtype=str, keep_default_na=False)
                      for d in DATES[:2])
    assert "AG01" not in set(truth["agency_id"])
    assert {"QUAL_NO_CONTRACT", "CONF_NDA_NOT_IN_FORCE", "QUAL_LICENCE_INVALID", "QUAL_OUT_OF_SCOPE",
            "FREQ_ROLLING_7D", "FREQ_CALLER_DAILY_CAP", "DQ_FILE_MISSING"} <= set(summary["planted"])
    assert "DQ_FILE_UNREADABLE" not in summary["planted"]     # needs three days


def _e164(number: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(number, "CN"), phonenumbers.PhoneNumberFormat.E164)


def _day_calls(landing: Path, truth: pd.DataFrame, date: str) -> pd.DataFrame:
    """The audited rows of a day (quarantined rows and the unreadable file left out)."""
    day = truth[(truth["date"] == date) & (truth["channel"] == "call")]
    quarantined = set(zip(day["agency_id"], day["row_number"]))
    frames = []
    for path in sorted((landing / "cdr" / date).glob("AG*")):
        header, rows = _rows(path)
        agency = path.name.split(".")[0]
        if "disposition" not in header:
            continue
        keep = [r for n, r in enumerate(rows, start=1) if (agency, str(n)) not in quarantined]
        frames.append(pd.DataFrame(keep, columns=header).assign(file=agency))
    return pd.concat(frames, ignore_index=True).fillna("")


def test_rapid_redial_is_planted_across_midnight(landing, truth):
    for before, date in zip(DATES, DATES[1:]):
        calls = _day_calls(landing, truth, date)
        redials = truth[(truth["date"] == date) & (truth["rule_id"] == "FREQ_RAPID_REDIAL")]
        abroad = calls[calls["call_id"].isin(redials["call_id"]) & (calls["callee_tz"] == "Europe/London")]
        assert len(abroad) == 1
        previous = _day_calls(landing, truth, before)
        earlier = previous[previous["callee_number"].map(_e164) == _e164(abroad["callee_number"].iat[0])]
        assert len(earlier) == 1 and earlier["disposition"].str.upper().iat[0] in ("NO_ANSWER", "REJECTED", "VOICEMAIL")


def test_caller_cap_findings_are_the_calls_after_the_200th(landing, truth):
    for date in DATES:
        calls = _day_calls(landing, truth, date)
        calls["caller"] = calls["caller_number"].map(_e164)
        counts = calls["caller"].value_counts()
        hits = truth[(truth["date"] == date) & (truth["rule_id"] == "FREQ_CALLER_DAILY_CAP")]
        assert len(hits) == 1                                   # 3,000 calls a day: 201 calls on one number
        over = counts[counts > 200]
        assert over.tolist() == [201]
        assert counts.iloc[1] == 200                            # the near miss: exactly the cap, no finding
