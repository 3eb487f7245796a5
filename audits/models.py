"""Shared vocabulary: column sets, enumerations, rule metadata and the Scorecard.

Every stage speaks in these names; nothing here does I/O.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from enum import Enum

# --- enumerations of the data contract -------------------------------------------------

PURPOSES = ("marketing", "collection", "servicing")
CHANNELS = ("call", "sms")          # contracts.channels, caller_numbers.channel (sms.md §1); blank = call
DISPOSITIONS = ("ANSWERED", "NO_ANSWER", "BUSY", "REJECTED", "VOICEMAIL", "FAILED")
OUTCOMES = ("RIGHT_PARTY", "WRONG_PARTY", "REFUSED", "COMPLAINT")
CONVERSATION_OUTCOMES = ("RIGHT_PARTY", "REFUSED", "COMPLAINT")          # an answered call that reached someone
UNANSWERED_DISPOSITIONS = ("NO_ANSWER", "REJECTED", "VOICEMAIL")

REFERENCE_TABLES = ("contracts", "agents", "caller_numbers", "campaigns", "assignments", "consents")
# Optional reference tables of decisions made by people (cases.md §3): read when present.
DECISION_TABLES = ("exceptions", "disputes")

# Raw columns of each input table; the first list is required (non-blank), the second optional.
TABLE_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "contracts": (
        ("agency_id", "contract_id", "contract_start", "contract_end"),
        ("agency_name", "permitted_purposes", "permitted_products", "licence_no",
         "licence_expiry", "nda_signed", "nda_expiry", "timezone",
         "channels"),                  # sms.md §1: `call`, `sms` or both; blank = call
    ),
    "agents": (("agency_id", "agent_id", "active_from"), ("active_to", "trained_on")),
    # channel (sms.md §1): `call` or `sms`, blank = call; an sms row's caller_number is a port
    "caller_numbers": (("agency_id", "caller_number", "registered_from"), ("registered_to", "channel")),
    "campaigns": (("campaign_id",), ("purpose", "product")),
    "assignments": (
        ("agency_id", "campaign_id", "customer_id", "phone", "assigned_from"),
        ("assigned_to",),
    ),
    "consents": (("customer_id", "phone"), ("marketing_consent_at", "marketing_withdrawn_at")),
    "cdr": (
        ("call_id", "agency_id", "agent_id", "campaign_id", "caller_number", "callee_number",
         "start_time", "end_time", "disposition"),
        ("answer_time", "outcome", "notes", "callee_tz"),
    ),
    # sms.md §1: one agency's text messages of a day (`text` is personal data, never output)
    "sms": (
        ("message_id", "agency_id", "campaign_id", "direction", "sender", "customer_number", "sent_at"),
        ("agent_id", "status", "text", "customer_tz"),
    ),
    "exceptions": (      # agency_id and rule_id are required unless case_id names the case (cases.md §3)
        ("exception_id", "valid_from", "valid_to", "approved_by", "approved_on", "reason"),
        ("agency_id", "rule_id", "subject", "case_id"),
    ),
    "disputes": (
        ("dispute_id", "case_id", "raised_by", "raised_on", "status"),
        ("decided_by", "decided_on", "note"),
    ),
    # signals.md §1: complaints received on a day (optional; `text` is personal data, never output)
    "complaints": (("complaint_id", "received_at", "phone", "channel", "category"), ("agency_id", "text")),
}

# Typed kind of each column that is not plain text.
COLUMN_KINDS: dict[str, dict[str, str]] = {
    "contracts": {"contract_start": "date", "contract_end": "date", "licence_expiry": "date",
                  "nda_signed": "date", "nda_expiry": "date", "permitted_purposes": "list",
                  "permitted_products": "list", "timezone": "timezone", "channels": "list"},
    "agents": {"active_from": "date", "active_to": "date", "trained_on": "date"},
    "caller_numbers": {"caller_number": "phone", "registered_from": "date", "registered_to": "date",
                       "channel": "enum"},
    "campaigns": {"purpose": "enum"},
    "assignments": {"phone": "phone", "assigned_from": "date", "assigned_to": "date"},
    "consents": {"phone": "phone", "marketing_consent_at": "timestamp",
                 "marketing_withdrawn_at": "timestamp"},
    "cdr": {"caller_number": "phone", "callee_number": "phone", "start_time": "timestamp",
            "answer_time": "timestamp", "end_time": "timestamp", "disposition": "enum",
            "outcome": "enum", "callee_tz": "timezone"},
    "sms": {"customer_number": "phone", "sent_at": "timestamp", "direction": "enum", "status": "enum",
            "customer_tz": "timezone"},
    "exceptions": {"valid_from": "date", "valid_to": "date", "approved_on": "date"},
    "disputes": {"raised_on": "date", "status": "enum", "decided_on": "date"},
    "complaints": {"received_at": "timestamp", "phone": "phone", "channel": "enum", "category": "enum"},
}

ENUM_VALUES: dict[str, tuple[str, ...]] = {
    "purpose": PURPOSES,
    "disposition": DISPOSITIONS,
    "outcome": OUTCOMES,
    "status": ("open", "upheld", "rejected"),       # disputes.csv (cases.md §3)
    "channel": ("hotline", "regulator", "app", "branch", "other"),        # complaints (signals.md §1)
    "category": ("harassment", "privacy", "misconduct", "other"),
}

AGENCY_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")            # data-contract.md §1, contracts.agency_id


def agency_file_stem(agency_id: str) -> str:
    """The file name (without suffix) of an agency's scorecard or pack.

    The data contract restricts agency_id to AGENCY_ID; anything else is made safe (and kept
    unique with a short hash) so a bad id can never write outside agencies/.
    """
    if AGENCY_ID.fullmatch(agency_id):
        return agency_id
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", agency_id)[:48] or "agency"
    digest = hashlib.sha256(agency_id.encode("utf-8")).hexdigest()[:8]
    return f"{cleaned}-{digest}"

# --- outputs --------------------------------------------------------------------------

VIOLATION_COLUMNS = (
    "audit_date", "agency_id", "rule_id", "family", "severity", "call_id", "agent_id",
    "campaign_id", "callee_masked", "callee_key", "start_time", "detail",
    "case_id", "decision",      # cases.md §4: appended; decision blank until exceptions and disputes
    "channel",                  # sms.md §3: appended; `call` or `sms` (CHANNELS; call_id then holds the message_id)
)
QUARANTINE_COLUMNS = ("audit_date", "source", "agency_id", "row_number", "call_id", "reasons", "raw")

DQ_ROW_REASONS = (
    "DQ_MISSING_FIELD", "DQ_BAD_TIMESTAMP", "DQ_TIME_ORDER", "DQ_BAD_PHONE", "DQ_BAD_ENUM",
    "DQ_DUPLICATE_CALL_ID", "DQ_AGENCY_MISMATCH", "DQ_OUT_OF_DAY", "DQ_MALFORMED_ROW",
)
DQ_MESSAGE_REASONS = ("DQ_DUPLICATE_MESSAGE_ID",)     # sms.md §1: SMS files only (a message_id seen before in the file)
DQ_FILE_REASONS = ("DQ_FILE_MISSING", "DQ_FILE_UNREADABLE")

# Early warnings (signals.md §2): the metrics per entity and day, in this order, and warnings.csv.
WARNING_METRICS = ("attempts", "numbers", "intensity", "unassigned_share", "off_hours_share",
                   "short_answer_share", "refusal_rate", "new_numbers_share",
                   "opt_out_rate")             # sms.md §3: opt-outs an agency received / its SMS attempts
WARNING_COLUMNS = ("audit_date", "level", "agency_id", "agent_id", "metric", "value", "baseline", "z", "basis",
                   "detail")


class Severity(str, Enum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"


class Family(str, Enum):
    CONFIDENTIALITY = "confidentiality"
    QUALIFICATION = "qualification"
    FREQUENCY = "frequency"
    DATA_QUALITY = "data_quality"


class SubjectKind(str, Enum):
    """What a rule's findings are about, so what one case of the rule covers (cases.md §1)."""

    AGENCY = "agency"            # subject empty: one case per agency
    AGENT = "agent"              # agent_id
    CALLER = "caller"            # keyed hash of the caller number (E.164)
    CAMPAIGN = "campaign"        # campaign_id
    CUSTOMER = "customer"        # callee_key


