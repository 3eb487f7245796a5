"""Proof of origin (review.md §3): key pairs, signatures of a manifest's exact bytes, the signing
key from the environment or an Airflow connection's fields, and the daily chain link."""

from __future__ import annotations

import ast
import base64
import datetime as dt
import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audits.cli import main as cli
from audits.manifest import sha256_bytes
from audits.signing import (
    SIGNATURE,
    SigningKeyError,
    load_public_key,
    load_signing_key,
    previous_manifest,
    public_key_fingerprint,
    sign_manifest,
    signature_document,
    signature_problems,
    signing_key_from_connection,
    signing_key_from_environment,
    write_manifest,
)
from tests.landing import DAY, call, make_landing

REPO = Path(__file__).resolve().parents[1]
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))            # literal keys: reproducible
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
MANIFEST_BYTES = b'{\n  "audit_date": "2026-11-27",\n  "outputs": {\n    "scores.csv": "00"\n  }\n}\n'


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


# --- keygen --------------------------------------------------------------------------------------

@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_keygen_writes_a_private_key_0600_and_a_public_key_whatever_the_umask(tmp_path, capsys, umask):
    previous = os.umask(umask)
    try:
        assert cli(["keygen", str(tmp_path / "keys")]) == 0
    finally:
        os.umask(previous)
    private, public = tmp_path / "keys" / "signing-key.pem", tmp_path / "keys" / "signing-key.pub.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE(public.stat().st_mode) == 0o644
    key = load_signing_key(private)
    assert load_public_key(public).public_bytes_raw() == key.public_key().public_bytes_raw()
    out = capsys.readouterr().out
    assert public_key_fingerprint(key) in out                       # the fingerprint, never the key
    assert "BEGIN" not in out and private.read_text().splitlines()[1] not in out


