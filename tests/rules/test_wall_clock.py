"""Local wall-clock time of day in a zone, as the calling-hours rule reads it."""

import numpy as np
import pandas as pd

from audits.rules.frequency import wall_clock_in

HOUR = 3_600 * 10**9


def test_wall_clock_in_a_zone_on_dst_days_for_the_chosen_rows_only():
    starts = pd.Series(pd.to_datetime(["2026-11-27T00:30:00Z", "2026-11-27T00:30:00Z", "2026-03-08T07:30:00Z",
                                       "2026-11-27T00:30:00.000001Z"], utc=True, format="ISO8601"),
                       index=[7, 3, 11, 0])                                     # by position, not label
    assert wall_clock_in(starts, "Asia/Shanghai", np.array([True, False, False, True])).tolist() == \
        [int(8.5 * HOUR), int(8.5 * HOUR) + 1_000]
    assert wall_clock_in(starts, "America/New_York", np.array([False, True, True, False])).tolist() == \
        [int(19.5 * HOUR), int(3.5 * HOUR)]                                      # 03:30 EDT after spring-forward
    assert wall_clock_in(starts, "Asia/Shanghai", np.zeros(4, dtype=bool)).tolist() == []
