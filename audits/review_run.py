"""`run_review(config)`, the review's orchestrator beside the nightly pipeline: a month's or
quarter's review from the published daily reports and the store (review.md §1-2), built,
rendered, packed and published to `<out>/reviews/<period>/`:

    manifest.json     kind "review": the daily manifests read (path + sha256), the store
                      partitions read, rulepack, code version, outputs (path -> sha256), the report
                      whose decisions were applied (`decisions`), what packs were redacted against
    scores.csv        per agency: the period's totals, rates, scores, grade, complaints, SLA
    cases.csv         every case active in the period, status at period end
    index.html, summary.xlsx, agencies/<id>.html|.xlsx
    share/<id>.zip    the agency's share pack (audits.review.packs)

Every day of the period is decided again with the decisions in force (audits.review.decisions),
and each pack is redacted against every agency the bank knows (audits.review.parties).

Nothing here reads the clock: `data_as_of` is the latest generation time of the daily reports
read, so a rerun over the same reports writes the same bytes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from audits.cases.decision_snapshot import FILE as DECISIONS_FILE
from audits.cases.decision_snapshot import decision_tables
from audits.config import Rulepack
from audits.csv_cells import write_csv
from audits.desk.nightly import RESPONSES_FILE, desk_state_as_of, response_rows
from audits.manifest import output_hashes
from audits.models import VIOLATION_COLUMNS, agency_file_stem, worst_first_key
from audits.rendering.review_reports import write_pack_scorecard, write_review_reports
from audits.review import dailies, packs, publish
from audits.review import decisions as redecide
from audits.review import sla as sla_rules
from audits.review.cards import PeriodInfo, ReviewPortfolio, ReviewProvenance
from audits.review.dailies import ReviewError
from audits.review.parties import known_parties
from audits.review.peers import compare
from audits.review.period import Period
from audits.review.period_cases import decision_counts, open_critical_days, period_cases
from audits.review.reach import numbers_called
from audits.review.scorecards import period_scorecard
from audits.review.totals import TEXT_COUNTS, agency_totals, complaint_rate, period_scores
from audits.scoring import FAMILIES

REVIEW_SCORE_COLUMNS = (
    "period", "agency_id", "agency_name", "days_in_period", "days_audited", "days_not_assessed",
    "days_without_report", "not_assessed_dates", "calls_audited", "rows_read", "rows_quarantined", "findings",
    "critical_findings", *(f"findings_{f}" for f in FAMILIES), *(f"calls_{f}" for f in FAMILIES),
    *(f"rate_{f}" for f in (*FAMILIES, "data_quality")), *(f"score_{f}" for f in (*FAMILIES, "data_quality")),
    "overall", "grade", "grade_capped", "complaints", "numbers_called", "complaint_rate_per_10k",
    "open_critical_days", *(f"sla_{c}" for c in sla_rules.CLAUSES), "sla_overall", "sla_failed",
    "grade_gate",                # appended: the gate that set the grade (rules.md, Scoring)
)
# Findings that count against the agency (cases.md §3): not accepted by an exception, not
# dismissed by an upheld dispute.
_NOT_COUNTED = ("accepted", "dismissed")


@dataclass(frozen=True)
class ReviewConfig:
    period: Period
    out: Path                    # the reports root: <out>/<YYYY-MM-DD>/ daily, <out>/reviews/<period>/ written
    store: Path
    rulepack: Rulepack
    code_version: str = "unknown"
    allow_missing_days: bool = False
    orchestrated: bool = False   # under Airflow: messages name the DAG's params, not the CLI's flags
    lock_wait_seconds: float = publish.LOCK_WAIT_SECONDS
    signing_key: object = field(default=None, repr=False, compare=False)   # Ed25519PrivateKey; None: unsigned


@dataclass(frozen=True)
class ReviewResult:
    review_dir: Path
    agencies: int
    days_read: int
    missing_days: tuple[dt.date, ...]
    outcome: str                 # published | unchanged ...
    sla_not_met: tuple[str, ...]


def run_review(config: ReviewConfig) -> ReviewResult:
    """Build the period's review and publish it (ReviewError when it cannot be made)."""
    period, out = config.period, config.out
    missing = dailies.missing_days(out, period)
    if len(missing) == len(period.days):
        raise ReviewError(f"Cannot review {period.label}: none of its days ({period.first} to {period.last}) has a "
                          f"published report in {out}. Check {'the param `out`' if config.orchestrated else '--out'}: "
                          "it is the folder that holds the daily <YYYY-MM-DD>/ reports.")
    if missing and not config.allow_missing_days:
        raise ReviewError(dailies.missing_days_message(out, period, missing, orchestrated=config.orchestrated))
    audited = [d for d in period.days if d not in set(missing)]
    reviews = out / "reviews"
    with publish.holding(reviews, period.label, wait_seconds=config.lock_wait_seconds):
        staging = publish.staging_folder(reviews, period.label)
        try:
            manifest, summary = _build(config, audited, missing, staging)
            outcome = publish.publish(staging, reviews / period.label, manifest, config.signing_key)
        except BaseException:
            packs.remove_folder(staging)
            raise
    return ReviewResult(review_dir=reviews / period.label, agencies=summary["agencies"], days_read=len(audited),
                        missing_days=tuple(missing), outcome=outcome, sla_not_met=summary["sla_not_met"])


