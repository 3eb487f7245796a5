"""The rule engine: every rule of rules.md as a pure, vectorised function, and the RULES registry.

A rule reads `RuleInputs` (the audit day's validated calls, earlier days from the store,
reference tables as of the day) and returns exactly VIOLATION_COLUMNS, one row per
offending call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from audits.models import RULES_BY_ID, VIOLATION_COLUMNS
from audits.rules.common import RuleInputs, empty_violations
from audits.rules.confidentiality import (
    calls_by_inactive_agents,
    calls_under_lapsed_nda,
    calls_with_pii_in_notes,
    calls_without_assignment,
    marketing_without_consent,
)
from audits.rules.frequency import (
    attempts_after_refusal,
    attempts_in_cooling_off,
    attempts_over_daily_cap,
    attempts_over_rolling_cap,
    calls_outside_hours,
    calls_over_caller_cap,
    rapid_redials,
)
from audits.rules.qualification import (
    calls_by_untrained_agents,
    calls_from_unregistered_numbers,
    calls_out_of_scope,
    calls_under_invalid_licence,
    calls_without_contract,
)

__all__ = ["RULES", "Rule", "RuleInputs", "run_rules"]


@dataclass(frozen=True)
class Rule:
    rule_id: str
    find: Callable[[RuleInputs], pd.DataFrame]


RULES: tuple[Rule, ...] = (
    Rule("FREQ_CALLING_HOURS", calls_outside_hours),
    Rule("FREQ_DAILY_CAP", attempts_over_daily_cap),
    Rule("FREQ_ROLLING_7D", attempts_over_rolling_cap),
    Rule("FREQ_COOLING_OFF", attempts_in_cooling_off),
    Rule("FREQ_RAPID_REDIAL", rapid_redials),
    Rule("FREQ_AFTER_REFUSAL", attempts_after_refusal),
    Rule("FREQ_CALLER_DAILY_CAP", calls_over_caller_cap),
    Rule("CONF_UNASSIGNED", calls_without_assignment),
    Rule("CONF_NO_CONSENT", marketing_without_consent),
    Rule("CONF_AGENT_NOT_ACTIVE", calls_by_inactive_agents),
    Rule("CONF_NDA_NOT_IN_FORCE", calls_under_lapsed_nda),
    Rule("CONF_PII_IN_NOTES", calls_with_pii_in_notes),
    Rule("QUAL_NO_CONTRACT", calls_without_contract),
    Rule("QUAL_LICENCE_INVALID", calls_under_invalid_licence),
    Rule("QUAL_OUT_OF_SCOPE", calls_out_of_scope),
    Rule("QUAL_AGENT_UNTRAINED", calls_by_untrained_agents),
    Rule("QUAL_UNREGISTERED_CALLER_ID", calls_from_unregistered_numbers),
)
assert {rule.rule_id for rule in RULES} == set(RULES_BY_ID), "RULES and models.RULE_INFO disagree"


def run_rules(inputs: RuleInputs, *, on_rule: Callable[[str], None] | None = None) -> pd.DataFrame:
    """All enabled rules; findings sorted by agency_id, rule_id, start_time, call_id."""
    found = []
    for rule in RULES:
        if rule.rule_id in inputs.rulepack.enabled_rules:
            found.append(rule.find(inputs))
        if on_rule:
            on_rule(rule.rule_id)
    found = [frame for frame in found if not frame.empty]
    if not found:
        return empty_violations()
    violations = pd.concat(found, ignore_index=True)
    violations = violations.sort_values(["agency_id", "rule_id", "start_time", "call_id"], kind="stable")
    return violations.reset_index(drop=True)[list(VIOLATION_COLUMNS)]
