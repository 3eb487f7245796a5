"""run_audit(config): the stages of one business day, each also runnable as its own Airflow task.

    stage_reference   reference tables validated; earlier landing days missing from the store ingested
    stage_agency      one agency's CDR and SMS files read and typed (fans out per agency)
    stage_day         all agencies' rows validated in one batch (calls, then texts); quarantine; store partition D
    stage_rules       the rules, bank-wide, over day D and the history
    stage_publish     scores, scorecards, manifest; the report published atomically

Stages hand over through the run's work directory (audits.workdir), never in memory, so the
DAG passes only dates and paths. Every stage holds the work directory while it runs (so no
other run's purge takes it); run_audit also holds the day's report lock for the whole run, the
DAG only while it publishes; the store has its own lock (audits.store).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable
from functools import partial

import pandas as pd

from audits import store, validation
from audits.cases.daily import cases_of_day, commit_cases, not_assessed_agencies
from audits.config import AuditConfig, ConfigError
from audits.desk import nightly
from audits.ingest import (
    Ingested,
    load_reference_table,
    missing_files,
    reference_paths,
    stage_cdr_file,
    stray_files,
    unread_reference_files,
)
from audits.ingest_sms import missing_sms_files, stage_sms_file
from audits.ingest_validation import lean_for_validation, validate_calls, validation_columns
from audits.loaders import list_cdr_files, list_sms_files, scan_day_folder
from audits.models import REFERENCE_TABLES
from audits.pipeline_texts import campaigns_of, day_messages, day_texts, validate_staged_messages, with_texts
from audits.privacy import key_fingerprint
from audits.reference_cache import load_reference_cached
from audits.report import AuditResult, publish_report, publishing, recover_publishes
from audits.rules import RuleInputs, rule_groups, run_rules, sort_violations
from audits.rules.findings import frame_from_ipc, frame_to_ipc
from audits.rules.inputs import compact_history, enrich_calls
from audits.rules.messages.inputs import MessageInputs, enrich_messages, no_messages, opt_outs_among, opt_outs_of
from audits.rules.messages.scope import permits_calls
from audits.signals import daily as warning_signals
from audits.signals.complaints import complaint_signals
from audits.signals.effects import escalated
from audits.tables import agency_zones, contracts_in_force
from audits.workdir import WorkDir, WorkMissing, purge_orphans
from audits.workers import in_processes, release_memory, reuse_freed_memory

Progress = Callable[[str], None]


def run_audit(config: AuditConfig, *, progress: Progress | None = None) -> AuditResult:
    """Every stage on this machine, in order; the per-agency files and the rule partitions
    run in `config.workers` processes (as the DAG spreads them over Airflow workers)."""
    say = progress or (lambda _message: None)
    work = WorkDir(config)
    with publishing(config), work.in_use():        # one run of a day at a time; its work is its own
        try:
            say("loading reference data and history")
            agencies = stage_reference(config, progress=say)
            release_memory()
            say(f"reading calls of {len(agencies)} agencies")
            in_processes(stage_agency, [(config, agency_id) for agency_id in agencies], config.workers)
            say(f"validating calls of {config.audit_date}")
            stage_day(config)
            release_memory()
            say("running rules")
            stage_rules(config, workers=config.workers)
            release_memory()
            say("scoring and rendering")
            return stage_publish(config)
        finally:
            work.remove()                          # failed or not: work files never outlive the run


_SHARED: RuleInputs | None = None


def run_rules_in_processes(inputs: RuleInputs, workers: int) -> pd.DataFrame:
    """run_rules in `workers` forked processes, each running a group of rules (rule_groups)
    over the whole day: the inputs are inherited copy-on-write, never copied, split or
    pickled, so memory grows only by what each rule computes. Equal to run_rules(inputs).

    Groups of rules rather than hash partitions of the numbers: on one machine, partitions
    cost each worker a copy of its share of the calls and history and repeat every rule's
    reference-side work, several times the time and memory (benchmarks/README.md).
    Partitions are for several machines (stage_rules with `partitions`, mapped tasks).
    """
    global _SHARED
    groups = rule_groups(inputs.rulepack.enabled_rules, workers)
    if len(groups) <= 1:
        return run_rules(inputs)
    _SHARED = inputs
    try:
        parts = in_processes(_run_shared_group, [(group,) for group in groups], workers)
    finally:
        _SHARED = None
    return sort_violations([frame_from_ipc(part) for part in parts])        # sorted once, here


def _run_shared_group(group: frozenset[str]) -> bytes:
    """A group's findings, unsorted, as an Arrow stream: the parent reads it without unpickling
    (half a million findings: 0.3 s, not 0.7 s)."""
    return frame_to_ipc(run_rules(_SHARED, only=group, ordered=False))


def stage_reference(config: AuditConfig, *, progress: Progress | None = None) -> list[str]:
    """The first stage of an attempt: start the run's work afresh, purge what dead runs left,
    finish or roll back interrupted publishes; then validate the reference tables (CannotAudit
    when unusable), fill the store with earlier days, and return the agencies that delivered a
    file for the day."""
    reuse_freed_memory()
    work = WorkDir(config)
    with work.in_use():
        work.claim()
        purge_orphans(config.store)
        recover_publishes(config.out, run_id=config.run_id)
        stage_reference_tables(config)
        contracts = work.load_ingested("reference/contracts").accepted
        ingest_earlier_days(config, contracts, progress=progress or (lambda _m: None))
        return delivered_agencies(config)


def stage_reference_tables(config: AuditConfig) -> None:
    """Read, type and validate the six reference tables into the work directory, the largest
    first, in config.workers processes. CannotAudit when one is missing or unreadable."""
    paths = reference_paths(config.landing)
    validation.prepare([*REFERENCE_TABLES, "cdr", "sms"])
    largest_first = sorted(REFERENCE_TABLES, key=lambda table: -paths[table].lstat().st_size)   # a link: refused later
    in_processes(_stage_reference_table, [(config, table, paths[table]) for table in largest_first], config.workers)


def _stage_reference_table(config: AuditConfig, table: str, path) -> str:
    ingested = load_reference_cached(config.store, config.landing, table, path, audit_date=config.audit_date,
                                     rulepack=config.rulepack, max_bytes=config.max_file_bytes,
                                     run_id=config.run_id, wait_seconds=config.lock_wait_seconds)
    WorkDir(config).save_ingested(f"reference/{table}", ingested)
    return table


def delivered_agencies(config: AuditConfig) -> list[str]:
    """Agencies that delivered a CDR file or an SMS file (or both) for the day."""
    files = {*list_cdr_files(config.landing, config.audit_date), *list_sms_files(config.landing, config.audit_date)}
    return sorted(a for a in files if config.agencies is None or a in config.agencies)


def expected_agencies(config: AuditConfig) -> list[str]:
    """Agencies with a contract in force on the day that permits calls (they owe a CDR file);
    after stage_reference."""
    work = WorkDir(config)
    with work.in_use():
        contracts = work.load_ingested("reference/contracts").accepted
    in_force = contracts_in_force(contracts, config.audit_date)
    expected = in_force.index[permits_calls(in_force).to_numpy(bool)]
    return sorted(a for a in expected if config.agencies is None or a in config.agencies)


DAY_TABLES = ("cdr", "sms")          # an agency's files of the day: its calls, its text messages
_STAGE = {"cdr": stage_cdr_file, "sms": stage_sms_file}


def stage_agency(config: AuditConfig, agency_id: str) -> str:
    """Read and type one agency's files of the day (its CDR file, its SMS file: either or both);
    returns the agency id."""
    work = WorkDir(config)
    with work.in_use():
        contracts = work.load_ingested("reference/contracts").accepted
        pack = config.rulepack
        zone = agency_zones(contracts, config.audit_date, pack.bank_timezone).get(agency_id, pack.bank_timezone)
        for table in DAY_TABLES:
            paths = scan_day_folder(config.landing, table, config.audit_date).files.get(agency_id)
            if paths:
                _stage_file(config, agency_id, paths, zone, table)
        return agency_id


def _stage_file(config: AuditConfig, agency_id: str, paths: tuple, zone: str, table: str = "cdr") -> str:
    """Stage the agency's file of the day of `table` (cdr, sms; `paths`: more than one is a
    conflict, see stage_cdr_file)."""
    stamp = input_stamps(paths)                         # before reading: a change while reading shows later
    staged = _STAGE[table](config.landing, paths[0], others=paths[1:], agency_id=agency_id, day=config.audit_date,
                           local_zone=zone, rulepack=config.rulepack, max_bytes=config.max_file_bytes)
    WorkDir(config).save_staged(agency_id, staged, stamp, table=table)
    return agency_id


def input_stamps(paths) -> list[dict]:
    """input_stamp of each of an agency's files of the day."""
    return [input_stamp(path) for path in paths]


