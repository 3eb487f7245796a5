"""Case keys (cases.md §1): every finding belongs to the case (agency_id, rule_id, subject),
where the subject depends on the rule's subject kind (models.RULE_INFO)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from audits.models import RULES_BY_ID, SubjectKind
from audits.privacy import phone_keys

SEPARATOR = "\x1f"


def case_id(agency_id: str, rule_id: str, subject: str) -> str:
    """'C-' + the first 12 hex digits of SHA-256 over agency, rule and subject joined by U+001F."""
    text = SEPARATOR.join((agency_id, rule_id, subject))
    return "C-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def case_ids(agency_ids: pd.Series, rule_id: str, subjects: pd.Series) -> np.ndarray:
    """case_id of each finding of one rule (Series aligned by position): hashed once per distinct
    (agency, subject), not once per finding; the pairs found as one integer each (a MultiIndex of
    text took ~1 us a finding)."""
    agency_codes, agencies = pd.factorize(agency_ids.fillna(""))
    subject_codes, distinct_subjects = pd.factorize(subjects.fillna(""))
    width = max(len(distinct_subjects), 1)
    distinct, codes = np.unique(agency_codes.astype(np.int64) * width + subject_codes, return_inverse=True)
    agencies, distinct_subjects = agencies.tolist(), distinct_subjects.tolist()
    hashed = np.asarray([case_id(agencies[k // width], rule_id, distinct_subjects[k % width])
                         for k in distinct.tolist()], dtype=object)
    return hashed[codes] if len(codes) else np.asarray([], dtype=object)


def subjects(rows: pd.DataFrame, rule_id: str, *, callee_keys: pd.Series, secret: bytes) -> pd.Series:
    """The subject of each offending call `rows` (a slice of the day's calls) of one rule:
    empty (agency), agent_id, the caller number's keyed hash, campaign_id or callee_key."""
    kind = RULES_BY_ID[rule_id].subject
    if kind is SubjectKind.AGENCY:
        values = np.full(len(rows), "", dtype=object)
    elif kind is SubjectKind.AGENT:
        values = rows["agent_id"].to_numpy(dtype=object)
    elif kind is SubjectKind.CAMPAIGN:
        values = rows["campaign_id"].to_numpy(dtype=object)
    elif kind is SubjectKind.CALLER:
        values = phone_keys(rows["caller_e164"], secret).to_numpy(dtype=object)
    else:
        values = callee_keys.to_numpy(dtype=object)
    return pd.Series(values, dtype=object).fillna("")
