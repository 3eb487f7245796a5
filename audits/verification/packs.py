"""verify, a review folder or an agency share pack (review.md §§1-3), as a folder or a `.zip`.

Their manifest.json says what they are (`kind`: "review" or "share_pack") and lists every file
with its sha256 under `outputs` (relative path -> sha256, as a daily manifest does). Verifying
one checks that every listed file is present and matches, that no other file is present but
manifest.sig, and, given the bank's public key, that manifest.sig is its valid signature. A
pack verifies on its own: the agency needs only the pack, the public key and this command.
A review folder's packs (listed `share/*.zip`) are verified as packs too, and its superseded/
holds exactly the reviews it replaced: each found along the `supersedes` chain by its
manifest's sha256 and intact by its own manifest (as a daily report's superseded/ is checked).

A pack says whose it is: its manifest's `agency_id`, and the file the bank hands over is
`<agency_id>.zip`; a pack named for another agency (AG02's pack renamed AG01.zip) fails.

A zip is read as it is, never extracted: an entry whose name could land outside the folder it
were extracted to (absolute, `..`, a drive or backslash path) or that appears twice (extractors
disagree on which copy wins) fails the pack.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from audits.manifest import MANIFEST, SIGNATURE, load_json, sha256_path
from audits.models import agency_file_stem
from audits.signing import signature_problems

if TYPE_CHECKING:                     # only audits.signing imports cryptography
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

KINDS = ("review", "share_pack")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_MAX_READ = 64 * 1024 ** 2
SUPERSEDED = "superseded/"            # the largest manifest.json or manifest.sig read whole from a zip


class FolderFiles:
    """The files of an extracted pack or a review folder, by relative POSIX path."""

    def __init__(self, root: Path):
        self.root = root

    def names(self) -> list[str]:
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file())

    def read(self, name: str) -> bytes | None:
        path = self.root / name
        return path.read_bytes() if path.is_file() else None

    def sha256(self, name: str) -> str | None:
        path = self.root / name
        return sha256_path(path) if path.is_file() else None


class ZipFiles:
    """The entries of a pack's zip file (directory entries aside), read without extracting."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.entries = [info for info in archive.infolist() if not info.is_dir()]

    def names(self) -> list[str]:
        return sorted(info.filename for info in self.entries)

    def read(self, name: str) -> bytes | None:
        """A small entry's bytes (the manifest, its signature); ValueError when it would inflate
        beyond _MAX_READ (zip's sizes bound what it inflates), so no pack can exhaust memory."""
        info = self.archive.NameToInfo.get(name)
        if info is None:
            return None
        if info.file_size > _MAX_READ:
            raise ValueError(f"{name} would inflate to {info.file_size} bytes; no manifest is that large")
        return self.archive.read(info)

    def sha256(self, name: str) -> str | None:
        if name not in self.archive.NameToInfo:
            return None
        digest = hashlib.sha256()
        with self.archive.open(name) as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


def verify_pack_or_review(path: Path, public_key: Ed25519PublicKey | None) -> tuple[list[str], list[str], str]:
    """(problems, notes, kind) of a review folder, or a share pack as a folder or a .zip file."""
    if path.is_file():
        return _verify_zip(path, public_key)
    problems, notes, kind = _verify_source(FolderFiles(path), public_key, expect=None, skip_prefix=SUPERSEDED)
    if kind == "share_pack":
        problems += owner_problems(None, _read_manifest(FolderFiles(path), [])[1])
    if kind == "review":
        listed = _read_manifest(FolderFiles(path), [])[1] or {}
        for name in sorted(listed.get("outputs", {})):
            if name.startswith("share/") and name.lower().endswith(".zip") and (path / name).is_file():
                inner, _notes, _kind = _verify_zip(path / name, public_key)    # notes: as the review's
                problems += [f"{name}: {p}" for p in inner]
        problems += superseded_review_problems(path, listed)
    return problems, notes, kind


