"""Grade gates, not assessed and the worst-first ranking (rules.md, Scoring), with literal volumes."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from audits.config import ConfigError, GradeGates
from audits.models import Provenance, gate_words
from audits.rulepack import _parse_rulepack, load_rulepack
from audits.rules.findings import empty_violations
from audits.scoring import AgencyVolume, build_scorecards, rank_worst_first, score_agencies
from tests.scoring_frames import calls_of, findings_of

PACK = load_rulepack("cn_bank")
DAY = dt.date(2026, 11, 30)
NO_HISTORY = pd.DataFrame(columns=["audit_date", "agency_id", "overall", "grade"])
PROVENANCE = Provenance("r", DAY.isoformat(), PACK.name, PACK.sha256, "test", "", ())


def _calls(agency: str, n: int) -> pd.DataFrame:
    return calls_of(agency, n)


def _violations(rows: list[tuple[str, str, str, str, str]]) -> pd.DataFrame:
    return findings_of(rows, day="2026-11-30")


def _critical(agency: str, n: int) -> list[tuple[str, str, str, str, str]]:
    return [(agency, f"{agency}-{i}", "CONF_PII_IN_NOTES", "confidentiality", "critical") for i in range(n)]


def _volume(agency: str, rows: int, status: str = "ok") -> AgencyVolume:
    return AgencyVolume(agency, agency, status, "", rows, 0, ())


def _score(calls: int, rows: list, pack=PACK):
    return score_agencies(DAY, [_volume("AG01", calls)], _calls("AG01", calls), _violations(rows), pack,
                          NO_HISTORY).iloc[0]


@pytest.mark.parametrize("calls, critical, grade, gate", [
    (1001, 1, "C", "critical"),            # 0.0999 %: below the D gate, the critical gate caps an A at C
    (1000, 1, "D", "critical_share_d"),    # 0.1 %: D
    (1001, 10, "D", "critical_share_d"),   # 0.999 %: still D
    (1000, 10, "F", "critical_share_f"),   # 1 %: F
])
def test_critical_share_gates_at_their_boundaries(calls, critical, grade, gate):
    row = _score(calls, _critical("AG01", critical))
    assert row.overall >= 90                                        # the band alone says A
    assert (row.grade, row.grade_gate, row.grade_capped) == (grade, gate, True)


def test_no_gate_leaves_the_band_and_a_gate_of_the_same_letter_is_not_named():
    assert (_score(1000, []).grade, _score(1000, []).grade_gate) == ("A", "")
    # 30 critical calls of 100: confidentiality 0 -> overall 65, band D; the share gate gives F
    row = _score(100, _critical("AG01", 30))
    assert (row.overall, row.grade, row.grade_gate) == (65.0, "F", "critical_share_f")
    # 100 % critical and every other family failing: band F already, no gate lowered it
    rows = _critical("AG01", 10) + [("AG01", f"AG01-{i}", "FREQ_DAILY_CAP", "frequency", "major") for i in range(10)]
    row = _score(10, rows)
    assert (row.grade, row.grade_gate) == ("F", "")


def test_a_call_without_a_contract_fails_the_agency_and_ranks_it_above_a_d():
    # AG05: every call a QUAL_NO_CONTRACT finding (qualification 0, overall 75 -> band C);
    # AG06: 4 critical findings among 4,000 calls plus frequency findings -> D by its band
    volumes = [_volume("AG05", 50), _volume("AG06", 4000)]
    calls = pd.concat([_calls("AG05", 50), _calls("AG06", 4000)], ignore_index=True)
    rows = [("AG05", f"AG05-{i}", "QUAL_NO_CONTRACT", "qualification", "critical") for i in range(50)]
    rows += _critical("AG06", 4)
    rows += [("AG06", f"AG06-{i}", "FREQ_DAILY_CAP", "frequency", "major") for i in range(100, 260)]
    violations = _violations(rows)
    scores = score_agencies(DAY, volumes, calls, violations, PACK, NO_HISTORY).set_index("agency_id")
    assert scores.loc["AG05", "overall"] == 75.0
    assert (scores.loc["AG05", "grade"], scores.loc["AG05", "grade_gate"]) == ("F", "QUAL_NO_CONTRACT")
    assert scores.loc["AG06", "overall"] > scores.loc["AG05", "overall"]
    assert scores.loc["AG06", "grade"] == "D"
    cards = build_scorecards(scores.reset_index(), volumes, calls, violations, PACK, NO_HISTORY, PROVENANCE)
    assert [c.agency_id for c in rank_worst_first(cards)] == ["AG05", "AG06"]
    card = next(c for c in cards if c.agency_id == "AG05")
    assert card.grade_gate == "QUAL_NO_CONTRACT"
    assert card.gate_sentence == "F: calls without a contract in force"


def test_ranking_not_assessed_then_letters_then_overall_then_agency():
    volumes = [_volume(a, 1000) for a in ("AG01", "AG02", "AG03", "AG04")] + [_volume("AG09", 0, "unreadable"),
                                                                              _volume("AG00", 0, "missing")]
    calls = pd.concat([_calls(a, 1000) for a in ("AG01", "AG02", "AG03", "AG04")], ignore_index=True)
    # AG01 clean (A 100); AG02 1 critical (C 99.3); AG03 1 critical too (C, tie broken by id); AG04 10 critical (F)
    violations = _violations(_critical("AG02", 1) + [("AG03", "AG03-0", "CONF_UNASSIGNED", "confidentiality",
                                                      "critical")] + _critical("AG04", 10))
    scores = score_agencies(DAY, volumes, calls, violations, PACK, NO_HISTORY)
    cards = build_scorecards(scores, volumes, calls, violations, PACK, NO_HISTORY, PROVENANCE)
    ranked = [c.agency_id for c in rank_worst_first(cards)]
    assert ranked == ["AG00", "AG09", "AG04", "AG02", "AG03", "AG01"]


def test_not_assessed_has_no_overall_no_grade_and_no_gate():
    scores = score_agencies(DAY, [_volume("AG03", 0, "unreadable")], _calls("AG03", 0), empty_violations(), PACK,
                            NO_HISTORY)
    row = scores.iloc[0]
    assert not row.assessed and row.score_data_quality == 0.0
    assert pd.isna(row.overall) and pd.isna(row.grade) and row.grade_gate == ""
    assert pd.isna(row.overall_before_decisions) and pd.isna(row.grade_before_decisions)


def test_gates_are_read_from_the_rulepack():
    doc = {"name": "t", "rules": {"FREQ_CALLING_HOURS": {"windows": {"marketing": {"start": "08:00", "end": "21:00"}}},
                                  "FREQ_DAILY_CAP": {"caps": {"marketing": 3}}, "FREQ_ROLLING_7D": {"caps": {"marketing": 5}},
                                  "FREQ_RAPID_REDIAL": {"redial_gap_minutes": 5},
                                  "FREQ_AFTER_REFUSAL": {"refusal_applies_to": ["marketing"]},
                                  "FREQ_CALLER_DAILY_CAP": {"cap": 100}, "QUAL_AGENT_UNTRAINED": {"training_valid_days": 365}}}
    assert _parse_rulepack(doc, sha256="x").scoring.gates == GradeGates()
    gates = {"critical": False, "critical_share_d": None, "critical_share_f": 0.05, "fail_rules": ["CONF_NO_CONSENT"]}
    pack = _parse_rulepack({**doc, "scoring": {"gates": gates}}, sha256="x")
    assert pack.scoring.gates == GradeGates(critical=False, critical_share_d=None, critical_share_f=0.05,
                                            fail_rules=("CONF_NO_CONSENT",))
    assert (_score(1000, _critical("AG01", 10), pack).grade, _score(1000, _critical("AG01", 10), pack).grade_gate) == \
        ("A", "")                                                     # 1 %: no gate applies any more
    for bad in ({"critical_share_d": 0.02, "critical_share_f": 0.01}, {"fail_rules": ["NOPE"]}, {"share": 1}):
        with pytest.raises(ConfigError):
            _parse_rulepack({**doc, "scoring": {"gates": bad}}, sha256="x")
    with pytest.raises(ConfigError, match="replaced by scoring.gates"):
        _parse_rulepack({**doc, "scoring": {"critical_grade_cap": "C"}}, sha256="x")


def test_both_rulepacks_set_the_default_gates():
    for name in ("cn_bank", "us_collections"):
        assert load_rulepack(name).scoring.gates == GradeGates()


def test_gate_words_name_the_share_of_the_rulepack():
    assert gate_words("critical_share_d") == "D: critical findings on 0.1 % or more of calls"
    assert gate_words("critical_share_f", critical_share_f=0.02) == "F: critical findings on 2 % or more of calls"
    assert gate_words("") == "" and gate_words("critical").startswith("C: ")
    pack = dataclasses.replace(PACK, scoring=dataclasses.replace(
        PACK.scoring, gates=GradeGates(critical_share_d=0.002)))
    row = _score(1000, _critical("AG01", 2), pack)
    cards = build_scorecards(pd.DataFrame([row]), [_volume("AG01", 1000)], _calls("AG01", 1000),
                             _violations(_critical("AG01", 2)), pack, NO_HISTORY, PROVENANCE)
    assert cards[0].gate_sentence == "D: critical findings on 0.2 % or more of calls"


def _history(rows: list[tuple[int, float | None, str, bool]]) -> pd.DataFrame:
    return pd.DataFrame({"audit_date": [(DAY - dt.timedelta(days=d)).isoformat() for d, *_ in rows],
                         "agency_id": "AG01", "overall": [o for _, o, _, _ in rows],
                         "grade": [g for _, _, g, _ in rows], "assessed": [a for *_, a in rows]})


def test_trends_compare_with_the_last_assessed_day_and_leave_a_gap():
    # yesterday not assessed (an older report wrote it as 0.0 F), the day before 80; nine
    # assessed days in all, of which the previous seven make the mean
    history = _history([(1, 0.0, "F", False), (2, 80.0, "B", True), (3, None, "", False)]
                       + [(d, 60.0 + d, "D", True) for d in range(4, 11)])
    scores = score_agencies(DAY, [_volume("AG01", 10)], _calls("AG01", 10), empty_violations(), PACK, history)
    row = scores.iloc[0]
    assert row.change_prev_day == 20.0                                  # against 80, two days back
    seven = [80.0] + [60.0 + d for d in range(4, 10)]                   # days 2, 4..9; day 10 is the eighth
    assert row.change_prev_7d == round(100.0 - sum(seven) / 7, 2)
    (card,) = build_scorecards(scores, [_volume("AG01", 10)], _calls("AG01", 10), empty_violations(), PACK,
                               history, PROVENANCE)
    gaps = {p.audit_date: (p.overall, p.grade) for p in card.trend}
    assert gaps[(DAY - dt.timedelta(days=1)).isoformat()] == (None, "")   # a gap, not a fall to 0
    assert gaps[(DAY - dt.timedelta(days=3)).isoformat()] == (None, "")
    assert gaps[DAY.isoformat()] == (100.0, "A")


def test_a_day_not_assessed_has_no_change_and_its_own_trend_point_is_a_gap():
    history = _history([(1, 80.0, "B", True)])
    volume = _volume("AG01", 0, "unreadable")
    scores = score_agencies(DAY, [volume], _calls("AG01", 0), empty_violations(), PACK, history)
    assert pd.isna(scores.iloc[0].change_prev_day) and pd.isna(scores.iloc[0].change_prev_7d)
    (card,) = build_scorecards(scores, [volume], _calls("AG01", 0), empty_violations(), PACK, history, PROVENANCE)
    assert (card.overall, card.grade, card.grade_gate) == (None, "", "")
    assert [(p.overall, p.grade) for p in card.trend] == [(80.0, "B"), (None, "")]
