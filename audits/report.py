"""The day's report: CSVs, data-quality results, scorecards and the manifest, written aside
and published atomically. A rerun keeps the report it replaces under superseded/<run id>/.

Publishing is recoverable at every instant. The report is written into <out>/.<date>.staging-*
and its manifest written last; then renames only (the old report's superseded/ entries into the
new one, the old report under the new superseded/, the new report into place). A staging
folder with a manifest is therefore a finished report that a kill may have caught mid-swap:
the next run (recover_publishes) finishes the swap; one without a manifest is discarded.
Runs of one day publish one at a time (the day's lock, `publishing`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from audits import atomic, locks
from audits.cases import decision_snapshot
from audits.cases.decisions import merged_decisions
from audits.config import AuditConfig
from audits.csv_cells import read_csv, write_csv
from audits.desk import nightly
from audits.ingest import FileRecord, Ingested
from audits.manifest import MANIFEST, output_hashes, sha256_path
from audits.models import (
    DECISION_TABLES,
    QUARANTINE_COLUMNS,
    VIOLATION_COLUMNS,
    WARNING_COLUMNS,
    IgnoredFile,
    InputFile,
    Portfolio,
    Provenance,
)
from audits.phone_zones import disagreeing_callee_tz
from audits.phones import e164_integers
from audits.privacy import key_fingerprint
from audits.rendering import default_templates_dir, write_reports
from audits.review.month_to_date import month_rows, sla_to_date, with_sla_to_date
from audits.scoring import AgencyVolume, build_scorecards, gate_column_last, rank_worst_first, score_agencies
from audits.signals.complaints import ComplaintSignals
from audits.signals.effects import with_complaint_columns, with_complaint_rates
from audits.signals.presentation import portfolio_warnings, regulator_complaints, with_warnings
from audits.signing import previous_manifest, write_manifest
from audits.sources.landing import input_source, sources_of_day


@dataclass(frozen=True)
class AuditResult:
    report_dir: Path
    agencies: int
    calls_audited: int
    findings: int
    rows_quarantined: int
    manifest: dict


def publishing(config: AuditConfig):
    """Hold the lock of the day's report (waiting up to config.lock_wait_seconds for another
    run of the same day): one run of a day publishes at a time."""
    config.out.mkdir(parents=True, exist_ok=True)
    day = config.audit_date.isoformat()
    return locks.hold(config.out / f".{day}.lock", what=f"the report of {day} in {config.out}",
                      run_id=config.run_id, wait_seconds=config.lock_wait_seconds)


def publish_report(config: AuditConfig, reference: dict[str, Ingested], today: Ingested,
                   calls: pd.DataFrame, violations: pd.DataFrame, *, cases: pd.DataFrame, history: list[dict],
                   signals: ComplaintSignals, warnings: pd.DataFrame, warnings_baseline: list[dict],
                   desk=None, messages: pd.DataFrame | None = None) -> AuditResult:
    """Write the report aside and publish it, holding the day's lock, after finishing any
    publish of the day that a kill interrupted; `history`: the store partitions the rules read;
    `signals`: the day's complaints (signals.md §1); `warnings`: the early warnings (warnings.csv
    rows), `warnings_baseline` the days they read (signals.md §2); `desk`: the desk's decisions
    applied (audits.desk.nightly.DeskDecisions; None without a desk); `today` holds the day's
    CDR and SMS files (records, quarantine, data-quality results) and its calls; `messages`: the
    day's enriched messages (messages.inputs.enrich_messages; None: no texts), scored and shown on the
    scorecards beside the calls."""
    with publishing(config):
        recover_publishes(config.out, run_id=config.run_id, days=[config.audit_date.isoformat()])
        return _publish(config, reference, today, calls, violations, cases, list(history), signals,
                        warnings, list(warnings_baseline), desk, messages)


def _publish(config: AuditConfig, reference: dict[str, Ingested], today: Ingested, calls: pd.DataFrame,
             violations: pd.DataFrame, cases: pd.DataFrame, history: list[dict], signals: ComplaintSignals,
             warnings: pd.DataFrame, warnings_baseline: list[dict], desk=None,
             messages: pd.DataFrame | None = None) -> AuditResult:
    report_dir = config.report_dir
    staging = report_dir.parent / f".{report_dir.name}.staging-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        feeds = [signals.ingested]                                      # the complaints feed
        files = [record for ingested in reference.values() for record in ingested.files] + today.files + \
            [record for ingested in feeds for record in ingested.files]
        quarantine = pd.concat([today.quarantine] + [i.quarantine for i in reference.values()]
                               + [i.quarantine for i in feeds], ignore_index=True)
        quarantine = _sorted_quarantine(quarantine)
        write_csv(violations[list(VIOLATION_COLUMNS)], staging / "violations.csv")
        write_csv(quarantine, staging / "quarantine.csv")
        write_csv(cases, staging / "cases.csv")                 # the day's case register (cases.md §4)
        decided = _decision_snapshot(reference, desk)           # the decisions applied, re-applied by verify
        write_csv(decided, staging / decision_snapshot.FILE)     # and the review (desk.md §4)
        write_csv(warnings[list(WARNING_COLUMNS)], staging / "warnings.csv")    # early warnings (signals.md §2)
        attention = _desk_attention(config, desk, cases, staging)   # desk.md §3: what the desk waits on
        volumes = _agency_volumes(config, reference["contracts"].accepted, today)
        prior = read_prior_scores(config.out, config.audit_date, trend_days=config.rulepack.scoring.trend_days)
        scores = score_agencies(config.audit_date, volumes, calls, violations, config.rulepack, prior,
                                messages=messages)
        write_csv(signals.register, staging / "complaints.csv")  # signals.md §1: complaints and their rate
        scores = with_complaint_columns(scores, signals.rates)
        scores = gate_column_last(scores)
        write_csv(scores, staging / "scores.csv")
        (staging / "dq").mkdir()
        for name, result in {**{k: v for i in reference.values() for k, v in i.dq_results.items()},
                             **today.dq_results, **{k: v for i in feeds for k, v in i.dq_results.items()}}.items():
            (staging / "dq" / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False,
                                                                    default=str) + "\n", encoding="utf-8")
        provenance = Provenance(
            run_id=config.run_id, audit_date=config.audit_date.isoformat(), rulepack_name=config.rulepack.name,
            rulepack_sha256=config.rulepack.sha256, code_version=config.code_version,
            generated_at=config.generated_at,
            inputs=tuple(InputFile(path=f.path, sha256=f.sha256, rows=f.rows_read, table=f.table, agency_id=f.agency_id)
                         for f in files))
        cards = build_scorecards(scores, volumes, calls, violations, config.rulepack, prior, provenance, cases=cases,
                                 messages=messages)
        cards = with_complaint_rates(cards, signals.rates, prior, window_days=signals.window_days,
                                     trend_days=config.rulepack.scoring.trend_days,
                                     history_days=signals.history_days)
        cards = with_warnings(cards, warnings)
        cards = with_sla_to_date(cards, sla_to_date(
            month_rows(scores, prior, config.audit_date), cases=cases, rulepack=config.rulepack,
            month_rates=signals.month_rates, audit_date=config.audit_date))
        ignored = tuple(IgnoredFile(path=f.path, reason=f.message) for f in files if f.status == "ignored")
        unread = tuple(IgnoredFile(path=f.path, reason=f.message) for f in files
                       if f.status == "unreadable" and f.table in DECISION_TABLES)
        if desk is not None and desk.not_applied():              # a tampered desk gives no decisions
            unread += (IgnoredFile(path="case desk", reason=desk.not_applied()),)
        write_reports(Portfolio(audit_date=config.audit_date.isoformat(), scorecards=rank_worst_first(cards),
                                provenance=provenance, ignored_files=ignored, unread_decisions=unread,
                                warnings=portfolio_warnings(warnings),
                                regulator_complaints=regulator_complaints(signals.register),
                                desk=attention),
                      staging, templates_dir=default_templates_dir(), workers=config.workers)
        manifest = _manifest(config, files, staging, report_dir, history)
        # verify then requires decisions.csv and decides the cases from it; it requires warnings.csv
        # and checks the baseline days' counts the warnings read
        manifest["decisions"] = {"file": decision_snapshot.FILE, "rows": len(decided)}
        if desk is not None:           # the desk's instant and chain head, signed with the manifest (desk.md §2)
            manifest["desk"] = desk.record()
        manifest["early_warnings"] = {"rows": len(warnings), "baseline": list(warnings_baseline)}
        write_manifest(staging, manifest, signing_key=config.signing_key)   # last (its signature just before)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _swap_in(staging, report_dir)                        # interrupted, recover_publishes finishes it
    return AuditResult(report_dir=report_dir, agencies=len(scores), calls_audited=len(calls),
                       findings=len(violations), rows_quarantined=len(quarantine), manifest=manifest)


def _decision_snapshot(reference: dict[str, Ingested], desk=None) -> pd.DataFrame:
    """decisions.csv: the accepted rows of the decision tables the run read (none when absent),
    and the desk's decisions it applied."""
    accepted = {t: reference[t].accepted if t in reference else None for t in ("exceptions", "disputes")}
    if desk is not None:
        accepted = {"exceptions": merged_decisions(accepted["exceptions"], desk.exceptions),
                    "disputes": merged_decisions(accepted["disputes"], desk.disputes)}
    return decision_snapshot.snapshot_rows(accepted["exceptions"], accepted["disputes"])


