"""Random small landing zones for the differential test (hypothesis strategies).

A world is a few days of calls (the audit day and some earlier days, a few hundred calls), several
agencies, reference tables whose dates sit on the days' boundaries, and a rulepack whose
thresholds sit near the call counts, so that every rule both fires and stays silent at its
boundary. Each fact is written in a random accepted shape (timestamps with space/T, Z, +08,
+0800, +08:00, fractions with . and ,; phones bare, +86, 0086, spaced, dashed, full width; enum
case and spaces), and quarantinable rows are mixed in.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import phonenumbers
from hypothesis import strategies as st

from tests.oracle.validity import PURPOSES, callee_zones, id_check_character, luhn_ok, wall_clock

UTC = dt.UTC
BANK_ZONES = ("Asia/Shanghai", "Europe/London")
ZONES = ("Asia/Shanghai", "Asia/Tokyo", "America/New_York", "Europe/London", "Asia/Kolkata")
AUDIT_DAYS = (dt.date(2026, 11, 27),
              dt.date(2026, 11, 1), dt.date(2026, 11, 2),      # New York leaves daylight saving on 1 November
              dt.date(2026, 3, 8), dt.date(2026, 3, 9),        # New York enters it on 8 March
              dt.date(2026, 3, 29), dt.date(2026, 3, 30))      # London enters it on 29 March
EARLIER = (1, 2, 3, 6, 7, 8)             # earlier days, as days before the audit day
FAR_PAST, FAR_FUTURE = dt.date(2020, 1, 1), dt.date(2030, 12, 31)
AGENCIES = ("AG01", "AG02", "AG_03", "AG-04")
NO_CONTRACT_AGENCY = "AG09"             # delivers files, has no contract at all
AGENTS = ("A1", "A2", "A3")             # the same ids at several agencies: rosters are per agency
CAMPAIGNS = {"MKT": ("marketing", "CREDIT_CARD"), "MKT2": ("marketing", "MORTGAGE"),
             "COL": ("collection", "PERSONAL_LOAN"), "SRV": ("servicing", "")}
UNKNOWN_CAMPAIGN = "ZZZ"
PRODUCTS = ("CREDIT_CARD", "MORTGAGE", "PERSONAL_LOAN")
CUSTOMERS = ("+8613812345678", "+8613987654321", "+8615012345678", "+8618612345678", "+8613512345670",
             "+8617712345678", "+8615812345679", "+8613612345671", "+12125550123", "+85291234567")
CALLERS = ("+861065529988", "+862161234567", "+861065529900", "+862087654321", "+8618912345672",
           "+8613712345673")
BAD_PHONES = ("12345", "1381234567", "+86 12", "phone?", "138123456789", "+1 212 555")
BAD_TIMESTAMPS = ("2026-02-30 10:00", "2026-13-45 10:00", "2026-11-27 24:30:00", "27/11/2026 10:00",
                  "2026-11-27", "2026-11-27T10", "soon")
BAD_ZONE = "Mars/Olympus"
# Wall clocks around daylight-saving changes: in a gap (moves forward) or ambiguous (first occurrence).
TRANSITIONS = {("America/New_York", dt.date(2026, 3, 8)): ("01:59:59", "02:00:00", "02:30:00", "03:00:00"),
               ("America/New_York", dt.date(2026, 11, 1)): ("00:59:59", "01:00:00", "01:30:00", "01:59:59",
                                                             "02:00:00"),
               ("Europe/London", dt.date(2026, 3, 29)): ("00:59:59", "01:00:00", "01:30:00", "02:00:00")}
REQUIRED = ("call_id", "agency_id", "agent_id", "campaign_id", "caller_number", "callee_number",
            "start_time", "end_time", "disposition")
CDR_COLUMNS = ("call_id", "agency_id", "agent_id", "campaign_id", "caller_number", "callee_number",
               "start_time", "answer_time", "end_time", "disposition", "outcome", "notes", "callee_tz")
REFERENCE_COLUMNS = {
    "contracts": ("agency_id", "agency_name", "contract_id", "contract_start", "contract_end",
                  "permitted_purposes", "permitted_products", "licence_no", "licence_expiry", "nda_signed",
                  "nda_expiry", "timezone"),
    "agents": ("agency_id", "agent_id", "active_from", "active_to", "trained_on"),
    "caller_numbers": ("agency_id", "caller_number", "registered_from", "registered_to"),
    "campaigns": ("campaign_id", "purpose", "product"),
    "assignments": ("agency_id", "campaign_id", "customer_id", "phone", "assigned_from", "assigned_to"),
    "consents": ("customer_id", "phone", "marketing_consent_at", "marketing_withdrawn_at"),
}

for _number in CUSTOMERS + CALLERS:
    assert phonenumbers.is_valid_number(phonenumbers.parse(_number)), _number


@dataclass
class World:
    """One random landing zone: what is written, and how the test audits it."""
    days: list[dt.date]                                   # ascending; the last is the audit day
    bank_zone: str
    rulepack: dict                                        # the YAML document
    reference: dict[str, list[dict[str, str]]]
    cdr: dict[dt.date, dict[str, list[dict[str, str]]]]
    audit_first_day: bool                                 # before the audit day (else ingested by its run)
    calls: int = field(default=0)
    walls: int = field(default=0)                         # naive start times around a DST change

    def write(self, landing: Path) -> Path:
        for table, rows in self.reference.items():
            _write_csv(landing / "reference" / f"{table}.csv", REFERENCE_COLUMNS[table], rows)
        for day, agencies in self.cdr.items():
            for agency, rows in agencies.items():
                _write_csv(landing / "cdr" / day.isoformat() / f"{agency}.csv", CDR_COLUMNS, rows)
        return landing

    def _repr_pretty_(self, printer, cycle) -> None:      # hypothesis prints examples with this
        printer.text(repr(self))

    def __repr__(self) -> str:
        head = (f"World(days={[d.isoformat() for d in self.days]}, bank_zone={self.bank_zone!r}, "
                f"audit_first_day={self.audit_first_day}, calls={self.calls}, rulepack={self.rulepack['rules']!r}, "
                f"attempts={self.rulepack['attempt_dispositions']!r}")
        if self.calls > 100:
            return head + ", ...)"
        lines = [head + ","]
        for table, rows in self.reference.items():
            lines += [f"  {table}:"] + [f"    {_csv_line(r, REFERENCE_COLUMNS[table])}" for r in rows]
        for day, agencies in self.cdr.items():
            for agency, rows in agencies.items():
                lines += [f"  cdr/{day}/{agency}.csv:"] + [f"    {_csv_line(r, CDR_COLUMNS)}" for r in rows]
        return "\n".join(lines) + ")"


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    """RFC 4180 CSV; a row marked "fields": "extra" or "short" gets one field too many or too few."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            values = [row.get(c, "") for c in columns]
            fields = row.get("fields")
            writer.writerow(values + ["extra"] if fields == "extra" else values[:-1] if fields == "short" else values)