def input_stamp(path) -> dict:
    """What identifies a landing file's content cheaply: path, inode, size and modification
    time (a file delivered again, by atomic rename or rewrite, changes at least one)."""
    try:
        status = os.stat(path)
    except OSError:                      # a dangling link, no permission: staging finds it unreadable
        try:
            status = os.lstat(path)
        except OSError:
            return {"path": str(path), "inode": None, "size": None, "mtime_ns": None}
    return {"path": str(path), "inode": status.st_ino, "size": status.st_size, "mtime_ns": status.st_mtime_ns}


def stage_day(config: AuditConfig) -> None:
    """Validate every staged agency file in one batch (calls, then text messages); write the
    store partitions of the day (calls and refusals, messages and opt-outs)."""
    reuse_freed_memory()
    work = WorkDir(config)
    with work.in_use():
        contracts = work.load_ingested("reference/contracts").accepted
        campaigns = work.load_ingested("reference/campaigns").accepted
        _current_staging(config, work)
        today = _validate_staged(work, config.audit_date)
        today.files += missing_files(config.landing, day=config.audit_date, contracts=contracts,
                                     agencies=config.agencies)
        today.files += stray_files(config.landing, day=config.audit_date)       # of both folders
        today.files += unread_reference_files(config.landing)
        texts = validate_staged_messages(work, config.audit_date)
        texts.files += missing_sms_files(config.landing, day=config.audit_date, contracts=contracts,
                                         agencies=config.agencies)
        opt_outs = opt_outs_among(texts.accepted, campaigns, config.rulepack.sms)
        store.write_day(config.store, config.audit_date, today.accepted if not today.accepted.empty else _no_calls(),
                        messages=texts.accepted, opt_outs=opt_outs,
                        run_id=config.run_id, wait_seconds=config.lock_wait_seconds)   # an empty day too
        work.save_ingested("day", today)
        work.save_ingested("sms-day", texts)


