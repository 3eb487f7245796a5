"""The desk's state is folded from literal events: owner, due date, acknowledgement, exceptions
and disputes with who decided them when, plans; decisions that do not apply change nothing."""

from __future__ import annotations

import datetime as dt

from audits.desk.state import default_due, fold, in_force
from tests.desk.literal import T0, chain

C1, C2 = "C-000000000001", "C-000000000002"
EXC, DSP = "EXC-2026-12-07-N001", "DSP-2026-12-07-N001"


def _minutes(k: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=k)


def test_owner_due_and_acknowledgement_follow_the_last_event_of_each():
    state = fold(chain(("alice", "officer", "take", C1, {}),
                       ("bob", "approver", "assign", C1, {"to": "dora"}),
                       ("alice", "officer", "set_due", C1, {"on": "2026-12-10"}),
                       ("alice", "officer", "set_due", C1, {"on": "2026-12-12"}),
                       ("dora", "officer", "acknowledge", C1, {}),
                       ("alice", "officer", "comment", C2, {"text": "called the agency"})))
    case = state.cases[C1]
    assert (case.owner, case.due, case.acknowledged_by, case.last_event_at) == \
        ("dora", dt.date(2026, 12, 12), "dora", _minutes(5))
    assert (state.cases[C2].owner, state.cases[C2].comments) == ("", 1)


def test_an_exception_goes_from_proposed_to_approved_to_revoked_with_who_and_when():
    events = chain(("alice", "officer", "propose_exception", C1,
                    {"reason": "agreed", "valid_from": "2026-12-08", "valid_to": "2026-12-31", "exception_id": EXC}),
                   ("bob", "approver", "approve_exception", C1, {"exception_id": EXC}),
                   ("carol", "approver", "revoke_exception", C1, {"exception_id": EXC}))
    proposed, approved, revoked = (fold(events[:k]).exceptions[EXC] for k in (1, 2, 3))
    assert (proposed.status, proposed.proposed_by, proposed.proposed_at, proposed.decided_by) == \
        ("proposed", "alice", _minutes(1), "")
    assert (approved.status, approved.decided_by, approved.decided_at) == ("approved", "bob", _minutes(2))
    assert (approved.valid_from, approved.valid_to, approved.reason) == \
        (dt.date(2026, 12, 8), dt.date(2026, 12, 31), "agreed")
    assert (revoked.status, revoked.decided_by, revoked.revoked_by, revoked.revoked_at) == \
        ("revoked", "bob", "carol", _minutes(3))
    assert fold(events).cases[C1].exceptions == (EXC,)
    assert in_force(approved, dt.date(2026, 12, 8)) and not in_force(approved, dt.date(2026, 12, 7))
    assert not in_force(revoked, dt.date(2026, 12, 9)) and not in_force(proposed, dt.date(2026, 12, 9))


def test_a_rejected_proposal_stays_rejected_and_a_late_approval_changes_nothing():
    state = fold(chain(("alice", "officer", "propose_exception", C1,
                        {"reason": "r", "valid_from": "2026-12-08", "valid_to": "2026-12-09", "exception_id": EXC}),
                       ("bob", "approver", "reject_exception", C1, {"exception_id": EXC}),
                       ("carol", "approver", "approve_exception", C1, {"exception_id": EXC}),
                       ("carol", "approver", "approve_exception", C1, {"exception_id": "EXC-1999-01-01-N001"})))
    assert (state.exceptions[EXC].status, state.exceptions[EXC].decided_by) == ("rejected", "bob")
    assert set(state.exceptions) == {EXC}


def test_a_dispute_is_open_until_decided_once():
    events = chain(("alice", "officer", "record_dispute", C2,
                    {"raised_by": "AG02 operations", "note": "agent was on the roster", "dispute_id": DSP}),
                   ("bob", "approver", "decide_dispute", C2, {"dispute_id": DSP, "outcome": "upheld"}),
                   ("carol", "approver", "decide_dispute", C2, {"dispute_id": DSP, "outcome": "rejected"}))
    opened, decided = fold(events[:1]).disputes[DSP], fold(events).disputes[DSP]
    assert (opened.status, opened.raised_by, opened.recorded_by, opened.recorded_at) == \
        ("open", "AG02 operations", "alice", _minutes(1))
    assert (decided.status, decided.decided_by, decided.decided_at) == ("upheld", "bob", _minutes(2))
    assert fold(events).cases[C2].disputes == (DSP,)


def test_plans_requested_and_recorded_are_counted_and_kept():
    state = fold(chain(("vera", "vendor_manager", "request_plan", C1, {"note": "by Friday"}),
                       ("vera", "vendor_manager", "record_plan", C1,
                        {"corrective_action": "retrain", "target_date": "2026-12-20", "contact": "ops lead"})))
    case = state.cases[C1]
    assert case.plans_requested == 1
    assert [dict(p) for p in case.plans] == [{"corrective_action": "retrain", "target_date": "2026-12-20",
                                              "contact": "ops lead", "recorded_by": "vera", "at": _minutes(2)}]


def test_no_events_fold_to_an_empty_desk():
    state = fold([])
    assert (dict(state.cases), dict(state.exceptions), dict(state.disputes)) == ({}, {}, {})


def test_the_default_due_date_is_the_first_day_seen_plus_the_severitys_days():
    days = {"critical": 3, "major": 14, "minor": 30}
    assert default_due(dt.date(2026, 12, 1), "critical", days) == dt.date(2026, 12, 4)
    assert default_due(dt.date(2026, 12, 1), "minor", days) == dt.date(2026, 12, 31)
    assert default_due(dt.date(2026, 12, 1), "unknown", days) is None
