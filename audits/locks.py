"""Advisory locks between runs: one lock file per thing guarded (a report date, the store, a
run's work directory), held with fcntl.flock.

flock locks belong to an open file, so the kernel drops them when the holding process dies
(kill -9 included): a lock is never left stale. They work on a local file system and on a
POSIX file system shared by the workers that supports locks (NFSv4: Linux maps flock to NFS
byte-range locks; not every FUSE or SMB mount does). A holder writes who it is
(run id, pid, host, since) into the lock file, so that a run that has to wait, or gives up,
names the holder.

Within one thread the same lock is re-entrant (a run holding the day lock may publish, which
takes it again); other threads are other holders; a forked worker inherits its parent's locks
with the open file.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from audits.errors import RetryableError

log = logging.getLogger(__name__)

_POLL_SECONDS = (0.005, 0.1)         # first and longest pause between tries while another run holds a lock
_ANNOUNCE_AFTER_SECONDS = 1.0        # a wait longer than this is logged (once), naming the holder
_local = threading.local()           # .held: real path -> [fd, exclusive, depth], of this thread (and its forks)


def _held() -> dict[str, list]:
    if not hasattr(_local, "held"):
        _local.held = {}
    return _local.held


class LockTimeout(RetryableError):
    """A lock stayed held by another run for longer than the run was willing to wait."""


def holder_text(path: Path) -> str:
    """Who holds (or last held) the lock, in words, from what the holder wrote into the file."""
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another process (it did not say which)"
    who = f"run {info['run_id']}" if info.get("run_id") else "a process"
    return f"{who} (pid {info.get('pid', '?')} on {info.get('host', '?')}, since {info.get('since', '?')})"


@contextmanager
def hold(path: Path, *, what: str, run_id: str = "", exclusive: bool = True,
         wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the lock file `path` (created when absent) for the block.

    Waits up to `wait_seconds` for other holders, logging once (a warning: on stderr when
    nothing configured logging) whom it waits for; then raises LockTimeout naming the holder.
    `what` says what the lock guards, for those messages ("the report of 2026-11-27").
    """
    key, held = os.path.realpath(path), _held()
    mine = held.get(key)
    if mine is not None:
        if exclusive and not mine[1]:
            raise RuntimeError(f"lock {path} is held shared by this thread; it cannot be upgraded")
        mine[2] += 1
        try:
            yield
        finally:
            mine[2] -= 1
        return
    fd = _acquire(Path(path), what=what, exclusive=exclusive, wait_seconds=wait_seconds)
    if exclusive or os.fstat(fd).st_size == 0:
        _write_holder(fd, run_id)               # shared: the first reader, so that a waiting writer names one
    held[key] = [fd, exclusive, 1]
    try:
        yield
    finally:
        held[key][2] -= 1
        if held[key][2] == 0:
            del held[key]
            if exclusive:
                os.ftruncate(fd, 0)             # nobody holds it now
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def try_exclusive(path: Path) -> int | None:
    """An open file descriptor holding `path` exclusively, or None at once when anyone holds it
    (this process included). The caller releases it with release()."""
    if os.path.realpath(path) in _held():
        return None
    try:
        return _acquire(Path(path), what="", exclusive=True, wait_seconds=0.0, quiet=True)
    except (LockTimeout, FileNotFoundError):
        return None


def release(fd: int, *, unlink: Path | None = None) -> None:
    """Release a lock from try_exclusive, first removing its file when `unlink` names it (safe:
    _acquire re-checks that the file it locked is still the one at its path)."""
    if unlink is not None:
        try:
            unlink.unlink()
        except FileNotFoundError:
            pass
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def _acquire(path: Path, *, what: str, exclusive: bool, wait_seconds: float, quiet: bool = False) -> int:
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    started = time.monotonic()
    deadline = started + max(wait_seconds, 0.0)
    announced = False
    pause = _POLL_SECONDS[0]
    while True:
        if not quiet:
            path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            if time.monotonic() >= deadline:
                if quiet:
                    raise LockTimeout(str(path)) from None
                waited = f" after waiting {wait_seconds:g} s" if wait_seconds > 0 else ""
                raise LockTimeout(
                    f"{what} is locked by {holder_text(path)}{waited} (lock file {path}). "
                    "Wait until that run ends and run again (or raise the wait with --lock-wait); "
                    "a lock whose process died frees itself, so do not delete the file.") from None
            if not announced and time.monotonic() - started >= _ANNOUNCE_AFTER_SECONDS:
                log.warning("Waiting up to %g s for %s, locked by %s (lock file %s).",
                            wait_seconds, what, holder_text(path), path)
                announced = True
            time.sleep(min(pause, max(deadline - time.monotonic(), 0.0)))
            pause = min(pause * 2, _POLL_SECONDS[1])
            continue
        if _same_file(fd, path):
            return fd
        fcntl.flock(fd, fcntl.LOCK_UN)                # the file was removed or replaced meanwhile
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _write_holder(fd: int, run_id: str) -> None:
    info = {"run_id": run_id, "pid": os.getpid(), "host": socket.gethostname(),
            "since": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()}
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(info).encode(), 0)
