"""The CLI and the pipeline end to end on a literal landing zone: exit codes, report files,
determinism, atomic publishing, no unmasked personal data anywhere under <out>; history
checked against what the store wrote; machine errors and concurrent runs."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import errno
import hashlib
import json
import multiprocessing
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from audits import store
from audits.cli import default_run_id
from audits.cli import main as cli
from audits.config import ConfigError
from audits.ingest import load_reference
from audits.pipeline import (
    delivered_agencies,
    ingest_earlier_days,
    merge_rule_partitions,
    run_audit,
    stage_agency,
    stage_day,
    stage_publish,
    stage_reference,
    stage_rules,
)
from audits.privacy import key_fingerprint
from tests.holders import Holder
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


# --- errors of the machine: exit 2 with one paragraph, nothing half-written ----------------------

def _leftovers(tmp_path) -> list[str]:
    """Work files, staging folders and files written aside that a run left."""
    found = [p for p in tmp_path.rglob("*") if ".work" in p.parts or ".staging-" in p.name or ".tmp" in p.name]
    return sorted(p.relative_to(tmp_path).as_posix() for p in found)


def _stored_files_of_the_day(tmp_path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "store").rglob("*") if f"call_date={DAY}" in p.parts and p.is_file())


def test_store_pointing_at_a_file_is_refused_in_one_paragraph(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AUDIT_HMAC_SECRET", "s")
    _landing(tmp_path)
    (tmp_path / "store").write_text("not a folder")
    assert _run_cli(tmp_path) == 2
    message = capsys.readouterr().err
    assert message.startswith(f"Cannot audit {DAY}: --store {tmp_path / 'store'} is a file, not a folder.")
    assert len(message.strip().splitlines()) == 1 and "Traceback" not in message
    assert not (tmp_path / "out").exists()


def test_out_of_disk_while_storing_the_day_exits_2_and_leaves_nothing_half_written(tmp_path, capsys, monkeypatch):
    """Out of disk once gave a raw traceback, exit 1, staging left behind and a refusals
    partition written without its calls partition."""
    monkeypatch.setenv("AUDIT_HMAC_SECRET", "s")
    _landing(tmp_path)
    real_write = pq.write_table

    def out_of_disk(table, where, *args, **kwargs):
        if f"call_date={DAY}" in str(where) and "/calls/" in str(where):
            raise OSError(errno.ENOSPC, "No space left on device", str(where))
        return real_write(table, where, *args, **kwargs)

    monkeypatch.setattr(pq, "write_table", out_of_disk)
    assert _run_cli(tmp_path) == 2
    message = capsys.readouterr().err
    assert message.startswith(f"Cannot audit {DAY}: No space left on device at {tmp_path / 'store' / 'calls'}")
    assert "free space on that file system" in message and "Nothing was published" in message
    assert len(message.strip().splitlines()) == 1 and "Traceback" not in message
    assert _leftovers(tmp_path) == []
    assert _stored_files_of_the_day(tmp_path) == [] and not store.has_day(tmp_path / "store", DAY)
    assert not (tmp_path / "out" / DAY.isoformat()).exists()


def _in_private_mounts(tmp_path, setup: str, check: str) -> subprocess.CompletedProcess:
    """`python -m audits run` in a private user and mount namespace (unshare -rm) after the shell
    commands `setup` (mounts that only this process sees), then the shell commands `check`."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-rm", "true"]).returncode != 0:
        pytest.skip("needs unshare -rm (user and mount namespaces) to mount a read-only or full file system")
    command = " ".join(shlex.quote(part) for part in [
        sys.executable, "-m", "audits", "run", "--date", DAY.isoformat(), "--landing", str(tmp_path / "landing"),
        "--out", str(tmp_path / "out"), "--store", str(tmp_path / "store"), "--run-id", "r1", "--workers", "1"])
    environment = {**os.environ, "PYTHONPATH": str(REPO), "AUDIT_HMAC_SECRET": "s"}
    return subprocess.run(["unshare", "-rm", "sh", "-c", f"{setup} && {{ {command}; echo exit=$?; {check}; }}"],
                          capture_output=True, text=True, env=environment, timeout=300)