def _build(config: ReviewConfig, audited: list[dt.date], missing: list[dt.date], staging: Path):
    period, out, rulepack = config.period, config.out, config.rulepack
    manifests = dailies.read_manifests(out, audited)
    dailies.require_outputs(period.label, manifests, "scores.csv", "the day's scores")
    latest = dailies.latest_manifest(out)
    dailies.require_outputs(period.label, [*manifests, latest], DECISIONS_FILE, "the decisions the day applied")
    current = dailies.decisions_of(out, latest)      # the decisions in force now, applied to every day
    tables = decision_tables(current.rows)
    daily_scores, _ = dailies.concat_outputs(out, manifests, "scores.csv")
    daily_cases, _ = dailies.concat_outputs(out, manifests, "cases.csv")
    daily_cases = redecide.decide_register(daily_cases, tables)
    complaints, complaint_days = dailies.concat_outputs(out, manifests, "complaints.csv")
    warnings, warning_days = dailies.concat_outputs(out, manifests, "warnings.csv")
    # Complaint data exists once the daily audit links complaints (scores.csv gains
    # complaint_rate_per_10k, complaints.csv is written); a day without complaints.csv then had none.
    if complaints is None and "complaint_rate_per_10k" in daily_scores:
        complaints = pd.DataFrame({c: pd.Series([], dtype=object) for c in
                                   ("audit_date", "complaint_id", "received_at", "channel", "category",
                                    "callee_masked", "callee_key", "named_agency", "linked_agencies",
                                    "linked_case_ids", "status")})
    agencies = _agency_names(daily_scores)
    landing = next((Path(m.landing) for m in reversed(manifests) if m.landing), None)
    parties = known_parties(agencies, config.store, landing, region=rulepack.default_region)
    redactors = {agency: packs.redactor(agency, parties) for agency in agencies}
    pack_root = staging / ".packs"
    family_findings, decisions, recounted, gate_counts = _stream_findings(
        out, manifests, redactors, pack_root, tables, rulepack.scoring.gates.fail_rules)
    published_scores = daily_scores                     # the day-by-day trend: as each report scored its day
    daily_scores = redecide.with_counts(daily_scores, recounted, {m.date.isoformat() for m in manifests})
    numbers, partitions = numbers_called(config.store, audited, rulepack.attempt_dispositions)

    cases = period_cases(daily_cases, period.label, decisions=decisions, complaints=complaints)
    scores, clauses = _scores(daily_scores, family_findings, gate_counts, cases, complaints, numbers, rulepack,
                              period, missing)
    write_csv(scores, staging / "scores.csv")
    write_csv(cases, staging / "cases.csv")

    info = PeriodInfo(label=period.label, title=period.title, first=period.first.isoformat(),
                      last=period.last.isoformat(), days=len(period.days),
                      missing_days=tuple(d.isoformat() for d in missing))
    data_as_of = max((m.generated_at for m in manifests), default="")
    provenance = ReviewProvenance(period=period.label, rulepack_name=rulepack.name, rulepack_sha256=rulepack.sha256,
                                  code_version=config.code_version, data_as_of=data_as_of,
                                  daily_manifests=tuple((m.date.isoformat(), m.sha256) for m in manifests),
                                  rulepack_note=_rulepack_note(manifests, rulepack))
    comparisons = compare(scores)
    desk_state, due_days = desk_state_as_of(config.store, data_as_of)   # due dates in responses.csv
    cards = []
    for row in scores.itertuples(index=False):
        agency = row.agency_id
        redact = redactors[agency]
        own_cases = packs.redact_frame(cases[cases["agency_id"] == agency], redact)
        own_complaints = _own_complaints(complaints, agency, set(own_cases["case_id"]))
        own_warnings = None if warnings is None else packs.redact_frame(
            warnings[warnings["agency_id"] == agency], redact)
        cards.append(period_scorecard(
            row, period=info, daily_scores=published_scores[published_scores["agency_id"] == agency],
            cases=own_cases,
            complaints=own_complaints, warnings=own_warnings, clauses=clauses[agency], peers=comparisons[agency],
            provenance=provenance, rulepack=rulepack))
        _stage_pack(pack_root / agency_file_stem(agency), own_cases, own_complaints, comparisons[agency], period,
                    agency)
        write_csv(response_rows(own_cases, state=desk_state, due_days=due_days),      # the agency's answer
                  pack_root / agency_file_stem(agency) / RESPONSES_FILE)
    ranked = tuple(sorted(cards, key=lambda c: worst_first_key(assessed=c.overall is not None, grade=c.grade,
                                                               overall=c.overall, agency_id=c.agency_id)))
    portfolio = ReviewPortfolio(period=info, scorecards=ranked, provenance=provenance,
                                sla_clauses=tuple(c.label for c in next(iter(clauses.values()), ())))
    write_review_reports(portfolio, staging)
    for card in cards:
        stem = agency_file_stem(card.agency_id)
        _finish_pack(pack_root / stem, staging / "share" / f"{stem}.zip", card, config, period, data_as_of)
    packs.remove_folder(pack_root)

    manifest = _manifest(config, manifests, missing, partitions, len(complaint_days), len(warning_days),
                         data_as_of, staging)
    manifest["decisions"] = current.record()
    manifest["redaction"] = parties.record()
    not_met = tuple(a for a, r in zip(scores["agency_id"], scores["sla_overall"]) if r == sla_rules.NOT_MET)
    return manifest, {"agencies": len(scores), "sla_not_met": not_met}


