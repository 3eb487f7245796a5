"""Publishing a review folder `<out>/reviews/<period>/`: written aside, then renamed into place,
one review of a period at a time (`<out>/reviews/.<period>.lock`).

A rerun over the same reports builds the same bytes: then the published review is left as it
is. A review that differs (a day was rerun, a report added) replaces it and keeps the one it
replaces under `superseded/<first 12 hex of its manifest's sha256>/`, named by the new
manifest's `supersedes`, as daily reports do.

Signing goes through `_sign`, the one call site for review and share-pack manifests.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

from audits import atomic, locks
from audits.manifest import MANIFEST, load_json, sha256_path
from audits.signing import sign_manifest

LOCK_WAIT_SECONDS = 1800.0


def _sign(manifest_path: Path, signing_key) -> None:
    """Sign `manifest_path` (Ed25519, `manifest.sig` beside it; review.md §3): every review and
    share-pack manifest is signed here and nowhere else. Without a key (None) it stays unsigned."""
    sign_manifest(manifest_path, signing_key)


def holding(reviews: Path, label: str, *, wait_seconds: float = LOCK_WAIT_SECONDS):
    reviews.mkdir(parents=True, exist_ok=True)
    return locks.hold(reviews / f".{label}.lock", what=f"the review {label} in {reviews}", wait_seconds=wait_seconds)


def staging_folder(reviews: Path, label: str) -> Path:
    """A fresh folder to build the review in, after finishing or removing what an interrupted
    run of the same period left (the caller holds the period's lock)."""
    final = reviews / label
    for left in sorted(reviews.glob(f".{label}.staging-*")):
        if not final.exists() and (left / MANIFEST).is_file():
            os.replace(left, final)                     # killed between the two renames of a publish
        else:
            shutil.rmtree(left, ignore_errors=True)
    staging = reviews / f".{label}.staging-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    return staging


def publish(staging: Path, final: Path, manifest: dict, signing_key=None) -> str:
    """Write the manifest (signed) and put the staged review in place. Returns what happened."""
    previous = final / MANIFEST
    if previous.is_file():
        try:
            old = load_json(previous.read_bytes())
        except ValueError:
            old = None                                   # not a manifest: replaced, and kept like any other
        if isinstance(old, dict) and {k: v for k, v in old.items() if k != "supersedes"} == manifest:
            shutil.rmtree(staging, ignore_errors=True)
            return "unchanged: the published review already holds exactly these outputs"
        kept = f"superseded/{sha256_path(previous)[:12]}/"
        manifest = {**manifest, "supersedes": {"manifest_sha256": sha256_path(previous), "kept_at": kept}}
    else:
        manifest = {**manifest, "supersedes": None}
    write_json(staging / MANIFEST, manifest)
    _sign(staging / MANIFEST, signing_key)
    kept = manifest["supersedes"]["kept_at"].rstrip("/").split("/", 1)[1] if manifest["supersedes"] else ""
    atomic.supersede_into(staging, final, kept)               # final absent: kept is not used
    return "published" if manifest["supersedes"] is None else f"published; the previous review is kept at " \
                                                               f"{manifest['supersedes']['kept_at']}"


def write_json(path: Path, document: dict) -> None:
    """JSON as the daily manifest writes it (indented, UTF-8, key order as given)."""
    atomic.write_text(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
