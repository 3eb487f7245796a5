"""verify checks the report format the audit writes now, and only that: a report lacking a file,
a column or a manifest record that every report has fails, naming what is missing (there is no
allowance for reports written by earlier versions of the program)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from audits.csv_cells import write_csv
from tests.landing import DAY
from tests.test_verification import _landing, _manifest, _rehash, _run, _save, _verify


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """One small real report (tests/test_verification.py's landing), audited once."""
    root = tmp_path_factory.mktemp("current-format")
    _landing(root)
    return _run(root)


@pytest.fixture
def report(published, tmp_path) -> Path:
    """A copy of the report to alter (its landing and store stay where the manifest names them)."""
    return Path(shutil.copytree(published, tmp_path / "out" / DAY.isoformat()))


def test_the_report_as_written_verifies(report, capsys):
    code, text = _verify(report, capsys)
    assert code == 0, text


def test_a_manifest_without_the_decisions_and_warnings_records_is_not_a_report_manifest(report, capsys):
    manifest = _manifest(report)
    del manifest["decisions"], manifest["early_warnings"]
    _save(report, manifest)
    code, text = _verify(report, capsys)
    assert code == 1 and "not a report manifest (decisions, early_warnings missing or malformed)" in text


@pytest.mark.parametrize("name, columns", [
    ("violations.csv", ["case_id", "decision"]),
    ("scores.csv", ["overall_before_decisions", "grade_before_decisions"]),
])
def test_a_csv_without_the_columns_every_report_has_fails(report, capsys, name, columns):
    frame = pd.read_csv(report / name, dtype=str, keep_default_na=False)
    write_csv(frame.drop(columns=columns), report / name)
    _rehash(report, name)
    code, text = _verify(report, capsys)
    assert code == 1 and f"output {name}: column(s) {', '.join(columns)} absent." in text


def test_a_register_without_its_complaints_column_fails(report, capsys):
    frame = pd.read_csv(report / "cases.csv", dtype=str, keep_default_na=False)
    write_csv(frame.drop(columns=["complaints"]), report / "cases.csv")
    _rehash(report, "cases.csv")
    code, text = _verify(report, capsys)
    assert code == 1 and "output cases.csv: columns are " in text and "expected " in text


@pytest.mark.parametrize("name", ["cases.csv", "complaints.csv", "warnings.csv", "decisions.csv"])
def test_an_output_every_report_has_removed_with_its_entry_is_named(report, capsys, name):
    """No complaints file was read and no decision applied: the files are still written (the
    header alone) and required."""
    assert name in _manifest(report)["outputs"]
    (report / name).unlink()
    manifest = _manifest(report)
    del manifest["outputs"][name]
    _save(report, manifest)
    code, text = _verify(report, capsys)
    assert code == 1 and f"output {name}: absent and not listed in the manifest, although every report has it" in text
