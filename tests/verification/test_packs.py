"""verify for share packs (as .zip and extracted) and review folders: tiny literal folders with a
manifest written here, signed with a literal key, zipped with zipfile."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audits.cli import main as cli
from audits.signing import sign_manifest

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
PACK_FILES = {
    "AG01.html": b"<html><body>AG01 period scorecard: 91.5 (A)</body></html>\n",
    "AG01.xlsx": b"PK\x03\x04 not really a workbook, bytes are bytes\n",
    "cases.csv": b"case_id,rule_id,status\nC-0123456789ab,FREQ_DAILY_CAP,open\n",
    "findings.csv": b"audit_date,rule_id,callee_masked\n2026-11-27,FREQ_DAILY_CAP,+86 138****5678\n",
    "peers/comparison.csv": b"measure,rank,of,q1,median,q3\noverall,2,5,80.0,86.5,92.0\n",
}


def _write_folder(folder: Path, files: dict[str, bytes], kind: str, key: Ed25519PrivateKey | None = KEY,
                  **extra) -> Path:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    manifest = {"kind": kind, "period": "2026-11", "first_day": "2026-11-01", "last_day": "2026-11-30",
                "data_as_of": "2026-12-01T02:10:00+08:00", **extra,
                "outputs": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}}
    if kind == "share_pack":
        manifest.setdefault("agency_id", folder.name)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    sign_manifest(folder / "manifest.json", key)
    return folder


def _zip(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return target


def _keys(tmp_path: Path) -> tuple[str, str]:
    paths = []
    for name, key in (("bank.pub.pem", KEY), ("other.pub.pem", OTHER_KEY)):
        (tmp_path / name).write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                                    serialization.PublicFormat.SubjectPublicKeyInfo))
        paths.append(str(tmp_path / name))
    return paths[0], paths[1]


@pytest.fixture(params=["zip", "folder"])
def pack(request, tmp_path) -> tuple[Path, Path]:
    """(the pack as it is verified, the folder it is built from)."""
    folder = _write_folder(tmp_path / "AG01", PACK_FILES, "share_pack")
    if request.param == "folder":
        return folder, folder
    return _zip(folder, tmp_path / "AG01.zip"), folder


def _rebuild(pack: tuple[Path, Path]) -> Path:
    """After changing the folder: the zip made again from it (an extracted pack is the folder)."""
    path, folder = pack
    return _zip(folder, path) if path.suffix == ".zip" else path


def _verify(capsys, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = cli(["verify", *args])
    captured = capsys.readouterr()
    return code, captured.err + captured.out


def test_an_untouched_pack_verifies_with_the_bank_key_and_without_a_key(pack, tmp_path, capsys):
    bank, _ = _keys(tmp_path)
    code, text = _verify(capsys, str(pack[0]), "--public-key", bank)
    assert code == 0, text
    assert "share pack verified" in text and "Signed by the given public key" in text
    code, text = _verify(capsys, str(pack[0]))
    assert code == 0 and "not checked: the signature (manifest.sig)" in text


def test_a_changed_byte_fails(pack, tmp_path, capsys):
    bank, _ = _keys(tmp_path)
    (pack[1] / "cases.csv").write_bytes(PACK_FILES["cases.csv"].replace(b"open", b"shut"))
    code, text = _verify(capsys, str(_rebuild(pack)), "--public-key", bank)
    assert code == 1 and "cases.csv: sha256" in text and "(altered)" in text


def test_a_removed_file_fails(pack, tmp_path, capsys):
    (pack[1] / "peers" / "comparison.csv").unlink()
    code, text = _verify(capsys, str(_rebuild(pack)))
    assert code == 1 and "peers/comparison.csv: listed in the manifest but absent" in text


def test_an_added_file_fails_but_manifest_sig_is_the_one_unlisted_file_allowed(pack, tmp_path, capsys):
    (pack[1] / "other-agency.csv").write_bytes(b"agency_id\nAG02\n")
    code, text = _verify(capsys, str(_rebuild(pack)))
    assert code == 1 and "other-agency.csv: present but not listed" in text
    assert "manifest.sig: present" not in text


def test_a_wrong_public_key_fails(pack, tmp_path, capsys):
    _, other = _keys(tmp_path)
    code, text = _verify(capsys, str(pack[0]), "--public-key", other)
    assert code == 1 and "not the given public key" in text


def test_a_missing_signature_fails_when_a_public_key_is_given(pack, tmp_path, capsys):
    bank, _ = _keys(tmp_path)
    (pack[1] / "manifest.sig").unlink()
    path = _rebuild(pack)
    code, text = _verify(capsys, str(path), "--public-key", bank)
    assert code == 1 and "manifest.sig: missing" in text
    code, text = _verify(capsys, str(path))                          # no key: intact, but says unsigned
    assert code == 0 and "unsigned" in text


def test_a_manifest_edited_to_match_an_edited_file_fails_by_its_signature(pack, tmp_path, capsys):
    bank, _ = _keys(tmp_path)
    changed = PACK_FILES["AG01.html"].replace(b"91.5 (A)", b"99.9 (A)")
    (pack[1] / "AG01.html").write_bytes(changed)
    manifest = json.loads((pack[1] / "manifest.json").read_text())
    manifest["outputs"]["AG01.html"] = hashlib.sha256(changed).hexdigest()
    (pack[1] / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    path = _rebuild(pack)
    assert _verify(capsys, str(path))[0] == 0                        # the hashes alone now agree ...
    code, text = _verify(capsys, str(path), "--public-key", bank)    # ... the signature does not
    assert code == 1 and "does not match manifest.json" in text


def test_a_zip_with_a_duplicate_or_escaping_entry_fails(tmp_path, capsys):
    folder = _write_folder(tmp_path / "AG01", PACK_FILES, "share_pack")
    path = _zip(folder, tmp_path / "AG01.zip")
    with zipfile.ZipFile(path, "a") as archive, pytest.warns(UserWarning, match="Duplicate name"):
        archive.writestr("cases.csv", b"case_id\n")
    code, text = _verify(capsys, str(path))
    assert code == 1 and "cases.csv: present more than once" in text

    path = _zip(folder, tmp_path / "AG01b.zip")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("../outside.txt", b"x")
    code, text = _verify(capsys, str(path))
    assert code == 1 and "a path outside the pack's folder" in text


def test_a_file_that_is_not_a_zip_fails(tmp_path, capsys):
    (tmp_path / "AG01.zip").write_bytes(b"not a zip")
    code, text = _verify(capsys, str(tmp_path / "AG01.zip"))
    assert code == 1 and "not a readable zip file" in text


def test_a_review_folder_verifies_and_its_packs_are_verified_as_packs(tmp_path, capsys):
    bank, other = _keys(tmp_path)
    pack = _zip(_write_folder(tmp_path / "build" / "AG01", PACK_FILES, "share_pack"), tmp_path / "AG01.zip")
    review_files = {"scores.csv": b"agency_id,overall\nAG01,91.5\nAG02,80.0\n", "index.html": b"<html></html>\n",
                    "share/AG01.zip": pack.read_bytes()}
    review = _write_folder(tmp_path / "reviews" / "2026-11", review_files, "review")
    code, text = _verify(capsys, str(review), "--public-key", bank)
    assert code == 0 and "review verified" in text, text
    assert _verify(capsys, str(review), "--public-key", other)[0] == 1

    # A pack replaced by one signed with another key, its hash updated in a review re-signed by
    # the bank: the review's own files agree, the pack does not.
    forged = _zip(_write_folder(tmp_path / "build2" / "AG01", PACK_FILES, "share_pack", key=OTHER_KEY),
                  tmp_path / "forged.zip")
    review_files["share/AG01.zip"] = forged.read_bytes()
    review = _write_folder(tmp_path / "reviews" / "2026-11", review_files, "review")
    code, text = _verify(capsys, str(review), "--public-key", bank)
    assert code == 1 and "share/AG01.zip: manifest.sig: made with the key" in text


def test_a_pack_whose_manifest_is_of_another_kind_fails(tmp_path, capsys):
    path = _zip(_write_folder(tmp_path / "AG01", PACK_FILES, "review"), tmp_path / "AG01.zip")
    code, text = _verify(capsys, str(path))
    assert code == 1 and "kind 'review', not share_pack" in text


def test_chain_with_anything_but_the_reports_root_is_a_usage_error(tmp_path, capsys):
    folder = _write_folder(tmp_path / "AG01", PACK_FILES, "share_pack")
    code, text = _verify(capsys, str(folder), "--chain", "2026-11-01..2026-11-30")
    assert code == 2 and "--chain checks the reports root" in text
    code, text = _verify(capsys, str(tmp_path / "nowhere"))
    assert code == 2 and "does not exist" in text


def test_a_pack_says_whose_it_is_and_fails_under_another_agency_s_name(tmp_path, capsys):
    built = _write_folder(tmp_path / "build" / "AG02", PACK_FILES, "share_pack")
    code, text = _verify(capsys, str(_zip(built, tmp_path / "AG02.zip")))
    assert code == 0, text
    assert "share pack of agency AG02 for 2026-11 (2026-11-01 to 2026-11-30), data as of 2026-12-01T02:10:00+08:00" \
        in text
    code, text = _verify(capsys, str(_zip(built, tmp_path / "AG01.zip")))       # AG02's pack handed over as AG01's
    assert code == 1 and "AG01.zip: the pack of agency AG02 (its manifest's agency_id) is named for AG01" in text
    nameless = _write_folder(tmp_path / "build" / "AG03", PACK_FILES, "share_pack", agency_id="")
    code, text = _verify(capsys, str(_zip(nameless, tmp_path / "AG03.zip")))
    assert code == 1 and "no agency_id, so nothing says whose pack this is" in text


def test_a_review_names_the_daily_reports_replaced_since_it_was_made(tmp_path, capsys):
    out = tmp_path / "out"
    day = out / "2026-11-01"
    day.mkdir(parents=True)
    (day / "manifest.json").write_bytes(b'{"run_id": "first", "outputs": {}}\n')
    read = hashlib.sha256((day / "manifest.json").read_bytes()).hexdigest()
    review = _write_folder(tmp_path / "reviews" / "2026-11", {"index.html": b"<html></html>\n"}, "review",
                           reports=str(out), daily_manifests=[{"date": "2026-11-01", "path": "2026-11-01/manifest.json",
                                                               "sha256": read}])
    code, text = _verify(capsys, str(review))
    assert code == 0 and "review of 2026-11 (2026-11-01 to 2026-11-30)" in text and "replaced" not in text
    (day / "superseded" / "first").mkdir(parents=True)                    # a rerun of the day keeps the old report
    (day / "manifest.json").rename(day / "superseded" / "first" / "manifest.json")
    (day / "manifest.json").write_bytes(b'{"run_id": "second", "outputs": {}}\n')
    code, text = _verify(capsys, str(review))
    assert code == 0, text
    assert (f"daily report 2026-11-01: replaced since the review; the report of 2026-11-01 the review read is "
            f"superseded (run first, manifest {read[:12]}…, kept at 2026-11-01/superseded/first/)") in text
    assert _verify(capsys, str(review), "--strict-inputs")[0] == 1


def test_a_manifest_nested_too_deeply_is_not_a_manifest(tmp_path, capsys):
    deep = b"[" * 200_000 + b"]" * 200_000
    report = tmp_path / "2026-11-27"
    report.mkdir()
    (report / "manifest.json").write_bytes(deep)
    code, text = _verify(capsys, str(report))
    assert code == 1 and "not a manifest" in text and "Traceback" not in text
    folder = _write_folder(tmp_path / "AG01", PACK_FILES, "share_pack")
    (folder / "manifest.json").write_bytes(deep)
    code, text = _verify(capsys, str(_zip(folder, tmp_path / "AG01.zip")))
    assert code == 1 and "not a manifest" in text
    (folder / "manifest.sig").write_bytes(deep)
    code, text = _verify(capsys, str(_zip(folder, tmp_path / "AG01.zip")), "--public-key", _keys(tmp_path)[0])
    assert code == 1 and "not a manifest" in text