def test_keygen_refuses_to_overwrite_either_file(tmp_path, capsys):
    folder = tmp_path / "keys"
    assert cli(["keygen", str(folder)]) == 0
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert cli(["keygen", str(folder)]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before

    (folder / "signing-key.pem").unlink()                           # the public key alone still blocks
    assert cli(["keygen", str(folder)]) == 2
    assert not (folder / "signing-key.pem").exists()


# --- signatures ----------------------------------------------------------------------------------

def test_a_signature_of_the_exact_bytes_verifies_with_its_public_key_only():
    document = signature_document(MANIFEST_BYTES, KEY)
    fields = json.loads(document)
    assert fields["algorithm"] == "Ed25519" and fields["signed_sha256"] == sha256_bytes(MANIFEST_BYTES)
    assert fields["public_key_sha256"] == sha256_bytes(KEY.public_key().public_bytes_raw())
    KEY.public_key().verify(base64.b64decode(fields["signature"]), MANIFEST_BYTES)   # plain Ed25519, no framing
    assert signature_problems(MANIFEST_BYTES, document, KEY.public_key()) == []

    changed = MANIFEST_BYTES.replace(b'"00"', b'"01"')
    assert "does not match manifest.json" in signature_problems(changed, document, KEY.public_key())[0]
    reformatted = json.dumps(json.loads(MANIFEST_BYTES)).encode()    # same content, other bytes
    assert signature_problems(reformatted, document, KEY.public_key()) != []
    assert "not the given public key" in signature_problems(MANIFEST_BYTES, document, OTHER_KEY.public_key())[0]
    assert "missing" in signature_problems(MANIFEST_BYTES, None, KEY.public_key())[0]
    assert "not a signature file" in signature_problems(MANIFEST_BYTES, b"garbage", KEY.public_key())[0]


def test_a_signature_file_claiming_the_right_key_with_a_forged_signature_fails():
    fields = json.loads(signature_document(MANIFEST_BYTES, OTHER_KEY))
    fields["public_key_sha256"] = public_key_fingerprint(KEY)       # names the bank's key, signed by another
    problems = signature_problems(MANIFEST_BYTES, json.dumps(fields).encode(), KEY.public_key())
    assert len(problems) == 1 and "not genuine" in problems[0]


def test_sign_manifest_writes_manifest_sig_beside_it_and_nothing_without_a_key(tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_bytes(MANIFEST_BYTES)
    assert sign_manifest(manifest, None) is None and not (tmp_path / SIGNATURE).exists()
    assert sign_manifest(manifest, KEY) == tmp_path / SIGNATURE
    assert signature_problems(MANIFEST_BYTES, (tmp_path / SIGNATURE).read_bytes(), KEY.public_key()) == []


def test_write_manifest_signs_the_bytes_it_writes(tmp_path):
    write_manifest(tmp_path, {"audit_date": "2026-11-27", "note": "华信"}, signing_key=KEY)
    assert signature_problems((tmp_path / "manifest.json").read_bytes(), (tmp_path / SIGNATURE).read_bytes(),
                              KEY.public_key()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json", SIGNATURE]    # no staging left


# --- where the key comes from --------------------------------------------------------------------

def test_without_the_variable_there_is_no_key_and_stderr_says_so(capsys):
    assert signing_key_from_environment({}) is None
    assert capsys.readouterr().err.count("AUDIT_SIGNING_KEY is not set") == 1
    assert signing_key_from_environment({"AUDIT_SIGNING_KEY": " "}, announce=False) is None   # checking only
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("content, says", [
    (b"-----BEGIN PRIVATE KEY-----\nc2VjcmV0LW1hdGVyaWFsLVhZWg==\n-----END PRIVATE KEY-----\n", "PEM private key"),
    (b"secret-material-XYZ", "PEM private key"),
    (None, "public key"),
    ("rsa", "not Ed25519"),
    ("encrypted", "passphrase"),
])
def test_an_unusable_key_file_is_an_error_naming_the_file_never_its_content(tmp_path, content, says):
    path = tmp_path / "key.pem"
    if content is None:
        content = _public_pem(KEY)
    elif content == "rsa":
        content = rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    elif content == "encrypted":
        content = KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.BestAvailableEncryption(b"pass"))
    path.write_bytes(content)
    with pytest.raises(SigningKeyError) as failed:
        signing_key_from_environment({"AUDIT_SIGNING_KEY": str(path)})
    message = str(failed.value)
    assert says in message and str(path) in message and "AUDIT_SIGNING_KEY" in message
    assert "secret-material" not in message and "c2VjcmV0" not in message and "BEGIN" not in message


def test_a_missing_key_file_is_an_error(tmp_path):
    with pytest.raises(SigningKeyError, match="does not exist"):
        signing_key_from_environment({"AUDIT_SIGNING_KEY": str(tmp_path / "nowhere.pem")})


def test_the_airflow_connection_holds_the_key_in_its_password_or_extra(tmp_path):
    pem = _pem(KEY).decode()
    fingerprint = public_key_fingerprint(KEY)
    assert public_key_fingerprint(signing_key_from_connection(pem, {})) == fingerprint
    one_line = pem.strip().replace("\n", "\\n")                        # as pasted into a one-line field
    assert public_key_fingerprint(signing_key_from_connection(None, {"private_key": one_line})) == fingerprint
    (tmp_path / "k.pem").write_text(pem)
    assert public_key_fingerprint(signing_key_from_connection("", {"key_file": str(tmp_path / "k.pem")})) \
        == fingerprint
    with pytest.raises(SigningKeyError, match="holds no key"):
        signing_key_from_connection("", {"unrelated": 1})
    with pytest.raises(SigningKeyError, match="audit_signing_key") as failed:
        signing_key_from_connection("not-a-pem-secret", {})
    assert "not-a-pem-secret" not in str(failed.value)


# --- the chain link ------------------------------------------------------------------------------

def test_previous_manifest_names_the_published_manifest_of_the_day_before_or_none(tmp_path):
    assert previous_manifest(tmp_path, dt.date(2026, 11, 27)) == {"audit_date": "2026-11-26", "sha256": None,
                                                                  "run_id": None}
    (tmp_path / "2026-11-25").mkdir()                                  # two days before: not the link
    (tmp_path / "2026-11-25" / "manifest.json").write_text('{"run_id": "r0"}\n')
    assert previous_manifest(tmp_path, dt.date(2026, 11, 27))["sha256"] is None
    (tmp_path / "2026-11-26").mkdir()
    (tmp_path / "2026-11-26" / "manifest.json").write_bytes(b'{"run_id": "r1"}\n')
    assert previous_manifest(tmp_path, dt.date(2026, 11, 27)) == {
        "audit_date": "2026-11-26", "sha256": sha256_bytes(b'{"run_id": "r1"}\n'), "run_id": "r1"}


# --- the CLI run --------------------------------------------------------------------------------

def _tiny_landing(tmp_path: Path) -> Path:
    return make_landing(tmp_path / "landing", {DAY: {"AG01": [call("c1", f"{DAY} 10:00:00")]}})


def _run(tmp_path: Path, run_id: str = "r1") -> int:
    return cli(["run", "--date", DAY.isoformat(), "--landing", str(tmp_path / "landing"), "--out",
                str(tmp_path / "out"), "--store", str(tmp_path / "store"), "--run-id", run_id, "--workers", "1"])


@pytest.mark.slow                       # two whole audits
def test_an_unsigned_run_says_so_once_on_stderr_and_a_signed_one_verifies(tmp_path, capsys, monkeypatch):
    _tiny_landing(tmp_path)
    monkeypatch.delenv("AUDIT_SIGNING_KEY", raising=False)
    capsys.readouterr()
    assert _run(tmp_path) == 0
    err = capsys.readouterr().err
    assert err.count("AUDIT_SIGNING_KEY is not set") == 1
    report = tmp_path / "out" / DAY.isoformat()
    assert not (report / SIGNATURE).exists()
    assert "previous_manifest names none" in err                          # the first day: the chain starts here

    (tmp_path / "k.pem").write_bytes(_pem(KEY))
    (tmp_path / "k.pub.pem").write_bytes(_public_pem(KEY))
    (tmp_path / "other.pub.pem").write_bytes(_public_pem(OTHER_KEY))
    assert cli(["verify", str(report), "--public-key", str(tmp_path / "k.pub.pem")]) == 1     # unsigned
    assert "manifest.sig: missing" in capsys.readouterr().err

    monkeypatch.setenv("AUDIT_SIGNING_KEY", str(tmp_path / "k.pem"))
    assert _run(tmp_path, "r2") == 0                                   # a rerun signs the new report
    captured = capsys.readouterr()
    assert "AUDIT_SIGNING_KEY is not set" not in captured.err
    assert "BEGIN" not in captured.out + captured.err
    assert (report / SIGNATURE).is_file() and not (report / "superseded" / "r1" / SIGNATURE).exists()
    assert cli(["verify", str(report), "--public-key", str(tmp_path / "k.pub.pem")]) == 0
    assert cli(["verify", str(report), "--public-key", str(tmp_path / "other.pub.pem")]) == 1
    assert "not the given public key" in capsys.readouterr().err
    assert cli(["verify", str(report)]) == 0                           # without a key: a note only
    assert "not checked: the signature (manifest.sig)" in capsys.readouterr().err


def test_a_run_whose_signing_key_is_unusable_publishes_nothing(tmp_path, capsys, monkeypatch):
    _tiny_landing(tmp_path)
    (tmp_path / "k.pem").write_bytes(_public_pem(KEY))
    monkeypatch.setenv("AUDIT_SIGNING_KEY", str(tmp_path / "k.pem"))
    assert _run(tmp_path) == 2
    assert "holds a public key" in capsys.readouterr().err
    assert not (tmp_path / "out" / DAY.isoformat()).exists()


# --- contract ------------------------------------------------------------------------------------

def test_only_signing_imports_cryptography_at_run_time():
    users = set()
    for path in sorted((REPO / "audits").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                       and getattr(node.test, "id", "") == "TYPE_CHECKING" for n in ast.walk(node)}
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if id(node) not in typing_only and any(n.split(".")[0] == "cryptography" for n in names):
                users.add(path.relative_to(REPO).as_posix())
    assert users == {"audits/signing.py"}


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_signing_key_others_can_read_is_used_with_a_warning_naming_the_file_and_the_fix(tmp_path, capsys, mode):
    path = tmp_path / "signing-key.pem"
    path.write_bytes(_pem(KEY))
    os.chmod(path, mode)
    key = signing_key_from_environment({"AUDIT_SIGNING_KEY": str(path)})
    assert public_key_fingerprint(key) == public_key_fingerprint(KEY)
    err = capsys.readouterr().err
    assert str(path) in err and f"chmod 600 {path}" in err and f"mode {mode:04o}" in err
    body = b"".join(_pem(KEY).splitlines()[1:-1]).decode()
    assert "PRIVATE KEY" not in err and body[:16] not in err
    os.chmod(path, 0o600)
    signing_key_from_environment({"AUDIT_SIGNING_KEY": str(path)})
    assert capsys.readouterr().err == ""
