"""Each finding's call among the day's calls, by (agency_id, call_id)."""

from __future__ import annotations

import pandas as pd

from audits.call_lookup import call_column, call_positions


def _calls(n_filler: int = 0) -> pd.DataFrame:
    frame = pd.DataFrame({"agency_id": ["AG02", "AG01", "AG01"] + ["AG09"] * n_filler,
                          "call_id": ["1", "1", "7"] + [f"f{k}" for k in range(n_filler)],
                          "caller_e164": ["+862100000002", "+862100000001", None] + ["+860"] * n_filler})
    return frame.astype("str").set_axis(range(100, 103 + n_filler))          # not a RangeIndex from 0


def test_pairs_are_matched_by_agency_and_call_id_together():
    findings = pd.DataFrame({"agency_id": ["AG01", "AG02", "AG01", "AG03"], "call_id": ["1", "1", "9", "1"]},
                            index=[7, 3, 11, 5])
    assert call_positions(findings, _calls()).tolist() == [1, 0, -1, -1]
    callers = call_column(findings, _calls(), "caller_e164")
    assert callers.index.tolist() == [7, 3, 11, 5]
    assert callers.tolist() == ["+862100000001", "+862100000002", None, None]


def test_a_few_findings_among_many_calls_take_the_probing_path_with_the_same_answer():
    findings = pd.DataFrame({"agency_id": ["AG01", "AG01"], "call_id": ["7", "1"]})
    assert call_positions(findings, _calls(n_filler=100)).tolist() == [2, 1]
    assert call_column(findings, _calls(n_filler=100), "caller_e164").tolist() == [None, "+862100000001"]


def test_no_findings_or_no_calls():
    empty = pd.DataFrame({"agency_id": pd.Series([], dtype="str"), "call_id": pd.Series([], dtype="str")})
    assert call_positions(empty, _calls()).tolist() == []
    findings = pd.DataFrame({"agency_id": ["AG01"], "call_id": ["1"]})
    assert call_positions(findings, _calls().iloc[:0]).tolist() == [-1]
    assert call_column(findings, _calls().iloc[:0], "caller_e164").tolist() == [None]
