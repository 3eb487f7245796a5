"""`python -m audits verify PATH [--public-key FILE] [--chain FROM..TO]`: what PATH is, and the
check it gets (review.md §3).

- a `.zip` file: an agency share pack (audits.verification.packs);
- a folder whose manifest.json has `kind` "review" or "share_pack": a review folder or an
  extracted pack (the same);
- a folder with any other manifest.json: a daily report, re-derived in full
  (audits.verification.verify_report), plus its signature when a public key is given;
- with --chain, the reports root <out> (a folder of <YYYY-MM-DD>/ reports, no manifest of its
  own): the chain of daily manifests over the range (audits.verification.chain).

With a public key every manifest checked must carry a valid signature by it: a missing, bad or
foreign signature fails. Without one, signatures are not checked (a note says so).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from audits.errors import PermanentError
from audits.manifest import MANIFEST, SIGNATURE, load_json
from audits.signing import signature_problems
from audits.verification import Verification, verify_report
from audits.verification.chain import verify_chain
from audits.verification.packs import KINDS, pack_manifest, verify_pack_or_review
from audits.verification.reviews import about, replaced_daily_reports

if TYPE_CHECKING:                     # only audits.signing imports cryptography
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class UsageError(PermanentError, ValueError):
    """PATH and the options do not fit together; the message says what to pass instead."""


@dataclass
class Verified:
    kind: str                      # "report", "review", "share_pack" or "chain"
    result: Verification


def verify_path(path: Path, *, public_key: Ed25519PublicKey | None = None,
                chain: tuple[dt.date, dt.date] | None = None, strict_inputs: bool = False) -> Verified:
    """Every problem of PATH (see the module's docstring); UsageError when PATH and the options
    do not fit (--chain with anything but the reports root, a PATH that does not exist).
    Inputs changed since a report was made are `changed`, problems with `strict_inputs`."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path} does not exist. Pass a daily report folder (<out>/<YYYY-MM-DD>), a review folder, "
                         "a share pack (.zip or extracted), or the reports root <out> with --chain FROM..TO.")
    manifest_path = path / MANIFEST
    if chain is not None:
        if not path.is_dir() or manifest_path.exists():
            raise UsageError(f"--chain checks the reports root <out>, the folder holding the <YYYY-MM-DD> reports; "
                             f"{path} is not one (it is a file or holds a {MANIFEST} of its own).")
        return Verified("chain", Verification(problems=verify_chain(path, *chain, public_key=public_key)))
    if path.is_file():
        return _pack_or_review(path, public_key, strict_inputs)
    if not manifest_path.is_file():
        raise UsageError(f"{path} holds no {MANIFEST}: it is not a report, a review or a pack. For the reports root, "
                         "pass --chain FROM..TO; for one day, pass <out>/<YYYY-MM-DD>.")
    if _kind(manifest_path) in KINDS:
        return _pack_or_review(path, public_key, strict_inputs)
    result = verify_report(path, strict_inputs=strict_inputs)
    signature = path / SIGNATURE
    if public_key is not None:
        result.problems[:0] = signature_problems(manifest_path.read_bytes(),
                                                 signature.read_bytes() if signature.is_file() else None, public_key)
    elif signature.is_file():
        result.notes.append(f"the signature ({SIGNATURE}): pass --public-key with the bank's public key to check "
                            "who made this report.")
    return Verified("report", result)


def _pack_or_review(path: Path, public_key: Ed25519PublicKey | None, strict_inputs: bool) -> Verified:
    """A share pack or a review: its files and signature; whose, which period, data as of; and
    for a review, the daily reports it read that were replaced since (changed inputs)."""
    problems, notes, kind = verify_pack_or_review(path, public_key)
    manifest = pack_manifest(path)
    result = Verification(problems=problems, notes=notes, about=about(manifest, kind))
    if kind == "review" and manifest is not None:
        changed, unchecked = replaced_daily_reports(manifest)
        result.notes += unchecked
        result.add_changed_inputs(changed, strict=strict_inputs)
    return Verified(kind, result)


def _kind(manifest_path: Path) -> str | None:
    try:
        manifest = load_json(manifest_path.read_bytes())
    except (OSError, ValueError):
        return None                  # verify_report says what is wrong with it
    return manifest.get("kind") if isinstance(manifest, dict) else None
