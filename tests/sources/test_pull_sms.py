"""`sms:` in sources.yaml (sms.md §1, sources.md §2): each agency's text messages of the day are
pulled into sms/<D>/<agency>.<ext> with every check of the CDR pull, from an SFTP server, a path
or the vendor database's messages table, against the real servers of tests/servers.py."""

from __future__ import annotations

import gzip
import json
import os

import pytest

from audits.config import ConfigError
from audits.models import TABLE_COLUMNS
from audits.sources.config import parse_sources
from audits.sources.landing import input_source, sources_of_day
from tests.landing import DAY, make_landing
from tests.servers import closed_port
from tests.sources.test_pull import COMPACT, D, _cdr, _connect, _csv, _publish_manifest, _pull, _put, _sha

SMS_COLUMNS = list(TABLE_COLUMNS["sms"][0] + TABLE_COLUMNS["sms"][1])


def _message(message_id: str, agency_id: str, sent_at: str, *, direction: str = "MT", text: str = "【银行】回复T退订") -> dict:
    return {"message_id": message_id, "agency_id": agency_id, "agent_id": "", "campaign_id": "CMP-M1",
            "direction": direction, "sender": "106900001234", "customer_number": "+8613800000001",
            "sent_at": sent_at, "status": "DELIVERED" if direction == "MT" else "", "text": text,
            "customer_tz": ""}


def _sms(agency_id: str, *message_ids: str) -> bytes:
    return _csv([_message(m, agency_id, f"{D} 10:0{i}:00") for i, m in enumerate(message_ids)], SMS_COLUMNS)


def _write_sources(path, document: dict):
    import yaml

    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    return path


def _landed_sms(landing) -> dict[str, bytes]:
    folder = landing / "sms" / D
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.is_dir() else {}


MESSAGES_QUERY = ("SELECT message_id, agency_id, agent_id, campaign_id, direction, sender, customer_number, "
                  "sent_at, status, text FROM agency_messages WHERE agency_id = 'AG02' "
                  "AND sent_at::date = DATE '{date:%Y-%m-%d}' ORDER BY message_id")


def _messages_table(postgres) -> None:
    postgres.execute(
        "DROP TABLE IF EXISTS agency_messages; CREATE TABLE agency_messages (message_id text, agency_id text, "
        "agent_id text, campaign_id text, direction text, sender text, customer_number text, sent_at timestamp, "
        "status text, text text); INSERT INTO agency_messages VALUES "
        f"('m1', 'AG02', NULL, 'CMP-M1', 'MT', '106900001234', '+8613800000001', TIMESTAMP '{D} 09:00:00', "
        "'DELIVERED', '【银行】回复T退订'), "
        f"('m2', 'AG02', 'A1', 'CMP-M1', 'MO', '106900001234', '+8613800000001', TIMESTAMP '{D} 09:05:00', NULL, 'T'), "
        "('m0', 'AG02', NULL, 'CMP-M1', 'MT', '106900001234', '+8613800000002', TIMESTAMP '2026-11-26 09:00:00', "
        "'DELIVERED', 'yesterday'), "
        f"('x1', 'AG09', NULL, 'CMP-M1', 'MT', '106900009999', '+8613800000003', TIMESTAMP '{D} 09:00:00', "
        "'DELIVERED', 'another agency')")


# --- sources.yaml ----------------------------------------------------------------------------

def test_the_sms_section_takes_the_cdr_kinds_and_a_dated_messages_query():
    sources = parse_sources({"sms": {
        "AG01": {"kind": "sftp", "connection": "sftp_ag01", "path": "/out/sms_{date:%Y%m%d}.csv.gz",
                 "checksum": "sidecar"},
        "AG02": {"kind": "sql", "connection": "vendor_db", "query": MESSAGES_QUERY}}})
    assert sources.cdr == {} and sorted(sources.sms) == ["AG01", "AG02"]
    assert sources.sms["AG01"].suffix_on(DAY) == ".csv.gz" and sources.agencies("sms") is sources.sms
    assert sources.sms["AG02"].suffix_on(DAY) == ".csv"
    assert "DATE '2026-11-27'" in sources.sms["AG02"].query_on(DAY)
    assert sources.sms["AG02"].described(DAY)["query_sha256"] != sources.sms["AG02"].described(
        DAY.replace(day=28))["query_sha256"]                  # the manifest names the query that ran


