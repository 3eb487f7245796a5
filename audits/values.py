"""The contract's value types parsed from landing-file text: dates, timestamps (ISO 8601, an
offset or a local zone), IANA zone names and `;`-separated lists. Unparseable text gives null
(NaT, an empty set), never an error: the suites quarantine such rows."""

from __future__ import annotations

from zoneinfo import ZoneInfo, available_timezones

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from audits.arrow_text import as_arrow_text, extract_groups
from audits.loaders import TEXT

_TIMESTAMP = (r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)"
              r"(?:(?P<zulu>Z)|(?P<sign>[+-])(?P<hours>[01]\d|2[0-3])(?::?(?P<minutes>[0-5]\d))?)?$")


# A date written with its midnight time, as spreadsheets export a date cell ('2026-12-31 00:00').
_MIDNIGHT = r"^(\d{4}-\d{2}-\d{2})[T ]00:00(?::00(?:\.0+)?)?$"


def parse_dates(values: pd.Series) -> pd.Series:
    """'YYYY-MM-DD' -> datetime64 (midnight, naive); so is 'YYYY-MM-DD 00:00[:00]' (a date
    with its midnight time: the same day); anything else -> NaT, a date with any other time too."""
    if values.str.len().gt(10).any():
        values = values.str.replace(_MIDNIGHT, r"\1", regex=True)
    return pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")


# The shapes nearly every file uses, in ranges Arrow's ISO 8601 cast and the general path
# agree on; such text is cast by Arrow (C++) instead of split by regex and parsed by pandas.
_PLAIN = r"^\d{4}-\d{2}-\d{2}[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?"
_PLAIN_NAIVE = _PLAIN + "$"
_PLAIN_OFFSET = _PLAIN + r"(?:Z|[+-](?:0\d|1[0-4])(?::?[0-5]\d)?)$"
# A fraction after a comma (`10:00:02,5`) is the same instant as after a dot: the general path
# reads it so, and with a dot the text is one of the plain shapes.
_COMMA_FRACTION = r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}),(\d)"


def parse_timestamps(values: pd.Series, local_zone: str | pd.Series) -> pd.Series:
    """ISO 8601 text -> UTC instants. Text without an offset is local time in `local_zone`
    (one IANA name, or one per row, taken by position). Unparseable text, or a zone that is
    not IANA -> NaT.

    A local time that falls in a daylight-saving gap moves forward; an ambiguous one takes
    the first (daylight) occurrence.

    The common shapes are cast by Arrow; the rest (and any batch Arrow refuses, e.g. 30
    February) take the general path, so both give the same instants. Every step works on
    positions (numpy arrays), never on labels: `values` may be any subset of a frame, in any
    order (tests/test_timestamps_properties.py proves both paths equal a per-value oracle).
    """
    array = _dot_fractions(as_arrow_text(values))
    zones = (np.asarray(local_zone.to_numpy(dtype=object, na_value=None)) if isinstance(local_zone, pd.Series)
             else np.full(len(values), local_zone, dtype=object))
    utc = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")      # naive numpy: no per-row boxing
    general = pc.fill_null(pc.invert(pc.is_null(array)), False).to_numpy(zero_copy_only=False).copy()
    for pattern, target in ((_PLAIN_NAIVE, pa.timestamp("ns")), (_PLAIN_OFFSET, pa.timestamp("ns", "UTC"))):
        rows = pc.fill_null(pc.match_substring_regex(array, pattern), False).to_numpy(zero_copy_only=False)
        if not rows.any():
            continue
        try:
            instants = pc.cast(pc.filter(array, pa.array(rows)), target)
        except pa.ArrowInvalid:
            continue                                           # left to the general path
        general &= ~rows
        naive = pc.cast(instants, pa.timestamp("ns")).to_numpy(zero_copy_only=False)    # UTC when it had a zone
        utc[rows] = naive if target.tz is not None else _localised(naive, zones[rows])
    if general.any():
        utc[general] = _parse_generally(array.filter(pa.array(general)), zones[general])
    return pd.Series(utc, index=values.index).dt.tz_localize("UTC")


