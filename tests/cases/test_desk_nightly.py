"""The case desk in the nightly run (desk.md §3-4) on literal landing zones and a real desk
(open_desk on a tmp store): approved exceptions and decided disputes as of the run's instant,
decisions.csv and the manifest's chain head, verify, the portfolio's and the e-mail's desk
sections, and a run without a desk exactly as before."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json

from audits.cases.keys import case_id
from audits.cli import main as cli
from audits.desk import nightly
from audits.desk.nightly import decision_rows, run_instant
from audits.desk.roles import Actor
from audits.desk.service import open_desk
from audits.notify import compose_summary
from audits.pipeline import run_audit
from tests.landing import call, config_for, make_landing

DAYS = [dt.date(2026, 11, 26), dt.date(2026, 11, 27)]
E9 = case_id("AG01", "CONF_AGENT_NOT_ACTIVE", "E9")
E7 = case_id("AG01", "CONF_AGENT_NOT_ACTIVE", "E7")
OFFICER = Actor("olga", frozenset({"officer"}))
APPROVER = Actor("arun", frozenset({"approver"}))
UTC = dt.UTC


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def _rows(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _landing(root):
    """Two days of AG01: agents E9 and E7 (on no roster) each place a call every day."""
    days = {day: {"AG01": [call("c1", f"{day} 10:00:00", agent_id="E9"), call("c2", f"{day} 11:00:00", agent_id="E7"),
                           call("c3", f"{day} 12:00:00")]} for day in DAYS}
    make_landing(root / "landing", days)


def _run_cli(root, day, *extra) -> int:
    return cli(["run", "--date", day.isoformat(), "--landing", str(root / "landing"), "--out", str(root / "out"),
                "--store", str(root / "store"), "--workers", "1", *extra])


def _decisions(report) -> dict[str, tuple[str, str]]:
    return {r["case_id"]: (r["decision"], r["exception_id"]) for r in _rows(report / "cases.csv")}


def _propose(desk, case, at, valid_from="2026-11-26", valid_to="2026-12-10") -> str:
    event = desk.act(OFFICER, "propose_exception", case, {"reason": "agent on the roster since, file late",
                                                          "valid_from": valid_from, "valid_to": valid_to}, at=_at(at))
    return event.payload["exception_id"]


def test_an_approved_exception_accepts_the_case_a_proposal_alone_changes_nothing_and_verify_holds(tmp_path, capsys):
    _landing(tmp_path)
    assert _run_cli(tmp_path, DAYS[0]) == 0                         # no desk yet: the case is new
    desk = open_desk(tmp_path / "store")
    accepted = _propose(desk, E9, "2026-11-26T12:00:00")
    desk.act(APPROVER, "approve_exception", "", {"exception_id": accepted}, at=_at("2026-11-26T13:00:00"))
    proposed = _propose(desk, E7, "2026-11-26T14:00:00")             # never approved
    assert _run_cli(tmp_path, DAYS[1]) == 0
    report = tmp_path / "out" / DAYS[1].isoformat()
    assert _decisions(report) == {E9: ("accepted", accepted), E7: ("", "")}
    assert {r["decision"] for r in _rows(report / "violations.csv") if r["case_id"] == E9} == {"accepted"}
    assert f"accepted under exception {accepted}" in (report / "agencies" / "AG01.html").read_text(encoding="utf-8")
    snapshot = _rows(report / "decisions.csv")
    assert [(r["table"], r["id"], r["case_id"], r["valid_from"], r["valid_to"]) for r in snapshot] == [
        ("exceptions", accepted, E9, "2026-11-26", "2026-12-10")]
    manifest = json.loads((report / "manifest.json").read_text(encoding="utf-8"))
    as_of = dt.datetime.fromisoformat(manifest["desk"]["as_of"])
    assert manifest["desk"] == {"as_of": manifest["generated_at"], "head": desk.head(until=as_of), "events": 3,
                                "exceptions": 1, "disputes": 0}
    assert manifest["desk"]["head"] == desk.events()[-1].hash
    assert manifest["outputs"]["decisions.csv"] and manifest["outputs"]["desk.csv"]
    capsys.readouterr()
    assert cli(["verify", str(report)]) == 0, capsys.readouterr()
    desk.act(APPROVER, "approve_exception", "", {"exception_id": proposed})      # now, after the run
    desk.act(APPROVER, "revoke_exception", "", {"exception_id": accepted})
    assert cli(["verify", str(report)]) == 0, capsys.readouterr()             # a later decision fails nothing
    assert _run_cli(tmp_path, DAYS[1]) == 0                  # a rerun reads the desk as of the recorded instant
    assert _decisions(report) == {E9: ("accepted", accepted), E7: ("", "")}
    rerun = json.loads((report / "manifest.json").read_text(encoding="utf-8"))
    assert rerun["desk"]["as_of"] == manifest["desk"]["as_of"] and rerun["desk"]["head"] == manifest["desk"]["head"]


def test_a_decision_recorded_after_the_run_s_instant_is_not_used(tmp_path):
    _landing(tmp_path)
    run_audit(config_for(tmp_path, DAYS[0]))
    desk = open_desk(tmp_path / "store")
    before, after = _propose(desk, E9, "2026-11-27T08:00:00"), _propose(desk, E7, "2026-11-27T08:30:00")
    desk.act(APPROVER, "approve_exception", "", {"exception_id": before}, at=_at("2026-11-27T09:00:00"))
    desk.act(APPROVER, "approve_exception", "", {"exception_id": after}, at=_at("2026-11-27T21:00:00"))
    config = dataclasses.replace(config_for(tmp_path, DAYS[1]), generated_at="2026-11-27T20:00:00+00:00")
    report = run_audit(config).report_dir
    assert _decisions(report) == {E9: ("accepted", before), E7: ("", "")}
    manifest = json.loads((report / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["desk"]["events"] == 3
    assert manifest["desk"]["head"] == desk.events()[2].hash != desk.head()


def test_an_upheld_dispute_dismisses_and_a_revoked_exception_ends_the_day_before_its_revocation(tmp_path):
    _landing(tmp_path)
    run_audit(config_for(tmp_path, DAYS[0]))
    desk = open_desk(tmp_path / "store")
    dispute = desk.act(OFFICER, "record_dispute", E7, {"raised_by": "AG01 ops", "note": "E7 joined on the 20th"},
                       at=_at("2026-11-26T09:00:00")).payload["dispute_id"]
    exception = _propose(desk, E9, "2026-11-26T09:30:00", valid_from="2026-11-20")
    desk.act(APPROVER, "approve_exception", "", {"exception_id": exception}, at=_at("2026-11-26T10:00:00"))
    exceptions, disputes = decision_rows(desk, _at("2026-11-27T00:00:00"))
    assert disputes.empty                                     # recorded, not decided: no decision yet
    assert exceptions[["exception_id", "case_id", "valid_from", "valid_to", "approved_by", "approved_on"]] \
        .values.tolist() == [[exception, E9, "2026-11-26", "2026-12-10", "arun", "2026-11-26"]]   # from its approval
    desk.act(APPROVER, "decide_dispute", "", {"dispute_id": dispute, "outcome": "upheld"}, at=_at("2026-11-27T08:00:00"))
    desk.act(APPROVER, "revoke_exception", "", {"exception_id": exception}, at=_at("2026-11-27T09:00:00"))
    exceptions, disputes = decision_rows(desk, _at("2026-11-28T00:00:00"))
    assert exceptions["valid_to"].tolist() == ["2026-11-26"]
    assert disputes[["dispute_id", "case_id", "raised_by", "raised_on", "status", "decided_by", "decided_on"]] \
        .values.tolist() == [[dispute, E7, "AG01 ops", "2026-11-26", "upheld", "arun", "2026-11-27"]]
    report = run_audit(dataclasses.replace(config_for(tmp_path, DAYS[1]),
                                           generated_at="2026-11-28T02:00:00+00:00")).report_dir
    shown = {r["case_id"]: (r["decision"], r["exception_id"], r["dispute_id"]) for r in _rows(report / "cases.csv")}
    assert shown == {E9: ("", "", ""), E7: ("dismissed", "", dispute)}
    assert cli(["verify", str(report)]) == 0


def test_a_rerun_reads_the_desk_as_of_the_instant_its_day_recorded(tmp_path):
    config = config_for(tmp_path, DAYS[1])
    assert run_instant(dataclasses.replace(config, generated_at="2026-11-28T02:00:00+00:00")) == \
        _at("2026-11-28T02:00:00")
    (config.report_dir).mkdir(parents=True)
    (config.report_dir / "manifest.json").write_text(json.dumps({"desk": {"as_of": "2026-11-28T01:00:00+00:00"}}))
    assert run_instant(dataclasses.replace(config, generated_at="2026-12-05T02:00:00+00:00")) == \
        _at("2026-11-28T01:00:00")


def _outputs(report) -> dict[str, bytes]:
    return {p.relative_to(report).as_posix(): p.read_bytes() for p in sorted(report.rglob("*"))
            if p.is_file() and "superseded" not in p.parts}


def test_without_a_desk_the_run_is_exactly_as_before(tmp_path, monkeypatch):
    """No desk database: no desk file is created, the manifest has no desk entry, no desk.csv, no
    desk section; and every output is byte for byte that of the run without the desk's code path."""
    _landing(tmp_path)
    config = dataclasses.replace(config_for(tmp_path, DAYS[0]), generated_at="2026-11-27T02:00:00+00:00")
    without = _outputs(run_audit(config).report_dir)
    assert not (tmp_path / "store" / "desk.sqlite").exists()
    manifest = json.loads(without["manifest.json"])
    assert "desk" not in manifest and "desk.csv" not in manifest["outputs"]
    assert b"Case desk" not in without["index.html"]
    monkeypatch.setattr(nightly, "decisions_of_run", lambda *_: None)      # the reference files only
    again = _outputs(run_audit(config).report_dir)
    assert set(again) == set(without)
    differing = sorted(name for name in without if again[name] != without[name])
    assert differing in ([], ["manifest.json", "manifest.sig"], ["manifest.json"])   # supersedes the first
    first, second = json.loads(without["manifest.json"]), json.loads(again["manifest.json"])
    second.pop("supersedes"), first.pop("supersedes")
    assert first == second


