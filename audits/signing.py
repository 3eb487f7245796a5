"""Proof of origin (review.md §3): Ed25519 signatures of manifests, the signing key pair, and the
daily manifest chain (`previous_manifest`). Checking them is audits.verification.

What is signed: the exact bytes of `manifest.json` as written (UTF-8 JSON, two-space indent,
a final newline), not a re-serialisation of its content. Nothing has to agree on a canonical
JSON form (key order, number or Unicode spelling), a verifier hashes the file it has, and
anyone can check a signature with standard tools (`openssl pkeyutl -verify -rawin`) as well as
with `python -m audits verify`. Changing a single byte of the manifest, even white space,
breaks the signature, as it should.

`manifest.sig`, beside the manifest, is a small JSON document: the algorithm, the file it signs,
that file's sha256, the public key's fingerprint (sha256 of the raw 32-byte Ed25519 public key,
hex) and the signature (64 bytes, base64). It cannot be listed in the manifest it signs, so
every verifier accepts exactly this one unlisted file.

The private key is a PEM file (PKCS#8, unencrypted, mode 0600) named by AUDIT_SIGNING_KEY; it is
read only at the edges (the CLI, the DAG), once per run, and handed down. No message ever holds
key material or the content of a key file, only paths and fingerprints.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audits import atomic
from audits.config import ConfigError
from audits.manifest import MANIFEST, SIGNATURE, load_json, manifest_bytes, sha256_bytes, sha256_path

SIGNING_KEY_VARIABLE = "AUDIT_SIGNING_KEY"
SIGNING_CONNECTION = "audit_signing_key"           # the Airflow connection the DAGs read first
PRIVATE_KEY_FILE = "signing-key.pem"
PUBLIC_KEY_FILE = "signing-key.pub.pem"
ALGORITHM = "Ed25519"
UNSIGNED_NOTICE = (f"NOTE: {SIGNING_KEY_VARIABLE} is not set, so the manifests of this run are not signed (no "
                   f"{SIGNATURE}). To sign them, make a key pair with `python -m audits keygen DIR` and set "
                   f"{SIGNING_KEY_VARIABLE}=DIR/{PRIVATE_KEY_FILE}.")


class SigningKeyError(ConfigError):
    """A signing or public key that cannot be used; the message names the file, never its content."""


# --- keys --------------------------------------------------------------------------------------

def public_key_fingerprint(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """sha256 (hex) of the raw 32-byte public key: names a key pair without revealing anything."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return sha256_bytes(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def signing_key_from_pem(data: bytes, *, where: str) -> Ed25519PrivateKey:
    """The Ed25519 private key of PEM `data`; SigningKeyError saying what `where` holds instead."""
    if b"-----BEGIN PUBLIC KEY-----" in data:
        raise SigningKeyError(f"{where} holds a public key; signing needs the private key ({PRIVATE_KEY_FILE}, "
                              f"written by `python -m audits keygen DIR`).")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise SigningKeyError(f"{where} holds a private key encrypted with a passphrase; the audit reads an "
                              "unencrypted PEM key (protect it with mode 0600 or your secrets manager).") from None
    except (ValueError, UnsupportedAlgorithm):
        raise SigningKeyError(f"{where} does not hold a PEM private key. Make one with `python -m audits keygen "
                              f"DIR` and use DIR/{PRIVATE_KEY_FILE}.") from None
    if not isinstance(key, Ed25519PrivateKey):
        kind = type(key).__name__.removeprefix("_").replace("PrivateKey", "")
        raise SigningKeyError(f"{where} holds a key of type {kind}, not Ed25519. Make one with `python -m audits "
                              "keygen DIR`.")
    return key


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PEM file at `path` (SigningKeyError when unusable); a
    warning on stderr when others than its owner may read or write the file."""
    key = signing_key_from_pem(_read_key_file(path, "the signing key"), where=f"the signing key file {path}")
    warning = exposed_key_warning(path)
    if warning:
        print(warning, file=sys.stderr)
    return key


def exposed_key_warning(path: Path) -> str | None:
    """Words when the key file's mode lets its group or other users at it (names the file and
    the fix, never its content); None when only its owner may."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None
    if not mode & 0o077:
        return None
    return (f"WARNING: the signing key file {path} has mode {mode:04o}: users other than its owner may read it, and "
            f"whoever reads it can sign reports as the bank. Run `chmod 600 {path}` (as the account that runs the "
            "audit), and make a new key pair if others may already have read it.")


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The Ed25519 public key in the PEM file at `path` (SigningKeyError when unusable)."""
    data = _read_key_file(path, "the public key")
    where = f"the public key file {path}"
    if b"PRIVATE KEY-----" in data:
        raise SigningKeyError(f"{where} holds a private key: pass the public key ({PUBLIC_KEY_FILE}) instead, and "
                              "keep the private key where only the audit can read it.")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise SigningKeyError(f"{where} does not hold a PEM public key (expected {PUBLIC_KEY_FILE} as written by "
                              "`python -m audits keygen DIR`).") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(f"{where} holds a public key of another kind than Ed25519.")
    return key


def _read_key_file(path: Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise SigningKeyError(f"{what} file {path} does not exist.") from None
    except IsADirectoryError:
        raise SigningKeyError(f"{what} file {path} is a folder, not a file.") from None
    except OSError as exc:
        raise SigningKeyError(f"{what} file {path} cannot be read ({exc.strerror or type(exc).__name__}).") from None


def signing_key_from_environment(environ: Mapping[str, str] | None = None, *,
                                 announce: bool = True) -> Ed25519PrivateKey | None:
    """The key in the file named by AUDIT_SIGNING_KEY; None when it is unset, saying so on stderr
    when `announce` (False: only checking that a configured key is usable).

    For the edges only (the CLI, a DAG task), once per run: the caller passes the key down and
    signs every manifest of the run with it, so the notice appears once. A variable that is set
    but names no usable key is an error (SigningKeyError), never an unsigned run."""
    name = (os.environ if environ is None else environ).get(SIGNING_KEY_VARIABLE, "").strip()
    if not name:
        if announce:
            print(UNSIGNED_NOTICE, file=sys.stderr)
        return None
    try:
        return load_signing_key(Path(name))
    except SigningKeyError as exc:
        raise SigningKeyError(f"{SIGNING_KEY_VARIABLE} names no usable key: {exc} Fix the variable, or unset it "
                              "to publish unsigned manifests.") from None


def signing_key_from_connection(password: str | None, extra: Mapping | None) -> Ed25519PrivateKey:
    """The key of the Airflow connection `audit_signing_key`, from its fields (no Airflow import
    here): extra `private_key` (PEM text), else extra `key_file` (a path on every worker), else
    the password (PEM text). PEM pasted on one line with literal \\n is accepted."""
    extra = dict(extra or {})
    where = f"the Airflow connection {SIGNING_CONNECTION}"
    if extra.get("private_key"):
        return signing_key_from_pem(_pem_text(str(extra["private_key"])), where=f"{where} (extra private_key)")
    if extra.get("key_file"):
        try:
            return load_signing_key(Path(str(extra["key_file"])))
        except SigningKeyError as exc:
            raise SigningKeyError(f"{where} (extra key_file): {exc}") from None
    if password:
        return signing_key_from_pem(_pem_text(password), where=f"{where} (password)")
    raise SigningKeyError(f"{where} holds no key: put the PEM private key in its password, or in its extra as "
                          "private_key (PEM text) or key_file (a path every worker can read).")


def _pem_text(text: str) -> bytes:
    text = text.strip()
    if "\n" not in text and "\\n" in text:
        text = text.replace("\\n", "\n")
    return text.encode("ascii", errors="replace") + b"\n"


@dataclass(frozen=True)
class KeyPair:
    private: Path
    public: Path
    fingerprint: str


def write_key_pair(folder: Path) -> KeyPair:
    """A new Ed25519 key pair: folder/signing-key.pem (private, PKCS#8 PEM, created with mode
    0600 so it is never readable by others, not even for an instant) and
    folder/signing-key.pub.pem (public, 0644). FileExistsError, writing nothing, when either
    exists: a key that signed reports is never overwritten. The folder is made (0700) if absent."""
    folder = Path(folder)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    private, public = folder / PRIVATE_KEY_FILE, folder / PUBLIC_KEY_FILE
    existing = [str(p) for p in (private, public) if os.path.lexists(p)]
    if existing:
        verb = "exist" if len(existing) > 1 else "exists"
        raise FileExistsError(f"{' and '.join(existing)} already {verb}; refusing to overwrite a key. Choose another "
                              "folder, or move the old key pair away first (reports it signed need its public key to "
                              "verify).")
    key = Ed25519PrivateKey.generate()
    _create(private, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()), 0o600)
    try:
        _create(public, key.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo), 0o644)
    except BaseException:
        private.unlink(missing_ok=True)
        raise
    return KeyPair(private=private, public=public, fingerprint=public_key_fingerprint(key))


def _create(path: Path, data: bytes, mode: int) -> None:
    """A new file (never an existing one, never through a link) with exactly `mode`."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC, mode)
    try:
        os.fchmod(fd, mode)                       # exactly: the umask may only have removed bits
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


