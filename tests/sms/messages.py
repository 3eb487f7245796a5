"""Literal SMS files for the ingestion tests: message rows as an agency delivers them, written
as CSV (any encoding), .csv.gz or Parquet under `<landing>/sms/<D>/`, and staged/validated
through audits.ingest_sms as the pipeline does."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from pathlib import Path

import pandas as pd

from audits import ingest, ingest_sms
from audits.models import TABLE_COLUMNS
from audits.rulepack import load_rulepack
from tests.landing import CUSTOMER, DAY, OTHER

SMS_COLUMNS = list(TABLE_COLUMNS["sms"][0] + TABLE_COLUMNS["sms"][1])
PACK = load_rulepack("cn_bank")
PORT = "106900001234"
ZONE = "Asia/Shanghai"


def message(message_id: str, sent_at: str = f"{DAY} 10:00:00", **fields) -> dict:
    """A clean MT marketing text by AG01 to CUSTOMER, DELIVERED; override any field."""
    row = dict(message_id=message_id, agency_id="AG01", campaign_id="MKT", direction="MT", sender=PORT,
               customer_number=CUSTOMER, sent_at=sent_at, agent_id="", status="DELIVERED",
               text="【华信】您的账单已出，回复T退订", customer_tz="")
    row.update(fields)
    return row


def reply(message_id: str, sent_at: str = f"{DAY} 10:05:00", **fields) -> dict:
    """An MO: the customer's reply 'T' to PORT, without status."""
    return message(message_id, sent_at, **{"direction": "MO", "status": "", "text": "T", "customer_number": OTHER,
                                           **fields})


def csv_text(rows: list[dict], columns: list[str] | None = None) -> str:
    columns = columns or SMS_COLUMNS
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def sms_path(landing: Path, agency_id: str = "AG01", suffix: str = ".csv", day: dt.date = DAY) -> Path:
    path = landing / "sms" / day.isoformat() / f"{agency_id}{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_sms(landing: Path, rows: list[dict], *, agency_id: str = "AG01", form: str = "utf-8",
              columns: list[str] | None = None, day: dt.date = DAY) -> Path:
    """The rows as the agency's SMS file in one of the forms agencies deliver: utf-8, utf-8-sig,
    gb18030 (CSV), gzip (.csv.gz) or parquet."""
    text = csv_text(rows, columns)
    if form == "parquet":
        path = sms_path(landing, agency_id, ".parquet", day)
        pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False).to_parquet(path, index=False)
    elif form == "gzip":
        path = sms_path(landing, agency_id, ".csv.gz", day)
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    else:
        path = sms_path(landing, agency_id, ".csv", day)
        path.write_bytes(text.encode(form))
    return path


def stage(landing: Path, path: Path, agency_id: str = "AG01", *, others: tuple[Path, ...] = (),
          max_bytes: int | None = None, day: dt.date = DAY) -> ingest.StagedFile:
    kwargs = {} if max_bytes is None else {"max_bytes": max_bytes}
    return ingest_sms.stage_sms_file(landing, path, others=others, agency_id=agency_id, day=day, local_zone=ZONE,
                                     rulepack=PACK, **kwargs)


def ingest_day(landing: Path, day: dt.date = DAY, **kwargs) -> ingest.Ingested:
    """Every agency's SMS file of the day staged and validated, as the pipeline does."""
    from audits.loaders import scan_sms_folder

    staged = [stage(landing, paths[0], agency_id, others=paths[1:], day=day, **kwargs)
              for agency_id, paths in sorted(scan_sms_folder(landing, day).files.items())]
    return ingest_sms.validate_messages(staged, day=day)


def reasons_by_id(ingested: ingest.Ingested) -> dict[str, str]:
    return dict(zip(ingested.quarantine["call_id"], ingested.quarantine["reasons"]))
