"""The sources tests import Airflow (audits/sources does, lazily): its settings first."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def _airflow_logs_to_the_session_capture(airflow_home):
    """Airflow configures logging when first imported, onto the sys.stdout of that moment.
    Imported here (a session fixture, set up before any test's capsys) that is pytest's
    session-long capture, not one test's capsys buffer, which is closed when the test ends while
    paramiko's transport thread may still log. After airflow_home, whose settings Airflow reads
    when imported."""
    import airflow.sdk  # noqa: F401
