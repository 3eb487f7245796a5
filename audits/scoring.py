"""Scoring: findings + volumes + rulepack -> one score row and one Scorecard per agency.

Per family f: rate_f = contacts (calls and text messages) with a finding in f / contacts
audited, score_f = 100 * max(0, 1 - rate_f / tolerance_f). Data quality: rate = quarantined
rows / rows read (of both files); 0 when one of the agency's files (its CDR or SMS file) is
missing or unreadable while the other was read: it is still assessed on what it delivered.
Overall = weighted mean of the families, graded by the bands and then lowered by the gates
(rulepack `scoring.gates`: a critical finding, the share of calls with one, a rule of
`fail_rules`). A missing or unreadable file is "not assessed": data quality scores 0, the other
families, the overall and the grade are not assessed (blank), never 0 or F.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from audits.call_lookup import call_column
from audits.cases.channels import message_excerpts
from audits.cases.decisions import counted_findings
from audits.cases.evidence import agency_cases, as_findings
from audits.channel_cards import with_channels
from audits.config import Rulepack
from audits.models import (
    GRADE_GATES,
    GRADE_LETTERS,
    RULE_INFO,
    DataQuality,
    FamilyScore,
    Finding,
    Provenance,
    RuleLine,
    Scorecard,
    TrendPoint,
    gates_text,
    worst_first_key,
)
from audits.privacy import mask_phones

FAMILIES = ("confidentiality", "frequency", "qualification")
# Findings carried into a scorecard (and its workbook) per rule: enough evidence to act on and
# to discuss with the agency; an agency-wide finding (an expired NDA) would otherwise put every
# call of the day into the workbook. violations.csv always lists every finding.
EVIDENCE_PER_RULE = 2000
SCORE_COLUMNS = (
    "audit_date", "agency_id", "agency_name", "assessed", "file_status", "rows_read", "rows_quarantined",
    "calls_audited", "findings", "critical_findings", "calls_confidentiality", "calls_frequency",
    "calls_qualification", "score_confidentiality", "score_frequency", "score_qualification",
    "score_data_quality", "overall", "grade", "grade_capped", "change_prev_day", "change_prev_7d",
    "overall_before_decisions", "grade_before_decisions",          # cases.md §4: appended
)
# Appended after the complaint columns (signals.md §1) that the pipeline adds to scores.csv,
# then the text messages' (sms.md §3): MT messages audited and findings on messages.
GATE_COLUMN = "grade_gate"
MESSAGE_SCORE_COLUMNS = ("messages_audited", "findings_sms")
_BEFORE_DECISIONS = ("overall_before_decisions", "grade_before_decisions")
# Which calls each rule looks at (the denominator shown per rule on the scorecard).
_EVALUATED = {
    "FREQ_CALLING_HOURS": "with_purpose", "FREQ_DAILY_CAP": "attempts_with_purpose",
    "FREQ_ROLLING_7D": "attempts_with_purpose", "FREQ_COOLING_OFF": "attempts_with_purpose",
    "FREQ_RAPID_REDIAL": "attempts", "FREQ_AFTER_REFUSAL": "attempts_with_purpose",
    "CONF_NO_CONSENT": "marketing",
}


@dataclass(frozen=True)
class AgencyVolume:
    """What the agency delivered on the day."""

    agency_id: str
    agency_name: str
    file_status: str           # ok | missing | unreadable
    file_message: str
    rows_read: int
    rows_quarantined: int
    reasons: tuple[tuple[str, int], ...]
    callee_tz_not_of_number: int = 0     # calls whose callee_tz is not one of the number's zones (not a DQ error)
    file_missing: bool = False           # one of its files (CDR, SMS) is missing or unreadable, another was read


def family_score(rate: float | None, tolerance: float) -> float | None:
    if rate is None:
        return None
    return round(100.0 * max(0.0, 1.0 - rate / tolerance), 2)


def grade_for(overall: float | None, rulepack: Rulepack) -> str:
    """The band's letter of an overall ("" when not assessed)."""
    if overall is None:
        return ""
    for grade, floor in rulepack.scoring.grade_bands:
        if overall >= floor:
            return grade
    return "F"