@pytest.mark.parametrize("entry, said", [
    ({"kind": "sql", "connection": "db", "query": "SELECT message_id FROM agency_messages"},
     "sms.AG01.query: 'SELECT message_id FROM agency_messages' names the same file every day"),
    ({"kind": "sql", "connection": "db", "query": "SELECT 1; DELETE FROM m WHERE d = '{date:%Y%m%d}'"},
     "sms.AG01.query: not a single SELECT"),
    ({"kind": "local", "path": "/drop/sms_{date:%Y%m%d}.txt"}, "does not end in .csv, .csv.gz, .parquet"),
    ({"kind": "ftp", "path": "/drop/sms_{date:%Y%m%d}.csv"}, "sms.AG01.kind must be one of sftp, local, object, sql"),
])
def test_a_bad_sms_entry_stops_the_load_naming_its_key(entry, said):
    with pytest.raises(ConfigError) as refused:
        parse_sources({"sms": {"AG01": entry}})
    assert said in str(refused.value)


def test_sql_stays_refused_for_cdr():
    with pytest.raises(ConfigError, match="cdr.AG01.kind must be one of sftp, local, object, got 'sql'"):
        parse_sources({"cdr": {"AG01": {"kind": "sql", "connection": "db", "query": MESSAGES_QUERY}}})


# --- pulls ------------------------------------------------------------------------------------

def test_sms_files_land_beside_the_cdr_files_from_sftp_and_the_messages_table(tmp_path, sshd, postgres,
                                                                              monkeypatch, capsys):
    landing = make_landing(tmp_path / "landing")
    drop = tmp_path / "drop"
    texts = gzip.compress(_sms("AG01", "s1", "s2"), mtime=0)
    _put(drop / f"sms_{COMPACT}.csv.gz", texts)
    _put(drop / f"sms_{COMPACT}.csv.gz.sha256", f"{_sha(texts)}  sms_{COMPACT}.csv.gz\n".encode())
    _put(drop / f"cdr_{COMPACT}.csv", _cdr("AG01", "a1"))
    _messages_table(postgres)
    _connect(monkeypatch, "sftp_ag01", sshd.connection())
    _connect(monkeypatch, "vendor_db", postgres.connection())
    sources = _write_sources(tmp_path / "sources.yaml", {
        "cdr": {"AG01": {"kind": "sftp", "connection": "sftp_ag01", "path": f"{drop}/cdr_{{date:%Y%m%d}}.csv"}},
        "sms": {"AG01": {"kind": "sftp", "connection": "sftp_ag01", "path": f"{drop}/sms_{{date:%Y%m%d}}.csv.gz",
                         "checksum": "sidecar"},
                "AG02": {"kind": "sql", "connection": "vendor_db", "query": MESSAGES_QUERY}}})

    code, out, err = _pull(capsys, landing, sources)
    assert (code, err) == (0, "")
    assert "landed    cdr.AG01" in out and "landed    sms.AG01" in out and "landed    sms.AG02" in out
    landed = _landed_sms(landing)
    assert landed["AG01.csv.gz"] == texts
    rows = landed["AG02.csv"].decode().splitlines()
    assert rows[0] == "message_id,agency_id,agent_id,campaign_id,direction,sender,customer_number,sent_at,status,text"
    assert [r.split(",")[0] for r in rows[1:]] == ["m1", "m2"]          # the day's rows of that agency only
    assert rows[2] == f"m2,AG02,A1,CMP-M1,MO,106900001234,+8613800000001,{D} 09:05:00,,T"
    records = {p.name: json.loads(p.read_text()) for p in (landing / "sources" / D / "sms").glob("*.json")}
    assert records["AG01.json"]["path"] == f"sms/{D}/AG01.csv.gz"
    assert records["AG02.json"]["source"]["kind"] == "sql" and records["AG02.json"]["sha256"] == _sha(landed["AG02.csv"])
    assert not [p for p in landing.rglob(".*") if ".pull-" in p.name]
    pulled = sources_of_day(landing, DAY)                  # what the manifest copies into each SMS input
    assert input_source(pulled, f"sms/{D}/AG01.csv.gz", _sha(texts))["source"]["checksum"] == "sidecar"
    assert input_source(pulled, f"sms/{D}/AG02.csv", _sha(landed["AG02.csv"]))["source"]["connection"] == "vendor_db"

    opened = sshd.opened(f"{drop}/sms_{COMPACT}.csv.gz")
    code, out, _ = _pull(capsys, landing, sources)                      # the same pull twice: nothing refetched
    assert code == 0 and "unchanged sms.AG01" in out and "unchanged sms.AG02" in out
    assert sshd.opened(f"{drop}/sms_{COMPACT}.csv.gz") == opened
    assert _landed_sms(landing) == landed


