"""Where pulled files land and what the landing zone already holds: target names, temporary
names, the pull records (`<landing>/sources/<D>/…json`), and what an audited day's report used.

A pulled file is written under a temporary name in its final folder and renamed into place, so
a reader sees the old file or the new one, never half of one. Temporary names start with a dot
(`.AG01.pull-<token>.csv.gz`), which no audit takes for an agency's or a table's file.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from audits import atomic
from audits.loaders import REFERENCE_SUFFIXES, agency_of_file
from audits.sources.config import CHANNELS

RECORDS = "sources"            # <landing>/sources/<D>/{cdr,sms,reference,complaints}/<name>.json
MANIFEST = "manifest.json"


def cdr_target(landing: Path, day: dt.date, agency_id: str, suffix: str, channel: str = "cdr") -> Path:
    """Where an agency's file of the day lands: <channel>/<D>/<agency_id><suffix> (channel cdr or sms)."""
    return landing / channel / day.isoformat() / f"{agency_id}{suffix}"


def reference_target(landing: Path, table: str, suffix: str) -> Path:
    return landing / "reference" / f"{table}{suffix}"


def complaints_target(landing: Path, day: dt.date) -> Path:
    return landing / "complaints" / f"{day.isoformat()}.csv"


def temporary_name(target: Path, stem: str) -> Path:
    """A fresh hidden name beside `target`, keeping its suffix (readers choose by suffix)."""
    return target.parent / f".{stem}.pull-{secrets.token_hex(6)}{target.name[len(stem):]}"


def remove_leftovers(folder: Path, stem: str) -> list[Path]:
    """Remove temporary files an interrupted pull of `stem` left in `folder`; returns them."""
    removed = []
    for path in sorted(folder.glob(f".{stem}.pull-*")) if folder.is_dir() else ():
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def agency_files(landing: Path, day: dt.date, agency_id: str, channel: str = "cdr") -> tuple[Path, ...]:
    """The agency's files of the day in the landing zone's `channel` folder (cdr/<D>/ or sms/<D>/),
    named as the audit finds them (several: a conflict the pull resolves)."""
    return _day_files(landing, day, channel).get(agency_id, ())


def agencies_with_files(landing: Path, day: dt.date, channel: str) -> list[str]:
    """The agencies with a file of the day in the `channel` folder (cdr/<D>/, sms/<D>/)."""
    return sorted(_day_files(landing, day, channel))


def _day_files(landing: Path, day: dt.date, channel: str) -> dict[str, tuple[Path, ...]]:
    """agency_id -> its entries of <landing>/<channel>/<D>/, by name (as the audit's scan of the folder)."""
    folder = landing / channel / day.isoformat()
    found: dict[str, tuple[Path, ...]] = {}
    for path in sorted(folder.iterdir()) if folder.is_dir() else ():
        if (agency_id := agency_of_file(path.name)) is not None:
            found[agency_id] = (*found.get(agency_id, ()), path)
    return found


def table_files(landing: Path, table: str) -> tuple[Path, ...]:
    """Every file of a reference table (`contracts.csv`, `contracts.XLSX`, …) in the landing zone,
    named as the audit finds them (the suffix in any case)."""
    return _files_named(landing / "reference", table, REFERENCE_SUFFIXES)


def complaints_files(landing: Path, day: dt.date) -> tuple[Path, ...]:
    """The day's complaints files in the landing zone (`<D>.csv`, the suffix in any case)."""
    return _files_named(landing / "complaints", day.isoformat(), (".csv",))


def _files_named(folder: Path, stem: str, suffixes: tuple[str, ...]) -> tuple[Path, ...]:
    entries = sorted(folder.iterdir()) if folder.is_dir() else ()
    return tuple(p for p in entries if p.name[: len(stem)] == stem and p.name[len(stem):].lower() in suffixes)


def put_in_place(temporary: Path, target: Path, others: tuple[Path, ...]) -> list[Path]:
    """Rename the complete temporary file onto `target` (atomic on one file system), then remove
    the table's or agency's other files (another suffix), which would otherwise make two files of
    one agency (both unreadable) or shadow the new table. Returns what was removed. The file
    keeps the mode it was created with (0666 less the umask): a umask of 077 keeps it private."""
    temporary.replace(target)
    atomic.sync_folder(target.parent)
    removed = []
    for other in others:
        if other != target and other.exists():
            other.unlink()
            removed.append(other)
    return removed


