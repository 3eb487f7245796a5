"""The Airflow DAG: it imports cleanly, has the expected graph, and a whole dag.test() run (twice,
for a rerun) publishes a verifiable report and e-mails a masked summary to a real SMTP server."""

from __future__ import annotations

import datetime as dt
import email
import json
import os
import shutil
import socket
from email import policy
from pathlib import Path

import pytest

from audits.privacy import key_fingerprint
from tests.landing import CUSTOMER, DAY, REFERENCE, call, make_landing

REPO = Path(__file__).resolve().parents[1]

EXPECTED_EDGES = {
    ("resolve_run", "source_agencies"), ("source_agencies", "pull_sources"), ("resolve_run", "pull_sources"),
    ("pull_sources", "sources_pulled"), ("sources_pulled", "check_reference"),
    ("resolve_run", "sms_source_agencies"), ("sms_source_agencies", "pull_sms"), ("resolve_run", "pull_sms"),
    ("pull_sms", "sources_pulled"),
    ("resolve_run", "pull_reference"), ("pull_reference", "check_reference"),
    ("resolve_run", "check_reference"), ("check_reference", "wait_for_landing"),
    ("wait_for_landing", "stage_agency"), ("stage_agency", "validate_day"),
    ("validate_day", "rule_partitions"), ("rule_partitions", "bank_wide_rules"),
    ("bank_wide_rules", "merge_findings"), ("merge_findings", "publish"), ("publish", "notify"),
    ("stage_agency", "discard_work"), ("validate_day", "discard_work"), ("bank_wide_rules", "discard_work"),
    ("merge_findings", "discard_work"), ("publish", "discard_work"), ("resolve_run", "discard_work"),
    ("resolve_run", "wait_for_earlier_days"), ("merge_findings", "wait_for_earlier_days"),
    ("wait_for_earlier_days", "publish"), ("publish", "confirm_published"),
}


@pytest.fixture(scope="module")
def dag(airflow_dags):
    return airflow_dags.get_dag("vendor_audit_nightly")


def test_dag_has_the_expected_tasks_and_edges(dag):
    edges = {(task.task_id, down) for task in dag.tasks for down in task.downstream_task_ids}
    assert EXPECTED_EDGES <= edges
    leaves = {"notify", "discard_work", "confirm_published"}
    assert {t.task_id for t in dag.tasks} == {a for a, _ in EXPECTED_EDGES} | leaves
    assert dag.doc_md and all(dag.get_task(t).doc_md for t in ("check_reference", "stage_agency", "publish"))
    assert dag.get_task("stage_agency").retries == 2
    assert dag.get_task("validate_day").trigger_rule == "none_failed"
    assert dag.get_task("discard_work").trigger_rule == "all_done_setup_success"   # work files go, failed or not
    assert dag.get_task("discard_work").is_teardown and dag.get_task("resolve_run").is_setup
    confirm = dag.get_task("confirm_published")      # the run's verdict: a teardown nothing can skip
    assert confirm.is_teardown and confirm.on_failure_fail_dagrun and confirm.upstream_task_ids == {"publish"}


class _Inbox:
    """A real SMTP server on localhost (aiosmtpd) that keeps what it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list[email.message.EmailMessage] = []
        inbox = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                inbox.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
                return "250 OK"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)


@pytest.fixture
def inbox():
    box = _Inbox()
    box.controller.start()
    yield box
    box.controller.stop()


def _landing(root: Path) -> Path:
    contracts = REFERENCE["contracts"] + [dict(REFERENCE["contracts"][0], agency_id="AG02", contract_id="C2",
                                               agency_name="<b>Pacific</b> Contact")]
    landing = make_landing(root / "landing", {
        DAY - dt.timedelta(days=1): {"AG01": [call("y1", "2026-11-26 10:00:00")]},
        DAY: {"AG01": [call("c1", "2026-11-27 07:30:00"), call("c2", "2026-11-27 09:00:00", notes=f"tel {CUSTOMER}"),
                       call("c3", "2026-11-27 09:10:00", callee_number="12345")]},
    }, contracts=contracts)
    return landing


def _run(dag, root: Path, conn_file: Path | None = None, notify_to: str = "", notify_from: str = "",
         report_base_url: str = ""):
    conf = {"audit_date": DAY.isoformat(), "landing": str(root / "landing"), "out": str(root / "reports"),
            "store": str(root / "store"), "landing_wait_minutes": 0, "notify_to": notify_to,
            "notify_from": notify_from, "rule_partitions": 3, "report_base_url": report_base_url}
    run = dag.test(run_conf=conf, conn_file_path=str(conn_file) if conn_file else None)
    assert str(run.state) in ("success", "DagRunState.SUCCESS"), run.state
    return root / "reports" / DAY.isoformat()


@pytest.fixture(scope="module")
def signed_run(dag, tmp_path_factory) -> tuple[Path, Path]:
    """(root, report): the landing audited by one whole dag.test() run with the signing key in
    Airflow's connections, its public key at root/bank.pub.pem. Shared by the tests that need a
    run's published report; a test that changes it works on a copy (_copied)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    root = tmp_path_factory.mktemp("signed-run")
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    (root / "bank.pub.pem").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    connections = root / "connections.json"
    connections.write_text(json.dumps({"audit_signing_key": {"conn_type": "generic", "password": pem}}))
    _landing(root)
    return root, _run(dag, root, connections)


