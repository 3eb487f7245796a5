"""Complaints end to end through run_audit on a literal landing zone (signals.md §1): each link
status, the look-back window's edges, an agency named that never called, cross-agency links to
store days and today, escalated cases, the complaint rate at a hand-computed value, the
quarantine reasons, and the free text kept out of every output and log."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import io
import logging
import os

import pandas as pd
import pytest

from audits.cases.keys import case_id
from audits.cli import SECRET_VARIABLE
from audits.cli import main as cli
from audits.notify import compose_summary
from audits.pipeline import run_audit
from audits.privacy import phone_keys
from audits.verification import verify_report
from tests.landing import DAY, REFERENCE, call, config_for, make_landing, write_csv

D = DAY                                        # 2026-11-27
EARLIER = D - dt.timedelta(days=1)


def ago(days: int) -> dt.date:
    return D - dt.timedelta(days=days)


# Customers' numbers (valid CN mobiles), one per situation.
EDGE_14 = "13800000001"       # AG01 called on D-14 only: inside the 14-day look-back
EDGE_15 = "13800000002"       # AG01 called on D-15 only: outside it
CROSS = "13800000003"         # AG01 on D-1 (audited, a finding), AG02 today (a finding)
NEVER = "13800000004"         # nobody called; the complaint names AG03, which called nobody at all
NOBODY = "13800000005"        # nobody called, nobody named
BUSY = "13800000006"          # AG01 called, BUSY: a call (links) but not an attempt (no reach)
ANSWERED = "13800000007"      # AG01 today, answered
OLD_30 = "13800000008"        # AG01 on D-30: outside the 30-day rate window
OLD_29 = "13800000009"        # AG01 on D-29: inside it
FRESH = "13800000010"         # AG01 today, not assigned: a new critical case, not escalated
AG02_CALLER = "02161234567"
SECRET = b"complaints-test-secret"
SECRET_NAME = "Zhang Xiaoming"
SECRET_PHONE = "13612345678"
COMPLAINT_COLUMNS = ["complaint_id", "received_at", "phone", "channel", "category", "agency_id", "text"]


def _contract(agency: str) -> dict:
    return dict(REFERENCE["contracts"][0], agency_id=agency, contract_id=f"C-{agency}", agency_name=agency)


def _col(call_id: str, when: dt.date, clock: str, number: str, **fields) -> dict:
    """A collection call (no consent rule), not answered unless said otherwise."""
    return call(call_id, f"{when} {clock}", campaign_id="COL", callee_number=number, **fields)


def _complaint(complaint_id: str, phone: str, *, received: str, channel: str = "hotline",
               category: str = "harassment", agency_id: str = "") -> dict:
    return dict(complaint_id=complaint_id, received_at=received, phone=phone, channel=channel, category=category,
                agency_id=agency_id, text=f"{SECRET_NAME} says {SECRET_PHONE} was called at night")


def _landing(root):
    assigned = [dict(agency_id="AG01", campaign_id="COL", customer_id=f"K{n}", phone=n, assigned_from="2026-01-01",
                     assigned_to="") for n in (EDGE_14, EDGE_15, BUSY, ANSWERED, OLD_30, OLD_29)]
    days = {
        ago(30): {"AG01": [_col("o30", ago(30), "10:00:00", OLD_30)]},
        ago(29): {"AG01": [_col("o29", ago(29), "10:00:00", OLD_29)]},
        ago(15): {"AG01": [_col("e15", ago(15), "10:00:00", EDGE_15)]},
        ago(14): {"AG01": [_col("e14", ago(14), "10:00:00", EDGE_14)]},
        EARLIER: {"AG01": [_col("x1", EARLIER, "10:00:00", CROSS)]},
        D: {"AG01": [_col("b1", D, "09:00:00", BUSY, disposition="BUSY"),
                     _col("a1", D, "11:00:00", ANSWERED, disposition="ANSWERED", answer_time=f"{D} 11:00:05",
                          end_time=f"{D} 11:03:00", outcome="RIGHT_PARTY"),
                     _col("f1", D, "12:00:00", FRESH)],
            "AG02": [_col("y1", D, "10:30:00", CROSS, agency_id="AG02", agent_id="B1", caller_number=AG02_CALLER)]},
    }
    landing = make_landing(
        root / "landing", days,
        contracts=[_contract("AG01"), _contract("AG02"), _contract("AG03")],
        agents=[*REFERENCE["agents"], dict(REFERENCE["agents"][0], agency_id="AG02", agent_id="B1")],
        caller_numbers=[*REFERENCE["caller_numbers"],
                        dict(REFERENCE["caller_numbers"][0], agency_id="AG02", caller_number=AG02_CALLER)],
        assignments=[*REFERENCE["assignments"], *assigned])
    for folder in (ago(d) for d in (30, 29, 15, 14)):            # AG02 and AG03 deliver nothing those days
        (landing / "cdr" / folder.isoformat()).mkdir(parents=True, exist_ok=True)
    write_csv(landing / "complaints" / f"{EARLIER}.csv",
              [_complaint("K-EARLY", CROSS, received=f"{EARLIER} 18:00")], COMPLAINT_COLUMNS)
    write_csv(landing / "complaints" / f"{D}.csv", [
        _complaint("K-EDGE14", EDGE_14, received=f"{D} 08:00"),
        _complaint("K-EDGE15", EDGE_15, received=f"{D}T08:30:00+08:00"),
        _complaint("K-CROSS", "+86 138 0000 0003", received=f"{D} 09:00", channel="Regulator", category="PRIVACY"),
        _complaint("K-NAMED", NEVER, received=f"{D} 09:30", agency_id="AG03"),
        _complaint("K-NONE", NOBODY, received=f"{D} 10:00"),
        _complaint("K-BUSY", BUSY, received=f"{D} 10:30", category="other"),
        # quarantined, one reason each
        _complaint("Q-PHONE", "12345", received=f"{D} 11:00"),
        _complaint("Q-ENUM", NOBODY, received=f"{D} 11:00", channel="fax"),
        _complaint("Q-MISSING", NOBODY, received=f"{D} 11:00", category=""),
        _complaint("K-NONE", NOBODY, received=f"{D} 11:00"),                  # repeated in the file
        _complaint("K-EARLY", CROSS, received=f"{D} 11:00"),                  # received on an earlier day
        _complaint("Q-TIME", NOBODY, received="2026-11-31 11:00"),
        _complaint("Q-DAY", NOBODY, received=f"{EARLIER} 23:59"),
        _complaint("Q-AGENCY", NOBODY, received=f"{D} 11:00", agency_id="AG99"),
    ], COMPLAINT_COLUMNS)
    return landing


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    root = tmp_path_factory.mktemp("complaints")
    _landing(root)
    logs, printed = _Capture(), io.StringIO()
    logging.getLogger().addHandler(logs)
    before = os.environ.get(SECRET_VARIABLE)
    os.environ[SECRET_VARIABLE] = SECRET.decode()        # both days keyed alike, whatever other tests set
    try:
        earlier = run_audit(_config(root, EARLIER)).report_dir
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):      # the CLI, as run
            assert cli(["run", "--date", D.isoformat(), "--landing", str(root / "landing"), "--out",
                        str(root / "out"), "--store", str(root / "store"), "--run-id", "test-run"]) == 0
        today = root / "out" / D.isoformat()
    finally:
        logging.getLogger().removeHandler(logs)
        if before is None:
            os.environ.pop(SECRET_VARIABLE, None)
        else:
            os.environ[SECRET_VARIABLE] = before
    return root, earlier, today, logs.text + printed.getvalue()


def _config(root, day):
    return dataclasses.replace(config_for(root, day), hmac_secret=SECRET)


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.text = ""

    def emit(self, record):
        self.text += self.format(record) + "\n"


def _rows(path) -> dict[str, dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {row.get("complaint_id") or row.get("case_id") or row.get("agency_id"): row
                for row in csv.DictReader(handle)}


def _key(number: str) -> str:
    return phone_keys(pd.Series(["+86" + number]), SECRET).iat[0]


def test_each_complaint_gets_its_status_and_linked_agencies(reports):
    _, _, today, _ = reports
    found = {k: (r["status"], r["linked_agencies"]) for k, r in _rows(today / "complaints.csv").items()}
    assert found == {
        "K-EDGE14": ("linked", "AG01"),             # called on D-14: the window's first day
        "K-EDGE15": ("unlinked", ""),               # called on D-15 only
        "K-CROSS": ("linked", "AG01;AG02"),         # AG01 on the stored day before, AG02 today
        "K-NAMED": ("named_only", "AG03"),          # AG03 never called anyone
        "K-NONE": ("unlinked", ""),
        "K-BUSY": ("linked", "AG01"),               # any disposition links
    }


def test_a_cross_agency_complaint_counts_calls_findings_and_cases_of_store_days_and_today(reports):
    _, _, today, _ = reports
    cross = _rows(today / "complaints.csv")["K-CROSS"]
    key = _key(CROSS)
    assert (cross["calls_in_window"], cross["findings_in_window"]) == ("2", "2")
    assert cross["linked_case_ids"] == ";".join(sorted([case_id("AG01", "CONF_UNASSIGNED", key),
                                                        case_id("AG02", "CONF_UNASSIGNED", key)]))
    assert (cross["channel"], cross["category"], cross["callee_masked"], cross["callee_key"]) == \
        ("regulator", "privacy", "+86 138****0003", key)
    assert cross["received_at"] == f"{D}T09:00:00+08:00" and cross["named_agency"] == ""
    assert list(_rows(today / "complaints.csv")) == ["K-EDGE14", "K-EDGE15", "K-CROSS", "K-NAMED", "K-NONE",
                                                     "K-BUSY"]             # by received_at


def test_escalated_cases_sort_first_among_their_agencys_cases_of_their_severity(reports):
    _, _, today, _ = reports
    with (today / "cases.csv").open(newline="", encoding="utf-8") as handle:
        cases = list(csv.DictReader(handle))
    escalated = case_id("AG01", "CONF_UNASSIGNED", _key(CROSS))         # quiet today, linked by two complaints
    fresh = case_id("AG01", "CONF_UNASSIGNED", _key(FRESH))              # new today, no complaint
    ag01_critical = [(c["case_id"], c["status"], c["complaints"]) for c in cases
                     if c["agency_id"] == "AG01" and c["severity"] == "critical"]
    assert ag01_critical == [(escalated, "quiet", "2"), (fresh, "new", "0")]
    ag02 = [c for c in cases if c["agency_id"] == "AG02" and c["rule_id"] == "CONF_UNASSIGNED"]
    assert [c["complaints"] for c in ag02] == ["1"]


def test_the_complaint_rate_is_complaints_over_distinct_numbers_attempted_in_30_days(reports):
    _, _, today, _ = reports
    scores = _rows(today / "scores.csv")
    # AG01: K-EARLY, K-EDGE14, K-CROSS, K-BUSY over {D-29, D-15, D-14, D-1, answered, fresh} = 6 numbers
    # (D-30 is outside the window; the BUSY call is no attempt): 4 / 6 x 10,000
    assert (scores["AG01"]["complaints_30d"], scores["AG01"]["complaint_rate_per_10k"]) == ("4", "6666.67")
    assert (scores["AG02"]["complaints_30d"], scores["AG02"]["complaint_rate_per_10k"]) == ("1", "10000.0")
    # AG03 delivered no file and attempted nothing: its named complaint counts, its rate is blank
    assert (scores["AG03"]["complaints_30d"], scores["AG03"]["complaint_rate_per_10k"]) == ("1", "")
    header = (today / "scores.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[-5:] == ["complaints_30d", "complaint_rate_per_10k", "grade_gate",     # data-contract order
                           "messages_audited", "findings_sms"]


def test_the_rate_and_its_trend_reach_the_scorecard_and_the_portfolio(reports):
    _, earlier, today, _ = reports
    previous = _rows(earlier / "scores.csv")["AG01"]
    # on D-1 the window D-30..D-1 holds D-30 too: K-EARLY over 5 numbers
    assert (previous["complaints_30d"], previous["complaint_rate_per_10k"]) == ("1", "2000.0")
    page = (today / "agencies" / "AG01.html").read_text(encoding="utf-8")
    assert 'id="complaint-rate">6666.67<' in page and f"+4666.67 since {EARLIER}" in page
    index = (today / "index.html").read_text(encoding="utf-8")
    assert 'id="complaint-rates"' in index and "6666.67" in index


def test_bad_complaint_rows_are_quarantined_with_their_reasons(reports):
    _, _, today, _ = reports
    quarantine = pd.read_csv(today / "quarantine.csv", dtype=str, keep_default_na=False)
    mine = quarantine[quarantine["source"] == f"complaints/{D}.csv"]
    assert sorted(zip(mine["row_number"].astype(int), mine["reasons"])) == [
        (7, "DQ_BAD_PHONE"), (8, "DQ_BAD_ENUM"), (9, "DQ_MISSING_FIELD"), (10, "DQ_DUPLICATE_KEY"),
        (11, "DQ_DUPLICATE_KEY"), (12, "DQ_BAD_TIMESTAMP"), (13, "DQ_OUT_OF_DAY"), (14, "DQ_BAD_KEY")]
    assert set(mine["agency_id"]) == {"", "AG99"} and set(mine["call_id"]) == {""}
    assert all(raw.endswith("[withheld: free text]") for raw in mine["raw"])


def test_the_reports_verify_with_the_complaints_input_hashed_and_conserved(reports):
    import json

    _, earlier, today, _ = reports
    for report in (earlier, today):
        assert verify_report(report).problems == []
    entry = next(e for e in json.loads((today / "manifest.json").read_text())["inputs"] if e["table"] == "complaints")
    assert (entry["path"], entry["rows"], entry["rows_accepted"], entry["rows_quarantined"]) == \
        (f"complaints/{D}.csv", 14, 6, 8)


def test_a_complaints_file_changed_or_delivered_after_the_audit_fails_verify(reports, tmp_path):
    import shutil

    root, _, today, _ = reports
    path = root / "landing" / "complaints" / f"{D}.csv"
    kept = tmp_path / "kept.csv"
    shutil.copy(path, kept)
    try:
        path.write_text(path.read_text(encoding="utf-8") + "K-LATE,2026-11-27 23:00,13800000011,app,other,,\n",
                        encoding="utf-8")
        assert any(f"complaints/{D}.csv" in p for p in verify_report(today, strict_inputs=True).problems)
    finally:
        shutil.copy(kept, path)
    assert verify_report(today).problems == []


def test_the_free_text_never_reaches_an_output_the_store_or_a_log(reports):
    root, _, today, logged = reports
    texts = [("log", logged)]
    for folder in (root / "out", root / "store" / "signals"):
        for path in folder.rglob("*"):
            if path.is_file():
                texts.append((str(path), path.read_bytes().decode("utf-8", "replace")))
    for path in (root / "out").rglob("*.xlsx"):
        import zipfile

        with zipfile.ZipFile(path) as archive:
            texts += [(f"{path}!{n}", archive.read(n).decode("utf-8", "replace")) for n in archive.namelist()]
    leaks = [name for name, text in texts if SECRET_NAME in text or SECRET_PHONE in text or "was called at" in text]
    assert leaks == []
    assert len(texts) > 20


def test_the_regulator_complaint_opens_the_morning_email(reports):
    _, _, today, _ = reports
    message = compose_summary(today)
    assert "1 regulator complaint" in message.subject
    assert message.html.index("K-CROSS") < message.html.index("Worst agencies")
    assert "AG01, AG02" in message.html and SECRET_NAME not in message.html


def test_a_day_without_a_complaints_file_has_none_and_no_data_quality_finding(tmp_path):
    make_landing(tmp_path / "landing", {D: {"AG01": [call("c1", f"{D} 10:00:00")]}})
    report = run_audit(config_for(tmp_path)).report_dir
    assert (report / "complaints.csv").read_text(encoding="utf-8").splitlines() == [
        "audit_date,complaint_id,received_at,channel,category,callee_masked,callee_key,named_agency,"
        "linked_agencies,calls_in_window,findings_in_window,linked_case_ids,status"]
    assert "complaints" not in (report / "quarantine.csv").read_text(encoding="utf-8")
    assert verify_report(report).problems == []
    assert "Regulator" not in compose_summary(report).html


def test_an_unreadable_complaints_file_quarantines_its_rows_and_the_audit_goes_on(tmp_path):
    landing = make_landing(tmp_path / "landing", {D: {"AG01": [call("c1", f"{D} 10:00:00")]}})
    write_csv(landing / "complaints" / f"{D}.csv",                       # no phone column
              [dict(complaint_id="K1", received_at=f"{D} 10:00", channel="app", category="other",
                    text=f"{SECRET_NAME} {SECRET_PHONE}")])
    report = run_audit(config_for(tmp_path)).report_dir
    quarantine = pd.read_csv(report / "quarantine.csv", dtype=str, keep_default_na=False)
    mine = quarantine[quarantine["source"] == f"complaints/{D}.csv"]
    assert list(zip(mine["row_number"], mine["reasons"])) == [("1", "DQ_FILE_UNREADABLE")]
    assert SECRET_NAME not in (report / "quarantine.csv").read_text(encoding="utf-8")
    assert verify_report(report).problems == []


def test_a_rerun_gives_byte_identical_complaints_and_scores(reports):
    root, _, today, _ = reports
    before = {n: (today / n).read_bytes() for n in ("complaints.csv", "scores.csv", "cases.csv")}
    again = run_audit(dataclasses.replace(_config(root, D), run_id="rerun")).report_dir
    assert {n: (again / n).read_bytes() for n in before} == before