def _dot_fractions(array: pa.Array) -> pa.Array:
    """The text with a fraction's comma written as a dot (no change without a comma)."""
    if not pc.any(pc.match_substring(array, ",")).as_py():
        return array
    return pc.replace_substring_regex(array, _COMMA_FRACTION, r"\1.\2")


def _localised(local: np.ndarray, zones: np.ndarray) -> np.ndarray:
    """Naive local times (datetime64[ns]) in their zones (per position) -> naive UTC
    datetime64[ns]; NaT where the time is NaT or the zone is not IANA."""
    utc = np.full(len(local), np.datetime64("NaT"), dtype="datetime64[ns]")
    known = ~np.isnat(local)
    for zone in pd.unique(zones[known]):
        if not is_timezone(zone):
            continue
        rows = known & (zones == zone)
        wall = local[rows].astype("datetime64[ns]")
        # A time in a gap moves forward to the gap's end. pandas' "shift_forward" assumes an
        # hour-long gap (Lord Howe's 30-minute gap came out at 03:00, not 02:30), so the gap's
        # end is found as the last instant before it (shift_backward, exact) plus 1 ns.
        localized = pd.DatetimeIndex(wall).tz_localize(
            zone, ambiguous=np.ones(len(wall), dtype=bool), nonexistent="shift_backward")
        instants = localized.tz_convert("UTC").tz_localize(None).to_numpy().copy()
        in_gap = localized.tz_localize(None).to_numpy() != wall
        instants[in_gap] += np.timedelta64(1, "ns")
        utc[rows] = instants
    return utc


def _parse_generally(array: pa.Array, zones: np.ndarray) -> np.ndarray:
    """parse_timestamps for any text (an Arrow array; zones per position): split by regex,
    parsed by pandas -> naive UTC datetime64[ns]."""
    parts = extract_groups(pd.Series(pd.array(array, dtype=TEXT)), _TIMESTAMP)
    local = pd.to_datetime(parts["date"] + " " + parts["time"].str.replace(",", ".", regex=False),
                           format="ISO8601", errors="coerce").to_numpy()
    has_sign = parts["sign"].notna().to_numpy()
    has_offset = parts["zulu"].notna().to_numpy() | has_sign
    sign = np.where(parts["sign"].to_numpy(dtype=object, na_value="+") == "-", -1, 1)
    offset_minutes = np.where(has_sign, sign * (parts["hours"].astype("float64").fillna(0).to_numpy() * 60
                                                + parts["minutes"].astype("float64").fillna(0).to_numpy()), 0)
    utc = np.full(len(array), np.datetime64("NaT"), dtype="datetime64[ns]")
    parsed = ~np.isnat(local)
    with_offset = has_offset & parsed
    utc[with_offset] = local[with_offset] - (offset_minutes[with_offset] * 60_000_000_000).astype("timedelta64[ns]")
    naive = ~has_offset & parsed
    utc[naive] = _localised(local[naive], zones[naive])
    return utc


_ZONES = frozenset(available_timezones())


def is_timezone(name: object) -> bool:
    """True for an IANA zone name known to this machine's tz database."""
    return isinstance(name, str) and name in _ZONES and _loads(name)


def _loads(name: str) -> bool:
    try:
        ZoneInfo(name)
        return True
    except Exception:
        return False


def parse_lists(values: pd.Series, *, lower: bool = True) -> pd.Series:
    """'a; b;c' -> frozenset({'a','b','c'}); blank -> empty frozenset."""
    def split(text: object) -> frozenset[str]:
        if not isinstance(text, str):
            return frozenset()
        items = (item.strip() for item in text.split(";"))
        return frozenset((item.lower() if lower else item) for item in items if item)
    return values.map(split).astype(object)
