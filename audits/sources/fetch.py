"""Pulling one file into the landing zone (sources.md §2), whatever kind of source it is: the
source is reached through a `Remote` (sftp.py, local.py, objects.py) that can stat a location,
read a small file (a checksum sidecar) and stream a file.

The order of one pull:
1. a ready marker that is absent, a file that is absent, or (checksum: sidecar) a sidecar that
   is absent means *not there yet*: nothing lands and it is not an error (the DAG keeps
   waiting; a file still missing at the deadline is DQ_FILE_MISSING); a file or sidecar that is
   a symbolic link is refused (it could point at any file the account can read);
2. *not fetched again* when the landed file already has the source's sha256: with a sidecar
   the sidecar says the source's sha256 (so nothing but the sidecar is read); without one, the
   source's size and modification time equal those recorded when the landed file was pulled
   and the landed file still has the recorded sha256 (the quick check rsync makes);
3. otherwise the file is streamed to a temporary name beside the target while it is hashed,
   and stat again: a file that changed meanwhile (still being written) lands nothing and the
   pull is tried again; a sidecar mismatch removes it (nothing lands) and names both hashes;
   the same sha256 as the landed file leaves the landed file untouched;
4. a change the guard refuses (an audited day's file, sources.md §2) removes it;
5. otherwise it is renamed onto the target, and its record written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from audits.config import ConfigError
from audits.errors import RetryableError
from audits.manifest import sha256_path
from audits.sources.config import SIDECAR_SUFFIX, Source
from audits.sources.landing import put_in_place, read_record, remove_leftovers, temporary_name, write_record

SIDECAR_LIMIT = 4096          # bytes read of a sidecar: "<64 hex>  <name>\n" is far less


class PullError(RetryableError):
    """A pull failed in a way that trying again may fix (a server down, a connection reset, a
    file still being written): Airflow retries it. The message names the source, never a
    credential."""


class ChecksumMismatch(PullError):
    """The file's sha256 is not the one its sidecar gives; nothing landed."""


class SourceChanged(PullError):
    """The file changed while it was pulled (still being written); nothing landed."""


class PullRefused(ConfigError):
    """A pull that must not go on until a person decides (a change of an audited day's file,
    an undefined connection, a query returning other columns): not retried."""


@dataclass(frozen=True)
class RemoteFile:
    """What a remote file's stat says: its size, and a stamp that changes when it is rewritten
    (modification time, or an object's ETag)."""

    size: int
    stamp: str
    link: bool = False         # a symbolic link (never pulled: its target could be any file)


class Remote(Protocol):
    def stat(self, location: str) -> RemoteFile | None:
        """The file at `location` itself (a link is not followed), or None when there is none (yet)."""

    def read_small(self, location: str, limit: int) -> bytes:
        """At most `limit` bytes of the file at `location`."""

    def download(self, location: str, sink: BinaryIO) -> None:
        """Stream the file at `location` into `sink`."""


@dataclass(frozen=True)
class Outcome:
    """What a pull did. status: landed (first time), replaced (an earlier landed file changed),
    unchanged (the landed file already had the source's sha256), waiting (not there yet)."""

    name: str                 # cdr.AG01, reference.contracts
    status: str
    message: str
    path: str = ""            # landing-relative path of the landed file
    sha256: str = ""
    fetched: bool = False     # whether the file's bytes were read from the source this time
    rerun: bool = False       # the landed file of an audited day changed: the day must be rerun


# A guard is given the source's sha256 and returns "" to let the pull change the landed file, or
# why not (the message of PullRefused): an audited day's CDR files (pull.py). Reference tables
# have none.
Guard = Callable[[str], str]


@dataclass(frozen=True)
class Landing:
    """Where one source's file lands and what already stands there."""

    landing: Path
    target: Path                       # <landing>/cdr/<D>/<agency><suffix> or reference/<table><suffix>
    stem: str                          # agency id or table name (temporary names start with it)
    existing: tuple[Path, ...]         # the agency's or table's files there now (any suffix)
    record: Path                       # its pull record

    @property
    def relative(self) -> str:
        return self.target.relative_to(self.landing).as_posix()


