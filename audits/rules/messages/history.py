"""Earlier days' text messages as CONTACT_ROLLING_7D counts them (sms.md §2): the store's
messages partitions, read as Arrow tables, compacted to a few bytes a message."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from audits.models import PURPOSES
from audits.phones import e164_integers
from audits.rules.inputs import _dictionary_lookup
from audits.rules.messages.inputs import ATTEMPT_STATUSES, MESSAGE_HISTORY_COLUMNS, no_message_history

# What compact_message_history reads of a stored day of messages (store.read_message_history).
STORED_HISTORY_COLUMNS = ("customer_e164", "sent_utc", "campaign_id", "direction_code", "status_code")


def compact_message_history(days: Iterable[tuple[int, pa.Table]], campaigns: pd.DataFrame) -> pd.DataFrame:
    """Earlier days' stored messages (Arrow tables of STORED_HISTORY_COLUMNS, each with how many
    days before the audit day it is) as MESSAGE_HISTORY_COLUMNS, in the order given: the
    customer's number (int64), purpose as of today's `campaigns` (-1: unknown campaign) and
    whether it is an SMS attempt. Campaigns, directions and statuses are each looked up once
    per distinct value (read as dictionaries), as the calls' compact history does."""
    catalogue = campaigns.drop_duplicates("campaign_id").set_index("campaign_id")["purpose_code"]
    purpose_ids = {p: i for i, p in enumerate(PURPOSES)}
    parts: dict[str, list[np.ndarray]] = {name: [] for name in MESSAGE_HISTORY_COLUMNS}
    for days_ago, table in days:
        parts["number"].append(e164_integers(table.column("customer_e164").to_pandas()))
        parts["sent_utc"].append(pc.cast(table.column("sent_utc"), pa.timestamp("ns")).to_numpy().view("int64"))
        parts["days_ago"].append(np.full(table.num_rows, days_ago, dtype="int16"))
        parts["purpose_id"].append(_dictionary_lookup(table.column("campaign_id"),
                                                      lambda c: purpose_ids.get(catalogue.get(c), -1), -1)
                                   .astype("int8"))
        parts["is_attempt"].append(_dictionary_lookup(table.column("direction_code"), lambda d: d == "MT", False)
                                   & _dictionary_lookup(table.column("status_code"),
                                                        lambda s: s in ATTEMPT_STATUSES, False))
    if not parts["number"]:
        return no_message_history()
    history = pd.DataFrame({name: np.concatenate(values) for name, values in parts.items()}, copy=False)
    history["sent_utc"] = pa.array(history["sent_utc"].to_numpy(), type=pa.timestamp("ns", tz="UTC")).to_pandas()
    return history.astype({"days_ago": "int16", "purpose_id": "int8", "is_attempt": bool})[
        list(MESSAGE_HISTORY_COLUMNS)]
