"""The suite's own split (tests/conftest.py): which tests are slow, and a slow fixture asked for
by a test not marked slow fails it, so that `make test-fast` never starts a server."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from tests import conftest


def _item(fixtures: list[str], module: str = "test_x.py", slow: bool = False):
    marks = {"slow": pytest.mark.slow.mark} if slow else {}
    return SimpleNamespace(fixturenames=fixtures, path=Path("tests") / module, nodeid=f"tests/{module}::test_x",
                           get_closest_marker=marks.get)


@pytest.mark.parametrize("fixture", sorted(conftest.SLOW_FIXTURES))
def test_a_test_using_a_slow_fixture_is_slow(fixture):
    assert conftest.slow_reason(_item(["tmp_path", fixture]))
    assert not conftest.slow_reason(_item(["tmp_path", "monkeypatch"]))


def test_a_test_in_a_slow_module_is_slow():
    assert conftest.slow_reason(_item(["tmp_path"], module="test_scheduler.py"))
    assert not conftest.slow_reason(_item(["tmp_path"], module="test_scoring.py"))


def test_a_slow_fixture_asked_for_by_a_test_not_marked_slow_fails_it(monkeypatch):
    monkeypatch.setattr(conftest, "_running", [_item(["request"])])
    with pytest.raises(pytest.fail.Exception, match="uses sshd .* but is not marked slow"):
        conftest._only_for_slow_tests("sshd")
    monkeypatch.setattr(conftest, "_running", [_item(["request"], slow=True)])
    conftest._only_for_slow_tests("sshd")


def test_the_modules_sharing_a_session_fixture_exist():
    root = Path(conftest.__file__).parents[1]
    for modules in conftest.SHARED_SESSION_FIXTURES.values():
        assert all((root / module).is_file() for module in modules), modules
