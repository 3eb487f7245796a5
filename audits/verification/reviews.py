"""verify, what a review or a share pack is about, and whether a review still stands on the
daily reports published now.

A review records the daily manifests it read (`daily_manifests`: date, path under the reports
root `reports`, sha256) and the report whose decisions it applied (`decisions`). A day rerun
since publishes a new report and keeps the one the review read under `<day>/superseded/`: the
review is intact, but no longer what a review made now would say. verify names each such day
and the superseded manifest the review read (review it again to use the current reports).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from audits.manifest import MANIFEST, sha256_path
from audits.verification.chain import superseded_manifests
from audits.verification.packs import printable


def about(manifest: dict | None, kind: str) -> str:
    """"share pack of AG02 for 2026-11 (2026-11-01 to 2026-11-30), data as of …" or "review of …"."""
    if not manifest:
        return ""
    as_of = printable(manifest.get("data_as_of")) or "unknown"
    period = (f"{printable(manifest.get('period'))} ({printable(manifest.get('first_day'))} to "
              f"{printable(manifest.get('last_day'))}), data as of {as_of}")
    if kind == "share_pack":
        return f"share pack of agency {printable(manifest.get('agency_id'))} for {period}"
    return f"review of {period}"


def replaced_daily_reports(manifest: dict) -> tuple[list[str], list[str]]:
    """(days whose report the review read is no longer the published one, notes on what could
    not be checked here)."""
    entries = [e for e in manifest.get("daily_manifests") or [] if isinstance(e, dict)]
    decisions = manifest.get("decisions")
    if isinstance(decisions, dict) and decisions.get("date") not in {e.get("date") for e in entries}:
        entries.append({"date": decisions.get("date"), "path": f"{decisions.get('date')}/{MANIFEST}",
                        "sha256": decisions.get("manifest_sha256"), "what": "whose decisions it applied"})
    if not entries:
        return [], []
    root = Path(str(manifest.get("reports") or ""))
    if not manifest.get("reports") or not root.is_dir():
        return [], [f"the reports root {printable(root, 200)} is not reachable from here, so whether the "
                    f"{len(entries)} daily report(s) the review read are still the published ones was not checked."]
    changed = []
    for entry in entries:
        day, relative, read = (printable(entry.get(k), 200) for k in ("date", "path", "sha256"))
        parts = PurePosixPath(relative).parts
        if not parts or relative.startswith("/") or ".." in parts:
            changed.append(f"daily report {day}: the review names it at {relative}, not a path under the reports root.")
            continue
        try:
            now = sha256_path(root / relative)
        except OSError:
            now = None
        if now == read:
            continue
        what = f"the report of {day} the review read{' ' + entry['what'] if 'what' in entry else ''}"
        kept = superseded_manifests((root / relative).parent).get(read)
        if now is None:
            changed.append(f"daily report {day}: {what} (manifest {read[:12]}…) is no longer published in {root}.")
        elif kept:
            changed.append(f"daily report {day}: replaced since the review; {what} is superseded (run "
                           f"{printable(kept[0])}, manifest {read[:12]}…, kept at {day}/superseded/{kept[1]}/). "
                           f"Review {printable(manifest.get('period'))} again to use the current report.")
        else:
            changed.append(f"daily report {day}: replaced since the review; {what} (manifest {read[:12]}…) is "
                           f"neither published nor kept under {day}/superseded/.")
    return changed, []
