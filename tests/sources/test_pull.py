"""`python -m audits pull` against real servers (sources.md §3): an OpenSSH server and a
PostgreSQL cluster started by the tests (tests/servers.py), reached through the Airflow
providers' hooks with connections defined in the environment, plus local paths and fsspec URLs."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import logging
import os
import socket
from pathlib import Path

import pytest

from audits.cli import main as cli
from audits.models import TABLE_COLUMNS
from tests.landing import DAY, REFERENCE, call, make_landing
from tests.servers import closed_port

D = DAY.isoformat()                       # 2026-11-27
COMPACT = DAY.strftime("%Y%m%d")          # 20261127
CDR_COLUMNS = list(TABLE_COLUMNS["cdr"][0] + TABLE_COLUMNS["cdr"][1])


def _csv(rows: list[dict], columns: list[str]) -> bytes:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode()


def _cdr(agency_id: str, *call_ids: str) -> bytes:
    return _csv([call(c, f"{D} 10:0{i}:00", agency_id=agency_id) for i, c in enumerate(call_ids)], CDR_COLUMNS)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _put(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _connect(monkeypatch, connection_id: str, connection: dict) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{connection_id.upper()}", json.dumps(connection))


def _sources(path: Path, cdr: dict, reference: dict | None = None) -> Path:
    import yaml

    path.write_text(yaml.safe_dump({"cdr": cdr, **({"reference": reference} if reference else {})}))
    return path


def _pull(capsys, landing: Path, sources: Path, *extra: str) -> tuple[int, str, str]:
    code = cli(["pull", "--date", D, "--landing", str(landing), "--sources", str(sources), *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _landed(landing: Path) -> dict[str, bytes]:
    folder = landing / "cdr" / D
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.is_dir() else {}


# --- a normal pull, then an audit that records every input's source ---------------------------

CONTRACTS_QUERY = ("SELECT agency_id, agency_name, contract_id, contract_start, contract_end, "
                   "array_to_string(permitted_purposes, ';') AS permitted_purposes, permitted_products, licence_no, "
                   "licence_expiry, nda_signed, nda_expiry, timezone FROM vendor_contracts ORDER BY agency_id")


def _vendor_database(postgres, agencies: list[str]) -> None:
    rows = ", ".join(f"('{a}', 'Agency {a}', 'C-{a}', DATE '2026-01-01', DATE '2026-12-31', "
                     "ARRAY['marketing','collection','servicing'], 'CREDIT_CARD;PERSONAL_LOAN', 'L-1', "
                     "DATE '2027-12-31', DATE '2025-12-01', NULL, 'Asia/Shanghai')" for a in agencies)
    postgres.execute("DROP TABLE IF EXISTS vendor_contracts; CREATE TABLE vendor_contracts (agency_id text, "
                     "agency_name text, contract_id text, contract_start date, contract_end date, "
                     "permitted_purposes text[], permitted_products text, licence_no text, licence_expiry date, "
                     f"nda_signed date, nda_expiry date, timezone text); INSERT INTO vendor_contracts VALUES {rows}")


def test_a_normal_pull_lands_every_kind_of_source_and_the_manifest_records_each(tmp_path, sshd, postgres,
                                                                                monkeypatch, capsys):
    import fsspec

    agencies = ["AG01", "AG02", "AG03", "AG04"]
    _vendor_database(postgres, agencies)
    landing = make_landing(tmp_path / "landing")
    (landing / "reference" / "contracts.csv").unlink()        # comes from the vendor database
    drop = tmp_path / "drop"
    ag01 = gzip.compress(_cdr("AG01", "a1", "a2"), mtime=0)
    _put(drop / "ag01" / f"cdr_{COMPACT}.csv.gz", ag01)
    _put(drop / "ag01" / f"cdr_{COMPACT}.csv.gz.sha256", f"{_sha(ag01)}  cdr_{COMPACT}.csv.gz\n".encode())
    _put(drop / "ag01" / f"cdr_{COMPACT}.done", b"")
    _put(drop / "ag02" / f"{D}.csv", _cdr("AG02", "b1"))
    _put(drop / "ag03" / COMPACT / "cdr.csv", _cdr("AG03", "c1"))
    memory = fsspec.filesystem("memory")
    memory.pipe(f"/drops/ag04/{D}.csv", _cdr("AG04", "d1"))
    agents = _csv([dict(REFERENCE["agents"][0], agency_id=a) for a in agencies],
                  list(TABLE_COLUMNS["agents"][0] + TABLE_COLUMNS["agents"][1]))
    _put(drop / "hr" / "agents.csv", agents)
    _connect(monkeypatch, "sftp_ag01", sshd.connection())
    _connect(monkeypatch, "sftp_hr", sshd.connection())
    _connect(monkeypatch, "vendor_db", postgres.connection())
    sources = _sources(tmp_path / "sources.yaml", {
        "AG01": {"kind": "sftp", "connection": "sftp_ag01", "path": f"{drop}/ag01/cdr_{{date:%Y%m%d}}.csv.gz",
                 "checksum": "sidecar", "ready_marker": f"{drop}/ag01/cdr_{{date:%Y%m%d}}.done"},
        "AG02": {"kind": "local", "path": f"{drop}/ag02/{{date:%Y-%m-%d}}.csv"},
        "AG03": {"kind": "object", "url": f"file://{drop}/ag03/{{date:%Y%m%d}}/cdr.csv"},
        "AG04": {"kind": "object", "url": "memory://drops/ag04/{date:%Y-%m-%d}.csv"},
    }, {"contracts": {"kind": "sql", "connection": "vendor_db", "query": CONTRACTS_QUERY},
        "agents": {"kind": "sftp", "connection": "sftp_hr", "path": f"{drop}/hr/agents.csv"}})
    try:
        code, out, err = _pull(capsys, landing, sources)
    finally:
        memory.rm("/drops", recursive=True)
    assert (code, err) == (0, "")
    said = [line.split()[:2] for line in out.splitlines() if line.startswith(("landed ", "replaced "))]
    assert sorted(said) == [["landed", "cdr.AG01:"], ["landed", "cdr.AG02:"], ["landed", "cdr.AG03:"],
                            ["landed", "cdr.AG04:"], ["landed", "reference.contracts:"],
                            ["replaced", "reference.agents:"]]
    assert _landed(landing) == {"AG01.csv.gz": ag01, "AG02.csv": _cdr("AG02", "b1"), "AG03.csv": _cdr("AG03", "c1"),
                                "AG04.csv": _cdr("AG04", "d1")}
    assert (landing / "reference" / "agents.csv").read_bytes() == agents
    contracts = (landing / "reference" / "contracts.csv").read_text()
    assert contracts.splitlines()[0] == ("agency_id,agency_name,contract_id,contract_start,contract_end,"
                                         "permitted_purposes,permitted_products,licence_no,licence_expiry,nda_signed,"
                                         "nda_expiry,timezone")
    assert contracts.splitlines()[1] == ("AG01,Agency AG01,C-AG01,2026-01-01,2026-12-31,marketing;collection;servicing,"
                                         "CREDIT_CARD;PERSONAL_LOAN,L-1,2027-12-31,2025-12-01,,Asia/Shanghai")
    assert not [p for p in landing.rglob(".*") if ".pull-" in p.name]          # no temporary file left

    code = cli(["run", "--date", D, "--landing", str(landing), "--out", str(tmp_path / "out"),
                "--store", str(tmp_path / "store"), "--workers", "1"])
    assert code == 0, capsys.readouterr().err
    report = tmp_path / "out" / D
    inputs = {e["path"]: e for e in json.loads((report / "manifest.json").read_text())["inputs"]}
    sources_of = {path: {k: v for k, v in entry["source"].items() if k != "pulled_at"}
                  for path, entry in inputs.items() if "source" in entry}
    query_sha = hashlib.sha256(CONTRACTS_QUERY.encode()).hexdigest()
    assert sources_of == {
        f"cdr/{D}/AG01.csv.gz": {"kind": "sftp", "connection": "sftp_ag01", "checksum": "sidecar",
                                 "path": f"{drop}/ag01/cdr_{COMPACT}.csv.gz"},
        f"cdr/{D}/AG02.csv": {"kind": "local", "checksum": "none", "path": f"{drop}/ag02/{D}.csv"},
        f"cdr/{D}/AG03.csv": {"kind": "object", "checksum": "none", "url": f"file://{drop}/ag03/{COMPACT}/cdr.csv"},
        f"cdr/{D}/AG04.csv": {"kind": "object", "checksum": "none", "url": f"memory://drops/ag04/{D}.csv"},
        "reference/agents.csv": {"kind": "sftp", "connection": "sftp_hr", "checksum": "none",
                                 "path": f"{drop}/hr/agents.csv"},
        "reference/contracts.csv": {"kind": "sql", "connection": "vendor_db", "query_sha256": query_sha},
    }
    assert all(inputs[p]["status"] == "ok" and inputs[p]["rows"] >= 1 for p in sources_of)
    assert "source" not in inputs["reference/campaigns.csv"]            # put there by other means
    capsys.readouterr()
    assert cli(["verify", str(report)]) == 0


# --- not there yet --------------------------------------------------------------------------

def test_a_file_whose_ready_marker_is_absent_lands_nothing_and_is_not_an_error(tmp_path, sshd, monkeypatch, capsys):
    landing = make_landing(tmp_path / "landing")
    drop = tmp_path / "drop"
    data = _put(drop / f"cdr_{COMPACT}.csv", _cdr("AG01", "a1")).read_bytes()
    _connect(monkeypatch, "sftp_ag01", sshd.connection())
    sources = _sources(tmp_path / "sources.yaml", {
        "AG01": {"kind": "sftp", "connection": "sftp_ag01", "path": f"{drop}/cdr_{{date:%Y%m%d}}.csv",
                 "ready_marker": f"{drop}/cdr_{{date:%Y%m%d}}.done"},
        "AG02": {"kind": "local", "path": f"{drop}/ag02_{{date:%Y%m%d}}.csv"}})      # not delivered at all

    code, out, err = _pull(capsys, landing, sources)
    assert (code, err) == (0, "")
    assert f"waiting   cdr.AG01: ready marker {drop}/cdr_{COMPACT}.done is not there yet" in out
    assert f"waiting   cdr.AG02: {drop}/ag02_{COMPACT}.csv is not there yet" in out
    assert not (landing / "cdr" / D).exists()          # not even the day's folder: `run` still says "not landed"
    assert sshd.opened(f"{drop}/cdr_{COMPACT}.csv") == 0

    _put(drop / f"cdr_{COMPACT}.done", b"")              # the agency finished its upload
    code, out, _ = _pull(capsys, landing, sources)
    assert code == 0 and "landed    cdr.AG01" in out and _landed(landing) == {"AG01.csv": data}


# --- checksum mismatch ----------------------------------------------------------------------

def test_a_checksum_mismatch_lands_nothing_and_names_both_hashes(tmp_path, sshd, monkeypatch, capsys):
    landing = make_landing(tmp_path / "landing")
    drop = tmp_path / "drop"
    data = _cdr("AG01", "a1")
    _put(drop / f"cdr_{COMPACT}.csv", data)
    claimed = _sha(b"what the agency meant to send")
    _put(drop / f"cdr_{COMPACT}.csv.sha256", f"{claimed}  cdr_{COMPACT}.csv\n".encode())
    _put(drop / f"ag02_{COMPACT}.csv", _cdr("AG02", "b1"))
    _connect(monkeypatch, "sftp_ag01", sshd.connection())
    sources = _sources(tmp_path / "sources.yaml", {
        "AG01": {"kind": "sftp", "connection": "sftp_ag01", "path": f"{drop}/cdr_{{date:%Y%m%d}}.csv",
                 "checksum": "sidecar"},
        "AG02": {"kind": "local", "path": f"{drop}/ag02_{{date:%Y%m%d}}.csv"}})

    code, out, err = _pull(capsys, landing, sources)
    assert code == 1
    assert f"has sha256 {_sha(data)}, but its checksum {drop}/cdr_{COMPACT}.csv.sha256 says {claimed}" in err
    assert "Nothing was landed" in err
    assert _landed(landing) == {"AG02.csv": _cdr("AG02", "b1")}          # the other agency is pulled
    assert [p.name for p in (landing / "cdr" / D).iterdir()] == ["AG02.csv"]   # no temporary file left


# --- an unreachable server --------------------------------------------------------------------

def test_an_unreachable_server_fails_only_its_agency_with_a_clear_message(tmp_path, sshd, monkeypatch, capsys):
    landing = make_landing(tmp_path / "landing")
    drop = tmp_path / "drop"
    _put(drop / f"ag01_{COMPACT}.csv", _cdr("AG01", "a1"))
    _put(drop / f"ag02_{COMPACT}.csv", _cdr("AG02", "b1"))
    port = closed_port()
    _connect(monkeypatch, "sftp_down", dict(sshd.connection(), port=port))
    _connect(monkeypatch, "sftp_up", sshd.connection())
    sources = _sources(tmp_path / "sources.yaml", {
        "AG01": {"kind": "sftp", "connection": "sftp_down", "path": f"{drop}/ag01_{{date:%Y%m%d}}.csv"},
        "AG02": {"kind": "sftp", "connection": "sftp_up", "path": f"{drop}/ag02_{{date:%Y%m%d}}.csv"},
        "AG03": {"kind": "sftp", "connection": "sftp_undefined", "path": f"{drop}/ag03_{{date:%Y%m%d}}.csv"}})

    attempts, connect = [], socket.socket.connect

    def counted(sock, address):
        if isinstance(address, tuple) and address[1] == port:
            attempts.append(address)
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", counted)
    code, out, err = _pull(capsys, landing, sources)
    assert len(attempts) == 1                          # one attempt: retrying is Airflow's (with back-off)
    assert code == 1 and "landed    cdr.AG02" in out
    assert _landed(landing) == {"AG02.csv": _cdr("AG02", "b1")}
    assert f"cdr.AG01: cannot connect to the SFTP server 127.0.0.1:{port} (connection sftp_down)" in err
    assert "Connection refused" in err or "Unable to connect" in err
    assert "cdr.AG03: Airflow connection 'sftp_undefined' is not defined" in err
    assert "AIRFLOW_CONN_SFTP_UNDEFINED" in err


def test_in_the_dag_a_connection_failure_is_retried_and_an_undefined_connection_is_not(tmp_path, sshd, monkeypatch):
    from audits.config import ConfigError
    from audits.deployment import PERMANENT_ERRORS
    from audits.sources.config import load_sources
    from audits.sources.fetch import PullError
    from audits.sources.pull import PullSettings, pull_agency

    landing = make_landing(tmp_path / "landing")
    _connect(monkeypatch, "sftp_down", dict(sshd.connection(), port=closed_port()))
    sources = load_sources(_sources(tmp_path / "sources.yaml", {
        "AG01": {"kind": "sftp", "connection": "sftp_down", "path": "/x/{date:%Y%m%d}.csv"},
        "AG02": {"kind": "sftp", "connection": "nowhere", "path": "/x/{date:%Y%m%d}.csv"}}))
    settings = PullSettings(landing=landing, day=DAY, sources=sources)
    with pytest.raises(PullError) as transient:
        pull_agency(settings, "AG01")
    assert not isinstance(transient.value, PERMANENT_ERRORS)              # the DAG lets Airflow retry it
    with pytest.raises(ConfigError) as permanent:
        pull_agency(settings, "AG02")
    assert isinstance(permanent.value, PERMANENT_ERRORS)                  # AirflowFailException, no retry


# --- a changed file for an audited day ------------------------------------------------------

def _publish_manifest(out: Path, inputs: list[dict]) -> Path:
    """The published report's manifest as `run` writes it (the fields pull reads)."""
    report = out / D
    report.mkdir(parents=True)
    (report / "manifest.json").write_text(json.dumps({"run_id": "scheduled__2026-11-27T18:00:00+00:00",
                                                      "audit_date": D, "inputs": inputs}))
    return report


