"""The SLA of the rulepack's review.sla: each clause met at its boundary and not met just past
it, judged alone and end to end (open critical cases from cases.csv, the complaint rate from
complaints.csv over the numbers the store says were called); the section is read strictly."""

from __future__ import annotations

import pytest
import yaml

from audits.config import ConfigError, SlaSettings
from audits.csv_cells import read_csv
from audits.review import period as periods
from audits.review.sla import judge, overall_result
from audits.review_run import ReviewConfig, run_review
from audits.rulepack import RULEPACK_DIR, load_rulepack
from tests.review.reports import case, finding, publish_day, score, store_day

DEFAULTS = SlaSettings()


def _clauses(**values):
    base = dict(overall=90.0, open_critical_days=0, complaints=0, complaint_rate=0.0, not_assessed_days=0)
    return {c.clause: c for c in judge(DEFAULTS, **{**base, **values})}


@pytest.mark.parametrize("clause, at_limit, past_limit", [
    ("min_overall_score", dict(overall=85.0), dict(overall=84.99)),
    ("max_open_critical_days", dict(open_critical_days=7), dict(open_critical_days=8)),
    ("max_complaint_rate_per_10k", dict(complaints=1, complaint_rate=5.0), dict(complaints=1, complaint_rate=5.0025)),
    ("max_not_assessed_days", dict(not_assessed_days=1), dict(not_assessed_days=2)),
])
def test_each_clause_is_met_at_its_limit_and_not_past_it(clause, at_limit, past_limit):
    met = _clauses(**at_limit)
    assert met[clause].result == "met" and met[clause].margin == 0 and "exactly" in met[clause].text
    assert overall_result(tuple(met.values())) == "met"
    failed = _clauses(**past_limit)
    assert failed[clause].result == "not met" and failed[clause].margin < 0
    assert overall_result(tuple(failed.values())) == "not met"
    assert [c for c, r in failed.items() if r.result != "met"] == [clause]


def test_the_scorecard_says_by_how_much():
    clauses = _clauses(overall=80.5, open_critical_days=10, complaints=3, complaint_rate=6.5, not_assessed_days=4)
    assert clauses["min_overall_score"].text == "80.50, 4.50 points below the minimum"
    assert clauses["max_open_critical_days"].text == "longest open critical case 10 days: 3 days over the limit"
    assert clauses["max_complaint_rate_per_10k"].text == "6.5 per 10,000 (3 complaints), 1.5 over the limit"
    assert clauses["max_not_assessed_days"].text == "4 days not assessed: 3 days over the limit"


def test_a_clause_left_out_or_without_data_is_not_judged():
    sla = SlaSettings(min_overall_score=None)
    clauses = {c.clause: c for c in judge(sla, overall=10.0, open_critical_days=0, complaints=None,
                                          complaint_rate=None, not_assessed_days=0)}
    assert clauses["min_overall_score"].result == "n/a"
    assert clauses["max_complaint_rate_per_10k"].result == "n/a"
    assert "no complaint data" in clauses["max_complaint_rate_per_10k"].text
    assert overall_result(tuple(clauses.values())) == "met"


def _write_rulepack(tmp_path, change) -> str:
    document = yaml.safe_load((RULEPACK_DIR / "cn_bank.yaml").read_text(encoding="utf-8"))
    change(document)
    path = tmp_path / "pack.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("name", ["cn_bank", "us_collections"])
def test_both_rulepacks_carry_the_default_sla(name):
    assert load_rulepack(name).review.sla == SlaSettings(85.0, 7, 5.0, 1)


def test_the_sla_section_is_read_strictly(tmp_path):
    def broken(change):
        with pytest.raises(ConfigError) as error:
            load_rulepack(_write_rulepack(tmp_path, change))
        return str(error.value)

    assert "unknown key review.sla.min_score" in broken(lambda d: d["review"]["sla"].update(min_score=80))
    assert "unknown key review.slas" in broken(lambda d: d["review"].update(slas={}))
    assert "review.sla.max_open_critical_days must be a whole number" in broken(
        lambda d: d["review"]["sla"].update(max_open_critical_days=2.5))
    assert "review.sla.min_overall_score must be between 0 and 100" in broken(
        lambda d: d["review"]["sla"].update(min_overall_score=101))
    assert "review.sla must be a mapping" in broken(lambda d: d["review"].update(sla=[1]))
    pack = load_rulepack(_write_rulepack(tmp_path, lambda d: d["review"].update(
        sla={"max_not_assessed_days": 3, "max_complaint_rate_per_10k": None})))
    assert pack.review.sla == SlaSettings(85.0, 7, None, 3)        # left out: default; null: not in the SLA
    assert load_rulepack(_write_rulepack(tmp_path, lambda d: d.pop("review"))).review.sla == DEFAULTS


DAYS = ("2027-03-30", "2027-03-31")


