"""`python -m audits verify` against tampering that re-hashing alone misses: each
test makes a small real report with the CLI, tampers with it the way the adversarial pass did
(updating the manifest's hashes to match), and expects exit 1 naming the problem."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from audits.cli import main as cli
from audits.manifest import sha256_path
from audits.rulepack import RULEPACK_DIR
from tests.landing import DAY, OTHER, REFERENCE, call, make_landing

EARLIER = DAY - dt.timedelta(days=1)
CONTRACTS = REFERENCE["contracts"] + [
    dict(REFERENCE["contracts"][0], agency_id=agency, contract_id=f"C-{agency}") for agency in ("AG02", "AG03")]
AG01 = f"cdr/{DAY}/AG01.csv"


def _landing(tmp_path: Path, *, earlier: bool = False) -> Path:
    """AG01: a finding and a quarantined row; AG02: three findings on one call; AG03: no file;
    AG05: rows without the contract's columns; AG06: an empty file; with `earlier`, a call of
    the day before (a partition in the store)."""
    folder = tmp_path / "landing" / "cdr" / DAY.isoformat()
    folder.mkdir(parents=True)
    (folder / "AG05.csv").write_text("id,when\n1,2026-11-27\n2,2026-11-27\n", encoding="utf-8")
    (folder / "AG06.csv").write_text("", encoding="utf-8")
    return make_landing(tmp_path / "landing", {
        **({EARLIER: {"AG01": [call("e1", f"{EARLIER} 10:00:00")]}} if earlier else {}),
        DAY: {"AG01": [call("c1", f"{DAY} 09:00:00"), call("c2", f"{DAY} 21:30:00"),
                       call("c3", f"{DAY} 10:00:00", callee_number="12345")],
              "AG02": [call("d1", f"{DAY} 10:00:00", agency_id="AG02", callee_number=OTHER)]}},
        contracts=CONTRACTS)


def _run(tmp_path: Path, *extra: str, day: dt.date = DAY, run_id: str = "r1") -> Path:
    assert cli(["run", "--date", day.isoformat(), "--landing", str(tmp_path / "landing"), "--out",
                str(tmp_path / "out"), "--store", str(tmp_path / "store"), "--run-id", run_id, "--workers", "1",
                *extra]) == 0
    return tmp_path / "out" / day.isoformat()


@pytest.fixture
def report(tmp_path) -> Path:
    _landing(tmp_path)
    return _run(tmp_path)


def _verify(report: Path, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = cli(["verify", str(report)])
    captured = capsys.readouterr()
    return code, captured.err + captured.out


def _manifest(report: Path) -> dict:
    return json.loads((report / "manifest.json").read_text(encoding="utf-8"))


def _save(report: Path, manifest: dict) -> None:
    (report / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def _rehash(report: Path, *names: str) -> None:
    manifest = _manifest(report)
    for name in names:
        manifest["outputs"][name] = sha256_path(report / name)
    _save(report, manifest)


def _input(manifest: dict, path: str) -> dict:
    return next(entry for entry in manifest["inputs"] if entry["path"] == path)


def test_an_untouched_report_and_its_superseded_reports_verify(tmp_path, capsys):
    _landing(tmp_path)
    _run(tmp_path)
    _run(tmp_path)                          # same run id (an Airflow clear): kept as superseded/r1.<suffix>
    report = _run(tmp_path, run_id="r2")
    assert len(list((report / "superseded").iterdir())) == 2
    code, output = _verify(report, capsys)
    assert code == 0, output
    assert "2 superseded report(s) verified" in output


def test_a_deleted_violation_row_is_caught_with_its_hash_updated(report, capsys):
    lines = (report / "violations.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    dropped = next(line for line in lines if ",AG02,CONF_UNASSIGNED," in line)
    (report / "violations.csv").write_text("".join(line for line in lines if line != dropped), encoding="utf-8")
    _rehash(report, "violations.csv")
    code, output = _verify(report, capsys)
    assert code == 1
    assert "scores.csv: agency AG02 findings is '3'; violations.csv holds 2" in output
    assert "agency AG02 critical_findings is '1'; violations.csv holds 0" in output


def test_a_deleted_scorecard_and_its_manifest_entry_are_caught(report, capsys):
    manifest = _manifest(report)
    for name in ("agencies/AG02.html", "dq/cdr.json"):
        (report / name).unlink()
        del manifest["outputs"][name]
    _save(report, manifest)
    code, output = _verify(report, capsys)
    assert code == 1
    assert "output agencies/AG02.html: absent and not listed in the manifest" in output
    assert "output dq/cdr.json: absent" in output


def test_an_input_removed_and_marked_missing_is_caught(report, capsys):
    # The agency's file deleted from the landing zone and its manifest entry rewritten as if it
    # had never been delivered, row conservation adjusted to match.
    (report.parent.parent / "landing" / AG01).unlink()
    manifest = _manifest(report)
    entry = _input(manifest, AG01)
    totals = manifest["row_conservation"]
    totals["rows_read"] -= entry["rows"]
    totals["rows_accepted"] -= entry["rows_accepted"]
    totals["rows_quarantined"] -= entry["rows_quarantined"]
    entry.update(status="missing", sha256="", rows=0, rows_accepted=0, rows_quarantined=0)
    _save(report, manifest)
    code, output = _verify(report, capsys)
    assert code == 1
    assert f"agency AG01 file_status is 'ok'; its input {AG01} in the manifest says 'missing'" in output
    assert f"input {AG01}: the manifest says 0 row(s) quarantined; quarantine.csv holds 1" in output


def test_edited_row_conservation_is_caught(report, capsys):
    manifest = _manifest(report)
    manifest["row_conservation"]["rows_quarantined"] -= 1
    manifest["row_conservation"]["rows_accepted"] += 1
    _save(report, manifest)
    code, output = _verify(report, capsys)
    assert code == 1
    assert "row_conservation.rows_quarantined: the manifest says" in output

    # The same lie told consistently in the input's entry and the totals: the file, quarantine.csv
    # and scores.csv still say otherwise.
    manifest = _manifest(report)
    entry = _input(manifest, AG01)
    entry["rows"] += 1
    entry["rows_accepted"] += 1
    manifest["row_conservation"].update(rows_quarantined=manifest["row_conservation"]["rows_quarantined"] + 1,
                                        rows_accepted=manifest["row_conservation"]["rows_accepted"],
                                        rows_read=manifest["row_conservation"]["rows_read"] + 1)
    _save(report, manifest)
    code, output = _verify(report, capsys)
    assert code == 1
    assert f"input {AG01}: 3 rows read again from the file; the manifest says 4" in output
    assert "agency AG01 calls_audited is 2; its input" in output


def test_files_added_under_superseded_are_caught(tmp_path, report, capsys):
    report = _run(tmp_path, run_id="r2")                       # superseded/r1 is genuine
    (report / "superseded" / "x").mkdir()
    (report / "superseded" / "x" / "violations.csv").write_text("audit_date\n")
    (report / "superseded" / "notes.txt").write_text("hello")
    (report / "superseded" / "r1" / "extra.csv").write_text("a,b\n")
    other = tmp_path / "elsewhere"                             # a real report, but not one this one replaced
    shutil.copytree(tmp_path / "landing", other / "landing")
    shutil.copytree(_run(other, run_id="r0"), report / "superseded" / "r0")
    code, output = _verify(report, capsys)
    assert code == 1
    assert "superseded/x: no manifest.json" in output
    assert "superseded/notes.txt: a file where only superseded reports belong" in output
    assert "superseded/r1: output extra.csv: present but not listed in the manifest" in output
    assert "superseded/r0: not a report this one superseded" in output


def test_a_late_cdr_file_for_a_new_agency_is_named_and_fails_when_strict(report, capsys):
    make_landing(report.parent.parent / "landing", {DAY: {"AG04": [call("z1", f"{DAY} 10:00:00", agency_id="AG04")]}},
                 contracts=CONTRACTS)
    late = f"input cdr/{DAY}/AG04.csv: agency AG04's file of the day is in the landing zone but not an input"
    code, output = _verify(report, capsys)
    assert code == 0 and "changed since the audit" in output and late in output     # the report itself is intact
    capsys.readouterr()
    assert cli(["verify", str(report), "--strict-inputs"]) == 1
    assert late in capsys.readouterr().err


def test_a_custom_rulepack_changed_after_the_run_is_caught(tmp_path, capsys):
    _landing(tmp_path)
    pack = tmp_path / "mine.yaml"
    pack.write_text((RULEPACK_DIR / "cn_bank.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    report = _run(tmp_path, "--rulepack", str(pack))
    assert _verify(report, capsys)[0] == 0
    text = pack.read_text(encoding="utf-8")
    assert "redial_gap_minutes: 5" in text
    pack.write_text(text.replace("redial_gap_minutes: 5", "redial_gap_minutes: 1"), encoding="utf-8")
    code, output = _verify(report, capsys)
    assert code == 1
    assert f"rulepack {pack.resolve()}: sha256" in output and "the rulepack changed after the audit" in output


def test_a_built_in_rulepack_is_rehashed(report, capsys):
    manifest = _manifest(report)
    assert manifest["rulepack"]["source"] == "builtin:cn_bank"
    manifest["rulepack"]["sha256"] = "0" * 64
    _save(report, manifest)
    code, output = _verify(report, capsys)
    assert code == 1 and "rulepack builtin:cn_bank: sha256" in output
    del manifest["rulepack"]["source"]
    _save(report, manifest)
    code, output = _verify(report, capsys)
    assert code == 1 and "does not say which file it was loaded from" in output


def test_an_edited_grade_is_caught_by_recomputing_the_scores(report, capsys):
    scores = pd.read_csv(report / "scores.csv", dtype="str", keep_default_na=False)
    assert scores.loc[scores["agency_id"] == "AG02", "grade"].item() == "F"
    scores.loc[scores["agency_id"] == "AG02", ["overall", "grade"]] = ["95.0", "A"]
    scores.to_csv(report / "scores.csv", index=False, lineterminator="\n")
    _rehash(report, "scores.csv")
    code, output = _verify(report, capsys)
    assert code == 1
    assert "agency AG02 grade is 'A'; recomputed from its counts it is 'F'" in output


def test_history_partitions_listed_in_the_manifest_are_rehashed(tmp_path, capsys):
    # The `history` list (date, path, rows, sha256 per store partition read) comes with the store's
    # own checks; verify re-hashes whatever the manifest lists when the store is reachable.
    _landing(tmp_path, earlier=True)
    report = _run(tmp_path)
    partition = next((tmp_path / "store" / "calls").glob(f"call_date={EARLIER}*/*.parquet"))
    manifest = _manifest(report)
    manifest["history"] = [{"date": EARLIER.isoformat(), "path": str(partition), "rows": 1,
                            "sha256": sha256_path(partition)}]
    _save(report, manifest)
    assert _verify(report, capsys)[0] == 0
    frame = pd.read_parquet(partition)
    frame.iloc[:0].to_parquet(partition)                       # emptied after the audit
    code, output = _verify(report, capsys)
    assert code == 1 and f"history partition {EARLIER} ({partition}): sha256" in output

    manifest["store"] = str(tmp_path / "gone")                  # relative paths, store not reachable here
    manifest["history"][0]["path"] = partition.relative_to(tmp_path / "store").as_posix()
    _save(report, manifest)
    code, output = _verify(report, capsys)
    assert code == 0 and "not reachable from here" in output


def test_a_finding_downgraded_with_its_counts_is_caught(report, capsys):
    # CONF_UNASSIGNED is critical; relabelled major in violations.csv and scores.csv together.
    violations = (report / "violations.csv").read_text(encoding="utf-8")
    (report / "violations.csv").write_text(violations.replace("CONF_UNASSIGNED,confidentiality,critical",
                                                              "CONF_UNASSIGNED,confidentiality,major"),
                                           encoding="utf-8")
    scores = pd.read_csv(report / "scores.csv", dtype="str", keep_default_na=False)
    scores.loc[scores["agency_id"] == "AG02", "critical_findings"] = "0"
    scores.to_csv(report / "scores.csv", index=False, lineterminator="\n")
    _rehash(report, "violations.csv", "scores.csv")
    code, output = _verify(report, capsys)
    assert code == 1
    assert "findings of CONF_UNASSIGNED with family 'confidentiality' and severity 'major', which are not " \
        "that rule's" in output