def _portfolio_day(tmp_path, desk_url=""):
    """Day 27 with a desk: E7 taken by olga, overdue; a proposal waiting; a dispute 8 days old;
    an exception ending in 3 days."""
    _landing(tmp_path)
    run_audit(config_for(tmp_path, DAYS[0]))
    desk = open_desk(tmp_path / "store")
    dispute = desk.act(OFFICER, "record_dispute", E9, {"raised_by": "AG01 ops"},
                       at=_at("2026-11-19T09:00:00")).payload["dispute_id"]
    desk.act(OFFICER, "take", E7, {}, at=_at("2026-11-26T09:00:00"))
    desk.act(OFFICER, "set_due", E7, {"on": "2026-11-26"}, at=_at("2026-11-26T09:10:00"))
    ending = _propose(desk, E9, "2026-11-26T10:00:00", valid_from="2026-11-26", valid_to="2026-11-30")
    desk.act(APPROVER, "approve_exception", "", {"exception_id": ending}, at=_at("2026-11-26T11:00:00"))
    waiting = _propose(desk, E7, "2026-11-26T12:00:00")
    config = dataclasses.replace(config_for(tmp_path, DAYS[1]), generated_at="2026-11-27T02:00:00+00:00",
                                 desk_base_url=desk_url)
    return run_audit(config).report_dir, dispute, ending, waiting


