"""Planted case lifecycles, the decisions people made about them, and the case truth.

Cases (cases.md §1-3) span days. Three agents who are on no roster (CONF_AGENT_NOT_ACTIVE,
one case each, agent ids V901-V903 that nothing else uses) place a call on chosen days:

    V901  returning   days 0 and 1, then quiet; resolved on day 1 + RESOLVE_AFTER_DAYS; reopened
                      the day after (when the sample has that many days: 10 with cn_bank's 7)
    V902  upheld      days 0-4; the agency disputed the case on day 1 and the bank upheld it on
                      day 2: day 2's findings are dismissed (the rows are dated after days 0
                      and 1, so those nights had no decision yet), later ones count again
    V903  disputed    day 1 to the last day; the agency disputed it on day 1, still open

plus one exception: the bank accepted the NDA agency's lapsed NDA (CONF_NDA_NOT_IN_FORCE,
every subject) from day 2 to day 4 (approved on day 1); with no NDA agency (fewer than four
agencies) it accepts V903's case instead. The decisions go to reference/exceptions.csv and
reference/disputes.csv; a dispute names its case by case_id, computed here from cases.md's
formula (agent subjects are not keyed).

The case truth (`truth/cases/<date>.csv`) is replayed from every planted finding of every day
(not only these cases), written from cases.md §2-3 independently of audits/cases, with
cn_bank's resolve_after_days, every day of the sample audited, and quiet days counted only on
the days the case's agency file was read (a missing or unreadable file neither counts nor resolves):

    agency_id, rule_id, subject_kind, subject, status, first_seen, last_seen, findings_today,
    decision, exception_id, dispute_id

subject: '' (agency), agent_id, campaign_id, or the E.164 number of the customer or caller
(investigators key it with the audit's secret to get the case_id). One row per case shown on
the day (new, open, quiet, reopened, or resolved that day), sorted by agency, rule, subject.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from audits.sample.agencies import CLEAN, NDA, NORMAL, Plan
from audits.sample.plants import _on_host

RESOLVE_AFTER_DAYS = 7          # cn_bank: cases.resolve_after_days
NOT_ACTIVE = "CONF_AGENT_NOT_ACTIVE"
CASE_TRUTH_COLUMNS = ["agency_id", "rule_id", "subject_kind", "subject", "status", "first_seen", "last_seen",
                      "findings_today", "decision", "exception_id", "dispute_id"]
EXCEPTION_COLUMNS = ["exception_id", "agency_id", "rule_id", "subject", "valid_from", "valid_to", "approved_by",
                     "approved_on", "reason"]
DISPUTE_COLUMNS = ["dispute_id", "case_id", "raised_by", "raised_on", "status", "decided_by", "decided_on", "note"]
SUBJECT_KINDS = {  # cases.md §1
    "QUAL_NO_CONTRACT": "agency", "QUAL_LICENCE_INVALID": "agency", "CONF_NDA_NOT_IN_FORCE": "agency",
    "CONF_AGENT_NOT_ACTIVE": "agent", "QUAL_AGENT_UNTRAINED": "agent", "CONF_PII_IN_NOTES": "agent",
    "QUAL_UNREGISTERED_CALLER_ID": "caller", "FREQ_CALLER_DAILY_CAP": "caller",
    "FREQ_CALLING_HOURS": "campaign", "CONF_NO_CONSENT": "campaign", "QUAL_OUT_OF_SCOPE": "campaign",
    "FREQ_DAILY_CAP": "customer", "FREQ_ROLLING_7D": "customer", "FREQ_COOLING_OFF": "customer",
    "FREQ_RAPID_REDIAL": "customer", "FREQ_AFTER_REFUSAL": "customer", "CONF_UNASSIGNED": "customer",
    "SMS_DAILY_CAP": "customer", "CONTACT_ROLLING_7D": "customer", "SMS_AFTER_OPT_OUT": "customer",
    "SMS_HOURS": "campaign", "SMS_NO_CONSENT": "campaign", "SMS_PII_IN_TEXT": "campaign",
    "SMS_NO_OPT_OUT_TEXT": "campaign", "SMS_NO_SIGNATURE": "campaign", "SMS_UNREGISTERED_SENDER": "caller",
}


def case_id(agency_id: str, rule_id: str, subject: str) -> str:
    """cases.md §1: 'C-' + 12 hex of SHA-256 over agency, rule and subject joined by U+001F."""
    return "C-" + hashlib.sha256("\x1f".join((agency_id, rule_id, subject)).encode("utf-8")).hexdigest()[:12]


@dataclass
class Scheduled:
    agent: str
    agency: int                   # agency index
    days: tuple[int, ...]


@dataclass
class CasePlants:
    """Which agent calls from which agency on which days, and the decisions about them."""

    plan: Plan
    cases: list[Scheduled] = field(default_factory=list)
    exceptions: list[dict] = field(default_factory=list)
    disputes: list[dict] = field(default_factory=list)

    @classmethod
    def choose(cls, plan: Plan) -> CasePlants:
        n, r = plan.days, RESOLVE_AFTER_DAYS
        returning = (0, 1) if n > 1 else (0,)
        if n > r + 2:
            returning += (r + 2,)                              # quiet 2..r, resolved r+1, reopened r+2
        schedules = {"V901": returning, "V902": tuple(range(min(5, n))), "V903": tuple(range(min(1, n - 1), n))}
        out = cls(plan)
        used: set[int] = set()
        for agent, days in schedules.items():
            host = _host(plan, days, used)
            if host is not None:
                used.add(host)
                out.cases.append(Scheduled(agent, host, days))
        out._decide()
        return out

    def plant(self, planter, day: int) -> None:
        """The scheduled calls of `day` (a plant, like those of plants.py)."""
        for case in self.cases:
            if day in case.days:
                _on_host(planter, day, case.agency, (NOT_ACTIVE,), agent=case.agent)

    def _decide(self) -> None:
        plan, last = self.plan, self.plan.days - 1
        day = lambda k: plan.date(min(k, last)).isoformat()                # noqa: E731
        by_agent = {c.agent: c for c in self.cases}
        if "V902" in by_agent:
            case = by_agent["V902"]
            self.disputes.append(dict(
                dispute_id="DSP-0001", case_id=case_id(plan.agencies[case.agency].agency_id, NOT_ACTIVE, "V902"),
                raised_by=f"{plan.agencies[case.agency].agency_id} operations desk", raised_on=day(1), status="upheld",
                decided_by="Compliance / Zhang Min", decided_on=day(2),
                note="V902 joined on the first day; the roster file was late. Roster corrected."))
        if "V903" in by_agent:
            case = by_agent["V903"]
            self.disputes.append(dict(
                dispute_id="DSP-0002", case_id=case_id(plan.agencies[case.agency].agency_id, NOT_ACTIVE, "V903"),
                raised_by=f"{plan.agencies[case.agency].agency_id} operations desk", raised_on=day(1), status="open",
                decided_by="", decided_on="", note="V903 is a supervisor listed on the management roster."))
        nda = next((a for a in plan.agencies if a.role == NDA), None)
        if nda is not None:
            self.exceptions.append(dict(
                exception_id="EXC-0001", agency_id=nda.agency_id, rule_id="CONF_NDA_NOT_IN_FORCE", subject="",
                valid_from=day(2), valid_to=day(4), approved_by="合规部 王敏", approved_on=day(1),
                reason="NDA renewal signed by the agency; the bank's countersignature is pending."))
        elif "V903" in by_agent:
            case = by_agent["V903"]
            self.exceptions.append(dict(
                exception_id="EXC-0001", agency_id=plan.agencies[case.agency].agency_id, rule_id=NOT_ACTIVE,
                subject="V903", valid_from=day(2), valid_to=day(4), approved_by="合规部 王敏", approved_on=day(1),
                reason="Supervisor on the management roster; accepted while the roster is merged."))

    def reference_tables(self) -> dict[str, pd.DataFrame]:
        return {"exceptions": pd.DataFrame(self.exceptions, columns=EXCEPTION_COLUMNS),
                "disputes": pd.DataFrame(self.disputes, columns=DISPUTE_COLUMNS)}

    def case_truth(self, findings: dict[int, pd.DataFrame]) -> dict[int, pd.DataFrame]:
        """Per day index, the expected case register (CASE_TRUTH_COLUMNS) from the planted findings
        of every day (`findings[day]`: agency_id, rule_id, subject)."""
        counts: dict[tuple[str, str, str], dict[int, int]] = {}
        for day, frame in findings.items():
            for key, n in frame.groupby(["agency_id", "rule_id", "subject"]).size().items():
                counts.setdefault(key, {})[day] = int(n)
        rows: dict[int, list[dict]] = {day: [] for day in range(self.plan.days)}
        index = {a.agency_id: a.idx for a in self.plan.agencies}
        for key, per_day in counts.items():
            assessed = {d for d in range(self.plan.days) if self.plan.readable(d, index[key[0]])}
            for day, shown in _lifecycle(per_day, self.plan.days, assessed).items():
                decision, exception_id, dispute_id = self._decision(key, day)
                rows[day].append(dict(
                    agency_id=key[0], rule_id=key[1], subject_kind=SUBJECT_KINDS[key[1]], subject=key[2],
                    status=shown["status"], first_seen=self.plan.date(shown["first"]).isoformat(),
                    last_seen=self.plan.date(shown["last"]).isoformat(), findings_today=per_day.get(day, 0),
                    decision=decision, exception_id=exception_id, dispute_id=dispute_id))
        return {day: pd.DataFrame(r, columns=CASE_TRUTH_COLUMNS).sort_values(["agency_id", "rule_id", "subject"],
                                                                             kind="stable").reset_index(drop=True)
                for day, r in rows.items()}

    def _decision(self, key: tuple[str, str, str], day: int) -> tuple[str, str, str]:
        """cases.md §3 for one case on one day: upheld (to decided_on) dismisses, an exception in
        force accepts, an open dispute disputes; a row dated after the day is not a decision yet."""
        agency_id, rule_id, subject = key
        date = self.plan.date(day).isoformat()
        exception = next((e for e in self.exceptions if e["agency_id"] == agency_id and e["rule_id"] == rule_id
                          and e["subject"] in ("", subject) and e["valid_from"] <= date <= e["valid_to"]
                          and e["approved_on"] <= date), None)
        dispute = next((d for d in self.disputes if d["case_id"] == case_id(*key) and d["raised_on"] <= date
                        and d["decided_on"] <= date), None)
        exception_id = exception["exception_id"] if exception else ""
        dispute_id = dispute["dispute_id"] if dispute else ""
        if dispute and dispute["status"] == "upheld" and date <= dispute["decided_on"]:
            return "dismissed", exception_id, dispute_id
        if exception:
            return "accepted", exception_id, dispute_id
        if dispute and dispute["status"] == "open":
            return "disputed", exception_id, dispute_id
        return "", exception_id, dispute_id


def _host(plan: Plan, days: tuple[int, ...], used: set[int]) -> int | None:
    """An in-force agency without agency-level plants whose files of `days` are all audited,
    one not used yet if there is one."""
    fits = [a.idx for a in plan.agencies if a.role not in (CLEAN,) and a.in_force
            and all(plan.readable(d, a.idx) for d in days)]
    preferred = sorted(fits, key=lambda idx: (idx in used, plan.agencies[idx].role != NORMAL, idx))
    return preferred[0] if preferred else None


def _lifecycle(per_day: dict[int, int], days: int, assessed: set[int]) -> dict[int, dict]:
    """cases.md §2 replayed for one case over audited days 0..days-1 (`assessed`: the days its
    agency's file was read): {day: {status, first, last}} for each day the case is shown."""
    shown, status, first, last, quiet = {}, None, None, None, 0
    for day in range(days):
        if per_day.get(day, 0):
            status = "new" if status is None else "reopened" if status == "resolved" else "open"
            if status in ("new", "reopened"):
                first = day
            last, quiet = day, 0
        elif status is None or (status == "resolved"):
            continue
        else:
            quiet += day in assessed
            status = "resolved" if day in assessed and quiet >= RESOLVE_AFTER_DAYS else "quiet"
        shown[day] = {"status": status, "first": first, "last": last}
    return shown


def subjects_of(findings: pd.DataFrame, calls: pd.DataFrame) -> pd.DataFrame:
    """The day's planted findings (agency_id, call_id, rule_id) with their case subject, from
    the day's calls (agency_id, call_id, agent, campaign, callee, caller; callee a national
    mobile number, caller a national number with its trunk 0)."""
    joined = findings.merge(calls.drop_duplicates(["agency_id", "call_id"]), on=["agency_id", "call_id"],
                            how="left", validate="many_to_one")
    kind = joined["rule_id"].map(SUBJECT_KINDS)
    subject = pd.Series("", index=joined.index, dtype=object)
    for name, column in (("agent", "agent"), ("campaign", "campaign")):
        subject[kind == name] = joined.loc[kind == name, column].astype(str)
    subject[kind == "customer"] = "+86" + joined.loc[kind == "customer", "callee"].astype("int64").astype(str)
    subject[kind == "caller"] = "+86" + joined.loc[kind == "caller", "caller"].astype(str).str[1:]
    return joined[["agency_id", "rule_id"]].assign(subject=subject.to_numpy(dtype=object))


def write_case_truth(landing: Path, plan: Plan, truth: dict[int, pd.DataFrame], csv) -> None:
    for day, frame in truth.items():
        csv(landing / "truth" / "cases" / f"{plan.date(day).isoformat()}.csv", frame)
