"""Findings on text messages: violation rows of messages, and the messages shaped as calls so
that a rule of rules.md can judge them as it judges calls (sms.md §2)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from audits.rules.findings import as_violations, empty_violations
from audits.rules.inputs import RuleInputs

# A message's columns under the names a call's have: violations.csv's call_id holds the
# message_id, the customer is the callee, the sender (its digits) keys a caller case.
_AS_CALL = {"message_id": "call_id", "customer_e164": "callee_e164", "sent_utc": "start_utc",
            "sender_digits": "caller_e164", "sent_date": "call_date", "customer_zone": "callee_zone"}


def call_shaped(messages: pd.DataFrame) -> pd.DataFrame:
    """Messages with the column names of calls (their own index kept)."""
    return messages.rename(columns=_AS_CALL)


def message_violations(inputs: RuleInputs, rows: pd.DataFrame, rule_id: str, detail: pd.Series | str) -> pd.DataFrame:
    """Violation rows (VIOLATION_COLUMNS) for the offending messages `rows`."""
    return as_violations(inputs, call_shaped(rows), rule_id, detail, channel="sms")


def on_messages(inputs: RuleInputs, rows: pd.DataFrame | None = None) -> RuleInputs:
    """The same inputs with the day's messages (or `rows` of them) in place of the calls, shaped
    as calls: a rule of rules.md that sms.md applies to messages judges them this way."""
    messages = inputs.sms.messages if rows is None else rows
    return replace(inputs, calls=call_shaped(messages).reset_index(drop=True))


def on_sms(found: pd.DataFrame) -> pd.DataFrame:
    """Findings a call rule made on messages shaped as calls (on_messages), marked as messages'."""
    return found.assign(channel="sms") if not found.empty else found


def joined_violations(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The findings of several frames as one (the empty frame when none has any)."""
    frames = [frame for frame in frames if not frame.empty]
    return pd.concat(frames, ignore_index=True) if frames else empty_violations()
