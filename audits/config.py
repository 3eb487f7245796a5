"""Frozen configuration: the audit run (AuditConfig) and its thresholds (Rulepack, from YAML).

Nothing below the CLI or the DAG reads the environment or the clock: they build these
objects and pass them down.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import reprlib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from audits.models import (CRITICAL_SHARE_D, CRITICAL_SHARE_F, DISPOSITIONS, PURPOSES, RULES_BY_ID, SCORED_FAMILIES,
                           WARNING_METRICS)

RULEPACK_DIR = Path(__file__).parent / "rulepacks"
DEFAULT_RULEPACK = "cn_bank"
BUILTIN_PREFIX = "builtin:"
DEVELOPMENT_HMAC_SECRET = b"development-only-secret-do-not-use-in-production"
# The most bytes one landing file may hold once decompressed (CSV text, Parquet pages, an XLSX's
# parts): ten million calls are ~2 GiB of CSV, so 4 GiB leaves room while a compression bomb
# (a few MB that inflate to many GiB) is refused before it exhausts memory.
DEFAULT_MAX_FILE_BYTES = 4 * 1024 ** 3


class ConfigError(ValueError):
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
    tolerances: dict[str, float]
    weights: dict[str, float]
    grade_bands: tuple[tuple[str, float], ...]      # ("A", 90.0) ... highest first
    trend_days: int
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
                          "new_numbers_share": 0.10}
# Default least denominators of the rates (metrics.py RATIOS): below it, a rate is undefined that
# day (not judged, no baseline day, no peer), so that one refusal in two conversations cannot warn.
# Sized so that a warning needs at least four events above the median at the floor's z 4; intensity's
# numerator is already >= min_attempts attempts and few numbers is what it looks for.
DEFAULT_WARNING_MIN_DENOMINATORS = {"intensity": 1, "unassigned_share": 50, "off_hours_share": 50,
                                    "short_answer_share": 20, "refusal_rate": 20, "new_numbers_share": 20}


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


@dataclass(frozen=True)
class Rulepack:
    name: str
    sha256: str
    description: str
    bank_timezone: str
    default_region: str
    attempt_dispositions: frozenset[str]
    enabled_rules: frozenset[str]
    calling_hours: dict[str, tuple[int, int]]        # purpose -> (start, end) in minutes of day
    daily_cap: dict[str, int]
    rolling_cap: dict[str, int]
    rolling_window_days: int
    cooling_off_days: dict[str, int]
    redial_gap_minutes: float
    refusal_applies_to: frozenset[str]
    caller_daily_cap: int
    training_valid_days: int
    scoring: Scoring
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


# --- loading a rulepack -----------------------------------------------------------------

_TOP_KEYS = {"name", "description", "bank_timezone", "default_region", "attempt_dispositions",
             "rules", "scoring", "cases", "complaints", "warnings", "review", "sms"}
_RULE_KEYS = {
    "FREQ_CALLING_HOURS": {"enabled", "windows"},
    "FREQ_DAILY_CAP": {"enabled", "caps"},
    "FREQ_ROLLING_7D": {"enabled", "caps", "window_days"},
    "FREQ_COOLING_OFF": {"enabled", "cooling_off_days"},
    "FREQ_RAPID_REDIAL": {"enabled", "redial_gap_minutes"},
    "FREQ_AFTER_REFUSAL": {"enabled", "refusal_applies_to"},
    "FREQ_CALLER_DAILY_CAP": {"enabled", "cap"},
    "QUAL_AGENT_UNTRAINED": {"enabled", "training_valid_days"},
}
_SCORING_KEYS = {"tolerances", "weights", "grade_bands", "gates", "trend_days"}
_GATES_KEYS = {"critical", "critical_share_d", "critical_share_f", "fail_rules"}
_CASES_KEYS = {"resolve_after_days", "max_exception_days"}
_COMPLAINTS_KEYS = {"lookback_days", "window_days"}
_WARNINGS_KEYS = {"z", "baseline_days", "min_baseline_days", "min_attempts", "min_peers", "short_answer_seconds",
                  "new_numbers_days", "floors", "min_denominators"}
_REVIEW_KEYS = {"sla"}


def load_rulepack(name_or_path: str | Path) -> Rulepack:
    """Load a rulepack by name (audits/rulepacks/<name>.yaml) or by file path."""
    path = Path(name_or_path)
    builtin = not path.suffix
    if builtin:
        path = rulepack_file(f"{BUILTIN_PREFIX}{name_or_path}")
        if path is None or not path.is_file():
            known = ", ".join(sorted(p.stem for p in RULEPACK_DIR.glob("*.yaml")))
            raise ConfigError(f"Unknown rulepack {str(name_or_path)!r}. Known rulepacks: {known}; "
                              "or pass the path of a YAML file.")
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"Cannot read rulepack {path}: {exc.strerror}.") from exc
    document = load_yaml(raw_bytes, f"Rulepack {path}")
    source = f"{BUILTIN_PREFIX}{path.stem}" if builtin else str(path.resolve())
    try:
        return _parse_rulepack(document, sha256=hashlib.sha256(raw_bytes).hexdigest(), source=source)
    except ConfigError as exc:
        raise ConfigError(f"Rulepack {path}: {exc}") from None


def rulepack_file(source: str) -> Path | None:
    """The file a Rulepack.source names: the packaged file of a built-in name (None for a name
    that is not a plain file stem: never a path out of audits/rulepacks/), else the path itself."""
    if source.startswith(BUILTIN_PREFIX):
        name = source[len(BUILTIN_PREFIX):]
        return RULEPACK_DIR / f"{name}.yaml" if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name) else None
    return Path(source)


def _parse_rulepack(doc: object, *, sha256: str, source: str = "") -> Rulepack:
    doc = mapping_of(doc, "the document")
    no_unknown_keys(doc, _TOP_KEYS, "")
    rules = mapping_of(doc.get("rules", {}), "rules")
    for rule_id, settings in rules.items():
        if rule_id not in RULES_BY_ID:
            raise ConfigError(f"rules.{rule_id}: no such rule id. Known rule ids: "
                              + ", ".join(sorted(RULES_BY_ID)))
        no_unknown_keys(mapping_of(settings or {}, f"rules.{rule_id}"),
                         _RULE_KEYS.get(rule_id, {"enabled"}), f"rules.{rule_id}.")

    def setting(rule_id: str, key: str, default: object = None) -> object:
        value = (rules.get(rule_id) or {}).get(key, default)
        if value is None:
            raise ConfigError(f"rules.{rule_id}.{key} is required.")
        return value

    enabled = frozenset(r for r in RULES_BY_ID
                        if _boolean((rules.get(r) or {}).get("enabled", True), f"rules.{r}.enabled"))
    windows = mapping_of(setting("FREQ_CALLING_HOURS", "windows"), "rules.FREQ_CALLING_HOURS.windows")
    calling_hours = {}
    for purpose, window in windows.items():
        key = f"rules.FREQ_CALLING_HOURS.windows.{purpose}"
        _purpose(purpose, key)
        window = mapping_of(window, key)
        no_unknown_keys(window, {"start", "end"}, key + ".")
        start, end = _clock(window.get("start"), key + ".start"), _clock(window.get("end"), key + ".end")
        if end <= start:
            raise ConfigError(f"{key}: end must be after start.")
        calling_hours[purpose] = (start, end)

    scoring_doc = mapping_of(doc.get("scoring", {}), "scoring")
    if "critical_grade_cap" in scoring_doc:
        raise ConfigError("scoring.critical_grade_cap is replaced by scoring.gates (critical: true caps the grade "
                          "at C; critical_share_d, critical_share_f and fail_rules lower it to D or F).")
    no_unknown_keys(scoring_doc, _SCORING_KEYS, "scoring.")
    families = [f.value for f in SCORED_FAMILIES]
    tolerances = _family_numbers(scoring_doc.get("tolerances", {f: 0.05 for f in families}),
                                 "scoring.tolerances", families, positive=True)
    weights = _family_numbers(scoring_doc.get("weights", {"confidentiality": 0.35, "frequency": 0.30,
                                                          "qualification": 0.25, "data_quality": 0.10}),
                              "scoring.weights", families, positive=False)
    if abs(sum(weights.values()) - 1.0) > 1e-9:
        raise ConfigError(f"scoring.weights must add up to 1 (they add up to {sum(weights.values()):g}).")
    bands_doc = mapping_of(scoring_doc.get("grade_bands", {"A": 90, "B": 80, "C": 70, "D": 60}),
                         "scoring.grade_bands")
    bands = tuple(sorted(((str(g), _number(v, f"scoring.grade_bands.{g}", 0, 100))
                          for g, v in bands_doc.items()), key=lambda band: -band[1]))
    if not {"C", "D"} <= {g for g, _ in bands}:
        raise ConfigError("scoring.grade_bands must include C and D: the gates lower a grade to C, D or F.")

    cases_doc = mapping_of(doc.get("cases") or {}, "cases")
    no_unknown_keys(cases_doc, _CASES_KEYS, "cases.")
    cases = CaseSettings(
        resolve_after_days=int(_number(cases_doc.get("resolve_after_days", 7), "cases.resolve_after_days",
                                       1, 3660, integer=True)),
        max_exception_days=int(_number(cases_doc.get("max_exception_days", 90), "cases.max_exception_days",
                                       1, 3660, integer=True)))

    complaints = _complaint_settings(doc.get("complaints") or {})

    return Rulepack(
        name=_text(doc.get("name"), "name"),
        sha256=sha256,
        description=str(doc.get("description", "")),
        bank_timezone=_timezone(doc.get("bank_timezone", "Asia/Shanghai"), "bank_timezone"),
        default_region=_region(doc.get("default_region", "CN"), "default_region"),
        attempt_dispositions=frozenset(
            _choice(d, DISPOSITIONS, "attempt_dispositions")
            for d in _list(doc.get("attempt_dispositions", ["ANSWERED", "NO_ANSWER", "REJECTED", "VOICEMAIL"]),
                           "attempt_dispositions")),
        enabled_rules=enabled,
        calling_hours=calling_hours,
        daily_cap=_purpose_ints(setting("FREQ_DAILY_CAP", "caps"), "rules.FREQ_DAILY_CAP.caps"),
        rolling_cap=_purpose_ints(setting("FREQ_ROLLING_7D", "caps"), "rules.FREQ_ROLLING_7D.caps"),
        rolling_window_days=int(_number(setting("FREQ_ROLLING_7D", "window_days", 7),
                                        "rules.FREQ_ROLLING_7D.window_days", 1, 366, integer=True)),
        cooling_off_days=_purpose_ints(setting("FREQ_COOLING_OFF", "cooling_off_days", {}),
                                       "rules.FREQ_COOLING_OFF.cooling_off_days", minimum=1),
        redial_gap_minutes=_number(setting("FREQ_RAPID_REDIAL", "redial_gap_minutes"),
                                   "rules.FREQ_RAPID_REDIAL.redial_gap_minutes", 0, 1440),
        refusal_applies_to=frozenset(
            _purpose(p, "rules.FREQ_AFTER_REFUSAL.refusal_applies_to")
            for p in _list(setting("FREQ_AFTER_REFUSAL", "refusal_applies_to"),
                           "rules.FREQ_AFTER_REFUSAL.refusal_applies_to")),
        caller_daily_cap=int(_number(setting("FREQ_CALLER_DAILY_CAP", "cap"),
                                     "rules.FREQ_CALLER_DAILY_CAP.cap", 1, 10**9, integer=True)),
        training_valid_days=int(_number(setting("QUAL_AGENT_UNTRAINED", "training_valid_days"),
                                        "rules.QUAL_AGENT_UNTRAINED.training_valid_days", 0, 10**5,
                                        integer=True)),
        scoring=Scoring(tolerances=tolerances, weights=weights, grade_bands=bands,
                        trend_days=int(_number(scoring_doc.get("trend_days", 30), "scoring.trend_days",
                                               1, 366, integer=True)),
                        gates=_grade_gates(scoring_doc.get("gates"))),
        cases=cases,
        complaints=complaints,
        warnings=_warning_settings(doc.get("warnings")),
        review=_review_settings(doc.get("review")),
        sms=_sms_settings(doc.get("sms")),
        source=source,
    )


def _grade_gates(value: object) -> GradeGates:
    """`scoring.gates`: every key optional (GradeGates' defaults); a share null leaves its gate out."""
    doc = mapping_of(value or {}, "scoring.gates")
    no_unknown_keys(doc, _GATES_KEYS, "scoring.gates.")
    default = GradeGates()
    shares = {}
    for key in ("critical_share_d", "critical_share_f"):
        raw = doc.get(key, getattr(default, key))
        shares[key] = None if raw is None else _number(raw, f"scoring.gates.{key}", 1e-9, 1)
    if None not in shares.values() and shares["critical_share_d"] > shares["critical_share_f"]:
        raise ConfigError(f"scoring.gates.critical_share_d ({shares['critical_share_d']:g}) cannot exceed "
                          f"scoring.gates.critical_share_f ({shares['critical_share_f']:g}).")
    rules = [str(r) for r in _list(doc.get("fail_rules", list(default.fail_rules)), "scoring.gates.fail_rules")]
    unknown = [r for r in rules if r not in RULES_BY_ID]
    if unknown:
        raise ConfigError(f"scoring.gates.fail_rules: {unknown[0]!r} is no rule id. Known rule ids: "
                          + ", ".join(sorted(RULES_BY_ID)))
    return GradeGates(critical=_boolean(doc.get("critical", default.critical), "scoring.gates.critical"),
                      fail_rules=tuple(dict.fromkeys(rules)), **shares)


def _complaint_settings(value: object) -> ComplaintSettings:
    """The `complaints` section: unknown keys refused, each value a whole number of days."""
    section = mapping_of(value, "complaints")
    no_unknown_keys(section, _COMPLAINTS_KEYS, "complaints.")
    return ComplaintSettings(
        lookback_days=int(_number(section.get("lookback_days", 14), "complaints.lookback_days", 0, 366,
                                  integer=True)),
        window_days=int(_number(section.get("window_days", 30), "complaints.window_days", 1, 366, integer=True)))
def _warning_settings(value: object) -> WarningSettings:
    """The `warnings` section; every key optional (WarningSettings' defaults)."""
    doc = mapping_of(value or {}, "warnings")
    no_unknown_keys(doc, _WARNINGS_KEYS, "warnings.")
    default = WarningSettings()

    def whole(key: str, low: int, high: int) -> int:
        return int(_number(doc.get(key, getattr(default, key)), f"warnings.{key}", low, high, integer=True))

    z = _number(doc.get("z", default.z), "warnings.z", 0.5, 1000)
    baseline_days = whole("baseline_days", 1, 366)
    min_baseline_days = whole("min_baseline_days", 1, 366)
    if min_baseline_days > baseline_days:
        raise ConfigError(f"warnings.min_baseline_days ({min_baseline_days}) cannot exceed warnings.baseline_days "
                          f"({baseline_days}): no baseline could ever be formed.")
    seconds = _number(doc.get("short_answer_seconds", default.short_answer_seconds),
                      "warnings.short_answer_seconds", 0.001, 3600)
    if abs(seconds * 1000 - round(seconds * 1000)) > 1e-6:     # talk times are compared in whole milliseconds
        raise ConfigError(f"warnings.short_answer_seconds must be a whole number of milliseconds, got {shown(seconds)}.")
    floors_doc = mapping_of(doc.get("floors") or {}, "warnings.floors")
    no_unknown_keys(floors_doc, set(WARNING_METRICS), "warnings.floors.")
    floors = {m: _number(floors_doc.get(m, default.floors[m]), f"warnings.floors.{m}", 1e-9, 1e9)
              for m in WARNING_METRICS}
    least_doc = mapping_of(doc.get("min_denominators") or {}, "warnings.min_denominators")
    no_unknown_keys(least_doc, set(DEFAULT_WARNING_MIN_DENOMINATORS), "warnings.min_denominators.")
    least = {m: int(_number(least_doc.get(m, n), f"warnings.min_denominators.{m}", 1, 10**9, integer=True))
             for m, n in DEFAULT_WARNING_MIN_DENOMINATORS.items()}
    return WarningSettings(z=z, baseline_days=baseline_days, min_baseline_days=min_baseline_days,
                           min_attempts=whole("min_attempts", 1, 10**9), min_peers=whole("min_peers", 1, 10**6),
                           short_answer_seconds=seconds, new_numbers_days=whole("new_numbers_days", 1, 366),
                           floors=floors, min_denominators=least)


def _review_settings(value: object) -> ReviewSettings:
    """`review.sla`: each clause optional (its default), null to leave it out of the SLA."""
    review = mapping_of(value or {}, "review")
    no_unknown_keys(review, _REVIEW_KEYS, "review.")
    sla = mapping_of(review.get("sla") or {}, "review.sla")
    defaults = SlaSettings()
    no_unknown_keys(sla, set(defaults.__dataclass_fields__), "review.sla.")
    limits = {"min_overall_score": (0, 100, False), "max_open_critical_days": (0, 3660, True),
              "max_complaint_rate_per_10k": (0, 10_000, False), "max_not_assessed_days": (0, 92, True)}
    clauses = {}
    for key, (low, high, integer) in limits.items():
        raw = sla.get(key, getattr(defaults, key))
        if raw is None:
            clauses[key] = None
            continue
        number = _number(raw, f"review.sla.{key}", low, high, integer=integer)
        clauses[key] = int(number) if integer else number
    return ReviewSettings(sla=SlaSettings(**clauses))


_SMS_KEYS = set(SmsSettings.__dataclass_fields__)


def _sms_settings(value: object) -> SmsSettings:
    """The `sms` section (sms.md §2); every key optional (SmsSettings' defaults)."""
    doc = mapping_of(value or {}, "sms")
    no_unknown_keys(doc, _SMS_KEYS, "sms.")
    default = SmsSettings()
    hours = dict(default.hours)
    if "hours" in doc:
        hours = {}
        for purpose, window in mapping_of(doc["hours"], "sms.hours").items():
            key = f"sms.hours.{purpose}"
            window = mapping_of(window, key)
            no_unknown_keys(window, {"start", "end"}, key + ".")
            start, end = _clock(window.get("start"), key + ".start"), _clock(window.get("end"), key + ".end")
            if end <= start:
                raise ConfigError(f"{key}: end must be after start.")
            hours[_purpose(purpose, key)] = (start, end)
    keywords = [unicodedata.normalize("NFKC", _text(k, "sms.opt_out_keywords")).strip().casefold()
                for k in _list(doc.get("opt_out_keywords", list(default.opt_out_keywords)), "sms.opt_out_keywords")]
    pattern = _text(doc.get("opt_out_text", default.opt_out_text), "sms.opt_out_text")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"sms.opt_out_text is not a valid regular expression ({exc}).") from None
    signatures = tuple(_text(s, "sms.signatures") for s in _list(doc.get("signatures", []), "sms.signatures"))
    return SmsSettings(
        hours=hours,
        daily_caps=_purpose_ints(doc.get("daily_caps", default.daily_caps), "sms.daily_caps"),
        contact_caps=_purpose_ints(doc.get("contact_caps", default.contact_caps), "sms.contact_caps"),
        contact_window_days=int(_number(doc.get("contact_window_days", default.contact_window_days),
                                        "sms.contact_window_days", 1, 366, integer=True)),
        opt_out_keywords=frozenset(keywords), opt_out_text=pattern, signatures=signatures,
        opt_out_is_refusal=_boolean(doc.get("opt_out_is_refusal", default.opt_out_is_refusal),
                                    "sms.opt_out_is_refusal"))


