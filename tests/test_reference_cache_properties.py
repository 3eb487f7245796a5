"""Property: a reference table taken from the store (unchanged, grown at its end, or edited)
is what reading the landing file whole gives: accepted rows, quarantine rows and reasons,
the file's record and the DQ result."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import tempfile
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audits import reference_cache
from audits.ingest import load_reference_table
from audits.models import TABLE_COLUMNS
from audits.workdir import WorkDir
from tests.landing import config_for, make_landing
from tests.test_reference_cache import assert_same

# Values of every kind a column may hold: well-formed, in other written forms, wrong, blank,
# and text that needs quoting (a comma, a quote, a line break) or holds non-ASCII letters.
PHONES = ["13812345678", "+86 138 1234 5678", "0086-139-8765-4321", "1381234", "", " 13912345678 ", "abc"]
DATES = ["2026-01-01", "2026-02-30", "", "2026/03/01", "2027-12-31"]
STAMPS = ["2026-01-01 00:00:00", "2026-01-02 08:00:00.123456", "2026-03-01T09:30+08:00", "2026-02-30 10:00:00", "", "yesterday"]
TEXTS = ["K1", "AG01", "MKT", "", "a,b", 'say "hi"', "line\nbreak", "华信", " sms ", "call"]
KINDS = {"phone": PHONES, "caller_number": PHONES, "registered_from": DATES, "registered_to": DATES,
         "assigned_from": DATES, "assigned_to": DATES, "active_from": DATES, "active_to": DATES,
         "trained_on": DATES, "marketing_consent_at": STAMPS, "marketing_withdrawn_at": STAMPS}
TABLES = ("consents", "assignments", "caller_numbers", "agents")


def columns_of(table):
    return list(TABLE_COLUMNS[table][0] + TABLE_COLUMNS[table][1])


@st.composite
def lines(draw, columns, size, texts=tuple(TEXTS)):
    """CSV lines of `columns`: rows of random values, now and then a malformed or blank line."""
    out = []
    for _ in range(draw(st.integers(0, size))):
        shape = draw(st.sampled_from(["row"] * 6 + ["short", "long", "blank"]))
        values = [draw(st.sampled_from(KINDS.get(c, texts))) for c in columns]
        if shape == "short":
            values = values[:1]
        elif shape == "long":
            values = [*values, "extra"]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(values)
        out.append("\n" if shape == "blank" else buffer.getvalue())
    return out


@st.composite
def versions(draw, tables=TABLES, changes=("append", "append", "append", "same", "edit", "reorder", "open quote"),
             quoting=True):
    """A table's file one night and the next: the same, grown at its end, or changed otherwise
    (`quoting` False: no value that needs quotes)."""
    texts = tuple(TEXTS) if quoting else tuple(t for t in TEXTS if not set(t) & set(',"\n'))
    table = draw(st.sampled_from(tables))
    columns = columns_of(table)
    if draw(st.booleans()):
        columns = [*reversed(columns), "note"]                     # another order, a column not in the contract
    header = ",".join(f'"{c}"' if quoting and draw(st.booleans()) else c for c in columns) + "\n"
    first = draw(lines(columns, 6, texts))
    added = draw(lines(columns, 4, texts))
    change = draw(st.sampled_from(changes))
    if change == "same":
        second = first
    elif change == "edit" and first:
        at = draw(st.integers(0, len(first) - 1))
        second = [*first[:at], first[at].replace("1", "2", 1) + (added[0] if added else ""), *first[at + 1:]]
    elif change == "reorder":
        second = list(reversed(first)) + added
    elif change == "open quote":                                   # the first file ends inside a quote
        first = [*first, 'K9,"13812345678\n']
        second = [*first, *added, '",x\n']
    else:
        second = first + added
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    tail_encoding = draw(st.sampled_from([encoding, encoding, encoding, "utf-8", "gb18030"]))
    before = (header + "".join(first)).encode(encoding)
    after = (header + "".join(second)).encode(encoding)
    if change in ("append", "open quote") and second[:len(first)] == first:
        after = before + "".join(second[len(first):]).encode(tail_encoding.replace("-sig", ""))
    return table, before, after, change


def round_trip(config, ingested, name):
    """What later stages read of a staged table (the work files' Parquet round trip)."""
    work = WorkDir(dataclasses.replace(config, run_id=name))
    work.save_ingested("reference/table", ingested)
    return work.load_ingested("reference/table")


def staged_both_ways(config, table, night):
    path = config.landing / "reference" / f"{table}.csv"
    try:
        full = load_reference_table(config.landing, table, path, audit_date=config.audit_date,
                                    rulepack=config.rulepack)
    except Exception as exc:                      # an unreadable file: the store must say the same
        try:
            reference_cache.load_reference_cached(config.store, config.landing, table, path,
                                           audit_date=config.audit_date, rulepack=config.rulepack)
        except type(exc) as same:
            assert str(same) == str(exc)
            return
        raise AssertionError(f"the full read fails ({exc}), the store's does not") from None
    cached = reference_cache.load_reference_cached(config.store, config.landing, table, path,
                                            audit_date=config.audit_date, rulepack=config.rulepack)
    assert_same(round_trip(config, cached, f"cached{night}"), round_trip(config, full, f"full{night}"))


@settings(max_examples=max(10, settings.default.max_examples // 4), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(versions())
def test_table_from_the_store_is_the_full_read(case):
    table, before, after, _change = case
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_landing(root / "landing")
        config = config_for(root)
        path = config.landing / "reference" / f"{table}.csv"
        path.write_bytes(before)
        staged_both_ways(config, table, 1)
        path.write_bytes(after)
        staged_both_ways(dataclasses.replace(config, audit_date=config.audit_date + dt.timedelta(days=1)), table, 2)


@settings(max_examples=max(6, settings.default.max_examples // 8), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(versions(tables=reference_cache.GROWABLE_TABLES, changes=("append",), quoting=False)
       .filter(lambda case: len(case[2]) > len(case[1])))
def test_appended_rows_are_read_alone(case):
    """A file that grew at its end is read from where the earlier one ended, not whole, when
    the earlier one is in the store and the new bytes decode as it did."""
    table, before, after, _change = case
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_landing(root / "landing")
        config = config_for(root)
        path = config.landing / "reference" / f"{table}.csv"
        path.write_bytes(before)
        staged_both_ways(config, table, 1)
        if not (config.store / "reference" / table).is_dir():
            return                                     # the first file was unreadable: nothing kept
        path.write_bytes(after)
        tail = after[len(before):]
        ends, read_end = [], reference_cache._raw_from

        def reading_the_end(*args):
            ends.append(read_end(*args))
            return ends[-1]
        with mock.patch.object(reference_cache, "_raw_from", reading_the_end):
            staged_both_ways(config, table, 2)
        if _decodes(tail, "gb18030" if reference_cache._encoding(before) == "gb18030" else "utf-8"):
            assert len(ends) == 1 and ends[0] is not None
            assert ends[0].rows_read <= tail.count(b"\n")


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
        return True
    except UnicodeDecodeError:
        return False