def test_a_day_without_texts_in_the_messages_table_is_waiting_and_lands_nothing(tmp_path, postgres, monkeypatch,
                                                                                capsys):
    landing = make_landing(tmp_path / "landing")
    _messages_table(postgres)
    _connect(monkeypatch, "vendor_db", postgres.connection())
    sources = _write_sources(tmp_path / "sources.yaml", {"sms": {"AG02": {
        "kind": "sql", "connection": "vendor_db", "query": MESSAGES_QUERY.replace("'AG02'", "'AG03'")}}})
    code, out, err = _pull(capsys, landing, sources)
    assert (code, err) == (0, "")
    assert "waiting   sms.AG02: sql query sha256" in out and "returned no rows yet" in out
    assert not (landing / "sms" / D).exists()                   # not even the day's folder


def test_an_sms_link_a_checksum_mismatch_and_an_unreachable_server_fail_only_their_agency(tmp_path, sshd,
                                                                                         monkeypatch, capsys):
    landing = make_landing(tmp_path / "landing")
    drop = tmp_path / "drop"
    data = _sms("AG01", "s1")
    _put(drop / f"ag01_{COMPACT}.csv", data)
    _put(drop / f"ag01_{COMPACT}.csv.sha256", f"{_sha(b'other')}  ag01_{COMPACT}.csv\n".encode())
    secret = _put(tmp_path / "private.csv", _sms("AG02", "p1"))
    os.symlink(secret, drop / f"ag02_{COMPACT}.csv")
    _put(drop / f"ag04_{COMPACT}.csv", _sms("AG04", "s4"))
    port = closed_port()
    _connect(monkeypatch, "sftp_up", sshd.connection())
    _connect(monkeypatch, "sftp_down", dict(sshd.connection(), port=port))
    sources = _write_sources(tmp_path / "sources.yaml", {"sms": {
        "AG01": {"kind": "sftp", "connection": "sftp_up", "path": f"{drop}/ag01_{{date:%Y%m%d}}.csv",
                 "checksum": "sidecar"},
        "AG02": {"kind": "local", "path": f"{drop}/ag02_{{date:%Y%m%d}}.csv"},
        "AG03": {"kind": "sftp", "connection": "sftp_down", "path": f"{drop}/ag03_{{date:%Y%m%d}}.csv"},
        "AG04": {"kind": "sftp", "connection": "sftp_up", "path": f"{drop}/ag04_{{date:%Y%m%d}}.csv"}}})

    code, out, err = _pull(capsys, landing, sources)
    assert code == 1 and "landed    sms.AG04" in out
    assert _landed_sms(landing) == {"AG04.csv": _sms("AG04", "s4")}      # no temporary file, nothing else
    assert f"sms.AG01: {drop}/ag01_{COMPACT}.csv has sha256 {_sha(data)}, but its checksum" in err
    assert f"says {_sha(b'other')}" in err
    assert f"sms.AG02: {drop}/ag02_{COMPACT}.csv is a symbolic link" in err
    assert f"sms.AG03: cannot connect to the SFTP server 127.0.0.1:{port} (connection sftp_down)" in err