MAX_YAML_DEPTH = 32          # rulepacks and sources.yaml nest 5 levels at most


class _SafeWithoutAliases(yaml.SafeLoader):
    """PyYAML's safe loader refusing aliases (`*name`, and so merge keys `<<: *name`) and
    nesting deeper than MAX_YAML_DEPTH: nine lines of aliases expand to billions of values, and
    a deep nest exhausts the stack. An anchor alone is harmless and accepted."""

    _depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise ConfigError(f"line {event.start_mark.line + 1}, column {event.start_mark.column + 1}: an alias "
                              f"(*{str(event.anchor)[:40]}) is not accepted; write the value out in full (aliases and "
                              "`<<:` merge keys are refused: a few lines of them can expand to billions of values).")
        if self._depth >= MAX_YAML_DEPTH:
            mark = self.peek_event().start_mark
            raise ConfigError(f"line {mark.line + 1}, column {mark.column + 1}: nested more than {MAX_YAML_DEPTH} "
                              "levels deep; no setting is.")
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_yaml(data: bytes, what: str, *, syntax_hint: str = "") -> object:
    """The YAML document of a rulepack or sources.yaml (`what` names it in messages) with safe
    types only, no alias and no deep nesting; ConfigError otherwise, its text at most ~500
    characters (`syntax_hint` is added to a syntax error's message)."""
    try:
        return yaml.load(data, Loader=_SafeWithoutAliases)
    except ConfigError as exc:
        raise ConfigError(f"{what}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} is not valid YAML: {' '.join(str(exc).split())[:400]}{syntax_hint}") from None


