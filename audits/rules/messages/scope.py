"""Who may text whom (sms.md §2): consent to marketing texts, registered sender ports, and the
rules of rules.md that judge messages exactly as calls (on the MT rows, shaped as calls)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from audits.loaders import TEXT
from audits.rules.confidentiality import without_consent
from audits.rules.findings import as_violations
from audits.rules.inputs import RuleInputs
from audits.rules.joins import active_on, pairs_in
from audits.rules.messages.findings import joined_violations, message_violations, on_messages, on_sms
from audits.rules.messages.inputs import sender_digits
from audits.rules.qualification import calls_out_of_scope
from audits.tables import contracts_in_force

Finder = Callable[[RuleInputs], pd.DataFrame]


def marketing_texts_without_consent(inputs: RuleInputs) -> pd.DataFrame:
    """SMS_NO_CONSENT: a marketing MT with no marketing consent in force at sent_at (as
    CONF_NO_CONSENT judges a call)."""
    messages = inputs.sms.messages
    marketing = messages.loc[messages["is_mt"].to_numpy() & (messages["purpose"] == "marketing").to_numpy(bool),
                             ["number", "sent_utc"]]
    rows, withdrawn = without_consent(marketing.rename(columns={"sent_utc": "start_utc"}), inputs.consents)
    detail = pd.Series(np.where(withdrawn, "marketing text after the customer withdrew consent",
                                "marketing text without recorded consent"), index=rows, dtype="str")
    return message_violations(inputs, messages.loc[rows], "SMS_NO_CONSENT", detail)


def messages_from_unregistered_senders(inputs: RuleInputs) -> pd.DataFrame:
    """SMS_UNREGISTERED_SENDER: no caller_numbers row of channel `sms` registers the MT's sender
    (as digits) for its agency with registered_from <= D <= registered_to."""
    messages = inputs.sms.messages
    sent = messages[messages["is_mt"].to_numpy()]
    ports = sms_ports(inputs.caller_numbers)
    live = ports[active_on(ports, "registered_from_date", "registered_to_date", inputs.day64).to_numpy(bool)]
    registered = pairs_in((sent["agency_id"], sent["sender_digits"]), (live["agency_id"], live["sender_digits"]))
    return message_violations(inputs, sent[~registered], "SMS_UNREGISTERED_SENDER",
                              "sender port not registered to this agency for texts on " + inputs.audit_date.isoformat())


def sms_ports(caller_numbers: pd.DataFrame) -> pd.DataFrame:
    """The caller_numbers rows of channel `sms` (blank or absent channel: `call`) with their
    port as digits: agency_id, sender_digits, registered_from_date, registered_to_date."""
    columns = ["agency_id", "registered_from_date", "registered_to_date"]
    if "channel" not in caller_numbers or "caller_number" not in caller_numbers:
        return caller_numbers[columns].iloc[:0].assign(sender_digits=pd.Series([], dtype=TEXT))
    sms = caller_numbers[caller_numbers["channel"].str.strip().str.lower().eq("sms").fillna(False).to_numpy(bool)]
    return sms[columns].assign(sender_digits=sender_digits(sms["caller_number"]))


def on_both_channels(find: Finder, *, with_agent: bool = False) -> Finder:
    """A rule of rules.md that judges messages exactly as calls: its findings on the day's calls
    and on its MT messages (only those with an agent_id, `with_agent`)."""
    def both(inputs: RuleInputs) -> pd.DataFrame:
        messages = inputs.sms.messages
        judged = messages["is_mt"].to_numpy() & (messages["agent_id"].notna().to_numpy() if with_agent else True)
        return joined_violations([find(inputs), on_sms(find(on_messages(inputs, messages[judged])))])
    both.__name__ = both.__qualname__ = f"{find.__name__}_on_both_channels"
    both.__doc__ = f"{find.__doc__}\n\nOn calls and on messages (sms.md §2)."
    return both


def out_of_scope_on_both_channels(inputs: RuleInputs) -> pd.DataFrame:
    """QUAL_OUT_OF_SCOPE on calls and on messages, and a message whose agency's contract in
    force does not permit the `sms` channel (contracts.channels; blank: `call` only)."""
    messages = inputs.sms.messages
    sent = messages[messages["is_mt"].to_numpy()]
    scoped = on_sms(calls_out_of_scope(on_messages(inputs, sent)))
    contracts = contracts_in_force(inputs.contracts, inputs.audit_date)
    texting = contracts.index[permits_sms(contracts).to_numpy(bool)]
    closed = sent[sent["agency_id"].isin(contracts.index).to_numpy(bool)
                  & ~sent["agency_id"].isin(texting).to_numpy(bool)]
    closed = closed[~pairs_in((closed["agency_id"], closed["message_id"]), (scoped["agency_id"], scoped["call_id"]))]
    detail = "channel sms is not permitted by contract " + closed["agency_id"].map(contracts["contract_id"])
    texts = message_violations(inputs, closed, "QUAL_OUT_OF_SCOPE", detail)
    return joined_violations([*calls_out_of_scope_or_channel(inputs, contracts), scoped, texts])


def calls_out_of_scope_or_channel(inputs: RuleInputs, contracts: pd.DataFrame) -> list[pd.DataFrame]:
    """QUAL_OUT_OF_SCOPE on calls: out of the contract's purposes or products, or (not already so)
    from an agency whose contract in force (`contracts`, by agency) does not permit calls."""
    scoped = calls_out_of_scope(inputs)
    calls = inputs.calls
    texting_only = contracts.index[~permits_calls(contracts).to_numpy(bool)]
    closed = calls[calls["agency_id"].isin(texting_only).to_numpy(bool)]
    closed = closed[~pairs_in((closed["agency_id"], closed["call_id"]), (scoped["agency_id"], scoped["call_id"]))]
    detail = "channel call is not permitted by contract " + closed["agency_id"].map(contracts["contract_id"])
    return [scoped, as_violations(inputs, closed, "QUAL_OUT_OF_SCOPE", detail)]


def permits_sms(contracts: pd.DataFrame) -> pd.Series:
    """Whether each contract's `channels` (items separated by ';', blank or absent: call) holds sms."""
    return permits_channel(contracts, "sms")


def permits_calls(contracts: pd.DataFrame) -> pd.Series:
    """Whether each contract permits calls: `channels` blank or absent, or holding call."""
    return permits_channel(contracts, "call")


def permits_channel(contracts: pd.DataFrame, channel: str) -> pd.Series:
    """Whether each contract's channels (contract_channels) hold `channel`."""
    if "channels" not in contracts:
        return pd.Series(channel == "call", index=contracts.index)
    return contracts["channels"].map(lambda value: channel in contract_channels(value)).astype(bool)


def contract_channels(value: object) -> frozenset[str]:
    """A contract's channels: its items (text separated by ';', or a list) trimmed and lower-cased;
    none given (blank, null, an empty list): call only."""
    if isinstance(value, str):
        items = value.split(";")
    else:
        items = value if isinstance(value, (set, frozenset, list, tuple)) else ()
    named = frozenset(str(item).strip().lower() for item in items) - {""}
    return named or frozenset({"call"})
