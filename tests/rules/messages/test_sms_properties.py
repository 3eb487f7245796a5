"""The SMS rules' vectorised paths against a plain per-message oracle written from sms.md §2.

Each property draws a day of typed messages (and calls, for the rules across channels) mixing
the shapes the rules meet: MT and MO rows, every status, unknown and blank campaigns, blank
texts and agents, opt-out replies in every case and width, ports written with spaces, dashes
and '+', instants tied to the second across agencies and channels, numbers with and without a
customer zone, and a shuffled, non-contiguous index. Run longer with HYPOTHESIS_PROFILE=thorough.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from audits.loaders import TEXT
from audits.rules.messages.contacts import contact_ordinals, contacts_of
from audits.rules.messages.frequency import (
    attempts_after_refusal_or_opt_out,
    contacts_over_rolling_cap,
    marketing_after_opt_out,
    messages_outside_hours,
    messages_over_daily_cap,
)
from audits.rules.messages.inputs import (
    MESSAGE_COLUMNS,
    MessageInputs,
    no_message_history,
    opt_out_replies,
    opt_outs_among,
    sender_digits,
)
from audits.rules.messages.scope import messages_from_unregistered_senders
from audits.rules.messages.texts import marketing_without_opt_out_text, messages_without_signature
from tests.rules.helpers import iso, two_agencies
from tests.rules.messages.helpers import port, sms_inputs

DAY = dt.date.fromisoformat(iso(0))
SHANGHAI, NEW_YORK = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")
NUMBERS = {"+8613812345678": SHANGHAI, "+8613987654321": SHANGHAI, "+8613911112222": SHANGHAI,
           "+12125550100": NEW_YORK}
PURPOSE = {"MKT": "marketing", "COL": "collection", "SRV": "servicing"}
KEYWORDS = {"t", "td", "n", "0000", "退订", "退", "stop", "unsubscribe"}
OPT_OUT_TEXT = r"回复?\s*(T|TD|N|退订)|退订|reply stop"
TEXTS = [None, "", "T", "ｔ", " TD ", "Ｎ", "００００", "退订", "请退订", "退", "Stop", "ＵＮＳＵＢＳＣＲＩＢＥ", "TT", "好的",
         "【华信银行】额度提升，回复T退订", "额度提升 回复ｔｄ【华信】", "【华】额度", "【" + "信" * 21 + "】额度",
         " 【华信银行】Reply STOP ", "【ab】c】", "[华信]额度", "【华信银行】详询客服", "回复 N", "reply  stop"]
SENDERS = ["106900001234", "+106900001234", "1069 0000-1234", "１０６９００００１２３４", "106900009999", "95588",
           " +1069\u30000000 1234", "+-106900001234", "1069\u20280000\u00851234"]
# Local clock times in Shanghai (seconds since midnight): the window's edges and a few others.
CLOCKS = [7 * 3600 + 3599, 8 * 3600, 8 * 3600 + 1, 12 * 3600, 20 * 3600 + 3599, 21 * 3600, 21 * 3600 + 1,
          23 * 3600 + 59 * 60, 30, 9 * 3600 + 30]
MIDNIGHT = pd.Timestamp(DAY.isoformat(), tz=SHANGHAI).tz_convert("UTC")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """Reference tables (AG01, AG02; PORT registered to both), no calls: each example brings its own."""
    return sms_inputs(tmp_path_factory.mktemp("sms_properties"), [], ports=[port("AG01"), port("AG02")],
                      **two_agencies())


@st.composite
def message_days(draw, max_size: int = 14, numbers: tuple[str, ...] = tuple(NUMBERS)) -> pd.DataFrame:
    """A typed messages frame (MESSAGE_COLUMNS) with a shuffled, non-contiguous index."""
    size = draw(st.integers(0, max_size))
    keys = draw(st.lists(st.tuples(st.sampled_from(["AG01", "AG02"]), st.sampled_from([f"m{k}" for k in range(9)])),
                         min_size=size, max_size=size, unique=True))
    rows = []
    for agency, message_id in keys:
        direction = draw(st.sampled_from(["MT", "MT", "MO"]))
        rows.append(dict(
            message_id=message_id, agency_id=agency, agent_id=draw(st.sampled_from([None, "A1"])),
            campaign_id=draw(st.sampled_from(["MKT", "MKT", "COL", "SRV", "NOPE"])), direction_code=direction,
            sender_digits=sender_digits(pd.Series([draw(st.sampled_from(SENDERS))], dtype=TEXT)).iloc[0],
            customer_e164=draw(st.sampled_from(numbers)),
            sent_utc=MIDNIGHT + pd.Timedelta(seconds=draw(st.sampled_from(CLOCKS))),
            sent_date=DAY.isoformat(),
            status_code=(draw(st.sampled_from(["DELIVERED", "PENDING", "FAILED", "REJECTED"]))
                         if direction == "MT" else None),
            text=draw(st.sampled_from(TEXTS)),
            customer_zone=draw(st.sampled_from([None, "Asia/Shanghai", "America/New_York"]))))
    frame = pd.DataFrame(rows, columns=list(MESSAGE_COLUMNS))
    for name, kind in MESSAGE_COLUMNS.items():
        frame[name] = frame[name].astype(TEXT if kind == "str" else kind)
    labels = draw(st.permutations(range(0, 3 * len(frame), 3))) if len(frame) else []
    frame.index = pd.Index(list(labels), dtype="int64")
    return frame


@st.composite
def call_days(draw, max_size: int = 8, numbers: tuple[str, ...] = tuple(NUMBERS)) -> pd.DataFrame:
    """Enriched calls of the day, in call order (the columns the rules across channels read)."""
    size = draw(st.integers(0, max_size))
    keys = draw(st.lists(st.tuples(st.sampled_from(["AG01", "AG02"]), st.sampled_from([f"c{k}" for k in range(9)])),
                         min_size=size, max_size=size, unique=True))
    rows = []
    for agency, call_id in keys:
        campaign = draw(st.sampled_from(["MKT", "COL", "SRV", "NOPE"]))
        callee = draw(st.sampled_from(numbers))
        rows.append(dict(call_id=call_id, agency_id=agency, agent_id="A1", campaign_id=campaign,
                         caller_e164="+861065529988", callee_e164=callee,
                         start_utc=MIDNIGHT + pd.Timedelta(seconds=draw(st.sampled_from(CLOCKS))),
                         call_date=DAY.isoformat(), purpose=PURPOSE.get(campaign),
                         purpose_id=list(PURPOSE.values()).index(PURPOSE[campaign]) if campaign in PURPOSE else -1,
                         is_attempt=draw(st.booleans()), is_refusal=draw(st.booleans()),
                         number=int(callee[1:])))
    columns = ["call_id", "agency_id", "agent_id", "campaign_id", "caller_e164", "callee_e164", "start_utc",
               "call_date", "purpose", "purpose_id", "is_attempt", "is_refusal", "number"]
    frame = pd.DataFrame(rows, columns=columns)
    for name in ("call_id", "agency_id", "agent_id", "campaign_id", "caller_e164", "callee_e164", "call_date",
                 "purpose"):
        frame[name] = frame[name].astype(TEXT)
    frame["start_utc"] = frame["start_utc"].astype("datetime64[ns, UTC]")
    frame["purpose_id"] = frame["purpose_id"].astype("int8")
    frame["is_attempt"] = frame["is_attempt"].astype(bool)
    frame["is_refusal"] = frame["is_refusal"].astype(bool) & frame["is_attempt"]
    frame["number"] = frame["number"].astype("int64")
    return frame.sort_values(["start_utc", "agency_id", "call_id"], kind="stable").reset_index(drop=True)


def day_of(base, messages: pd.DataFrame, calls: pd.DataFrame | None = None, *, history=None, opt_outs=None):
    sms = MessageInputs.of_day(messages, base.campaigns, base.rulepack, history=history, opt_outs=opt_outs)
    inputs = dataclasses.replace(base, sms=sms)
    return inputs if calls is None else dataclasses.replace(inputs, calls=calls)


# --- the oracle: one message at a time, from sms.md ------------------------------------------

def plain(frame: pd.DataFrame) -> list[dict]:
    """The rows as dicts, null as None."""
    return [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in frame.to_dict("records")]


def records(messages: pd.DataFrame) -> list[dict]:
    return sorted(plain(messages), key=lambda m: (m["sent_utc"], m["agency_id"], m["message_id"]))


def folded(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().casefold()


def oracle_opt_out(m: dict) -> bool:
    return m["direction_code"] == "MO" and m["text"] is not None and (
        folded(m["text"]) in KEYWORDS or "退订" in folded(m["text"]))


def oracle_attempt(m: dict) -> bool:
    return m["direction_code"] == "MT" and m["status_code"] in ("DELIVERED", "PENDING")


def ids_of(found: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(found["agency_id"], found["call_id"]))


@given(message_days())
def test_hours_equal_the_oracle(base, messages):
    expected = set()
    for m in records(messages):
        purpose = PURPOSE.get(m["campaign_id"])
        if oracle_attempt(m) and purpose:
            local = m["sent_utc"].tz_convert(NUMBERS[m["customer_e164"]])
            minute = local.hour * 60 + local.minute
            if not 8 * 60 <= minute < 21 * 60:
                expected.add((m["agency_id"], m["message_id"]))
    assert ids_of(messages_outside_hours(day_of(base, messages))) == expected


@given(message_days())
def test_daily_cap_equals_the_oracle(base, messages):
    caps, seen, expected = {"marketing": 1, "servicing": 5, "collection": 3}, {}, set()
    for m in records(messages):
        purpose = PURPOSE.get(m["campaign_id"])
        if oracle_attempt(m) and purpose:
            key = (m["customer_e164"], purpose, m["sent_date"])
            if seen.get(key, 0) >= caps[purpose]:
                expected.add((m["agency_id"], m["message_id"]))
            seen[key] = seen.get(key, 0) + 1
    assert ids_of(messages_over_daily_cap(day_of(base, messages))) == expected


def event_key(instant, channel: str, agency: str, contact_id: str) -> tuple:
    return (instant, 0 if channel == "call" else 1, agency, contact_id)


@given(message_days(), call_days(), st.sets(st.sampled_from(list(NUMBERS)), max_size=2))
def test_texts_and_calls_after_opt_outs_equal_the_oracle(base, messages, calls, opted_out_before):
    earlier = pd.DataFrame({"number": pd.Series([int(n[1:]) for n in sorted(opted_out_before)], dtype="int64"),
                            "sent_utc": pd.Series([MIDNIGHT - pd.Timedelta(days=2)] * len(opted_out_before),
                                                  dtype="datetime64[ns, UTC]"),
                            "agency_id": pd.Series(["AG02"] * len(opted_out_before), dtype=TEXT),
                            "message_id": pd.Series(["old"] * len(opted_out_before), dtype=TEXT)})
    inputs = day_of(base, messages, calls, opt_outs=earlier)
    rows = records(messages)
    opt_outs = [(m["customer_e164"], event_key(m["sent_utc"], "sms", m["agency_id"], m["message_id"]))
                for m in rows if oracle_opt_out(m)]
    refusals = [(c["callee_e164"], event_key(c["start_utc"], "call", c["agency_id"], c["call_id"]))
                for c in plain(calls) if c["is_refusal"]]

    def after(number: str, key: tuple, events) -> bool:
        return number in opted_out_before or any(n == number and k < key for n, k in events)

    texts = {(m["agency_id"], m["message_id"]) for m in rows
             if m["direction_code"] == "MT" and PURPOSE.get(m["campaign_id"]) == "marketing"
             and (after(m["customer_e164"], event_key(m["sent_utc"], "sms", m["agency_id"], m["message_id"]),
                        opt_outs + refusals))}
    event(f"texts after an opt-out: {min(len(texts), 2)}")
    assert ids_of(marketing_after_opt_out(inputs)) == texts
    refused_today = [(c["callee_e164"], c["start_utc"], c["agency_id"], c["call_id"])
                     for c in plain(calls) if c["is_refusal"]]
    by_call = set()
    for c in plain(calls):
        key = event_key(c["start_utc"], "call", c["agency_id"], c["call_id"])
        refused = any(n == c["callee_e164"] and event_key(t, "call", a, i) < key for n, t, a, i in refused_today)
        if c["is_attempt"] and c["purpose"] in ("marketing", "servicing") and refused:
            by_call.add((c["agency_id"], c["call_id"]))       # FREQ_AFTER_REFUSAL of the call rule (cn_bank)
        elif c["is_attempt"] and c["purpose"] == "marketing" and after(c["callee_e164"], key, opt_outs):
            by_call.add((c["agency_id"], c["call_id"]))
    event(f"calls after a refusal or an opt-out: {min(len(by_call), 2)}")
    found = attempts_after_refusal_or_opt_out(inputs)
    assert ids_of(found) == by_call and len(found) == len(by_call)


TWO = ("+8613812345678", "+12125550100")        # few numbers: counts reach the caps


@given(message_days(numbers=TWO), call_days(numbers=TWO),
       st.lists(st.tuples(st.sampled_from(TWO), st.sampled_from([0, 2]), st.integers(1, 8), st.booleans()),
                max_size=12))
def test_contacts_over_seven_days_equal_the_oracle(base, messages, calls, earlier):
    """`earlier`: (number, purpose_id, days ago, channel is call) of earlier days' attempts."""
    caps = {"marketing": 3, "servicing": 5}                   # low, so that the rule fires; collection: no cap
    purposes = list(PURPOSE.values())
    history = pd.DataFrame({"number": pd.Series([int(n[1:]) for n, *_ in earlier], dtype="int64"),
                            "start_utc": pd.Series([MIDNIGHT - pd.Timedelta(days=d) for _, _, d, _ in earlier],
                                                   dtype="datetime64[ns, UTC]"),
                            "days_ago": pd.Series([d for _, _, d, _ in earlier], dtype="int16"),
                            "purpose_id": pd.Series([p for _, p, _, _ in earlier], dtype="int8"),
                            "is_attempt": pd.Series([True] * len(earlier), dtype=bool)})
    on_calls = history[[c for _, _, _, c in earlier]] if earlier else history
    on_texts = history[[not c for _, _, _, c in earlier]].rename(columns={"start_utc": "sent_utc"}) if earlier \
        else no_message_history()
    pack = dataclasses.replace(base.rulepack, sms=dataclasses.replace(base.rulepack.sms, contact_caps=caps))
    inputs = dataclasses.replace(day_of(base, messages, calls, history=on_texts.reset_index(drop=True)),
                                 history=on_calls.reset_index(drop=True), rulepack=pack)
    counts = {}
    for n, p, d, _ in earlier:
        if d <= 6:
            counts[(n, purposes[p])] = counts.get((n, purposes[p]), 0) + 1
    today = [(event_key(c["start_utc"], "call", c["agency_id"], c["call_id"]), c["callee_e164"], c["purpose"])
             for c in plain(calls) if c["is_attempt"] and c["purpose"]]
    today += [(event_key(m["sent_utc"], "sms", m["agency_id"], m["message_id"]), m["customer_e164"],
               PURPOSE[m["campaign_id"]]) for m in records(messages) if oracle_attempt(m) and m["campaign_id"] in PURPOSE]
    expected = set()
    for key, number, purpose in sorted(today):
        if purpose in caps and counts.get((number, purpose), 0) >= caps[purpose]:
            expected.add((key[1], key[2], key[3]))
        counts[(number, purpose)] = counts.get((number, purpose), 0) + 1
    event(f"contact findings: {min(len(expected), 3)}")
    found = contacts_over_rolling_cap(inputs)
    channel = np.where(found["call_id"].str.startswith("c"), 0, 1)
    assert set(zip(channel, found["agency_id"], found["call_id"])) == expected


