"""What a pull never does: land a symbolic link's target, land a file that changed while it was
read, widen the landed file's permissions beyond the umask, or fail without naming where it
wrote (sources.md §2)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.landing import make_landing
from tests.sources.test_pull import COMPACT, D, _cdr, _connect, _landed, _pull, _put, _sources

SECRET = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIKs3cr3tK3yB0dyTh4tMustN3v3rL3ak\n-----END PRIVATE KEY-----\n"


def _signing_key(tmp_path) -> Path:
    return _put(tmp_path / "bank" / "signing-key.pem", SECRET.encode())


def _nothing_of_the_key(landing: Path, said: str) -> None:
    files = b"".join(p.read_bytes() for p in landing.rglob("*") if p.is_file() and not p.is_symlink())
    assert b"MC4CAQAwBQYDK2VwBCIEIKs3cr3t" not in files and "MC4CAQAwBQYDK2VwBCIEIKs3cr3t" not in said


# --- links -------------------------------------------------------------------------------------

def test_a_local_source_that_is_a_link_is_refused_and_nothing_lands(tmp_path, capsys):
    landing = make_landing(tmp_path / "landing")
    drop = tmp_path / "drop"
    drop.mkdir()
    os.symlink(_signing_key(tmp_path), drop / f"{COMPACT}.csv")
    _put(drop / "agents.csv", b"")
    os.unlink(drop / "agents.csv")
    os.symlink("/proc/self/environ", drop / "agents.csv")
    sources = _sources(tmp_path / "sources.yaml", {"AG01": {"kind": "local", "path": f"{drop}/{{date:%Y%m%d}}.csv"}},
                       {"agents": {"kind": "local", "path": f"{drop}/agents.csv"}})
    code, out, err = _pull(capsys, landing, sources)
    assert code == 1
    assert f"cdr.AG01: {drop}/{COMPACT}.csv is a symbolic link" in err
    assert f"reference.agents: {drop}/agents.csv is a symbolic link" in err
    assert "pull again once fixed" in err                           # not retried: a person must act
    assert _landed(landing) == {} and not (landing / "cdr" / D).exists()
    _nothing_of_the_key(landing, out + err)


def test_an_object_url_that_is_a_link_is_refused(tmp_path, capsys):
    landing = make_landing(tmp_path / "landing")
    drop = tmp_path / "drop"
    drop.mkdir()
    os.symlink(_signing_key(tmp_path), drop / f"{COMPACT}.csv")
    sources = _sources(tmp_path / "sources.yaml",
                       {"AG01": {"kind": "object", "url": f"file://{drop}/{{date:%Y%m%d}}.csv"}})
    code, out, err = _pull(capsys, landing, sources)
    assert code == 1 and "is a symbolic link" in err and _landed(landing) == {}
    _nothing_of_the_key(landing, out + err)


def test_an_sftp_source_that_is_a_link_is_refused(tmp_path, sshd, monkeypatch, capsys):
    landing = make_landing(tmp_path / "landing")
    drop = tmp_path / "drop"
    drop.mkdir()
    os.symlink(_signing_key(tmp_path), drop / f"cdr_{COMPACT}.csv")
    _connect(monkeypatch, "sftp_ag01", sshd.connection())
    sources = _sources(tmp_path / "sources.yaml", {
        "AG01": {"kind": "sftp", "connection": "sftp_ag01", "path": f"{drop}/cdr_{{date:%Y%m%d}}.csv"}})
    code, out, err = _pull(capsys, landing, sources)
    assert code == 1 and f"cdr.AG01: {drop}/cdr_{COMPACT}.csv is a symbolic link" in err
    assert _landed(landing) == {} and sshd.opened(str(drop / f"cdr_{COMPACT}.csv")) == 0
    _nothing_of_the_key(landing, out + err)


# --- a file that changes while it is pulled -------------------------------------------------------

def _growing_while_read(monkeypatch, remote_class, source: Path, more: bytes) -> None:
    """The sender goes on writing `source` while the pull reads it (once): what was read is the
    file's first part, and the file is longer when the read ends."""
    original = remote_class.download

    def download(self, location, sink):
        original(self, location, sink)
        if Path(location) == source and not getattr(download, "done", False):
            download.done = True
            with open(source, "ab") as handle:
                handle.write(more)

    monkeypatch.setattr(remote_class, "download", download)


def test_a_local_file_that_changes_while_it_is_pulled_is_not_landed_and_is_pulled_again(tmp_path, monkeypatch,
                                                                                          capsys):
    from audits.sources.local import LocalFiles

    landing = make_landing(tmp_path / "landing")
    first, whole = _cdr("AG01", "a1"), _cdr("AG01", "a1", "a2")
    source = _put(tmp_path / "drop" / f"{COMPACT}.csv", first)
    _growing_while_read(monkeypatch, LocalFiles, source, whole[len(first):])
    sources = _sources(tmp_path / "sources.yaml",
                       {"AG01": {"kind": "local", "path": f"{tmp_path}/drop/{{date:%Y%m%d}}.csv"}})
    code, out, err = _pull(capsys, landing, sources)
    assert code == 1 and _landed(landing) == {}
    assert f"cdr.AG01: {source} changed while it was pulled (size {len(first):,} bytes, then {len(whole):,};" in err
    assert "nothing was landed" in err and "pulled again" in err
    assert source.read_bytes() == whole
    code, out, err = _pull(capsys, landing, sources)                # the next try: the file is complete
    assert (code, err) == (0, "") and _landed(landing) == {"AG01.csv": whole}


