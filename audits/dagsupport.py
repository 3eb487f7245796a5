"""What both DAG files share (the nightly audit and the monthly review): default folders under
VENDOR_AUDIT_DATA, the signing key's look-up, and failing a task without retry on errors a
retry cannot fix. Imported by the DAG files at parse time: it imports nothing heavy (Airflow's
and the audit's modules are imported inside the functions, when a task runs)."""

from __future__ import annotations

import os
from contextlib import contextmanager

DATA_ROOT = os.environ.get("VENDOR_AUDIT_DATA", "")     # absolute, shared by every process: checked by each task


def under_data_root(name: str) -> str:
    """The default of a folder parameter: $VENDOR_AUDIT_DATA/<name>, or "" when it is not set."""
    return f"{DATA_ROOT.rstrip('/')}/{name}" if DATA_ROOT else ""


def signing_key(*, announce: bool):
    """The key that signs manifests (review.md §3), or None: the Airflow connection
    `audit_signing_key` when defined (the PEM private key in its password, or its extra as
    `private_key` PEM text or `key_file` a path every worker reads), else the PEM file named by
    the environment variable AUDIT_SIGNING_KEY, else None: unsigned, which the task log says once
    when `announce`. A key configured but unusable is a ConfigError (the task fails without
    retry, naming where the key was looked for, never its content)."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    from audits.signing import SIGNING_CONNECTION, signing_key_from_connection, signing_key_from_environment

    try:
        connection = Connection.get(SIGNING_CONNECTION)
    except AirflowNotFoundException:
        connection = None
    if connection is not None:
        return signing_key_from_connection(connection.password, connection.extra_dejson)
    return signing_key_from_environment(announce=announce)


@contextmanager
def fail_without_retry(*permanent: type[BaseException]):
    """Errors a retry cannot fix (bad rulepack or setting, unusable reference data, a relative
    path, mixed HMAC keys, and `permanent`) fail the task at once; anything else (I/O,
    connections) is retried as usual."""
    from airflow.sdk.exceptions import AirflowFailException

    from audits.deployment import PERMANENT_ERRORS

    try:
        yield
    except (*PERMANENT_ERRORS, *permanent) as exc:
        raise AirflowFailException(f"{exc}\nNot retried: fix the cause above, then clear this task.") from exc
