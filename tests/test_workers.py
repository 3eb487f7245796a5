"""Forked worker pools: results in order, errors raised, and the pool always ends."""

import faulthandler

import pytest

from audits.workers import in_processes


def _double(x: int) -> int:
    return 2 * x


def _fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("three")
    return x


def test_results_come_back_in_order_and_the_pool_ends_every_time():
    faulthandler.dump_traceback_later(120, exit=True)       # a hang fails the run instead of stalling CI
    try:
        for _ in range(40):
            assert in_processes(_double, [(n,) for n in range(7)], 2) == [0, 2, 4, 6, 8, 10, 12]
    finally:
        faulthandler.cancel_dump_traceback_later()


def test_a_workers_error_is_raised_in_the_parent():
    with pytest.raises(ValueError, match="three"):
        in_processes(_fail_on_three, [(n,) for n in range(6)], 2)
