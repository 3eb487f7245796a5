"""Frozen configuration: the audit run (AuditConfig) and its thresholds (Rulepack; read from
YAML by audits.rulepack).

Nothing below the CLI or the DAG reads the environment or the clock: they build these
objects and pass them down.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from audits.errors import PermanentError
from audits.models import CRITICAL_SHARE_D, CRITICAL_SHARE_F, PURPOSES, SCORED_FAMILIES

DEVELOPMENT_HMAC_SECRET = b"development-only-secret-do-not-use-in-production"
# The most bytes one landing file may hold once decompressed (CSV text, Parquet pages, an XLSX's
# parts): ten million calls are ~2 GiB of CSV, so 4 GiB leaves room while a compression bomb
# (a few MB that inflate to many GiB) is refused before it exhausts memory.
DEFAULT_MAX_FILE_BYTES = 4 * 1024 ** 3


class ConfigError(PermanentError, ValueError):
    """A rulepack or setting that cannot be used; the message says which key and why."""


@dataclass(frozen=True)
class GradeGates:
    """The rulepack's `scoring.gates`: each lowers the grade to at most its letter (a share set
    to null, `critical: false` or an empty `fail_rules` leaves that gate out)."""

    critical: bool = True                                 # any counted critical finding: at most C
    critical_share_d: float | None = CRITICAL_SHARE_D     # calls with a counted critical >= share: at most D
    critical_share_f: float | None = CRITICAL_SHARE_F     # ... >= this share: F
    fail_rules: tuple[str, ...] = ("QUAL_NO_CONTRACT",)   # any counted finding of these rules: F


@dataclass(frozen=True)
class Scoring:
    """The rulepack's `scoring` section (rules.md): a key left out takes the default here."""

    tolerances: dict[str, float] = field(default_factory=lambda: {f.value: 0.05 for f in SCORED_FAMILIES})
    weights: dict[str, float] = field(default_factory=lambda: {"confidentiality": 0.35, "frequency": 0.30,
                                                               "qualification": 0.25, "data_quality": 0.10})
    grade_bands: tuple[tuple[str, float], ...] = (("A", 90.0), ("B", 80.0), ("C", 70.0), ("D", 60.0))  # highest first
    trend_days: int = 30
    gates: GradeGates = field(default_factory=GradeGates)


@dataclass(frozen=True)
class CaseSettings:
    """The rulepack's `cases` section (cases.md §2-3)."""

    resolve_after_days: int = 7        # a case without findings for this many days is resolved
    max_exception_days: int = 90       # the longest an accepted exception may run


# Default floors of the early warnings' z (signals.md §2), in each metric's own unit: the least
# spread a baseline is taken to have. Sized so that the sampling noise of an agent at the least
# volume judged (50 attempts, ~15 conversations) does not reach z 4 by chance.
DEFAULT_WARNING_FLOORS = {"attempts": 25.0, "numbers": 25.0, "intensity": 0.25, "unassigned_share": 0.02,
                          "off_hours_share": 0.02, "short_answer_share": 0.05, "refusal_rate": 0.10,
                          "new_numbers_share": 0.10, "opt_out_rate": 0.02}
# Default least denominators of the rates (metrics.py RATIOS): below it, a rate is undefined that
# day (not judged, no baseline day, no peer), so that one refusal in two conversations cannot warn.
# Sized so that a warning needs at least four events above the median at the floor's z 4; intensity's
# numerator is already >= min_attempts attempts and few numbers is what it looks for.
DEFAULT_WARNING_MIN_DENOMINATORS = {"intensity": 1, "unassigned_share": 50, "off_hours_share": 50,
                                    "short_answer_share": 20, "refusal_rate": 20, "new_numbers_share": 20,
                                    "opt_out_rate": 50}


@dataclass(frozen=True)
class WarningSettings:
    """The rulepack's `warnings` section (signals.md §2)."""

    z: float = 4.0                       # warn when z >= this (high side only)
    baseline_days: int = 28              # calendar days before D whose metrics make the baseline
    min_baseline_days: int = 10          # of them, days with >= min_attempts needed for a baseline
    min_attempts: int = 50               # attempts an entity needs on a day to be judged or to count
    min_peers: int = 10                  # other agents of the agency (>= min_attempts) for a peer comparison
    short_answer_seconds: float = 10.0   # an answered call shorter than this is a short answer
    new_numbers_days: int = 28           # "new": not attempted by the agency in this many previous days
    floors: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WARNING_FLOORS))
    min_denominators: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_WARNING_MIN_DENOMINATORS))


