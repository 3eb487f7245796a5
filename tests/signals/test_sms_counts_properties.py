"""The vectorised counts of texts against plain per-row oracles: an agency's SMS attempts and
opt-outs (early warnings), and a case's distinct calls and texts (cases)."""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from audits.cases.channels import contacts_by_case
from audits.signals.metrics import with_message_counts

AGENCIES = ["AG1", "AG2", "AG3"]
message_rows = st.lists(st.tuples(st.sampled_from(AGENCIES), st.booleans(), st.booleans()), max_size=30)
finding_rows = st.lists(st.tuples(st.sampled_from(["C-1", "C-2", "C-3"]), st.sampled_from(["1", "2", "3"]),
                                  st.sampled_from(["call", "sms"])), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(message_rows, st.lists(st.sampled_from(AGENCIES[:2]), unique=True))
def test_message_counts_equal_a_per_row_oracle(rows, calling):
    counts = pd.DataFrame({"level": ["agency"] * len(calling), "agency_id": sorted(calling), "agent_id": "",
                           **{c: 0 for c in ("calls", "attempts", "numbers", "answered_timed", "short_answers",
                                             "conversations", "refusals", "new_numbers")},
                           "unassigned": 0.0, "off_hours": 0.0})
    messages = pd.DataFrame(rows, columns=["agency_id", "is_attempt", "is_opt_out"])
    out = with_message_counts(counts, messages).set_index("agency_id")
    for agency in AGENCIES:
        attempts = sum(1 for a, at, _ in rows if a == agency and at)
        opt_outs = sum(1 for a, _, o in rows if a == agency and o)
        texted = attempts or opt_outs
        if agency not in out.index:
            assert not texted and agency not in calling
            continue
        got = out.loc[agency]
        if texted:
            assert (got["sms_attempts"], got["opt_outs"]) == (attempts, opt_outs)
        else:
            assert math.isnan(got["sms_attempts"]) and math.isnan(got["opt_outs"])
    assert list(out.index) == sorted(out.index)


@settings(max_examples=60, deadline=None)
@given(finding_rows)
def test_contacts_by_case_equal_a_per_row_oracle(rows):
    violations = pd.DataFrame(rows, columns=["case_id", "call_id", "channel"])
    out = contacts_by_case(violations)
    for case in {c for c, _, _ in rows}:
        contacts = {(channel, call_id) for c, call_id, channel in rows if c == case}
        texts = sum(1 for channel, _ in contacts if channel == "sms")
        assert (out.loc[case, "calls"], out.loc[case, "texts"]) == (len(contacts) - texts, texts)
