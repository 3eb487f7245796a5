"""`kind: object`: a file in object storage or any file system fsspec knows, by URL. With a
`connection`, the URL is opened as Airflow's ObjectStoragePath with that connection (s3:// with
apache-airflow-providers-amazon, gs://, file://, sftp:// …); without one, a scheme Airflow
registers goes the same way and any other scheme fsspec knows (memory://) is opened by fsspec
directly. Imported lazily, inside functions."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO
from urllib.parse import urlsplit

from audits.sources.config import shown_url
from audits.sources.connections import connection_secrets, error_text, get_connection
from audits.sources.fetch import PullRefused, RemoteFile


class ObjectFiles:
    """The Remote of URLs through one Airflow connection (or none)."""

    def __init__(self, connection_id: str, name: str):
        self._connection, self._name = connection_id, name
        self._secrets = connection_secrets(connection_id) if connection_id else ()

    def _open(self, url: str):
        """(file system, path in it) for a URL."""
        from airflow.sdk import ObjectStoragePath

        try:
            target = ObjectStoragePath(url, conn_id=self._connection or None)
            return target.fs, target.path
        except ValueError as exc:
            if self._connection:
                raise PullRefused(
                    f"{self._name}: Airflow has no file system for {urlsplit(url).scheme}:// "
                    f"({error_text(exc, self._secrets)}): install the provider that brings it (s3: "
                    "apache-airflow-providers-amazon, gs: -google, abfs: -microsoft-azure) or drop `connection` "
                    "to open it with fsspec alone.") from None
        import fsspec

        try:
            return fsspec.core.url_to_fs(url)
        except (ImportError, ValueError) as exc:
            raise PullRefused(f"{self._name}: no file system can open {shown_url(url)}: "
                              f"{error_text(exc, self._secrets)}.") from None

    def stat(self, location: str) -> RemoteFile | None:
        fs, path = self._open(location)
        try:
            info = fs.info(path)
        except FileNotFoundError:
            return None
        if info.get("islink"):                  # fsspec's local file system (file://) says so
            return RemoteFile(size=0, stamp="", link=True)
        if info.get("type") not in (None, "file"):
            raise IsADirectoryError(f"{shown_url(location)} is not a file")
        stamp = next((str(info[k]) for k in ("ETag", "etag", "md5Hash", "mtime", "LastModified", "last_modified",
                                             "updated", "created") if info.get(k) is not None), "")
        return RemoteFile(size=int(info.get("size") or 0), stamp=stamp)

    def read_small(self, location: str, limit: int) -> bytes:
        fs, path = self._open(location)
        with fs.open(path, "rb") as handle:
            return handle.read(limit)

    def download(self, location: str, sink: BinaryIO) -> None:
        fs, path = self._open(location)
        with fs.open(path, "rb") as handle:
            shutil.copyfileobj(handle, sink, 1 << 20)


@contextmanager
def object_files(connection_id: str, name: str) -> Iterator[ObjectFiles]:
    if connection_id:
        try:
            get_connection(connection_id)
        except LookupError as exc:
            raise PullRefused(f"{name}: {exc}") from None
    yield ObjectFiles(connection_id, name)


def transient_errors() -> tuple[type[BaseException], ...]:
    """Errors of object storage that a retry may fix (fsspec raises OSError and its subclasses)."""
    return (OSError, TimeoutError, ConnectionError)
