"""Planted rule violations: the Planter (shared helpers) and the single-call plants.

Every planted case uses fresh customer numbers, so it never interacts with the background or
with another case except where a case is built to (history plants in history.py). A planted
call is clean apart from the rules it is planted for: registered caller (rotated at
assembly), active trained agent, assigned number, consent for marketing, inside hours.
Row rules are recorded on the call; agency-level rules are added at assembly.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from audits.sample.agencies import BANK_TZ, CLEAN, CUSTOMER_TZ, Plan, day_midnight_ms, local_ms, zone_offset_s
from audits.sample.calls import DISP_P, DISPOSITIONS, OUTCOME_P, OUTCOMES, SECOND_STYLES
from audits.sample.notes import pii_note
from audits.sample.reference import NEVER, OPEN, PURPOSE_CODES, Callers, Numbers, Roster

BASE_COUNTS = {  # cases per day at 20,000 calls a day
    "FREQ_CALLING_HOURS": 8, "FREQ_DAILY_CAP": 4, "FREQ_ROLLING_7D": 3, "FREQ_COOLING_OFF": 4,
    "FREQ_RAPID_REDIAL": 5, "FREQ_AFTER_REFUSAL": 4, "CONF_UNASSIGNED": 6, "CONF_NO_CONSENT": 5,
    "CONF_AGENT_NOT_ACTIVE": 5, "CONF_PII_IN_NOTES": 8, "QUAL_OUT_OF_SCOPE": 3,
    "QUAL_AGENT_UNTRAINED": 5, "QUAL_UNREGISTERED_CALLER_ID": 5, "DECOYS": 8, "DQ": 2,
}
DAY_MS = 86_400_000
H = 3600


class Planter:
    def __init__(self, plan: Plan, roster: Roster, callers: Callers, numbers: Numbers,
                 rng: np.random.Generator, calls_per_day: int):
        self.plan, self.roster, self.callers, self.numbers, self.rng = plan, roster, callers, numbers, rng
        self.scale = calls_per_day / 20_000
        self.calls: dict[int, list[dict]] = defaultdict(list)
        self.assignments: list[dict] = []     # agency, campaign, number, customer, from, to
        self.consents: list[dict] = []        # number, customer, consent_ms, withdrawn_ms (-1 = blank)

    # --- helpers ------------------------------------------------------------------------

    def count(self, key: str, cap: int = 200) -> int:
        base = BASE_COUNTS[key]
        return int(min(max(1, round(base * self.scale)), cap, base * 25))

    def choice(self, items):
        return items[int(self.rng.integers(len(items)))]

    def hosts(self, day: int, purpose: str | None = None, also: tuple[int, ...] = (),
              need_tz: bool = False) -> list[int]:
        """In-force, non-clean agencies whose files for `day` (and days `also`) are audited."""
        out = []
        for a in self.plan.agencies:
            if a.role == CLEAN or not a.in_force or (need_tz and not a.has_callee_tz):
                continue
            if not all(self.plan.readable(d, a.idx) for d in (day, *also)):
                continue
            if purpose and not self.plan.in_scope(a, purpose):
                continue
            out.append(a.idx)
        return out

    def two_hosts(self, day: int, purpose: str, also: tuple[int, ...] = ()) -> list[int]:
        hosts = self.hosts(day, purpose, also)
        if len(hosts) >= 2:
            return [int(x) for x in self.rng.choice(hosts, 2, replace=False)]
        return hosts[:1]

    def campaign(self, a: int, purpose: str) -> str:
        return self.choice(self.plan.in_scope(self.plan.agencies[a], purpose))

    def purposes(self, day: int) -> list[str]:
        return [p for p in PURPOSE_CODES if self.hosts(day, p)]

    def customer(self, links: list[tuple[int, str]], *, consent: bool | None = None,
                 assigned_from: int | None = None, assigned_to: int = OPEN) -> int:
        """A fresh number assigned to each (agency, campaign); consent when marketing."""
        number, customer = self.numbers.one()
        for a, campaign in links:
            since = -int(self.rng.integers(5, 300)) if assigned_from is None else assigned_from
            self.assignments.append({"agency": a, "campaign": campaign, "number": number, "customer": customer,
                                     "from": since, "to": assigned_to})
        if consent is None:
            consent = any(self.plan.purpose(c) == "marketing" for _, c in links)
        if consent:
            self.add_consent(number, customer, self.day_ms(0) - int(self.rng.integers(20, 500)) * DAY_MS)
        return number

    def add_consent(self, number: int, customer: int | None, consent_ms: int, withdrawn_ms: int = -1) -> None:
        self.consents.append({"number": number, "customer": customer, "consent_ms": consent_ms,
                              "withdrawn_ms": withdrawn_ms})

    def customer_of(self, number: int) -> int:
        return next(r["customer"] for r in self.assignments if r["number"] == number)

    def day_ms(self, day: int) -> int:
        """Bank-zone midnight of a day (epoch ms)."""
        return day_midnight_ms(self.plan.date(0), zone_offset_s(BANK_TZ, self.plan.date(0))) + day * DAY_MS

    def bank_day(self, ms: int) -> int:
        return (ms - self.day_ms(0)) // DAY_MS

    def at(self, a: int | str, day: int, lo: float = 9 * H, hi: float = 19 * H) -> int:
        """A random whole second in [lo, hi) local time of an agency's customers (or of a zone
        name): CUSTOMER_TZ, the zone their calling hours are judged in, whatever the agency's."""
        tz = a if isinstance(a, str) else CUSTOMER_TZ
        return local_ms(tz, self.plan.date(day), int(self.rng.integers(int(lo), int(hi))))

    def local(self, a: int | str, day: int, seconds: float) -> int:
        """`seconds` after midnight, local time of an agency's customers (or of a zone name)."""
        tz = a if isinstance(a, str) else CUSTOMER_TZ
        return local_ms(tz, self.plan.date(day), seconds)

    def agent(self, a: int, day: int) -> str:
        ids = self.roster.eligible(a, day)
        return str(ids[int(self.rng.integers(ids.size))])

    def disposition(self, purpose: str | None, *, attempt: bool = False, conversation: bool = True,
                    refused: bool = False) -> tuple[str, str]:
        """A random disposition/outcome; attempt=True excludes BUSY/FAILED, conversation=False
        excludes conversations, refused=False excludes REFUSED."""
        p = purpose or "collection"
        while True:
            disp = DISPOSITIONS[int(self.rng.choice(6, p=DISP_P[p]))]
            outcome = OUTCOMES[int(self.rng.choice(4, p=OUTCOME_P[p]))] if disp == "ANSWERED" else ""
            if attempt and disp in ("BUSY", "FAILED"):
                continue
            if not conversation and outcome in ("RIGHT_PARTY", "REFUSED", "COMPLAINT"):
                continue
            if not refused and outcome == "REFUSED":
                continue
            return disp, outcome

    def add(self, day: int, a: int, campaign: str, callee: int, start_ms: int, *,
            disp: str | None = None, outcome: str | None = None, rules: tuple[str, ...] = (),
            agent: str | None = None, caller: str = "", callee_tz: str = "", notes: str | None = None,
            style: int | None = None, dq: str = "", override: dict | None = None,
            answer_ms: int | None = None, end_ms: int | None = None, file_day: int | None = None) -> dict:
        file_day = day if file_day is None else file_day
        if not dq and self.bank_day(start_ms) != file_day:
            raise AssertionError(f"planted call on day {file_day} starts on bank day {self.bank_day(start_ms)}")
        if disp is None:
            disp, drawn = self.disposition(self.plan.purpose(campaign), refused=False)
            outcome = drawn if outcome is None else outcome
        if outcome is None:
            outcome = self.disposition("collection", attempt=True, refused=False)[1] if disp == "ANSWERED" else ""
        if style is None:
            primary = self.plan.agencies[a].ts_primary
            style = primary if primary in SECOND_STYLES and self.rng.random() < 0.6 else self.choice(SECOND_STYLES)
        row = {"agency": a, "campaign": campaign, "callee": callee, "callee_tz": callee_tz,
               "agent": agent or self.agent(a, day), "caller": caller, "start_ms": int(start_ms),
               "disp": disp, "outcome": outcome, "notes": notes, "style": style, "kind": "plant",
               "rules": tuple(sorted(rules)), "dq": dq, "override": override,
               "answer_ms": answer_ms, "end_ms": end_ms}
        self.calls[file_day].append(row)
        return row


