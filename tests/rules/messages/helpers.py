"""Literal text messages for the SMS rule tests: raw rows as an agency would deliver them, typed
as the loaders type them (messages.inputs.type_messages), next to calls built through the landing."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
import yaml

from audits.rulepack import RULEPACK_DIR, load_rulepack
from audits.rules import RuleInputs
from audits.rules.messages.inputs import (
    MessageInputs,
    enrich_messages,
    message_history_of,
    no_message_history,
    no_messages,
    no_opt_outs,
    opt_outs_of,
    type_messages,
)
from audits.tables import agency_zones
from tests.landing import CUSTOMER, DAY, rule_inputs

PORT = "106900001234"
SIGNED = "【华信银行】您的额度已提升，回复T退订"          # signed, says how to opt out


def message(message_id: str, sent: str, **fields) -> dict:
    """A clean DELIVERED marketing text by AG01 from its port to CUSTOMER; override any field."""
    row = dict(message_id=message_id, agency_id="AG01", agent_id="", campaign_id="MKT", direction="MT",
               sender=PORT, customer_number=CUSTOMER, sent_at=sent, status="DELIVERED", text=SIGNED,
               customer_tz="")
    row.update(fields)
    return row


def reply(message_id: str, sent: str, text: str = "T", **fields) -> dict:
    """The customer's reply (MO) to AG01's port."""
    return message(message_id, sent, direction="MO", status="", text=text, **fields)


def port(agency_id: str, number: str = PORT, **fields) -> dict:
    """A caller_numbers row registering an SMS port (typed as the reference loader types dates)."""
    row = dict(agency_id=agency_id, caller_number=number, channel="sms", registered_from="2025-01-01",
               registered_to="")
    row.update(fields)
    return row


def typed_messages(rows: list[dict], contracts: pd.DataFrame, day: dt.date, bank_zone: str) -> pd.DataFrame:
    """The rows typed per agency (naive times in the agency's zone), as the loaders would."""
    if not rows:
        return no_messages()
    raw = pd.DataFrame(rows, dtype="str").replace({"": None})
    zones = agency_zones(contracts, day, bank_zone)
    parts = [type_messages(part, local_zone=zones.get(agency, bank_zone), bank_zone=bank_zone, region="CN")
             for agency, part in raw.groupby("agency_id", sort=False)]
    return pd.concat(parts)


def sms_inputs(tmp_path: Path, messages: list[dict], calls: list[dict] | None = None, *,
               earlier_messages: dict[dt.date, list[dict]] | None = None,
               earlier: dict[dt.date, list[dict]] | None = None, day: dt.date = DAY, rulepack: str = "cn_bank",
               channels: dict[str, str] | None = None, ports: list[dict] | None = None, **reference) -> RuleInputs:
    """RuleInputs of `calls` (through the landing and the store, as the call rules' tests build
    them) with `messages` on `day` and earlier days' messages as the store would hand them over.
    Contracts get `channels` (default: every agency call;sms), caller_numbers the SMS `ports`
    (default: PORT for AG01 and AG02)."""
    inputs = rule_inputs(tmp_path, calls or [], earlier=earlier, day=day, rulepack=rulepack, **reference)
    channels = {"AG01": "call;sms", "AG02": "call;sms"} if channels is None else channels
    contracts = inputs.contracts.assign(channels=inputs.contracts["agency_id"].map(channels))
    ports = [port("AG01"), port("AG02")] if ports is None else ports
    numbers = inputs.caller_numbers.assign(channel="call", caller_number="")
    if ports:
        typed_ports = pd.DataFrame(ports).assign(
            registered_from_date=lambda f: pd.to_datetime(f["registered_from"]),
            registered_to_date=lambda f: pd.to_datetime(f["registered_to"].replace("", None)))
        numbers = pd.concat([numbers, typed_ports.drop(columns=["registered_from", "registered_to"])],
                            ignore_index=True)
    pack, zone = inputs.rulepack, inputs.rulepack.bank_timezone
    histories, opt_outs = [no_message_history()], [no_opt_outs()]
    for when, rows in sorted((earlier_messages or {}).items()):
        enriched = enrich_messages(typed_messages(rows, contracts, when, zone), inputs.campaigns, pack.sms)
        histories.append(message_history_of(enriched, (day - when).days))
        opt_outs.append(opt_outs_of(enriched))
    sms = MessageInputs.of_day(typed_messages(messages, contracts, day, zone), inputs.campaigns, pack,
                               history=pd.concat(histories, ignore_index=True),
                               opt_outs=pd.concat(opt_outs, ignore_index=True))
    return dataclasses.replace(inputs, contracts=contracts, caller_numbers=numbers, sms=sms)


def rulepack_with(folder: Path, base: str = "cn_bank", **sms) -> Path:
    """A rulepack file: the packaged `base` with these keys of its `sms` section replaced."""
    document = yaml.safe_load((RULEPACK_DIR / f"{base}.yaml").read_text(encoding="utf-8"))
    document["sms"] = {**(document.get("sms") or {}), **sms}
    path = folder / f"{base}_sms.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def with_rulepack(inputs: RuleInputs, name_or_path: str | Path) -> RuleInputs:
    return dataclasses.replace(inputs, rulepack=load_rulepack(name_or_path))


def found_ids(found: pd.DataFrame, rule_id: str | None = None) -> set[str]:
    """call_ids (message_ids) of the findings, of one rule when given."""
    rows = found if rule_id is None else found[found["rule_id"] == rule_id]
    return set(rows["call_id"])
