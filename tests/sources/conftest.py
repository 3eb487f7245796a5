"""Real servers for the sources tests, started once per session (tests/servers.py)."""

from __future__ import annotations

import pytest

from tests.servers import missing_postgres, missing_sshd, start_postgres, start_sshd


@pytest.fixture(scope="session", autouse=True)
def _airflow_logs_to_the_session_capture():
    """Airflow configures logging when first imported, onto the sys.stdout of that moment.
    Imported here (a session fixture, set up before any test's capsys) that is pytest's
    session-long capture, not one test's capsys buffer, which is closed when the test ends while
    paramiko's transport thread may still log. Not at collection: tests/test_dags.py points
    Airflow at its own home when it is collected, before Airflow may be imported."""
    import airflow.sdk  # noqa: F401


@pytest.fixture(scope="session")
def sshd(tmp_path_factory):
    reason = missing_sshd()
    if reason:
        pytest.skip(reason)
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres():
    reason = missing_postgres()
    if reason:
        pytest.skip(reason)
    server = start_postgres(database="vendor")
    yield server
    server.stop()
