"""`kind: local`: a file on a path every worker can read (a mounted drop folder)."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from audits.manifest import open_regular
from audits.sources.fetch import RemoteFile


class LocalFiles:
    """The Remote of local paths. A symbolic link is never followed: stat says it is one, and
    reading opens with O_NOFOLLOW (a link put there after the stat is refused too)."""

    def stat(self, location: str) -> RemoteFile | None:
        try:
            found = os.lstat(location)
        except FileNotFoundError:
            return None
        if stat.S_ISLNK(found.st_mode):
            return RemoteFile(size=0, stamp="", link=True)
        if not stat.S_ISREG(found.st_mode):
            raise IsADirectoryError(f"{location} is not a regular file")
        return RemoteFile(size=found.st_size, stamp=str(found.st_mtime_ns))

    def read_small(self, location: str, limit: int) -> bytes:
        with open_regular(location, follow_links=False) as handle:
            return handle.read(limit)

    def download(self, location: str, sink: BinaryIO) -> None:
        with open_regular(location, follow_links=False) as handle:
            shutil.copyfileobj(handle, sink, 1 << 20)


@contextmanager
def local_files() -> Iterator[LocalFiles]:
    yield LocalFiles()


def transient_errors() -> tuple[type[BaseException], ...]:
    """Errors of this kind of source that a retry may fix."""
    return (OSError,)
