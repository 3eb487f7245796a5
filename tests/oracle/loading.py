"""A landing zone read the plain way (csv module, one row at a time): the reference tables as the
rules see them, and each day's calls accepted or quarantined with every reason (data-contract.md
§1, rules.md "Data quality")."""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.oracle import validity as v

CDR_REQUIRED = ("call_id", "agency_id", "agent_id", "campaign_id", "caller_number", "callee_number",
                "start_time", "end_time", "disposition")


@dataclass(frozen=True)
class Contract:
    agency_id: str
    start: dt.date
    end: dt.date
    purposes: frozenset[str]
    products: frozenset[str]
    licence_no: str
    licence_expiry: dt.date | None
    nda_signed: dt.date | None
    nda_expiry: dt.date | None
    timezone: str | None


@dataclass(frozen=True)
class Period:
    """A row of agents, caller_numbers or assignments: who/what, and from..to (None = open)."""
    agency_id: str
    key: str                  # agent_id, caller number (E.164) or assigned phone (E.164)
    start: dt.date
    end: dt.date | None
    trained_on: dt.date | None = None


@dataclass(frozen=True)
class Consent:
    phone: str
    given: dt.datetime | None
    withdrawn: dt.datetime | None


@dataclass(frozen=True)
class Campaign:
    purpose: str
    product: str


@dataclass
class Reference:
    contracts: list[Contract]
    agents: list[Period]
    caller_numbers: list[Period]
    campaigns: dict[str, Campaign]
    assignments: list[Period]
    consents: list[Consent]
    bank_zone: str

    def contract_in_force(self, agency_id: str, day: dt.date) -> Contract | None:
        """start <= day <= end; of several, the latest start."""
        in_force = [c for c in self.contracts if c.agency_id == agency_id and c.start <= day <= c.end]
        return max(in_force, key=lambda c: c.start) if in_force else None

    def agency_zone(self, agency_id: str, day: dt.date) -> str:
        """The zone of the contract in force on the day, else of the latest contract, else the
        bank's (a contract with a blank timezone is in the bank's)."""
        contract = self.contract_in_force(agency_id, day)
        if contract is None:
            own = [c for c in self.contracts if c.agency_id == agency_id]
            contract = max(own, key=lambda c: c.start) if own else None
        return (contract.timezone if contract else None) or self.bank_zone


@dataclass(frozen=True)
class Call:
    agency_id: str
    call_id: str
    agent_id: str
    campaign_id: str
    caller: str               # E.164
    callee: str               # E.164
    start: dt.datetime        # UTC
    disposition: str
    outcome: str | None
    notes: str
    callee_tz: str | None
    day: dt.date              # call date (bank zone)


@dataclass(frozen=True)
class Quarantined:
    source: str
    agency_id: str
    row_number: int
    reasons: tuple[str, ...]


