"""Planted frequency violations that need several calls to one number: daily cap, rolling
7-day cap, cooling-off, rapid redial (also across midnight), calls after a refusal.

Each case dials one fresh number, possibly from two agencies (bank-wide counting) and over
several days (history). Attempts of a case are >= 25 minutes apart unless the case is about
rapid redial, and conversations only where the case needs one (the cooling-off trigger, the
refusal), so each case fires only its own rule. Which call is "the n-th" follows the rules' order
(start_time, agency_id, call_id); a case never puts two of its calls from one agency at the
same instant, so (start_time, agency_id) decides.
"""

from __future__ import annotations

import datetime as dt
from math import ceil
from zoneinfo import ZoneInfo

from audits.models import UNANSWERED_DISPOSITIONS
from audits.sample.plants import H, Planter

DAILY_CAP = {"marketing": 3, "servicing": 5, "collection": 6}
ROLLING_CAP = {"marketing": 7, "servicing": 10, "collection": 20}
MIN = 60_000


def _run(pl: Planter, calls: list[dict], links: list[tuple[int, str]], number: int) -> None:
    """Add the case's calls (dicts with day, agency, t, disp, outcome, rules, tz)."""
    campaign = dict(links)
    for c in calls:
        pl.add(c["day"], c["agency"], campaign[c["agency"]], number, c["t"], disp=c["disp"],
               outcome=c["outcome"], rules=tuple(c.get("rules", ())), callee_tz=c.get("tz", ""))


def _order(pl: Planter, calls: list[dict]) -> list[dict]:
    return sorted(calls, key=lambda c: (c["t"], pl.plan.agencies[c["agency"]].agency_id))


def _attempt(pl: Planter, purpose: str) -> tuple[str, str]:
    return pl.disposition(purpose, attempt=True, conversation=False, refused=False)


def _series(pl: Planter, day: int, hosts: list[int], purpose: str, n: int) -> list[dict]:
    """n non-conversation attempts on one day, 25-45 minutes apart, hosts taking turns. With
    two hosts the series starts after 10:30 so that it stays inside hours in both zones."""
    lo = 9 * H if len(hosts) == 1 else 10.5 * H
    t = pl.at(hosts[0], day, lo, lo + H)
    calls = []
    for k in range(n):
        disp, outcome = _attempt(pl, purpose)
        calls.append({"day": day, "agency": hosts[k % len(hosts)], "t": t, "disp": disp, "outcome": outcome})
        t += int(pl.rng.integers(25, 46)) * MIN
    return calls


def _links(pl: Planter, hosts: list[int], purpose: str) -> list[tuple[int, str]]:
    return [(a, pl.campaign(a, purpose)) for a in dict.fromkeys(hosts)]


def daily_cap(pl: Planter, day: int) -> None:
    for i in range(pl.count("FREQ_DAILY_CAP")):
        purposes = pl.purposes(day)
        if not purposes:
            return
        purpose = purposes[i % len(purposes)]
        hosts = pl.two_hosts(day, purpose) if i % 2 else [pl.choice(pl.hosts(day, purpose))]
        cap = DAILY_CAP[purpose]
        calls = _series(pl, day, hosts, purpose, cap + 1 + i % 2)
        if i % 4 == 3 and len(hosts) == 2:        # cap-th and (cap+1)-th at the same instant
            first, second = sorted(hosts, key=lambda a: pl.plan.agencies[a].agency_id)
            calls[cap]["t"] = calls[cap - 1]["t"]
            calls[cap - 1].update(agency=first, disp="ANSWERED", outcome="WRONG_PARTY")
            calls[cap]["agency"] = second
        for rank, c in enumerate(_order(pl, calls), start=1):
            c["rules"] = ("FREQ_DAILY_CAP",) if rank > cap else ()
        if i % 3 == 0:                               # a BUSY call in between is not an attempt
            calls.append({"day": day, "agency": hosts[0], "t": calls[0]["t"] + 10 * MIN,
                          "disp": "BUSY", "outcome": ""})
        links = _links(pl, hosts, purpose)
        _run(pl, calls, links, pl.customer(links))