def test_a_changed_file_for_an_audited_day_is_refused_unless_replace(tmp_path, sshd, monkeypatch, capsys):
    landing = make_landing(tmp_path / "landing")
    drop, out = tmp_path / "drop", tmp_path / "out"
    first, second = _cdr("AG01", "a1"), _cdr("AG01", "a1", "a2")
    source = _put(drop / f"cdr_{COMPACT}.csv", first)
    _connect(monkeypatch, "sftp_ag01", sshd.connection())
    sources = _sources(tmp_path / "sources.yaml", {
        "AG01": {"kind": "sftp", "connection": "sftp_ag01", "path": f"{drop}/cdr_{{date:%Y%m%d}}.csv"}})
    assert _pull(capsys, landing, sources, "--out", str(out))[0] == 0
    report = _publish_manifest(out, [{"path": f"cdr/{D}/AG01.csv", "table": "cdr", "agency_id": "AG01",
                                      "status": "ok", "sha256": _sha(first)}])

    source.write_bytes(second)                                    # the agency re-sent a different file
    code, _, err = _pull(capsys, landing, sources, "--out", str(out))
    assert code == 1 and _landed(landing) == {"AG01.csv": first}
    assert f"the source sftp {drop}/cdr_{COMPACT}.csv via connection sftp_ag01 (sha256 {_sha(second)})" in err
    assert f"cdr/{D}/AG01.csv (sha256 {_sha(first)})" in err
    assert f"report {report}, run scheduled__2026-11-27T18:00:00+00:00" in err and "--replace" in err

    code, out_text, err = _pull(capsys, landing, sources, "--out", str(out), "--replace")
    assert (code, err) == (0, "") and _landed(landing) == {"AG01.csv": second}
    assert "replaced  cdr.AG01" in out_text and f"rerun {D} so that its report reads this file" in out_text


