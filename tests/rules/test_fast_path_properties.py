"""The rules' vectorised shortcuts against plain per-value oracles written from rules.md.

Each property draws inputs that mix the shapes the code meets (nulls, repeated keys, keys of
-1, several zones, non-ASCII digits, non-contiguous and shuffled indexes) and compares the
fast path with a loop that is obviously right. Run longer with HYPOTHESIS_PROFILE=thorough.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from audits.privacy import mask_e164, mask_free_text, may_hold_number
from audits.rules.confidentiality import identifier_kinds, pii_kinds
from audits.rules.findings import local_clock
from audits.rules.frequency import wall_clock_in
from audits.rules.grouping import count_in, previous_flagged, running_count, running_sum_before
from audits.rules.joins import agency_numbers_in, map_pairs, pairs_in, positions_in
from audits.tables import call_order, in_call_order, local_dates
from tests.oracle.validity import luhn_ok
from tests.oracle.validity import pii_kinds as pii_oracle

ZONES = ("Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC")
_keys = st.lists(st.sampled_from([-1, 0, 1, 7, 13_800_138_000, 2**40 + 3, -5]), min_size=0, max_size=60)


# --- grouping by sort: running counts, sums, look-ups (frequency rules) -----------------------

@given(_keys)
def test_running_count_is_groupby_cumcount(keys):
    seen: dict[int, int] = {}
    expected = []
    for key in keys:
        expected.append(seen.get(key, 0))
        seen[key] = seen.get(key, 0) + 1
    assert running_count(np.array(keys, dtype="int64")).tolist() == expected


@given(_keys.flatmap(lambda k: st.tuples(st.just(k), st.lists(st.integers(0, 5), min_size=len(k),
                                                                 max_size=len(k)))))
def test_running_sum_before_is_a_per_key_sum_of_earlier_rows(drawn):
    keys, values = drawn
    totals: dict[int, int] = {}
    expected = []
    for key, value in zip(keys, values):
        expected.append(totals.get(key, 0))
        totals[key] = totals.get(key, 0) + value
    assert running_sum_before(np.array(keys, dtype="int64"), np.array(values, dtype="int64")).tolist() == expected


@given(_keys.flatmap(lambda k: st.tuples(st.just(k), st.lists(st.booleans(), min_size=len(k), max_size=len(k)))))
def test_previous_flagged_is_the_latest_earlier_flagged_row_of_the_key(drawn):
    keys, flags = drawn
    latest: dict[int, int] = {}
    expected = []
    for position, (key, flag) in enumerate(zip(keys, flags)):
        expected.append(latest.get(key, -1))
        if flag:
            latest[key] = position
    assert previous_flagged(np.array(keys, dtype="int64"), np.array(flags, dtype=bool)).tolist() == expected


@given(_keys, _keys)
def test_count_in_counts_each_key_in_the_population(keys, population):
    expected = [population.count(key) for key in keys]
    assert count_in(np.array(population, dtype="int64"), np.array(keys, dtype="int64")).tolist() == expected


# --- wall clock and dates per zone ---------------------------------------------------------

_instants = st.lists(st.one_of(st.none(), st.integers(1_735_000_000 * 10**9, 1_830_000_000 * 10**9)),
                     min_size=1, max_size=30)


def _wall_ns(ns: int, zone: str) -> int:
    local = dt.datetime.fromtimestamp(ns // 10**9, ZoneInfo(zone))
    return (local.hour * 3600 + local.minute * 60 + local.second) * 10**9 + ns % 10**9


@st.composite
def _timed_rows(draw):
    instants = draw(_instants)
    size = len(instants)
    zones = draw(st.lists(st.one_of(st.sampled_from(ZONES), st.none()), min_size=size, max_size=size))
    judged = draw(st.lists(st.booleans(), min_size=size, max_size=size))
    labels = draw(st.permutations(list(range(0, 3 * size, 3))))
    return instants, zones, judged, labels


def _utc(instants, labels) -> pd.Series:
    values = np.array([np.datetime64("NaT") if v is None else np.datetime64(v, "ns") for v in instants],
                      dtype="datetime64[ns]")
    return pd.Series(values, index=labels).dt.tz_localize("UTC")


@given(_timed_rows())
def test_wall_clock_is_each_rows_local_time_since_midnight(drawn):
    instants, zones, judged, labels = drawn
    assume(all(v is not None for v in instants))                 # calls always have a start
    starts, judged = _utc(instants, labels), np.array(judged)
    clock = np.full(len(instants), -1, dtype=np.int64)
    for zone in {z for z in zones if z}:                       # the rule converts one zone at a time
        rows = judged & np.array([z == zone for z in zones])
        clock[rows] = wall_clock_in(starts, zone, rows)
    expected = [_wall_ns(ns, zone) if ok and zone else -1 for ns, zone, ok in zip(instants, zones, judged)]
    assert clock.tolist() == expected


@given(_timed_rows())
def test_local_clock_is_hh_mm_in_each_rows_zone(drawn):
    instants, zones, _, labels = drawn
    assume(all(v is not None for v in instants))
    text = local_clock(_utc(instants, labels), pd.Series(zones, index=labels, dtype=object))
    expected = ["" if zone is None else dt.datetime.fromtimestamp(ns // 10**9, ZoneInfo(zone)).strftime("%H:%M")
                for ns, zone in zip(instants, zones)]
    assert list(text.index) == labels
    assert text.tolist() == expected


@given(_timed_rows(), st.sampled_from(ZONES))
def test_local_dates_are_each_instants_date_in_the_bank_zone(drawn, zone):
    instants, _, _, labels = drawn
    dates = local_dates(_utc(instants, labels), zone)
    expected = [None if ns is None else dt.datetime.fromtimestamp(ns // 10**9, ZoneInfo(zone)).date().isoformat()
                for ns in instants]
    assert list(dates.index) == labels
    assert [None if pd.isna(v) else v for v in dates] == expected


# --- call order -------------------------------------------------------------------------

@st.composite
def _calls(draw):
    size = draw(st.integers(0, 25))
    starts = draw(st.lists(st.one_of(st.none(), st.integers(0, 4).map(lambda m: 1_795_000_000 * 10**9 + m * 60 * 10**9)),
                           min_size=size, max_size=size))
    agencies = draw(st.lists(st.sampled_from(["AG01", "AG02", "AG10", "ag01", "代理"]), min_size=size, max_size=size))
    ids = draw(st.lists(st.sampled_from(["C1", "C10", "C2", "c1", "é"]), min_size=size, max_size=size))
    labels = draw(st.permutations(list(range(100, 100 + 2 * size, 2))))
    frame = pd.DataFrame({"start_utc": _utc(starts, labels), "agency_id": pd.Series(agencies, index=labels, dtype="str"),
                          "call_id": pd.Series(ids, index=labels, dtype="str")})
    return frame, list(zip(starts, agencies, ids))


def _oracle_order(rows) -> list[int]:
    """Call order (start, agency, call id), nulls last; text by code point, as rules.md sorts."""
    return sorted(range(len(rows)), key=lambda i: (rows[i][0] is None, rows[i][0] or 0, rows[i][1], rows[i][2]))


@given(_calls())
def test_call_order_sorts_as_the_spec_says(drawn):
    frame, rows = drawn
    order = call_order(frame)
    assert [rows[i] for i in order] == [rows[i] for i in _oracle_order(rows)]      # ties may permute equal rows


@given(_calls())
def test_in_call_order_is_true_exactly_for_sorted_calls_without_nulls(drawn):
    frame, rows = drawn
    ordered = [rows[i] for i in _oracle_order(rows)] == rows and all(r[0] is not None for r in rows)
    assert in_call_order(frame) == (ordered or len(rows) < 2)


# --- key look-ups (confidentiality and qualification rules) ----------------------------------

_ids = st.one_of(st.none(), st.sampled_from(["AG01", "AG02", "ag01", "E1", "E2", ""]))


@st.composite
def _pairs(draw):
    left_size, right_size = draw(st.integers(0, 20)), draw(st.integers(0, 20))
    left = [tuple(draw(_ids) for _ in range(2)) for _ in range(left_size)]
    right = [tuple(draw(_ids) for _ in range(2)) for _ in range(right_size)]
    values = draw(st.lists(st.integers(0, 99), min_size=right_size, max_size=right_size))
    left_labels = draw(st.permutations(list(range(7, 7 + 3 * left_size, 3))))
    right_labels = draw(st.permutations(list(range(50, 50 + 5 * right_size, 5))))
    return left, right, values, left_labels, right_labels


def _columns(rows, labels, width=2):
    return tuple(pd.Series([row[k] for row in rows], index=labels, dtype="str") for k in range(width))


@given(_pairs())
def test_pairs_in_is_tuple_membership_without_nulls(drawn):
    left, right, _, left_labels, right_labels = drawn
    known = {row for row in right if None not in row}
    expected = [None not in row and row in known for row in left]
    assert pairs_in(_columns(left, left_labels), _columns(right, right_labels)).tolist() == expected


@given(_pairs())
def test_map_pairs_takes_the_first_matching_rows_value(drawn):
    left, right, values, left_labels, right_labels = drawn
    first: dict[tuple, int] = {}
    for row, value in zip(right, values):
        if None not in row:
            first.setdefault(row, value)
    expected = [first.get(row) if None not in row else None for row in left]
    mapped = map_pairs(_columns(left, left_labels), _columns(right, right_labels),
                       pd.Series(values, index=right_labels, dtype="float64"))
    assert list(mapped.index) == left_labels
    assert [None if pd.isna(v) else int(v) for v in mapped] == expected


@given(st.lists(_ids, max_size=20), st.lists(_ids.filter(lambda v: v is not None), unique=True, max_size=6))
def test_positions_in_is_index_of_or_minus_one(values, distinct):
    expected = [distinct.index(v) if v is not None and v in distinct else -1 for v in values]
    assert positions_in(pd.Series(values, dtype="str"), distinct).tolist() == expected


@given(st.lists(st.tuples(st.sampled_from(["AG01", "AG02", "AG03"]), st.sampled_from([-1, 5, 6, 10**14])), max_size=20),
       st.lists(st.tuples(st.one_of(st.none(), st.sampled_from(["AG01", "AG02", "AG09"])), st.sampled_from([5, 6, 10**14])),
                max_size=20))
def test_agency_numbers_in_is_pair_membership(calls, pairs):
    known = {pair for pair in pairs if pair[0] is not None}
    expected = [call in known for call in calls]
    call_frame = pd.DataFrame({"agency_id": pd.array([a for a, _ in calls], dtype="str"),
                               "number": np.array([n for _, n in calls], dtype="int64")}, index=range(5, 5 + len(calls)))
    pair_frame = pd.DataFrame({"agency_id": pd.Series([a for a, _ in pairs], dtype="str"),
                               "number": np.array([n for _, n in pairs], dtype="int64")})
    assert agency_numbers_in(call_frame, pair_frame).tolist() == expected


# --- PII in notes ------------------------------------------------------------------------

oracle_pii = pii_oracle          # rules.md CONF_PII_IN_NOTES, one character at a time (tests/oracle)


def _mod11_2_check(body: str) -> str:
    """ISO 7064 MOD 11-2 check character of 17 digits (weights 2^(17-i) mod 11)."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(body))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def _with_check(body: str) -> str:
    return body + _mod11_2_check(body)


