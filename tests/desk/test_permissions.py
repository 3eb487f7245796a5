"""Who may do what (the role table of the desk's spec, transcribed here by hand) and four eyes,
checked by the same refusal the service applies to every act, over a literal state."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from audits.desk.events import KINDS
from audits.desk.permits import refusal
from audits.desk.roles import ROLES, Actor, DeskConfig, desk_roles, load_desk_config, may
from audits.desk.state import fold
from tests.desk.literal import T0, chain

CASE2 = "C-000000000002"                 # a case without a dispute
CASE, EXC_PROPOSED, EXC_APPROVED, DSP = "C-000000000001", "EXC-2026-12-07-N001", "EXC-2026-12-07-N002", "DSP-2026-12-07-N001"
NOW = T0 + dt.timedelta(hours=1)
# desk.md §1, one line per role
OFFICER = {"take", "assign", "set_due", "acknowledge", "comment", "propose_exception", "record_dispute",
           "record_plan", "close_note"}
ALLOWED = {"auditor": set(),
           "officer": OFFICER,
           "approver": OFFICER | {"approve_exception", "reject_exception", "revoke_exception", "decide_dispute"},
           "vendor_manager": {"comment", "request_plan", "record_plan", "record_dispute"}}
PAYLOADS = {"take": {}, "assign": {"to": "dora"}, "set_due": {"on": "2026-12-10"}, "acknowledge": {},
            "comment": {"text": "noted"},
            "propose_exception": {"reason": "agreed", "valid_from": "2026-12-08", "valid_to": "2026-12-31"},
            "approve_exception": {"exception_id": EXC_PROPOSED}, "reject_exception": {"exception_id": EXC_PROPOSED},
            "revoke_exception": {"exception_id": EXC_APPROVED}, "record_dispute": {"raised_by": "AG01 ops"},
            "decide_dispute": {"dispute_id": DSP, "outcome": "upheld"}, "request_plan": {"note": "please"},
            "record_plan": {"corrective_action": "retrain", "target_date": "2026-12-20"},
            "close_note": {"text": "done"}}
STATE = fold(chain(
    ("paula", "officer", "propose_exception", CASE,
     {"reason": "r", "valid_from": "2026-12-08", "valid_to": "2026-12-20", "exception_id": EXC_PROPOSED}),
    ("paula", "officer", "propose_exception", CASE,
     {"reason": "r", "valid_from": "2026-12-08", "valid_to": "2026-12-20", "exception_id": EXC_APPROVED}),
    ("quinn", "approver", "approve_exception", CASE, {"exception_id": EXC_APPROVED}),
    ("paula", "officer", "record_dispute", CASE, {"raised_by": "AG01 ops", "note": "", "dispute_id": DSP})))


def _why(actor: Actor, kind: str, payload: dict, case_id: str = CASE, state=STATE) -> str:
    return refusal(state, known=lambda c: c in (CASE, CASE2), actor=actor, kind=kind, case_id=case_id, payload=payload,
                   at=NOW, config=DeskConfig())


def test_every_kind_is_in_the_matrix_and_every_required_value_has_words():
    from audits.desk.permits import REQUIRED, VALUE_WORDS

    assert set(PAYLOADS) == set(KINDS) and set(ALLOWED) == set(ROLES)
    assert {k for keys in REQUIRED.values() for k in keys} <= set(VALUE_WORDS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", KINDS)
def test_each_role_may_do_exactly_what_the_table_says(role, kind):
    actor = Actor("dave", frozenset({role}))
    why = _why(actor, kind, PAYLOADS[kind], CASE2 if kind == "record_dispute" else CASE)
    assert may(actor, kind) == (kind in ALLOWED[role])
    if kind in ALLOWED[role]:
        assert why == ""
    else:
        assert why.startswith(f"dave ({role}) may not ") and why.endswith(".") and why.count(". ") == 0


def test_a_person_without_a_desk_role_may_do_nothing():
    nobody = Actor("eve", frozenset())
    assert all(_why(nobody, kind, PAYLOADS[kind]).startswith("eve has no desk role") for kind in KINDS)


@pytest.mark.parametrize("roles", [{"approver"}, set(ROLES)])
def test_nobody_approves_their_own_proposal(roles):
    paula = Actor("paula", frozenset(roles))
    assert _why(paula, "approve_exception", {"exception_id": EXC_PROPOSED}) == (
        f"Four eyes: paula proposed {EXC_PROPOSED} and may not approve it; another approver must.")
    assert _why(Actor("quinn", frozenset(roles)), "approve_exception", {"exception_id": EXC_PROPOSED}) == ""


@pytest.mark.parametrize("roles", [{"approver"}, set(ROLES)])
def test_nobody_decides_a_dispute_they_recorded(roles):
    paula = Actor("paula", frozenset(roles))
    assert _why(paula, "decide_dispute", {"dispute_id": DSP, "outcome": "rejected"}) == (
        f"Four eyes: paula recorded {DSP} and may not decide it; another approver must.")
    assert _why(Actor("quinn", frozenset(roles)), "decide_dispute", {"dispute_id": DSP, "outcome": "rejected"}) == ""


APPROVER = Actor("quinn", frozenset({"approver"}))


@pytest.mark.parametrize(("kind", "case_id", "payload", "expected"), [
    ("take", "C-ffffffffffff", {}, "No case C-ffffffffffff in the case register"),
    ("approve_exception", "", {"exception_id": "EXC-1999-01-01-N001"}, "No exception EXC-1999-01-01-N001 on the desk"),
    ("approve_exception", "", {"exception_id": EXC_APPROVED}, f"{EXC_APPROVED} is approved; only a proposed"),
    ("revoke_exception", "", {"exception_id": EXC_PROPOSED}, f"{EXC_PROPOSED} is proposed; only an approved"),
    ("approve_exception", "C-000000000009", {"exception_id": EXC_PROPOSED}, f"{EXC_PROPOSED} is an exception of "),
    ("decide_dispute", "", {"dispute_id": DSP, "outcome": "maybe"}, "A dispute is decided upheld or rejected"),
    ("set_due", CASE, {"on": "2026-12-06"}, "The due date 2026-12-06 is in the past"),
    ("set_due", CASE, {"on": "next week"}, "The due date 'next week' is not a date"),
    ("propose_exception", CASE, {"reason": "r", "valid_from": "2026-12-31", "valid_to": "2026-12-08"},
     "The exception would end (2026-12-08) before it starts"),
    ("propose_exception", CASE, {"reason": "r", "valid_from": "2026-12-08", "valid_to": "2027-03-08"},
     "An exception lasts at most 90 days; 2026-12-08..2027-03-08 is 91"),
    ("propose_exception", CASE, {"reason": " ", "valid_from": "2026-12-08", "valid_to": "2026-12-09"},
     "To propose an exception the desk needs a reason."),
    ("set_due", CASE, {"on": ""}, "To set a due date the desk needs the due date."),
    ("record_plan", CASE, {"corrective_action": "", "target_date": ""},
     "To record a corrective plan the desk needs the corrective action and the target date."),
    ("comment", CASE, {"text": "x", "owner": "me"}, "Comment takes no owner"),
    ("comment", CASE, {"text": "a\x1b[2Jb"}, "The text holds control characters"),
    ("record_dispute", CASE, {"raised_by": "AG01 ops"}, f"{CASE} already has an open dispute, {DSP}"),
])
def test_an_act_on_a_missing_or_wrong_target_or_with_bad_values_is_refused_in_one_sentence(kind, case_id, payload,
                                                                                          expected):
    why = _why(APPROVER, kind, payload, case_id)
    assert why.startswith(expected) and why.endswith(".")


def test_taking_a_case_you_own_is_refused_but_another_officer_may_take_it():
    owned = fold(chain(("alice", "officer", "take", CASE, {})))
    assert _why(Actor("alice", frozenset({"officer"})), "take", {}, state=owned) == f"alice already owns {CASE}."
    assert _why(Actor("bruno", frozenset({"officer"})), "take", {}, state=owned) == ""


def test_the_default_mapping_of_the_simple_auth_manager_and_named_users(tmp_path: Path):
    config = load_desk_config(tmp_path / "absent.yaml")
    assert desk_roles(config, "x", ["Viewer"]) == {"auditor"}
    assert desk_roles(config, "x", ["user"]) == {"officer"}
    assert desk_roles(config, "x", ["op"]) == {"approver"}
    assert desk_roles(config, "x", ["admin"]) == set(ROLES)
    assert desk_roles(config, "x", ["public"]) == frozenset()
    (tmp_path / "desk.yaml").write_text("airflow_roles: {viewer: auditor, ops: [officer, vendor_manager]}\n"
                                        "users: {root: all, vera: vendor_manager}\ndue_days: {critical: 2}\n")
    config = load_desk_config(tmp_path / "desk.yaml")
    assert desk_roles(config, "x", ["OPS"]) == {"officer", "vendor_manager"}
    assert desk_roles(config, "x", ["user"]) == frozenset()                  # the file replaces the default mapping
    assert desk_roles(config, "vera", []) == {"vendor_manager"} and desk_roles(config, "root", []) == set(ROLES)
    assert dict(config.due_days) == {"critical": 2, "major": 14, "minor": 30}


@pytest.mark.parametrize("text", ["users: {alice: [boss]}\n", "users: [alice]\n", "due_days: {critical: 0}\n",
                                  "colour: blue\n", "users: {alice: [officer\n"])
def test_a_desk_config_that_cannot_be_used_is_named(tmp_path: Path, text):
    from audits.desk.roles import DeskConfigError

    (tmp_path / "desk.yaml").write_text(text)
    with pytest.raises(DeskConfigError, match=f"desk config {tmp_path / 'desk.yaml'}"):
        load_desk_config(tmp_path / "desk.yaml")
