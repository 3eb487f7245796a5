"""One cell at a time, straight from data-contract.md: what a timestamp, date, phone number,
enumeration or time zone means, and which notes hold personal identifiers (rules.md)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from zoneinfo import ZoneInfo

import phonenumbers
import phonenumbers.timezone

UTC = dt.UTC
DISPOSITIONS = ("ANSWERED", "NO_ANSWER", "BUSY", "REJECTED", "VOICEMAIL", "FAILED")
OUTCOMES = ("RIGHT_PARTY", "WRONG_PARTY", "REFUSED", "COMPLAINT")
PURPOSES = ("marketing", "collection", "servicing")

# "ISO 8601 date and time (T or a space between them; seconds optional; fractions allowed) with an
# optional offset written right after the time (Z, +08, +0800, +08:00)". The shape is checked here;
# the calendar (2026-02-30, month 13, hour 25) by datetime.fromisoformat.
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def blank(text: str | None) -> bool:
    """Blank cell = null (white space only counts as blank)."""
    return text is None or text.strip() == ""


def timestamp(text: str, zone: str) -> dt.datetime | None:
    """The instant (UTC) a timestamp cell names, or None when it is not a timestamp. A value
    without an offset is local time in `zone` (wall_clock)."""
    if not _TIMESTAMP.fullmatch(text):
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        return wall_clock(value, zone)
    return value.astimezone(UTC)


def wall_clock(local: dt.datetime, zone: str) -> dt.datetime:
    """The instant of a naive wall-clock time in `zone` (README): an ambiguous time takes the
    first (daylight) occurrence (fold=0); a time in a daylight-saving gap moves forward to the
    first wall time that exists, the end of the gap (02:30 in a 02:00-03:00 gap is 03:00).
    The README's "moves forward" could also mean "by the gap's length" (03:30, as java.time and
    PostgreSQL do); the audit moves to the end of the gap and so does this oracle."""
    tz = ZoneInfo(zone)

    def exists(wall: dt.datetime) -> bool:
        return wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall

    while not exists(local):
        local = local.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return local.replace(tzinfo=tz).astimezone(UTC)


def date(text: str) -> dt.date | None:
    if not _DATE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def phone(text: str, region: str) -> str | None:
    """E.164 form, or None when phonenumbers cannot parse it or the number is not valid."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def callee_zones(e164: str | None, callee_tz: str | None, agency_zone: str) -> list[str]:
    """The zones a call's start is judged in (data-contract §1): callee_tz when it is one of the
    zones phonenumbers gives for the number; else the number's zones; the agency's zone when the
    number has none known."""
    zones = set()
    if e164 is not None:
        zones = set(phonenumbers.timezone.time_zones_for_number(phonenumbers.parse(e164))) - {"Etc/Unknown"}
    if not zones:
        return [agency_zone]
    return [callee_tz] if callee_tz in zones else sorted(zones)


def enum(text: str, allowed: tuple[str, ...]) -> str | None:
    """Enumerations are trimmed and case-insensitive; the canonical spelling, or None."""
    for value in allowed:
        if text.strip().lower() == value.lower():
            return value
    return None


def known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return False
    return True


# --- personal identifiers in notes (CONF_PII_IN_NOTES) ---------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of a PRC resident ID's first 17 digits."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def pii_in(notes: str) -> bool:
    """An unmasked PRC ID (18 characters, valid check), a 13–19 digit Luhn-valid run or an
    11-digit 1[3-9]\\d{9} run: maximal runs of ASCII digits after NFKC; an ID's run may end in X."""
    text = unicodedata.normalize("NFKC", notes)
    for match in re.finditer(r"[0-9]+([Xx])?", text):
        run = match.group(0)
        digits = run.rstrip("Xx")
        if len(run) == 18 and id_check_character(run[:17]) == run[17].upper():
            return True
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            return True
        if len(digits) == 11 and re.fullmatch(r"1[3-9][0-9]{9}", digits):
            return True
    return False