def test_a_changed_sms_file_for_an_audited_day_is_refused_unless_replace(tmp_path, sshd, monkeypatch, capsys):
    landing = make_landing(tmp_path / "landing")
    drop, out = tmp_path / "drop", tmp_path / "out"
    first, second = _sms("AG01", "s1"), _sms("AG01", "s1", "s2")
    source = _put(drop / f"sms_{COMPACT}.csv", first)
    _connect(monkeypatch, "sftp_ag01", sshd.connection())
    sources = _write_sources(tmp_path / "sources.yaml", {"sms": {
        "AG01": {"kind": "sftp", "connection": "sftp_ag01", "path": f"{drop}/sms_{{date:%Y%m%d}}.csv"}}})
    assert _pull(capsys, landing, sources, "--out", str(out))[0] == 0
    report = _publish_manifest(out, [
        {"path": f"cdr/{D}/AG01.csv", "table": "cdr", "agency_id": "AG01", "status": "ok", "sha256": _sha(b"calls")},
        {"path": f"sms/{D}/AG01.csv", "table": "sms", "agency_id": "AG01", "status": "ok", "sha256": _sha(first)}])

    source.write_bytes(second)                                    # the agency re-sent different texts
    code, _, err = _pull(capsys, landing, sources, "--out", str(out))
    assert code == 1 and _landed_sms(landing) == {"AG01.csv": first}
    assert f"sms.AG01: the source sftp {drop}/sms_{COMPACT}.csv via connection sftp_ag01 (sha256 {_sha(second)})" in err
    assert f"differs from what the report of {D} audited: sms/{D}/AG01.csv (sha256 {_sha(first)})" in err
    assert f"report {report}, run scheduled__2026-11-27T18:00:00+00:00" in err and "--replace" in err

    code, text, err = _pull(capsys, landing, sources, "--out", str(out), "--replace")
    assert (code, err) == (0, "") and _landed_sms(landing) == {"AG01.csv": second}
    assert "replaced  sms.AG01" in text and f"rerun {D} so that its report reads this file" in text


def test_a_late_sms_file_for_a_day_audited_without_it_is_refused(tmp_path, capsys):
    landing = make_landing(tmp_path / "landing")
    drop, out = tmp_path / "drop", tmp_path / "out"
    _put(drop / f"sms_{COMPACT}.csv", _sms("AG01", "s1"))
    sources = _write_sources(tmp_path / "sources.yaml", {"sms": {
        "AG01": {"kind": "local", "path": f"{drop}/sms_{{date:%Y%m%d}}.csv"}}})
    _publish_manifest(out, [{"path": f"sms/{D}/AG01.csv", "table": "sms", "agency_id": "AG01", "status": "missing",
                             "sha256": ""}])
    code, _, err = _pull(capsys, landing, sources, "--out", str(out))
    assert code == 1 and "no SMS file from AG01" in err and _landed_sms(landing) == {}


def test_a_changed_messages_query_result_for_an_audited_day_is_refused(tmp_path, postgres, monkeypatch, capsys):
    landing = make_landing(tmp_path / "landing")
    out = tmp_path / "out"
    _messages_table(postgres)
    _connect(monkeypatch, "vendor_db", postgres.connection())
    sources = _write_sources(tmp_path / "sources.yaml", {"sms": {"AG02": {
        "kind": "sql", "connection": "vendor_db", "query": MESSAGES_QUERY}}})
    assert _pull(capsys, landing, sources, "--out", str(out))[0] == 0
    first = _landed_sms(landing)["AG02.csv"]
    _publish_manifest(out, [{"path": f"sms/{D}/AG02.csv", "table": "sms", "agency_id": "AG02", "status": "ok",
                             "sha256": _sha(first)}])
    postgres.execute("UPDATE agency_messages SET text = 'edited' WHERE message_id = 'm1'")
    code, _, err = _pull(capsys, landing, sources, "--out", str(out))
    assert code == 1 and _landed_sms(landing) == {"AG02.csv": first}
    assert f"sms/{D}/AG02.csv (sha256 {_sha(first)})" in err and "nothing was landed" in err
    code, text, _ = _pull(capsys, landing, sources, "--out", str(out), "--replace")
    assert code == 0 and "replaced  sms.AG02" in text and b"edited" in _landed_sms(landing)["AG02.csv"]


def test_agency_pulls_that_agencys_cdr_and_sms_files(tmp_path, capsys):
    landing = make_landing(tmp_path / "landing")
    drop = tmp_path / "drop"
    _put(drop / f"sms1_{COMPACT}.csv", _sms("AG01", "s1"))
    _put(drop / f"sms2_{COMPACT}.csv", _sms("AG02", "s2"))
    sources = _write_sources(tmp_path / "sources.yaml", {"sms": {
        "AG01": {"kind": "local", "path": f"{drop}/sms1_{{date:%Y%m%d}}.csv"},
        "AG02": {"kind": "local", "path": f"{drop}/sms2_{{date:%Y%m%d}}.csv"}}})
    code, out, _ = _pull(capsys, landing, sources, "--agency", "AG02")
    assert code == 0 and _landed_sms(landing) == {"AG02.csv": _sms("AG02", "s2")}
    code, _, err = _pull(capsys, landing, sources, "--agency", "AG07")
    assert code == 2 and "no source for agency AG07 under cdr: or sms:" in err
