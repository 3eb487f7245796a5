"""The report's manifest (inputs, rulepack, code, row conservation, output hashes) and its
verification: an auditor proves that a report matches its inputs by re-hashing both.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from pathlib import Path

MANIFEST = "manifest.json"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_path(path: Path) -> str:
    """sha256 of a regular file. Anything else raises OSError: a directory, a dangling link, a
    file without read permission, and a FIFO or device (opened without waiting for a writer)."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(descriptor, "rb") as handle:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, "not a regular file (a FIFO, socket or device)", str(path))
        digest = hashlib.sha256()
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def output_hashes(report_dir: Path) -> dict[str, str]:
    """sha256 of every file of the report (relative path -> hash), superseded reports excluded."""
    hashes = {}
    for path in sorted(report_dir.rglob("*")):
        relative = path.relative_to(report_dir).as_posix()
        if path.is_file() and relative != MANIFEST and not relative.startswith("superseded/"):
            hashes[relative] = sha256_path(path)
    return hashes


def write_manifest(report_dir: Path, manifest: dict) -> None:
    text = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    staging = report_dir / f".{MANIFEST}.tmp"
    staging.write_text(text, encoding="utf-8")
    staging.replace(report_dir / MANIFEST)


def verify_report(report_dir: Path) -> list[str]:
    """Every mismatch between the manifest and the files on disk ([] = the report is intact).

    Inputs are re-hashed in the landing zone recorded in the manifest; outputs in the report.
    """
    path = report_dir / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        return [f"{path}: cannot read the manifest ({exc})."]
    problems = []
    landing = Path(manifest.get("landing", ""))
    for entry in manifest.get("inputs", []):
        if entry.get("status") == "missing":
            if (landing / entry["path"]).exists():
                problems.append(f"input {entry['path']}: was missing at audit time but exists now "
                                "(delivered late); rerun the audit for this day.")
            continue
        if not entry.get("sha256"):      # not a readable file at audit time (a directory, FIFO, no permission)
            problems += _readable_now(landing / entry["path"], f"input {entry['path']}")
            continue
        problems += _compare(landing / entry["path"], entry["sha256"], f"input {entry['path']}",
                             "the input changed after the audit; the report no longer matches its inputs")
    rulepack = manifest.get("rulepack", {})
    if rulepack.get("path"):
        problems += _compare(Path(rulepack["path"]), rulepack.get("sha256", ""), f"rulepack {rulepack['path']}",
                             "the rulepack changed after the audit")
    recorded = manifest.get("outputs", {})
    on_disk = output_hashes(report_dir)
    for relative, digest in recorded.items():
        problems += _compare(report_dir / relative, digest, f"output {relative}", "the report was altered")
    for extra in sorted(set(on_disk) - set(recorded)):
        problems.append(f"output {extra}: not listed in the manifest (added after the audit).")
    conservation = manifest.get("row_conservation", {})
    if not conservation.get("ok", False):
        problems.append("row conservation failed at audit time: some rows were neither audited nor quarantined.")
    return problems


def _readable_now(path: Path, label: str) -> list[str]:
    try:
        sha256_path(path)
    except OSError:
        return []
    return [f"{label}: could not be read at audit time but is a readable file now; rerun the audit for this day."]


def _compare(path: Path, expected: str, label: str, meaning: str) -> list[str]:
    if not path.is_file():
        return [f"{label}: file not found at {path}."]
    actual = sha256_path(path)
    if actual != expected:
        return [f"{label}: sha256 {actual[:12]}… differs from the manifest's {expected[:12]}…; {meaning}."]
    return []
