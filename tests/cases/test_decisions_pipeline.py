"""Decisions end to end through run_audit on literal landing zones: the decision tables'
quarantine reasons, decisions in violations.csv and cases.csv over several days, the scores
before and after decisions, reruns, verify and the CLI."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt

import pandas as pd
import pytest

from audits.cases.keys import case_id
from audits.cli import main as cli
from audits.config import DEVELOPMENT_HMAC_SECRET
from audits.pipeline import run_audit
from audits.privacy import phone_keys
from tests.landing import DAY, REFERENCE, call, config_for, make_landing

DAYS = [dt.date(2026, 11, 26), dt.date(2026, 11, 27), dt.date(2026, 11, 28), dt.date(2026, 11, 29)]
NUMBERS = [f"1381234{k:04d}" for k in range(100)]           # 100 customers of AG01, servicing
REFUSER_KEY = phone_keys(pd.Series(["+8613812340000"]), DEVELOPMENT_HMAC_SECRET).iat[0]
E9 = case_id("AG01", "CONF_AGENT_NOT_ACTIVE", "E9")
E7 = case_id("AG01", "CONF_AGENT_NOT_ACTIVE", "E7")
REFUSAL = case_id("AG01", "FREQ_AFTER_REFUSAL", REFUSER_KEY)


def _rows(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _exception(exception_id, **fields):
    row = dict(exception_id=exception_id, agency_id="AG01", rule_id="CONF_AGENT_NOT_ACTIVE", subject="",
               valid_from="2026-11-27", valid_to="2026-11-27", approved_by="Li Wei", approved_on="2026-11-20",
               reason="approved by the CRO")
    row.update(fields)
    return row


def _dispute(dispute_id, **fields):
    row = dict(dispute_id=dispute_id, case_id=E9, raised_by="AG01 ops", raised_on="2026-11-26", status="open",
               decided_by="", decided_on="", note="")
    row.update(fields)
    return row


def test_every_bad_decision_row_is_quarantined_with_its_reason_and_the_good_ones_are_read(tmp_path):
    exceptions = [
        _exception("X1", valid_from="2026-11-01", valid_to="2027-01-29", approved_on="2026-11-01"),   # 90 days
        _exception("X2", valid_from="2026-11-01", valid_to="2027-01-30", approved_on="2026-10-30"),   # 91 days
        _exception("X3", valid_from="2026-11-26", approved_on="2026-11-27"),                # approved after it starts
        _exception("X4", rule_id="CONF_SOMETHING"),
        _exception("X1", subject="A1"),                                                     # id repeated
        _exception("X6", reason=""),
        _exception("X7", valid_to="2026-11-31"),
        _exception("X8", rule_id="FREQ_DAILY_CAP", subject="12345"),                        # a possible, invalid number
        _exception("X9", rule_id="QUAL_NO_CONTRACT", subject="AG01"),                       # agency cases have none
        _exception("X10", valid_from="2026-11-27", valid_to="2026-11-26"),
    ]
    disputes = [
        _dispute("D1", case_id="C-ffffffffffff"),                                           # no such case
        _dispute("D2", status="upheld", decided_on="2026-11-27"),                           # decided_by missing
        _dispute("D3", status="closed"),
        _dispute("D4", status="rejected", decided_by="Zhang Min", decided_on="2026-11-25"),  # before raised_on
        _dispute("D5"),
        _dispute("D5", raised_by="someone else"),
    ]
    make_landing(tmp_path / "landing", {DAY: {"AG01": [call("c1", "2026-11-27 10:00:00", agent_id="E9")]}},
                 exceptions=exceptions, disputes=disputes)
    result = run_audit(config_for(tmp_path))
    quarantine = _rows(result.report_dir / "quarantine.csv")
    reasons = {(q["source"], q["row_number"]): q["reasons"] for q in quarantine}
    assert reasons == {
        ("reference/exceptions.csv", "2"): "DQ_BAD_DATE", ("reference/exceptions.csv", "3"): "DQ_DATE_ORDER",
        ("reference/exceptions.csv", "4"): "DQ_BAD_KEY", ("reference/exceptions.csv", "5"): "DQ_DUPLICATE_KEY",
        ("reference/exceptions.csv", "6"): "DQ_MISSING_FIELD", ("reference/exceptions.csv", "7"): "DQ_BAD_DATE",
        ("reference/exceptions.csv", "8"): "DQ_BAD_PHONE", ("reference/exceptions.csv", "9"): "DQ_BAD_KEY",
        ("reference/exceptions.csv", "10"): "DQ_DATE_ORDER",
        ("reference/disputes.csv", "1"): "DQ_BAD_KEY", ("reference/disputes.csv", "2"): "DQ_MISSING_FIELD",
        ("reference/disputes.csv", "3"): "DQ_BAD_ENUM", ("reference/disputes.csv", "4"): "DQ_DATE_ORDER",
        ("reference/disputes.csv", "6"): "DQ_DUPLICATE_KEY"}
    assert {q["agency_id"] for q in quarantine if q["source"] == "reference/exceptions.csv"} == {"AG01"}
    inputs = {e["path"]: e for e in result.manifest["inputs"]}
    assert [(inputs[p]["table"], inputs[p]["rows"], inputs[p]["rows_accepted"], inputs[p]["rows_quarantined"])
            for p in ("reference/exceptions.csv", "reference/disputes.csv")] == [("exceptions", 10, 1, 9),
                                                                                ("disputes", 6, 1, 5)]
    case = next(r for r in _rows(result.report_dir / "cases.csv") if r["case_id"] == E9)
    assert (case["decision"], case["exception_id"], case["dispute_id"]) == ("accepted", "X1", "D5")
    assert all((result.report_dir / "dq" / f"{table}.json").is_file() for table in ("exceptions", "disputes"))
    assert cli(["verify", str(result.report_dir)]) == 0


def _day_calls(day: dt.date) -> list[dict]:
    """100 clean servicing calls of AG01, one per customer; on 26-28 E9 (not on the roster)
    places the last; on 26 E7 the one before; on 28 the first customer refuses at 09:00 and is
    called again at 17:00 (a critical FREQ_AFTER_REFUSAL finding), and so on every later day."""
    calls = [call(f"c{k:03d}", f"{day} {9 + k // 12:02d}:{(k % 12) * 5:02d}:00", campaign_id="SRV",
                  callee_number=NUMBERS[k]) for k in range(100)]
    if day <= DAYS[2]:
        calls[99]["agent_id"] = "E9"
    if day == DAYS[0]:
        calls[98]["agent_id"] = "E7"
    if day == DAYS[2]:
        calls[0].update(disposition="ANSWERED", answer_time=f"{day} 09:00:05", end_time=f"{day} 09:01:00",
                        outcome="REFUSED")
        calls.append(call("c100", f"{day} 17:00:00", campaign_id="SRV", callee_number=NUMBERS[0]))
    return calls


def _landing(root):
    assignments = [dict(agency_id="AG01", campaign_id="SRV", customer_id=f"K{k}", phone=n, assigned_from="2026-01-01",
                        assigned_to="") for k, n in enumerate(NUMBERS)]
    exceptions = [_exception("X1", rule_id="FREQ_AFTER_REFUSAL", subject="+86 138 1234 0000",
                             valid_from="2026-11-28", valid_to="2026-11-28")]
    disputes = [_dispute("D1", status="upheld", raised_on="2026-11-27", decided_by="Zhang Min",
                         decided_on="2026-11-27"),
                _dispute("D2", case_id=E7),
                _dispute("D3", case_id="C-ffffffffffff")]
    return make_landing(root / "landing", {day: {"AG01": _day_calls(day)} for day in DAYS},
                        assignments=REFERENCE["assignments"] + assignments, exceptions=exceptions, disputes=disputes)


@pytest.fixture(scope="module")
def four_days(tmp_path_factory):
    root = tmp_path_factory.mktemp("decisions")
    _landing(root)
    return root, {day: run_audit(config_for(root, day)).report_dir for day in DAYS}


def _decisions(report) -> dict[tuple[str, str], set[str]]:
    out: dict[tuple[str, str], set[str]] = {}
    for row in _rows(report / "violations.csv"):
        out.setdefault((row["rule_id"], row["call_id"]), set()).add(row["decision"])
    return out


def test_findings_carry_their_case_decision_day_by_day(four_days):
    _, reports = four_days
    assert _decisions(reports[DAYS[0]]) == {("CONF_AGENT_NOT_ACTIVE", "c099"): {""},   # D1 raised on the 27th: not yet
                                            ("CONF_AGENT_NOT_ACTIVE", "c098"): {"disputed"}}    # D2 open
    assert _decisions(reports[DAYS[1]]) == {("CONF_AGENT_NOT_ACTIVE", "c099"): {"dismissed"}}   # on decided_on
    assert _decisions(reports[DAYS[2]]) == {("CONF_AGENT_NOT_ACTIVE", "c099"): {""},           # the day after
                                            ("FREQ_AFTER_REFUSAL", "c100"): {"accepted"}}
    assert _decisions(reports[DAYS[3]]) == {("FREQ_AFTER_REFUSAL", "c000"): {""}}     # the exception ended


def test_cases_show_decisions_also_on_quiet_days_and_a_dispute_of_a_case_seen_earlier_is_known(four_days):
    _, reports = four_days
    shown = {day: {r["case_id"]: (r["status"], r["decision"], r["exception_id"], r["dispute_id"])
                   for r in _rows(reports[day] / "cases.csv")} for day in DAYS}
    assert shown[DAYS[0]] == {E9: ("new", "", "", ""), E7: ("new", "disputed", "", "D2")}
    assert shown[DAYS[1]] == {E9: ("open", "dismissed", "", "D1"), E7: ("quiet", "disputed", "", "D2")}
    assert shown[DAYS[2]] == {E9: ("open", "", "", "D1"), E7: ("quiet", "disputed", "", "D2"),
                              REFUSAL: ("new", "accepted", "X1", "")}
    assert shown[DAYS[3]] == {E9: ("quiet", "", "", "D1"), E7: ("quiet", "disputed", "", "D2"),
                              REFUSAL: ("open", "", "", "")}
    e9 = next(r for r in _rows(reports[DAYS[2]] / "cases.csv") if r["case_id"] == E9)
    assert e9["findings_episode"] == "3"                     # the lifecycle counts dismissed findings too
    assert e9["summary"].endswith("; dispute D1 upheld on 2026-11-27.")
    for day in DAYS:                                         # D3 names no case, on every day
        quarantined = [(q["source"], q["row_number"], q["reasons"]) for q in _rows(reports[day] / "quarantine.csv")]
        early = [("reference/disputes.csv", "1", "DQ_BAD_DATE")] if day == DAYS[0] else []   # raised the day after
        assert quarantined == early + [("reference/disputes.csv", "3", "DQ_BAD_KEY")]
        assert cli(["verify", str(reports[day])]) == 0


def test_scores_leave_out_accepted_and_dismissed_findings_and_keep_the_score_before_decisions(four_days):
    _, reports = four_days
    columns = ("findings", "critical_findings", "calls_confidentiality", "calls_frequency", "score_confidentiality",
               "score_frequency", "overall", "grade", "grade_capped", "overall_before_decisions",
               "grade_before_decisions")
    rows = {day: _rows(reports[day] / "scores.csv")[0] for day in DAYS}
    assert list(rows[DAYS[0]])[-7:] == ["overall_before_decisions", "grade_before_decisions",     # data-contract.md
                                        "complaints_30d", "complaint_rate_per_10k", "grade_gate",
                                        "messages_audited", "findings_sms"]
    table = {day: tuple(rows[day][c] for c in columns) for day in DAYS}
    # 26th: E9 not dismissed yet (D1 is dated the 27th), E7 disputed (counts): conf 2/100 -> 60, as before decisions
    assert table[DAYS[0]] == ("2", "0", "2", "0", "60.0", "100.0", "86.0", "B", "false", "86.0", "B")
    assert table[DAYS[1]] == ("0", "0", "0", "0", "100.0", "100.0", "100.0", "A", "false", "93.0", "A")
    # 28th: E9 counts; the refusal (critical) is accepted: no gate; before: freq 1/101, and that
    # critical call is 0.99 % of the calls: the critical_share_d gate gives D
    assert table[DAYS[2]] == ("1", "0", "1", "0", "80.2", "100.0", "93.07", "A", "false", "87.13", "D")
    # 29th: the refused customer is called again, the exception has ended: counts; 1 critical
    # call of 100 is 1 %: the critical_share_f gate gives F
    assert table[DAYS[3]] == ("1", "1", "0", "1", "100.0", "80.0", "94.0", "F", "true", "94.0", "F")
    assert (rows[DAYS[2]]["grade_gate"], rows[DAYS[3]]["grade_gate"]) == ("", "critical_share_f")


def test_a_rerun_with_the_same_inputs_is_byte_identical(four_days):
    root, reports = four_days
    first = {name: (reports[DAYS[2]] / name).read_bytes() for name in ("cases.csv", "violations.csv", "scores.csv")}
    again = run_audit(dataclasses.replace(config_for(root, DAYS[2]), run_id="again",
                                          generated_at="2026-12-01T00:00:00+00:00")).report_dir
    assert {name: (again / name).read_bytes() for name in first} == first


def test_verify_names_a_decision_table_delivered_after_the_audit(tmp_path, capsys):
    make_landing(tmp_path / "landing", {DAY: {"AG01": [call("c1", "2026-11-27 10:00:00")]}})
    report = run_audit(config_for(tmp_path)).report_dir
    make_landing(tmp_path / "landing", {DAY: {"AG01": [call("c1", "2026-11-27 10:00:00")]}},
                 exceptions=[_exception("X1")])
    capsys.readouterr()
    assert cli(["verify", str(report), "--strict-inputs"]) == 1
    assert "reference table exceptions: an audit now reads reference/exceptions.csv, which the manifest does not " \
           "list" in capsys.readouterr().err


def test_the_cli_shows_each_day_s_decision_of_a_case_and_the_register_s(four_days, capsys):
    root, _ = four_days
    store = str(root / "store")
    capsys.readouterr()
    assert cli(["case", E9, "--store", store]) == 0
    history = capsys.readouterr().out
    assert "  decisions: D1 (per day below)" in history
    days = {line.split()[0]: line for line in history.splitlines() if line.startswith("2026-11-")}
    assert days["2026-11-26"].split()[1:2] == ["new"] and "D1" not in days["2026-11-26"]    # dated the 27th
    assert days["2026-11-27"].rstrip().endswith("dismissed  D1")
    assert days["2026-11-28"].rstrip().endswith("D1") and "dismissed" not in days["2026-11-28"]
    assert cli(["cases", "--store", store, "--as-of", "2026-11-27", "--format", "csv"]) == 0
    register = {r["case_id"]: r for r in csv.DictReader(capsys.readouterr().out.splitlines())}
    assert (register[E7]["status"], register[E7]["decision"], register[E7]["dispute_id"]) == ("quiet", "disputed", "D2")


def test_a_rebuilt_day_keeps_the_decisions_it_was_audited_with(tmp_path):
    from audits.cases.case_store import ChainLink, read_decisions, write_case_day
    from audits.cases.decisions import DECIDED_COLUMNS
    from audits.cases.lifecycle import empty_counts, empty_snapshot

    day = dt.date(2026, 11, 27)
    link = ChainLink(day=day.isoformat(), previous_day="", previous_digest="", counts_sha256="x", resolve_after_days=7)
    decided = pd.DataFrame([[E9, "accepted", "X1", "", "accepted under exception X1 to 2026-11-27"]],
                           columns=list(DECIDED_COLUMNS))
    write_case_day(tmp_path, link, empty_counts(), empty_snapshot(), decided)
    write_case_day(tmp_path, dataclasses.replace(link, previous_digest="rebuilt"), empty_counts(), empty_snapshot())
    assert read_decisions(tmp_path, day).values.tolist() == decided.values.tolist()