@dataclass(frozen=True)
class ComplaintSettings:
    """The rulepack's `complaints` section (signals.md §1)."""

    lookback_days: int = 14            # a complaint of day D links to calls dated D - lookback_days .. D
    window_days: int = 30              # complaints received in the last N days count in the rate and escalate cases


@dataclass(frozen=True)
class SlaSettings:
    """The rulepack's `review.sla` (review.md §1): what an agency's period must meet. A clause
    left out takes its default; a clause set to null is not part of the SLA (None here)."""

    min_overall_score: float | None = 85.0           # period overall score at least this
    max_open_critical_days: int | None = 7           # no critical case open longer at period end
    max_complaint_rate_per_10k: float | None = 5.0   # complaints per 10,000 numbers called, at most
    max_not_assessed_days: int | None = 1            # days with the agency's file missing or unreadable


@dataclass(frozen=True)
class ReviewSettings:
    """The rulepack's `review` section: the monthly/quarterly review (review.md)."""

    sla: SlaSettings = field(default_factory=SlaSettings)


# sms.md: what counts as an opt-out reply, and the sentence each marketing text must carry.
DEFAULT_OPT_OUT_KEYWORDS = ("t", "td", "n", "0000", "退订", "退", "stop", "unsubscribe")
DEFAULT_OPT_OUT_TEXT = r"回复?\s*(T|TD|N|退订)|退订|reply stop"


@dataclass(frozen=True)
class SmsSettings:
    """The rulepack's `sms` section (sms.md §2): the text-message rules' thresholds."""

    hours: dict[str, tuple[int, int]] = field(      # purpose -> (start, end) in minutes of day, customer-local
        default_factory=lambda: dict.fromkeys(PURPOSES, (8 * 60, 21 * 60)))
    daily_caps: dict[str, int] = field(             # SMS_DAILY_CAP: SMS attempts per number, purpose and date
        default_factory=lambda: {"marketing": 1, "servicing": 5, "collection": 3})
    contact_caps: dict[str, int] = field(           # CONTACT_ROLLING_7D: calls + texts per number and purpose
        default_factory=lambda: {"marketing": 10, "servicing": 15, "collection": 25})
    contact_window_days: int = 7                    # D-6..D
    opt_out_keywords: frozenset[str] = frozenset(DEFAULT_OPT_OUT_KEYWORDS)   # NFKC, trimmed, case-folded
    opt_out_text: str = DEFAULT_OPT_OUT_TEXT        # a regex, matched ignoring case after NFKC
    signatures: tuple[str, ...] = ()                # names allowed in 【name】; empty: any of 2-20 characters
    opt_out_is_refusal: bool = True                 # an opt-out refuses marketing calls too (FREQ_AFTER_REFUSAL)


