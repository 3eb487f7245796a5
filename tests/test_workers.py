"""Forked workers: leaving the pool never waits for ever on a worker that ignores SIGTERM."""

import os
import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


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
