"""Cases end to end through run_audit on tiny literal landing zones: case_id in violations.csv,
cases.csv (one line per case however many calls), reruns, an out-of-order rerun, verify and
the CLI."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import hmac
import io

from audits.cases.keys import case_id
from audits.cases.summary import CASE_COLUMNS
from audits.cli import main as cli
from audits.config import DEVELOPMENT_HMAC_SECRET
from audits.manifest import sha256_path
from audits.pipeline import run_audit
from audits.rulepack import RULEPACK_DIR as REPO_PACKS
from audits.rulepack import load_rulepack
from tests.landing import DAY, OTHER, call, config_for, make_landing

UNREGISTERED = "+86 138 0000 1111"


def _rows(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _agency_without_contract(tmp_path):
    """AG02 delivers five calls without a contract, roster, caller numbers or assignments."""
    calls = [call(f"b{k}", f"2026-11-27 1{k}:00:00", agency_id="AG02", agent_id="E7", caller_number=UNREGISTERED,
                  callee_number=OTHER, campaign_id="COL") for k in range(5)]
    return make_landing(tmp_path / "landing", {DAY: {"AG01": [call("a1", "2026-11-27 10:00:00")], "AG02": calls}})


def test_cases_csv_has_one_line_per_case_however_many_calls(tmp_path):
    _agency_without_contract(tmp_path)
    report = run_audit(config_for(tmp_path)).report_dir
    cases = _rows(report / "cases.csv")
    assert list(cases[0]) == [*CASE_COLUMNS, "complaints"]          # signals.md §1 appends complaints
    by_rule = {row["rule_id"]: row for row in cases if row["agency_id"] == "AG02"}
    no_contract = by_rule["QUAL_NO_CONTRACT"]
    assert (no_contract["case_id"], no_contract["subject_kind"], no_contract["subject_display"], no_contract["status"],
            no_contract["findings_today"], no_contract["days_open"]) == (
        case_id("AG02", "QUAL_NO_CONTRACT", ""), "agency", "AG02", "new", "5", "1")
    assert no_contract["summary"] == "No contract in force since 2026-11-27 (1 day); 5 calls on 2026-11-27, last at 14:00."
    caller = by_rule["QUAL_UNREGISTERED_CALLER_ID"]
    caller_key = hmac.new(DEVELOPMENT_HMAC_SECRET, b"+8613800001111", hashlib.sha256).hexdigest()
    assert (caller["case_id"], caller["subject_display"]) == (
        case_id("AG02", "QUAL_UNREGISTERED_CALLER_ID", caller_key), "+86 138****1111")
    assert by_rule["CONF_UNASSIGNED"]["subject_display"] == "+86 139****4321"
    assert by_rule["CONF_AGENT_NOT_ACTIVE"]["subject_display"] == "E7"
    assert [r["severity"] for r in cases if r["agency_id"] == "AG02"][:2] == ["critical", "critical"]
    violations = _rows(report / "violations.csv")
    assert {v["case_id"] for v in violations if v["rule_id"] == "QUAL_NO_CONTRACT"} == {no_contract["case_id"]}
    assert {v["decision"] for v in violations} == {""}
    assert "1380000" not in (report / "cases.csv").read_text(encoding="utf-8")
    assert cli(["verify", str(report)]) == 0


def test_a_rerun_gives_a_byte_identical_cases_csv(tmp_path):
    _agency_without_contract(tmp_path)
    first = (run_audit(config_for(tmp_path)).report_dir / "cases.csv").read_bytes()
    again = run_audit(dataclasses.replace(config_for(tmp_path), run_id="second", generated_at="2026-12-01T00:00:00+00:00"))
    assert (again.report_dir / "cases.csv").read_bytes() == first


def test_verify_names_a_cases_csv_that_disagrees_with_violations_csv(tmp_path, capsys):
    _agency_without_contract(tmp_path)
    report = run_audit(config_for(tmp_path)).report_dir
    text = (report / "cases.csv").read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if "QUAL_NO_CONTRACT" in line)
    (report / "cases.csv").write_text(text.replace(line, line.replace(",5,5,5,", ",4,5,5,")), encoding="utf-8")
    import json
    manifest = json.loads((report / "manifest.json").read_text())
    manifest["outputs"]["cases.csv"] = sha256_path(report / "cases.csv")
    (report / "manifest.json").write_text(json.dumps(manifest))
    assert cli(["verify", str(report)]) == 1
    assert f"case {case_id('AG02', 'QUAL_NO_CONTRACT', '')} findings_today is 4; violations.csv holds 5" \
        in capsys.readouterr().err


DAYS = [dt.date(2026, 11, 24) + dt.timedelta(days=k) for k in range(4)]


def _days(unknown_agent_on: set[int]) -> dict:
    """Four days of AG01 calls; on the days given one call is by the unknown agent E9."""
    return {day: {"AG01": [call(f"c{k}", f"{day} 10:00:00")]
                  + ([call(f"e{k}", f"{day} 11:00:00", agent_id="E9")] if k in unknown_agent_on else [])}
            for k, day in enumerate(DAYS)}


def _audit(root, day):
    return run_audit(config_for(root, day)).report_dir


def test_an_out_of_order_rerun_equals_a_sequential_run_with_the_changed_inputs(tmp_path):
    before, after = {0, 1, 3}, {0, 3}                  # the rerun of D2 drops E9's call
    make_landing(tmp_path / "a" / "landing", _days(before))
    for day in DAYS:
        _audit(tmp_path / "a", day)
    make_landing(tmp_path / "a" / "landing", _days(after))
    _audit(tmp_path / "a", DAYS[1])
    rerun = (_audit(tmp_path / "a", DAYS[3]) / "cases.csv").read_bytes()

    make_landing(tmp_path / "b" / "landing", _days(after))
    for day in DAYS:
        scratch = _audit(tmp_path / "b", day)
    assert rerun == (scratch / "cases.csv").read_bytes()
    row = next(r for r in _rows(scratch / "cases.csv") if r["rule_id"] == "CONF_AGENT_NOT_ACTIVE")
    assert (row["status"], row["first_seen"], row["findings_episode"], row["days_open"]) == ("open", "2026-11-24", "2", "4")


def test_the_cli_prints_the_register_and_a_case_history_masked(tmp_path, capsys):
    _agency_without_contract(tmp_path)
    run_audit(config_for(tmp_path))
    store = str(tmp_path / "store")
    capsys.readouterr()
    assert cli(["cases", "--store", store, "--agency", "AG02", "--status", "new", "--format", "csv"]) == 0
    register = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["rule_id"] for r in register} >= {"QUAL_NO_CONTRACT", "QUAL_UNREGISTERED_CALLER_ID", "CONF_UNASSIGNED"}
    assert {r["agency_id"] for r in register} == {"AG02"}
    assert cli(["cases", "--store", store]) == 0
    table = capsys.readouterr().out
    assert table.startswith("Cases on 2026-11-27:") and "+86 138****1111" in table and "13800001111" not in table
    assert cli(["case", case_id("AG02", "QUAL_NO_CONTRACT", ""), "--store", store]) == 0
    history = capsys.readouterr().out
    assert "Case C-" in history and "2026-11-27  new" in history
    assert cli(["case", "C-000000000000", "--store", store]) == 2
    assert cli(["cases", "--store", str(tmp_path / "empty")]) == 2


def test_a_case_is_not_resolved_on_a_day_its_agency_file_is_missing(tmp_path):
    # resolve_after_days 1: AG01's unregistered-caller case of the 27th would resolve on the 28th,
    # but AG01 delivers no file that day (not assessed); it resolves on the 29th, assessed.
    pack = tmp_path / "pack.yaml"
    text = (REPO_PACKS / "cn_bank.yaml").read_text(encoding="utf-8")
    pack.write_text(text.replace("resolve_after_days: 7", "resolve_after_days: 1"), encoding="utf-8")
    days = [DAY + dt.timedelta(days=k) for k in range(3)]
    make_landing(tmp_path / "landing", {
        days[0]: {"AG01": [call("a1", "2026-11-27 10:00:00", caller_number=UNREGISTERED)]},
        days[2]: {"AG01": [call("a3", "2026-11-29 10:00:00")]}})
    statuses = []
    for day in days:
        report = run_audit(dataclasses.replace(config_for(tmp_path, day), rulepack=load_rulepack(str(pack)))).report_dir
        rows = [r for r in _rows(report / "cases.csv") if r["rule_id"] == "QUAL_UNREGISTERED_CALLER_ID"]
        statuses.append((rows[0]["status"], rows[0]["summary"].split(":")[-1]) if rows else None)
    assert [s for s, _ in statuses] == ["new", "quiet", "resolved"]
    assert "0 assessed days" in statuses[1][1] and "1 assessed day)" in statuses[2][1]