def shown(value: object, limit: int = 80) -> str:
    """`repr(value)` as a message may quote it: at most `limit` characters (a YAML value may be
    huge; reprlib never builds the whole text)."""
    short = reprlib.Repr()
    short.maxstring = short.maxother = short.maxlong = limit
    short.maxlevel = 2
    text = short.repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mapping_of(value: object, key: str) -> dict:
    """`value` when it is a mapping, else a ConfigError naming `key` (rulepacks, sources.yaml)."""
    if not isinstance(value, dict):
        raise ConfigError(f"{key} must be a mapping, got {type(value).__name__}.")
    return value


def no_unknown_keys(mapping: dict, allowed: set[str], prefix: str) -> None:
    """A ConfigError naming the first key of `mapping` not in `allowed` (and how many more)."""
    unknown = sorted(str(k)[:80] for k in mapping if k not in allowed)
    if unknown:
        raise ConfigError(f"unknown key {prefix}{unknown[0]}" + (f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else "")
                          + f". Allowed here: {', '.join(sorted(allowed))}.")


def _list(value: object, key: str) -> list:
    if not isinstance(value, list):
        raise ConfigError(f"{key} must be a list, got {shown(value)}.")
    return value


def _text(value: object, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key} must be a non-empty string, got {shown(value)}.")
    return value.strip()


