"""Airflow connections as the pull and the DAGs use them: their secrets (to keep out of every
message), the errors that say a connection is missing or unusable, and the signing key's
look-up. Airflow is imported only here, inside functions (the rest of `audits` never imports it)."""

from __future__ import annotations

from audits.privacy import mask_free_text
from audits.signing import SIGNING_CONNECTION, signing_key_from_connection, signing_key_from_environment

SECRET_WORDS = ("pass", "key", "secret", "token", "credential", "auth")


def connection_secrets(connection_id: str) -> tuple[str, ...]:
    """The values of a connection that must never appear in a message: its password and every
    extra whose name suggests a secret (private_key, private_key_passphrase, aws_secret_access_key …).
    Empty when the connection is not defined (nothing to hide)."""
    try:
        connection = get_connection(connection_id)
    except LookupError:
        return ()
    values = [connection.password or ""]
    try:
        extras = connection.extra_dejson
    except Exception:        # an extra that is not JSON: hide it whole
        extras = {"extra": connection.extra or ""}
    values += [str(v) for k, v in extras.items() if any(w in str(k).lower() for w in SECRET_WORDS)]
    return tuple(sorted({v for v in values if len(v) >= 4}, key=len, reverse=True))


def get_connection(connection_id: str):
    """The Airflow connection; LookupError (naming how to define it) when it is not defined."""
    from airflow.exceptions import AirflowNotFoundException
    from airflow.sdk import BaseHook

    try:
        return BaseHook.get_connection(connection_id)
    except AirflowNotFoundException:
        raise LookupError(undefined(connection_id)) from None


def signing_key(*, announce: bool):
    """The key that signs manifests under Airflow (review.md §3), or None: the connection
    `audit_signing_key` when defined (the PEM private key in its password, or its extra as
    `private_key` PEM text or `key_file` a path every worker reads), else the PEM file named by
    the environment variable AUDIT_SIGNING_KEY, else None: unsigned, which the task log says once
    when `announce`. A key configured but unusable is a ConfigError naming where it was looked
    for, never its content."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        connection = Connection.get(SIGNING_CONNECTION)
    except AirflowNotFoundException:
        connection = None
    if connection is not None:
        return signing_key_from_connection(connection.password, connection.extra_dejson)
    return signing_key_from_environment(announce=announce)


def undefined(connection_id: str) -> str:
    return (f"Airflow connection {connection_id!r} is not defined. Define it in Airflow (Admin > Connections, "
            f"a secrets backend, or the environment variable AIRFLOW_CONN_{connection_id.upper()} on every "
            "worker), then pull again.")


def scrubbed(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every secret (and each line of a multi-line one, as a private key) replaced by ***."""
    for secret in secrets:
        text = text.replace(secret, "***")
        for line in secret.splitlines():
            if len(line.strip()) >= 8:
                text = text.replace(line.strip(), "***")
    return text


def error_text(exc: BaseException, secrets: tuple[str, ...]) -> str:
    """An exception in one line for a message: its type and first line, secrets scrubbed and
    long digit runs masked (a database error may quote a value: never a full phone or ID number).
    Without a final full stop: messages go on with their own ("…: {error_text}. Check …")."""
    first = (str(exc).strip().splitlines() or [""])[0].rstrip(" .")
    return mask_free_text(scrubbed(f"{type(exc).__name__}: {first}" if first else type(exc).__name__, secrets))[:300]


def connection_uri(connection_id: str) -> str | None:
    """The URI of an Airflow connection; None when it is not defined or Airflow is not installed."""
    try:
        return get_connection(connection_id).get_uri()
    except (LookupError, ImportError):
        return None
