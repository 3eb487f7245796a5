"""Text messages through the whole audit (sms.md): a tiny literal landing of three agencies over
two days, calls and texts, run by run_audit and the command line. Findings on messages are rows
of violations.csv with channel sms; opt-outs and refusals of an earlier day stop texts and calls
across channels and agencies; CONTACT_ROLLING_7D counts the store's earlier days of both
channels; a text from an agency whose contract has no sms is out of scope; an agency that owes
an SMS file and sent none scores 0 on data quality but is assessed; reruns are byte-identical and
rule partitions find the same."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from audits.cli import main as cli
from audits.pipeline import merge_rule_partitions, run_audit, stage_agency, stage_day, stage_publish, \
    stage_reference, stage_rules
from tests.landing import CALLER, CUSTOMER, OTHER, REFERENCE, call, config_for, make_landing
from tests.sms.messages import write_sms

D0, D1 = dt.date(2026, 11, 26), dt.date(2026, 11, 27)
THIRD = "13700001234"                         # a number contacted eleven times in two days
PORTS = {"AG01": "106900001111", "AG02": "106900002222", "AG03": "106900003333"}
SIGNED = "【华信银行】您的额度已提升，回复T退订"


def text(message_id: str, sent: str, agency: str = "AG01", **fields) -> dict:
    """A signed marketing text DELIVERED from the agency's port to CUSTOMER."""
    row = dict(message_id=message_id, agency_id=agency, agent_id="", campaign_id="MKT", direction="MT",
               sender=PORTS[agency], customer_number=CUSTOMER, sent_at=sent, status="DELIVERED", text=SIGNED,
               customer_tz="")
    row.update(fields)
    return row


def reference() -> dict:
    contract = REFERENCE["contracts"][0]
    contracts = [{**contract, "channels": "call;sms"},
                 {**contract, "agency_id": "AG02", "agency_name": "AG02", "contract_id": "C2", "channels": "call;sms"},
                 {**contract, "agency_id": "AG03", "agency_name": "AG03", "contract_id": "C3", "channels": "call"}]
    agents = [{**REFERENCE["agents"][0], "agency_id": a} for a in ("AG01", "AG02", "AG03")]
    numbers = [dict(agency_id=a, caller_number=CALLER, registered_from="2025-01-01", registered_to="", channel="")
               for a in ("AG01", "AG02")]
    numbers += [dict(agency_id=a, caller_number=p, registered_from="2025-01-01", registered_to="", channel="sms")
                for a, p in PORTS.items()]
    assignments = [dict(agency_id=a, campaign_id="MKT", customer_id=k, phone=n, assigned_from="2026-01-01",
                        assigned_to="") for a in ("AG01", "AG02", "AG03")
                   for k, n in (("K1", CUSTOMER), ("K2", OTHER), ("K3", THIRD))]
    consents = [*REFERENCE["consents"], dict(customer_id="K3", phone=THIRD, marketing_consent_at="2026-01-01 00:00:00",
                                             marketing_withdrawn_at="")]
    return dict(contracts=contracts, agents=agents, caller_numbers=numbers, assignments=assignments,
                consents=consents)


def sms_landing(root: Path) -> Path:
    """D0: AG02 hears CUSTOMER refuse by phone, OTHER opts out by text to AG02, THIRD gets five
    calls and four texts. D1: AG01 texts CUSTOMER (after the refusal), texts and calls OTHER (after
    the opt-out), texts THIRD twice (the 10th and 11th contact in 7 days); AG03, without sms in its
    contract, texts; AG02 sends calls only although its contract includes sms."""
    days = {
        D0: {"AG02": [call("c0-refused", f"{D0} 09:00:00", agency_id="AG02", disposition="ANSWERED",
                           answer_time=f"{D0} 09:00:05", end_time=f"{D0} 09:01:00", outcome="REFUSED")],
             "AG01": [call(f"c0-{k}", f"{D0} 1{k}:00:00", callee_number=THIRD) for k in range(5)]},
        D1: {"AG01": [call("c1-after-opt-out", f"{D1} 11:00:00", callee_number=OTHER)],
             "AG02": [call("c1-clean", f"{D1} 12:00:00", agency_id="AG02", campaign_id="COL")]},
    }
    landing = make_landing(root / "landing", days, **reference())
    write_sms(landing, [text("m0-reply", f"{D0} 10:30:00", agency="AG02", direction="MO", status="",
                             customer_number=OTHER, text="退订")]
              + [text(f"m0-{k}", f"{D0} 1{k}:30:00", agency="AG02", customer_number=THIRD, campaign_id="MKT")
                 for k in range(4)], agency_id="AG02", day=D0)
    write_sms(landing, [text("m1-after-refusal", f"{D1} 10:00:00"),
                        text("m1-after-opt-out", f"{D1} 10:10:00", customer_number=OTHER),
                        text("m1-tenth", f"{D1} 14:00:00", customer_number=THIRD),
                        text("m1-eleventh", f"{D1} 15:00:00", customer_number=THIRD)], agency_id="AG01", day=D1)
    write_sms(landing, [text("m1-out-of-scope", f"{D1} 10:00:00", agency="AG03", customer_number=OTHER,
                             campaign_id="COL")], agency_id="AG03", day=D1)
    return landing


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def findings(report: Path) -> set[tuple[str, str, str, str]]:
    return {(r["agency_id"], r["call_id"], r["rule_id"], r["channel"]) for r in rows(report / "violations.csv")}


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    root = tmp_path_factory.mktemp("sms-pipeline")
    sms_landing(root)
    report = run_audit(config_for(root, D1)).report_dir
    return root, report


