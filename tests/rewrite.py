"""The same facts written differently: a landing zone rewritten into other legal forms
(data-contract.md §1), for the invariance tests (tests/test_invariance.py).

Every value is rewritten on its own with a seeded `random.Random`, so one file mixes forms:

- timestamps: `T` or space, seconds dropped when zero, fractions padded with zeros or written
  with a comma, naive local time or an offset (`Z`, `+08`, `+0800`, `+08:00`, or any other
  offset of the same instant);
- phone numbers: any written form that `phonenumbers` maps to the same valid number;
- enumerations (and the purposes of a contract): any letter case;
- any value: surrounding white space (a blank cell may become white space);
- files: columns shuffled, an unknown column added, rows shuffled, every field quoted or only
  where needed (row by row), LF or CRLF, UTF-8, UTF-8 with BOM or GB18030, plain or gzip, or
  Parquet; contracts.xlsx becomes contracts.csv.

A value the rewriter cannot read as the contract's type (a planted bad timestamp or phone) is
kept as it is, so it stays bad. This module reads the contract, not the code under test: its
oracles are `datetime`, `zoneinfo` and `phonenumbers`.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import gzip
import io
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.parquet as pq

from tests.oracle.validity import phone as oracle_phone

BANK_ZONE = "Asia/Shanghai"
REGION = "CN"
EXTRA_COLUMN = "x_export_batch"            # a column the contract does not know

# The type of each column that has other written forms (data-contract.md §1).
KINDS = {
    "cdr": {"caller_number": "phone", "callee_number": "phone", "start_time": "timestamp",
            "answer_time": "timestamp", "end_time": "timestamp", "disposition": "enum", "outcome": "enum"},
    "contracts": {"permitted_purposes": "enum list"},
    "caller_numbers": {"caller_number": "phone"},
    "campaigns": {"purpose": "enum"},
    "assignments": {"phone": "phone"},
    "consents": {"phone": "phone", "marketing_consent_at": "timestamp", "marketing_withdrawn_at": "timestamp"},
    "disputes": {"status": "enum"},
    "complaints": {"phone": "phone", "received_at": "timestamp", "channel": "enum", "category": "enum"},
    "sms": {"sender": "port", "customer_number": "phone", "sent_at": "timestamp", "direction": "enum",
            "status": "enum"},
}
# Rows that share these values keep their relative order when rows are shuffled: the first of
# them is the one kept (DQ_DUPLICATE_CALL_ID, DQ_DUPLICATE_KEY), so its choice is a fact of the
# file, not a written form.
ORDER_KEYS = {"cdr": ("call_id",), "contracts": ("contract_id",), "agents": ("agency_id", "agent_id", "active_from"),
              "campaigns": ("campaign_id",), "exceptions": ("exception_id",), "disputes": ("dispute_id",),
              "complaints": ("complaint_id",), "sms": ("message_id",)}
FORMATS = ("csv", "csv.gz", "parquet", "gb18030", "bom")       # a CDR file's container and encoding

_TIMESTAMP = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
                        r"(?:(Z)|([+-])(\d{2})(?::?(\d{2}))?)?")
_OFFSETS_MINUTES = (0, 480, 360, -300, 330, 345, 840, -720, -210, 60)


# --- values ---------------------------------------------------------------------------------

def timestamp_form(text: str, zone: str | None, rng: random.Random) -> str:
    """The same instant in another legal form; naive text is local time in `zone`. Text that
    is not a valid timestamp is returned as it is."""
    match = _TIMESTAMP.fullmatch(text)
    if not match:
        return text
    y, mo, d, h, mi, s, fraction, zulu, sign, oh, om = match.groups()
    try:
        wall = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
    except ValueError:
        return text
    if sign and (int(oh) > 23 or int(om or 0) > 59):
        return text
    fraction = (fraction or "").rstrip("0")
    if zulu or sign:
        minutes = 0 if zulu else (1 if sign == "+" else -1) * (int(oh) * 60 + int(om or 0))
        utc = wall - dt.timedelta(minutes=minutes)
    else:
        utc = utc_of_local(wall, zone)
        if utc is None:                            # no zone, or a DST gap or fold: stay naive
            return _written(wall, fraction, None, rng)
    choices = list(_OFFSETS_MINUTES) + ([None] * 3 if zone else [])
    offset = rng.choice(choices)
    if offset is None:
        local = utc.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        if utc_of_local(local, zone) == utc:
            return _written(local, fraction, None, rng)
        offset = 0
    return _written(utc + dt.timedelta(minutes=offset), fraction, offset, rng)


def utc_of_local(wall: dt.datetime, zone: str | None) -> dt.datetime | None:
    """The UTC instant of a local wall time, None when the zone is unknown or the wall time is
    skipped or repeated there (a daylight-saving change)."""
    if not zone:
        return None
    first, second = (wall.replace(tzinfo=ZoneInfo(zone), fold=f) for f in (0, 1))
    if first.utcoffset() != second.utcoffset():
        return None
    return first.astimezone(dt.UTC).replace(tzinfo=None)


def _written(local: dt.datetime, fraction: str, offset: int | None, rng: random.Random) -> str:
    text = local.strftime("%Y-%m-%d") + rng.choice("T ") + local.strftime("%H:%M")
    if fraction or local.second or rng.random() < 0.7:
        text += local.strftime(":%S")
        digits = fraction + "0" * rng.randint(0, 9 - len(fraction)) if (fraction or rng.random() < 0.3) else ""
        if digits:
            text += rng.choice(".,") + digits
    if offset is None:
        return text
    hours, minutes = divmod(abs(offset), 60)
    sign = "+" if offset >= 0 else "-"
    forms = [f"{sign}{hours:02d}:{minutes:02d}", f"{sign}{hours:02d}{minutes:02d}"]
    forms += [f"{sign}{hours:02d}"] if minutes == 0 else []
    forms += ["Z"] if offset == 0 else []
    return text + rng.choice(forms)


def phone_form(text: str, rng: random.Random, region: str = REGION) -> str:
    """The same number in another written form that phonenumbers maps to the same valid
    number; text that is not a valid number is returned as it is."""
    e164 = e164_of(text, region)
    if e164 is None:
        return text
    candidates = list(_phone_candidates(e164))
    while candidates:                   # checked one at a time: parsing every form is slow
        form = candidates.pop(rng.randrange(len(candidates)))
        if e164_of(form, region) == e164:
            return form
    return text


def phone_forms(text: str, region: str = REGION) -> list[str]:
    """Every written form phone_form may give for `text` (empty when it is not a valid number)."""
    e164 = e164_of(text, region)
    return [] if e164 is None else [f for f in _phone_candidates(e164) if e164_of(f, region) == e164]


@functools.lru_cache(maxsize=1 << 16)
def _phone_candidates(e164: str) -> tuple[str, ...]:
    """Common written forms of a number, not yet checked."""
    number = phonenumbers.parse(e164)
    cc = str(number.country_code)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    groups = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL).split(" ")[1:]
    local = national.split(" ")
    return tuple(dict.fromkeys([
        e164, f"+{cc} " + " ".join(groups), national, re.sub(r"\D", "", national),
        f"00{cc}-" + "-".join(groups), f"00{cc} " + " ".join(groups), f"(+{cc}) " + "-".join(groups),
        f"+{cc}-" + "-".join(groups), f"+{cc} ({groups[0]}) " + "-".join(groups[1:]), "-".join(local),
        f"({local[0]}) " + " ".join(local[1:]), ".".join(local), f"+{cc}." + ".".join(groups),
    ]))


@functools.lru_cache(maxsize=1 << 16)
def e164_of(text: str, region: str) -> str | None:
    """The spec's per-value reading of a phone (the oracle's), cached: the rewrite asks often."""
    return oracle_phone(text, region)


def port_form(text: str, rng: random.Random) -> str:
    """An SMS port (read as its digits) grouped by spaces or dashes, or with a leading '+'."""
    digits = re.sub(r"\D", "", text)
    if not digits:
        return text
    cut = sorted(rng.sample(range(1, len(digits)), min(2, len(digits) - 1)))
    groups = [digits[i:j] for i, j in zip([0, *cut], [*cut, len(digits)])]
    return rng.choice([digits, " ".join(groups), "-".join(groups), "+" + digits, "+" + " ".join(groups)])


def enum_form(text: str, rng: random.Random) -> str:
    """The same enumeration value in another letter case."""
    return rng.choice([text.upper(), text.lower(), text.capitalize(),
                       "".join(rng.choice((c.upper(), c.lower())) for c in text)])


def enum_list_form(text: str, rng: random.Random) -> str:
    """A `;` list of enumeration values, each in another case, spaces around the separators."""
    return rng.choice([";", "; ", " ;", " ; "]).join(enum_form(item.strip(), rng) for item in text.split(";"))


def padded(text: str, rng: random.Random) -> str:
    """Surrounding white space (trimmed by the reader); a blank cell may become white space."""
    if rng.random() < 0.7:
        return text
    return rng.choice(["", " ", "  ", "\t"]) + text + rng.choice(["", " ", "   "])


def value_form(text: str, kind: str | None, zone: str | None, rng: random.Random) -> str:
    """`text` of a column of `kind` in another written form."""
    stripped = text.strip()
    if stripped:
        if kind == "timestamp":
            text = timestamp_form(stripped, zone, rng)
        elif kind == "phone":
            text = phone_form(stripped, rng)
        elif kind == "enum":
            text = enum_form(stripped, rng)
        elif kind == "enum list":
            text = enum_list_form(stripped, rng)
        elif kind == "port":
            text = port_form(stripped, rng)
    return padded(text, rng)


# --- tables and files -----------------------------------------------------------------------

@dataclass
class Forms:
    """What the rewriting did, counted, so a test can check that each form was really used."""

    counts: Counter = field(default_factory=Counter)

    def saw(self, *names: str) -> None:
        self.counts.update(names)


def rewrite_rows(table: str, header: list[str], rows: list[list[str]], *, zone: str | None,
                 rng: random.Random, forms: Forms) -> tuple[list[str], list[list[str]]]:
    """Header and rows of one file with every value in another written form, the columns
    shuffled, an unknown column added and the rows shuffled. A row whose field count is wrong
    (malformed) keeps its fields as they were, plus one, so that it stays malformed."""
    kinds = KINDS.get(table, {})
    order = rng.sample(range(len(header)), len(header))
    extra_at = rng.randrange(len(header) + 1)
    new_header = [header[i] for i in order]
    new_header.insert(extra_at, EXTRA_COLUMN)
    out = []
    for row in rows:
        extra = rng.choice(["", "B7", "batch 7, part 2", '"quoted"', "13812345678"])
        if len(row) != len(header):
            out.append(row + [extra])
            forms.saw("malformed row")
            continue
        row_kinds = _row_kinds(table, header, row, kinds)
        values = [value_form(row[i], row_kinds.get(header[i]), zone, rng) for i in order]
        for i, new in zip(order, values):
            _count(forms, row_kinds.get(header[i]), row[i], new)
        values.insert(extra_at, extra)
        out.append(values)
    positions = {name: header.index(name) for name in ORDER_KEYS.get(table, ())}
    return new_header, _shuffled(rows, out, positions, rng)


def _row_kinds(table: str, header: list[str], row: list[str], kinds: dict[str, str]) -> dict[str, str]:
    """A caller_numbers row of channel sms registers a port, not a phone number."""
    if table == "caller_numbers" and "channel" in header and row[header.index("channel")].strip().lower() == "sms":
        return {**kinds, "caller_number": "port"}
    return kinds


def _count(forms: Forms, kind: str | None, old: str, new: str) -> None:
    if new != new.strip():
        forms.saw("white space")
    if not old.strip() or new.strip() == old.strip():
        return
    forms.saw(f"{kind or 'text'} changed")
    if kind == "timestamp":
        forms.saw(*(name for name, pattern in (("T", r"T"), ("space", r"\d \d"), ("Z", r"Z$"), ("+hh", r"[+-]\d\d$"),
                                               ("+hhmm", r"[+-]\d{4}$"), ("+hh:mm", r"[+-]\d\d:\d\d$"),
                                               ("comma fraction", r",\d"), ("dot fraction", r"\.\d"),
                                               ("no seconds", r"[T ]\d\d:\d\d(?:$|[Z+-])"))
                    if re.search(pattern, new.strip())))
    elif kind == "phone":
        forms.saw(*(name for name, pattern in (("(+86)", r"^\(\+86\)"), ("0086", r"^0086"), ("+86 ", r"^\+86 "),
                                               ("bare national", r"^\d+$")) if re.search(pattern, new.strip())))


def _shuffled(original: list[list[str]], rows: list[list[str]], key_positions: dict[str, int],
              rng: random.Random) -> list[list[str]]:
    """Rows in a random order, except that rows sharing a key (ORDER_KEYS) keep their order:
    every row draws a random slot, then each key's rows are dealt into its slots in file order."""
    slots = rng.sample(range(len(rows)), len(rows))
    groups: dict[object, list[int]] = {}
    for index, row in enumerate(original):
        if key_positions and len(row) > max(key_positions.values()):
            key: object = tuple(row[p].strip() for p in key_positions.values())
        else:
            key = ("row", index)
        groups.setdefault(key, []).append(index)
    result: list[list[str] | None] = [None] * len(rows)
    for members in groups.values():
        for slot, index in zip(sorted(slots[i] for i in members), members):
            result[slot] = rows[index]
    return result


