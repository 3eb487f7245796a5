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
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable

import pyarrow as pa


def in_processes(function: Callable, arguments: list[tuple], workers: int) -> list:
    """function(*args) for each args, in up to `workers` forked processes (here when 1).

    The parent's objects are frozen out of the garbage collector while the workers run, so
    that the workers' collections do not write to (and so copy) the parent's pages.
    """
    if workers <= 1 or len(arguments) <= 1:
        return [function(*args) for args in arguments]
    context = multiprocessing.get_context("fork")
    gc.collect()
    gc.freeze()
    pool = context.Pool(min(workers, len(arguments)), initializer=_dies_on_terminate,
                        maxtasksperchild=1)                                    # memory back per task
    try:
        results = pool.starmap(function, arguments)
        # close + join, not terminate (what `with Pool()` does): terminate() SIGTERMs idle workers,
        # which may ignore it (a handler inherited from Airflow's task runner), and with
        # maxtasksperchild the handler thread may be forking a replacement worker while it joins;
        # either way a whole test run hung for good.
        pool.close()
        return results
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
        gc.unfreeze()


def _dies_on_terminate() -> None:
    """A worker ends on SIGTERM, whatever handler it inherited (Airflow's task runner installs
    one that returns in forked children): a pool left on an error terminates its workers, and
    an idle one that ignored it would hang that wait for ever."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def in_threads(function: Callable, items: Iterable) -> list:
    """function(item) for each item, in threads (up to four, one per core): for Arrow work,
    which runs without the GIL; results in the order of `items`."""
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        return list(pool.map(function, items))


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
