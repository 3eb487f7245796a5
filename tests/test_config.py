"""Rulepacks: both shipped packs load; a broken pack fails with a message naming the key."""

from __future__ import annotations

import pytest
import yaml

from audits.config import ConfigError
from audits.models import RULES_BY_ID
from audits.rulepack import RULEPACK_DIR, load_rulepack


@pytest.mark.parametrize("name", ["cn_bank", "us_collections"])
def test_shipped_rulepacks_load_with_every_threshold(name):
    pack = load_rulepack(name)
    assert pack.name == name
    off = {"us_collections": {"SMS_NO_SIGNATURE"}}.get(name, set())     # 【name】 signatures are a CN practice
    assert pack.enabled_rules == frozenset(RULES_BY_ID) - off
    assert set(pack.calling_hours) == {"marketing", "servicing", "collection"}
    assert len(pack.sha256) == 64
    assert abs(sum(pack.scoring.weights.values()) - 1) < 1e-9


def test_cn_bank_defaults_are_those_of_rules_md():
    pack = load_rulepack("cn_bank")
    assert pack.calling_hours == {"marketing": (480, 1260), "servicing": (480, 1260), "collection": (480, 1320)}
    assert pack.daily_cap == {"marketing": 3, "servicing": 5, "collection": 6}
    assert pack.rolling_cap == {"marketing": 7, "servicing": 10, "collection": 20}
    assert pack.cooling_off_days == {"marketing": 7}
    assert pack.redial_gap_minutes == 5
    assert pack.refusal_applies_to == {"marketing", "servicing"}
    assert pack.caller_daily_cap == 200
    assert pack.training_valid_days == 365
    assert pack.attempt_dispositions == {"ANSWERED", "NO_ANSWER", "REJECTED", "VOICEMAIL"}


def test_us_collections_differs_where_rules_md_says():
    pack = load_rulepack("us_collections")
    assert pack.calling_hours["collection"] == (480, 1260)
    assert pack.daily_cap == {"marketing": 7, "servicing": 7, "collection": 7}
    assert pack.rolling_cap == {"marketing": 7, "servicing": 7, "collection": 7}
    assert pack.cooling_off_days == {"collection": 7}
    assert pack.refusal_applies_to == {"collection"}


