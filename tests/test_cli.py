"""The CLI's refusals before any audit work : exit 2, one paragraph,
no report written."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from audits.cli import main as cli
from tests.landing import DAY, call, make_landing


def _run(tmp_path, day: dt.date, landing=None):
    return cli(["run", "--date", day.isoformat(), "--landing", str(landing or tmp_path / "landing"),
                "--out", str(tmp_path / "out"), "--store", str(tmp_path / "store"), "--workers", "1"])


def test_a_future_date_is_refused_naming_today_in_the_bank_zone(tmp_path, capsys):
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    tomorrow = today + dt.timedelta(days=1)
    make_landing(tmp_path / "landing", {tomorrow: {"AG01": [call("c1", f"{tomorrow} 10:00:00")]}})
    assert _run(tmp_path, tomorrow) == 2
    message = capsys.readouterr().err
    assert "in the future" in message and f"today is {today}" in message and "Asia/Shanghai" in message
    assert not (tmp_path / "out").exists()


def test_a_day_without_a_cdr_folder_is_refused(tmp_path, capsys):
    # Before: a report with every agency DQ_FILE_MISSING, exit 0.
    make_landing(tmp_path / "landing", {DAY: {"AG01": [call("c1", "2026-11-27 10:00:00")]}})
    other = DAY - dt.timedelta(days=3)
    assert _run(tmp_path, other) == 2
    message = capsys.readouterr().err
    assert f"no CDR folder {tmp_path / 'landing' / 'cdr' / other.isoformat()}" in message
    assert not (tmp_path / "out" / other.isoformat()).exists()
    (tmp_path / "landing" / "cdr" / other.isoformat()).mkdir()      # the documented way to report such a day
    assert _run(tmp_path, other) == 0


def test_landing_pointing_at_a_file_says_it_is_not_a_folder(tmp_path, capsys):
    landing = tmp_path / "landing.csv"
    landing.write_text("agency_id\n")
    assert _run(tmp_path, DAY, landing) == 2
    message = capsys.readouterr().err
    assert f"the landing zone {landing} is a file, not a folder" in message and "does not exist" not in message
