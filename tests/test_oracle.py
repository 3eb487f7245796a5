"""End-to-end differential test of the whole rule engine: random small landing
zones audited by run_audit and by the plain oracle of tests/oracle/ (written from the spec, not
from audits/) must give exactly the same findings (agency_id, rule_id, call_id, and the call's
start_time to the second) and the same quarantine (source, agency_id, row_number, reasons), day by
day.

CI runs a few derandomised examples (about a minute). Search longer locally with
    HYPOTHESIS_PROFILE=thorough PYTHONPATH=$PWD .venv/bin/python -m pytest -p no:xdist -q tests/test_oracle.py
(200 examples, fresh randomness; add --hypothesis-show-statistics to see how often each rule fired).
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from hypothesis import Phase, event, given, settings

from audits.config import AuditConfig
from audits.pipeline import run_audit
from audits.rulepack import load_rulepack
from tests.oracle import landings
from tests.oracle import validity as v
from tests.oracle.loading import Quarantined, load_day, load_reference, read_rows
from tests.oracle.rules import Pack, findings

# Each example runs one or two audits (a few seconds each): a handful in CI, many more when the
# thorough profile is loaded (conftest.py). CI does not shrink a failure (each step audits again;
# the assertion already names every differing finding and row, with its input row); thorough does.
THOROUGH = settings.default.max_examples > 100
EXAMPLES = 200 if THOROUGH else 10
PHASES = tuple(Phase) if THOROUGH else (Phase.explicit, Phase.reuse, Phase.generate)


@settings(max_examples=EXAMPLES, deadline=None, phases=PHASES)
@given(world=landings.worlds())
def test_run_audit_equals_the_plain_oracle(world):
    with tempfile.TemporaryDirectory(prefix="oracle-") as tmp:
        root = Path(tmp)
        landing = world.write(root / "landing")
        pack_path = root / "oracle.yaml"
        pack_path.write_text(yaml.safe_dump(world.rulepack, allow_unicode=True), encoding="utf-8")
        rulepack = load_rulepack(pack_path)

        reference, reference_quarantine = load_reference(landing, bank_zone=world.bank_zone, region="CN")
        pack = Pack.from_document(world.rulepack)
        calls_by_day, quarantine_by_day = {}, {}
        for day in world.days:
            calls_by_day[day], quarantine_by_day[day] = load_day(landing, day, reference, region="CN")

        if world.walls:
            event("wall clocks in a daylight-saving gap or overlap")
        # the first day audited on its own (the store then holds it), the days between ingested by
        # the audit day's run as the pipeline does; or every earlier day ingested by that run
        audited = sorted({world.days[0], world.days[-1]}) if world.audit_first_day else world.days[-1:]
        problems = []
        for day in audited:
            config = AuditConfig(audit_date=day, landing=landing, out=root / "out", store=root / "store",
                                 rulepack=rulepack, hmac_secret=b"oracle", run_id=f"oracle-{day}",
                                 code_version="test", generated_at="2026-12-01T02:00:00+00:00")
            report = run_audit(config).report_dir
            # each finding with its call's start (to the second, as violations.csv writes it): a
            # timestamp taken from another row shows even where the findings happen to agree
            starts = {(c.agency_id, c.call_id): c.start for c in calls_by_day[day]}
            expected = {(a, rule_id, call_id, _second(starts[a, call_id]))
                        for a, rule_id, call_id in findings(day, calls_by_day, reference, pack)}
            got = _violations(report)
            for rule_id in {finding[1] for finding in expected}:
                event(f"fires {rule_id}")
            for boundary in _boundaries(day, calls_by_day, reference, pack):
                event(f"boundary: {boundary}")
            expected_quarantine = set(reference_quarantine) | set(quarantine_by_day[day])
            for reason in {r for q in expected_quarantine for r in q.reasons}:
                event(f"quarantines {reason}")
            got_quarantine = _quarantine(report)
            # quarantine first: a row wrongly accepted or rejected explains the findings after it
            problems += _differences(day, landing, "quarantined row", expected_quarantine, got_quarantine)
            problems += _differences(day, landing, "finding", expected, got)
        assert not problems, "run_audit and the oracle disagree:\n" + "\n".join(problems[:40])


def _boundaries(day: dt.date, calls_by_day: dict, reference, pack: Pack) -> set[str]:
    """Which boundaries the day's accepted calls sit on (shown with --hypothesis-show-statistics)."""
    seen = set()
    every = [c for d, calls in calls_by_day.items() if d <= day for c in calls]
    for call in calls_by_day[day]:
        for other in every:
            if other is not call and other.callee == call.callee:
                if call.start - other.start == pack.redial_gap:
                    seen.add("a call exactly redial_gap after another to the number")
                if dt.timedelta(0) < pack.redial_gap - (call.start - other.start) <= dt.timedelta(seconds=1):
                    seen.add("a call less than 1 s inside redial_gap")
                if call.start == other.start:
                    seen.add("two calls to the number at the same instant")
        for zone in v.callee_zones(call.callee, call.callee_tz, reference.agency_zone(call.agency_id, day)):
            local = call.start.astimezone(ZoneInfo(zone))
            second = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
            for start, end in pack.windows.values():
                if second == start:
                    seen.add("a call at a calling-hours start")
                if second == end:
                    seen.add("a call at a calling-hours end")
        if any(call.start in (k.given, k.withdrawn) for k in reference.consents if k.phone == call.callee):
            seen.add("consent given or withdrawn at the call's start")
    return seen