@given(message_days(), call_days())
def test_contact_ordinals_count_in_cross_channel_order(base, messages, calls):
    enriched = MessageInputs.of_day(messages, base.campaigns, base.rulepack).messages
    contacts = contacts_of(calls, enriched)
    ordinal, before = contact_ordinals(contacts, np.array([], dtype="int64"))
    rows = sorted([(event_key(c["start_utc"], "call", c["agency_id"], c["call_id"]), c["number"], c["purpose_id"])
                   for c in plain(calls)]
                  + [(event_key(m["sent_utc"], "sms", m["agency_id"], m["message_id"]), m["number"], m["purpose_id"])
                     for m in enriched.to_dict("records")])
    seen, expected = {}, []
    for _, number, purpose in rows:
        expected.append(seen.get((number, purpose), 0))
        seen[(number, purpose)] = seen.get((number, purpose), 0) + 1
    assert ordinal.tolist() == expected and not before.any()
    assert list(contacts["channel"]) == ["call" if k[1] == 0 else "sms" for k, _, _ in rows]


# --- what a text says, and who sent it ---------------------------------------------------------

def oracle_signed(text: str | None) -> bool:
    trimmed = (text or "").strip()
    if trimmed.startswith("【") and "】" in trimmed:
        name = trimmed[1:trimmed.index("】")]
        if "【" not in name and 2 <= len(name) <= 20:
            return True
    if trimmed.endswith("】") and "【" in trimmed:
        name = trimmed[trimmed.rindex("【") + 1:-1]
        if "】" not in name and 2 <= len(name) <= 20:
            return True
    return False


