"""The DAG under a real Airflow deployment in miniature: scheduler, dag-processor and API server
(LocalExecutor) on a throwaway PostgreSQL metadata database, AIRFLOW_HOME in a temp dir, the
repository's dags/ folder. A backfill of two sample days, run at once, publishes day by day the
CSVs of the CLI run one day after the other; clearing only `publish` rebuilds what it needs; a
cleared publish that fails fails the DagRun; manual runs of both DAGs without a logical date take
their day from when they were triggered, and a run marked failed while a task waits for its retry
ends failed. About 150 s of CPU (6 min wall on a 2-core machine shared with a dozen other busy
processes).

Every process the test starts runs in its own process group and is killed at the end (with
any task process it left), whatever happened.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.servers import die_with_parent, free_port

REPO = Path(__file__).resolve().parents[1]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
DAG_ID = "vendor_audit_nightly"
DAY = dt.date(2026, 11, 27)
DAYS = [DAY - dt.timedelta(days=1), DAY]
SECRET = "scheduler-test-secret"
RUN_SECONDS = 900                      # a hang guard only: a sample day takes ~1 min here, more when busy
COMPARED = ("violations.csv", "quarantine.csv", "scores.csv", "cases.csv")


class Deployment:
    """The three services, started against one metadata database; stop() kills them all."""

    def __init__(self, home: Path, database_url: str):
        self.home = home
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "VENDOR_AUDIT"))}
        self.env.update({
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base}/execution/",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database_url,
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__BASE_URL": self.base,
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": "scheduler-test-jwt-secret",
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AUDIT_HMAC_SECRET": SECRET,
            "PYTHONPATH": str(REPO),
            # VENDOR_AUDIT_DATA deliberately unset: the scheduled run that unpausing creates fails
            # at once in resolve_run (no shared data folder), without retries.
        })
        self.processes: dict[str, subprocess.Popen] = {}

    def migrate(self) -> None:
        done = subprocess.run([AIRFLOW, "db", "migrate"], env=self.env, capture_output=True, text=True,
                              timeout=240)
        assert done.returncode == 0, done.stderr[-3000:]

    def start(self) -> None:
        for name in ("api-server", "scheduler", "dag-processor"):
            with open(self.home / f"{name}.log", "wb") as log:      # the child keeps its own copy
                self.processes[name] = subprocess.Popen([AIRFLOW, name], env=self.env, stdout=log,
                                                        stderr=subprocess.STDOUT, start_new_session=True,
                                                        preexec_fn=die_with_parent(signal.SIGTERM), cwd=self.home)
        self.wait_for(lambda: self._get(f"/api/v2/dags/{DAG_ID}", ok=(200, 404)) is not None, RUN_SECONDS,
                      "the API server to answer")
        self.wait_for(lambda: self._get(f"/api/v2/dags/{DAG_ID}", ok=(200,)) is not None, RUN_SECONDS,
                      "the dag-processor to parse the DAG")

    def stop(self) -> None:
        """SIGTERM to every service's process group, then SIGKILL to the groups and to any
        descendant (a task process in a session of its own) still alive."""
        pids = set()
        for process in self.processes.values():
            pids |= _descendants(process.pid)
        for process in self.processes.values():
            _signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        for process in self.processes.values():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                pass
        for process in self.processes.values():
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    # REST API (all users are admins here) ---------------------------------------------
    def _request(self, method: str, path: str, body: dict | None = None, ok=(200,)):
        import httpx

        try:
            response = httpx.request(method, self.base + path, json=body, timeout=30)
        except httpx.TransportError:
            return None
        if response.status_code not in ok:
            if ok == (200,) and method == "GET":
                return None
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text[:2000]}")
        return response.json() if response.content else {}

    def _get(self, path: str, ok=(200,)):
        return self._request("GET", path, ok=ok)

    def unpause(self, dag_id: str = DAG_ID) -> None:
        self._request("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})

    def backfill(self, first: str, last: str, conf: dict, max_active_runs: int) -> None:
        self._request("POST", "/api/v2/backfills", {"dag_id": DAG_ID, "from_date": first, "to_date": last,
                                                    "dag_run_conf": conf, "max_active_runs": max_active_runs})

    def runs(self) -> list[dict]:
        return self._get(f"/api/v2/dags/{DAG_ID}/dagRuns?limit=100")["dag_runs"]

    def run_state(self, run_id: str, dag_id: str = DAG_ID) -> str:
        return self._get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"]

    def task_states(self, run_id: str, dag_id: str = DAG_ID) -> dict[str, dict]:
        found = self._get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=100")
        return {f"{t['task_id']}" + (f"[{t['map_index']}]" if t["map_index"] >= 0 else ""): t
                for t in found["task_instances"]}

    def clear(self, run_id: str, task_ids: list[str]) -> None:
        """Clear only these tasks of the run (no upstream, no downstream), as an operator would."""
        self._request("POST", f"/api/v2/dags/{DAG_ID}/clearTaskInstances",
                      {"dry_run": False, "dag_run_id": run_id, "task_ids": task_ids, "only_failed": False,
                       "include_upstream": False, "include_downstream": False, "reset_dag_runs": True})

    def trigger(self, dag_id: str, conf: dict) -> str:
        """A run as "Trigger DAG w/ config" makes it in Airflow 3: no logical date; its run id."""
        run = self._request("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf},
                            ok=(200, 201))
        return run["dag_run_id"]

    def mark(self, run_id: str, state: str, dag_id: str = DAG_ID) -> None:
        """Set the run's state as an operator does (UI "Mark run as", or the REST API)."""
        self._request("PATCH", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}", {"state": state})

    def xcom(self, run_id: str, task_id: str, dag_id: str = DAG_ID):
        found = self._get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/return_value")
        return found["value"] if found else None

    def wait_finished(self, run_id: str, seconds: float = RUN_SECONDS, dag_id: str = DAG_ID) -> str:
        self.wait_for(lambda: self.run_state(run_id, dag_id) in ("success", "failed"), seconds,
                      f"run {run_id} to finish", explain=lambda: self.explain(run_id, dag_id))
        return self.run_state(run_id, dag_id)

    def explain(self, run_id: str, dag_id: str = DAG_ID) -> str:
        lines = [f"run {run_id}: {self.run_state(run_id, dag_id)}"]
        for task, info in sorted(self.task_states(run_id, dag_id).items()):
            lines.append(f"  {task}: {info['state']} (try {info['try_number']})")
        for log in sorted(self.home.glob("logs/**/*.log"))[-40:]:
            text = log.read_text(errors="replace")
            if "ERROR" in text or "Traceback" in text:
                lines.append(f"--- {log.relative_to(self.home)}\n{text[-3000:]}")
        lines.append(self.logs())
        return "\n".join(lines)

    def wait_for(self, condition, seconds: float, what: str, explain=None) -> None:
        """Poll Airflow until `condition` holds. What ends the wait is Airflow's state, or a service
        that died (at once, with its log); `seconds` only bounds a hang (a busy machine is slow,
        not wrong), and the polls start quick and slow down to one a second."""
        deadline, pause = time.monotonic() + seconds, 0.1
        while time.monotonic() < deadline:
            try:
                if condition():
                    return
            except (KeyError, TypeError):
                pass
            dead = {name: process.returncode for name, process in self.processes.items()
                    if process.poll() is not None}
            if dead:
                raise AssertionError(f"waiting for {what}, Airflow's services ended: {dead}\n" + self.logs())
            time.sleep(pause)
            pause = min(pause * 2, 1.0)
        raise AssertionError(f"no {what} after {seconds:g} s\n" + (explain() if explain else ""))

    def logs(self) -> str:
        return "\n".join(f"--- {name}.log\n{(self.home / f'{name}.log').read_text(errors='replace')[-1500:]}"
                         for name in self.processes)


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