def _boolean(value: object, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false, got {shown(value)}.")
    return value


def _number(value: object, key: str, low: float, high: float, *, integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
        raise ConfigError(f"{key} must be {'a whole number' if integer else 'a number'}, got {shown(value)}.")
    if not low <= value <= high:
        raise ConfigError(f"{key} must be between {low:g} and {high:g}, got {shown(value)}.")
    return float(value)


def _choice(value: object, allowed: tuple[str, ...], key: str) -> str:
    text = str(value).strip().upper()
    if text not in allowed:
        raise ConfigError(f"{key}: {shown(value)} is not one of {', '.join(allowed)}.")
    return text


def _purpose(value: object, key: str) -> str:
    text = str(value).strip().lower()
    if text not in PURPOSES:
        raise ConfigError(f"{key}: {shown(value)} is not a purpose ({', '.join(PURPOSES)}).")
    return text


def _purpose_ints(value: object, key: str, *, minimum: int = 0) -> dict[str, int]:
    mapping = mapping_of(value, key)
    return {_purpose(p, key): int(_number(n, f"{key}.{p}", minimum, 10**6, integer=True))
            for p, n in mapping.items()}


def _family_numbers(value: object, key: str, families: list[str], *, positive: bool) -> dict[str, float]:
    mapping = mapping_of(value, key)
    no_unknown_keys(mapping, set(families), key + ".")
    missing = [f for f in families if f not in mapping]
    if missing:
        raise ConfigError(f"{key}.{missing[0]} is required.")
    return {f: _number(mapping[f], f"{key}.{f}", 1e-9 if positive else 0, 1) for f in families}


def _clock(value: object, key: str) -> int:
    text = str(value)
    try:
        hours, minutes = text.split(":")
        total = int(hours) * 60 + int(minutes)
    except ValueError:
        raise ConfigError(f"{key} must be a time HH:MM, got {shown(value)}.") from None
    if not 0 <= total <= 24 * 60 or not 0 <= int(minutes) < 60:
        raise ConfigError(f"{key} must be between 00:00 and 24:00, got {shown(value)}.")
    return total


def _region(value: object, key: str) -> str:
    """A region phonenumbers can parse national numbers of: an unknown one (say XX) would make
    every phone number invalid and quarantine every call, with the run "succeeding"."""
    import phonenumbers

    region = _text(value, key).upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(f"{key}: {shown(value)} is not a region whose phone numbers can be parsed; use an ISO 3166 "
                          "two-letter code that phonenumbers supports (e.g. CN, US, GB).")
    return region


def _timezone(value: object, key: str) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{key}: {shown(value)} is not an IANA time zone (e.g. Asia/Shanghai).") from None
    return str(value)
