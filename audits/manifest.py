"""The report's manifest (inputs, rulepack, code, row conservation, output hashes): its bytes and
hashes; writing it (signed) is audits.signing, verifying a report against it audits.verification.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
from pathlib import Path

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"        # beside the manifest it signs, never listed in it (audits.signing)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


LINK = "is a link"               # the strerror of a refused symbolic link (open_regular)


def open_regular(path: Path, *, follow_links: bool = True):
    """`path` opened for binary reading when it is a regular file. Anything else raises OSError: a
    directory, a dangling link, a file without read permission, a FIFO or device (opened without
    waiting for a writer) and, with follow_links False, a symbolic link (strerror LINK): the
    landing zone's files are opened so, since a link there could point at any file the account
    can read (a private key, /etc/passwd, /proc/self/environ)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | (0 if follow_links else getattr(os, "O_NOFOLLOW", 0))
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        if not follow_links and exc.errno in (errno.ELOOP, errno.EMLINK) and os.path.islink(path):
            raise OSError(errno.ELOOP, LINK, str(path)) from None
        raise
    handle = os.fdopen(descriptor, "rb")
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        handle.close()
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        raise OSError(errno.EINVAL, "not a regular file (a FIFO, socket or device)", str(path))
    os.set_blocking(descriptor, True)
    return handle


def sha256_path(path: Path, *, follow_links: bool = True) -> str:
    """sha256 of a regular file (open_regular: OSError for anything else)."""
    with open_regular(path, follow_links=follow_links) as handle:
        digest = hashlib.sha256()
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_json(data: bytes) -> object:
    """A manifest's (or signature's) JSON from its bytes. ValueError for anything that is not
    UTF-8 JSON, a document nested too deeply for the parser included (never a RecursionError)."""
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ValueError("nested too deeply to be a manifest") from None


def output_hashes(report_dir: Path) -> dict[str, str]:
    """sha256 of every file of the report (relative path -> hash), superseded reports, the manifest
    and its signature excluded."""
    hashes = {}
    for path in sorted(report_dir.rglob("*")):
        relative = path.relative_to(report_dir).as_posix()
        if path.is_file() and relative not in (MANIFEST, SIGNATURE) and not relative.startswith("superseded/"):
            hashes[relative] = sha256_path(path)
    return hashes


def manifest_bytes(manifest: dict) -> bytes:
    """manifest.json as written: UTF-8 JSON, two-space indent, a final newline (these exact bytes
    are what a signature covers)."""
    return (json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")


def hash_mismatch(path: Path, expected: str, label: str, meaning: str) -> list[str]:
    """[] when the file at `path` has sha256 `expected`, else the one problem, labelled. A link
    is never followed (verify re-hashes landing files an agency may have replaced by one)."""
    if path.is_symlink():
        return [f"{label}: is a link at {path}, not a file; verify never follows one."]
    if not path.is_file():
        return [f"{label}: file not found at {path}."]
    try:
        actual = sha256_path(path, follow_links=False)
    except OSError as exc:
        return [f"{label}: cannot be read at {path} ({exc.strerror})."]
    if actual != expected:
        return [f"{label}: sha256 {actual[:12]}… differs from the manifest's {expected[:12]}…; {meaning}."]
    return []


def whole_number(value) -> int | None:
    """A count as the manifest (JSON) or a report CSV (text) holds it; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def readable_now(path: Path, label: str) -> list[str]:
    """[] while a file that could not be read at audit time (a directory, a FIFO, no
    permission) still cannot be; else the problem: it should be audited now."""
    try:
        sha256_path(path)
    except OSError:
        return []
    return [f"{label}: could not be read at audit time but is a readable file now; rerun the audit for this day."]