def _copied(signed_run: tuple[Path, Path], folder: Path) -> tuple[Path, Path]:
    """The shared run's landing, store and reports copied into `folder`, to change."""
    root, report = signed_run
    shutil.copytree(root, folder, symlinks=True, dirs_exist_ok=True)
    return folder, folder / report.relative_to(root)


def test_full_run_rerun_verify_and_email(dag, tmp_path, inbox):
    from audits.cli import main as cli

    landing = _landing(tmp_path)
    report = _run(dag, tmp_path)
    for name in ("index.html", "summary.xlsx", "violations.csv", "quarantine.csv", "scores.csv", "manifest.json",
                 "agencies/AG01.html", "agencies/AG01.xlsx", "agencies/AG02.html", "dq/cdr.json"):
        assert (report / name).is_file(), name
    first = {n: (report / n).read_bytes() for n in ("violations.csv", "quarantine.csv", "scores.csv")}
    first_manifest = json.loads((report / "manifest.json").read_text())
    scores = (report / "scores.csv").read_text()
    assert "AG02" in scores and "missing" in scores                      # no file from AG02: not assessed
    assert b"FREQ_CALLING_HOURS" in first["violations.csv"] and b"CONF_PII_IN_NOTES" in first["violations.csv"]
    assert b"DQ_BAD_PHONE" in first["quarantine.csv"]
    assert not (tmp_path / "store" / ".work").exists() and not (tmp_path / "reports" / ".work").exists()
    assert [h["date"] for h in first_manifest["history"]] == [(DAY - dt.timedelta(days=1)).isoformat()]

    connections = tmp_path / "connections.json"
    connections.write_text(json.dumps({"audit_smtp": {
        "conn_type": "smtp", "host": "127.0.0.1", "port": inbox.port,
        "extra": {"disable_tls": True, "disable_ssl": True, "retry_limit": 0}}}))   # no from_email extra
    report = _run(dag, tmp_path, connections, notify_to="compliance@bank.example, vendors@bank.example",
                  notify_from="audit@bank.example", report_base_url="https://audit.bank.example/reports/")
    for name, content in first.items():
        assert (report / name).read_bytes() == content, f"{name} differs on rerun"
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["supersedes"]["run_id"] == first_manifest["run_id"]
    assert manifest["callee_key_fingerprint"] == key_fingerprint(b"dag-test-secret")
    kept = report / manifest["supersedes"]["kept_at"]
    assert (kept / "manifest.json").is_file() and (kept / "violations.csv").read_bytes() == first["violations.csv"]

    assert cli(["verify", str(report)]) == 0
    contracts = landing / "reference" / "contracts.csv"
    contracts.write_bytes(contracts.read_bytes().replace(b"L-1", b"L-2"))
    assert cli(["verify", str(report)]) == 0                          # an input changed since: a note ...
    assert cli(["verify", str(report), "--strict-inputs"]) == 1       # ... a failure only when asked

    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["From"] == "audit@bank.example"
    assert message["Subject"].startswith(f"Vendor audit {DAY.isoformat()}")
    assert set(message["To"].replace(" ", "").split(",")) == {"compliance@bank.example", "vendors@bank.example"}
    body = next(part for part in message.walk() if part.get_content_type() == "text/html").get_content()
    assert "CONF_PII_IN_NOTES" in body and "Unmasked personal identifier in the notes: agent A1" in body   # a case
    assert CUSTOMER not in body and "<b>Pacific</b>" not in body
    assert f'href="https://audit.bank.example/reports/{DAY.isoformat()}/index.html"' in body   # not a worker's file://
    assert "file://" not in body
    attachments = [part.get_filename() for part in message.walk() if part.get_filename()]
    assert attachments == ["summary.xlsx"]


