"""Near misses: calls that sit exactly on the safe side of a rule's boundary. They carry no
finding; a rule engine that reports one reads the rule differently from rules.md.

- calling hours: collection at 21:xx; exactly 08:00:00; 20:59:59; a late call that is early
  evening for a callee in Asia/Urumqi
- rapid redial: exactly 5:00 later; after BUSY; a FAILED redial; after an ANSWERED call
- refusal: a collection call after a refusal (cn_bank: refusal covers marketing, servicing)
- cooling-off: after a WRONG_PARTY answer; an attempt on day 8 after a conversation
- validity ends are inclusive: assigned_to, active_to, registered_to = D; trained exactly
  365 days before D or on D; consent given at the very second of the call
- daily cap: exactly the cap, plus BUSY and FAILED calls that are not attempts
- notes with masked or split numbers (see notes.near_pii_note)
"""

from __future__ import annotations

from audits.models import UNANSWERED_DISPOSITIONS
from audits.sample.history import DAILY_CAP, MIN
from audits.sample.notes import near_pii_note
from audits.sample.plants import DAY_MS, H, Planter, _fresh, _on_host


def near_misses(pl: Planter, day: int) -> None:
    kinds = (_hours, _redial, _refusal, _cooling, _validity, _consent, _daily_cap, _notes)
    for i in range(pl.count("DECOYS")):
        hosts = pl.hosts(day)
        if hosts:
            kinds[i % len(kinds)](pl, day, i // len(kinds))


def _hours(pl: Planter, day: int, k: int) -> None:
    variant = k % 4
    purposes = pl.purposes(day)
    if variant == 0 and pl.hosts(day, "collection"):
        a = pl.choice(pl.hosts(day, "collection"))
        _fresh(pl, day, a, "collection", pl.local(a, day, 21 * H + int(pl.rng.integers(0, H))), ())
    elif variant == 1 and purposes:
        purpose = pl.choice(purposes)
        a = pl.choice(pl.hosts(day, purpose))
        _fresh(pl, day, a, purpose, pl.local(a, day, 8 * H), ())
    elif variant == 2 and [p for p in ("marketing", "servicing") if pl.hosts(day, p)]:
        purpose = pl.choice([p for p in ("marketing", "servicing") if pl.hosts(day, p)])
        a = pl.choice(pl.hosts(day, purpose))
        _fresh(pl, day, a, purpose, pl.local(a, day, 21 * H - 1), ())
    elif purposes:                # in hours in the number's zone; a callee_tz not the number's would say 21:xx
        purpose = pl.choice(purposes)
        hosts = pl.hosts(day, purpose, need_tz=True)
        if hosts:
            a = pl.choice(hosts)
            start = pl.local(a, day, 10 * H + int(pl.rng.integers(0, H)))      # 10:xx Beijing, 21:xx New York
            _fresh(pl, day, a, purpose, start, (), callee_tz="America/New_York")


def _two_calls(pl: Planter, day: int, purpose: str, first: tuple[str, str], second: tuple[str, str],
               gap_s: int) -> None:
    a = pl.choice(pl.hosts(day, purpose))
    campaign = pl.campaign(a, purpose)
    number = pl.customer([(a, campaign)])
    t = pl.at(a, day, 9 * H, 20 * H - gap_s)
    pl.add(day, a, campaign, number, t, disp=first[0], outcome=first[1])
    pl.add(day, a, campaign, number, t + gap_s * 1000, disp=second[0], outcome=second[1])


def _redial(pl: Planter, day: int, k: int) -> None:
    purposes = [p for p in ("servicing", "collection") if pl.hosts(day, p)]
    if not purposes:
        return
    purpose = pl.choice(purposes)
    attempt = pl.disposition(purpose, attempt=True, refused=False)
    variant = k % 4
    if variant == 0:
        _two_calls(pl, day, purpose, (pl.choice(UNANSWERED_DISPOSITIONS), ""), attempt, 300)
    elif variant == 1:
        _two_calls(pl, day, purpose, ("BUSY", ""), attempt, 120)
    elif variant == 2:
        _two_calls(pl, day, purpose, (pl.choice(UNANSWERED_DISPOSITIONS), ""), ("FAILED", ""), 60)
    else:
        _two_calls(pl, day, purpose, ("ANSWERED", "WRONG_PARTY"), attempt, 120)


def _refusal(pl: Planter, day: int, k: int) -> None:
    if not pl.hosts(day, "collection"):
        return
    attempt = pl.disposition("collection", attempt=True, refused=False)
    _two_calls(pl, day, "collection", ("ANSWERED", "REFUSED"), attempt, int(pl.rng.integers(3 * H, 5 * H)))


def _cooling(pl: Planter, day: int, k: int) -> None:
    if not pl.hosts(day, "marketing"):
        return
    attempt = pl.disposition("marketing", attempt=True, refused=False)
    if k % 2 == 1 and day >= 7 and pl.hosts(day - 7, "marketing"):
        a, b = pl.choice(pl.hosts(day - 7, "marketing")), pl.choice(pl.hosts(day, "marketing"))
        links = [(a, pl.campaign(a, "marketing")), (b, pl.campaign(b, "marketing"))]
        number = pl.customer(links)
        pl.add(day - 7, a, links[0][1], number, pl.at(a, day - 7), disp="ANSWERED", outcome="RIGHT_PARTY")
        pl.add(day, b, links[1][1], number, pl.at(b, day), disp=attempt[0], outcome=attempt[1])
    else:
        _two_calls(pl, day, "marketing", ("ANSWERED", "WRONG_PARTY"), attempt, int(pl.rng.integers(2 * H, 4 * H)))


def _validity(pl: Planter, day: int, k: int) -> None:
    a = pl.choice(pl.hosts(day))
    variant = k % 5
    if variant == 0:                                   # assignment ends on the day
        purposes = [p for p in ("servicing", "collection") if pl.plan.in_scope(pl.plan.agencies[a], p)]
        if purposes:
            campaign = pl.campaign(a, pl.choice(purposes))
            pl.add(day, a, campaign, pl.customer([(a, campaign)], assigned_to=day), pl.at(a, day))
    elif variant == 1:                                 # agent leaves on the day
        agent = pl.roster.add(a, active_from=day - 300, active_to=day, trained_on=day - 100)
        _on_host(pl, day, a, (), agent=agent)
    elif variant in (2, 3):                            # trained exactly 365 days ago, or today
        agent = pl.roster.add(a, active_from=day - 400, trained_on=day - 365 if variant == 2 else day)
        _on_host(pl, day, a, (), agent=agent)
    else:                                              # caller number deregistered on the day
        number = pl.callers.add(a, pl.callers.lines.take(a, 1)[0], day - 200, day)
        _on_host(pl, day, a, (), caller=number)


def _consent(pl: Planter, day: int, k: int) -> None:
    hosts = pl.hosts(day, "marketing")
    if not hosts:
        return
    a = pl.choice(hosts)
    campaign = pl.campaign(a, "marketing")
    number = pl.customer([(a, campaign)], consent=False)
    start = pl.at(a, day)
    if k % 2 == 0:                                     # consent given at the second of the call
        pl.add_consent(number, pl.customer_of(number), start)
    else:                                              # withdrawn later that day
        pl.add_consent(number, pl.customer_of(number), start - 30 * DAY_MS,
                       start + int(pl.rng.integers(600, 4 * H)) * 1000)
    pl.add(day, a, campaign, number, start)


def _daily_cap(pl: Planter, day: int, k: int) -> None:
    purposes = pl.purposes(day)
    if not purposes:
        return
    purpose = purposes[k % len(purposes)]
    a = pl.choice(pl.hosts(day, purpose))
    campaign = pl.campaign(a, purpose)
    number = pl.customer([(a, campaign)])
    t = pl.at(a, day, 9 * H, 10 * H)
    for _ in range(DAILY_CAP[purpose]):
        disp, outcome = pl.disposition(purpose, attempt=True, conversation=False, refused=False)
        pl.add(day, a, campaign, number, t, disp=disp, outcome=outcome)
        pl.add(day, a, campaign, number, t + 12 * MIN, disp=pl.choice(["BUSY", "FAILED"]), outcome="")
        t += int(pl.rng.integers(30, 50)) * MIN


def _notes(pl: Planter, day: int, k: int) -> None:
    _on_host(pl, day, pl.choice(pl.hosts(day)), (), notes=near_pii_note(pl.rng, pl.numbers.one()[0]),
             disp="ANSWERED", outcome="RIGHT_PARTY")
