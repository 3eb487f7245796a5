"""Decisions made after a day was published: a dispute upheld on the 27th dismisses the case's
findings of the 26th too (cases.md §3), which the report of the 26th, published while the
dispute was open, still counts. The review applies the decisions in force at its own run to
every day of the period; verify of the 26th still passes (its report is intact) and names the
dispute file that changed since as a note, a failure only with --strict-inputs."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil

import pytest

from audits.cases.keys import case_id
from audits.cli import main as cli
from audits.manifest import MANIFEST, output_hashes
from audits.pipeline import run_audit
from audits.review import period as periods
from audits.review_run import ReviewConfig, run_review
from audits.rulepack import load_rulepack
from tests.landing import call, config_for, make_landing

DAY1, DAY2 = dt.date(2026, 11, 26), dt.date(2026, 11, 27)
E9 = case_id("AG01", "CONF_AGENT_NOT_ACTIVE", "E9")


def _rows(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _dispute(**fields):
    row = dict(dispute_id="DS1", case_id=E9, raised_by="AG01 ops", raised_on="2026-11-26", status="open",
               decided_by="", decided_on="", note="")
    row.update(fields)
    return row


def _day(day):
    return {"AG01": [call("c1", f"{day} 10:00:00"), call("c2", f"{day} 15:00:00", agent_id="E9")]}


@pytest.fixture(scope="module")
def decided_later(tmp_path_factory):
    root = tmp_path_factory.mktemp("decided-later")
    days = {DAY1: _day(DAY1), DAY2: _day(DAY2)}
    make_landing(root / "landing", days, disputes=[_dispute()])
    first = run_audit(config_for(root, DAY1)).report_dir              # published while the dispute is open
    make_landing(root / "landing", days, disputes=[_dispute(status="upheld", decided_by="Zhang Min",
                                                            decided_on="2026-11-27")])
    second = run_audit(config_for(root, DAY2)).report_dir
    config = ReviewConfig(period=periods.month("2026-11"), out=root / "out", store=root / "store",
                          rulepack=load_rulepack("cn_bank"), allow_missing_days=True)
    return first, second, run_review(config).review_dir


def test_each_report_records_the_decisions_it_applied(decided_later):
    first, second, _ = decided_later
    assert [(r["id"], r["case_id"], r["status"], r["decided_on"]) for r in _rows(first / "decisions.csv")] == [
        ("DS1", E9, "open", "")]
    assert [(r["id"], r["status"], r["decided_on"]) for r in _rows(second / "decisions.csv")] == [
        ("DS1", "upheld", "2026-11-27")]
    assert {r["decision"] for r in _rows(first / "violations.csv") if r["case_id"] == E9} == {"disputed"}


def test_the_review_applies_a_later_upheld_dispute_to_every_earlier_day(decided_later):
    _, _, review = decided_later
    case = next(r for r in _rows(review / "cases.csv") if r["case_id"] == E9)
    assert (case["decision"], case["findings_period"], case["findings_dismissed"], case["dispute_outcome"]) == (
        "dismissed", "2", "2", "upheld")
    scores = _rows(review / "scores.csv")[0]
    assert (scores["findings_confidentiality"], scores["calls_confidentiality"]) == ("0", "0")
    assert scores["score_confidentiality"] == "100.0"


def test_verify_of_an_earlier_day_notes_the_changed_decisions_and_fails_only_when_strict(decided_later, capsys):
    first, _, _ = decided_later
    capsys.readouterr()
    assert cli(["verify", str(first)]) == 0
    said = capsys.readouterr()
    assert "reference/disputes.csv" in said.err and "changed since the audit" in said.err
    assert "verified" in said.out
    assert cli(["verify", str(first), "--strict-inputs"]) == 1
    assert "reference/disputes.csv" in capsys.readouterr().err


def test_verify_decides_the_cases_again_from_the_recorded_decisions(decided_later, tmp_path, capsys):
    first, _, _ = decided_later
    copy = tmp_path / DAY1.isoformat()
    shutil.copytree(first, copy)
    # a snapshot claiming the dispute was upheld, re-hashed into the manifest: the cases no longer follow from it
    rows = (copy / "decisions.csv").read_text(encoding="utf-8").replace(",open,2026-11-26,",
                                                                        ",upheld,2026-11-26,2026-11-26")
    (copy / "decisions.csv").write_text(rows, encoding="utf-8")
    manifest = json.loads((copy / MANIFEST).read_text(encoding="utf-8"))
    manifest["outputs"] = output_hashes(copy)
    (copy / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert cli(["verify", str(copy)]) == 1
    err = capsys.readouterr().err
    assert f"case {E9}" in err and "decisions.csv" in err
