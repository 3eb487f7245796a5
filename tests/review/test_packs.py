"""Share packs of a real sample month: each holds only its agency's data (every file of every
pack, the workbooks' XML included, is scanned for every other agency's id, name, agents,
campaigns and caller numbers in every written form), lists its files in its manifest, and a
rerun of the review gives the same bytes."""

from __future__ import annotations

import html
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import phonenumbers
import pyarrow.parquet as pq
import pytest

from audits.cli import main as cli
from audits.manifest import sha256_bytes
from audits.privacy import mask_e164

ID_CHARACTERS = "A-Za-z0-9_-"
PACK_FILES = {"README.txt", "cases.csv", "complaints.csv", "findings.csv", "manifest.json", "peers.csv",
              "responses.csv", "scorecard.html", "scorecard.xlsx"}


def _identities(landing: Path, store: Path) -> dict[str, dict[str, set[str]]]:
    """Per agency: its id, name, agents, campaigns and caller numbers, from the reference data
    and from the calls it made (the store)."""
    reference = landing / "reference"
    contracts = pd.read_excel(reference / "contracts.xlsx", dtype=str)
    agents = pd.read_csv(reference / "agents.csv", dtype=str)
    callers = pd.read_csv(reference / "caller_numbers.csv", dtype=str)
    assignments = pd.read_csv(reference / "assignments.csv", dtype=str)
    calls = pd.concat([pq.read_table(p, columns=["agency_id", "agent_id", "campaign_id", "caller_e164"]).to_pandas()
                       for p in sorted(store.glob("calls/call_date=*/calls.parquet"))])
    out = {}
    for agency in sorted(contracts["agency_id"].unique()):
        mine = calls[calls["agency_id"] == agency]
        out[agency] = {
            "ids": {agency},
            "names": set(contracts.loc[contracts["agency_id"] == agency, "agency_name"].dropna()),
            "agents": set(agents.loc[agents["agency_id"] == agency, "agent_id"]) | set(mine["agent_id"]),
            "campaigns": set(assignments.loc[assignments["agency_id"] == agency, "campaign_id"])
                         | set(mine["campaign_id"]),
            "numbers": set(callers.loc[callers["agency_id"] == agency, "caller_number"]) | set(mine["caller_e164"]),
        }
    return out


def _phone_forms(raw: str) -> set[str]:
    """Every way the report could write a caller number: as delivered, E.164 (with and without +),
    00-international, national with and without the trunk 0, phonenumbers' spaced formats, masked."""
    number = phonenumbers.parse(raw, "CN")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    national = str(number.national_number)
    return {raw, e164, e164[1:], "00" + e164[1:], national, "0" + national,
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL), mask_e164(e164)}


def _patterns(identity: dict[str, set[str]], own: dict[str, set[str]]) -> list[tuple[str, re.Pattern]]:
    """(what, pattern) for each identifier of another agency that is not also the agency's own."""
    own_forms = {f for n in own["numbers"] for f in _phone_forms(n)}
    patterns = []
    for kind in ("ids", "agents", "campaigns"):
        for token in sorted(identity[kind] - own[kind]):
            patterns.append((f"{kind} {token}", re.compile(
                f"(?<![{ID_CHARACTERS}]){re.escape(token)}(?![{ID_CHARACTERS}])")))
    for name in sorted(identity["names"] - own["names"]):
        for form in {name, html.escape(name)}:
            patterns.append((f"name {name}", re.compile(re.escape(form))))
    for number in sorted(identity["numbers"] - own["numbers"]):
        for form in sorted(_phone_forms(number) - own_forms):
            patterns.append((f"caller {form}", re.compile(f"(?<![0-9]){re.escape(form)}(?![0-9])")))
    return patterns


