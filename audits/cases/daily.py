"""What the pipeline calls: the day's case counts from its findings, the day's snapshot built
on the store's chain (rebuilding forward any day whose predecessor was rerun), its register, and
the decisions of exceptions.csv and disputes.csv applied to both. The day's case files wait
aside until its report is published (commit_cases): only a published day is an audited day."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from audits import store as stored
from audits.call_lookup import call_column
from audits.cases.case_store import (
    ChainLink,
    case_days,
    commit_case_day,
    continued_snapshot,
    counts_sha256,
    pending_days,
    read_counts,
    read_link,
    read_snapshot,
    write_case_day,
)
from audits.cases.channels import contact_keys, masked_ports, on_messages
from audits.cases.decision_inputs import load_decision_tables
from audits.cases.decisions import decide_cases, merged_decisions, overlay_register, with_decisions
from audits.cases.lifecycle import COUNT_COLUMNS, advance, empty_counts
from audits.cases.summary import case_register
from audits.config import AuditConfig
from audits.ingest import Ingested
from audits.manifest import MANIFEST
from audits.models import RULES_BY_ID, SubjectKind
from audits.privacy import mask_phones


@dataclass(frozen=True)
class DayCases:
    """The day's cases with their decisions (cases.md §2-4)."""

    violations: pd.DataFrame             # the day's findings, `decision` filled
    register: pd.DataFrame               # cases.csv rows, decision / exception_id / dispute_id filled
    inputs: dict[str, Ingested]          # the decision tables delivered, validated (manifest, quarantine, dq/)
    desk: object | None = None           # the desk's decisions applied (audits.desk.nightly.DeskDecisions)


def cases_of_day(config: AuditConfig, violations: pd.DataFrame, calls: pd.DataFrame, *,
                 messages: pd.DataFrame | None = None, not_assessed: frozenset[str] = frozenset(),
                 desk_decisions: Callable[[pd.DataFrame], object | None] | None = None) -> DayCases:
    """Write the day's case counts, snapshot and decisions aside, for commit_cases once the
    report is published; read the decision tables (a dispute must name a case of the snapshot:
    every case seen up to the day) and apply them to the findings and the register. The
    lifecycle counts every finding, decided or not; `not_assessed`: the agencies whose file was
    missing or unreadable (their cases neither count a quiet day nor resolve); `desk_decisions`:
    the case desk's decisions for the cases it is given (case_id, agency_id, rule_id), None
    without a desk (audits.desk.nightly.decisions_of_run); `messages`: the day's enriched
    messages (None: no texts), for the port of a sender's case."""
    day, settings = config.audit_date, config.rulepack.cases
    counts = day_counts(violations, calls, messages=messages)
    with stored.writing(config.store, run_id=config.run_id, wait_seconds=config.lock_wait_seconds):
        settle_pending(config.store, config.out)
        link, snapshot = next_snapshot(config.store, day, counts, resolve_after_days=settings.resolve_after_days,
                                       not_assessed=not_assessed)
        known = snapshot[["case_id", "agency_id", "rule_id"]]
        inputs = load_decision_tables(config, known_cases=known)
        desk = desk_decisions(known) if desk_decisions else None     # desk.md §4
        decided = decide_cases(snapshot, *decision_frames(inputs, desk), day)
        write_case_day(config.store, link, counts, snapshot, decided, run_id=config.run_id, pending=True)
    register = case_register(snapshot, day, resolve_after_days=settings.resolve_after_days, violations=violations)
    return DayCases(violations=with_decisions(violations, decided), register=overlay_register(register, decided),
                    inputs=inputs, desk=desk)


def decision_frames(inputs: dict[str, Ingested], desk) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The accepted exceptions and disputes of the reference tables, with the desk's when it has any."""
    exceptions, disputes = _accepted(inputs, "exceptions"), _accepted(inputs, "disputes")
    if desk is None:
        return exceptions, disputes
    return merged_decisions(exceptions, desk.exceptions), merged_decisions(disputes, desk.disputes)


def commit_cases(store: Path, day: dt.date, *, run_id: str, wait_seconds: float) -> None:
    """Day `day`'s report is published: the case files run `run_id` wrote join the chain (under
    the store's lock, waited for at most `wait_seconds`)."""
    with stored.writing(store, run_id=run_id, wait_seconds=wait_seconds):
        commit_case_day(store, day, run_id)