def test_a_manual_run_without_a_logical_date_audits_the_day_before_it_was_triggered(dag, tmp_path):
    """Airflow 3's "Trigger DAG" may create a run without a logical date; without the audit_date
    param it audits the bank-local day before the run's run_after (the moment it was triggered)."""
    import pendulum

    _landing(tmp_path)
    conf = {"audit_date": None, "landing": str(tmp_path / "landing"), "out": str(tmp_path / "reports"),
            "store": str(tmp_path / "store"), "landing_wait_minutes": 0, "notify_to": "", "notify_from": "",
            "rule_partitions": 1, "report_base_url": ""}
    run = dag.test(logical_date=None, run_after=pendulum.datetime(2026, 11, 28, 9, 30, tz="Asia/Shanghai"),
                   run_conf=conf)
    assert run.logical_date is None
    assert str(run.state) in ("success", "DagRunState.SUCCESS"), run.state
    manifest = json.loads((tmp_path / "reports" / DAY.isoformat() / "manifest.json").read_text())
    assert manifest["audit_date"] == DAY.isoformat() and manifest["run_id"] == run.run_id


def test_a_run_that_published_nothing_never_ends_green(dag, tmp_path, monkeypatch):
    """An operator who marks a run failed (or success) while a task waits for its retry has Airflow
    skip every task not yet done, the teardown's setup included; a run whose publish was skipped
    must not end green. Here publish skips itself, as a task marked skipped would: nothing is
    published, no task failed, and the run fails in its last task, saying so."""
    from airflow.sdk.exceptions import AirflowSkipException

    import audits.pipeline

    def skipped(config):
        raise AirflowSkipException("skipped, as an operator's mark would")

    _landing(tmp_path)
    monkeypatch.setattr(audits.pipeline, "stage_publish", skipped)
    conf = {"audit_date": DAY.isoformat(), "landing": str(tmp_path / "landing"), "out": str(tmp_path / "reports"),
            "store": str(tmp_path / "store"), "landing_wait_minutes": 0, "notify_to": "", "notify_from": "",
            "rule_partitions": 1, "report_base_url": ""}
    run = dag.test(run_conf=conf)
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert "skipped" in states["publish"] and "skipped" in states["notify"], states
    assert not (tmp_path / "reports" / DAY.isoformat()).exists()
    assert "failed" in str(run.state), states
    assert "failed" in states["confirm_published"], states


def _settings(root: Path, **changes) -> dict:
    """What resolve_run hands the other tasks, for calling one task's function directly."""
    return {"audit_date": DAY.isoformat(), "landing": str(root / "landing"), "out": str(root / "reports"),
            "store": str(root / "store"), "rulepack": "cn_bank", "run_id": "manual__test", "code_version": "test",
            "generated_at": "2026-11-28T02:00:00+00:00", "landing_wait_minutes": 0, "notify_to": "",
            "notify_from": "", "rule_partitions": 1, **changes}


def test_a_bad_rulepack_fails_the_task_without_retries(dag, tmp_path):
    from airflow.sdk.exceptions import AirflowFailException

    _landing(tmp_path)
    rulepack = tmp_path / "broken.yaml"
    rulepack.write_text("name: [unclosed\n")
    with pytest.raises(AirflowFailException, match="Not retried"):
        dag.get_task("check_reference").python_callable(_settings(tmp_path, rulepack=str(rulepack)))


def test_a_missing_reference_table_fails_the_task_without_retries(dag, tmp_path):
    from airflow.sdk.exceptions import AirflowFailException

    (_landing(tmp_path) / "reference" / "consents.csv").unlink()
    with pytest.raises(AirflowFailException, match="consents is missing"):
        dag.get_task("check_reference").python_callable(_settings(tmp_path))


@pytest.mark.parametrize("param", ["landing", "out", "store"])
def test_a_relative_data_path_fails_the_task_naming_the_param(dag, tmp_path, param):
    from airflow.sdk.exceptions import AirflowFailException

    _landing(tmp_path)
    with pytest.raises(AirflowFailException) as failed:
        dag.get_task("check_reference").python_callable(_settings(tmp_path, **{param: f"data/{param}"}))
    assert f"`{param}`" in str(failed.value) and "VENDOR_AUDIT_DATA" in str(failed.value)


def test_the_data_params_default_under_vendor_audit_data_and_are_empty_without_it(dag):
    root = os.environ.get("VENDOR_AUDIT_DATA", "")
    defaults = {name: dag.params[name] for name in ("landing", "out", "store")}
    assert defaults == ({"landing": f"{root}/landing", "out": f"{root}/reports", "store": f"{root}/store"} if root
                        else {"landing": "", "out": "", "store": ""})      # never relative to a working directory