def _texts(data: bytes, name: str) -> dict[str, str]:
    """A file's text, and for a workbook the text of every part inside it."""
    if name.endswith(".xlsx"):
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            return {f"{name}!{part}": book.read(part).decode("utf-8", "replace") for part in book.namelist()}
    return {name: data.decode("utf-8", "replace")}


def _pack_texts(pack: Path) -> dict[str, str]:
    with zipfile.ZipFile(pack) as archive:
        texts = {}
        for name in archive.namelist():
            texts.update(_texts(archive.read(name), name))
        return texts


def _leaks(texts: dict[str, str], patterns) -> list[str]:
    return [f"{where}: {what}" for where, text in texts.items() for what, pattern in patterns if pattern.search(text)]


def test_every_pack_holds_nothing_of_any_other_agency(sample_month):
    identities = _identities(sample_month.landing, sample_month.store)
    packs = sorted((sample_month.review / "share").glob("*.zip"))
    assert [p.stem for p in packs] == sorted(identities)
    redacted = 0
    for pack in packs:
        agency = pack.stem
        patterns = [p for other, identity in identities.items() if other != agency
                    for p in _patterns(identity, identities[agency])]
        assert len(patterns) > 20                     # every other agency contributes identifiers to look for
        texts = _pack_texts(pack)
        assert _leaks(texts, patterns) == [], agency
        redacted += texts["findings.csv"].count("another agency")
    assert redacted > 0          # some findings counted other agencies' calls: they are named that way


def test_the_scan_finds_other_agencies_where_they_are(sample_month):
    """The same scan over an agency's own rows of the daily violations.csv finds other agencies
    (the frequency details name them): what the packs hold had to be redacted."""
    identities = _identities(sample_month.landing, sample_month.store)
    found = 0
    for agency in identities:
        patterns = [p for other, identity in identities.items() if other != agency
                    for p in _patterns(identity, identities[agency])]
        for violations in sorted(sample_month.out.glob("2026-11-0*/violations.csv")):
            rows = pd.read_csv(violations, dtype=str, keep_default_na=False)
            text = rows[rows["agency_id"] == agency].to_csv(index=False)
            found += len(_leaks({violations.name: text}, patterns))
    assert found > 0


def test_a_pack_lists_its_files_and_its_peers_name_no_agency(sample_month):
    for pack in sorted((sample_month.review / "share").glob("*.zip")):
        with zipfile.ZipFile(pack) as archive:
            names = set(archive.namelist())
            manifest = json.loads(archive.read("manifest.json"))
            assert names - {"manifest.sig"} == PACK_FILES
            assert manifest["kind"] == "share_pack" and manifest["agency_id"] == pack.stem
            assert manifest["outputs"] == {n: sha256_bytes(archive.read(n)) for n in sorted(names)
                                           if n not in ("manifest.json", "manifest.sig")}
            assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in archive.infolist())
            assert [i.filename for i in archive.infolist()] == sorted(names)
            peers = pd.read_csv(io.BytesIO(archive.read("peers.csv")), dtype=str, keep_default_na=False)
            findings = pd.read_csv(io.BytesIO(archive.read("findings.csv")), dtype=str, keep_default_na=False)
        assert set(findings["agency_id"]) <= {pack.stem}
        assert peers.loc[0, "figure"] == "rank" and peers.loc[0, "agencies"] == "5"
        assert 1 <= int(peers.loc[0, "rank"]) <= 5
        assert set(peers["figure"]) == {"rank", "overall", "rate_confidentiality", "rate_frequency",
                                        "rate_qualification", "rate_data_quality"}
        scores = pd.read_csv(sample_month.review / "scores.csv", dtype=str, keep_default_na=False)
        assert int(peers.loc[0, "rank"]) == 1 + int((scores["overall"].astype(float) >
                                                     float(scores.set_index("agency_id").loc[pack.stem, "overall"])).sum())


