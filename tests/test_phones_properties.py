"""normalise_phones (a vectorised path for the region's dominant shapes, phonenumbers for the
rest) against a per-value oracle written from data-contract.md: a number in any common written
form is normalised to E.164 by `phonenumbers` with the bank's region, and is bad (null) when
`phonenumbers` cannot parse it or `is_valid_number` is false. Columns mix every written form
agencies use (separators, +86 / 0086 / 86, full-width digits) with bad values and blanks, under
non-contiguous, shuffled indexes, in both text dtypes the loaders hand over."""

from __future__ import annotations

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import audits.phones as phones
from audits.phones import normalise_phones

TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


def oracle(text: object, region: str) -> str | None:
    """E.164 of one written number, or None; plain phonenumbers, per value."""
    if not isinstance(text, str):
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _wide(text: str) -> str:
    return "".join(chr(0xFF10 + int(c)) if c.isdigit() else "\uff0b" if c == "+" else c for c in text)


@st.composite
def written(draw) -> str:
    """A national number of any 1xx range (valid or not; sometimes a digit short or long), written
    with a prefix and separators agencies use, now and then in full-width characters."""
    prefix = draw(st.integers(100, 199))
    rest = draw(st.integers(0, 10**8 - 1))
    national = f"{prefix}{rest:08d}" + draw(st.sampled_from(["", "", "", "", "5"]))
    national = national[:-1] if draw(st.integers(0, 9)) == 0 else national
    lead = draw(st.sampled_from(["", "", "+86", "+86 ", "0086", "0086-", "86", "86 ", "(+86) ", "+86-", "+ 86 ",
                                 "0", "8686", "+1 "]))
    separator = draw(st.sampled_from(["", "", " ", "-", ".", "\u3000", "\xa0", "－"]))
    body = separator.join((national[:3], national[3:7], national[7:])) if separator else national
    text = lead + body
    if draw(st.integers(0, 5)) == 0:
        text = _wide(text)
    return text


_bad = st.sampled_from(["", " ", "12345", "abc", "138-1234-567x", "021-61234567", "02161234567", "+86 21 6123 4567",
                        "+1 202-456-1111", "17951381234567", "861381234567", "+8613812345678;13912345678",
                        "(010) 6552 9988", "1381234567８", "tel:13812345678", "+86+8613812345678", "00",
                        "+852 9123 4567", "13812345678 ext. 12", "１３８"])
_cell = st.one_of(written(), written(), written(), _bad, st.none())


@st.composite
def columns(draw):
    size = draw(st.integers(1, 30))
    values = draw(st.lists(_cell, min_size=size, max_size=size))
    labels = draw(st.lists(st.integers(0, 10_000), min_size=size, max_size=size, unique=True))
    return values, labels


def _actual(result: pd.Series) -> list[str | None]:
    return [None if pd.isna(value) else value for value in result]


@settings(max_examples=300, deadline=None)
def _series(values: list, labels: list, dtype) -> pd.Series:
    """A column as the loaders hand it over: text or object dtype, or Arrow text in several chunks
    (a long CSV column)."""
    if dtype != "chunked":
        return pd.Series(values, index=labels, dtype=dtype)
    half = len(values) // 2
    chunks = pa.chunked_array([pa.array(values[:half], pa.string()), pa.array(values[half:], pa.string())])
    return pd.Series(pd.array(chunks, dtype=TEXT), index=labels)


@given(columns(), st.sampled_from([TEXT, "object", "chunked"]))
def test_normalise_phones_equals_the_per_value_oracle(column, dtype):
    values, labels = column
    series = _series(values, labels, dtype)
    result = normalise_phones(series, "CN")
    assert list(result.index) == labels
    assert _actual(result) == [oracle(v, "CN") for v in values]


@settings(max_examples=100, deadline=None)
@given(columns())
def test_a_subset_of_a_column_normalises_as_its_rows_alone(column):
    values, labels = column
    series = pd.Series(values, index=labels, dtype=TEXT)
    subset = series.iloc[::-2]
    assert _actual(normalise_phones(subset, "CN")) == [oracle(v, "CN") for v in subset]


def test_the_written_forms_agencies_use_are_decided_without_per_value_parsing(monkeypatch):
    forms = ["13812345678", "+86 138 1234 5678", "+8613812345678", "0086-138-1234-5678", "138 1234 5678",
             "008613812345678", "138-1234-5678", "(+86) 138 1234 5678", "86 138 1234 5678", "8613812345678",
             "+86-138-1234-5678", "１３８１２３４５６７８", "＋８６ １３９ ８７６５ ４３２１"]
    parsed = []
    monkeypatch.setattr(phones, "_parse_one", lambda text, region: parsed.append(text) or oracle(text, region))
    result = normalise_phones(_series(forms, list(range(100, 100 + 2 * len(forms), 2)), "chunked"), "CN")
    assert parsed == []
    assert _actual(result) == [oracle(v, "CN") for v in forms]
    assert result.notna().all()


@pytest.mark.parametrize("text", ["861381234567", "8686138123456789", "0861381234567"])
def test_other_shapes_still_go_to_phonenumbers(text, monkeypatch):
    parsed = []
    monkeypatch.setattr(phones, "_parse_one", lambda value, region: parsed.append(value) or oracle(value, region))
    assert _actual(normalise_phones(pd.Series([text], dtype=TEXT), "CN")) == [oracle(text, "CN")]
    assert parsed == [text]
