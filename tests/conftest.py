"""Shared pytest set-up: the repository root on sys.path (so tests can import tests.landing), the
hypothesis profiles, the `slow` mark, and the harnesses every module shares: one OpenSSH server and
one PostgreSQL cluster per session, Airflow's environment, and audited sample landing zones.

`slow` is put on by the conftest, never by hand for what it can see: a test is slow when it
uses a slow fixture (directly or through another fixture) or sits in a slow module. A slow
fixture asked for by a test that is not marked slow (request.getfixturevalue) fails that test,
so that `make test-fast` (`-m "not slow"`) never starts a server. `make test` runs everything.
"""

import gc
import os
import resource
import shutil
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Property tests (hypothesis): CI runs a fixed, derandomised profile with bounded examples so
# the suite stays fast and a failure reproduces exactly; locally, HYPOTHESIS_PROFILE=thorough
# searches far longer with fresh randomness (see README, "Tests").
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("ci", max_examples=60, derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("thorough", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# --- the slow mark --------------------------------------------------------------------------

SLOW_FIXTURES = {
    "sshd": "starts an OpenSSH server",
    "postgres": "starts a PostgreSQL cluster",
    "airflow_dags": "migrates Airflow's metadata database and runs DAGs (dag.test())",
    "chromium": "renders pages in Chromium",
    "soffice": "opens workbooks in LibreOffice",
    "audited_sample": "audits a multi-day sample landing zone",
}
SLOW_MODULES = {
    "test_scheduler.py": "runs an Airflow scheduler, dag-processor and API server",
    "test_celery.py": "loads Airflow's CeleryExecutor in a subprocess",
    "test_connection_keys.py": "runs the airflow command line in subprocesses",
    "test_oracle.py": "audits random landing zones end to end (hypothesis)",
    "test_browser.py": "drives Chromium (the reports; the case desk on a real airflow api-server)",
    "test_serve.py": "starts airflow api-server with the case desk",
    "test_desk_nightly.py": "audits landing zones with and without a case desk",
    # Modules whose tests audit landing zones end to end, day after day, or rerun them (the most
    # CPU time of the rest, measured with --cpu-durations): make test-fast stays a couple of minutes.
    **dict.fromkeys(("test_store_files.py", "test_store_caches.py", "test_pipeline.py", "test_run_failures.py",
                     "test_cases_pipeline.py", "test_verification.py", "test_unpublished_day.py", "test_landing_files.py", "test_decisions_pipeline.py",
                     "test_complaints_pipeline.py", "test_chain.py", "test_verify_and_notify.py",
                     "test_signal_store.py", "test_decision_inputs.py", "test_not_assessed_outputs.py",
                     "test_report.py", "test_workdir.py", "test_published_ids.py", "test_case_reports.py",
                     "test_review_decisions.py", "test_current_format.py", "test_landing_links.py",
                     "test_callee_tz_scorecard.py"),
                    "audits landing zones end to end, day after day"),
    "test_benchmark.py": "runs every stage of the benchmark (a landing zone written and audited)",
    "test_bench_landing.py": "writes the benchmark's landing zones, findings-heavy ones too",
}
# A test whose slowness the conftest cannot see (it runs the command line in a subprocess, or
# whole audits in an otherwise quick module) carries @pytest.mark.slow itself.
_running: list[pytest.Item] = []          # the test being set up or run (for the slow fixtures' check)


def slow_reason(item: pytest.Item) -> str:
    """Why the conftest marks `item` slow ("" when it does not)."""
    for name in item.fixturenames:                 # the closure: fixtures of fixtures included
        if name in SLOW_FIXTURES:
            return f"uses {name}: {SLOW_FIXTURES[name]}"
    return SLOW_MODULES.get(item.path.name, "")


# The modules that take longest (a minute or more of one worker: real scheduler, month-long and
# ten-day samples, the oracle, real servers) are handed out first, so that the two workers end
# together instead of one finishing a long module alone (longest first).
LONGEST_FIRST = ("tests/test_scheduler.py", "tests/signals/test_quiet_sample.py", "tests/test_oracle.py",
                 "tests/test_truth.py", "tests/cases/test_case_truth.py", "tests/signals/test_complaints_truth.py",
                 "tests/rules/test_partitions.py", "tests/signals/test_sample_warnings.py",
                 "tests/test_run_failures.py", "tests/sources/test_connection_keys.py", "tests/test_invariance.py",
                 "tests/test_dags.py", "tests/test_review_dag.py")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if slow_reason(item):
            item.add_marker(pytest.mark.slow)
    rank = {module: k for k, module in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))      # stable: the rest keep their order


# --- pytest-xdist: a shared fixture is built once --------------------------------------------
# `make test` runs `--dist loadfile`: a module's tests on one worker, so that its module
# fixtures are built once. The modules below share a session fixture as well (the same audited
# sample, or Airflow's DagBag): each group runs on one worker. (pytest-xdist's own xdist_group
# marks do nothing under pytest 9, which names nodes differently.)

SHARED_SESSION_FIXTURES = {
    "ten-day sample": ("tests/test_truth.py", "tests/cases/test_case_truth.py",
                       "tests/signals/test_complaints_truth.py", "tests/rules/test_partitions.py"),
    "review sample": ("tests/review/test_packs.py", "tests/review/test_review_rendering.py"),
    "airflow dags": ("tests/test_dags.py", "tests/test_review_dag.py"),
}
_GROUP_OF_MODULE = {module: group for group, modules in SHARED_SESSION_FIXTURES.items() for module in modules}


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedFixtureScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return _GROUP_OF_MODULE.get(module, module)

    return SharedFixtureScheduling(config, log)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    item.stash[_CPU_STARTED] = _cpu_seconds()
    _running.append(item)
    try:
        return (yield)
    finally:
        _running.pop()


def _only_for_slow_tests(fixture: str) -> None:
    """Fail a test not marked slow that asks for a slow fixture late (request.getfixturevalue)."""
    if _running and _running[-1].get_closest_marker("slow") is None:
        pytest.fail(f"{_running[-1].nodeid} uses {fixture} ({SLOW_FIXTURES[fixture]}) but is not marked "
                    "slow; add the fixture to its arguments so that tests/conftest.py marks it", pytrace=False)


# --- CPU time per test (--cpu-durations=N): wall time says little on a busy machine ------------

def pytest_addoption(parser):
    parser.addoption("--cpu-durations", type=int, default=None, metavar="N",
                     help="show the N tests that took the most CPU time (the test process and the "
                          "processes it waited for; setup, call and teardown), 0 for all")


def _cpu_seconds() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


_CPU_STARTED = pytest.StashKey[float]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """The teardown report carries the test's CPU seconds since its setup began (to the
    controller, under pytest-xdist)."""
    report = yield
    if item.config.getoption("cpu_durations") is not None and call.when == "teardown":
        report.user_properties.append(("cpu_seconds", _cpu_seconds() - item.stash[_CPU_STARTED]))
    return report


_cpu_by_test: dict[str, float] = {}


def pytest_runtest_logreport(report):
    for name, value in report.user_properties:
        if name == "cpu_seconds":
            _cpu_by_test[report.nodeid] = _cpu_by_test.get(report.nodeid, 0.0) + value


def pytest_terminal_summary(terminalreporter, config):
    count = config.getoption("cpu_durations")
    if count is None or not _cpu_by_test:
        return
    ranked = sorted(_cpu_by_test.items(), key=lambda kv: -kv[1])
    terminalreporter.write_sep("=", f"CPU time: {sum(_cpu_by_test.values()):.0f} s in all; the most")
    for nodeid, seconds in ranked[:count or None]:
        terminalreporter.write_line(f"{seconds:8.2f}s cpu  {nodeid}")


# --- the collector skips what the session keeps ----------------------------------------------

@pytest.fixture(autouse=True)
def _frozen_heap():
    """The objects alive when a test starts (imported modules, Great Expectations' context,
    session and module fixtures) moved out of the garbage collector's sight (gc.freeze), so that
    the full collections an audit makes between its stages (audits.workers.release_memory) walk
    what the audit made, not the whole test session's heap: a tenth of a second to most of a
    second each otherwise, several per audit. audits.workers.in_processes unfreezes when it
    forks; the next test collects once and freezes again."""
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()
    yield


# --- Great Expectations' verdicts, once per batch content (tests/gx_memo.py) ---------------------

@pytest.fixture(scope="session", autouse=True)
def _validation_memo():
    """GX validates each distinct batch once per worker; an equal batch (the same reference tables
    audit after audit) gets a copy of its result. VALIDATION_MEMO=0 validates every batch."""
    if os.environ.get("VALIDATION_MEMO", "1") == "0":
        yield
        return
    from audits import validation
    from tests import gx_memo

    patch = pytest.MonkeyPatch()
    patch.setattr(validation, "_batch_definition", gx_memo.remembering(validation._batch_definition))
    yield
    patch.undo()


# --- real servers (tests/servers.py), once per session ----------------------------------------

@pytest.fixture(scope="session")
def sshd(tmp_path_factory):
    """An OpenSSH server with key-only login and an SFTP log (tests/servers.py)."""
    from tests.servers import missing_sshd, start_sshd

    _only_for_slow_tests("sshd")
    if missing_sshd():
        pytest.skip(missing_sshd())
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL cluster with a database `vendor`; a test needing its own database makes one
    (`postgres.create_database(name)`)."""
    from tests.servers import missing_postgres, start_postgres

    _only_for_slow_tests("postgres")
    if missing_postgres():
        pytest.skip(missing_postgres())
    server = start_postgres(database="vendor")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium() -> str:
    _only_for_slow_tests("chromium")
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("no chromium or chromium-browser on PATH")
    return found


@pytest.fixture(scope="session")
def soffice() -> str:
    _only_for_slow_tests("soffice")
    found = shutil.which("soffice")
    if found is None:
        pytest.skip("no soffice (LibreOffice) on PATH")
    return found


# --- Airflow --------------------------------------------------------------------------------

@pytest.fixture(scope="session", autouse=True)
def airflow_settings(tmp_path_factory):
    """Airflow's settings for in-process use (a SQLite metadata database in a temporary home,
    the repository's dags/), set for the whole session before any test runs: Airflow reads them
    once, at its first import, and a test may import it in passing (the CLI looks up a signing key
    or the desk's database among Airflow's connections), so the order of tests never matters."""
    home = tmp_path_factory.mktemp("airflow-home")
    patch = pytest.MonkeyPatch()
    patch.setenv("AIRFLOW_HOME", str(home))
    patch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "dags"))
    patch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    patch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{home / 'airflow.db'}")
    patch.setenv("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    yield home
    patch.undo()


@pytest.fixture(scope="session")
def airflow_home(airflow_settings):
    """Airflow's home (airflow_settings) with the audit's secret set, as a worker has it: the
    tests that run DAGs or tasks in this process ask for it."""
    patch = pytest.MonkeyPatch()
    patch.setenv("AUDIT_HMAC_SECRET", "dag-test-secret")      # under Airflow a worker without it fails its tasks
    yield airflow_settings
    patch.undo()


@pytest.fixture(scope="session")
def airflow_dags(airflow_home):
    """The repository's DAGs (a DagBag) on a migrated metadata database, for dag.test()."""
    import subprocess

    _only_for_slow_tests("airflow_dags")
    migrate = subprocess.run([str(Path(sys.executable).with_name("airflow")), "db", "migrate"],
                             capture_output=True, text=True, env=dict(os.environ), check=False)
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(ROOT / "dags"))
    assert bag.import_errors == {}
    return bag


# --- audited sample landing zones (tests/samples.py) ----------------------------------------

@pytest.fixture(scope="session")
def audited_sample(tmp_path_factory):
    """audited_sample(days, agencies, calls_per_day, **more) -> AuditedSample: a sample landing
    zone audited day by day, made once per session and parameter set (tests share it: read it,
    or audit again on `sample.copy(tmp_path)`)."""
    from tests.samples import audit_sample

    _only_for_slow_tests("audited_sample")
    made = {}

    def audited(days: int, agencies: int, calls_per_day: int, **more):
        _only_for_slow_tests("audited_sample")
        key = (days, agencies, calls_per_day, *sorted(more.items()))
        if key not in made:
            root = tmp_path_factory.mktemp(f"sample-{days}d-{agencies}a-{calls_per_day}c")
            made[key] = audit_sample(root, days=days, agencies=agencies, calls_per_day=calls_per_day, **more)
        return made[key]

    return audited