def test_an_sftp_file_that_changes_while_it_is_pulled_is_not_landed(tmp_path, sshd, monkeypatch, capsys):
    from audits.sources.sftp import SftpFiles

    landing = make_landing(tmp_path / "landing")
    first, whole = _cdr("AG01", "a1"), _cdr("AG01", "a1", "a2")
    source = _put(tmp_path / "drop" / f"cdr_{COMPACT}.csv", first)
    _growing_while_read(monkeypatch, SftpFiles, source, whole[len(first):])
    _connect(monkeypatch, "sftp_ag01", sshd.connection())
    sources = _sources(tmp_path / "sources.yaml", {
        "AG01": {"kind": "sftp", "connection": "sftp_ag01", "path": f"{tmp_path}/drop/cdr_{{date:%Y%m%d}}.csv"}})
    code, _, err = _pull(capsys, landing, sources)
    assert code == 1 and _landed(landing) == {} and "changed while it was pulled" in err
    code, _, err = _pull(capsys, landing, sources)
    assert (code, err) == (0, "") and _landed(landing) == {"AG01.csv": whole}


# --- what the landing zone's files look like ------------------------------------------------------

def test_a_pulled_file_keeps_the_umask(tmp_path, capsys):
    landing = make_landing(tmp_path / "landing")
    _put(tmp_path / "drop" / f"{COMPACT}.csv", _cdr("AG01", "a1"))
    sources = _sources(tmp_path / "sources.yaml",
                       {"AG01": {"kind": "local", "path": f"{tmp_path}/drop/{{date:%Y%m%d}}.csv"}})
    previous = os.umask(0o077)
    try:
        code, _, err = _pull(capsys, landing, sources)
    finally:
        os.umask(previous)
    assert (code, err) == (0, "")
    assert stat.S_IMODE(os.stat(landing / "cdr" / D / "AG01.csv").st_mode) == 0o600


def test_a_landing_file_that_cannot_be_written_is_named(tmp_path):
    landing = make_landing(tmp_path / "landing")
    _put(tmp_path / "drop" / f"{COMPACT}.csv", _cdr("AG01", *[f"a{i}" for i in range(400)]))
    sources = _sources(tmp_path / "sources.yaml",
                       {"AG01": {"kind": "local", "path": f"{tmp_path}/drop/{{date:%Y%m%d}}.csv"}})
    limit = 16 * 1024                        # the landing zone's file size limit (RLIMIT_FSIZE): "File too large"

    def limited():
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run([sys.executable, "-m", "audits", "pull", "--date", D, "--landing", str(landing),
                           "--sources", str(sources)], capture_output=True, text=True, preexec_fn=limited,
                          env={**os.environ, "PYTHONPATH": os.getcwd()}, timeout=600)
    assert done.returncode == 1, done.stderr
    assert f"cdr.AG01: cannot write cdr/{D}/AG01.csv in the landing zone (File too large)" in done.stderr
    assert _landed(landing) == {}


def test_a_query_result_that_cannot_be_written_is_named(tmp_path, postgres, monkeypatch, capsys):
    from audits.sources import sql
    from tests.sources.test_pull import CONTRACTS_QUERY, _vendor_database

    _vendor_database(postgres, ["AG01"])
    landing = make_landing(tmp_path / "landing")
    _connect(monkeypatch, "vendor_db", postgres.connection())
    real_open = open

    def full_disk(path, mode="r", *args, **kwargs):
        handle = real_open(path, mode, *args, **kwargs)
        if "x" in mode:
            def write(data):
                raise OSError(27, "File too large")
            handle.write = write
        return handle

    monkeypatch.setattr(sql, "open", full_disk, raising=False)
    sources = _sources(tmp_path / "sources.yaml", {}, {
        "contracts": {"kind": "sql", "connection": "vendor_db", "query": CONTRACTS_QUERY}})
    code, _, err = _pull(capsys, landing, sources)
    assert code == 1 and "reference.contracts: cannot write reference/contracts.csv in the landing zone " \
                         "(File too large)" in err


# --- SQL sources: one SELECT, run as a cursor ---------------------------------------------------

@pytest.fixture
def planted():
    """A file that a query escaping into `COPY … TO PROGRAM` would create: in the system's
    temporary folder, which the server's account (another one when the tests run as root) may write."""
    import secrets
    import tempfile

    path = Path(tempfile.gettempdir()) / f"audits-test-pwned-{secrets.token_hex(6)}.txt"
    yield path
    path.unlink(missing_ok=True)