def _second(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def _violations(report: Path) -> set[tuple[str, str, str, str]]:
    return {(r["agency_id"], r["rule_id"], r["call_id"], _second(dt.datetime.fromisoformat(r["start_time"])))
            for r in read_rows(report / "violations.csv")}


def _quarantine(report: Path) -> set[Quarantined]:
    return {Quarantined(r["source"], r["agency_id"], int(r["row_number"]), tuple(sorted(r["reasons"].split(";"))))
            for r in read_rows(report / "quarantine.csv")}


def _differences(day: dt.date, landing: Path, what: str, expected: set, got: set) -> list[str]:
    """One line per difference, with the input row it is about (the test data is synthetic)."""
    lines = []
    for label, items in (("oracle only", expected - got), ("run_audit only", got - expected)):
        for item in sorted(items, key=str):
            lines.append(f"{day} {label}: {what} {item}\n    row: {_row_of(day, landing, item)}")
    return lines


def _row_of(day: dt.date, landing: Path, item) -> str:
    if isinstance(item, Quarantined):
        path, number = landing / item.source, item.row_number
        rows = read_rows(path)
        return ",".join(rows[number - 1].values()) if 0 < number <= len(rows) and rows[number - 1] else "?"
    agency_id, _rule, call_id, _start = item
    path = landing / "cdr" / day.isoformat() / f"{agency_id}.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return " | ".join(f"row {n}: " + ",".join(r) for n, r in enumerate(csv.reader(handle)) if r and r[0] == call_id)


def test_the_oracle_reads_values_as_the_contract_says():
    """The oracle's own reading of cells, on data-contract.md's and rules.md's examples."""
    assert {v.phone(t, "CN") for t in ("13812345678", "+86 138 1234 5678", "0086-138-1234-5678")} == {"+8613812345678"}
    assert v.phone("12345", "CN") is None and v.phone("phone?", "CN") is None
    instant = dt.datetime(2026, 11, 27, 2, 0, 30, 500000, tzinfo=dt.UTC)
    assert {v.timestamp(t, "Asia/Shanghai") for t in (
        "2026-11-27 10:00:30.5", "2026-11-27T10:00:30,5", "2026-11-27T02:00:30.500Z", "2026-11-27 10:00:30.5+08",
        "2026-11-27 10:00:30.5+0800", "2026-11-27T11:00:30.5+09:00")} == {instant}
    assert v.timestamp("2026-11-27 10:00", "Asia/Shanghai") == dt.datetime(2026, 11, 27, 2, tzinfo=dt.UTC)
    assert [v.timestamp(t, "Asia/Shanghai") for t in ("2026-02-30 10:00", "2026-13-45 10:00", "2026-11-27")] == [None] * 3
    assert v.enum(" answered ", v.DISPOSITIONS) == "ANSWERED" and v.enum("PICKED_UP", v.DISPOSITIONS) is None
    assert v.pii_in("客户身份证 11010519491231002X") and v.pii_in("卡号 4111111111111111") and v.pii_in("手机１３８１２３４５６７８")
    assert all(v.pii_in(t) for t in ("138 0013 8001", "+86 (138) 0013-8009", "4111-1111-1111-1111",
                                     "110105 19491231 0011", "一三八零零一三八零零一"))       # rules.md's written forms
    assert not v.pii_in("11010519491231002Y, 4111111111111112; 138  1234  5678, 138123456789, 12812345678, "
                        "2026-11-30, 12:30, 2026-11-30 12:03:00")
    new_york = "America/New_York"
    assert v.timestamp("2026-03-08 02:30:00", new_york) == dt.datetime(2026, 3, 8, 7, tzinfo=dt.UTC)      # gap: 03:00 EDT
    assert v.timestamp("2026-11-01 01:30:00", new_york) == dt.datetime(2026, 11, 1, 5, 30, tzinfo=dt.UTC)  # first: EDT
    # callee-local time: the number's zones decide; callee_tz only narrows to one of them
    assert v.callee_zones("+8613812345678", "Europe/London", "Asia/Urumqi") == ["Asia/Shanghai"]
    assert v.callee_zones("+19075550123", None, "Asia/Shanghai") == ["America/Adak", "America/Anchorage"]
    assert v.callee_zones("+19075550123", "America/Anchorage", "Asia/Shanghai") == ["America/Anchorage"]
    assert v.callee_zones("+80012345678", "Asia/Shanghai", "Asia/Urumqi") == ["Asia/Urumqi"]
