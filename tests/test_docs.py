"""README.md and docs/ stand alone in a clone: every link reaches a file of this repository (and,
into a Markdown page, a heading it has), and nothing cites the specification folder that sits
beside the project's working copy but is not part of the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the page's headings: lower case, punctuation dropped, spaces as '-'."""
    headings = re.findall(r"^#{1,6} +(.+?) *$", page.read_text(encoding="utf-8"), re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def broken_links(page: Path) -> list[str]:
    """The page's links to a path missing from the repository, or to a heading the page lacks."""
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):           # https:, mailto: …
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.is_relative_to(REPO) or not resolved.exists():
            broken.append(f"{target}: no such file in the repository")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no such heading in {resolved.relative_to(REPO)}")
    return broken


def test_the_docs_folder_holds_the_contract_pages():
    assert {p.name for p in PAGES} >= {"README.md", "data-contract.md", "sources.md", "rules.md", "cases.md",
                                      "signals.md", "review.md"}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_link_reaches_a_file_of_the_repository_and_nothing_cites_the_spec_folder(page):
    assert broken_links(page) == []
    text = page.read_text(encoding="utf-8")
    assert "shared/spec" not in text and "../shared" not in text


def test_a_link_to_a_missing_file_or_heading_is_found(tmp_path, monkeypatch):
    page = tmp_path / "page.md"
    page.write_text("# Title\n[ok](#title) [gone](#nowhere) [out](../../etc/passwd) [web](https://example.com)\n"
                    "[self](page.md#title) [missing](docs/nothing.md)\n")
    monkeypatch.setattr(f"{__name__}.REPO", tmp_path)
    assert broken_links(page) == ["#nowhere: no such heading in page.md",
                                  "../../etc/passwd: no such file in the repository",
                                  "docs/nothing.md: no such file in the repository"]