def file_bytes(header: list[str], rows: list[list[str]], fmt: str, *, crlf: bool, rng: random.Random) -> bytes:
    """A CSV file (fields quoted all or only where needed, row by row) in `fmt`, or Parquet
    (a blank cell null or empty, at random)."""
    if fmt == "parquet":
        columns = list(zip(*rows)) if rows else [()] * len(header)
        arrays = [pa.array([None if v == "" and rng.random() < 0.5 else v for v in c], type=pa.string())
                  for c in columns]
        sink = io.BytesIO()
        pq.write_table(pa.table(dict(zip(header, arrays))), sink)
        return sink.getvalue()
    text = io.StringIO()
    newline = "\r\n" if crlf else "\n"
    writers = [csv.writer(text, quoting=q, lineterminator=newline) for q in (csv.QUOTE_ALL, csv.QUOTE_MINIMAL)]
    rng.choice(writers).writerow(header)
    for row in rows:
        rng.choice(writers).writerow(row)
    if fmt == "gb18030":
        data = text.getvalue().encode("gb18030")
    else:
        data = (("\ufeff" if fmt == "bom" else "") + text.getvalue()).encode("utf-8")
    return gzip.compress(data, mtime=0) if fmt == "csv.gz" else data


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a landing file as text (blank for null), whatever its format."""
    if path.name.endswith(".parquet"):
        table = pq.read_table(path)
        columns = [["" if v is None else str(v) for v in c.to_pylist()] for c in table.columns]
        return list(table.column_names), [list(r) for r in zip(*columns)]
    if path.name.endswith(".xlsx"):
        frame = pd.read_excel(path, sheet_name=0, dtype=str, keep_default_na=False)
        return list(frame.columns), frame.to_numpy().tolist()
    data = path.read_bytes()
    data = gzip.decompress(data) if path.name.endswith(".gz") else data
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:]


def agency_zone(contracts: list[dict[str, str]], agency: str, day: dt.date) -> str:
    """Zone of an agency's naive timestamps on `day` (data-contract.md §1): its contract in
    force on the day (latest start when several), else its latest contract, else the bank's."""
    own = sorted((c for c in contracts if c["agency_id"].strip() == agency),
                 key=lambda c: (c["contract_start"].strip(), c["contract_id"].strip()))
    in_force = [c for c in own if c["contract_start"].strip() <= day.isoformat() <= c["contract_end"].strip()]
    chosen = (in_force or own or [{"timezone": ""}])[-1]
    return chosen["timezone"].strip() or BANK_ZONE