@dataclass(frozen=True)
class RuleInfo:
    """What a rule is called, which family it scores in, how grave it is and what its cases
    are about."""

    rule_id: str
    family: Family
    severity: Severity
    title: str
    source: str
    subject: SubjectKind


RULE_INFO: tuple[RuleInfo, ...] = (
    RuleInfo("FREQ_CALLING_HOURS", Family.FREQUENCY, Severity.MAJOR,
             "Call outside permitted calling hours",
             "CBA collection guideline (2026), GB/T 45251-2025; 12 CFR 1006.6(b)(1)(i); 47 CFR 64.1200(c)(1)",
             SubjectKind.CAMPAIGN),
    RuleInfo("FREQ_DAILY_CAP", Family.FREQUENCY, Severity.MAJOR,
             "Attempts per number per day over the cap",
             "CBA 2026; Fla. Stat. 501.616(6)(b); Reg F comment 14(b)(2)(i)-2",
             SubjectKind.CUSTOMER),
    RuleInfo("FREQ_ROLLING_7D", Family.FREQUENCY, Severity.MAJOR,
             "Attempts per number in 7 days over the cap", "12 CFR 1006.14(b)(2)(i)(A); bank policy",
             SubjectKind.CUSTOMER),
    RuleInfo("FREQ_COOLING_OFF", Family.FREQUENCY, Severity.MAJOR,
             "Attempt inside the cooling-off period after a conversation",
             "12 CFR 1006.14(b)(2)(i)(B); bank policy",
             SubjectKind.CUSTOMER),
    RuleInfo("FREQ_RAPID_REDIAL", Family.FREQUENCY, Severity.MINOR,
             "Redial soon after an unanswered attempt", "Reg F comment 14(b)(2)(i)-2.i",
             SubjectKind.CUSTOMER),
    RuleInfo("FREQ_AFTER_REFUSAL", Family.FREQUENCY, Severity.CRITICAL,
             "Attempt after the customer refused further calls",
             "Consumer Rights Protection Law art. 29; Implementing Regulation (2024) art. 24; 12 CFR 1006.14(h)",
             SubjectKind.CUSTOMER),
    RuleInfo("FREQ_CALLER_DAILY_CAP", Family.FREQUENCY, Severity.MINOR,
             "Calls per caller number per day over the cap", "bank policy",
             SubjectKind.CALLER),
    RuleInfo("CONF_UNASSIGNED", Family.CONFIDENTIALITY, Severity.CRITICAL,
             "Customer not assigned to this agency", "PIPL art. 21, art. 6",
             SubjectKind.CUSTOMER),
    RuleInfo("CONF_NO_CONSENT", Family.CONFIDENTIALITY, Severity.CRITICAL,
             "Marketing call without consent in force",
             "Consumer Rights Protection Law art. 29; PIPL arts. 13-15; 47 CFR 64.1200",
             SubjectKind.CAMPAIGN),
    RuleInfo("CONF_AGENT_NOT_ACTIVE", Family.CONFIDENTIALITY, Severity.MAJOR,
             "Agent unknown or not active on the day", "PIPL art. 51(4)",
             SubjectKind.AGENT),
    RuleInfo("CONF_NDA_NOT_IN_FORCE", Family.CONFIDENTIALITY, Severity.MAJOR,
             "Confidentiality agreement not in force", "PIPL art. 21",
             SubjectKind.AGENCY),
    RuleInfo("CONF_PII_IN_NOTES", Family.CONFIDENTIALITY, Severity.CRITICAL,
             "Unmasked personal identifier in the notes", "PIPL arts. 28, 51(3)",
             SubjectKind.AGENT),
    RuleInfo("QUAL_NO_CONTRACT", Family.QUALIFICATION, Severity.CRITICAL,
             "No contract in force", "PIPL art. 21; CBIRC consumer-protection measures (2022) art. 41",
             SubjectKind.AGENCY),
    RuleInfo("QUAL_LICENCE_INVALID", Family.QUALIFICATION, Severity.MAJOR,
             "Licence missing or expired", "MIIT 2018 action plan; Fla. Stat. 501.616(4)",
             SubjectKind.AGENCY),
    RuleInfo("QUAL_OUT_OF_SCOPE", Family.QUALIFICATION, Severity.MAJOR,
             "Campaign outside the contract's purposes or products", "PIPL art. 21 para. 2; CFPB bulletin 2016-02",
             SubjectKind.CAMPAIGN),
    RuleInfo("QUAL_AGENT_UNTRAINED", Family.QUALIFICATION, Severity.MINOR,
             "Agent's compliance training missing or stale", "GB/T 45251-2025; 47 CFR 64.1200(d)(2)",
             SubjectKind.AGENT),
    RuleInfo("QUAL_UNREGISTERED_CALLER_ID", Family.QUALIFICATION, Severity.MAJOR,
             "Caller ID not registered", "Anti-Telecom-Fraud Law (2022) art. 13; 47 CFR 64.1601(e)",
             SubjectKind.CALLER),
    # Text messages (sms.md §2): findings on messages; CONTACT_ROLLING_7D on calls and messages.
    RuleInfo("SMS_HOURS", Family.FREQUENCY, Severity.MAJOR,
             "Text outside permitted hours", "MIIT guidance on commercial texts; bank policy",
             SubjectKind.CAMPAIGN),
    RuleInfo("SMS_DAILY_CAP", Family.FREQUENCY, Severity.MAJOR,
             "Texts per number per day over the cap", "bank policy",
             SubjectKind.CUSTOMER),
    RuleInfo("CONTACT_ROLLING_7D", Family.FREQUENCY, Severity.MAJOR,
             "Calls and texts per number in 7 days over the cap", "bank policy (limit contacts per number)",
             SubjectKind.CUSTOMER),
    RuleInfo("SMS_AFTER_OPT_OUT", Family.FREQUENCY, Severity.CRITICAL,
             "Marketing text after the customer opted out or refused", "MIIT Order No. 31 (2015)",
             SubjectKind.CUSTOMER),
    RuleInfo("SMS_NO_CONSENT", Family.CONFIDENTIALITY, Severity.CRITICAL,
             "Marketing text without consent in force", "PIPL arts. 13-15; MIIT Order No. 31 (2015); 47 CFR 64.1200",
             SubjectKind.CAMPAIGN),
    RuleInfo("SMS_PII_IN_TEXT", Family.CONFIDENTIALITY, Severity.CRITICAL,
             "Unmasked personal identifier in a text", "PIPL arts. 28, 51",
             SubjectKind.CAMPAIGN),
    RuleInfo("SMS_NO_OPT_OUT_TEXT", Family.QUALIFICATION, Severity.MAJOR,
             "Marketing text without a way to opt out", "MIIT Order No. 31 (2015)",
             SubjectKind.CAMPAIGN),
    RuleInfo("SMS_NO_SIGNATURE", Family.QUALIFICATION, Severity.MINOR,
             "Text without a signature", "carriers' signature registration; bank policy",
             SubjectKind.CAMPAIGN),
    RuleInfo("SMS_UNREGISTERED_SENDER", Family.QUALIFICATION, Severity.MAJOR,
             "Text from an unregistered sender port", "Anti-Telecom-Fraud Law (2022) art. 13",
             SubjectKind.CALLER),
)
RULES_BY_ID: dict[str, RuleInfo] = {info.rule_id: info for info in RULE_INFO}
SCORED_FAMILIES = (Family.CONFIDENTIALITY, Family.FREQUENCY, Family.QUALIFICATION, Family.DATA_QUALITY)

