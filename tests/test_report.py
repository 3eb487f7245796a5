"""Publishing is recoverable at every instant: a kill between the renames of
the swap leaves folders that the next run recognises and finishes (or discards), so no report
and no superseded history is ever lost.

The interrupted states are made on disk exactly as the swap leaves them between its steps:
    1. <out>/.D.staging-x/ complete (manifest written), <out>/D/ untouched
    2. the same, with part of D/superseded/ already moved into the staging folder
    3. D/ moved into .D.staging-x/superseded/<old run id>/; no D/ (between the two renames)
and an unfinished staging folder (killed while writing, no manifest).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil

import pytest

from audits.cli import main as cli
from audits.pipeline import run_audit
from audits.report import recover_publishes
from tests.landing import DAY, call, config_for, make_landing


@pytest.fixture(scope="module")
def _published(tmp_path_factory):
    root = tmp_path_factory.mktemp("published")
    make_landing(root / "landing", {DAY: {"AG01": [call("c1", "2026-11-27 09:00:00")]}})
    run_audit(dataclasses.replace(config_for(root), run_id="run-A"))
    run_audit(dataclasses.replace(config_for(root), run_id="run-B"))
    return root


@pytest.fixture
def two_reports(_published, tmp_path):
    """Runs A then B of the day: B published with A under superseded/run-A/ (a copy per test);
    returns (out, B's manifest)."""
    shutil.copytree(_published, tmp_path, dirs_exist_ok=True)
    out = tmp_path / "out"
    return out, json.loads((out / DAY.isoformat() / "manifest.json").read_text())


def _interrupted_between_the_renames(out):
    """State 3, from B's publish: B's staging folder holds B and, under superseded/, A."""
    report = out / DAY.isoformat()
    staging = out / f".{DAY}.staging-1a2b3c4d"
    os.replace(report, staging)
    return staging


def test_a_kill_between_the_two_renames_loses_no_history(two_reports, tmp_path):
    """Killed between the renames of _swap_in, once no report was at the final path,
    the old one and its superseded/ history sat in the hidden staging folder, and the next run
    published with `supersedes: null` (history lost)."""
    out, manifest_b = two_reports
    staging = _interrupted_between_the_renames(out)
    assert not (out / DAY.isoformat()).exists() and (staging / "superseded" / "run-A").is_dir()

    run_audit(dataclasses.replace(config_for(tmp_path), run_id="run-C"))
    report = out / DAY.isoformat()
    manifest_c = json.loads((report / "manifest.json").read_text())
    assert manifest_c["supersedes"]["run_id"] == "run-B"
    assert sorted(p.name for p in (report / "superseded").iterdir()) == ["run-A", "run-B"]
    assert json.loads((report / "superseded" / "run-B" / "manifest.json").read_text()) == manifest_b
    assert not [p for p in out.iterdir() if ".staging-" in p.name]
    assert cli(["verify", str(report)]) == 0


def test_the_next_run_of_another_day_finishes_the_interrupted_publish_first(two_reports, tmp_path):
    """The next day's run reads this day's scores.csv for its trends: it finishes the swap first."""
    out, manifest_b = two_reports
    _interrupted_between_the_renames(out)
    next_day = DAY.replace(day=28)
    make_landing(tmp_path / "landing", {next_day: {"AG01": [call("d1", "2026-11-28 09:00:00")]}})
    run_audit(dataclasses.replace(config_for(tmp_path, next_day), run_id="run-D"))
    report = out / DAY.isoformat()
    assert json.loads((report / "manifest.json").read_text()) == manifest_b
    assert (report / "superseded" / "run-A" / "manifest.json").is_file()
    assert cli(["verify", str(report)]) == 0


def test_a_kill_before_the_first_rename_or_while_moving_superseded_reports(two_reports):
    """States 1 and 2: the staged report is complete; D/ is still the report it supersedes."""
    out, manifest_b = two_reports
    report = out / DAY.isoformat()
    staging = out / f".{DAY}.staging-5e6f7a8b"
    shutil.copytree(report, staging)             # a complete report C that supersedes B ...
    manifest_c = dict(manifest_b, run_id="run-C",
                      supersedes={"run_id": "run-B", "kept_at": "superseded/run-B/",
                                  "manifest_sha256": _sha256(report / "manifest.json")})
    (staging / "manifest.json").write_text(json.dumps(manifest_c))
    shutil.rmtree(staging / "superseded")
    (staging / "superseded").mkdir()             # ... killed after moving run-A out of B's superseded/
    os.replace(report / "superseded" / "run-A", staging / "superseded" / "run-A")

    assert recover_publishes(out) == [f"finished the interrupted publish of {report}"]
    assert json.loads((report / "manifest.json").read_text())["run_id"] == "run-C"
    assert sorted(p.name for p in (report / "superseded").iterdir()) == ["run-A", "run-B"]
    assert json.loads((report / "superseded" / "run-B" / "manifest.json").read_text()) == manifest_b
    assert not [p for p in out.iterdir() if ".staging-" in p.name]


def test_an_unfinished_staging_folder_is_discarded_and_the_report_kept(two_reports):
    out, manifest_b = two_reports
    unfinished = out / f".{DAY}.staging-9c0d1e2f"
    (unfinished / "agencies").mkdir(parents=True)
    (unfinished / "violations.csv").write_text("audit_date,agency_id\n")
    assert recover_publishes(out) == [f"removed the unfinished report {unfinished}"]
    assert not unfinished.exists()
    assert json.loads((out / DAY.isoformat() / "manifest.json").read_text()) == manifest_b


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_prior_scores_are_those_of_the_trend_days_or_the_month_so_far_whichever_is_longer(tmp_path):
    import datetime as dt

    from audits.report import read_prior_scores

    for day in ("2026-11-01", "2026-11-02", "2026-11-05", "2026-11-06", "2026-11-07"):
        (tmp_path / day).mkdir()
        (tmp_path / day / "scores.csv").write_text(f"audit_date,agency_id,overall,grade\n{day},AG01,90.5,A\n",
                                                   encoding="utf-8")
    read = read_prior_scores(tmp_path, dt.date(2026, 11, 7), trend_days=3)        # the month so far is longer
    assert read["audit_date"].tolist() == ["2026-11-06", "2026-11-05", "2026-11-02", "2026-11-01"]
    assert read_prior_scores(tmp_path, dt.date(2026, 11, 3), trend_days=2)["audit_date"].tolist() == ["2026-11-02",
                                                                                                       "2026-11-01"]
    assert read_prior_scores(tmp_path, dt.date(2026, 11, 1), trend_days=1).empty
