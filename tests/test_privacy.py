"""Masking of phone numbers: readable enough to recognise, never the whole number."""

import csv
import datetime as dt
import hashlib
import unicodedata

import pandas as pd
import phonenumbers
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from audits.ingest import load_calls, load_reference
from audits.models import CaseLine, Finding
from audits.privacy import (
    _LOOSE,
    CHINESE_DIGITS,
    FOLDS_TO_DIGITS,
    INVISIBLE,
    key_fingerprint,
    mask_e164,
    mask_free_text,
    mask_id_text,
    mask_published_fields,
    mask_published_ids,
    mask_text_column,
)
from audits.rulepack import load_rulepack
from audits.rules.confidentiality import pii_kinds


@pytest.mark.parametrize("number, masked", [
    ("+8613812345678", "+86 138****5678"),
    ("+12025550143", "+1 202***0143"),
    ("+390612345678", "+39 061***5678"),          # Italy keeps its leading zero
    ("+85291234567", "+852 91****67"),
    ("+86123", "+86 *23"),                        # too short for the fast split: phonenumbers parses it
    ("+99912345678", "999****5678"),              # no such calling code: digits only
    ("12345", "***45"),
    ("", ""),
])
def test_mask_e164_literal(number, masked):
    assert mask_e164(number) == masked


def test_mask_e164_hides_the_middle_of_the_national_number():
    assert mask_e164("+8613812345678").count("*") == 4
    assert "12345678" not in mask_e164("+8613812345678")


def _parsed_split(number: str) -> tuple[str, str]:
    parsed = phonenumbers.parse(number, None)
    return str(parsed.country_code), phonenumbers.national_significant_number(parsed)


def test_fast_split_equals_phonenumbers_on_every_regions_example_numbers():
    from audits.privacy import _split_e164

    checked = 0
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            assert _split_e164(e164) == _parsed_split(e164), e164
            checked += 1
    assert checked > 400


def test_free_text_keeps_dates_and_last_four_digits():
    assert mask_free_text("call 13812345678 on 2026-11-27") == "call *******5678 on 2026-11-27"


# --- free text: every written form of a phone, ID or card number ---------------------------

@pytest.mark.parametrize("text, masked", [
    ("138.0013.8000", "***.****.8000"),
    ("138  0013  8000", "***  ****  8000"),
    ("+86.138.0013.8000", "+**.***.****.8000"),
    ("138\t0013\t8000", "***\t****\t8000"),
    ("138 - 0013 - 8000", "*** - **** - 8000"),
    ("(+86) 138/0013/8000", "(+**) ***/****/8000"),
    ("１３８ ００１３ ８０００", "*** **** 8000"),                   # full-width digits and space
    ("卡号 4111.1111.1111.1111 已核实", "卡号 ****.****.****.1111 已核实"),
    ("ID 110105-19491231-002X", "ID ******-********-002X"),
])
def test_free_text_masks_numbers_with_any_separators(text, masked):
    assert mask_free_text(text) == masked


# --- free text: the written forms CONF_PII_IN_NOTES reads (Chinese numerals, every separator) ---

@pytest.mark.parametrize("text, masked", [
    ("一三八零零一三八零零三", "*******八零零三"),
    ("壹叁捌零零壹叁捌零壹叁", "*******捌零壹叁"),
    ("回电一三八两两一三八零零一", "回电*******八零零一"),                     # 两 = 2
    ("138,0013,8019", "***,****,8019"),
    ("138;0013;8020", "***;****;8020"),
    ("138:0013:8021", "***:****:8021"),
    ("138*0013*8026", "*********8026"),
    ("138|0013|8027", "***|****|8027"),
    ("138+0013+8028", "***+****+8028"),
    ("138\u200b0013\u20608030", "***\u200b****\u20608030"),                 # invisible characters
    ("[138](0013)8029", "[***](****)8029"),
    ("ID 110105 19491231 002x", "ID ****** ******** 002x"),
])
def test_free_text_masks_every_form_the_notes_rule_reads(text, masked):
    assert mask_free_text(text) == masked


