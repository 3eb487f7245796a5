"""End to end on sample landing zones: the audit raises exactly the planted early warnings
(truth/<date>-warnings.csv), and warnings.csv is byte-identical on rerun, verified, and shown in
the reports and the e-mail (none on a quiet sample: test_quiet_sample.py)."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from audits.notify import compose_summary
from audits.pipeline import run_audit
from audits.rulepack import load_rulepack
from audits.sample import write_sample_landing
from audits.signals import daily
from audits.verification import verify_report

PACK = load_rulepack("cn_bank")
START = dt.date(2026, 10, 1)
SAMPLE = dict(agencies=5, calls_per_day=16_000, seed=1)      # most agents make 50+ attempts a day


def _found(frame: pd.DataFrame) -> set[tuple]:
    return set(zip(frame["level"], frame["agency_id"], frame["agent_id"].fillna(""), frame["metric"]))


def _truth(root, day: dt.date) -> set[tuple]:
    return _found(pd.read_csv(root / "landing" / "truth" / f"{day}-warnings.csv", dtype=str, keep_default_na=False))


@pytest.fixture(scope="module")
def anomalous(audited_sample):
    """14 days with the two anomalies on the 12th and 13th; the last three days audited."""
    sample = audited_sample(days=14, start=START, audited=range(11, 14), **SAMPLE)
    return sample.root, sample.reports


def test_the_planted_warnings_are_recovered_exactly(anomalous):
    root, reports = anomalous
    assert _truth(root, START + dt.timedelta(days=11)) == {("agent", "AG02", "E0001", "attempts"),
                                                           ("agent", "AG02", "E0001", "numbers")}
    assert _truth(root, START + dt.timedelta(days=12)) == {("agency", "AG04", "", "unassigned_share")}
    for day, report in reports.items():
        published = pd.read_csv(report / "warnings.csv", dtype=str, keep_default_na=False)
        assert _found(published) == _truth(root, day), day
    for offset in range(11):                      # the days only ingested: warnings from their stored counts
        day = START + dt.timedelta(days=offset)
        assert _found(daily.stored_warnings(root / "store", day, PACK)) == _truth(root, day) == set(), day


def test_warnings_are_byte_identical_on_rerun_verified_and_reported(audited_sample, tmp_path):
    sample = audited_sample(days=14, start=START, audited=range(11, 14), **SAMPLE).copy(tmp_path)
    reports = sample.reports
    day = START + dt.timedelta(days=12)
    before = (reports[day] / "warnings.csv").read_bytes()
    again = run_audit(sample.config(day, run_id="w-again")).report_dir
    assert (again / "warnings.csv").read_bytes() == before
    verification = verify_report(again)
    assert verification.ok, verification.problems
    index = (again / "index.html").read_text(encoding="utf-8")
    assert 'id="early-warnings"' in index and "Agency AG04: unusually high unassigned share 20." in index
    page = (again / "agencies" / "AG04.html").read_text(encoding="utf-8")
    assert "Agency AG04: unusually high unassigned share 20." in page
    assert 'id="no-warnings"' in (again / "agencies" / "AG01.html").read_text(encoding="utf-8")
    sheet = openpyxl.load_workbook(again / "summary.xlsx")["Early warnings"]
    rows = [r for r in sheet.iter_rows(min_row=4, values_only=True) if r[0]]
    assert [(r[0], r[1], r[3]) for r in rows] == [("Agency", "AG04", "Unassigned share")]
    message = compose_summary(again)
    assert "Early warnings (agencies)" in message.html and "AG04 unassigned_share (history)" in message.html
    volume = compose_summary(reports[START + dt.timedelta(days=11)])
    assert "Early warnings" not in volume.html                # agents' warnings are not in the e-mail


def test_the_sample_says_which_anomaly_it_could_not_plant(tmp_path):
    """A sample too small for an agent baseline states why its truth files hold no volume
    warning (the generator plants only what it can state the truth of)."""
    said = []
    summary = write_sample_landing(tmp_path / "small" / "landing", start=START, days=14, agencies=5, calls_per_day=600, seed=1,
                                   progress=said.append)
    reasons = summary["anomalies_not_planted"]
    assert reasons == ["no unassigned-share anomaly: no agency with a contract in force has 12 readable days before "
                       "day 13 and 250 calls a day",
                       "no volume anomaly: on day 12 no agent has 10 of the 28 days before with 50 attempts or more"]
    assert [f"sample: {reason}" for reason in reasons] == [line for line in said if "anomaly" in line]
    for day in range(14):
        assert _truth(tmp_path / "small", START + dt.timedelta(days=day)) == set()
    short = write_sample_landing(tmp_path / "short", start=START, days=3, agencies=5, calls_per_day=600, seed=1)
    assert short["anomalies_not_planted"] == ["no early-warning anomaly: 3 day(s) are fewer than the 14 a baseline "
                                              "needs"]
    with_enough = write_sample_landing(tmp_path / "none", start=START, days=3, agencies=5, calls_per_day=600, seed=1,
                                       anomalies=False)
    assert with_enough["anomalies_not_planted"] == []
