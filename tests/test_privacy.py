"""Masking of phone numbers: readable enough to recognise, never the whole number."""

import phonenumbers
import pytest

from audits.privacy import mask_e164, mask_free_text


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