def test_a_worker_without_the_hmac_secret_fails_its_task(dag, tmp_path, monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException

    _landing(tmp_path)
    monkeypatch.delenv("AUDIT_HMAC_SECRET")
    with pytest.raises(AirflowFailException, match="AUDIT_HMAC_SECRET is not set on worker"):
        dag.get_task("check_reference").python_callable(_settings(tmp_path))
    assert not (tmp_path / "reports").exists()


def test_a_failed_email_fails_notify_saying_the_report_is_published(dag, signed_run, monkeypatch):
    from audits.cli import main as cli

    root, report = signed_run
    with socket.socket() as probe:                      # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("AIRFLOW_CONN_AUDIT_SMTP", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": port,
        "extra": {"disable_ssl": True, "disable_tls": True, "retry_limit": 0, "timeout": 5}}))
    notify = dag.get_task("notify").python_callable
    monkeypatch.setitem(notify.__globals__, "_published_without_pulls", lambda settings: [])   # no run to ask
    with pytest.raises(RuntimeError) as failed:
        notify(_settings(root, notify_to="compliance@bank.example"), str(report))
    message = str(failed.value)
    assert "IS PUBLISHED" in message and str(report) in message and "audit_smtp" in message
    assert cli(["verify", str(report)]) == 0


def test_sender_defaults_to_the_connection_then_to_this_host():
    from audits.notify import sender_address

    assert sender_address(" audit@bank.example ", "conn@bank.example", "worker1") == "audit@bank.example"
    assert sender_address("", "conn@bank.example", "worker1") == "conn@bank.example"
    assert sender_address("", None, "worker1.bank.example") == "vendor-audit@worker1.bank.example"


def test_the_documented_backfill_audits_exactly_the_days_named(dag):
    """README: `airflow backfill create --dag-id vendor_audit_nightly --from-date 2026-11-02T02:00:00+08:00
    --to-date 2026-12-01T02:00:00+08:00` audits 1 to 30 November (logical dates are the runs' 02:00
    in the bank's zone; both ends inclusive). Bare dates are UTC midnights and audit 1 to 29 November."""
    from airflow._shared.timezones.timezone import parse as parsedate  # what the backfill CLI parses with
    from airflow.serialization.serialized_objects import DagSerialization

    from audits.deployment import audited_day

    serialized = DagSerialization.from_dict(DagSerialization.to_dict(dag))

    def audited(first: str, last: str) -> list[dt.date]:
        infos = serialized.iter_dagrun_infos_between(parsedate(first), parsedate(last))
        return [audited_day(info.logical_date, "Asia/Shanghai") for info in infos]

    november = [dt.date(2026, 11, 1) + dt.timedelta(days=n) for n in range(30)]
    assert audited("2026-11-02T02:00:00+08:00", "2026-12-01T02:00:00+08:00") == november
    assert audited("2026-11-01", "2026-11-30") == november[:-1]


def _signing_hook(dag):
    """The signing-key look-up both DAGs call (the one place besides the pull that reads Airflow
    connections)."""
    from audits.sources.connections import signing_key

    return signing_key


def test_the_signing_key_comes_from_the_connection_else_the_variable_else_none(dag, tmp_path, monkeypatch, capsys):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from audits.config import ConfigError
    from audits.signing import public_key_fingerprint

    hook = _signing_hook(dag)
    monkeypatch.delenv("AUDIT_SIGNING_KEY", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_AUDIT_SIGNING_KEY", raising=False)
    capsys.readouterr()
    assert hook(announce=False) is None and "not set" not in capsys.readouterr().err   # resolve_run: silent
    assert hook(announce=True) is None and capsys.readouterr().err.count("AUDIT_SIGNING_KEY is not set") == 1

    by_variable, by_connection = (Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32) for n in (1, 2))
    pem = {key: key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()).decode() for key in (by_variable, by_connection)}
    (tmp_path / "k.pem").write_text(pem[by_variable])
    monkeypatch.setenv("AUDIT_SIGNING_KEY", str(tmp_path / "k.pem"))
    assert public_key_fingerprint(hook(announce=False)) == public_key_fingerprint(by_variable)
    monkeypatch.setenv("AIRFLOW_CONN_AUDIT_SIGNING_KEY", json.dumps({"conn_type": "generic",
                                                                     "password": pem[by_connection]}))
    assert public_key_fingerprint(hook(announce=True)) == public_key_fingerprint(by_connection)   # first
    monkeypatch.setenv("AIRFLOW_CONN_AUDIT_SIGNING_KEY", json.dumps({"conn_type": "generic", "password": "oops"}))
    with pytest.raises(ConfigError, match="audit_signing_key") as failed:     # publish/resolve_run: no retry
        hook(announce=False)
    assert "oops" not in str(failed.value)