# --- cases: one meaning of "open" (cases.md §2) ------------------------------------------

CASE_STATUSES = ("new", "reopened", "open", "quiet", "resolved")
# "Open" in every count and sentence of the reports and the command line: not resolved. The
# status `open` (findings today and on an earlier day of the episode) is one of its parts.
OPEN_STATUSES = ("new", "reopened", "open", "quiet")


def open_cases_text(statuses) -> str:
    """The one way to count open cases in words, with the status breakdown beside it:
    '4 open (not resolved: 1 new, 1 open, 2 quiet); 1 resolved today'."""
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    parts = [f"{counts[s]:,} {s}" for s in OPEN_STATUSES if counts.get(s)]
    text = f"{sum(counts.get(s, 0) for s in OPEN_STATUSES):,} open" + (
        f" (not resolved: {', '.join(parts)})" if parts else "")
    return text + (f"; {counts['resolved']:,} resolved today" if counts.get("resolved") else "")


# --- grades: gates, not assessed, ranking (rules.md, Scoring) ---------------------------

NOT_ASSESSED = "not assessed"     # the words every output writes for an agency-day not assessed
GRADE_LETTERS = ("A", "B", "C", "D", "F")
# The gates other than a rule of `fail_rules` (whose gate is the rule id), with the letter each
# allows at most; among gates of the same letter a rule of fail_rules comes first, then this order.
GRADE_GATES = (("critical_share_f", "F"), ("critical_share_d", "D"), ("critical", "C"))
CRITICAL_SHARE_D = 0.001          # defaults of the rulepack's scoring.gates
CRITICAL_SHARE_F = 0.01
_RULE_GATE_WORDS = {"QUAL_NO_CONTRACT": "calls without a contract in force"}


