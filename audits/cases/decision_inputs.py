"""exceptions.csv and disputes.csv (cases.md §3): the optional reference tables of decisions
made by people, read, typed and validated like the other reference tables (their GX suites in
expectations/; a failing row is quarantined with its reasons, never fatal). A file that cannot
be read at all is quarantined whole (DQ_FILE_UNREADABLE): the night goes on without its decisions.

Beyond their own columns the suites judge flags that need the rule registry, the HMAC key, the
audit day and the cases known on the day; they are added here:

    exceptions  *_date, span_days (valid_from..valid_to inclusive), rule_known, subject_kind,
                subject_bad_phone, subject_not_applicable, key_repeated, key_missing (neither
                case_id nor agency_id and rule_id), case_disagrees (a case_id unknown, or whose
                agency, rule or subject differs from those given), after_audit_day (approved
                after D: not a decision yet); agency_id and rule_id filled from the case a
                case_id names; case_key: that case ('' = none); and subject_key: the case subject
                the exception covers ('' = every subject of the agency and rule; a phone number
                in any written form is normalised to E.164 and keyed like callee_key, so a caller
                or customer subject matches its case; the key itself, as reports show it, is taken
                as it is)
    disputes    *_date, status_code, decision_missing, case_known, key_repeated, after_audit_day
                (raised or decided after D)
"""

from __future__ import annotations

import datetime as dt
import re
from functools import partial

import numpy as np
import pandas as pd

from audits.cases.keys import case_id
from audits.config import AuditConfig
from audits.ingest import Ingested, decision_paths, load_reference_table
from audits.loaders import TEXT
from audits.models import RULES_BY_ID, SubjectKind
from audits.phones import normalise_phones
from audits.privacy import phone_keys
from audits.values import parse_dates

_PHONE_KINDS = (SubjectKind.CUSTOMER.value, SubjectKind.CALLER.value)
_KEY = re.compile(r"[0-9a-fA-F]{64}")          # callee_key / caller key as the reports show it (HMAC-SHA256, hex)


def load_decision_tables(config: AuditConfig, known_cases: pd.DataFrame) -> dict[str, Ingested]:
    """Each decision table delivered, validated; a case_id naming no case of `known_cases`
    (case_id, agency_id, rule_id of every case of the store's register up to the day, and the
    day's) is DQ_BAD_KEY. A file that cannot be read is quarantined whole, never fatal."""
    return {table: load_reference_table(config.landing, table, path, audit_date=config.audit_date,
                                        rulepack=config.rulepack, max_bytes=config.max_file_bytes,
                                        typing=_typing(table, config, known_cases=known_cases),
                                        parameters=_parameters(config), optional=True)
            for table, path in decision_paths(config.landing).items()}


def _parameters(config: AuditConfig) -> dict:
    return {"max_exception_days": config.rulepack.cases.max_exception_days}


def _typing(table: str, config: AuditConfig, *, known_cases: pd.DataFrame):
    if table == "exceptions":
        return partial(exception_columns, region=config.rulepack.default_region, secret=config.hmac_secret,
                       day=config.audit_date, known_cases=known_cases)
    return partial(dispute_columns, known_cases=known_cases["case_id"], day=config.audit_date)


def exception_columns(frame: pd.DataFrame, *, region: str, secret: bytes, day: dt.date | None = None,
                      known_cases: pd.DataFrame | None = None) -> pd.DataFrame:
    """exceptions.csv's typed columns and flags (module docstring); `known_cases`: case_id,
    agency_id, rule_id of the cases a case_id may name (none when None)."""
    typed = frame.copy(deep=False)
    for column in ("valid_from", "valid_to", "approved_on"):
        typed[f"{column}_date"] = parse_dates(frame[column])
    # valid_from..valid_to inclusive, in days (NaN where a date is missing or bad)
    typed["span_days"] = ((typed["valid_to_date"] - typed["valid_from_date"]).dt.days + 1).astype("float64")
    typed["after_audit_day"] = _after(typed["approved_on_date"], day)
    named = _named_case(frame, known_cases)
    agency = _filled(frame["agency_id"], named["agency_id"])
    rule = _filled(frame["rule_id"], named["rule_id"])
    typed["agency_id"], typed["rule_id"] = agency, rule
    typed["key_missing"] = (named["case_key"].eq("") & (agency.isna() | rule.isna())).to_numpy()
    rule_values = rule.to_numpy(dtype=object, na_value=None)
    kind = pd.Series(rule_values, dtype=object).map({r: info.subject.value for r, info in RULES_BY_ID.items()})
    typed["rule_known"] = (kind.notna() | pd.isna(rule_values)).to_numpy()
    typed["subject_kind"] = pd.Series(kind.fillna("").to_numpy(dtype=object), index=frame.index, dtype=TEXT)
    subject = frame["subject"].to_numpy(dtype=object, na_value=None)
    given = ~pd.isna(subject)
    phone = given & kind.isin(_PHONE_KINDS).to_numpy()
    as_key = phone & np.array([isinstance(s, str) and _KEY.fullmatch(s) is not None for s in subject], dtype=bool)
    e164 = np.full(len(frame), None, dtype=object)
    written = phone & ~as_key
    if written.any():
        e164[written] = normalise_phones(pd.Series(subject[written], dtype=TEXT), region).to_numpy(dtype=object,
                                                                                                  na_value=None)
    typed["subject_bad_phone"] = written & pd.isna(e164)
    typed["subject_not_applicable"] = given & (kind == SubjectKind.AGENCY.value).to_numpy()
    key = np.where(given, subject, "").astype(object)
    key[as_key] = [s.lower() for s in subject[as_key]]
    keyed = written & ~pd.isna(e164)
    if keyed.any():
        key[keyed] = phone_keys(pd.Series(e164[keyed], dtype=object), secret).to_numpy(dtype=object)
    typed["subject_key"] = pd.Series(key, index=frame.index, dtype=TEXT)
    typed["case_key"] = named["case_key"]
    typed["case_disagrees"] = _disagrees(frame, named, agency, rule, key)
    typed["key_repeated"] = _repeated(frame, "exception_id")
    return typed


