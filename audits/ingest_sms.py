"""What ingestion does differently for the agencies' text messages (sms.md §1): the typed
frame the suite `expectations/sms.json` judges (sms_inputs.type_messages plus its flags), the
text shown in quarantine only as a masked excerpt, message order, and which contracts expect an
SMS file. audits.ingest stages, validates and records SMS files with these, as it does CDRs
(ingest.stage_sms_file, validate_messages, missing_sms_files).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from audits.loaders import TEXT
from audits.privacy import mask_free_text
from audits.rules.sms_inputs import MESSAGE_COLUMNS, message_order, no_messages, type_messages
from audits.rules.sms_scope import permits_sms
from audits.tables import contracts_in_force

TEXT_EXCERPT = 40           # at most this many characters of a message's text, masked, in quarantine.csv


def type_sms(frame: pd.DataFrame, *, source: str, file_agency_id: str, local_zone: str, bank_zone: str,
             region: str) -> pd.DataFrame:
    """One agency's SMS rows as read (text) with the typed messages columns (MESSAGE_COLUMNS)
    and the flags the suite judges: status_missing (an MT without status), status_on_reply (an
    MO with one), message_id_repeated (a message_id seen before in the file)."""
    typed = frame.copy(deep=False)     # new columns only; the raw text is shared, not copied
    messages = type_messages(frame, local_zone=local_zone, bank_zone=bank_zone, region=region)
    for column in MESSAGE_COLUMNS:
        typed[column] = messages[column]
    typed["source"] = pd.Series(source, index=frame.index, dtype=TEXT)
    typed["file_agency_id"] = pd.Series(file_agency_id, index=frame.index, dtype=TEXT)
    direction, given = typed["direction_code"], typed["status_code"].notna().to_numpy(bool)
    typed["status_missing"] = direction.eq("MT").fillna(False).to_numpy(bool) & ~given
    typed["status_on_reply"] = direction.eq("MO").fillna(False).to_numpy(bool) & given
    typed["message_id_repeated"] = (frame["message_id"].duplicated(keep="first") & frame["message_id"].notna())
    return typed


def texting_contracts(contracts: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """The contracts in force on the day (one per agency) whose `channels` include sms."""
    in_force = contracts_in_force(contracts, day)
    return in_force[permits_sms(in_force).to_numpy(bool)]


def masked_excerpt(text: str) -> str:
    """A message's text as quarantine.csv may show it: every written number of 7+ digits
    masked (privacy.mask_free_text), then cut to TEXT_EXCERPT characters ('…' ends a cut)."""
    masked = mask_free_text(text)
    return masked if len(masked) <= TEXT_EXCERPT else masked[:TEXT_EXCERPT - 1] + "…"


def text_masked(rows: pd.DataFrame) -> pd.DataFrame:
    """Failing rows as quarantine shows them: `text` a masked excerpt (the other fields are
    masked as free text when the row is written)."""
    if "text" not in rows:
        return rows
    texts = rows["text"]
    return rows.assign(text=pd.Series([masked_excerpt(t) if isinstance(t, str) else t for t in texts],
                                      index=texts.index, dtype=TEXT))


def messages_in_order(parts: list[tuple[pd.DataFrame, np.ndarray]]) -> pd.DataFrame:
    """The chosen rows (positions) of each frame, in message order, with a RangeIndex."""
    chosen = [frame.iloc[rows] for frame, rows in parts if len(rows)]
    if not chosen:
        return no_messages()
    messages = pd.concat(chosen, ignore_index=True)
    return messages.iloc[message_order(messages)].reset_index(drop=True)