def gate_for(*, calls_audited: int, critical_calls: int, fail_rule_hits: frozenset[str] | set[str],
             rulepack: Rulepack) -> tuple[str, str]:
    """(letter, gate): the strictest gate that applies and the grade it allows at most, ("", "")
    when none does. Among gates of one letter: a rule of fail_rules (in its order), then
    critical_share_f, critical_share_d, critical. `critical_calls`: calls with a counted critical
    finding; `fail_rule_hits`: the rules with a counted finding."""
    gates = rulepack.scoring.gates
    applying = [(rule, "F") for rule in gates.fail_rules if rule in fail_rule_hits]
    share = Fraction(critical_calls, calls_audited) if calls_audited else Fraction(0)
    for gate, letter in GRADE_GATES:
        threshold = None if gate == "critical" else getattr(gates, gate)
        if gate == "critical" and gates.critical and critical_calls:
            applying.append((gate, letter))
        elif threshold is not None and critical_calls and share >= Fraction(str(threshold)):
            applying.append((gate, letter))
    if not applying:
        return "", ""
    return min(applying, key=lambda item: -GRADE_LETTERS.index(item[1]))[::-1]


def graded(overall: float | None, *, calls_audited: int, critical_calls: int,
           fail_rule_hits: frozenset[str] | set[str], rulepack: Rulepack) -> tuple[str, str]:
    """(grade, grade_gate): the band's letter lowered by the gates; the gate is named only when
    it lowered the letter. Not assessed (overall None): ("", "")."""
    band = grade_for(overall, rulepack)
    if not band:
        return "", ""
    letter, gate = gate_for(calls_audited=calls_audited, critical_calls=critical_calls,
                            fail_rule_hits=fail_rule_hits, rulepack=rulepack)
    if gate and GRADE_LETTERS.index(letter) > GRADE_LETTERS.index(band):
        return letter, gate
    return band, ""


def score_totals(*, readable: bool, calls_audited: int, calls_by_family: dict[str, int], rows_read: int,
                 rows_quarantined: int, critical_calls: int, fail_rule_hits: frozenset[str] | set[str],
                 rulepack: Rulepack, file_missing: bool = False
                 ) -> tuple[dict[str, float | None], float | None, str, str]:
    """The formula (module docstring) over one agency's totals, of a day or of a period (the
    review sums the days' totals and scores them here): (scores per family including
    data_quality, overall, grade, grade_gate). `readable`: False when no usable file was
    delivered (data quality scores 0; the other families, overall and grade are not assessed);
    `file_missing`: a channel's file is missing although the rest was readable (data quality
    scores 0, the rest is assessed). `calls_audited` and the counts are of contacts (calls and
    messages)."""
    scoring = rulepack.scoring
    scores = {f: (family_score(calls_by_family.get(f, 0) / calls_audited, scoring.tolerances[f])
                  if readable and calls_audited else None) for f in FAMILIES}
    dq_rate = (rows_quarantined / rows_read) if readable and rows_read else None
    scores["data_quality"] = 0.0 if not readable or file_missing else family_score(
        dq_rate, scoring.tolerances["data_quality"])
    weighted = [(scoring.weights[f], s) for f, s in scores.items() if s is not None]
    weight_total = sum(w for w, _ in weighted)
    overall = (round(sum(w * s for w, s in weighted) / weight_total, 2)
               if readable and weight_total else None)
    grade, gate = graded(overall, calls_audited=calls_audited, critical_calls=critical_calls,
                         fail_rule_hits=fail_rule_hits, rulepack=rulepack)
    return scores, overall, grade, gate


def score_agencies(audit_date: dt.date, volumes: list[AgencyVolume], calls: pd.DataFrame,
                   violations: pd.DataFrame, rulepack: Rulepack, history: pd.DataFrame, *,
                   messages: pd.DataFrame | None = None) -> pd.DataFrame:
    """scores.csv rows, one per agency, sorted by agency_id. `history` = earlier scores.csv rows;
    `messages`: the day's text messages (enriched: agency_id, is_mt), None for none.

    Every count and score is over the findings that count: accepted and dismissed findings
    (`decision`, cases.md §3) do not; overall and grade before decisions are over all findings."""
    if "channel" not in violations:                   # a report before texts: every finding a call's
        violations = violations.assign(channel="call")
    sent = _messages_sent(messages)
    counted = counted_findings(violations)
    scores = _score_agencies(audit_date, volumes, calls, counted, rulepack, history, sent)
    before = scores if counted is violations else _score_agencies(audit_date, volumes, calls, violations, rulepack,
                                                                  history, sent)
    scores["overall_before_decisions"] = before["overall"].to_numpy()
    scores["grade_before_decisions"] = before["grade"].to_numpy()
    return scores[[*(c for c in SCORE_COLUMNS if c in scores), GATE_COLUMN, *MESSAGE_SCORE_COLUMNS]]


