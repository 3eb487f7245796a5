"""exceptions.csv and disputes.csv (cases.md §3): the optional reference tables of decisions
made by people, read, typed and validated like the other reference tables (their GX suites in
expectations/; a failing row is quarantined with its reasons, never fatal).

Beyond their own columns the suites judge flags that need the rule registry, the HMAC key and
the cases known on the day; they are added here:

    exceptions  *_date, span_days (valid_from..valid_to inclusive), rule_known, subject_kind,
                subject_bad_phone, subject_not_applicable, key_repeated, and subject_key: the
                case subject the exception covers ('' = every subject of the agency and rule;
                a phone number in any written form is normalised to E.164 and keyed like
                callee_key, so a caller or customer subject matches its case)
    disputes    *_date, status_code, decision_missing, case_known, key_repeated
"""

from __future__ import annotations

from collections.abc import Collection
from functools import partial

import numpy as np
import pandas as pd

from audits.config import AuditConfig
from audits.ingest import Ingested, decision_paths, load_reference_table
from audits.loaders import TEXT, parse_dates
from audits.models import RULES_BY_ID, SubjectKind
from audits.phones import normalise_phones
from audits.privacy import phone_keys

_PHONE_KINDS = (SubjectKind.CUSTOMER.value, SubjectKind.CALLER.value)
_KEYS = {"exceptions": "exception_id", "disputes": "dispute_id"}


def check_decision_tables(config: AuditConfig) -> None:
    """Stop the run (AuditError) when a decision table is delivered but cannot be read, before
    the day's work starts; its rows are judged when the report is made (load_decision_tables)."""
    for table, path in decision_paths(config.landing).items():
        load_reference_table(config.landing, table, path, audit_date=config.audit_date, rulepack=config.rulepack,
                             max_bytes=config.max_file_bytes, typing=_typing(table, config, known_cases=None),
                             parameters=_parameters(config))


def load_decision_tables(config: AuditConfig, known_cases: Collection[str]) -> dict[str, Ingested]:
    """Each decision table delivered, validated; a dispute of a case not in `known_cases`
    (every case of the store's register up to the day, and the day's) is DQ_BAD_KEY."""
    return {table: load_reference_table(config.landing, table, path, audit_date=config.audit_date,
                                        rulepack=config.rulepack, max_bytes=config.max_file_bytes,
                                        typing=_typing(table, config, known_cases=known_cases),
                                        parameters=_parameters(config))
            for table, path in decision_paths(config.landing).items()}


def _parameters(config: AuditConfig) -> dict:
    return {"max_exception_days": config.rulepack.cases.max_exception_days}


def _typing(table: str, config: AuditConfig, *, known_cases: Collection[str] | None):
    if table == "exceptions":
        return partial(exception_columns, region=config.rulepack.default_region, secret=config.hmac_secret)
    return partial(dispute_columns, known_cases=known_cases)


def exception_columns(frame: pd.DataFrame, *, region: str, secret: bytes) -> pd.DataFrame:
    """exceptions.csv's typed columns and flags (module docstring)."""
    typed = frame.copy(deep=False)
    for column in ("valid_from", "valid_to", "approved_on"):
        typed[f"{column}_date"] = parse_dates(frame[column])
    # valid_from..valid_to inclusive, in days (NaN where a date is missing or bad)
    typed["span_days"] = ((typed["valid_to_date"] - typed["valid_from_date"]).dt.days + 1).astype("float64")
    rule = frame["rule_id"].to_numpy(dtype=object, na_value=None)
    kind = pd.Series(rule, dtype=object).map({r: info.subject.value for r, info in RULES_BY_ID.items()})
    typed["rule_known"] = (kind.notna() | pd.isna(rule)).to_numpy()
    typed["subject_kind"] = pd.Series(kind.fillna("").to_numpy(dtype=object), index=frame.index, dtype=TEXT)
    subject = frame["subject"].to_numpy(dtype=object, na_value=None)
    given = ~pd.isna(subject)
    phone = given & kind.isin(_PHONE_KINDS).to_numpy()
    e164 = np.full(len(frame), None, dtype=object)
    if phone.any():
        e164[phone] = normalise_phones(pd.Series(subject[phone], dtype=TEXT), region).to_numpy(dtype=object,
                                                                                                na_value=None)
    typed["subject_bad_phone"] = phone & pd.isna(e164)
    typed["subject_not_applicable"] = given & (kind == SubjectKind.AGENCY.value).to_numpy()
    key = np.where(given, subject, "").astype(object)
    keyed = phone & ~pd.isna(e164)
    if keyed.any():
        key[keyed] = phone_keys(pd.Series(e164[keyed], dtype=object), secret).to_numpy(dtype=object)
    typed["subject_key"] = pd.Series(key, index=frame.index, dtype=TEXT)
    typed["key_repeated"] = _repeated(frame, "exception_id")
    return typed


def dispute_columns(frame: pd.DataFrame, *, known_cases: Collection[str] | None) -> pd.DataFrame:
    """disputes.csv's typed columns and flags (module docstring); every case_id is known when
    `known_cases` is None (the early readability check, before the day's cases exist)."""
    typed = frame.copy(deep=False)
    for column in ("raised_on", "decided_on"):
        typed[f"{column}_date"] = parse_dates(frame[column])
    typed["status_code"] = frame["status"].str.lower()
    decided = typed["status_code"].isin(("upheld", "rejected")).to_numpy()
    typed["decision_missing"] = decided & (frame["decided_by"].isna() | frame["decided_on"].isna()).to_numpy()
    case = frame["case_id"]
    typed["case_known"] = (np.ones(len(frame), dtype=bool) if known_cases is None
                           else (case.isna() | case.isin(pd.Index(known_cases))).to_numpy(dtype=bool))
    typed["key_repeated"] = _repeated(frame, "dispute_id")
    return typed


def _repeated(frame: pd.DataFrame, key: str) -> np.ndarray:
    """Second and later rows with an id already seen (the first is kept)."""
    return (frame[key].duplicated(keep="first") & frame[key].notna()).to_numpy()
