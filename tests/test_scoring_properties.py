"""The per-agency tally scoring runs over integer codes (calls with a finding per family, critical
calls, the fail_rules found) against a plain per-finding oracle written from rules.md, Scoring."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from audits.models import RULES_BY_ID
from audits.rules.findings import empty_violations
from audits.scoring import _finding_tally

RULES = ("QUAL_NO_CONTRACT", "CONF_PII_IN_NOTES", "FREQ_DAILY_CAP", "FREQ_RAPID_REDIAL", "CONF_NO_CONSENT")
finding = st.tuples(st.sampled_from(["AG01", "AG02", "AG10"]), st.sampled_from(["c1", "c2", "c3", "c10", "x"]),
                    st.sampled_from(RULES))


def _frame(rows) -> pd.DataFrame:
    if not rows:
        return empty_violations()
    return pd.DataFrame([{**dict.fromkeys(empty_violations().columns, ""), "agency_id": a, "call_id": c,
                          "rule_id": r, "family": RULES_BY_ID[r].family.value,
                          "severity": RULES_BY_ID[r].severity.value} for a, c, r in rows])


@given(st.lists(finding, max_size=40), st.sets(st.sampled_from(RULES), max_size=2))
def test_the_tally_equals_a_per_finding_count(rows, fail_rules):
    tally = _finding_tally(_frame(rows), tuple(sorted(fail_rules)))
    affected, critical_calls, findings, critical, hits = {}, {}, {}, {}, {}
    for agency, call, rule in rows:
        info = RULES_BY_ID[rule]
        affected.setdefault((agency, info.family.value), set()).add(call)
        findings[agency] = findings.get(agency, 0) + 1
        if info.severity.value == "critical":
            critical[agency] = critical.get(agency, 0) + 1
            critical_calls.setdefault(agency, set()).add(call)
        if rule in fail_rules:
            hits.setdefault(agency, set()).add(rule)
    assert tally["affected"] == {key: len(calls) for key, calls in affected.items()}
    assert tally["findings"] == findings and tally["critical"] == critical
    assert tally["critical_calls"] == {a: len(calls) for a, calls in critical_calls.items()}
    assert tally["fail_hits"] == {a: frozenset(rules) for a, rules in hits.items()}
