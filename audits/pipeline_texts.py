"""The day's text messages as the pipeline's stages hand them over (audits.pipeline): the staged
SMS files validated, the validated day read back from the work directory (`sms-day`), enriched
for publishing, and listed with the calls' files in the report."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pandas as pd

from audits.config import AuditConfig
from audits.ingest import Ingested, load_reference_table, reference_paths
from audits.ingest_sms import SMS_DAY_FILES, validate_messages
from audits.ingest_validation import lean_for_validation, validation_columns
from audits.rules.messages.inputs import enrich_messages, no_messages
from audits.workdir import WorkDir, WorkMissing


def validate_staged_messages(work: WorkDir, day: dt.date) -> Ingested:
    """The staged SMS files of the work directory, loaded lean and validated (accepted:
    MESSAGE_COLUMNS); every column is read back only for quarantined rows."""
    staged = work.load_staged(validation_columns(SMS_DAY_FILES), partial(lean_for_validation, files=SMS_DAY_FILES),
                              table="sms")
    accepted = validate_messages(staged, day=day, full_rows=partial(work.staged_rows, table="sms"))
    if accepted.accepted.empty:
        accepted.accepted = no_messages()
    return accepted


def day_texts(work: WorkDir) -> Ingested:
    """The day's validated SMS files (stage_day); none in a work directory from before texts."""
    try:
        return work.load_ingested("sms-day")
    except WorkMissing:
        return Ingested(accepted=no_messages(), quarantine=pd.DataFrame(), files=[], dq_results={})


def day_messages(texts: Ingested, campaigns: pd.DataFrame, config: AuditConfig) -> pd.DataFrame:
    """The day's accepted text messages (`texts`: day_texts) enriched (messages.inputs.enrich_messages),
    as publishing hands them on."""
    accepted = texts.accepted
    return enrich_messages(accepted if not accepted.empty else no_messages(), campaigns, config.rulepack.sms)


def with_texts(today: Ingested, texts: Ingested) -> Ingested:
    """The day's calls (accepted) with the records, quarantine and data-quality results of its
    CDR and SMS files together, as the report lists them."""
    if not texts.files and texts.quarantine.empty:
        return today
    quarantine = pd.concat([q for q in (today.quarantine, texts.quarantine) if not q.empty] or [today.quarantine],
                           ignore_index=True)
    return Ingested(accepted=today.accepted, quarantine=quarantine, files=[*today.files, *texts.files],
                    dq_results={**today.dq_results, **texts.dq_results})


def campaigns_of(config: AuditConfig, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The run's campaigns (which texts are marketing, opt-outs aside), from `tables` once loaded."""
    if "campaigns" not in tables:
        try:
            tables["campaigns"] = WorkDir(config).load_ingested("reference/campaigns").accepted
        except WorkMissing:
            paths = reference_paths(config.landing)
            tables["campaigns"] = load_reference_table(config.landing, "campaigns", paths["campaigns"],
                                                       audit_date=config.audit_date, rulepack=config.rulepack,
                                                       max_bytes=config.max_file_bytes).accepted
    return tables["campaigns"]
