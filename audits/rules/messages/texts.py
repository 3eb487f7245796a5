"""Rules on what a text says (sms.md §2): an unmasked identifier, no way to opt out stated, no
signature. Each distinct text is read once (agencies send a few templates to many numbers);
a blank text holds nothing."""

from __future__ import annotations

import functools
import re
import unicodedata

import numpy as np
import pandas as pd

from audits.rules.confidentiality import identifier_kinds
from audits.rules.inputs import RuleInputs
from audits.rules.messages.findings import message_violations

SIGNATURE_LENGTHS = (2, 20)          # any 【name】 of 2 to 20 characters, when the rulepack names none


def messages_with_pii(inputs: RuleInputs) -> pd.DataFrame:
    """SMS_PII_IN_TEXT: the text of an MT holds an unmasked identifier, read as notes are."""
    messages = inputs.sms.messages
    sent = messages[messages["is_mt"].to_numpy()]
    found = identifier_kinds(sent["text"])
    hits = (found != "").to_numpy(bool)
    return message_violations(inputs, sent[hits], "SMS_PII_IN_TEXT", "text contains an unmasked " + found[hits])


def marketing_without_opt_out_text(inputs: RuleInputs) -> pd.DataFrame:
    """SMS_NO_OPT_OUT_TEXT: a marketing MT whose text does not match `sms.opt_out_text`
    (ignoring case, after NFKC)."""
    messages = inputs.sms.messages
    marketing = messages[messages["is_mt"].to_numpy() & (messages["purpose"] == "marketing").to_numpy(bool)]
    pattern = _compiled(inputs.rulepack.sms.opt_out_text)
    says = per_distinct(marketing["text"], lambda text: bool(pattern.search(unicodedata.normalize("NFKC", text))))
    return message_violations(inputs, marketing[~says], "SMS_NO_OPT_OUT_TEXT",
                              "marketing text does not say how to opt out")


def messages_without_signature(inputs: RuleInputs) -> pd.DataFrame:
    """SMS_NO_SIGNATURE: an MT whose trimmed text neither begins nor ends with 【name】 (a name of
    `sms.signatures`; when none are listed, any of 2 to 20 characters)."""
    messages = inputs.sms.messages
    sent = messages[messages["is_mt"].to_numpy()]
    names = frozenset(inputs.rulepack.sms.signatures)
    signed = per_distinct(sent["text"], lambda text: has_signature(text, names))
    listed = "、".join(f"【{n}】" for n in sorted(names))
    detail = (f"text neither begins nor ends with a registered signature ({listed})" if names
              else "text neither begins nor ends with a signature 【…】")
    return message_violations(inputs, sent[~signed], "SMS_NO_SIGNATURE", detail)


_LEADING = re.compile(r"【([^【】]*)】")
_TRAILING = re.compile(r"【([^【】]*)】$")


def has_signature(text: str, names: frozenset[str]) -> bool:
    """Whether the trimmed text begins or ends with 【name】 (name in `names`, or any of 2 to 20
    characters when `names` is empty)."""
    trimmed = text.strip()
    low, high = SIGNATURE_LENGTHS
    for found in (_LEADING.match(trimmed), _TRAILING.search(trimmed)):
        if found and (found.group(1) in names if names else low <= len(found.group(1)) <= high):
            return True
    return False


def per_distinct(texts: pd.Series, judge) -> np.ndarray:
    """judge(text) for each text (False for a null), computed once per distinct text."""
    codes, distinct = pd.factorize(texts)
    verdicts = np.asarray([bool(judge(text)) for text in distinct] + [False], dtype=bool)
    return verdicts[codes]


@functools.cache
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE)
