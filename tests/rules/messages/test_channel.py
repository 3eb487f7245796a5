"""violations.csv's `channel`: `call` for a finding on a call, `sms` for one on a message, also
when a rule of rules.md judges messages as calls; a call and a message of the same id, rule and
instant are listed call first."""

from __future__ import annotations

import pandas as pd

from audits.models import VIOLATION_COLUMNS
from audits.rules import run_rules, sort_violations
from tests.landing import call
from tests.rules.helpers import iso
from tests.rules.messages.helpers import message, sms_inputs

D0 = iso(0)


def test_findings_on_calls_and_messages_name_their_channel(tmp_path):
    inputs = sms_inputs(tmp_path, [message("X1", f"{D0} 07:30:00", agent_id="E9")],
                        [call("X1", f"{D0} 07:30:00", agent_id="E9")])
    found = run_rules(inputs)
    assert list(found.columns) == list(VIOLATION_COLUMNS) and VIOLATION_COLUMNS[-1] == "channel"
    by_rule = found.groupby("rule_id")["channel"].agg(list).to_dict()
    assert by_rule["FREQ_CALLING_HOURS"] == ["call"]
    assert by_rule["SMS_HOURS"] == ["sms"]
    # rules of rules.md on both channels: the call's finding, then the message's (same id and instant)
    assert by_rule["CONF_AGENT_NOT_ACTIVE"] == ["call", "sms"]


def test_sort_breaks_a_tie_by_channel():
    row = dict.fromkeys(VIOLATION_COLUMNS, "")
    row.update(agency_id="AG01", rule_id="CONF_UNASSIGNED", start_time="2026-11-27T10:00:00+08:00", call_id="X1")
    frame = pd.DataFrame([{**row, "channel": "sms"}, {**row, "channel": "call"}])
    assert sort_violations([frame])["channel"].tolist() == ["call", "sms"]
    assert sort_violations([frame.iloc[::-1]])["channel"].tolist() == ["call", "sms"]