def gate_column_last(scores: pd.DataFrame) -> pd.DataFrame:
    """scores.csv as written: grade_gate, then the message columns, after the columns appended
    before them (the complaint columns), as the data contract orders them."""
    last = (GATE_COLUMN, *(c for c in MESSAGE_SCORE_COLUMNS if c in scores))
    return scores[[*(c for c in scores.columns if c not in last), *last]]


def _messages_sent(messages: pd.DataFrame | None) -> pd.Series:
    """MT messages per agency (an MO, the customer's reply, is not audited)."""
    if messages is None or messages.empty:
        return pd.Series(dtype="int64")
    return messages.loc[messages["is_mt"].to_numpy(bool), "agency_id"].value_counts()


def _score_agencies(audit_date: dt.date, volumes: list[AgencyVolume], calls: pd.DataFrame,
                    violations: pd.DataFrame, rulepack: Rulepack, history: pd.DataFrame,
                    sent: pd.Series) -> pd.DataFrame:
    audited = calls.groupby("agency_id").size() if not calls.empty else pd.Series(dtype="int64")
    tally = _finding_tally(violations, rulepack.scoring.gates.fail_rules)
    affected, findings, critical = tally["affected"], tally["findings"], tally["critical"]
    critical_calls, fail_hits = tally["critical_calls"], tally["fail_hits"]
    rows = []
    for volume in sorted(volumes, key=lambda v: v.agency_id):
        agency = volume.agency_id
        readable = volume.file_status == "ok"
        n_calls, n_messages = int(audited.get(agency, 0)), int(sent.get(agency, 0))
        counts = {f: int(affected.get((agency, f), 0)) for f in FAMILIES}
        n_critical = int(critical.get(agency, 0))
        scores, overall, grade, gate = score_totals(
            readable=readable, calls_audited=n_calls + n_messages, calls_by_family=counts,
            rows_read=volume.rows_read, rows_quarantined=volume.rows_quarantined,
            critical_calls=int(critical_calls.get(agency, 0)), fail_rule_hits=fail_hits.get(agency, frozenset()),
            rulepack=rulepack, file_missing=volume.file_missing)
        change_day, change_week = _changes(history, agency, audit_date, overall)
        rows.append({
            "audit_date": audit_date.isoformat(), "agency_id": agency, "agency_name": volume.agency_name,
            "assessed": readable, "file_status": volume.file_status, "rows_read": volume.rows_read,
            "rows_quarantined": volume.rows_quarantined, "calls_audited": n_calls,
            "findings": int(findings.get(agency, 0)), "critical_findings": n_critical,
            **{f"calls_{f}": counts[f] for f in FAMILIES},
            **{f"score_{f}": scores[f] for f in (*FAMILIES, "data_quality")},
            "overall": overall, "grade": grade or None, "grade_capped": bool(gate),
            "change_prev_day": change_day, "change_prev_7d": change_week, GATE_COLUMN: gate,
            "messages_audited": n_messages, "findings_sms": int(tally["findings_sms"].get(agency, 0)),
        })
    return pd.DataFrame(rows, columns=[*(c for c in SCORE_COLUMNS if c not in _BEFORE_DECISIONS), GATE_COLUMN,
                                       *MESSAGE_SCORE_COLUMNS])


def _assessed_history(history: pd.DataFrame) -> pd.DataFrame:
    """The earlier days on which an agency was assessed (an overall; reports that wrote a day not
    assessed as 0 say so in `assessed`)."""
    assessed = history["overall"].notna()
    if "assessed" in history:
        assessed &= history["assessed"].astype(str).str.strip().str.lower() == "true"
    return history[assessed]