def test_a_run_with_the_signing_connection_publishes_a_signed_report(signed_run):
    from audits.cli import main as cli

    root, report = signed_run
    assert (report / "manifest.sig").is_file()
    assert cli(["verify", str(report), "--public-key", str(root / "bank.pub.pem")]) == 0
    assert json.loads((report / "manifest.json").read_text())["previous_manifest"]["audit_date"] == \
        (DAY - dt.timedelta(days=1)).isoformat()


# --- pulling sources (sources.md) -------------------------------------------------------------

def _sourced_landing(root: Path, drop: Path, sources: dict) -> Path:
    """Reference data for AG01..AG03 and no CDR file: the night's files are in `drop`, pulled."""
    import yaml

    contracts = [dict(REFERENCE["contracts"][0], agency_id=a, contract_id=f"C-{a}") for a in ("AG01", "AG02", "AG03")]
    landing = make_landing(root / "landing", contracts=contracts)
    (landing / "sources.yaml").write_text(yaml.safe_dump({"cdr": sources}))
    drop.mkdir(parents=True, exist_ok=True)
    return landing


def _drop_cdr(path: Path, agency_id: str, call_id: str) -> Path:
    from audits.models import TABLE_COLUMNS
    from tests.landing import write_csv

    return write_csv(path, [call(call_id, "2026-11-27 10:00:00", agency_id=agency_id)],
                     list(TABLE_COLUMNS["cdr"][0] + TABLE_COLUMNS["cdr"][1]))


def test_pull_sources_is_mapped_per_agency_and_comes_before_check_reference(dag):
    pull = dag.get_task("pull_sources")
    assert pull.retries == 3 and pull.retry_exponential_backoff                 # connection errors, with back-off
    assert dag.get_task("pull_reference").retries == 3
    assert dag.get_task("sources_pulled").trigger_rule == "all_done"    # a failed agency never stops the audit
    assert dag.get_task("check_reference").trigger_rule == "all_success"        # a failed reference pull does
    assert {"sources", "replace_landed"} <= set(dag.params)


def test_a_run_pulls_each_agency_first_and_one_failing_source_does_not_stop_it(dag, tmp_path, sshd, monkeypatch):
    drop = tmp_path / "drop"
    landing = _sourced_landing(tmp_path, drop, {
        "AG01": {"kind": "sftp", "connection": "sftp_ag01", "path": f"{drop}/ag01_{{date:%Y%m%d}}.csv"},
        "AG02": {"kind": "local", "path": f"{drop}/ag02_{{date:%Y%m%d}}.csv"},
        "AG03": {"kind": "sftp", "connection": "sftp_not_defined", "path": f"{drop}/ag03_{{date:%Y%m%d}}.csv"}})
    ag01 = _drop_cdr(drop / "ag01_20261127.csv", "AG01", "a1").read_bytes()
    ag02 = _drop_cdr(drop / "ag02_20261127.csv", "AG02", "b1").read_bytes()
    _drop_cdr(drop / "ag03_20261127.csv", "AG03", "c1")
    monkeypatch.setenv("AIRFLOW_CONN_SFTP_AG01", json.dumps(sshd.connection()))
    (tmp_path / "landing").mkdir(exist_ok=True)

    conf = {"audit_date": DAY.isoformat(), "landing": str(tmp_path / "landing"), "out": str(tmp_path / "reports"),
            "store": str(tmp_path / "store"), "landing_wait_minutes": 0, "notify_to": "", "notify_from": "",
            "rule_partitions": 1, "report_base_url": ""}
    run = dag.test(run_conf=conf)
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    report = tmp_path / "reports" / DAY.isoformat()
    # AG03's pull failed: the audit went on and published, and the run says a task failed
    assert "failed" in str(run.state) and "success" in states["publish"] and "failed" in states["discard_work"]
    assert (landing / "cdr" / "2026-11-27" / "AG01.csv").read_bytes() == ag01
    assert (landing / "cdr" / "2026-11-27" / "AG02.csv").read_bytes() == ag02
    inputs = {e["agency_id"]: e for e in json.loads((report / "manifest.json").read_text())["inputs"]
              if e["table"] == "cdr"}
    assert inputs["AG01"]["source"]["connection"] == "sftp_ag01" and inputs["AG02"]["source"]["kind"] == "local"
    assert inputs["AG03"]["status"] == "missing" and "source" not in inputs["AG03"]
    assert "sftp_ag01" in json.dumps(inputs) and sshd.user_key_passphrase not in (report / "manifest.json").read_text()


