"""The rulepacks' `complaints` section (signals.md §1): defaults in both packs, keys and values checked."""

from __future__ import annotations

import pytest
import yaml

from audits.config import ConfigError
from audits.rulepack import RULEPACK_DIR, load_rulepack


@pytest.mark.parametrize("name", ["cn_bank", "us_collections"])
def test_both_rulepacks_carry_the_complaints_defaults(name):
    pack = load_rulepack(name)
    assert (pack.complaints.lookback_days, pack.complaints.window_days) == (14, 30)
    assert "lookback_days: 14" in (RULEPACK_DIR / f"{name}.yaml").read_text(encoding="utf-8")


def _broken(tmp_path, change) -> str:
    document = yaml.safe_load((RULEPACK_DIR / "cn_bank.yaml").read_text(encoding="utf-8"))
    change(document)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_rulepack(path)
    return str(caught.value)


@pytest.mark.parametrize("change, message", [
    (lambda d: d["complaints"].update(look_back_days=7), "unknown key complaints.look_back_days"),
    (lambda d: d["complaints"].update(lookback_days=1.5), "complaints.lookback_days must be a whole number"),
    (lambda d: d["complaints"].update(lookback_days=-1), "complaints.lookback_days must be between 0 and 366"),
    (lambda d: d["complaints"].update(window_days=0), "complaints.window_days must be between 1 and 366"),
    (lambda d: d.update(complaints=[14]), "complaints must be a mapping"),
])
def test_the_complaints_section_refuses_unknown_keys_and_bad_values(tmp_path, change, message):
    assert message in _broken(tmp_path, change)


def test_a_rulepack_without_the_section_takes_the_defaults(tmp_path):
    document = yaml.safe_load((RULEPACK_DIR / "cn_bank.yaml").read_text(encoding="utf-8"))
    del document["complaints"]
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    assert (load_rulepack(path).complaints.lookback_days, load_rulepack(path).complaints.window_days) == (14, 30)