def _named_case(frame: pd.DataFrame, known_cases: pd.DataFrame | None) -> pd.DataFrame:
    """Per row: case_key (the case_id given, '' when none), and that case's agency_id and rule_id
    (null when it names none, or one not in `known_cases`)."""
    given = frame["case_id"] if "case_id" in frame else pd.Series(pd.NA, index=frame.index, dtype=TEXT)
    known = known_cases if known_cases is not None else pd.DataFrame(columns=["case_id", "agency_id", "rule_id"])
    known = known.drop_duplicates("case_id").set_index("case_id")
    found = known.reindex(given.fillna("").to_numpy(dtype=object))
    return pd.DataFrame({"case_key": given.fillna("").astype(TEXT).to_numpy(),
                         "agency_id": pd.array(found["agency_id"].to_numpy(dtype=object), dtype=TEXT),
                         "rule_id": pd.array(found["rule_id"].to_numpy(dtype=object), dtype=TEXT)},
                        index=frame.index)


def _filled(values: pd.Series, fallback: pd.Series) -> pd.Series:
    return values.where(values.notna(), fallback).astype(TEXT)


def _disagrees(frame: pd.DataFrame, named: pd.DataFrame, agency: pd.Series, rule: pd.Series,
               subject_key: np.ndarray) -> np.ndarray:
    """A case_id that names no known case, or whose agency, rule or subject differs from those given."""
    out = np.zeros(len(frame), dtype=bool)
    for at, (case, own_agency, own_rule) in enumerate(named.itertuples(index=False)):   # a few rows: a plain loop
        if case == "":
            continue
        given_agency, given_rule = frame["agency_id"].iat[at], frame["rule_id"].iat[at]
        out[at] = (pd.isna(own_agency) or (pd.notna(given_agency) and given_agency != own_agency)
                   or (pd.notna(given_rule) and given_rule != own_rule)
                   or (subject_key[at] != "" and case_id(agency.iat[at], rule.iat[at], subject_key[at]) != case))
    return out


def dispute_columns(frame: pd.DataFrame, *, known_cases, day: dt.date | None = None) -> pd.DataFrame:
    """disputes.csv's typed columns and flags (module docstring)."""
    typed = frame.copy(deep=False)
    for column in ("raised_on", "decided_on"):
        typed[f"{column}_date"] = parse_dates(frame[column])
    typed["after_audit_day"] = _after(typed["raised_on_date"], day) | _after(typed["decided_on_date"], day)
    typed["status_code"] = frame["status"].str.lower()
    decided = typed["status_code"].isin(("upheld", "rejected")).to_numpy()
    typed["decision_missing"] = decided & (frame["decided_by"].isna() | frame["decided_on"].isna()).to_numpy()
    case = frame["case_id"]
    typed["case_known"] = (case.isna() | case.isin(pd.Index(known_cases))).to_numpy(dtype=bool)
    typed["key_repeated"] = _repeated(frame, "dispute_id")
    return typed


def _after(dates: pd.Series, day: dt.date | None) -> np.ndarray:
    """Where a date is after the audit day: not a decision yet (none without a day)."""
    if day is None:
        return np.zeros(len(dates), dtype=bool)
    return (dates > np.datetime64(day, "ns")).fillna(False).to_numpy(dtype=bool)


def _repeated(frame: pd.DataFrame, key: str) -> np.ndarray:
    """Second and later rows with an id already seen (the first is kept)."""
    return (frame[key].duplicated(keep="first") & frame[key].notna()).to_numpy()
