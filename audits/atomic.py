"""The one way to write a file or replace a folder atomically: a reader sees the old version
or the new one, never half of one.

A file is written under a hidden temporary name in its own folder (`.<name>.<token>.tmp`, the
one naming scheme: sweepers look for it), then renamed over the target; on any failure the
temporary file is removed and the target is left as it was. A folder is built aside and
renamed into place; `supersede_into` publishes a folder and keeps the one it replaces inside
it, under `superseded/`.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SUPERSEDED = "superseded"


def temporary_path(target: Path) -> Path:
    """A fresh hidden name beside `target` (same folder, so the rename stays on one file system)."""
    target = Path(target)
    return target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")


@contextmanager
def writing(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target` for a writer that needs a path; once the block
    ends without error, rename it over `target`. On error the temporary file is removed."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = temporary_path(target)
    try:
        yield staging
        os.replace(staging, target)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise


def write_bytes(target: Path, data: bytes) -> Path:
    """Write `data` to `target` atomically; returns `target`."""
    with writing(target) as staging:
        staging.write_bytes(data)
    return Path(target)


def write_text(target: Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write `text` to `target` atomically, line ends as given (no translation)."""
    return write_bytes(target, text.encode(encoding))


def sync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (a crash after it keeps the new name), where the file
    system allows it."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def replace_folder(source: Path, folder: Path) -> None:
    """Rename the complete folder `source` to `folder`; the folder it replaces is moved aside
    first and removed once the new one is in place."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    retired = folder.parent / f".{folder.name}.old.{uuid.uuid4().hex}"
    if folder.exists():
        os.replace(folder, retired)
    os.replace(source, folder)
    shutil.rmtree(retired, ignore_errors=True)


def free_name(folder: Path, name: str) -> Path:
    """`folder/name`, or `folder/name.<token>` when that is taken."""
    target = folder / name
    while target.exists():
        target = folder / f"{name}.{uuid.uuid4().hex[:6]}"
    return target


def supersede_into(staging: Path, final: Path, kept: str) -> Path | None:
    """Publish the complete folder `staging` at `final`. The folder it replaces is kept inside
    the new one as `superseded/<kept>/` (a fresh name when taken), and the copies that one kept
    move up beside it, so every earlier copy stays under the newest `superseded/`. Renames only,
    each step safe to take again after a kill. Returns where the replaced folder went (None when
    `final` did not exist)."""
    moved = None
    if final.exists():
        into = staging / SUPERSEDED
        into.mkdir(exist_ok=True)
        older = final / SUPERSEDED
        if older.is_dir():
            for child in sorted(older.iterdir()):
                os.replace(child, free_name(into, child.name))
            older.rmdir()
        aside = free_name(into, kept)
        os.replace(final, aside)
        moved = final / SUPERSEDED / aside.name
    os.replace(staging, final)
    return moved