def _manifest(config: ReviewConfig, manifests, missing: list[dt.date], partitions: list[dict], complaint_days: int,
              warning_days: int, data_as_of: str, staging: Path) -> dict:
    """The review's manifest.json (its `supersedes` is added when it is published): what it read
    (daily manifests, store partitions), with what (rulepack, code) and what it wrote (`outputs`)."""
    period, rulepack, out = config.period, config.rulepack, config.out
    return {
        "kind": "review",
        "period": period.label,
        "period_kind": period.kind,
        "first_day": period.first.isoformat(),
        "last_day": period.last.isoformat(),
        "data_as_of": data_as_of,
        "code_version": config.code_version,
        "rulepack": {"name": rulepack.name, "sha256": rulepack.sha256, "source": rulepack.source},
        "reports": str(out.resolve()),
        "daily_manifests": [{"date": m.date.isoformat(), "path": m.path, "sha256": m.sha256} for m in manifests],
        "missing_days": [d.isoformat() for d in missing],
        "allow_missing_days": config.allow_missing_days,
        "daily_rulepacks": _daily_rulepacks(manifests),
        "complaint_days": complaint_days,
        "warning_days": warning_days,
        "store": str(config.store.resolve()),
        "history": [{"date": p["date"], "path": p["path"], "rows": p["rows"], "sha256": p["sha256"]}
                    for p in partitions],
        "outputs": output_hashes(staging),
    }