# --- single-call plants ------------------------------------------------------------------

def calling_hours(pl: Planter, day: int) -> None:
    rule = ("FREQ_CALLING_HOURS",)
    for i in range(pl.count("FREQ_CALLING_HOURS")):
        variant = i % 4
        if variant == 0:                                   # evening, at/after 21:00 local
            purpose = pl.choice([p for p in ("marketing", "servicing") if pl.hosts(day, p)] or ["collection"])
            hosts = pl.hosts(day, purpose)
            if not hosts:
                continue
            a = pl.choice(hosts)
            end = 22 * H if purpose == "collection" else 21 * H
            seconds = end if i == 0 else end + int(pl.rng.integers(0, 50 * 60))
            start = pl.local(a, day, seconds)
            if pl.bank_day(start) != day:
                start = pl.local(a, day, 7 * H + int(pl.rng.integers(0, H)))
            _fresh(pl, day, a, purpose, start, rule)
        elif variant in (1, 2):                            # early morning, before 08:00 local
            purpose = pl.choice(pl.purposes(day) or ["collection"])
            hosts = pl.hosts(day, purpose)
            if hosts:
                a = pl.choice(hosts)
                _fresh(pl, day, a, purpose, pl.local(a, day, 7 * H + int(pl.rng.integers(600, H))), rule)
        else:                     # a callee_tz that is not the number's zone, in hours there: still a finding
            purpose = pl.choice(pl.purposes(day) or ["collection"])
            hosts = pl.hosts(day, purpose, need_tz=True)
            if hosts:
                a = pl.choice(hosts)
                if i % 8 == 3:                                                   # 23:xx Beijing, 15:xx London
                    start, zone = pl.local(a, day, 23 * H + int(pl.rng.integers(0, 55 * 60))), "Europe/London"
                else:                                                            # 06:xx Beijing, 12:xx Kiritimati
                    start, zone = pl.local(a, day, 6 * H + int(pl.rng.integers(0, 55 * 60))), "Pacific/Kiritimati"
                _fresh(pl, day, a, purpose, start, rule, callee_tz=zone)


