"""End to end on the ten-day sample landing zone (tests/samples.py): every case the audit reports
on each day (status, episode dates, findings, decision and the ids behind it) equals the case
truth the sample generator replays from its planted findings (audits/sample/lifecycle.py),
written from cases.md independently of audits/cases. Ten days, because cn_bank resolves a case
after 7 quiet days: the planted V901 case resolves on day 8 and reopens on day 9."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from audits.cases.keys import case_id
from audits.config import DEVELOPMENT_HMAC_SECRET
from audits.privacy import phone_keys
from tests.samples import START, TEN_DAYS

DAYS = TEN_DAYS["days"]
COMPARED = ["status", "first_seen", "last_seen", "findings_today", "decision", "exception_id", "dispute_id"]


@pytest.fixture(scope="module")
def audited(audited_sample):
    sample = audited_sample(**TEN_DAYS)
    return sample.root, sample.reports


def _csv(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _truth(root, day) -> pd.DataFrame:
    """The day's case truth keyed by case_id (phone subjects keyed with the audit's secret)."""
    truth = _csv(root / "landing" / "truth" / "cases" / f"{day}.csv")
    phones = truth["subject_kind"].isin(["customer", "caller"])
    subject = truth["subject"].where(~phones, phone_keys(truth["subject"].where(phones), DEVELOPMENT_HMAC_SECRET))
    ids = [case_id(a, r, s) for a, r, s in zip(truth["agency_id"], truth["rule_id"], subject)]
    return truth.assign(case_id=ids).set_index("case_id")


@pytest.mark.parametrize("offset", range(DAYS))
def test_every_case_of_the_day_equals_the_planted_case_truth(audited, offset):
    root, reports = audited
    day = START + dt.timedelta(days=offset)
    expected = _truth(root, day)[COMPARED].sort_index()
    found = _csv(reports[day] / "cases.csv").set_index("case_id")[COMPARED].sort_index()
    assert found.index.is_unique
    assert found.to_dict("index") == expected.to_dict("index")


def test_the_sample_plants_every_status_and_every_decision(audited):
    root, _ = audited
    truth = pd.concat([_csv(root / "landing" / "truth" / "cases" / f"{START + dt.timedelta(days=k)}.csv")
                       for k in range(DAYS)])
    assert set(truth["status"]) == {"new", "open", "quiet", "resolved", "reopened"}
    assert set(truth["decision"]) == {"", "accepted", "dismissed", "disputed"}
    returning = truth[truth["subject"] == "V901"]["status"].tolist()
    assert returning == ["new", "open", *["quiet"] * 6, "resolved", "reopened"]


def test_decided_findings_leave_the_score_and_the_score_before_decisions_keeps_them(audited):
    root, reports = audited
    exception = _csv(root / "landing" / "reference" / "exceptions.csv").iloc[0]
    day = dt.date.fromisoformat(exception["valid_from"])
    scores = _csv(reports[day] / "scores.csv").set_index("agency_id").loc[exception["agency_id"]]
    violations = _csv(reports[day] / "violations.csv")
    accepted = violations[violations["decision"] == "accepted"]
    assert set(accepted["rule_id"]) == {exception["rule_id"]} and len(accepted) > 0
    assert float(scores["overall"]) > float(scores["overall_before_decisions"])
    assert float(scores["score_confidentiality"]) > 0
