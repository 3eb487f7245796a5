"""End to end on a multi-day sample landing zone: the audit finds exactly the planted truth.

The sample generator (audits/sample) and the rule engine (audits/rules) are written
independently from rules.md; agreement over several days exercises the history rules
(rolling window, cooling-off, redial across midnight, refusal) as well as the day rules, on
calls and on text messages (sms.md: each finding with its channel; contacts counted across
both channels over days; opt-outs in the store). The sample is the ten-day one the case, complaint and partition tests share (tests/samples.py).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from audits.pipeline import run_audit
from audits.privacy import mask_free_text
from tests.samples import START, TEN_DAYS

DAYS = TEN_DAYS["days"]
FILE_REASONS = ("DQ_FILE_MISSING", "DQ_FILE_UNREADABLE")


@pytest.fixture(scope="module")
def audited(audited_sample):
    sample = audited_sample(**TEN_DAYS)
    return sample.root, sample.reports


def _csv(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.mark.parametrize("offset", range(DAYS))
def test_rule_findings_equal_the_planted_truth(audited, offset):
    root, reports = audited
    day = START + dt.timedelta(days=offset)
    truth = _csv(root / "landing" / "truth" / f"{day}.csv")
    planted = truth[~truth["rule_id"].str.startswith("DQ_")]
    found = _csv(reports[day] / "violations.csv")
    published = [mask_free_text(i) for i in planted.call_id]               # ids are published masked
    assert set(zip(found.agency_id, found.call_id, found.rule_id, found.channel)) == \
        set(zip(planted.agency_id, published, planted.rule_id, planted.channel))
    assert set(planted.channel) == {"call", "sms"}                          # calls and texts, every day


@pytest.mark.parametrize("offset", range(DAYS))
def test_quarantine_equals_the_planted_data_quality_truth(audited, offset):
    root, reports = audited
    day = START + dt.timedelta(days=offset)
    truth = _csv(root / "landing" / "truth" / f"{day}.csv")
    scores = _csv(reports[day] / "scores.csv")
    files = truth[truth["rule_id"].isin(FILE_REASONS)]
    expected_status = {a: ("missing" if r == "DQ_FILE_MISSING" else "unreadable")
                       for a, r in zip(files.agency_id, files.rule_id)}
    status = dict(zip(scores.agency_id, scores.file_status))
    assert {a: s for a, s in status.items() if s != "ok"} == expected_status
    rows = truth[truth["rule_id"].str.startswith("DQ_") & ~truth["rule_id"].isin(FILE_REASONS)]
    quarantine = _csv(reports[day] / "quarantine.csv")
    channel = quarantine["source"].str.split("/").str[0].map({"cdr": "call", "sms": "sms"})
    readable = quarantine[channel.notna().to_numpy() & (quarantine["reasons"] != "DQ_FILE_UNREADABLE").to_numpy()]
    channel = channel[readable.index]
    assert set(zip(readable.agency_id, readable.row_number, readable.reasons, channel)) == \
        set(zip(rows.agency_id, rows.row_number, rows.rule_id, rows.channel))
    unreadable = quarantine[quarantine["reasons"] == "DQ_FILE_UNREADABLE"]
    assert set(unreadable.agency_id) == {a for a, s in expected_status.items() if s == "unreadable"}


def test_every_rule_and_reason_is_planted_and_found_over_the_days(audited):
    root, reports = audited
    found = pd.concat([_csv(r / "violations.csv") for r in reports.values()])
    from audits.models import DQ_ROW_REASONS, RULES_BY_ID

    assert set(found["rule_id"]) == set(RULES_BY_ID)
    texts = found[found["channel"] == "sms"]
    assert {r for r in RULES_BY_ID if r.startswith(("SMS_", "CONTACT_"))} <= set(texts["rule_id"])
    reasons = set(pd.concat([_csv(r / "quarantine.csv") for r in reports.values()])["reasons"].str.split(";").explode())
    assert set(DQ_ROW_REASONS) | {"DQ_FILE_UNREADABLE"} <= reasons


def test_row_conservation_holds_for_every_file(audited):
    import json

    _, reports = audited
    for report in reports.values():
        manifest = json.loads((report / "manifest.json").read_text())
        assert manifest["row_conservation"]["ok"]
        for entry in manifest["inputs"]:
            assert entry["rows"] == entry["rows_accepted"] + entry["rows_quarantined"], entry["path"]


def test_parallel_run_gives_the_same_report_as_the_serial_run(audited_sample, tmp_path):
    sample = audited_sample(**TEN_DAYS).copy(tmp_path)
    day = sample.last_day
    serial = {n: (sample.reports[day] / n).read_bytes() for n in ("violations.csv", "quarantine.csv", "scores.csv")}
    parallel = run_audit(sample.config(day, run_id="parallel", workers=2)).report_dir
    for name, content in serial.items():
        assert (parallel / name).read_bytes() == content, name
    superseded = parallel / "superseded" / sample.config(day).run_id
    assert (superseded / "violations.csv").read_bytes() == serial["violations.csv"]
