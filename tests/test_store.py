"""The store: history read in batches compacts to the same frame as read whole; a day is
written whole or not at all, with a record of what was written that every read checks; and
concurrent writers and readers never see a day missing or half-replaced."""

import datetime as dt
import errno
import hashlib
import json
import multiprocessing
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from audits import store
from audits.models import PURPOSES
from audits.rulepack import load_rulepack
from audits.rules.inputs import compact_history

D = dt.date(2026, 11, 27)
CAMPAIGNS = pd.DataFrame({"campaign_id": ["C1", "C2"], "purpose_code": ["collection", "marketing"]})


def _calls(day: dt.date, count: int) -> pd.DataFrame:
    start = pd.Timestamp(day.isoformat(), tz="UTC")
    return pd.DataFrame({
        "call_id": [f"{day:%d}-{k}" for k in range(count)], "agency_id": "AG01", "agent_id": "A1",
        "campaign_id": ["C1", "C2", "C9"] * (count // 3) + ["C1"] * (count % 3),
        "caller_e164": "+862150000001", "callee_e164": [f"+86138000000{k:02d}" for k in range(count)],
        "start_utc": [start + pd.Timedelta(minutes=k) for k in range(count)],
        "disposition_code": ["ANSWERED", "NO_ANSWER", "BUSY", "ANSWERED"] * (count // 4) + ["VOICEMAIL"] * (count % 4),
        "outcome_code": ["REFUSED", None, None, "RIGHT_PARTY"] * (count // 4) + [None] * (count % 4),
        "call_date": day.isoformat()}).astype({c: "str" for c in ("call_id", "callee_e164", "outcome_code")})


def test_history_in_batches_equals_history_read_whole(tmp_path):
    days = [D - dt.timedelta(days=2), D - dt.timedelta(days=1)]
    store.write_day(tmp_path, days[0], _calls(days[0], 7))
    store.write_day(tmp_path, days[1], _calls(days[1], 5))
    pack = load_rulepack("cn_bank")
    rows = store.history_rows(tmp_path, days + [D])          # D is not stored: counted as nothing
    assert rows == 12
    whole = compact_history(store.read_history(tmp_path, days), D, CAMPAIGNS, pack, rows)
    batched = compact_history(store.read_history(tmp_path, days, batch_rows=2), D, CAMPAIGNS, pack, rows)
    pd.testing.assert_frame_equal(whole, batched)
    assert whole["days_ago"].tolist() == [2] * 7 + [1] * 5
    assert whole["purpose_id"].tolist()[:3] == [PURPOSES.index("collection"), PURPOSES.index("marketing"), -1]  # C9: unknown
    assert whole["is_conversation"].tolist()[:4] == [True, False, False, True]
    assert str(whole["start_utc"].dtype) == "datetime64[ns, UTC]"
    with pytest.raises(ValueError, match="more history"):
        compact_history(store.read_history(tmp_path, days), D, CAMPAIGNS, pack, rows - 1)


# --- what the store wrote, checked on read -------------------------------------------------------

def test_a_day_records_what_was_written_and_is_checked_against_it(tmp_path):
    store.write_day(tmp_path, D, _calls(D, 8))
    record = json.loads((tmp_path / "calls" / f"call_date={D}" / "partition.json").read_text())
    calls = tmp_path / "calls" / f"call_date={D}" / "calls.parquet"
    assert record["calls"] == {"path": f"calls/call_date={D}/calls.parquet", "rows": 8,
                               "sha256": hashlib.sha256(calls.read_bytes()).hexdigest()}
    assert record["refusals"]["rows"] == 2
    assert store.check_days(tmp_path, [D - dt.timedelta(days=1), D]) == [
        {"date": D.isoformat(), "path": str(calls.resolve()), "rows": 8, "sha256": record["calls"]["sha256"]}]
    pq.write_table(pq.read_table(calls).slice(0, 0), calls)            # emptied
    with pytest.raises(store.StoreError, match=f"call_date={D}.*record says 8 rows.*file has 0 rows"):
        store.check_days(tmp_path, [D])
    with pytest.raises(store.StoreError, match="Rebuild day 2026-11-27 from the landing zone"):
        store.check_days(tmp_path, [D])


def test_a_truncated_refusals_file_stops_the_refusal_look_back(tmp_path):
    store.write_day(tmp_path, D - dt.timedelta(days=3), _calls(D - dt.timedelta(days=3), 8))
    assert len(store.read_refusals_before(tmp_path, D)) == 2
    refusals = tmp_path / "refusals" / f"call_date={D - dt.timedelta(days=3)}" / "refusals.parquet"
    refusals.write_bytes(refusals.read_bytes()[:100])
    with pytest.raises(store.StoreError, match="unreadable rows"):
        store.read_refusals_before(tmp_path, D)


@pytest.mark.parametrize("failing", ["calls", "refusals"])
def test_a_day_is_written_whole_or_not_at_all(tmp_path, monkeypatch, failing):
    """Out of disk while writing a day once left a refusals partition written without its
    calls partition (and hidden staging folders)."""
    real_write = pq.write_table

    def out_of_disk(table, where, *args, **kwargs):
        if f"/{failing}/" in str(where):
            raise OSError(errno.ENOSPC, "No space left on device", str(where))
        return real_write(table, where, *args, **kwargs)

    monkeypatch.setattr(pq, "write_table", out_of_disk)
    with pytest.raises(OSError, match="No space left"):
        store.write_day(tmp_path, D, _calls(D, 8))
    assert [p for p in tmp_path.rglob("*") if p.is_file() and p.name != ".lock"] == []
    assert not store.has_day(tmp_path, D)
    monkeypatch.setattr(pq, "write_table", real_write)
    store.write_day(tmp_path, D, _calls(D, 8))
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    monkeypatch.setattr(pq, "write_table", out_of_disk)
    with pytest.raises(OSError, match="No space left"):
        store.write_day(tmp_path, D, _calls(D, 4))                       # a rerun of the day
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    assert store.check_days(tmp_path, [D])[0]["rows"] == 8


# --- concurrent runs ---------------------------------------------------------------------------

WRITES = 12                 # each writer's rewrites of the day


def _write_repeatedly(root: str, rows: int, start, writing, report) -> None:
    """Rewrite the day WRITES times, after the others are ready (`start`, a barrier)."""
    failures, writes = [], 0
    start.wait()
    try:
        for _ in range(WRITES):
            try:
                store.write_day(Path(root), D, _calls(D, rows))
                writes += 1
            except Exception as exc:                                    # noqa: BLE001 - counted, then asserted
                failures.append(f"writer: {type(exc).__name__}: {exc}")
    finally:
        with writing.get_lock():
            writing.value -= 1
    report.put((writes, len(failures), failures[:3]))                  # one message: a full queue blocks exit


def _read_repeatedly(root: str, start, writing, report) -> None:
    """Read the day while any writer writes (`writing` counts them), at least WRITES times."""
    failures, reads = [], 0
    calls = Path(root) / "calls" / f"call_date={D}" / "calls.parquet"
    start.wait()
    while writing.value > 0 or reads < WRITES:
        try:
            if not store.has_day(Path(root), D):
                failures.append("reader: has_day false")
            # A reader without the lock, through one open handle (os.replace keeps what it opened
            # whole; pq.read_table(path) stats and then opens, and may pair one file's size with
            # the next file's bytes: "Page was smaller than expected", a reader-side race).
            with calls.open("rb") as handle:
                unlocked_rows = pq.ParquetFile(handle).read().num_rows
            if unlocked_rows not in (7, 11):
                failures.append("reader: a half-written calls.parquet")
            with store.reading(Path(root)):                                 # the audit's readers
                rows = store.check_days(Path(root), [D])[0]["rows"]
                read = sum(t.num_rows for _, t in store.read_history(Path(root), [D]))
            if rows != read or rows not in (7, 11):
                failures.append(f"reader: record {rows} rows, read {read}")
            reads += 1
        except Exception as exc:                                        # noqa: BLE001
            failures.append(f"reader: {type(exc).__name__}: {exc}")
    report.put((reads, len(failures), failures[:3]))


def test_two_writers_and_a_reader_never_see_a_day_missing_or_half_written(tmp_path):
    """Replacing a partition (check, rename, rename) once failed under two writers and a reader:
    `Directory not empty`, FileNotFoundError, has_day false, staging left. The three start
    together (a barrier); the reader reads until both writers are done: no clock decides."""
    store.write_day(tmp_path, D, _calls(D, 7))
    context = multiprocessing.get_context("fork")
    report, start, writing = context.Queue(), context.Barrier(3), context.Value("i", 2)
    processes = [context.Process(target=_write_repeatedly, args=(str(tmp_path), 7, start, writing, report)),
                 context.Process(target=_write_repeatedly, args=(str(tmp_path), 11, start, writing, report)),
                 context.Process(target=_read_repeatedly, args=(str(tmp_path), start, writing, report))]
    for process in processes:
        process.start()
    for process in processes:                  # each ends: counted loops, and the writers always count down
        process.join()
    assert [process.exitcode for process in processes] == [0, 0, 0]
    results = [report.get_nowait() for _ in processes]                # three small messages, all sent
    assert [(count, examples) for _, count, examples in results] == [(0, [])] * 3
    assert sorted(done for done, _, _ in results)[:2] == [WRITES, WRITES], results    # each did its part
    leftovers = [p.name for p in tmp_path.rglob("*") if p.name.startswith(".") and p.name != ".lock"]
    assert leftovers == []
    assert store.check_days(tmp_path, [D])[0]["rows"] in (7, 11)


def test_a_rewrite_of_a_day_sweeps_what_a_killed_writer_left(tmp_path):
    store.write_day(tmp_path, D, _calls(D, 8))
    left = [tmp_path / "calls" / f"call_date={D}" / ".calls.parquet.0badc0de.tmp",
            tmp_path / "refusals" / f"call_date={D}" / ".refusals.parquet.0badc0de.tmp"]
    for path in left:
        path.write_bytes(b"PAR1 13812345678")                           # full numbers, half written
    store.write_day(tmp_path, D, _calls(D, 4))
    assert [p.exists() for p in left] == [False, False]
    assert store.check_days(tmp_path, [D])[0]["rows"] == 4
