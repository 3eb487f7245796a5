"""The CLI and the pipeline when the machine fails them or runs overlap: a store that is a file,
out of disk, a read-only or full file system (exit 2, one paragraph, nothing half-written), runs
of a day started together, a lock held by another run, earlier days ingested once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import json
import multiprocessing
import os
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from audits import store
from audits.cli import default_run_id
from audits.cli import main as cli
from audits.ingest import load_reference
from audits.pipeline import (
    ingest_earlier_days,
)
from tests.holders import Holder
from tests.landing import DAY, call, config_for, make_landing
from tests.test_pipeline import _landing, _run_cli

REPO = Path(__file__).resolve().parents[1]


# --- errors of the machine: exit 2 with one paragraph, nothing half-written ----------------------

def _leftovers(tmp_path) -> list[str]:
    """Work files, staging folders and files written aside that a run left."""
    found = [p for p in tmp_path.rglob("*") if ".work" in p.parts or ".staging-" in p.name or ".tmp" in p.name]
    return sorted(p.relative_to(tmp_path).as_posix() for p in found)


def _stored_files_of_the_day(tmp_path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "store").rglob("*") if f"call_date={DAY}" in p.parts and p.is_file())


def test_store_pointing_at_a_file_is_refused_in_one_paragraph(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AUDIT_HMAC_SECRET", "s")
    _landing(tmp_path)
    (tmp_path / "store").write_text("not a folder")
    assert _run_cli(tmp_path) == 2
    message = capsys.readouterr().err
    assert message.startswith(f"Cannot audit {DAY}: --store {tmp_path / 'store'} is a file, not a folder.")
    assert len(message.strip().splitlines()) == 1 and "Traceback" not in message
    assert not (tmp_path / "out").exists()


def test_out_of_disk_while_storing_the_day_exits_2_and_leaves_nothing_half_written(tmp_path, capsys, monkeypatch):
    """Out of disk once gave a raw traceback, exit 1, staging left behind and a refusals
    partition written without its calls partition."""
    monkeypatch.setenv("AUDIT_HMAC_SECRET", "s")
    _landing(tmp_path)
    real_write = pq.write_table

    def out_of_disk(table, where, *args, **kwargs):
        if f"call_date={DAY}" in str(where) and "/calls/" in str(where):
            raise OSError(errno.ENOSPC, "No space left on device", str(where))
        return real_write(table, where, *args, **kwargs)

    monkeypatch.setattr(pq, "write_table", out_of_disk)
    assert _run_cli(tmp_path) == 2
    message = capsys.readouterr().err
    assert message.startswith(f"Cannot audit {DAY}: No space left on device at {tmp_path / 'store' / 'calls'}")
    assert "free space on that file system" in message and "Nothing was published" in message
    assert len(message.strip().splitlines()) == 1 and "Traceback" not in message
    assert _leftovers(tmp_path) == []
    assert _stored_files_of_the_day(tmp_path) == [] and not store.has_day(tmp_path / "store", DAY)
    assert not (tmp_path / "out" / DAY.isoformat()).exists()


def _in_private_mounts(tmp_path, setup: str, check: str) -> subprocess.CompletedProcess:
    """`python -m audits run` in a private user and mount namespace (unshare -rm) after the shell
    commands `setup` (mounts that only this process sees), then the shell commands `check`."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-rm", "true"]).returncode != 0:
        pytest.skip("needs unshare -rm (user and mount namespaces) to mount a read-only or full file system")
    command = " ".join(shlex.quote(part) for part in [
        sys.executable, "-m", "audits", "run", "--date", DAY.isoformat(), "--landing", str(tmp_path / "landing"),
        "--out", str(tmp_path / "out"), "--store", str(tmp_path / "store"), "--run-id", "r1", "--workers", "1"])
    environment = {**os.environ, "PYTHONPATH": str(REPO), "AUDIT_HMAC_SECRET": "s"}
    return subprocess.run(["unshare", "-rm", "sh", "-c", f"{setup} && {{ {command}; echo exit=$?; {check}; }}"],
                          capture_output=True, text=True, env=environment, timeout=300)


@pytest.mark.slow                                   # the command line in a subprocess
def test_a_read_only_out_exits_2_in_one_paragraph(tmp_path):
    _landing(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    done = _in_private_mounts(tmp_path, f"mount --bind {out} {out} && mount -o remount,bind,ro {out}", "true")
    assert "exit=2" in done.stdout, done.stderr
    assert done.stderr.startswith(f"Cannot audit {DAY}: Read-only file system at {out}")
    assert "that file system is read-only: pass a writable folder" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert _leftovers(tmp_path) == [] and not (tmp_path / "store").exists()     # stopped before any work


@pytest.mark.parametrize("full", ["store", "out"])
@pytest.mark.slow                                   # the command line in a subprocess
def test_a_full_file_system_exits_2_and_leaves_nothing_behind(tmp_path, full):
    """A real out-of-space (a 64 KiB tmpfs) under the store or the reports."""
    _landing(tmp_path)
    folder = tmp_path / full
    folder.mkdir()
    out, day = tmp_path / "out", tmp_path / "store" / "calls" / f"call_date={DAY}"
    done = _in_private_mounts(   # what is left is looked at inside: the tmpfs goes with the namespace
        tmp_path, f"mount -t tmpfs -o size=64k tmpfs {folder}",
        f"find {tmp_path} -name .work -print -o -name '*.staging-*' -print -o -name '*.tmp' -print; "
        f"find {out} -type f ! -name '.*.lock' -print; echo day:; ls {day} 2>/dev/null")
    assert "exit=2" in done.stdout, done.stderr
    assert done.stderr.startswith(f"Cannot audit {DAY}: ") and "No space left on device" in done.stderr
    assert "free space on that file system" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    left, stored = done.stdout.split("exit=2")[1].split("day:")
    assert left.strip() == ""                                          # no work files, staging, report
    assert stored.split() in ([], ["calls.parquet", "partition.json"])  # the day whole or not at all


# --- concurrent runs -----------------------------------------------------------------------------

def _cli_process(tmp_path, *extra) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "audits", "run", "--date", DAY.isoformat(), "--landing",
                             str(tmp_path / "landing"), "--out", str(tmp_path / "out"), "--store",
                             str(tmp_path / "store"), "--workers", "1", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO), "AUDIT_HMAC_SECRET": "s"})


