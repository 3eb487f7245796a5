"""`python -m audits desk …` and `verify --desk`, called in-process on a literal case store:
recorded acts print what they recorded (new ids as the last line), refused acts exit 1 with one
sentence and record nothing, the log prints and exports, and a tampered table fails verify."""

from __future__ import annotations

import csv
import io
import sqlite3

import pytest

from audits.cli import main as cli
from tests.desk.conftest import CASE, OTHER


@pytest.fixture(autouse=True)
def _sqlite_desk(monkeypatch):
    monkeypatch.delenv("AUDIT_DESK_DB", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_AUDIT_DESK_DB", raising=False)


def _desk(store, capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli(["desk", *args, "--store", str(store)])
    out, err = capsys.readouterr()
    return code, out, err


def _count(store) -> int:
    if not (store / "desk.sqlite").exists():
        return 0
    with sqlite3.connect(store / "desk.sqlite") as connection:
        return connection.execute("SELECT count(*) FROM desk_events").fetchone()[0]


def test_propose_prints_the_exception_id_last_and_the_proposer_cannot_approve_it(store, capsys):
    code, out, err = _desk(store, capsys, "propose-exception", CASE, "--as", "alice", "--reason", "agreed with legal",
                           "--from", "2026-12-08", "--to", "2026-12-31")
    assert (code, err) == (0, "")
    lines = out.strip().splitlines()
    exception_id = lines[-1]
    assert exception_id.startswith("EXC-") and len(lines) == 2
    assert lines[0].startswith(f"Recorded #1: alice (officer) propose_exception on {CASE} at ")
    assert f"exception_id={exception_id}" in lines[0] and "valid_to=2026-12-31" in lines[0]

    code, out, err = _desk(store, capsys, "approve", exception_id, "--as", "alice")
    assert (code, out) == (1, "") and err.strip() == "alice (officer) may not approve an exception: that needs the " \
                                                      "role approver."
    code, out, err = _desk(store, capsys, "reject", exception_id, "--as", "vera")
    assert code == 1 and err.count("\n") == 1
    assert _count(store) == 1

    code, out, err = _desk(store, capsys, "approve", exception_id, "--as", "bob")
    assert code == 0 and out.startswith(f"Recorded #2: bob (approver) approve_exception on {CASE} ")


def test_four_eyes_on_the_command_line(store, capsys):
    code, out, _ = _desk(store, capsys, "propose-exception", OTHER, "--as", "bob", "--reason", "r", "--from",
                         "2026-12-08", "--to", "2026-12-09")
    exception_id = out.strip().splitlines()[-1]
    code, out, err = _desk(store, capsys, "approve", exception_id, "--as", "bob")
    assert (code, err.strip()) == (1, f"Four eyes: bob proposed {exception_id} and may not approve it; another "
                                      "approver must.")
    code, out, _ = _desk(store, capsys, "dispute", OTHER, "--as", "carol", "--raised-by", "AG02 operations",
                         "--note", "agent was on the roster")
    dispute_id = out.strip().splitlines()[-1]
    assert code == 0 and dispute_id.startswith("DSP-")
    code, out, err = _desk(store, capsys, "decide", dispute_id, "--outcome", "upheld", "--as", "carol")
    assert code == 1 and err.startswith("Four eyes: carol recorded")
    assert _count(store) == 2
    code, out, err = _desk(store, capsys, "decide", dispute_id, "--outcome", "upheld", "--as", "bob")
    assert code == 0 and "decide_dispute" in out and "outcome=upheld" in out


@pytest.mark.parametrize(("args", "expected"), [
    (("take", "C-ffffffffffff", "--as", "alice"), "No case C-ffffffffffff in the case register"),
    (("take", CASE, "--as", "mallory"), "mallory is not a user of the desk config"),
    (("take", CASE, "--as", "audrey"), "audrey (auditor) may not take a case"),
    (("due", CASE, "--on", "31/12/2026", "--as", "alice"), "The due date '31/12/2026' is not a date"),
    (("assign", CASE, "--to", "dora", "--as", "vera"), "vera (vendor_manager) may not assign a case"),
])
def test_a_refused_act_exits_1_with_one_sentence_and_records_nothing(store, capsys, args, expected):
    _desk(store, capsys, "ack", OTHER, "--as", "alice")
    code, out, err = _desk(store, capsys, *args)
    assert (code, out, _count(store)) == (1, "", 1)
    assert err.startswith(expected) and err.count("\n") == 1 and err.rstrip().endswith(".")


def test_take_ack_assign_due_comment_are_recorded_and_logged(store, capsys):
    for args in (("take", CASE, "--as", "alice"), ("ack", CASE, "--as", "alice"),
                 ("assign", CASE, "--to", "bob", "--as", "alice"), ("due", CASE, "--on", "2099-01-31", "--as", "bob"),
                 ("comment", CASE, "--text", "=HYPERLINK(\"x\") call 13800138000", "--as", "vera")):
        code, out, err = _desk(store, capsys, *args)
        assert (code, err) == (0, "") and out.startswith("Recorded #")
    code, out, _ = _desk(store, capsys, "log", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["seq"], r["actor"], r["kind"]) for r in rows] == [
        ("1", "alice", "take"), ("2", "alice", "acknowledge"), ("3", "alice", "assign"), ("4", "bob", "set_due"),
        ("5", "vera", "comment")]
    assert "13800138000" not in out and "*******8000" in out
    assert rows[3]["payload"] == '{"on":"2099-01-31"}'
    code, out, _ = _desk(store, capsys, "log")
    assert code == 0 and out.startswith("5 event(s)") and "set_due" in out


def test_verify_desk_passes_then_names_the_edited_event(store, capsys):
    _desk(store, capsys, "take", CASE, "--as", "alice")
    _desk(store, capsys, "comment", CASE, "--text", "first", "--as", "alice")
    assert cli(["verify", "--desk", "--store", str(store)]) == 0
    assert "desk verified: 2 event(s)" in capsys.readouterr().out
    with sqlite3.connect(store / "desk.sqlite") as connection:
        connection.execute("DROP TRIGGER desk_events_no_update")           # as a database administrator could
        connection.execute("UPDATE desk_events SET payload = '{\"text\":\"second\"}' WHERE seq = 2")
        event_id = connection.execute("SELECT event_id FROM desk_events WHERE seq = 2").fetchone()[0]
    assert cli(["verify", "--desk", "--store", str(store)]) == 1
    err = capsys.readouterr().err
    assert f"event #2 ({event_id}, comment on {CASE} by alice" in err and "edited" in err


def test_verify_desk_without_a_desk_says_so(store, capsys):
    assert cli(["verify", "--desk", "--store", str(store)]) == 2
    assert "No desk database" in capsys.readouterr().err
    assert not (store / "desk.sqlite").exists()


def test_an_unknown_user_touches_no_database(store, capsys):
    assert _desk(store, capsys, "take", CASE, "--as", "mallory")[0] == 1
    assert not (store / "desk.sqlite").exists()


def test_a_missing_store_is_named_and_no_database_is_made(tmp_path, capsys):
    code, _, err = _desk(tmp_path / "nowhere", capsys, "take", CASE, "--as", "alice")
    assert code == 2 and "no store at" in err and not (tmp_path / "nowhere").exists()


def test_the_vendor_manager_requests_and_records_a_plan(store, capsys):
    assert _desk(store, capsys, "request-plan", OTHER, "--note", "by Friday", "--as", "vera")[0] == 0
    code, out, err = _desk(store, capsys, "plan", OTHER, "--action", "retrain the team", "--target-date", "2099-01-15",
                           "--contact", "ops lead", "--as", "vera")
    assert (code, err) == (0, "") and "record_plan" in out and "target_date=2099-01-15" in out
    code, out, err = _desk(store, capsys, "request-plan", OTHER, "--as", "alice")
    assert code == 1 and err.startswith("alice (officer) may not request a corrective plan")


def test_an_unreachable_database_exits_2_saying_so_without_its_password(store, capsys, monkeypatch):
    import socket

    with socket.socket() as probe:                       # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("AUDIT_DESK_DB", f"postgresql+psycopg2://desk:s3cret-pw@127.0.0.1:{port}/desk")
    code, out, err = _desk(store, capsys, "take", CASE, "--as", "alice")
    assert (code, out) == (2, "") and "The desk's database cannot be used" in err and "s3cret-pw" not in err
    assert cli(["verify", "--desk", "--store", str(store)]) == 2
    assert "s3cret-pw" not in capsys.readouterr().err


@pytest.mark.slow                       # a subprocess: Python, the audit's imports and the desk's, from cold
def test_the_real_command_prints_the_new_id_last_and_a_refusal_on_stderr(store, tmp_path):
    """Through `python -m audits` as a script would call it (the rest call main in-process)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k not in ("AUDIT_DESK_DB", "AIRFLOW_CONN_AUDIT_DESK_DB")}
    env.update(PYTHONPATH=str(root), AIRFLOW_HOME=str(tmp_path / "airflow"))

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "audits", "desk", *args, "--store", str(store)], env=env,
                              capture_output=True, text=True, timeout=120)

    proposed = run("propose-exception", CASE, "--as", "alice", "--reason", "agreed", "--from", "2026-12-08", "--to",
                   "2026-12-31")
    assert proposed.returncode == 0, proposed.stderr
    exception_id = proposed.stdout.strip().splitlines()[-1]
    assert exception_id.startswith("EXC-") and exception_id.endswith("-N001")
    refused = run("approve", exception_id, "--as", "alice")
    assert (refused.returncode, refused.stdout) == (1, "") and len(refused.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args", [["verify"], ["verify", "--desk"]])
def test_verify_needs_a_path_or_the_desk_and_its_store(args, capsys):
    assert cli(args) == 2
    assert "give PATH (a report, review or share pack), or --desk --store DIR" in capsys.readouterr().err
