"""The sample's text messages: SMS files in every shape the CDRs come in, the reference changes
(contracts.channels, SMS ports), opt-outs as customers write them, and the texts' truth."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

from audits.config import SmsSettings
from audits.models import RULES_BY_ID
from audits.rules.messages.inputs import is_opt_out_text
from audits.rules.messages.texts import has_signature
from audits.sample import write_sample_landing
from audits.sample.texts import SMS_HEADER
from tests.test_sample import _rows

START = dt.date(2026, 11, 21)
ARGS = dict(start=START, days=5, agencies=8, calls_per_day=2000)
DATES = [(START + dt.timedelta(days=k)).isoformat() for k in range(5)]
SMS_RULES = {r for r in RULES_BY_ID if r.startswith(("SMS_", "CONTACT_"))}
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}(:?\d{2})?)?$")


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sms-sample") / "landing"
    write_sample_landing(path, seed=11, **ARGS)
    return path


@pytest.fixture(scope="module")
def texts(landing) -> pd.DataFrame:
    """Every SMS file's rows (as text) with its date and file name."""
    frames = []
    for path in sorted((landing / "sms").rglob("AG*")):
        header, rows = _rows(path)
        frames.append(pd.DataFrame(rows, columns=header).assign(date=path.parent.name, file=path.name))
    return pd.concat(frames, ignore_index=True).fillna("")


@pytest.fixture(scope="module")
def truth(landing) -> pd.DataFrame:
    return pd.concat([pd.read_csv(landing / "truth" / f"{d}.csv", dtype=str, keep_default_na=False).assign(date=d)
                      for d in DATES], ignore_index=True)


def _contracts(landing) -> pd.DataFrame:
    return pd.read_excel(landing / "reference" / "contracts.xlsx", dtype=str).fillna("")


def test_sms_files_come_in_every_shape_the_cdrs_do(landing):
    for day in DATES:
        names = sorted(p.name for p in (landing / "sms" / day).iterdir())
        assert names == ["AG01.csv", "AG02.csv.gz", "AG06.parquet", "AG08.csv"]
        folder = landing / "sms" / day
        with pytest.raises(UnicodeDecodeError):
            (folder / "AG08.csv").read_bytes().decode("utf-8")          # GB18030, as Chinese exports
        assert (folder / "AG08.csv").read_bytes().decode("gb18030").startswith("message_id,")
        for path in folder.iterdir():
            header, _ = _rows(path)
            assert header in (SMS_HEADER, [c for c in SMS_HEADER if c != "customer_tz"]), path.name


def test_rows_are_texts_as_agencies_write_them(texts):
    mt, mo = texts[texts["direction"] == "MT"], texts[texts["direction"] == "MO"]
    assert set(mt["status"]) == {"DELIVERED", "PENDING", "FAILED", "REJECTED", ""}     # blank: planted, quarantined
    assert (mt["status"] == "").sum() == (mo["status"] != "").sum() == len(DATES)      # one of each a day
    assert (mo["status"] == "").mean() > 0.9
    assert texts["sent_at"].str.match(ISO).all()
    assert (texts["sender"].str.replace(r"[ \-+]", "", regex=True).str.fullmatch(r"\d{11,12}")).all()
    keywords = frozenset(SmsSettings().opt_out_keywords)
    replies = set(mo["text"])
    assert {"T", "退订", "ｔ", "STOP"} <= replies                        # opt-outs in every case and width
    assert {r for r in replies if not is_opt_out_text(r, keywords)}     # and harmless replies
    signed = mt["text"].map(lambda t: has_signature(t, frozenset()))
    assert signed.mean() > 0.9
    ends = mt["text"].str.strip().str.endswith("】")
    assert ends.any() and (~ends).any()                                 # signature at the start and at the end


def test_contracts_say_which_agencies_text(landing, texts):
    contracts = _contracts(landing)
    last = contracts.groupby("agency_id").tail(1).set_index("agency_id")["channels"]
    texting = set(texts["agency_id"])
    assert {a for a in texting if "sms" not in last[a]} == {"AG08"}    # one agency texts without sms in its contract
    assert {a for a in last.index if "sms" in last[a]} == texting - {"AG08"}
    ports = pd.read_csv(landing / "reference" / "caller_numbers.csv", dtype=str, keep_default_na=False)
    assert set(ports["channel"]) == {"call", "sms"}
    assert texting <= set(ports.loc[ports["channel"] == "sms", "agency_id"])