def rolling_7d(pl: Planter, day: int) -> None:
    """cap+1 attempts inside D-6..D, the last on D. With enough earlier days no day exceeds its
    daily cap (history only); with fewer, day D carries the rest and breaks the daily cap too."""
    if pl.plan.days >= 3 and day < 2:
        return
    for i in range(pl.count("FREQ_ROLLING_7D")):
        options = []
        for p in ("marketing", "servicing", "collection"):
            if pl.hosts(day, p):
                earlier = [d for d in range(max(0, day - 6), day) if pl.hosts(d, p)]
                span = ceil((ROLLING_CAP[p] + 1) / DAILY_CAP[p])
                options.append((len(earlier) >= span - 1, p, earlier[len(earlier) - min(len(earlier), span - 1):]))
        if not options:
            return
        pure = [o for o in options if o[0]]
        _, purpose, prior = pure[i % len(pure)] if pure else next(
            (o for o in options if o[1] == "marketing"), options[0])
        cap, daily = ROLLING_CAP[purpose], DAILY_CAP[purpose]
        per_day = [daily] * len(prior) + [cap + 1 - daily * len(prior)]
        if i % 2 and per_day[-1] < daily:
            per_day[-1] += 1
        calls, hosts = [], []
        for d, n in zip(prior + [day], per_day):
            host = pl.choice(pl.hosts(d, purpose))
            hosts.append(host)
            calls.extend(_series(pl, d, [host], purpose, n))
        ordered = _order(pl, calls)
        for rank, c in enumerate(ordered, start=1):
            rules = ["FREQ_ROLLING_7D"] if rank > cap else []
            same_day = [x for x in ordered if x["day"] == c["day"]]
            if same_day.index(c) + 1 > daily:
                rules.append("FREQ_DAILY_CAP")
            c["rules"] = tuple(rules)
        links = _links(pl, hosts, purpose)
        _run(pl, calls, links, pl.customer(links))


def cooling_off(pl: Planter, day: int) -> None:
    if not pl.hosts(day, "marketing"):
        return
    for i in range(pl.count("FREQ_COOLING_OFF")):
        earlier = [c for c in range(max(0, day - 6), day) if pl.hosts(c, "marketing")]
        conv_day = pl.choice(earlier) if earlier and i % 3 != 2 else day
        h1 = pl.choice(pl.hosts(conv_day, "marketing"))
        h2 = pl.choice(pl.hosts(day, "marketing")) if i % 2 else (h1 if h1 in pl.hosts(day, "marketing")
                                                                   else pl.choice(pl.hosts(day, "marketing")))
        conv_t = pl.at(h1, conv_day, 9 * H, 12 * H if conv_day == day else 19 * H)
        disp, outcome = pl.disposition("marketing", attempt=True, refused=False)
        calls = [
            {"day": conv_day, "agency": h1, "t": conv_t, "disp": "ANSWERED",
             "outcome": pl.choice(["RIGHT_PARTY", "RIGHT_PARTY", "COMPLAINT"])},
            {"day": day, "agency": h2, "t": pl.at(h2, day, 14 * H if conv_day == day else 9 * H, 19 * H),
             "disp": disp, "outcome": outcome, "rules": ("FREQ_COOLING_OFF",)},
        ]
        links = _links(pl, [h1, h2], "marketing")
        _run(pl, calls, links, pl.customer(links))


