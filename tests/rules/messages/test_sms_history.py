"""Earlier days' messages compacted for CONTACT_ROLLING_7D (messages.history.compact_message_history):
each stored message, read as Arrow (coded columns as dictionaries or plain, in one or several
chunks), gives the row a plain per-message reading of sms.md gives."""

import pandas as pd
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from audits.models import PURPOSES
from audits.rules.messages.history import STORED_HISTORY_COLUMNS, compact_message_history
from audits.rules.messages.inputs import MESSAGE_HISTORY_COLUMNS

CAMPAIGNS = pd.DataFrame({"campaign_id": ["MKT", "SRV", "COL", "MKT", "ODD"],
                          "purpose_code": ["marketing", "servicing", "collection", "collection", None],
                          "product": ["CREDIT_CARD"] * 5})
PURPOSE_OF = {"MKT": "marketing", "SRV": "servicing", "COL": "collection"}     # the first row of a campaign counts

STORED = st.fixed_dictionaries({
    "customer_e164": st.one_of(st.none(), st.sampled_from(["+8613800000001", "+8613800000002", "+12025550123"])),
    "sent_utc": st.integers(1_700_000_000, 1_700_100_000).map(lambda s: pd.Timestamp(s, unit="s", tz="UTC")),
    "campaign_id": st.sampled_from(["MKT", "SRV", "COL", "ODD", "NEW"]),
    "direction_code": st.one_of(st.none(), st.sampled_from(["MT", "MO"])),
    "status_code": st.one_of(st.none(), st.sampled_from(["DELIVERED", "PENDING", "FAILED", "REJECTED"])),
})


def oracle(days: list[tuple[int, list[dict]]]) -> list[tuple]:
    """One row per stored message, read as sms.md says: a contact of its number and purpose when
    it is an MT DELIVERED or PENDING."""
    purpose_ids = {p: i for i, p in enumerate(PURPOSES)}
    return [(int(m["customer_e164"][1:]) if m["customer_e164"] else -1, m["sent_utc"], days_ago,
             purpose_ids.get(PURPOSE_OF.get(m["campaign_id"]), -1),
             m["direction_code"] == "MT" and m["status_code"] in ("DELIVERED", "PENDING"))
            for days_ago, rows in days for m in rows]


def as_table(rows: list[dict], encoded: bool, chunks: int) -> pa.Table:
    """The day as the store reads it back: coded columns as dictionaries (or not), in chunks."""
    columns = {name: pa.array([r[name] for r in rows], type=pa.string()) for name in STORED_HISTORY_COLUMNS
               if name != "sent_utc"}
    if encoded:
        columns = {name: (array.dictionary_encode() if name != "customer_e164" else array)
                   for name, array in columns.items()}
    columns["sent_utc"] = pa.array([r["sent_utc"] for r in rows], type=pa.timestamp("ns", tz="UTC"))
    table = pa.table({name: columns[name] for name in STORED_HISTORY_COLUMNS})
    if chunks > 1 and table.num_rows > 1:
        cut = table.num_rows // 2
        table = pa.concat_tables([table.slice(0, cut), table.slice(cut)])
    return table


@given(st.lists(st.tuples(st.integers(1, 6), st.lists(STORED, max_size=8), st.booleans(), st.integers(1, 2)),
                max_size=4))
def test_compact_message_history_equals_the_per_message_oracle(days):
    history = compact_message_history([(days_ago, as_table(rows, encoded, chunks))
                                       for days_ago, rows, encoded, chunks in days], CAMPAIGNS)
    assert list(history.columns) == list(MESSAGE_HISTORY_COLUMNS)
    assert history.dtypes.astype(str).tolist() == ["int64", "datetime64[ns, UTC]", "int16", "int8", "bool"]
    assert list(history.index) == list(range(len(history)))
    assert list(history.itertuples(index=False, name=None)) == oracle([(d, rows) for d, rows, _, _ in days])
