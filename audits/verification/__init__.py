"""`python -m audits verify`: what a report's manifest claims, re-derived from the files wherever
that can be done.

Re-hashing alone proves little: whoever edits an output can edit its hash in the manifest too
(signatures, review.md, answer that). So verify also re-derives what the files say of each other
and of the landing zone, and a report passes only when they all agree:

- outputs: every file listed hashes as listed, no other file is present (manifest.sig aside),
  and every output a run always writes is listed (the CSVs, dq/, the portfolio, a scorecard
  pair per agency of the day);
- inputs: re-hashed, re-listed from the landing zone (the reference file a run would choose
  now, every agency file of the day) and re-counted with the audit's own reader. An input
  changed, added or removed since the audit is named apart (`changed`): the report stands as
  made from the inputs it recorded (reference tables grow, decisions come later), so it fails
  only with `strict_inputs`;
- decisions: each case's decision decided again from the decisions the run recorded
  (decisions.csv), not from the decision tables as they are now;
- row conservation, recomputed: per input rows = accepted + quarantined, the quarantined rows
  counted in quarantine.csv, the accepted calls against scores.csv, the totals summed again;
- scores.csv against violations.csv (findings, critical findings, calls per family per agency)
  and its scores and grades recomputed from those counts with the recorded rulepack;
- the rulepack re-hashed (the file it was loaded from, or the packaged file of a built-in name);
- history partitions and the early warnings' baseline counts re-hashed when the manifest lists
  them and the store is reachable;
- superseded/: every folder is a report this one superseded, found by its manifest's sha256
  along the `supersedes` chain, and verified by its own manifest (outputs and their
  agreement; not its inputs, which may rightly have changed since).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from audits.manifest import MANIFEST, load_json
from audits.verification.inputs import check_history, check_landing, check_rulepack, check_warning_baseline
from audits.verification.outputs import check_report_files
from audits.verification.packs import kept_folders


@dataclass
class Verification:
    problems: list[str] = field(default_factory=list)     # each a mismatch: the report fails
    notes: list[str] = field(default_factory=list)        # what could not be checked here, and why
    changed: list[str] = field(default_factory=list)      # inputs changed since (problems when strict)
    about: str = ""                                       # whose pack, which period, data as of (packs, reviews)
    superseded: int = 0                                   # superseded reports verified

    @property
    def ok(self) -> bool:
        return not self.problems

    def add_changed_inputs(self, changed: list[str], *, strict: bool) -> None:
        """Inputs changed since the audit: problems when `strict`, else listed apart."""
        (self.problems if strict else self.changed).extend(changed)


def verify_report(report_dir: Path, *, strict_inputs: bool = False) -> Verification:
    """Every disagreement between the report's manifest, its files and its inputs; inputs
    changed since the audit are `changed`, or problems with `strict_inputs`."""
    result = Verification()
    manifest = _read_manifest(report_dir, result.problems, "")
    if manifest is None:
        return result
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", report_dir.name) and manifest.get("audit_date") != report_dir.name:
        result.problems.append(f"manifest: audit_date {manifest.get('audit_date')!r} is not the report folder's "
                               f"date {report_dir.name}.")
    rulepack = check_rulepack(manifest, result.problems)
    result.problems += check_report_files(report_dir, manifest, rulepack, superseded=False)
    problems, changed = check_landing(manifest)
    result.problems += problems
    result.add_changed_inputs(changed, strict=strict_inputs)
    for check in (check_history, check_warning_baseline):
        problems, notes = check(manifest)
        result.problems += problems
        result.notes += notes
    _check_superseded(report_dir, manifest, result)
    return result


def _read_manifest(report_dir: Path, problems: list[str], label: str) -> dict | None:
    path = report_dir / MANIFEST
    try:
        manifest = load_json(path.read_bytes())
    except OSError as exc:
        problems.append(f"{label}{path}: cannot read the manifest ({exc.strerror or exc}).")
        return None
    except ValueError as exc:
        problems.append(f"{label}{path}: not a manifest ({str(exc)[:80]}).")
        return None
    shapes = {"audit_date": lambda v: isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) is not None,
              "landing": lambda v: isinstance(v, str),
              "rulepack": lambda v: isinstance(v, dict),
              "inputs": lambda v: isinstance(v, list) and all(isinstance(e, dict) for e in v),
              "row_conservation": lambda v: isinstance(v, dict),
              "outputs": lambda v: isinstance(v, dict),
              "decisions": lambda v: isinstance(v, dict),          # the decisions applied (decisions.csv)
              "early_warnings": lambda v: isinstance(v, dict)}     # warnings.csv's rows and baseline days
    if not isinstance(manifest, dict):
        manifest = {}
    bad = [key for key, fits in shapes.items() if key not in manifest or not fits(manifest[key])]
    if bad:
        problems.append(f"{label}{path}: not a report manifest ({', '.join(bad)} missing or malformed).")
        return None
    try:
        dt.date.fromisoformat(manifest["audit_date"])
    except ValueError:
        problems.append(f"{label}{path}: audit_date {manifest['audit_date']!r} is not a date.")
        return None
    return manifest


def _check_superseded(report_dir: Path, manifest: dict, result: Verification) -> None:
    """superseded/ holds exactly the reports this one superseded, each one found along the
    `supersedes` chain by its manifest's sha256 (folder names may carry a suffix) and intact
    by its own manifest."""
    by_hash, strays = kept_folders(report_dir)
    for child in strays:
        if not child.is_dir():
            result.problems.append(f"superseded/{child.name}: a file where only superseded reports belong "
                                   "(added after the audit).")
        else:
            result.problems.append(f"superseded/{child.name}: no manifest.json, so not a report this one "
                                   "superseded (added after the audit).")
    reached: set[Path] = set()
    link = manifest.get("supersedes")
    while isinstance(link, dict) and link:
        child = by_hash.get(str(link.get("manifest_sha256")))
        if child is None:
            result.problems.append(f"superseded report of run {link.get('run_id')!r}: not under superseded/ with the "
                                   f"manifest sha256 {str(link.get('manifest_sha256'))[:12]}… named by the report "
                                   "that replaced it (removed or altered).")
            break
        if child in reached:
            break
        reached.add(child)
        older = _read_manifest(child, result.problems, f"superseded/{child.name}: ")
        if older is None:
            break
        if older["audit_date"] != manifest["audit_date"]:
            result.problems.append(f"superseded/{child.name}: a report of {older['audit_date']}, not of "
                                   f"{manifest['audit_date']}.")
        rulepack = check_rulepack(older, [])        # its scores recomputed if its rulepack is unchanged
        result.problems += [f"superseded/{child.name}: {p}"
                            for p in check_report_files(child, older, rulepack, superseded=True)]
        result.superseded += 1
        link = older.get("supersedes")
    for child in sorted(set(by_hash.values()) - reached):
        result.problems.append(f"superseded/{child.name}: not a report this one superseded (its manifest is not in "
                               "the chain of `supersedes`; added after the audit).")
