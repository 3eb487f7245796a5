"""
### Vendor audit — nightly

Audits what the bank's outsourced call-centre agencies did on one business day: validates the
reference data and every agency's call-detail records with Great Expectations, quarantines
bad rows with their reasons, runs the confidentiality, qualification and frequency rules
bank-wide, and publishes a scorecard per agency (HTML and Excel), a portfolio index and a
manifest that `python -m audits verify` can check.

**Schedule**: every night at 02:00 in the bank's time zone (env `VENDOR_AUDIT_SCHEDULE`,
`VENDOR_AUDIT_TIMEZONE`), auditing the previous local day.

**Params** (Trigger DAG w/ config): `audit_date` (YYYY-MM-DD; default: the bank-local day before the run was
due, which for a manual run is the day before it was triggered),
`rulepack` (`cn_bank`, `us_collections` or a YAML path), `landing`, `out`, `store`,
`landing_wait_minutes` (how long to wait for late agencies before auditing without them),
`notify_to` (comma-separated e-mail addresses; the SMTP connection is `audit_smtp`), `notify_from`
(the sender; env `VENDOR_AUDIT_NOTIFY_FROM`, else the connection's `from_email` extra),
`report_base_url` (where the reports folder is served, for the e-mail's link; env
`VENDOR_AUDIT_REPORT_URL`).

**Sources** (`sources`, default `<landing>/sources.yaml`; none: files are expected in the landing zone):
`pull_sources` pulls each agency's file of the day from its SFTP server, path or object store (one
mapped task per agency, retried with back-off on connection errors), `pull_sms` its text messages
(`sms:`; also from a messages table), and `pull_reference` the reference tables (SQL or files) before
`check_reference`; a file not there yet is pulled while `wait_for_landing` waits, which also waits for
the SMS file of every agency whose contract in force includes `sms`. `replace_landed` lets a pull
replace a landed file of an already audited day (then rerun it).

**Deployment**: `VENDOR_AUDIT_DATA` must be an absolute path on storage shared by the dag-processor
and every worker (landing/, reports/, store/ under it), and every worker needs the same
`AUDIT_HMAC_SECRET`. Errors a retry cannot fix (a bad rulepack, a missing reference table, a
relative path, a missing secret) fail the task at once; I/O and connection errors are retried.

**Signing**: when a key is configured, `publish` signs the manifest (`manifest.sig`, Ed25519): the
connection `audit_signing_key` (PEM private key in its password, or extra `private_key` / `key_file`),
else the PEM file named by the env var `AUDIT_SIGNING_KEY` on the worker; else the report is unsigned
and the `publish` log says so.

**Green means published**: the last task, `confirm_published`, fails unless this run's report is in
place (a teardown without a setup, so marking the run failed or success does not skip it). A pull
that failed fails the run too, naming the agency and what the report audited instead.

**Reruns** of a day publish a new report and keep the old one under `superseded/<run id>/`;
violations, quarantine and scores are byte-identical for the same inputs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import socket
import sys
from contextlib import contextmanager

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import CronTriggerTimetable, Param, PokeReturnValue, dag, get_current_context, task

BANK_TIMEZONE = os.environ.get("VENDOR_AUDIT_TIMEZONE", "Asia/Shanghai")
SCHEDULE = os.environ.get("VENDOR_AUDIT_SCHEDULE", "0 2 * * *")
DATA_ROOT = os.environ.get("VENDOR_AUDIT_DATA", "")     # absolute, shared by every process: checked by each task
SMTP_CONNECTION = "audit_smtp"
SECRET_VARIABLE = "AUDIT_HMAC_SECRET"


def _under_data_root(name: str) -> str:
    return f"{DATA_ROOT.rstrip('/')}/{name}" if DATA_ROOT else ""


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
                            description="Business day to audit; default the bank-local day before the run was "
                                        "due (a manual run: the day before it was triggered)."),
        "rulepack": Param("cn_bank", type="string", description="Rulepack name or YAML path."),
        "landing": Param(_under_data_root("landing"), type="string",
                         description="Absolute path shared by every worker (default $VENDOR_AUDIT_DATA/landing)."),
        "out": Param(_under_data_root("reports"), type="string",
                     description="Absolute path shared by every worker (default $VENDOR_AUDIT_DATA/reports)."),
        "store": Param(_under_data_root("store"), type="string",
                       description="Absolute path shared by every worker (default $VENDOR_AUDIT_DATA/store)."),
        "landing_wait_minutes": Param(120, type="integer", minimum=0,
                                      description="Wait this long for late agencies, then go on without them."),
        "notify_to": Param(os.environ.get("VENDOR_AUDIT_NOTIFY_TO", ""), type="string"),
        "report_base_url": Param(os.environ.get("VENDOR_AUDIT_REPORT_URL", ""), type="string",
                                 description="URL at which the reports folder is served, for the e-mail's link; "
                                             "empty: a file:// path on the publishing worker."),
        "desk_base_url": Param(os.environ.get("VENDOR_AUDIT_DESK_URL", ""), type="string",
                               description="URL of the case desk, for links from the portfolio and the e-mail; "
                                           "empty: no links."),
        "notify_from": Param(os.environ.get("VENDOR_AUDIT_NOTIFY_FROM", ""), type="string",
                             description="Sender address; empty: the connection's from_email extra, else "
                                         "vendor-audit@<this host>."),
        "rule_partitions": Param(int(os.environ.get("VENDOR_AUDIT_RULE_PARTITIONS", "1")), type="integer",
                                 minimum=1, maximum=64,
                                 description="Hash partitions of the numbers for the rules (one task each)."),
        "sources": Param("", type="string",
                         description="Absolute path of sources.yaml; empty: <landing>/sources.yaml, if present."),
        "replace_landed": Param(False, type="boolean",
                                description="Let the pull replace a landed file of an audited day that differs "
                                            "from its source (then this run audits the day again)."),
    },
)
def vendor_audit_nightly():
    @task
    def resolve_run() -> dict:
        """Settle the run's date, paths and rulepack; everything after reads only this."""
        from pathlib import Path

        from audits.cli import code_version
        from audits.config import check_run_id
        from audits.deployment import RunSettings, audited_day, shared_paths
        from audits.rulepack import load_rulepack
        from audits.sources.connections import signing_key

        context = get_current_context()
        params = context["params"]
        with _fail_without_retry():
            check_run_id(context["run_id"])          # it names the run's work folder: never ".." or a path
            shared_paths({name: params[name] for name in ("landing", "out", "store")}, "VENDOR_AUDIT_DATA")
            if params.get("audit_date"):
                audit_date = dt.date.fromisoformat(params["audit_date"])
            else:
                audit_date = audited_day(_due(context), BANK_TIMEZONE)
            load_rulepack(params["rulepack"])            # fail here, clearly, on a broken rulepack
            _hmac_secret()                               # and on a worker without the key
            signing_key(announce=False)                  # and on a signing key configured but unusable
        return RunSettings(
            audit_date=audit_date, landing=Path(params["landing"]), out=Path(params["out"]),
            store=Path(params["store"]), rulepack=params["rulepack"], run_id=context["run_id"],
            code_version=code_version(), generated_at=pendulum.now("UTC").isoformat(),
            landing_wait_minutes=int(params["landing_wait_minutes"]), rule_partitions=int(params["rule_partitions"]),
            notify_to=params["notify_to"], notify_from=params.get("notify_from", ""),
            report_base_url=params.get("report_base_url", ""), desk_base_url=params.get("desk_base_url", ""),
            sources=params.get("sources", ""),
            replace_landed=bool(params.get("replace_landed", False))).as_xcom()

    @task
    def source_agencies(settings: dict) -> list[str]:
        """The agencies whose file of the day is pulled from a source (sources.yaml; none without one)."""
        with _fail_without_retry():
            return sorted(_sources(settings).cdr)

    @task
    def sms_source_agencies(settings: dict) -> list[str]:
        """The agencies whose text messages of the day are pulled from a source (sources.yaml `sms:`)."""
        with _fail_without_retry():
            return sorted(_sources(settings).sms)

    @task(retries=3, retry_delay=dt.timedelta(minutes=1), retry_exponential_backoff=True,
          max_active_tis_per_dagrun=16,
          map_index_template="{{ task.op_kwargs['agency_id'] }}",      # the UI shows pull_sources [AG01], not [0]
          doc_md="Pull one agency's file of the day into the landing zone (one mapped task per agency): a "
                 "connection error is retried with back-off and never holds up the other agencies; a file not "
                 "there yet is not an error (wait_for_landing pulls it once it is).")
    def pull_sources(settings: dict, agency_id: str) -> str:
        """Pull one agency's CDR file of the day from its source."""
        from audits.sources.pull import pull_agency

        with _fail_without_retry():
            outcome = pull_agency(_pull_settings(settings), agency_id)
        return f"{outcome.status}: {outcome.message}"

    @task(retries=3, retry_delay=dt.timedelta(minutes=1), retry_exponential_backoff=True,
          max_active_tis_per_dagrun=16,
          map_index_template="{{ task.op_kwargs['agency_id'] }}",
          doc_md="Pull one agency's text messages of the day into sms/<D>/ (one mapped task per agency), as "
                 "pull_sources pulls its calls: retried with back-off, never holding up the other agencies.")
    def pull_sms(settings: dict, agency_id: str) -> str:
        """Pull one agency's SMS file of the day from its source (a file, or a messages table)."""
        from audits.sources.pull import pull_agency

        with _fail_without_retry():
            outcome = pull_agency(_pull_settings(settings), agency_id, "sms")
        return f"{outcome.status}: {outcome.message}"

    @task(retries=3, retry_delay=dt.timedelta(minutes=1), retry_exponential_backoff=True)
    def pull_reference(settings: dict) -> list[str]:
        """Pull the reference tables that sources.yaml names (vendor database, SFTP, paths)."""
        from audits.config import ConfigError
        from audits.sources.pull import pull_references

        with _fail_without_retry():
            outcomes, failures = pull_references(_pull_settings(settings))
            if failures:
                message = "\n".join(f.message for f in failures)
                if all(not f.retryable for f in failures):
                    raise ConfigError(message)
                raise RuntimeError(message)
        return [f"{o.status}: {o.message}" for o in outcomes]

    @task
    def check_reference(settings: dict) -> dict:
        """Validate the reference tables and bring earlier landing days into the store."""
        from audits.pipeline import stage_reference

        with _fail_without_retry():
            stage_reference(_config(settings))
        return settings

    @task.sensor(poke_interval=60, timeout=6 * 3600, mode="reschedule")
    def wait_for_landing(settings: dict) -> PokeReturnValue:
        """Wait until every agency with a contract in force delivered, and every one whose contract
        includes sms delivered its SMS file, or the wait is over."""
        from audits.deployment import landing_wait_over
        from audits.restore import rebuild_missing

        with _fail_without_retry():
            config = _config(settings)
            rebuild_missing(config, needs="reference")       # a cleared task whose run's work was removed
            complete, delivered = _landing_state(settings, config)
        run = get_current_context()["dag_run"]
        # from when the run was due, not when it started: a backfilled day whose deadline is past never waits
        due = run.run_after or run.data_interval_end or run.start_date
        over = landing_wait_over(pendulum.now("UTC"), pendulum.instance(due), _run(settings).landing_wait_minutes)
        return PokeReturnValue(is_done=complete or over, xcom_value=delivered)

    @task(max_active_tis_per_dagrun=16,
          doc_md="Read and type one agency's file: one mapped task per agency, spread over the workers.")
    def stage_agency(settings: dict, agency_id: str) -> str:
        """Read and type one agency's file (one mapped task per agency)."""
        from audits.pipeline import stage_agency as run_stage
        from audits.restore import rebuild_missing

        with _fail_without_retry():
            rebuild_missing(config := _config(settings), needs="reference")
            return run_stage(config, agency_id)

    @task(trigger_rule="none_failed")
    def validate_day(settings: dict) -> None:
        """Validate all agencies' rows in one Great Expectations batch; quarantine; store the day."""
        from audits.pipeline import stage_day
        from audits.restore import rebuild_missing

        with _fail_without_retry():
            rebuild_missing(config := _config(settings), needs="reference")
            stage_day(config)

    @task
    def rule_partitions(settings: dict) -> list[int]:
        """The hash partitions of the callee numbers that the rules run over (param rule_partitions)."""
        return list(range(_run(settings).rule_partitions))

    @task(doc_md="Run every rule bank-wide over one hash partition of the numbers: all calls to a "
                 "number (from any agency) are judged together, so partitions can run on different workers.")
    def bank_wide_rules(settings: dict, partition: int) -> None:
        """Run every rule over one partition of the numbers."""
        from audits.pipeline import stage_rules
        from audits.restore import rebuild_missing

        with _fail_without_retry():
            rebuild_missing(config := _config(settings), needs="day")
            stage_rules(config, partition=partition, partitions=_run(settings).rule_partitions)

    @task
    def merge_findings(settings: dict) -> None:
        """Join the partitions' findings into the day's violations."""
        from audits.restore import merge_or_rebuild

        with _fail_without_retry():
            merge_or_rebuild(_config(settings), _run(settings).rule_partitions)

    @task.sensor(poke_interval=15, timeout=6 * 3600, mode="reschedule")
    def wait_for_earlier_days(settings: dict) -> PokeReturnValue:
        """Wait while a run of an earlier day is still running (a backfill runs days at once): the
        day's trends and cases build on the earlier days' reports and case days, so publishing
        after them gives what running the days one after another gives. Scheduled and backfill
        runs only: a manual run (a rerun, `airflow dags test`) is published when it is done."""
        from audits.deployment import earlier_run_message

        context = get_current_context()
        if context["dag_run"].run_type not in ("scheduled", "backfill"):
            return PokeReturnValue(is_done=True)
        earlier = context["ti"].get_previous_dagrun(state="running")
        if earlier is not None:
            print(earlier_run_message(earlier.run_id, _run(settings).audit_date.isoformat()))
        return PokeReturnValue(is_done=earlier is None)

    @task
    def publish(settings: dict) -> str:
        """Scores, scorecards and manifest (signed when a key is configured); publish the report
        atomically. Returns its folder."""
        from audits.pipeline import stage_publish
        from audits.restore import rebuild_missing
        from audits.signing import unlinked_note
        from audits.sources.connections import signing_key

        with _fail_without_retry():
            config = dataclasses.replace(_config(settings), signing_key=signing_key(announce=True))
            rebuild_missing(config, needs="rules")          # a cleared task whose run's work was removed
            result = stage_publish(config)
        note = unlinked_note(result.manifest, config.out)
        if note:
            print(note, file=sys.stderr)
        return str(result.report_dir)

    @task(retries=0)
    def discard_work(settings: dict) -> None:
        """Remove the run's work files (full numbers) whatever happened upstream: failed or not,
        they never outlive the run. Then fail if any task before it failed: the teardown of
        resolve_run, it is cleared with any task and so says what the run's state is."""
        from airflow.sdk.exceptions import AirflowFailException

        from audits.deployment import failed_tasks, run_failed_message
        from audits.pipeline import discard_work as discard

        discard(_config(settings))
        states = _upstream_states()
        if failed := failed_tasks(states):
            # Only pulls failed (sources.md): the report is published without those agencies'
            # pulled files; the run still fails, so the unreachable source is seen and fixed.
            published = states.get("publish") == "success"
            pulls, lines = _failed_pulls(settings, failed, published=published)
            raise AirflowFailException(run_failed_message(failed, published=published, pulls=pulls, pull_lines=lines))

    @task(retries=0)
    def confirm_published() -> str:
        """The run's verdict on what matters: fail unless this run published its report, intact. A
        teardown without a setup: Airflow never skips it, not even when an operator marks the run
        failed or success while a task waits for its retry (every task not yet done is then
        skipped, discard_work with its setup), so a run is green only with its report published."""
        from airflow.sdk.exceptions import AirflowFailException

        from audits.deployment import RUN_AGAIN, publication_problem

        context = get_current_context()
        settings = context["ti"].xcom_pull(task_ids="resolve_run")
        if not settings:
            raise AirflowFailException("This run published nothing: resolve_run did not finish (it failed, or was "
                                       "skipped when the run was marked failed or success by hand). " + RUN_AGAIN)
        report_dir = _run(settings).report_dir
        if problem := publication_problem(report_dir, context["run_id"]):
            raise AirflowFailException(problem)
        return f"published: {report_dir}"

    @task(retries=1)
    def notify(settings: dict, report_dir: str) -> str:
        """E-mail the summary (masked numbers only) through the SMTP connection `audit_smtp`."""
        from pathlib import Path

        from audits.notify import compose_summary, sender_address, undelivered

        run = _run(settings)
        recipients = [a.strip() for a in run.notify_to.split(",") if a.strip()]
        if not recipients:
            return "no recipients configured (param notify_to); nothing sent"
        message = compose_summary(Path(report_dir), base_url=run.report_base_url,
                                  pull_failures=_published_without_pulls(settings),
                                  desk_base_url=run.desk_base_url)
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        try:
            with SmtpHook(smtp_conn_id=SMTP_CONNECTION) as hook:
                sender = sender_address(run.notify_from, hook.from_email, socket.getfqdn())
                hook.send_email_smtp(to=recipients, subject=message.subject, html_content=message.html,
                                     files=[str(p) for p in message.attachments], from_email=sender)
        except Exception as exc:        # the run fails (notify is its leaf), saying the report is published
            raise RuntimeError(undelivered(Path(report_dir), SMTP_CONNECTION, exc)) from exc
        return f"sent to {len(recipients)} recipient(s) from {sender}"

    resolved = resolve_run()
    pulled = pull_sources.partial(settings=resolved).expand(agency_id=source_agencies(resolved))
    pulled_sms = pull_sms.partial(settings=resolved).expand(agency_id=sms_source_agencies(resolved))
    # check_reference waits for every pull to end, but a pull that failed (a server down after its
    # retries) does not stop the audit: that agency is DQ_FILE_MISSING unless it lands meanwhile.
    sources_pulled = EmptyOperator(task_id="sources_pulled", trigger_rule="all_done")
    [pulled, pulled_sms] >> sources_pulled
    settings = check_reference(resolved)
    [sources_pulled, pull_reference(resolved)] >> settings
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
    merged >> wait_for_earlier_days(resolved) >> report_dir
    notify(settings, report_dir)
    # The run's verdict, which nothing skips (a teardown without a setup): green means published.
    confirmed = confirm_published()
    report_dir >> confirmed
    confirmed.as_teardown(on_failure_fail_dagrun=True)
    # Last, whatever failed (from resolve_run's settings: check_reference may be what failed). The
    # teardown of resolve_run: clearing any task between them (publish alone, one stage_agency)
    # clears both, so the work is removed again and discard_work's state, which fails when a task
    # before it failed, decides the run's (on_failure_fail_dagrun) with notify's.
    discarded = discard_work(resolved)
    [staged, validated, rules, merged, report_dir] >> discarded
    discarded.as_teardown(setups=resolved, on_failure_fail_dagrun=True)


