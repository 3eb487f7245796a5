"""Period scores are the daily formula over the period's totals (hand-computed here), days
audited / not assessed / without a report are counted apart, and the review refuses a period
with unaudited days unless told, naming them."""

from __future__ import annotations

import datetime as dt

import pytest

from audits.cli import main as cli
from audits.csv_cells import read_csv
from audits.review import period as periods
from audits.review.dailies import ReviewError
from audits.review_run import ReviewConfig, run_review
from audits.rulepack import load_rulepack
from tests.review.reports import finding, publish_day, score, store_day

FEB = [f"2027-02-0{d}" for d in (1, 2, 3)]
ACCEPTED_CASE = "C-00000000acc1"          # AG01's unassigned call, accepted under an exception


def _review(out, store, **options):
    config = ReviewConfig(period=periods.month("2027-02"), out=out, store=store, rulepack=load_rulepack("cn_bank"),
                          code_version="test", **{"allow_missing_days": True, **options})
    return run_review(config)


@pytest.fixture
def literal(tmp_path):
    """Three days of February 2027; AG01 delivers a small day, a large day, then no file."""
    out, store = tmp_path / "reports", tmp_path / "store"
    publish_day(out, FEB[0], [score(FEB[0], "AG01", calls=100, conf=10, overall=65.0),
                              score(FEB[0], "AG02", calls=500, conf=1, critical=1, overall=99.3, grade="C")],
                violations=[finding(FEB[0], "AG01", f"c{k % 10}", rule="CONF_AGENT_NOT_ACTIVE", severity="major")
                            for k in range(12)]                                # 12 findings on 10 calls
                + [finding(FEB[0], "AG01", "c99", case_id=ACCEPTED_CASE, decision="accepted"),
                   finding(FEB[0], "AG02", "d0")])
    publish_day(out, FEB[1], [score(FEB[1], "AG01", calls=400, freq=5, qual=5, quarantined=5, overall=88.0),
                              score(FEB[1], "AG02", calls=500, overall=100.0, grade="A")],
                violations=[finding(FEB[1], "AG01", f"f{k}", rule=rule, family=family, severity="major")
                            for k in range(5) for rule, family in (("FREQ_DAILY_CAP", "frequency"),
                                                                   ("QUAL_AGENT_UNTRAINED", "qualification"))])
    publish_day(out, FEB[2], [score(FEB[2], "AG01", status="missing"),
                              score(FEB[2], "AG02", calls=0, overall=100.0, grade="A")],
                decisions=[{"table": "exceptions", "id": "EX-1", "agency_id": "AG01", "rule_id": "CONF_UNASSIGNED",
                            "case_id": ACCEPTED_CASE, "valid_from": FEB[0], "valid_to": FEB[2]}])
    for k, day in enumerate(FEB):
        store_day(store, day, {"AG01": 3, "AG02": 2}, start=k)
    return out, store


def test_period_scores_are_the_daily_formula_over_the_period_totals(literal):
    out, store = literal
    result = _review(out, store)
    scores = read_csv(result.review_dir / "scores.csv", dtype="str", keep_default_na=False).set_index("agency_id")
    ag01 = scores.loc["AG01"]
    # totals: 500 calls; 10 confidentiality, 5 frequency, 5 qualification; 505 rows read, 5 quarantined
    assert (ag01["days_in_period"], ag01["days_audited"], ag01["days_not_assessed"], ag01["days_without_report"],
            ag01["not_assessed_dates"]) == ("28", "2", "1", "25", "2027-02-03")
    assert (ag01["calls_audited"], ag01["rows_read"], ag01["rows_quarantined"]) == ("500", "505", "5")
    assert (ag01["calls_confidentiality"], ag01["calls_frequency"], ag01["calls_qualification"]) == ("10", "5", "5")
    assert (ag01["rate_confidentiality"], ag01["rate_frequency"], ag01["rate_qualification"]) == ("0.02", "0.01", "0.01")
    assert ag01["rate_data_quality"] == "0.009901"                       # 5 / 505
    # score_f = 100 * (1 - rate / 0.05): 60, 80, 80; data quality 100 * (1 - (5/505) / 0.05) = 80.198 -> 80.2
    assert (ag01["score_confidentiality"], ag01["score_frequency"], ag01["score_qualification"],
            ag01["score_data_quality"]) == ("60.0", "80.0", "80.0", "80.2")
    # overall = 0.35 * 60 + 0.30 * 80 + 0.25 * 80 + 0.10 * 80.2 = 73.02, grade C (the mean of the daily
    # overalls, 65 / 88 / 0, would say otherwise)
    assert (ag01["overall"], ag01["grade"], ag01["grade_capped"], ag01["grade_gate"]) == ("73.02", "C", "false", "")
    # findings counted from violations.csv: 22 counting ones, 12 of confidentiality (the accepted one does not count)
    assert (ag01["findings"], ag01["findings_confidentiality"]) == ("22", "12")