def _current_staging(config: AuditConfig, work: WorkDir) -> None:
    """Make the staged agency files exactly those of the files in the landing zone now: a
    staged file whose input was withdrawn is dropped, one whose input changed since it was
    staged (or that arrived after the others were staged) is staged again, here."""
    stale = set()
    for table in DAY_TABLES:
        files = scan_day_folder(config.landing, table, config.audit_date).files
        current = {a: paths for a, paths in files.items() if config.agencies is None or a in config.agencies}
        for agency_id in work.staged_agencies(table=table):
            paths = current.get(agency_id)
            if paths is None or work.staged_stamp(agency_id, table=table) != input_stamps(paths):
                work.drop_staged(agency_id, table=table)
        stale |= set(current) - set(work.staged_agencies(table=table))
    for agency_id in sorted(stale):
        stage_agency(config, agency_id)


def _validate_staged(work: WorkDir, day: dt.date) -> Ingested:
    """The staged agency files of the work directory, loaded lean and validated in batches;
    raw text is read back only for quarantined rows."""
    return validate_calls(work.load_staged(validation_columns(), lean_for_validation), day=day,
                          full_rows=work.staged_rows)


def stage_rules(config: AuditConfig, *, partition: int = 0, partitions: int = 1, workers: int = 1) -> None:
    """The rules, bank-wide, over the day's calls and the history: all of them (in `workers`
    processes), or one hash partition of the numbers (then merge_rule_partitions joins the parts)."""
    reuse_freed_memory()
    work = WorkDir(config)
    with work.in_use():
        read: list[dict] = []
        inputs = rule_inputs(config, {t: work.load_ingested(f"reference/{t}").accepted for t in REFERENCE_TABLES},
                             work.load_ingested("day").accepted, read=read,   # held by `inputs` only
                             messages=day_texts(work).accepted)
        work.save_json("history", read)
        if partitions == 1:
            found = run_rules_in_processes(inputs, workers)
        else:
            found = run_rules(inputs, partition=partition, partitions=partitions)
        name = "violations" if partitions == 1 else f"rules/part-{partition}-of-{partitions}"
        work.save_frame(name, found)
        work.save_json(f"{name}.keys", {name: key_fingerprint(config.hmac_secret)})   # which key made callee_key


