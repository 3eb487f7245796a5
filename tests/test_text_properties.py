"""The text fast paths (Arrow regex and trimming kernels, nullity for GX, E.164 as integers)
against per-value oracles, under non-contiguous shuffled indexes and both text dtypes."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from audits.arrow_text import extract_groups, strip_separators
from audits.loaders import _trimmed_or_null
from audits.phones import e164_integers
from audits.validation import nullity

_cells = st.lists(st.one_of(st.none(), st.text(alphabet=" \t\x0b\x1c\x85\xa0\u2028-().+0123456789abX\u3000", max_size=12)),
                  min_size=0, max_size=30)


@st.composite
def _columns(draw):
    cells = draw(_cells)
    labels = draw(st.permutations(list(range(3, 3 + 4 * len(cells), 4))))
    return cells, labels, draw(st.sampled_from(["str", object]))


@given(_columns())
def test_strip_separators_removes_white_space_dashes_dots_and_brackets(drawn):
    cells, labels, dtype = drawn
    result = strip_separators(pd.Series(cells, index=labels, dtype=dtype))
    assert list(result.index) == labels
    expected = [None if c is None else "".join(ch for ch in c if not ch.isspace() and ch not in "-().")
                for c in cells]
    assert [None if pd.isna(v) else v for v in result] == expected


_PATTERN = r"^(?P<sign>\+)?(?P<digits>[0-9]+)(?P<tail>X)?$"


@given(_columns())
def test_extract_groups_is_re_fullmatch_per_value(drawn):
    cells, labels, dtype = drawn
    result = extract_groups(pd.Series(cells, index=labels, dtype=dtype), _PATTERN)
    assert list(result.index) == labels
    for name in ("sign", "digits", "tail"):
        expected = []
        for cell in cells:
            match = re.fullmatch(_PATTERN[1:-1], cell) if cell is not None else None
            expected.append(match.group(name) or None if match else None)   # '' (no part in the match) -> null
        assert [None if pd.isna(v) else v for v in result[name]] == expected


@given(_columns())
def test_trimmed_or_null_trims_and_blanks_are_null(drawn):
    cells, labels, dtype = drawn
    result = _trimmed_or_null(pd.Series(cells, index=labels, dtype=dtype))
    assert list(result.index) == labels
    assert [None if pd.isna(v) else v for v in result] == [None if c is None or not c.strip() else c.strip()
                                                           for c in cells]


@given(_columns())
def test_nullity_is_one_where_given(drawn):
    cells, labels, dtype = drawn
    result = nullity(pd.Series(cells, index=labels, dtype=dtype))
    assert list(result.index) == labels
    assert [None if np.isnan(v) else v for v in result] == [None if c is None else 1.0 for c in cells]


@given(st.lists(st.one_of(st.none(), st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True)), max_size=30))
def test_e164_integers_are_the_digits(numbers):
    result = e164_integers(pd.Series(numbers, index=range(len(numbers) * 2, 0, -2)[:len(numbers)], dtype="str"))
    assert result.tolist() == [-1 if n is None else int(n[1:]) for n in numbers]
