"""The rulepack's `sms` section (sms.md §2): both packaged rulepacks carry it, every key is
optional, bad values are refused with the key named."""

from __future__ import annotations

import pytest
import yaml

from audits.config import ConfigError, SmsSettings
from audits.rulepack import RULEPACK_DIR, load_rulepack


def test_cn_bank_carries_the_spec_defaults():
    sms = load_rulepack("cn_bank").sms
    assert sms.hours == {"marketing": (480, 1260), "servicing": (480, 1260), "collection": (480, 1260)}
    assert sms.daily_caps == {"marketing": 1, "servicing": 5, "collection": 3}
    assert sms.contact_caps == {"marketing": 10, "servicing": 15, "collection": 25}
    assert sms.contact_window_days == 7
    assert sms.opt_out_keywords == {"t", "td", "n", "0000", "退订", "退", "stop", "unsubscribe"}
    assert sms.opt_out_text == r"回复?\s*(T|TD|N|退订)|退订|reply stop"
    assert sms.signatures == () and sms.opt_out_is_refusal is True
    assert sms == SmsSettings()                  # the section states the defaults in full


def test_us_collections_opts_out_on_stop_and_unsubscribe_and_has_no_signature_rule():
    pack = load_rulepack("us_collections")
    assert {"stop", "unsubscribe"} <= pack.sms.opt_out_keywords
    assert "t" not in pack.sms.opt_out_keywords
    assert "SMS_NO_SIGNATURE" not in pack.enabled_rules
    assert "SMS_NO_CONSENT" in pack.enabled_rules


def _pack(tmp_path, sms) -> object:
    document = yaml.safe_load((RULEPACK_DIR / "cn_bank.yaml").read_text(encoding="utf-8"))
    if sms is None:
        document.pop("sms")
    else:
        document["sms"] = sms
    path = tmp_path / "pack.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return load_rulepack(path)


def test_a_rulepack_without_the_section_takes_the_defaults(tmp_path):
    assert _pack(tmp_path, None).sms == SmsSettings()


def test_keywords_are_read_as_replies_are(tmp_path):
    sms = _pack(tmp_path, {"opt_out_keywords": [" ＳＴＯＰ ", "Cancel"], "signatures": ["华信银行"]}).sms
    assert sms.opt_out_keywords == {"stop", "cancel"}
    assert sms.signatures == ("华信银行",)


@pytest.mark.parametrize(("sms", "says"), [
    ({"colour": 1}, "unknown key sms.colour"),
    ({"opt_out_text": "回复(T"}, "sms.opt_out_text is not a valid regular expression"),
    ({"hours": {"marketing": {"start": "21:00", "end": "08:00"}}}, "sms.hours.marketing: end must be after start"),
    ({"hours": {"lunch": {"start": "08:00", "end": "09:00"}}}, "is not a purpose"),
    ({"daily_caps": {"marketing": -1}}, "sms.daily_caps.marketing must be between"),
    ({"contact_window_days": 0}, "sms.contact_window_days must be between 1 and 366"),
    ({"opt_out_keywords": "stop"}, "sms.opt_out_keywords must be a list"),
    ({"opt_out_is_refusal": "yes"}, "sms.opt_out_is_refusal must be true or false"),
])
def test_bad_settings_are_refused_naming_the_key(tmp_path, sms, says):
    with pytest.raises(ConfigError, match=says.replace("(", r"\(").replace(".", r"\.")):
        _pack(tmp_path, sms)


def test_scorecards_state_the_sms_thresholds():
    pack = load_rulepack("cn_bank")
    assert pack.threshold_text("SMS_HOURS") == "collection 08:00–21:00, marketing 08:00–21:00, servicing 08:00–21:00"
    assert pack.threshold_text("SMS_DAILY_CAP") == "marketing 1, collection 3, servicing 5"
    assert pack.threshold_text("CONTACT_ROLLING_7D") == "marketing 10, collection 25, servicing 15 in 7 days"