@given(message_days())
def test_text_rules_equal_the_oracle(base, messages):
    inputs = day_of(base, messages)
    rows = records(messages)
    unsigned = {(m["agency_id"], m["message_id"]) for m in rows if m["direction_code"] == "MT"
                and not oracle_signed(m["text"])}
    silent = {(m["agency_id"], m["message_id"]) for m in rows if m["direction_code"] == "MT"
              and PURPOSE.get(m["campaign_id"]) == "marketing"
              and not re.search(OPT_OUT_TEXT, unicodedata.normalize("NFKC", m["text"] or ""), re.IGNORECASE)}
    assert ids_of(messages_without_signature(inputs)) == unsigned
    assert ids_of(marketing_without_opt_out_text(inputs)) == silent


def oracle_digits(written: str) -> str | None:
    text = "".join(ch for ch in unicodedata.normalize("NFKC", written) if not ch.isspace() and ch != "-")
    text = text.removeprefix("+")
    return text or None


@given(st.lists(st.one_of(st.none(), st.sampled_from(SENDERS),
                          st.text(alphabet="+- 0１9\u3000\u2028\u0085\u00a0\t", max_size=8)), max_size=12), st.data())
def test_sender_digits_equal_the_oracle(written, data):
    """Each distinct port is read once: repeated, blank and missing values, any index, and a
    column held in several Arrow chunks (as a large CSV file is read)."""
    labels = data.draw(st.permutations(range(5, 5 + 2 * len(written), 2))) if written else []
    cut = data.draw(st.integers(0, len(written)))
    parts = [pd.Series(written[:cut], dtype=TEXT), pd.Series(written[cut:], dtype=TEXT)]
    values = pd.concat(parts, ignore_index=True).set_axis(pd.Index(list(labels), dtype="int64"))
    result = sender_digits(values)
    assert list(result.index) == list(values.index)
    assert [None if pd.isna(v) else v for v in result] == [None if w is None else oracle_digits(w) for w in written]


