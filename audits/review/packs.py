"""Agency share packs (review.md §2): `share/<agency_id>.zip` holds one agency's period and
nothing of any other agency's, and verifies on its own (its manifest lists its files).

    scorecard.html, scorecard.xlsx   the agency's period scorecard (no link out of the pack)
    cases.csv                        its cases active in the period, status at period end
    findings.csv                     its findings of the period (masked, as in violations.csv)
    complaints.csv                   complaints linked to it (masked; no other agency, no counts of others)
    peers.csv                        its rank among N and the quartiles (no agency named)
    responses.csv                    its open cases with their due dates, for the agency to answer (desk.md §5)
    README.txt                       what the pack is and how to verify it
    manifest.json (+ manifest.sig)   kind "share_pack", the files' sha256 under `outputs`

Other agencies can surface in the agency's own rows: a frequency finding's detail names the
agencies of the earlier calls it counted ("earlier: 11-27 09:02 AG03"), a refusal names who
heard it. `redactor` replaces what names any other agency the bank knows (audits.review.parties:
ids, names, contract ids, caller numbers; not only the agencies of the period) with "another
agency" in every text cell the pack holds.

The zip is deterministic: entries sorted by name, one fixed timestamp (1980-01-01 00:00), fixed
permissions and compression, so a rerun over the same reports gives the same bytes.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import phonenumbers

from audits import atomic
from audits.csv_cells import formula_safe
from audits.manifest import sha256_path

ANOTHER_AGENCY = "another agency"
ANOTHER_NUMBER = "another agency's number"
_DIGIT_RUN = re.compile(r"(?<![0-9])\+?[0-9]+(?:[ -][0-9]+)*(?![0-9])")
_ID_CHARACTERS = "A-Za-z0-9_-"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
COMPLAINT_COLUMNS = ("audit_date", "complaint_id", "received_at", "channel", "category", "callee_masked",
                     "callee_key", "named_this_agency", "linked_case_ids")
PEER_COLUMNS = ("period", "figure", "better", "own", "q1", "median", "q3", "quartile", "rank", "agencies")


def redactor(own: str, parties) -> Callable[[pd.Series], pd.Series]:
    """A function that replaces, in a text column, what names any agency but `own` among
    `parties` (audits.review.parties.Parties): its id and contract ids (whole tokens only: AG03
    but not AG030 or CT-AG03), its names (two characters or more, unless part of the own name)
    with "another agency", and its caller numbers (a run of digits, spaces and hyphens, with or
    without + / 00 / the trunk 0) with "another agency's number"."""
    own_tokens = {own} | parties.tokens.get(own, set())
    ids = sorted({t for a, tokens in parties.tokens.items() if a != own for t in {a} | tokens} - own_tokens,
                 key=len, reverse=True)
    own_names = parties.names.get(own, set())
    names = sorted({n for a, given in parties.names.items() if a != own for n in given
                    if len(n.strip()) >= 2 and not any(n in mine for mine in own_names)}, key=len, reverse=True)
    own_numbers = {f for n in parties.callers.get(own, set()) for f in number_forms(n)}
    numbers = {f for a, given in parties.callers.items() if a != own for n in given for f in number_forms(n)}
    numbers -= own_numbers
    parts = []
    if ids:
        parts.append(f"(?<![{_ID_CHARACTERS}])(?:{'|'.join(map(re.escape, ids))})(?![{_ID_CHARACTERS}])")
    parts += [re.escape(n) for n in names]
    pattern = re.compile("|".join(parts)) if parts else None

    def number(match: re.Match) -> str:
        return ANOTHER_NUMBER if re.sub(r"\D", "", match.group()) in numbers else match.group()

    def redact(column: pd.Series) -> pd.Series:
        if not (pd.api.types.is_string_dtype(column) or pd.api.types.is_object_dtype(column)):
            return column
        text = column.astype("str")
        if pattern is not None:
            text = text.str.replace(pattern, ANOTHER_AGENCY, regex=True)
        if numbers:
            text = text.str.replace(_DIGIT_RUN, number, regex=True)
        return text
    return redact


def number_forms(e164: str) -> set[str]:
    """The digits of every way a number may be written: E.164 (with or without + or 00) and
    national (with or without the trunk 0)."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return set()
    international, national = f"{parsed.country_code}{parsed.national_number}", str(parsed.national_number)
    return {international, "00" + international, national, "0" + national}


