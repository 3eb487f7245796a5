"""The rulepacks' `warnings` section: commented defaults in both shipped rulepacks, every key
optional, unknown keys and bad values refused with the key named."""

from __future__ import annotations

import re

import pytest
import yaml

from audits.config import DEFAULT_WARNING_FLOORS, DEFAULT_WARNING_MIN_DENOMINATORS, ConfigError, WarningSettings
from audits.rulepack import RULEPACK_DIR, load_rulepack
from audits.signals.metrics import RATIOS


@pytest.mark.parametrize("name", ["cn_bank", "us_collections"])
def test_both_rulepacks_carry_the_defaults_each_commented(name):
    pack = load_rulepack(name)
    assert pack.warnings == WarningSettings()
    assert pack.warnings.floors == DEFAULT_WARNING_FLOORS
    assert pack.warnings.min_denominators == DEFAULT_WARNING_MIN_DENOMINATORS
    text = (RULEPACK_DIR / f"{name}.yaml").read_text(encoding="utf-8")
    section = text[text.index("\nwarnings:") + 1:]
    section = re.split(r"\n(?=[^\s#])", section, maxsplit=2)[0]       # up to the next top-level key
    values = [line for line in section.splitlines()[1:] if ":" in line and not line.strip().startswith("#")
              and line.strip() not in ("floors:", "min_denominators:")]
    assert len(values) == 23 and all("#" in line for line in values)


def _pack(tmp_path, warnings) -> object:
    document = yaml.safe_load((RULEPACK_DIR / "cn_bank.yaml").read_text(encoding="utf-8"))
    document["warnings"] = warnings
    path = tmp_path / "pack.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return load_rulepack(path)


def _refused(tmp_path, warnings) -> str:
    with pytest.raises(ConfigError) as caught:
        _pack(tmp_path, warnings)
    return str(caught.value)


def test_keys_are_optional_and_read(tmp_path):
    assert _pack(tmp_path, None).warnings == WarningSettings()
    pack = _pack(tmp_path, {"z": 3.5, "min_peers": 5, "short_answer_seconds": 7.5, "floors": {"attempts": 40}})
    assert (pack.warnings.z, pack.warnings.min_peers, pack.warnings.short_answer_seconds) == (3.5, 5, 7.5)
    assert pack.warnings.floors == {**DEFAULT_WARNING_FLOORS, "attempts": 40.0}


@pytest.mark.parametrize("warnings, message", [
    ({"zz": 4}, "unknown key warnings.zz"),
    ({"floors": {"volume": 3}}, "unknown key warnings.floors.volume"),
    ({"floors": {"attempts": 0}}, "warnings.floors.attempts must be between"),
    ({"z": "four"}, "warnings.z must be a number"),
    ({"baseline_days": 28.5}, "warnings.baseline_days must be a whole number"),
    ({"min_baseline_days": 30}, "warnings.min_baseline_days (30) cannot exceed warnings.baseline_days (28)"),
    ({"min_attempts": 0}, "warnings.min_attempts must be between 1"),
    ({"short_answer_seconds": 9.0005}, "warnings.short_answer_seconds must be a whole number of milliseconds"),
    ({"floors": [1, 2]}, "warnings.floors must be a mapping"),
    ({"min_denominators": {"attempts": 5}}, "unknown key warnings.min_denominators.attempts"),
    ({"min_denominators": {"refusal_rate": 0}}, "warnings.min_denominators.refusal_rate must be between 1"),
    ({"min_denominators": {"refusal_rate": 2.5}}, "warnings.min_denominators.refusal_rate must be a whole number"),
])
def test_unknown_keys_and_bad_values_are_named(tmp_path, warnings, message):
    assert message in _refused(tmp_path, warnings)


def test_every_rate_and_only_a_rate_has_a_least_denominator(tmp_path):
    assert set(DEFAULT_WARNING_MIN_DENOMINATORS) == set(RATIOS)
    pack = _pack(tmp_path, {"min_denominators": {"refusal_rate": 30}})
    assert pack.warnings.min_denominators == {**DEFAULT_WARNING_MIN_DENOMINATORS, "refusal_rate": 30}
