"""Scorecard/Portfolio -> HTML through the Jinja2 templates in `templates/`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from audits.models import Portfolio, Scorecard
from audits.rendering.views.complaints import complaint_rows, complaints_panel
from audits.rendering.views.index import index_view
from audits.rendering.views.scorecard import scorecard_view
from audits.rendering.views.warnings import Z_FOOTNOTE, warning_events


def default_templates_dir() -> Path:
    """`<repo>/templates`, next to the `audits` package."""
    return Path(__file__).resolve().parents[3] / "templates"


@lru_cache(maxsize=8)
def _environment(templates_dir: str) -> Environment:
    return Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def environment(templates_dir: Path | None = None) -> Environment:
    """The Jinja2 environment for a templates folder, built once per folder."""
    folder = Path(templates_dir) if templates_dir is not None else default_templates_dir()
    return _environment(str(folder.resolve()))


def render_scorecard_html(card: Scorecard, *, templates_dir: Path | None = None) -> str:
    template = environment(templates_dir).get_template("scorecard.html")
    return template.render(view=scorecard_view(card), complaints=complaints_panel(card),
                           warnings=warning_events(card.warnings), z_footnote=Z_FOOTNOTE)


def render_index_html(portfolio: Portfolio, *, templates_dir: Path | None = None) -> str:
    template = environment(templates_dir).get_template("index.html")
    view = index_view(portfolio)
    return template.render(view=view, complaints=complaint_rows(portfolio), warnings=view.warnings,
                           z_footnote=Z_FOOTNOTE)
