"""Review rendering: ReviewPortfolio -> index.html, summary.xlsx and agencies/<id>.html|.xlsx;
a PeriodScorecard -> the scorecard of its share pack (scorecard.html|.xlsx, no link out).

Templates `templates/review_index.html` and `templates/review_scorecard.html`, rendered through
the same Jinja2 environment as the daily reports (autoescape, StrictUndefined).
"""

from __future__ import annotations

from pathlib import Path

from audits import atomic
from audits.models import agency_file_stem
from audits.privacy import mask_published_fields
from audits.rendering.html.pages import environment
from audits.rendering.views.review import review_index_view, review_scorecard_view
from audits.rendering.xlsx.review import write_review_scorecard_workbook, write_review_summary_workbook
from audits.review.cards import PeriodScorecard, ReviewPortfolio


def render_review_scorecard_html(card: PeriodScorecard, *, in_pack: bool = False,
                                 templates_dir: Path | None = None) -> str:
    template = environment(templates_dir).get_template("review_scorecard.html")
    return template.render(view=review_scorecard_view(card, in_pack=in_pack))


def render_review_index_html(portfolio: ReviewPortfolio, *, templates_dir: Path | None = None) -> str:
    return environment(templates_dir).get_template("review_index.html").render(view=review_index_view(portfolio))


def write_review_reports(portfolio: ReviewPortfolio, out_dir: Path, *, templates_dir: Path | None = None) -> list[Path]:
    """index.html, summary.xlsx and every agency's scorecard under out_dir (ids from input masked);
    their paths, sorted."""
    portfolio = mask_published_fields(portfolio)
    agencies = Path(out_dir) / "agencies"
    agencies.mkdir(parents=True, exist_ok=True)
    written = []
    for card in portfolio.scorecards:
        stem = agency_file_stem(card.agency_id)
        html = agencies / f"{stem}.html"
        atomic.write_text(html, render_review_scorecard_html(card, templates_dir=templates_dir))
        written += [html, write_review_scorecard_workbook(card, agencies / f"{stem}.xlsx")]
    index = Path(out_dir) / "index.html"
    atomic.write_text(index, render_review_index_html(portfolio, templates_dir=templates_dir))
    written += [index, write_review_summary_workbook(portfolio, Path(out_dir) / "summary.xlsx")]
    return sorted(written)


def write_pack_scorecard(card: PeriodScorecard, folder: Path, *, templates_dir: Path | None = None) -> list[Path]:
    """scorecard.html and scorecard.xlsx of a share pack (ids from input masked)."""
    card = mask_published_fields(card)
    html = Path(folder) / "scorecard.html"
    atomic.write_text(html, render_review_scorecard_html(card, in_pack=True, templates_dir=templates_dir))
    return [html, write_review_scorecard_workbook(card, Path(folder) / "scorecard.xlsx")]