def test_a_query_that_closes_copys_parenthesis_never_runs_a_program(tmp_path, postgres, monkeypatch, capsys,
                                                                    planted):
    from tests.sources.test_pull import _vendor_database

    _vendor_database(postgres, ["AG01"])
    landing = make_landing(tmp_path / "landing")
    kept = (landing / "reference" / "contracts.csv").read_bytes()
    _connect(monkeypatch, "vendor_db", postgres.connection())
    query = f"SELECT agency_id FROM vendor_contracts) TO PROGRAM 'id > {planted}' --"
    sources = _sources(tmp_path / "sources.yaml", {}, {
        "contracts": {"kind": "sql", "connection": "vendor_db", "query": query}})
    code, _, err = _pull(capsys, landing, sources)
    assert not planted.exists(), "the program ran"
    assert code == 2 and "reference.contracts.query" in err and "parenthes" in err
    assert (landing / "reference" / "contracts.csv").read_bytes() == kept


def test_the_query_runs_as_a_cursor_so_the_database_refuses_what_is_not_a_select(tmp_path, postgres, monkeypatch,
                                                                                 planted):
    """Even past the check of sources.yaml, the query is never pasted into another statement."""
    from audits.sources.fetch import PullRefused
    from audits.sources.sql import export_query
    from tests.sources.test_pull import _vendor_database

    _vendor_database(postgres, ["AG01"])
    _connect(monkeypatch, "vendor_db", postgres.connection())
    for query in (f"SELECT agency_id FROM vendor_contracts) TO PROGRAM 'id > {planted}' --",
                  f"COPY (SELECT 1) TO PROGRAM 'id > {planted}'"):
        with pytest.raises(Exception) as refused:
            export_query("vendor_db", query, table="contracts", name="reference.contracts",
                         path=tmp_path / f"out-{len(query)}.csv")
        assert not planted.exists(), "the program ran"
        assert isinstance(refused.value, PullRefused) and "the query failed" in str(refused.value)


@pytest.mark.parametrize("query, said", [
    ("SELECT 1; COPY (SELECT 1) TO PROGRAM 'id'", "one statement"),
    ("SELECT 1 ; ; ", "one statement"),
    ("DELETE FROM vendor_contracts RETURNING agency_id", "must start with SELECT or WITH"),
    ("WITH gone AS (DELETE FROM vendor_contracts RETURNING *) SELECT * FROM gone", "DELETE is not accepted"),
    ("SELECT * INTO copied FROM vendor_contracts", "INTO is not accepted"),
    ("SELECT (1", "parenthes"),
    ("SELECT 'unterminated", "unterminated"),
    ("SELECT 1 /* unterminated", "unterminated"),
    ("SELECT $x$ a $y$", "unterminated"),
])
def test_a_query_that_is_not_a_single_select_is_refused_at_load(query, said):
    from audits.config import ConfigError
    from audits.sources.config import parse_sources

    with pytest.raises(ConfigError, match=f"reference.contracts.query: .*{said}"):
        parse_sources({"reference": {"contracts": {"kind": "sql", "connection": "vendor_db", "query": query}}})


@pytest.mark.parametrize("query, kept", [
    ("SELECT a FROM t;", "SELECT a FROM t"),
    ("  select a from t ;  -- the end\n", "select a from t"),
    ("WITH x AS (SELECT 1 AS a) SELECT a FROM x", "WITH x AS (SELECT 1 AS a) SELECT a FROM x"),
    ("SELECT 'a;b)' AS s, \"odd;(name\" FROM t -- ; (\n WHERE s <> E'it\\'s;' AND d = $q$;($q$",
     "SELECT 'a;b)' AS s, \"odd;(name\" FROM t -- ; (\n WHERE s <> E'it\\'s;' AND d = $q$;($q$"),
    ("/* leading; comment ( */ SELECT 1", "/* leading; comment ( */ SELECT 1"),
])
def test_a_single_select_is_accepted_whatever_its_literals_and_comments_hold(query, kept):
    from audits.sources.config import parse_sources

    config = parse_sources({"reference": {"contracts": {"kind": "sql", "connection": "vendor_db", "query": query}}})
    assert config.reference["contracts"].query == kept


def test_a_with_query_is_pulled(tmp_path, postgres, monkeypatch, capsys):
    from tests.sources.test_pull import CONTRACTS_QUERY, _vendor_database

    _vendor_database(postgres, ["AG01", "AG02"])
    landing = make_landing(tmp_path / "landing")
    _connect(monkeypatch, "vendor_db", postgres.connection())
    query = f"WITH chosen AS ({CONTRACTS_QUERY}) SELECT * FROM chosen WHERE agency_id <> 'AG;02'"
    sources = _sources(tmp_path / "sources.yaml", {}, {
        "contracts": {"kind": "sql", "connection": "vendor_db", "query": query}})
    code, out, err = _pull(capsys, landing, sources)
    assert (code, err) == (0, ""), err
    lines = (landing / "reference" / "contracts.csv").read_text().splitlines()
    assert lines[1] == ("AG01,Agency AG01,C-AG01,2026-01-01,2026-12-31,marketing;collection;servicing,"
                        "CREDIT_CARD;PERSONAL_LOAN,L-1,2027-12-31,2025-12-01,,Asia/Shanghai")
    assert len(lines) == 3