def _scores(daily_scores: pd.DataFrame, family_findings: dict, gate_counts: tuple[dict, dict], cases: pd.DataFrame,
            complaints: pd.DataFrame | None, numbers: dict[str, int], rulepack: Rulepack, period: Period,
            missing: list[dt.date]):
    """Review scores.csv (REVIEW_SCORE_COLUMNS) and each agency's SLA clauses."""
    totals = agency_totals(daily_scores)
    critical_calls, fail_rule_hits = gate_counts
    scores = totals.merge(period_scores(totals, rulepack, critical_calls=critical_calls,
                                        fail_rule_hits=fail_rule_hits), on="agency_id", how="left")
    agencies = scores["agency_id"]
    for family in FAMILIES:
        scores[f"findings_{family}"] = [int(family_findings.get((a, family), 0)) for a in agencies]
    scores["findings"] = scores[[f"findings_{f}" for f in FAMILIES]].sum(axis=1).astype("int64")
    longest = open_critical_days(cases)
    linked = _complaints_per_agency(complaints)
    scores["complaints"] = [None if complaints is None else int(linked.get(a, 0)) for a in agencies]
    scores["numbers_called"] = [int(numbers.get(a, 0)) for a in agencies]
    scores["complaint_rate_per_10k"] = [None if c is None else complaint_rate(c, n)
                                        for c, n in zip(scores["complaints"], scores["numbers_called"])]
    scores["open_critical_days"] = [int(longest.get(a, 0)) for a in agencies]
    clauses = {row.agency_id: sla_rules.judge(
        rulepack.review.sla, overall=_none(row.overall), open_critical_days=int(row.open_critical_days),
        complaints=None if _none(row.complaints) is None else int(row.complaints),
        complaint_rate=_none(row.complaint_rate_per_10k), not_assessed_days=int(row.days_not_assessed))
        for row in scores.itertuples(index=False)}
    for k, clause in enumerate(sla_rules.CLAUSES):
        scores[f"sla_{clause}"] = [clauses[a][k].result for a in agencies]
    scores["sla_overall"] = [sla_rules.overall_result(clauses[a]) for a in agencies]
    scores["sla_failed"] = [sla_rules.failed_text(clauses[a]) for a in agencies]
    scores["period"] = period.label
    scores["days_in_period"] = len(period.days)
    scores["days_without_report"] = len(missing)
    return scores[list(REVIEW_SCORE_COLUMNS) + _text_columns(scores)], clauses


def _text_columns(scores: pd.DataFrame) -> list[str]:
    """messages_audited and findings_sms (appended) when the period's daily reports audited texts;
    none otherwise, so a period without texts keeps its columns. findings_sms is summed as the
    daily reports published it."""
    if "messages_audited" not in scores.columns or not scores["messages_audited"].fillna(0).astype("int64").any():
        return []
    return [c for c in TEXT_COUNTS if c in scores.columns]