def _percent(share: float) -> str:
    return f"{share * 100:g} %"


def gate_words(gate: str, *, critical_share_d: float = CRITICAL_SHARE_D,
               critical_share_f: float = CRITICAL_SHARE_F, contacts: str = "calls") -> str:
    """The sentence a scorecard shows for the gate that set its grade ("" for no gate), e.g.
    "F: calls without a contract in force"; `contacts`: what the shares are of ("contacts" where
    texts were audited)."""
    if not gate:
        return ""
    if gate == "critical_share_f":
        return f"F: critical findings on {_percent(critical_share_f)} or more of {contacts}"
    if gate == "critical_share_d":
        return f"D: critical findings on {_percent(critical_share_d)} or more of {contacts}"
    if gate == "critical":
        return "C: at least one critical finding"
    info = RULES_BY_ID.get(gate)
    words = _RULE_GATE_WORDS.get(gate) or (f"findings of {gate}" + (f" ({info.title.lower()})" if info else ""))
    return f"F: {words}"


def gates_text(*, critical: bool = True, critical_share_d: float | None = CRITICAL_SHARE_D,
               critical_share_f: float | None = CRITICAL_SHARE_F, fail_rules: tuple[str, ...] = ("QUAL_NO_CONTRACT",),
               contacts: str = "calls") -> str:
    """The gates of a rulepack in one sentence, for the note beside the grade bands (`contacts`:
    as for gate_words)."""
    parts = ["a critical finding caps the grade at C"] if critical else []
    parts += [f"critical findings on {_percent(share)} of {contacts} or more at {letter}"
              for share, letter in ((critical_share_d, "D"), (critical_share_f, "F")) if share]
    parts += [f"{_RULE_GATE_WORDS.get(rule) or 'a finding of ' + rule}: F" for rule in fail_rules]
    if not parts:
        return "No gate lowers the grade."
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:]