def test_rulepack_by_path(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text((RULEPACK_DIR / "cn_bank.yaml").read_text().replace("name: cn_bank", "name: mine"))
    assert load_rulepack(path).name == "mine"


def _broken(tmp_path, change) -> str:
    document = yaml.safe_load((RULEPACK_DIR / "cn_bank.yaml").read_text())
    change(document)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(ConfigError) as caught:
        load_rulepack(path)
    return str(caught.value)


def test_unknown_key_is_named(tmp_path):
    message = _broken(tmp_path, lambda d: d["rules"]["FREQ_DAILY_CAP"].update(cap_per_day=3))
    assert "unknown key rules.FREQ_DAILY_CAP.cap_per_day" in message and "broken.yaml" in message


def test_unknown_rule_id_is_named(tmp_path):
    message = _broken(tmp_path, lambda d: d["rules"].update(FREQ_NIGHTLY={"enabled": True}))
    assert "rules.FREQ_NIGHTLY: no such rule id" in message


def test_bad_values_are_named(tmp_path):
    assert "rules.FREQ_DAILY_CAP.caps.marketing must be a whole number" in _broken(
        tmp_path, lambda d: d["rules"]["FREQ_DAILY_CAP"]["caps"].update(marketing="three"))
    assert "windows.marketing: end must be after start" in _broken(
        tmp_path, lambda d: d["rules"]["FREQ_CALLING_HOURS"]["windows"]["marketing"].update(end="07:00"))
    assert "scoring.weights must add up to 1" in _broken(
        tmp_path, lambda d: d["scoring"]["weights"].update(frequency=0.5))
    assert "bank_timezone" in _broken(tmp_path, lambda d: d.update(bank_timezone="Mars/Olympus"))
    assert "'telesales' is not a purpose" in _broken(
        tmp_path, lambda d: d["rules"]["FREQ_AFTER_REFUSAL"].update(refusal_applies_to=["telesales"]))


def test_unknown_name_and_invalid_yaml(tmp_path):
    with pytest.raises(ConfigError, match="Unknown rulepack 'nope'. Known rulepacks: cn_bank, us_collections"):
        load_rulepack("nope")
    path = tmp_path / "bad.yaml"
    path.write_text("rules: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_rulepack(path)


def test_unknown_default_region_is_refused_naming_the_key(tmp_path):
    # `default_region: XX` once made every phone bad and the run audit 0 calls, exit 0.
    message = _broken(tmp_path, lambda d: d.update(default_region="XX"))
    assert "default_region: 'XX' is not a region" in message and "broken.yaml" in message
    assert load_rulepack("us_collections").default_region == "US"


def test_rulepack_records_where_it_came_from(tmp_path):
    # verify re-hashes the rulepack, so its source must be known.
    assert load_rulepack("cn_bank").source == "builtin:cn_bank"
    path = tmp_path / "mine.yaml"
    path.write_text((RULEPACK_DIR / "cn_bank.yaml").read_text())
    assert load_rulepack(path).source == str(path.resolve())


@pytest.mark.parametrize("name", ["cn_bank", "us_collections"])
def test_cases_section_is_read_from_both_rulepacks(name):
    pack = load_rulepack(name)
    assert (pack.cases.resolve_after_days, pack.cases.max_exception_days) == (7, 90)


def test_cases_section_keys_and_values_are_checked(tmp_path):
    assert "unknown key cases.resolve_days" in _broken(tmp_path, lambda d: d["cases"].update(resolve_days=3))
    assert "cases.resolve_after_days must be a whole number" in _broken(
        tmp_path, lambda d: d["cases"].update(resolve_after_days=2.5))
    assert "cases.max_exception_days must be between 1 and 3660" in _broken(
        tmp_path, lambda d: d["cases"].update(max_exception_days=0))


MINIMAL = {"name": "minimal", "rules": {
    "FREQ_CALLING_HOURS": {"windows": {"marketing": {"start": "08:00", "end": "21:00"}}},
    "FREQ_DAILY_CAP": {"caps": {"marketing": 3}}, "FREQ_ROLLING_7D": {"caps": {"marketing": 7}},
    "FREQ_RAPID_REDIAL": {"redial_gap_minutes": 5}, "FREQ_AFTER_REFUSAL": {"refusal_applies_to": ["marketing"]},
    "FREQ_CALLER_DAILY_CAP": {"cap": 200}, "QUAL_AGENT_UNTRAINED": {"training_valid_days": 365}}}


@pytest.mark.parametrize("empty", [None, {}])
def test_a_rulepack_leaving_sections_out_takes_the_dataclasses_defaults(tmp_path, empty):
    from audits.config import CaseSettings, ComplaintSettings, ReviewSettings, Scoring, WarningSettings

    sections = {key: None if empty is None else dict(empty) for key in ("scoring", "cases", "complaints", "warnings",
                                                                      "review")}
    for doc in (MINIMAL, {**MINIMAL, **sections}):
        path = tmp_path / "minimal.yaml"
        path.write_text(yaml.safe_dump(doc), encoding="utf-8")
        pack = load_rulepack(path)
        assert (pack.scoring, pack.cases, pack.complaints, pack.warnings, pack.review) == (
            Scoring(), CaseSettings(), ComplaintSettings(), WarningSettings(), ReviewSettings())
        assert pack.scoring.grade_bands == (("A", 90.0), ("B", 80.0), ("C", 70.0), ("D", 60.0))
        assert (pack.bank_timezone, pack.default_region, pack.rolling_window_days, pack.cooling_off_days,
                pack.description) == ("Asia/Shanghai", "CN", 7, {}, "")
        assert pack.attempt_dispositions == {"ANSWERED", "NO_ANSWER", "REJECTED", "VOICEMAIL"}
