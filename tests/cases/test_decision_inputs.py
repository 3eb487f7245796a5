"""The decision tables as cases.md §3 reads them: a file that cannot be read is quarantined whole
(DQ_FILE_UNREADABLE) and the night goes on without its decisions, saying so at the top of the
portfolio and the e-mail; a date after the audit day is not a decision yet (DQ_BAD_DATE, at the
boundary: today is one, tomorrow is not); an exception names its case by case_id, or a
customer or caller by the key the reports show."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from audits.cases.keys import case_id
from audits.cli import main as cli
from audits.config import DEVELOPMENT_HMAC_SECRET
from audits.notify import compose_summary
from audits.pipeline import run_audit
from audits.privacy import phone_keys
from tests.landing import DAY, call, config_for, make_landing

TODAY, TOMORROW = DAY.isoformat(), "2026-11-28"
E9 = case_id("AG01", "CONF_AGENT_NOT_ACTIVE", "E9")
STRANGER = "13700000001"                               # assigned to nobody: a CONF_UNASSIGNED finding
STRANGER_KEY = phone_keys(pd.Series(["+8613700000001"]), DEVELOPMENT_HMAC_SECRET).iat[0]
UNASSIGNED = case_id("AG01", "CONF_UNASSIGNED", STRANGER_KEY)
CALLS = [call("c1", f"{TODAY} 10:00:00", agent_id="E9"),
         call("c2", f"{TODAY} 11:00:00", campaign_id="COL", callee_number=STRANGER)]


def _rows(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _exception(exception_id, **fields):
    row = dict(exception_id=exception_id, agency_id="AG01", rule_id="CONF_AGENT_NOT_ACTIVE", subject="E9",
               valid_from=TODAY, valid_to=TODAY, approved_by="Li Wei", approved_on=TODAY,
               reason="approved by the CRO")
    row.update(fields)
    return row


def _dispute(dispute_id, **fields):
    row = dict(dispute_id=dispute_id, case_id=E9, raised_by="AG01 ops", raised_on=TODAY, status="open",
               decided_by="", decided_on="", note="")
    row.update(fields)
    return row


def _quarantined(report, table):
    return {q["row_number"]: q["reasons"] for q in _rows(report / "quarantine.csv")
            if q["source"] == f"reference/{table}.csv"}


def _case(report, case):
    row = next(r for r in _rows(report / "cases.csv") if r["case_id"] == case)
    return row["decision"], row["exception_id"], row["dispute_id"]


def test_decisions_dated_today_are_read_and_those_dated_tomorrow_are_bad_dates(tmp_path):
    exceptions = [_exception("X1", valid_from=TOMORROW, valid_to=TOMORROW, approved_on=TOMORROW),
                  _exception("X2")]                                    # approved today, in force today
    disputes = [_dispute("D1", raised_on=TOMORROW),
                _dispute("D2", status="upheld", decided_by="Zhang Min", decided_on=TOMORROW),
                _dispute("D3", status="rejected", decided_by="Zhang Min", decided_on=TODAY)]
    make_landing(tmp_path / "landing", {DAY: {"AG01": CALLS}}, exceptions=exceptions, disputes=disputes)
    report = run_audit(config_for(tmp_path)).report_dir
    assert _quarantined(report, "exceptions") == {"1": "DQ_BAD_DATE"}
    assert _quarantined(report, "disputes") == {"1": "DQ_BAD_DATE", "2": "DQ_BAD_DATE"}
    assert _case(report, E9) == ("accepted", "X2", "D3")        # not dismissed by D2, decided tomorrow


def test_an_exception_names_its_case_by_case_id_or_its_customer_by_the_key_the_reports_show(tmp_path):
    exceptions = [_exception("X1", agency_id="", rule_id="", subject="", case_id=E9),
                  _exception("X2", rule_id="CONF_UNASSIGNED", subject=STRANGER_KEY.upper(), case_id=""),
                  _exception("X3", agency_id="AG02", subject="", case_id=E9),      # disagrees with its case's agency
                  _exception("X4", agency_id="", rule_id="", subject="", case_id="C-ffffffffffff"),   # no such case
                  _exception("X5", agency_id="", rule_id="", subject="", case_id=""),      # names nothing
                  _exception("X6", rule_id="CONF_UNASSIGNED", subject="", case_id=UNASSIGNED)]   # agrees
    make_landing(tmp_path / "landing", {DAY: {"AG01": CALLS}}, exceptions=exceptions)
    report = run_audit(config_for(tmp_path)).report_dir
    assert _quarantined(report, "exceptions") == {"3": "DQ_BAD_KEY", "4": "DQ_BAD_KEY", "5": "DQ_MISSING_FIELD"}
    assert _case(report, E9) == ("accepted", "X1", "")
    assert _case(report, UNASSIGNED) == ("accepted", "X2", "")
    assert {r["rule_id"]: r["decision"] for r in _rows(report / "violations.csv")} == {
        "CONF_AGENT_NOT_ACTIVE": "accepted", "CONF_UNASSIGNED": "accepted"}


def _sep_line(path):
    path.write_bytes(b"sep=,\n" + path.read_bytes())


def _utf16(path):
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))


def _no_status_column(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(",".join(f for k, f in enumerate(line.split(",")) if k != 4) for line in lines) + "\n",
                    encoding="utf-8")


def _a_folder(path):
    path.unlink()
    path.mkdir()


@pytest.mark.parametrize("spoil", [_sep_line, _utf16, _no_status_column, _a_folder])
def test_an_unreadable_decision_table_is_quarantined_and_the_night_goes_on(tmp_path, spoil, capsys):
    make_landing(tmp_path / "landing", {DAY: {"AG01": CALLS}},
                 disputes=[_dispute("D1"), _dispute("D2", case_id=UNASSIGNED)])
    spoil(tmp_path / "landing" / "reference" / "disputes.csv")
    report = run_audit(config_for(tmp_path)).report_dir
    rows = {q["row_number"]: q["reasons"] for q in _rows(report / "quarantine.csv")
            if q["source"] == "reference/disputes.csv"}
    assert set(rows.values()) == {"DQ_FILE_UNREADABLE"}
    assert set(rows) == ({"0"} if spoil in (_a_folder, _utf16) else {"1", "2"})     # one line for the file, or each row
    [entry] = [e for e in json.loads((report / "manifest.json").read_text())["inputs"] if e["table"] == "disputes"]
    assert (entry["status"], entry["rows"]) == ("unreadable", entry["rows_quarantined"])
    assert _case(report, E9) == ("", "", "")                       # its decisions are not applied
    portfolio = (report / "index.html").read_text(encoding="utf-8")
    assert portfolio.index("reference/disputes.csv could not be read") < portfolio.index("Regulator complaints today")
    email = compose_summary(report).html
    assert email.index("reference/disputes.csv could not be read") < email.index("agencies,")
    capsys.readouterr()
    assert cli(["verify", str(report)]) == 0, capsys.readouterr().err
