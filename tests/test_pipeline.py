"""The CLI and the pipeline end to end on a literal landing zone: exit codes, report files,
determinism, atomic publishing, no unmasked personal data anywhere under <out>; history
checked against what the store wrote (machine errors and concurrent runs: test_run_failures.py)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from audits.cli import main as cli
from audits.config import ConfigError
from audits.pipeline import (
    delivered_agencies,
    merge_rule_partitions,
    run_audit,
    stage_agency,
    stage_day,
    stage_publish,
    stage_reference,
    stage_rules,
)
from audits.privacy import key_fingerprint
from tests.landing import CUSTOMER, DAY, OTHER, call, config_for, make_landing

REPO = Path(__file__).resolve().parents[1]

NOTES_WITH_PII = f"客户身份证 11010519491231002X，卡号 4111111111111111，手机 {OTHER}"


def _landing(tmp_path):
    return make_landing(tmp_path / "landing", {DAY: {"AG01": [
        call("c1", "2026-11-27 09:00:00", notes=NOTES_WITH_PII),
        call("c2", "2026-11-27 21:30:00"),
        call("c3", "2026-11-27 10:00:00", caller_number="+86 138 0000 1111", callee_number="1381234567"),
    ]}})


def _run_cli(tmp_path, *extra):
    return cli(["run", "--date", DAY.isoformat(), "--landing", str(tmp_path / "landing"), "--out",
                str(tmp_path / "out"), "--store", str(tmp_path / "store"), "--run-id", "r1", *extra])


def test_cli_run_writes_the_report_and_exits_zero_with_findings(tmp_path, capsys):
    _landing(tmp_path)
    assert _run_cli(tmp_path) == 0
    report = tmp_path / "out" / DAY.isoformat()
    assert "Report:" in capsys.readouterr().out
    header = (report / "violations.csv").read_text().splitlines()[0]
    assert header == ("audit_date,agency_id,rule_id,family,severity,call_id,agent_id,campaign_id,"
                      "callee_masked,callee_key,start_time,detail,case_id,decision,channel")
    assert (report / "quarantine.csv").read_text().splitlines()[0] == \
        "audit_date,source,agency_id,row_number,call_id,reasons,raw"
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["row_conservation"]["ok"] is True
    cdr = next(i for i in manifest["inputs"] if i["table"] == "cdr")
    assert (cdr["rows"], cdr["rows_accepted"], cdr["rows_quarantined"]) == (3, 2, 1)
    assert manifest["rulepack"]["name"] == "cn_bank" and len(manifest["rulepack"]["sha256"]) == 64
    assert set(manifest["outputs"]) >= {"violations.csv", "quarantine.csv", "scores.csv", "cases.csv", "index.html",
                                        "summary.xlsx", "agencies/AG01.html", "agencies/AG01.xlsx"}
    assert cli(["verify", str(report)]) == 0


def test_violations_are_sorted_and_byte_identical_on_rerun(tmp_path):
    _landing(tmp_path)
    config = config_for(tmp_path)
    first = run_audit(config).report_dir
    violations = (first / "violations.csv").read_bytes()
    outputs = _files(first)
    rows = [line.split(",") for line in violations.decode().splitlines()[1:]]
    keys = [(r[1], r[2], r[10], r[5]) for r in rows]
    assert keys == sorted(keys)
    second = run_audit(config).report_dir
    assert (second / "violations.csv").read_bytes() == violations
    assert (second / "superseded" / "test-run" / "violations.csv").read_bytes() == violations
    rerun = _files(second)                       # every output but the manifest (it names what it supersedes)
    assert len(outputs) > 10 and {"dq/cdr.json", "scores.csv", "agencies/AG01.xlsx"} <= set(outputs)
    assert [name for name in outputs if rerun.get(name) != outputs[name]] == []


def _files(report) -> dict[str, bytes]:
    return {p.relative_to(report).as_posix(): p.read_bytes() for p in report.rglob("*")
            if p.is_file() and p.name != "manifest.json" and "superseded" not in p.relative_to(report).parts}


def test_no_unmasked_personal_data_under_out(tmp_path):
    _landing(tmp_path)
    assert _run_cli(tmp_path) == 0
    secrets = [CUSTOMER, OTHER, "11010519491231002X", "4111111111111111", "13800001111", "1381234567"]
    for path in (tmp_path / "out").rglob("*"):
        if not path.is_file():
            continue
        texts = [path.read_bytes().decode("utf-8", "replace")]
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as archive:
                texts = [archive.read(name).decode("utf-8", "replace") for name in archive.namelist()]
        for text in texts:
            digits_only = re.sub(r"[\s\-]", "", text)
            for secret in secrets:
                assert secret not in digits_only, f"{secret} in {path}"


def test_quarantine_csv_raw_is_the_row_as_delivered_through_the_staged_files(tmp_path):
    from tests.test_validation import DELIVERED, DELIVERED_CSV

    landing = make_landing(tmp_path / "landing")
    path = landing / "cdr" / DAY.isoformat() / "AG01.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(DELIVERED)
    report = run_audit(config_for(tmp_path)).report_dir
    with (report / "quarantine.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["call_id"], r["reasons"], r["raw"]) for r in rows] == DELIVERED_CSV
    assert b"\x00" not in (report / "quarantine.csv").read_bytes()


def test_failed_run_leaves_the_previous_report_intact(tmp_path, monkeypatch):
    _landing(tmp_path)
    config = config_for(tmp_path)
    report = run_audit(config).report_dir
    before = {p.relative_to(report): p.read_bytes() for p in report.rglob("*") if p.is_file()}

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("audits.report.write_reports", broken)
    with pytest.raises(OSError, match="disk full"):
        run_audit(config)
    after = {p.relative_to(report): p.read_bytes() for p in report.rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(f".{DAY.isoformat()}.staging")]


def test_cannot_audit_without_reference_data(tmp_path, capsys):
    landing = _landing(tmp_path)
    (landing / "reference" / "consents.csv").unlink()
    assert _run_cli(tmp_path) == 2
    message = capsys.readouterr().err
    assert "Reference table consents is missing" in message and "data-contract.md" in message


def test_unreadable_rulepack_and_missing_landing(tmp_path, capsys):
    _landing(tmp_path)
    assert _run_cli(tmp_path, "--rulepack", str(tmp_path / "nope.yaml")) == 2
    assert "rulepack" in capsys.readouterr().err
    assert cli(["run", "--date", DAY.isoformat(), "--landing", str(tmp_path / "absent"), "--out",
                str(tmp_path / "out")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_verify_names_a_changed_output(tmp_path, capsys):
    _landing(tmp_path)
    assert _run_cli(tmp_path) == 0
    report = tmp_path / "out" / DAY.isoformat()
    with (report / "scores.csv").open("a") as handle:
        handle.write("\n")
    assert cli(["verify", str(report)]) == 1
    assert "output scores.csv" in capsys.readouterr().err


# --- unreadable files: messages name columns and lines, never row content ---------------------

HEADERLESS = {   # the first line is a data row; the second variant repeats a value (a "duplicated column")
    "unique": "c1,AG01,A1,MKT,01065529988,13912345678,2026-11-27 09:00:00,2026-11-27 09:00:30,"
              "2026-11-27 09:01:00,ANSWERED,RIGHT_PARTY,ID 11010519491231002X,Asia/Shanghai\n",
    "repeated": "c1,AG01,A1,MKT,13912345678,13912345678,2026-11-27 09:00:00,,2026-11-27 09:00:00,NO_ANSWER,,"
                "11010519491231002X,11010519491231002X\n",
}
ROW_SECRETS = ("13912345678", "11010519491231002X", "01065529988")


def _texts_under(folder):
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as archive:
                yield from ((f"{path}!{name}", archive.read(name).decode("utf-8", "replace"))
                            for name in archive.namelist())
        elif path.is_file():
            yield str(path), path.read_bytes().decode("utf-8", "replace")


def _leaks(text):
    compact = re.sub(r"[\s\-]", "", text).upper()
    return [secret for secret in ROW_SECRETS if secret in compact]


@pytest.mark.parametrize("first_line", HEADERLESS.values(), ids=HEADERLESS.keys())
def test_headerless_cdr_file_puts_no_row_content_in_any_output(tmp_path, capsys, first_line):
    landing = make_landing(tmp_path / "landing")
    path = landing / "cdr" / DAY.isoformat() / "AG01.csv"
    path.parent.mkdir(parents=True)
    path.write_text(first_line + first_line.replace("c1,", "c2,", 1), encoding="utf-8")
    assert _run_cli(tmp_path, "--workers", "1") == 0
    captured = capsys.readouterr()
    report = tmp_path / "out" / DAY.isoformat()
    leaks = {name: _leaks(text) for name, text in [("stdout", captured.out), ("stderr", captured.err),
                                                   *_texts_under(tmp_path / "out")]}
    assert {name: found for name, found in leaks.items() if found} == {}
    message = next(i["message"] for i in json.loads((report / "manifest.json").read_text())["inputs"]
                   if i["table"] == "cdr")
    assert "AG01.csv" in message and "is the header row missing?" in message


def test_headerless_reference_table_puts_no_row_content_on_stderr(tmp_path, capsys):
    landing = _landing(tmp_path)
    (landing / "reference" / "consents.csv").write_text("K1,13912345678,2026-01-01 10:00,\n", encoding="utf-8")
    assert _run_cli(tmp_path) == 2
    err = capsys.readouterr().err
    assert _leaks(err) == []
    assert "Reference table consents cannot be read" in err and "is the header row missing?" in err


# --- CSV injection: no CSV under <out> holds a cell a spreadsheet would run ---------------------

def test_no_csv_cell_under_out_can_run_as_a_formula(tmp_path):
    from tests.landing import REFERENCE

    hyperlink = '=HYPERLINK("http://evil.example/?q=1","open")'
    contracts = [dict(REFERENCE["contracts"][0], agency_name=hyperlink)]
    make_landing(tmp_path / "landing", {DAY: {"AG01": [
        call("=1+2", "2026-11-27 10:00:00", agent_id="@SUM(A1)", campaign_id="+cmd|' /C calc'!A0"),
        call("-2+3+cmd|' /C calc'!A0", "2026-11-27 11:00:00", disposition="=1+2"),      # quarantined
    ]}}, contracts=contracts)
    assert _run_cli(tmp_path) == 0
    report = tmp_path / "out" / DAY.isoformat()
    cells = {}
    for path in sorted((tmp_path / "out").rglob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            cells[path.name] = [cell for row in csv.reader(handle) for cell in row]
    assert set(cells) == {"violations.csv", "quarantine.csv", "scores.csv", "cases.csv", "complaints.csv",
                          "warnings.csv", "decisions.csv"}
    runnable = {name: [c for c in found if c[:1] in ("=", "+", "-", "@", "\t", "\r")
                       and not re.fullmatch(r"[+-]?\d+(\.\d*)?(e[+-]?\d+)?|\+\d{1,3} [\d*]+", c)]
                for name, found in cells.items()}
    assert {name: found for name, found in runnable.items() if found} == {}
    assert {"'=1+2", "'@SUM(A1)", "'+cmd|' /C calc'!A0"} <= set(cells["violations.csv"])
    assert "+86 138****5678" in cells["violations.csv"]                     # the audit's masked phone as is
    assert {"'-2+3+cmd|' /C calc'!A0"} <= set(cells["quarantine.csv"])
    assert any(c.startswith("'-2+3+cmd") and "=1+2" in c for c in cells["quarantine.csv"])   # raw
    assert "'" + hyperlink in cells["scores.csv"]
    assert cli(["verify", str(report)]) == 0


def test_manifest_records_the_key_fingerprint_and_never_the_key(tmp_path):
    _landing(tmp_path)
    config = dataclasses.replace(config_for(tmp_path), hmac_secret=b"bank-secret-for-the-test")
    report = run_audit(config).report_dir
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["callee_key_fingerprint"] == key_fingerprint(b"bank-secret-for-the-test")
    assert "bank-secret-for-the-test" not in json.dumps(manifest)


@pytest.mark.parametrize("partitions", [1, 2])
def test_publish_refuses_callee_keys_made_with_another_workers_key(tmp_path, partitions):
    # A worker started without (or with another) AUDIT_HMAC_SECRET ran one rule partition: the
    # report would key the same number two ways, so nothing is published.
    _landing(tmp_path)
    good = dataclasses.replace(config_for(tmp_path), hmac_secret=b"shared-secret")
    stray = dataclasses.replace(good, hmac_secret=b"development-key")
    stage_reference(good)
    for agency in delivered_agencies(good):
        stage_agency(good, agency)
    stage_day(good)
    for partition in range(partitions):
        stage_rules(stray if partition == partitions - 1 else good, partition=partition, partitions=partitions)
    merge_rule_partitions(good, partitions)
    with pytest.raises(ConfigError) as refused:
        stage_publish(good)
    message = str(refused.value)
    assert key_fingerprint(b"shared-secret") in message and key_fingerprint(b"development-key") in message
    assert "AUDIT_HMAC_SECRET" in message and "shared-secret" not in message
    assert not (tmp_path / "out" / DAY.isoformat()).exists()


# --- what the store holds, checked ---------------------------------------------------------------

EARLIER = DAY - dt.timedelta(days=1)


def _rolling_landing(tmp_path):
    """Seven unanswered marketing attempts to CUSTOMER on 11-26, one more on 11-27: the 8th in
    seven days is FREQ_ROLLING_7D (cap 7), found only when the history of 11-26 is read."""
    return make_landing(tmp_path / "landing", {
        EARLIER: {"AG01": [call(f"y{k}", f"2026-11-26 {9 + k:02d}:00:00") for k in range(7)]},
        DAY: {"AG01": [call("c1", "2026-11-27 10:00:00")]},
    })


def test_an_emptied_or_truncated_history_partition_stops_the_run(tmp_path, capsys, monkeypatch):
    """An empty calls.parquet written for 2026-11-26 once let the 11-27 run exit 0, verify pass
    and FREQ_ROLLING_7D go from 4 to 0: the run stops instead."""
    monkeypatch.setenv("AUDIT_HMAC_SECRET", "s")
    _rolling_landing(tmp_path)
    assert _run_cli(tmp_path) == 0
    report = tmp_path / "out" / DAY.isoformat()
    assert "FREQ_ROLLING_7D" in (report / "violations.csv").read_text()
    partition = tmp_path / "store" / "calls" / f"call_date={EARLIER}" / "calls.parquet"
    original = partition.read_bytes()
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["history"] == [{"date": EARLIER.isoformat(), "path": str(partition.resolve()), "rows": 7,
                                    "sha256": hashlib.sha256(original).hexdigest()}]
    published = (report / "manifest.json").read_bytes()
    capsys.readouterr()

    pq.write_table(pq.read_table(partition).slice(0, 0), partition)            # emptied
    assert _run_cli(tmp_path) == 2
    message = capsys.readouterr().err
    assert f"call_date={EARLIER}" in message and "record says 7 rows" in message and "has 0 rows" in message
    assert f"Rebuild day {EARLIER} from the landing zone" in message and "Traceback" not in message
    assert (report / "manifest.json").read_bytes() == published                # nothing published

    partition.write_bytes(original[: len(original) // 2])                      # truncated
    assert _run_cli(tmp_path) == 2
    message = capsys.readouterr().err
    assert f"call_date={EARLIER}" in message and "unreadable rows" in message and "Traceback" not in message
    assert len(message.strip().splitlines()) == 1                              # one paragraph

    (partition.parent / "partition.json").unlink()                             # the store lacks the day now:
    assert _run_cli(tmp_path) == 0                                             # ingested again from the landing zone
    assert pd.read_parquet(partition)["call_id"].tolist() == [f"y{k}" for k in range(7)]
    assert "FREQ_ROLLING_7D" in (report / "violations.csv").read_text()