def _csv_line(row: dict[str, str], columns: tuple[str, ...]) -> str:
    return ",".join(row.get(c, "") for c in columns)


# --- shapes of one value ---------------------------------------------------------------
# Shapes are taken from a random.Random seeded by one hypothesis draw per row: hundreds of rows
# with a dozen shaped values each would otherwise overrun hypothesis' choice budget.

def local_text(instant: dt.datetime, zone: dt.tzinfo, sep: str, seconds: int, fraction_sep: str) -> str:
    """Wall clock of `instant` in `zone`, ISO with `sep`; seconds: 0 omit when whole minute,
    1 always, 2 always with a six-digit fraction (else a fraction only when there is one)."""
    local = instant.astimezone(zone)
    text = local.strftime(f"%Y-%m-%d{sep}%H:%M")
    if seconds == 0 and local.second == 0 and local.microsecond == 0:
        return text
    text += f":{local.second:02d}"
    if local.microsecond or seconds == 2:
        digits = f"{local.microsecond:06d}"
        text += fraction_sep + (digits if seconds == 2 else digits.rstrip("0") or "0")
    return text


OFFSETS = (dt.timedelta(0), dt.timedelta(hours=8), dt.timedelta(hours=9), dt.timedelta(hours=-5),
           dt.timedelta(hours=5, minutes=30), dt.timedelta(hours=-3, minutes=-30))


