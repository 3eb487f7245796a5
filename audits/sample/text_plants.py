"""Planted findings on text messages (sms.md §2) and their near misses.

Every case uses fresh numbers (never in the background), assigned to the texting agency with
marketing consent where the case is not about them; a planted text is signed, says how to opt
out when it markets, is sent from a registered port inside hours, DELIVERED, except for what
its case is about. Cases across channels add calls to the day's planted calls:
- CONTACT_ROLLING_7D: calls and texts to one number over up to five days; the (cap+1)-th
  contact is the finding, a call or a text (a near miss stops at the cap);
- SMS_AFTER_OPT_OUT: an opt-out at another agency earlier that day, an opt-out the day
  before, a REFUSED marketing call earlier that day (near misses: a harmless reply, an opt-out
  then a servicing text);
- FREQ_AFTER_REFUSAL: a marketing call after the number opted out by text (a servicing call is
  a near miss: an opt-out refuses marketing only).
"""

from __future__ import annotations

from audits.sample.agencies import CUSTOMER_TZ
from audits.sample.plants import H, Planter
from audits.sample.reference import PURPOSE_CODES
from audits.sample.texts import BODIES, OPT_OUTS, REPLIES, Text, Texting, signed

SMS_CAP = {"marketing": 1, "servicing": 5, "collection": 3}
CONTACT_CAP = {"marketing": 10, "servicing": 15, "collection": 25}
# (calls, texts) per day, the audit day last: calls stay within the call caps, texts within SMS_CAP
CONTACT_PLANS = {"servicing": [(5, 3), (5, 3)], "collection": [(6, 3), (6, 3), (6, 2)],
                 "marketing": [(2, 1), (1, 1), (1, 1), (1, 1), (1, 1)]}
MIN = 60_000


def text_plants(tx: Texting, pl: Planter, day: int) -> None:
    hosts = tx.hosts()
    if not hosts:
        return
    for plant in (_hours, _daily_cap, _contacts, _after_opt_out, _refusal_by_text, _consent, _pii,
                  _opt_out_text, _signature, _sender, _unassigned):
        for i in range(_count(pl)):
            plant(tx, pl, day, hosts, i)
    _data_quality(tx, pl, day, hosts[0])


def _count(pl: Planter) -> int:
    return int(min(max(1, round(3 * pl.scale)), 15))


def _purposes(tx: Texting, a: int) -> list[str]:
    return [p for p in PURPOSE_CODES if tx.plan.in_scope(tx.plan.agencies[a], p)]


def _fresh(tx: Texting, pl: Planter, a: int, purpose: str, **kw) -> tuple[str, int]:
    campaign = pl.campaign(a, purpose)
    return campaign, pl.customer([(a, campaign)], **kw)


def _mt(tx: Texting, pl: Planter, day: int, a: int, campaign: str, number: int, t: int, *,
        rules: tuple[str, ...] = (), text: str | None = None, **kw) -> Text:
    purpose = tx.plan.purpose(campaign) or "servicing"
    body = BODIES[purpose][int(pl.rng.integers(len(BODIES[purpose])))]
    return tx.add(day, Text(a, campaign, number, int(t), rules=tuple(rules),
                            text=signed(tx.plan, a, body, purpose) if text is None else text, **kw))


def _mo(tx: Texting, day: int, a: int, campaign: str, number: int, t: int, reply: str) -> Text:
    return tx.add(day, Text(a, campaign, number, int(t), direction="MO", status="", text=reply))


def _hours(tx: Texting, pl: Planter, day: int, hosts: list[int], i: int) -> None:
    a = pl.choice(hosts)
    purpose = pl.choice(_purposes(tx, a))
    variant = (day + i) % 3
    seconds = (7 * H + int(pl.rng.integers(0, H)), 21 * H, 21 * H + int(pl.rng.integers(60, 2 * H)))[variant]
    status = "PENDING" if variant == 2 else "DELIVERED"
    campaign, number = _fresh(tx, pl, a, purpose)
    _mt(tx, pl, day, a, campaign, number, pl.local(CUSTOMER_TZ, day, seconds), rules=("SMS_HOURS",), status=status)
    if i == 0:                                     # near misses: 08:00:00, 20:59:59, a FAILED text at 22:xx
        for seconds, status in ((8 * H, "DELIVERED"), (21 * H - 1, "PENDING"), (22 * H + 600, "FAILED")):
            campaign, number = _fresh(tx, pl, a, purpose)
            _mt(tx, pl, day, a, campaign, number, pl.local(CUSTOMER_TZ, day, seconds), status=status)