def _finding_tally(violations: pd.DataFrame, fail_rules: tuple[str, ...]) -> dict[str, dict]:
    """Per agency over the findings: contacts (calls and messages) with a finding per family
    ((agency, family) -> n), findings, critical findings, contacts with a critical finding, the
    fail_rules found, and findings on messages. A contact is its id and channel. Each text
    column is hashed once (integer codes); a findings-heavy day holds half a million."""
    if violations.empty:
        return {"affected": {}, "findings": {}, "critical": {}, "critical_calls": {}, "fail_hits": {},
                "findings_sms": {}}
    agency, agencies = pd.factorize(violations["agency_id"])
    family, families = pd.factorize(violations["family"])
    on_sms = (violations["channel"] == "sms").to_numpy(bool)
    call, ids = pd.factorize(violations["call_id"])
    agency, family, call = (np.asarray(c, dtype="int64") for c in (agency, family, call))
    call, calls = call * 2 + on_sms, range(2 * len(ids))        # a contact: its id on its channel
    critical = (violations["severity"] == "critical").to_numpy()
    per_agency_call = agency * (len(calls) + 1) + call
    family_keys = _distinct(per_agency_call * (len(families) + 1) + family)
    family_pairs = np.bincount((family_keys // (len(families) + 1)) // (len(calls) + 1) * len(families)
                               + family_keys % (len(families) + 1), minlength=len(agencies) * len(families))
    critical_agencies = _distinct(per_agency_call[critical]) // (len(calls) + 1)
    failing = violations["rule_id"].isin(fail_rules).to_numpy()
    hits: dict[str, set[str]] = {}
    for code, rule in set(zip(agency[failing].tolist(), violations["rule_id"].to_numpy()[failing].tolist())):
        hits.setdefault(str(agencies[code]), set()).add(rule)

    def per(counts) -> dict[str, int]:
        return {str(a): int(n) for a, n in zip(agencies, counts) if n}

    return {
        "affected": {(str(a), str(f)): int(family_pairs[i * len(families) + j])
                     for i, a in enumerate(agencies) for j, f in enumerate(families)
                     if family_pairs[i * len(families) + j]},
        "findings": per(np.bincount(agency, minlength=len(agencies))),
        "critical": per(np.bincount(agency[critical], minlength=len(agencies))),
        "critical_calls": per(np.bincount(critical_agencies, minlength=len(agencies))),
        "fail_hits": {a: frozenset(rules) for a, rules in hits.items()},
        "findings_sms": per(np.bincount(agency[on_sms], minlength=len(agencies))),
    }


def _distinct(keys: np.ndarray) -> np.ndarray:
    """The distinct values of an integer array (a sort: numpy's hashed unique is slower here)."""
    ordered = np.sort(keys, kind="stable")
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) else ordered


def _changes(history: pd.DataFrame, agency: str, audit_date: dt.date, overall: float | None):
    """(change against the last assessed day before, against the mean of the previous 7 assessed days)."""
    if overall is None or history.empty:
        return None, None
    mine = _assessed_history(history)
    mine = mine[(mine["agency_id"] == agency) & (mine["audit_date"] < audit_date.isoformat())]
    earlier = mine.sort_values("audit_date", kind="stable")["overall"].astype(float).to_numpy()
    if not len(earlier):
        return None, None
    return round(overall - float(earlier[-1]), 2), round(overall - float(earlier[-7:].mean()), 2)