@pytest.mark.parametrize("text", ["回电 12:30", "call 2026-11-30", "2026-11-30 12:30 回电", "12:30:45",
                                  "+86 138****5678", "金额 12,345 元"])
def test_free_text_keeps_dates_times_and_masked_numbers(text):
    assert mask_free_text(text) == text


@pytest.mark.parametrize("text", [
    "call back 2026-11-27 09:00:00, not before",
    "answered 2026-11-27T09:00:00+08:00 by A1",
    "start 2026-11-27 11:00:00,5",
])
def test_free_text_keeps_timestamps_that_are_clearly_timestamps(text):
    assert mask_free_text(text) == text


def test_a_date_joined_to_other_digits_is_masked_with_them():
    # "1949-12-31" inside an ID, or a date run on into a phone, is not clearly a date
    assert mask_free_text("110105 1949-12-31 002X") == "****** ****-**-** 002X"
    assert "13800138000" not in mask_free_text("2026-11-27 13800138000").replace("*", "")
    assert mask_free_text("1380-01-38") == "****-01-38"                     # not a plausible date


# Generated identifiers, written the ways people write them, inside arbitrary text. The oracle
# is independent of the masking's own separator list: it strips every character the writer
# may have put between digit groups and looks for any 7 consecutive digits of the original.
_GAPS = [" ", "  ", "\t", ".", "-", " - ", "/", "(", ")", "[", "]", "_", "~", "\u3000", "\u00a0", "\uff0d",
         "\u2014", "\u2212", "\u00ad", "\u200b", "\uff0e", "\uff0f", " / ", ") ", "\t-\t"]
_GAP_CHARS = set("".join(_GAPS)) | set(unicodedata.normalize("NFKC", "".join(_GAPS)))
_TEXT = st.text(alphabet=st.sampled_from(sorted(set("abcXx客户卡号手机:;,#*'\"+=0123456789") | _GAP_CHARS)),
                max_size=12)


