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


# rules.md CONF_PII_IN_NOTES, one character at a time (no regular expressions).
_NUMERALS = dict(zip("〇零一二三四五六七八九壹贰叁肆伍陆柒捌玖两", "001234567891234567892"))
_SEPARATORS = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212./_,;:|+*"      # and any white space
_OPENING, _CLOSING = "([{【〔", ")]}】〕"


def _digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def _skip_invisible(text: str, i: int) -> int:
    while i < len(text) and unicodedata.category(text[i]) == "Cf":
        i += 1
    return i


def _after_join(text: str, i: int) -> int:
    """Where the join that starts at i ends: invisible characters, then at most a closing
    bracket, one separator and an opening bracket, in that order (each may be absent)."""
    i = _skip_invisible(text, i)
    for allowed in (lambda ch: ch in _CLOSING, lambda ch: ch.isspace() or ch in _SEPARATORS,
                    lambda ch: ch in _OPENING):
        if i < len(text) and allowed(text[i]):
            i = _skip_invisible(text, i + 1)
    return i


def _two_digits(text: str, i: int, low: int, high: int) -> bool:
    pair = text[i:i + 2]
    return len(pair) == 2 and _digit(pair[0]) and _digit(pair[1]) and low <= int(pair) <= high


def _time_end(text: str, i: int) -> int | None:
    """hh:mm, hh:mm:ss or hh:mm:ss.fff (1 to 9 fraction digits) starting at i."""
    if not (_two_digits(text, i, 0, 23) and text[i + 2:i + 3] == ":" and _two_digits(text, i + 3, 0, 59)):
        return None
    end = i + 5
    if text[end:end + 1] == ":" and _two_digits(text, end + 1, 0, 59):
        end += 3
        if text[end:end + 1] in (".", ",") and end + 1 < len(text) and _digit(text[end + 1]):
            fraction = end = end + 1
            while end < len(text) and _digit(text[end]) and end - fraction < 9:
                end += 1
    return end


def _date_time_end(text: str, i: int) -> int | None:
    """A date (19xx or 20xx, - / or . between its parts, month 01-12, day 01-31), perhaps with a
    time after T or a space and a zone (Z, +hh, +hhmm, +hh:mm); a month and day (- or /) with a
    time after T or a space; or a time, starting at i."""
    year, sep = text[i:i + 4], text[i + 4:i + 5]
    if len(year) == 4 and year[:2] in ("19", "20") and all(_digit(c) for c in year) and sep in ("-", "/", ".") \
            and _two_digits(text, i + 5, 1, 12) and text[i + 7:i + 8] == sep \
            and _two_digits(text, i + 8, 1, 31):
        end = i + 10
        time_end = _time_end(text, end + 1) if text[end:end + 1] in ("T", " ") else None
        if time_end is None:
            return end
        end = time_end
        if text[end:end + 1] == "Z":
            return end + 1
        if text[end:end + 1] in ("+", "-") and _two_digits(text, end + 1, 0, 99):
            end += 3
            if text[end:end + 1] == ":" and _two_digits(text, end + 1, 0, 99):
                return end + 3
            return end + 2 if _two_digits(text, end, 0, 99) else end
        return end
    if _two_digits(text, i, 1, 12) and text[i + 2:i + 3] in ("-", "/") and _two_digits(text, i + 3, 1, 31) \
            and text[i + 5:i + 6] in ("T", " ") and (time_end := _time_end(text, i + 6)) is not None:
        return time_end
    return _time_end(text, i)


def written_numbers(notes: str) -> list[tuple[list[str], bool]]:
    """Each number of the notes: its digit groups and whether X or x ends it."""
    text = "".join(_NUMERALS.get(ch, ch) for ch in unicodedata.normalize("NFKC", notes))
    numbers, i = [], 0
    while i < len(text):
        if not _digit(text[i]):
            i += 1
            continue
        end = _date_time_end(text, i) if i == 0 or not _digit(text[i - 1]) else None
        if end is not None:
            after = _after_join(text, end)
            if not (after < len(text) and _digit(text[after])):
                i = end                                   # a date or time standing apart
                continue
        groups = []
        while True:
            start = i
            while i < len(text) and _digit(text[i]):
                i += 1
            groups.append(text[start:i])
            after = _after_join(text, i)
            if not (after < len(text) and _digit(text[after])):
                break
            i = after
        ends_in_x = i < len(text) and text[i] in "Xx"
        numbers.append((groups, ends_in_x))
        i += ends_in_x
    return numbers


def pii_kinds(notes: str) -> set[str]:
    """Which identifiers the notes hold: any run of whole consecutive groups of a number that is
    an 18-character PRC ID with a valid check character, a 13–19 digit Luhn-valid number or
    an 11-digit 1[3-9]\\d{9} mobile."""
    kinds: set[str] = set()
    for groups, ends_in_x in written_numbers(notes):
        for first in range(len(groups)):
            for last in range(first, len(groups)):
                digits = "".join(groups[first:last + 1])
                if (len(digits) == 18 and id_check_character(digits[:17]) == digits[17]) or \
                        (len(digits) == 17 and last == len(groups) - 1 and ends_in_x
                         and id_check_character(digits) == "X"):
                    kinds.add("PRC resident ID")
                if 13 <= len(digits) <= 19 and luhn_ok(digits):
                    kinds.add("card number")
                if len(digits) == 11 and digits[0] == "1" and digits[1] in "3456789":
                    kinds.add("mobile number")
    return kinds


def pii_in(notes: str) -> bool:
    """An unmasked PRC ID, a Luhn-valid card number or a mobile number (rules.md)."""
    return bool(pii_kinds(notes))
