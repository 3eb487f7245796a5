"""Masking and keyed hashing of personal data: what may appear in reports, logs and errors.

Every stage that writes something a person reads (quarantine, violations, scorecards,
error messages) goes through here, so the masking policy lives in one place.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Collection, Iterable

import pandas as pd
import phonenumbers

# What may stand between the digit groups of a written phone, ID or card number: white space
# (tabs, no-break and ideographic spaces), dots, dashes of every kind, slashes, brackets,
# tildes, underscores and invisible characters (soft hyphen, zero-width space, word joiner):
# phonenumbers accepts any run of its punctuation between digits, so a run of any length.
SEPARATORS = ("\\s.\\-\u2010-\u2015\u2212\u30fc\ufe58\ufe63\uff0d\u00b7/\\\\()\\[\\]{}\u3010\u3011"
              "\u3014\u3015~\u2053\u223c\uff5e_\u00ad\u200b-\u200d\u2060\ufeff")
_SEP = f"[{SEPARATORS}]"
# A date or timestamp stays readable only when it is clearly one: a plausible calendar date
# (19xx/20xx, month 01-12, day 01-31), not continued by separators and digits on either side
# (digits before it are caught by the digit run, which starts first and takes the date in).
# Atomic, so that a timestamp followed by digits is not shortened until the rest looks apart.
_DATE_TIME = (r"(?>(?<!\d)(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
              r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?)"
              f"(?!{_SEP}*\\d)")
_DIGIT_RUN = rf"\+?\d(?:{_SEP}*\d){{6,}}[Xx]?"      # seven or more digits, any separators between
_FREE_TEXT = re.compile(f"({_DATE_TIME})|({_DIGIT_RUN})")


def mask_free_text(text: str) -> str:
    """Mask every run of 7+ digits (phones, IDs, cards) in text, keeping its last 4 digits.

    A run's digit groups may be joined by any mix of SEPARATORS (`138.0013.8000`,
    `+86 (138) 0013-8000`, `4111-1111 1111.1111`, tabs). Dates and timestamps that are clearly
    dates are left readable. Full-width digits and punctuation are folded first (NFKC).
    """
    if not text:
        return text
    folded = unicodedata.normalize("NFKC", text)
    return _FREE_TEXT.sub(lambda m: m.group(1) or _mask_digits(m.group(2)), folded)


_NAME_LIKE = re.compile(r"[A-Za-z_][A-Za-z0-9_ .\-]{0,39}")


def column_names_for_message(names: Iterable[str], *, known: Collection[str],
                             among: Iterable[str] | None = None, limit: int = 10) -> str:
    """Column names of a file as an error message may show them.

    A file without a header row makes its first data row the "header", so its names may be
    phone, ID or card numbers, or customers' names. Known (contract) names are shown; another
    name only when the header (`among`, default `names`) holds a known name and it looks like
    a column name (ASCII, at most 40 characters, no number masking would hide). The rest are
    counted, never shown: "call_id, calle_number and 2 names not shown".
    """
    names = list(names)
    header_like = any(name in known for name in (names if among is None else among))

    def showable(name: str) -> bool:
        return name in known or (header_like and bool(_NAME_LIKE.fullmatch(name)) and mask_free_text(name) == name)

    shown = [name for name in names if showable(name)][:limit]
    hidden = len(names) - len(shown)
    text = " and ".join(part for part in (", ".join(shown), f"{hidden} name{'s' * (hidden != 1)} not shown"
                                          if hidden else "") if part) or "none"
    if names and not header_like:
        text += " (none is a column name the contract knows: is the header row missing?)"
    return text


def _mask_digits(run: str) -> str:
    total = sum(ch.isdigit() or ch in "Xx" for ch in run)
    keep_from = total - 4
    seen = 0
    out = []
    for ch in run:
        if ch.isdigit() or ch in "Xx":
            out.append(ch if seen >= keep_from else "*")
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


def mask_e164(number: str) -> str:
    """'+8613812345678' -> '+86 138****5678'; the middle of the national number is hidden."""
    if not isinstance(number, str) or not number:
        return ""
    country, national = _split_e164(number)
    size = len(national)
    head, tail = (3, 4) if size >= 10 else (2, 2) if size >= 8 else (0, 2)
    masked = national[:head] + "*" * (size - head - tail) + national[size - tail:]
    return f"+{country} {masked}" if country else masked


_CALLING_CODES = frozenset(str(code) for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


def _split_e164(number: str) -> tuple[str, str]:
    """(country calling code, national significant number); ('', digits) when unparseable.

    A canonical E.164 number (what normalise_phones writes) is '+', a calling code and the
    national significant number, and calling codes are prefix-free: the split is read off
    directly, as phonenumbers' parser would find it, at a fraction of its cost (masking the
    findings of ten million calls parsed 140,000 numbers: 5 s). Anything else is parsed.
    """
    digits = number[1:]
    if number[:1] == "+" and digits.isascii() and digits.isdigit() and 8 <= len(digits) <= 15:
        for size in (1, 2, 3):
            if digits[:size] in _CALLING_CODES:
                return digits[:size], digits[size:]
    try:
        parsed = phonenumbers.parse(number, None)
        return str(parsed.country_code), phonenumbers.national_significant_number(parsed)
    except phonenumbers.NumberParseException:
        return "", number.lstrip("+")


def mask_phones(numbers: pd.Series) -> pd.Series:
    """Vectorised mask_e164: each distinct number is masked once."""
    return _map_unique(numbers, mask_e164)


def phone_keys(numbers: pd.Series, secret: bytes) -> pd.Series:
    """HMAC-SHA256 (hex) of each E.164 number: a join key that does not reveal the number."""
    return _map_unique(numbers, lambda n: hmac.new(secret, n.encode(), hashlib.sha256).hexdigest())


KEY_FINGERPRINT_LABEL = b"vendor-audit callee_key fingerprint v1\x00"


def key_fingerprint(secret: bytes) -> str:
    """16 hex digits naming the HMAC key of callee_key without revealing it: sha256 over a fixed
    label and the key. Two runs (or two workers) with equal fingerprints used the same key."""
    return hashlib.sha256(KEY_FINGERPRINT_LABEL + secret).hexdigest()[:16]


def _map_unique(values: pd.Series, function) -> pd.Series:
    uniques = values.dropna().unique()
    mapping = {value: function(value) for value in uniques}
    return values.map(mapping).fillna("").astype("str")
