"""The early warnings' opt_out_rate (sms.md §3): opt-outs an agency received / its SMS attempts,
per agency, counted daily like the other metrics and judged against the same baseline."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from audits.config import WarningSettings
from audits.signals.metrics import day_counts, metric_values
from audits.signals.warnings import day_warnings
from tests.signals.test_metrics import BOTH, DAY, calls, findings, numbers_of
from tests.signals.test_warnings import counts, days_before, keys


def messages(*rows: tuple) -> pd.DataFrame:
    """(agency, agent, direction, status, opt-out?) -> the enriched messages' flags."""
    frame = pd.DataFrame(rows, columns=["agency_id", "agent_id", "direction_code", "status_code", "is_opt_out"])
    frame["is_mt"] = frame["direction_code"] == "MT"
    frame["is_attempt"] = frame["is_mt"] & frame["status_code"].isin(["DELIVERED", "PENDING"])
    return frame


def _day(texts: pd.DataFrame | None):
    day = calls(("c1", "AG1", "E1", 8613800000001, "ANSWERED", "RIGHT_PARTY", 20_000),
                ("c2", "AG2", "E1", 8613800000002, "NO_ANSWER", None, -1))
    return day_counts(day, findings(), numbers=numbers_of(day), new_numbers_days=28, short_answer_ms=10_000,
                      judged=BOTH, messages=texts).counts


def test_an_agency_counts_its_sms_attempts_and_the_opt_outs_it_received():
    texts = messages(("AG1", "", "MT", "DELIVERED", False), ("AG1", "", "MT", "PENDING", False),
                     ("AG1", "", "MT", "FAILED", False),                 # not an attempt
                     ("AG1", "", "MO", None, True), ("AG1", "", "MO", None, False),
                     ("AG3", "", "MT", "DELIVERED", False), ("AG3", "", "MO", None, True))   # texts only
    frame = _day(texts)
    rows = {(r["level"], r["agency_id"], r["agent_id"]): r for r in frame.to_dict("records")}
    assert (rows[("agency", "AG1", "")]["sms_attempts"], rows[("agency", "AG1", "")]["opt_outs"]) == (2, 1)
    assert math.isnan(rows[("agency", "AG2", "")]["sms_attempts"])        # no texts: undefined
    assert math.isnan(rows[("agent", "AG1", "E1")]["sms_attempts"])       # per agency only
    assert (rows[("agency", "AG3", "")]["sms_attempts"], rows[("agency", "AG3", "")]["opt_outs"]) == (1, 1)
    assert rows[("agency", "AG3", "")]["attempts"] == 0
    assert list(frame["agency_id"]) == ["AG1", "AG1", "AG2", "AG2", "AG3"]
    least = {"opt_out_rate": 1}
    rates = metric_values(frame, least)["opt_out_rate"].to_numpy()
    assert rates[0] == 0.5 and np.isnan(rates[1]) and np.isnan(rates[2]) and rates[4] == 1.0


def test_without_messages_the_counts_are_as_before_and_the_rate_undefined():
    frame = _day(None)
    assert frame["sms_attempts"].isna().all() and frame["opt_outs"].isna().all()
    assert metric_values(frame)["opt_out_rate"].isna().all()


def test_a_jump_in_the_opt_out_rate_warns_against_the_agencys_baseline_of_sms_attempts():
    settings = WarningSettings()
    quiet = {"agency_id": "AG1", "attempts": 0, "sms_attempts": 200, "opt_outs": 2}
    history = days_before(20, quiet, {"agency_id": "AG2", "attempts": 100})
    jump = counts({"agency_id": "AG1", "attempts": 0, "sms_attempts": 200, "opt_outs": 30},
                  {"agency_id": "AG2", "attempts": 100})
    found = day_warnings(DAY, jump, history, settings)
    assert keys(found) == [("agency", "AG1", "", "opt_out_rate", "history")]
    assert "opt-outs" in found["detail"].iat[0]
    few = counts({"agency_id": "AG1", "attempts": 0, "sms_attempts": 40, "opt_outs": 30})     # below min_attempts
    assert day_warnings(DAY, few, history, settings).empty
