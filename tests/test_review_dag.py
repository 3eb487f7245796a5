"""The monthly review DAG: it imports cleanly, has the expected graph and schedule, a scheduled
run on the 1st of a quarter's next month reviews the month and the quarter, and a period with
unaudited days fails at once (not retried) naming them."""

from __future__ import annotations

from pathlib import Path

import pendulum
import pytest

from tests.review.reports import publish_day, score, store_day

DAYS = ("2027-03-30", "2027-03-31")


REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dag(airflow_dags):
    return airflow_dags.get_dag("vendor_review_monthly")


def test_review_dag_has_the_expected_tasks_schedule_and_params(dag):
    edges = {(task.task_id, down) for task in dag.tasks for down in task.downstream_task_ids}
    assert edges == {("resolve_periods", "wait_for_reports"), ("wait_for_reports", "review"),
                     ("resolve_periods", "review")}
    assert dag.timetable.expression == "0 6 1 * *"              # 06:00 on the 1st ...
    assert "Asia/Shanghai" in str(dag.timetable.timezone)        # ... in the bank's time zone
    assert set(dag.params) == {"period", "month", "quarter", "rulepack", "out", "store", "allow_missing_days",
                               "reports_wait_minutes"}
    assert dag.get_task("wait_for_reports").mode == "reschedule"
    assert dag.doc_md and dag.get_task("review").doc_md and dag.get_task("review").retries == 2


def test_the_dag_imports_only_the_review_and_config_layer():
    import ast

    tree = ast.parse((REPO / "dags" / "vendor_review_monthly.py").read_text(encoding="utf-8"))
    ours = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("audits")}
    assert ours and all(m.startswith(("audits.review", "audits.config", "audits.rulepack", "audits.cli", "audits.deployment",
                                     "audits.signing", "audits.sources.connections", "audits.version"))   # the signing key from a connection (review.md §3)
                        for m in ours)


def _reports(root: Path, days: tuple[str, ...] = DAYS) -> dict:
    out, store = root / "reports", root / "store"
    for day in days:
        publish_day(out, day, [score(day, "AG01", calls=10), score(day, "AG02", calls=20, conf=1)])
        store_day(store, day, {"AG01": 5, "AG02": 7})
    # every param given: dag.test() on one DAG object keeps an earlier run's conf as defaults
    return {"out": str(out), "store": str(store), "reports_wait_minutes": 0, "period": "month", "month": None,
            "quarter": None, "allow_missing_days": False, "rulepack": "cn_bank"}


def test_a_scheduled_run_after_a_quarter_reviews_the_month_and_the_quarter(dag, tmp_path):
    conf = {**_reports(tmp_path), "allow_missing_days": True}
    run = dag.test(logical_date=pendulum.datetime(2027, 4, 1, 6, tz="Asia/Shanghai"), run_conf=conf)
    assert str(run.state) in ("success", "DagRunState.SUCCESS"), run.state
    for label in ("2027-03", "2027-Q1"):
        review = tmp_path / "reports" / "reviews" / label
        assert (review / "manifest.json").is_file() and (review / "share" / "AG02.zip").is_file(), label


def test_unaudited_days_fail_the_review_at_once(dag, tmp_path):
    conf = {**_reports(tmp_path), "month": "2027-03"}
    run = dag.test(run_conf=conf)
    review = next(ti for ti in run.get_task_instances() if ti.task_id == "review")
    assert str(review.state) in ("failed", "TaskInstanceState.FAILED") and review.try_number == 1
    assert not (tmp_path / "reports" / "reviews" / "2027-03").exists()



def test_a_manual_run_without_a_logical_date_reviews_the_month_before_it_was_triggered(dag, tmp_path):
    """Airflow 3's "Trigger DAG" may create a run without a logical date: the review then takes the
    month before the run's run_after (here 2 October: September, which closes Q3, so the quarter too).
    run_after is in the past, as a trigger's is: the wait for reports counts from it."""
    conf = {**_reports(tmp_path, ("2026-09-29", "2026-09-30")), "allow_missing_days": True}
    run = dag.test(logical_date=None, run_after=pendulum.datetime(2026, 10, 2, 9, tz="Asia/Shanghai"), run_conf=conf)
    assert run.logical_date is None
    assert str(run.state) in ("success", "DagRunState.SUCCESS"), run.state
    for label in ("2026-09", "2026-Q3"):
        assert (tmp_path / "reports" / "reviews" / label / "manifest.json").is_file(), label


def test_the_refusal_under_airflow_names_the_params_not_the_command_line_flags(dag, tmp_path):
    from airflow.sdk.exceptions import AirflowFailException

    conf = _reports(tmp_path)
    settings = {"out": conf["out"], "store": conf["store"], "rulepack": "cn_bank", "code_version": "test",
                "allow_missing_days": False, "reports_wait_minutes": 0}
    review = dag.get_task("review").python_callable
    with pytest.raises(AirflowFailException) as refused:
        review(settings, {"kind": "month", "label": "2027-03"})
    message = str(refused.value)
    assert "29 of its 31 days have no published report" in message
    assert "set the param `allow_missing_days` to true" in message and "--allow-missing-days" not in message
    with pytest.raises(AirflowFailException) as refused:
        review(settings, {"kind": "month", "label": "2027-01"})
    assert "Check the param `out`" in str(refused.value) and "--out" not in str(refused.value)