def test_the_portfolio_and_the_e_mail_list_what_the_desk_waits_on_linked_when_a_desk_url_is_set(tmp_path):
    report, dispute, ending, waiting = _portfolio_day(tmp_path, "https://desk.example/cases-app/")
    sections = {}
    for row in _rows(report / "desk.csv"):
        sections.setdefault(row["section"], []).append((row["case_id"], row["item_id"], row["owner"], row["days"]))
    assert sections == {"overdue": [(E7, "", "olga", "1")], "awaiting_approval": [(E7, waiting, "", "1")],
                        "dispute_waiting": [(E9, dispute, "", "8")], "exception_ending": [(E9, ending, "", "3")]}
    page = (report / "index.html").read_text(encoding="utf-8")
    assert 'id="desk"' in page and 'href="https://desk.example/cases-app/"' in page
    assert f'href="https://desk.example/cases-app/cases/{E7}"' in page
    assert "owner olga; due 2026-11-26, 1 day overdue" in page
    message = compose_summary(report, desk_base_url="https://desk.example/cases-app")
    assert "Proposals awaiting approval: 1" in message.html and waiting in message.html
    assert f'<a href="https://desk.example/cases-app/cases/{E9}">{E9}</a> {dispute}' in message.html
    assert cli(["verify", str(report)]) == 0


