"""verify --chain FROM..TO over the reports root: literal day folders (a manifest with outputs and
previous_manifest, signed with a literal key), and real runs for reruns."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audits.cli import main as cli
from audits.signing import previous_manifest, write_manifest
from tests.landing import DAY, call, make_landing

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
D1, D2, D3 = dt.date(2026, 11, 25), dt.date(2026, 11, 26), dt.date(2026, 11, 27)


def _publish(out: Path, day: dt.date, scores: bytes, *, run_id: str = "r1", key=KEY) -> Path:
    """A day's report as the audit lays it out, reduced to one output: scores.csv, the manifest
    (outputs, previous_manifest, supersedes), manifest.sig; a report already there goes under
    superseded/<its run id>/, as a rerun keeps it."""
    folder = out / day.isoformat()
    staging = out / f".{day}.staging"
    staging.mkdir(parents=True)
    (staging / "scores.csv").write_bytes(scores)
    supersedes = None
    if folder.exists():
        old = json.loads((folder / "manifest.json").read_text())
        supersedes = {"run_id": old["run_id"],
                      "manifest_sha256": hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()}
        (staging / "superseded").mkdir()
        folder.rename(staging / "superseded" / old["run_id"])
    manifest = {"run_id": run_id, "audit_date": day.isoformat(),
                "outputs": {"scores.csv": hashlib.sha256(scores).hexdigest()}, "supersedes": supersedes,
                "previous_manifest": previous_manifest(out, day)}
    write_manifest(staging, manifest, signing_key=key)
    staging.rename(folder)
    return folder


def _public_key(tmp_path: Path, key=KEY) -> str:
    path = tmp_path / f"key-{id(key)}.pub.pem"
    path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo))
    return str(path)


@pytest.fixture
def out(tmp_path) -> Path:
    out = tmp_path / "reports"
    for day in (D1, D2, D3):
        _publish(out, day, f"agency_id,overall\nAG01,9{day.day % 10}.0\n".encode())
    return out


def _chain(capsys, out: Path, *extra: str, days: str = f"{D1}..{D3}") -> tuple[int, str]:
    capsys.readouterr()
    code = cli(["verify", str(out), "--chain", days, *extra])
    captured = capsys.readouterr()
    return code, captured.err + captured.out


def test_an_untouched_chain_verifies_with_and_without_the_key(out, tmp_path, capsys):
    code, text = _chain(capsys, out, "--public-key", _public_key(tmp_path))
    assert code == 0, text
    assert f"chain verified from {D1} to {D3}" in text
    assert _chain(capsys, out)[0] == 0


def test_a_removed_day_fails(out, capsys):
    shutil.rmtree(out / D2.isoformat())
    code, text = _chain(capsys, out)
    assert code == 1
    assert f"{D2}: no published report" in text
    assert f"{D3}: names the report of {D2} with manifest sha256" in text and "(removed)" in text


def test_a_replaced_manifest_fails_even_when_it_is_validly_signed(out, tmp_path, capsys):
    # D2 replaced wholesale (other scores, a new manifest signed with the bank's key): the day
    # itself is consistent and signed, but D3 names the manifest that was there before.
    shutil.rmtree(out / D2.isoformat())
    _publish(out, D2, b"agency_id,overall\nAG01,99.0\n", run_id="r-forged")
    code, text = _chain(capsys, out, "--public-key", _public_key(tmp_path))
    assert code == 1
    assert f"{D3}: names a report of {D2}" in text and "was replaced" in text
    assert f"{D2}:" not in text.replace(f"{D3}: names a report of {D2}", "")    # D2 alone is intact


def test_a_changed_output_of_a_day_fails(out, capsys):
    (out / D2.isoformat() / "scores.csv").write_bytes(b"agency_id,overall\nAG01,100.0\n")
    code, text = _chain(capsys, out)
    assert code == 1 and f"{D2}: output scores.csv: sha256" in text


def test_a_wrong_key_or_a_missing_signature_fails_each_day(out, tmp_path, capsys):
    code, text = _chain(capsys, out, "--public-key", _public_key(tmp_path, OTHER_KEY))
    assert code == 1 and all(f"{day}: manifest.sig: made with the key" in text for day in (D1, D2, D3))
    (out / D2.isoformat() / "manifest.sig").unlink()
    code, text = _chain(capsys, out, "--public-key", _public_key(tmp_path))
    assert code == 1 and f"{D2}: manifest.sig: missing" in text and f"{D3}: manifest.sig" not in text


def test_a_day_audited_before_the_day_before_it_names_none_until_rerun(tmp_path, capsys):
    out = tmp_path / "reports"
    _publish(out, D2, b"a\n")
    _publish(out, D1, b"b\n")                                         # published after D2
    assert json.loads((out / D2.isoformat() / "manifest.json").read_text())["previous_manifest"]["sha256"] is None
    code, text = _chain(capsys, out, days=f"{D1}..{D2}")
    assert code == 1 and f"{D2}: names no report of {D1}" in text and f"Rerun {D2}" in text
    _publish(out, D2, b"a\n", run_id="r2")
    assert _chain(capsys, out, days=f"{D1}..{D2}")[0] == 0


def test_a_manifest_without_its_link_to_the_day_before_is_named(tmp_path, capsys):
    out = tmp_path / "reports"
    _publish(out, D1, b"a\n")
    folder = out / D2.isoformat()
    folder.mkdir()
    (folder / "scores.csv").write_bytes(b"a\n")
    write_manifest(folder, {"run_id": "old", "audit_date": D2.isoformat(),
                            "outputs": {"scores.csv": hashlib.sha256(b"a\n").hexdigest()}})
    code, text = _chain(capsys, out, days=f"{D1}..{D2}")
    assert code == 1 and f"{D2}: its manifest has no previous_manifest, which every daily manifest records" in text


def test_a_rerun_is_named_as_such_and_rerunning_the_next_day_repairs_the_link(out, tmp_path, capsys):
    _publish(out, D2, b"agency_id,overall\nAG01,70.0\n", run_id="r2")                 # rerun of D2
    code, text = _chain(capsys, out, "--public-key", _public_key(tmp_path))
    assert code == 1
    assert f"{D3}: names the report of {D2} by run r1, which a rerun of {D2} superseded" in text
    assert f"kept at {D2}/superseded/r1/" in text and f"Rerun {D3}" in text
    _publish(out, D3, b"agency_id,overall\nAG01,97.0\n", run_id="r2")                 # rerun of D3
    assert _chain(capsys, out, "--public-key", _public_key(tmp_path))[0] == 0


# --- real runs ----------------------------------------------------------------------------------

def test_real_runs_chain_sign_and_a_rerun_of_a_day_is_repaired_by_rerunning_the_next(tmp_path, capsys, monkeypatch):
    earlier, before = DAY - dt.timedelta(days=2), DAY - dt.timedelta(days=1)
    make_landing(tmp_path / "landing", {day: {"AG01": [call(f"c{day.day}", f"{day} 10:00:00")]}
                                        for day in (earlier, before, DAY)})
    key = tmp_path / "keys" / "signing-key.pem"
    assert cli(["keygen", str(key.parent)]) == 0
    public = str(key.parent / "signing-key.pub.pem")
    monkeypatch.setenv("AUDIT_SIGNING_KEY", str(key))
    out = tmp_path / "out"

    def run(day: dt.date, run_id: str) -> dict:
        assert cli(["run", "--date", day.isoformat(), "--landing", str(tmp_path / "landing"), "--out", str(out),
                    "--store", str(tmp_path / "store"), "--run-id", run_id, "--workers", "1"]) == 0
        return json.loads((out / day.isoformat() / "manifest.json").read_text())

    for day in (earlier, before, DAY):
        manifest = run(day, "r1")
    assert manifest["previous_manifest"] == {
        "audit_date": before.isoformat(), "run_id": "r1",
        "sha256": hashlib.sha256((out / before.isoformat() / "manifest.json").read_bytes()).hexdigest()}
    days = f"{earlier}..{DAY}"
    assert _chain(capsys, out, "--public-key", public, days=days)[0] == 0

    run(before, "r2")                                                  # a rerun of the middle day: re-signed
    code, text = _verify_day(capsys, out / before.isoformat(), public)
    assert code == 0, text
    code, text = _chain(capsys, out, "--public-key", public, days=days)
    assert code == 1
    assert f"{DAY}: names the report of {before} by run r1, which a rerun of {before} superseded" in text
    assert len([line for line in text.splitlines() if line.startswith("  - ")]) == 1

    run(DAY, "r2")                                                     # the next day rerun: linked again
    code, text = _chain(capsys, out, "--public-key", public, days=days)
    assert code == 0, text


def _verify_day(capsys, report: Path, public: str) -> tuple[int, str]:
    capsys.readouterr()
    code = cli(["verify", str(report), "--public-key", public])
    captured = capsys.readouterr()
    return code, captured.err + captured.out