def read_rows(path: Path) -> list[dict[str, str] | None]:
    """The data rows of a CSV file by column name; None for a row with the wrong number of fields."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header, *records = list(csv.reader(handle))
    return [dict(zip(header, record)) if len(record) == len(header) else None for record in records]


# --- reference tables --------------------------------------------------------------------

def load_reference(landing: Path, *, bank_zone: str, region: str) -> tuple[Reference, list[Quarantined]]:
    """The six reference tables as accepted, and the quarantined reference rows."""
    quarantine: list[Quarantined] = []

    def rows(table: str, check) -> list:
        accepted = []
        for number, row in enumerate(read_rows(landing / "reference" / f"{table}.csv"), start=1):
            reasons: set[str] = set()
            parsed = check(row, reasons)
            if reasons:
                # the row's own agency_id where the table has one (observed; the contract is silent)
                quarantine.append(Quarantined(f"reference/{table}.csv", row.get("agency_id") or "", number,
                                              tuple(sorted(reasons))))
            else:
                accepted.append(parsed)
        return accepted

    def required(row, reasons, *columns):
        if any(v.blank(row[c]) for c in columns):
            reasons.add("DQ_MISSING_FIELD")

    def a_date(row, column, reasons):
        if v.blank(row[column]):
            return None
        value = v.date(row[column].strip())
        if value is None:
            reasons.add("DQ_BAD_DATE")
        return value

    def a_phone(row, column, reasons):
        if v.blank(row[column]):
            return None
        value = v.phone(row[column], region)
        if value is None:
            reasons.add("DQ_BAD_PHONE")
        return value

    def a_period(row, reasons, start, end):
        first, last = a_date(row, start, reasons), a_date(row, end, reasons)
        if first and last and last < first:
            reasons.add("DQ_DATE_ORDER")
        return first, last

    def contract(row, reasons):
        required(row, reasons, "agency_id", "contract_id", "contract_start", "contract_end")
        if not v.blank(row["agency_id"]) and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", row["agency_id"]):
            reasons.add("DQ_BAD_KEY")
        start, end = a_period(row, reasons, "contract_start", "contract_end")
        purposes = [p for p in row["permitted_purposes"].split(";") if not v.blank(p)]
        if any(v.enum(p, v.PURPOSES) is None for p in purposes):
            reasons.add("DQ_BAD_ENUM")
        zone = row["timezone"].strip()
        if zone and not v.known_zone(zone):
            reasons.add("DQ_BAD_TIMESTAMP")
        return Contract(row["agency_id"], start, end, frozenset(v.enum(p, v.PURPOSES) for p in purposes),
                        frozenset(p.strip() for p in row["permitted_products"].split(";") if not v.blank(p)),
                        row["licence_no"].strip(), a_date(row, "licence_expiry", reasons),
                        a_date(row, "nda_signed", reasons), a_date(row, "nda_expiry", reasons), zone or None)

    def agent(row, reasons):
        required(row, reasons, "agency_id", "agent_id", "active_from")
        start, end = a_period(row, reasons, "active_from", "active_to")
        return Period(row["agency_id"], row["agent_id"], start, end, a_date(row, "trained_on", reasons))

    def caller_number(row, reasons):
        required(row, reasons, "agency_id", "caller_number", "registered_from")
        start, end = a_period(row, reasons, "registered_from", "registered_to")
        return Period(row["agency_id"], a_phone(row, "caller_number", reasons), start, end)

    def campaign(row, reasons):
        required(row, reasons, "campaign_id")
        purpose = v.enum(row["purpose"], v.PURPOSES)
        if purpose is None:
            reasons.add("DQ_BAD_ENUM")
        return row["campaign_id"], Campaign(purpose, row["product"].strip())

    def assignment(row, reasons):
        required(row, reasons, "agency_id", "campaign_id", "customer_id", "phone", "assigned_from")
        start, end = a_period(row, reasons, "assigned_from", "assigned_to")
        return Period(row["agency_id"], a_phone(row, "phone", reasons), start, end)

    def consent(row, reasons):
        required(row, reasons, "customer_id", "phone")
        times = []
        for column in ("marketing_consent_at", "marketing_withdrawn_at"):
            value = None
            if not v.blank(row[column]):
                value = v.timestamp(row[column], bank_zone)     # no offset: the bank's zone
                if value is None:
                    reasons.add("DQ_BAD_TIMESTAMP")
            times.append(value)
        return Consent(a_phone(row, "phone", reasons), *times)

    reference = Reference(contracts=rows("contracts", contract), agents=rows("agents", agent),
                          caller_numbers=rows("caller_numbers", caller_number),
                          campaigns=dict(rows("campaigns", campaign)),
                          assignments=rows("assignments", assignment), consents=rows("consents", consent),
                          bank_zone=bank_zone)
    return reference, quarantine


# --- one day's calls ---------------------------------------------------------------------

def load_day(landing: Path, day: dt.date, reference: Reference, *,
             region: str) -> tuple[list[Call], list[Quarantined]]:
    """Every agency file of cdr/<day>/: the accepted calls and the quarantined rows."""
    accepted: list[Call] = []
    quarantine: list[Quarantined] = []
    folder = landing / "cdr" / day.isoformat()
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        agency = path.stem
        zone = reference.agency_zone(agency, day)
        seen: set[str] = set()
        for number, row in enumerate(read_rows(path), start=1):
            if row is None:                  # quarantined whole, never read as a shifted row
                quarantine.append(Quarantined(f"cdr/{day.isoformat()}/{path.name}", agency, number,
                                              ("DQ_MALFORMED_ROW",)))
                continue
            reasons, call = judge_row(row, agency=agency, day=day, zone=zone, bank_zone=reference.bank_zone,
                                      region=region, seen=seen)
            if reasons:
                quarantine.append(Quarantined(f"cdr/{day.isoformat()}/{path.name}", agency, number,
                                              tuple(sorted(reasons))))
            else:
                accepted.append(call)
    return accepted, quarantine


def judge_row(row: dict[str, str], *, agency: str, day: dt.date, zone: str, bank_zone: str, region: str,
              seen: set[str]) -> tuple[set[str], Call | None]:
    """Every DQ reason of one CDR row (`seen`: the call ids of the file's earlier rows)."""
    reasons: set[str] = set()
    if any(v.blank(row[c]) for c in CDR_REQUIRED):
        reasons.add("DQ_MISSING_FIELD")

    times = {}
    for column in ("start_time", "answer_time", "end_time"):
        times[column] = None
        if not v.blank(row[column]):
            times[column] = v.timestamp(row[column], zone)
            if times[column] is None:
                reasons.add("DQ_BAD_TIMESTAMP")
    callee_tz = None if v.blank(row["callee_tz"]) else row["callee_tz"]
    if callee_tz is not None and not v.known_zone(callee_tz):
        reasons.add("DQ_BAD_TIMESTAMP")
    start, answer, end = times["start_time"], times["answer_time"], times["end_time"]
    if (start and end and end < start) or (start and answer and answer < start) or (answer and end and end < answer):
        reasons.add("DQ_TIME_ORDER")

    phones = {}
    for column in ("caller_number", "callee_number"):
        phones[column] = None
        if not v.blank(row[column]):
            phones[column] = v.phone(row[column], region)
            if phones[column] is None:
                reasons.add("DQ_BAD_PHONE")

    disposition = None if v.blank(row["disposition"]) else v.enum(row["disposition"], v.DISPOSITIONS)
    outcome = None if v.blank(row["outcome"]) else v.enum(row["outcome"], v.OUTCOMES)
    if (not v.blank(row["disposition"]) and disposition is None) or (not v.blank(row["outcome"]) and outcome is None):
        reasons.add("DQ_BAD_ENUM")

    call_id = row["call_id"]
    if not v.blank(call_id):
        if call_id in seen:
            reasons.add("DQ_DUPLICATE_CALL_ID")
        seen.add(call_id)
    if not v.blank(row["agency_id"]) and row["agency_id"] != agency:
        reasons.add("DQ_AGENCY_MISMATCH")
    call_date = start.astimezone(ZoneInfo(bank_zone)).date() if start else None
    if call_date is not None and call_date != day:
        reasons.add("DQ_OUT_OF_DAY")
    if reasons:
        return reasons, None
    return reasons, Call(agency_id=agency, call_id=call_id, agent_id=row["agent_id"], campaign_id=row["campaign_id"],
                         caller=phones["caller_number"], callee=phones["callee_number"], start=start,
                         disposition=disposition, outcome=outcome, notes=row["notes"] or "",
                         callee_tz=callee_tz, day=day)
