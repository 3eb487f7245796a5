"""What the nightly run waits for before it audits a day (README, Airflow): every agency with a
contract in force delivered its file, and every agency whose contract in force includes `sms`
(contracts.channels; blank = call) its SMS file `sms/<D>/<agency_id>.<ext>` (sms.md §1); else
the landing deadline. The agencies staged are pipeline.delivered_agencies, whatever this says.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from audits.config import AuditConfig
from audits.rules.messages.scope import permits_sms
from audits.sources.landing import agencies_with_files
from audits.tables import contracts_in_force
from audits.workdir import WorkDir


def texting_agencies(config: AuditConfig) -> list[str]:
    """Agencies whose contract in force on the day includes sms: they owe an SMS file (after
    stage_reference, like pipeline.expected_agencies)."""
    work = WorkDir(config)
    with work.in_use():
        contracts = work.load_ingested("reference/contracts").accepted
    return texting_of(contracts, config.audit_date, config.agencies)


def texting_of(contracts: pd.DataFrame, day: dt.date, agencies: tuple[str, ...] | None = None) -> list[str]:
    """The agencies of `contracts` (typed) whose contract in force on `day` includes sms."""
    live = contracts_in_force(contracts, day)
    texting = live.index[permits_sms(live).to_numpy(bool)]
    return sorted(a for a in texting if agencies is None or a in agencies)


def called_agencies(config: AuditConfig) -> list[str]:
    """Agencies with a CDR file of the day in the landing zone (an entry named like one)."""
    found = agencies_with_files(config.landing, config.audit_date, "cdr")
    return sorted(a for a in found if config.agencies is None or a in config.agencies)


def texted_agencies(config: AuditConfig) -> list[str]:
    """Agencies with an SMS file of the day in the landing zone (an entry named like one)."""
    found = agencies_with_files(config.landing, config.audit_date, "sms")
    return sorted(a for a in found if config.agencies is None or a in config.agencies)


def landing_complete(expected: list[str], delivered: list[str], texting: list[str], texted: list[str]) -> bool:
    """Whether nothing owed is missing: a file from every expected agency, an SMS file from every
    texting one."""
    return set(expected) <= set(delivered) and set(texting) <= set(texted)
