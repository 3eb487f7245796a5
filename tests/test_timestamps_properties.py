"""parse_timestamps (Arrow casts for the common shapes, a regex-and-pandas general path for the
rest) against a per-value oracle written from data-contract.md, on columns that mix every
accepted shape with invalid values and blanks, under subset and shuffled indexes, in both
text dtypes the loaders hand over.

The contract: ISO 8601 date and time, `T` or a space between, seconds optional, fractions
allowed (`.` or `,`), an optional offset right after the time (`Z`, `+08`, `+0800`,
`+08:00`); without an offset the time is local in the given zone. README decisions: a local
time in a daylight-saving gap moves forward to the gap's end; an ambiguous one takes the first
(daylight) occurrence; fractions finer than a nanosecond are truncated.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from audits.values import parse_timestamps

_SHAPE = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
                    r"(?:(Z)|([+-])(\d{2})(?::?(\d{2}))?)?")
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
ZONES = ("Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "UTC")


def oracle_ns(text: object, zone: str) -> int | None:
    """The UTC instant in ns since the epoch of one value, or None; plain Python, per value."""
    if not isinstance(text, str):
        return None
    match = _SHAPE.fullmatch(text)
    if match is None:
        return None
    day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    try:
        date = dt.date.fromisoformat(day)
        wall = dt.datetime.combine(date, dt.time(int(hour), int(minute), int(second or 0)))
    except ValueError:
        return None
    fraction_ns = int(((fraction or "") + "0" * 9)[:9])
    if zulu or sign:
        hours, minutes = int(off_h or 0), int(off_m or 0)
        if hours > 23 or minutes > 59:
            return None
        offset = dt.timedelta(hours=hours, minutes=minutes) * (-1 if sign == "-" else 1)
        instant = wall.replace(tzinfo=dt.timezone(offset))
        return _ns(instant) + fraction_ns
    if zone not in ZONES:
        return None
    return _local_ns(wall, ZoneInfo(zone), fraction_ns)


def _ns(instant: dt.datetime) -> int:
    delta = instant - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000


def _local_ns(wall: dt.datetime, zone: ZoneInfo, fraction_ns: int) -> int:
    first = wall.replace(tzinfo=zone, fold=0)            # fold=0: the first of two occurrences
    if first.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) == wall:
        return _ns(first) + fraction_ns
    # In a gap: the first existing instant after it, found minute by minute (slow, obvious).
    after = wall.replace(tzinfo=zone, fold=1).astimezone(dt.UTC)
    before = first.astimezone(dt.UTC)
    low, high = min(after, before), max(after, before)
    probe = low.replace(second=0, microsecond=0)
    while probe.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset() and probe < high:
        probe += dt.timedelta(minutes=1)
    return _ns(probe)


# --- generated columns --------------------------------------------------------------------

_moments = st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2027, 12, 31))
_near_transitions = st.sampled_from([
    dt.datetime(2026, 3, 8, 2, 30), dt.datetime(2026, 3, 8, 1, 59, 59), dt.datetime(2026, 3, 8, 3, 0),   # NY gap
    dt.datetime(2026, 11, 1, 1, 30), dt.datetime(2026, 11, 1, 0, 59),                                   # NY fold
    dt.datetime(2026, 3, 29, 1, 15), dt.datetime(2026, 10, 25, 1, 45),                                  # London
    dt.datetime(2026, 10, 4, 2, 15), dt.datetime(2026, 4, 5, 1, 45),                                    # Lord Howe
    dt.datetime(2026, 11, 27, 23, 59, 59), dt.datetime(2026, 11, 28, 0, 0),
])


@st.composite
def written(draw) -> str:
    """One valid instant written in one of the contract's shapes."""
    moment = draw(st.one_of(_moments, _near_transitions))
    text = moment.strftime("%Y-%m-%d") + draw(st.sampled_from("T ")) + moment.strftime("%H:%M")
    if draw(st.booleans()) or moment.second or moment.microsecond:
        text += moment.strftime(":%S")
        digits = draw(st.sampled_from(["", "", "1", "5", "25", "123", "123456", "123456789", "1234567891"]))
        if digits:
            text += draw(st.sampled_from(".,")) + digits
    offset = draw(st.sampled_from(["", "", "", "Z", "+08", "+0800", "+08:00", "-05:00", "+05:30", "-0330",
                                   "+00:00", "+14:00", "-12"]))
    return text + offset


