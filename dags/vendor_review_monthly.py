"""
### Vendor review — monthly

The period review vendor managers take to each agency (review.md): per agency the month's
scorecard (the daily formula over the month's totals), its SLA clauses met or not and by how
much, its cases, complaints, warnings, exceptions and disputes; a portfolio index and summary
workbook; and a share pack per agency (`share/<agency_id>.zip`) holding only that agency's data.
Written to `<out>/reviews/<period>/` from the published daily reports and the store only.

**Schedule**: 06:00 on the 1st of each month in the bank's time zone (env `VENDOR_REVIEW_SCHEDULE`,
`VENDOR_AUDIT_TIMEZONE`), reviewing the previous calendar month; when that month closes a quarter
(March, June, September, December) the run reviews the quarter too.

**Params** (Trigger DAG w/ config): `period` (`month` or `quarter`), `month` (`YYYY-MM`) or `quarter`
(`YYYY-Qn`) (default: the month, or the last whole quarter, before the run was due; a manual run: before it
was triggered), `rulepack`, `out`, `store`,
`allow_missing_days` (review even when days have no published report; each scorecard names them),
`reports_wait_minutes` (how long after the run is due to wait for the last daily reports, default 240).

**Deployment**: `VENDOR_AUDIT_DATA` must be an absolute path shared by the dag-processor and every
worker (`reports/` and `store/` under it), as for the nightly audit. Errors a retry cannot fix (a
day without a report, a report changed after publishing, a store missing a day, a bad rulepack or
path) fail the task at once with what to do; I/O errors are retried.
"""

from __future__ import annotations

import datetime as dt
import os
from contextlib import contextmanager

import pendulum
from airflow.sdk import CronTriggerTimetable, Param, PokeReturnValue, dag, get_current_context, task

BANK_TIMEZONE = os.environ.get("VENDOR_AUDIT_TIMEZONE", "Asia/Shanghai")
SCHEDULE = os.environ.get("VENDOR_REVIEW_SCHEDULE", "0 6 1 * *")
DATA_ROOT = os.environ.get("VENDOR_AUDIT_DATA", "")     # absolute, shared by every process: checked by each task


def _under_data_root(name: str) -> str:
    return f"{DATA_ROOT.rstrip('/')}/{name}" if DATA_ROOT else ""


@dag(
    dag_id="vendor_review_monthly",
    schedule=CronTriggerTimetable(SCHEDULE, timezone=BANK_TIMEZONE),
    start_date=pendulum.datetime(2026, 1, 1, tz=BANK_TIMEZONE),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["compliance", "vendor-audit", "review"],
    default_args={
        "owner": "compliance-engineering",
        "retries": 2,
        "retry_delay": dt.timedelta(minutes=5),
        "execution_timeout": dt.timedelta(hours=2),
    },
    params={
        "period": Param("month", type="string", enum=["month", "quarter"],
                        description="Review a calendar month or a calendar quarter."),
        "month": Param(None, type=["null", "string"], pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                       description="YYYY-MM; default the previous month (with period = month)."),
        "quarter": Param(None, type=["null", "string"], pattern=r"^\d{4}-[Qq][1-4]$",
                         description="YYYY-Qn; default the last whole quarter (with period = quarter)."),
        "rulepack": Param("cn_bank", type="string", description="Rulepack name or YAML path (scoring and SLA)."),
        "out": Param(_under_data_root("reports"), type="string",
                     description="The reports root, absolute (default $VENDOR_AUDIT_DATA/reports)."),
        "store": Param(_under_data_root("store"), type="string",
                       description="The store, absolute (default $VENDOR_AUDIT_DATA/store)."),
        "allow_missing_days": Param(False, type="boolean",
                                    description="Review even when days of the period have no published report."),
        "reports_wait_minutes": Param(240, type="integer", minimum=0,
                                      description="Wait this long after the run is due for the last daily reports."),
    },
)
def vendor_review_monthly():
    @task
    def resolve_periods() -> dict:
        """Settle which periods this run reviews, the paths and the rulepack; later tasks read only this."""
        from audits.deployment import shared_paths
        from audits.review.period import closes_a_quarter, parse, previous_month, previous_quarter
        from audits.rulepack import load_rulepack
        from audits.version import code_version

        context = get_current_context()
        params = context["params"]
        with _fail_without_retry():
            shared_paths({name: params[name] for name in ("out", "store")}, "VENDOR_AUDIT_DATA")
            load_rulepack(params["rulepack"])           # fail here, clearly, on a broken rulepack
            # a manual run may have no logical date ("Trigger DAG"): then the moment it was triggered
            due = (context.get("logical_date") or context["dag_run"].run_after).astimezone(
                pendulum.timezone(BANK_TIMEZONE)).date()
            if params["period"] == "quarter":
                periods = [parse("quarter", params["quarter"]) if params.get("quarter") else previous_quarter(due)]
            elif params.get("month"):
                periods = [parse("month", params["month"])]
            else:
                month = previous_month(due)
                periods = [month] + ([previous_quarter(due)] if closes_a_quarter(month) else [])
        return {"periods": [{"kind": p.kind, "label": p.label} for p in periods], "out": params["out"],
                "store": params["store"], "rulepack": params["rulepack"], "code_version": code_version(),
                "allow_missing_days": bool(params["allow_missing_days"]),
                "reports_wait_minutes": params["reports_wait_minutes"]}

    @task.sensor(poke_interval=300, timeout=24 * 3600, mode="reschedule")
    def wait_for_reports(settings: dict) -> PokeReturnValue:
        """Wait until every day of the periods has a published report, or the wait is over; the
        last day's nightly audit may still be waiting for late agencies at 06:00."""
        from pathlib import Path

        from audits.deployment import landing_wait_over
        from audits.review.dailies import missing_days
        from audits.review.period import parse

        missing = [d for p in settings["periods"] for d in missing_days(Path(settings["out"]),
                                                                        parse(p["kind"], p["label"]))]
        run = get_current_context()["dag_run"]
        due = run.run_after or run.data_interval_end or run.start_date
        over = landing_wait_over(pendulum.now("UTC"), pendulum.instance(due), settings["reports_wait_minutes"])
        return PokeReturnValue(is_done=not missing or over, xcom_value=settings["periods"])

    @task(doc_md="Build and publish one period's review (`<out>/reviews/<period>/`), share packs included.")
    def review(settings: dict, period: dict) -> str:
        """One period's review; fails at once, naming the days, when a day has no report (unless allowed)."""
        from pathlib import Path

        from audits.review.period import parse
        from audits.review_run import ReviewConfig, run_review
        from audits.rulepack import load_rulepack
        from audits.sources.connections import signing_key

        with _fail_without_retry():
            result = run_review(ReviewConfig(
                period=parse(period["kind"], period["label"]), out=Path(settings["out"]),
                store=Path(settings["store"]), rulepack=load_rulepack(settings["rulepack"]),
                code_version=settings["code_version"], allow_missing_days=settings["allow_missing_days"],
                signing_key=signing_key(announce=True), orchestrated=True))
        return str(result.review_dir)

    settings = resolve_periods()
    periods = wait_for_reports(settings)
    review.partial(settings=settings).expand(period=periods)


@contextmanager
def _fail_without_retry():
    """Errors a retry cannot fix fail the task at once; anything else (I/O) is retried as usual."""
    from airflow.sdk.exceptions import AirflowFailException

    from audits.deployment import PERMANENT_ERRORS

    try:
        yield
    except PERMANENT_ERRORS as exc:
        raise AirflowFailException(f"{exc}\nNot retried: fix the cause above, then clear this task.") from exc


vendor_review_monthly()
