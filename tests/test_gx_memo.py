"""The test session's memo of Great Expectations' verdicts (tests/gx_memo.py) gives what GX gives."""

from __future__ import annotations

import pandas as pd

from audits import validation
from audits.ingest import load_calls, load_reference
from audits.rulepack import load_rulepack
from tests import gx_memo
from tests.landing import DAY, call, make_landing

PACK = load_rulepack("cn_bank")
ROWS = [call("ok", "2026-11-27 09:00:00"), call("missing", "2026-11-27 09:00:00", agent_id=""),
        call("badtime", "2026-11-27 25:00:00"), call("phone", "2026-11-27 09:00:00", callee_number="12345"),
        call("enum", "2026-11-27 09:00:00", disposition="PICKED_UP"), call("ok", "2026-11-27 09:00:00")]


def _audited(folder):
    landing = make_landing(folder, {DAY: {"AG01": ROWS}})
    tables = load_reference(landing, audit_date=DAY, rulepack=PACK)
    calls = load_calls(landing, day=DAY, contracts=tables["contracts"].accepted, rulepack=PACK)
    return {name: (table.accepted, table.quarantine) for name, table in tables.items()}, (calls.accepted, calls.quarantine)


def _same(left, right):
    for a, b in zip(left, right, strict=True):
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_a_remembered_verdict_is_great_expectations_own(tmp_path, monkeypatch):
    assert hasattr(validation._batch_definition, "__wrapped__"), "the session's memo is in front of GX"
    first_tables, first_calls = _audited(tmp_path / "first")
    remembered = len(gx_memo._results)
    again_tables, again_calls = _audited(tmp_path / "again")           # the same batches: answered by the memo
    assert len(gx_memo._results) == remembered
    monkeypatch.setattr(validation, "_batch_definition", validation._batch_definition.__wrapped__)
    own_tables, own_calls = _audited(tmp_path / "gx")                  # GX itself, every batch
    assert not first_calls[1].empty and set(first_calls[1]["call_id"]) >= {"missing", "badtime", "phone", "enum"}
    for tables in (again_tables, own_tables):
        assert tables.keys() == first_tables.keys()
        for name in tables:
            _same(tables[name], first_tables[name])
    _same(again_calls, first_calls)
    _same(own_calls, first_calls)


def test_the_memo_tells_suites_apart_by_their_expectations_not_their_identity():
    suite = validation.load_suite("campaigns")
    frame = pd.DataFrame({"campaign_id": ["X"], "purpose_code": ["marketing"]})
    key = gx_memo.batch_key("campaigns", suite, frame, {}, {})
    changed = validation.load_suite("campaigns")
    changed.expectations.pop()
    assert gx_memo.batch_key("campaigns", changed, frame, {}, {}) != key
    assert gx_memo.batch_key("campaigns", validation.load_suite("campaigns"), frame, {}, {}) == key
