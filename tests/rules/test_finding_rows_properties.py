"""Finding rows (rules/findings.as_violations) built by vectorised shortcuts, against plain
per-finding oracles written from the spec: the start time on the bank's wall clock with its
offset, the masked callee, the keyed callee hash and the case id (cases.md §1)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from audits.cases.keys import case_ids
from audits.privacy import mask_e164, mask_phones, phone_keys
from audits.rules.findings import as_violations, local_start_text

ZONES = ("Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kathmandu",
         "Europe/Dublin", "UTC")
SECRET = b"property-secret"
# datetime64[ns] reaches 1677-2262; before ~1900 zones keep local mean time, offsets with seconds
_instant = st.integers(-9_200_000_000 * 10**9, 9_200_000_000 * 10**9)
_recent = st.integers(1_735_000_000 * 10**9, 1_830_000_000 * 10**9)


def _labels(size: int):
    return st.permutations(list(range(0, 3 * size, 3)))        # non-contiguous and shuffled


def _expected_start(ns: int | None, zone: str) -> str | None:
    """ISO 8601 on the zone's wall clock, offset as +HH:MM (a seconds part kept: +HHMM:SS)."""
    if ns is None:
        return None
    local = dt.datetime.fromtimestamp(ns // 10**9, ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M:%S%z")
    return re.sub(r"(\d\d)(\d\d)$", r"\1:\2", local)


def _starts(instants, labels) -> pd.Series:
    values = np.array([np.datetime64("NaT") if v is None else np.datetime64(v, "ns") for v in instants],
                      dtype="datetime64[ns]")
    return pd.Series(values, index=labels).dt.tz_localize("UTC")


@given(st.lists(st.one_of(_instant, _recent), min_size=0, max_size=40).flatmap(
    lambda xs: st.tuples(st.just(xs), _labels(len(xs)))), st.sampled_from(ZONES), st.booleans())
def test_local_start_text_is_each_instants_wall_clock_and_offset(drawn, zone, with_missing):
    instants, labels = drawn
    if with_missing and instants:
        instants = [None, *instants[1:]]                       # a missing start takes the slow path
    text = local_start_text(_starts(instants, labels), zone)
    assert [None if pd.isna(v) else v for v in text] == [_expected_start(ns, zone) for ns in instants]


_numbers = st.one_of(
    st.none(), st.just(""), st.just("+8613812345678"), st.just("+12025550143"), st.just("+447911123456"),
    st.just("+85251234567"), st.just("+3531234567"), st.just("+8801712345678"), st.just("13812345678"),
    st.just("+999123456789"), st.just("+86１３８12345678"), st.just("+86 138 1234 5678"), st.just("+1234567"),
    st.from_regex(r"\+[1-9][0-9]{7,14}", fullmatch=True), st.from_regex(r"\+?[0-9 \-]{0,18}", fullmatch=True))


@given(st.lists(_numbers, max_size=40).flatmap(lambda xs: st.tuples(st.just(xs), _labels(len(xs)))),
       st.booleans())
def test_masked_and_keyed_numbers_are_each_numbers_own(drawn, as_objects):
    numbers, labels = drawn
    series = pd.Series(numbers, index=labels, dtype=object if as_objects else "str")
    masked, keys = mask_phones(series), phone_keys(series, SECRET)
    assert list(masked.index) == list(keys.index) == labels
    assert masked.tolist() == [mask_e164(n) if isinstance(n, str) else "" for n in numbers]
    assert keys.tolist() == ["" if n is None else hmac.new(SECRET, n.encode(), hashlib.sha256).hexdigest()
                             for n in numbers]


def test_numbers_that_are_not_text_are_masked_blank():
    assert mask_phones(pd.Series([8613812345678, None, "+8613812345678"], dtype=object)).tolist() == [
        "", "", "+86 138****5678"]


_agencies = st.sampled_from(["AG01", "AG02", "AG10", None])
_subjects = st.sampled_from(["", "E0001", "k" * 64, "CMP-1", None, "é"])


@given(st.lists(st.tuples(_agencies, _subjects), max_size=40), st.sampled_from(["CONF_UNASSIGNED", "QUAL_NO_CONTRACT"]))
def test_case_ids_hash_each_findings_agency_rule_and_subject(pairs, rule_id):
    agencies = pd.Series([a for a, _ in pairs], index=[5 * k + 1 for k in range(len(pairs))], dtype=object)
    subjects = pd.Series([s for _, s in pairs], dtype=object)
    expected = ["C-" + hashlib.sha256("\x1f".join((a or "", rule_id, s or "")).encode()).hexdigest()[:12]
                for a, s in pairs]
    assert list(case_ids(agencies, rule_id, subjects)) == expected


@st.composite
def _offending_calls(draw):
    size = draw(st.integers(1, 25))
    labels = draw(_labels(size))
    column = lambda strategy: draw(st.lists(strategy, min_size=size, max_size=size))  # noqa: E731
    return pd.DataFrame({
        "agency_id": column(st.sampled_from(["AG01", "AG02", "AG03"])),
        "call_id": [f"C{k}" for k in range(size)],
        "agent_id": column(st.sampled_from(["E1", "E2", None])),
        "campaign_id": column(st.sampled_from(["CMP-A", "CMP-B", None])),
        "callee_e164": column(st.sampled_from(["+8613812345678", "+8613900000001", "+12025550143", None])),
        "caller_e164": column(st.sampled_from(["+862150000000", "+861088888888"])),
        "start_utc": _starts(column(st.one_of(_instant, _recent)), range(size)).to_numpy(),
    }, index=labels)


@given(_offending_calls(), st.sampled_from(["CONF_UNASSIGNED", "QUAL_NO_CONTRACT", "CONF_AGENT_NOT_ACTIVE",
                                            "QUAL_UNREGISTERED_CALLER_ID", "FREQ_CALLING_HOURS"]),
       st.sampled_from(ZONES))
def test_finding_rows_are_each_calls_own_values(rows, rule_id, zone):
    from audits.models import RULES_BY_ID, SubjectKind

    inputs = SimpleNamespace(audit_date=dt.date(2026, 11, 23), secret=SECRET,
                             rulepack=SimpleNamespace(bank_timezone=zone))
    found = as_violations(inputs, rows, rule_id, "why")

    def text(value) -> str:
        return "" if pd.isna(value) else value

    def key(number) -> str:
        return "" if pd.isna(number) else hmac.new(SECRET, number.encode(), hashlib.sha256).hexdigest()

    kind = RULES_BY_ID[rule_id].subject
    for (_, call), (_, finding) in zip(rows.iterrows(), found.iterrows()):
        subject = {SubjectKind.AGENCY: "", SubjectKind.AGENT: text(call["agent_id"]),
                   SubjectKind.CAMPAIGN: text(call["campaign_id"]), SubjectKind.CALLER: key(call["caller_e164"]),
                   SubjectKind.CUSTOMER: key(call["callee_e164"])}[kind]
        assert finding["start_time"] == _expected_start(call["start_utc"].value, zone)
        assert finding["callee_masked"] == mask_e164(call["callee_e164"])
        assert finding["callee_key"] == key(call["callee_e164"])
        assert finding["case_id"] == "C-" + hashlib.sha256(
            "\x1f".join((call["agency_id"], rule_id, subject)).encode()).hexdigest()[:12]
        assert (finding["call_id"], finding["agency_id"], finding["detail"]) == (call["call_id"], call["agency_id"], "why")


_cells = st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["", "AG01", "+86 138****5678", "违规"]))


@given(st.lists(st.tuples(_cells, _cells), max_size=30))
def test_violation_rows_come_back_from_a_worker_as_they_were_sent(cells):
    from audits.models import VIOLATION_COLUMNS
    from audits.rules.findings import empty_violations, frame_from_ipc, frame_to_ipc

    frame = empty_violations() if not cells else pd.DataFrame(
        {column: pd.Series([cells[k][j % 2] for k in range(len(cells))], dtype="str")
         for j, column in enumerate(VIOLATION_COLUMNS)})
    pd.testing.assert_frame_equal(frame_from_ipc(frame_to_ipc(frame)), frame)