def redact_frame(frame: pd.DataFrame, redact: Callable[[pd.Series], pd.Series]) -> pd.DataFrame:
    return frame.apply(redact) if len(frame.columns) else frame


def append_csv(frame: pd.DataFrame, path: Path) -> None:
    """Add rows to a pack CSV (header first when the file is new), formula-safe like every CSV."""
    fresh = not path.exists()
    formula_safe(frame).to_csv(path, mode="w" if fresh else "a", header=fresh, index=False, lineterminator="\n",
                               encoding="utf-8")


def pack_complaints(complaints: pd.DataFrame | None, agency: str) -> pd.DataFrame:
    """The complaints linked to `agency` (`own_case_ids`: its own cases among the linked ones),
    without what would tell of other agencies: which agencies are linked, the calls and
    findings in the window (counts over all agencies), other agencies' case ids."""
    if complaints is None or complaints.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in COMPLAINT_COLUMNS})
    linked = complaints["own_case_ids"] if "own_case_ids" in complaints else pd.Series("", index=complaints.index)
    frame = pd.DataFrame({
        "audit_date": complaints["audit_date"].to_numpy(), "complaint_id": complaints["complaint_id"].to_numpy(),
        "received_at": complaints["received_at"].to_numpy(), "channel": complaints["channel"].to_numpy(),
        "category": complaints["category"].to_numpy(), "callee_masked": complaints["callee_masked"].to_numpy(),
        "callee_key": complaints.get("callee_key", pd.Series("", index=complaints.index)).to_numpy(),
        "named_this_agency": (complaints["named_agency"] == agency).map({True: "yes", False: "no"}).to_numpy(),
        "linked_case_ids": linked.to_numpy(),
    })
    return frame


def zip_folder(folder: Path, target: Path) -> None:
    """Every file under `folder` into the zip `target`, deterministically (module docstring)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3                       # Unix, whatever the machine
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    atomic.write_bytes(target, buffer.getvalue())


def pack_outputs(folder: Path) -> dict[str, str]:
    """sha256 of every file of a pack folder (relative path -> hash), its manifest aside."""
    return {p.relative_to(folder).as_posix(): sha256_path(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name not in ("manifest.json", "manifest.sig")}


def readme_text(agency_id: str, agency_name: str, period_title: str, period_label: str) -> str:
    return "\n".join([
        f"Compliance review {period_label} ({period_title}) for {agency_name} ({agency_id})",
        "",
        "This pack holds only your agency's data for the period:",
        "  scorecard.html / scorecard.xlsx  your period scorecard: scores, SLA clauses, daily trend, cases",
        "  cases.csv                        your cases active in the period and their status at period end",
        "  findings.csv                     every finding of the period (customer numbers masked)",
        "  complaints.csv                   customer complaints linked to your agency (masked)",
        "  peers.csv                        your rank among the agencies assessed and the quartiles; no agency named",
        "  responses.csv                    your open cases: fill in response (accept / contest), corrective_action,",
        "                                   target_date (YYYY-MM-DD) and contact, and return the file to the bank",
        "  manifest.json                    the sha256 of every file above",
        "  manifest.sig                     the bank's Ed25519 signature of manifest.json, when the bank signs",
        "",
        "Where another agency's calls count towards one of your findings (the same customer called by",
        "several agencies), the finding says \"another agency\".",
        "",
        "To check that the pack is complete, unchanged and issued by the bank, with the bank's public key:",
        f"  python -m audits verify {agency_id}.zip --public-key <bank public key .pem>",
        "",
    ])


def remove_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