@pytest.fixture(scope="module")
def deployment(postgres):
    database = postgres.create_database("airflow_scheduler_test")
    home = Path(tempfile.mkdtemp(prefix="airflow-scheduler-"))
    airflow = Deployment(home, database)
    try:
        airflow.migrate()
        airflow.start()
        airflow.unpause()
        yield airflow
    finally:
        airflow.stop()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def sample_root():
    from audits.sample import write_sample_landing

    root = Path(tempfile.mkdtemp(prefix="scheduler-sample-"))
    write_sample_landing(root / "landing", start=DAYS[0] - dt.timedelta(days=1), days=len(DAYS) + 1, agencies=3,
                         calls_per_day=400, seed=11)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _start_cli_reports(root: Path) -> subprocess.Popen:
    """The CLI's reports of DAYS, one day after the other (oldest first), in a store of their own;
    started beside the backfill (the machine waits on Airflow's task start-ups meanwhile)."""
    runs = [[sys.executable, "-m", "audits", "run", "--date", day.isoformat(), "--landing", str(root / "landing"),
             "--out", str(root / "cli-reports"), "--store", str(root / "cli-store"), "--workers", "1"]
            for day in DAYS]
    script = " && ".join(shlex.join(run) for run in runs)
    return subprocess.Popen(["sh", "-c", script], env={**os.environ, "AUDIT_HMAC_SECRET": SECRET, "PYTHONPATH": str(REPO)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _due(day: dt.date) -> str:
    """The README's backfill bound for auditing `day`: the run due at 02:00 bank time the day after."""
    return f"{day + dt.timedelta(days=1)}T02:00:00+08:00"


def _backfill_runs(deployment: Deployment) -> dict[str, str]:
    """Audited day -> run id of the backfill's runs."""
    from audits.deployment import audited_day

    runs = {}
    for run in deployment.runs():
        if run["run_type"] == "backfill":
            logical = dt.datetime.fromisoformat(run["logical_date"])
            runs[audited_day(logical, "Asia/Shanghai").isoformat()] = run["dag_run_id"]
    return runs


def test_the_dag_under_a_real_scheduler(deployment, sample_root, request):
    """One test, so that pytest-xdist never splits it over two workers (each would start its own
    deployment): a parallel backfill, then clearing one of its runs' publish."""
    runs = _parallel_backfill_publishes_what_the_cli_does_day_by_day(deployment, sample_root, request)
    _clearing_only_publish_rebuilds_its_work_and_a_failed_publish_fails_the_run(deployment, sample_root,
                                                                                 runs[DAY.isoformat()])
    _manual_runs_without_a_logical_date_and_a_run_marked_failed(deployment, sample_root)


def _parallel_backfill_publishes_what_the_cli_does_day_by_day(deployment, sample_root, request) -> dict[str, str]:
    """Two days backfilled at once (the README's command: logical dates at the runs' 02:00 in the
    bank's zone) give, day by day, the CSVs of the CLI run one day after the other, trends and
    cases included (each publish waits for the earlier days' runs)."""
    started = time.monotonic()
    conf = {"landing": str(sample_root / "landing"), "out": str(sample_root / "reports"),
            "store": str(sample_root / "store"), "rule_partitions": 2}
    deployment.backfill(_due(DAYS[0]), _due(DAYS[-1]), conf, max_active_runs=len(DAYS))
    cli_run = _start_cli_reports(sample_root)
    request.addfinalizer(lambda: _signal_group(cli_run.pid, signal.SIGKILL))     # ended, even on a failure
    deployment.wait_for(lambda: len(_backfill_runs(deployment)) == len(DAYS), RUN_SECONDS, "the backfill's runs")
    runs = _backfill_runs(deployment)
    assert sorted(runs) == [d.isoformat() for d in DAYS]
    for run_id in runs.values():
        assert deployment.wait_finished(run_id) == "success", deployment.explain(run_id)
    print(f"backfill of {len(DAYS)} days: {time.monotonic() - started:.0f} s")

    _, errors = cli_run.communicate(timeout=RUN_SECONDS)
    assert cli_run.returncode == 0, errors[-3000:]
    cli_reports = sample_root / "cli-reports"
    scores = (cli_reports / DAY.isoformat() / "scores.csv").read_text().splitlines()
    change = scores[0].split(",").index("change_prev_day")
    assert any(line.split(",")[change] for line in scores[1:]), "no trend to compare: the test would prove nothing"
    for day in DAYS:
        report, cli = sample_root / "reports" / day.isoformat(), cli_reports / day.isoformat()
        for name in COMPARED:
            assert (report / name).read_bytes() == (cli / name).read_bytes(), f"{day} {name} differs from the CLI's"
        for dq in sorted((cli / "dq").iterdir()):
            assert (report / "dq" / dq.name).read_bytes() == dq.read_bytes(), f"{day} dq/{dq.name} differs"
        ours, theirs = (json.loads((d / "manifest.json").read_text()) for d in (report, cli))
        # Equal: what was audited and how. Different by design: run_id, generated_at, the store's
        # path (history paths), and the hashes of HTML/XLSX, which show the run id and time.
        for key in ("audit_date", "inputs", "row_conservation", "rulepack", "code_version",
                    "callee_key_fingerprint", "landing"):
            assert ours[key] == theirs[key], f"{day} manifest {key}"
        assert [{k: h[k] for k in ("date", "rows", "sha256")} for h in ours["history"]] == \
               [{k: h[k] for k in ("date", "rows", "sha256")} for h in theirs["history"]]
        assert {k: v for k, v in ours["outputs"].items() if k in COMPARED} == \
               {k: v for k, v in theirs["outputs"].items() if k in COMPARED}
        assert ours["run_id"] == runs[day.isoformat()]
    assert not (sample_root / "store" / ".work").exists()

    from audits.cli import main as audits_cli
    assert audits_cli(["verify", str(sample_root / "reports" / DAY.isoformat())]) == 0

    # The run that unpausing created for the latest 02:00 has no shared data folder
    # (VENDOR_AUDIT_DATA unset): it failed at once in resolve_run, without a retry.
    scheduled = [r for r in deployment.runs() if r["run_type"] == "scheduled"]
    assert scheduled, "unpausing created no scheduled run"
    assert deployment.wait_finished(scheduled[0]["dag_run_id"], RUN_SECONDS) == "failed"
    resolve = deployment.task_states(scheduled[0]["dag_run_id"])["resolve_run"]
    assert resolve["state"] == "failed" and resolve["try_number"] == 1
    return runs


def _clear_and_wait(deployment: Deployment, run_id: str, task_ids: list, rerun: list[str]) -> dict[str, dict]:
    """Clear only `task_ids` of the run; wait until every task in `rerun` ran again and the run ended."""
    before = deployment.task_states(run_id)
    deployment.clear(run_id, task_ids)

    def ran_again() -> bool:
        now = deployment.task_states(run_id)
        return all(now[t]["try_number"] > before[t]["try_number"] and now[t]["state"] in ("success", "failed",
                                                                                          "upstream_failed")
                   for t in rerun) and deployment.run_state(run_id) in ("success", "failed")

    deployment.wait_for(ran_again, RUN_SECONDS, f"the cleared {task_ids} to run", lambda: deployment.explain(run_id))
    return deployment.task_states(run_id)


def _clearing_only_publish_rebuilds_its_work_and_a_failed_publish_fails_the_run(deployment, sample_root, run_id):
    """The run's work was removed when it published: clearing only publish
    reruns it (with resolve_run and discard_work, its setup and teardown) on work rebuilt from the
    landing zone (one stage_agency alone: tests/test_dags.py). A cleared publish that fails makes
    the DagRun fail, though notify, the other leaf, stays green from the first run."""
    report = sample_root / "reports" / DAY.isoformat()
    cli = sample_root / "cli-reports" / DAY.isoformat()
    started = time.monotonic()

    first = json.loads((report / "manifest.json").read_text())
    states = _clear_and_wait(deployment, run_id, ["publish"], rerun=["resolve_run", "publish", "discard_work"])
    assert deployment.run_state(run_id) == "success", deployment.explain(run_id)
    assert states["notify"]["try_number"] == 1 and states["validate_day"]["try_number"] == 1
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["supersedes"]["manifest_sha256"] != first["outputs"].get("manifest.json")
    assert (report / manifest["supersedes"]["kept_at"] / "manifest.json").is_file()
    for name in COMPARED:
        assert (report / name).read_bytes() == (cli / name).read_bytes(), f"{name} differs after the rebuild"
    assert not (sample_root / "store" / ".work").exists()

    consents = sample_root / "landing" / "reference" / "consents.csv"
    consents.rename(consents.with_name("consents.aside"))        # publish cannot rebuild: it fails, not retried
    try:
        states = _clear_and_wait(deployment, run_id, ["publish"], rerun=["publish", "discard_work"])
    finally:
        consents.with_name("consents.aside").rename(consents)
    assert deployment.run_state(run_id) == "failed", deployment.explain(run_id)
    assert states["publish"]["state"] == "failed" and states["discard_work"]["state"] == "failed"
    assert states["notify"]["state"] == "success"                 # the leaf that used to keep the run green
    assert not (sample_root / "store" / ".work").exists()
    print(f"two clears: {time.monotonic() - started:.0f} s")


def _manual_runs_without_a_logical_date_and_a_run_marked_failed(deployment, sample_root):
    """"Trigger DAG w/ config" without a date param: Airflow 3 makes the run
    without a logical date, and both DAGs take their day (month) from when it was triggered. The
    nightly run waits on a reference pull that is retried (its server refuses connections); the
    operator marks the run failed meanwhile, which skips every task not yet done, the teardown's
    setup too: the run must end failed, not green, having published nothing."""
    import yaml

    from audits.deployment import audited_day
    from tests.servers import closed_port

    started = time.monotonic()
    manual = sample_root / "manual"
    manual.mkdir()
    sources = manual / "sources.yaml"
    sources.write_text(yaml.safe_dump({"reference": {"contracts": {
        "kind": "sftp", "connection": "sftp_down", "path": "/exports/contracts.csv"}}}))
    deployment._request("POST", "/api/v2/connections", {"connection_id": "sftp_down", "conn_type": "sftp",
                                                        "host": "127.0.0.1", "port": closed_port()}, ok=(200, 201))
    deployment.unpause("vendor_review_monthly")   # its scheduled run fails at once: no VENDOR_AUDIT_DATA
    nightly = deployment.trigger(DAG_ID, {"landing": str(manual / "landing"), "out": str(manual / "reports"),
                                          "store": str(manual / "store"), "sources": str(sources)})
    review = deployment.trigger("vendor_review_monthly", {
        "out": str(sample_root / "reports"), "store": str(sample_root / "store"), "allow_missing_days": True,
        "reports_wait_minutes": 0})

    deployment.wait_for(lambda: deployment.task_states(nightly)["pull_reference"]["state"] == "up_for_retry",
                        RUN_SECONDS, "the reference pull to wait for its retry", lambda: deployment.explain(nightly))
    run = deployment._get(f"/api/v2/dags/{DAG_ID}/dagRuns/{nightly}")
    assert run["logical_date"] is None
    triggered = dt.datetime.fromisoformat(run["run_after"])
    assert deployment.xcom(nightly, "resolve_run")["audit_date"] == audited_day(triggered, "Asia/Shanghai").isoformat()
    deployment.mark(nightly, "failed")
    assert deployment.wait_finished(nightly, RUN_SECONDS) == "failed", deployment.explain(nightly)
    states = deployment.task_states(nightly)
    assert states["pull_reference"]["state"] == "skipped" and states["publish"]["state"] == "skipped"
    assert states["confirm_published"]["state"] == "failed", deployment.explain(nightly)
    assert not (manual / "reports").exists()

    assert deployment.wait_finished(review, RUN_SECONDS, "vendor_review_monthly") == "success", \
        deployment.explain(review, "vendor_review_monthly")
    month = (triggered.astimezone(dt.timezone(dt.timedelta(hours=8))).replace(day=1) - dt.timedelta(days=1))
    assert (sample_root / "reports" / "reviews" / month.strftime("%Y-%m") / "manifest.json").is_file()
    print(f"manual runs: {time.monotonic() - started:.0f} s")
