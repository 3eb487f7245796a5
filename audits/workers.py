"""Worker processes on this machine: fan-out by fork, and memory handed back between stages.

Under Airflow the same fan-out is mapped tasks on several workers; here (run_audit, the
benchmark, rendering) it is forked processes that inherit the parent's frames.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import wait

import pyarrow as pa


def in_processes(function: Callable, arguments: list[tuple], workers: int) -> list:
    """function(*args) for each args, in up to `workers` forked processes (here when 1), a fresh
    process per task (its memory goes back to the system when it ends); results in order. The
    first error raised by a task is raised here once the running tasks have ended (no more are
    started).

    The parent's objects are frozen out of the garbage collector while the workers run, so
    that the workers' collections do not write to (and so copy) the parent's pages.

    Not multiprocessing.Pool: with maxtasksperchild its handler thread forks replacement
    workers while terminate() joins them, and such a worker waits for a task for ever (whole
    test runs hung so, on success and on a task's error). Here every process is started,
    read and joined by this function alone.
    """
    if workers <= 1 or len(arguments) <= 1:
        return [function(*args) for args in arguments]
    context = multiprocessing.get_context("fork")
    results: list = [None] * len(arguments)
    waiting = list(enumerate(arguments))[::-1]
    running: dict = {}                                   # receiving end -> (task index, process)
    error: BaseException | None = None
    gc.collect()
    gc.freeze()
    try:
        while waiting or running:
            while waiting and error is None and len(running) < workers:
                index, args = waiting.pop()
                receive, send = context.Pipe(duplex=False)
                process = context.Process(target=_run_task, args=(send, function, args), daemon=True)
                process.start()
                send.close()
                running[receive] = (index, process)
            if not running:
                break
            for ready in wait(list(running)):
                index, process = running.pop(ready)
                try:
                    succeeded, value = ready.recv()
                except EOFError:
                    succeeded, value = False, RuntimeError(f"a worker process died (exit code {process.exitcode})")
                ready.close()
                process.join()
                if succeeded:
                    results[index] = value
                elif error is None:
                    error = value
        if error is not None:
            raise error
        return results
    finally:
        for receive, (_, process) in running.items():      # only when interrupted
            process.kill()
            process.join()
            receive.close()
        gc.unfreeze()


def _run_task(send, function: Callable, args: tuple) -> None:
    """In the forked worker: run one task and send (succeeded, result or exception) back."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)        # Airflow's task runner leaves a handler that returns
    try:
        outcome = (True, function(*args))
    except BaseException as exc:                          # noqa: BLE001 - handed to the parent
        outcome = (False, exc)
    try:
        send.send(outcome)
    except Exception as exc:                              # noqa: BLE001 - an unpicklable result or error
        send.send((False, RuntimeError(f"{type(exc).__name__} sending a task's outcome: {exc}")))
    finally:
        send.close()


def in_threads(function: Callable, items: Iterable) -> list:
    """function(item) for each item, in threads (up to four, one per core): for Arrow work,
    which runs without the GIL; results in the order of `items`."""
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        return list(pool.map(function, items))


# glibc mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_MAX = -1, -2, -4
_REUSING = False


def reuse_freed_memory() -> bool:
    """Make glibc keep the memory a stage frees for the stage's next arrays instead of giving
    it back at once; True when set (once per process; False on other C libraries).

    By default every array over 32 MiB is a fresh mmap: the kernel zeroes each page of it on
    first touch and takes it back on free. At ten million calls a night the signals stage
    allocates a hundred such arrays, and on the virtual machines banks run this on, those page
    faults cost as much as the work (benchmarks/README.md). Peak memory is unchanged: only
    what was freed is kept, and release_memory() still hands it back between stages."""
    global _REUSING
    if _REUSING:
        return True
    try:
        libc = ctypes.CDLL("libc.so.6")
        done = (libc.mallopt(_M_MMAP_MAX, 0) == 1 and libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1) == 1
                and libc.mallopt(_M_TOP_PAD, 64 << 20) == 1)
    except (OSError, AttributeError):                  # not glibc
        return False
    _REUSING = done
    return done


def release_memory() -> None:
    """Hand memory freed by a stage back to the system before the next one forks workers:
    Arrow's allocator and glibc's keep freed pages for reuse, and forked workers would
    otherwise start from a parent that looks gigabytes larger than what it holds. (Under
    Airflow each stage is its own task process and starts clean.)"""
    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):                  # not glibc: nothing to trim
        pass