def test_responses_hold_the_agency_s_open_cases_only_masked_with_empty_answers(sample_month):
    """responses.csv: one row per open case of the pack's agency (as the review's cases.csv has
    them at period end), due dates by severity, the agency's columns empty, no full number."""
    cases = pd.read_csv(sample_month.review / "cases.csv", dtype=str, keep_default_na=False)
    called = {n for p in sorted(sample_month.store.glob("calls/call_date=*/calls.parquet"))
              for n in pq.read_table(p, columns=["callee_e164"]).column(0).to_pylist()}
    assert len(called) > 100
    rows = masked = 0
    for pack in sorted((sample_month.review / "share").glob("*.zip")):
        with zipfile.ZipFile(pack) as archive:
            text = archive.read("responses.csv").decode("utf-8")
        responses = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        assert list(responses.columns) == ["case_id", "rule_id", "subject", "status", "due_date", "response",
                                           "corrective_action", "target_date", "contact"]
        own = cases[(cases["agency_id"] == pack.stem) & (cases["status"] != "resolved")]
        assert sorted(responses["case_id"]) == sorted(own["case_id"])
        assert set(responses["status"]) <= {"new", "reopened", "open", "quiet"}
        expected = own.set_index("case_id").loc[responses["case_id"]]
        days = expected["severity"].map({"critical": 3, "major": 14, "minor": 30})
        due = (pd.to_datetime(expected["first_seen"]) + pd.to_timedelta(days, unit="D")).dt.strftime("%Y-%m-%d")
        assert responses["due_date"].tolist() == due.tolist()
        assert (responses[["response", "corrective_action", "target_date", "contact"]] == "").all().all()
        customers = own.set_index("case_id").loc[responses["case_id"], "subject_kind"].isin(["customer", "caller"])
        assert responses.loc[customers.to_numpy(), "subject"].str.contains("*", regex=False).all()
        masked += int(customers.sum())
        assert not [n for n in called if n[1:] in text or n[3:] in text]      # no full number, any form
        rows += len(responses)
    assert rows == int((cases["status"] != "resolved").sum()) and masked > 0


def test_a_rerun_gives_the_same_bytes(sample_month, tmp_path):
    review = sample_month.review
    first = {p.relative_to(review).as_posix(): p.read_bytes() for p in sorted(review.rglob("*")) if p.is_file()}
    assert any(name.startswith("share/") for name in first) and "manifest.json" in first
    kept = tmp_path / "first"
    shutil.move(review, kept)
    try:
        assert cli(["review", "--month", "2026-11", "--out", str(sample_month.out), "--store",
                    str(sample_month.store), "--allow-missing-days"]) == 0
        again = {p.relative_to(review).as_posix(): p.read_bytes() for p in sorted(review.rglob("*")) if p.is_file()}
        assert sorted(again) == sorted(first)
        assert [name for name in first if first[name] != again[name]] == []
        assert cli(["review", "--month", "2026-11", "--out", str(sample_month.out), "--store",
                    str(sample_month.store), "--allow-missing-days"]) == 0          # unchanged: left as it is
        assert not (review / "superseded").exists()
        assert (review / "manifest.json").read_bytes() == first["manifest.json"]
    finally:
        shutil.rmtree(review, ignore_errors=True)
        shutil.move(kept, review)


def test_a_review_that_changes_keeps_the_one_it_replaces_and_verifies_with_it(sample_month, tmp_path, capsys):
    copy = tmp_path / "reports"
    shutil.copytree(sample_month.out, copy)
    shutil.rmtree(copy / "2026-11-03")                   # a day withdrawn: the review differs
    assert cli(["review", "--month", "2026-11", "--out", str(copy), "--store", str(sample_month.store),
                "--allow-missing-days"]) == 0
    review = copy / "reviews" / "2026-11"
    manifest = json.loads((review / "manifest.json").read_text(encoding="utf-8"))
    kept = review / manifest["supersedes"]["kept_at"]
    assert (kept / "manifest.json").read_bytes() == (sample_month.review / "manifest.json").read_bytes()
    assert "superseded/" not in "".join(manifest["outputs"])
    assert [d["date"] for d in manifest["daily_manifests"]] == ["2026-11-01", "2026-11-02"]
    # verify checks superseded/ as for a daily report: the kept review, intact, and nothing else
    assert cli(["verify", str(review)]) == 0
    (kept / "scores.csv").write_text("altered\n", encoding="utf-8")
    (review / "superseded" / "stray").mkdir()
    capsys.readouterr()
    assert cli(["verify", str(review)]) == 1
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert f"superseded/{kept.name}: scores.csv: sha256" in text and "superseded/stray: not a review" in text


