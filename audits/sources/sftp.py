"""`kind: sftp`: a file on an SFTP server, reached through apache-airflow-providers-sftp's
SFTPHook and an Airflow connection (host, port, login; a private key, its passphrase and the
server's host key in the extras, or a password). Imported lazily, inside functions."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import BinaryIO

from audits.sources.connections import connection_secrets, error_text, get_connection
from audits.sources.fetch import PullError, PullRefused, RemoteFile

CONNECT_TIMEOUT = 30          # seconds, unless the connection's `conn_timeout` extra says otherwise


class SftpFiles:
    """The Remote of one SFTP session (paramiko's SFTPClient). stat is the server's lstat: a
    symbolic link is reported as one, never followed (SFTP cannot open without following, so
    the file is stat again after the download and a link put there meanwhile lands nothing)."""

    def __init__(self, client):
        self._client = client

    def stat(self, location: str) -> RemoteFile | None:
        try:
            found = self._client.lstat(location)
        except FileNotFoundError:
            return None
        if found.st_mode is not None and stat.S_ISLNK(found.st_mode):
            return RemoteFile(size=0, stamp="", link=True)
        if found.st_mode is not None and not stat.S_ISREG(found.st_mode):
            raise IsADirectoryError(f"{location} is not a regular file on the server")
        return RemoteFile(size=int(found.st_size or 0), stamp=str(found.st_mtime))

    def read_small(self, location: str, limit: int) -> bytes:
        with self._client.open(location, "rb") as handle:
            return handle.read(limit)

    def download(self, location: str, sink: BinaryIO) -> None:
        self._client.getfo(location, sink, prefetch=True)


@contextmanager
def sftp_files(connection_id: str, name: str) -> Iterator[SftpFiles]:
    """One SFTP session through the Airflow connection `connection_id`. A connection that is not
    defined or is unusable, a refused login or an unexpected host key is PullRefused (a retry
    cannot fix it; retrying a refused login may lock the account); a server that cannot be
    reached is PullError (retried)."""
    import paramiko
    from airflow.providers.sftp.hooks.sftp import SFTPHook

    secrets = connection_secrets(connection_id)
    try:
        get_connection(connection_id)
        # One connection attempt: Airflow's task retries (with back-off) do the retrying.
        hook = SFTPHook(ssh_conn_id=connection_id, conn_retry_attempts=1)
    except LookupError as exc:
        raise PullRefused(f"{name}: {exc}") from None
    except Exception as exc:
        raise PullRefused(f"{name}: Airflow connection {connection_id!r} cannot be used for SFTP: "
                          f"{error_text(exc, secrets)}. Fix the connection, then pull again.") from None
    if hook.conn_timeout is None:
        hook.conn_timeout = CONNECT_TIMEOUT
    where = f"{hook.remote_host}:{hook.port} (connection {connection_id})"
    with ExitStack() as stack:
        try:
            client = stack.enter_context(hook.get_managed_conn())
        except (paramiko.AuthenticationException, paramiko.BadHostKeyException) as exc:
            raise PullRefused(f"{name}: the SFTP server {where} refused the login or showed another host key: "
                              f"{error_text(exc, secrets)}. Check the connection's login, key and host_key; not "
                              "retried.") from None
        except paramiko.SSHException as exc:
            if "known_hosts" in str(exc):
                raise PullRefused(f"{name}: the SFTP server {where} is not a known host: set the connection's "
                                  "`host_key` extra to its public host key (ssh-keyscan), then pull again.") from None
            raise PullError(f"{name}: cannot connect to the SFTP server {where}: {error_text(exc, secrets)}.") from None
        except (OSError, EOFError) as exc:
            raise PullError(f"{name}: cannot connect to the SFTP server {where}: {error_text(exc, secrets)}. It is "
                            "tried again; the other agencies are pulled meanwhile.") from None
        yield SftpFiles(client)


def transient_errors() -> tuple[type[BaseException], ...]:
    """Errors of an SFTP session that a retry may fix (a dropped connection, a read that failed)."""
    import paramiko

    return (OSError, EOFError, paramiko.SSHException)