def test_sla_end_to_end_at_the_boundaries(tmp_path):
    """AG01 meets every clause exactly at its limit; AG02 misses each by the smallest step."""
    out, store = tmp_path / "reports", tmp_path / "store"
    last = DAYS[-1]
    # AG01: 1,000 calls, 30 with a qualification finding: rate 0.03, score 40; the other families 100:
    # 0.35 * 100 + 0.30 * 100 + 0.25 * 40 + 0.10 * 100 = 85.00. AG02 the same and 1 row quarantined of
    # 1,001: data quality 100 * (1 - (1/1001) / 0.05) = 98.0, overall 84.80.
    publish_day(out, DAYS[0], [score(DAYS[0], "AG01", status="missing"), score(DAYS[0], "AG02", status="missing"),
                               score(DAYS[0], "AG03", calls=1)], complaints=[])
    publish_day(out, last, [score(last, "AG01", calls=1000, qual=30), score(last, "AG02", calls=1000, qual=30, quarantined=1),
                            score(last, "AG03", calls=1)],
                cases=[case(last, "C-000000000001", "AG01", status="quiet", days_open=7),
                       case(last, "C-000000000002", "AG02", status="open", days_open=8),
                       case(last, "C-000000000003", "AG02", status="open", days_open=40, decision="accepted"),
                       case(last, "C-000000000004", "AG01", status="open", days_open=30, severity="major")],
                violations=[finding(last, agency, f"{agency}-q{k}", rule="QUAL_AGENT_UNTRAINED", family="qualification",
                                    severity="major") for agency in ("AG01", "AG02") for k in range(30)],
                decisions=[{"table": "exceptions", "id": "EX-3", "agency_id": "AG02", "rule_id": "CONF_UNASSIGNED",
                            "case_id": "C-000000000003", "valid_from": DAYS[0], "valid_to": last}],
                complaints=[{"audit_date": last, "complaint_id": f"K{k}", "received_at": f"{last}T09:00:00+08:00",
                             "channel": "hotline", "category": "harassment", "callee_masked": "+86 139****0001",
                             "callee_key": "k", "named_agency": "", "linked_agencies": agency, "calls_in_window": 1,
                             "findings_in_window": 0, "linked_case_ids": "", "status": "linked"}
                            for k, agency in enumerate(("AG01", "AG02"))])
    store_day(store, DAYS[0], {"AG01": 1200, "AG02": 1000})
    store_day(store, last, {"AG01": 2000, "AG02": 1999})           # AG01: 2,000 numbers, AG02: 1,999
    scores = _scores(out, store)
    ag01, ag02 = scores.loc["AG01"], scores.loc["AG02"]
    assert (ag01["overall"], ag02["overall"]) == ("85.0", "84.8")
    assert (ag01["open_critical_days"], ag02["open_critical_days"]) == ("7", "8")
    assert (ag01["numbers_called"], ag02["numbers_called"]) == ("2000", "1999")
    assert (ag01["complaint_rate_per_10k"], ag02["complaint_rate_per_10k"]) == ("5.0", "5.0025")
    assert (ag01["days_not_assessed"], ag02["days_not_assessed"]) == ("1", "1")
    for clause in ("min_overall_score", "max_open_critical_days", "max_complaint_rate_per_10k"):
        assert (ag01[f"sla_{clause}"], ag02[f"sla_{clause}"]) == ("met", "not met"), clause
    assert (ag01["sla_overall"], ag02["sla_overall"]) == ("met", "not met")
    assert ag02["sla_failed"].startswith("Overall score at least 85: 84.80, 0.20 points below the minimum; ")
    assert scores.loc["AG03", "sla_max_complaint_rate_per_10k"] == "met"        # no complaint, 1 number: 0


def test_not_assessed_days_end_to_end(tmp_path):
    out, store = tmp_path / "reports", tmp_path / "store"
    publish_day(out, DAYS[0], [score(DAYS[0], "AG01", status="missing"), score(DAYS[0], "AG02", status="unreadable")])
    publish_day(out, DAYS[1], [score(DAYS[1], "AG01", calls=5), score(DAYS[1], "AG02", status="missing")])
    for day in DAYS:
        store_day(store, day, {"AG01": 1})
    scores = _scores(out, store)
    assert (scores.loc["AG01", "days_not_assessed"], scores.loc["AG01", "sla_max_not_assessed_days"]) == ("1", "met")
    assert (scores.loc["AG02", "days_not_assessed"], scores.loc["AG02", "sla_max_not_assessed_days"]) == ("2",
                                                                                                        "not met")
    # no complaints.csv in any report and no complaint column in scores.csv: the clause is not judged
    assert scores.loc["AG01", "sla_max_complaint_rate_per_10k"] == "n/a" and scores.loc["AG01", "complaints"] == ""


def _scores(out, store):
    config = ReviewConfig(period=periods.month("2027-03"), out=out, store=store, rulepack=load_rulepack("cn_bank"),
                          allow_missing_days=True)
    return read_csv(run_review(config).review_dir / "scores.csv", dtype="str",
                    keep_default_na=False).set_index("agency_id")