def test_findings_on_texts_are_rows_with_channel_sms(audited):
    _, report = audited
    found = findings(report)
    assert ("AG01", "m1-after-refusal", "SMS_AFTER_OPT_OUT", "sms") in found          # refused by phone at AG02
    assert ("AG01", "m1-after-opt-out", "SMS_AFTER_OPT_OUT", "sms") in found          # opted out by text on D0
    assert ("AG01", "c1-after-opt-out", "FREQ_AFTER_REFUSAL", "call") in found        # opted out, then a call
    assert ("AG01", "m1-eleventh", "CONTACT_ROLLING_7D", "sms") in found               # 5 calls + 4 texts on D0
    assert ("AG01", "m1-tenth", "CONTACT_ROLLING_7D", "sms") not in found
    assert ("AG03", "m1-out-of-scope", "QUAL_OUT_OF_SCOPE", "sms") in found
    assert not any(rule == "SMS_AFTER_OPT_OUT" for _, ident, rule, _ in found if ident == "m1-tenth")
    header = (report / "violations.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith(",case_id,decision,channel")
    assert {r["channel"] for r in rows(report / "violations.csv")} == {"call", "sms"}
    assert "退订" not in (report / "violations.csv").read_text(encoding="utf-8")


def test_scores_count_messages_and_the_missing_sms_file(audited):
    _, report = audited
    header = (report / "scores.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[-3:] == ["grade_gate", "messages_audited", "findings_sms"]
    scores = {r["agency_id"]: r for r in rows(report / "scores.csv")}
    assert set(scores) == {"AG01", "AG02", "AG03"}                       # AG03 delivered texts only
    assert (scores["AG01"]["calls_audited"], scores["AG01"]["messages_audited"]) == ("1", "4")
    sms_findings = sum(1 for r in rows(report / "violations.csv") if r["agency_id"] == "AG01" and r["channel"] == "sms")
    assert scores["AG01"]["findings_sms"] == str(sms_findings) and sms_findings >= 3
    assert scores["AG02"]["assessed"] == "true" and scores["AG02"]["score_data_quality"] == "0.0"
    assert scores["AG02"]["overall"] != ""
    assert scores["AG03"]["messages_audited"] == "1" and scores["AG03"]["assessed"] == "true"


def test_the_manifest_lists_sms_files_and_quarantine_holds_sms_rows(audited, tmp_path):
    root, report = audited
    manifest = json.loads((report / "manifest.json").read_text())
    inputs = {i["path"]: i for i in manifest["inputs"]}
    ag01 = inputs[f"sms/{D1}/AG01.csv"]
    assert (ag01["table"], ag01["rows"], ag01["rows_accepted"], ag01["rows_quarantined"]) == ("sms", 4, 4, 0)
    assert len(ag01["sha256"]) == 64
    assert inputs[f"sms/{D1}/AG02.csv"]["status"] == "missing"
    assert manifest["row_conservation"]["ok"] is True
    assert (report / "dq" / "sms.json").is_file()
    assert any(h["path"].endswith(f"messages/sent_date={D0}/messages.parquet") for h in manifest["history"])
    assert cli(["verify", str(report)]) == 0


def test_quarantined_texts_are_listed_masked(tmp_path):
    landing = sms_landing(tmp_path)
    write_sms(landing, [text("m1-ok", f"{D1} 10:00:00"),
                        text("m1-bad", f"{D1} 10:00:00", customer_number="12345", text="身份证110101199003077777")],
              agency_id="AG01", day=D1)
    report = run_audit(config_for(tmp_path, D1)).report_dir
    (bad,) = [r for r in rows(report / "quarantine.csv") if r["call_id"] == "m1-bad"]
    assert bad["source"] == f"sms/{D1}/AG01.csv" and "DQ_BAD_PHONE" in bad["reasons"]
    assert "110101199003077777" not in (report / "quarantine.csv").read_text(encoding="utf-8")


def _outputs(report: Path) -> dict[str, bytes]:
    return {str(p.relative_to(report)): p.read_bytes() for p in sorted(report.rglob("*"))
            if p.is_file() and "superseded" not in p.parts}


def test_a_rerun_is_byte_identical(audited, tmp_path):
    root, report = audited
    first = _outputs(report)
    again = run_audit(dataclasses.replace(config_for(root, D1), run_id="test-run")).report_dir
    second = _outputs(again)
    assert set(first) == set(second)
    changed = [name for name in first if first[name] != second[name] and name not in ("manifest.json",)]
    assert changed == []
    first_manifest, second_manifest = json.loads(first["manifest.json"]), json.loads(second["manifest.json"])
    for key in ("inputs", "row_conservation", "history", "outputs"):
        assert first_manifest[key] == second_manifest[key], key


def test_the_command_line_audits_texts(tmp_path):
    sms_landing(tmp_path)
    code = cli(["run", "--date", D1.isoformat(), "--landing", str(tmp_path / "landing"), "--out",
                str(tmp_path / "out"), "--store", str(tmp_path / "store"), "--run-id", "r1"])
    assert code == 0
    assert ("AG01", "m1-eleventh", "CONTACT_ROLLING_7D", "sms") in findings(tmp_path / "out" / D1.isoformat())


def test_rule_partitions_find_the_same(audited, tmp_path):
    root, report = audited
    sms_landing(tmp_path)
    config = dataclasses.replace(config_for(tmp_path, D1), run_id="parts")
    for agency in stage_reference(config):
        stage_agency(config, agency)
    stage_day(config)
    for part in range(3):
        stage_rules(config, partition=part, partitions=3)
    merge_rule_partitions(config, 3)
    parted = stage_publish(config).report_dir
    assert (parted / "violations.csv").read_bytes() == (report / "violations.csv").read_bytes()
