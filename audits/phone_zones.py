"""The time zones a phone number may be in, as `phonenumbers.timezone.time_zones_for_number`
gives them, for millions of numbers at once.

phonenumbers reads the zones from a table of E.164 prefixes: a geographic number (a fixed line;
a mobile only in the few countries whose mobiles are geographic) takes the zones of its longest
prefix in the table, any other number the zones of its country code. Calling it costs ~170 µs
a number, minutes for a night's distinct numbers, so the same table is read vectorised here:

- In most countries every prefix has the country's zones: the country code decides (CN: all
  Asia/Shanghai), whatever the number's type.
- Elsewhere (+1, +7, +44, +61, ...) the longest prefix is found by integer division, one look-up
  per prefix length; where its zones differ from the country's, the number's type decides, read
  from the same phonenumbers metadata the library reads (the region, then the patterns per
  number type), one Arrow regex pass per pattern over those numbers only.

Numbers are valid E.164 numbers (phones.normalise_phones) given as int64 digits
(phones.e164_integers; -1 for none). tests/test_phonezones.py proves the agreement with
phonenumbers number by number.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers.phonenumberutil import _GEO_MOBILE_COUNTRIES
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

_UNKNOWN_ZONE = "Etc/Unknown"            # phonenumbers' answer for a number without a known zone
_POW10 = 10 ** np.arange(19, dtype=np.int64)
# Number types in the order phonenumbers tries them; all of these are not geographic.
_NOT_GEOGRAPHIC = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
                   "voicemail")
_UNKNOWN, _OTHER, _FIXED, _MOBILE = 0, 1, 2, 3


@dataclass(frozen=True)
class NumberZones:
    """For each number, `of`: its position in `sets` (a sorted tuple of IANA names), -1 when no
    zone is known (no number, or none in phonenumbers' table)."""

    of: np.ndarray
    sets: tuple[tuple[str, ...], ...]


def number_zones(numbers: np.ndarray) -> NumberZones:
    """The zones of each number (E.164 digits as int64, -1 for none): by the country code alone
    where that decides, else once per distinct number."""
    numbers = np.asarray(numbers, dtype=np.int64)
    registry: dict[tuple[str, ...], int] = {}
    digits = np.searchsorted(_POW10, numbers, side="right")
    country = _country_codes(numbers, digits)
    by_country = np.full(1000, -1, dtype=np.int64)          # a uniform country's zones; -2: look further
    for code in np.flatnonzero(np.bincount(country, minlength=1000)[1:]) + 1:
        by_country[code] = _set_id(registry, _country_zones(int(code))) if _uniform(int(code)) else -2
    of = by_country[country]
    rest = np.flatnonzero(of == -2)
    if len(rest):
        codes, distinct = pd.factorize(numbers[rest])
        distinct = np.asarray(distinct, dtype=np.int64)
        of[rest] = _zones_of_distinct(distinct, digits[rest][_first_of(codes, len(distinct))],
                                      country[rest][_first_of(codes, len(distinct))], registry)[codes]
    return NumberZones(of=of, sets=tuple(sorted(registry, key=registry.get)))


def disagreeing_callee_tz(numbers: np.ndarray, callee_tz: pd.Series) -> np.ndarray:
    """Calls whose callee_tz is given and not one of the zones of a number that has known zones
    (data-contract §1: no data-quality error, counted on the scorecard)."""
    given = np.flatnonzero(callee_tz.notna().to_numpy())
    out = np.zeros(len(callee_tz), dtype=bool)
    if len(given):
        known = number_zones(np.asarray(numbers)[given])
        tz_code, tz_names = pd.factorize(callee_tz.iloc[given])
        out[given] = (known.of >= 0) & ~zone_is_one_of(known, tz_code, tz_names)
    return out


def zone_is_one_of(known: NumberZones, tz_code: np.ndarray, tz_names) -> np.ndarray:
    """Whether each zone name (code into tz_names, -1 none) is one of its number's zones."""
    member = np.zeros((len(known.sets) + 1, len(tz_names) + 1), dtype=bool)     # last row, column: none
    for s, zones in enumerate(known.sets):
        for t, name in enumerate(tz_names):
            member[s, t] = str(name) in zones
    return member[known.of, tz_code]


def _set_id(registry: dict[tuple[str, ...], int], zones: tuple[str, ...] | None) -> int:
    return -1 if zones is None else registry.setdefault(zones, len(registry))


def _first_of(codes: np.ndarray, groups: int) -> np.ndarray:
    """The position of each group's first row."""
    first = np.empty(groups, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return first


def _zones_of_distinct(numbers: np.ndarray, digits: np.ndarray, country: np.ndarray,
                       registry: dict[tuple[str, ...], int]) -> np.ndarray:
    """Zones of distinct numbers of countries whose prefixes do not all share the country's zones."""
    out = np.full(len(numbers), -1, dtype=np.int64)
    for code in np.unique(country):
        rows = np.flatnonzero(country == code)
        whole = _set_id(registry, _country_zones(int(code)))
        prefix = _longest_prefix_zones(numbers[rows], digits[rows], int(code))     # into _zone_tuples(), -1 none
        used = np.unique(prefix[prefix >= 0])
        zone_ids = np.full(len(_zone_tuples()) + 1, -1, dtype=np.int64)       # the last: no prefix, none known
        zone_ids[used] = [_set_id(registry, _zone_tuples()[k]) for k in used]
        geographic_zones = zone_ids[prefix]
        out[rows] = whole
        differs = np.flatnonzero(geographic_zones != whole)
        if len(differs):
            kind = _number_types(numbers[rows[differs]], int(code))
            geographic = (kind == _FIXED) | ((kind == _MOBILE) & (int(code) in _GEO_MOBILE_COUNTRIES))
            out[rows[differs]] = np.where(geographic, geographic_zones[differs],
                                          np.where(kind == _UNKNOWN, -1, whole))
    return out


def _country_codes(numbers: np.ndarray, digits: np.ndarray) -> np.ndarray:
    """Each number's country calling code (its first 1, 2 or 3 digits: the codes are prefix-free,
    so at most one of them is a code), 0 when none is (or the number has no more digits)."""
    table = _country_code_table()
    head3 = (numbers // _POW10[np.maximum(digits - 3, 0)]).astype(np.int16)       # small ints: less to move
    head3[digits <= 3] = 0
    head2 = head3 // 10
    head1 = head2 // 10
    code = np.where(table[head3], head3, 0).astype(np.int16)
    np.copyto(code, head2, where=table[head2])
    np.copyto(code, head1, where=table[head1])
    return code


@functools.cache
def _country_code_table() -> np.ndarray:
    table = np.zeros(1000, dtype=bool)
    table[[c for c in phonenumbers.COUNTRY_CODE_TO_REGION_CODE if c < 1000]] = True
    return table


def _known(zones: tuple[str, ...]) -> tuple[str, ...] | None:
    return None if zones == (_UNKNOWN_ZONE,) else tuple(sorted(zones))


@functools.cache
def _country_zones(code: int) -> tuple[str, ...] | None:
    """The zones of a country code, as phonenumbers' country-level look-up reads its table."""
    text = str(code)
    for length in range(TIMEZONE_LONGEST_PREFIX, 0, -1):
        found = TIMEZONE_DATA.get(text[:1 + length])
        if found is not None:
            return _known(found)
    return None


@functools.cache
def _uniform(code: int) -> bool:
    """Whether every prefix of the country code has the country's zones (the type cannot matter)."""
    return all(_known(zones) == _country_zones(code) for prefix, zones in TIMEZONE_DATA.items()
               if prefix.startswith(str(code)))


@functools.cache
def _zone_tuples() -> tuple[tuple[str, ...] | None, ...]:
    return tuple(dict.fromkeys(_known(z) for z in TIMEZONE_DATA.values()))


@functools.cache
def _prefix_tables(code: int) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per prefix length, the country's prefixes (sorted int64) and the position of each one's
    zones in _zone_tuples() (no prefix of the table is a proper prefix of a country code)."""
    position = {z: k for k, z in enumerate(_zone_tuples())}
    items = sorted((len(p), int(p), position[_known(z)]) for p, z in TIMEZONE_DATA.items()
                   if p.startswith(str(code)))
    return {length: (np.asarray([p for n, p, _ in items if n == length], dtype=np.int64),
                     np.asarray([k for n, _, k in items if n == length], dtype=np.int64))
            for length in sorted({n for n, _, _ in items}, reverse=True)}


def _longest_prefix_zones(numbers: np.ndarray, digits: np.ndarray, code: int) -> np.ndarray:
    """The zones (index into _zone_tuples()) of each number's longest prefix in the table, -1 when
    none: phonenumbers' geographic look-up."""
    found = np.full(len(numbers), -1, dtype=np.int64)
    for length, (keys, zones) in _prefix_tables(code).items():
        rows = np.flatnonzero((found < 0) & (digits >= length))
        if not len(rows):
            continue
        head = numbers[rows] // _POW10[digits[rows] - length]
        at = np.minimum(np.searchsorted(keys, head), len(keys) - 1)
        hit = keys[at] == head
        found[rows[hit]] = zones[at[hit]]
    return found


def _number_types(numbers: np.ndarray, code: int) -> np.ndarray:
    """_UNKNOWN, _OTHER, _FIXED (fixed line, or fixed line or mobile) or _MOBILE per number of a
    country code: its region as phonenumbers finds it, then that region's type patterns."""
    text = pc.cast(pa.array(numbers), pa.string())
    national = pc.utf8_slice_codeunits(text, len(str(code)))
    lengths = pc.utf8_length(national).to_numpy(zero_copy_only=False)
    kind = np.full(len(numbers), _UNKNOWN, dtype=np.int8)
    pending = np.arange(len(numbers))
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code, ()):
        metadata = _metadata(code, region)
        if metadata is None or not len(pending):
            continue
        subset, sublengths = national.take(pa.array(pending)), lengths[pending]
        types = _types_in(subset, sublengths, code, region)
        if metadata.leading_digits is not None:
            mine = _matching(subset, f"^(?:{metadata.leading_digits})")
        else:
            mine = types != _UNKNOWN
        kind[pending[mine]] = types[mine]
        pending = pending[~mine]
    return kind


def _metadata(code: int, region: str):
    if region == "001":
        return phonenumbers.PhoneMetadata.metadata_for_nongeo_region(code)
    return phonenumbers.PhoneMetadata.metadata_for_region(region, None)


def _types_in(national: pa.Array, lengths: np.ndarray, code: int, region: str) -> np.ndarray:
    """phonenumbers' _number_type_helper, reduced to the four kinds: one regex pass per kind and
    length, the kind's number types joined into one pattern."""
    kind = np.full(len(lengths), _UNKNOWN, dtype=np.int8)
    for length in np.unique(lengths):
        rows = np.flatnonzero(lengths == length)
        general, other, fixed, mobile = _kind_patterns(code, region, int(length))
        if general is None:
            continue
        subset = national.take(pa.array(rows))
        undecided = _matching(subset, general)
        for value, pattern in ((_OTHER, other), (_FIXED, fixed), (_MOBILE, mobile)):
            if pattern is None or not undecided.any():
                continue
            hit = undecided & _matching(subset, pattern)
            kind[rows[hit]] = value
            undecided &= ~hit
    return kind


@functools.cache
def _kind_patterns(code: int, region: str, length: int) -> tuple[str | None, str | None, str | None, str | None]:
    """For national numbers of one length: the anchored pattern of the general description and of
    each kind (its number types' patterns joined), None where no pattern applies; read as
    phonenumbers' _is_number_matching_desc reads a description (possible lengths, then the
    whole number against the pattern)."""
    metadata = _metadata(code, region)

    def joined(*descs) -> str | None:
        fitting = [d.national_number_pattern for d in descs
                   if d is not None and d.national_number_pattern and length > 0
                   and (not d.possible_length or length in d.possible_length)]
        return "^(?:" + "|".join(f"(?:{p})" for p in fitting) + ")$" if fitting else None

    mobile = None if metadata.same_mobile_and_fixed_line_pattern else joined(metadata.mobile)
    return (joined(metadata.general_desc), joined(*(getattr(metadata, n) for n in _NOT_GEOGRAPHIC)),
            joined(metadata.fixed_line), mobile)


def _matching(national: pa.Array, pattern: str) -> np.ndarray:
    return np.asarray(pc.fill_null(pc.match_substring_regex(national, pattern), False)
                      .to_numpy(zero_copy_only=False), dtype=bool)
