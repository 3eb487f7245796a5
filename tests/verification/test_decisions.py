"""verify decides a day's cases again from the decisions its run recorded (decisions.csv): a
literal snapshot written as the report writes it (formula-safe), read back, and each case's
decision, exception and dispute compared with what it gives."""

from __future__ import annotations

import pandas as pd

from audits.cases.decision_snapshot import snapshot_rows
from audits.cases.keys import case_id
from audits.csv_cells import write_csv
from audits.verification.cases import check_recorded_decisions

RULE = "CONF_AGENT_NOT_ACTIVE"
CASE = case_id("AG01", RULE, "=E9")                     # an agent id a spreadsheet would run


def _snapshot(tmp_path):
    exceptions = pd.DataFrame({"exception_id": ["X1"], "agency_id": ["AG01"], "rule_id": [RULE],
                               "subject_key": ["=E9"], "valid_from_date": pd.to_datetime(["2026-11-01"]),
                               "valid_to_date": pd.to_datetime(["2026-11-30"])})
    disputes = pd.DataFrame({"dispute_id": ["D1"], "case_id": [CASE], "status_code": ["open"],
                             "raised_on_date": pd.to_datetime(["2026-11-20"]),
                             "decided_on_date": pd.to_datetime([None])})
    write_csv(snapshot_rows(exceptions, disputes), tmp_path / "decisions.csv")
    return {"audit_date": "2026-11-27", "inputs": [{"table": "exceptions"}, {"table": "disputes"}],
            "decisions": {"file": "decisions.csv", "rows": 2}}


def _cases(decision, exception_id, dispute_id):
    return pd.DataFrame({"case_id": [CASE], "agency_id": ["AG01"], "rule_id": [RULE], "decision": [decision],
                         "exception_id": [exception_id], "dispute_id": [dispute_id]})


def test_cases_decided_as_the_recorded_decisions_give_pass(tmp_path):
    manifest = _snapshot(tmp_path)
    written = (tmp_path / "decisions.csv").read_text(encoding="utf-8")
    assert "=E9" not in written and written.count(CASE) == 2          # the exception's case, never its subject
    assert check_recorded_decisions(tmp_path, manifest, _cases("accepted", "X1", "D1")) == []


def test_a_case_decided_otherwise_than_the_recorded_decisions_fails(tmp_path):
    manifest = _snapshot(tmp_path)
    problems = check_recorded_decisions(tmp_path, manifest, _cases("", "", "D1"))
    assert problems == [f"output cases.csv: case {CASE} shows decision '' (exception '', dispute 'D1'); the decisions "
                        "the run recorded in decisions.csv give 'accepted' (exception 'X1', dispute 'D1')."]
    manifest["decisions"]["rows"] = 3
    manifest["inputs"] = [{"table": "exceptions"}]
    problems = check_recorded_decisions(tmp_path, manifest, _cases("accepted", "X1", "D1"))
    assert problems == ["output decisions.csv: 2 rows; the manifest records 3.",
                        "output decisions.csv: decisions of 'disputes', which is not an input of the manifest."]