def kept_folders(report: Path) -> tuple[dict[str, Path], list[Path]]:
    """What a report's or a review's superseded/ holds: its folders with a manifest, by the
    manifest's sha256, and anything else (a file, a folder without a manifest)."""
    folder = report / SUPERSEDED
    by_hash: dict[str, Path] = {}
    strays: list[Path] = []
    for child in sorted(folder.iterdir()) if folder.is_dir() else []:
        if child.is_dir() and (child / MANIFEST).is_file():
            by_hash[sha256_path(child / MANIFEST)] = child
        else:
            strays.append(child)
    return by_hash, strays


def superseded_review_problems(review: Path, manifest: dict) -> list[str]:
    """superseded/ holds exactly the reviews this one replaced, each found along the
    `supersedes` chain by its manifest's sha256 and intact by its own manifest (its packs
    included). An older review was signed, or not, by the key of its day: not checked here."""
    by_hash, strays = kept_folders(review)
    problems = [f"{SUPERSEDED}{child.name}: not a review this one replaced (added)." for child in strays]
    reached: set[Path] = set()
    link = manifest.get("supersedes")
    while isinstance(link, dict) and link:
        child = by_hash.get(str(link.get("manifest_sha256")))
        if child is None:
            problems.append(f"the review this one replaced (manifest sha256 {str(link.get('manifest_sha256'))[:12]}…): "
                            f"not under {SUPERSEDED} (removed or altered).")
            break
        if child in reached:
            break
        reached.add(child)
        inner, _notes, kind = _verify_source(FolderFiles(child), None, expect="review")
        problems += [f"{SUPERSEDED}{child.name}: {p}" for p in inner]
        older = _read_manifest(FolderFiles(child), [])[1] or {}
        for name in sorted(older.get("outputs", {})):
            if name.startswith("share/") and name.lower().endswith(".zip") and (child / name).is_file():
                problems += [f"{SUPERSEDED}{child.name}/{name}: {p}" for p in _verify_zip(child / name, None)[0]]
        link = older.get("supersedes")
    for child in sorted(set(by_hash.values()) - reached):
        problems.append(f"{SUPERSEDED}{child.name}: not a review this one replaced (its manifest is not in the "
                        "chain of `supersedes`; added).")
    return problems


def _verify_zip(path: Path, public_key: Ed25519PublicKey | None) -> tuple[list[str], list[str], str]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [f"{path.name}: not a readable zip file ({exc})."], [], "share_pack"
    with archive:
        source = ZipFiles(archive)
        problems = _unsafe_entries(source)
        try:
            more, notes, kind = _verify_source(source, public_key, expect="share_pack")
            more += owner_problems(path.name, _read_manifest(source, [])[1])
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, ValueError) as exc:   # damaged, encrypted
            return problems + [f"{path.name}: an entry cannot be read ({exc})."], [], "share_pack"
    return problems + more, notes, kind


def owner_problems(file_name: str | None, manifest: dict | None) -> list[str]:
    """A pack names its agency (`agency_id`), and its file name, when given (`<agency_id>.zip`
    as the review writes it), names the same one."""
    if manifest is None or manifest.get("kind") != "share_pack":
        return []
    agency = manifest.get("agency_id")
    if not isinstance(agency, str) or not agency.strip():
        return [f"{MANIFEST}: no agency_id, so nothing says whose pack this is."]
    stem = agency_file_stem(agency)
    named = re.match(r"[A-Za-z0-9_-]*", PurePosixPath(file_name).stem).group() if file_name else stem
    if named != stem:
        return [f"{printable(file_name)}: the pack of agency {printable(agency)} (its manifest's agency_id) is named "
                f"for {printable(named) or 'no agency'}: it was renamed, or it is not the pack of the agency its name "
                f"says. The bank hands over {stem}.zip."]
    return []


def printable(value: object, limit: int = 64) -> str:
    """Text from a manifest as a message may show it: cut, control characters replaced."""
    return "".join(ch if ch.isprintable() else "?" for ch in str(value)[:limit])