def _due(context) -> dt.datetime:
    """When the run was due: its logical date (scheduled and backfill runs), else, for a manual run
    that Airflow 3 created without one ("Trigger DAG"), its run_after, the moment it was triggered."""
    return context.get("logical_date") or context["dag_run"].run_after


def _upstream_states() -> dict[str, str | None]:
    """The states of the running task's upstream tasks in this run (a mapped one's per map index,
    keyed `<task id>_<map index>`)."""
    context = get_current_context()
    ti = context["ti"]
    upstream = sorted(context["task"].get_flat_relative_ids(upstream=True))
    return ti.get_task_states(dag_id=ti.dag_id, run_ids=[ti.run_id], task_ids=upstream).get(ti.run_id, {})


def _failed_pulls(settings: dict, failed: list[str], *, published: bool) -> tuple[dict[str, str], list[str]]:
    """The failed pull tasks (calls, texts) with their agencies, and what the report did without
    each pulled file (audited one landed earlier, or none: DQ_FILE_MISSING)."""
    from audits.deployment import PULL_TASK, SMS_PULL_TASK, failed_pulls, published_inputs, pull_failure_lines

    ti = get_current_context()["ti"]
    run = _run(settings)
    inputs = published_inputs(run.report_dir) if published else None
    pulls, lines = {}, []
    for task_id, listed_by, channel in ((PULL_TASK, "source_agencies", "cdr"),
                                        (SMS_PULL_TASK, "sms_source_agencies", "sms")):
        failed_here = failed_pulls(failed, list(ti.xcom_pull(task_ids=listed_by) or []), task_id)
        pulls.update(failed_here)
        lines += pull_failure_lines(list(failed_here.values()), inputs, run.audit_date.isoformat(), channel)
    return pulls, lines