def test_a_late_file_for_a_day_audited_without_it_is_refused(tmp_path, monkeypatch, capsys):
    landing = make_landing(tmp_path / "landing", {DAY: {"AG02": [call("b1", f"{D} 10:00:00", agency_id="AG02")]}})
    drop, out = tmp_path / "drop", tmp_path / "out"
    _put(drop / f"{COMPACT}.csv", _cdr("AG01", "a1"))
    report = _publish_manifest(out, [{"path": f"cdr/{D}/AG01.csv", "table": "cdr", "agency_id": "AG01",
                                      "status": "missing", "sha256": ""}])
    sources = _sources(tmp_path / "sources.yaml", {"AG01": {"kind": "local", "path": f"{drop}/{{date:%Y%m%d}}.csv"}})

    code, _, err = _pull(capsys, landing, sources, "--out", str(out))
    assert code == 1 and "AG01.csv" not in _landed(landing)
    assert f"differs from what the report of {D} audited: no file from AG01 (report {report}" in err


def test_without_out_a_landed_file_is_never_changed(tmp_path, capsys):
    landing = make_landing(tmp_path / "landing")
    drop = tmp_path / "drop"
    source = _put(drop / f"{COMPACT}.csv", _cdr("AG01", "a1"))
    sources = _sources(tmp_path / "sources.yaml", {"AG01": {"kind": "local", "path": f"{drop}/{{date:%Y%m%d}}.csv"}})
    assert _pull(capsys, landing, sources)[0] == 0
    source.write_bytes(_cdr("AG01", "a1", "a2"))
    code, _, err = _pull(capsys, landing, sources)
    assert code == 1 and "pull cannot tell whether 2026-11-27 was audited" in err
    assert _landed(landing) == {"AG01.csv": _cdr("AG01", "a1")}


