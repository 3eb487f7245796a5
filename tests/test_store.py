"""The store's history, read in batches, compacts to the same frame as read whole."""

import datetime as dt

import pandas as pd
import pytest

from audits import store
from audits.config import load_rulepack
from audits.models import PURPOSES
from audits.rules.common import compact_history

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
