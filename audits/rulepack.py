"""Reading a rulepack: YAML (safe types, no aliases, bounded nesting) parsed into the frozen
Rulepack of audits.config, every key checked and every value bounded; ConfigError naming the
key otherwise.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import MISSING, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from audits.config import (
    CaseSettings,
    ComplaintSettings,
    ConfigError,
    GradeGates,
    ReviewSettings,
    Rulepack,
    Scoring,
    SlaSettings,
    SmsSettings,
    WarningSettings,
)
from audits.models import DISPOSITIONS, PURPOSES, RULES_BY_ID, SCORED_FAMILIES, WARNING_METRICS
from audits.safe_yaml import load_yaml, mapping_of, no_unknown_keys, shown

RULEPACK_DIR = Path(__file__).parent / "rulepacks"
DEFAULT_RULEPACK = "cn_bank"
BUILTIN_PREFIX = "builtin:"


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
    return Rulepack(
        name=_text(doc.get("name"), "name"),
        sha256=sha256,
        description=str(doc.get("description", _default(Rulepack, "description"))),
        bank_timezone=_timezone(doc.get("bank_timezone", _default(Rulepack, "bank_timezone")), "bank_timezone"),
        default_region=_region(doc.get("default_region", _default(Rulepack, "default_region")), "default_region"),
        attempt_dispositions=frozenset(
            _choice(d, DISPOSITIONS, "attempt_dispositions")
            for d in _list(doc.get("attempt_dispositions", sorted(_default(Rulepack, "attempt_dispositions"))),
                           "attempt_dispositions")),
        **_rules(doc),
        scoring=_scoring(doc),
        cases=_cases(doc),
        complaints=_complaint_settings(doc),
        warnings=_warning_settings(doc),
        review=_review_settings(doc),
        sms=_sms_settings(doc),
        source=source,
    )


# --- sections: each read by one function, `_section` then the dataclass's defaults ---------

def _section(doc: dict, key: str, allowed: set[str], prefix: str = "") -> dict:
    """The mapping under `key` of `doc` (`prefix`: where `doc` is), absent or null read as empty;
    ConfigError for a value that is no mapping or holds a key not in `allowed`."""
    name = prefix + key
    section = mapping_of(doc.get(key) or {}, name)
    no_unknown_keys(section, allowed, name + ".")
    return section


def _default(cls: type, name: str) -> object:
    """The default of dataclass `cls`'s field `name`: defaults are stated once, in audits.config."""
    field = next(f for f in fields(cls) if f.name == name)
    return field.default_factory() if field.default is MISSING else field.default