@pytest.mark.parametrize("name", ["cases.csv", "scores.csv"])
def test_review_csvs_are_formula_safe_and_masked(sample_month, name):
    text = (sample_month.review / name).read_text(encoding="utf-8")
    assert not re.search(r"(?<![0-9*])1[3-9][0-9]{9}(?![0-9])", text)       # no full mobile number
    assert not re.search(r"^[=+\-@]", text, re.MULTILINE)


def test_a_signed_review_and_its_packs_verify_with_the_key_and_fail_with_another(sample_month, tmp_path, monkeypatch):
    """review.md §3: with AUDIT_SIGNING_KEY set, the review's manifest and every pack's manifest
    are signed; verify passes them with the bank's public key and fails them with another key."""
    import shutil

    from audits.cli import main as cli

    out = tmp_path / "reports"
    shutil.copytree(sample_month.out, out, ignore=shutil.ignore_patterns("reviews"))
    assert cli(["keygen", str(tmp_path / "bank")]) == 0
    assert cli(["keygen", str(tmp_path / "other")]) == 0
    monkeypatch.setenv("AUDIT_SIGNING_KEY", str(tmp_path / "bank" / "signing-key.pem"))
    assert cli(["review", "--month", "2026-11", "--out", str(out), "--store", str(sample_month.store),
                "--allow-missing-days"]) == 0
    review = out / "reviews" / "2026-11"
    packs = sorted((review / "share").glob("*.zip"))
    assert (review / "manifest.sig").is_file() and packs
    bank, other = tmp_path / "bank" / "signing-key.pub.pem", tmp_path / "other" / "signing-key.pub.pem"
    for path in (review, *packs):
        assert cli(["verify", str(path), "--public-key", str(bank)]) == 0, path
        assert cli(["verify", str(path), "--public-key", str(other)]) == 1, path


def test_a_review_republished_once_a_key_is_configured_is_signed(sample_month, tmp_path, monkeypatch):
    """An unsigned review published before the bank configured its key is not left unsigned when
    the period is reviewed again: the review and its packs are signed, the unsigned one kept."""
    out = tmp_path / "reports"
    shutil.copytree(sample_month.out, out)
    assert not (out / "reviews" / "2026-11" / "manifest.sig").exists()
    assert cli(["keygen", str(tmp_path / "bank")]) == 0
    monkeypatch.setenv("AUDIT_SIGNING_KEY", str(tmp_path / "bank" / "signing-key.pem"))
    assert cli(["review", "--month", "2026-11", "--out", str(out), "--store", str(sample_month.store),
                "--allow-missing-days"]) == 0
    review = out / "reviews" / "2026-11"
    assert (review / "manifest.sig").is_file()
    public = str(tmp_path / "bank" / "signing-key.pub.pem")
    assert cli(["verify", str(review), "--public-key", public]) == 0
    for pack in sorted((review / "share").glob("*.zip")):
        assert cli(["verify", str(pack), "--public-key", public]) == 0
    manifest = json.loads((review / "manifest.json").read_text(encoding="utf-8"))
    kept = review / manifest["supersedes"]["kept_at"]
    assert (kept / "manifest.json").read_bytes() == (sample_month.review / "manifest.json").read_bytes()