def rapid_redial(pl: Planter, day: int) -> None:
    for i in range(pl.count("FREQ_RAPID_REDIAL")):
        purposes = [p for p in ("servicing", "collection", "marketing") if pl.hosts(day, p)]
        if not purposes:
            return
        purpose = purposes[i % len(purposes)]
        hosts = pl.two_hosts(day, purpose) if i % 2 else [pl.choice(pl.hosts(day, purpose))]
        t0 = pl.at(hosts[0], day, 10.5 * H, 18 * H)
        calls = [{"day": day, "agency": hosts[0], "t": t0, "disp": pl.choice(UNANSWERED_DISPOSITIONS),
                  "outcome": ""}]
        gaps = [int(pl.rng.integers(20, 290))]
        if i % 5 == 4 and purpose != "marketing":   # three attempts inside five minutes
            gaps = [int(pl.rng.integers(60, 150)), int(pl.rng.integers(200, 290))]
        for k, gap in enumerate(gaps):
            last = k == len(gaps) - 1
            disp, outcome = _attempt(pl, purpose) if last else (pl.choice(UNANSWERED_DISPOSITIONS), "")
            calls.append({"day": day, "agency": hosts[(k + 1) % len(hosts)], "t": t0 + gap * 1000,
                          "disp": disp, "outcome": outcome, "rules": ("FREQ_RAPID_REDIAL",)})
        links = _links(pl, hosts, purpose)
        _run(pl, calls, links, pl.customer(links))
    if day >= 1:
        _redial_across_midnight(pl, day)


def _redial_across_midnight(pl: Planter, day: int) -> None:
    """An unanswered attempt at 23:5x on the day before, redialled just after midnight. The agency
    writes callee_tz Europe/London (in hours there), which is not the CN mobile's zone: both calls
    are judged in Beijing time, outside calling hours."""
    zone = "Europe/London"
    for purpose in ("collection", "servicing"):
        before = pl.hosts(day - 1, purpose, need_tz=True)
        after = pl.hosts(day, purpose, need_tz=True)
        if before and after:
            break
    else:
        return
    h1, h2 = pl.choice(before), pl.choice(after)
    t1 = pl.day_ms(day) - int(pl.rng.integers(60, 170)) * 1000
    t2 = pl.day_ms(day) + int(pl.rng.integers(0, 120)) * 1000
    for t in (t1, t2):
        local = dt.datetime.fromtimestamp(t / 1000, ZoneInfo(zone))
        assert 8 <= local.hour < 21, "across-midnight redial must be inside the callee's hours"
    disp, outcome = _attempt(pl, purpose)
    calls = [{"day": day - 1, "agency": h1, "t": t1, "disp": pl.choice(UNANSWERED_DISPOSITIONS), "outcome": "",
              "tz": zone, "rules": ("FREQ_CALLING_HOURS",)},
             {"day": day, "agency": h2, "t": t2, "disp": disp, "outcome": outcome, "tz": zone,
              "rules": ("FREQ_RAPID_REDIAL", "FREQ_CALLING_HOURS")}]
    links = _links(pl, [h1, h2], purpose)
    _run(pl, calls, links, pl.customer(links))


def after_refusal(pl: Planter, day: int) -> None:
    for i in range(pl.count("FREQ_AFTER_REFUSAL")):
        follow = [p for p in ("servicing", "marketing") if pl.hosts(day, p)]
        if not follow:
            return
        fp = follow[i % len(follow)]
        earlier = [d for d in range(day) if any(pl.hosts(d, p) for p in ("servicing", "collection"))]
        ref_day = pl.choice(earlier) if earlier and i % 2 == 0 else day
        rps = [p for p in ("servicing", "collection") if pl.hosts(ref_day, p)]
        if not rps:
            continue
        rp = pl.choice(rps)
        h1, h2 = pl.choice(pl.hosts(ref_day, rp)), pl.choice(pl.hosts(day, fp))
        c1, c2 = pl.campaign(h1, rp), pl.campaign(h2, fp)
        number = pl.customer([(h1, c1), (h2, c2)])
        pl.add(ref_day, h1, c1, number, pl.at(h1, ref_day, 9 * H, 12 * H if ref_day == day else 19 * H),
               disp="ANSWERED", outcome="REFUSED")
        t = pl.at(h2, day, 14 * H if ref_day == day else 9 * H, 16 * H)
        for _ in range(2 if i % 4 == 3 else 1):
            disp, outcome = _attempt(pl, fp)
            pl.add(day, h2, c2, number, t, disp=disp, outcome=outcome, rules=("FREQ_AFTER_REFUSAL",))
            t += int(pl.rng.integers(30, 90)) * MIN


HISTORY_PLANTS = (daily_cap, rolling_7d, cooling_off, rapid_redial, after_refusal)