def test_a_changed_file_for_a_day_not_yet_audited_replaces_the_landed_one(tmp_path, capsys):
    landing = make_landing(tmp_path / "landing")
    drop, out = tmp_path / "drop", tmp_path / "out"
    source = _put(drop / f"{COMPACT}.csv", _cdr("AG01", "a1"))
    sources = _sources(tmp_path / "sources.yaml", {"AG01": {"kind": "local", "path": f"{drop}/{{date:%Y%m%d}}.csv"}})
    assert _pull(capsys, landing, sources, "--out", str(out))[0] == 0
    source.unlink()
    _put(drop / f"{COMPACT}.csv", _cdr("AG01", "a1", "a2"))       # corrected before the audit ran
    code, text, _ = _pull(capsys, landing, sources, "--out", str(out))
    assert code == 0 and "replaced  cdr.AG01" in text and "rerun" not in text
    assert _landed(landing) == {"AG01.csv": _cdr("AG01", "a1", "a2")}


# --- the same pull twice --------------------------------------------------------------------

@pytest.mark.parametrize("checksum", ["none", "sidecar"])
def test_the_same_pull_twice_fetches_nothing_again(tmp_path, sshd, monkeypatch, capsys, checksum):
    landing = make_landing(tmp_path / "landing")
    drop = tmp_path / "drop"
    data = _cdr("AG01", "a1", "a2")
    remote = _put(drop / f"cdr_{COMPACT}.csv", data)
    if checksum == "sidecar":
        _put(drop / f"cdr_{COMPACT}.csv.sha256", _sha(data).encode() + b"\n")
    _connect(monkeypatch, "sftp_ag01", sshd.connection())
    sources = _sources(tmp_path / "sources.yaml", {
        "AG01": {"kind": "sftp", "connection": "sftp_ag01", "path": f"{drop}/cdr_{{date:%Y%m%d}}.csv",
                 "checksum": checksum}})
    assert _pull(capsys, landing, sources, "--out", str(tmp_path / "out"))[0] == 0
    landed = landing / "cdr" / D / "AG01.csv"
    before = os.stat(landed)
    assert sshd.opened(str(remote)) == 1 and f'close "{remote}" bytes read {len(data)}' in sshd.sftp_log()

    code, out, _ = _pull(capsys, landing, sources, "--out", str(tmp_path / "out"))
    assert code == 0 and "unchanged cdr.AG01" in out and "not fetched again" in out
    assert sshd.opened(str(remote)) == 1                          # the server never opened the file again
    after = os.stat(landed)
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (before.st_ino, before.st_mtime_ns, before.st_size)

    stamp = os.stat(remote)                                       # rewritten with other bytes: fetched again
    remote.write_bytes(data.replace(b"a2", b"a3"))
    os.utime(remote, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1_000_000_000))
    if checksum == "sidecar":
        _put(drop / f"cdr_{COMPACT}.csv.sha256", _sha(remote.read_bytes()).encode())
    code, out, _ = _pull(capsys, landing, sources, "--out", str(tmp_path / "out"))
    assert code == 0 and "replaced  cdr.AG01" in out and sshd.opened(str(remote)) == 2