@pytest.mark.slow                                   # the command line in a subprocess
def test_a_read_only_out_exits_2_in_one_paragraph(tmp_path):
    _landing(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    done = _in_private_mounts(tmp_path, f"mount --bind {out} {out} && mount -o remount,bind,ro {out}", "true")
    assert "exit=2" in done.stdout, done.stderr
    assert done.stderr.startswith(f"Cannot audit {DAY}: Read-only file system at {out}")
    assert "that file system is read-only: pass a writable folder" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert _leftovers(tmp_path) == [] and not (tmp_path / "store").exists()     # stopped before any work


@pytest.mark.parametrize("full", ["store", "out"])
@pytest.mark.slow                                   # the command line in a subprocess
def test_a_full_file_system_exits_2_and_leaves_nothing_behind(tmp_path, full):
    """A real out-of-space (a 64 KiB tmpfs) under the store or the reports."""
    _landing(tmp_path)
    folder = tmp_path / full
    folder.mkdir()
    out, day = tmp_path / "out", tmp_path / "store" / "calls" / f"call_date={DAY}"
    done = _in_private_mounts(   # what is left is looked at inside: the tmpfs goes with the namespace
        tmp_path, f"mount -t tmpfs -o size=64k tmpfs {folder}",
        f"find {tmp_path} -name .work -print -o -name '*.staging-*' -print -o -name '*.tmp' -print; "
        f"find {out} -type f ! -name '.*.lock' -print; echo day:; ls {day} 2>/dev/null")
    assert "exit=2" in done.stdout, done.stderr
    assert done.stderr.startswith(f"Cannot audit {DAY}: ") and "No space left on device" in done.stderr
    assert "free space on that file system" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    left, stored = done.stdout.split("exit=2")[1].split("day:")
    assert left.strip() == ""                                          # no work files, staging, report
    assert stored.split() in ([], ["calls.parquet", "partition.json"])  # the day whole or not at all


# --- concurrent runs -----------------------------------------------------------------------------

def _cli_process(tmp_path, *extra) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "audits", "run", "--date", DAY.isoformat(), "--landing",
                             str(tmp_path / "landing"), "--out", str(tmp_path / "out"), "--store",
                             str(tmp_path / "store"), "--workers", "1", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO), "AUDIT_HMAC_SECRET": "s"})


@pytest.mark.slow                                   # the command line in subprocesses
def test_runs_of_a_day_started_together_all_complete_one_after_the_other(tmp_path):
    """Two runs in the same second (so the same run id) once shared a work directory and one
    died (FileNotFoundError …accepted.parquet.tmp). Three started at once: each waits for
    the day's lock; before, one or two died in most tries (a race: not every try)."""
    _landing(tmp_path)
    runs = [_cli_process(tmp_path, "--run-id", "nightly") for _ in range(3)]
    results = [(run.wait(300), run.stderr.read()) for run in runs]
    assert [code for code, _ in results] == [0, 0, 0], results
    assert not any("Traceback" in err for _, err in results)
    report = tmp_path / "out" / DAY.isoformat()
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["supersedes"]["run_id"] == "nightly" and (report / "superseded" / "nightly").is_dir()
    assert cli(["verify", str(report)]) == 0
    assert _leftovers(tmp_path) == []


def test_default_run_ids_differ_between_runs_started_in_the_same_second():
    when = dt.datetime(2026, 11, 28, 2, 0, 0, 123456, tzinfo=dt.UTC)
    code = f"import datetime as dt; from audits.cli import default_run_id; print(default_run_id(dt.datetime.fromisoformat({when.isoformat()!r})))"
    ids = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}).stdout.strip() for _ in range(2)}
    assert len(ids) == 2 and all(i.startswith("manual__20261128T020000.123456Z-") for i in ids)
    assert default_run_id(when) != default_run_id(when.replace(microsecond=123457))


def test_a_run_that_cannot_get_the_days_lock_names_the_holder(tmp_path, capsys, monkeypatch):
    """The lock's message names the holder (run id, pid, host, since)."""
    monkeypatch.setenv("AUDIT_HMAC_SECRET", "s")
    _landing(tmp_path)
    (tmp_path / "out").mkdir()
    with Holder(tmp_path / "out" / f".{DAY}.lock", what="the report",
                run_id="scheduled__2026-11-27T18:00:00+00:00") as holder:     # held until killed
        assert _run_cli(tmp_path, "--lock-wait", "0.5") == 2
    message = capsys.readouterr().err
    assert f"Cannot audit {DAY}: the report of {DAY} in {tmp_path / 'out'} is locked by run " \
           f"scheduled__2026-11-27T18:00:00+00:00 (pid {holder.pid} on {socket.gethostname()}, since 20" in message
    assert "after waiting 0.5 s" in message and len(message.strip().splitlines()) == 1
    assert _leftovers(tmp_path) == []
    assert _run_cli(tmp_path) == 0                  # killed, the holder's lock is gone with it


def _ingest_as(tmp_path, day: dt.date, run_id: str) -> None:
    config = dataclasses.replace(config_for(tmp_path, day), run_id=run_id)
    contracts = load_reference(config.landing, audit_date=day, rulepack=config.rulepack)["contracts"].accepted
    ingest_earlier_days(config, contracts, progress=lambda _m: None)


def test_runs_started_together_ingest_each_earlier_day_once(tmp_path, monkeypatch):
    """With three days triggered at once, each run once ingested every missing earlier day
    itself (days written three times): each day is ingested once."""
    days = [DAY - dt.timedelta(days=k) for k in range(3, -1, -1)]
    make_landing(tmp_path / "landing", {d: {"AG01": [call(f"{d:%d}-1", f"{d} 10:00:00")]} for d in days})
    written = tmp_path / "written.txt"
    real_write_day = store.write_day

    def counted(root, day, calls, **kwargs):
        with written.open("a") as log:
            log.write(f"{day}\n")
        return real_write_day(root, day, calls, **kwargs)

    monkeypatch.setattr(store, "write_day", counted)
    context = multiprocessing.get_context("fork")
    runs = [context.Process(target=_ingest_as, args=(tmp_path, day, f"run-{day}")) for day in days[1:]]
    for run in runs:
        run.start()
    for run in runs:
        run.join(300)
    assert [run.exitcode for run in runs] == [0, 0, 0]
    assert sorted(written.read_text().split()) == [d.isoformat() for d in days[:3]]      # once each