def _published_without_pulls(settings: dict) -> list[str]:
    """For the e-mail of a published report: what it did without each file whose pull failed."""
    from audits.deployment import failed_tasks

    return _failed_pulls(settings, failed_tasks(_upstream_states()), published=True)[1]


def _run(settings: dict):
    """The run's typed settings (audits.deployment.RunSettings) from the JSON that XCom carries."""
    from audits.deployment import RunSettings

    return RunSettings.from_xcom(settings)


def _config(settings: dict):
    """AuditConfig from the run's settings; the secret comes from the environment here, at the edge."""
    from audits.config import AuditConfig
    from audits.deployment import shared_paths
    from audits.rulepack import load_rulepack

    run = _run(settings)
    shared_paths({"landing": str(run.landing), "out": str(run.out), "store": str(run.store)}, "VENDOR_AUDIT_DATA")
    return AuditConfig(
        audit_date=run.audit_date, landing=run.landing, out=run.out, store=run.store,
        rulepack=load_rulepack(run.rulepack), hmac_secret=_hmac_secret(), run_id=run.run_id,
        code_version=run.code_version, generated_at=run.generated_at, orchestrated=True,
        desk_base_url=run.desk_base_url)


def _sources(settings: dict):
    """The run's sources.yaml (param `sources`, else <landing>/sources.yaml if present)."""
    from audits.sources.pull import sources_config

    run = _run(settings)
    return sources_config(run.landing, run.sources or None, absolute=True)


