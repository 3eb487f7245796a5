"""Rules partitioned by a hash of the numbers (one Airflow task per partition) find exactly what
the single run finds, on the last day of the ten-day sample (tests/samples.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from audits.ingest import load_calls, load_reference
from audits.pipeline import rule_inputs
from audits.rules import partition_of, run_rules, sort_violations
from tests.samples import TEN_DAYS


@pytest.fixture(scope="module")
def inputs(audited_sample):
    """The last day's rule inputs, its history from the sample's store (filled by its audits)."""
    sample = audited_sample(**TEN_DAYS)
    day = sample.last_day
    config = sample.config(day)
    tables = {t: i.accepted for t, i in load_reference(config.landing, audit_date=day, rulepack=config.rulepack).items()}
    today = load_calls(config.landing, day=day, contracts=tables["contracts"], rulepack=config.rulepack)
    return rule_inputs(config, tables, today.accepted)


@pytest.mark.parametrize("partitions", [2, 5])
def test_partitioned_rules_equal_the_single_run(inputs, partitions):
    single = run_rules(inputs)
    parts = [run_rules(inputs, partition=k, partitions=partitions) for k in range(partitions)]
    assert all(not part.empty for part in parts)                       # the work is really spread
    pd.testing.assert_frame_equal(sort_violations(parts), single)
    assert len(single) > 100 and single["rule_id"].nunique() >= 10


def test_partition_of_is_stable_and_spreads():
    numbers = pd.Series([f"+86138{n:08d}" for n in range(1000)], dtype="str")
    first = partition_of(numbers, 4)
    assert (first == partition_of(numbers.copy(), 4)).all()
    assert sorted(set(first)) == [0, 1, 2, 3]
    assert partition_of(pd.Series(["+8613812345678"], dtype="str"), 4).tolist() == \
        partition_of(pd.Series(["+8613812345678"], dtype="str"), 4).tolist()



def test_rules_in_worker_processes_equal_the_single_run(inputs):
    """run_rules_in_processes: forked workers, one group of rules each, inputs shared."""
    from audits.pipeline import run_rules_in_processes

    pd.testing.assert_frame_equal(run_rules_in_processes(inputs, workers=3), run_rules(inputs))


def test_rule_groups_cover_the_enabled_rules_once_at_about_equal_cost():
    from audits.rules import RULES, rule_groups

    enabled = {rule.rule_id for rule in RULES} - {"FREQ_ROLLING_7D"}
    groups = rule_groups(enabled, 2)
    assert len(groups) == 2 and groups[0].isdisjoint(groups[1]) and groups[0] | groups[1] == enabled
    cost = {rule.rule_id: rule.cost for rule in RULES}
    totals = sorted(sum(cost[r] for r in group) for group in groups)
    assert totals[1] - totals[0] <= max(cost.values())
    assert rule_groups(enabled, 1) == [frozenset(enabled)]
    assert len(rule_groups({"QUAL_NO_CONTRACT"}, 4)) == 1
