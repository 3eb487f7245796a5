"""What the daily reports say beyond scores, in the period: cases opened, resolved and open at
its end; complaints and warnings per agency; exceptions used and disputes with their outcome;
and, in a share pack, none of it about another agency."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest

from audits.csv_cells import read_csv
from audits.review import period as periods
from audits.review_run import ReviewConfig, ReviewError, run_review
from audits.rulepack import load_rulepack
from tests.review.reports import case, finding, publish_day, score, store_day

D1, D2, D3 = "2027-02-01", "2027-02-02", "2027-02-03"


def _complaint(day, complaint_id, *, linked, named="", cases=""):
    return {"audit_date": day, "complaint_id": complaint_id, "received_at": f"{day}T09:30:00+08:00",
            "channel": "regulator", "category": "harassment", "callee_masked": "+86 139****0001", "callee_key": "ab" * 32,
            "named_agency": named, "linked_agencies": linked, "calls_in_window": 17, "findings_in_window": 9,
            "linked_case_ids": cases, "status": "linked"}


# What the latest report recorded as the decisions in force: DP-1 upheld on D3 (it dismisses the case's
# findings of every day up to D3, also those its earlier reports counted while it was open), EX-7 accepting
# AG02's unassigned calls.
DECISIONS = [{"table": "disputes", "id": "DP-1", "case_id": "C-aaaaaaaaaaa1", "status": "upheld", "raised_on": D1,
              "decided_on": D3},
             {"table": "exceptions", "id": "EX-7", "agency_id": "AG02", "rule_id": "CONF_UNASSIGNED",
              "valid_from": "2027-01-15", "valid_to": "2027-03-31"}]


def _month(tmp_path, *, without_decisions=()):
    """Three days of February; `without_decisions`: days whose report holds no decisions.csv."""
    kept = lambda day, rows=(): None if day in without_decisions else rows  # noqa: E731
    out, store = tmp_path / "reports", tmp_path / "store"
    agencies = [("AG01", "华信催收"), ("AG02", "Pacific Contact")]
    scores = lambda day: [score(day, a, calls=100, name=n) for a, n in agencies]  # noqa: E731
    publish_day(out, D1, scores(D1), cases=[
        case(D1, "C-aaaaaaaaaaa1", "AG01", status="new", days_open=1),
        case(D1, "C-aaaaaaaaaaa2", "AG01", status="quiet", first_seen="2027-01-28", days_open=5, severity="major",
             rule="FREQ_DAILY_CAP", family="frequency", findings_today=0),
        case(D1, "C-bbbbbbbbbbb1", "AG02", status="open", first_seen="2027-01-20", days_open=13,
             decision="accepted", exception_id="EX-7"),
    ], violations=[finding(D1, "AG01", "c1", case_id="C-aaaaaaaaaaa1",
                           detail="4th attempt; earlier: 02-01 09:02 AG02, 02-01 10:00 AG02"),
                   finding(D1, "AG02", "d1", case_id="C-bbbbbbbbbbb1", decision="accepted")],
        complaints=[_complaint(D1, "K1", linked="AG01;AG02", named="AG02", cases="C-aaaaaaaaaaa1;C-bbbbbbbbbbb1")],
        decisions=kept(D1),
        warnings=[{"audit_date": D1, "level": "agent", "agency_id": "AG02", "agent_id": "E0099",
                   "metric": "numbers", "value": 900, "baseline": 100, "z": 9.1, "basis": "history",
                   "detail": "Agent E0099 dialled 900 numbers."}])
    publish_day(out, D2, scores(D2), cases=[
        case(D2, "C-aaaaaaaaaaa1", "AG01", status="open", first_seen=D1, days_open=2, findings_today=2,
             decision="disputed", dispute_id="DP-1"),
        case(D2, "C-aaaaaaaaaaa2", "AG01", status="resolved", first_seen="2027-01-28", severity="major",
             rule="FREQ_DAILY_CAP", family="frequency", findings_today=0),
        case(D2, "C-bbbbbbbbbbb1", "AG02", status="open", first_seen="2027-01-20", days_open=14,
             decision="accepted", exception_id="EX-7"),
    ], violations=[finding(D2, "AG01", "c2", case_id="C-aaaaaaaaaaa1", decision="disputed"),
                   finding(D2, "AG01", "c3", case_id="C-aaaaaaaaaaa1", decision="disputed")],
        complaints=[], decisions=kept(D2))
    publish_day(out, D3, scores(D3), cases=[
        case(D3, "C-aaaaaaaaaaa1", "AG01", status="open", first_seen=D1, days_open=3, decision="dismissed",
             dispute_id="DP-1"),
        case(D3, "C-bbbbbbbbbbb1", "AG02", status="open", first_seen="2027-01-20", days_open=15,
             decision="accepted", exception_id="EX-7"),
    ], violations=[finding(D3, "AG01", "c4", case_id="C-aaaaaaaaaaa1", decision="dismissed")],
        complaints=[_complaint(D3, "K2", linked="AG02", cases="C-bbbbbbbbbbb1")], decisions=kept(D3, DECISIONS))
    for day in (D1, D2, D3):
        store_day(store, day, {"AG01": 50, "AG02": 40})
    return ReviewConfig(period=periods.month("2027-02"), out=out, store=store, rulepack=load_rulepack("cn_bank"),
                        allow_missing_days=True)


@pytest.fixture
def review(tmp_path):
    return run_review(_month(tmp_path)).review_dir


def test_period_cases_status_at_period_end(review):
    cases = read_csv(review / "cases.csv", dtype="str", keep_default_na=False).set_index("case_id")
    assert list(cases.index) == ["C-aaaaaaaaaaa1", "C-aaaaaaaaaaa2", "C-bbbbbbbbbbb1"]     # agency, severity
    first, quiet, accepted = cases.loc["C-aaaaaaaaaaa1"], cases.loc["C-aaaaaaaaaaa2"], cases.loc["C-bbbbbbbbbbb1"]
    assert (first["status"], first["days_open"], first["opened_on"], first["findings_period"]) == ("open", "3", D1, "4")
    # DP-1, upheld on D3, dismisses the case's findings of D1 and D2 too, which those days' reports counted
    assert (first["dispute_id"], first["dispute_outcome"], first["findings_dismissed"]) == ("DP-1", "upheld", "4")
    assert (first["decision"], first["summary"]) == ("dismissed", "Case C-aaaaaaaaaaa1 of AG01; dismissed: dispute "
                                                                  "DP-1 upheld on 2027-02-03.")
    assert first["complaints"] == "1"
    assert (quiet["status"], quiet["resolved_on"], quiet["opened_on"], quiet["days_open"]) == ("resolved", D2, "", "")
    assert (accepted["exception_id"], accepted["findings_accepted"], accepted["complaints"]) == ("EX-7", "1", "2")
    scores = read_csv(review / "scores.csv", dtype="str", keep_default_na=False).set_index("agency_id")
    # both critical cases are open at period end but decided: AG01's dismissed by an upheld dispute, AG02's
    # (15 days) an accepted risk: neither is held against the agency's SLA
    assert (scores.loc["AG01", "open_critical_days"], scores.loc["AG02", "open_critical_days"]) == ("0", "0")
    # complaints linked in the period: AG01 1 (K1), AG02 2 (K1 named it and its calls, K2); numbers called 50 / 40
    assert (scores.loc["AG01", "complaints"], scores.loc["AG02", "complaints"]) == ("1", "2")
    assert (scores.loc["AG01", "complaint_rate_per_10k"], scores.loc["AG02", "complaint_rate_per_10k"]) == ("200.0",
                                                                                                           "500.0")
    # findings that count: none; AG01's c1..c4 are dismissed by DP-1 as it stands now, AG02's d1 accepted
    assert (scores.loc["AG01", "findings"], scores.loc["AG02", "findings"]) == ("0", "0")
    assert (scores.loc["AG01", "calls_confidentiality"], scores.loc["AG01", "critical_findings"]) == ("0", "0")


def test_a_day_of_the_period_without_recorded_decisions_is_refused_naming_the_days_to_rerun(tmp_path):
    config = _month(tmp_path, without_decisions=(D1, D2))
    with pytest.raises(ReviewError, match=f"the reports of {D1} to {D2} hold no decisions.csv") as refused:
        run_review(config)
    assert f"Rerun {D1} to {D2}" in str(refused.value)


def test_a_latest_report_without_recorded_decisions_is_refused_naming_it(tmp_path):
    # the decisions in force are those of the latest published report, here one after the period
    config = _month(tmp_path)
    publish_day(config.out, "2027-03-01", [score("2027-03-01", "AG01", calls=10)], decisions=None)
    with pytest.raises(ReviewError, match="the reports of 2027-03-01 hold no decisions.csv"):
        run_review(config)


def test_the_scorecard_shows_complaints_warnings_exceptions_and_disputes(review):
    ag01 = (review / "agencies" / "AG01.html").read_text(encoding="utf-8")
    ag02 = (review / "agencies" / "AG02.html").read_text(encoding="utf-8")
    assert "K1" in ag01 and "K2" not in ag01 and "K2" in ag02
    assert "Agent E0099 dialled 900 numbers." in ag02 and "E0099" not in ag01
    assert "EX-7" in ag02 and "DP-1" in ag01 and ">upheld<" in ag01
    assert 'id="cases-opened">1<' in ag01 and 'id="cases-resolved">1<' in ag01 and 'id="cases-open">1<' in ag01


def test_a_pack_tells_nothing_of_the_other_agency(review):
    with zipfile.ZipFile(review / "share" / "AG01.zip") as pack:
        texts = {name: pack.read(name) for name in pack.namelist()}
        with zipfile.ZipFile(io.BytesIO(texts["scorecard.xlsx"])) as book:
            texts.update({f"xlsx/{n}": book.read(n) for n in book.namelist()})
    for name, data in texts.items():
        text = data.decode("utf-8", "replace")
        for other in ("AG02", "Pacific Contact", "C-bbbbbbbbbbb1", "E0099", "EX-7"):
            assert other not in text, (name, other)
    complaints = pd.read_csv(io.BytesIO(texts["complaints.csv"]), dtype=str, keep_default_na=False)
    assert list(complaints.columns) == ["audit_date", "complaint_id", "received_at", "channel", "category",
                                        "callee_masked", "callee_key", "named_this_agency", "linked_case_ids"]
    assert complaints.to_dict("records") == [{
        "audit_date": D1, "complaint_id": "K1", "received_at": f"{D1}T09:30:00+08:00", "channel": "regulator",
        "category": "harassment", "callee_masked": "+86 139****0001", "callee_key": "ab" * 32,
        "named_this_agency": "no", "linked_case_ids": "C-aaaaaaaaaaa1"}]
    findings = texts["findings.csv"].decode("utf-8")
    assert "earlier: 02-01 09:02 another agency, 02-01 10:00 another agency" in findings


def test_a_published_review_manifest_that_is_not_json_is_replaced_and_kept(tmp_path):
    config = _month(tmp_path)
    review = run_review(config).review_dir
    (review / "manifest.json").write_bytes(b"[" * 200_000 + b"]" * 200_000)     # nested too deeply to parse
    again = run_review(config)
    assert again.outcome.startswith("published; the previous review is kept at superseded/")
    assert (review / "manifest.json").read_bytes().startswith(b"{")