def test_truth_has_a_channel_and_every_sms_rule(texts, truth):
    assert list(truth.columns[:5]) == ["agency_id", "call_id", "rule_id", "row_number", "channel"]
    sms = truth[truth["channel"] == "sms"]
    assert SMS_RULES <= set(sms["rule_id"])
    assert {"QUAL_OUT_OF_SCOPE", "CONF_NDA_NOT_IN_FORCE", "CONF_UNASSIGNED"} <= set(sms["rule_id"])
    ids = set(zip(texts["date"], texts["agency_id"], texts["message_id"]))
    assert set(zip(sms["date"], sms["agency_id"], sms["call_id"])) <= ids
    replies = texts[texts["direction"] == "MO"]
    mo = set(zip(replies["date"], replies["agency_id"], replies["message_id"]))
    rules = sms[~sms["rule_id"].str.startswith("DQ_")]
    assert not mo & set(zip(rules["date"], rules["agency_id"], rules["call_id"]))  # replies are never findings
    calls = truth[truth["channel"] == "call"]
    assert {"CONTACT_ROLLING_7D", "FREQ_AFTER_REFUSAL"} <= set(calls["rule_id"])  # across channels, on calls
    assert "AG01" not in set(truth["agency_id"])                                  # the clean agency texts cleanly
    out_of_scope = sms[sms["agency_id"] == "AG08"]
    assert set(out_of_scope["rule_id"]) == {"QUAL_OUT_OF_SCOPE"}
    sent = texts[(texts["agency_id"] == "AG08") & (texts["direction"] == "MT")]
    assert set(zip(out_of_scope["date"], out_of_scope["call_id"])) == set(zip(sent["date"], sent["message_id"]))


def test_volume_follows_calls_per_day(texts):
    per_day = texts[texts["direction"] == "MT"].groupby("date").size()
    assert (per_day >= 2000 / 20).all() and (per_day < 2000 / 5).all()


def test_same_seed_same_texts_and_truth(tmp_path):
    runs = {}
    for name, seed in (("first", 11), ("again", 11), ("other", 12)):
        summary = write_sample_landing(tmp_path / name, seed=seed, **dict(ARGS, days=2))
        assert summary["messages"] > 0
        runs[name] = {p.relative_to(tmp_path / name).as_posix(): p.read_bytes()
                      for p in sorted((tmp_path / name).rglob("*")) if p.is_file()}
    assert runs["first"] == runs["again"]
    sms = [n for n in runs["first"] if n.startswith("sms/")]
    assert sms and all(runs["other"].get(n) != runs["first"][n] for n in sms)
    assert runs["other"][f"truth/{DATES[1]}.csv"] != runs["first"][f"truth/{DATES[1]}.csv"]


@pytest.mark.parametrize(("agencies", "days"), [(1, 1), (3, 3), (5, 2), (14, 2)])
def test_any_number_of_agencies_writes_texts_and_a_truth_with_channel(tmp_path, agencies, days):
    summary = write_sample_landing(tmp_path, start=START, days=days, agencies=agencies, calls_per_day=400, seed=3)
    truth = pd.read_csv(tmp_path / "truth" / f"{DATES[days - 1]}.csv", dtype=str, keep_default_na=False)
    assert list(truth.columns) == ["agency_id", "call_id", "rule_id", "row_number", "channel"]
    assert summary["messages"] == sum(len(_rows(p)[1]) for p in (tmp_path / "sms").rglob("AG*"))
    assert set(truth["channel"]) <= {"call", "sms"}


def test_planted_sms_rows_point_at_their_defect(texts, truth):
    """Quarantinable rows: an MT without a status, an MO with one, a repeated message_id (the
    copy right after a clean text); message_ids are otherwise unique in each file."""
    planted = truth[(truth["channel"] == "sms") & truth["rule_id"].str.startswith("DQ_")]
    assert set(planted["rule_id"]) == {"DQ_MISSING_FIELD", "DQ_BAD_ENUM", "DQ_DUPLICATE_MESSAGE_ID"}
    for date, agency, message_id, rule, row in planted[
            ["date", "agency_id", "call_id", "rule_id", "row_number"]].values.tolist():
        rows = texts[(texts["date"] == date) & (texts["agency_id"] == agency)].reset_index(drop=True)
        line = rows.iloc[int(row) - 1]
        assert line["message_id"] == message_id
        if rule == "DQ_MISSING_FIELD":
            assert (line["direction"], line["status"]) == ("MT", "")
        elif rule == "DQ_BAD_ENUM":
            assert line["direction"] == "MO" and line["status"] != ""
        else:
            assert rows.iloc[int(row) - 2].drop(["date", "file"]).equals(line.drop(["date", "file"]))
    copies = planted[planted["rule_id"] == "DQ_DUPLICATE_MESSAGE_ID"]
    repeated = texts[texts.duplicated(["date", "agency_id", "message_id"])]
    assert set(zip(repeated["date"], repeated["message_id"])) == set(zip(copies["date"], copies["call_id"]))
