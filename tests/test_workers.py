"""Forked worker pools: results in order, errors raised, and every worker ends (also when
the parent ignores SIGTERM, as Airflow's task runner leaves it)."""

import faulthandler
import multiprocessing
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from audits.workers import in_processes

REPO = Path(__file__).resolve().parents[1]


def _double(x: int) -> int:
    return 2 * x


def _fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("three")
    return x


def _sigterm_disposition(_: int) -> bool:
    return signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


@pytest.fixture
def no_hang():
    """A hang fails the run (tracebacks dumped) instead of stalling CI."""
    faulthandler.dump_traceback_later(600, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def test_results_come_back_in_order_and_every_worker_has_ended(no_hang):
    assert in_processes(_double, [(n,) for n in range(7)], 2) == [0, 2, 4, 6, 8, 10, 12]
    assert multiprocessing.active_children() == []      # joined, each of them, before it returned


def test_a_workers_error_is_raised_in_the_parent(no_hang):
    with pytest.raises(ValueError, match="three"):
        in_processes(_fail_on_three, [(n,) for n in range(6)], 2)


def test_workers_take_sigterm_s_default_although_the_parent_ignores_it(no_hang):
    """After an in-process Airflow task (dag.test), SIGTERM has a handler that returns, inherited
    by forked children; a worker must still end on SIGTERM (a pool worker idle at the end once
    never ended and the run hung). Each worker resets it before its task runs."""
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)   # as Airflow's task runner leaves it
    try:
        assert in_processes(_sigterm_disposition, [(n,) for n in range(3)], 3) == [True, True, True]
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert multiprocessing.active_children() == []


def test_an_error_in_one_task_ends_every_worker_and_is_raised(no_hang):
    """A task's error once made Pool.terminate() race a replacement worker and the run hung:
    every process is started and joined by in_processes itself, none left behind."""
    with pytest.raises(ValueError, match="three"):
        in_processes(_fail_on_three, [(n,) for n in range(8)], 2)
    assert multiprocessing.active_children() == []


def test_a_worker_that_dies_is_an_error_not_a_hang():
    with pytest.raises(RuntimeError, match="worker process died"):
        in_processes(os._exit, [(3,), (0,)], 2)


_FAULTS_OF_A_SECOND_ARRAY = """
import resource, sys
import numpy as np
from audits.workers import reuse_freed_memory
if sys.argv[1] == "reuse":
    assert reuse_freed_memory() and reuse_freed_memory()      # once per process, then a no-op
first = np.ones(25_000_000)          # 200 MB, freed before the next one
first = None
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
second = np.ones(25_000_000)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def test_memory_freed_by_a_stage_is_reused_without_page_faults():
    """reuse_freed_memory: a large array freed and allocated again costs no fresh pages (by
    default glibc unmaps it and the kernel zeroes every page of the next one on first touch)."""
    if sys.platform != "linux" or not os.path.exists("/proc/self"):
        pytest.skip("glibc's mallopt on Linux")

    def faults(mode: str) -> int:
        run = subprocess.run([sys.executable, "-c", _FAULTS_OF_A_SECOND_ARRAY, mode], capture_output=True,
                             text=True, cwd=REPO, check=True)
        return int(run.stdout.strip())

    fresh = faults("default")
    if fresh < 40:
        pytest.skip(f"this C library reuses freed memory already ({fresh} page faults by default)")
    assert faults("reuse") < 10 < fresh
