"""Real servers for the sources tests, started once per session (tests/servers.py)."""

from __future__ import annotations

import pytest

# Airflow configures logging when first imported, onto the sys.stdout of that moment: imported
# here, at collection, that is pytest's session-long capture, not one test's capsys buffer that
# is closed when the test ends (paramiko's transport thread may still log a moment later).
import airflow.sdk  # noqa: E402,F401

from tests.servers import missing_postgres, missing_sshd, start_postgres, start_sshd


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
