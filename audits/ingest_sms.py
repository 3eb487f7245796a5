"""What ingestion does differently for the agencies' text messages (sms.md §1): the typed
frame the suite `expectations/sms.json` judges (messages.inputs.type_messages plus its flags), the
text shown in quarantine only as a masked excerpt, message order, and which contracts expect an
SMS file; and with them an agency's SMS file staged, the day's SMS files validated and the
missing ones recorded, through the same stage, validation and file rules as CDRs (audits.ingest,
ingest_validation).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from audits.config import DEFAULT_MAX_FILE_BYTES, Rulepack
from audits.ingest import stage_file
from audits.ingest_records import FileRecord, Ingested, StagedFile
from audits.ingest_validation import DayFiles, validate_files
from audits.loaders import TEXT, scan_sms_folder
from audits.privacy import mask_free_text
from audits.rules.messages.inputs import MESSAGE_COLUMNS, message_order, no_messages, typed_message_columns
from audits.rules.messages.scope import permits_sms
from audits.tables import contracts_in_force

TEXT_EXCERPT = 40           # at most this many characters of a message's text, masked, in quarantine.csv


def type_sms(frame: pd.DataFrame, *, source: str, file_agency_id: str, local_zone: str, bank_zone: str,
             region: str) -> pd.DataFrame:
    """One agency's SMS rows as read (text) with the typed messages columns (MESSAGE_COLUMNS)
    and the flags the suite judges: status_missing (an MT without status), status_on_reply (an
    MO with one), message_id_repeated (a message_id seen before in the file)."""
    messages = typed_message_columns(frame, local_zone=local_zone, bank_zone=bank_zone, region=region)
    # the raw columns (those of the same name replaced by their typed form), then the typed ones:
    # built as one frame (adding ~17 columns one by one cost more than typing them)
    columns = {name: messages.get(name, frame[name]) for name in frame.columns}
    columns.update(messages)
    columns["source"] = pd.Series(source, index=frame.index, dtype=TEXT)
    columns["file_agency_id"] = pd.Series(file_agency_id, index=frame.index, dtype=TEXT)
    direction, given = messages["direction_code"], messages["status_code"].notna().to_numpy(bool)
    columns["status_missing"] = pd.Series(direction.eq("MT").fillna(False).to_numpy(bool) & ~given, index=frame.index)
    columns["status_on_reply"] = pd.Series(direction.eq("MO").fillna(False).to_numpy(bool) & given, index=frame.index)
    columns["message_id_repeated"] = frame["message_id"].duplicated(keep="first") & frame["message_id"].notna()
    return pd.DataFrame(columns, index=frame.index, copy=False)


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


def stage_sms_file(landing: Path, path: Path, *, others: tuple[Path, ...] = (), agency_id: str, day: dt.date,
                   local_zone: str, rulepack: Rulepack, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> StagedFile:
    """Read and type one agency's SMS file as stage_cdr_file does its CDR file (typed:
    type_sms); a malformed line shows at most a masked excerpt of its text."""
    def typing(frame: pd.DataFrame, source: str) -> pd.DataFrame:
        return type_sms(frame, source=source, file_agency_id=agency_id, local_zone=local_zone,
                        bank_zone=rulepack.bank_timezone, region=rulepack.default_region)

    return stage_file(landing, path, "sms", typing, agency_id=agency_id, day=day, others=others,
                      max_bytes=max_bytes, masked_line=masked_excerpt)


SMS_DAY_FILES = DayFiles("sms", tuple(MESSAGE_COLUMNS), messages_in_order, shown=text_masked, nothing=no_messages)


def validate_messages(staged: list[StagedFile], *, day: dt.date,
                      full_rows: Callable[[int, np.ndarray], pd.DataFrame] | None = None) -> Ingested:
    """The day's staged SMS files validated (suite `sms`): accepted messages (MESSAGE_COLUMNS,
    in message order), quarantine rows (source the file's landing path, call_id the
    message_id, `raw` masked with the text cut to a masked excerpt), one record per file with
    its rows conserved. `full_rows` as for validate_calls."""
    return validate_files(staged, SMS_DAY_FILES, day=day, full_rows=full_rows)


def missing_sms_files(landing: Path, *, day: dt.date, contracts: pd.DataFrame,
                      agencies: tuple[str, ...] | None = None) -> list[FileRecord]:
    """DQ_FILE_MISSING: agencies whose contract in force on the day includes `sms`
    (contracts.channels) but that delivered no SMS file. None when no contract includes sms
    (then the day's sms folder may be absent)."""
    texting = texting_contracts(contracts, day)
    expected = set(texting.index) if agencies is None else set(texting.index) & set(agencies)
    delivered = set(scan_sms_folder(landing, day).files)
    return [FileRecord(path=f"sms/{day.isoformat()}/{agency_id}.csv", sha256="", table="sms",
                       agency_id=agency_id, status="missing",
                       message=f"no SMS file delivered for {day.isoformat()} although contract "
                               f"{texting.loc[agency_id, 'contract_id']} in force includes the sms channel")
            for agency_id in sorted(expected - delivered)]