def test_the_periods_critical_share_gates_the_grade(literal):
    out, store = literal
    scores = read_csv(_review(out, store).review_dir / "scores.csv", dtype="str",
                      keep_default_na=False).set_index("agency_id")
    # 1,000 calls, 1 with a confidentiality finding: 100 * (1 - (1/1000)/0.05) = 98; overall
    # 0.35 * 98 + 0.65 * 100 = 99.3 (band A); that call's critical finding is 0.1 % of the
    # period's calls: the critical_share_d gate lowers the grade to D
    assert (scores.loc["AG02", "score_confidentiality"], scores.loc["AG02", "overall"]) == ("98.0", "99.3")
    assert (scores.loc["AG02", "grade"], scores.loc["AG02", "grade_capped"], scores.loc["AG02", "grade_gate"]) == \
        ("D", "true", "critical_share_d")


def test_a_call_without_a_contract_in_the_period_fails_it_and_ranks_it_first(tmp_path):
    out, store = tmp_path / "reports", tmp_path / "store"
    publish_day(out, FEB[0], [score(FEB[0], "AG05", calls=2000, qual=1), score(FEB[0], "AG06", calls=100, freq=2),
                              score(FEB[0], "AG07", status="unreadable")],
                violations=[finding(FEB[0], "AG05", "e1", rule="QUAL_NO_CONTRACT", family="qualification"),
                            *(finding(FEB[0], "AG06", f"f{k}", rule="FREQ_DAILY_CAP", family="frequency",
                                      severity="major") for k in range(2))])
    store_day(store, FEB[0], {"AG05": 1, "AG06": 1})
    result = _review(out, store)
    scores = read_csv(result.review_dir / "scores.csv", dtype="str", keep_default_na=False).set_index("agency_id")
    # AG05: 1 of 2,000 calls (0.05 %): band A (99.75), the fail rule makes it F
    assert (scores.loc["AG05", "overall"], scores.loc["AG05", "grade"], scores.loc["AG05", "grade_gate"]) == \
        ("99.75", "F", "QUAL_NO_CONTRACT")
    assert (scores.loc["AG06", "grade"], scores.loc["AG06", "grade_gate"]) == ("B", "")       # 2 % frequency: 88
    index = (result.review_dir / "index.html").read_text(encoding="utf-8")
    assert index.index(">AG07<") < index.index(">AG05<") < index.index(">AG06<")


def test_an_agency_never_assessed_is_not_assessed_for_the_period(tmp_path):
    out, store = tmp_path / "reports", tmp_path / "store"
    publish_day(out, FEB[0], [score(FEB[0], "AG01", status="missing"), score(FEB[0], "AG02", calls=10)])
    store_day(store, FEB[0], {"AG02": 1})
    scores = read_csv(_review(out, store).review_dir / "scores.csv", dtype="str",
                      keep_default_na=False).set_index("agency_id")
    assert (scores.loc["AG01", "days_audited"], scores.loc["AG01", "score_confidentiality"],
            scores.loc["AG01", "score_data_quality"], scores.loc["AG01", "overall"],
            scores.loc["AG01", "grade"], scores.loc["AG01", "grade_gate"]) == ("0", "", "0.0", "", "", "")


