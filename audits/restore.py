"""Rebuilding a run's work when one of its tasks is cleared after the work was removed.

A run's work directory never outlives the run: publish removes it, and so does discard_work
when anything failed. An operator who then clears a single task (fixed the cause of a failed
publish, or re-reads one agency's file) reruns a stage whose inputs are gone. Instead of
failing on the missing files, the stage rebuilds what it needs from the landing zone, in the
stages' order, each step only when its output is missing:

    reference   the reference tables (and earlier landing days the store lacks)
    day         every agency's file staged and validated; the day's store partition
    rules       every rule over the day (one process per config.workers); the history read

The result equals the original stages' (the rule partitions' union is the single run); the
work is removed again by the run's discard_work (Airflow clears it with any task, as the
teardown of resolve_run) or, failing that, by the purge after 24 h. Several cleared tasks of
one run (mapped ones) rebuild once: under an exclusive lock, each step checked again.
"""

from __future__ import annotations

import logging

from audits import locks, pipeline
from audits.config import AuditConfig
from audits.models import REFERENCE_TABLES
from audits.workdir import WorkDir

log = logging.getLogger(__name__)

STEPS = ("reference", "day", "rules")


def _done(work: WorkDir, step: str) -> bool:
    """Whether `step`'s output is complete in the work directory (each writes its record last)."""
    if step == "reference":
        return all(work.has(f"reference/{table}/ingested.json") for table in REFERENCE_TABLES)
    if step == "day":
        return work.has("day/ingested.json")
    return work.has("violations.keys.json") and work.has("history.json")


def rebuild_missing(config: AuditConfig, *, needs: str) -> list[str]:
    """Rebuild the steps up to and including `needs` whose output is missing from the run's work
    directory; returns the steps rebuilt (none in a run whose stages ran in order)."""
    if needs not in STEPS:
        raise ValueError(f"needs must be one of {STEPS}, got {needs!r}")
    steps = STEPS[: STEPS.index(needs) + 1]
    work = WorkDir(config)
    if all(_done(work, step) for step in steps):
        return []
    rebuilt: list[str] = []
    with locks.hold(work.root.with_name(f"{config.run_id}.rebuild.lock"), what=f"rebuilding {work.root}",
                    run_id=config.run_id, wait_seconds=config.lock_wait_seconds), work.in_use():
        for step in steps:
            if _done(work, step):
                continue
            log.warning("The work of run %s for %s has no %s (removed when the run published or failed, and a "
                        "task was cleared): rebuilding it from the landing zone.", config.run_id,
                        config.audit_date, step)
            _rebuild(config, work, step)
            rebuilt.append(step)
    return rebuilt


def _rebuild(config: AuditConfig, work: WorkDir, step: str) -> None:
    if step == "reference":
        if not work.root.is_dir():
            work.claim()               # records the owner (nothing else there to remove)
        pipeline.stage_reference_tables(config)
        contracts = work.load_ingested("reference/contracts").accepted
        pipeline.ingest_earlier_days(config, contracts, progress=log.info)
    elif step == "day":
        pipeline.stage_day(config)
    else:
        pipeline.stage_rules(config, workers=config.workers)


def merge_or_rebuild(config: AuditConfig, partitions: int) -> None:
    """merge_findings: join the rule partitions' findings; when they are gone (the task was
    cleared after the run's work was removed), compute every rule over the day at once instead."""
    work = WorkDir(config)
    parts = [f"rules/part-{k}-of-{partitions}.keys.json" for k in range(partitions)]
    if partitions > 1 and all(work.has(part) for part in parts):
        pipeline.merge_rule_partitions(config, partitions)
    else:
        rebuild_missing(config, needs="rules")
