"""The benchmark's bulk landing zone is read by the real loaders without a single quarantined row,
holds what its summary says, and is the same bytes for the same seed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from audits.ingest import load_calls, load_reference
from audits.models import REFERENCE_TABLES
from audits.rulepack import load_rulepack
from benchmarks.landing import write_bulk_landing

START = dt.date(2026, 11, 21)
DAYS = (START, START + dt.timedelta(days=1))


@pytest.fixture(scope="module")
def bulk(tmp_path_factory) -> tuple[Path, dict]:
    landing = tmp_path_factory.mktemp("bulk") / "landing"
    return landing, write_bulk_landing(landing, start=START, days=2, agencies=3, calls_per_day=3000, seed=5)


def test_reference_rows_are_all_accepted_and_counted_in_the_summary(bulk):
    landing, summary = bulk
    reference = load_reference(landing, audit_date=DAYS[-1], rulepack=load_rulepack("cn_bank"))
    assert set(reference) == set(REFERENCE_TABLES)
    for table, ingested in reference.items():
        (record,) = ingested.files
        assert ingested.quarantine.empty, (table, ingested.quarantine["reasons"].value_counts().to_dict())
        assert record.rows_read == record.rows_accepted == len(ingested.accepted) == summary["reference"][table] > 0
    assert (landing / "reference" / "contracts.xlsx").is_file()
    assert reference["contracts"].files[0].path == "reference/contracts.xlsx"


def test_every_call_is_accepted_on_every_day(bulk):
    landing, summary = bulk
    pack = load_rulepack("cn_bank")
    contracts = load_reference(landing, audit_date=DAYS[0], rulepack=pack)["contracts"].accepted
    call_ids, total = set(), 0
    for day in DAYS:
        ingested = load_calls(landing, day=day, contracts=contracts, rulepack=pack)
        assert ingested.quarantine.empty, ingested.quarantine["reasons"].value_counts().to_dict()
        assert [(f.agency_id, f.status) for f in ingested.files] == [("AG01", "ok"), ("AG02", "ok"), ("AG03", "ok")]
        assert all(f.rows_read == f.rows_accepted > 0 for f in ingested.files)
        calls = ingested.accepted
        assert len(calls) == sum(f.rows_read for f in ingested.files) == summary["calls"] // 2 == 3000
        assert (calls["call_date"] == day.isoformat()).all()
        answered = calls["disposition_code"] == "ANSWERED"
        assert calls.loc[~answered, "outcome_code"].isna().all()       # outcomes only on answered calls
        assert 0.25 < answered.mean() < 0.45
        call_ids |= set(calls["call_id"])
        total += len(calls)
    assert len(call_ids) == total == summary["calls"]                  # unique across agencies and days
    assert summary["files"] == 6 and summary["days"] == 2 and summary["agencies"] == 3
    names = sorted(p.name for p in (landing / "cdr" / DAYS[0].isoformat()).iterdir())
    assert names == ["AG01.csv", "AG02.parquet", "AG03.csv.gz"]


def _contents(landing: Path) -> dict[str, bytes]:
    return {p.relative_to(landing).as_posix(): p.read_bytes() for p in sorted(landing.rglob("*")) if p.is_file()}


def test_the_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path):
    def run(name: str, seed: int) -> dict[str, bytes]:
        write_bulk_landing(tmp_path / name, start=START, days=2, agencies=3, calls_per_day=1500, seed=seed)
        return _contents(tmp_path / name)

    first, again, other = run("a", 9), run("b", 9), run("c", 10)
    assert len(first) == 12                      # 6 reference files, 3 agencies x 2 days
    assert first == again
    assert set(other) == set(first)
    assert [path for path in first if first[path] != other[path] and path.startswith("cdr/")]


def test_breakages_take_agencies_in_order_until_their_share_of_the_calls():
    from benchmarks.landing.heavy import MIX, plan_breakages

    ids = ["AG1", "AG2", "AG3", "AG4"]
    weights = np.array([1.0, 1.0, 1.0, 1.0])
    assert plan_breakages(ids, weights, 0.0) == {}
    assert plan_breakages(ids, weights, 0.5) == {"AG1": MIX[0], "AG2": MIX[1]}
    assert plan_breakages(ids, weights, 0.51) == {"AG1": MIX[0], "AG2": MIX[1], "AG3": MIX[2]}
    with pytest.raises(ValueError, match="share must lie in 0..1"):
        plan_breakages(ids, weights, 1.5)


def test_the_mix_is_mostly_customer_level_breakages_and_holds_every_kind():
    from benchmarks.landing.heavy import BREAKAGES, CUSTOMER_LEVEL, MIX

    assert set(MIX) == set(BREAKAGES)
    assert sum(kind in CUSTOMER_LEVEL for kind in MIX) / len(MIX) > 2 / 3      # real heavy days: customer cases


# Each kind: agency -> the rules that break on the last day, and the calls that break them ("all" or
# "half": the agency's customers with an even index, whose assignments were moved).
_HEAVY = {"AG01": ("contract_lost", {"QUAL_NO_CONTRACT": "all", "CONF_UNASSIGNED": "all"}),
          "AG02": ("assignments_withdrawn", {"CONF_UNASSIGNED": "all"}),
          "AG03": ("stale_list", {"CONF_UNASSIGNED": "half"}),
          "AG04": ("no_contract", {"QUAL_NO_CONTRACT": "all"}),
          "AG05": ("unregistered_callers", {"QUAL_UNREGISTERED_CALLER_ID": "all"}),
          "AG06": ("nda_expired", {"CONF_NDA_NOT_IN_FORCE": "all"}),
          "AG07": ("agents_off_roster", {"CONF_AGENT_NOT_ACTIVE": "all"}),
          "AG08": ("licence_expired", {"QUAL_LICENCE_INVALID": "all"})}


def test_a_findings_heavy_landing_breaks_the_broken_agencies_calls_on_the_last_day_only(tmp_path, monkeypatch):
    from audits.config import AuditConfig
    from audits.pipeline import ingest_earlier_days, rule_inputs
    from audits.rules import run_rules
    from benchmarks.landing import heavy

    monkeypatch.setattr(heavy, "MIX", tuple(kind for kind, _ in _HEAVY.values()))
    landing = tmp_path / "landing"
    summary = write_bulk_landing(landing, start=START, days=2, agencies=8, calls_per_day=4000, seed=5,
                                 findings_heavy=1.0)
    assert summary["broken"] == {agency: kind for agency, (kind, _) in _HEAVY.items()}
    rules = {rule_id for _, broken in _HEAVY.values() for rule_id in broken}
    pack = load_rulepack("cn_bank")
    for day in DAYS:
        config = AuditConfig(audit_date=day, landing=landing, out=tmp_path / "out", store=tmp_path / "store",
                             rulepack=pack)
        reference = load_reference(landing, audit_date=day, rulepack=pack)
        assert all(ingested.quarantine.empty for ingested in reference.values())
        tables = {name: ingested.accepted for name, ingested in reference.items()}
        ingest_earlier_days(config, tables["contracts"], progress=lambda _m: None)
        calls = load_calls(landing, day=day, contracts=tables["contracts"], rulepack=pack).accepted
        found = run_rules(rule_inputs(config, tables, calls))
        broken = found[found["rule_id"].isin(rules)]
        if day == DAYS[0]:
            assert broken.empty, broken["rule_id"].value_counts().to_dict()       # the day before: all in order
            continue
        moved = _moved_customers(tables["assignments"], day)
        for agency, (_, expected) in _HEAVY.items():
            mine = broken[broken["agency_id"] == agency]
            assert set(mine["rule_id"]) == set(expected), agency
            theirs = calls[calls["agency_id"] == agency]
            for rule_id, which in expected.items():
                hit = set(mine.loc[mine["rule_id"] == rule_id, "call_id"])
                if which == "all":
                    assert hit == set(theirs["call_id"]), (agency, rule_id)
                else:                                   # the calls to the customers moved away, and only those
                    to_moved = theirs["callee_e164"].isin(moved[agency])
                    assert hit == set(theirs.loc[to_moved, "call_id"]) and 0 < to_moved.mean() < 1, agency


def _moved_customers(assignments, day: dt.date) -> dict[str, set]:
    """agency -> numbers whose assignment to the agency ended the day before `day`."""
    ended = assignments[assignments["assigned_to_date"] == np.datetime64(day - dt.timedelta(days=1))]
    return {agency: set(rows["phone_e164"]) for agency, rows in ended.groupby("agency_id")}


# --- text messages (--sms-per-day) -------------------------------------------------------------

@pytest.fixture(scope="module")
def texting(tmp_path_factory) -> tuple[Path, dict]:
    landing = tmp_path_factory.mktemp("bulk-sms") / "landing"
    return landing, write_bulk_landing(landing, start=START, days=2, agencies=6, calls_per_day=3000, seed=5,
                                       sms_per_day=12_000)      # AG06 is the first with marketing campaigns


def test_every_text_message_file_is_valid_and_texts_from_a_registered_port(texting):
    import pandas as pd

    from audits.loaders import read_table
    from audits.rules.messages.inputs import sender_digits, type_messages
    from benchmarks.landing.sms import SIGNATURE

    landing, summary = texting
    pack = load_rulepack("cn_bank")
    ports = pd.read_csv(landing / "reference" / "caller_numbers.csv", dtype=str, keep_default_na=False)
    ports = ports[ports["channel"] == "sms"]
    registered = set(zip(ports["agency_id"], sender_digits(ports["caller_number"])))
    contracts = pd.read_excel(landing / "reference" / "contracts.xlsx", dtype=str)
    assert set(contracts["channels"]) == {"call;sms"} and len(ports) == 12
    messages, rows = 0, 0
    for day in DAYS:
        folder = landing / "sms" / day.isoformat()
        assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in (landing / "cdr" / day.isoformat())
                                                                  .iterdir())     # as the agency's CDR file
        for path in sorted(folder.iterdir()):
            raw = read_table(path, "sms").frame
            typed = type_messages(raw, local_zone=pack.bank_timezone, bank_zone=pack.bank_timezone,
                                  region=pack.default_region)
            agency = path.name.split(".")[0]
            mt = typed["direction_code"] == "MT"
            assert set(typed["direction_code"]) <= {"MT", "MO"}
            assert typed["message_id"].is_unique and (typed["agency_id"] == agency).all()
            assert typed[["campaign_id", "customer_e164", "sent_utc"]].notna().all().all()
            assert (typed["sent_date"] == day.isoformat()).all()
            assert set(typed.loc[mt, "status_code"]) <= {"DELIVERED", "PENDING", "FAILED", "REJECTED"}
            assert typed.loc[~mt, "status_code"].isna().all()
            assert {(agency, s) for s in typed["sender_digits"]} <= registered
            signed = typed.loc[mt, "text"].str.startswith(SIGNATURE) | typed.loc[mt, "text"].str.endswith(SIGNATURE)
            assert signed.all()
            messages += int(mt.sum())
            rows += len(typed)
    assert messages == summary["messages"] == 2 * 12_000 and rows == summary["sms_rows"] > messages
    assert summary["sms_files"] == 12


def test_texts_hold_marketing_and_opt_outs_and_leave_the_calls_as_they_were(texting, tmp_path):
    import pandas as pd

    from audits.loaders import read_table
    from audits.models import PURPOSES

    landing, _ = texting
    frames = [read_table(p, "sms").frame for day in DAYS for p in sorted((landing / "sms" / day.isoformat()).iterdir())]
    texts = pd.concat(frames, ignore_index=True)
    campaigns = pd.read_csv(landing / "reference" / "campaigns.csv", dtype=str).set_index("campaign_id")["purpose"]
    mt = texts["direction"].str.upper() == "MT"
    purposes = texts.loc[mt, "campaign_id"].map(campaigns)
    assert set(purposes) <= set(PURPOSES) and 0.05 < (purposes == "marketing").mean() < 0.6
    opt_outs = texts.loc[~mt, "text"].isin(["T", "退订", "TD", "Ｔ"])
    assert opt_outs.sum() > 0 and (~opt_outs).sum() > 0          # opt-outs and ordinary replies

    without = tmp_path / "calls-only"
    summary = write_bulk_landing(without, start=START, days=2, agencies=6, calls_per_day=3000, seed=5)
    assert not (without / "sms").exists() and summary["messages"] == 0
    assert {k: v for k, v in _contents(without).items() if k.startswith("cdr/")} == \
        {k: v for k, v in _contents(landing).items() if k.startswith("cdr/")}


# --- as agencies really deliver (--messy) --------------------------------------------------------

def test_a_messy_landing_is_read_whole_and_holds_the_tidy_landings_calls_in_other_forms(tmp_path):
    import pyarrow.parquet as pq

    from audits.loaders import read_table

    pack = load_rulepack("cn_bank")
    kwargs = dict(start=START, days=2, agencies=8, calls_per_day=4000, seed=5)
    tidy = write_bulk_landing(tmp_path / "tidy", **kwargs)
    messy = write_bulk_landing(tmp_path / "messy", messy=True, **kwargs)
    reference = load_reference(tmp_path / "messy", audit_date=DAYS[-1], rulepack=pack)
    assert all(ingested.quarantine.empty for ingested in reference.values())
    customers = messy["customers"]
    assert messy["reference"]["consents"] > 0.75 * customers > tidy["reference"]["consents"]   # ~0.95 N vs ~0.56 N
    assert messy["reference"]["assignments"] == tidy["reference"]["assignments"]
    phones = read_table(tmp_path / "messy" / "reference" / "assignments.csv", "assignments").frame["phone"]
    assert 0.40 < (~phones.str.fullmatch(r"1\d{10}")).mean() < 0.50
    names = sorted(p.name for p in (tmp_path / "messy" / "cdr" / DAYS[-1].isoformat()).iterdir())
    assert names == ["AG01.csv", "AG02.csv", "AG03.csv.gz", "AG04.parquet", "AG05.csv", "AG06.csv", "AG07.csv.gz",
                     "AG08.parquet"]
    assert (tmp_path / "messy" / "cdr" / DAYS[-1].isoformat() / "AG05.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_table(tmp_path / "messy" / "cdr" / DAYS[-1].isoformat() / "AG02.csv", "cdr").encoding == "gb18030"
    written = pq.read_table(tmp_path / "messy" / "cdr" / DAYS[-1].isoformat() / "AG04.parquet").column("start_time")
    assert len({len(text) for text in written.to_pylist()}) >= 4                 # timestamp shapes mixed in a file
    for day in DAYS:
        contracts = reference["contracts"].accepted
        calls = {name: load_calls(tmp_path / name, day=day, contracts=contracts, rulepack=pack)
                 for name in ("tidy", "messy")}
        assert calls["messy"].quarantine.empty, calls["messy"].quarantine["reasons"].value_counts().to_dict()
        same = ["call_id", "agency_id", "callee_e164", "caller_e164", "disposition_code"]
        tidy_calls, messy_calls = (calls[name].accepted.sort_values("call_id")[same].reset_index(drop=True)
                                   for name in ("tidy", "messy"))
        assert tidy_calls.equals(messy_calls)
