"""Scoring: the published formula at its boundaries, with literal volumes and findings."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from audits.models import Provenance
from audits.rulepack import load_rulepack
from audits.rules.findings import empty_violations
from audits.scoring import (
    EVIDENCE_PER_RULE,
    AgencyVolume,
    build_scorecards,
    family_score,
    grade_for,
    rank_worst_first,
    score_agencies,
)
from tests.scoring_frames import calls_of, findings_of

PACK = load_rulepack("cn_bank")
DAY = dt.date(2026, 11, 27)
NO_HISTORY = pd.DataFrame(columns=["audit_date", "agency_id", "overall", "grade"])


def _calls(agency: str, n: int) -> pd.DataFrame:
    return calls_of(agency, n)


def _violations(rows: list[tuple[str, str, str, str, str]]) -> pd.DataFrame:
    return findings_of(rows, day="2026-11-27")


def _volume(agency: str, rows: int, quarantined: int = 0, status: str = "ok") -> AgencyVolume:
    return AgencyVolume(agency, agency, status, "", rows, quarantined, ())


def test_family_score_formula_and_floor():
    assert family_score(0.0, 0.05) == 100.0
    assert family_score(0.01, 0.05) == 80.0
    assert family_score(0.05, 0.05) == 0.0
    assert family_score(0.5, 0.05) == 0.0
    assert family_score(None, 0.05) is None


@pytest.mark.parametrize("overall, grade", [(100, "A"), (90, "A"), (89.99, "B"), (80, "B"), (79.99, "C"),
                                            (70, "C"), (60, "D"), (59.99, "F"), (0, "F"), (None, "")])
def test_grade_bands(overall, grade):
    assert grade_for(overall, PACK) == grade


def test_weighted_overall_and_critical_cap():
    # 100 calls: 1 call with a major frequency finding (rate 1% -> 80), 1 with a critical
    # confidentiality finding (-> 80); qualification 100; data quality 0 of 100 rows -> 100.
    violations = _violations([("AG01", "AG01-1", "FREQ_DAILY_CAP", "frequency", "major"),
                              ("AG01", "AG01-2", "CONF_PII_IN_NOTES", "confidentiality", "critical"),
                              ("AG01", "AG01-2", "CONF_UNASSIGNED", "confidentiality", "critical")])
    scores = score_agencies(DAY, [_volume("AG01", 100)], _calls("AG01", 100), violations, PACK, NO_HISTORY)
    row = scores.iloc[0]
    assert (row.score_confidentiality, row.score_frequency, row.score_qualification, row.score_data_quality) == \
        (80.0, 80.0, 100.0, 100.0)
    assert row.overall == pytest.approx(0.35 * 80 + 0.30 * 80 + 0.25 * 100 + 0.10 * 100)   # 87.0
    # B by its band; 1 call of 100 with a critical finding is 1 % of the calls: the share gate gives F
    assert (row.grade, row.grade_gate) == ("F", "critical_share_f") and row.grade_capped
    assert row.calls_confidentiality == 1 and row.critical_findings == 2 and row.findings == 3


def test_critical_share_lowers_a_worse_band_too():
    violations = _violations([("AG01", f"AG01-{i}", "CONF_UNASSIGNED", "confidentiality", "critical")
                              for i in range(10)])
    row = score_agencies(DAY, [_volume("AG01", 100)], _calls("AG01", 100), violations, PACK, NO_HISTORY).iloc[0]
    assert row.score_confidentiality == 0.0 and row.overall == 65.0          # band D
    assert (row.grade, row.grade_gate) == ("F", "critical_share_f")       # 10 % of calls critical


def test_missing_file_scores_zero_on_data_quality_and_is_not_assessed():
    scores = score_agencies(DAY, [_volume("AG02", 0, status="missing")], _calls("AG01", 0),
                            empty_violations(), PACK, NO_HISTORY)
    row = scores.iloc[0]
    assert row.score_data_quality == 0.0
    assert pd.isna(row.score_confidentiality) and pd.isna(row.score_frequency) and pd.isna(row.score_qualification)
    assert pd.isna(row.overall) and pd.isna(row.grade) and not row.assessed     # never 0 or F


def test_data_quality_rate_uses_rows_read():
    row = score_agencies(DAY, [_volume("AG01", 200, quarantined=4)], _calls("AG01", 196),
                         empty_violations(), PACK, NO_HISTORY).iloc[0]
    assert row.score_data_quality == 60.0                               # 2% of rows -> 100*(1-0.4)


def test_changes_against_previous_assessed_day_and_previous_seven_assessed_days():
    history = pd.DataFrame({"audit_date": [(DAY - dt.timedelta(days=d)).isoformat() for d in (1, 2, 3, 8)],
                            "agency_id": "AG01", "overall": [90.0, 80.0, 70.0, 10.0], "grade": "A"})
    row = score_agencies(DAY, [_volume("AG01", 10)], _calls("AG01", 10), empty_violations(), PACK, history).iloc[0]
    assert row.overall == 100.0
    assert row.change_prev_day == 10.0                                  # against 90
    assert row.change_prev_7d == 37.5            # against mean(90, 80, 70, 10): the last 7 assessed days, days apart


def test_scorecards_rank_worst_first_and_sample_evidence_per_rule():
    rows = [("AG01", f"AG01-{i}", "CONF_NDA_NOT_IN_FORCE", "confidentiality", "major")
            for i in range(EVIDENCE_PER_RULE + 5)]
    rows.append(("AG01", "AG01-x", "FREQ_DAILY_CAP", "frequency", "major"))
    violations = _violations(rows)
    volumes = [_volume("AG01", EVIDENCE_PER_RULE + 5), _volume("AG02", 10), _volume("AG03", 0, status="missing")]
    calls = pd.concat([_calls("AG01", EVIDENCE_PER_RULE + 5), _calls("AG02", 10)], ignore_index=True)
    scores = score_agencies(DAY, volumes, calls, violations, PACK, NO_HISTORY)
    provenance = Provenance("r", DAY.isoformat(), PACK.name, PACK.sha256, "test", "", ())
    calls["is_attempt"] = True
    cards = build_scorecards(scores, volumes, calls, violations, PACK, NO_HISTORY, provenance)
    first = next(c for c in cards if c.agency_id == "AG01")
    assert first.total_findings == EVIDENCE_PER_RULE + 6
    assert len(first.findings) == EVIDENCE_PER_RULE + 1                 # every rule keeps evidence
    assert [c.agency_id for c in rank_worst_first(cards)] == ["AG03", "AG01", "AG02"]


def test_scorecards_carry_the_score_before_decisions_only_when_scores_have_it():
    volumes = [_volume("AG01", 10)]
    calls = _calls("AG01", 10)
    scores = score_agencies(DAY, volumes, calls, empty_violations(), PACK, NO_HISTORY)
    provenance = Provenance("r", DAY.isoformat(), PACK.name, PACK.sha256, "test", "", ())
    earlier = scores.drop(columns=["overall_before_decisions", "grade_before_decisions"])   # a report before decisions
    (plain,) = build_scorecards(earlier, volumes, calls, empty_violations(), PACK, NO_HISTORY, provenance)
    assert plain.overall_before_decisions is None and plain.grade_before_decisions == ""
    decided = scores.assign(overall_before_decisions=[71.5], grade_before_decisions=["C"])
    (card,) = build_scorecards(decided, volumes, calls, empty_violations(), PACK, NO_HISTORY, provenance)
    assert (card.overall, card.overall_before_decisions, card.grade_before_decisions) == (100.0, 71.5, "C")


def test_scorecards_top_agents_callers_and_hours_per_agency_from_one_pass():
    rows = [("AG01", f"AG01-{i}", "FREQ_DAILY_CAP", "frequency", "major") for i in range(3)]
    rows += [("AG02", "AG02-0", "FREQ_DAILY_CAP", "frequency", "major")]
    violations = _violations(rows).assign(agent_id=["E2", "E1", "E2", "E9"],
                                          start_time=["2026-11-27T09:00:00+08:00", "2026-11-27T21:30:00+08:00",
                                                      "2026-11-27T09:59:00+08:00", "2026-11-27T00:10:00+08:00"])
    volumes = [_volume("AG01", 3), _volume("AG02", 1)]
    calls = pd.concat([_calls("AG01", 3), _calls("AG02", 1)], ignore_index=True)
    calls.loc[calls["call_id"] == "AG01-1", "caller_e164"] = "+862112345678"
    scores = score_agencies(DAY, volumes, calls, violations, PACK, NO_HISTORY)
    provenance = Provenance("r", DAY.isoformat(), PACK.name, PACK.sha256, "test", "", ())
    first, second = build_scorecards(scores, volumes, calls, violations, PACK, NO_HISTORY, provenance)
    assert first.top_agents == (("E2", 2), ("E1", 1)) and second.top_agents == (("E9", 1),)
    assert first.top_callers == (("+86 106***9988", 2), ("+86 211***5678", 1))
    assert first.findings_by_hour[9] == 2 and first.findings_by_hour[21] == 1 and sum(first.findings_by_hour) == 3
    assert second.findings_by_hour[0] == 1 and sum(second.findings_by_hour) == 1
    assert [f.call_id for f in first.findings] == ["AG01-0", "AG01-1", "AG01-2"]