_invalid = st.sampled_from([
    "2026-02-30 10:00:00", "2026-13-45 10:00", "2026-11-27 24:00", "2026-11-27 23:60", "2026-11-27 10:00:61",
    "2026-11-27 10", "2026/11/27 10:00", "27-11-2026 10:00", "2026-11-27T10:00:00 +08:00", "2026-11-27 10:00+8",
    "2026-11-27 10:00:00+08:75", "2026-11-27 10:00:00+24:00", "2026-11-27t10:00", "2026-11-27 10:00z", "",
    "not a time", "２０２６-11-27 10:00", "2026-11-27 10:00:00.", "2026-11-27 10:00:00,", "20261127T100000",
])
_cell = st.one_of(written(), written(), written(), _invalid, st.none())


@st.composite
def columns(draw):
    """(values, zones, index): a column mixing shapes, bad values and blanks; a zone per row
    (some unknown); a non-contiguous, shuffled index."""
    size = draw(st.integers(1, 40))
    values = draw(st.lists(_cell, min_size=size, max_size=size))
    zones = draw(st.lists(st.sampled_from(ZONES + ("Mars/Olympus",)), min_size=size, max_size=size))
    labels = draw(st.lists(st.integers(0, 10_000), min_size=size, max_size=size, unique=True))
    return values, zones, labels


def _expected(values, zones) -> list[int | None]:
    return [oracle_ns(v, z) for v, z in zip(values, zones)]


def _actual(result: pd.Series) -> list[int | None]:
    as_ns = result.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
    return [None if pd.isna(v) else int(v.value) for v in as_ns]


@given(columns(), st.sampled_from(["str", "object"]))
def test_parse_timestamps_equals_the_per_value_oracle(column, dtype):
    values, zones, labels = column
    series = pd.Series(values, index=labels, dtype=dtype)
    result = parse_timestamps(series, pd.Series(zones, index=labels))
    assert list(result.index) == labels
    assert _actual(result) == _expected(values, zones)


@given(columns(), st.sampled_from(ZONES))
def test_a_subset_of_a_frame_parses_as_its_rows_alone(column, zone):
    """The general path gets only the rows the fast path left: each row keeps its own instant
    whichever rows surround it (once rows took their neighbours' times)."""
    values, _, labels = column
    frame = pd.DataFrame({"t": pd.Series(values, index=labels, dtype="str")})
    subset = frame.iloc[::2]                                   # non-contiguous labels
    result = parse_timestamps(subset["t"], zone)
    assert list(result.index) == list(subset.index)
    assert _actual(result) == _expected(list(subset["t"]), [zone] * len(subset))


def test_a_column_mixing_shapes_and_zones_gives_every_row_its_own_instant():
    values = pd.Series(["2026-10-05 16:30:00", "2026-10-04T23:50:00+00:00", "2026-10-05 20:30:00",
                        "2026-10-05 23:58:00", "2026-13-45 10:00", "2026-10-05 19:00:00"], dtype="str")
    result = parse_timestamps(values, "Asia/Shanghai")
    assert [None if pd.isna(v) else v.isoformat() for v in result] == [
        "2026-10-05T08:30:00+00:00", "2026-10-04T23:50:00+00:00", "2026-10-05T12:30:00+00:00",
        "2026-10-05T15:58:00+00:00", None, "2026-10-05T11:00:00+00:00"]


