"""sources.yaml: what it accepts, and that anything else stops the load naming the key."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from audits.config import ConfigError
from audits.sources.config import load_sources, parse_sources

DAY = dt.date(2026, 11, 27)

SPEC_EXAMPLE = """
cdr:
  AG01:
    kind: sftp
    connection: sftp_ag01
    path: /outbound/cdr_{date:%Y%m%d}.csv.gz
    checksum: sidecar
    ready_marker: /outbound/cdr_{date:%Y%m%d}.done
  AG02:
    kind: local
    path: /mnt/drops/ag02/{date:%Y-%m-%d}.csv
  AG03:
    kind: object
    url: s3://bank-drops/ag03/{date:%Y/%m/%d}/cdr.parquet
    connection: aws_drops
reference:
  contracts:
    kind: sql
    connection: vendor_db
    query: SELECT agency_id, contract_id, contract_start, contract_end FROM vendor_contracts;
  agents: {kind: sftp, connection: sftp_hr, path: /exports/agents.csv}
"""


def test_the_example_of_sources_md_loads(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(SPEC_EXAMPLE)
    sources = load_sources(path)
    ag01, ag02, ag03 = sources.cdr["AG01"], sources.cdr["AG02"], sources.cdr["AG03"]
    assert (ag01.kind, ag01.connection, ag01.checksum) == ("sftp", "sftp_ag01", "sidecar")
    assert ag01.location_on(DAY) == "/outbound/cdr_20261127.csv.gz" and ag01.suffix_on(DAY) == ".csv.gz"
    assert ag01.marker_on(DAY) == "/outbound/cdr_20261127.done"
    assert ag02.location_on(DAY) == "/mnt/drops/ag02/2026-11-27.csv" and ag02.checksum == "none"
    assert ag03.location_on(DAY) == "s3://bank-drops/ag03/2026/11/27/cdr.parquet" and ag03.suffix_on(DAY) == ".parquet"
    contracts = sources.reference["contracts"]
    assert contracts.query.endswith("FROM vendor_contracts") and contracts.suffix_on(DAY) == ".csv"
    assert contracts.described(DAY) == {"kind": "sql", "connection": "vendor_db",
                                        "query_sha256": contracts.query_sha256}
    assert sources.reference["agents"].described(DAY) == {"kind": "sftp", "connection": "sftp_hr",
                                                          "path": "/exports/agents.csv", "checksum": "none"}
    assert len(sources.sha256) == 64


def test_an_empty_file_means_nothing_to_pull():
    sources = parse_sources(None)
    assert sources.cdr == {} and sources.reference == {}


@pytest.mark.parametrize("document, named", [
    ({"cdr": {}, "agencies": {}}, "unknown key agencies"),
    ({"cdr": {"AG01": {"kind": "ftp", "path": "/x/{date:%Y%m%d}.csv"}}}, "cdr.AG01.kind"),
    ({"cdr": {"AG01": {"kind": "sftp", "path": "/x/{date:%Y%m%d}.csv"}}}, "cdr.AG01.connection is required"),
    ({"cdr": {"AG01": {"kind": "local", "path": "/x/{date:%Y%m%d}.csv", "connection": "c"}}},
     "unknown key cdr.AG01.connection for kind local"),
    ({"cdr": {"AG01": {"kind": "sftp", "connection": "c", "url": "s3://b/{date:%Y%m%d}.csv"}}},
     "unknown key cdr.AG01.url"),
    ({"cdr": {"AG01": {"kind": "local", "path": "/x/{date:%Y%m%d}.csv", "checksum": "md5"}}}, "cdr.AG01.checksum"),
    ({"cdr": {"AG01": {"kind": "local", "path": "/x/{date:%Y%m%d}.txt"}}}, "cdr.AG01.path"),
    ({"cdr": {"AG01": {"kind": "local", "path": "/x/latest.csv"}}}, "names the same file every day"),
    ({"cdr": {"AG01": {"kind": "local", "path": "drops/{date:%Y%m%d}.csv"}}}, "relative"),
    ({"cdr": {"AG01": {"kind": "local", "path": "/x/{day:%Y%m%d}.csv"}}}, "not a usable template"),
    ({"cdr": {"AG 01": {"kind": "local", "path": "/x/{date:%Y%m%d}.csv"}}}, "cdr.AG 01: not an agency id"),
    ({"cdr": {"AG01": {"kind": "object", "url": "s3://key:secret@bucket/{date:%Y%m%d}.csv"}}},
     "credentials belong in the Airflow connection"),
    ({"cdr": {"AG01": {"kind": "object", "url": "https://h/{date:%Y%m%d}.csv?sig=abc"}}}, "query string"),
    ({"cdr": {"AG01": {"kind": "object", "url": "/not/a/url/{date:%Y%m%d}.csv"}}}, "is not a URL"),
    ({"cdr": {"AG01": {"kind": "sql", "connection": "db", "query": "SELECT 1"}}}, "cdr.AG01.kind"),
    ({"cdr": {"AG01": {"kind": "sftp", "connection": "bad id!", "path": "/{date:%Y%m%d}.csv"}}},
     "cdr.AG01.connection must be an Airflow connection id"),
    ({"reference": {"employees": {"kind": "local", "path": "/x/e.csv"}}}, "reference.employees: not a reference table"),
    ({"reference": {"contracts": {"kind": "sql", "connection": "db"}}}, "reference.contracts.query is required"),
    ({"reference": {"contracts": {"kind": "sql", "connection": "db", "query": "SELECT 1", "path": "/x"}}},
     "unknown key reference.contracts.path"),
    ({"cdr": ["AG01"]}, "cdr must be a mapping"),
])
def test_a_bad_entry_stops_the_load_naming_the_key(document, named):
    with pytest.raises(ConfigError) as refused:
        parse_sources(document)
    assert named in str(refused.value)


def test_an_unreadable_or_invalid_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="Cannot read sources file"):
        load_sources(tmp_path / "absent.yaml")
    broken = tmp_path / "sources.yaml"
    broken.write_text("cdr:\n  AG01: {kind: local, path: /x/{date:%Y%m%d}.csv}\n")
    with pytest.raises(ConfigError, match=r"sources.yaml is not valid YAML.*needs quotes"):
        load_sources(broken)
    broken.write_text(yaml.safe_dump({"cdr": {"AG01": {"kind": "local", "path": "/x/{date:%Y%m%d}.csv",
                                                       "retries": 3}}}))
    with pytest.raises(ConfigError, match=r"sources.yaml: unknown key cdr.AG01.retries for kind local"):
        load_sources(broken)


def test_an_object_url_is_recorded_without_user_or_query():
    from audits.sources.config import shown_url

    assert shown_url("s3://user:pw@bucket:9000/a/b.csv?token=x#f") == "s3://bucket:9000/a/b.csv"