def merge_rule_partitions(config: AuditConfig, partitions: int) -> None:
    """Join the findings of every rule partition into the day's violations."""
    work = WorkDir(config)
    if partitions > 1:
        with work.in_use():
            parts = [work.load_frame(f"rules/part-{k}-of-{partitions}") for k in range(partitions)]
            work.save_frame("violations", sort_violations(parts))
            keys = {}
            for k in range(partitions):
                keys.update(work.load_json(f"rules/part-{k}-of-{partitions}.keys"))
            work.save_json("violations.keys", keys)


def stage_publish(config: AuditConfig) -> AuditResult:
    """Scores, scorecards and manifest; publish the report (holding the day's report lock);
    clear the work directory."""
    reuse_freed_memory()
    work = WorkDir(config)
    with publishing(config), work.in_use():
        reference = {t: work.load_ingested(f"reference/{t}") for t in REFERENCE_TABLES}
        texts = day_texts(work)
        today = with_texts(work.load_ingested("day"), texts)
        same_key_throughout(work.load_json("violations.keys"), config)
        calls = day_calls(work, reference["campaigns"].accepted, config)
        messages = day_messages(texts, reference["campaigns"].accepted, config)
        messages = messages if not messages.empty else None            # no texts: outputs as before them
        day_cases = cases_of_day(config, work.load_frame("violations"), calls,     # decisions applied
                                 messages=messages, not_assessed=not_assessed_agencies(today.files),
                                 desk_decisions=partial(nightly.decisions_of_run, config))
        reference.update(day_cases.inputs)                                         # exceptions, disputes
        violations = day_cases.violations
        signals = complaint_signals(config, contracts=reference["contracts"].accepted, violations=violations,
                                    calls=calls, messages=messages)
        cases = escalated(day_cases.register, signals.case_complaints)   # signals.md §1: complaints escalate cases
        warnings, baseline = warning_signals.early_warnings(config, calls, violations,     # signals.md §2
                                                            numbers=signals.numbers, messages=messages)
        result = publish_report(config, reference, today, calls, violations, cases=cases,
                                history=work.load_json("history"), signals=signals, warnings=warnings,
                                warnings_baseline=baseline, desk=day_cases.desk, messages=messages)
        commit_cases(config.store, config.audit_date, run_id=config.run_id,   # published: the day's case
                     wait_seconds=config.lock_wait_seconds)                 # files join the chain
        work.remove()
    return result


def same_key_throughout(keys_used: dict[str, str], config: AuditConfig) -> None:
    """ConfigError when the stages of a run computed callee_key with different HMAC keys
    (`keys_used`: stage -> key fingerprint) or with another key than this one: the workers do
    not share one AUDIT_HMAC_SECRET, and the report would join nothing across them."""
    mine = key_fingerprint(config.hmac_secret)
    if set(keys_used.values()) <= {mine}:
        return
    used = ", ".join(f"{stage}: {fp}" for stage, fp in sorted(keys_used.items()))
    raise ConfigError(
        f"callee_key was computed with different HMAC keys in run {config.run_id} (key fingerprints {used}; "
        f"publishing here with {mine}). Not published. Give every worker the same AUDIT_HMAC_SECRET, then rerun "
        "the rule tasks (bank_wide_rules, merge_findings) and publish.")


def discard_work(config: AuditConfig) -> None:
    """Remove the run's work directory whatever happened (the DAG's last task)."""
    WorkDir(config).remove()


