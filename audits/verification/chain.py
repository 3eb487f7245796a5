"""verify --chain FROM..TO over the reports root <out> (review.md §3): every day of the range has
a published report, intact by its manifest (and signed by the given key), and each day's
`previous_manifest` names exactly the manifest published for the day before. Removing a day,
or replacing a day's report (its manifest changes, so its successor no longer names it), fails.

A rerun of day D publishes a new manifest of D and keeps the old one under D/superseded/; the
report of D+1 still names the old one. That is reported as such (D+1 names a superseded report
of D, which run replaced it, where the old one is kept), distinct from a replacement that left
no trace, and fails until D+1 is rerun and so names the current D. Because each day names the
one before, rerunning D+1 in turn leaves D+2 naming a superseded D+1: after a rerun of D, rerun
the later days in order (as for findings that the history rules carry forward).

Each day's outputs are re-hashed (listed files present and matching, none added); the full
re-derivation from the landing zone is `verify <out>/<day>`, one day at a time.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from audits.manifest import MANIFEST, SIGNATURE, load_json, sha256_bytes, sha256_path
from audits.signing import signature_problems
from audits.verification.packs import FolderFiles, listed_file_problems

if TYPE_CHECKING:                     # only audits.signing imports cryptography
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def verify_chain(out: Path, first: dt.date, last: dt.date, *,
                 public_key: Ed25519PublicKey | None = None) -> list[str]:
    """Every break of the chain of daily manifests in <out> over first..last, in words."""
    problems: list[str] = []
    published: dict[dt.date, str | None] = {}          # day -> sha256 of its published manifest
    for day in days_between(first, last):
        folder = out / day.isoformat()
        path = folder / MANIFEST
        try:
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            problems.append(f"{day}: no published report in {out} (a day missing from the range).")
            published[day] = None
            continue
        except OSError as exc:
            problems.append(f"{day}: {MANIFEST} cannot be read ({exc.strerror or exc}).")
            published[day] = None
            continue
        published[day] = sha256_bytes(data)
        try:
            manifest = load_json(data)
        except ValueError:
            manifest = None
        if not isinstance(manifest, dict) or not isinstance(manifest.get("outputs"), dict):
            problems.append(f"{day}: {MANIFEST} is not a report manifest (no `outputs`).")
            continue
        if manifest.get("audit_date") != day.isoformat():
            problems.append(f"{day}: the manifest is of audit_date {str(manifest.get('audit_date'))[:20]!r}.")
        problems += [f"{day}: output {p}" for p in
                     listed_file_problems(FolderFiles(folder), manifest["outputs"], skip_prefix="superseded/")]
        if public_key is not None:
            signature = folder / SIGNATURE
            problems += signature_problems(data, signature.read_bytes() if signature.is_file() else None, public_key,
                                           label=f"{day}: ")
        if day > first:
            problems += _link_problems(out, day, manifest, published[day - dt.timedelta(days=1)])
    return problems


def _link_problems(out: Path, day: dt.date, manifest: dict, published_before: str | None) -> list[str]:
    """What is wrong with the day's link to the manifest published for the day before (whose
    sha256 is `published_before`, None when none is: that is reported as a missing day)."""
    before = day - dt.timedelta(days=1)
    if "previous_manifest" not in manifest:
        return [f"{day}: its manifest has no previous_manifest, which every daily manifest records; rerun {day} "
                f"to link it to {before}."]
    link = manifest["previous_manifest"]
    if not isinstance(link, dict) or link.get("audit_date") != before.isoformat():
        return [f"{day}: previous_manifest does not name a report of {before} ({str(link)[:80]})."]
    named = link.get("sha256")
    if published_before is None:
        return [f"{day}: names the report of {before} with manifest sha256 {str(named)[:12]}…, which is no longer "
                "published (removed)."] if named else []
    if named == published_before:
        return []
    if not named:
        return [f"{day}: names no report of {before}: none was published when {day} was audited, and one has been "
                f"since. Rerun {day} to link it{_later_days(out, day)}."]
    kept = superseded_manifests(out / before.isoformat()).get(str(named))
    if kept is not None:
        run_id, folder = kept
        return [f"{day}: names the report of {before} by run {run_id}, which a rerun of {before} superseded (kept at "
                f"{before}/superseded/{folder}/); the published report of {before} is not the one {day} names. "
                f"Rerun {day} to link it to the current report{_later_days(out, day)}."]
    return [f"{day}: names a report of {before} with manifest sha256 {str(named)[:12]}…, but the published one has "
            f"{published_before[:12]}… and no report it superseded has it: the report of {before} was replaced."]


def superseded_manifests(report_dir: Path) -> dict[str, tuple[str, str]]:
    """sha256 of each superseded manifest kept in the report -> (its run id, its folder name)."""
    kept = {}
    folder = report_dir / "superseded"
    for child in sorted(folder.iterdir()) if folder.is_dir() else []:
        path = child / MANIFEST
        try:
            digest = sha256_path(path)
            run_id = load_json(path.read_bytes()).get("run_id")
        except (OSError, ValueError, AttributeError):
            continue
        kept[digest] = (str(run_id), child.name)
    return kept


def _later_days(out: Path, day: dt.date) -> str:
    if (out / (day + dt.timedelta(days=1)).isoformat()).is_dir():
        return (" (each day names the one before it, so the reports after it will then name a superseded report: "
                "rerun them too, in order)")
    return ""
