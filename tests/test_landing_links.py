"""Links and foreign files in the landing zone: a symbolic link is never followed (its target
could be a private key, /etc/passwd or a process's environment), a file without the contract's
header is never echoed, and a file under reference/ that no audit reads is listed as not read."""

from __future__ import annotations

import csv
import json
import os

from audits.cli import main as cli
from audits.manifest import hash_mismatch, sha256_path
from audits.models import TABLE_COLUMNS
from tests.landing import DAY, call, make_landing, write_csv

CDR_COLUMNS = list(TABLE_COLUMNS["cdr"][0] + TABLE_COLUMNS["cdr"][1])
FOLDER = f"cdr/{DAY.isoformat()}"
# Text that looks like what a link may point at: a password file's lines and a key's body.
SECRET_LINES = ["daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
                "MC4CAQAwBQYDK2VwBCIEIKs3cr3tK3yB0dyTh4tMustN3v3rL3ak",
                "AIRFLOW_CONN_VENDOR_DB=postgresql://audit:Hunter2-Secret@db/vendor"]


def _secret_file(tmp_path):
    path = tmp_path / "elsewhere" / "secret.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(SECRET_LINES) + "\n", encoding="utf-8")
    return path


def _run(tmp_path) -> int:
    return cli(["run", "--date", DAY.isoformat(), "--landing", str(tmp_path / "landing"), "--out",
                str(tmp_path / "out"), "--store", str(tmp_path / "store"), "--run-id", "r1", "--workers", "1"])


def _report(tmp_path):
    return tmp_path / "out" / DAY.isoformat()


def _inputs(tmp_path) -> dict[str, dict]:
    manifest = json.loads((_report(tmp_path) / "manifest.json").read_text(encoding="utf-8"))
    return {entry["path"]: entry for entry in manifest["inputs"]}