def pull_file(source: Source, remote: Remote, spot: Landing, *, day: dt.date, now: dt.datetime,
              guard: Guard | None = None, validate: Callable[[Path], None] | None = None) -> Outcome:
    """Pull `source`'s file of `day` to `spot` (module docstring). Raises ChecksumMismatch,
    PullRefused (the guard said no), or the remote's own errors."""
    remove_leftovers(spot.target.parent, spot.stem)
    location = source.location_on(day)
    marker = source.marker_on(day)
    if marker and remote.stat(marker) is None:
        return Outcome(source.name, "waiting", f"ready marker {marker} is not there yet; nothing pulled")
    found = _not_a_link(remote.stat(location), location, source.name)
    if found is None:
        return Outcome(source.name, "waiting", f"{location} is not there yet; nothing pulled")
    expected = ""
    if source.checksum == "sidecar":
        sidecar = location + SIDECAR_SUFFIX
        if _not_a_link(remote.stat(sidecar), sidecar, source.name) is None:
            return Outcome(source.name, "waiting", f"{location} is there but its checksum {sidecar} is not yet; "
                                                   "nothing pulled")
        expected = _sidecar_sha256(remote.read_small(sidecar, SIDECAR_LIMIT), sidecar)

    landed = _landed_sha256(spot)
    record = read_record(spot.record)
    described = source.described(day)
    stat = {"size": found.size, "stamp": found.stamp}
    quick = (record.get("source") == described and record.get("source_stat") == stat
             and record.get("sha256") == landed and record.get("path") == spot.relative)
    known = expected or (landed if quick else "")
    if known and known == landed:
        _write(spot, described, stat, landed, now, record)
        return Outcome(source.name, "unchanged", f"{spot.relative} already has the source's sha256 {landed}; "
                                                 "not fetched again", spot.relative, landed)
    if known and guard and (refusal := guard(known)):
        raise PullRefused(refusal)

    # Only now is the day's folder made: a cdr/<D>/ folder says the day was delivered (`run`
    # refuses a day without one), so nothing that has not landed may create it.
    spot.target.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_name(spot.target, spot.stem)
    try:
        got = _download(remote, location, temporary, f"{source.name}: cannot write {spot.relative}")
        _unchanged_while_pulled(found, remote.stat(location), temporary.stat().st_size, location, source.name)
        if expected and got != expected:
            raise ChecksumMismatch(
                f"{source.name}: {location} has sha256 {got}, but its checksum {location}{SIDECAR_SUFFIX} says "
                f"{expected}. Nothing was landed ({spot.relative} is unchanged). The file may still be being "
                "written, or be damaged: the pull is tried again; if it goes on failing, ask the sender to "
                "deliver the file and its checksum again.")
        if got == landed:
            _write(spot, described, stat, got, now, record)
            return Outcome(source.name, "unchanged", f"{spot.relative} already has the source's sha256 {got}; "
                                                     "fetched, identical, left as it was", spot.relative, got, True)
        if guard and (refusal := guard(got)):
            raise PullRefused(refusal)
        status = _put_in_place(temporary, spot, validate)
    finally:
        temporary.unlink(missing_ok=True)
    _write(spot, described, stat, got, now, {})
    others = [p.name for p in spot.existing if p != spot.target]
    extra = f" (removed {', '.join(others)}, the earlier file under another name)" if others else ""
    return Outcome(source.name, status, f"{status} {spot.relative} (sha256 {got}) from {source_text(described)}{extra}",
                   spot.relative, got, True)


def land_export(source: Source, spot: Landing, *, day: dt.date, now: dt.datetime,
                export: Callable[[Path], bool | None], validate: Callable[[Path], None] | None = None,
                guard: Guard | None = None) -> Outcome:
    """Land what `export` writes into a temporary file (a query's result): atomically, validated
    first, and not at all when it equals the landed file or `guard` refuses it. `export` returning
    False means there is nothing yet (a day's query with no rows): status waiting, and nothing
    lands, not even the day's folder."""
    remove_leftovers(spot.target.parent, spot.stem)
    made_folder = not spot.target.parent.exists()
    spot.target.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_name(spot.target, spot.stem)
    described = source.described(day)
    try:
        try:
            rows = export(temporary)
        except OSError as exc:
            raise PullError(_unwritable(f"{source.name}: cannot write {spot.relative}", exc)) from None
        if rows is False:
            return Outcome(source.name, "waiting", f"{source_text(described)} returned no rows yet; nothing pulled")
        got = sha256_path(temporary)
        landed = _landed_sha256(spot)
        if got == landed:
            _write(spot, described, None, got, now, read_record(spot.record))
            return Outcome(source.name, "unchanged", f"{spot.relative} already holds the query's result (sha256 "
                                                     f"{got}); left as it was", spot.relative, got, True)
        if guard and (refusal := guard(got)):
            raise PullRefused(refusal)
        status = _put_in_place(temporary, spot, validate)
    finally:
        temporary.unlink(missing_ok=True)
        if made_folder and not spot.target.exists():
            _remove_if_empty(spot.target.parent)
    _write(spot, described, None, got, now, {})
    return Outcome(source.name, status, f"{status} {spot.relative} (sha256 {got}) from {source_text(described)}",
                   spot.relative, got, True)


