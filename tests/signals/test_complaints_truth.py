"""End to end on the ten-day sample landing zone with planted complaints (signals.md §3,
tests/samples.py): every day's complaints.csv recovers truth/<D>-complaints.csv exactly, the
reports verify, and the regulator complaint opens the morning e-mail."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from audits.privacy import mask_id_text
from tests.samples import START, TEN_DAYS

DAYS = TEN_DAYS["days"]


@pytest.fixture(scope="module")
def audited(audited_sample):
    sample = audited_sample(**TEN_DAYS)
    return sample.root, sample.reports


def _csv(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.mark.parametrize("offset", range(DAYS))
def test_complaints_csv_recovers_the_planted_truth(audited, offset):
    root, reports = audited
    day = START + dt.timedelta(days=offset)
    truth = _csv(root / "landing" / "truth" / f"{day}-complaints.csv")
    found = _csv(reports[day] / "complaints.csv")
    published = [mask_id_text(i) for i in truth.complaint_id]          # ids are published as ids are masked
    assert sorted(zip(found.complaint_id, found.status, found.linked_agencies)) == \
        sorted(zip(published, truth.status, truth.linked_agencies))
    assert {"linked", "named_only", "unlinked"} <= set(truth.status)


def test_the_planted_bad_complaint_is_quarantined_and_every_report_verifies(audited):
    from audits.verification import verify_report

    root, reports = audited
    for day, report in reports.items():
        quarantine = _csv(report / "quarantine.csv")
        mine = quarantine[quarantine["source"] == f"complaints/{day}.csv"]
        assert list(mine["reasons"]) == ["DQ_BAD_PHONE"]
        assert verify_report(report).problems == []


def test_complaints_linked_to_planted_findings_escalate_their_cases(audited):
    _, reports = audited
    day = START + dt.timedelta(days=DAYS - 1)
    complaints = _csv(reports[day] / "complaints.csv")
    cases = _csv(reports[day] / "cases.csv")
    linked = {case for ids in complaints["linked_case_ids"] for case in ids.split(";") if case}
    assert linked
    escalated = set(cases.loc[cases["complaints"].astype(int) > 0, "case_id"])
    assert linked & set(cases["case_id"]) <= escalated


def test_the_one_regulator_complaint_opens_the_morning_email(audited):
    from audits.notify import compose_summary

    _, reports = audited
    regulator = [(day, row) for day, report in reports.items()
                 for row in _csv(report / "complaints.csv").itertuples() if row.channel == "regulator"]
    assert len(regulator) == 1
    day, complaint = regulator[0]
    message = compose_summary(reports[day])
    assert message.html.index("Regulator complaints") < message.html.index("Worst agencies")
    assert complaint.complaint_id in message.html and "1 regulator complaint" in message.subject