@given(message_days())
def test_unregistered_senders_equal_the_oracle(base, messages):
    expected = {(m["agency_id"], m["message_id"]) for m in records(messages)
                if m["direction_code"] == "MT" and m["sender_digits"] != "106900001234"}
    assert ids_of(messages_from_unregistered_senders(day_of(base, messages))) == expected


@given(st.lists(st.one_of(st.none(), st.sampled_from(TEXTS), st.text(alphabet="TtＴｔDdＤｄNn0０退订 \u3000", max_size=4)),
                max_size=15), st.data())
def test_opt_out_replies_equal_the_oracle(texts, data):
    labels = data.draw(st.permutations(range(1, 1 + 7 * len(texts), 7))) if texts else []
    values = pd.Series(texts, index=pd.Index(list(labels), dtype="int64"), dtype=TEXT)
    expected = [t is not None and (folded(t) in KEYWORDS or "退订" in folded(t)) for t in texts]
    assert opt_out_replies(values, frozenset(KEYWORDS)).tolist() == expected


@given(message_days())
def test_opt_outs_among_a_day_equal_the_oracle(base, messages):
    """The opt-outs the store keeps of a day, only its replies enriched: every MO that opts out,
    in message order."""
    found = opt_outs_among(messages, base.campaigns, base.rulepack.sms)
    expected = [(int(m["customer_e164"][1:]), m["sent_utc"], m["agency_id"], m["message_id"])
                for m in records(messages) if oracle_opt_out(m)]
    assert list(found.itertuples(index=False, name=None)) == expected