def worst_first_key(*, assessed: bool, grade: str, overall: float | None, agency_id: str) -> tuple:
    """Sort key of every ranking ("worst first"): not assessed first (by agency_id), then grade
    F, D, C, B, A, then overall ascending, then agency_id."""
    if not assessed:
        return (0, 0, 0.0, agency_id)
    letter = GRADE_LETTERS[::-1].index(grade) if grade in GRADE_LETTERS else 0
    return (1, letter, overall if overall is not None else 0.0, agency_id)


# --- the scorecard: what rendering sees --------------------------------------------------


@dataclass(frozen=True)
class FamilyScore:
    family: str              # Family value
    weight: float
    score: float | None      # None = not assessed
    rate: float | None       # share of calls (or rows, for data quality) with a finding
    affected: int            # calls with a finding in the family (rows quarantined for DQ)


@dataclass(frozen=True)
class RuleLine:
    rule_id: str
    family: str
    severity: str
    title: str
    threshold: str           # human text, e.g. "marketing 3, servicing 5, collection 6"
    evaluated: int           # calls the rule looked at
    findings: int
    rate: float | None


@dataclass(frozen=True)
class Finding:
    """One row of evidence, already masked."""

    rule_id: str
    severity: str
    call_id: str
    agent_id: str
    campaign_id: str
    callee_masked: str
    callee_key: str
    start_time: str          # ISO 8601 with offset, bank's zone
    detail: str
    case_id: str = ""        # cases.md §4
    decision: str = ""       # blank, accepted, dismissed or disputed
    channel: str = ""        # call or sms (sms.md §3); blank in reports made before texts
    excerpt: str = ""        # a text's masked excerpt (at most 40 characters); blank for a call


