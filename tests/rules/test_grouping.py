"""Sort-based running counts and sums equal pandas' groupby on the same keys."""

import numpy as np
import pandas as pd

from audits.rules.grouping import count_in, previous_flagged, running_count, running_sum_before


def test_running_count_and_sum_on_literal_keys():
    keys = np.array([7, 3, 7, 7, 3, 9])
    flags = np.array([1, 0, 0, 1, 1, 0])
    assert running_count(keys).tolist() == [0, 0, 1, 2, 1, 0]
    assert running_sum_before(keys, flags).tolist() == [0, 0, 1, 1, 0, 0]


def test_previous_flagged_finds_the_latest_earlier_flagged_row_of_the_key():
    keys = np.array([5, 5, 6, 5, 6, 5])
    flags = np.array([True, False, False, True, True, False])
    assert previous_flagged(keys, flags).tolist() == [-1, 0, -1, 0, -1, 3]


def test_count_in_counts_each_key_in_the_population():
    assert count_in(np.array([4, 4, 2, 9, 4]), np.array([4, 1, 2, 4])).tolist() == [3, 0, 1, 3]
    assert count_in([9, 2, 9], np.array([9, 3])).tolist() == [2, 0]                    # any sequence


def test_empty_keys():
    empty = np.array([], dtype="int64")
    assert running_count(empty).tolist() == []
    assert running_sum_before(empty, empty).tolist() == []
    assert previous_flagged(empty, empty.astype(bool)).tolist() == []
    assert count_in(np.array([1, 2]), empty).tolist() == []


def test_equal_to_groupby_on_random_keys():
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 50, 2_000) * 10**12
    values = rng.integers(0, 2, 2_000)
    grouped = pd.Series(values).groupby(keys, sort=False)
    assert (running_count(keys) == grouped.cumcount().to_numpy()).all()
    assert (running_sum_before(keys, values) == (grouped.cumsum() - values).to_numpy()).all()
    flagged_positions = pd.Series(np.where(values == 1, np.arange(2_000), np.nan))
    expected = flagged_positions.groupby(keys, sort=False).shift(1).groupby(keys, sort=False).ffill()
    assert (previous_flagged(keys, values == 1) == expected.fillna(-1).to_numpy()).all()
    population = rng.integers(0, 60, 5_000) * 10**12
    assert (count_in(population, keys) == pd.Series(keys).map(pd.Series(population).value_counts()).fillna(0)).all()
