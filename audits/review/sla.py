"""The SLA clauses of the rulepack's `review.sla`, judged per agency over the period.

Every clause is met at its boundary (a score of exactly `min_overall_score`, a case open exactly
`max_open_critical_days` days, ...). A clause the rulepack leaves out (null), or that the
period's reports cannot judge (no complaint data in any of them), is `n/a` and does not count
towards the overall result, which is `met` when every judged clause is.
"""

from __future__ import annotations

from dataclasses import dataclass

from audits.config import SlaSettings

MET, NOT_MET, NOT_JUDGED = "met", "not met", "n/a"
CLAUSES = ("min_overall_score", "max_open_critical_days", "max_complaint_rate_per_10k", "max_not_assessed_days")


@dataclass(frozen=True)
class ClauseResult:
    clause: str              # one of CLAUSES
    label: str               # "Overall score at least 85"
    threshold: float | None  # None: not part of the SLA
    actual: float | None     # None: nothing to judge
    result: str              # met | not met | n/a
    margin: float | None     # headroom (>= 0) or shortfall (< 0), in the clause's unit
    text: str                # the result in words, with by how much


def judge(sla: SlaSettings, *, overall: float | None, open_critical_days: int, complaints: int | None,
          complaint_rate: float | None, not_assessed_days: int) -> tuple[ClauseResult, ...]:
    """Each clause for one agency. `complaints` None: the period's reports hold no complaint data."""
    return (
        _overall(sla.min_overall_score, overall),
        _at_most("max_open_critical_days", sla.max_open_critical_days, open_critical_days,
                 f"No critical case open longer than {_days(sla.max_open_critical_days)} at period end"
                 if sla.max_open_critical_days is not None else "",
                 "Longest open critical case",
                 lambda a, m: (f"longest open critical case {_days(a)}" if a else "no critical case open")
                 + _by(m, "day", "over the limit", "within it")),
        _complaints(sla.max_complaint_rate_per_10k, complaints, complaint_rate),
        _at_most("max_not_assessed_days", sla.max_not_assessed_days, not_assessed_days,
                 f"At most {_days(sla.max_not_assessed_days)} not assessed" if sla.max_not_assessed_days is not None
                 else "", "Days not assessed",
                 lambda a, m: f"{_days(a)} not assessed" + _by(m, "day", "over the limit", "within it")),
    )


def overall_result(clauses: tuple[ClauseResult, ...]) -> str:
    judged = [c for c in clauses if c.result != NOT_JUDGED]
    return MET if all(c.result == MET for c in judged) else NOT_MET


def failed_text(clauses: tuple[ClauseResult, ...]) -> str:
    """"" when every judged clause is met; else the failed clauses in words, "; "-joined."""
    return "; ".join(f"{c.label}: {c.text}" for c in clauses if c.result == NOT_MET)


def _overall(minimum: float | None, overall: float | None) -> ClauseResult:
    clause = "min_overall_score"
    if minimum is None:
        return _off(clause, "Overall score (no minimum in the SLA)", overall)
    label = f"Overall score at least {_n(minimum)}"
    if overall is None:
        return ClauseResult(clause, label, minimum, None, NOT_MET, None, "no overall score: not assessed")
    margin = round(overall - minimum, 2)
    text = f"{overall:.2f}, " + (f"{margin:.2f} points above the minimum" if margin > 0 else
                                 "exactly the minimum" if margin == 0 else
                                 f"{-margin:.2f} points below the minimum")
    return ClauseResult(clause, label, minimum, overall, MET if margin >= 0 else NOT_MET, margin, text)


def _at_most(clause: str, limit: float | None, actual: float, label: str, measure: str, words) -> ClauseResult:
    if limit is None:
        return _off(clause, f"{measure} (not in the SLA)", actual)
    margin = round(limit - actual, 4)
    return ClauseResult(clause, label, limit, actual, MET if margin >= 0 else NOT_MET, margin, words(actual, margin))


def _complaints(limit: float | None, complaints: int | None, rate: float | None) -> ClauseResult:
    clause = "max_complaint_rate_per_10k"
    if limit is None:
        return _off(clause, "Complaint rate (not in the SLA)", rate)
    label = f"Complaint rate at most {_n(limit)} per 10,000 numbers called"
    if complaints is None:
        return ClauseResult(clause, label, limit, None, NOT_JUDGED, None,
                            "not judged: the period's reports hold no complaint data")
    if rate is None:               # no number called in the period
        if complaints:
            return ClauseResult(clause, label, limit, None, NOT_MET, None,
                                f"{complaints} complaint(s) and no number called in the period")
        rate = 0.0
    margin = round(limit - rate, 4)
    text = f"{rate:g} per 10,000 ({complaints} complaint{'' if complaints == 1 else 's'})" + (
        f", {margin:g} under the limit" if margin > 0 else ", exactly the limit" if margin == 0
        else f", {-margin:g} over the limit")
    return ClauseResult(clause, label, limit, rate, MET if margin >= 0 else NOT_MET, margin, text)


def _off(clause: str, label: str, actual: float | None) -> ClauseResult:
    return ClauseResult(clause, label, None, actual, NOT_JUDGED, None, "not part of the SLA")


def _by(margin: float, unit: str, over: str, within: str) -> str:
    amount = abs(int(margin)) if float(margin).is_integer() else abs(margin)
    if margin < 0:
        return f": {amount:g} {unit}{'' if amount == 1 else 's'} {over}"
    if margin == 0:
        return ": exactly the limit"
    return f": {amount:g} {unit}{'' if amount == 1 else 's'} {within}"


def _days(count: float) -> str:
    return f"{count:g} day{'' if count == 1 else 's'}"


def _n(value: float | None) -> str:
    return "" if value is None else f"{value:g}"
