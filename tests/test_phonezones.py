"""The vectorised time zones of phone numbers agree with phonenumbers.timezone.time_zones_for_number,
number by number: every region's example numbers of every type with their last digits changed,
and a property over the countries whose zones differ within the country."""

from __future__ import annotations

import numpy as np
import pandas as pd
import phonenumbers
from hypothesis import given
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType
from phonenumbers.timezone import time_zones_for_number

from audits.phone_zones import number_zones
from audits.phones import e164_integers

TYPES = (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE, PhoneNumberType.PREMIUM_RATE,
         PhoneNumberType.SHARED_COST, PhoneNumberType.VOIP, PhoneNumberType.PERSONAL_NUMBER, PhoneNumberType.PAGER,
         PhoneNumberType.UAN, PhoneNumberType.VOICEMAIL)
# Regions of the countries whose prefixes do not all share the country's zones (where the type matters).
MIXED = ("US", "CA", "JM", "PR", "AG", "RU", "KZ", "GB", "GG", "JE", "IM", "AU", "CX", "CC", "MX", "BR", "ID", "ES",
         "PT", "FI", "AX", "IT", "VA", "NO", "SJ", "NZ", "EC", "PF", "FM", "MN", "GL", "CD", "RE", "YT", "CW", "BQ")


def expected_zones(e164: str | None) -> tuple[str, ...] | None:
    """phonenumbers' answer for one number (None: no number, or no zone known)."""
    if e164 is None:
        return None
    zones = time_zones_for_number(phonenumbers.parse(e164))
    return None if zones == ("Etc/Unknown",) else tuple(sorted(zones))


def valid_e164(text: str) -> str | None:
    try:
        number = phonenumbers.parse(text)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def fast_zones(e164s: list[str | None]) -> list[tuple[str, ...] | None]:
    found = number_zones(e164_integers(pd.Series(e164s, dtype="str")))
    return [found.sets[k] if k >= 0 else None for k in found.of]


def _examples(regions) -> list[str]:
    out = []
    for region in regions:
        for kind in TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                out.append(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    for code in (800, 808, 870, 878, 881, 882, 883, 888, 979):          # non-geographic entities
        example = phonenumbers.example_number_for_non_geo_entity(code)
        if example is not None:
            out.append(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    return out


def _varied(examples: list[str], rng: np.random.Generator, per: int) -> list[str]:
    """Each example and `per` copies with up to four of their last digits redrawn, kept when valid."""
    out = []
    for e164 in examples:
        out.append(e164)
        for _ in range(per):
            tail = int(rng.integers(1, 5))
            digits = "".join(str(d) for d in rng.integers(0, 10, tail))
            variant = valid_e164(e164[:-tail] + digits)
            if variant is not None:
                out.append(variant)
    return out


def test_every_regions_numbers_of_every_type_have_phonenumbers_zones():
    numbers = _varied(_examples(sorted(phonenumbers.SUPPORTED_REGIONS)), np.random.default_rng(7), 3)
    numbers += [None, "+8613800138000", "+12125550123", "+19075550123", "+18005550123", "+80012345678"]
    mismatches = [(n, f, expected_zones(n)) for n, f in zip(numbers, fast_zones(numbers)) if f != expected_zones(n)]
    assert mismatches == []
    assert len(numbers) > 3000
    several = [n for n in numbers if n and len(expected_zones(n) or ()) > 1]
    assert len(several) > 100                                   # numbers in several zones are exercised


_MIXED_NUMBERS = _examples(MIXED)


@given(st.lists(st.tuples(st.sampled_from(_MIXED_NUMBERS), st.integers(1, 4), st.integers(0, 9999)),
                min_size=1, max_size=40),
       st.lists(st.sampled_from([None, "+8613800138000", "+12125550123"]), max_size=5))
def test_numbers_of_countries_with_several_zones_have_phonenumbers_zones(drawn, extra):
    numbers = [valid_e164(e164[:-tail] + f"{digits:0{tail}d}"[-tail:]) for e164, tail, digits in drawn] + extra
    numbers = numbers + numbers[::-1]                          # repeats: worked out once per distinct number
    assert fast_zones(numbers) == [expected_zones(n) for n in numbers]


def test_no_numbers():
    found = number_zones(np.zeros(0, dtype=np.int64))
    assert found.of.tolist() == [] and found.sets == ()
