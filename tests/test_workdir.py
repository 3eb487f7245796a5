"""The run's work directory: work files (full numbers, notes) never outlive their run, a run
reusing a run id takes nothing from an earlier attempt, and a run id can never name a folder
outside the run's own."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time

import pandas as pd
import pytest

from audits.cli import main as cli
from audits.config import ConfigError, check_run_id
from audits.models import TABLE_COLUMNS
from audits.pipeline import run_audit, stage_agency, stage_day, stage_reference
from tests.landing import DAY, REFERENCE, call, config_for, make_landing, write_csv

CDR_COLUMNS = list(TABLE_COLUMNS["cdr"][0] + TABLE_COLUMNS["cdr"][1])


def _landing(tmp_path, agencies=("AG01",)):
    contracts = [dict(REFERENCE["contracts"][0], agency_id=a, contract_id=f"C{a}") for a in agencies]
    return make_landing(tmp_path / "landing", {DAY: {a: [call(f"{a}-1", "2026-11-27 09:00:00", agency_id=a),
                                                          call(f"{a}-2", "2026-11-27 10:00:00", agency_id=a)]
                                                     for a in agencies}}, contracts=contracts)


def _work_files(tmp_path) -> list[str]:
    return sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if ".work" in p.parts)


def _hold_shared(path):
    """A real process holding `path` the way a live run does (flock, shared) until killed (it
waits for its stdin to close: no time runs out)."""
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, sys, time\n"
        "handle = open(sys.argv[1], 'a')\n"
        "fcntl.flock(handle, fcntl.LOCK_SH)\n"
        "print('held', flush=True)\n"
        "sys.stdin.read()\n"), str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_failed_run_leaves_no_work_files(tmp_path, monkeypatch):
    """<out>/.work/ once kept the staged Parquet (full numbers, notes) after a failed run."""
    _landing(tmp_path)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("audits.report.write_reports", broken)
    with pytest.raises(OSError, match="disk full"):
        run_audit(config_for(tmp_path))
    assert _work_files(tmp_path) == []
    assert not [p for p in (tmp_path / "out").iterdir() if ".staging-" in p.name]


def test_the_next_run_purges_work_that_dead_runs_left_and_keeps_live_runs_work(tmp_path):
    """Old run folders once piled up under <out>/.work/; orphans older than the current
    run are purged at its start, but never the work of a run that is alive."""
    _landing(tmp_path)
    work = tmp_path / "store" / ".work"

    def left(day, run, *, orchestrated, age_hours=0.0):
        folder = work / day / run
        (folder / "agencies").mkdir(parents=True)
        (folder / "agencies" / "AG01.parquet").write_bytes(b"PAR1 13812345678 PAR1")
        (folder / "owner.json").write_text(json.dumps({"run_id": run, "orchestrated": orchestrated}))
        then = time.time() - age_hours * 3600
        for path in (folder, folder / "agencies", folder / "owner.json"):
            os.utime(path, (then, then))
        return folder

    killed_cli = left("2026-11-26", "manual__20261127T020000.123456Z-4242", orchestrated=False)
    stale_airflow = left("2026-11-25", "scheduled__2026-11-24T18:00:00+00:00", orchestrated=True, age_hours=30)
    idle_airflow = left("2026-11-27", "manual__2026-11-28T01:00:00+00:00", orchestrated=True, age_hours=1)
    live_cli = left("2026-11-26", "manual__20261127T030000.000001Z-77", orchestrated=False)
    holder = _hold_shared(live_cli.with_name(live_cli.name + ".lock"))
    try:
        run_audit(config_for(tmp_path))
    finally:
        holder.kill()
        holder.wait()
    assert not killed_cli.exists() and not stale_airflow.exists()
    assert idle_airflow.is_dir()                  # an Airflow run between its tasks (its sensor may wait hours)
    assert live_cli.is_dir()                      # its lock is held: that run is alive
    assert not (work / DAY.isoformat() / "test-run").exists()     # and this run's own work went with it


def test_a_rerun_with_the_same_run_id_takes_nothing_from_the_killed_attempt(tmp_path):
    """After a kill, the same run id (an Airflow clear) once used the killed attempt's
    staged AG08 although AG08's file had been withdrawn: the store got AG08's calls and
    publishing crashed with "Two scorecards … AG08"."""
    landing = _landing(tmp_path, ("AG01", "AG08"))
    config = config_for(tmp_path)
    stage_reference(config)                       # the killed attempt got this far
    stage_agency(config, "AG01")
    stage_agency(config, "AG08")
    (landing / "cdr" / DAY.isoformat() / "AG08.csv").unlink()        # the agency's file is withdrawn
    result = run_audit(config)                    # same run id
    stored = pd.read_parquet(tmp_path / "store" / "calls" / f"call_date={DAY}" / "calls.parquet")
    assert sorted(stored["call_id"]) == ["AG01-1", "AG01-2"]
    scores = pd.read_csv(result.report_dir / "scores.csv", dtype=str).set_index("agency_id")
    assert scores.loc["AG08", "file_status"] == "missing"
    assert result.calls_audited == 2


def test_validation_takes_each_agency_file_as_it_is_now(tmp_path):
    """Within one attempt: a file withdrawn or replaced after its agency was
    staged (an Airflow retry of one task) is not audited from the stale staged copy."""
    landing = _landing(tmp_path, ("AG01", "AG08"))
    config = config_for(tmp_path)
    stage_reference(config)
    stage_agency(config, "AG01")
    stage_agency(config, "AG08")
    (landing / "cdr" / DAY.isoformat() / "AG08.csv").unlink()
    write_csv(landing / "cdr" / DAY.isoformat() / "AG01.csv", [call("AG01-9", "2026-11-27 11:00:00")], CDR_COLUMNS)
    stage_day(config)
    stored = pd.read_parquet(tmp_path / "store" / "calls" / f"call_date={DAY}" / "calls.parquet")
    assert stored["call_id"].tolist() == ["AG01-9"]


@pytest.mark.parametrize("run_id", ["..", ".", "../other", "a/b", "", "x" * 201, "run id", "运行"])
def test_a_run_id_that_could_name_another_folder_is_refused(tmp_path, capsys, run_id):
    """`--run-id ..` once made the work-dir clean-up delete other runs' files."""
    _landing(tmp_path)
    others = tmp_path / "out" / ".work" / DAY.isoformat() / "other-run" / "violations.parquet"
    others.parent.mkdir(parents=True)
    others.write_bytes(b"another run's work")
    with pytest.raises(SystemExit) as refused:
        cli(["run", "--date", DAY.isoformat(), "--landing", str(tmp_path / "landing"), "--out",
             str(tmp_path / "out"), "--store", str(tmp_path / "store"), "--run-id", run_id])
    assert refused.value.code == 2
    assert "--run-id" in capsys.readouterr().err
    assert others.read_bytes() == b"another run's work"
    with pytest.raises(ConfigError, match="run id"):
        check_run_id(run_id)


def test_airflow_run_ids_are_accepted():
    for run_id in ("scheduled__2026-11-27T18:00:00+00:00", "manual__2026-11-28T02:00:00.123456+00:00",
                   "backfill__2026-11-01T18:00:00+00:00", "test-run", "manual__20261128T020000.123456Z-4242"):
        assert check_run_id(run_id) == run_id


def test_the_dag_refuses_a_run_id_it_cannot_use_as_a_folder(tmp_path):
    """A run id the DAG passes (its tasks build an AuditConfig from it) is checked the same way."""
    with pytest.raises(ConfigError, match="not usable"):
        dataclasses.replace(config_for(tmp_path), run_id="..")
