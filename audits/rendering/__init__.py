"""Rendering: Scorecard -> HTML (Jinja2) and XLSX (openpyxl).

The only stage that imports jinja2 or openpyxl; it sees Scorecards, never DataFrames.

    write_reports(portfolio, out_dir, templates_dir=default_templates_dir())

writes index.html, summary.xlsx and agencies/<agency_id>.html|.xlsx and returns their paths.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from audits import atomic
from audits.models import Portfolio, agency_file_stem
from audits.privacy import mask_published_fields
from audits.rendering.html.pages import default_templates_dir, render_index_html, render_scorecard_html
from audits.rendering.xlsx.scorecard import write_scorecard_workbook
from audits.rendering.xlsx.summary import write_summary_workbook
from audits.workers import in_processes

__all__ = [
    "default_templates_dir",
    "render_index_html",
    "render_scorecard_html",
    "write_reports",
    "write_scorecard_workbook",
    "write_summary_workbook",
]


def _write_scorecard(card, agencies_dir: Path, templates_dir: Path | None, agency_ids: tuple[str, ...]) -> list[Path]:
    # ids from input as published, other agencies unnamed; in the worker, beside its pages
    card = mask_published_fields(card, unnamed=[a for a in agency_ids if a != card.agency_id])
    stem = agency_file_stem(card.agency_id)
    html_path = agencies_dir / f"{stem}.html"
    atomic.write_text(html_path, render_scorecard_html(card, templates_dir=templates_dir))
    xlsx_path = agencies_dir / f"{stem}.xlsx"
    write_scorecard_workbook(card, xlsx_path)
    return [html_path, xlsx_path]


def _write_scorecards(cards, agencies_dir: Path, templates_dir: Path | None, agency_ids: tuple[str, ...]) -> list[Path]:
    return [path for card in cards for path in _write_scorecard(card, agencies_dir, templates_dir, agency_ids)]


def scorecard_batches(cards, workers: int) -> list[tuple]:
    """The scorecards in at most `workers` batches of about equal work (rows written: evidence
    and cases), largest first into the lightest batch. One forked process per batch, not per
    scorecard: forking the publishing process (a day's calls and findings in memory) cost more
    CPU than rendering a small scorecard."""
    batches: list[list] = [[] for _ in range(max(1, min(workers, len(cards))))]
    loads = [0] * len(batches)
    for card in sorted(cards, key=lambda c: (-_weight(c), c.agency_id)):
        lightest = loads.index(min(loads))
        batches[lightest].append(card)
        loads[lightest] += _weight(card)
    return [tuple(batch) for batch in batches if batch]


def _weight(card) -> int:
    return 200 + len(card.findings) + len(card.cases)          # a fixed part: the page, the sheets, the charts


def write_reports(portfolio: Portfolio, out_dir: Path, *,
                  templates_dir: Path | None = None, workers: int = 1) -> list[Path]:
    """Write the portfolio's HTML and XLSX reports under out_dir (the scorecards in `workers`
    processes), ids from input masked; return the paths, sorted."""
    out_dir = Path(out_dir)
    agencies_dir = out_dir / "agencies"
    agencies_dir.mkdir(parents=True, exist_ok=True)

    stems: dict[str, str] = {}
    for card in portfolio.scorecards:
        stem = agency_file_stem(card.agency_id)
        if stem in stems:
            raise ValueError(
                f"Two scorecards would both be written to agencies/{stem}.html "
                f"(agency ids {stems[stem]!r} and {card.agency_id!r}); "
                "each agency must appear once in the portfolio."
            )
        stems[stem] = card.agency_id

    batches = scorecard_batches(portfolio.scorecards, workers)
    agency_ids = tuple(stems.values())
    written = [path for paths in in_processes(_write_scorecards, [(batch, agencies_dir, templates_dir, agency_ids)
                                                                   for batch in batches], workers)
               for path in paths]

    # The index and the summary show no evidence: masked without it (the scorecards were, in their workers).
    shown = mask_published_fields(dataclasses.replace(portfolio, scorecards=tuple(
        dataclasses.replace(card, findings=()) for card in portfolio.scorecards)))
    index_path = out_dir / "index.html"
    atomic.write_text(index_path, render_index_html(shown, templates_dir=templates_dir))
    summary_path = out_dir / "summary.xlsx"
    write_summary_workbook(shown, summary_path)
    written += [index_path, summary_path]
    return sorted(written)
