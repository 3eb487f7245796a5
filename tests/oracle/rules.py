"""rules.md applied one call at a time: for each accepted call of day D, every earlier call it
could depend on is looked at again (quadratic, obvious and slow on purpose)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from tests.oracle import validity as v
from tests.oracle.loading import Call, Reference

UNANSWERED = ("NO_ANSWER", "REJECTED", "VOICEMAIL")
CONVERSATION_OUTCOMES = ("RIGHT_PARTY", "REFUSED", "COMPLAINT")


@dataclass(frozen=True)
class Pack:
    """The thresholds of a rulepack document (the dict written to YAML), read plainly."""
    attempts: frozenset[str]
    windows: dict[str, tuple[int, int]]           # purpose -> (start, end) in seconds of the day
    daily_cap: dict[str, int]
    rolling_cap: dict[str, int]
    rolling_days: int
    cooling_off_days: dict[str, int]
    redial_gap: dt.timedelta
    refusal_applies_to: frozenset[str]
    caller_cap: int
    training_days: int
    contact_cap: dict[str, int]                    # sms.contact_caps: calls and texts (here: calls) in the window
    contact_days: int

    @classmethod
    def from_document(cls, doc: dict) -> Pack:
        rules = doc["rules"]

        def seconds(hhmm: str) -> int:
            hours, minutes = hhmm.split(":")
            return int(hours) * 3600 + int(minutes) * 60

        return cls(
            attempts=frozenset(d.strip().upper() for d in doc["attempt_dispositions"]),
            windows={p: (seconds(w["start"]), seconds(w["end"]))
                     for p, w in rules["FREQ_CALLING_HOURS"]["windows"].items()},
            daily_cap=dict(rules["FREQ_DAILY_CAP"]["caps"]),
            rolling_cap=dict(rules["FREQ_ROLLING_7D"]["caps"]),
            rolling_days=rules["FREQ_ROLLING_7D"].get("window_days", 7),
            cooling_off_days=dict(rules["FREQ_COOLING_OFF"].get("cooling_off_days", {})),
            redial_gap=dt.timedelta(minutes=rules["FREQ_RAPID_REDIAL"]["redial_gap_minutes"]),
            refusal_applies_to=frozenset(rules["FREQ_AFTER_REFUSAL"]["refusal_applies_to"]),
            caller_cap=rules["FREQ_CALLER_DAILY_CAP"]["cap"],
            training_days=rules["QUAL_AGENT_UNTRAINED"]["training_valid_days"],
            contact_cap=dict((doc.get("sms") or {}).get("contact_caps",
                                                        {"marketing": 10, "servicing": 15, "collection": 25})),
            contact_days=(doc.get("sms") or {}).get("contact_window_days", 7),
        )


def order(call: Call) -> tuple:
    """Calls are ordered by (start_time, agency_id, call_id)."""
    return (call.start, call.agency_id, call.call_id)


def findings(day: dt.date, calls_by_day: dict[dt.date, list[Call]], reference: Reference,
             pack: Pack) -> set[tuple[str, str, str]]:
    """(agency_id, rule_id, call_id) of every finding on `day`; calls_by_day holds the accepted
    calls of `day` and of every earlier day in the store."""
    every = sorted((c for d, calls in calls_by_day.items() if d <= day for c in calls), key=order)
    found: set[tuple[str, str, str]] = set()
    for position, call in enumerate(every):
        if call.day != day:
            continue
        for rule_id in rules_broken(call, every[:position], day, reference, pack):
            found.add((call.agency_id, rule_id, call.call_id))
    return found


def purpose_of(call: Call, reference: Reference) -> str | None:
    campaign = reference.campaigns.get(call.campaign_id)
    return campaign.purpose if campaign else None


def rules_broken(call: Call, earlier: list[Call], day: dt.date, reference: Reference, pack: Pack) -> list[str]:
    """The rule ids `call` breaks, given every call before it in call order (earlier days too)."""
    broken = []
    purpose = purpose_of(call, reference)
    attempt = call.disposition in pack.attempts
    same_number = [e for e in earlier if e.callee == call.callee]
    today = [e for e in same_number if e.day == day]

    def attempts_of_purpose(calls):
        return [e for e in calls if e.disposition in pack.attempts and purpose_of(e, reference) == purpose]

    # --- frequency ---
    if purpose in pack.windows:
        start, end = pack.windows[purpose]
        for zone in v.callee_zones(call.callee, call.callee_tz or None, reference.agency_zone(call.agency_id, day)):
            local = call.start.astimezone(ZoneInfo(zone))
            second_of_day = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
            if second_of_day < start or second_of_day >= end:
                broken.append("FREQ_CALLING_HOURS")
                break
    if attempt and purpose in pack.daily_cap and len(attempts_of_purpose(today)) >= pack.daily_cap[purpose]:
        broken.append("FREQ_DAILY_CAP")
    window = [e for e in same_number if (day - e.day).days < pack.rolling_days]          # D-6..D with 7
    if attempt and purpose in pack.rolling_cap and len(attempts_of_purpose(window)) >= pack.rolling_cap[purpose]:
        broken.append("FREQ_ROLLING_7D")
    # the conversation's date is day 1: with 7, a conversation on the 5th blocks the 5th to the 11th
    if attempt and purpose in pack.cooling_off_days and any(
            e.disposition == "ANSWERED" and e.outcome in CONVERSATION_OUTCOMES and purpose_of(e, reference) == purpose
            and (day - e.day).days < pack.cooling_off_days[purpose] for e in same_number):
        broken.append("FREQ_COOLING_OFF")
    if attempt and any(e.disposition in pack.attempts and e.disposition in UNANSWERED
                       and call.start - e.start < pack.redial_gap for e in same_number):
        broken.append("FREQ_RAPID_REDIAL")
    # "answered with outcome REFUSED": disposition ANSWERED and outcome REFUSED (README decision)
    if attempt and purpose in pack.refusal_applies_to and any(
            e.disposition == "ANSWERED" and e.outcome == "REFUSED" for e in same_number):
        broken.append("FREQ_AFTER_REFUSAL")
    # a contact is a call attempt or a text; these worlds have calls only
    contacts = [e for e in same_number if (day - e.day).days < pack.contact_days]
    if attempt and purpose in pack.contact_cap and len(attempts_of_purpose(contacts)) >= pack.contact_cap[purpose]:
        broken.append("CONTACT_ROLLING_7D")
    same_caller_today = [e for e in earlier if e.day == day and e.caller == call.caller]
    if len(same_caller_today) >= pack.caller_cap:
        broken.append("FREQ_CALLER_DAILY_CAP")

    # --- confidentiality ---
    if not any(a.agency_id == call.agency_id and a.key == call.callee and a.start <= day
               and (a.end is None or day <= a.end) for a in reference.assignments):
        broken.append("CONF_UNASSIGNED")
    if purpose == "marketing" and not any(
            k.phone == call.callee and k.given is not None and k.given <= call.start
            and (k.withdrawn is None or k.withdrawn > call.start) for k in reference.consents):
        broken.append("CONF_NO_CONSENT")
    if not any(a.agency_id == call.agency_id and a.key == call.agent_id and a.start <= day
               and (a.end is None or day <= a.end) for a in reference.agents):
        broken.append("CONF_AGENT_NOT_ACTIVE")
    contract = reference.contract_in_force(call.agency_id, day)
    if contract and (contract.nda_signed is None or contract.nda_signed > day
                     or (contract.nda_expiry is not None and contract.nda_expiry < day)):
        broken.append("CONF_NDA_NOT_IN_FORCE")
    if v.pii_in(call.notes):
        broken.append("CONF_PII_IN_NOTES")

    # --- qualification ---
    if contract is None:
        broken.append("QUAL_NO_CONTRACT")
    if contract and (not contract.licence_no or (contract.licence_expiry is not None
                                                 and contract.licence_expiry < day)):
        broken.append("QUAL_LICENCE_INVALID")
    if contract:
        campaign = reference.campaigns.get(call.campaign_id)
        # a blank campaign product is judged on purpose only; blank permitted_products permits none (README)
        if campaign is None or campaign.purpose not in contract.purposes or (
                campaign.product and campaign.product not in contract.products):
            broken.append("QUAL_OUT_OF_SCOPE")
    roster = [a for a in reference.agents if a.agency_id == call.agency_id and a.key == call.agent_id]
    # trained when any roster row has trained_on within the window (README decision)
    if roster and not any(a.trained_on is not None and a.trained_on <= day
                          and (day - a.trained_on).days <= pack.training_days for a in roster):
        broken.append("QUAL_AGENT_UNTRAINED")
    if not any(r.agency_id == call.agency_id and r.key == call.caller and r.start <= day
               and (r.end is None or day <= r.end) for r in reference.caller_numbers):
        broken.append("QUAL_UNREGISTERED_CALLER_ID")
    return broken