def test_failed_pulls_are_named_by_agency_with_what_was_audited_instead_in_the_log_and_the_email(
        dag, tmp_path, inbox, monkeypatch, capfd):
    """AG01's and AG02's pulls fail (their connection is not defined: not retried). AG01 had a file
    in the landing zone already, which the report audits: the run must say so, not call AG01
    DQ_FILE_MISSING; AG02 had none. Both are named by agency, in the run's failure and the e-mail."""
    drop = tmp_path / "drop"
    landing = _sourced_landing(tmp_path, drop, {
        "AG01": {"kind": "sftp", "connection": "sftp_undefined", "path": f"{drop}/ag01_{{date:%Y%m%d}}.csv"},
        "AG02": {"kind": "sftp", "connection": "sftp_undefined", "path": f"{drop}/ag02_{{date:%Y%m%d}}.csv"},
        "AG03": {"kind": "local", "path": f"{drop}/ag03_{{date:%Y%m%d}}.csv"}})
    _drop_cdr(landing / "cdr" / DAY.isoformat() / "AG01.csv", "AG01", "a1")       # landed earlier, by other means
    _drop_cdr(drop / "ag03_20261127.csv", "AG03", "c1")
    from airflow.sdk.configuration import clear_secrets_backends_cache

    monkeypatch.setenv("AIRFLOW_CONN_AUDIT_SMTP", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": inbox.port,
        "extra": {"disable_tls": True, "disable_ssl": True, "retry_limit": 0}}))
    clear_secrets_backends_cache()          # an earlier test's connections file would answer first
    conf = {"audit_date": DAY.isoformat(), "landing": str(landing), "out": str(tmp_path / "reports"),
            "store": str(tmp_path / "store"), "landing_wait_minutes": 0, "notify_to": "compliance@bank.example",
            "notify_from": "audit@bank.example", "rule_partitions": 1, "report_base_url": ""}
    run = dag.test(run_conf=conf)
    states = {(ti.task_id, ti.map_index): str(ti.state) for ti in run.get_task_instances()}
    assert "failed" in str(run.state) and "success" in states[("publish", -1)], states
    assert "failed" in states[("pull_sources", 0)] and "failed" in states[("pull_sources", 1)]
    assert sorted(ti.rendered_map_index for ti in run.get_task_instances() if ti.task_id == "pull_sources") == \
        ["AG01", "AG02", "AG03"]                                  # the UI names each pull by its agency
    scores = (tmp_path / "reports" / DAY.isoformat() / "scores.csv").read_text()
    assert "AG01" in scores and "missing" in scores             # AG02 only

    ag01 = (f"AG01: the pull of its file of {DAY} from its source failed; the report audited "
            f"cdr/{DAY}/AG01.csv, a file landed earlier by other means, not pulled from that source")
    ag02 = (f"AG02: the pull of its file of {DAY} from its source failed, and no file of that day was in the "
            "landing zone: the report shows AG02 as DQ_FILE_MISSING (not assessed).")
    logged = " ".join(capfd.readouterr().out.split())       # discard_work's failure, as the task log has it
    assert "The report IS PUBLISHED, but pull_sources[AG01], pull_sources[AG02] failed" in logged
    assert ag01 in logged and ag02 in logged and "pull_sources_0" not in logged
    body = next(p for p in inbox.messages[0].walk() if p.get_content_type() == "text/html").get_content()
    assert "Source pulls that failed (2)" in body and ag01 in body and ag02 in body