def _desk_attention(config: AuditConfig, desk, cases: pd.DataFrame, staging: Path):
    """With a desk: its overdue cases, proposals, waiting disputes and ending exceptions written
    to desk.csv, as the portfolio shows them (None without a desk)."""
    if desk is None:
        return None
    rows = nightly.attention_rows(desk, cases)
    write_csv(rows, staging / nightly.ATTENTION_FILE)
    return nightly.attention(rows, config.desk_base_url, state=desk.state)


def read_prior_scores(out: Path, audit_date: dt.date, *, trend_days: int) -> pd.DataFrame:
    """scores.csv of the reports under `out` before `audit_date`, for trends (the last `trend_days`
    days) and the SLA of the month so far (from its first day)."""
    frames = []
    for back in range(1, max(trend_days, audit_date.day)):
        path = out / (audit_date - dt.timedelta(days=back)).isoformat() / "scores.csv"
        if path.is_file():
            frames.append(read_csv(path, dtype={"audit_date": "str", "agency_id": "str", "grade": "str"}))
    if not frames:
        return pd.DataFrame(columns=["audit_date", "agency_id", "overall", "grade"])
    return pd.concat(frames, ignore_index=True)


def _agency_volumes(config: AuditConfig, contracts: pd.DataFrame, today: Ingested) -> list[AgencyVolume]:
    names = (contracts.sort_values(["agency_id", "contract_start_date"]).drop_duplicates("agency_id", keep="last")
             .set_index("agency_id")["agency_name"])
    reasons = today.quarantine.assign(reason=today.quarantine["reasons"].str.split(";")).explode("reason")
    volumes: dict[str, AgencyVolume] = {}
    for record in today.files:
        if record.status == "ignored":       # not an agency file: listed by the manifest and the portfolio
            continue
        mine = reasons[reasons["source"] == record.path]
        counts = tuple(sorted((str(r), int(n)) for r, n in mine["reason"].value_counts().items()))
        if record.status == "missing":
            counts = (("DQ_FILE_MISSING", 1),)
        name = names.get(record.agency_id)
        volume = AgencyVolume(
            agency_id=record.agency_id, agency_name=name if isinstance(name, str) else record.agency_id,
            file_status=record.status, file_message=record.message, rows_read=record.rows_read,
            rows_quarantined=record.rows_quarantined, reasons=counts)
        earlier = volumes.get(record.agency_id)
        volumes[record.agency_id] = volume if earlier is None else _together(earlier, volume)
    mismatched = _callee_tz_not_of_number(today.accepted)
    return [dataclasses.replace(v, callee_tz_not_of_number=mismatched.get(a, 0)) for a, v in volumes.items()]