def test_without_a_desk_url_the_desk_sections_have_no_links_and_without_a_desk_no_sections(tmp_path):
    report, *_ = _portfolio_day(tmp_path / "desk")
    page = (report / "index.html").read_text(encoding="utf-8")
    assert 'id="desk-overdue"' in page and "/cases/C-" not in page
    assert "<h3>Case desk</h3>" in compose_summary(report).html and "/cases/" not in compose_summary(report).html
    _landing(tmp_path / "plain")
    plain = run_audit(config_for(tmp_path / "plain", DAYS[0])).report_dir
    assert 'id="desk"' not in (plain / "index.html").read_text(encoding="utf-8")
    assert "Case desk" not in compose_summary(plain).html


def test_responses_take_the_due_date_set_on_the_desk_else_the_severity_s_and_list_open_cases_only():
    import pandas as pd

    from audits.desk.nightly import response_rows
    from audits.desk.state import CaseState, DeskState

    cases = pd.DataFrame([
        ["C-2", "FREQ_DAILY_CAP", "customer", "+86 138****5678", "open", "critical", "2026-11-20"],
        ["C-1", "CONF_AGENT_NOT_ACTIVE", "agent", "E9", "quiet", "major", "2026-11-20"],
        ["C-3", "CONF_AGENT_NOT_ACTIVE", "agent", "E7", "resolved", "major", "2026-11-01"]],
        columns=["case_id", "rule_id", "subject_kind", "subject_display", "status", "severity", "first_seen"])
    state = DeskState(cases={"C-1": CaseState("C-1", owner="olga", due=dt.date(2026, 12, 24))}, exceptions={},
                      disputes={})
    rows = response_rows(cases, state=state, due_days={"critical": 3, "major": 14, "minor": 30})
    assert rows.values.tolist() == [
        ["C-1", "CONF_AGENT_NOT_ACTIVE", "E9", "quiet", "2026-12-24", "", "", "", ""],
        ["C-2", "FREQ_DAILY_CAP", "+86 138****5678", "open", "2026-11-23", "", "", "", ""]]
    assert response_rows(cases.iloc[:0]).empty