# --- pull records -----------------------------------------------------------------------

def record_path(landing: Path, day: dt.date, group: str, name: str) -> Path:
    """<landing>/sources/<D>/<group>/<name>.json: group cdr or sms (name an agency), reference (a
    table) or complaints (name complaints)."""
    return landing / RECORDS / day.isoformat() / group / f"{name}.json"


def read_record(path: Path) -> dict:
    """A pull record, or {} when there is none or it cannot be read (then nothing is taken from it)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def write_record(path: Path, record: dict) -> None:
    """Write a pull record atomically (temporary name, rename)."""
    atomic.write_text(path, json.dumps(record, indent=2, sort_keys=True) + "\n")


def sources_of_day(landing: Path, day: dt.date) -> dict[str, dict]:
    """Landing-relative path -> its pull record, for every file pulled for the day."""
    found = {}
    for group in ("reference", *CHANNELS, "complaints"):
        folder = landing / RECORDS / day.isoformat() / group
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
            record = read_record(path)
            if isinstance(record.get("path"), str) and isinstance(record.get("source"), dict):
                found[record["path"]] = record
    return found


def input_source(pulled: dict[str, dict], path: str, sha256: str) -> dict:
    """{"source": …} for a manifest input that the day's pull landed with exactly these bytes
    (kind, connection id, path/URL or query hash, checksum, pulled_at; never a credential), else {}
    (the file was put there by other means, or changed after the pull)."""
    record = pulled.get(path)
    if not record or not sha256 or record.get("sha256") != sha256:
        return {}
    return {"source": {**record["source"], "pulled_at": record.get("pulled_at", "")}}


# --- what an audited day's report used ----------------------------------------------------

@dataclass(frozen=True)
class AuditedDay:
    """The published report of a day: where it is, its run id, and the agencies' inputs it read
    (landing-relative path -> sha256) per channel (cdr, sms) and agency, and its complaints file;
    `readable` False when its manifest could not be read (then every change of the day is refused)."""

    report: Path
    run_id: str
    inputs: dict[tuple[str, str], dict[str, str]]       # (channel, agency_id) -> {path: sha256}
    readable: bool = True
    complaints: dict[str, str] = field(default_factory=dict)

    def files_of(self, agency_id: str, channel: str = "cdr") -> dict[str, str]:
        return self.inputs.get((channel, agency_id), {})


def audited_day(out: Path, day: dt.date) -> AuditedDay | None:
    """The day's published report under `out`, or None when the day has not been audited there."""
    report = out / day.isoformat()
    manifest = report / MANIFEST
    if not manifest.exists():
        return None
    try:
        document = json.loads(manifest.read_text(encoding="utf-8"))
        entries = document["inputs"]
    except (OSError, ValueError, KeyError, TypeError):
        return AuditedDay(report=report, run_id="(manifest unreadable)", inputs={}, readable=False)
    inputs: dict[tuple[str, str], dict[str, str]] = {}
    read = [e for e in (entries if isinstance(entries, list) else ()) if isinstance(e, dict)
            and input_channel(e) and e.get("status") not in ("missing", "ignored")]
    for entry in read:
        key = (input_channel(entry), str(entry.get("agency_id")))
        inputs.setdefault(key, {})[str(entry.get("path"))] = str(entry.get("sha256") or "")
    complaints = {str(e.get("path")): str(e.get("sha256") or "") for e in (entries if isinstance(entries, list) else ())
                  if isinstance(e, dict) and e.get("table") == "complaints"}
    return AuditedDay(report=report, run_id=str(document.get("run_id") or ""), inputs=inputs, complaints=complaints)


def input_channel(entry: dict) -> str:
    """The channel of a manifest input (`cdr` or `sms`: its table, else its folder), or "" for a
    reference table or the complaints."""
    table, folder = entry.get("table"), str(entry.get("path") or "").split("/", 1)[0]
    return table if table in CHANNELS else folder if folder in CHANNELS else ""
