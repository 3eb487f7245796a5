"""Every file the store keeps is recorded (rows and sha256) and checked when a later run reads
it: a changed or emptied file of day D stops the run of D+1 naming the file (exit 2); what is
only a cache of the calls partitions is rebuilt instead (test_store_caches.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil

import pytest

from audits.cli import main as cli
from audits.pipeline import run_audit
from audits.store import StoreError
from tests.landing import REFERENCE, call, config_for, make_landing, write_csv

D0, D1 = dt.date(2026, 11, 26), dt.date(2026, 11, 27)
NUMBERS = ["13800000001", "13800000002", "13800000003"]
OUTPUTS = ("violations.csv", "cases.csv", "scores.csv", "complaints.csv", "warnings.csv", "quarantine.csv")


def _calls(day: dt.date) -> list[dict]:
    """Three collection calls; the last by E9, who is on no roster (a finding, so a case)."""
    rows = [call(f"{day:%d}-{k}", f"{day} 1{k}:00:00", campaign_id="COL", callee_number=n)
            for k, n in enumerate(NUMBERS)]
    rows[-1]["agent_id"] = "E9"
    return rows


def _complaint(complaint_id: str, day: dt.date, phone: str) -> dict:
    return dict(complaint_id=complaint_id, received_at=f"{day} 20:00", phone=phone, channel="hotline",
                category="other", agency_id="", text="")


@pytest.fixture(scope="module")
def audited_first_day(tmp_path_factory):
    return first_day_audited(tmp_path_factory.mktemp("store-files"))


def first_day_audited(root):
    """A landing zone of two days and a store and out with the first day audited, in `root`."""
    assigned = [*REFERENCE["assignments"], *(dict(agency_id="AG01", campaign_id="COL", customer_id=f"K{n}", phone=n,
                                                  assigned_from="2026-01-01", assigned_to="") for n in NUMBERS)]
    landing = make_landing(root / "landing", {day: {"AG01": _calls(day)} for day in (D0, D1)}, assignments=assigned)
    write_csv(landing / "complaints" / f"{D0}.csv", [_complaint("K0", D0, NUMBERS[0])])
    write_csv(landing / "complaints" / f"{D1}.csv", [_complaint("K1", D1, NUMBERS[2])])
    run_audit(config_for(root, D0))
    return root


def _copy(source, target):
    for part in ("landing", "store", "out"):
        shutil.copytree(source / part, target / part, symlinks=True)
    return target


def _emptied(path):
    path.write_bytes(b"")


def _changed(path):
    data = path.read_bytes()
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]) if data else b"x")


# the store files of day D0 that the run of D1 reads, relative to the store
CHECKED = [
    f"cases/call_date={D0}/counts.parquet",
    f"cases/call_date={D0}/snapshot.parquet",
    f"cases/call_date={D0}/decisions.parquet",
    f"cases/call_date={D0}/chain.json",
    f"signals/findings/call_date={D0}/findings.parquet",
    f"signals/findings/call_date={D0}/findings.json",
    f"signals/complaints/day={D0}/complaints.parquet",
    f"signals/complaints/day={D0}/complaints.json",
    f"signals/metrics/call_date={D0}/metrics.parquet",
    f"signals/metrics/call_date={D0}/record.json",
]
REBUILT = [
    f"signals/reach/call_date={D0}/reach.parquet",
    f"signals/reach/call_date={D0}/reach.json",
    f"signals/numbers/call_date={D0}/keys.npy",
    f"signals/numbers/call_date={D0}/calls.npy",
    f"signals/numbers/call_date={D0}/attempts.npy",
    f"signals/numbers/call_date={D0}/index.json",
]


def _each(names, changed):
    """Every file emptied; those named in `changed` also changed by one bit."""
    return [*((name, _emptied) for name in names), *((name, _changed) for name in names if name.split("/")[-1]
                                                     in changed)]


@pytest.mark.parametrize("name,tamper", _each(CHECKED, {"counts.parquet", "chain.json", "findings.parquet",
                                                         "complaints.parquet"}))
def test_a_changed_store_file_stops_the_next_run_naming_it(audited_first_day, tmp_path, name, tamper):
    root = _copy(audited_first_day, tmp_path)
    tamper(root / "store" / name)
    with pytest.raises(StoreError, match=f"store file {root / 'store' / name} does not match what the audit wrote"):
        run_audit(config_for(root, D1))
    assert not (root / "out" / D1.isoformat()).exists()


def test_the_command_line_exits_2_naming_the_changed_file(audited_first_day, tmp_path, capsys):
    root = _copy(audited_first_day, tmp_path)
    _emptied(root / "store" / CHECKED[0])
    code = cli(["run", "--date", D1.isoformat(), "--landing", str(root / "landing"), "--out", str(root / "out"),
                "--store", str(root / "store")])
    assert code == 2
    assert f"cases/call_date={D0}/counts.parquet does not match what the audit wrote" in capsys.readouterr().err


def test_a_rerun_of_the_day_makes_its_store_files_whole_again(audited_first_day, tmp_path):
    root = _copy(audited_first_day, tmp_path)
    for name in CHECKED:
        _emptied(root / "store" / name)
    run_audit(dataclasses.replace(config_for(root, D0), run_id="again"))
    assert run_audit(config_for(root, D1)).report_dir.is_dir()
