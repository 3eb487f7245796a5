"""Reading the period's published daily reports: which days have one, and their CSVs, each
checked against its day's manifest before it is used.

A day is published when `<out>/<D>/manifest.json` exists (a report is renamed into place whole,
its manifest written last). Everything the review says comes from these reports and the store
(of the landing zone it reads only what the share packs must not show: audits.review.parties).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from audits.cases import decision_snapshot
from audits.csv_cells import read_csv
from audits.errors import PermanentError
from audits.manifest import MANIFEST, load_json, sha256_bytes
from audits.review.period import Period


class ReviewError(PermanentError, ValueError):
    """The review cannot be made; the message says why, where, and what to do."""


@dataclass(frozen=True)
class DailyManifest:
    date: dt.date
    path: str            # relative to the reports root: "2026-11-01/manifest.json"
    sha256: str
    generated_at: str
    rulepack: dict
    outputs: dict[str, str]
    landing: str = ""    # the landing zone the day was audited from ("" when the manifest names none)


def missing_days(out: Path, period: Period) -> list[dt.date]:
    """The days of the period without a published report."""
    return [day for day in period.days if not (out / day.isoformat() / MANIFEST).is_file()]


def missing_days_message(out: Path, period: Period, missing: list[dt.date], *, orchestrated: bool = False) -> str:
    """Why the review refuses; `orchestrated` (under Airflow): the fix names the DAG's param, not the CLI flag."""
    allow = "set the param `allow_missing_days` to true" if orchestrated else "pass --allow-missing-days"
    return "\n".join([
        (f"Cannot review {period.label}: {len(missing)} of its {len(period.days)} days have no published report "
         f"in {out}: {days_text(missing)}."),
        ("Audit those days first (python -m audits run --date D ..., or the nightly DAG), then review again; or "
         f"{allow} to review without them (every scorecard then names the missing days)."),
    ])


def days_text(days: list[dt.date] | tuple[dt.date, ...]) -> str:
    """"2026-11-03, 2026-11-05 to 2026-11-07": runs of consecutive days shortened."""
    runs: list[list[dt.date]] = []
    for day in sorted(days):
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(r[0].isoformat() if len(r) == 1 else f"{r[0].isoformat()} to {r[-1].isoformat()}" for r in runs)


def read_manifests(out: Path, days: list[dt.date]) -> list[DailyManifest]:
    """The manifests of these published days (each read once, hashed as read)."""
    manifests = []
    for day in days:
        path = out / day.isoformat() / MANIFEST
        data = path.read_bytes()
        try:
            document = load_json(data)
            outputs = dict(document["outputs"])
        except (ValueError, KeyError, TypeError):
            raise ReviewError(f"Cannot review: the manifest {path} is not a report manifest (unreadable JSON or no "
                              "`outputs`). Run `python -m audits verify` on that day and rerun it.") from None
        manifests.append(DailyManifest(date=day, path=f"{day.isoformat()}/{MANIFEST}", sha256=sha256_bytes(data),
                                       generated_at=str(document.get("generated_at", "")),
                                       rulepack=dict(document.get("rulepack") or {}), outputs=outputs,
                                       landing=str(document.get("landing") or "")))
    return manifests


@dataclass(frozen=True)
class DecisionSource:
    """The decisions in force when the review runs: the snapshot of the latest published report."""

    manifest: DailyManifest
    rows: pd.DataFrame            # decisions.csv (audits.cases.decision_snapshot.COLUMNS), all text

    def record(self) -> dict:
        return {"date": self.manifest.date.isoformat(), "path": f"{self.manifest.date.isoformat()}/"
                f"{decision_snapshot.FILE}", "sha256": self.manifest.outputs[decision_snapshot.FILE],
                "manifest_sha256": self.manifest.sha256}


def latest_manifest(out: Path) -> DailyManifest:
    """The manifest of the latest published daily report under `out`, whatever its day: its
    decisions.csv holds the decisions in force now (cases.md §3)."""
    days = [day for day in map(_report_day, out.iterdir()) if day and (out / day.isoformat() / MANIFEST).is_file()]
    return read_manifests(out, [max(days)])[0]


def decisions_of(out: Path, manifest: DailyManifest) -> DecisionSource:
    """The decisions a report recorded (its decisions.csv, checked against its manifest)."""
    require_outputs("", [manifest], decision_snapshot.FILE, "the decisions it applied")
    return DecisionSource(manifest=manifest, rows=read_output(out, manifest, decision_snapshot.FILE))


def require_outputs(label: str, manifests: list[DailyManifest], name: str, what: str) -> None:
    """ReviewError naming the days to rerun when some of these reports do not list `name`
    (every report of this version writes it; one without was made by an earlier version or is
    no audit report)."""
    lacking = days_text(sorted({m.date for m in manifests if name not in m.outputs}))
    if lacking:
        raise ReviewError(f"Cannot review{' ' + label if label else ''}: the reports of {lacking} hold no {name} "
                          f"({what}) in their manifests: they were made by an earlier version, or are not audit "
                          f"reports. Rerun {lacking} (python -m audits run --date D ..., or the nightly DAG), then "
                          "review again.")


def _report_day(folder: Path) -> dt.date | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", folder.name):
        return None
    try:
        return dt.date.fromisoformat(folder.name)
    except ValueError:
        return None


def read_output(out: Path, manifest: DailyManifest, name: str) -> pd.DataFrame | None:
    """A CSV of a day's report, all text (blank = ""), after checking it against the day's
    manifest; None when the report has no such file (an output the report may leave out)."""
    path = out / manifest.date.isoformat() / name
    expected = manifest.outputs.get(name)
    if expected is None:
        if path.exists():
            raise ReviewError(f"Cannot review: {path} is not listed in its report's manifest: it was added after the "
                              f"report was published. Remove it, or rerun {manifest.date.isoformat()}.")
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReviewError(f"Cannot review: {path}, listed in its report's manifest, cannot be read "
                          f"({exc.strerror or exc}). Run `python -m audits verify {path.parent}`.") from None
    if sha256_bytes(data) != expected:
        raise ReviewError(f"Cannot review: {path} does not match its report's manifest (sha256): it was changed "
                          f"after the report was published. Run `python -m audits verify {path.parent}` and rerun "
                          f"{manifest.date.isoformat()} from the landing zone.")
    return read_csv(io.BytesIO(data), dtype="str", keep_default_na=False)


def concat_outputs(out: Path, manifests: list[DailyManifest], name: str) -> tuple[pd.DataFrame | None, list[dt.date]]:
    """One output of every day, in day order, and the days that had it (None: no day had it)."""
    frames, days = [], []
    for manifest in manifests:
        frame = read_output(out, manifest, name)
        if frame is not None:
            frames.append(frame)
            days.append(manifest.date)
    if not frames:
        return None, []
    return pd.concat(frames, ignore_index=True), days


def each_output(out: Path, manifests: list[DailyManifest], name: str) -> Iterator[tuple[dt.date, pd.DataFrame]]:
    """One output day by day (violations.csv of a month does not fit in memory at once)."""
    for manifest in manifests:
        frame = read_output(out, manifest, name)
        if frame is not None:
            yield manifest.date, frame