def test_blanks_and_one_invalid_date_keep_the_other_rows():
    """Consents with blank cells and 2026-02-30: the other rows keep their instants."""
    values = pd.Series(["2026-01-01 10:00", None, "2026-02-30 10:00", "2026-01-01 10:00"], index=[4, 9, 2, 7],
                       dtype="str")
    result = parse_timestamps(values, "Asia/Shanghai")
    assert [None if pd.isna(v) else v.isoformat() for v in result] == [
        "2026-01-01T02:00:00+00:00", None, None, "2026-01-01T02:00:00+00:00"]


def test_comma_fractions_mixed_with_plain_times():
    """Comma fractions of a second among plain times: each parsed as written."""
    values = pd.Series(["2026-11-27 11:00:00,5", "2026-11-27 09:00:00", "2026-11-27 10:00", "2026-11-27 12:00:00.25"],
                       dtype="str")
    result = parse_timestamps(values, "UTC")
    assert [v.isoformat() for v in result] == ["2026-11-27T11:00:00.500000+00:00", "2026-11-27T09:00:00+00:00",
                                               "2026-11-27T10:00:00+00:00", "2026-11-27T12:00:00.250000+00:00"]


def test_out_of_range_offsets_are_not_instants():
    values = pd.Series(["2026-11-27 10:00:00+08:75", "2026-11-27 10:00:00+24:00", "2026-11-27 10:00:00+23:59"],
                       dtype="str")
    result = parse_timestamps(values, "UTC")
    assert result.isna().tolist() == [True, True, False]
    assert result.iloc[2] == pd.Timestamp("2026-11-26 10:01:00", tz="UTC")


def test_oracle_gap_and_fold_follow_the_readme():
    assert oracle_ns("2026-03-08 02:30", "America/New_York") == _ns(dt.datetime(2026, 3, 8, 7, 0, tzinfo=dt.UTC))
    assert oracle_ns("2026-11-01 01:30", "America/New_York") == _ns(dt.datetime(2026, 11, 1, 5, 30,
                                                                                tzinfo=dt.UTC))
    assert oracle_ns("2026-11-27 10:00:00,5", "UTC") % 1_000_000_000 == 500_000_000


def test_timezone_per_row_is_taken_by_position():
    values = pd.Series(["2026-11-27 10:00", "2026-11-27 10:00"], index=[5, 3], dtype="str")
    zones = pd.Series(["Asia/Shanghai", "UTC"], index=[3, 5])          # labels disagree: positions rule
    result = parse_timestamps(values, zones)
    assert result.loc[5] == pd.Timestamp("2026-11-27 02:00", tz="UTC")
    assert result.loc[3] == pd.Timestamp("2026-11-27 10:00", tz="UTC")


def test_empty_column():
    assert parse_timestamps(pd.Series([], dtype="str"), "UTC").empty
    assert np.dtype("datetime64[ns]") == parse_timestamps(pd.Series([], dtype="str"), "UTC").dt.tz_localize(None).dtype


def test_the_shapes_agencies_mix_in_one_column_are_cast_by_arrow(monkeypatch):
    """Every accepted shape of a valid time (offsets Z, +08, +0800, +08:00; seconds, minutes,
    fractions after a dot or a comma), mixed row by row, takes the Arrow cast, not the general path."""
    import audits.values as values_module

    def general(*_args):
        raise AssertionError("the general path was taken")

    monkeypatch.setattr(values_module, "_parse_generally", general)
    values = ["2026-11-27 10:00:00", "2026-11-27T10:00:00+08:00", "2026-11-27T02:00:00.123Z", "2026-11-27 10:00",
              "2026-11-27 10:00:00+0800", "2026-11-27 10:00:00+08", "2026-11-27 10:00:00,123", "2026-11-27T02:00Z",
              "2026-11-27T10:00:00.5+0800", None]
    series = pd.Series(values, index=range(30, 10, -2), dtype="str")
    assert _actual(parse_timestamps(series, "Asia/Shanghai")) == _expected(values, ["Asia/Shanghai"] * len(values))
