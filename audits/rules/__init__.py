"""The rule engine: every rule of rules.md as a pure, vectorised function, and the RULES registry.

A rule reads `RuleInputs` (the audit day's validated calls, earlier days from the store,
reference tables as of the day) and returns exactly VIOLATION_COLUMNS, one row per
offending call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from audits.models import VIOLATION_COLUMNS
from audits.rules.confidentiality import (
    calls_by_inactive_agents,
    calls_under_lapsed_nda,
    calls_with_pii_in_notes,
    calls_without_assignment,
    marketing_without_consent,
)
from audits.rules.findings import empty_violations
from audits.rules.frequency import (
    attempts_in_cooling_off,
    attempts_over_daily_cap,
    attempts_over_rolling_cap,
    calls_outside_hours,
    calls_over_caller_cap,
    rapid_redials,
)
from audits.rules.inputs import RuleInputs
from audits.rules.messages.frequency import (
    attempts_after_refusal_or_opt_out,
    contacts_over_rolling_cap,
    marketing_after_opt_out,
    messages_outside_hours,
    messages_over_daily_cap,
)
from audits.rules.messages.scope import (
    marketing_texts_without_consent,
    messages_from_unregistered_senders,
    on_both_channels,
    out_of_scope_on_both_channels,
)
from audits.rules.messages.texts import marketing_without_opt_out_text, messages_with_pii, messages_without_signature
from audits.rules.qualification import (
    calls_by_untrained_agents,
    calls_from_unregistered_numbers,
    calls_under_invalid_licence,
    calls_without_contract,
)

__all__ = ["RULES", "Rule", "RuleInputs", "rule_groups", "run_rules", "sort_violations"]


@dataclass(frozen=True)
class Rule:
    """A rule and the number its findings depend on: every call to the same callee number
    (or from the same caller number) must be judged together."""

    rule_id: str
    find: Callable[[RuleInputs], pd.DataFrame]
    cost: float                  # seconds at 10M calls (benchmarks/run.py --rule-costs): balances rule_groups
    key: str = "number"          # the callee number (integer); or caller_e164


RULES: tuple[Rule, ...] = (
    Rule("FREQ_CALLING_HOURS", calls_outside_hours, 0.85),
    Rule("FREQ_DAILY_CAP", attempts_over_daily_cap, 2.46),
    Rule("FREQ_ROLLING_7D", attempts_over_rolling_cap, 4.74),
    Rule("FREQ_COOLING_OFF", attempts_in_cooling_off, 1.36),
    Rule("FREQ_RAPID_REDIAL", rapid_redials, 3.24),
    Rule("FREQ_AFTER_REFUSAL", attempts_after_refusal_or_opt_out, 0.84),
    Rule("FREQ_CALLER_DAILY_CAP", calls_over_caller_cap, 1.41, key="caller_e164"),
    Rule("CONF_UNASSIGNED", on_both_channels(calls_without_assignment), 1.38),
    Rule("CONF_NO_CONSENT", marketing_without_consent, 1.25),
    Rule("CONF_AGENT_NOT_ACTIVE", on_both_channels(calls_by_inactive_agents, with_agent=True), 0.35),
    Rule("CONF_NDA_NOT_IN_FORCE", on_both_channels(calls_under_lapsed_nda), 0.01),
    Rule("CONF_PII_IN_NOTES", calls_with_pii_in_notes, 2.32),
    Rule("QUAL_NO_CONTRACT", on_both_channels(calls_without_contract), 0.07),
    Rule("QUAL_LICENCE_INVALID", on_both_channels(calls_under_invalid_licence), 0.01),
    Rule("QUAL_OUT_OF_SCOPE", out_of_scope_on_both_channels, 0.86),
    Rule("QUAL_AGENT_UNTRAINED", on_both_channels(calls_by_untrained_agents, with_agent=True), 1.21),
    Rule("QUAL_UNREGISTERED_CALLER_ID", calls_from_unregistered_numbers, 0.6),
    # Text messages (sms.md §2); costs are estimates at 5M messages beside 10M calls, not measured yet.
    Rule("SMS_HOURS", messages_outside_hours, 0.5),
    Rule("SMS_DAILY_CAP", messages_over_daily_cap, 0.8),
    Rule("CONTACT_ROLLING_7D", contacts_over_rolling_cap, 5.0),
    Rule("SMS_AFTER_OPT_OUT", marketing_after_opt_out, 0.5),
    Rule("SMS_NO_CONSENT", marketing_texts_without_consent, 0.5),
    Rule("SMS_PII_IN_TEXT", messages_with_pii, 0.5),
    Rule("SMS_NO_OPT_OUT_TEXT", marketing_without_opt_out_text, 0.3),
    Rule("SMS_NO_SIGNATURE", messages_without_signature, 0.3),
    Rule("SMS_UNREGISTERED_SENDER", messages_from_unregistered_senders, 0.3),
)


def run_rules(inputs: RuleInputs, *, partition: int = 0, partitions: int = 1,
              on_rule: Callable[[str], None] | None = None,
              only: frozenset[str] | None = None, ordered: bool = True) -> pd.DataFrame:
    """All enabled rules (or those of them in `only`); findings sorted by agency_id, rule_id,
    start_time, call_id (`ordered` False: in rule order, for a caller that sorts the findings
    of several runs together).

    With partitions > 1, only the calls whose rule key (callee or caller number) hashes to
    `partition` are judged, with the history of those numbers: the union of all partitions'
    findings equals the single run's, so partitions can run as separate tasks on separate
    workers (tests/rules/test_partitions.py).
    """
    found = []
    enabled = [rule for rule in RULES if rule.rule_id in inputs.rulepack.enabled_rules
               and (only is None or rule.rule_id in only)]
    last_use = {rule.key: position for position, rule in enumerate(enabled)}
    sliced: dict[str, RuleInputs] = {}          # one slice per key, shared by the rules using it
    for position, rule in enumerate(enabled):
        if rule.key not in sliced:
            sliced[rule.key] = _partition(inputs, rule.key, partition, partitions)
        found.append(rule.find(sliced[rule.key]))
        if last_use[rule.key] == position:
            del sliced[rule.key]                # a partition's copy of the calls is gigabytes at 10M
        if on_rule:
            on_rule(rule.rule_id)
    found = [frame for frame in found if not frame.empty]
    if not ordered:
        return pd.concat(found, ignore_index=True) if found else empty_violations()
    return sort_violations(found)


def rule_groups(enabled: Iterable[str], groups: int) -> list[frozenset[str]]:
    """The enabled rule ids in at most `groups` groups of about equal cost (longest first,
    each to the cheapest group so far): one group per worker, all on the same inputs."""
    load = [(0.0, k, set()) for k in range(groups)]
    for rule in sorted((r for r in RULES if r.rule_id in set(enabled)), key=lambda r: (-r.cost, r.rule_id)):
        cost, k, members = min(load, key=lambda entry: (entry[0], entry[1]))
        members.add(rule.rule_id)
        load[k] = (cost + rule.cost, k, members)
    return [frozenset(members) for _, _, members in load if members]


def sort_violations(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate findings in the order of violations.csv (a call and a message of one id: the
    call first, `channel` breaking the tie)."""
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        return empty_violations()
    violations = pd.concat(frames, ignore_index=True)
    violations = violations.sort_values(["agency_id", "rule_id", "start_time", "call_id", "channel"], kind="stable")
    return violations.reset_index(drop=True)[list(VIOLATION_COLUMNS)]


