"""Locks between runs (fcntl.flock on a lock file), with real processes holding them."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audits import locks

REPO = Path(__file__).resolve().parents[1]


def _holder(path: Path, run_id: str = "holder-run", seconds: float = 120) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom pathlib import Path\nfrom audits import locks\n"
        f"with locks.hold(Path(sys.argv[1]), what='the store', run_id={run_id!r}):\n"
        f"    print('held', flush=True)\n    time.sleep({seconds})\n"), str(path)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_waiting_run_names_the_holder_and_gives_up_after_its_wait(tmp_path, caplog):
    path = tmp_path / ".lock"
    holder = _holder(path)
    try:
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="audits.locks"):
            with pytest.raises(locks.LockTimeout) as timeout:
                with locks.hold(path, what="the store /data/store", run_id="mine", wait_seconds=1.5):
                    pass
        assert time.monotonic() - started >= 1.5
    finally:
        holder.kill()
        holder.wait()
    message = str(timeout.value)
    assert message.startswith(f"the store /data/store is locked by run holder-run (pid {holder.pid} on ")
    assert "after waiting 1.5 s" in message and str(path) in message
    assert "Waiting up to 1.5 s for the store /data/store, locked by run holder-run" in caplog.text


def test_a_lock_whose_holder_was_killed_is_free_at_once(tmp_path):
    path = tmp_path / ".lock"
    holder = _holder(path)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with locks.hold(path, what="the store", run_id="next", wait_seconds=0):
        assert '"run_id": "next"' in path.read_text()


def test_a_waiting_run_goes_on_when_the_holder_ends(tmp_path):
    path = tmp_path / ".lock"
    holder = _holder(path, seconds=0.8)
    with locks.hold(path, what="the store", run_id="next", wait_seconds=30):
        assert holder.poll() is not None or holder.wait(5) == 0


def test_the_same_lock_is_re_entrant_in_one_process_and_exclusive_between_processes(tmp_path):
    path = tmp_path / ".lock"
    with locks.hold(path, what="the report", run_id="run"):
        with locks.hold(path, what="the report", run_id="run"):          # publishing inside a whole run
            with locks.hold(path, what="the report", exclusive=False):
                pass
        assert locks.try_exclusive(path) is None
        other = subprocess.run([sys.executable, "-c", (
            "import sys\nfrom pathlib import Path\nfrom audits import locks\n"
            "print(locks.try_exclusive(Path(sys.argv[1])))\n"), str(path)],
            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
        assert other.stdout.strip() == "None"
    fd = locks.try_exclusive(path)
    assert fd is not None
    locks.release(fd, unlink=path)
    assert not path.exists()


def test_readers_share_the_lock_and_keep_a_writer_out(tmp_path):
    path = tmp_path / ".lock"
    reader = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom pathlib import Path\nfrom audits import locks\n"
        "with locks.hold(Path(sys.argv[1]), what='the store', run_id='reader', exclusive=False):\n"
        "    print('held', flush=True)\n    time.sleep(120)\n"), str(path)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert reader.stdout.readline().strip() == "held"
        with locks.hold(path, what="the store", exclusive=False, wait_seconds=0):
            pass
        with pytest.raises(locks.LockTimeout, match="locked by run reader"):
            with locks.hold(path, what="the store", wait_seconds=0):
                pass
    finally:
        reader.kill()
        reader.wait()