def test_a_desk_whose_chain_was_tampered_with_gives_no_decisions_and_the_portfolio_and_e_mail_say_so(tmp_path):
    import sqlite3

    _landing(tmp_path)
    run_audit(config_for(tmp_path, DAYS[0]))
    desk = open_desk(tmp_path / "store")
    exception = _propose(desk, E9, "2026-11-26T12:00:00", valid_to="2026-11-28")
    desk.act(APPROVER, "approve_exception", "", {"exception_id": exception}, at=_at("2026-11-26T13:00:00"))
    with sqlite3.connect(tmp_path / "store" / "desk.sqlite") as db:     # the validity stretched by hand
        db.execute("DROP TRIGGER IF EXISTS desk_events_no_update")     # as a database administrator could
        db.execute("UPDATE desk_events SET payload = replace(payload, '2026-11-28', '2026-12-31') WHERE seq = 1")
    report = run_audit(dataclasses.replace(config_for(tmp_path, DAYS[1]),
                                           generated_at="2026-11-28T02:00:00+00:00")).report_dir
    assert _decisions(report) == {E9: ("", ""), E7: ("", "")}
    manifest = json.loads((report / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["desk"]["exceptions"] == 0 and "#1" in manifest["desk"]["problems"][0]
    page = (report / "index.html").read_text(encoding="utf-8")
    assert "The case desk's decisions are not applied tonight: its event chain fails verification" in page
    assert "the case desk's event chain fails verification" in compose_summary(report).html
    assert cli(["verify", str(report)]) == 0


def test_desk_items_never_hold_a_full_number_even_in_a_name_people_typed():
    import pandas as pd

    from audits.desk.nightly import DeskDecisions, attention_rows
    from audits.desk.state import CaseState, DeskState

    register = pd.DataFrame([[E7, "AG01", "CONF_AGENT_NOT_ACTIVE", "E7", "open", "major", "2026-11-01", ""]],
                            columns=["case_id", "agency_id", "rule_id", "subject_display", "status", "severity",
                                     "first_seen", "decision"])
    state = DeskState(cases={E7: CaseState(E7, owner="olga 13812345678")}, exceptions={}, disputes={})
    decisions = DeskDecisions(exceptions=pd.DataFrame(), disputes=pd.DataFrame(), as_of=_at("2026-11-28T02:00:00"),
                              head="", events=1, state=state, due_days={"major": 14})
    rows = attention_rows(decisions, register)
    assert rows[["section", "case_id", "owner", "due", "days"]].values.tolist() == [
        ["overdue", E7, "olga *******5678", "2026-11-15", "13"]]


def _two_reports_signing_two_events(tmp_path):
    """Two published days; the desk's two events (take, comment) fall between them."""
    _landing(tmp_path)
    run_audit(config_for(tmp_path, DAYS[0]))
    desk = open_desk(tmp_path / "store")
    desk.act(OFFICER, "take", E9, {}, at=_at("2026-11-26T09:00:00"))
    desk.act(OFFICER, "comment", E9, {"text": "looked at it"}, at=_at("2026-11-26T10:00:00"))
    run_audit(dataclasses.replace(config_for(tmp_path, DAYS[1]), generated_at="2026-11-28T02:00:00+00:00"))
    return desk


def _rewrite_without_the_first_event(tmp_path, second):
    """The chain rewritten whole, as a database administrator could: the first event removed and
    `second` sealed afresh in its place (hashes and all). Returns the forged event."""
    import sqlite3

    from audits.desk.events import sealed

    forged = sealed(dataclasses.replace(second, seq=1, previous_hash=""))
    with sqlite3.connect(tmp_path / "store" / "desk.sqlite") as db:
        db.execute("DROP TRIGGER IF EXISTS desk_events_no_update")
        db.execute("DROP TRIGGER IF EXISTS desk_events_no_delete")
        db.execute("DELETE FROM desk_events WHERE seq = 1")
        db.execute("UPDATE desk_events SET seq = 1, previous_hash = '', hash = ? WHERE seq = 2", (forged.hash,))
    return forged


def test_a_chain_rewritten_whole_no_longer_gives_the_head_a_report_signed(tmp_path):
    from audits.desk.nightly import signed_head_problems

    desk = _two_reports_signing_two_events(tmp_path)
    desk.act(OFFICER, "comment", E9, {"text": "later"}, at=_at("2026-11-28T09:00:00"))
    assert signed_head_problems(desk, tmp_path / "out") == []          # a later event changes no signed head
    _, second, _ = desk.events()                                       # the take removed, hashes redone
    forged = _rewrite_without_the_first_event(tmp_path, second)
    assert desk.events()[0].hash == forged.hash
    problems = signed_head_problems(desk, tmp_path / "out")
    assert len(problems) == 1 and problems[0].startswith("report 2026-11-27: its manifest signed the desk head")


def test_verify_desk_with_the_reports_root_fails_on_a_chain_rewritten_whole(tmp_path, capsys):
    from audits.cli import main as cli

    desk = _two_reports_signing_two_events(tmp_path)
    verify = ["verify", "--desk", "--store", str(tmp_path / "store"), str(tmp_path / "out")]
    assert cli(verify) == 0
    assert "every desk head signed by the reports under" in capsys.readouterr().out
    _, second = desk.events()
    _rewrite_without_the_first_event(tmp_path, second)
    assert cli(["verify", "--desk", "--store", str(tmp_path / "store")]) == 0      # the chain alone holds together
    capsys.readouterr()
    assert cli(verify) == 1
    assert "report 2026-11-27: its manifest signed the desk head" in capsys.readouterr().err
    assert cli(["verify", "--desk", "--store", str(tmp_path / "store"), str(tmp_path / "nowhere")]) == 2