@dataclass(frozen=True)
class CaseLine:
    """One case of the agency's register on the day (a cases.csv row, already masked), with the
    first of its findings of the day as evidence."""

    case_id: str
    rule_id: str
    family: str
    severity: str
    subject_kind: str        # SubjectKind value
    subject_display: str     # masked
    status: str              # new, reopened, open, quiet, resolved
    decision: str            # blank, accepted, disputed (cases.md §2)
    first_seen: str
    last_seen: str
    days_open: int | None    # None once resolved
    findings_today: int
    findings_episode: int
    calls_today: int
    summary: str
    evidence: tuple[Finding, ...] = ()     # the case's first findings of the day, in violations.csv order
    complaints: int = 0                    # complaints linked to it in the window: escalated (signals.md §1)


@dataclass(frozen=True)
class TrendPoint:
    audit_date: str
    overall: float | None
    grade: str


@dataclass(frozen=True)
class DataQuality:
    file_status: str         # "ok" | "missing" | "unreadable"
    file_message: str        # why a file is missing/unreadable, "" when ok
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    reasons: tuple[tuple[str, int], ...]   # (DQ code, rows) sorted by code
    callee_tz_not_of_number: int = 0       # accepted calls whose callee_tz is not a zone of the number


@dataclass(frozen=True)
class InputFile:
    path: str
    sha256: str
    rows: int
    table: str = ""          # the input table (cdr, contracts, complaints, ...)
    agency_id: str = ""      # whose file it is, for an agency's CDR file; "" for a shared table


@dataclass(frozen=True)
class Provenance:
    run_id: str
    audit_date: str
    rulepack_name: str
    rulepack_sha256: str
    code_version: str
    generated_at: str
    inputs: tuple[InputFile, ...]


@dataclass(frozen=True)
class ComplaintRate:
    """Complaints linked to an agency over the last `window_days` days per 10,000 distinct
    numbers it attempted in those days (signals.md §1): an indicator, not a scored family."""

    window_days: int
    complaints: int                      # complaints linked to the agency, received in the window
    numbers: int                         # distinct numbers it attempted in the window
    rate_per_10k: float | None           # None when it attempted no number
    regulator: int                       # of those complaints, how many came through the regulator
    trend: tuple[tuple[str, float | None], ...] = ()   # (audit_date, rate) oldest first, today last
    history_days: int | None = None      # days of calls stored up to today (None: more than the trend shows)


@dataclass(frozen=True)
class EarlyWarning:
    """One row of warnings.csv, as the reports show it (signals.md §2)."""

    level: str               # "agency" | "agent"
    agency_id: str
    agent_id: str            # "" for an agency
    metric: str              # one of WARNING_METRICS
    value: str               # as written in warnings.csv
    baseline: str
    z: float
    basis: str               # "history" | "peers"
    detail: str              # one sentence


@dataclass(frozen=True)
class SlaClauseToDate:
    label: str               # "Overall score at least 85"
    result: str              # "met" | "at risk" (it would fail if the month ended today) | "n/a"
    text: str                # "83.20, 1.80 points below the minimum"


@dataclass(frozen=True)
class SlaToDate:
    """The monthly review's SLA clauses (review.md §1) judged on the month so far, as if it ended
    on the audit day."""

    month: str               # "2026-11"
    first_day: str
    last_day: str            # the audit day
    days: int                # days of the month with a report, the audit day included
    clauses: tuple[SlaClauseToDate, ...]


class GatedGrade:
    """What a card with `grade_gate` and `critical_shares` says of its gate (daily and period
    scorecards alike)."""

    @property
    def grade_capped(self) -> bool:
        """A gate lowered the grade below the band of its overall."""
        return bool(self.grade_gate)

    @property
    def contacts_noun(self) -> str:
        """What the card's rates and shares are of: "contacts" (calls and messages) where texts
        were audited, "calls" otherwise."""
        return "contacts" if getattr(self, "messages_audited", None) else "calls"

    @property
    def gate_sentence(self) -> str:
        """The gate that set the grade, in words ("" when none did)."""
        share_d, share_f = self.critical_shares
        return gate_words(self.grade_gate, critical_share_d=share_d, critical_share_f=share_f,
                          contacts=self.contacts_noun)


