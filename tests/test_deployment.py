"""Pure arithmetic of a scheduled run (audits.deployment): the day a run audits, the landing
deadline counted from when the run was due, and folders that every process must share."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from audits.config import ConfigError
from audits.deployment import audited_day, landing_deadline, landing_wait_over, shared_paths

UTC = dt.UTC


def test_a_run_due_at_two_in_shanghai_audits_the_previous_local_day():
    due = dt.datetime(2026, 11, 27, 18, 0, tzinfo=UTC)             # 2026-11-28 02:00 in Asia/Shanghai
    assert audited_day(due, "Asia/Shanghai") == dt.date(2026, 11, 27)
    assert audited_day(dt.datetime(2026, 11, 28, 7, 0, tzinfo=UTC), "America/New_York") == dt.date(2026, 11, 27)


def test_the_landing_deadline_counts_from_when_the_run_was_due():
    due = dt.datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    assert landing_deadline(due, 120) == dt.datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    assert not landing_wait_over(dt.datetime(2026, 11, 27, 19, 59, tzinfo=UTC), due, 120)
    assert landing_wait_over(dt.datetime(2026, 11, 27, 20, 0, tzinfo=UTC), due, 120)
    assert landing_wait_over(due, due, 0)


def test_a_backfilled_day_whose_deadline_passed_never_waits():
    # A backfill started on 1 December for 3 November: the run was due on 3/4 November, so the
    # wait is over at its first poke, however recently the run itself started.
    due = dt.datetime(2026, 11, 3, 18, 0, tzinfo=UTC)
    started = dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert landing_wait_over(started, due, 120)


@pytest.mark.parametrize("path", ["data/landing", "landing", "./data", ""])
def test_relative_or_empty_paths_are_refused_naming_the_param_and_the_variable(path):
    with pytest.raises(ConfigError) as refused:
        shared_paths({"landing": "/srv/audit/landing", "store": path}, "VENDOR_AUDIT_DATA")
    message = str(refused.value)
    assert "`store`" in message and "VENDOR_AUDIT_DATA" in message and "absolute" in message
    assert "every worker" in message and "dag-processor" in message


def test_absolute_paths_are_accepted():
    shared_paths({"landing": "/srv/audit/landing", "out": "/srv/audit/reports"}, "VENDOR_AUDIT_DATA")


def test_the_embedded_run_passes_absolute_data_paths_and_a_secret(tmp_path, monkeypatch, capsys):
    from pathlib import Path

    from audits.config import DEVELOPMENT_HMAC_SECRET
    from audits.local_run import airflow_environment

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AUDIT_HMAC_SECRET", raising=False)
    env = airflow_environment(Path("demo"))
    assert env["VENDOR_AUDIT_DATA"] == str(tmp_path / "demo")
    assert env["AUDIT_HMAC_SECRET"] == DEVELOPMENT_HMAC_SECRET.decode()
    assert "development secret" in capsys.readouterr().err
    monkeypatch.setenv("AUDIT_HMAC_SECRET", "bank-secret")
    assert airflow_environment(Path("demo"))["AUDIT_HMAC_SECRET"] == "bank-secret"


def test_a_run_is_done_only_when_its_own_report_is_published_intact(tmp_path):
    import json

    from audits.deployment import publication_problem
    from audits.manifest import sha256_path

    report = tmp_path / "2026-11-27"
    assert "published nothing" in publication_problem(report, "manual__1")
    report.mkdir()
    (report / "scores.csv").write_text("agency_id\nAG01\n")
    manifest = {"run_id": "manual__1", "outputs": {"scores.csv": sha256_path(report / "scores.csv")}}
    (report / "manifest.json").write_text(json.dumps(manifest))
    assert publication_problem(report, "manual__1") is None
    assert "run manual__1's, not this run's (manual__2)" in publication_problem(report, "manual__2")
    (report / "scores.csv").write_text("agency_id\nAG02\n")
    assert "output scores.csv: sha256" in publication_problem(report, "manual__1")
    (report / "manifest.json").write_text("{")
    assert "cannot be read" in publication_problem(report, "manual__1")


def test_a_failed_pull_is_named_by_its_agency_and_says_what_the_report_audited_instead():
    from audits.deployment import failed_pulls, pull_failure_lines, run_failed_message

    failed = ["pull_sources_0", "pull_sources_2", "stage_agency_1"]
    pulls = failed_pulls(failed, ["AG01", "AG02", "AG03"])
    assert pulls == {"pull_sources_0": "AG01", "pull_sources_2": "AG03"}
    inputs = [
        {"table": "cdr", "agency_id": "AG01", "status": "ok", "path": "cdr/2026-11-27/AG01.csv"},
        {"table": "cdr", "agency_id": "AG02", "status": "ok", "path": "cdr/2026-11-27/AG02.csv",
         "source": {"kind": "local", "pulled_at": "2026-11-28T01:50:00+00:00"}},
        {"table": "cdr", "agency_id": "AG03", "status": "missing", "path": "cdr/2026-11-27/AG03.*"},
        {"table": "cdr", "agency_id": "AG03", "status": "ignored", "path": "cdr/2026-11-27/AG03.aside.csv"},
    ]
    ag01, ag02, ag03 = pull_failure_lines(["AG01", "AG02", "AG03"], inputs, "2026-11-27")
    assert ag01 == ("AG01: the pull of its file of 2026-11-27 from its source failed; the report audited "
                    "cdr/2026-11-27/AG01.csv, a file landed earlier by other means, not pulled from that source: "
                    "the source's file may differ.")
    assert "audited cdr/2026-11-27/AG02.csv, which a later try or an earlier pull had landed from that source " \
           "(2026-11-28T01:50:00+00:00)" in ag02
    assert ag03.endswith("no file of that day was in the landing zone: the report shows AG03 as DQ_FILE_MISSING "
                         "(not assessed).")
    assert pull_failure_lines(["AG01"], None, "2026-11-27") == [
        "AG01: the pull of its file of 2026-11-27 from its source failed."]

    message = run_failed_message(failed, published=True, pulls=pulls, pull_lines=[ag01, ag03])
    assert message.startswith("The report IS PUBLISHED, but pull_sources[AG01], pull_sources[AG03], "
                              "stage_agency[1] failed")
    assert "pull_sources_0" not in message and f"- {ag01}" in message and "is reported DQ_FILE_MISSING" not in message


def test_a_failed_sms_pull_is_named_by_its_agency_and_says_what_became_of_its_texts():
    from audits.deployment import SMS_PULL_TASK, failed_pulls, pull_failure_lines, run_failed_message

    failed = ["pull_sources_0", "pull_sms_0", "pull_sms_1"]
    sms_pulls = failed_pulls(failed, ["AG02", "AG03"], SMS_PULL_TASK)
    assert sms_pulls == {"pull_sms_0": "AG02", "pull_sms_1": "AG03"}
    inputs = [
        {"table": "cdr", "agency_id": "AG02", "status": "ok", "path": "cdr/2026-11-27/AG02.csv"},
        {"table": "sms", "agency_id": "AG02", "status": "missing", "path": "sms/2026-11-27/AG02.csv"},
        {"table": "cdr", "agency_id": "AG03", "status": "missing", "path": "cdr/2026-11-27/AG03.*"},
        {"table": "messages", "agency_id": "AG03", "status": "ok", "path": "sms/2026-11-27/AG03.csv"},
    ]
    ag02, ag03 = pull_failure_lines(["AG02", "AG03"], inputs, "2026-11-27", "sms")
    assert ag02 == ("AG02: the pull of its SMS file of 2026-11-27 from its source failed, and no SMS file of that "
                    "day was in the landing zone: the report shows AG02 with DQ_FILE_MISSING for its texts (its "
                    "calls are still assessed).")
    assert ag03.startswith("AG03: the pull of its SMS file of 2026-11-27 from its source failed; the report audited "
                           "sms/2026-11-27/AG03.csv, a file landed earlier by other means")
    pulls = {**failed_pulls(failed, ["AG01"]), **sms_pulls}
    message = run_failed_message(failed, published=True, pulls=pulls, pull_lines=[ag02, ag03])
    assert message.startswith("The report IS PUBLISHED, but pull_sources[AG01], pull_sms[AG02], pull_sms[AG03] "
                              "failed")


RUN = dict(audit_date="2026-11-27", landing="/data/landing", out="/data/reports", store="/data/store",
           rulepack="cn_bank", run_id="scheduled__2026-11-27T18:00:00+00:00", code_version="abc123",
           generated_at="2026-11-28T02:00:05+00:00", landing_wait_minutes=120, rule_partitions=4,
           notify_to="a@bank.example, b@bank.example", notify_from="", report_base_url="https://r.example/",
           desk_base_url="https://desk.example/desk",
           sources="", replace_landed=True)


def test_run_settings_travel_through_xcom_as_json_and_come_back_typed():
    from pathlib import Path

    from audits.deployment import RunSettings

    settings = RunSettings.from_xcom(json.loads(json.dumps(RUN)))
    assert settings.audit_date == dt.date(2026, 11, 27) and settings.landing == Path("/data/landing")
    assert settings.report_dir == Path("/data/reports/2026-11-27")
    assert (settings.rule_partitions, settings.landing_wait_minutes, settings.replace_landed) == (4, 120, True)
    assert settings.as_xcom() == RUN
    assert json.loads(json.dumps(settings.as_xcom())) == RUN


@pytest.mark.parametrize("change", [{"rule_partitons": 4, "rule_partitions": None}, {"rule_partitions": None}])
def test_run_settings_of_other_code_are_refused_naming_the_keys(change):
    from audits.deployment import RunSettings

    values = {k: v for k, v in {**RUN, **change}.items() if v is not None}
    with pytest.raises(ConfigError, match="rule_partitions") as refused:
        RunSettings.from_xcom(values)
    assert "resolve_run" in str(refused.value)
