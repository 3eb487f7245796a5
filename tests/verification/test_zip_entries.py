"""verify of a share pack refuses every entry that names a place outside the pack's folder,
folders included: an extractor would create `../../outside/` beside the pack."""

from __future__ import annotations

import zipfile

import pytest

from tests.verification.test_packs import PACK_FILES, _verify, _write_folder, _zip


@pytest.mark.parametrize("entry", ["../../outside/", "/etc/cron.d/", "C:/Windows/", "a/../../b/"])
def test_a_folder_entry_outside_the_pack_fails_verify_naming_it(tmp_path, capsys, entry):
    folder = _write_folder(tmp_path / "AG01", PACK_FILES, "share_pack")
    path = _zip(folder, tmp_path / "AG01.zip")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(zipfile.ZipInfo(entry), b"")          # a folder entry: its name ends in /
    code, text = _verify(capsys, str(path))
    assert code == 1 and f"entry {entry!r}: a path outside the pack's folder" in text