@dataclass(frozen=True, kw_only=True)
class Rulepack:
    """A rulepack (audits.rulepack reads it from YAML): a field with a default may be left out of
    the file; the others are required there."""

    name: str
    sha256: str
    description: str = ""
    bank_timezone: str = "Asia/Shanghai"
    default_region: str = "CN"
    attempt_dispositions: frozenset[str] = frozenset({"ANSWERED", "NO_ANSWER", "REJECTED", "VOICEMAIL"})
    enabled_rules: frozenset[str]
    calling_hours: dict[str, tuple[int, int]]        # purpose -> (start, end) in minutes of day
    daily_cap: dict[str, int]
    rolling_cap: dict[str, int]
    rolling_window_days: int = 7
    cooling_off_days: dict[str, int] = field(default_factory=dict)
    redial_gap_minutes: float
    refusal_applies_to: frozenset[str]
    caller_daily_cap: int
    training_valid_days: int
    scoring: Scoring = field(default_factory=Scoring)
    cases: CaseSettings = field(default_factory=CaseSettings)
    complaints: ComplaintSettings = field(default_factory=ComplaintSettings)
    warnings: WarningSettings = field(default_factory=WarningSettings)
    review: ReviewSettings = field(default_factory=ReviewSettings)
    sms: SmsSettings = field(default_factory=SmsSettings)
    # Where it was loaded from, so that `verify` can re-hash it: "builtin:<stem>" for a packaged
    # rulepack (audits/rulepacks/<stem>.yaml), else the file's absolute path.
    source: str = ""

    def threshold_text(self, rule_id: str) -> str:
        """Human text of a rule's thresholds, for scorecards."""
        per_purpose = lambda values: ", ".join(f"{p} {values[p]}" for p in PURPOSES if p in values)  # noqa: E731
        texts = {
            "FREQ_CALLING_HOURS": ", ".join(
                f"{p} {_hhmm(s)}–{_hhmm(e)}" for p, (s, e) in sorted(self.calling_hours.items())),
            "FREQ_DAILY_CAP": per_purpose(self.daily_cap),
            "FREQ_ROLLING_7D": per_purpose(self.rolling_cap) + f" in {self.rolling_window_days} days",
            "FREQ_COOLING_OFF": per_purpose(self.cooling_off_days) + " days" if self.cooling_off_days else "off",
            "FREQ_RAPID_REDIAL": f"{self.redial_gap_minutes:g} min",
            "FREQ_AFTER_REFUSAL": ", ".join(sorted(self.refusal_applies_to)) + "; forever",
            "FREQ_CALLER_DAILY_CAP": f"{self.caller_daily_cap} calls per caller number per day",
            "QUAL_AGENT_UNTRAINED": f"training valid {self.training_valid_days} days",
            "SMS_HOURS": ", ".join(f"{p} {_hhmm(s)}–{_hhmm(e)}" for p, (s, e) in sorted(self.sms.hours.items())),
            "SMS_DAILY_CAP": per_purpose(self.sms.daily_caps),
            "CONTACT_ROLLING_7D": per_purpose(self.sms.contact_caps) + f" in {self.sms.contact_window_days} days",
        }
        return texts.get(rule_id, "—")


@dataclass(frozen=True)
class AuditConfig:
    """One audit run: which day, where inputs and outputs live, which rules."""

    audit_date: dt.date
    landing: Path
    out: Path
    store: Path
    rulepack: Rulepack
    hmac_secret: bytes = DEVELOPMENT_HMAC_SECRET
    run_id: str = "manual"
    code_version: str = "unknown"
    generated_at: str = ""                           # ISO timestamp of the run, for provenance
    show_progress: bool = False
    agencies: tuple[str, ...] | None = field(default=None)   # restrict to these (None = all)
    workers: int = 1                                          # processes for run_audit's parallel stages
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES              # per landing file, once decompressed
    orchestrated: bool = False        # True under Airflow: stages are separate tasks, the work outlives each process
    lock_wait_seconds: float = 1800.0     # how long to wait for another run's lock on the day or the store
    desk_base_url: str = ""               # where the case desk is served: the portfolio links its cases there
    # Ed25519PrivateKey that signs the manifest (audits.signing), None = unsigned; read at the edge (CLI, DAG),
    # never printed (repr=False) nor compared.
    signing_key: object | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_run_id(self.run_id)

    @property
    def report_dir(self) -> Path:
        return self.out / self.audit_date.isoformat()


# A run id names folders (work directory, superseded/<run id>/): letters, digits and _ . : + -
# (what Airflow's run ids use), never "." or "..", which would name a parent folder.
RUN_ID_PATTERN = re.compile(r"[A-Za-z0-9_.:+-]{1,200}")


def check_run_id(run_id: str) -> str:
    """The run id, or ConfigError when it cannot safely name a folder."""
    if not isinstance(run_id, str) or not RUN_ID_PATTERN.fullmatch(run_id) or run_id in (".", ".."):
        raise ConfigError(f"run id {str(run_id)[:80]!r} is not usable: a run id names folders, so it must be 1-200 "
                          "characters from letters, digits and _ . : + - and not '.' or '..' "
                          "(for example manual__20261128T020000Z).")
    return run_id


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