def settle_pending(store: Path, out: Path) -> None:
    """Case files waiting for a report that the run which wrote them has since published (it
    was stopped between publishing and committing) join the chain; the others stay aside,
    ignored, until their day runs again. The caller holds the store's lock."""
    for day in pending_days(store):
        run_id = published_run_id(out, day)
        if run_id is not None:
            commit_case_day(store, day, run_id)


def published_run_id(out: Path, day: dt.date) -> str | None:
    """The run id of the report published for the day under `out` (None when there is none)."""
    try:
        run_id = json.loads((out / day.isoformat() / MANIFEST).read_text(encoding="utf-8")).get("run_id")
    except (OSError, ValueError, AttributeError):
        return None
    return run_id if isinstance(run_id, str) else None


def _accepted(inputs: dict[str, Ingested], table: str) -> pd.DataFrame | None:
    """The accepted rows of a decision table; None when not delivered or unreadable."""
    readable = table in inputs and all(f.status != "unreadable" for f in inputs[table].files)
    return inputs[table].accepted if readable else None


def record_cases(store: Path, day: dt.date, violations: pd.DataFrame, calls: pd.DataFrame, *,
                 resolve_after_days: int) -> pd.DataFrame:
    """Store the day's case counts and snapshot; return the day's register (cases.csv rows)."""
    snapshot = build_snapshot(store, day, day_counts(violations, calls), resolve_after_days=resolve_after_days)
    return case_register(snapshot, day, resolve_after_days=resolve_after_days)


