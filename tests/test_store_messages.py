"""The store keeps text messages and opt-outs as it keeps calls and refusals: written with the
day, recorded (rows and sha256), checked on every read; a day stored before the store kept
texts reads as a day without any; a rewrite of the same day is byte-identical."""

import datetime as dt
import hashlib
import json

import pandas as pd
import pytest

from audits import store
from audits.rulepack import load_rulepack
from audits.rules.messages.inputs import enrich_messages, message_history_of, opt_outs_of, type_messages
from tests.rules.messages.helpers import message, reply
from tests.test_store import _calls

D = dt.date(2026, 11, 27)
PACK = load_rulepack("cn_bank")
CAMPAIGNS = pd.DataFrame({"campaign_id": ["MKT", "COL"], "purpose_code": ["marketing", "collection"],
                          "product": ["CREDIT_CARD", "PERSONAL_LOAN"]})


def _messages(day: dt.date) -> pd.DataFrame:
    """Two texts of a day (one FAILED: no attempt), a reply opting out, a reply that does not."""
    rows = [message(f"{day:%d}-m1", f"{day} 10:00:00"),
            message(f"{day:%d}-m2", f"{day} 11:00:00", campaign_id="COL", status="FAILED"),
            reply(f"{day:%d}-r1", f"{day} 12:00:00", text="ＴＤ"),
            reply(f"{day:%d}-r2", f"{day} 12:30:00", text="thanks")]
    raw = pd.DataFrame(rows, dtype="str").replace({"": None})
    return type_messages(raw, local_zone=PACK.bank_timezone, bank_zone=PACK.bank_timezone, region="CN")


def _write(root, day, messages=None):
    opt_outs = None if messages is None else opt_outs_of(enrich_messages(messages, CAMPAIGNS, PACK.sms))
    store.write_day(root, day, _calls(day, 4), messages=messages, opt_outs=opt_outs, run_id="r")


def test_messages_and_opt_outs_are_recorded_and_read_back(tmp_path):
    earlier = D - dt.timedelta(days=2)
    _write(tmp_path, earlier, _messages(earlier))
    record = json.loads((tmp_path / "calls" / f"call_date={earlier}" / "partition.json").read_text())
    path = tmp_path / "messages" / f"sent_date={earlier}" / "messages.parquet"
    assert record["messages"] == {"path": f"messages/sent_date={earlier}/messages.parquet", "rows": 4,
                                  "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    assert record["opt_outs"]["rows"] == 1
    read: list[dict] = []
    history = store.read_message_history(tmp_path, D, CAMPAIGNS, PACK, read=read)
    expected = message_history_of(enrich_messages(_messages(earlier), CAMPAIGNS, PACK.sms), 2)
    pd.testing.assert_frame_equal(history, expected, check_dtype=False)
    assert history["is_attempt"].tolist() == [True, False, False, False]
    assert read == [{"date": earlier.isoformat(), "path": str(path.resolve()), "rows": 4,
                     "sha256": record["messages"]["sha256"]}]
    opt_outs = store.read_opt_outs_before(tmp_path, D)
    assert opt_outs["message_id"].tolist() == [f"{earlier:%d}-r1"]
    assert store.read_opt_outs_before(tmp_path, earlier).empty           # only days before


def test_the_message_history_reads_the_contact_window_only(tmp_path):
    for back in (1, 6, 7):
        day = D - dt.timedelta(days=back)
        _write(tmp_path, day, _messages(day))
    history = store.read_message_history(tmp_path, D, CAMPAIGNS, PACK)
    assert sorted(set(history["days_ago"])) == [1, 6]                   # D-6..D-1 for a window of 7


@pytest.mark.parametrize("kind", ["messages", "opt_outs"])
def test_a_changed_message_file_stops_the_read_naming_the_day(tmp_path, kind):
    earlier = D - dt.timedelta(days=1)
    _write(tmp_path, earlier, _messages(earlier))
    path = tmp_path / kind / f"sent_date={earlier}" / f"{kind}.parquet"
    data = path.read_bytes()
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    read = store.read_message_history if kind == "messages" else None
    with pytest.raises(store.StoreError, match=f"{kind}.parquet does not match.*Rebuild day {earlier}"):
        if read:
            read(tmp_path, D, CAMPAIGNS, PACK)
        else:
            store.read_opt_outs_before(tmp_path, D)


def test_a_day_stored_before_messages_reads_as_no_messages(tmp_path):
    earlier = D - dt.timedelta(days=1)
    _write(tmp_path, earlier, _messages(earlier))
    record_path = tmp_path / "calls" / f"call_date={earlier}" / "partition.json"
    record = json.loads(record_path.read_text())
    for kind in ("messages", "opt_outs"):                                 # as an older version wrote it
        (tmp_path / kind / f"sent_date={earlier}" / f"{kind}.parquet").unlink()
        del record[kind]
    record_path.write_text(json.dumps(record))
    assert store.read_message_history(tmp_path, D, CAMPAIGNS, PACK).empty
    assert store.read_opt_outs_before(tmp_path, D).empty
    assert store.check_days(tmp_path, [earlier])[0]["rows"] == 4
    written = _messages(earlier)                                          # a file the record does not list
    _write(tmp_path / "other", earlier, written)
    (tmp_path / "messages" / f"sent_date={earlier}").mkdir(parents=True, exist_ok=True)
    (tmp_path / "messages" / f"sent_date={earlier}" / "messages.parquet").write_bytes(
        (tmp_path / "other" / "messages" / f"sent_date={earlier}" / "messages.parquet").read_bytes())
    with pytest.raises(store.StoreError, match="does not list it"):
        store.read_message_history(tmp_path, D, CAMPAIGNS, PACK)


def test_a_day_without_texts_and_a_rewrite_are_byte_identical(tmp_path):
    _write(tmp_path / "a", D)
    assert store.read_message_history(tmp_path / "a", D + dt.timedelta(days=1), CAMPAIGNS, PACK).empty
    _write(tmp_path / "b", D, _messages(D))
    first = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in (tmp_path / "b").rglob("*.parquet")}
    shuffled = _messages(D).iloc[::-1]                                      # order of arrival does not matter
    _write(tmp_path / "b", D, shuffled)
    assert {p.relative_to(tmp_path / "b"): p.read_bytes() for p in (tmp_path / "b").rglob("*.parquet")} == first
    assert len(first) == 4


def test_messages_without_their_opt_outs_are_refused(tmp_path):
    with pytest.raises(TypeError, match="opt-outs"):
        store.write_day(tmp_path, D, _calls(D, 4), messages=_messages(D))
