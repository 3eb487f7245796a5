"""Reading cases back from the store for a person at a terminal (`python -m audits cases|case`):
the register as of a day, and one case's history. Read-only: a stale chain is rebuilt in
memory, never written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from audits.cases.case_store import case_days, read_counts, read_decisions, read_link
from audits.cases.daily import build_snapshot
from audits.cases.decisions import overlay_register
from audits.cases.lifecycle import advance, empty_snapshot
from audits.cases.summary import case_register
from audits.errors import PermanentError
from audits.store import day_record


def _decision_of(store: Path, day: dt.date, case_id: str) -> dict[str, str]:
    """The case's decision, exception_id and dispute_id on the day ('' when none was stored)."""
    decided = read_decisions(store, day, case_id)
    if decided is None or decided.empty:
        return {"decision": "", "exception_id": "", "dispute_id": ""}
    return {c: str(decided[c].iat[0] or "") for c in ("decision", "exception_id", "dispute_id")}


class NoCases(PermanentError, LookupError):
    """The store holds no cases (for the day asked, or at all)."""


def register_as_of(store: Path, as_of: dt.date | None = None) -> tuple[dt.date, pd.DataFrame]:
    """The register (cases.csv rows) of the latest audited day on or before `as_of` (default:
    the latest), and that day."""
    days = [d for d in case_days(store) if as_of is None or d <= as_of]
    if not days:
        raise NoCases(f"the store {store} holds no cases" + (f" on or before {as_of}" if as_of else "")
                      + ": pass the folder the audit runs were given as --store (default data/store), or audit a "
                      "day first.")
    day = days[-1]
    link = read_link(store, day)
    settings = link.resolve_after_days
    snapshot = build_snapshot(store, day, read_counts(store, day), resolve_after_days=settings,
                              not_assessed=frozenset(link.not_assessed), write=False)
    register = case_register(snapshot, day, resolve_after_days=settings, texts_unsplit=_had_texts(store, day))
    decided = read_decisions(store, day)
    return day, register if decided is None else overlay_register(register, decided)


def _had_texts(store: Path, day: dt.date) -> bool:
    """Whether the store's record of the day lists text messages (a case's contacts then mix
    calls and texts the case counts do not tell apart)."""
    entry = (day_record(store, day) or {}).get("messages")
    return isinstance(entry, dict) and bool(entry.get("rows"))


def case_history(store: Path, case_id: str) -> pd.DataFrame:
    """The case's snapshot row on every audited day from its first finding on (days after its
    resolution was shown are left out until it reopens), with that day's date in `day`. Replayed
    from the case's own counts: cases are independent, so this equals the stored chain."""
    days = case_days(store)
    if not days:
        raise NoCases(f"the store {store} holds no cases: pass the folder the audit runs were given as --store "
                      "(default data/store), or audit a day first.")
    settings = read_link(store, days[-1]).resolve_after_days
    snapshot, rows = empty_snapshot(), []
    for day in days:
        snapshot = advance(snapshot, read_counts(store, day, case_id), day, resolve_after_days=settings,
                           not_assessed=frozenset(read_link(store, day).not_assessed))
        if not snapshot.empty and (snapshot["status"].iat[0] != "resolved"
                                   or snapshot["resolved_on"].iat[0] == day.isoformat()):
            rows.append(snapshot.assign(day=day.isoformat(), **_decision_of(store, day, case_id)))
    if not rows:
        raise NoCases(f"no case {case_id} in the store {store}. Case ids look like C-3f9a0c12d4e5 "
                      "(cases.csv of a report, or `python -m audits cases`).")
    return pd.concat(rows, ignore_index=True)
