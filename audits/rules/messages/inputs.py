"""The text messages the SMS rules read (sms.md §1): the typed messages frame, defined here once,
its enrichment (purpose, attempt and opt-out flags) and the day's message inputs.

A message is an MT row; an SMS attempt a message DELIVERED or PENDING; an opt-out an MO whose
text, NFKC-normalised, trimmed and case-folded, is one of `sms.opt_out_keywords` or holds 退订.
Messages are in message order: (sent_utc, agency_id, message_id).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from audits.config import Rulepack, SmsSettings
from audits.loaders import TEXT
from audits.models import PURPOSES
from audits.phones import e164_integers, normalise_phones
from audits.tables import local_dates
from audits.values import is_timezone, parse_timestamps

# The typed messages frame, as the loaders type one agency's SMS file and validation keeps it
# (like tables.CALL_COLUMNS_KEPT); every other column of a messages frame is derived from these.
MESSAGE_COLUMNS: dict[str, str] = {
    "message_id": "str",
    "agency_id": "str",
    "agent_id": "str",                   # null: sent by a system
    "campaign_id": "str",
    "direction_code": "str",             # MT (to the customer) or MO (the customer's reply)
    "sender_digits": "str",              # the port, as its digits (sender_digits)
    "customer_e164": "str",              # the customer's number, E.164
    "sent_utc": "datetime64[ns, UTC]",
    "sent_date": "str",                  # 'YYYY-MM-DD' of sent_utc in the bank's zone
    "status_code": "str",                # MT: DELIVERED, PENDING, FAILED, REJECTED; MO: null
    "text": "str",                       # personal data: never published unmasked
    "customer_zone": "str",              # customer_tz when it is an IANA zone, else null
}
MESSAGE_ORDER = ("sent_utc", "agency_id", "message_id")
ATTEMPT_STATUSES = ("DELIVERED", "PENDING")
OPT_OUT_MARK = "退订"                    # an MO holding it anywhere is an opt-out
# Earlier days' messages as the SMS history rules need them (the store keeps them; sms.md §3).
MESSAGE_HISTORY_COLUMNS = ("number", "sent_utc", "days_ago", "purpose_id", "is_attempt")
OPT_OUT_COLUMNS = ("number", "sent_utc", "agency_id", "message_id")


def no_messages() -> pd.DataFrame:
    """An empty typed messages frame."""
    return pd.DataFrame({name: pd.Series([], dtype=TEXT if kind == "str" else kind)
                         for name, kind in MESSAGE_COLUMNS.items()})


def type_messages(frame: pd.DataFrame, *, local_zone: str, bank_zone: str, region: str) -> pd.DataFrame:
    """The typed messages frame of one agency's SMS rows (raw text columns of sms.md §1).

    sent_at without an offset is local time in `local_zone` (the agency's); a bad value is
    null (validation quarantines the row)."""
    return pd.DataFrame(typed_message_columns(frame, local_zone=local_zone, bank_zone=bank_zone, region=region),
                        index=frame.index, copy=False)


def typed_message_columns(frame: pd.DataFrame, *, local_zone: str, bank_zone: str, region: str) -> dict[str, pd.Series]:
    """type_messages' columns (MESSAGE_COLUMNS, in that order), each a Series on frame's index."""
    typed = {name: frame[name].astype(TEXT) for name in ("message_id", "agency_id", "agent_id", "campaign_id")}
    typed["direction_code"] = frame["direction"].str.strip().str.upper().astype(TEXT)
    typed["sender_digits"] = sender_digits(frame["sender"])
    typed["customer_e164"] = normalise_phones(frame["customer_number"], region)
    typed["sent_utc"] = parse_timestamps(frame["sent_at"], local_zone)
    typed["sent_date"] = local_dates(typed["sent_utc"], bank_zone)
    typed["status_code"] = frame["status"].str.strip().str.upper().astype(TEXT)
    typed["text"] = frame["text"].astype(TEXT)
    zones = frame["customer_tz"]
    known = [z for z in zones.dropna().unique() if is_timezone(z)]
    typed["customer_zone"] = zones.where(zones.isin(known)).astype(TEXT)
    return {name: typed[name] for name in MESSAGE_COLUMNS}


# White space as str.isspace has it (after NFKC, which makes most wide spaces ' '), and dashes.
_SPACES_AND_DASHES = r"[\t-\r\x{1c}-\x{1f}\x{85}\p{Z}\-]+"


def sender_digits(values: pd.Series) -> pd.Series:
    """A port as compared (sms.md §1): NFKC, white space and dashes dropped, then a leading '+';
    never validated as a phone number. Null for a blank value. An agency writes a few ports
    many times: each distinct value is read once."""
    written = pa.array(values.astype(TEXT), type=pa.string())
    if isinstance(written, pa.ChunkedArray):          # a large file's column comes in several chunks
        written = written.combine_chunks()
    written = pc.dictionary_encode(written)
    return pd.Series(pd.array(pc.take(_port_digits(written.dictionary), written.indices), dtype=TEXT),
                     index=values.index)


def _port_digits(text: pa.Array) -> pa.Array:
    """sender_digits of each value of an Arrow text array."""
    text = pc.utf8_normalize(text, "NFKC")
    text = pc.replace_substring_regex(text, _SPACES_AND_DASHES, "")
    text = pc.replace_substring_regex(text, r"^\+", "")
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def message_order(messages: pd.DataFrame) -> np.ndarray:
    """Positions that put messages in message order (nulls last)."""
    if messages.empty:
        return np.arange(0)
    table = pa.table({name: pa.array(messages[name]) for name in MESSAGE_ORDER})
    return pc.sort_indices(table, sort_keys=[(n, "ascending", "at_end") for n in MESSAGE_ORDER]).to_numpy()


def enrich_messages(messages: pd.DataFrame, campaigns: pd.DataFrame, settings: SmsSettings) -> pd.DataFrame:
    """The typed messages in message order (RangeIndex) with the customer's `number` (int64),
    purpose / purpose_id / product (null, -1 for an unknown campaign) and the flags is_mt,
    is_attempt (an SMS attempt) and is_opt_out."""
    enriched = messages.iloc[message_order(messages)].reset_index(drop=True)
    catalogue = campaigns.drop_duplicates("campaign_id").set_index("campaign_id")
    codes, distinct = pd.factorize(enriched["campaign_id"])
    known = pd.Index(distinct)
    purposes = np.append(known.map(catalogue["purpose_code"]).to_numpy(dtype=object), None)
    products = np.append(known.map(catalogue["product"]).to_numpy(dtype=object), None)
    purpose_ids = {p: i for i, p in enumerate(PURPOSES)}
    enriched["number"] = e164_integers(enriched["customer_e164"])
    enriched["purpose"] = pd.Series(purposes[codes], dtype=TEXT)
    enriched["purpose_id"] = np.asarray([purpose_ids.get(p, -1) for p in purposes], dtype="int8")[codes]
    enriched["product"] = pd.Series(products[codes], dtype=TEXT)
    direction = enriched["direction_code"]
    enriched["is_mt"] = (direction == "MT").fillna(False).to_numpy(bool)
    enriched["is_attempt"] = enriched["is_mt"] & enriched["status_code"].isin(ATTEMPT_STATUSES).to_numpy()
    is_mo = (direction == "MO").fillna(False).to_numpy(bool)
    enriched["is_opt_out"] = is_mo & opt_out_replies(enriched["text"], settings.opt_out_keywords)
    return enriched


def opt_out_replies(texts: pd.Series, keywords: frozenset[str]) -> np.ndarray:
    """Whether each text, as an MO, opts out: each distinct text read once."""
    codes, distinct = pd.factorize(texts)
    verdicts = np.asarray([is_opt_out_text(text, keywords) for text in distinct] + [False], dtype=bool)
    return verdicts[codes]


def is_opt_out_text(text: str, keywords: frozenset[str]) -> bool:
    """NFKC (full-width letters count), trimmed and case-folded: a keyword, or holds 退订."""
    folded = unicodedata.normalize("NFKC", text).strip().casefold()
    return folded in keywords or OPT_OUT_MARK in folded


def opt_outs_of(messages: pd.DataFrame) -> pd.DataFrame:
    """The opt-outs (OPT_OUT_COLUMNS) among enriched messages, as the store keeps them."""
    return messages.loc[messages["is_opt_out"].to_numpy(), list(OPT_OUT_COLUMNS)].reset_index(drop=True)


def opt_outs_among(messages: pd.DataFrame, campaigns: pd.DataFrame, settings: SmsSettings) -> pd.DataFrame:
    """The opt-outs among typed messages (MESSAGE_COLUMNS), as opt_outs_of their enrichment
    gives them, enriching only the replies (MO rows): the rest cannot opt out."""
    replies = messages[(messages["direction_code"] == "MO").fillna(False).to_numpy(bool)]
    return opt_outs_of(enrich_messages(replies, campaigns, settings))


def message_history_of(messages: pd.DataFrame, days_ago: int) -> pd.DataFrame:
    """An earlier day's enriched messages as MESSAGE_HISTORY_COLUMNS (`days_ago` before D)."""
    history = messages[["number", "sent_utc", "purpose_id", "is_attempt"]].reset_index(drop=True)
    history["days_ago"] = np.full(len(history), days_ago, dtype="int16")
    return history[list(MESSAGE_HISTORY_COLUMNS)]


def no_message_history() -> pd.DataFrame:
    frame = pd.DataFrame({"number": pd.Series([], dtype="int64"),
                          "sent_utc": pd.Series([], dtype="datetime64[ns, UTC]"),
                          "days_ago": pd.Series([], dtype="int16"), "purpose_id": pd.Series([], dtype="int8"),
                          "is_attempt": pd.Series([], dtype=bool)})
    return frame[list(MESSAGE_HISTORY_COLUMNS)]


def no_opt_outs() -> pd.DataFrame:
    return pd.DataFrame({"number": pd.Series([], dtype="int64"),
                         "sent_utc": pd.Series([], dtype="datetime64[ns, UTC]"),
                         "agency_id": pd.Series([], dtype=TEXT), "message_id": pd.Series([], dtype=TEXT)})


@dataclass(frozen=True)
class MessageInputs:
    """What the SMS rules read besides the calls' inputs: day D's messages (enrich_messages),
    earlier days' messages (MESSAGE_HISTORY_COLUMNS, for CONTACT_ROLLING_7D) and earlier days'
    opt-outs (OPT_OUT_COLUMNS, any day in the store). Empty when no agency texts."""

    messages: pd.DataFrame
    history: pd.DataFrame
    opt_outs: pd.DataFrame

    @classmethod
    def empty(cls) -> MessageInputs:
        return cls(messages=enrich_messages(no_messages(), pd.DataFrame(
            {"campaign_id": pd.Series([], dtype=TEXT), "purpose_code": pd.Series([], dtype=TEXT),
             "product": pd.Series([], dtype=TEXT)}), SmsSettings()),
            history=no_message_history(), opt_outs=no_opt_outs())

    @classmethod
    def of_day(cls, messages: pd.DataFrame, campaigns: pd.DataFrame, rulepack: Rulepack, *,
               history: pd.DataFrame | None = None, opt_outs: pd.DataFrame | None = None) -> MessageInputs:
        """Day D's typed messages (MESSAGE_COLUMNS) enriched, with earlier days' (none when not given)."""
        return cls(messages=enrich_messages(messages, campaigns, rulepack.sms),
                   history=no_message_history() if history is None else history,
                   opt_outs=no_opt_outs() if opt_outs is None else opt_outs)

    def keeping_numbers(self, mine: Callable[[pd.Series], np.ndarray]) -> MessageInputs:
        """Only the rows whose customer number `mine` keeps (a partition of the numbers)."""
        def kept(frame: pd.DataFrame) -> pd.DataFrame:
            return frame[mine(frame["number"])].reset_index(drop=True)
        return replace(self, messages=kept(self.messages), history=kept(self.history), opt_outs=kept(self.opt_outs))