def pack_manifest(path: Path) -> dict | None:
    """The manifest of a pack (.zip or folder) or a review folder, None when unreadable."""
    try:
        if path.is_file():
            with zipfile.ZipFile(path) as archive:
                data = ZipFiles(archive).read(MANIFEST)
        else:
            data = FolderFiles(path).read(MANIFEST)
        manifest = load_json(data) if data is not None else None
    except (OSError, ValueError, zipfile.BadZipFile, RuntimeError, NotImplementedError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _unsafe_entries(source: ZipFiles) -> list[str]:
    """Entries an extractor would put outside the pack's folder (folder entries too), and names
    given twice."""
    problems, seen = [], set()
    for info in source.archive.infolist():
        name = info.filename
        parts = PurePosixPath(name).parts
        if name.startswith("/") or "\\" in name or ".." in parts or re.match(r"[A-Za-z]:", name):
            problems.append(f"entry {name!r}: a path outside the pack's folder; no pack the audit writes has it.")
        if name in seen:
            problems.append(f"entry {name}: present more than once (which copy an extractor keeps differs).")
        seen.add(name)
    return problems


def _read_manifest(source, problems: list[str]) -> tuple[bytes | None, dict | None]:
    data = source.read(MANIFEST)
    if data is None:
        problems.append(f"{MANIFEST}: missing, so nothing says what the pack or review holds.")
        return None, None
    try:
        manifest = load_json(data)
    except ValueError as exc:
        problems.append(f"{MANIFEST}: not a manifest ({printable(exc, 80)}).")
        return data, None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("outputs"), dict):
        problems.append(f"{MANIFEST}: no `outputs` mapping of relative path to sha256.")
        return data, None
    return data, manifest


def _verify_source(source, public_key: Ed25519PublicKey | None, *, expect: str | None,
                   skip_prefix: str | None = None) -> tuple[list[str], list[str], str]:
    problems: list[str] = []
    notes: list[str] = []
    data, manifest = _read_manifest(source, problems)
    kind = str((manifest or {}).get("kind", expect or "review"))
    if manifest is not None:
        if manifest.get("kind") not in KINDS or (expect and manifest.get("kind") != expect):
            wanted = expect or " or ".join(KINDS)
            problems.append(f"{MANIFEST}: kind {str(manifest.get('kind'))[:40]!r}, not {wanted}.")
        review = manifest.get("kind") == "review"
        problems += listed_file_problems(source, manifest["outputs"], skip_prefix=skip_prefix if review else None)
    if data is not None:
        signature = source.read(SIGNATURE)
        if public_key is not None:
            problems += signature_problems(data, signature, public_key)
        elif signature is not None:
            notes.append(f"the signature ({SIGNATURE}): pass --public-key with the bank's public key to check who "
                         "made this.")
        else:
            notes.append(f"who made this: it has no {SIGNATURE} (unsigned); its files are intact by its manifest.")
    return problems, notes, kind


def listed_file_problems(source, outputs: dict, *, skip_prefix: str | None = None) -> list[str]:
    """Every listed file present with its sha256, and no file present that is not listed but
    the manifest and its signature (and, with `skip_prefix`, files under that folder, which
    are checked otherwise: a daily report's superseded/)."""
    problems = []
    for name, digest in sorted(outputs.items()):
        parts = PurePosixPath(name).parts
        if not parts or name.startswith("/") or ".." in parts \
                or name in (MANIFEST, SIGNATURE) or (skip_prefix and name.startswith(skip_prefix)):
            problems.append(f"{name}: not a path a manifest lists its files at.")
            continue
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            problems.append(f"{name}: the manifest's sha256 {str(digest)[:20]!r} is not a sha256.")
            continue
        try:
            actual = source.sha256(name)
        except OSError as exc:
            problems.append(f"{name}: cannot be read ({exc.strerror or exc}).")
            continue
        if actual is None:
            problems.append(f"{name}: listed in the manifest but absent (removed).")
        elif actual != digest:
            problems.append(f"{name}: sha256 {actual[:12]}… differs from the manifest's {digest[:12]}… (altered).")
    for name in source.names():
        if name not in outputs and name not in (MANIFEST, SIGNATURE) \
                and not (skip_prefix and name.startswith(skip_prefix)):
            problems.append(f"{name}: present but not listed in the manifest (added).")
    return problems