def test_missing_days_are_refused_naming_them(literal, capsys):
    out, store = literal
    with pytest.raises(ReviewError) as refused:
        _review(out, store, allow_missing_days=False)
    assert "25 of its 28 days have no published report" in str(refused.value)
    assert "2027-02-04 to 2027-02-28" in str(refused.value)
    assert not (out / "reviews" / "2027-02").exists()
    (out / "2027-02-02" / "manifest.json").unlink()              # a day not published: named alone
    assert cli(["review", "--month", "2027-02", "--out", str(out), "--store", str(store)]) == 2
    assert "2027-02-02, 2027-02-04 to 2027-02-28" in capsys.readouterr().err


def test_missing_days_allowed_are_stated_on_every_scorecard(literal):
    out, store = literal
    assert cli(["review", "--month", "2027-02", "--out", str(out), "--store", str(store),
                "--allow-missing-days"]) == 0
    review = out / "reviews" / "2027-02"
    for agency in ("AG01", "AG02"):
        html = (review / "agencies" / f"{agency}.html").read_text(encoding="utf-8")
        assert "25 days of the period had no published report and are not part of this review: " \
               "2027-02-04 to 2027-02-28." in html
    assert "2027-02-04 to 2027-02-28" in (review / "index.html").read_text(encoding="utf-8")
    manifest = (review / "manifest.json").read_text(encoding="utf-8")
    assert '"missing_days": [\n    "2027-02-04",' in manifest and '"allow_missing_days": true' in manifest


def test_a_whole_month_audited_needs_no_permission(tmp_path):
    out, store = tmp_path / "reports", tmp_path / "store"
    for day in periods.month("2027-02").days:
        iso = day.isoformat()
        publish_day(out, iso, [score(iso, "AG01", calls=10)])
        store_day(store, iso, {"AG01": 1})
    result = _review(out, store, allow_missing_days=False)
    assert result.missing_days == () and result.days_read == 28


def test_a_daily_output_changed_after_publishing_is_refused(literal):
    out, store = literal
    scores = out / FEB[1] / "scores.csv"
    scores.write_text(scores.read_text(encoding="utf-8").replace(",400,", ",401,"), encoding="utf-8")
    with pytest.raises(ReviewError, match=r"2027-02-02/scores.csv does not match its report's manifest"):
        _review(out, store)


def test_a_store_without_a_reported_day_is_refused(literal):
    out, store = literal
    for kind in ("calls", "refusals"):
        import shutil

        shutil.rmtree(store / kind / "call_date=2027-02-02")
    with pytest.raises(ReviewError, match=r"holds no calls for 2027-02-02, although"):
        _review(out, store)


def test_periods():
    assert (periods.month("2026-11").first, periods.month("2026-11").last) == (dt.date(2026, 11, 1),
                                                                             dt.date(2026, 11, 30))
    assert (periods.quarter("2026-Q4").first, periods.quarter("2026-q4").last) == (dt.date(2026, 10, 1),
                                                                                 dt.date(2026, 12, 31))
    assert len(periods.month("2028-02").days) == 29
    assert periods.previous_month(dt.date(2027, 1, 1)).label == "2026-12"
    assert periods.previous_quarter(dt.date(2027, 2, 1)).label == "2026-Q4"
    assert periods.previous_quarter(dt.date(2027, 4, 1)).label == "2027-Q1"
    for bad in ("2026-13", "2026-1", "26-11", "2026-11-01"):
        with pytest.raises(periods.PeriodError, match="is not a month"):
            periods.month(bad)
    with pytest.raises(periods.PeriodError, match="is not a quarter"):
        periods.quarter("2026-Q5")
