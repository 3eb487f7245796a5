"""The vectorised fast path of phone normalisation agrees with phonenumbers itself."""

from __future__ import annotations

import numpy as np
import pandas as pd
import phonenumbers

from audits.phones import _parse_one, normalise_phones


def _written_forms(rng: np.random.Generator, size: int) -> list[str]:
    prefixes = rng.integers(100, 200, size)              # every 1xx range, valid or not
    rest = rng.integers(0, 10**8, size)
    forms = []
    for k, (p, r) in enumerate(zip(prefixes, rest)):
        national = f"{p}{r:08d}"
        forms.append((national, f"+86{national}", f"0086{national}", f"+86 {national[:3]} {national[3:7]} {national[7:]}",
                      f"{national[:3]}-{national[3:7]}-{national[7:]}")[k % 5])
    return forms


def test_fast_path_equals_phonenumbers_on_every_mobile_range():
    forms = _written_forms(np.random.default_rng(5), 6000)
    forms += ["13812345678", "17012345678", "17951381234567", "12345", "01065529988", "+1 202-456-1111",
              "1861234567", "138123456789", "+8613812345678", "0086 186 1234 5678", "+85291234567", "abc"]
    fast = normalise_phones(pd.Series(forms, dtype="str"), "CN")
    slow = [_parse_one(f.replace(" ", "").replace("-", ""), "CN") for f in forms]
    mismatches = [(f, a, b) for f, a, b in zip(forms, fast.tolist(), slow)
                  if (a if isinstance(a, str) else None) != b]
    assert mismatches == []
    assert fast.notna().sum() > 1000 and fast.isna().sum() > 100      # both outcomes exercised


def test_other_regions_use_phonenumbers():
    values = pd.Series(["(202) 456-1111", "+44 20 7946 0958", "555"], dtype="str")
    assert normalise_phones(values, "US").tolist()[:2] == ["+12024561111", "+442079460958"]
    assert pd.isna(normalise_phones(values, "US").iloc[2])
    assert phonenumbers.is_valid_number(phonenumbers.parse("+12024561111"))
