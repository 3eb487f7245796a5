"""
### Vendor audit — nightly

Audits what the bank's outsourced call-centre agencies did on one business day: validates the
reference data and every agency's call-detail records with Great Expectations, quarantines
bad rows with their reasons, runs the confidentiality, qualification and frequency rules
bank-wide, and publishes a scorecard per agency (HTML and Excel), a portfolio index and a
manifest that `python -m audits verify` can check.

**Schedule**: every night at 02:00 in the bank's time zone (env `VENDOR_AUDIT_SCHEDULE`,
`VENDOR_AUDIT_TIMEZONE`), auditing the previous local day.

**Params** (Trigger DAG w/ config): `audit_date` (YYYY-MM-DD, default: the previous local day),
`rulepack` (`cn_bank`, `us_collections` or a YAML path), `landing`, `out`, `store`,
`landing_wait_minutes` (how long to wait for late agencies before auditing without them),
`notify_to` (comma-separated e-mail addresses; the SMTP connection is `audit_smtp`).

**Reruns** of a day publish a new report and keep the old one under `superseded/<run id>/`;
violations, quarantine and scores are byte-identical for the same inputs.
"""

from __future__ import annotations

import datetime as dt
import os

import pendulum
from airflow.sdk import CronTriggerTimetable, Param, PokeReturnValue, dag, get_current_context, task

BANK_TIMEZONE = os.environ.get("VENDOR_AUDIT_TIMEZONE", "Asia/Shanghai")
SCHEDULE = os.environ.get("VENDOR_AUDIT_SCHEDULE", "0 2 * * *")
DATA_ROOT = os.environ.get("VENDOR_AUDIT_DATA", "data")
SMTP_CONNECTION = "audit_smtp"