def rule_inputs(config: AuditConfig, tables: dict[str, pd.DataFrame], accepted: pd.DataFrame, *,
                read: list[dict] | None = None, messages: pd.DataFrame | None = None) -> RuleInputs:
    """What the rules read: the day's accepted calls (enriched) and text messages (`messages`,
    MESSAGE_COLUMNS; None for none), the history the store holds for the look-back (calls, and
    messages over the contact window), earlier refusals and opt-outs, and the reference tables.
    The store partitions read are checked against what was written (StoreError otherwise) and,
    when `read` is given, appended to it for the manifest (message partitions with texts only)."""
    calls = enrich_calls(accepted if not accepted.empty else _no_calls(), tables["campaigns"], config.rulepack)
    texts = messages if messages is not None and not messages.empty else no_messages()
    with store.reading(config.store, run_id=config.run_id, wait_seconds=config.lock_wait_seconds):
        history = read_history(config, tables["campaigns"], read=read)
        refusals = store.read_refusals_before(config.store, config.audit_date)
        message_days: list[dict] = []
        sms = MessageInputs.of_day(
            texts, tables["campaigns"], config.rulepack,
            history=store.read_message_history(config.store, config.audit_date, tables["campaigns"],
                                               config.rulepack, read=message_days),
            opt_outs=store.read_opt_outs_before(config.store, config.audit_date))
    if read is not None:
        read.extend(day for day in message_days if day["rows"])   # a day without texts: nothing read
    return RuleInputs(
        audit_date=config.audit_date,
        calls=calls.drop(columns=["disposition_code", "outcome_code"]),      # read into the flags already
        history=history, refusals=refusals, contracts=tables["contracts"],
        agents=tables["agents"], caller_numbers=tables["caller_numbers"], campaigns=tables["campaigns"],
        assignments=tables["assignments"], consents=tables["consents"], rulepack=config.rulepack,
        secret=config.hmac_secret, sms=sms)


def day_calls(work: WorkDir, campaigns: pd.DataFrame, config: AuditConfig) -> pd.DataFrame:
    accepted = work.load_ingested("day").accepted
    return enrich_calls(accepted if not accepted.empty else _no_calls(), campaigns, config.rulepack)


def ingest_earlier_days(config: AuditConfig, contracts: pd.DataFrame, *, progress: Progress) -> list[dt.date]:
    """Days before the audit day that the landing zone has (CDR or SMS files) and the store
    lacks, ingested."""
    days = sorted({dt.date.fromisoformat(p.name) for table in DAY_TABLES if (config.landing / table).is_dir()
                   for p in (config.landing / table).iterdir() if p.is_dir() and _is_iso_date(p.name)})
    ingested = []
    tables: dict[str, pd.DataFrame] = {}                 # what the early warnings' counts need, loaded once
    catalogue: dict[str, pd.DataFrame] = {}              # the campaigns (which replies opt out of what)
    for earlier in (d for d in days if d < config.audit_date and not store.has_day(config.store, d)):
        # Under the store's lock, checked again: concurrent runs (a backfill) ingest each day once.
        with store.writing(config.store, run_id=config.run_id, wait_seconds=config.lock_wait_seconds):
            if store.has_day(config.store, earlier):
                continue
            progress(f"ingesting earlier day {earlier} into the store")
            calls, messages = _validated_calls_of(dataclasses.replace(config, audit_date=earlier), contracts)
            enriched = enrich_messages(messages, campaigns_of(config, catalogue), config.rulepack.sms)
            store.write_day(config.store, earlier, calls if not calls.empty else _no_calls(), messages=messages,
                            opt_outs=opt_outs_of(enriched), run_id=config.run_id)
            record_ingested_signals(config, earlier, calls, tables, messages=enriched if not enriched.empty else None)
            ingested.append(earlier)
    return ingested