def test_a_local_source_pulled_twice_keeps_the_landed_file(tmp_path, capsys):
    landing = make_landing(tmp_path / "landing")
    drop = tmp_path / "drop"
    _put(drop / f"{COMPACT}.csv", _cdr("AG01", "a1"))
    sources = _sources(tmp_path / "sources.yaml", {"AG01": {"kind": "local", "path": f"{drop}/{{date:%Y%m%d}}.csv"}})
    assert _pull(capsys, landing, sources)[0] == 0
    before = os.stat(landing / "cdr" / D / "AG01.csv")
    code, out, _ = _pull(capsys, landing, sources)
    after = os.stat(landing / "cdr" / D / "AG01.csv")
    assert code == 0 and "not fetched again" in out
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


# --- SQL reference tables ---------------------------------------------------------------------

def test_a_query_returning_other_columns_or_writing_is_refused_and_the_table_kept(tmp_path, postgres, monkeypatch,
                                                                                   capsys):
    _vendor_database(postgres, ["AG01"])
    postgres.execute("CREATE SEQUENCE IF NOT EXISTS audit_probe")
    landing = make_landing(tmp_path / "landing")
    kept = (landing / "reference" / "contracts.csv").read_bytes()
    _connect(monkeypatch, "vendor_db", postgres.connection())
    for query, said in [
        ("SELECT agency_id, contract_id, licence_no AS licence FROM vendor_contracts",
         "missing: contract_start, contract_end"),
        ("SELECT agency_id, contract_id, contract_start, contract_end, nextval('audit_probe') AS n "
         "FROM vendor_contracts", "read-only transaction"),          # a SELECT that writes
        ("SELECT * FROM no_such_table", "no_such_table"),
    ]:
        sources = _sources(tmp_path / "sources.yaml", {}, {
            "contracts": {"kind": "sql", "connection": "vendor_db", "query": query}})
        code, _, err = _pull(capsys, landing, sources)
        assert code == 1 and said in err and "not retried" in err, err
        assert (landing / "reference" / "contracts.csv").read_bytes() == kept
    postgres.execute("SELECT 1 FROM vendor_contracts WHERE agency_id = 'AG01'")       # nothing was deleted
    assert not [p for p in (landing / "reference").iterdir() if p.name.startswith(".")]


