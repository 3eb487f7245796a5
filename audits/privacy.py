"""Masking and keyed hashing of personal data: what may appear in reports, logs and errors.

Every stage that writes something a person reads (quarantine, violations, scorecards,
error messages) goes through here, so the masking policy lives in one place.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import types
import typing
import unicodedata
from collections.abc import Collection, Iterable

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

from audits.arrow_text import mask_digit_runs, text_array

# --- written numbers: how the masking and CONF_PII_IN_NOTES read digits in free text ----------
# Digits are read after NFKC (full-width digits count) and Chinese numerals are digits.
CHINESE_DIGITS = "〇零一二三四五六七八九壹贰叁肆伍陆柒捌玖两"
_AS_DIGITS = str.maketrans(CHINESE_DIGITS, "001234567891234567892")          # 两 = 2
_DIGIT_CHARS = frozenset("0123456789" + CHINESE_DIGITS)
# Invisible characters: Unicode's format characters (category Cf, Unicode 14 as Python 3.11 has it).
INVISIBLE = ("\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
             "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438"
             "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f")
DASHES = "\\-\u2010-\u2015\u2212"
OPENING, CLOSING = "([{\u3010\u3014", ")]}\u3011\u3015"
SINGLE_SEPARATORS = f"\\s{DASHES}./_,;:|+*"           # spaces of any kind, dashes, . / _ , ; : | + *
# The rule's reading (rules.md): groups joined by one separator, brackets around a group,
# invisible characters anywhere. Possessive: there is one way to read a join, never a retry.
_INV = f"[{INVISIBLE}]*+"
_JOIN = (f"{_INV}(?:[{re.escape(CLOSING)}]{_INV})?+(?:[{SINGLE_SEPARATORS}]{_INV})?+"
         f"(?:[{re.escape(OPENING)}]{_INV})?+")
# Masking reads more, never less: any run of white space, dots, dashes, slashes, brackets,
# tildes, underscores, middle dots and invisible characters; or one of , ; : | + * as the rule
# reads it (brackets and invisible characters around it, nothing else: a masked "138****5678",
# a list "12:30, 13:00" or "AG02, 02-01 10:00" is not read as one number).
_LOOSE = (f"[\\s{DASHES}\u30fc\ufe58./\\\\(){{}}\\[\\]\u3010\u3011\u3014\u3015~\u2053\u223c\uff5e_"
          f"\u00b7{INVISIBLE}]")
TIGHT = ",;:|+*"
_MASK_JOIN = (f"(?:{_LOOSE}++|{_INV}(?:[{re.escape(CLOSING)}]{_INV})?+[{re.escape(TIGHT)}]{_INV}"
              f"(?:[{re.escape(OPENING)}]{_INV})?+)")
# Dates and times are not numbers when they stand apart: a plausible calendar date (19xx/20xx,
# - / or . between its parts), perhaps with a time and zone; a month and day with a time
# (11-27 09:02, as the audit's own sentences write earlier calls); or a time (hh:mm[:ss]); not
# run on into other digits through a join. (Also the Arrow prefilter's pattern: plain RE2 syntax.)
_TIME = "(?:2[0-3]|[01][0-9]):[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]{1,9})?)?"
_MONTH_DAY = "(?:1[0-2]|0[1-9]){0}(?:3[01]|[12][0-9]|0[1-9])"
_DATE = "(?:19|20)[0-9]{2}(?:" + "|".join(f"{s}{_MONTH_DAY.format(s)}" for s in ("-", "/", "\\.")) + ")"
DATE_TIME = (f"(?:{_DATE}(?:[T ]{_TIME}(?:Z|[+-][0-9]{{2}}(?::?[0-9]{{2}})?)?)?"
             f"|{_MONTH_DAY.format('[-/]')}[T ]{_TIME}|{_TIME})")
_DIGIT = f"[0-9{CHINESE_DIGITS}]"
# Atomic, so that a timestamp followed by digits is not shortened until the rest looks apart.
_NUMBERS = re.compile(f"(?>(?<![0-9]){DATE_TIME})(?!{_JOIN}[0-9])"
                      f"|(?P<groups>[0-9]++(?:{_JOIN}[0-9]++)*+)(?P<x>[Xx]?)")
_MASKABLE = re.compile(f"(?>(?<!{_DIGIT}){DATE_TIME})(?!{_MASK_JOIN}?{_DIGIT})"
                       f"|(?P<run>{_DIGIT}++(?:{_MASK_JOIN}{_DIGIT}++)*+[Xx]?)")
_GROUP = re.compile("[0-9]+")


def written_numbers(text: str) -> list[tuple[list[str], bool]]:
    """The numbers in text as CONF_PII_IN_NOTES reads them: each as its digit groups (ASCII)
    and whether an X or x ends it. '+86 (138) 0013-8009' -> [(['86', '138', '0013', '8009'], False)]."""
    folded = unicodedata.normalize("NFKC", text).translate(_AS_DIGITS)
    return [(_GROUP.findall(m.group("groups")), m.group("x") != "")
            for m in _NUMBERS.finditer(folded) if m.group("groups")]


def mask_free_text(text: str) -> str:
    """Mask every written number of 7+ digits (phones, IDs, cards) in text, keeping its last 4.

    A number's digit groups may be joined by separators (`138.0013.8000`, `+86 (138) 0013-8000`,
    `138,0013,8019`, `4111-1111 1111.1111`, tabs, invisible characters) and its digits may be
    Chinese numerals (`一三八零零一三八零零三`). Dates and times that stand apart stay readable.
    Digits are read after NFKC; a text with a number masked is returned folded (full-width
    digits and punctuation as ASCII), any other text as it is. Masking reads every number that
    CONF_PII_IN_NOTES reads (and more), so what the rule finds, masking hides.
    """
    if not text:
        return text
    folded = unicodedata.normalize("NFKC", text)
    masked = _MASKABLE.sub(_masked_match, folded)
    return text if masked == folded else masked


def _masked_match(match: re.Match) -> str:
    run = match.group("run")
    if run is None:
        return match.group()
    return _mask_digits(run) if sum(ch in _DIGIT_CHARS for ch in run) >= 7 else run


# --- ids: a compact date in an id is a date, not part of a number ------------------------------
# Ids written by agencies and banks often carry the day they were raised: CMP-20261123-001. Eight
# digits forming a date (19xx/20xx, a real month and day) right after a letters prefix and a dash
# or underscore, and ending the id or followed by one, are read as that date; the digits on either
# side are masked as a number of their own (CMP-20261123-0013800138 -> CMP-20261123-******0138).
_ID_DATE_DIGITS = f"(?:19|20)[0-9]{{2}}{_MONTH_DAY.format('')}"
_ID_DATE = re.compile(f"(?<=[A-Za-z][-_]){_ID_DATE_DIGITS}(?=[-_]|$)")
_ID_DATE_RE2 = f"[A-Za-z][-_]{_ID_DATE_DIGITS}(?:[-_]|$)"          # the Arrow prefilter: RE2 has no look-behind


def mask_id_text(text: str) -> str:
    """mask_free_text of an id, reading a compact date after its letters prefix as a date
    (`CMP-20261123-001` stays whole; `CMP-13800138000-1` is masked)."""
    dates = _ID_DATE.findall(text) if text else []
    if not dates:
        return mask_free_text(text)
    parts = [mask_free_text(part) for part in _ID_DATE.split(text)]
    return "".join(part + date for part, date in zip(parts, dates + [""]))


# --- the vectorised prefilter: which texts of a column may hold a number -----------------------
# Over-approximations in RE2 (Arrow's kernels): a digit is an ASCII, full-width or Chinese
# digit; anything but a letter or a number may join; characters that NFKC turns into digits,
# numerals or joins (superscripts, circled numbers, compatibility ideographs, ...) always pass.
_ANY_DIGIT = f"[0-9\uff10-\uff19{CHINESE_DIGITS}]"
_ANY_JOIN = r"[^\pL\pN]*"
FOLDS_TO_DIGITS = ("\xb2-\xb3\xb9\xbc-\xbe\u013f-\u0140\u037a\u2070\u2074-\u2079\u2080-\u2089\u2150-\u215f"
                   "\u2189\u2460-\u249b\u24ea\u2f00\u2f06\u2f0b\u3192-\u3195\u3220-\u3229\u3251-\u325f"
                   "\u3280-\u3288\u32b1-\u32cb\u3358-\u3370\u3378-\u3379\u339f-\u33a6\u33a8\u33af"
                   "\u33e0-\u33fe\uf9b2\uf9d1\ufc5e-\ufc63\ufdfa-\ufdfb\ufe70\ufe72\ufe74\ufe76\ufe78\ufe7a"
                   "\ufe7c\ufe7e\uff70\U0001d7ce-\U0001d7ff\U0001f100-\U0001f10a\U0001f214\U0001f229-\U0001f22a"
                   "\U0001f241-\U0001f242\U0001fbf0-\U0001fbf9")
_DATE_MARK = "\ue000"                                   # a date or time taken out (a private-use character)


def may_hold_number(values: pa.Array, *, digits: int) -> np.ndarray:
    """False only where a text surely holds no written number of `digits` or more digits (as
    written_numbers and mask_free_text read them); null is False. Two passes of Arrow's regex
    kernels: digit-likes joined by non-letters; then, on the texts that pass, the same with
    dates and times taken out, unless one runs on into other digits."""
    chain = f"{_ANY_DIGIT}(?:{_ANY_JOIN}{_ANY_DIGIT}){{{digits - 1}}}"
    folding = f"[{FOLDS_TO_DIGITS}]"
    first = pc.fill_null(pc.match_substring_regex(values, f"{chain}|{folding}"), False).to_numpy(zero_copy_only=False)
    passed = np.flatnonzero(first)
    if not passed.size:
        return first
    texts = values.take(pa.array(passed))
    undated = pc.replace_substring_regex(texts, DATE_TIME, _DATE_MARK)
    run_on = f"{_DATE_MARK}{_ANY_JOIN}(?:{_ANY_DIGIT}|{_DATE_MARK})|{_ANY_DIGIT}{_ANY_JOIN}{_DATE_MARK}"
    second = pc.match_substring_regex(undated, f"{chain}|{run_on}|{folding}").to_numpy(zero_copy_only=False)
    out = np.zeros(len(values), dtype=bool)
    out[passed[second]] = True
    return out


_ASCII_LOOSE = bytes(code for code in range(128) if re.fullmatch(_LOOSE, chr(code)))
_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


def mask_text_column(values: pd.Series) -> pd.Series:
    """mask_id_text of every value of a column (nulls stay null), as text. A column whose
    values repeat (agent ids, details: a sample of 1,000 says) is masked once per distinct value."""
    text = text_array(values, pa.large_string())
    if text is None:
        return values
    sample = text.take(pa.array(np.linspace(0, len(text) - 1, min(len(text), 1000), dtype=np.int64))).to_pylist()
    if len(set(sample)) < len(sample) / 2:
        encoded = pc.dictionary_encode(text)
        masked = _masked_texts(encoded.dictionary).take(encoded.indices)
    else:
        masked = _masked_texts(text)
    return pd.Series(pd.array(masked, dtype=_TEXT), index=values.index)


def _masked_texts(text: pa.Array) -> pa.Array:
    """mask_id_text of each text: ASCII texts with no date, time, trailing X or bracket
    beside , ; : | + * by byte arithmetic over the whole array; the rest in Python, where the
    prefilter selects them."""
    plain = pc.fill_null(pc.and_kleene(pc.string_is_ascii(text), pc.invert(pc.match_substring_regex(
        text, f"{DATE_TIME}|[0-9][Xx]|[{re.escape(CLOSING)}][{re.escape(TIGHT)}]"
              f"|[{re.escape(TIGHT)}][{re.escape(OPENING)}]"
    ))), False)
    out = pc.if_else(plain, mask_digit_runs(text, joins=_ASCII_LOOSE, alone=TIGHT.encode(), shortest=7, keep=4),
                     text)
    rest = np.flatnonzero(may_hold_number(pc.filter(text, pc.invert(plain)), digits=7))
    if rest.size:
        rows = np.flatnonzero(~plain.to_numpy(zero_copy_only=False))[rest]
        selected = np.zeros(len(text), dtype=bool)
        selected[rows] = True
        masked = [mask_free_text(value) for value in text.take(pa.array(rows)).to_pylist()]
        out = pc.replace_with_mask(out, pa.array(selected), pa.array(masked, pa.large_string()))
    dated = pc.fill_null(pc.match_substring_regex(text, _ID_DATE_RE2), False).to_numpy(zero_copy_only=False)
    if dated.any():
        rows = np.flatnonzero(dated)
        masked = [mask_id_text(value) for value in text.take(pa.array(rows)).to_pylist()]
        out = pc.replace_with_mask(out, pa.array(dated), pa.array(masked, pa.large_string()))
    return out


# --- ids from input files, masked wherever they are published (the store keeps them whole) --------
# The columns of the report's CSVs and the fields of what rendering shows that hold an id an
# agency or the bank wrote (or a sentence quoting one): free-text masking hides any full number.
PUBLISHED_IDS = frozenset({"call_id", "agent_id", "campaign_id", "complaint_id", "message_id", "exception_id",
                           "dispute_id", "subject_display", "detail", "top_agents",
                           "id"})               # decisions.csv: an exception's or a dispute's id


def mask_published_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """A shallow copy of `frame` with every column named in PUBLISHED_IDS masked."""
    names = [name for name in frame.columns if name in PUBLISHED_IDS]
    if not names:
        return frame
    out = frame.copy(deep=False)
    for name in names:
        out[name] = mask_text_column(frame[name])
    return out


def mask_published_fields(tree, *, unnamed: Collection[str] = ()):
    """A copy of a tree of frozen dataclasses (a portfolio, a scorecard) with the text of every
    field named in PUBLISHED_IDS masked, at any depth; each distinct text is masked once,
    column-wise, and only the objects that change are copied. In those fields each agency id of
    `unnamed`, as a whole word, reads "another agency" (one agency's page names no other)."""
    texts: set[str] = set()

    def seen(text: str) -> str:
        texts.add(text)
        return text

    _walk(tree, seen)
    ordered = sorted(texts)
    masked = dict(zip(ordered, mask_text_column(pd.Series(ordered, dtype=object)).tolist()))
    if unnamed:
        others = re.compile("(?<![A-Za-z0-9_])(?:" + "|".join(map(re.escape, sorted(unnamed, key=len, reverse=True)))
                            + ")(?![A-Za-z0-9_])")
        masked = {text: others.sub("another agency", value) for text, value in masked.items()}
    changed = {text: value for text, value in masked.items() if value != text}
    return _walk(tree, lambda text: changed.get(text, text)) if changed else tree


def _walk(node, mask, inside: bool = False):
    """`node` with `mask` applied to each str that is (in) a PUBLISHED_IDS field."""
    if isinstance(node, str):
        return mask(node) if inside else node
    if isinstance(node, tuple):
        if not node:                                            # most cases carry no evidence
            return node
        items = tuple(_walk(item, mask, inside) for item in node)
        return node if all(a is b for a, b in zip(items, node)) else items
    updates = {}
    for name in _WALKED.get((type(node), inside)) or _walked_fields(type(node), inside):
        value, published = getattr(node, name), inside or name in PUBLISHED_IDS
        if isinstance(value, str):
            new = mask(value) if published else value
        elif isinstance(value, tuple) or _field_names(type(value)):
            new = _walk(value, mask, published)
        else:
            continue
        if new is not value:
            updates[name] = new
    if not updates:
        return node
    if hasattr(node, "__dict__") and not hasattr(node, "__post_init__"):      # a plain frozen dataclass
        copy = object.__new__(type(node))
        copy.__dict__.update(node.__dict__, **updates)
        return copy
    return dataclasses.replace(node, **updates)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """A dataclass's field names; () for any other class."""
    if cls not in _FIELD_NAMES:
        _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls)) if dataclasses.is_dataclass(cls) else ()
    return _FIELD_NAMES[cls]


