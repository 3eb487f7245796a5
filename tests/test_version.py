"""code_version: the installed package version plus the commit recorded at build time, never
`git describe` at run time."""

from __future__ import annotations

import shutil
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest

from audits import cli
from audits import version as version_module

ROOT = Path(__file__).resolve().parents[1]


def test_code_version_is_the_package_version_and_build_commit_without_git(tmp_path, monkeypatch):
    # Another account (or no checkout): git cannot run; the manifest said only "vendor-audit 0.1.0".
    build = tmp_path / "build_commit.txt"
    build.write_text("08deef8c655e\n")
    monkeypatch.setattr(version_module, "BUILD_COMMIT_FILE", build)
    monkeypatch.setenv("PATH", str(tmp_path))              # no git on the path
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("git must not be called at run time"))
    assert cli.code_version() == f"vendor-audit {version('vendor-audit')} (commit 08deef8c655e)"


def test_code_version_says_when_no_commit_was_recorded(tmp_path, monkeypatch):
    monkeypatch.setattr(version_module, "BUILD_COMMIT_FILE", tmp_path / "absent.txt")
    assert cli.code_version().endswith("(commit not recorded: install with make)")


@pytest.mark.skipif(not (shutil.which("make") and shutil.which("git") and (ROOT / ".git").exists()),
                    reason="needs make, git and a checkout")
def test_make_writes_the_build_commit(tmp_path):
    target = tmp_path / "build_commit.txt"
    subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), "build-commit", f"BUILD_COMMIT={target}"],
                   check=True, capture_output=True)
    described = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty", "--abbrev=12"],
                               check=True, capture_output=True, text=True).stdout.strip()
    assert target.read_text() == described + "\n"