@pytest.mark.slow                                   # the command line in subprocesses
def test_runs_of_a_day_started_together_all_complete_one_after_the_other(tmp_path):
    """Two runs in the same second (so the same run id) once shared a work directory and one
    died (FileNotFoundError …accepted.parquet.tmp). Three started at once: each waits for
    the day's lock; before, one or two died in most tries (a race: not every try)."""
    _landing(tmp_path)
    runs = [_cli_process(tmp_path, "--run-id", "nightly") for _ in range(3)]
    results = [(run.wait(300), run.stderr.read()) for run in runs]
    assert [code for code, _ in results] == [0, 0, 0], results
    assert not any("Traceback" in err for _, err in results)
    report = tmp_path / "out" / DAY.isoformat()
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["supersedes"]["run_id"] == "nightly" and (report / "superseded" / "nightly").is_dir()
    assert cli(["verify", str(report)]) == 0
    assert _leftovers(tmp_path) == []


def test_default_run_ids_differ_between_runs_started_in_the_same_second():
    when = dt.datetime(2026, 11, 28, 2, 0, 0, 123456, tzinfo=dt.UTC)
    code = f"import datetime as dt; from audits.cli import default_run_id; print(default_run_id(dt.datetime.fromisoformat({when.isoformat()!r})))"
    ids = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}).stdout.strip() for _ in range(2)}
    assert len(ids) == 2 and all(i.startswith("manual__20261128T020000.123456Z-") for i in ids)
    assert default_run_id(when) != default_run_id(when.replace(microsecond=123457))


def test_a_run_that_cannot_get_the_days_lock_names_the_holder(tmp_path, capsys, monkeypatch):
    """The lock's message names the holder (run id, pid, host, since)."""
    monkeypatch.setenv("AUDIT_HMAC_SECRET", "s")
    _landing(tmp_path)
    (tmp_path / "out").mkdir()
    with Holder(tmp_path / "out" / f".{DAY}.lock", what="the report",
                run_id="scheduled__2026-11-27T18:00:00+00:00") as holder:     # held until killed
        assert _run_cli(tmp_path, "--lock-wait", "0.5") == 2
    message = capsys.readouterr().err
    assert f"Cannot audit {DAY}: the report of {DAY} in {tmp_path / 'out'} is locked by run " \
           f"scheduled__2026-11-27T18:00:00+00:00 (pid {holder.pid} on {socket.gethostname()}, since 20" in message
    assert "after waiting 0.5 s" in message and len(message.strip().splitlines()) == 1
    assert _leftovers(tmp_path) == []
    assert _run_cli(tmp_path) == 0                  # killed, the holder's lock is gone with it


def _ingest_as(tmp_path, day: dt.date, run_id: str) -> None:
    config = dataclasses.replace(config_for(tmp_path, day), run_id=run_id)
    contracts = load_reference(config.landing, audit_date=day, rulepack=config.rulepack)["contracts"].accepted
    ingest_earlier_days(config, contracts, progress=lambda _m: None)


def test_runs_started_together_ingest_each_earlier_day_once(tmp_path, monkeypatch):
    """With three days triggered at once, each run once ingested every missing earlier day
    itself (days written three times): each day is ingested once."""
    days = [DAY - dt.timedelta(days=k) for k in range(3, -1, -1)]
    make_landing(tmp_path / "landing", {d: {"AG01": [call(f"{d:%d}-1", f"{d} 10:00:00")]} for d in days})
    written = tmp_path / "written.txt"
    real_write_day = store.write_day

    def counted(root, day, calls, **kwargs):
        with written.open("a") as log:
            log.write(f"{day}\n")
        return real_write_day(root, day, calls, **kwargs)

    monkeypatch.setattr(store, "write_day", counted)
    context = multiprocessing.get_context("fork")
    runs = [context.Process(target=_ingest_as, args=(tmp_path, day, f"run-{day}")) for day in days[1:]]
    for run in runs:
        run.start()
    for run in runs:
        run.join(300)
    assert [run.exitcode for run in runs] == [0, 0, 0]
    assert sorted(written.read_text().split()) == [d.isoformat() for d in days[:3]]      # once each
