"""Scoring with text messages (sms.md §3): family rates over the contacts audited (calls and
messages), `messages_audited` and `findings_sms` appended after grade_gate, and an agency whose
SMS file is missing scored 0 on data quality but still assessed on its calls."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from audits.models import Provenance
from audits.rulepack import load_rulepack
from audits.rules.findings import empty_violations
from audits.scoring import AgencyVolume, build_scorecards, gate_column_last, score_agencies
from tests.scoring_frames import calls_of, findings_of

PACK = load_rulepack("cn_bank")
DAY = dt.date(2026, 11, 27)
NO_HISTORY = pd.DataFrame(columns=["audit_date", "agency_id", "overall", "grade"])


def _messages(agency: str, mt: int, mo: int = 0) -> pd.DataFrame:
    """`mt` texts sent by `agency` and `mo` replies to it (enriched messages as scoring reads them)."""
    return pd.DataFrame({"agency_id": agency, "message_id": [f"{agency}-m{i}" for i in range(mt + mo)],
                         "is_mt": [True] * mt + [False] * mo})


def _findings(rows: list[tuple[str, str, str, str, str, str]]) -> pd.DataFrame:
    """findings_of rows with their channel last."""
    return findings_of([row[:5] for row in rows], day=DAY.isoformat()).assign(channel=[row[5] for row in rows])


def _volume(agency: str, rows: int, **fields) -> AgencyVolume:
    return dataclasses.replace(AgencyVolume(agency, agency, "ok", "", rows, 0, ()), **fields)


def test_family_rates_are_over_calls_and_messages():
    # 100 calls and 100 texts (and 7 replies, not audited): a call and a text with frequency
    # findings (the text two) are 2 contacts of 200 -> 1 % -> 80; the same id on both channels
    # counts twice.
    violations = _findings([("AG01", "AG01-1", "FREQ_DAILY_CAP", "frequency", "major", "call"),
                            ("AG01", "AG01-m1", "SMS_DAILY_CAP", "frequency", "major", "sms"),
                            ("AG01", "AG01-m1", "SMS_HOURS", "frequency", "major", "sms")])
    row = score_agencies(DAY, [_volume("AG01", 207)], calls_of("AG01", 100), violations, PACK, NO_HISTORY,
                         messages=_messages("AG01", 100, mo=7)).iloc[0]
    assert (row.calls_audited, row.messages_audited, row.findings, row.findings_sms) == (100, 100, 3, 2)
    assert (row.calls_frequency, row.score_frequency) == (2, 80.0)
    same_id = _findings([("AG01", "X1", "CONF_UNASSIGNED", "confidentiality", "critical", "call"),
                         ("AG01", "X1", "CONF_UNASSIGNED", "confidentiality", "critical", "sms")])
    row = score_agencies(DAY, [_volume("AG01", 200)], calls_of("AG01", 100), same_id, PACK, NO_HISTORY,
                         messages=_messages("AG01", 100)).iloc[0]
    assert (row.calls_confidentiality, row.score_confidentiality) == (2, 80.0)
    # 2 contacts of 200 with a critical finding: 1 %, the share gate's F
    assert (row.grade, row.grade_gate) == ("F", "critical_share_f")


@pytest.mark.parametrize(("messages", "score"), [(0, 20.0), (1, 20.79), (60, 50.0), (100, 60.0), (300, 80.0)])
def test_the_frequency_score_at_its_boundaries_over_contacts(messages, score):
    # 4 calls of 100 with a frequency finding: rate 4/(100 + messages) against a 5 % tolerance
    violations = _findings([("AG01", f"AG01-{i}", "FREQ_DAILY_CAP", "frequency", "major", "call")
                            for i in range(4)])
    row = score_agencies(DAY, [_volume("AG01", 100 + messages)], calls_of("AG01", 100), violations, PACK,
                         NO_HISTORY, messages=_messages("AG01", messages)).iloc[0]
    assert row.score_frequency == score


def test_a_missing_sms_file_scores_zero_on_data_quality_but_the_calls_are_assessed():
    row = score_agencies(DAY, [_volume("AG01", 10, file_missing=True)], calls_of("AG01", 10), empty_violations(),
                         PACK, NO_HISTORY).iloc[0]
    assert row.assessed and row.file_status == "ok"
    assert (row.score_confidentiality, row.score_frequency, row.score_qualification, row.score_data_quality) == \
        (100.0, 100.0, 100.0, 0.0)
    assert row.overall == pytest.approx(90.0) and row.grade == "A"             # 0.35+0.30+0.25 of 100
    assert row.messages_audited == 0 and row.findings_sms == 0
    plain = score_agencies(DAY, [_volume("AG01", 10)], calls_of("AG01", 10), empty_violations(), PACK,
                           NO_HISTORY).iloc[0]
    assert plain.score_data_quality == 100.0 and plain.overall == 100.0


def test_the_message_columns_come_after_grade_gate():
    scores = score_agencies(DAY, [_volume("AG01", 3)], calls_of("AG01", 3), empty_violations(), PACK, NO_HISTORY)
    written = gate_column_last(scores.assign(complaints_30d=0))
    assert list(written.columns)[-4:] == ["complaints_30d", "grade_gate", "messages_audited", "findings_sms"]
    assert (written.iloc[0].messages_audited, written.iloc[0].findings_sms) == (0, 0)     # no texts


def test_findings_before_channels_count_as_calls():
    """violations.csv of a report before texts has no channel: every finding is a call's."""
    violations = findings_of([("AG01", "AG01-1", "FREQ_DAILY_CAP", "frequency", "major")], day=DAY.isoformat())
    row = score_agencies(DAY, [_volume("AG01", 100)], calls_of("AG01", 100), violations.drop(columns=["channel"]),
                         PACK, NO_HISTORY).iloc[0]
    assert (row.calls_frequency, row.findings_sms) == (1, 0)