# --- signing and checking a manifest -----------------------------------------------------------

def signature_document(manifest_bytes: bytes, key: Ed25519PrivateKey) -> bytes:
    """The content of manifest.sig for a manifest of exactly `manifest_bytes` (write it beside the
    manifest, or into a zip as `manifest.sig` beside `manifest.json`)."""
    document = {"algorithm": ALGORITHM, "signed_file": MANIFEST, "signed_sha256": sha256_bytes(manifest_bytes),
                "public_key_sha256": public_key_fingerprint(key),
                "signature": base64.b64encode(key.sign(manifest_bytes)).decode("ascii")}
    return (json.dumps(document, indent=2) + "\n").encode("ascii")


def write_signature(folder: Path, manifest_bytes: bytes, key: Ed25519PrivateKey) -> Path:
    """Write folder/manifest.sig for manifest bytes about to be (or already) written there;
    atomically (written aside, then renamed)."""
    return atomic.write_bytes(Path(folder) / SIGNATURE, signature_document(manifest_bytes, key))


def write_manifest(report_dir: Path, manifest: dict, *, signing_key=None) -> None:
    """Write report_dir/manifest.json (atomically); with `signing_key`, manifest.sig first, so
    that a folder holding its manifest is always complete, signature included."""
    data = manifest_bytes(manifest)
    if signing_key is not None:
        write_signature(report_dir, data, signing_key)
    staging = report_dir / f".{MANIFEST}.tmp"
    staging.write_bytes(data)
    staging.replace(report_dir / MANIFEST)


