"""Invariance: the same facts written differently give the same findings, quarantine and scores.

End to end, a small sample landing zone is audited as written and again after tests/rewrite.py
rewrote every value, row, column and file into other legal forms (data-contract.md §1); the
three result files must agree. Unit level, parse_timestamps, normalise_phones and the typing of a
CDR file give the same values for every written form of the same facts (hypothesis; the CI
profile in conftest.py is derandomised).
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audits.ingest import load_calls, load_reference
from audits.loaders import TEXT, read_table
from audits.models import TABLE_COLUMNS
from audits.phones import normalise_phones
from audits.pipeline import run_audit
from audits.rulepack import load_rulepack
from audits.tables import type_cdr
from audits.values import parse_timestamps
from tests.landing import DAY, call, make_landing
from tests.rewrite import (
    FORMATS,
    Forms,
    e164_of,
    file_bytes,
    phone_form,
    rewrite_landing,
    rewrite_rows,
    timestamp_form,
    utc_of_local,
)

PACK = load_rulepack("cn_bank")
START = dt.date(2026, 11, 21)
DAYS = 3                          # three days: a missing file (day 2) and an unreadable one (day 3)
SAMPLE = dict(start=START, days=DAYS, agencies=5, calls_per_day=600, seed=11)


# --- end to end -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def audited(audited_sample, tmp_path_factory):
    """The sample as written (audited_sample) and rewritten, both audited day by day, earlier
    days first so that each store fills, with the same run ids and report timestamp."""
    written = audited_sample(**SAMPLE)
    root = tmp_path_factory.mktemp("invariance")
    forms = rewrite_landing(written.landing, root / "landing", seed=5)
    reports = {("written", day): report for day, report in written.reports.items()}
    for offset in range(DAYS):
        day = written.day(offset)
        config = written.config(day, landing=root / "landing", out=root / "out", store=root / "store")
        reports["rewritten", day] = run_audit(config).report_dir
    return forms, reports


def test_the_rewrite_uses_every_form(audited):
    forms, _ = audited
    expected = {"T", "space", "Z", "+hh", "+hhmm", "+hh:mm", "comma fraction", "dot fraction", "no seconds",
                "(+86)", "0086", "+86 ", "bare national", "enum changed", "enum list changed", "white space",
                "malformed row", "CRLF", "LF", "reference as csv", "reference as bom", "reference as gb18030",
                *(f"cdr as {fmt}" for fmt in FORMATS), *(f"sms as {fmt}" for fmt in FORMATS)}
    assert expected - set(forms.counts) == set()


@pytest.mark.parametrize("offset", range(DAYS))
def test_findings_and_scores_are_byte_identical(audited, offset):
    _, reports = audited
    day = START + dt.timedelta(days=offset)
    for name in ("violations.csv", "scores.csv", "complaints.csv"):
        written = (reports["written", day] / name).read_bytes()
        assert written.count(b"\n") > 3, name                  # a comparison of something
        assert (reports["rewritten", day] / name).read_bytes() == written, name


def test_the_comparison_covers_texts(audited):
    """The sample texts (sms/<D>/, rewritten every way CDRs are): findings on messages are compared too."""
    _, reports = audited
    found = pd.concat(pd.read_csv(reports["written", START + dt.timedelta(days=d)] / "violations.csv", dtype=str)
                      for d in range(DAYS))
    assert (found["channel"] == "sms").any()


def _quarantine(report: Path) -> pd.DataFrame:
    """quarantine.csv without what depends on row order (row_number) or on the written form
    (raw); `source` without its suffix, since the rewrite changes the file format too."""
    frame = pd.read_csv(report / "quarantine.csv", dtype=str, keep_default_na=False)
    frame = frame.drop(columns=["row_number", "raw"])
    frame["source"] = frame["source"].str.replace(r"\.(csv|csv\.gz|parquet|xlsx)$", "", regex=True)
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


@pytest.mark.parametrize("offset", range(DAYS))
def test_quarantine_is_the_same_but_for_row_numbers(audited, offset):
    _, reports = audited
    day = START + dt.timedelta(days=offset)
    written, rewritten = _quarantine(reports["written", day]), _quarantine(reports["rewritten", day])
    assert len(written) > 0
    pd.testing.assert_frame_equal(rewritten, written)


def test_the_sample_has_duplicate_call_ids(audited):
    """The rewrite keeps the order of rows sharing a call_id (tests/rewrite.py, ORDER_KEYS):
    which duplicate is kept is a fact of the file. This is only worth saying if there are some."""
    _, reports = audited
    reasons = pd.concat(_quarantine(reports["written", START + dt.timedelta(days=d)]) for d in range(DAYS))
    assert (reasons["reasons"] == "DQ_DUPLICATE_CALL_ID").any()


def test_an_unreadable_files_call_ids_are_trimmed(tmp_path):
    """Found by the rewrite: the rows of a file without a required column were quarantined with
    their call_id as written (' C1'), where every other quarantined row has it trimmed."""
    landing = make_landing(tmp_path / "landing")
    broken = landing / "cdr" / DAY.isoformat() / "AG01.csv"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text('call_id,agency_id\n C1 ,AG01\n"\tC2",AG01\n  ,AG01\n', encoding="utf-8")
    tables = load_reference(landing, audit_date=DAY, rulepack=PACK)
    ingested = load_calls(landing, day=DAY, contracts=tables["contracts"].accepted, rulepack=PACK)
    assert ingested.quarantine["call_id"].tolist() == ["C1", "C2", ""]
    assert set(ingested.quarantine["reasons"]) == {"DQ_FILE_UNREADABLE"}


# --- unit level -----------------------------------------------------------------------------

ZONES = ("Asia/Shanghai", "Asia/Urumqi", "Europe/London", "America/New_York")
BAD_TIMESTAMPS = ("2026-13-45 10:00", "2026-02-30 10:00:00", "2026-11-27 25:61", "27/11/2026 09:02",
                  "2026-11-27", "soon")
BAD_PHONES = ("12345", "0000", "未知号码", "1381234567", "+86 138 1234 567")


def _column(values: list[str | None], index: list[int], dtype) -> pd.Series:
    return pd.Series(np.array(values, dtype=object), index=index).astype(dtype)


def _index(n: int):
    """Labels as a subset of a larger frame has them: not 0..n-1, not in order."""
    return st.lists(st.integers(0, 10_000), min_size=n, max_size=n, unique=True)


@st.composite
def timestamp_columns(draw):
    """(as written plainly, as rewritten, UTC instants expected or None, zone, index, dtype)."""
    zone = draw(st.sampled_from(ZONES))
    rng = draw(st.randoms(use_true_random=False))
    local = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2037, 12, 31))
    cells = draw(st.lists(st.one_of(local, local, local, st.sampled_from(BAD_TIMESTAMPS), st.none()),
                          min_size=1, max_size=30))
    plain, rewritten, expected = [], [], []
    for cell in cells:
        if isinstance(cell, dt.datetime):
            text = cell.isoformat(sep=" ")
            utc = utc_of_local(cell, zone)
            expected.append(None if utc is None else pd.Timestamp(utc, tz="UTC"))
            plain.append(text)
            rewritten.append(timestamp_form(text, zone, rng))
        else:
            expected.append(pd.NaT)
            plain.append(cell)
            rewritten.append(cell)
    return plain, rewritten, expected, zone, draw(_index(len(cells))), draw(st.sampled_from([TEXT, object]))


@given(timestamp_columns())
def test_parse_timestamps_is_the_same_for_every_written_form(column):
    plain, rewritten, expected, zone, index, dtype = column
    first = parse_timestamps(_column(plain, index, dtype), zone)
    second = parse_timestamps(_column(rewritten, index, dtype), zone)
    pd.testing.assert_series_equal(second, first)
    for text, got, want in zip(rewritten, second, expected):
        if want is not None:                     # None: a DST gap or fold; agreement is checked above
            assert (pd.isna(got) and pd.isna(want)) or got == want, text


PHONES = st.one_of(st.from_regex(r"1[3-9]\d{9}", fullmatch=True),
                   st.from_regex(r"0(10|2\d|[3-9]\d\d)[2-8]\d{6,7}", fullmatch=True),
                   st.sampled_from(("+44 20 7946 0958", "+1 202-456-1111", "+852 2345 6789") + BAD_PHONES),
                   st.none())


@given(st.lists(PHONES, min_size=1, max_size=30).flatmap(
    lambda cells: st.tuples(st.just(cells), _index(len(cells)), st.randoms(use_true_random=False),
                            st.sampled_from([TEXT, object]))))
def test_normalise_phones_is_the_same_for_every_written_form(drawn):
    cells, index, rng, dtype = drawn
    rewritten = [None if c is None else phone_form(c, rng) for c in cells]
    first = normalise_phones(_column(cells, index, dtype), "CN")
    second = normalise_phones(_column(rewritten, index, dtype), "CN")
    pd.testing.assert_series_equal(second, first)
    expected = [None if c is None else e164_of(c, "CN") for c in cells]
    assert [None if pd.isna(v) else v for v in second] == expected


# A few calls with every shape a file holds: answered or not, blank cells, a duplicate call id,
# notes with a comma, a quote, a line break and Chinese, bad values of every typed column.
CALLS = [
    call("c1", "2026-11-27 09:00:00", disposition="ANSWERED", outcome="RIGHT_PARTY",
         answer_time="2026-11-27 09:00:05.250", end_time="2026-11-27 09:03:00",
         notes='客户说"月底还", 尾号5678'),
    call("c2", "2026-11-27T10:15", callee_number="+86 139 8765 4321", callee_tz="Europe/London"),
    call("c3", "2026-11-27 11:00:00+08:00", end_time="2026-11-27 11:01:00+08:00", disposition="BUSY"),
    call("c4", "2026-11-27 12:00:00", disposition="ANSWERED", outcome="REFUSED",
         answer_time="2026-11-27 12:00:03", end_time="2026-11-27 12:02:00", notes="line one\nline two"),
    call("c5", "2026-11-27 13:00:00", end_time="2026-11-27 12:59:00"),
    call("c6", "2026-02-30 10:00:00"),
    call("c7", "2026-11-27 14:00:00", callee_number="12345"),
    call("c8", "2026-11-27 15:00:00", disposition="PICKED_UP"),
    call("c1", "2026-11-27 16:00:00", callee_number="0086-139-8765-4321"),
    call("c9", "2026-11-27 17:00:00,5", end_time="2026-11-27 17:00:30", disposition="voicemail"),
    call("c10", "2026-11-27 18:00:00", agent_id=""),
]
CDR = list(TABLE_COLUMNS["cdr"][0] + TABLE_COLUMNS["cdr"][1])
TYPED = ["call_id", "agency_id", "agent_id", "campaign_id", "notes", "callee_tz", "start_utc", "answer_utc",
         "end_utc", "caller_e164", "callee_e164", "disposition_code", "outcome_code", "call_date",
         "call_id_repeated", "callee_zone"]


def _typed(path: Path) -> pd.DataFrame:
    frame = read_table(path, "cdr").frame
    typed = type_cdr(frame, source="cdr", file_agency_id="AG01", local_zone="Asia/Shanghai",
                     bank_zone=PACK.bank_timezone, region=PACK.default_region)
    # Stable: rows sharing a call_id keep their order in both files.
    return typed[TYPED].sort_values("call_id", kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def typed_as_written(tmp_path_factory) -> pd.DataFrame:
    path = tmp_path_factory.mktemp("written") / "AG01.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([CDR] + [[c[name] for name in CDR] for c in CALLS])
    return _typed(path)


# Each example reads and types a file (~0.1 s): a third of the profile's examples.
@settings(max_examples=max(10, settings.default.max_examples // 3))
@given(rng=st.randoms(use_true_random=False), fmt=st.sampled_from(FORMATS), crlf=st.booleans())
def test_a_cdr_file_types_the_same_whatever_its_written_form(typed_as_written, rng, fmt, crlf):
    rows = [[c[name] for name in CDR] for c in CALLS]
    header, rewritten = rewrite_rows("cdr", CDR, rows, zone="Asia/Shanghai", rng=rng, forms=Forms())
    suffix = {"csv.gz": ".csv.gz", "parquet": ".parquet"}.get(fmt, ".csv")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"AG01{suffix}"
        path.write_bytes(file_bytes(header, rewritten, fmt, crlf=crlf, rng=rng))
        pd.testing.assert_frame_equal(_typed(path), typed_as_written)