def partition_of(numbers: pd.Series, partitions: int) -> np.ndarray:
    """Stable partition of each number, integer or text (the same in every process and on
    every machine: pandas' hash has a fixed key)."""
    if pd.api.types.is_integer_dtype(numbers.dtype):
        hashed = pd.util.hash_array(numbers.to_numpy("int64"))
    else:
        codes, uniques = pd.factorize(numbers.fillna(""))
        hashed = pd.util.hash_array(np.asarray(uniques, dtype=object), categorize=False)[codes]
    return (hashed % np.uint64(partitions)).astype("int64")


def _partition(inputs: RuleInputs, key: str, partition: int, partitions: int) -> RuleInputs:
    if partitions == 1:
        return inputs

    def mine(name: str, column: str) -> np.ndarray:
        return partition_of(getattr(inputs, name)[column], partitions) == partition

    calls = inputs.calls[mine("calls", key)].reset_index(drop=True)
    history, refusals, sms = inputs.history, inputs.refusals, inputs.sms
    if key == "number":
        history = history[mine("history", "number")].reset_index(drop=True)
        refusals = refusals[mine("refusals", "number")].reset_index(drop=True)
        sms = sms.keeping_numbers(lambda numbers: partition_of(numbers, partitions) == partition)
    return replace(inputs, calls=calls, history=history, refusals=refusals, sms=sms)