@given(message_days(), call_days(), st.booleans(), st.booleans(), st.data())
def test_contacts_of_lists_both_channels_in_cross_channel_order(base, messages, calls, shuffle_calls,
                                                               shuffle_texts, data):
    """Each channel in its own order (merged on the instant) or not (sorted on every key): one
    row per call and message, in (instant, calls first, agency_id, id) order, labels kept."""
    enriched = MessageInputs.of_day(messages, base.campaigns, base.rulepack).messages
    enriched.index = pd.Index(range(7, 7 + 5 * len(enriched), 5), dtype="int64")
    if shuffle_calls:
        calls = calls.iloc[data.draw(st.permutations(range(len(calls))))]
    if shuffle_texts:
        enriched = enriched.iloc[data.draw(st.permutations(range(len(enriched))))]
    contacts = contacts_of(calls, enriched)
    expected = sorted([(event_key(c["start_utc"], "call", c["agency_id"], c["call_id"]), "call", c["number"],
                        c["purpose_id"], c["agency_id"], c["call_id"], row) for row, c in zip(calls.index, plain(calls))]
                      + [(event_key(m["sent_utc"], "sms", m["agency_id"], m["message_id"]), "sms", m["number"],
                          m["purpose_id"], m["agency_id"], m["message_id"], row)
                         for row, m in zip(enriched.index, plain(enriched))])
    assert list(contacts.index) == list(range(len(expected)))
    assert [(c, n, p, a, i, r) for c, n, p, a, i, r in zip(contacts["channel"], contacts["number"],
            contacts["purpose_id"], contacts["agency_id"], contacts["contact_id"], contacts["row"])] \
        == [key[1:] for key in expected]
    assert contacts["agency_id"].dtype == TEXT and contacts["contact_id"].dtype == TEXT
