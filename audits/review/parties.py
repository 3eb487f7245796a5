"""Every agency the bank knows, with what names it (review.md §2): what a share pack must not
show of any agency but its own.

Not only the agencies scored in the period: a finding's detail can name an agency offboarded
before it ("refused further calls on 2026-10-31 10:00 (AG09)", from the store's refusals), and
a text can carry any agency's name, contract id or caller number. So the parties come from
everything the bank holds:

- the period's daily scores (agency ids and names);
- the store: every agency and caller number of every stored day's calls, every agency of the
  refusals index (all days: the refusal rule looks back forever);
- the reference tables `contracts` (every contract of any date: agency id, name, contract id)
  and `caller_numbers` (every registered number), read with the audit's own reader from the
  landing zone the latest daily report names. This is the review's one read of the landing
  zone, for redaction only; when it is not reachable, the review says so in its manifest
  (`redaction`) and redacts what the store and the reports name.

Cost: one read of two dictionary-encoded columns per stored day (about 0.1 s per 600,000 calls).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq

from audits.loaders import REFERENCE_SUFFIXES, FileUnreadable, find_table_file, read_table
from audits.phones import normalise_phones


@dataclass
class Parties:
    """Per agency id: its other identifiers (contract ids), names and caller numbers (E.164)."""

    tokens: dict[str, set[str]] = field(default_factory=dict)
    names: dict[str, set[str]] = field(default_factory=dict)
    callers: dict[str, set[str]] = field(default_factory=dict)
    read: list[str] = field(default_factory=list)          # the reference files read
    unread: list[str] = field(default_factory=list)        # why a reference table was not read

    def add(self, agency: object, *, name: object = None, token: object = None, caller: object = None) -> None:
        agency = _text(agency)
        if not agency:
            return
        self.tokens.setdefault(agency, set())
        for bucket, value in ((self.names, name), (self.tokens, token), (self.callers, caller)):
            if _text(value):
                bucket.setdefault(agency, set()).add(_text(value))

    def record(self) -> dict:
        """What the review manifest says of its redaction."""
        return {"agencies": len(self.tokens), "reference_files": list(self.read), "not_read": list(self.unread)}


def known_parties(names: dict[str, str], store: Path, landing: Path | None, *, region: str) -> Parties:
    """The parties of the scored agencies (`names`: id -> name), the store and the reference tables."""
    parties = Parties()
    for agency, name in names.items():
        parties.add(agency, name=name)
    _from_store(parties, store)
    _from_reference(parties, landing, region)
    return parties


def _from_store(parties: Parties, store: Path) -> None:
    for path in sorted(store.glob("calls/call_date=*/calls.parquet")):
        table = pq.read_table(path, columns=["agency_id", "caller_e164"], read_dictionary=["agency_id", "caller_e164"])
        pairs = table.group_by(["agency_id", "caller_e164"]).aggregate([])
        for agency, caller in zip(pairs["agency_id"].to_pylist(), pairs["caller_e164"].to_pylist()):
            parties.add(agency, caller=caller)
    for path in sorted(store.glob("refusals/call_date=*/refusals.parquet")):
        for agency in pc.unique(pq.read_table(path, columns=["agency_id"]).column(0)).to_pylist():
            parties.add(agency)


def _from_reference(parties: Parties, landing: Path | None, region: str) -> None:
    for table in ("contracts", "caller_numbers"):
        frame = _reference(parties, landing, table)
        if frame is None:
            continue
        if table == "contracts":
            for agency, name, contract in zip(frame["agency_id"], frame["agency_name"], frame["contract_id"]):
                parties.add(agency, name=name, token=contract)
        else:
            numbers = normalise_phones(frame["caller_number"], region)
            for agency, number in zip(frame["agency_id"], numbers):
                parties.add(agency, caller=number)


def _reference(parties: Parties, landing: Path | None, table: str) -> pd.DataFrame | None:
    folder = landing / "reference" if landing else None
    path = find_table_file(folder, table, REFERENCE_SUFFIXES) if folder and folder.is_dir() else None
    if path is None:
        parties.unread.append(f"{table}: no reference file in {folder or 'a landing zone the reports name'}")
        return None
    try:
        frame = read_table(path, table).frame
    except (OSError, FileUnreadable) as exc:
        parties.unread.append(f"{table}: {path} cannot be read ({type(exc).__name__})")
        return None
    parties.read.append(str(path))
    return frame


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