@dataclass(frozen=True)
class Scorecard(GatedGrade):
    agency_id: str
    agency_name: str
    audit_date: str
    assessed: bool                       # False when the file is missing or unreadable
    calls_audited: int
    overall: float | None
    grade: str                           # "A".."F", "" when not assessed (every output writes NOT_ASSESSED)
    grade_gate: str                      # the gate that lowered the band's letter (GRADE_GATES), "" when none
    critical_findings: int
    total_findings: int
    families: tuple[FamilyScore, ...]
    rules: tuple[RuleLine, ...]
    top_agents: tuple[tuple[str, int], ...]
    top_callers: tuple[tuple[str, int], ...]     # masked caller numbers
    findings_by_hour: tuple[int, ...]            # 24 counts, bank's local hour of start_time
    findings: tuple[Finding, ...]                # evidence: up to 2,000 per rule, in violations.csv order
    trend: tuple[TrendPoint, ...]                # oldest first, up to 30 days, includes today
    change_prev_day: float | None
    change_prev_7d: float | None                 # against the mean of the previous 7 days
    data_quality: DataQuality
    provenance: Provenance
    grade_bands: tuple[tuple[str, float], ...] = field(default=(("A", 90.0), ("B", 80.0),
                                                               ("C", 70.0), ("D", 60.0)))
    # Cases (cases.md §4): every case of the agency's register, in the order the scorecard shows them.
    cases: tuple[CaseLine, ...] = ()
    # The score and grade counting accepted and dismissed findings too; None when scores.csv has no
    # overall_before_decisions (reports made before decisions were read).
    overall_before_decisions: float | None = None
    grade_before_decisions: str = ""
    complaints: ComplaintRate | None = None      # signals.md §1: an indicator beside the score
    warnings: tuple[EarlyWarning, ...] = ()      # the agency's and its agents' early warnings, by z
    # The rulepack's critical-share gates (scoring.gates), for the gate's sentence.
    critical_shares: tuple[float, float] = (CRITICAL_SHARE_D, CRITICAL_SHARE_F)
    sla_to_date: SlaToDate | None = None         # the month's SLA so far (review.md §1), None when not judged
    gates_text: str = field(default_factory=gates_text)      # the rulepack's gates in words
    # Text messages (sms.md §3): messages audited and findings on them; 0 for an agency without texts.
    messages_audited: int = 0
    findings_sms: int = 0
    texts_shown: bool = False            # the day has texts (some agency's): both channels are shown side by side

    @property
    def findings_calls(self) -> int:
        """Findings on calls (every finding that is not on a text)."""
        return self.total_findings - self.findings_sms


@dataclass(frozen=True)
class RegulatorComplaint:
    """A complaint received through the regulator on the day and linked to an agency (signals.md §1),
    as the portfolio lists it first: never the customer's words."""

    complaint_id: str
    received_at: str
    category: str
    callee_masked: str
    agencies: tuple[str, ...]        # linked agencies, sorted
    case_ids: tuple[str, ...]        # linked cases, sorted
    status: str                      # linked | named_only


@dataclass(frozen=True)
class IgnoredFile:
    """A delivered entry of the landing zone that was not read (not an agency file, a file under
    reference/ that is no table), with the reason."""

    path: str                # relative to the landing zone
    reason: str


@dataclass(frozen=True)
class Portfolio:
    audit_date: str
    scorecards: tuple[Scorecard, ...]    # ranked worst first (worst_first_key)
    provenance: Provenance
    ignored_files: tuple[IgnoredFile, ...] = ()     # delivered but not agency files (manifest status "ignored")
    unread_decisions: tuple[IgnoredFile, ...] = ()  # decision tables that could not be read: not applied tonight
    warnings: tuple[EarlyWarning, ...] = ()         # every early warning: agencies first, then agents, by z
    regulator_complaints: tuple[RegulatorComplaint, ...] = ()   # received today, linked to an agency
    desk: object | None = None       # audits.desk.nightly.DeskAttention: what the case desk waits on (None: no desk)
