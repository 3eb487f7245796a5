"""verify requires warnings.csv of every report (its manifest's `early_warnings` records its
rows) and checks its vocabulary and row count; the morning e-mail lists the
agency-level warnings only, escaped."""

from __future__ import annotations

import pandas as pd
import pytest

from audits.csv_cells import write_csv
from audits.models import WARNING_COLUMNS
from audits.notify import agency_warning_lines
from tests.test_verification import _landing, _manifest, _rehash, _run, _save, _verify


@pytest.fixture
def report(tmp_path):
    _landing(tmp_path)
    return _run(tmp_path)


def test_a_report_lists_and_verifies_its_warnings(report, capsys):
    manifest = _manifest(report)
    assert "warnings.csv" in manifest["outputs"] and manifest["early_warnings"] == {"rows": 0, "baseline": []}
    assert (report / "warnings.csv").read_text(encoding="utf-8") == ",".join(WARNING_COLUMNS) + "\n"
    assert _verify(report, capsys)[0] == 0


def test_warnings_csv_removed_with_its_entry_is_named(report, capsys):
    (report / "warnings.csv").unlink()
    manifest = _manifest(report)
    del manifest["outputs"]["warnings.csv"]
    _save(report, manifest)
    code, text = _verify(report, capsys)
    assert code == 1 and "output warnings.csv: absent and not listed in the manifest" in text


def test_a_forged_warning_is_named(report, capsys):
    forged = pd.DataFrame([["2026-11-27", "agency", "AG01", "", "volume", "9", "1", "9.00", "history", "x"]],
                          columns=list(WARNING_COLUMNS))
    write_csv(forged, report / "warnings.csv")
    _rehash(report, "warnings.csv")
    code, text = _verify(report, capsys)
    assert code == 1
    assert "output warnings.csv: metric holds volume" in text
    assert "output warnings.csv: 1 rows; the manifest records 0." in text


def test_the_e_mail_lists_agency_warnings_highest_z_first(tmp_path):
    rows = [["2026-11-27", "agency", "AG02", "", "attempts", "900", "300", "5.50", "history", "Agency AG02 made 900."],
            ["2026-11-27", "agent", "AG02", "E1", "numbers", "241", "55", "7.44", "peers", "Agent E1 dialled."],
            ["2026-11-27", "agency", "AG<b>", "", "unassigned_share", "0.2", "0", "10.02", "history",
             "Agency AG<b> made <i>20%</i>."]]
    write_csv(pd.DataFrame(rows, columns=list(WARNING_COLUMNS)), tmp_path / "warnings.csv")
    lines = agency_warning_lines(tmp_path)
    assert lines[0] == "<h3>Early warnings (agencies)</h3><ul>"
    assert lines[1] == ("<li>AG&lt;b&gt; unassigned_share (history): Agency AG&lt;b&gt; made "
                        "&lt;i&gt;20%&lt;/i&gt;.</li>")
    assert lines[2].startswith("<li>AG02 attempts (history)") and len(lines) == 4
    assert agency_warning_lines(tmp_path / "nowhere") == []


def test_the_baseline_counts_the_warnings_read_are_re_hashed(tmp_path, capsys):
    from tests.test_verification import EARLIER
    _landing(tmp_path, earlier=True)
    report = _run(tmp_path)
    baseline = _manifest(report)["early_warnings"]["baseline"]
    assert [entry["date"] for entry in baseline] == [EARLIER.isoformat()]
    assert _verify(report, capsys)[0] == 0
    counts = tmp_path / "store" / "signals" / "metrics" / f"call_date={EARLIER}" / "metrics.parquet"
    counts.write_bytes(counts.read_bytes() + b"\0")
    code, text = _verify(report, capsys)
    assert code == 1 and f"early-warning baseline counts of {EARLIER}" in text and "differs from the manifest" in text
    counts.unlink()
    code, text = _verify(report, capsys)
    assert code == 1 and "file not found" in text


def test_baseline_counts_of_an_unreachable_store_are_a_note_not_a_failure(tmp_path, capsys):
    import shutil
    _landing(tmp_path, earlier=True)
    report = _run(tmp_path)
    shutil.rmtree(tmp_path / "store")
    code, text = _verify(report, capsys)
    assert code == 0 and "baseline day(s) were not re-hashed" in text