def _luhn_completed(body: str) -> str:
    for last in "0123456789":
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


_NUMERALS = "〇零一二三四五六七八九壹贰叁肆伍陆柒捌玖两"
_digits = st.text(alphabet="0123456789", min_size=1, max_size=20)
_identifier = st.one_of(
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.from_regex(r"[0-9]{17}", fullmatch=True).map(_with_check),
    st.from_regex(r"[0-9]{17}", fullmatch=True).map(lambda b: _with_check(b).lower()),
    st.from_regex(r"[0-9]{12,18}", fullmatch=True).map(_luhn_completed),
)
# what may stand between digit groups (and what may not): every separator rules.md lists and
# a few more characters each way
_joins = st.sampled_from([" ", "-", ".", "/", "_", ",", ";", ":", "|", "+", "*", "\u3000", "\u00a0", "\t", "\n",
                          "\u2014", "\u2212", "\uff0d", "\uff0c", "\u200b", "\u2060", "\u00ad", "(", ")", ") (",
                          "[", "】", "  ", " - ", "**", "~", "\\", "#", "x", "号"])


@st.composite
def _grouped(draw, number: str) -> str:
    """`number` split into groups joined by drawn joins, some digits Chinese or full-width."""
    out, position = [], 0
    while position < len(number):
        size = draw(st.integers(1, 8))
        group = number[position:position + size]
        style = draw(st.sampled_from(["ascii", "ascii", "wide", "chinese", "capital"]))
        if style == "wide":
            group = group.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        elif style == "chinese":
            group = group.translate(str.maketrans("0123456789", "零一二三四五六七八九"))
        elif style == "capital":
            group = group.translate(str.maketrans("0123456789", "〇壹贰叁肆伍陆柒捌玖"))
        out.append(group)
        position += size
        if position < len(number):
            out.append(draw(_joins))
    return "".join(out)


