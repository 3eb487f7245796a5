"""Reference tables kept in the store: a night whose reference files did not change, or only
grew at their end, reads only what is new, and gets what a full read gives."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from audits import ingest, loaders, pipeline
from audits.ingest import load_reference_table
from audits.workdir import WorkDir
from tests.landing import DAY, config_for, make_landing

CONSENT_HEADER = "customer_id,phone,marketing_consent_at,marketing_withdrawn_at\n"
CONSENT_ROWS = ("K1,13812345678,2026-01-01 00:00:00,\n"
                "K2,1381234,2026-01-01 00:00:00,\n"                 # bad phone
                "K3,13987654321,2026-02-30 10:00:00,\n")            # bad timestamp
CONSENT_TAIL = ("K4,13912345678,2026-03-01 09:00:00,2026-04-01 09:00:00\n"
                "K5,13912345679\n"                                 # malformed: too few fields
                "K6,,2026-03-01 09:00:00,\n")                       # missing phone


@pytest.fixture
def counted(monkeypatch):
    """Rows typed per reference table, and whole-file reads, as the pipeline does them."""
    seen = {"read": [], "typed": []}
    read_table, type_reference = ingest.read_table, ingest.type_reference

    def reading(path, table, **kwargs):
        seen["read"].append(table)
        return read_table(path, table, **kwargs)

    def typing(table, frame, **kwargs):
        seen["typed"].append((table, len(frame)))
        return type_reference(table, frame, **kwargs)

    monkeypatch.setattr(ingest, "read_table", reading)
    monkeypatch.setattr(ingest, "type_reference", typing)
    return seen


def staged(config, table):
    """Stage one reference table as a run does and load back what later stages read."""
    path = loaders.find_table_file(config.landing / "reference", table, loaders.REFERENCE_SUFFIXES)
    work = WorkDir(config)
    work.claim()
    pipeline._stage_reference_table(config, table, path)
    return work.load_ingested(f"reference/{table}")


def full_read(config, table):
    """What a run staged before the store kept reference tables: the file read whole."""
    path = loaders.find_table_file(config.landing / "reference", table, loaders.REFERENCE_SUFFIXES)
    work = WorkDir(dataclasses.replace(config, run_id="full-read"))
    work.claim()
    work.save_ingested(f"reference/{table}", load_reference_table(
        config.landing, table, path, audit_date=config.audit_date, rulepack=config.rulepack))
    return work.load_ingested(f"reference/{table}")


def assert_same(got, expected):
    assert got.accepted.equals(expected.accepted)
    assert got.accepted.dtypes.to_dict() == expected.accepted.dtypes.to_dict()
    assert got.quarantine.equals(expected.quarantine)
    assert [dataclasses.asdict(f) for f in got.files] == [dataclasses.asdict(f) for f in expected.files]
    assert json.dumps(got.dq_results) == json.dumps(expected.dq_results)      # keys in the same order too


def consents_landing(tmp_path, text):
    landing = make_landing(tmp_path / "landing")
    (landing / "reference" / "consents.csv").write_text(text, encoding="utf-8")
    return config_for(tmp_path)


def test_unchanged_reference_file_is_not_read_again(tmp_path, counted):
    config = consents_landing(tmp_path, CONSENT_HEADER + CONSENT_ROWS)
    first = staged(config, "consents")
    assert counted["read"] == ["consents"]
    next_night = dataclasses.replace(config, audit_date=DAY + dt.timedelta(days=1), run_id="next")
    second = staged(next_night, "consents")
    assert counted["read"] == ["consents"] and counted["typed"] == [("consents", 3)]
    assert_same(second, full_read(next_night, "consents"))
    assert set(first.quarantine["audit_date"]) == {DAY.isoformat()}
    assert set(second.quarantine["audit_date"]) == {(DAY + dt.timedelta(days=1)).isoformat()}


def test_grown_reference_file_types_and_validates_only_the_appended_rows(tmp_path, counted):
    config = consents_landing(tmp_path, CONSENT_HEADER + CONSENT_ROWS)
    staged(config, "consents")
    with (config.landing / "reference" / "consents.csv").open("a", encoding="utf-8") as handle:
        handle.write(CONSENT_TAIL)
    next_night = dataclasses.replace(config, audit_date=DAY + dt.timedelta(days=1), run_id="next")
    grown = staged(next_night, "consents")
    assert counted["typed"] == [("consents", 3), ("consents", 2)]      # the tail's two well-formed rows
    expected = full_read(next_night, "consents")
    assert_same(grown, expected)
    assert expected.quarantine[["row_number", "reasons"]].values.tolist() == [
        [2, "DQ_BAD_PHONE"], [3, "DQ_BAD_TIMESTAMP"], [6, "DQ_MISSING_FIELD"], [5, "DQ_MALFORMED_ROW"]]
    assert grown.files[0].rows_read == 6


def test_edited_reference_file_is_read_whole(tmp_path, counted):
    config = consents_landing(tmp_path, CONSENT_HEADER + CONSENT_ROWS)
    staged(config, "consents")
    (config.landing / "reference" / "consents.csv").write_text(
        CONSENT_HEADER + CONSENT_ROWS.replace("K1,", "K9,") + CONSENT_TAIL, encoding="utf-8")
    edited = staged(dataclasses.replace(config, run_id="next"), "consents")
    assert counted["typed"] == [("consents", 3), ("consents", 5)]
    assert_same(edited, full_read(config, "consents"))


def test_store_entry_changed_after_writing_is_rebuilt_from_the_landing(tmp_path, counted):
    config = consents_landing(tmp_path, CONSENT_HEADER + CONSENT_ROWS)
    staged(config, "consents")
    [entry] = (config.store / "reference" / "consents").iterdir()
    (entry / "accepted.parquet").write_bytes(b"not parquet")
    rebuilt = staged(dataclasses.replace(config, run_id="next"), "consents")
    assert counted["read"] == ["consents", "consents"]
    third = staged(dataclasses.replace(config, run_id="third"), "consents")    # the entry was written anew
    assert counted["read"] == ["consents", "consents"]
    assert_same(rebuilt, full_read(config, "consents"))
    assert_same(third, rebuilt)


def test_another_rulepack_does_not_reuse_the_tables_typed_for_the_first(tmp_path, counted):
    config = consents_landing(tmp_path, CONSENT_HEADER + CONSENT_ROWS)
    staged(config, "consents")
    other = dataclasses.replace(config, run_id="next",
                                rulepack=dataclasses.replace(config.rulepack, bank_timezone="Asia/Tokyo"))
    typed = staged(other, "consents")
    assert counted["read"] == ["consents", "consents"]
    assert_same(typed, full_read(other, "consents"))


def test_small_tables_with_duplicate_key_checks_are_reused_but_read_whole_when_grown(tmp_path, counted):
    config = config_for(tmp_path)
    make_landing(config.landing)
    staged(config, "contracts")
    staged(dataclasses.replace(config, run_id="again"), "contracts")
    assert counted["read"] == ["contracts"]
    with (config.landing / "reference" / "contracts.csv").open("a", encoding="utf-8") as handle:
        handle.write("AG01,C1,2026-01-01,2026-12-31,x,marketing,CREDIT_CARD,L-1,2027-12-31,,,Asia/Shanghai,\n")
    grown = staged(dataclasses.replace(config, run_id="grown"), "contracts")
    assert counted["read"] == ["contracts", "contracts"]
    assert grown.quarantine["reasons"].tolist() == ["DQ_DUPLICATE_KEY"]
    assert_same(grown, full_read(config, "contracts"))


def test_store_keeps_the_two_newest_entries_of_a_table(tmp_path):
    config = consents_landing(tmp_path, CONSENT_HEADER + CONSENT_ROWS)
    for night, line in enumerate(CONSENT_TAIL.splitlines(keepends=True)):
        with (config.landing / "reference" / "consents.csv").open("a", encoding="utf-8") as handle:
            handle.write(line)
        staged(dataclasses.replace(config, run_id=f"night{night}"), "consents")
    assert len(list((config.store / "reference" / "consents").iterdir())) == 2


def test_store_held_by_another_run_costs_a_full_read_not_a_wait(tmp_path, counted):
    import fcntl

    from audits import reference_cache
    config = consents_landing(tmp_path, CONSENT_HEADER + CONSENT_ROWS)
    path = config.landing / "reference" / "consents.csv"
    config.store.mkdir(parents=True)
    with open(config.store / ".lock", "w") as other_run:
        fcntl.flock(other_run, fcntl.LOCK_EX)
        read = reference_cache.load_reference_cached(config.store, config.landing, "consents", path,
                                              audit_date=DAY, rulepack=config.rulepack, wait_seconds=0)
    assert counted["read"] == ["consents"]
    assert not (config.store / "reference").exists()
    expected = load_reference_table(config.landing, "consents", path, audit_date=DAY, rulepack=config.rulepack)
    assert read.accepted.equals(expected.accepted) and read.quarantine.equals(expected.quarantine)
