"""End to end: a callee_tz that is not one of the number's zones does not hide a call outside
calling hours, and the agency's scorecard counts such calls in its data-quality section."""

from __future__ import annotations

import csv

from audits.pipeline import run_audit
from tests.landing import DAY, call, config_for, make_landing


def test_calls_with_another_zone_than_the_numbers_are_found_and_counted_on_the_scorecard(tmp_path):
    make_landing(tmp_path / "landing", {DAY: {"AG01": [
        call("c_london", "2026-11-27 23:31:00", callee_tz="Europe/London"),       # 15:31 in London
        call("c_kiritimati", "2026-11-27 06:00:00", callee_tz="Pacific/Kiritimati"),
        call("c_shanghai", "2026-11-27 10:00:00", callee_tz="Asia/Shanghai"),
        call("c_blank", "2026-11-27 11:00:00"),
    ]}})
    report = run_audit(config_for(tmp_path)).report_dir
    with (report / "violations.csv").open(newline="", encoding="utf-8") as handle:
        hours = {r["call_id"] for r in csv.DictReader(handle) if r["rule_id"] == "FREQ_CALLING_HOURS"}
    assert hours == {"c_london", "c_kiritimati"}
    page = next(report.rglob("AG01*.html")).read_text(encoding="utf-8")
    assert "Callee time zone not that of the number: 2 calls (judged in the number&#39;s zones)." in page