def _fresh(pl: Planter, day: int, a: int, purpose: str, start: int, rules: tuple[str, ...], **kw) -> dict:
    campaign = pl.campaign(a, purpose)
    return pl.add(day, a, campaign, pl.customer([(a, campaign)]), start, rules=rules, **kw)


def unassigned(pl: Planter, day: int) -> None:
    rule = ("CONF_UNASSIGNED",)
    for i in range(pl.count("CONF_UNASSIGNED")):
        purpose = pl.choice([p for p in ("servicing", "collection") if pl.hosts(day, p)] or [None])
        if purpose is None:
            return
        a = pl.choice(pl.hosts(day, purpose))
        campaign = pl.campaign(a, purpose)
        variant = i % 4
        others = [b.idx for b in pl.plan.agencies if b.idx != a]
        if variant == 0 and others:                        # entrusted to another agency only
            b = pl.choice(others)
            number = pl.customer([(b, pl.plan.agencies[b].campaigns[0])])
        elif variant == 1:                                 # assignment ended the day before
            number = pl.customer([(a, campaign)], assigned_to=day - 1)
        elif variant == 2:                                 # assignment starts the day after
            number = pl.customer([(a, campaign)], assigned_from=day + 1)
        else:                                              # never entrusted to anyone
            number = pl.numbers.one()[0]
        pl.add(day, a, campaign, number, pl.at(a, day), rules=rule)


def no_consent(pl: Planter, day: int) -> None:
    rule = ("CONF_NO_CONSENT",)
    hosts = pl.hosts(day, "marketing")
    for i in range(pl.count("CONF_NO_CONSENT") if hosts else 0):
        a = pl.choice(hosts)
        campaign = pl.campaign(a, "marketing")
        number = pl.customer([(a, campaign)], consent=False)
        customer = pl.customer_of(number)
        start = pl.at(a, day)
        variant = i % 5
        if variant == 1:                                   # in the register, never consented
            pl.add_consent(number, customer, -1)
        elif variant == 2:                                 # consent given later that day
            pl.add_consent(number, customer, start + int(pl.rng.integers(1, 5 * H)) * 1000)
        elif variant == 3:                                 # withdrawn before the call
            withdrawn = start - int(pl.rng.integers(60, 3 * 86_400)) * 1000
            pl.add_consent(number, customer, start - 200 * DAY_MS, withdrawn)
        elif variant == 4:                                 # withdrawn at the very second of the call
            pl.add_consent(number, customer, start - 90 * DAY_MS, start)
        pl.add(day, a, campaign, number, start, rules=rule)


