"""`python -m audits cases` on a literal case store: "open" means not resolved, with the status
breakdown beside it; --severity; whole-number day counts; a summary column; terminal control
characters escaped; and a reports folder passed as --store is named as such."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd
import pytest

from audits.cases.daily import build_snapshot
from audits.cases.lifecycle import empty_counts
from audits.cli import main as cli
from audits.models import open_cases_text
from audits.rulepack import load_rulepack
from audits.rules.messages.inputs import enrich_messages, opt_outs_of, type_messages
from audits.store import write_day
from tests.rules.messages.helpers import message
from tests.test_store import _calls

D = dt.date(2026, 11, 1)
HOSTILE = "E\x1b[2J\x1b]0;owned\x07\u202e9"          # an agent id with a screen clear, a title and a bidi override


def _counts(*cases: tuple[str, str, str]) -> pd.DataFrame:
    """(case_id, rule_id, agent) of AG01, one finding each."""
    rows = [dict(case_id=cid, agency_id="AG01", rule_id=rule, subject_kind="agent", subject_display=agent, findings=1,
                 calls=1, last_call="2026-11-01T14:05:00+08:00") for cid, rule, agent in cases]
    return pd.DataFrame(rows) if rows else empty_counts()


@pytest.fixture
def store(tmp_path):
    """Days 1..8: C-1 (critical) found on day 1 only, resolved on day 8; C-2 (major, hostile agent)
    on days 1 and 8 (open); C-3 (critical) on day 8 (new); C-4 (minor) on day 5 (quiet)."""
    store = tmp_path / "store"
    found = {0: _counts(("C-1", "CONF_PII_IN_NOTES", "E1"), ("C-2", "CONF_AGENT_NOT_ACTIVE", HOSTILE)),
             4: _counts(("C-4", "QUAL_AGENT_UNTRAINED", "E4")),
             7: _counts(("C-2", "CONF_AGENT_NOT_ACTIVE", HOSTILE), ("C-3", "CONF_PII_IN_NOTES", "E3"))}
    for k in range(8):
        build_snapshot(store, D + dt.timedelta(days=k), found.get(k, empty_counts()), resolve_after_days=7)
    return store


def test_open_means_not_resolved_with_the_status_breakdown():
    assert open_cases_text(["new", "open", "quiet", "quiet", "resolved"]) == \
        "4 open (not resolved: 1 new, 1 open, 2 quiet); 1 resolved today"
    assert open_cases_text([]) == "0 open"


def test_the_register_counts_open_as_not_resolved_and_shows_day_counts_as_whole_numbers(store, capsys):
    assert cli(["cases", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    head, _, table = out.partition("\n\n")
    assert head == "Cases on 2026-11-08: 4 shown; 3 open (not resolved: 1 new, 1 open, 1 quiet); 1 resolved today"
    lines = table.splitlines()
    assert lines[0].split()[-1] == "SUMMARY"
    days = {line.split()[0]: line for line in lines[1:]}
    assert "  8  " in days["C-2"] and "8.0" not in out                     # days_open 8, a whole number
    assert "no finding since 2026-11-05 (quiet 3 assessed days" in days["C-4"]


def test_severity_filter_and_csv_day_counts(store, capsys):
    assert cli(["cases", "--store", str(store), "--severity", "critical", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert sorted((r["case_id"], r["status"], r["days_open"]) for r in rows) == [("C-1", "resolved", ""),
                                                                                ("C-3", "new", "1")]
    assert cli(["cases", "--store", str(store), "--severity", "major,minor", "--status", "quiet"]) == 0
    assert "C-4" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli(["cases", "--store", str(store), "--severity", "grave"])


def test_terminal_control_characters_are_escaped(store, capsys):
    for form in ("table", "csv"):
        assert cli(["cases", "--store", str(store), "--format", form]) == 0
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
        assert "E\\x1b[2J" in out and "\\u202e9" in out
    assert cli(["case", "C-2", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "E\\x1b[2J" in out


def test_a_reports_folder_given_as_store_is_named_and_never_suggested(tmp_path, capsys):
    reports = tmp_path / "reports"
    (reports / "2026-11-27").mkdir(parents=True)
    (reports / "2026-11-27" / "manifest.json").write_text("{}", encoding="utf-8")
    for command in (["cases", "--store", str(reports)], ["case", "C-1", "--store", str(reports)]):
        assert cli(command) == 2
        err = capsys.readouterr().err
        assert "is a reports folder" in err and "not the case store" in err
        assert "pointing here" not in err
    assert cli(["cases", "--store", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert "pointing here" not in err and "the folder the audit runs were given as --store" in err


def test_a_register_rebuilt_on_a_day_with_texts_counts_contacts_not_calls(tmp_path, capsys):
    """The store keeps each case's contacts of the day (calls and texts together): on a day whose
    store partition holds texts, the summary says contacts (texts for a rule of texts), never calls."""
    root, pack = tmp_path / "store", load_rulepack("cn_bank")
    texts = type_messages(pd.DataFrame([message("m1", f"{D} 10:00:00")], dtype="str").replace({"": None}),
                          local_zone=pack.bank_timezone, bank_zone=pack.bank_timezone, region="CN")
    campaigns = pd.DataFrame({"campaign_id": ["MKT"], "purpose_code": ["marketing"], "product": ["CREDIT_CARD"]})
    write_day(root, D, _calls(D, 2), messages=texts, opt_outs=opt_outs_of(enrich_messages(texts, campaigns, pack.sms)))
    counts = pd.DataFrame([dict(case_id=cid, agency_id="AG01", rule_id=rule, subject_kind="customer",
                                subject_display="+86 138****5678", findings=n, calls=n,
                                last_call="2026-11-01T14:05:00+08:00")
                           for cid, rule, n in (("C-5", "CONTACT_ROLLING_7D", 3), ("C-6", "SMS_DAILY_CAP", 2),
                                                ("C-7", "FREQ_DAILY_CAP", 1))])
    build_snapshot(root, D, counts, resolve_after_days=7)
    assert cli(["cases", "--store", str(root)]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.startswith("C-")}
    assert "3 contacts on 2026-11-01" in lines["C-5"]
    assert "2 texts on 2026-11-01" in lines["C-6"]
    assert "1 contact on 2026-11-01" in lines["C-7"]
    assert " call" not in "".join(lines.values())
    assert cli(["case", "C-5", "--store", str(root)]) == 0
    header = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("DAY"))
    assert header.split()[:6] == ["DAY", "STATUS", "EPISODE", "FIRST", "SEEN", "FINDINGS"]
    assert "CONTACTS" in header and "CALLS" not in header           # a case's contacts of the day


def test_a_register_rebuilt_on_a_day_without_texts_counts_calls(store, capsys):
    assert cli(["cases", "--store", str(store), "--format", "csv"]) == 0
    rows = {r["case_id"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert "1 call on 2026-11-08" in rows["C-3"]["summary"]
