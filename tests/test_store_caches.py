"""What the store keeps only as a cache of the calls partitions (the number indexes and the
rolling reach): a changed or emptied file of day D is rebuilt by the run of D+1, and its report
is the same as if nothing had been touched (the files whose change stops the run:
test_store_files.py)."""

from __future__ import annotations

import pytest

from audits.pipeline import run_audit
from tests.landing import config_for
from tests.test_store_files import D1, OUTPUTS, REBUILT, _copy, _each, first_day_audited


@pytest.fixture(scope="module")
def audited_first_day(tmp_path_factory):
    return first_day_audited(tmp_path_factory.mktemp("store-caches"))


@pytest.fixture(scope="module")
def untouched(audited_first_day, tmp_path_factory):
    """The second day's outputs, audited on a copy of the store that nothing changed."""
    root = _copy(audited_first_day, tmp_path_factory.mktemp("untouched"))
    report = run_audit(config_for(root, D1)).report_dir
    return {name: (report / name).read_bytes() for name in OUTPUTS}


@pytest.mark.parametrize("name,tamper", _each(REBUILT, {"keys.npy", "reach.parquet"}))
def test_a_changed_cache_of_the_calls_is_rebuilt_and_the_report_is_the_same(audited_first_day, untouched, tmp_path,
                                                                              name, tamper):
    root = _copy(audited_first_day, tmp_path)
    tamper(root / "store" / name)
    report = run_audit(config_for(root, D1)).report_dir
    assert {output: (report / output).read_bytes() for output in OUTPUTS} == untouched