_piece = st.one_of(
    _digits,
    _identifier,
    _identifier.flatmap(_grouped),
    _digits.flatmap(_grouped),
    _joins,
    st.sampled_from(["X", "x", "号码", "：", "．", "١٢٣", "²", "①", "⑩", "㈠", "ID", "卡", "+86 ", "(+86)", "两",
                     "2026-11-30", "2026/11/30 12:03:00", "2026-11-30T12:03:00+08:00", "12:30", "09:05:07.5",
                     "11-27 09:02", "02/01 10:00:00", "13-27 09:02",
                     "1949-12-31", "12:30-13:00", "1380-01-38", "25:61"]),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=3),
    _digits.map(lambda d: d.translate(str.maketrans("0123456789", "０１２３４５６７８９"))),
    st.text(alphabet=_NUMERALS, min_size=1, max_size=12),
)
_notes = st.lists(_piece, min_size=1, max_size=8).map("".join)


@given(_notes)
def test_pii_kinds_equal_the_per_character_oracle(text):
    found = {kind for kind in pii_kinds(text).split(", ") if kind}
    assert found == oracle_pii(text)


_LISTED = [" ", "\u3000", "\u00a0", "\t", "-", ".", "/", "_", ",", ";", ":", "|", "+", "*", "\u200b", "\u2060"]