def sign_manifest(manifest_path: Path, key: Ed25519PrivateKey | None) -> Path | None:
    """Sign the manifest file at `manifest_path` as it is now: manifest.sig beside it. None (and
    nothing written) when `key` is None, i.e. signing is not configured."""
    if key is None:
        return None
    manifest_path = Path(manifest_path)
    return write_signature(manifest_path.parent, manifest_path.read_bytes(), key)


def signature_problems(manifest_bytes: bytes, document: bytes | None, public_key: Ed25519PublicKey, *,
                       label: str = "") -> list[str]:
    """[] when `document` (manifest.sig's bytes; None when absent) is a valid signature of
    `manifest_bytes` by `public_key`; else what is wrong, each prefixed with `label`."""
    if document is None:
        return [f"{label}{SIGNATURE}: missing, so the manifest is not signed; a public key was given, so a signature "
                "by it is required."]
    try:
        fields = load_json(document)
        signature = base64.b64decode(str(fields["signature"]), validate=True)
        algorithm, signer = fields.get("algorithm"), str(fields.get("public_key_sha256", ""))
    except (UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError, binascii.Error):
        return [f"{label}{SIGNATURE}: not a signature file (JSON with a base64 `signature` expected)."]
    if algorithm != ALGORITHM:
        return [f"{label}{SIGNATURE}: algorithm {str(algorithm)[:40]!r}, not {ALGORITHM}."]
    expected = public_key_fingerprint(public_key)
    if signer != expected:
        return [f"{label}{SIGNATURE}: made with the key of fingerprint {signer[:16]}…, not the given public key "
                f"({expected[:16]}…); the manifest was not signed by that key."]
    try:
        public_key.verify(signature, manifest_bytes)
    except InvalidSignature:
        return [f"{label}{SIGNATURE}: the signature does not match {MANIFEST} (the manifest was changed after it was "
                "signed, or the signature is not genuine)."]
    if fields.get("signed_sha256") != sha256_bytes(manifest_bytes):
        return [f"{label}{SIGNATURE}: its signed_sha256 is not the sha256 of {MANIFEST} (the signature file was "
                "edited)."]
    return []


# --- the chain of daily manifests ---------------------------------------------------------------

def previous_manifest(out: Path, day: dt.date) -> dict:
    """What the manifest of `day` records of the previous day's published manifest: the day
    before (always exactly D−1: the audit reports every calendar day), the sha256 of
    <out>/<D−1>/manifest.json as published now, and its run id; sha256 and run_id are null when no
    report of D−1 is published (the first day, or D audited before D−1: rerun D once D−1 is
    published to link them).

    Read without D−1's lock: a run of D−1 publishing at this very moment may be named as it was
    before; `verify --chain` then names D as linked to a superseded report of D−1 (rerun D).
    Days published in order, as the rolling rules need anyway, are always linked."""
    before = (day - dt.timedelta(days=1)).isoformat()
    path = Path(out) / before / MANIFEST
    try:
        digest = sha256_path(path)
        run_id = load_json(path.read_bytes()).get("run_id")
    except (FileNotFoundError, NotADirectoryError):
        return {"audit_date": before, "sha256": None, "run_id": None}
    except (ValueError, UnicodeDecodeError, AttributeError):
        run_id = None                                 # hashed as published; verify will say what is wrong with it
    return {"audit_date": before, "sha256": digest, "run_id": run_id if isinstance(run_id, str) else None}


def unlinked_note(manifest: dict, out: Path) -> str | None:
    """A sentence for the run's output when the manifest names no previous report, else None."""
    link = manifest.get("previous_manifest") or {}
    if link.get("sha256"):
        return None
    day = link.get("audit_date", "the previous day")
    return (f"note: no report of {day} is published in {out}, so this report's previous_manifest names none (the "
            f"chain of manifests starts here). If {day} is audited later, rerun {manifest.get('audit_date')} "
            "afterwards to link the two; `python -m audits verify OUT --chain FROM..TO` checks the chain.")