def _cards(violations, messages):
    """The day's scorecards of AG01's 100 calls and `messages` (enriched, as the run passes them)."""
    volumes = [_volume("AG01", 100 + len(messages))]
    scores = score_agencies(DAY, volumes, calls_of("AG01", 100), violations, PACK, NO_HISTORY, messages=messages)
    provenance = Provenance(run_id="r", audit_date=DAY.isoformat(), rulepack_name=PACK.name,
                            rulepack_sha256=PACK.sha256, code_version="t", generated_at="t", inputs=())
    return build_scorecards(scores, volumes, calls_of("AG01", 100), violations, PACK, NO_HISTORY, provenance,
                            messages=messages)


def _texts(n: int) -> pd.DataFrame:
    """`n` enriched marketing texts of AG01 (the columns the scorecards read)."""
    return pd.DataFrame({"agency_id": "AG01", "message_id": [f"AG01-m{i}" for i in range(n)], "is_mt": True,
                         "is_attempt": True, "text": "hello", "sender_digits": "106900001234",
                         "customer_e164": "+8613812345678", "campaign_id": "MKT", "purpose_code": "marketing"})


def test_the_scorecard_states_family_rates_and_share_gates_over_contacts_on_a_day_with_texts():
    # 100 calls and 100 texts; a call and a text with a critical finding: 2 contacts of 200 -> 1 %,
    # score 100 * (1 - 0.01 / 0.05) = 80 (and the critical-share gate's F), the rate shown 0.01
    violations = _findings([("AG01", "AG01-1", "CONF_UNASSIGNED", "confidentiality", "critical", "call"),
                            ("AG01", "AG01-m1", "CONF_UNASSIGNED", "confidentiality", "critical", "sms")])
    card = _cards(violations, _texts(100))[0]
    family = next(f for f in card.families if f.family == "confidentiality")
    assert (family.score, family.rate, family.affected) == (80.0, 0.01, 2)
    assert card.gate_sentence == "F: critical findings on 1 % or more of contacts"
    assert "critical findings on 0.1 % of contacts or more at D" in card.gates_text


def test_the_scorecard_keeps_calls_in_its_wording_on_a_day_without_texts():
    violations = _findings([("AG01", "AG01-1", "CONF_UNASSIGNED", "confidentiality", "critical", "call"),
                            ("AG01", "AG01-2", "CONF_UNASSIGNED", "confidentiality", "critical", "call")])
    card = _cards(violations, _texts(0))[0]
    family = next(f for f in card.families if f.family == "confidentiality")
    assert (family.score, family.rate) == (60.0, 0.02)
    assert card.gate_sentence == "F: critical findings on 1 % or more of calls"
    assert "critical findings on 0.1 % of calls or more at D" in card.gates_text