@given(number=_identifier, join=st.sampled_from(_LISTED), cuts=st.sets(st.integers(1, 17), max_size=5),
       before=st.sampled_from(["", "客户 ", "tel:", "ID "]), after=st.sampled_from(["", " 已核实", "号", "，"]))
def test_an_identifier_in_groups_joined_by_any_listed_separator_is_found(number, join, cuts, before, after):
    cuts = sorted(c for c in cuts if c < len(number) - (number[-1] in "Xx"))
    groups = [number[a:b] for a, b in zip([0, *cuts], [*cuts, len(number)])]
    text = before + join.join(groups) + after
    assert pii_kinds(text) != ""
    assert {kind for kind in pii_kinds(text).split(", ") if kind} == oracle_pii(text)
    assert pii_kinds(mask_free_text(text)) == ""


@given(_notes)
def test_masking_hides_whatever_the_rule_finds(text):
    masked = mask_free_text(text)
    assert pii_kinds(masked) == "" and oracle_pii(masked) == set(), (text, masked)


@given(st.lists(_notes, min_size=1, max_size=6))
def test_the_prefilter_passes_every_note_the_rule_or_the_masking_reads(texts):
    values = pa.array(texts, type=pa.string())
    for digits, reads in ((11, lambda t: pii_kinds(t) != ""),
                          (7, lambda t: mask_free_text(t) != t)):
        passed = may_hold_number(values, digits=digits)
        assert [t for t, p in zip(texts, passed) if not p and reads(t)] == []


def test_identifier_kinds_of_a_column_equal_pii_kinds_of_each_note():
    notes = pd.Series(["138 0013 8001", None, "回电 12:30", "138 0013 8001", "一三八零零一三八零零一", float("nan"),
                       "4111-1111-1111-1111", "2026-11-30 12:03:00", "客户表示考虑一下"], index=range(7, 16))
    kinds = identifier_kinds(notes)
    assert kinds.index.equals(notes.index)
    assert kinds.tolist() == [pii_kinds(n) if isinstance(n, str) else "" for n in notes]
    assert (kinds != "").sum() == 4


@pytest.mark.parametrize("text, kinds", [
    ("客户身份证11010519491231002X已核实", {"PRC resident ID"}),
    ("card 4111111111111111", {"card number"}),
    ("手机１３８００１３８０００", {"mobile number"}),
    ("138-0013-8000", {"mobile number"}),                       # groups joined by single separators
    ("4111 1111 1111 1111", {"card number"}),
    ("+86 (138) 0013-8009", {"mobile number"}),
    ("110105 19491231 0011", {"PRC resident ID"}),
    ("一三八零零一三八零零一", {"mobile number"}),
    ("138  0013  8000", set()),                                 # two separators end a number
    ("1380013800", set()),                                      # 10 digits
    ("2026-11-30 12:03:00", set()),                             # a date-time, though its digits pass Luhn
    ("12:30", set()),
])
def test_pii_literals(text, kinds):
    assert {kind for kind in pii_kinds(text).split(", ") if kind} == kinds == oracle_pii(text)


# --- masking by split (findings' callee_masked) -----------------------------------------

def _oracle_mask(number: str) -> str:
    parsed = phonenumbers.parse(number, None)
    national = phonenumbers.national_significant_number(parsed)
    size = len(national)
    head, tail = (3, 4) if size >= 10 else (2, 2) if size >= 8 else (0, 2)
    return f"+{parsed.country_code} " + national[:head] + "*" * (size - head - tail) + national[size - tail:]


_REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


@given(st.sampled_from(_REGIONS), st.sampled_from(["mobile", "fixed_line", "toll_free"]),
       st.text(alphabet="0123456789", min_size=0, max_size=4))
def test_mask_by_split_equals_masking_what_phonenumbers_parses(region, kind, tail):
    example = phonenumbers.example_number_for_type(region, getattr(phonenumbers.PhoneNumberType, kind.upper()))
    assume(example is not None)
    national = phonenumbers.national_significant_number(example)
    changed = national[: len(national) - len(tail)] + tail
    number = phonenumbers.parse(f"+{example.country_code}{changed}", None)
    assume(phonenumbers.is_valid_number(number))
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    assert mask_e164(e164) == _oracle_mask(e164)