def _daily_cap(tx: Texting, pl: Planter, day: int, hosts: list[int], i: int) -> None:
    a = pl.choice(hosts)
    purposes = _purposes(tx, a)
    purpose = purposes[(day + i) % len(purposes)]
    others = [b for b in hosts if b != a and purpose in _purposes(tx, b)]
    senders = [a, others[0]] if others and i % 2 else [a]
    links = [(b, pl.campaign(b, purpose)) for b in senders]
    cap = SMS_CAP[purpose]
    for total in (cap + 1, cap):                   # the case, and its near miss: exactly the cap
        number = pl.customer(links)
        t = pl.at(a, day, 9 * H, 10 * H)
        for k in range(total):
            b, campaign = links[k % len(links)]
            _mt(tx, pl, day, b, campaign, number, t, rules=("SMS_DAILY_CAP",) if k >= cap else (),
                status="PENDING" if k == 1 else "DELIVERED")
            if k == 0:                             # a FAILED text is not an SMS attempt
                _mt(tx, pl, day, b, campaign, number, t + 5 * MIN, status="FAILED")
            t += int(pl.rng.integers(20, 40)) * MIN


def _contacts(tx: Texting, pl: Planter, day: int, hosts: list[int], i: int) -> None:
    a = pl.choice(hosts)
    purposes = [p for p in _purposes(tx, a) if len(CONTACT_PLANS[p]) <= day + 1]
    if not purposes:
        return
    purpose = purposes[(day + i) % len(purposes)]
    schedule = CONTACT_PLANS[purpose]
    cap = CONTACT_CAP[purpose]
    for near in (False, True):
        campaign, number = _fresh(tx, pl, a, purpose)
        first = day - len(schedule) + 1
        seen = 0
        for offset, (calls, texts) in enumerate(schedule):
            d = first + offset
            last_day = d == day
            if last_day and near:
                texts -= 1                         # the near miss stops at exactly the cap
            kinds = ["call"] * calls + ["text"] * texts
            if last_day and (i + day) % 2:         # the contact over the cap is a call, or a text
                kinds = ["text"] * texts + ["call"] * calls
            t = pl.at(a, d, 9 * H, 9.5 * H)
            for kind in kinds:
                seen += 1
                rules = ("CONTACT_ROLLING_7D",) if seen > cap else ()
                if kind == "call":
                    disp, outcome = pl.disposition(purpose, attempt=True, conversation=False, refused=False)
                    pl.add(d, a, campaign, number, t, disp=disp, outcome=outcome, rules=rules)
                else:
                    _mt(tx, pl, d, a, campaign, number, t, rules=rules)
                t += int(pl.rng.integers(26, 34)) * MIN


def _after_opt_out(tx: Texting, pl: Planter, day: int, hosts: list[int], i: int) -> None:
    marketing = [a for a in hosts if "marketing" in _purposes(tx, a)]
    if not marketing:
        return
    a = pl.choice(marketing)
    keyword = OPT_OUTS[(day + i) % len(OPT_OUTS)]
    campaign, number = _fresh(tx, pl, a, "marketing")
    variant = (day + i) % 3 if day else (day + i) % 3 // 2 * 2      # day 0 has no day before
    others = [b for b in tx.agencies if b != a]
    if variant == 0 and others:                    # opted out at another agency earlier that day
        b = pl.choice(others)
        _mo(tx, day, b, pl.choice(tx.plan.in_scope(tx.plan.agencies[b], _purposes(tx, b)[0])), number,
            pl.at(a, day, 9 * H, 10 * H), keyword)
    elif variant == 1:                             # opted out the day before, after a clean text
        t = pl.at(a, day - 1, 9 * H, 10 * H)
        _mt(tx, pl, day - 1, a, campaign, number, t)
        _mo(tx, day - 1, a, campaign, number, t + 7 * MIN, keyword)
    else:                                          # refused in a marketing call earlier that day
        callers = pl.hosts(day, "marketing")
        c = pl.choice(callers) if callers else a
        call_campaign = campaign if c == a else pl.campaign(c, "marketing")
        if c != a:
            pl.assignments.append({"agency": c, "campaign": call_campaign, "number": number,
                                   "customer": pl.customer_of(number), "from": -30, "to": 10**7})
        pl.add(day, c, call_campaign, number, pl.at(a, day, 9 * H, 10 * H), disp="ANSWERED", outcome="REFUSED")
    _mt(tx, pl, day, a, campaign, number, pl.at(a, day, 11 * H, 12 * H), rules=("SMS_AFTER_OPT_OUT",))
    if i == 0:                                     # near misses: a harmless reply; an opt-out then a servicing text
        campaign, number = _fresh(tx, pl, a, "marketing")
        _mo(tx, day, a, campaign, number, pl.at(a, day, 9 * H, 10 * H), REPLIES[day % len(REPLIES)])
        _mt(tx, pl, day, a, campaign, number, pl.at(a, day, 11 * H, 12 * H))
        servicing = [b for b in hosts if "servicing" in _purposes(tx, b)]
        if servicing:
            b = servicing[0]
            campaign, number = _fresh(tx, pl, b, "servicing")
            _mo(tx, day, b, campaign, number, pl.at(b, day, 9 * H, 10 * H), keyword)
            _mt(tx, pl, day, b, campaign, number, pl.at(b, day, 11 * H, 12 * H))


