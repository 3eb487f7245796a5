"""Local wall-clock time of day, per row's zone, as the calling-hours rule reads it."""

import numpy as np
import pandas as pd

from audits.rules.frequency import wall_clock_ns

HOUR = 3_600 * 10**9


def test_wall_clock_per_zone_dst_and_missing_zone():
    starts = pd.Series(pd.to_datetime(["2026-11-27T00:30:00Z", "2026-11-27T00:30:00Z", "2026-03-08T07:30:00Z",
                                       "2026-11-27T00:30:00.000001Z", "2026-11-27T00:30:00Z"], utc=True, format="ISO8601"))
    zones = pd.Series(["Asia/Shanghai", "America/New_York", "America/New_York", "Asia/Shanghai", None],
                      dtype="str")
    clock = wall_clock_ns(starts, zones, np.array([True, True, True, True, True]))
    assert clock.tolist() == [int(8.5 * HOUR), int(19.5 * HOUR), int(3.5 * HOUR),   # 03:30 EDT after spring-forward
                              int(8.5 * HOUR) + 1_000, -1]                           # no zone: not judged
    assert wall_clock_ns(starts, zones, np.zeros(5, dtype=bool)).tolist() == [-1] * 5