def timestamp_text(rnd: random.Random, instant: dt.datetime, naive_zone: str) -> str:
    """`instant` written in one accepted shape: naive (local in naive_zone, half the time) or with
    an offset (Z, +HH, +HHMM, +HH:MM) of another zone."""
    sep, seconds, fraction_sep = rnd.choice(" T"), rnd.randrange(3), rnd.choice(".,")
    if rnd.random() < 0.5:
        return local_text(instant, ZoneInfo(naive_zone), sep, seconds, fraction_sep)
    offset = rnd.choice(OFFSETS)
    text = local_text(instant, dt.timezone(offset), sep, seconds, fraction_sep)
    sign = "-" if offset < dt.timedelta(0) else "+"
    hours, minutes = divmod(abs(int(offset.total_seconds())) // 60, 60)
    forms = [f"{sign}{hours:02d}{minutes:02d}", f"{sign}{hours:02d}:{minutes:02d}"]
    if minutes == 0:
        forms.append(f"{sign}{hours:02d}")
    if offset == dt.timedelta(0):
        forms.append("Z")
    return text + rnd.choice(forms)


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def phone_text(rnd: random.Random, e164: str) -> str:
    """A valid number in one common written form that phonenumbers maps back to it."""
    number = phonenumbers.parse(e164)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    forms = [e164, international, international.replace("+", "00", 1).replace(" ", "-"),
             international.replace(" ", "-")]
    if number.country_code == 86:
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        forms += [national, national.replace(" ", ""), national.replace(" ", "-"), national.replace(" ", "."),
                  national.translate(FULL_WIDTH).replace(" ", "")]
    return rnd.choice(forms)


def enum_text(rnd: random.Random, value: str) -> str:
    cased = rnd.choice([value, value, value.lower(), value.title(), value.capitalize()])
    return rnd.choice(["", "", " ", "  "]) + cased + rnd.choice(["", "", " ", "\t"])


NOTES_KINDS = 14


def notes_text(rnd: random.Random, kind: int) -> str:
    """Free text, with or without an unmasked identifier (and near misses)."""
    def digits(n: int) -> str:
        return "".join(rnd.choice("0123456789") for _ in range(n))

    if kind == 0:
        return ""
    if kind == 1:
        return rnd.choice(["客户要求稍后回电", "callback, after 6pm", 'said "not now"', "单号 20261127",
                           "two lines:\nthen 13812345678", "多行\r\n备注"])
    if kind in (2, 3):                                     # resident ID, check valid or not
        first = digits(17)
        check = id_check_character(first)
        if kind == 3:
            check = "0123456789X"[("0123456789X".index(check) + 1) % 11]
        elif check == "X":
            check = rnd.choice("Xx")
        return f"身份证{first}{check}，核实"
    if kind in (4, 5):                                     # card run 13-19, Luhn valid or not
        body = digits(rnd.randint(12, 18))
        check = next(d for d in "0123456789" if luhn_ok(body + d) == (kind == 4))
        return f"card {body}{check} ok"
    mobile = "1" + rnd.choice("3456789") + digits(9)
    if kind == 6:
        return f"手机{mobile}"
    if kind == 7:                                          # not a mobile: second digit 0-2
        return f"tel 1{rnd.choice('012')}{digits(9)}."
    if kind == 8:                                          # a longer run is no mobile
        return f"ref {mobile}{digits(1)}"
    if kind == 9:                                          # full-width digits count
        return "手机" + mobile.translate(FULL_WIDTH)
    if kind == 10:                                         # groups joined by single separators: a number
        return f"{mobile[:3]}{rnd.choice([' ', '-', ',', '*', chr(0x3000)])}{mobile[3:7]} {mobile[7:]}"
    if kind == 11:                                         # two separators end a number
        return f"{mobile[:3]} - {mobile[3:7]} - {mobile[7:]}"
    if kind == 12:
        return f"{digits(rnd.randint(1, 10))} items"
    return f"order {digits(12)}"                          # 12 digits: neither mobile nor card


# --- the world ---------------------------------------------------------------------------

@st.composite
def rulepacks(draw) -> dict:
    """Small caps so rules fire on small data; windows, gap and training near the boundaries."""
    def caps(low, high):
        chosen = draw(st.lists(st.sampled_from(PURPOSES), min_size=1, max_size=3, unique=True))
        return {p: draw(st.integers(low, high)) for p in chosen}

    windows = {}
    for purpose in draw(st.lists(st.sampled_from(PURPOSES), min_size=1, max_size=3, unique=True)):
        windows[purpose] = {"start": draw(st.sampled_from(["07:30", "08:00", "09:00"])),
                            "end": draw(st.sampled_from(["20:00", "21:00", "21:30", "22:00"]))}
    attempts = draw(st.sampled_from([["ANSWERED", "NO_ANSWER", "REJECTED", "VOICEMAIL"],
                                     ["ANSWERED", "NO_ANSWER", "REJECTED", "VOICEMAIL", "BUSY"],
                                     ["answered", "no_answer", "rejected"]]))
    return {
        "name": "oracle", "description": "small thresholds for the differential test",
        "bank_timezone": "Asia/Shanghai", "default_region": "CN", "attempt_dispositions": attempts,
        "rules": {
            "FREQ_CALLING_HOURS": {"windows": windows},
            "FREQ_DAILY_CAP": {"caps": caps(0, 4)},
            "FREQ_ROLLING_7D": {"caps": caps(1, 6), "window_days": draw(st.sampled_from([2, 3, 7]))},
            "FREQ_COOLING_OFF": {"cooling_off_days": caps(1, 4)},
            "FREQ_RAPID_REDIAL": {"redial_gap_minutes": draw(st.sampled_from([1, 2.5, 5, 30]))},
            "FREQ_AFTER_REFUSAL": {"refusal_applies_to": draw(st.lists(st.sampled_from(PURPOSES), min_size=1,
                                                                       max_size=3, unique=True))},
            "FREQ_CALLER_DAILY_CAP": {"cap": draw(st.integers(1, 12))},
            "QUAL_AGENT_UNTRAINED": {"training_valid_days": draw(st.sampled_from([0, 30, 365]))},
        },
    }


@dataclass
class _Contract:
    start: dt.date
    end: dt.date
    zone: str | None


def _agency_zone(contracts: list[_Contract], day: dt.date, bank_zone: str) -> str:
    in_force = [c for c in contracts if c.start <= day <= c.end]
    chosen = max(in_force or contracts, key=lambda c: c.start) if contracts else None
    return (chosen.zone if chosen else None) or bank_zone


@st.composite
def worlds(draw) -> World:
    bank_zone = draw(st.sampled_from(BANK_ZONES))
    audit_day = draw(st.sampled_from(AUDIT_DAYS))
    earlier = draw(st.lists(st.sampled_from(EARLIER), min_size=1, max_size=3, unique=True))
    days = sorted([audit_day] + [audit_day - dt.timedelta(days=n) for n in earlier])
    pack = draw(rulepacks())
    pack["bank_timezone"] = bank_zone
    rnd = random.Random(draw(st.integers(0, 2**32 - 1)))          # shapes of the reference values
    training_days = pack["rules"]["QUAL_AGENT_UNTRAINED"]["training_valid_days"]
    boundary_dates = sorted({d + dt.timedelta(days=k) for d in days for k in (-1, 0, 1)} | {FAR_PAST, FAR_FUTURE})
    a_date = st.sampled_from(boundary_dates)
    maybe_date = st.one_of(st.just(""), a_date.map(dt.date.isoformat))
    bank = ZoneInfo(bank_zone)

    def period() -> tuple[dt.date, dt.date]:
        return tuple(sorted([draw(a_date), draw(a_date)]))

    # --- reference tables ---
    agencies = list(AGENCIES[:draw(st.integers(2, len(AGENCIES)))])
    contracts, contract_rows = {}, []
    for agency in agencies:
        contracts[agency] = []
        for number in range(draw(st.integers(0, 2)) if agency != agencies[0] else 1):
            start, end = period()
            if any(c.start == start for c in contracts[agency]):
                continue                                          # "latest start" must decide
            zone = draw(st.sampled_from(("",) + ZONES))
            contracts[agency].append(_Contract(start, end, zone or None))
            purposes = draw(st.lists(st.sampled_from(PURPOSES), max_size=3, unique=True))
            contract_rows.append(dict(
                agency_id=agency, agency_name=f"代理 {agency}", contract_id=f"{agency}-C{number}",
                contract_start=start.isoformat(), contract_end=end.isoformat(),
                permitted_purposes=";".join(enum_text(rnd, p) for p in purposes),
                permitted_products=";".join(draw(st.lists(st.sampled_from(PRODUCTS), max_size=3, unique=True))),
                licence_no=draw(st.sampled_from(["L-1", "L-1", ""])), licence_expiry=draw(maybe_date),
                nda_signed=draw(st.one_of(a_date.map(dt.date.isoformat), st.just(""))),
                nda_expiry=draw(maybe_date), timezone=zone))

    agent_rows = []
    training_dates = sorted({d - dt.timedelta(days=training_days + k) for d in days for k in (-1, 0, 1)}
                            | {days[-1] + dt.timedelta(days=1)})
    for agency in agencies:
        for agent in AGENTS[:2]:                                  # A3 is on no roster
            froms = set()
            for _ in range(draw(st.integers(0, 2))):
                start, end = period()
                if start in froms:
                    continue
                froms.add(start)
                agent_rows.append(dict(agency_id=agency, agent_id=agent, active_from=start.isoformat(),
                                       active_to=draw(st.sampled_from(["", end.isoformat()])),
                                       trained_on=draw(st.one_of(st.just(""), st.sampled_from(training_dates).map(
                                           dt.date.isoformat)))))

    caller_rows = []
    for agency in agencies:
        for caller in draw(st.lists(st.sampled_from(CALLERS), min_size=1, max_size=3, unique=True)):
            start, end = period()
            caller_rows.append(dict(agency_id=agency, caller_number=phone_text(rnd, caller),
                                    registered_from=start.isoformat(),
                                    registered_to=draw(st.sampled_from(["", end.isoformat()]))))

    campaign_rows = [dict(campaign_id=c, purpose=enum_text(rnd, p), product=product)
                     for c, (p, product) in CAMPAIGNS.items()]

    customers = list(CUSTOMERS[:draw(st.integers(3, len(CUSTOMERS)))])
    assignment_rows = []
    for agency in agencies:
        for k, customer in enumerate(customers):
            for _ in range(draw(st.integers(0, 2))):
                start, end = period()
                phone = phone_text(rnd, customer) if rnd.random() > 0.03 else rnd.choice(BAD_PHONES)
                assignment_rows.append(dict(
                    agency_id=agency, campaign_id=rnd.choice(sorted(CAMPAIGNS)), customer_id=f"K{k}", phone=phone,
                    assigned_from=start.isoformat(), assigned_to=draw(st.sampled_from(["", end.isoformat()]))))

    # consent instants on the days, which calls then start exactly at, just before or just after
    consent_instants = [dt.datetime.combine(draw(st.sampled_from(days)),
                                            dt.time(draw(st.integers(9, 19)), draw(st.integers(0, 59))),
                                            tzinfo=bank).astimezone(UTC)
                        for _ in range(draw(st.integers(1, 3)))]
    an_instant = st.sampled_from([dt.datetime(2025, 1, 1, tzinfo=UTC)] + consent_instants)
    consent_rows = []
    for k, customer in enumerate(customers):
        for _ in range(draw(st.integers(0, 2))):
            given, withdrawn = sorted([draw(an_instant), draw(an_instant)])
            texts = [timestamp_text(rnd, given, bank_zone) if draw(st.integers(0, 5)) else "",
                     timestamp_text(rnd, withdrawn, bank_zone) if draw(st.booleans()) else ""]
            if rnd.random() < 0.05:
                texts[rnd.randrange(2)] = rnd.choice(BAD_TIMESTAMPS)
            consent_rows.append(dict(customer_id=f"K{k}", phone=phone_text(rnd, customer),
                                     marketing_consent_at=texts[0], marketing_withdrawn_at=texts[1]))

    reference = {"contracts": contract_rows, "agents": agent_rows, "caller_numbers": caller_rows,
                 "campaigns": campaign_rows, "assignments": assignment_rows, "consents": consent_rows}

    # --- calls ---
    windows = pack["rules"]["FREQ_CALLING_HOURS"]["windows"]
    gap = dt.timedelta(minutes=pack["rules"]["FREQ_RAPID_REDIAL"]["redial_gap_minutes"])
    deltas = [dt.timedelta(seconds=s) for s in (-1, -0.25, 0, 0, 0.5, 1)]
    cdr: dict[dt.date, dict[str, list[dict[str, str]]]] = {}
    total, all_facts = 0, []
    for day in days:
        delivering = [a for a in agencies if draw(st.integers(0, 9)) > 0] or agencies[:1]
        if draw(st.integers(0, 4)) == 0:
            delivering.append(NO_CONTRACT_AGENCY)
        zones = {a: _agency_zone(contracts.get(a, []), day, bank_zone) for a in delivering}
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=bank).astimezone(UTC)
        todays_consents = [i for i in consent_instants if i.astimezone(bank).date() == day]
        facts: list[dict] = []
        for _ in range(draw(st.integers(10, 100))):
            agency = draw(st.sampled_from(delivering))
            callee_tz = draw(st.sampled_from(["", "", "", ""] + list(ZONES)))
            callee = draw(st.sampled_from(customers))
            kind = draw(st.sampled_from(["any", "any", "edge", "redial", "redial", "midnight", "consent", "wall"]))
            transitions = [(z, d) for (z, d) in TRANSITIONS if z == zones[agency] and abs((d - day).days) <= 1]
            wall = None
            if kind == "wall" and transitions:
                zone_name, local_day = draw(st.sampled_from(transitions))
                wall = dt.datetime.combine(local_day, dt.time.fromisoformat(
                    draw(st.sampled_from(TRANSITIONS[zone_name, local_day]))))
                start = wall_clock(wall, zone_name)
            elif kind == "redial" and facts:
                before = draw(st.sampled_from(facts))
                callee = before["callee"]
                start = before["start"] + draw(st.sampled_from([gap, gap, dt.timedelta(0), gap / 2])) + draw(
                    st.sampled_from(deltas))
            elif kind == "edge":
                purpose = draw(st.sampled_from(sorted(windows)))
                edge = windows[purpose][draw(st.sampled_from(["start", "end"]))]
                zone = ZoneInfo(callee_zones(callee, callee_tz or None, zones[agency])[0])   # a zone it is judged in
                local_day = midnight.astimezone(zone).date() + dt.timedelta(days=draw(st.integers(0, 1)))
                start = dt.datetime.combine(local_day, dt.time.fromisoformat(edge), tzinfo=zone).astimezone(
                    UTC) + draw(st.sampled_from(deltas))
            elif kind == "midnight":
                start = midnight + dt.timedelta(days=draw(st.integers(0, 1))) + draw(st.sampled_from(deltas))
            elif kind == "consent" and todays_consents:
                start = draw(st.sampled_from(todays_consents)) + draw(st.sampled_from(deltas))
            else:
                start = midnight + dt.timedelta(seconds=draw(st.integers(6 * 3600, 24 * 3600 - 1)),
                                                microseconds=draw(st.sampled_from([0, 0, 0, 500000, 123456])))
            disposition = draw(st.sampled_from(["ANSWERED", "ANSWERED", "NO_ANSWER", "NO_ANSWER", "REJECTED",
                                                "VOICEMAIL", "BUSY", "FAILED"]))
            outcome = ""
            if disposition == "ANSWERED" or draw(st.integers(0, 9)) == 0:
                outcome = draw(st.sampled_from(["", "RIGHT_PARTY", "RIGHT_PARTY", "WRONG_PARTY", "REFUSED",
                                                "COMPLAINT"]))
            facts.append(dict(
                # numbered per agency: the same call id at other agencies and on other days
                call_id=f"c{sum(f['agency'] == agency for f in facts)}", agency=agency, agent=draw(st.sampled_from(AGENTS)),
                campaign=draw(st.sampled_from(sorted(CAMPAIGNS) + [UNKNOWN_CAMPAIGN])),
                caller=draw(st.sampled_from(CALLERS)), callee=callee, start=start, disposition=disposition,
                outcome=outcome, notes_kind=draw(st.integers(0, NOTES_KINDS - 1)), callee_tz=callee_tz, wall=wall,
                faults=draw(st.lists(st.sampled_from(FAULTS), min_size=1, max_size=2, unique=True))
                if draw(st.integers(0, 7)) == 0 else [],
                seed=draw(st.integers(0, 2**32 - 1))))
        total += len(facts)
        all_facts += facts
        files: dict[str, list[tuple[float, dict[str, str]]]] = {}
        for fact in facts:
            position, row = _render(fact, zones[fact["agency"]], facts, delivering)
            files.setdefault(fact["agency"], []).append((position, row))
        cdr[day] = {agency: [row for _, row in sorted(rows, key=lambda pair: pair[0])]
                    for agency, rows in sorted(files.items())}
    return World(days=days, bank_zone=bank_zone, rulepack=pack, reference=reference, cdr=cdr,
                 audit_first_day=draw(st.booleans()), calls=total,
                 walls=sum(bool(row.get("wall")) for row in all_facts))