def record_ingested_signals(config: AuditConfig, day: dt.date, accepted: pd.DataFrame,
                            tables: dict[str, pd.DataFrame], *, messages: pd.DataFrame | None = None) -> None:
    """The early warnings' counts of an ingested earlier day, as its audit records them: the two
    rules they read (CONF_UNASSIGNED, FREQ_CALLING_HOURS) judge the day's calls alone, so they
    run here on it; `tables` caches the run's reference tables across days. Under the store's lock."""
    if not tables:                       # not the consents: neither rule reads them (millions of rows)
        work, needed = WorkDir(config), [t for t in REFERENCE_TABLES if t != "consents"]
        try:
            tables.update({t: work.load_ingested(f"reference/{t}").accepted for t in needed})
        except WorkMissing:              # called outside a run's stages (a backfill tool): read them here
            paths = reference_paths(config.landing)
            tables.update({t: load_reference_table(config.landing, t, paths[t], audit_date=config.audit_date,
                                                   rulepack=config.rulepack, max_bytes=config.max_file_bytes).accepted
                           for t in needed})
        tables["consents"] = pd.DataFrame({"phone_e164": pd.Series([], dtype="str")})
    calls = enrich_calls(accepted if not accepted.empty else _no_calls(), tables["campaigns"], config.rulepack)
    inputs = RuleInputs(
        audit_date=day, calls=calls,
        history=compact_history(iter(()), day, tables["campaigns"], config.rulepack, rows=0),
        refusals=_no_calls()[["callee_e164", "start_utc", "agency_id", "call_id"]], contracts=tables["contracts"],
        agents=tables["agents"], caller_numbers=tables["caller_numbers"], campaigns=tables["campaigns"],
        assignments=tables["assignments"], consents=tables["consents"], rulepack=config.rulepack,
        secret=config.hmac_secret)
    tables["assignments"] = inputs.assignments            # with its phones as integers: computed once
    findings = run_rules(inputs, only=frozenset(warning_signals.FINDING_COUNTS.values()))
    warning_signals.record_day(config.store, day, calls, findings, config.rulepack, run_id=config.run_id,
                               messages=messages)            # the day's texts (opt_out_rate), None: none


def _validated_calls_of(config: AuditConfig, contracts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every agency's accepted calls and text messages of config.audit_date, staged per agency
    and file in config.workers processes and validated in one batch, as the audit day is."""
    bank = config.rulepack.bank_timezone
    zones = agency_zones(contracts, config.audit_date, bank)
    files = [(a, paths, table) for table in DAY_TABLES
             for a, paths in sorted(scan_day_folder(config.landing, table, config.audit_date).files.items())]
    work = WorkDir(config)
    with work.in_use():
        try:
            work.claim()
            in_processes(_stage_file, [(config, a, paths, zones.get(a, bank), table) for a, paths, table in files],
                         config.workers)
            return _validate_staged(work, config.audit_date).accepted, \
                validate_staged_messages(work, config.audit_date).accepted
        finally:
            work.remove()


def read_history(config: AuditConfig, campaigns: pd.DataFrame, *, read: list[dict] | None = None) -> pd.DataFrame:
    """Earlier days the history rules look at (rolling window, cooling-off, redial), compact;
    each stored day checked against its record first (StoreError on a mismatch)."""
    pack = config.rulepack
    lookback = max(pack.rolling_window_days - 1, max(pack.cooling_off_days.values(), default=1) - 1, 1,
                   pack.sms.contact_window_days - 1)                # CONTACT_ROLLING_7D counts calls too
    days = [config.audit_date - dt.timedelta(days=n) for n in range(lookback, 0, -1)]
    with store.reading(config.store, run_id=config.run_id, wait_seconds=config.lock_wait_seconds):
        checked = store.check_days(config.store, days)
        if read is not None:
            read.extend(checked)
        return compact_history(store.read_history(config.store, [dt.date.fromisoformat(c["date"]) for c in checked]),
                               config.audit_date, campaigns, pack, rows=sum(c["rows"] for c in checked))


def _no_calls() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype="str") for c in (
        "call_id", "agency_id", "agent_id", "campaign_id", "caller_e164", "callee_e164", "disposition_code",
        "outcome_code", "call_date", "notes", "callee_zone")})
    frame["start_utc"] = pd.Series([], dtype="datetime64[ns, UTC]")
    return frame


def _is_iso_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
        return len(text) == 10
    except ValueError:
        return False