def _refusal_by_text(tx: Texting, pl: Planter, day: int, hosts: list[int], i: int) -> None:
    callers = pl.hosts(day, "marketing")
    if not callers:
        return
    a, c = pl.choice(hosts), pl.choice(callers)
    text_campaign = pl.campaign(a, pl.choice(_purposes(tx, a)))
    call_campaign = pl.campaign(c, "marketing")
    number = pl.customer([(a, text_campaign), (c, call_campaign)])
    when = day - 1 if day and (day + i) % 2 else day
    _mo(tx, when, a, text_campaign, number, pl.at(a, when, 9 * H, 10 * H), OPT_OUTS[(day + i + 1) % len(OPT_OUTS)])
    disp, outcome = pl.disposition("marketing", attempt=True, conversation=False, refused=False)
    pl.add(day, c, call_campaign, number, pl.at(c, day, 14 * H, 15 * H), disp=disp, outcome=outcome,
           rules=("FREQ_AFTER_REFUSAL",))
    servicing = pl.hosts(day, "servicing")
    if i == 0 and servicing:                       # near miss: an opt-out then a servicing call
        c = pl.choice(servicing)
        call_campaign = pl.campaign(c, "servicing")
        number = pl.customer([(a, text_campaign), (c, call_campaign)])
        _mo(tx, day, a, text_campaign, number, pl.at(a, day, 9 * H, 10 * H), "退订")
        disp, outcome = pl.disposition("servicing", attempt=True, conversation=False, refused=False)
        pl.add(day, c, call_campaign, number, pl.at(c, day, 14 * H, 15 * H), disp=disp, outcome=outcome)


def _consent(tx: Texting, pl: Planter, day: int, hosts: list[int], i: int) -> None:
    marketing = [a for a in hosts if "marketing" in _purposes(tx, a)]
    if not marketing:
        return
    a = pl.choice(marketing)
    campaign, number = _fresh(tx, pl, a, "marketing", consent=False)
    customer = pl.customer_of(number)
    t = pl.at(a, day, 10 * H, 17 * H)
    variant = (day + i) % 5
    if variant == 1:                               # in the register, never consented
        pl.add_consent(number, customer, -1)
    elif variant == 2:                             # consent given later that day
        pl.add_consent(number, customer, t + int(pl.rng.integers(60, 3 * H)) * 1000)
    elif variant == 3:                             # withdrawn before the text
        pl.add_consent(number, customer, t - 200 * 86_400_000, t - int(pl.rng.integers(60, 86_400)) * 1000)
    elif variant == 4:                             # withdrawn at the very second of the text
        pl.add_consent(number, customer, t - 90 * 86_400_000, t)
    _mt(tx, pl, day, a, campaign, number, t, rules=("SMS_NO_CONSENT",))


def _pii(tx: Texting, pl: Planter, day: int, hosts: list[int], i: int) -> None:
    a = pl.choice(hosts)
    purpose = pl.choice(_purposes(tx, a))
    mobile = str(pl.numbers.one()[0])
    variant = (day + i) % 3
    shown = (mobile, f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}",
             mobile.translate(str.maketrans("0123456789", "０１２３４５６７８９")))[variant]
    campaign, number = _fresh(tx, pl, a, purpose)
    body = f"如有疑问请联系客户经理{shown}。"
    _mt(tx, pl, day, a, campaign, number, pl.at(a, day), rules=("SMS_PII_IN_TEXT",),
        text=signed(tx.plan, a, body, purpose))
    if i == 0:                                     # near miss: a masked number
        campaign, number = _fresh(tx, pl, a, purpose)
        _mt(tx, pl, day, a, campaign, number, pl.at(a, day),
            text=signed(tx.plan, a, f"如有疑问请联系客户经理{mobile[:3]}****{mobile[7:]}。", purpose))


