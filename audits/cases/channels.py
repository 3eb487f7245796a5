"""Calls and text messages among the findings (sms.md §3): a finding's channel, the calls and
texts of each case today, and a message's masked excerpt as evidence.

violations.csv's `channel` is `call` or `sms`; a frame without it (reports made before texts)
holds calls only. A finding on a message has the message_id in `call_id`. The enriched messages
frame (audits.rules.messages.inputs.enrich_messages) holds each message's text and port; None when
no agency texts.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from audits.call_lookup import call_column
from audits.privacy import mask_phones, mask_text_column

SMS = "sms"
EXCERPT_CHARACTERS = 40          # a text is never quoted beyond a masked excerpt this long
_BLANKS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def channels(violations: pd.DataFrame) -> np.ndarray:
    """Each finding's channel (`call` where the frame has no `channel` column)."""
    if "channel" not in violations.columns:
        return np.full(len(violations), "call", dtype=object)
    return violations["channel"].fillna("call").to_numpy(dtype=object)


def on_messages(violations: pd.DataFrame) -> np.ndarray:
    """Whether each finding is on a text message."""
    return channels(violations) == SMS


def contact_keys(violations: pd.DataFrame) -> pd.Series:
    """One key per contact a finding is on: the call_id, prefixed for a message (a message id may
    equal a call id). Calls-only frames keep the call_id as it is."""
    texts = on_messages(violations)
    keys = violations["call_id"].astype(object)
    if texts.any():
        keys = keys.where(~texts, "sms\x1f" + keys.astype(str))
    return keys


def contacts_by_case(violations: pd.DataFrame) -> pd.DataFrame:
    """Per case_id with findings, its distinct calls and texts today (columns calls, texts)."""
    frame = pd.DataFrame({"case_id": violations["case_id"].to_numpy(dtype=object),
                          "contact": contact_keys(violations).to_numpy(dtype=object),
                          "sms": on_messages(violations)}).drop_duplicates(["case_id", "contact"])
    grouped = frame.groupby("case_id", sort=True)["sms"]
    texts = grouped.sum().astype("int64")
    return pd.DataFrame({"calls": grouped.size().astype("int64") - texts, "texts": texts})


def _as_calls(messages: pd.DataFrame) -> pd.DataFrame:
    return messages.rename(columns={"message_id": "call_id"})


def masked_ports(findings: pd.DataFrame, messages: pd.DataFrame | None) -> pd.Series:
    """The masked sender port of each finding's message (blank when not found)."""
    if messages is None or messages.empty:
        return pd.Series("", index=findings.index, dtype=object)
    return mask_phones(call_column(findings, _as_calls(messages), "sender_digits")).astype(object)


def masked_excerpts(texts: pd.Series) -> pd.Series:
    """Each text masked (numbers of 7+ digits keep their last 4: audits.privacy), its blanks and
    control characters made one space, then cut to at most EXCERPT_CHARACTERS (an ellipsis
    ending a cut one). Masked before cutting, so a cut never leaves more digits than masking
    shows. Null stays blank."""
    masked = mask_text_column(texts.astype(object).where(texts.notna(), None))

    def cut(text) -> str:
        if not isinstance(text, str):
            return ""
        one_line = _BLANKS.sub(" ", text).strip()
        return one_line if len(one_line) <= EXCERPT_CHARACTERS else one_line[:EXCERPT_CHARACTERS - 1] + "…"
    return pd.Series([cut(t) for t in masked.tolist()], index=texts.index, dtype=object)


def message_excerpts(findings: pd.DataFrame, messages: pd.DataFrame | None) -> pd.Series:
    """The masked excerpt of each finding's message ("" for a call, or without messages)."""
    out = pd.Series("", index=findings.index, dtype=object)
    texts = on_messages(findings)
    if messages is None or messages.empty or not texts.any():
        return out
    found = call_column(findings[texts], _as_calls(messages), "text")
    out[texts] = masked_excerpts(found).to_numpy(dtype=object)
    return out
