"""One exception tree (audits.errors): every error the core raises on purpose is an AuditError,
either permanent (fix the cause, then run again) or retryable (Airflow tries again); the DAGs
and the CLI catch the base or a branch, never a hand-kept list."""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
from pathlib import Path

import pytest

from audits import cli, deployment
from audits.errors import AuditError, PermanentError, RetryableError

REPO = Path(__file__).resolve().parents[1]


@functools.cache
def _project_exceptions() -> frozenset[type]:
    """Every exception class defined in a module of audits/ (__main__ aside: it runs the CLI; and
    the desk's Alembic migration scripts, which only Alembic runs)."""
    found = set()
    for path in sorted((REPO / "audits").rglob("*.py")):
        if path.name == "__main__.py" or "migrations" in path.relative_to(REPO).parts:
            continue
        parts = path.relative_to(REPO).with_suffix("").parts
        module = importlib.import_module(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
        found |= {obj for _, obj in inspect.getmembers(module, inspect.isclass)
                  if issubclass(obj, BaseException) and obj.__module__ == module.__name__}
    return frozenset(found)


def test_every_exception_of_the_core_hangs_under_one_branch_of_audit_error():
    classes = _project_exceptions()
    assert len(classes) >= 15
    assert [c.__qualname__ for c in classes if not issubclass(c, AuditError)] == []
    both = [c.__qualname__ for c in classes if issubclass(c, PermanentError) and issubclass(c, RetryableError)]
    neither = [c.__qualname__ for c in classes - {AuditError, PermanentError, RetryableError}
               if not issubclass(c, (PermanentError, RetryableError))]
    assert both == [] and neither == []


def test_retryable_errors_are_exactly_those_a_retry_can_fix():
    # A source server down or a file still being written (the pull), a lock another run holds.
    retryable = {c.__qualname__ for c in _project_exceptions() if issubclass(c, RetryableError)}
    assert retryable == {"RetryableError", "PullError", "ChecksumMismatch", "SourceChanged", "LockTimeout"}


def test_the_dags_fail_exactly_the_permanent_branch_without_retry():
    assert deployment.PERMANENT_ERRORS == (PermanentError,)
    for dag_file in ("vendor_audit_nightly.py", "vendor_review_monthly.py"):
        tree = ast.parse((REPO / "dags" / dag_file).read_text(encoding="utf-8"))
        function = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "_fail_without_retry")
        caught = [ast.unparse(h.type) for n in ast.walk(function) if isinstance(n, ast.Try) for h in n.handlers]
        assert caught == ["PERMANENT_ERRORS"], dag_file


def test_built_in_bases_are_kept_for_callers_that_catch_them():
    from audits.cases.lookup import NoCases
    from audits.config import ConfigError
    from audits.workdir import WorkMissing

    assert issubclass(ConfigError, ValueError) and issubclass(NoCases, LookupError)
    assert issubclass(WorkMissing, FileNotFoundError)
    assert WorkMissing("gone").errno is None and str(WorkMissing("gone")) == "gone"


@pytest.mark.parametrize("error", sorted(_project_exceptions(), key=lambda c: c.__qualname__),
                         ids=lambda c: c.__qualname__)
def test_the_cli_turns_any_audit_error_of_a_run_into_exit_2_and_one_message(tmp_path, monkeypatch, capsys, error):
    def fail(config, **_):
        raise error.__new__(error, "the cause, and what to do")

    monkeypatch.setattr(cli, "run_audit", fail)
    (tmp_path / "landing" / "cdr" / "2026-11-27").mkdir(parents=True)
    code = cli.main(["run", "--date", "2026-11-27", "--landing", str(tmp_path / "landing"), "--out",
                     str(tmp_path / "out"), "--store", str(tmp_path / "store"), "--workers", "1"])
    assert code == cli.EXIT_CANNOT_AUDIT == 2
    assert "Cannot audit 2026-11-27:" in capsys.readouterr().err
