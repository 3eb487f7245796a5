"""The share pack's peer rank follows the ranking of the reports: grade first (a gate that fails
an agency outranks its overall), then overall; 1 = best, competition ranks."""

from __future__ import annotations

import pandas as pd

from audits.review.peers import compare


def _scores(rows: list[tuple[str, float | None, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["agency_id", "overall", "grade"])
    frame["days_audited"] = [0 if o is None else 3 for o in frame["overall"]]
    for rate in ("rate_confidentiality", "rate_frequency", "rate_qualification", "rate_data_quality"):
        frame[rate] = 0.01
    return frame


def test_a_failed_agency_ranks_below_every_passing_one_whatever_its_overall():
    scores = _scores([("AG01", 95.0, "A"), ("AG02", 99.75, "F"), ("AG03", 85.0, "B"), ("AG04", 85.0, "B"),
                      ("AG05", 72.0, "C"), ("AG06", None, "")])
    peers = compare(scores)
    assert {a: peers[a].rank for a in ("AG01", "AG02", "AG03", "AG04", "AG05", "AG06")} == \
        {"AG01": 1, "AG03": 2, "AG04": 2, "AG05": 4, "AG02": 5, "AG06": None}
    assert peers["AG02"].note == "Rank 5 of 5 agencies assessed in the period, by grade, then overall score (1 = best)."