FAULTS = ("blank", "bad_timestamp", "bad_phone", "bad_enum", "duplicate", "mismatch", "time_order",
          "out_of_day", "bad_zone", "malformed")


def _render(fact: dict, zone: str, facts: list[dict], agencies: list[str]) -> tuple[float, dict[str, str]]:
    """One CDR row for a call fact, each value in a random shape, with the fact's faults; and
    the row's random place in its file."""
    rnd = random.Random(fact["seed"])
    start, faults = fact["start"], fact["faults"]
    answer = start + dt.timedelta(seconds=rnd.randint(0, 20)) if fact["disposition"] == "ANSWERED" else None
    end = (answer or start) + dt.timedelta(seconds=rnd.randint(0, 300))
    if "out_of_day" in faults:
        shift = dt.timedelta(days=rnd.choice([-1, 1]))
        start, end = start + shift, end + shift
        answer = answer + shift if answer else None
    if "time_order" in faults:
        if answer and rnd.random() < 0.5:
            answer = end + dt.timedelta(seconds=1)
        else:
            end = start - dt.timedelta(seconds=rnd.choice([1, 0.5, 3600]))
    row = dict(
        call_id=fact["call_id"], agency_id=fact["agency"], agent_id=fact["agent"], campaign_id=fact["campaign"],
        caller_number=phone_text(rnd, fact["caller"]), callee_number=phone_text(rnd, fact["callee"]),
        start_time=timestamp_text(rnd, start, zone),
        answer_time=timestamp_text(rnd, answer, zone) if answer else "",
        end_time=timestamp_text(rnd, end, zone), disposition=enum_text(rnd, fact["disposition"]),
        outcome=enum_text(rnd, fact["outcome"]) if fact["outcome"] else "",
        notes=notes_text(rnd, fact["notes_kind"]), callee_tz=fact["callee_tz"])
    if fact["wall"] is not None:                          # naive, as the agency's wall clock showed it
        row["start_time"] = fact["wall"].isoformat(sep=rnd.choice(" T"))
    if "blank" in faults:
        row[rnd.choice(REQUIRED)] = rnd.choice(["", " "])
    if "bad_timestamp" in faults:
        row[rnd.choice(["start_time", "answer_time", "end_time"])] = rnd.choice(BAD_TIMESTAMPS)
    if "bad_phone" in faults:
        row[rnd.choice(["caller_number", "callee_number"])] = rnd.choice(BAD_PHONES)
    if "bad_enum" in faults:
        row[rnd.choice(["disposition", "outcome"])] = rnd.choice(["PICKED_UP", "HUNG UP", "refused!"])
    if "duplicate" in faults:
        same_file = [f for f in facts if f["agency"] == fact["agency"] and f is not fact]
        if same_file:
            row["call_id"] = rnd.choice(same_file)["call_id"]
    if "mismatch" in faults:
        row["agency_id"] = rnd.choice([a for a in agencies if a != fact["agency"]] + [fact["agency"].lower(), "AG99"])
    if "bad_zone" in faults:
        row["callee_tz"] = BAD_ZONE
    if "malformed" in faults:
        row["fields"] = rnd.choice(["extra", "short"])
    return rnd.random(), row
