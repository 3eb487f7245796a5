"""Atomic writes: a failed write leaves the old file and no temporary file; a folder swap keeps
the old folder until the new one is complete; superseding keeps every earlier copy."""

from __future__ import annotations

import os

import pytest

from audits import atomic


def _names(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_write_bytes_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "a" / "report.csv"
    atomic.write_bytes(target, b"old\n")
    atomic.write_bytes(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert _names(tmp_path) == ["a", "a/report.csv"]


def test_write_text_writes_utf8_without_translating_line_ends(tmp_path):
    target = tmp_path / "page.html"
    atomic.write_text(target, "a\r\nb\n中")
    assert target.read_bytes() == "a\r\nb\n中".encode()


def test_a_failure_mid_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "index.html"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="disk full"), atomic.writing(target) as staging:
        staging.write_bytes(b"half of the ne")
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"old"
    assert _names(tmp_path) == ["index.html"]


def test_text_that_cannot_be_encoded_leaves_the_old_file(tmp_path):
    target = tmp_path / "index.html"
    target.write_bytes(b"old")
    with pytest.raises(UnicodeEncodeError):
        atomic.write_text(target, "new \ud800")
    assert target.read_bytes() == b"old"
    assert _names(tmp_path) == ["index.html"]


def test_temporary_names_are_hidden_unique_and_beside_the_target(tmp_path):
    first, second = atomic.temporary_path(tmp_path / "x.json"), atomic.temporary_path(tmp_path / "x.json")
    assert first != second and first.parent == tmp_path
    assert first.name.startswith(".x.json.") and first.name.endswith(".tmp")


def test_folder_swap_keeps_the_old_folder_until_the_new_one_is_complete(tmp_path, monkeypatch):
    folder, staging = tmp_path / "day", tmp_path / ".day.new"
    folder.mkdir()
    (folder / "counts.parquet").write_bytes(b"old")
    staging.mkdir()
    (staging / "counts.parquet").write_bytes(b"new")
    seen = []
    real_replace = os.replace

    def watching(source, destination):
        seen.append((folder / "counts.parquet").read_bytes() if folder.exists() else None)
        real_replace(source, destination)

    monkeypatch.setattr(atomic.os, "replace", watching)
    atomic.replace_folder(staging, folder)
    assert seen == [b"old", None]                 # old in place until the one-rename swap of the new
    assert (folder / "counts.parquet").read_bytes() == b"new"
    assert _names(tmp_path) == ["day", "day/counts.parquet"]


def test_a_failed_folder_swap_keeps_the_old_folder(tmp_path):
    folder = tmp_path / "day"
    folder.mkdir()
    (folder / "counts.parquet").write_bytes(b"old")
    with pytest.raises(FileNotFoundError):
        atomic.replace_folder(tmp_path / ".day.missing", folder)   # the new one was never built
    assert not folder.exists()
    kept = [p for p in tmp_path.iterdir() if p.name.startswith(".day.old.")]
    assert [(p / "counts.parquet").read_bytes() for p in kept] == [b"old"]


def test_supersede_keeps_the_earlier_copy_and_the_copies_it_kept(tmp_path):
    final = tmp_path / "2026-11-27"
    for run, older in (("r1", None), ("r2", "r1"), ("r3", "r2")):
        staging = tmp_path / f".2026-11-27.staging-{run}"
        staging.mkdir()
        (staging / "manifest.json").write_text(run)
        moved = atomic.supersede_into(staging, final, older or "unused")
        assert moved == (None if older is None else final / "superseded" / older)
    assert (final / "manifest.json").read_text() == "r3"
    assert (final / "superseded" / "r2" / "manifest.json").read_text() == "r2"
    assert (final / "superseded" / "r1" / "manifest.json").read_text() == "r1"
    assert not (final / "superseded" / "r2" / "superseded").exists()
    assert _names(tmp_path) == ["2026-11-27", "2026-11-27/manifest.json", "2026-11-27/superseded",
                                "2026-11-27/superseded/r1", "2026-11-27/superseded/r1/manifest.json",
                                "2026-11-27/superseded/r2", "2026-11-27/superseded/r2/manifest.json"]


def test_supersede_under_a_name_already_taken_keeps_both(tmp_path):
    final = tmp_path / "day"
    (final / "superseded" / "r1").mkdir(parents=True)
    (final / "superseded" / "r1" / "manifest.json").write_text("first r1")
    (final / "manifest.json").write_text("second r1")
    staging = tmp_path / ".day.staging"
    staging.mkdir()
    moved = atomic.supersede_into(staging, final, "r1")
    assert moved.parent == final / "superseded" and moved.name.startswith("r1.")
    assert (moved / "manifest.json").read_text() == "second r1"
    assert (final / "superseded" / "r1" / "manifest.json").read_text() == "first r1"


def test_review_pages_failing_mid_write_leave_the_old_page(tmp_path, monkeypatch):
    from audits.rendering import review_reports as review

    page = tmp_path / "scorecard.html"
    page.write_text("old page", encoding="utf-8")
    monkeypatch.setattr(review, "mask_published_fields", lambda card: card)
    monkeypatch.setattr(review, "render_review_scorecard_html", lambda card, **_: "<html>new \ud800")
    with pytest.raises(UnicodeEncodeError):
        review.write_pack_scorecard(object(), tmp_path)
    assert page.read_text(encoding="utf-8") == "old page"
    assert _names(tmp_path) == ["scorecard.html"]
