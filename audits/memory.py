"""Memory between stages: freed memory handed back to the system."""

from __future__ import annotations

import ctypes
import gc

import pyarrow as pa


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