@dag(
    dag_id="vendor_audit_nightly",
    schedule=CronTriggerTimetable(SCHEDULE, timezone=BANK_TIMEZONE),
    start_date=pendulum.datetime(2026, 1, 1, tz=BANK_TIMEZONE),
    catchup=False,
    max_active_runs=4,
    doc_md=__doc__,
    tags=["compliance", "vendor-audit"],
    default_args={
        "owner": "compliance-engineering",
        "retries": 2,
        "retry_delay": dt.timedelta(minutes=5),
        "execution_timeout": dt.timedelta(hours=2),
    },
    params={
        "audit_date": Param(None, type=["null", "string"], format="date",
                            description="Business day to audit; default the previous local day."),
        "rulepack": Param("cn_bank", type="string", description="Rulepack name or YAML path."),
        "landing": Param(f"{DATA_ROOT}/landing", type="string"),
        "out": Param(f"{DATA_ROOT}/reports", type="string"),
        "store": Param(f"{DATA_ROOT}/store", type="string"),
        "landing_wait_minutes": Param(120, type="integer", minimum=0,
                                      description="Wait this long for late agencies, then go on without them."),
        "notify_to": Param(os.environ.get("VENDOR_AUDIT_NOTIFY_TO", ""), type="string"),
        "rule_partitions": Param(int(os.environ.get("VENDOR_AUDIT_RULE_PARTITIONS", "1")), type="integer",
                                 minimum=1, maximum=64,
                                 description="Hash partitions of the numbers for the rules (one task each)."),
    },
)
def vendor_audit_nightly():
    @task
    def resolve_run() -> dict:
        """Settle the run's date, paths and rulepack; everything after reads only this."""
        from audits.config import check_run_id, load_rulepack
        from audits.cli import code_version

        context = get_current_context()
        params = context["params"]
        check_run_id(context["run_id"])              # it names the run's work folder: never ".." or a path
        if params.get("audit_date"):
            audit_date = dt.date.fromisoformat(params["audit_date"])
        else:
            logical = context["logical_date"] or context["dag_run"].run_after
            audit_date = pendulum.instance(logical).in_timezone(BANK_TIMEZONE).date() - dt.timedelta(days=1)
        load_rulepack(params["rulepack"])            # fail here, clearly, on a broken rulepack
        return {"audit_date": audit_date.isoformat(), "landing": params["landing"], "out": params["out"],
                "store": params["store"], "rulepack": params["rulepack"], "run_id": context["run_id"],
                "code_version": code_version(), "generated_at": pendulum.now("UTC").isoformat(),
                "landing_wait_minutes": params["landing_wait_minutes"], "notify_to": params["notify_to"],
                "rule_partitions": params["rule_partitions"]}

    @task
    def check_reference(settings: dict) -> dict:
        """Validate the reference tables and bring earlier landing days into the store."""
        from audits.pipeline import stage_reference

        stage_reference(_config(settings))
        return settings

    @task.sensor(poke_interval=60, timeout=6 * 3600, mode="reschedule")
    def wait_for_landing(settings: dict) -> PokeReturnValue:
        """Wait until every agency with a contract in force delivered, or the wait is over."""
        from audits.pipeline import delivered_agencies, expected_agencies

        config = _config(settings)
        delivered = delivered_agencies(config)
        started = get_current_context()["dag_run"].start_date or pendulum.now("UTC")
        waited = (pendulum.now("UTC") - pendulum.instance(started)).total_seconds() / 60
        done = set(expected_agencies(config)) <= set(delivered) or waited >= settings["landing_wait_minutes"]
        return PokeReturnValue(is_done=done, xcom_value=delivered)

    @task(max_active_tis_per_dagrun=16,
          doc_md="Read and type one agency's file: one mapped task per agency, spread over the workers.")
    def stage_agency(settings: dict, agency_id: str) -> str:
        """Read and type one agency's file (one mapped task per agency)."""
        from audits.pipeline import stage_agency as run_stage

        return run_stage(_config(settings), agency_id)

    @task(trigger_rule="none_failed")
    def validate_day(settings: dict) -> None:
        """Validate all agencies' rows in one Great Expectations batch; quarantine; store the day."""
        from audits.pipeline import stage_day

        stage_day(_config(settings))

    @task
    def rule_partitions(settings: dict) -> list[int]:
        """The hash partitions of the callee numbers that the rules run over (param rule_partitions)."""
        return list(range(int(settings["rule_partitions"])))

    @task(doc_md="Run every rule bank-wide over one hash partition of the numbers: all calls to a "
                 "number (from any agency) are judged together, so partitions can run on different workers.")
    def bank_wide_rules(settings: dict, partition: int) -> None:
        """Run every rule over one partition of the numbers."""
        from audits.pipeline import stage_rules

        stage_rules(_config(settings), partition=partition, partitions=int(settings["rule_partitions"]))

    @task
    def merge_findings(settings: dict) -> None:
        """Join the partitions' findings into the day's violations."""
        from audits.pipeline import merge_rule_partitions

        merge_rule_partitions(_config(settings), int(settings["rule_partitions"]))

    @task
    def publish(settings: dict) -> str:
        """Scores, scorecards and manifest; publish the report atomically. Returns its folder."""
        from audits.pipeline import stage_publish

        return str(stage_publish(_config(settings)).report_dir)

    @task(trigger_rule="all_done", retries=0)
    def discard_work(settings: dict) -> None:
        """Remove the run's work files (full numbers) whatever happened upstream: failed or not,
        they never outlive the run."""
        from audits.pipeline import discard_work as discard

        discard(_config(settings))

    @task(retries=1)
    def notify(settings: dict, report_dir: str) -> str:
        """E-mail the summary (masked numbers only) through the SMTP connection `audit_smtp`."""
        from pathlib import Path

        from audits.notify import compose_summary

        recipients = [a.strip() for a in settings["notify_to"].split(",") if a.strip()]
        if not recipients:
            return "no recipients configured (param notify_to); nothing sent"
        message = compose_summary(Path(report_dir))
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        with SmtpHook(smtp_conn_id=SMTP_CONNECTION) as hook:
            hook.send_email_smtp(to=recipients, subject=message.subject, html_content=message.html,
                                 files=[str(p) for p in message.attachments])
        return f"sent to {len(recipients)} recipient(s)"

    resolved = resolve_run()
    settings = check_reference(resolved)
    delivered = wait_for_landing(settings)
    staged = stage_agency.partial(settings=settings).expand(agency_id=delivered)
    validated = validate_day(settings)
    staged >> validated
    partitions = rule_partitions(settings)
    validated >> partitions
    rules = bank_wide_rules.partial(settings=settings).expand(partition=partitions)
    merged = merge_findings(settings)
    rules >> merged
    report_dir = publish(settings)
    merged >> report_dir
    notify(settings, report_dir)
    # Last, whatever failed (from resolve_run's settings: check_reference may be what failed); a
    # leaf beside notify, so the run's state stays that of its work.
    [staged, validated, rules, merged, report_dir] >> discard_work(resolved)


def _config(settings: dict):
    """AuditConfig from the run's settings; the secret comes from the environment here, at the edge."""
    from pathlib import Path

    from audits.cli import hmac_secret_from_environment
    from audits.config import AuditConfig, load_rulepack

    return AuditConfig(
        audit_date=dt.date.fromisoformat(settings["audit_date"]), landing=Path(settings["landing"]),
        out=Path(settings["out"]), store=Path(settings["store"]), rulepack=load_rulepack(settings["rulepack"]),
        hmac_secret=hmac_secret_from_environment(), run_id=settings["run_id"],
        code_version=settings["code_version"], generated_at=settings["generated_at"], orchestrated=True)


vendor_audit_nightly()