def test_the_same_query_result_leaves_the_table_untouched(tmp_path, postgres, monkeypatch, capsys):
    _vendor_database(postgres, ["AG01"])
    landing = make_landing(tmp_path / "landing")
    _connect(monkeypatch, "vendor_db", postgres.connection())
    sources = _sources(tmp_path / "sources.yaml", {}, {
        "contracts": {"kind": "sql", "connection": "vendor_db", "query": CONTRACTS_QUERY}})
    assert _pull(capsys, landing, sources)[0] == 0
    before = os.stat(landing / "reference" / "contracts.csv")
    code, out, _ = _pull(capsys, landing, sources)
    after = os.stat(landing / "reference" / "contracts.csv")
    assert code == 0 and "unchanged reference.contracts" in out
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


# --- credentials ------------------------------------------------------------------------------

def test_credentials_never_reach_logs_messages_or_files(tmp_path, sshd, postgres, monkeypatch, capsys, caplog):
    _vendor_database(postgres, ["AG01"])
    landing = make_landing(tmp_path / "landing")
    drop = tmp_path / "drop"
    _put(drop / f"{COMPACT}.csv", _cdr("AG01", "a1"))
    wrong_password = "Wr0ng-Pa55word-xyz"
    _connect(monkeypatch, "sftp_ag01", sshd.connection(passphrase=True))
    _connect(monkeypatch, "sftp_bad_key",
             sshd.connection(passphrase=True, private_key_passphrase="not-the-passphrase-42"))
    _connect(monkeypatch, "vendor_db", postgres.connection())
    _connect(monkeypatch, "vendor_db_bad", dict(postgres.connection(), password=wrong_password))
    sources = _sources(tmp_path / "sources.yaml", {
        "AG01": {"kind": "sftp", "connection": "sftp_ag01", "path": f"{drop}/{{date:%Y%m%d}}.csv"},
        "AG02": {"kind": "sftp", "connection": "sftp_bad_key", "path": f"{drop}/{{date:%Y%m%d}}.csv"},
    }, {"contracts": {"kind": "sql", "connection": "vendor_db", "query": CONTRACTS_QUERY},
        "agents": {"kind": "sql", "connection": "vendor_db_bad", "query": "SELECT 1"}})
    caplog.set_level(logging.DEBUG)
    code, out, err = _pull(capsys, landing, sources)
    assert code == 1 and "landed    cdr.AG01" in out and "replaced  reference.contracts" in out
    assert "reference.agents: the database of connection 'vendor_db_bad' refused the login" in err
    assert "cdr.AG02: Airflow connection 'sftp_bad_key' cannot be used for SFTP" in err

    secrets = [postgres.password, wrong_password, sshd.user_key_passphrase, "not-the-passphrase-42",
               *[line for line in sshd.user_private_key.splitlines() if len(line) > 20 and "PRIVATE KEY" not in line]]
    files = b"".join(p.read_bytes() for p in landing.rglob("*") if p.is_file())
    said = out + err + caplog.text
    assert caplog.text                                  # the hooks did log (at DEBUG): and none of it leaks
    for secret in secrets:
        assert secret not in said and secret.encode() not in files


