"""No published file holds a number written in a text message, nor a text beyond a masked excerpt
of at most 40 characters (sms.md §3): a day with texts whose `text` holds a full mobile number,
an ID number and a card number, audited end to end, then reviewed with its share packs; every
CSV, HTML, JSON and unzipped workbook is scanned.

The day's messages are AG01's SMS file in the landing zone (its contract includes sms), so the
run hands them to every stage and output they reach."""

from __future__ import annotations

import contextlib
import io
import re

import pandas as pd
import pytest

from audits.cli import main as cli
from tests.landing import CUSTOMER, DAY, REFERENCE, call, make_landing, write_csv
from tests.sms.messages import write_sms
from tests.test_published_ids import _texts

MOBILE, ID_NUMBER, CARD = "13566667777", "110105194912310028", "6222021234567890123"
TAIL = "尾巴标记只在短信正文里出现"          # beyond the first 40 characters: never published
TEXT = (f"【华信银行】尊敬的客户您好，请致电{MOBILE}，身份证{ID_NUMBER}，卡号{CARD}已逾期请尽快还款，"
        f"{TAIL}，回复T退订")
OPT_OUT = "退订"


def _messages() -> list[dict]:
    """The day's SMS rows of AG01: marketing texts to the customer (a PII text every time, enough
    for the daily cap), and the customer's opt-out reply."""
    rows = [dict(message_id=f"M{k}", agency_id="AG01", agent_id="", campaign_id="MKT", direction="MT",
                 sender="106900001234", customer_number=CUSTOMER, sent_at=f"{DAY} {9 + k:02d}:00:00",
                 status="DELIVERED", text=TEXT, customer_tz="") for k in range(4)]
    rows.append(dict(message_id="MO1", agency_id="AG01", agent_id="", campaign_id="MKT", direction="MO",
                     sender="106900001234", customer_number=CUSTOMER, sent_at=f"{DAY} 15:00:00", status="",
                     text=OPT_OUT, customer_tz=""))
    return rows


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("sms-leaks")
    calls = [call("C1", f"{DAY} 08:30:00"), call("C2", f"{DAY} 08:45:00", notes=f"客户说 {MOBILE}")]
    contracts = [{**REFERENCE["contracts"][0], "channels": "call;sms"}]
    ports = [*REFERENCE["caller_numbers"], dict(agency_id="AG01", caller_number="106900001234",
                                                registered_from="2025-01-01", registered_to="", channel="sms")]
    landing = make_landing(root / "landing", {DAY: {"AG01": calls}}, contracts=contracts, caller_numbers=ports)
    write_sms(landing, _messages(), agency_id="AG01", day=DAY)
    write_csv(landing / "complaints" / f"{DAY}.csv",
              [dict(complaint_id="CMP-1", received_at=f"{DAY} 18:00", phone=CUSTOMER, channel="hotline",
                    category="harassment", agency_id="", text=TEXT)],
              ["complaint_id", "received_at", "phone", "channel", "category", "agency_id", "text"])
    out, store, printed = root / "out", root / "store", io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        assert cli(["run", "--date", str(DAY), "--landing", str(landing), "--out", str(out),
                    "--store", str(store), "--run-id", "sms", "--workers", "1"]) == 0, printed.getvalue()
        assert cli(["review", "--month", "2026-11", "--out", str(out), "--store", str(store),
                    "--allow-missing-days"]) == 0, printed.getvalue()
    checked = io.StringIO()
    with contextlib.redirect_stdout(checked), contextlib.redirect_stderr(checked):
        verified = cli(["verify", str(out / str(DAY))])
    assert verified == 0, checked.getvalue()          # complaints.csv and scores.csv with the texts' columns
    return out, printed.getvalue()


def _held(text: str) -> list[str]:
    """The numbers of the text, its tail, or the text whole, that `text` holds (separators dropped)."""
    compact = re.sub(r"[\s\-_.,]", "", text)
    found = [n for n in (MOBILE, ID_NUMBER, CARD) if n in compact or n[:8] in compact]
    return found + [what for what in (TAIL, TEXT) if what in text]


def test_the_day_published_findings_and_excerpts_of_the_texts(published):
    out, _ = published
    report = out / str(DAY)
    violations = pd.read_csv(report / "violations.csv", dtype=str, keep_default_na=False)
    assert "SMS_PII_IN_TEXT" in set(violations["rule_id"])             # the texts were audited
    page = (report / "agencies" / "AG01.html").read_text(encoding="utf-8")
    excerpts = re.findall(r'<q class="excerpt">([^<]*)</q>', page)
    assert excerpts and all(len(e) <= 40 for e in excerpts)
    assert "messages audited" in page
    complaints = pd.read_csv(report / "complaints.csv", dtype=str, keep_default_na=False)
    assert complaints["last_contact_channel"].tolist() == ["sms"]


def test_no_output_holds_a_number_of_a_text_or_a_text_beyond_its_excerpt(published):
    out, printed = published
    texts = dict(_texts(out))
    assert any(name.endswith("share/AG01.zip!findings.csv") for name in texts)       # the share pack was read
    assert any("agencies/AG01.xlsx!xl/worksheets/" in name for name in texts)        # and the workbooks
    assert {name: found for name, text in texts.items() if (found := _held(text))} == {}
    assert _held(printed) == []
