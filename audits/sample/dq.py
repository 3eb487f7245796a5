"""Planted data-quality problems: rows that must be quarantined with exactly one reason.

Each planted row is a clean call of a fresh customer with one defect; quarantined rows are
never audited, so no planted rule finding depends on them. Duplicates copy an audited
background row and are placed after it; malformed lines exist only in plain CSV files.
"""

from __future__ import annotations

from audits.sample.agencies import CLEAN
from audits.sample.plants import H, Planter

DQ_KINDS = ("DQ_MISSING_FIELD", "DQ_BAD_TIMESTAMP", "DQ_TIME_ORDER", "DQ_BAD_PHONE", "DQ_BAD_ENUM",
            "DQ_DUPLICATE_CALL_ID", "DQ_AGENCY_MISMATCH", "DQ_OUT_OF_DAY", "DQ_MALFORMED_ROW")


def dq_hosts(pl: Planter, day: int, *, plain: bool = False, need_tz: bool = False) -> list[int]:
    """Agencies (any contract state, never the clean one) whose file of the day is read."""
    return [a.idx for a in pl.plan.agencies
            if a.role != CLEAN and pl.plan.readable(day, a.idx)
            and (a.plain_csv or not plain) and (a.has_callee_tz or not need_tz)]


def dq_rows(pl: Planter, day: int) -> None:
    for reason in DQ_KINDS:
        for k in range(pl.count("DQ", cap=50)):
            hosts = dq_hosts(pl, day, plain=reason == "DQ_MALFORMED_ROW")
            if hosts:
                _plant(pl, day, reason, k, pl.choice(hosts))


def _plant(pl: Planter, day: int, reason: str, k: int, a: int) -> None:
    agency = pl.plan.agencies[a]
    if reason == "DQ_DUPLICATE_CALL_ID":                 # filled in from a background row at assembly
        pl.calls[day].append({"agency": a, "kind": "dup", "dq": reason})
        return
    purpose = next((p for p in ("servicing", "collection", "marketing") if pl.plan.in_scope(agency, p)), None)
    if purpose is None:
        return
    campaign = pl.campaign(a, purpose)
    number = pl.customer([(a, campaign)])
    start = pl.at(a, day, 9 * H, 19 * H)
    date = pl.plan.date(day)
    kw: dict = {"dq": reason}
    if reason == "DQ_MISSING_FIELD":
        kw["override"] = {("agent_id", "campaign_id")[k % 2]: ""}
    elif reason == "DQ_BAD_TIMESTAMP":
        variant = k % 3
        if variant == 2 and agency.has_callee_tz:
            kw["callee_tz"] = "Mars/Olympus"
        elif variant == 1:
            kw["override"] = {"end_time": f"{date.isoformat()} 25:61:00"}
        else:
            kw["override"] = {"start_time": f"{date.year}-13-45 25:61"}
    elif reason == "DQ_TIME_ORDER":
        variant = k % 3
        if variant == 0:                                 # ends before it starts
            kw.update(disp="NO_ANSWER", outcome="", end_ms=start - int(pl.rng.integers(30, 600)) * 1000)
        elif variant == 1:                               # answered after it ended
            kw.update(disp="ANSWERED", outcome="RIGHT_PARTY", answer_ms=start + 40_000, end_ms=start + 30_000)
        else:                                            # answered before it started
            kw.update(disp="ANSWERED", outcome="WRONG_PARTY", answer_ms=start - 10_000, end_ms=start + 120_000)
    elif reason == "DQ_BAD_PHONE":
        kw["override"] = ({"callee_number": "12345"}, {"callee_number": "未知号码"}, {"caller_number": "0000"})[k % 3]
    elif reason == "DQ_BAD_ENUM":
        if k % 2 == 0:
            kw.update(disp="NO_ANSWER", outcome="", override={"disposition": "PICKED_UP"})
        else:
            kw.update(disp="ANSWERED", outcome="RIGHT_PARTY", override={"outcome": "CALLBACK"})
    elif reason == "DQ_AGENCY_MISMATCH":
        others = [b.agency_id for b in pl.plan.agencies if b.idx != a]
        kw["override"] = {"agency_id": pl.choice(others) if others else f"{agency.agency_id}X"}
    elif reason == "DQ_OUT_OF_DAY":                       # a valid call of the next bank day
        start = pl.at(a, day + 1, 9 * H, 11 * H)
    elif reason == "DQ_MALFORMED_ROW":
        kw["override"] = {"__malformed__": ("extra", "missing")[k % 2]}
    pl.add(day, a, campaign, number, start, **kw)