# --- the command line and the landing zone's own rules ------------------------------------------

def test_agency_pulls_only_that_agency_and_a_bad_sources_file_or_agency_exits_2(tmp_path, capsys):
    landing = make_landing(tmp_path / "landing")
    drop = tmp_path / "drop"
    _put(drop / f"ag02_{COMPACT}.csv", _cdr("AG02", "b1"))
    _put(drop / "agents.csv", b"not,the,agents,table\n")
    sources = _sources(tmp_path / "sources.yaml", {
        "AG01": {"kind": "local", "path": f"{drop}/ag01_{{date:%Y%m%d}}.csv"},
        "AG02": {"kind": "local", "path": f"{drop}/ag02_{{date:%Y%m%d}}.csv"}},
        {"agents": {"kind": "local", "path": f"{drop}/agents.csv"}})
    code, out, err = _pull(capsys, landing, sources, "--agency", "AG02")
    assert (code, err) == (0, "") and _landed(landing) == {"AG02.csv": _cdr("AG02", "b1")}
    assert "reference.agents" not in out

    code, _, err = _pull(capsys, landing, sources, "--agency", "AG09")
    assert code == 2 and "no source for agency AG09" in err
    sources.write_text("cdr:\n  AG01:\n    kind: local\n    path: /x/{date:%Y%m%d}.csv\n    retry: 3\n")
    code, _, err = _pull(capsys, landing, sources)
    assert code == 2 and "unknown key cdr.AG01.retry for kind local" in err


