"""What code produced a report: the installed package version and the commit it was built from.

Git is never called at run time: a worker may run as another account than the checkout's
owner (git then refuses with "dubious ownership") or have no checkout at all. `make`'s set-up
writes the commit into BUILD_COMMIT_FILE (git-ignored, shipped as package data); a package
installed another way says its commit was not recorded.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PACKAGE = "vendor-audit"
BUILD_COMMIT_FILE = Path(__file__).with_name("build_commit.txt")


def code_version() -> str:
    """e.g. "vendor-audit 0.1.0 (commit 08deef8c655e)"."""
    try:
        release = version(PACKAGE)
    except PackageNotFoundError:
        release = "(not installed)"
    return f"{PACKAGE} {release} ({build_commit()})"


def build_commit() -> str:
    try:
        commit = BUILD_COMMIT_FILE.read_text(encoding="utf-8").strip()
    except OSError:
        commit = ""
    return f"commit {commit}" if commit else "commit not recorded: install with make"
