"""Forked worker pools: results in order, errors raised, and the pool always ends (also when
the parent ignores SIGTERM, as Airflow's task runner leaves it)."""

import faulthandler
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


def test_results_come_back_in_order_and_the_pool_ends_every_time():
    faulthandler.dump_traceback_later(600, exit=True)       # a hang fails the run instead of stalling CI
    try:
        for _ in range(40):
            assert in_processes(_double, [(n,) for n in range(7)], 2) == [0, 2, 4, 6, 8, 10, 12]
    finally:
        faulthandler.cancel_dump_traceback_later()


def test_a_workers_error_is_raised_in_the_parent():
    with pytest.raises(ValueError, match="three"):
        in_processes(_fail_on_three, [(n,) for n in range(6)], 2)


def test_workers_end_although_the_parent_ignores_sigterm():
    """After an in-process Airflow task (dag.test), SIGTERM has a handler that returns in forked
    children; a pool worker idle at the end then never ended and the run hung (seen in the suite)."""
    code = (
        "import signal, time\n"
        "from audits.workers import in_processes\n"
        "signal.signal(signal.SIGTERM, lambda signum, frame: None)   # as airflow's task runner leaves it\n"
        "for _ in range(10):                       # two re-spawned workers idle at the end: a race, tried often\n"
        "    in_processes(time.sleep, [(0,), (0,), (0.3,)], 3)\n"
        "print('done', flush=True)\n")
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(REPO)}, start_new_session=True)
    try:
        out, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)               # the hung pool worker too
        process.communicate()
        out = "hung"
    assert out.strip() == "done"


def test_an_error_in_one_task_ends_every_worker_and_is_raised_each_time():
    """The fresh-clone CI run hung here: a task's error made Pool.terminate() race a replacement
    worker. Many tries, each must end with the task's own error."""
    faulthandler.dump_traceback_later(600, exit=True)
    try:
        for _ in range(25):
            with pytest.raises(ValueError, match="three"):
                in_processes(_fail_on_three, [(n,) for n in range(8)], 2)
    finally:
        faulthandler.cancel_dump_traceback_later()


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