def test_a_reference_file_that_cannot_be_read_as_its_table_is_not_landed(tmp_path, capsys):
    landing = make_landing(tmp_path / "landing")
    kept = (landing / "reference" / "agents.csv").read_bytes()
    drop = tmp_path / "drop"
    _put(drop / "agents.csv", b"employee,badge\nE1,7\n")
    sources = _sources(tmp_path / "sources.yaml", {}, {"agents": {"kind": "local", "path": f"{drop}/agents.csv"}})
    code, _, err = _pull(capsys, landing, sources)
    assert code == 1 and "cannot be read as the agents table" in err and "left as it was" in err
    assert (landing / "reference" / "agents.csv").read_bytes() == kept
    assert sorted(p.name for p in (landing / "reference").iterdir()) == sorted(
        f"{t}.csv" for t in REFERENCE)                                    # no temporary file left


def test_a_pull_replaces_the_agencys_file_under_another_name_and_clears_leftovers(tmp_path, capsys):
    landing = make_landing(tmp_path / "landing", {DAY: {"AG01": [call("old", f"{D} 09:00:00")]}})
    day = landing / "cdr" / D
    _put(day / ".AG01.pull-0123456789ab.csv.gz", b"half a file from a killed pull")
    drop = tmp_path / "drop"
    data = gzip.compress(_cdr("AG01", "a1"), mtime=0)
    _put(drop / f"{COMPACT}.csv.gz", data)
    sources = _sources(tmp_path / "sources.yaml", {"AG01": {"kind": "local", "path": f"{drop}/{{date:%Y%m%d}}.csv.gz"}})
    code, out, _ = _pull(capsys, landing, sources, "--out", str(tmp_path / "out"))
    assert code == 0 and "replaced  cdr.AG01" in out and "removed AG01.csv" in out
    assert _landed(landing) == {"AG01.csv.gz": data}                     # one file per agency, no leftover


def test_one_pull_of_a_file_at_a_time(tmp_path, capsys, monkeypatch):
    from audits import locks
    from audits.sources import pull

    landing = make_landing(tmp_path / "landing")
    drop = tmp_path / "drop"
    _put(drop / f"{COMPACT}.csv", _cdr("AG01", "a1"))
    sources = _sources(tmp_path / "sources.yaml", {"AG01": {"kind": "local", "path": f"{drop}/{{date:%Y%m%d}}.csv"}})
    monkeypatch.setattr(pull, "LOCK_WAIT_SECONDS", 0.2)
    lock = landing / "sources" / D / "cdr" / "AG01.lock"
    lock.parent.mkdir(parents=True)
    descriptor = locks.try_exclusive(lock)              # another pull of AG01 is under way
    try:
        code, _, err = _pull(capsys, landing, sources)
    finally:
        locks.release(descriptor)
    assert code == 1 and "cdr.AG01:" in err and "the pull of cdr.AG01" in err and _landed(landing) == {}
    assert _pull(capsys, landing, sources)[0] == 0 and _landed(landing) == {"AG01.csv": _cdr("AG01", "a1")}