def agent_not_active(pl: Planter, day: int) -> None:
    rule = ("CONF_AGENT_NOT_ACTIVE",)
    rng = pl.rng
    for i in range(pl.count("CONF_AGENT_NOT_ACTIVE")):
        hosts = pl.hosts(day)
        if not hosts:
            return
        a = pl.choice(hosts)
        variant = i % 3
        if variant == 0:                                   # left before the day, training still valid
            agent = pl.roster.add(a, active_from=day - int(rng.integers(200, 600)),
                                  active_to=day - int(rng.integers(1, 30)),
                                  trained_on=day - int(rng.integers(40, 300)))
        elif variant == 1:                                 # starts after the day
            agent = pl.roster.add(a, active_from=day + int(rng.integers(1, 20)),
                                  trained_on=day - int(rng.integers(1, 30)))
        else:                                              # not on the agency's roster at all
            agent = f"T{int(rng.integers(100, 1000))}"
        _on_host(pl, day, a, rule, agent=agent)


def _on_host(pl: Planter, day: int, a: int, rules: tuple[str, ...], **kw) -> dict | None:
    purposes = [p for p in PURPOSE_CODES if pl.plan.in_scope(pl.plan.agencies[a], p)]
    if not purposes:
        return None
    return _fresh(pl, day, a, pl.choice(purposes), kw.pop("start_ms", None) or pl.at(a, day), rules, **kw)


def pii_in_notes(pl: Planter, day: int) -> None:
    rule = ("CONF_PII_IN_NOTES",)
    for _ in range(pl.count("CONF_PII_IN_NOTES")):
        hosts = pl.hosts(day)
        if hosts:
            mobile = pl.numbers.one()[0]
            _on_host(pl, day, pl.choice(hosts), rule, notes=pii_note(pl.rng, mobile),
                     disp="ANSWERED", outcome="RIGHT_PARTY")


def out_of_scope(pl: Planter, day: int) -> None:
    rule = ("QUAL_OUT_OF_SCOPE",)
    yymm = pl.plan.start.strftime("%y%m")
    for i in range(pl.count("QUAL_OUT_OF_SCOPE")):
        hosts = pl.hosts(day)
        if not hosts:
            return
        a = pl.choice(hosts)
        agency = pl.plan.agencies[a]
        lacking = [c for c, (p, _) in pl.plan.campaigns.items()
                   if p not in {pl.plan.purpose(x) for x in agency.campaigns}]
        if i % 2 == 1 and lacking:                         # a purpose the contract does not permit
            campaign = pl.choice(lacking)
            pl.add(day, a, campaign, pl.customer([(a, campaign)]), pl.at(a, day), rules=rule)
        else:                                              # a campaign the bank never set up
            number = pl.customer([(a, agency.campaigns[0])])
            pl.add(day, a, f"EXT-{agency.abbr}-{yymm}", number, pl.at(a, day), rules=rule)


def agent_untrained(pl: Planter, day: int) -> None:
    rule = ("QUAL_AGENT_UNTRAINED",)
    rng = pl.rng
    for i in range(pl.count("QUAL_AGENT_UNTRAINED")):
        hosts = pl.hosts(day)
        if not hosts:
            return
        a = pl.choice(hosts)
        since = day - int(rng.integers(60, 900))
        trained = (NEVER, day - int(rng.integers(367, 900)), day + int(rng.integers(1, 30)), day - 366)[i % 4]
        agent = pl.roster.add(a, active_from=since, trained_on=trained)
        _on_host(pl, day, a, rule, agent=agent)


def unregistered_caller(pl: Planter, day: int) -> None:
    rule = ("QUAL_UNREGISTERED_CALLER_ID",)
    rng = pl.rng
    for i in range(pl.count("QUAL_UNREGISTERED_CALLER_ID")):
        hosts = pl.hosts(day)
        if not hosts:
            return
        a = pl.choice(hosts)
        others = [b.idx for b in pl.plan.agencies if b.idx != a and len(pl.callers.core[b.idx]) > 2]
        variant = i % 4
        number = pl.callers.lines.take(a, 1)[0]
        if variant == 0:                                   # deregistered before the day
            pl.callers.add(a, number, day - int(rng.integers(100, 600)), day - int(rng.integers(1, 60)))
        elif variant == 1:                                 # registered only from a later day
            pl.callers.add(a, number, day + int(rng.integers(1, 30)))
        elif variant == 2 and others:                      # another agency's registered number
            number = pl.choice(pl.callers.core[pl.choice(others)][2:])
        _on_host(pl, day, a, rule, caller=number)


SINGLE_PLANTS = (calling_hours, unassigned, no_consent, agent_not_active, pii_in_notes, out_of_scope,
                 agent_untrained, unregistered_caller)