def _pull_settings(settings: dict):
    """What a pull needs: the run's day and folders, its sources, and whether it may replace."""
    from audits.sources.pull import PullSettings

    run = _run(settings)
    return PullSettings(landing=run.landing, day=run.audit_date, sources=_sources(settings), out=run.out,
                        replace=run.replace_landed, now=pendulum.now("UTC"))


def _landing_state(settings: dict, config) -> tuple[bool, list[str]]:
    """Pull what is still missing, then whether every file owed has landed (a file from each agency
    with a contract in force, an SMS file from each whose contract includes sms), and the agencies
    to stage: pipeline.delivered_agencies."""
    from audits.landing_wait import called_agencies, landing_complete, texted_agencies, texting_agencies
    from audits.pipeline import delivered_agencies, expected_agencies

    _pull_late(settings, delivered_agencies(config), texted_agencies(config))   # not there when pulled first
    delivered = delivered_agencies(config)
    complete = landing_complete(expected_agencies(config), called_agencies(config), texting_agencies(config),
                                texted_agencies(config))
    return complete, delivered


def _pull_late(settings: dict, delivered: list[str], texted: list[str] = ()) -> None:
    """Pull the sources of agencies that have not delivered yet (their CDR file; their SMS file),
    each on its own; a failure is logged and the sensor goes on waiting (the agency's pull_sources
    or pull_sms task shows the first one)."""
    import logging

    from audits.sources.pull import pull_agencies

    pulling = _pull_settings(settings)
    for channel, landed in (("cdr", delivered), ("sms", texted)):
        late = tuple(sorted(set(pulling.sources.agencies(channel)) - set(landed)))
        if late:
            outcomes, failures = pull_agencies(pulling, late, channel)
            for outcome in outcomes:
                logging.getLogger(__name__).info("%s: %s", outcome.name, outcome.message)
            for failure in failures:
                logging.getLogger(__name__).warning("%s", failure.message)


def _hmac_secret() -> bytes:
    """The callee_key secret of this worker. Unlike the CLI, never the development key: a worker
    without it would key numbers differently from the others (publish compares key fingerprints)."""
    from airflow.sdk.exceptions import AirflowFailException

    secret = os.environ.get(SECRET_VARIABLE, "")
    if not secret:
        raise AirflowFailException(
            f"{SECRET_VARIABLE} is not set on worker {socket.gethostname()}: callee_key needs the bank's HMAC "
            f"secret, the same on every worker, and the development key is never used under Airflow. Set "
            f"{SECRET_VARIABLE} in this worker's environment (or a secrets backend that exports it), restart it, "
            "and clear this task.")
    return secret.encode()


@contextmanager
def _fail_without_retry():
    """Errors a retry cannot fix (bad rulepack or setting, unusable reference data, a relative path,
    mixed HMAC keys) fail the task at once; anything else (I/O, connections) is retried as usual."""
    from airflow.sdk.exceptions import AirflowFailException

    from audits.deployment import PERMANENT_ERRORS

    try:
        yield
    except PERMANENT_ERRORS as exc:
        raise AirflowFailException(f"{exc}\nNot retried: fix the cause above, then clear this task.") from exc


vendor_audit_nightly()
