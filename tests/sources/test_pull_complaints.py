"""The day's complaints pulled from a source (signals.md §1: `<landing>/complaints/<D>.csv`): a
dated `complaints:` entry of sources.yaml lands the file the run reads; `reference: complaints:`
is refused, since a reference table of complaints would never be read."""

from __future__ import annotations

import csv
import io
import json

import pytest

from audits.cli import main as cli
from audits.config import ConfigError
from audits.models import TABLE_COLUMNS
from tests.landing import DAY, call, make_landing
from tests.sources.test_pull import D, _pull, _put, _sha

COLUMNS = list(TABLE_COLUMNS["complaints"][0] + TABLE_COLUMNS["complaints"][1])


def _complaints(*ids: str) -> bytes:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows([dict(complaint_id=i, received_at=f"{D} 09:00", phone="13812345678", channel="hotline",
                           category="harassment", agency_id="", text="they keep calling") for i in ids])
    return text.getvalue().encode()


def _with_complaints(path, drop, **entry):
    import yaml

    path.write_text(yaml.safe_dump({"complaints": {"kind": "local", "path": f"{drop}/complaints_{{date:%Y%m%d}}.csv",
                                                   **entry}}))
    return path


@pytest.mark.slow                       # a whole audit
def test_a_complaints_source_lands_the_days_file_and_the_run_reads_it(tmp_path, capsys):
    landing = make_landing(tmp_path / "landing", {DAY: {"AG01": [call("c1", f"{D} 10:00:00")]}})
    drop = tmp_path / "drop"
    data = _put(drop / f"complaints_{DAY.strftime('%Y%m%d')}.csv", _complaints("K1", "K2")).read_bytes()
    sources = _with_complaints(tmp_path / "sources.yaml", drop)
    code, out, err = _pull(capsys, landing, sources)
    assert (code, err) == (0, "") and f"landed    complaints: landed complaints/{D}.csv" in out
    assert (landing / "complaints" / f"{D}.csv").read_bytes() == data
    assert not (landing / "reference" / "complaints.csv").exists()

    out_dir = tmp_path / "out"
    assert cli(["run", "--date", D, "--landing", str(landing), "--out", str(out_dir), "--store",
                str(tmp_path / "store"), "--workers", "1"]) == 0
    manifest = json.loads((out_dir / D / "manifest.json").read_text())
    [entry] = [e for e in manifest["inputs"] if e["table"] == "complaints"]
    assert (entry["path"], entry["rows_accepted"], entry["sha256"]) == (f"complaints/{D}.csv", 2, _sha(data))
    assert entry["source"]["kind"] == "local"
    published = (out_dir / D / "complaints.csv").read_text()
    assert "K1" in published and "K2" in published

    capsys.readouterr()
    _put(drop / f"complaints_{DAY.strftime('%Y%m%d')}.csv", _complaints("K1", "K2", "K3"))
    code, _, err = _pull(capsys, landing, sources, "--out", str(out_dir))     # the day was audited
    assert code == 1 and "complaints:" in err and "--replace" in err
    assert (landing / "complaints" / f"{D}.csv").read_bytes() == data
    code, out, _ = _pull(capsys, landing, sources, "--out", str(out_dir), "--replace")
    assert code == 0 and f"rerun {D}" in out


def test_a_reference_complaints_entry_is_refused_naming_the_dated_form(tmp_path, capsys):
    import yaml

    landing = make_landing(tmp_path / "landing")
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({"reference": {"complaints": {"kind": "local", "path": "/x/complaints.csv"}}}))
    code, out, err = _pull(capsys, landing, sources)
    assert code == 2 and "reference.complaints" in err and "complaints:" in err and "{date" in err
    assert not (landing / "reference" / "complaints.csv").exists()


def test_a_complaints_source_must_be_dated_and_csv(tmp_path):
    from audits.sources.config import load_sources

    for path, said in (("/x/complaints.csv", "names the same file every day"),
                       ("/x/complaints_{date:%Y%m%d}.parquet", "does not end in .csv")):
        sources = _with_complaints(tmp_path / "sources.yaml", "/x")
        sources.write_text(sources.read_text().replace("/x/complaints_{date:%Y%m%d}.csv", path))
        try:
            load_sources(sources)
        except ConfigError as exc:
            assert "complaints.path" in str(exc) and said in str(exc), str(exc)
        else:
            raise AssertionError(f"{path} was accepted")


def test_the_reference_task_pulls_the_complaints_too(tmp_path):
    from audits.sources.config import load_sources
    from audits.sources.pull import PullSettings, pull_references

    landing = make_landing(tmp_path / "landing")
    drop = tmp_path / "drop"
    _put(drop / f"complaints_{DAY.strftime('%Y%m%d')}.csv", _complaints("K1"))
    settings = PullSettings(landing=landing, day=DAY, sources=load_sources(_with_complaints(tmp_path / "s.yaml", drop)))
    outcomes, failures = pull_references(settings)
    assert failures == [] and [(o.name, o.status, o.path) for o in outcomes] == [
        ("complaints", "landed", f"complaints/{D}.csv")]