def _opt_out_text(tx: Texting, pl: Planter, day: int, hosts: list[int], i: int) -> None:
    marketing = [a for a in hosts if "marketing" in _purposes(tx, a)]
    if not marketing:
        return
    a = marketing[-1]                              # one agency leaves the opt-out sentence out
    body = BODIES["marketing"][(day + i) % len(BODIES["marketing"])]
    campaign, number = _fresh(tx, pl, a, "marketing")
    _mt(tx, pl, day, a, campaign, number, pl.at(a, day), rules=("SMS_NO_OPT_OUT_TEXT",),
        text=signed(tx.plan, a, body, "marketing", opt_out=""))
    if i == 0:                                     # near misses: other ways of saying it
        for sentence in ("退订回T", "Reply STOP to opt out", "回复 TD 拒收"):
            campaign, number = _fresh(tx, pl, a, "marketing")
            _mt(tx, pl, day, a, campaign, number, pl.at(a, day),
                text=signed(tx.plan, a, body, "marketing", opt_out=sentence))


def _signature(tx: Texting, pl: Planter, day: int, hosts: list[int], i: int) -> None:
    a = pl.choice(hosts)
    purpose = pl.choice(_purposes(tx, a))
    body = BODIES[purpose][0] + ("回复T退订" if purpose == "marketing" else "")
    variant = (day + i) % 4
    text = (body, f"尊敬的客户【华信银行】{body}", f"【银】{body}", f"【{'华信银行信用卡中心' * 3}】{body}")[variant]
    campaign, number = _fresh(tx, pl, a, purpose)
    _mt(tx, pl, day, a, campaign, number, pl.at(a, day), rules=("SMS_NO_SIGNATURE",), text=text)
    if i == 0:                                     # near misses: signature at the end; white space around it
        for text in (f"{body}【华信银行】", f"  【华信银行】{body} "):
            campaign, number = _fresh(tx, pl, a, purpose)
            _mt(tx, pl, day, a, campaign, number, pl.at(a, day), text=text)


def _sender(tx: Texting, pl: Planter, day: int, hosts: list[int], i: int) -> None:
    a = pl.choice(hosts)
    purpose = pl.choice(_purposes(tx, a))
    variant = (day + i) % 4
    port = f"10698{len(tx.port_rows):03d}{int(pl.rng.integers(10**4)):04d}"
    others = [b for b in tx.agencies if b != a]
    if variant == 0:                               # deregistered the day before
        tx.add_port(a, port, day - 200, day - 1)
    elif variant == 1:                             # registered from the next day
        tx.add_port(a, port, day + 1)
    elif variant == 2 and others:                  # another agency's port
        port = tx.ports[pl.choice(others)][0]
    else:                                          # a caller number registered for calls, not texts
        port = pl.callers.core[a][-1]
    campaign, number = _fresh(tx, pl, a, purpose)
    _mt(tx, pl, day, a, campaign, number, pl.at(a, day), rules=("SMS_UNREGISTERED_SENDER",), sender=port)
    if i == 0:                                     # near misses: registered from D, registered to D
        for first, last in ((day, 10**7), (day - 300, day)):
            port = tx.add_port(a, f"10697{len(tx.port_rows):03d}{int(pl.rng.integers(10**4)):04d}", first, last)
            campaign, number = _fresh(tx, pl, a, purpose)
            _mt(tx, pl, day, a, campaign, number, pl.at(a, day), sender=port)


def _unassigned(tx: Texting, pl: Planter, day: int, hosts: list[int], i: int) -> None:
    a = pl.choice(hosts)
    purposes = [p for p in _purposes(tx, a) if p != "marketing"]
    if not purposes:
        return
    campaign = pl.campaign(a, pl.choice(purposes))
    number = pl.numbers.one()[0] if (day + i) % 2 else pl.customer([(a, campaign)], assigned_from=day + 1)
    _mt(tx, pl, day, a, campaign, number, pl.at(a, day), rules=("CONF_UNASSIGNED",))


def _data_quality(tx: Texting, pl: Planter, day: int, a: int) -> None:
    """Rows the SMS suite quarantines: an MT without a status, an MO with one, and a repeated
    message_id (the copy of a clean text right after it)."""
    purpose = _purposes(tx, a)[-1]
    campaign, number = _fresh(tx, pl, a, purpose)
    _mt(tx, pl, day, a, campaign, number, pl.at(a, day), status="", dq="DQ_MISSING_FIELD")
    campaign, number = _fresh(tx, pl, a, purpose)
    tx.add(day, Text(a, campaign, number, pl.at(a, day), direction="MO", status="DELIVERED",
                     text=REPLIES[day % len(REPLIES)], dq="DQ_BAD_ENUM"))
    campaign, number = _fresh(tx, pl, a, purpose)
    _mt(tx, pl, day, a, campaign, number, pl.at(a, day), copied=True)