def _callee_tz_not_of_number(calls: pd.DataFrame) -> dict[str, int]:
    """Per agency, the accepted calls whose callee_tz is not one of the number's zones (data-contract
    §1: judged in the number's zones instead; no data-quality error, shown on the scorecard)."""
    if calls.empty or "callee_zone" not in calls:
        return {}
    given = calls[calls["callee_zone"].notna()]
    wrong = disagreeing_callee_tz(e164_integers(given["callee_e164"]), given["callee_zone"])
    return {str(a): int(n) for a, n in given.loc[wrong, "agency_id"].value_counts().items()}


def _together(first: AgencyVolume, second: AgencyVolume) -> AgencyVolume:
    """One agency's volume over two of its files: its CDR and SMS files (read when one of them
    was; one missing or unreadable then scores 0 on data quality), or several files for a day
    (all unreadable)."""
    reasons: dict[str, int] = dict(first.reasons)
    for reason, count in second.reasons:
        reasons[reason] = reasons.get(reason, 0) + count
    statuses = {first.file_status, second.file_status}
    return dataclasses.replace(
        first, file_status="ok" if "ok" in statuses else first.file_status,
        file_message=first.file_message or second.file_message,
        file_missing=first.file_missing or second.file_missing or ("ok" in statuses and len(statuses) > 1),
        rows_read=first.rows_read + second.rows_read, rows_quarantined=first.rows_quarantined + second.rows_quarantined,
        reasons=tuple(sorted(reasons.items())))


def _sorted_quarantine(quarantine: pd.DataFrame) -> pd.DataFrame:
    frame = quarantine[list(QUARANTINE_COLUMNS)].copy()
    frame["row_number"] = frame["row_number"].astype("int64")
    return frame.sort_values(["source", "row_number"], kind="stable").reset_index(drop=True)