def _rules(doc: dict) -> dict:
    """The `rules` section: which rules are enabled and each rule's thresholds (Rulepack's fields)."""
    rules = mapping_of(doc.get("rules", {}), "rules")
    for rule_id in rules:
        if rule_id not in RULES_BY_ID:
            raise ConfigError(f"rules.{rule_id}: no such rule id. Known rule ids: "
                              + ", ".join(sorted(RULES_BY_ID)))
    sections = {r: _section(rules, r, _RULE_KEYS.get(r, {"enabled"}), "rules.") for r in RULES_BY_ID}

    def setting(rule_id: str, key: str, default: object = None) -> object:
        value = sections[rule_id].get(key, default)
        if value is None:
            raise ConfigError(f"rules.{rule_id}.{key} is required.")
        return value

    return dict(
        enabled_rules=frozenset(r for r in RULES_BY_ID
                                if _boolean(sections[r].get("enabled", True), f"rules.{r}.enabled")),
        calling_hours=_calling_hours(setting("FREQ_CALLING_HOURS", "windows")),
        daily_cap=_purpose_ints(setting("FREQ_DAILY_CAP", "caps"), "rules.FREQ_DAILY_CAP.caps"),
        rolling_cap=_purpose_ints(setting("FREQ_ROLLING_7D", "caps"), "rules.FREQ_ROLLING_7D.caps"),
        rolling_window_days=int(_number(setting("FREQ_ROLLING_7D", "window_days",
                                                _default(Rulepack, "rolling_window_days")),
                                        "rules.FREQ_ROLLING_7D.window_days", 1, 366, integer=True)),
        cooling_off_days=_purpose_ints(setting("FREQ_COOLING_OFF", "cooling_off_days",
                                               _default(Rulepack, "cooling_off_days")),
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
    )


def _calling_hours(value: object) -> dict[str, tuple[int, int]]:
    """`rules.FREQ_CALLING_HOURS.windows`: purpose -> (start, end) in minutes of the day."""
    windows = mapping_of(value, "rules.FREQ_CALLING_HOURS.windows")
    calling_hours = {}
    for purpose in windows:
        key = f"rules.FREQ_CALLING_HOURS.windows.{purpose}"
        _purpose(purpose, key)
        window = mapping_of(windows[purpose], key)
        no_unknown_keys(window, {"start", "end"}, key + ".")
        start, end = _clock(window.get("start"), key + ".start"), _clock(window.get("end"), key + ".end")
        if end <= start:
            raise ConfigError(f"{key}: end must be after start.")
        calling_hours[purpose] = (start, end)
    return calling_hours


def _scoring(doc: dict) -> Scoring:
    """The `scoring` section; every key optional (Scoring's defaults)."""
    if "critical_grade_cap" in mapping_of(doc.get("scoring") or {}, "scoring"):
        raise ConfigError("scoring.critical_grade_cap is replaced by scoring.gates (critical: true caps the grade "
                          "at C; critical_share_d, critical_share_f and fail_rules lower it to D or F).")
    section = _section(doc, "scoring", _SCORING_KEYS)
    default = Scoring()
    families = [f.value for f in SCORED_FAMILIES]
    tolerances = _family_numbers(section.get("tolerances", default.tolerances),
                                 "scoring.tolerances", families, positive=True)
    weights = _family_numbers(section.get("weights", default.weights), "scoring.weights", families, positive=False)
    if abs(sum(weights.values()) - 1.0) > 1e-9:
        raise ConfigError(f"scoring.weights must add up to 1 (they add up to {sum(weights.values()):g}).")
    bands_doc = mapping_of(section.get("grade_bands", dict(default.grade_bands)), "scoring.grade_bands")
    bands = tuple(sorted(((str(g), _number(v, f"scoring.grade_bands.{g}", 0, 100))
                          for g, v in bands_doc.items()), key=lambda band: -band[1]))
    if not {"C", "D"} <= {g for g, _ in bands}:
        raise ConfigError("scoring.grade_bands must include C and D: the gates lower a grade to C, D or F.")
    return Scoring(tolerances=tolerances, weights=weights, grade_bands=bands,
                   trend_days=int(_number(section.get("trend_days", default.trend_days), "scoring.trend_days",
                                          1, 366, integer=True)),
                   gates=_grade_gates(section))


def _grade_gates(scoring: dict) -> GradeGates:
    """`scoring.gates`: every key optional (GradeGates' defaults); a share null leaves its gate out."""
    section = _section(scoring, "gates", _GATES_KEYS, "scoring.")
    default = GradeGates()
    shares = {}
    for key in ("critical_share_d", "critical_share_f"):
        raw = section.get(key, getattr(default, key))
        shares[key] = None if raw is None else _number(raw, f"scoring.gates.{key}", 1e-9, 1)
    if None not in shares.values() and shares["critical_share_d"] > shares["critical_share_f"]:
        raise ConfigError(f"scoring.gates.critical_share_d ({shares['critical_share_d']:g}) cannot exceed "
                          f"scoring.gates.critical_share_f ({shares['critical_share_f']:g}).")
    rules = [str(r) for r in _list(section.get("fail_rules", list(default.fail_rules)), "scoring.gates.fail_rules")]
    unknown = [r for r in rules if r not in RULES_BY_ID]
    if unknown:
        raise ConfigError(f"scoring.gates.fail_rules: {unknown[0]!r} is no rule id. Known rule ids: "
                          + ", ".join(sorted(RULES_BY_ID)))
    return GradeGates(critical=_boolean(section.get("critical", default.critical), "scoring.gates.critical"),
                      fail_rules=tuple(dict.fromkeys(rules)), **shares)


def _cases(doc: dict) -> CaseSettings:
    """The `cases` section; every key optional (CaseSettings' defaults)."""
    section = _section(doc, "cases", _CASES_KEYS)
    default = CaseSettings()
    return CaseSettings(**{key: int(_number(section.get(key, getattr(default, key)), f"cases.{key}", 1, 3660,
                                            integer=True)) for key in ("resolve_after_days", "max_exception_days")})


def _complaint_settings(doc: dict) -> ComplaintSettings:
    """The `complaints` section: unknown keys refused, each value a whole number of days."""
    section = _section(doc, "complaints", _COMPLAINTS_KEYS)
    default = ComplaintSettings()
    return ComplaintSettings(
        lookback_days=int(_number(section.get("lookback_days", default.lookback_days), "complaints.lookback_days",
                                  0, 366, integer=True)),
        window_days=int(_number(section.get("window_days", default.window_days), "complaints.window_days", 1, 366,
                                integer=True)))


def _warning_settings(doc: dict) -> WarningSettings:
    """The `warnings` section; every key optional (WarningSettings' defaults)."""
    section = _section(doc, "warnings", _WARNINGS_KEYS)
    default = WarningSettings()

    def whole(key: str, low: int, high: int) -> int:
        return int(_number(section.get(key, getattr(default, key)), f"warnings.{key}", low, high, integer=True))

    z = _number(section.get("z", default.z), "warnings.z", 0.5, 1000)
    baseline_days = whole("baseline_days", 1, 366)
    min_baseline_days = whole("min_baseline_days", 1, 366)
    if min_baseline_days > baseline_days:
        raise ConfigError(f"warnings.min_baseline_days ({min_baseline_days}) cannot exceed warnings.baseline_days "
                          f"({baseline_days}): no baseline could ever be formed.")
    seconds = _number(section.get("short_answer_seconds", default.short_answer_seconds),
                      "warnings.short_answer_seconds", 0.001, 3600)
    if abs(seconds * 1000 - round(seconds * 1000)) > 1e-6:     # talk times are compared in whole milliseconds
        raise ConfigError("warnings.short_answer_seconds must be a whole number of milliseconds, "
                          f"got {shown(seconds)}.")
    floors_doc = _section(section, "floors", set(WARNING_METRICS), "warnings.")
    floors = {m: _number(floors_doc.get(m, default.floors[m]), f"warnings.floors.{m}", 1e-9, 1e9)
              for m in WARNING_METRICS}
    least_doc = _section(section, "min_denominators", set(default.min_denominators), "warnings.")
    least = {m: int(_number(least_doc.get(m, n), f"warnings.min_denominators.{m}", 1, 10**9, integer=True))
             for m, n in default.min_denominators.items()}
    return WarningSettings(z=z, baseline_days=baseline_days, min_baseline_days=min_baseline_days,
                           min_attempts=whole("min_attempts", 1, 10**9), min_peers=whole("min_peers", 1, 10**6),
                           short_answer_seconds=seconds, new_numbers_days=whole("new_numbers_days", 1, 366),
                           floors=floors, min_denominators=least)


def _review_settings(doc: dict) -> ReviewSettings:
    """`review.sla`: each clause optional (its default), null to leave it out of the SLA."""
    review = _section(doc, "review", _REVIEW_KEYS)
    defaults = SlaSettings()
    sla = _section(review, "sla", {f.name for f in fields(SlaSettings)}, "review.")
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


def _sms_settings(doc: dict) -> SmsSettings:
    """The `sms` section (sms.md §2); every key optional (SmsSettings' defaults)."""
    section = _section(doc, "sms", {f.name for f in fields(SmsSettings)})
    default = SmsSettings()
    hours = dict(default.hours)
    if "hours" in section:
        hours = {}
        for purpose, window in mapping_of(section["hours"], "sms.hours").items():
            key = f"sms.hours.{purpose}"
            window = mapping_of(window, key)
            no_unknown_keys(window, {"start", "end"}, key + ".")
            start, end = _clock(window.get("start"), key + ".start"), _clock(window.get("end"), key + ".end")
            if end <= start:
                raise ConfigError(f"{key}: end must be after start.")
            hours[_purpose(purpose, key)] = (start, end)
    keywords = [unicodedata.normalize("NFKC", _text(k, "sms.opt_out_keywords")).strip().casefold()
                for k in _list(section.get("opt_out_keywords", sorted(default.opt_out_keywords)),
                               "sms.opt_out_keywords")]
    pattern = _text(section.get("opt_out_text", default.opt_out_text), "sms.opt_out_text")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"sms.opt_out_text is not a valid regular expression ({exc}).") from None
    signatures = tuple(_text(s, "sms.signatures") for s in _list(section.get("signatures", []), "sms.signatures"))
    return SmsSettings(
        hours=hours,
        daily_caps=_purpose_ints(section.get("daily_caps", default.daily_caps), "sms.daily_caps"),
        contact_caps=_purpose_ints(section.get("contact_caps", default.contact_caps), "sms.contact_caps"),
        contact_window_days=int(_number(section.get("contact_window_days", default.contact_window_days),
                                        "sms.contact_window_days", 1, 366, integer=True)),
        opt_out_keywords=frozenset(keywords), opt_out_text=pattern, signatures=signatures,
        opt_out_is_refusal=_boolean(section.get("opt_out_is_refusal", default.opt_out_is_refusal),
                                    "sms.opt_out_is_refusal"))


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
