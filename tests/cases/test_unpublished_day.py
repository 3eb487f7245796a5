"""Only a published day is an audited day (cases.md §2): a run whose report fails to publish
leaves no case state of its day in the chain, so the next day's cases equal those of a store
where that day was never audited, and `python -m audits cases` never shows it; a run stopped
between publishing and committing its case state has it committed by the next run."""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno

import pytest

from audits import report
from audits.cases import daily
from audits.cases.case_store import case_days
from audits.cli import main as cli
from audits.pipeline import run_audit
from tests.landing import call, config_for, make_landing

D0, D1, D2 = dt.date(2026, 11, 25), dt.date(2026, 11, 26), dt.date(2026, 11, 27)


def _calls(day: dt.date) -> list[dict]:
    """E9 (on no roster) calls on D0; E7 (on none either) on D1 only; D2 is clean."""
    rows = [call(f"{day:%d}-{k}", f"{day} 1{k}:00:00") for k in range(3)]
    rows[0]["agent_id"] = {D0: "E9", D1: "E7"}.get(day, "A1")
    return rows


def _landing(root):
    make_landing(root / "landing", {day: {"AG01": _calls(day)} for day in (D0, D1, D2)})


def _fail_to_publish(*_args, **_kwargs):
    raise OSError(errno.EROFS, "Read-only file system")


def _cases(report_dir) -> bytes:
    return (report_dir / "cases.csv").read_bytes()


def _run(root, day, **changes):
    return run_audit(dataclasses.replace(config_for(root, day), **changes))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """D2's cases where D1 was never audited, and where it was audited and published."""
    without, sequential = tmp_path_factory.mktemp("without-d1"), tmp_path_factory.mktemp("sequential")
    for root in (without, sequential):
        _landing(root)
    _run(without, D0)
    for day in (D0, D1):
        _run(sequential, day)
    return {"without": _cases(_run(without, D2).report_dir), "sequential": _cases(_run(sequential, D2).report_dir)}


def test_a_day_whose_report_failed_to_publish_is_not_in_the_case_chain(tmp_path, monkeypatch, scratch, capsys):
    _landing(tmp_path)
    _run(tmp_path, D0)
    with monkeypatch.context() as patch:
        patch.setattr(report, "write_manifest", _fail_to_publish)
        with pytest.raises(OSError, match="Read-only file system"):
            _run(tmp_path, D1)
    assert not (tmp_path / "out" / D1.isoformat()).exists()
    assert case_days(tmp_path / "store") == [D0]
    capsys.readouterr()
    assert cli(["cases", "--store", str(tmp_path / "store")]) == 0
    assert f"Cases on {D0}" in capsys.readouterr().out
    assert _cases(_run(tmp_path, D2).report_dir) == scratch["without"]
    # the day published properly afterwards takes its place in the chain
    _run(tmp_path, D1, run_id="again")
    assert _cases(_run(tmp_path, D2, run_id="again").report_dir) == scratch["sequential"]


def test_a_run_stopped_after_publishing_has_its_case_state_committed_by_the_next_run(tmp_path, monkeypatch,
                                                                                    scratch):
    _landing(tmp_path)
    _run(tmp_path, D0)
    with monkeypatch.context() as patch:
        patch.setattr(daily, "commit_case_day", _fail_to_publish)
        with pytest.raises(OSError):
            _run(tmp_path, D1)
    assert (tmp_path / "out" / D1.isoformat() / "cases.csv").is_file()        # published
    assert _cases(_run(tmp_path, D2).report_dir) == scratch["sequential"]
    assert case_days(tmp_path / "store") == [D0, D1, D2]
