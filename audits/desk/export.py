"""The event log as a table: what `desk log` prints and the desk's log page exports."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from audits.desk.events import Event, at_text, payload_text

LOG_COLUMNS = ("seq", "event_id", "at", "actor", "role", "case_id", "kind", "payload", "previous_hash", "hash")


def log_frame(events: Iterable[Event]) -> pd.DataFrame:
    """One row per event in chain order, `at` in UTC text and the payload as its canonical JSON."""
    rows = [(e.seq, e.event_id, at_text(e.at), e.actor, e.role, e.case_id, e.kind, payload_text(e.payload),
             e.previous_hash, e.hash) for e in events]
    frame = pd.DataFrame(rows, columns=list(LOG_COLUMNS), dtype=object)
    return frame.astype({"seq": "int64"})
