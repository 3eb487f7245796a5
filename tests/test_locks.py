"""Locks between runs (fcntl.flock on a lock file), with real processes holding them."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from audits import locks
from tests.holders import Holder

REPO = Path(__file__).resolve().parents[1]


class _Clock:
    """locks' clock in a test: time passes only when the waiting run sleeps, and `on_sleep` runs
    at each sleep (what another process does meanwhile)."""

    def __init__(self, on_sleep=lambda clock: None):
        self.now, self.sleeps, self.on_sleep = 1000.0, 0, on_sleep

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.sleeps += 1
        self.on_sleep(self)


def test_a_waiting_run_names_the_holder_and_gives_up_after_its_wait(tmp_path, caplog, monkeypatch):
    path = tmp_path / ".lock"
    clock = _Clock()
    monkeypatch.setattr(locks, "time", clock)
    with Holder(path) as holder:
        with caplog.at_level(logging.WARNING, logger="audits.locks"):
            with pytest.raises(locks.LockTimeout) as timeout:
                with locks.hold(path, what="the store /data/store", run_id="mine", wait_seconds=1.5):
                    pass
    assert clock.now - 1000.0 == pytest.approx(1.5) and clock.sleeps > 3     # it waited, trying again and again
    message = str(timeout.value)
    assert message.startswith(f"the store /data/store is locked by run holder-run (pid {holder.pid} on ")
    assert "after waiting 1.5 s" in message and str(path) in message
    assert "Waiting up to 1.5 s for the store /data/store, locked by run holder-run" in caplog.text


def test_a_lock_whose_holder_was_killed_is_free_at_once(tmp_path):
    path = tmp_path / ".lock"
    Holder(path).kill()
    with locks.hold(path, what="the store", run_id="next", wait_seconds=0):
        assert '"run_id": "next"' in path.read_text()


def test_a_waiting_run_goes_on_when_the_holder_ends(tmp_path, monkeypatch):
    """The holder lets go while the run waits (at its third pause), and the run goes on."""
    path = tmp_path / ".lock"
    with Holder(path) as holder:
        clock = _Clock(on_sleep=lambda clock: clock.sleeps == 3 and holder.release())
        monkeypatch.setattr(locks, "time", clock)
        with locks.hold(path, what="the store", run_id="next", wait_seconds=3600):
            assert holder.process.returncode == 0 and clock.sleeps == 3
            assert '"run_id": "next"' in path.read_text()


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
    with Holder(path, run_id="reader", exclusive=False):
        with locks.hold(path, what="the store", exclusive=False, wait_seconds=0):
            pass
        with pytest.raises(locks.LockTimeout, match="locked by run reader"):
            with locks.hold(path, what="the store", wait_seconds=0):
                pass
