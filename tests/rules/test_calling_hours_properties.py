"""The calling-hours fast path (zones per distinct number, one conversion per zone) against a
plain per-call oracle written from data-contract §1 and rules.md FREQ_CALLING_HOURS."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from audits.phone_zones import disagreeing_callee_tz
from audits.phones import e164_integers, normalise_phones
from audits.rules.frequency import callee_zones, outside_hours
from tests.oracle import validity as v

NS = 10**9
# Written forms: CN mobiles and landlines, US numbers in one and in two zones, toll-free (every
# US zone), a UK mobile, a number without a known zone, and bad values.
NUMBERS = ("13812345678", "+86 139 8765 4321", "0086-150-1234-5678", "010 6552 9988", "+1 907 555 0123",
           "+1 (212) 555-0123", "001 213 555 0123", "+1 800 555 0123", "+44 7911 123456", "+800 1234 5678",
           "12345", "phone?", "", None)
ZONES = (None, "Asia/Shanghai", "Asia/Urumqi", "Europe/London", "Pacific/Kiritimati", "America/Anchorage",
         "America/Adak", "America/New_York", "America/Los_Angeles", "Europe/Jersey")
AGENCY_ZONES = ("Asia/Shanghai", "Asia/Urumqi", "America/New_York")
WINDOWS = ((-1, -1), (8 * 3600 * NS, 21 * 3600 * NS), (8 * 3600 * NS, 22 * 3600 * NS))
START = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)


def oracle_zones(written: str | None, callee_tz: str | None, agency_zone: str) -> list[str]:
    """The zones one call is judged in, as the differential oracle reads the contract."""
    return v.callee_zones(v.phone(written or "", "CN"), callee_tz, agency_zone)


def oracle_outside(start: dt.datetime, zones: list[str], window: tuple[int, int]) -> bool:
    if window[0] < 0:
        return False
    for zone in zones:
        local = start.astimezone(ZoneInfo(zone))
        since_midnight = (local.hour * 3600 + local.minute * 60 + local.second) * NS + local.microsecond * 1000
        if since_midnight < window[0] or since_midnight >= window[1]:
            return True
    return False


def oracle_disagrees(written: str | None, callee_tz: str | None) -> bool:
    if callee_tz is None:
        return False
    judged = oracle_zones(written, None, "")
    return judged != [""] and callee_tz not in judged



def _edge(zone: str, day: int, hhmm: str, delta: int) -> int:
    """Seconds after START of a local wall-clock time in `zone`, moved by delta seconds."""
    local = dt.datetime.combine(dt.date(2026, 11, 26 + day), dt.time.fromisoformat(hhmm), tzinfo=ZoneInfo(zone))
    return int((local - START).total_seconds()) + delta


# Starts anywhere in three days, or at a window's edge (±1 s, ±30 min) in one of the zones met.
_starts = st.one_of(
    st.integers(0, 3 * 86_400 - 1),
    st.builds(_edge, st.sampled_from([z for z in ZONES if z] + ["Pacific/Saipan", "America/St_Johns"]),
              st.integers(0, 1), st.sampled_from(["08:00", "21:00", "22:00"]),
              st.sampled_from([-1800, -1, 0, 1, 1800])))
_calls = st.lists(st.tuples(st.sampled_from(NUMBERS), st.sampled_from(ZONES), st.sampled_from(AGENCY_ZONES),
                            _starts, st.sampled_from(WINDOWS)),
                  min_size=0, max_size=60)


@settings(max_examples=max(settings().max_examples, 150))
@given(_calls, st.randoms(use_true_random=False))
def test_calls_outside_hours_in_any_of_their_zones_as_the_oracle_finds(calls, rnd):
    labels = rnd.sample(range(1000), len(calls))                       # a shuffled, non-contiguous index
    written = pd.Series([c[0] for c in calls], index=labels, dtype=object)
    callee_tz = pd.Series([c[1] for c in calls], index=labels, dtype="str")
    agency = pd.Series([c[2] for c in calls], index=labels, dtype=object)
    starts = [START + dt.timedelta(seconds=c[3]) for c in calls]
    start_utc = pd.Series(pd.to_datetime(starts, utc=True), index=labels, dtype="datetime64[ns, UTC]")
    opens = np.array([c[4][0] for c in calls], dtype=np.int64)
    closes = np.array([c[4][1] for c in calls], dtype=np.int64)

    numbers = e164_integers(normalise_phones(written, "CN"))
    zones = callee_zones(numbers, callee_tz, agency)
    first = outside_hours(start_utc, zones, opens, closes)

    expected = [oracle_outside(s, oracle_zones(n, z, a), w) for (n, z, a, _, w), s in zip(calls, starts)]
    assert (first >= 0).tolist() == expected
    for (n, z, a, _, w), s, k in zip(calls, starts, first):
        if k >= 0:                                     # the zone shown is one it is outside in
            assert zones.names[k] in oracle_zones(n, z, a) and oracle_outside(s, [zones.names[k]], w)
    assert disagreeing_callee_tz(numbers, callee_tz).tolist() == [oracle_disagrees(n, z) for n, z, *_ in calls]