def build_scorecards(scores: pd.DataFrame, volumes: list[AgencyVolume], calls: pd.DataFrame,
                     violations: pd.DataFrame, rulepack: Rulepack, history: pd.DataFrame,
                     provenance: Provenance, *, cases: pd.DataFrame | None = None,
                     messages: pd.DataFrame | None = None) -> list[Scorecard]:
    """One presentation-ready Scorecard per scores row; `cases`: the day's case register
    (cases.csv rows), shown on each agency's scorecard with its evidence; `messages`: the day's
    enriched messages (None: no texts), shown beside the calls (channel_cards.py).

    Everything per finding is computed once over the whole day, grouped by agency (a
    findings-heavy day holds half a million findings; a boolean mask per agency cost 50 passes
    over them); Python objects are built only for the evidence kept (EVIDENCE_PER_RULE per
    rule, a few per case), never per finding."""
    by_agency = {v.agency_id: v for v in volumes}
    denominators = _denominators(calls)
    rule_counts = _counts(violations, ["agency_id", "rule_id"])
    top_agents = _top(violations, "agent_id")
    top_callers = _top(violations.assign(caller_e164=call_column(violations, calls, "caller_e164")), "caller_e164")
    hours = _hours_by_agency(violations)
    evidence = _evidence_by_agency(violations, messages)
    case_lines = agency_cases(cases, violations, messages=messages) if cases is not None else {}
    cards = []
    for row in scores.itertuples(index=False):
        agency = row.agency_id
        volume = by_agency[agency]
        rule_lines = tuple(
            RuleLine(rule_id=info.rule_id, family=info.family.value, severity=info.severity.value,
                     title=info.title, threshold=rulepack.threshold_text(info.rule_id),
                     evaluated=int(denominators.get((agency, _EVALUATED.get(info.rule_id, "all")), 0)),
                     findings=rule_counts.get((agency, info.rule_id), 0),
                     rate=_rate(rule_counts.get((agency, info.rule_id), 0),
                                int(denominators.get((agency, _EVALUATED.get(info.rule_id, "all")), 0))))
            for info in RULE_INFO if info.rule_id in rulepack.enabled_rules)
        texts = int(getattr(row, "messages_audited", 0) or 0)
        contacts = int(row.calls_audited) + texts                # the families' rates are over both channels
        families = tuple(
            FamilyScore(family=f, weight=rulepack.scoring.weights[f], score=_none(getattr(row, f"score_{f}")),
                        rate=_rate(getattr(row, f"calls_{f}"), contacts) if row.assessed else None,
                        affected=int(getattr(row, f"calls_{f}")))
            for f in FAMILIES) + (FamilyScore(
                family="data_quality", weight=rulepack.scoring.weights["data_quality"],
                score=_none(row.score_data_quality),
                rate=_rate(volume.rows_quarantined, volume.rows_read) if row.assessed else 1.0,
                affected=volume.rows_quarantined),)
        callers = top_callers.get(agency, ())
        trend = _trend(history, agency, row, rulepack.scoring.trend_days)
        cards.append(Scorecard(
            agency_id=agency, agency_name=volume.agency_name or agency, audit_date=row.audit_date,
            assessed=bool(row.assessed), calls_audited=int(row.calls_audited), overall=_none(row.overall),
            grade=_grade_text(row.grade), grade_gate=_grade_text(getattr(row, GATE_COLUMN, "")),
            critical_findings=int(row.critical_findings),
            total_findings=int(row.findings), families=families, rules=rule_lines,
            top_agents=top_agents.get(agency, ()),
            top_callers=tuple(zip(mask_phones(pd.Series([c for c, _ in callers], dtype=object)).tolist(),
                                  (n for _, n in callers))),
            findings_by_hour=hours.get(agency, (0,) * 24),
            findings=evidence.get(agency, ()),
            trend=trend, change_prev_day=_none(row.change_prev_day), change_prev_7d=_none(row.change_prev_7d),
            data_quality=DataQuality(file_status=volume.file_status, file_message=volume.file_message,
                                     rows_read=volume.rows_read,
                                     rows_accepted=volume.rows_read - volume.rows_quarantined,
                                     rows_quarantined=volume.rows_quarantined, reasons=volume.reasons,
                                     callee_tz_not_of_number=volume.callee_tz_not_of_number),
            provenance=provenance,
            grade_bands=tuple((g, float(f)) for g, f in rulepack.scoring.grade_bands),
            critical_shares=_critical_shares(rulepack),
            gates_text=gates_text(critical=rulepack.scoring.gates.critical,
                                  critical_share_d=rulepack.scoring.gates.critical_share_d,
                                  critical_share_f=rulepack.scoring.gates.critical_share_f,
                                  fail_rules=rulepack.scoring.gates.fail_rules,
                                  contacts="contacts" if texts else "calls"),
            cases=case_lines.get(agency, ()),
            # scores.csv gains these with decisions (cases.md §4); absent before, so shown only when present
            overall_before_decisions=_none(getattr(row, "overall_before_decisions", None)),
            grade_before_decisions=_grade_text(getattr(row, "grade_before_decisions", "")),
        ))
    return with_channels(cards, scores, violations, calls, messages)


def _counts(violations: pd.DataFrame, keys: list[str]) -> dict[tuple, int]:
    if violations.empty:
        return {}
    return {key: int(n) for key, n in violations.groupby(keys, sort=False).size().items()}