def _quarantine(tmp_path) -> list[dict]:
    with (_report(tmp_path) / "quarantine.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _everything_written(tmp_path, said: str) -> str:
    """Every output file, the store, the landing zone (its own files) and what the command said."""
    texts = [said]
    for root in (tmp_path / "out", tmp_path / "store", tmp_path / "landing"):
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                texts.append(path.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(texts)


def _no_secret_in(text: str) -> None:
    for line in SECRET_LINES:
        for piece in (line, line.split(":")[0] + ":x:", line[10:40]):
            assert piece not in text, piece


def test_a_link_in_the_cdr_folder_is_unreadable_as_a_link_and_its_target_is_never_read(tmp_path, capsys):
    landing = make_landing(tmp_path / "landing", {DAY: {"AG01": [call("c1", "2026-11-27 10:00:00")]}})
    os.symlink(_secret_file(tmp_path), landing / FOLDER / "AG03.csv")
    assert _run(tmp_path) == 0
    said = capsys.readouterr()
    entry = _inputs(tmp_path)[f"{FOLDER}/AG03.csv"]
    assert (entry["status"], entry["sha256"], entry["rows"]) == ("unreadable", "", 0)
    assert "is a link" in entry["message"]
    rows = [r for r in _quarantine(tmp_path) if r["source"] == f"{FOLDER}/AG03.csv"]
    assert [(r["row_number"], r["reasons"]) for r in rows] == [("0", "DQ_FILE_UNREADABLE")]
    assert _inputs(tmp_path)[f"{FOLDER}/AG01.csv"]["rows_accepted"] == 1          # the others are audited
    _no_secret_in(_everything_written(tmp_path, said.out + said.err))


def test_a_link_named_as_a_reference_table_stops_the_run_naming_it(tmp_path, capsys):
    landing = make_landing(tmp_path / "landing", {DAY: {"AG01": [call("c1", "2026-11-27 10:00:00")]}})
    (landing / "reference" / "agents.csv").unlink()
    os.symlink(_secret_file(tmp_path), landing / "reference" / "agents.csv")
    assert _run(tmp_path) == 2
    said = capsys.readouterr()
    assert "Reference table agents cannot be read" in said.err and "is a link" in said.err
    assert not _report(tmp_path).exists()
    _no_secret_in(said.out + said.err)


def test_a_dangling_link_named_as_a_reference_table_is_a_link_not_a_missing_table(tmp_path, capsys):
    landing = make_landing(tmp_path / "landing", {DAY: {"AG01": [call("c1", "2026-11-27 10:00:00")]}})
    (landing / "reference" / "campaigns.csv").unlink()
    os.symlink(tmp_path / "nowhere.csv", landing / "reference" / "campaigns.csv")
    assert _run(tmp_path) == 2
    err = capsys.readouterr().err
    assert "Reference table campaigns cannot be read" in err and "is a link" in err


def test_a_file_without_the_contract_header_is_never_echoed_only_counted(tmp_path, capsys):
    landing = make_landing(tmp_path / "landing", {DAY: {"AG01": [call("c1", "2026-11-27 10:00:00")]}})
    (landing / FOLDER / "AG03.csv").write_text("\n".join(SECRET_LINES) + "\n", encoding="utf-8")
    assert _run(tmp_path) == 0
    said = capsys.readouterr()
    entry = _inputs(tmp_path)[f"{FOLDER}/AG03.csv"]
    assert (entry["status"], entry["rows"], entry["rows_quarantined"]) == ("unreadable", 2, 2)
    rows = [r for r in _quarantine(tmp_path) if r["source"] == f"{FOLDER}/AG03.csv"]
    assert [(r["row_number"], r["reasons"], r["raw"]) for r in rows] == [
        ("1", "DQ_FILE_UNREADABLE", ""), ("2", "DQ_FILE_UNREADABLE", "")]
    _no_secret_in(_everything_written(tmp_path, said.out + said.err).replace(
        (landing / FOLDER / "AG03.csv").read_text(encoding="utf-8"), ""))       # but for the file itself


def test_malformed_lines_of_an_unreadable_file_are_counted_not_echoed(tmp_path):
    landing = make_landing(tmp_path / "landing", {DAY: {"AG01": [call("c1", "2026-11-27 10:00:00")]}})
    (landing / FOLDER / "AG03.csv").write_text("user,home\nroot,/root,Hunter2-Secret\nadm,/var/adm\n",
                                               encoding="utf-8")
    assert _run(tmp_path) == 0
    rows = [r for r in _quarantine(tmp_path) if r["source"] == f"{FOLDER}/AG03.csv"]
    assert sorted((r["row_number"], r["raw"]) for r in rows) == [("1", ""), ("2", "")]
    assert "Hunter2" not in (_report(tmp_path) / "quarantine.csv").read_text(encoding="utf-8")


def test_a_file_under_reference_that_no_audit_reads_is_listed_as_not_read(tmp_path):
    landing = make_landing(tmp_path / "landing", {DAY: {"AG01": [call("c1", "2026-11-27 10:00:00")]}})
    write_csv(landing / "reference" / "complaints.csv", [{"complaint_id": "K1", "phone": "13812345678"}])
    write_csv(landing / "reference" / "agents.xlsx.bak", [{"agency_id": "AG01"}])
    assert _run(tmp_path) == 0
    inputs = _inputs(tmp_path)
    for name in ("reference/complaints.csv", "reference/agents.xlsx.bak"):
        entry = inputs[name]
        assert entry["status"] == "ignored" and len(entry["sha256"]) == 64 and entry["rows"] == 0
        assert "not read" in entry["message"]
    assert "complaints/<YYYY-MM-DD>.csv" in inputs["reference/complaints.csv"]["message"]
    index = (_report(tmp_path) / "index.html").read_text(encoding="utf-8")
    assert "reference/complaints.csv" in index and "reference/agents.xlsx.bak" in index
    assert cli(["verify", str(_report(tmp_path))]) == 0


def test_verify_never_follows_a_link_when_it_hashes_a_file_again(tmp_path):
    real = tmp_path / "AG01.csv"
    real.write_text("call_id\n1\n", encoding="utf-8")
    link = tmp_path / "linked.csv"
    link.symlink_to(real)
    assert hash_mismatch(real, sha256_path(real), "input", "changed") == []
    [problem] = hash_mismatch(link, sha256_path(real), "input", "changed")
    assert "is a link" in problem
