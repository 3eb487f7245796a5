"""Phone numbers in any common written form -> E.164, judged by `phonenumbers`.

A number is bad when `phonenumbers` cannot parse it or `is_valid_number` is false. Parsing
every distinct number with `phonenumbers` costs ~50 µs each, minutes for a night of ten
million calls, so the dominant shape of the bank's region is decided vectorised instead: for
CN, an 11-digit mobile-range number written bare, with +86, 0086 or 86, in ASCII or full-width
digits, with any separators. Its validity is read
from the same `phonenumbers` metadata (possible lengths and national-number patterns of the
general description and of every number type, as `is_valid_number` does), applied with a
vectorised regex. tests/test_phones.py proves both paths agree; everything else goes through
`phonenumbers.parse` itself, once per distinct written form.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

from audits.arrow_text import as_arrow_text, extract_groups, strip_separators, text_array

# Written forms decided without phonenumbers.parse, per default region: a regex whose group 1
# is the national significant number, and the country code. The national number must not be
# changed by the region's national-prefix parsing: CN's strips "1[12]xx", "179xx" (carrier
# codes) and "0", so 11-digit numbers starting 13-16, 18, 19 are safe and 17x is not.
# "86" without a plus is the country code too: phonenumbers strips a leading default country
# code when the number is too long with it (13 digits are, for CN).
_FAST_SHAPES = {"CN": (r"^(?:\+86|0086|86)?(?P<national>1[3-689]\d{9})$", "86")}
# Full-width digits and plus (Chinese spreadsheets), read by phonenumbers as their ASCII forms.
_FULL_WIDTH = {chr(0xFF10 + digit): str(digit) for digit in range(10)} | {"\uff0b": "+"}
_TYPE_DESCS = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
               "voicemail", "fixed_line", "mobile")


def normalise_phones(values: pd.Series, region: str) -> pd.Series:
    """E.164 text for each value; null where the number is bad (or blank).

    The dominant shape is judged vectorised row by row (deduplicating millions of mostly
    distinct numbers first costs more than it saves); every other distinct written form goes
    through phonenumbers once.
    """
    text = pd.StringDtype("pyarrow", na_value=np.nan)
    compact = strip_separators(values).astype(text)
    e164 = pd.Series(np.nan, index=values.index, dtype=text)
    decided = compact.isna().to_numpy().copy()
    if region in _FAST_SHAPES and len(compact):
        pattern, country = _FAST_SHAPES[region]
        national = extract_groups(ascii_digits(compact), pattern)["national"]
        shaped = national.notna()
        valid = shaped & valid_national_numbers(national.where(shaped, ""), region)
        e164 = ("+" + country + national).where(valid).astype(text)
        decided |= shaped.to_numpy()
    rest = np.flatnonzero(~decided)
    if len(rest):
        codes, forms = pd.factorize(compact.iloc[rest])
        verdicts = pd.Series([_parse_one(form, region) for form in forms], dtype=text)
        e164.iloc[rest] = verdicts.array.take(codes, allow_fill=True)
    return e164


def ascii_digits(values: pd.Series) -> pd.Series:
    """Full-width digits and plus as ASCII, in the (few) values that are not ASCII already."""
    array = text_array(values)                           # one array: a long column comes in chunks
    wide = pc.invert(pc.fill_null(pc.string_is_ascii(array), True))
    if not pc.any(wide).as_py():
        return values
    narrow = array.filter(wide)
    for full, ascii in _FULL_WIDTH.items():
        narrow = pc.replace_substring(narrow, full, ascii)
    return pd.Series(pd.array(pc.replace_with_mask(array, wide, narrow), dtype=values.dtype), index=values.index)


def valid_national_numbers(national: pd.Series, region: str) -> pd.Series:
    """Vectorised `is_valid_number` for national significant numbers of `region`: per length,
    the general pattern and the alternation of every number type's pattern (as
    `is_valid_number` reads them), each one regex pass in Arrow."""
    lengths = national.str.len().fillna(0).astype("int64").to_numpy()
    array = pa.array(national, type=pa.string())
    valid = np.zeros(len(national), dtype=bool)
    for length in np.unique(lengths):
        patterns = _validity_patterns(region, int(length))
        if patterns is None:
            continue
        rows = np.flatnonzero(lengths == length)
        subset = array.take(pa.array(rows))
        hit = np.ones(len(rows), dtype=bool)
        for pattern in patterns:
            hit &= pc.fill_null(pc.match_substring_regex(subset, pattern), False).to_numpy(zero_copy_only=False)
        valid[rows] = hit
    return pd.Series(valid, index=national.index)


@functools.cache
def _validity_patterns(region: str, length: int) -> tuple[str, str] | None:
    """(general pattern, any-type pattern) for national numbers of this length, anchored; None
    when no number of that length can be valid."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)

    def fits(desc) -> bool:
        return (desc is not None and bool(desc.national_number_pattern) and length > 0
                and (not desc.possible_length or length in desc.possible_length))

    types = [getattr(metadata, name) for name in _TYPE_DESCS if fits(getattr(metadata, name))]
    if not fits(metadata.general_desc) or not types:
        return None
    any_type = "|".join(f"(?:{desc.national_number_pattern})" for desc in types)
    return f"^(?:{metadata.general_desc.national_number_pattern})$", f"^(?:{any_type})$"


def _parse_one(text: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def e164_integers(e164: pd.Series) -> np.ndarray:
    """Each E.164 number as one int64 (its digits; at most 15, so it fits), -1 when null.

    Grouping and joining millions of calls on integers is several times faster, and far
    leaner, than on text.
    """
    digits = pc.utf8_slice_codeunits(as_arrow_text(e164), 1)
    return pc.fill_null(pc.cast(digits, pa.int64()), -1).to_numpy(zero_copy_only=False)