def _luhn_completed(body: str) -> str:
    total = 0
    for position, digit in enumerate(reversed(body)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return body + str((10 - total % 10) % 10)


def _prc_id(area: str, born: dt.date, sequence: str) -> str:
    body = f"{area}{born:%Y%m%d}{sequence}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


_MOBILES = st.builds(lambda head, rest: head + rest, st.sampled_from(["138", "139", "150", "158", "186", "177"]),
                     st.text(alphabet="0123456789", min_size=8, max_size=8)).filter(
    lambda n: phonenumbers.is_valid_number(phonenumbers.parse(n, "CN")))
_IDS = st.builds(_prc_id, st.sampled_from(["110105", "310104", "440305"]),
                 st.dates(dt.date(1940, 1, 1), dt.date(2008, 12, 31)),
                 st.text(alphabet="0123456789", min_size=3, max_size=3))
_CARDS = st.builds(lambda prefix, body: _luhn_completed(prefix + body), st.sampled_from(["4", "51", "62", "37"]),
                   st.text(alphabet="0123456789", min_size=12, max_size=14))


@st.composite
def _written(draw, number: str) -> str:
    """`number` split into groups joined by random separators, some digits full-width."""
    if len(number) == 11 and draw(st.booleans()):
        number = draw(st.sampled_from(["+86", "0086", "86", "(+86)", "+86 "])) + number
    out, position = [], 0
    while position < len(number):
        size = draw(st.integers(1, 6))
        group = number[position:position + size]
        if draw(st.booleans()):
            group = "".join(chr(ord(ch) + 0xFEE0) if ch.isdigit() and draw(st.booleans()) else ch for ch in group)
        out.append(group)
        position += size
        if position < len(number):
            out.append(draw(st.sampled_from(_GAPS)) if draw(st.booleans()) else "")
    return "".join(out)


def _digits_of(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch not in _GAP_CHARS)


@given(data=st.data(), number=st.one_of(_MOBILES, _IDS, _CARDS), before=_TEXT, after=_TEXT)
def test_no_seven_digits_of_a_written_number_survive_masking(data, number, before, after):
    written = data.draw(_written(number))
    digits = number.rstrip("X")
    windows = {digits[i:i + 7] for i in range(len(digits) - 6)}
    assume(not any(w in _digits_of(before) or w in _digits_of(after) for w in windows))
    masked = mask_free_text(before + written + after)
    stripped = _digits_of(masked)
    assert not [w for w in windows if w in stripped], (before + written + after, masked)


def test_key_fingerprint_names_the_key_without_revealing_it():
    first = key_fingerprint(b"bank-secret-1")
    assert first == key_fingerprint(b"bank-secret-1") and len(first) == 16 and int(first, 16) >= 0
    assert first != key_fingerprint(b"bank-secret-2")
    assert "bank-secret" not in first and first != hashlib.sha256(b"bank-secret-1").hexdigest()[:16]


# --- quarantine.csv: a quarantined row's notes, in every written form, are masked in `raw` ----

QUARANTINED_NOTES = {"q1": "一三八零零一三八零零三", "q2": "壹叁捌零零壹叁捌零壹叁", "q3": "138,0013,8019",
                     "q4": "138;0013;8020", "q5": "138:0013:8021", "q6": "138*0013*8026", "q7": "138|0013|8027",
                     "q8": "138+0013+8028"}


def test_quarantined_notes_are_masked_in_raw(tmp_path):
    from tests.landing import DAY, call, make_landing

    pack = load_rulepack("cn_bank")
    landing = make_landing(tmp_path / "landing", {DAY: {"AG01": [
        call(call_id, "2026-11-27 09:00:00", disposition="PICKED_UP", notes=notes)       # DQ_BAD_ENUM
        for call_id, notes in QUARANTINED_NOTES.items()]}})
    tables = load_reference(landing, audit_date=DAY, rulepack=pack)
    quarantine = load_calls(landing, day=DAY, contracts=tables["contracts"].accepted, rulepack=pack).quarantine
    raw = dict(zip(quarantine["call_id"], quarantine["raw"]))
    assert set(raw) == set(QUARANTINED_NOTES)
    for call_id, notes in QUARANTINED_NOTES.items():
        fields = next(csv.reader([raw[call_id]]))
        assert pii_kinds(notes) == "mobile number"                            # the rule reads a number here ...
        assert [f for f in fields if pii_kinds(f)] == [], raw[call_id]        # ... and masking leaves none of it
        assert notes not in raw[call_id] and notes[:7] not in raw[call_id]


# --- the character lists behind the reading, against Python's Unicode tables -----------------

def test_invisible_characters_are_exactly_the_format_characters():
    import re
    import sys


    listed = re.compile(f"[{INVISIBLE}]")
    wrong = [hex(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF
             and (unicodedata.category(chr(c)) == "Cf") != bool(listed.fullmatch(chr(c)))]
    assert wrong == []


def test_the_prefilter_passes_every_character_nfkc_turns_into_a_digit_or_a_join():
    """A letter or number that NFKC turns into digits, numerals or a join (anything else joins
    in the prefilter's reading anyway) is one the prefilter lets through."""
    import re
    import sys


    raw_digits = set("0123456789０１２３４５６７８９" + CHINESE_DIGITS)
    digit_like = set("0123456789" + CHINESE_DIGITS)
    joins, listed = re.compile(f"{_LOOSE}|[,;:|+*]"), re.compile(f"[{FOLDS_TO_DIGITS}]")
    missed = []
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF or char in raw_digits:
            continue
        folded = unicodedata.normalize("NFKC", char)
        if folded != char and (digit_like & set(folded) or (unicodedata.category(char)[0] in "LN"
                                                             and joins.search(folded))):
            if not listed.fullmatch(char):
                missed.append(hex(code))
    assert missed == []


# --- a whole column at once: byte arithmetic for plain ASCII values, Python for the rest -------

_ID_TEXT = st.lists(st.sampled_from(list("0123456789012345678901234567890123456789 -_.,;:|+*/()[]xXAB#~\t")
                                    + ["2026-11-27", "12:30", "一", "三", "\u200b", "\u3000", "１", "é",
                                       "CMP-20261123", "x_19991231", "-20261301", "AB-"]),
                    max_size=30).map("".join)


@given(st.lists(st.one_of(st.none(), _ID_TEXT), max_size=40), st.integers(0, 3))
def test_masking_a_column_equals_masking_each_value(values, start):

    column = pd.Series(values, index=[start + 3 * k for k in range(len(values))][::-1], dtype=object)
    masked = mask_text_column(column)
    assert masked.index.equals(column.index)
    assert [None if pd.isna(v) else v for v in masked] == \
        [None if v is None else mask_id_text(v) for v in values]
    repeated = pd.concat([column] * 3)                        # values that repeat: masked once each
    assert mask_text_column(repeated).tolist() == pd.concat([masked] * 3).tolist()


@given(st.lists(_ID_TEXT, max_size=10).map("".join))
def test_masking_twice_changes_nothing(text):
    once = mask_free_text(text)
    assert mask_free_text(once) == once


def test_a_compact_date_in_an_id_stays_readable_and_the_digits_around_it_are_masked():

    assert mask_id_text("CMP-20261123-001") == "CMP-20261123-001"
    assert mask_id_text("EXC_19991231") == "EXC_19991231"
    assert mask_id_text("CMP-20261123-0013800138") == "CMP-20261123-******0138"
    assert mask_id_text("13800138000-20261123") == "***********-****1123"        # no letters prefix: a number
    assert mask_id_text("CMP-20261332-001") == "CMP-*******2-001"                 # month 13: not a date
    assert mask_id_text("CMP-2026112300") == "CMP-******2300"                     # ten digits: not a date
    assert mask_free_text("CMP-20261123-001") == "CMP-*******3-001"               # free text stays strict
    frame = mask_published_ids(pd.DataFrame({"complaint_id": ["CMP-20261130-001", "CMP-13922223301"]}))
    assert frame["complaint_id"].tolist() == ["CMP-20261130-001", "CMP-*******3301"]


def test_masking_a_column_slice_reads_only_its_own_values():

    column = pd.Series(["1234567", "", "", "89 0123456", "x"], dtype="string[pyarrow]").iloc[1:]
    assert mask_text_column(column).tolist() == ["", "", "** ***3456", "x"]


def test_published_ids_are_masked_in_frames_and_dataclass_trees():

    frame = pd.DataFrame({"call_id": ["C13922223301", "c1"], "callee_key": ["13922223301" * 2, "k"],
                          "detail": ["campaign 13922223303 is unknown", "on 2026-11-27 10:00"]})
    masked = mask_published_ids(frame)
    assert masked["call_id"].tolist() == ["C*******3301", "c1"]
    assert masked["callee_key"].tolist() == frame["callee_key"].tolist()            # not an id from input
    assert masked["detail"].tolist() == ["campaign *******3303 is unknown", "on 2026-11-27 10:00"]
    finding = Finding(rule_id="R", severity="minor", call_id="C13922223301", agent_id="A1", campaign_id="MKT",
                      callee_masked="+86 139****3301", callee_key="13922223301", start_time="", detail="")
    case = CaseLine(case_id="C-1", rule_id="R", family="f", severity="minor", subject_kind="agent",
                    subject_display="A13922223302", status="new", decision="", first_seen="", last_seen="",
                    days_open=1, findings_today=1, findings_episode=1, calls_today=1, summary="s",
                    evidence=(finding,))
    tree = (case, (("A13922223302", 3),))
    out = mask_published_fields(tree)
    assert out[0].subject_display == "A*******3302" and out[0].evidence[0].call_id == "C*******3301"
    assert out[0].evidence[0].callee_key == "13922223301" and out[1] == tree[1]      # not a published id field
    untouched = (case.evidence[0].__class__(**{**finding.__dict__, "call_id": "c1"}),)
    assert mask_published_fields(untouched) is untouched