_WALKED: dict[tuple[type, bool], tuple[str, ...]] = {}
_NUMBER_TYPES = frozenset({int, float, bool, type(None)})


def _walked_fields(cls: type, inside: bool) -> tuple[str, ...]:
    """The fields of a dataclass that _walk must read: those whose annotation allows text, a
    tuple or a dataclass; outside a published field, a field of text alone only when published.
    A field whose annotation cannot be resolved is read. A scorecard of 150,000 cases walks two
    fields of each (its subject and its evidence), not seventeen."""
    key = (cls, inside)
    if key not in _WALKED:
        names = _field_names(cls)
        try:
            hints = typing.get_type_hints(cls)
        except Exception:                                       # an annotation that does not resolve: read it all
            hints = {}
        _WALKED[key] = tuple(name for name in names if _may_hold_text(hints.get(name), published=inside
                                                                      or name in PUBLISHED_IDS))
    return _WALKED[key]


def _may_hold_text(hint, *, published: bool) -> bool:
    """Whether a field so annotated can hold a text _walk masks (None: unknown, so yes)."""
    if hint is None:
        return True
    kinds = set(typing.get_args(hint)) if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union \
        else {hint}
    if kinds <= _NUMBER_TYPES:
        return False
    return published or not kinds <= _NUMBER_TYPES | {str}


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
    total = sum(ch in _DIGIT_CHARS or ch in "Xx" for ch in run)
    keep_from = total - 4
    seen = 0
    out = []
    for ch in run:
        if ch in _DIGIT_CHARS or ch in "Xx":
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
_CALLING_CODE_ARRAY = pa.array(sorted(_CALLING_CODES), pa.string())


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
    """Vectorised mask_e164: canonical E.164 numbers (what normalise_phones writes) are masked
    by Arrow, one pass per length of calling code and national number; anything else once
    per distinct value in Python (mask_e164 itself)."""
    try:
        text = pa.array(numbers, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return _map_unique(numbers, mask_e164)                 # objects that are not text
    digits = pc.utf8_slice_codeunits(text, 1)
    canonical = pc.fill_null(pc.and_(pc.starts_with(text, "+"), pc.match_substring_regex(digits, r"^[0-9]{8,15}$")),
                             False).to_numpy(zero_copy_only=False)
    code_size = np.zeros(len(text), dtype=np.int64)
    for size in (3, 2, 1):                                      # calling codes are prefix-free: the shortest
        prefix = pc.utf8_slice_codeunits(digits, 0, size)
        code_size[pc.fill_null(pc.is_in(prefix, _CALLING_CODE_ARRAY), False).to_numpy(zero_copy_only=False)] = size
    code_size[~canonical] = 0
    national = pc.fill_null(pc.utf8_length(digits), 0).to_numpy(zero_copy_only=False) - code_size
    out = np.full(len(text), "", dtype=object)
    shape = np.where(code_size > 0, code_size * 100 + national, -1)
    for kind in np.unique(shape[shape >= 0]):
        rows = np.flatnonzero(shape == kind)
        out[rows] = _mask_canonical(text.take(pa.array(rows)), int(kind) // 100, int(kind) % 100)
    other = np.flatnonzero((code_size == 0) & ~pc.is_null(text).to_numpy(zero_copy_only=False))
    if other.size:
        out[other] = _map_unique(pd.Series(text.take(pa.array(other)).to_numpy(zero_copy_only=False), dtype=object),
                                 mask_e164).to_numpy(dtype=object)
    return pd.Series(out, index=numbers.index, dtype="str")


def _mask_canonical(numbers: pa.Array, code_size: int, size: int) -> np.ndarray:
    """mask_e164 of canonical numbers whose calling code has code_size digits and national number size."""
    head, tail = (3, 4) if size >= 10 else (2, 2) if size >= 8 else (0, 2)
    start = 1 + code_size
    masked = pc.binary_join_element_wise(
        "+", pc.utf8_slice_codeunits(numbers, 1, start), " ", pc.utf8_slice_codeunits(numbers, start, start + head),
        "*" * max(size - head - tail, 0), pc.utf8_slice_codeunits(numbers, start + max(size - tail, 0)), "")
    return masked.to_numpy(zero_copy_only=False)


def phone_keys(numbers: pd.Series, secret: bytes) -> pd.Series:
    """HMAC-SHA256 (hex) of each E.164 number: a join key that does not reveal the number.
    The keyed state is prepared once and copied per distinct number."""
    keyed = hmac.new(secret, digestmod=hashlib.sha256)

    def key(number: str) -> str:
        state = keyed.copy()
        state.update(number.encode())
        return state.hexdigest()

    return _map_unique(numbers, key)


KEY_FINGERPRINT_LABEL = b"vendor-audit callee_key fingerprint v1\x00"


def key_fingerprint(secret: bytes) -> str:
    """16 hex digits naming the HMAC key of callee_key without revealing it: sha256 over a fixed
    label and the key. Two runs (or two workers) with equal fingerprints used the same key."""
    return hashlib.sha256(KEY_FINGERPRINT_LABEL + secret).hexdigest()[:16]


def _map_unique(values: pd.Series, function) -> pd.Series:
    """function(value) of each value, worked out once per distinct value; '' for nulls."""
    codes, uniques = pd.factorize(values)
    mapped = np.asarray([function(value) for value in uniques.tolist()] + [""], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype="str")