def _top(violations: pd.DataFrame, column: str, n: int = 10) -> dict[str, tuple[tuple[str, int], ...]]:
    """agency_id -> its `n` most frequent non-blank values of `column` among its findings, with
    their counts (most first, then by value)."""
    if violations.empty:
        return {}
    frame = violations[["agency_id", column]].dropna()
    counts = frame.groupby(["agency_id", column], sort=False).size().rename("n").reset_index()
    counts["minus"] = -counts["n"]
    top = counts.sort_values(["agency_id", "minus", column], kind="stable").groupby("agency_id", sort=False).head(n)
    out: dict[str, list[tuple[str, int]]] = {}
    for agency, value, count in zip(top["agency_id"], top[column], top["n"]):
        out.setdefault(agency, []).append((str(value), int(count)))
    return {agency: tuple(pairs) for agency, pairs in out.items()}


def _hours_by_agency(violations: pd.DataFrame) -> dict[str, tuple[int, ...]]:
    """agency_id -> findings per bank-local hour of start_time (24 counts)."""
    if violations.empty:
        return {}
    codes, agencies = pd.factorize(violations["agency_id"])
    hours = violations["start_time"].str.slice(11, 13).astype("int64").to_numpy()
    counts = np.bincount(codes * 24 + hours, minlength=len(agencies) * 24).reshape(len(agencies), 24)
    return {agency: tuple(int(h) for h in counts[k]) for k, agency in enumerate(agencies)}


def _evidence_by_agency(violations: pd.DataFrame, messages: pd.DataFrame | None = None
                        ) -> dict[str, tuple[Finding, ...]]:
    """agency_id -> its first EVIDENCE_PER_RULE findings of each rule, in violations.csv order
    (a finding on a text with its masked excerpt, when the day's `messages` are given)."""
    if violations.empty:
        return {}
    kept = violations.groupby(["agency_id", "rule_id"], sort=False).head(EVIDENCE_PER_RULE)
    if messages is not None:
        kept = kept.assign(excerpt=message_excerpts(kept, messages))
    out: dict[str, list[Finding]] = {}
    for agency, finding in zip(kept["agency_id"].tolist(), as_findings(kept)):
        out.setdefault(agency, []).append(finding)
    return {agency: tuple(findings) for agency, findings in out.items()}


def _critical_shares(rulepack: Rulepack) -> tuple[float, float]:
    gates = rulepack.scoring.gates
    return (gates.critical_share_d or 0.0, gates.critical_share_f or 0.0)


def _grade_text(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA else str(value)


def rank_worst_first(cards: list[Scorecard]) -> tuple[Scorecard, ...]:
    """Worst first (models.worst_first_key): not assessed, then F, D, C, B, A, overall, agency_id."""
    return tuple(sorted(cards, key=lambda c: worst_first_key(assessed=c.assessed and c.overall is not None,
                                                             grade=c.grade, overall=c.overall,
                                                             agency_id=c.agency_id)))


def _denominators(calls: pd.DataFrame) -> dict[tuple[str, str], int]:
    if calls.empty:
        return {}
    known = calls["purpose"].notna()
    kinds = {
        "all": pd.Series(True, index=calls.index),
        "with_purpose": known,
        "attempts": calls["is_attempt"],
        "attempts_with_purpose": calls["is_attempt"] & known,
        "marketing": calls["purpose"] == "marketing",
    }
    codes, agencies = pd.factorize(calls["agency_id"])           # one hash of the agency ids, not one per kind
    out = {}
    for kind, mask in kinds.items():
        counts = np.bincount(codes[mask.to_numpy() & (codes >= 0)], minlength=len(agencies))
        out.update({(agency, kind): int(n) for agency, n in zip(agencies, counts) if n})
    return out


def _trend(history: pd.DataFrame, agency: str, row, days: int) -> tuple[TrendPoint, ...]:
    today = dt.date.fromisoformat(row.audit_date)
    first = (today - dt.timedelta(days=days - 1)).isoformat()
    points = {}
    if not history.empty:
        mine = history[(history["agency_id"] == agency) & (history["audit_date"] >= first)
                       & (history["audit_date"] < row.audit_date)]
        assessed = set(_assessed_history(mine).index)
        for index, past in zip(mine.index, mine.itertuples(index=False)):    # not assessed: a gap
            points[past.audit_date] = (TrendPoint(past.audit_date, _none(past.overall), _grade_text(past.grade))
                                       if index in assessed else TrendPoint(past.audit_date, None, ""))
    points[row.audit_date] = TrendPoint(row.audit_date, _none(row.overall), _grade_text(row.grade))
    return tuple(points[d] for d in sorted(points))


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def _none(value) -> float | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    return float(value)