def test_a_pull_task_fails_without_retry_on_a_permanent_error_and_retries_a_connection_error(dag, tmp_path, sshd,
                                                                                             monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException

    from tests.servers import closed_port

    drop = tmp_path / "drop"
    _sourced_landing(tmp_path, drop, {
        "AG01": {"kind": "sftp", "connection": "sftp_down", "path": f"{drop}/{{date:%Y%m%d}}.csv"},
        "AG02": {"kind": "sftp", "connection": "sftp_not_defined", "path": f"{drop}/{{date:%Y%m%d}}.csv"}})
    monkeypatch.setenv("AIRFLOW_CONN_SFTP_DOWN", json.dumps(dict(sshd.connection(), port=closed_port())))
    pull = dag.get_task("pull_sources").python_callable
    assert dag.get_task("source_agencies").python_callable(_settings(tmp_path)) == ["AG01", "AG02"]
    with pytest.raises(Exception) as retried:
        pull(_settings(tmp_path), "AG01")
    assert not isinstance(retried.value, AirflowFailException) and "cannot connect" in str(retried.value)
    with pytest.raises(AirflowFailException, match="'sftp_not_defined' is not defined"):
        pull(_settings(tmp_path), "AG02")
    with pytest.raises(AirflowFailException, match="Param `sources` is 'conf/sources.yaml', a relative path"):
        dag.get_task("source_agencies").python_callable(_settings(tmp_path, sources="conf/sources.yaml"))


def test_a_refused_login_fails_the_pull_at_once_with_a_message_that_reads_cleanly(dag, tmp_path, sshd, monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException

    drop = tmp_path / "drop"
    _sourced_landing(tmp_path, drop, {
        "AG01": {"kind": "sftp", "connection": "sftp_wrong_login", "path": f"{drop}/{{date:%Y%m%d}}.csv"}})
    monkeypatch.setenv("AIRFLOW_CONN_SFTP_WRONG_LOGIN", json.dumps(dict(sshd.connection(), login="intruder")))
    with pytest.raises(AirflowFailException) as refused:
        dag.get_task("pull_sources").python_callable(_settings(tmp_path), "AG01")
    message = str(refused.value)
    assert "AuthenticationException: Authentication failed. Check the connection's login, key and host_key" \
        in message and ".." not in message, message


def test_a_file_not_there_at_pull_time_is_pulled_while_the_sensor_waits(dag, tmp_path):
    drop = tmp_path / "drop"
    landing = _sourced_landing(tmp_path, drop, {
        "AG01": {"kind": "local", "path": f"{drop}/{{date:%Y%m%d}}.csv", "ready_marker": f"{drop}/{{date:%Y%m%d}}.ok"}})
    settings = _settings(tmp_path)
    source = _drop_cdr(drop / "20261127.csv", "AG01", "a1")
    said = dag.get_task("pull_sources").python_callable(settings, "AG01")
    assert said.startswith("waiting: ready marker") and not (landing / "cdr").exists()

    (drop / "20261127.ok").touch()                      # the agency finished; the sensor's next poke pulls it
    pull_late = dag.get_task("wait_for_landing").python_callable.__globals__["_pull_late"]
    pull_late(settings, [])
    assert (landing / "cdr" / "2026-11-27" / "AG01.csv").read_bytes() == source.read_bytes()


def test_tasks_run_alone_after_the_run_removed_its_work_rebuild_it(dag, signed_run, tmp_path):
    """A run's work is gone once it published; one stage_agency, merge_findings
    (of 3 partitions) or publish cleared alone rebuilds what it needs and publishes the same CSVs."""
    from audits.cli import main as cli

    root, report = _copied(signed_run, tmp_path / "copy")
    first = {n: (report / n).read_bytes() for n in ("violations.csv", "quarantine.csv", "scores.csv")}
    work = root / "store" / ".work"
    assert not work.exists()

    settings = _settings(root, rule_partitions=3)
    assert dag.get_task("stage_agency").python_callable(settings, "AG01") == "AG01"
    shutil.rmtree(work)                                   # what discard_work does after it
    dag.get_task("merge_findings").python_callable(settings)
    shutil.rmtree(work)
    assert dag.get_task("publish").python_callable(settings) == str(report)
    for name, content in first.items():
        assert (report / name).read_bytes() == content, f"{name} differs after the rebuild"
    assert json.loads((report / "manifest.json").read_text())["run_id"] == "manual__test"
    assert cli(["verify", str(report)]) == 0
    assert not work.exists()                              # publish removed the work it rebuilt


def test_rebuilding_a_run_s_work_happens_once_for_concurrent_tasks(tmp_path):
    """Mapped tasks cleared together find the work gone at the same time: one rebuilds, under a
    lock; the others find it done."""
    from concurrent.futures import ThreadPoolExecutor

    from audits.config import AuditConfig
    from audits.restore import rebuild_missing
    from audits.rulepack import load_rulepack

    _landing(tmp_path)
    config = AuditConfig(audit_date=DAY, landing=tmp_path / "landing", out=tmp_path / "reports",
                         store=tmp_path / "store", rulepack=load_rulepack("cn_bank"), hmac_secret=b"s",
                         run_id="manual__rebuild", orchestrated=True)
    with ThreadPoolExecutor(3) as pool:
        rebuilt = list(pool.map(lambda _: rebuild_missing(config, needs="day"), range(3)))
    assert sorted(rebuilt) == [[], [], ["reference", "day"]]
    assert rebuild_missing(config, needs="rules") == ["rules"]


# --- text messages (sms.md §1): pulled, and waited for like the calls ------------------------------

@pytest.fixture
def channels_in_contract(monkeypatch):
    """contracts.channels (sms.md §1: `call`, `sms` or both) in the data contract: the SMS landing's
    reference change, made on its own branch; added for the test while the contract lacks it."""
    from audits.models import TABLE_COLUMNS

    required, optional = TABLE_COLUMNS["contracts"]
    if "channels" not in optional:
        monkeypatch.setitem(TABLE_COLUMNS, "contracts", (required, (*optional, "channels")))


def _texting_landing(root: Path, drop: Path) -> Path:
    """AG01's contract includes sms, AG02's does not (blank channels = call); both delivered their
    calls; AG01's texts are pulled from `drop` (sources.yaml `sms:`)."""
    import yaml

    contracts = [dict(REFERENCE["contracts"][0], agency_id="AG01", contract_id="C-AG01", channels="call;sms"),
                 dict(REFERENCE["contracts"][0], agency_id="AG02", contract_id="C-AG02", channels="")]
    landing = make_landing(root / "landing", {DAY: {"AG01": [call("a1", "2026-11-27 10:00:00")],
                                                    "AG02": [call("b1", "2026-11-27 10:00:00", agency_id="AG02")]}},
                           contracts=contracts)
    (landing / "sources.yaml").write_text(yaml.safe_dump({"sms": {
        "AG01": {"kind": "local", "path": f"{drop}/sms_{{date:%Y%m%d}}.csv",
                 "ready_marker": f"{drop}/sms_{{date:%Y%m%d}}.ok"}}}))
    return landing


def _drop_sms(path: Path, agency_id: str, message_id: str) -> Path:
    from audits.models import TABLE_COLUMNS
    from tests.landing import write_csv

    return write_csv(path, [{"message_id": message_id, "agency_id": agency_id, "campaign_id": "CMP-M1",
                             "direction": "MT", "sender": "106900001234", "customer_number": CUSTOMER,
                             "sent_at": "2026-11-27 10:00:00", "status": "DELIVERED", "text": "【银行】回复T退订"}],
                     list(TABLE_COLUMNS["sms"][0] + TABLE_COLUMNS["sms"][1]))


def test_the_sms_pull_is_mapped_per_agency_beside_the_cdr_pull(dag):
    pull = dag.get_task("pull_sms")
    assert pull.retries == 3 and pull.retry_exponential_backoff
    assert dag.get_task("pull_sms").downstream_task_ids == {"sources_pulled"}
    assert dag.get_task("sms_source_agencies").downstream_task_ids == {"pull_sms"}


def test_the_landing_wait_waits_for_the_sms_file_of_an_agency_whose_contract_includes_sms(dag, tmp_path,
                                                                                         channels_in_contract):
    drop = tmp_path / "drop"
    landing = _texting_landing(tmp_path, drop)
    settings = _settings(tmp_path)
    assert dag.get_task("sms_source_agencies").python_callable(settings) == ["AG01"]
    source = _drop_sms(drop / "sms_20261127.csv", "AG01", "m1")
    said = dag.get_task("pull_sms").python_callable(settings, "AG01")
    assert said.startswith("waiting: ready marker") and not (landing / "sms").exists()

    dag.get_task("check_reference").python_callable(settings)
    landing_state = dag.get_task("wait_for_landing").python_callable.__globals__["_landing_state"]
    config = dag.get_task("wait_for_landing").python_callable.__globals__["_config"](settings)
    complete, delivered = landing_state(settings, config)
    assert (complete, delivered) == (False, ["AG01", "AG02"])      # both delivered calls, AG01's texts are missing

    (drop / "sms_20261127.ok").touch()                   # the agency finished: the next poke pulls its texts
    complete, delivered = landing_state(settings, config)
    assert complete and (landing / "sms" / "2026-11-27" / "AG01.csv").read_bytes() == source.read_bytes()
    assert "AG01" in delivered                           # staged: its calls and (pipeline.stage_agency) its texts


def test_an_agency_without_sms_in_its_contract_is_not_waited_for_and_texts_alone_complete_nothing(
        tmp_path, channels_in_contract):
    from audits.ingest import load_reference
    from audits.landing_wait import landing_complete, texting_of
    from tests.landing import config_for

    contracts = [dict(REFERENCE["contracts"][0], agency_id="AG01", contract_id="C1", channels="call;sms"),
                 dict(REFERENCE["contracts"][0], agency_id="AG02", contract_id="C2", channels="call"),
                 dict(REFERENCE["contracts"][0], agency_id="AG03", contract_id="C3", channels=" SMS "),
                 dict(REFERENCE["contracts"][0], agency_id="AG04", contract_id="C4", channels="sms",
                      contract_end="2026-11-26")]                  # ended the day before: owes nothing
    make_landing(tmp_path / "landing", contracts=contracts)
    config = config_for(tmp_path)
    typed = load_reference(config.landing, audit_date=DAY, rulepack=config.rulepack)["contracts"].accepted
    texting = texting_of(typed, DAY)
    assert texting == ["AG01", "AG03"]
    expected = ["AG01", "AG02", "AG03"]
    assert not landing_complete(expected, expected, texting, ["AG01"])          # AG03's texts missing
    assert landing_complete(expected, expected, texting, ["AG01", "AG03"])
    assert not landing_complete(expected, ["AG01", "AG03"], texting, ["AG01", "AG03"])   # AG02's calls missing