def _remove_if_empty(folder: Path) -> None:
    """Remove a day's folder this pull made when nothing landed in it (a day folder says the day
    was delivered)."""
    try:
        folder.rmdir()
    except OSError:
        pass


def _put_in_place(temporary: Path, spot: Landing, validate: Callable[[Path], None] | None) -> str:
    """The fetched file validated and put in place of what was landed: "replaced" or "landed"."""
    if validate:
        validate(temporary)
    status = "replaced" if spot.existing else "landed"
    put_in_place(temporary, spot.target, spot.existing)
    return status


def _landed_sha256(spot: Landing) -> str:
    """sha256 of the landed target when it is the only file of its agency or table, else ""
    (nothing there, another suffix beside it, or not a readable file: the pull replaces it)."""
    if spot.existing != (spot.target,):
        return ""
    try:
        return sha256_path(spot.target)
    except OSError:
        return ""


def _not_a_link(found: RemoteFile | None, location: str, name: str) -> RemoteFile | None:
    if found is not None and found.link:
        raise PullRefused(f"{name}: {location} is a symbolic link; a source file is never pulled through a link (it "
                          "could point at any file this account can read). Nothing was landed. Ask the sender to put "
                          "the file itself there, or point sources.yaml at the real file.")
    return found


def _unchanged_while_pulled(before: RemoteFile, after: RemoteFile | None, read: int, location: str,
                            name: str) -> None:
    """SourceChanged unless the file's size and stamp after the download are those before it and
    as many bytes were read as it holds: a file still being written lands nothing."""
    if after is not None and not after.link and (after.size, after.stamp) == (before.size, before.stamp) \
            and read == before.size:
        return
    then = "gone" if after is None else "a link" if after.link else f"{after.size:,}"
    raise SourceChanged(f"{name}: {location} changed while it was pulled (size {before.size:,} bytes, then {then}; "
                        f"{read:,} bytes read): it is still being written, so nothing was landed. It is pulled again "
                        "on the next try; a ready marker (ready_marker in sources.yaml) written by the sender once "
                        "the file is complete avoids this.")


def _unwritable(label: str, exc: OSError) -> str:
    return (f"{label} in the landing zone ({exc.strerror or type(exc).__name__}); nothing was landed. Free space or "
            "raise the file size limit there; the pull is tried again.")


def _download(remote: Remote, location: str, temporary: Path, label: str) -> str:
    """Stream the file into `temporary` (created new, flushed to disk) and return its sha256. A
    failed write is PullError naming `label` (the landing-relative target)."""
    digest = hashlib.sha256()
    try:
        handle = open(temporary, "xb")
    except OSError as exc:
        raise PullError(_unwritable(label, exc)) from None
    with handle:
        remote.download(location, _Hashing(handle, digest, label))
        try:
            handle.flush()
            os.fsync(handle.fileno())
        except OSError as exc:
            raise PullError(_unwritable(label, exc)) from None
    return digest.hexdigest()


class _Hashing:
    """A binary sink that hashes what it writes; a failed write is PullError naming `label`."""

    def __init__(self, handle: BinaryIO, digest, label: str):
        self._handle, self._digest, self._label = handle, digest, label

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        try:
            return self._handle.write(data)
        except OSError as exc:
            raise PullError(_unwritable(self._label, exc)) from None


def _sidecar_sha256(content: bytes, where: str) -> str:
    """The sha256 a sidecar gives: its first word, 64 hex digits (`sha256sum` output or the bare hash)."""
    words = content.decode("ascii", errors="replace").split()
    token = words[0].lstrip("\\").lower() if words else ""
    if not re.fullmatch(r"[0-9a-f]{64}", token):
        raise PullError(f"checksum {where} does not start with a sha256 (64 hex digits), as `sha256sum` writes it; "
                        "nothing was landed. Ask the sender to write the checksum file again.")
    return token


def _write(spot: Landing, described: dict, stat: dict | None, sha256: str, now: dt.datetime, old: dict) -> None:
    """Record where the landed file came from (the manifest copies it) and, for the quick check,
    the source's size and stamp when it was pulled. `pulled_at` keeps the first pull of these bytes."""
    record = {"path": spot.relative, "sha256": sha256, "source": described,
              "pulled_at": old.get("pulled_at") if old.get("sha256") == sha256 and old.get("pulled_at")
              else now.isoformat(), "checked_at": now.isoformat()}
    if stat is not None:
        record["source_stat"] = stat
    write_record(spot.record, record)


def source_text(described: dict) -> str:
    """A source as messages show it: kind, path or URL (or the query's hash) and connection id."""
    where = described.get("path") or described.get("url") or f"query sha256 {described.get('query_sha256', '')[:12]}…"
    via = f" via connection {described['connection']}" if described.get("connection") else ""
    return f"{described['kind']} {where}{via}"