def rewrite_landing(source: Path, target: Path, *, seed: int) -> Forms:
    """Write `target` as `source` with the same facts in other written forms (module doc).
    CDR files cycle through FORMATS (a file with a malformed line stays CSV); reference
    tables become CSV in UTF-8, UTF-8 with BOM or GB18030."""
    rng = random.Random(seed)
    forms = Forms()
    header, rows = read_rows(next((source / "reference").glob("contracts.*")))
    contracts = [dict(zip(header, row)) for row in rows]
    for number, path in enumerate(sorted((source / "reference").iterdir())):
        table = path.name.split(".")[0]
        header, rows = read_rows(path)
        zone = BANK_ZONE if table == "consents" else None
        header, rows = rewrite_rows(table, header, rows, zone=zone, rng=rng, forms=forms)
        fmt = ("csv", "bom", "gb18030")[number % 3]             # each form, whichever tables there are
        _write(target / "reference" / f"{table}.csv", file_bytes(header, rows, fmt, crlf=rng.random() < 0.5, rng=rng))
        forms.saw(f"reference as {fmt}")
    for path in sorted((source / "complaints").glob("*.csv")):         # signals.md §1: bank-zone timestamps
        header, rows = read_rows(path)
        header, rows = rewrite_rows("complaints", header, rows, zone=BANK_ZONE, rng=rng, forms=forms)
        fmt = rng.choice(["csv", "bom", "gb18030"])
        _write(target / "complaints" / path.name, file_bytes(header, rows, fmt, crlf=rng.random() < 0.5, rng=rng))
        forms.saw(f"complaints as {fmt}")
    paths = sorted((source / "cdr").glob("*/*"))
    for number, path in enumerate(paths):
        day, agency = dt.date.fromisoformat(path.parent.name), path.name.split(".")[0]
        header, rows = read_rows(path)
        header, rows = rewrite_rows("cdr", header, rows, zone=agency_zone(contracts, agency, day), rng=rng,
                                    forms=forms)
        fmt = FORMATS[number % len(FORMATS)]
        if fmt == "parquet" and any(len(row) != len(header) for row in rows):
            fmt = "csv"
        crlf = rng.random() < 0.5
        suffix = {"csv.gz": ".csv.gz", "parquet": ".parquet"}.get(fmt, ".csv")
        data = file_bytes(header, rows, fmt, crlf=crlf, rng=rng)
        _write(target / "cdr" / path.parent.name / f"{agency}{suffix}", data)
        forms.saw(f"cdr as {fmt}", "CRLF" if crlf and fmt != "parquet" else "LF")
    for number, path in enumerate(sorted((source / "sms").glob("*/*"))):      # text messages, as CDRs
        day, agency = dt.date.fromisoformat(path.parent.name), path.name.split(".")[0]
        header, rows = read_rows(path)
        header, rows = rewrite_rows("sms", header, rows, zone=agency_zone(contracts, agency, day), rng=rng,
                                    forms=forms)
        fmt = FORMATS[(number + 2) % len(FORMATS)]
        crlf = rng.random() < 0.5
        suffix = {"csv.gz": ".csv.gz", "parquet": ".parquet"}.get(fmt, ".csv")
        _write(target / "sms" / path.parent.name / f"{agency}{suffix}", file_bytes(header, rows, fmt, crlf=crlf, rng=rng))
        forms.saw(f"sms as {fmt}")
    return forms


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