def day_counts(violations: pd.DataFrame, calls: pd.DataFrame, *, messages: pd.DataFrame | None = None
               ) -> pd.DataFrame:
    """One row per case with findings in `violations` (violations.csv order), sorted by case_id:
    its display bits, findings, distinct contacts (calls and texts) and the start of its latest
    finding. The caller number of a caller case comes from the day's calls, a sender's port from
    the day's `messages` (violations.csv holds only its keyed hash, in case_id).

    Counted over integer codes of the case ids; the display bits are read from each case's first
    finding only (they are the same on every finding of a case), so text work and the calls
    look-up grow with the cases, not with the findings."""
    if violations.empty:
        return empty_counts()
    codes, ids = pd.factorize(violations["case_id"], sort=True)
    cases = len(ids)
    order = np.argsort(codes, kind="stable")
    first = order[np.searchsorted(codes[order], np.arange(cases))]
    call_codes, distinct_calls = pd.factorize(contact_keys(violations))
    pairs = np.unique(codes.astype("int64") * (len(distinct_calls) + 1) + call_codes)
    heads = violations.iloc[first].reset_index(drop=True)
    kind = heads["rule_id"].map({rule_id: info.subject.value for rule_id, info in RULES_BY_ID.items()})
    display = np.select(
        [kind == SubjectKind.AGENCY.value, kind == SubjectKind.AGENT.value, kind == SubjectKind.CAMPAIGN.value,
         kind == SubjectKind.CUSTOMER.value],
        [heads["agency_id"].to_numpy(dtype=object), heads["agent_id"].to_numpy(dtype=object),
         heads["campaign_id"].to_numpy(dtype=object), heads["callee_masked"].to_numpy(dtype=object)],
        "").astype(object)
    callers = (kind == SubjectKind.CALLER.value).to_numpy()
    if callers.any():
        display[callers] = _masked_callers(heads[callers], calls, messages)
    counts = pd.DataFrame({
        "case_id": np.asarray(ids, dtype=object),
        "agency_id": heads["agency_id"].to_numpy(dtype=object),
        "rule_id": heads["rule_id"].to_numpy(dtype=object),
        "subject_kind": kind.to_numpy(dtype=object),
        "subject_display": display,
        "findings": np.bincount(codes, minlength=cases).astype("int64"),
        "calls": np.bincount(pairs // (len(distinct_calls) + 1), minlength=cases).astype("int64"),
        "last_call": violations["start_time"].groupby(codes).max().to_numpy(dtype=object),
    })
    return counts[list(COUNT_COLUMNS)]


def _masked_callers(findings: pd.DataFrame, calls: pd.DataFrame, messages: pd.DataFrame | None) -> np.ndarray:
    """The masked caller number of each finding, looked up by (agency_id, call_id) in the day's
    calls; for a finding on a message, the masked port that sent it."""
    texts = on_messages(findings)
    if not texts.any():
        return mask_phones(call_column(findings, calls, "caller_e164")).to_numpy(dtype=object)
    out = np.full(len(findings), "", dtype=object)
    out[texts] = masked_ports(findings[texts], messages).to_numpy(dtype=object)
    if (~texts).any():
        out[~texts] = mask_phones(call_column(findings[~texts], calls, "caller_e164")).to_numpy(dtype=object)
    return out


def not_assessed_agencies(files) -> frozenset[str]:
    """The agencies of the day's CDR file records (ingest.FileRecord) of which no file was read."""
    read = {f.agency_id for f in files if f.status == "ok"}
    return frozenset(f.agency_id for f in files if f.status in ("missing", "unreadable") and f.agency_id not in read)


def build_snapshot(store: Path, day: dt.date, counts: pd.DataFrame, *, resolve_after_days: int,
                   not_assessed: frozenset[str] = frozenset(), write: bool = True) -> pd.DataFrame:
    """Day `day`'s snapshot from the latest audited day before it and `counts` (next_snapshot);
    stored with the counts, and any earlier day rebuilt on the way, when `write`."""
    link, snapshot = next_snapshot(store, day, counts, resolve_after_days=resolve_after_days,
                                   not_assessed=not_assessed, write=write)
    if write:
        write_case_day(store, link, counts, snapshot)
    return snapshot


def next_snapshot(store: Path, day: dt.date, counts: pd.DataFrame, *, resolve_after_days: int,
                  not_assessed: frozenset[str] = frozenset(), write: bool = True) -> tuple[ChainLink, pd.DataFrame]:
    """Day `day`'s chain link and snapshot from the latest audited day before it and `counts`.

    Cheap per night: it reads the chain links of earlier days (one small JSON each) and the
    files of the day it continues from (checked against their record). Where a link no longer
    matches its predecessor (an earlier day was rerun, or audited for the first time, after it
    was built), that day and every later one before `day` are rebuilt from their stored counts
    (and stored when `write`), so a rerun gives what a run of the days in order would. Later
    days than `day` are left as they are until one of them (or a later day) runs. A day's
    counts are its findings as last audited: a rerun of an earlier day that changes a later
    day's findings (the history rules) needs that later day rerun too.
    """
    previous_day, previous_digest, previous = None, "", None
    rebuilding = False
    for earlier in (d for d in case_days(store) if d < day):
        link = read_link(store, earlier)
        fresh = _link(earlier, previous_day, previous_digest, link.counts_sha256, resolve_after_days,
                      link.not_assessed)
        if not rebuilding and link == fresh:
            previous_day, previous_digest = earlier, link.digest
            continue
        if not rebuilding:
            rebuilding, previous = True, read_snapshot(store, previous_day)
        earlier_counts = read_counts(store, earlier)
        previous = advance(previous, earlier_counts, earlier, resolve_after_days=resolve_after_days,
                           not_assessed=frozenset(link.not_assessed))
        if write:
            write_case_day(store, fresh, earlier_counts, previous)
        previous_day, previous_digest = earlier, fresh.digest
    if previous is None:
        previous = continued_snapshot(store, previous_day) if previous_day is not None else read_snapshot(store, None)
    snapshot = advance(previous, counts, day, resolve_after_days=resolve_after_days, not_assessed=not_assessed)
    return _link(day, previous_day, previous_digest, counts_sha256(counts), resolve_after_days,
                 tuple(sorted(not_assessed))), snapshot


def _link(day: dt.date, previous_day: dt.date | None, previous_digest: str, counts_digest: str,
          resolve_after_days: int, not_assessed: tuple[str, ...] = ()) -> ChainLink:
    return ChainLink(day=day.isoformat(), previous_day=previous_day.isoformat() if previous_day else "",
                     previous_digest=previous_digest, counts_sha256=counts_digest,
                     resolve_after_days=resolve_after_days, not_assessed=not_assessed)