def _manifest(config: AuditConfig, files: list[FileRecord], staging: Path, report_dir: Path,
              history: list[dict]) -> dict:
    previous = report_dir / MANIFEST
    supersedes = None
    if previous.is_file():
        old = json.loads(previous.read_text(encoding="utf-8"))
        supersedes = {"run_id": old.get("run_id"), "manifest_sha256": sha256_path(previous),
                      "kept_at": f"superseded/{_safe_name(old.get('run_id') or 'unknown')}/"}
    conserved = all(f.conserved for f in files)
    if not conserved:
        broken = [f.path for f in files if not f.conserved]
        raise RuntimeError(f"Row conservation failed for {', '.join(broken[:10])}: rows read != accepted + "
                           "quarantined. This is a defect of the audit, not of the data; report it.")
    pulled = sources_of_day(config.landing, config.audit_date)     # where `pull` got each input (sources.md §2)
    return {
        "run_id": config.run_id,
        "audit_date": config.audit_date.isoformat(),
        "generated_at": config.generated_at,
        "code_version": config.code_version,
        "callee_key_fingerprint": key_fingerprint(config.hmac_secret),   # names the HMAC key, never reveals it
        "landing": str(config.landing.resolve()),
        "rulepack": {"name": config.rulepack.name, "sha256": config.rulepack.sha256,
                     "source": config.rulepack.source},            # re-hashed by verify
        "inputs": [{"path": f.path, "table": f.table, "agency_id": f.agency_id, "status": f.status,
                    "sha256": f.sha256, "rows": f.rows_read, "rows_accepted": f.rows_accepted,
                    "rows_quarantined": f.rows_quarantined, "message": f.message,
                    **input_source(pulled, f.path, f.sha256)} for f in files],
        "row_conservation": {"ok": conserved, "files": len(files),
                             "rows_read": sum(f.rows_read for f in files),
                             "rows_accepted": sum(f.rows_accepted for f in files),
                             "rows_quarantined": sum(f.rows_quarantined for f in files)},
        "store": str(config.store.resolve()),
        # Each store partition the rules read, as checked against the store's record.
        "history": [{"date": h["date"], "path": h["path"], "rows": h["rows"], "sha256": h["sha256"]} for h in history],
        "outputs": output_hashes(staging),
        "supersedes": supersedes,
        "previous_manifest": previous_manifest(config.out, config.audit_date),   # the chain (review.md §3)
    }


def _safe_name(run_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_.+" else "_" for ch in run_id)


def _swap_in(staging: Path, report_dir: Path) -> None:
    """Publish the staged (complete) report; the one it replaces goes under superseded/<run id>/.
    Renames only, each step safe to take again: recover_publishes calls this to finish a swap
    that a kill interrupted, from whichever step it reached."""
    supersedes = json.loads((staging / MANIFEST).read_text(encoding="utf-8")).get("supersedes")
    atomic.supersede_into(staging, report_dir, _safe_name((supersedes or {}).get("run_id") or "unknown"))


def recover_publishes(out: Path, *, run_id: str = "", days: list[str] | None = None) -> list[str]:
    """Finish or roll back publishes that a kill interrupted, for `days` (default: every day
    with a staging folder under <out>) whose report lock is free (or held by this process).

    A staging folder with its manifest is a complete report: its swap is finished when the
    report at the final path is still the one it supersedes, or is absent (killed between the
    renames: the old report is already inside the staging folder). Otherwise (incomplete, or a
    newer report has been published since) it is removed. Returns what it did, in words."""
    if not out.is_dir():
        return []
    pending: dict[str, list[Path]] = {}
    for path in out.iterdir():
        if path.name.startswith(".") and ".staging-" in path.name and path.is_dir():
            day = path.name[1:].split(".staging-", 1)[0]
            if days is None or day in days:
                pending.setdefault(day, []).append(path)
    done = []
    for day, stagings in sorted(pending.items()):
        try:
            with locks.hold(out / f".{day}.lock", what=f"the report of {day}", run_id=run_id, wait_seconds=0):
                for staging in sorted(stagings, key=lambda p: p.stat().st_mtime):
                    done.append(_recover(staging, out / day))
        except locks.LockTimeout:
            continue                                   # that day is being published right now
    return done


def _recover(staging: Path, report_dir: Path) -> str:
    manifest = staging / MANIFEST
    try:
        supersedes = json.loads(manifest.read_text(encoding="utf-8")).get("supersedes") or {}
    except (OSError, ValueError, AttributeError):
        supersedes = None                              # no manifest (or not a finished one): unfinished
    if supersedes is not None:
        current = report_dir / MANIFEST
        if not report_dir.exists() \
                or (current.is_file() and sha256_path(current) == supersedes.get("manifest_sha256")) \
                or (not current.is_file() and not supersedes):
            _swap_in(staging, report_dir)
            return f"finished the interrupted publish of {report_dir}"
    shutil.rmtree(staging, ignore_errors=True)
    return f"removed the unfinished report {staging}"
