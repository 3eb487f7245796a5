"""One customer's contacts across both channels (sms.md §2): the order of calls and messages,
and counting contacts per number and purpose.

A contact is a call attempt or an SMS attempt. Across channels, rows are ordered by
(instant, calls before messages, agency_id, call_id / message_id); `channel` 'call' sorts
before 'sms', so it is the second key as it stands.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from audits.loaders import TEXT
from audits.rules.grouping import group_keys, running_sum_before
from audits.tables import keys_ascending

CHANNELS = ("call", "sms")
CONTACT_COLUMNS = ("channel", "number", "purpose_id", "instant", "agency_id", "contact_id", "row")
_ORDER = ("instant", "channel", "agency_id", "contact_id")


def contacts_of(calls: pd.DataFrame, messages: pd.DataFrame) -> pd.DataFrame:
    """Calls (enriched) and messages (enrich_messages), or slices of them, as one frame of
    CONTACT_COLUMNS (`row`: the row's label in its own frame), in cross-channel order, RangeIndex."""
    def part(frame: pd.DataFrame, channel: str, instant: str, contact_id: str) -> pd.DataFrame:
        return pd.DataFrame({
            "channel": pd.Series(channel, index=range(len(frame)), dtype=TEXT),
            "number": frame["number"].to_numpy("int64"),
            "purpose_id": frame["purpose_id"].to_numpy("int8"),
            "instant": frame[instant].array.as_unit("ns"),
            "agency_id": frame["agency_id"].astype(TEXT).array,
            "contact_id": frame[contact_id].astype(TEXT).array,
            "row": frame.index.to_numpy(),
        })
    parts = [part(calls, "call", "start_utc", "call_id"), part(messages, "sms", "sent_utc", "message_id")]
    both = pd.concat(parts, ignore_index=True)
    return both.iloc[merged_order(parts) if all(map(in_own_order, parts))
                     else cross_channel_order(both)].reset_index(drop=True)


def in_own_order(part: pd.DataFrame) -> bool:
    """Whether one channel's contacts are in its own order (instant, agency_id, contact_id),
    none without an instant: the order calls and messages are enriched in."""
    return keys_ascending([pa.array(part[name]) for name in ("instant", "agency_id", "contact_id")])


def merged_order(parts: list[pd.DataFrame]) -> np.ndarray:
    """cross_channel_order of the channels' contacts concatenated in CHANNELS order, each part in
    its own order (in_own_order): a stable sort on the instant alone keeps, at one instant, calls
    before messages and each channel's agency_id, contact_id order."""
    instants = np.concatenate([part["instant"].to_numpy("datetime64[ns]").view("int64") for part in parts])
    return np.argsort(instants, kind="stable")


def cross_channel_order(frame: pd.DataFrame) -> np.ndarray:
    """Positions putting rows (instant, channel, agency_id, contact_id) in cross-channel order."""
    if frame.empty:
        return np.arange(0)
    table = pa.table({name: pa.array(frame[name]) for name in _ORDER})
    return pc.sort_indices(table, sort_keys=[(n, "ascending", "at_end") for n in _ORDER]).to_numpy()


def number_purpose(frame: pd.DataFrame) -> np.ndarray:
    """One int64 per (number, purpose) pair (purpose_id -1..2)."""
    return frame["number"].to_numpy("int64") * 4 + frame["purpose_id"].to_numpy("int64") + 1


def contact_ordinals(contacts: pd.DataFrame, earlier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each contact (rows in cross-channel order), how many contacts of its number and
    purpose came before it: those of earlier days (`earlier`: their number_purpose keys) and
    the earlier rows of `contacts`. Returns (ordinal, of which on earlier days)."""
    groups = group_keys(number_purpose(contacts))
    before_today = groups.count_in(np.array(earlier, dtype="int64"))
    return before_today + groups.running_count(), before_today


def after_events(targets: pd.DataFrame, events: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """For each target, whether an event of its number comes earlier in cross-channel order, and
    the position in `events` of the number's first event (-1: none). Both frames have number,
    instant, channel, agency_id, contact_id (earlier days' events have earlier instants)."""
    columns = ["number", "instant", "channel", "agency_id", "contact_id"]
    both = pd.concat([events[columns].assign(event=np.arange(len(events))),
                      targets[columns].assign(event=-1)], ignore_index=True)
    order = cross_channel_order(both)
    numbers = both["number"].to_numpy("int64")[order]
    is_event = both["event"].to_numpy()[order] >= 0
    earlier = np.empty(len(both), dtype=bool)
    earlier[order] = running_sum_before(numbers, is_event) > 0
    first = pd.Series(both["event"].to_numpy()[order][is_event]).groupby(numbers[is_event], sort=False).first()
    first_event = pd.Series(targets["number"].to_numpy("int64")).map(first).fillna(-1).to_numpy("int64")
    return earlier[len(events):], first_event