def _stream_findings(out: Path, manifests, redactors: dict, pack_root: Path, tables, fail_rules: tuple[str, ...]):
    """Day by day over violations.csv, each finding decided by `tables` (the decisions in force):
    findings that count per (agency, family), findings per (case,
    decision), the day's counts per agency (redecide.day_counts), what the grade gates judge
    ((calls with a counted critical finding per agency, the fail_rules with a counted finding
    per agency)), and each agency's rows appended to its pack's findings.csv (redacted)."""
    family: dict[tuple[str, str], int] = {}
    critical_calls: dict[str, int] = {}
    fail_hits: dict[str, frozenset[str]] = {}
    decisions, recounted = [], []
    columns = list(VIOLATION_COLUMNS)
    for agency in redactors:
        (pack_root / agency_file_stem(agency)).mkdir(parents=True, exist_ok=True)
    for day, frame in dailies.each_output(out, manifests, "violations.csv"):
        if frame.empty:
            continue
        frame = redecide.decide_findings(frame, day, tables)
        recounted.append(redecide.day_counts(frame, day.isoformat()))
        for column in columns:
            if column not in frame:
                frame[column] = "call" if column == "channel" else ""      # reports before texts: calls only
        counted = frame[~frame["decision"].isin(_NOT_COUNTED)]
        for (agency, fam), n in counted.groupby(["agency_id", "family"]).size().items():
            family[(agency, fam)] = family.get((agency, fam), 0) + int(n)
        critical = counted[counted["severity"] == "critical"].drop_duplicates(["agency_id", "call_id"])
        for agency, n in critical.groupby("agency_id").size().items():
            critical_calls[agency] = critical_calls.get(agency, 0) + int(n)
        failing = counted[counted["rule_id"].isin(fail_rules)]
        for agency, rules in failing.groupby("agency_id")["rule_id"].agg(frozenset).items():
            fail_hits[agency] = fail_hits.get(agency, frozenset()) | rules
        decisions.append(decision_counts(frame))
        for agency, rows in frame[columns].groupby("agency_id", sort=True):
            if agency not in redactors:              # no scores row, so no pack (verify names such findings)
                continue
            # Only `detail` can name another agency (the earlier calls a frequency rule counted, who
            # heard a refusal); every other cell of the row is the agency's own call.
            rows = rows.assign(detail=redactors[agency](rows["detail"]))
            packs.append_csv(rows, pack_root / agency_file_stem(agency) / "findings.csv")
    summed = (pd.concat(decisions, ignore_index=True).groupby(["agency_id", "case_id", "decision"], sort=True)
              ["findings"].sum().reset_index()) if decisions else decision_counts(pd.DataFrame())
    return family, summed, recounted, (critical_calls, fail_hits)


