"""Both channels on the scorecards (sms.md §3): messages audited and findings on them beside the
calls', and the SMS rules' rows of the rule table counted over messages.

Applied only when the day has messages (the enriched messages frame, neither None nor empty): a
day without texts keeps its scorecards exactly as they were.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from audits.cases.channels import on_messages
from audits.models import RuleLine, Scorecard

# What each rule over messages evaluates: MT messages, SMS attempts, marketing MT messages;
# CONTACT_ROLLING_7D counts contacts (call attempts and SMS attempts with a purpose).
SMS_EVALUATED = {
    "SMS_HOURS": "sms_attempts", "SMS_DAILY_CAP": "sms_attempts_with_purpose",
    "CONTACT_ROLLING_7D": "contacts", "SMS_AFTER_OPT_OUT": "sms_marketing", "SMS_NO_CONSENT": "sms_marketing",
    "SMS_PII_IN_TEXT": "sms", "SMS_NO_OPT_OUT_TEXT": "sms_marketing", "SMS_NO_SIGNATURE": "sms",
    "SMS_UNREGISTERED_SENDER": "sms",
}


def message_volumes(messages: pd.DataFrame, calls: pd.DataFrame) -> dict[tuple[str, str], int]:
    """(agency_id, kind) -> messages of that kind (SMS_EVALUATED's kinds)."""
    if messages.empty:
        sent = messages
    else:
        sent = messages[messages["is_mt"].to_numpy(bool)]
    purpose = sent["purpose"] if "purpose" in sent else pd.Series(None, index=sent.index, dtype=object)
    attempts = sent["is_attempt"].to_numpy(bool) if len(sent) else np.zeros(0, bool)
    kinds = {"sms": np.ones(len(sent), bool), "sms_attempts": attempts,
             "sms_attempts_with_purpose": attempts & purpose.notna().to_numpy(),
             "sms_marketing": (purpose == "marketing").fillna(False).to_numpy(bool),
             "contacts": attempts & purpose.notna().to_numpy()}
    out: dict[tuple[str, str], int] = {}
    for kind, mask in kinds.items():
        for agency, n in sent.loc[mask, "agency_id"].value_counts().items():
            out[(str(agency), kind)] = int(n)
    if not calls.empty and {"is_attempt", "purpose"} <= set(calls.columns):
        reached = calls["is_attempt"].to_numpy(bool) & calls["purpose"].notna().to_numpy()
        for agency, n in calls.loc[reached, "agency_id"].value_counts().items():
            out[(str(agency), "contacts")] = out.get((str(agency), "contacts"), 0) + int(n)
    return out


def with_channels(cards: list[Scorecard], scores: pd.DataFrame, violations: pd.DataFrame, calls: pd.DataFrame,
                  messages: pd.DataFrame | None) -> list[Scorecard]:
    """The scorecards with messages audited (scores.csv's `messages_audited` when it has the column,
    else the agency's MT messages) and findings on texts, and the SMS rules' rows evaluated over
    messages; unchanged when `messages` is None or empty (no texts)."""
    if messages is None or messages.empty:
        return cards
    volumes = message_volumes(messages, calls)
    texts = violations[on_messages(violations)] if len(violations) else violations
    findings = texts["agency_id"].value_counts().to_dict() if len(texts) else {}
    audited = (dict(zip(scores["agency_id"], scores["messages_audited"])) if "messages_audited" in scores.columns
               else {a: n for (a, kind), n in volumes.items() if kind == "sms"})
    out = []
    for card in cards:
        agency = card.agency_id
        rules = tuple(_over_messages(rule, volumes.get((agency, SMS_EVALUATED[rule.rule_id]), 0))
                      if rule.rule_id in SMS_EVALUATED else rule for rule in card.rules)
        out.append(dataclasses.replace(card, rules=rules, messages_audited=int(audited.get(agency, 0) or 0),
                                       findings_sms=int(findings.get(agency, 0)), texts_shown=True))
    return out


def _over_messages(rule: RuleLine, evaluated: int) -> RuleLine:
    return dataclasses.replace(rule, evaluated=evaluated,
                               rate=round(rule.findings / evaluated, 6) if evaluated else None)