def _stage_pack(folder: Path, cases: pd.DataFrame, complaints: pd.DataFrame | None, peers, period: Period,
                agency: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    findings = folder / "findings.csv"
    if not findings.exists():
        write_csv(pd.DataFrame({c: pd.Series([], dtype=object) for c in VIOLATION_COLUMNS}), findings)
    write_csv(cases, folder / "cases.csv")
    write_csv(packs.pack_complaints(complaints, agency), folder / "complaints.csv")
    write_csv(_peer_rows(peers, period.label), folder / "peers.csv")


def _finish_pack(folder: Path, target: Path, card, config: ReviewConfig, period: Period, data_as_of: str) -> None:
    write_pack_scorecard(card, folder)
    (folder / "README.txt").write_text(packs.readme_text(card.agency_id, card.agency_name, period.title,
                                                         period.label), encoding="utf-8")
    publish.write_json(folder / "manifest.json", {
        "kind": "share_pack",
        "agency_id": card.agency_id,
        "period": period.label,
        "first_day": period.first.isoformat(),
        "last_day": period.last.isoformat(),
        "data_as_of": data_as_of,
        "code_version": config.code_version,
        "rulepack": {"name": config.rulepack.name, "sha256": config.rulepack.sha256},
        "outputs": packs.pack_outputs(folder),
    })
    publish._sign(folder / "manifest.json", config.signing_key)
    packs.zip_folder(folder, target)


def _peer_rows(peers, label: str) -> pd.DataFrame:
    rows = [{"period": label, "figure": "rank", "better": "lower", "own": peers.rank, "q1": None, "median": None,
             "q3": None, "quartile": "", "rank": peers.rank, "agencies": peers.agencies}]
    rows += [{"period": label, "figure": f.key, "better": f.better, "own": f.own, "q1": f.q1, "median": f.median,
              "q3": f.q3, "quartile": f.quartile, "rank": peers.rank, "agencies": peers.agencies}
             for f in peers.figures]
    if not peers.available:
        rows[0]["quartile"] = peers.note
    return pd.DataFrame(rows, columns=list(packs.PEER_COLUMNS), dtype=object)   # a rank stays a whole number


def _agency_names(scores: pd.DataFrame) -> dict[str, str]:
    ordered = scores.sort_values("audit_date", kind="stable")
    named = ordered[ordered["agency_name"].str.strip() != ""].groupby("agency_id")["agency_name"].last()
    return {a: str(named.get(a, "")) for a in sorted(scores["agency_id"].unique())}


def _complaints_per_agency(complaints: pd.DataFrame | None) -> dict[str, int]:
    """Complaints of the period linked to each agency: its linked agencies (signals.md §1: the
    agencies of the calls to the number in the window, and the agency the customer named)."""
    if complaints is None or complaints.empty:
        return {}
    linked = complaints["linked_agencies"].astype(str).str.split(";")
    named = complaints["named_agency"].astype(str)
    pairs = pd.DataFrame({"complaint_id": complaints["complaint_id"].to_numpy().repeat(linked.str.len()),
                          "agency_id": np.concatenate(linked.to_numpy()) if len(linked) else []})
    pairs = pd.concat([pairs, pd.DataFrame({"complaint_id": complaints["complaint_id"], "agency_id": named})])
    pairs["agency_id"] = pairs["agency_id"].str.strip()
    pairs = pairs[pairs["agency_id"] != ""].drop_duplicates()
    return pairs.groupby("agency_id").size().to_dict()


def _own_complaints(complaints: pd.DataFrame | None, agency: str, own_cases: set[str]) -> pd.DataFrame | None:
    """The complaints linked to `agency`, with `own_case_ids`: its cases among the linked ones."""
    if complaints is None:
        return None
    linked = complaints["linked_agencies"].astype(str).str.split(";").map(lambda a: agency in [x.strip() for x in a])
    mine = complaints[linked | (complaints["named_agency"].astype(str).str.strip() == agency)].copy()
    mine["own_case_ids"] = mine["linked_case_ids"].astype(str).str.split(";").map(
        lambda ids: ";".join(sorted(i.strip() for i in ids if i.strip() in own_cases)))
    return mine.sort_values(["received_at", "complaint_id"], kind="stable")


def _daily_rulepacks(manifests) -> list[dict]:
    seen: dict[tuple[str, str], int] = {}
    for m in manifests:
        key = (str(m.rulepack.get("name", "")), str(m.rulepack.get("sha256", "")))
        seen[key] = seen.get(key, 0) + 1
    return [{"name": n, "sha256": s, "days": d} for (n, s), d in sorted(seen.items())]


def _rulepack_note(manifests, rulepack: Rulepack) -> str:
    """Words when some daily reports were audited with another rulepack (or another version of
    it) than the one the review scores and judges the SLA with; "" otherwise."""
    other = [m.date.isoformat() for m in manifests if m.rulepack.get("sha256") != rulepack.sha256]
    if not other:
        return ""
    return (f"{len(other)} of the {len(manifests)} daily reports were audited with another rulepack or version "
            f"({', '.join(sorted({str(m.rulepack.get('name', '?')) for m in manifests}))}) than the one this review "
            f"scores with ({rulepack.name}, sha256 {rulepack.sha256[:12]}…); their findings stand as audited.")


def _none(value) -> float | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    return float(value)

