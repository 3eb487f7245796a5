"""The case lifecycle (cases.md §2) on literal per-day counts: every transition, the
resolve_after_days boundary, days_open and findings_episode, and the case_id formula."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from audits.cases.keys import case_id
from audits.cases.lifecycle import advance, empty_counts, empty_snapshot, shown_on
from audits.cases.summary import case_register
from audits.models import RULES_BY_ID

D = dt.date(2026, 11, 1)


def _counts(*cases: tuple[str, int]) -> pd.DataFrame:
    """Literal case counts of one day: (case_id, findings) of AG01's no-contract / agent cases."""
    rows = [dict(case_id=cid, agency_id="AG01", rule_id="CONF_AGENT_NOT_ACTIVE", subject_kind="agent",
                 subject_display="E9", findings=n, calls=n, last_call="2026-11-01T14:05:00+08:00") for cid, n in cases]
    return pd.DataFrame(rows) if rows else empty_counts()


def _run(days: dict[int, pd.DataFrame], *, until: int, n: int = 7) -> dict[int, pd.DataFrame]:
    """Snapshots of days D+0..D+until (every day audited), counts from `days` (others: none)."""
    snapshot, out = empty_snapshot(), {}
    for k in range(until + 1):
        snapshot = advance(snapshot, days.get(k, empty_counts()), D + dt.timedelta(days=k), resolve_after_days=n)
        out[k] = snapshot
    return out


def _row(snapshot: pd.DataFrame, cid: str = "C-1") -> dict:
    return snapshot.set_index("case_id").loc[cid].to_dict()


def test_new_open_quiet_resolved_once_then_reopened_with_a_new_episode():
    snaps = _run({0: _counts(("C-1", 3)), 1: _counts(("C-1", 2)), 10: _counts(("C-1", 4))}, until=11)
    assert [_row(snaps[k])["status"] for k in range(12)] == (
        ["new", "open"] + ["quiet"] * 6 + ["resolved", "resolved", "reopened", "quiet"])
    assert _row(snaps[8])["resolved_on"] == "2026-11-09"                 # last finding 11-02 + 7 days
    assert [len(shown_on(snaps[k], D + dt.timedelta(days=k))) for k in (7, 8, 9, 10)] == [1, 1, 0, 1]
    reopened = _row(snaps[10])
    assert (reopened["episode"], reopened["first_seen"], reopened["findings_episode"], reopened["resolved_on"]) == \
        (2, "2026-11-11", 4, "")
    first = _row(snaps[1])
    assert (first["episode"], first["first_seen"], first["last_seen"], first["findings_today"],
            first["findings_episode"]) == (1, "2026-11-01", "2026-11-02", 2, 5)


def test_resolved_at_exactly_resolve_after_days_not_one_day_earlier():
    snaps = _run({0: _counts(("C-1", 1))}, until=3, n=3)
    assert [_row(snaps[k])["status"] for k in range(4)] == ["new", "quiet", "quiet", "resolved"]


def test_days_open_and_findings_episode_in_the_register():
    snaps = _run({0: _counts(("C-1", 3)), 2: _counts(("C-1", 5))}, until=3)
    register = case_register(snaps[3], D + dt.timedelta(days=3), resolve_after_days=7)
    row = register.iloc[0]
    assert (row["status"], row["days_open"], row["findings_today"], row["findings_episode"], row["last_seen"]) == \
        ("quiet", 4, 0, 8, "2026-11-03")
    assert row["summary"] == ("Agent unknown or not active on the day: agent E9: no finding since 2026-11-03 "
                              "(quiet 1 assessed day, resolved after 7 without one); 8 calls since 2026-11-01.")


def test_a_gap_of_days_without_a_report_does_not_resolve_a_case_that_has_findings_on_the_next_audited_day():
    # Decision (cases.md is silent): resolution is judged on audited days only.
    snapshot = advance(empty_snapshot(), _counts(("C-1", 1)), D, resolve_after_days=7)
    snapshot = advance(snapshot, _counts(("C-1", 1)), D + dt.timedelta(days=9), resolve_after_days=7)
    assert (_row(snapshot)["status"], _row(snapshot)["episode"], _row(snapshot)["first_seen"]) == \
        ("open", 1, "2026-11-01")


def test_register_order_and_an_agency_case_summary():
    counts = pd.DataFrame([
        dict(case_id=case_id("AG01", "QUAL_NO_CONTRACT", ""), agency_id="AG01", rule_id="QUAL_NO_CONTRACT",
             subject_kind="agency", subject_display="AG01", findings=1369, calls=1369,
             last_call="2026-11-27T20:55:00+08:00"),
        dict(case_id="C-000000000001", agency_id="AG01", rule_id="QUAL_AGENT_UNTRAINED", subject_kind="agent",
             subject_display="E1", findings=2, calls=2, last_call="2026-11-27T10:00:00+08:00"),
        dict(case_id="C-000000000002", agency_id="AG00", rule_id="FREQ_RAPID_REDIAL", subject_kind="customer",
             subject_display="+86 138****5678", findings=1, calls=1, last_call="2026-11-27T10:00:00+08:00"),
    ])
    first = advance(empty_snapshot(), counts.iloc[:1], dt.date(2026, 11, 20), resolve_after_days=7)
    snapshot = advance(first, counts, dt.date(2026, 11, 27), resolve_after_days=7)
    register = case_register(snapshot, dt.date(2026, 11, 27), resolve_after_days=7)
    assert list(register["rule_id"]) == ["FREQ_RAPID_REDIAL", "QUAL_NO_CONTRACT", "QUAL_AGENT_UNTRAINED"]
    assert register.loc[1, "summary"] == ("No contract in force since 2026-11-20 (8 days); 1,369 calls on "
                                          "2026-11-27, last at 20:55.")


def test_case_id_is_c_and_twelve_hex_of_sha256_over_agency_rule_subject():
    assert case_id("AG01", "QUAL_NO_CONTRACT", "") == "C-b94b3446d706"
    assert case_id("AG01", "CONF_AGENT_NOT_ACTIVE", "E9") == "C-8daaaef12975"


def test_every_rule_has_the_subject_kind_of_cases_md():
    expected = {
        "agency": {"QUAL_NO_CONTRACT", "QUAL_LICENCE_INVALID", "CONF_NDA_NOT_IN_FORCE"},
        "agent": {"CONF_AGENT_NOT_ACTIVE", "QUAL_AGENT_UNTRAINED", "CONF_PII_IN_NOTES"},
        "caller": {"QUAL_UNREGISTERED_CALLER_ID", "FREQ_CALLER_DAILY_CAP", "SMS_UNREGISTERED_SENDER"},
        "campaign": {"FREQ_CALLING_HOURS", "CONF_NO_CONSENT", "QUAL_OUT_OF_SCOPE", "SMS_HOURS", "SMS_NO_CONSENT",
                     "SMS_PII_IN_TEXT", "SMS_NO_OPT_OUT_TEXT", "SMS_NO_SIGNATURE"},
        "customer": {"FREQ_DAILY_CAP", "FREQ_ROLLING_7D", "FREQ_COOLING_OFF", "FREQ_RAPID_REDIAL",
                     "FREQ_AFTER_REFUSAL", "CONF_UNASSIGNED", "SMS_DAILY_CAP", "CONTACT_ROLLING_7D",
                     "SMS_AFTER_OPT_OUT"},
    }
    assert {kind: {r for r, info in RULES_BY_ID.items() if info.subject.value == kind} for kind in expected} == expected


def _other(*cases: tuple[str, int]) -> pd.DataFrame:
    """Literal case counts of AG02 (the same rule), to show one agency's gap leaves another alone."""
    return _counts(*cases).assign(agency_id="AG02")


def test_a_case_stays_open_across_a_not_assessed_week():
    # AG01's file is missing on days 1-7 (not assessed): its case is not resolved, and its
    # quiet days count only from day 8, the first assessed day; AG02 is assessed throughout.
    snapshot = advance(empty_snapshot(), pd.concat([_counts(("C-1", 1)), _other(("C-2", 1))]), D, resolve_after_days=7)
    statuses = []
    for k in range(1, 15):
        gap = frozenset({"AG01"}) if k <= 7 else frozenset()
        snapshot = advance(snapshot, empty_counts(), D + dt.timedelta(days=k), resolve_after_days=7, not_assessed=gap)
        statuses.append((_row(snapshot)["status"], _row(snapshot)["quiet_days"], _row(snapshot, "C-2")["status"]))
    assert [s for s, _, _ in statuses[:7]] == ["quiet"] * 7                    # never resolved while not assessed
    assert [q for _, q, _ in statuses[:7]] == [0] * 7
    assert [s for s, _, _ in statuses[7:]] == ["quiet"] * 6 + ["resolved"]      # day 14: the 7th assessed day
    assert _row(snapshot)["resolved_on"] == "2026-11-15"
    assert [s for _, _, s in statuses[5:8]] == ["quiet", "resolved", "resolved"]   # AG02: resolved on day 7
    register = case_register(snapshot, D + dt.timedelta(days=14), resolve_after_days=7)
    assert register.set_index("case_id").loc["C-1", "summary"].startswith(
        "Agent unknown or not active on the day: agent E9: resolved, no finding since 2026-11-01 (7 assessed days)")


def test_a_case_is_never_resolved_on_a_day_its_agency_was_not_assessed():
    snaps = _run({0: _counts(("C-1", 1))}, until=6)                       # 6 quiet assessed days
    day = D + dt.timedelta(days=7)
    missed = advance(snaps[6], empty_counts(), day, resolve_after_days=7, not_assessed=frozenset({"AG01"}))
    assert (_row(missed)["status"], _row(missed)["quiet_days"], _row(missed)["resolved_on"]) == ("quiet", 6, "")
    checked = advance(missed, empty_counts(), day + dt.timedelta(days=1), resolve_after_days=7)
    assert (_row(checked)["status"], _row(checked)["resolved_on"]) == ("resolved", "2026-11-09")


def test_days_without_a_report_do_not_count_towards_resolution():
    # audited days 0, 9, 10, ...: only audited days count, so day 9 is the first quiet day
    snapshot = advance(empty_snapshot(), _counts(("C-1", 1)), D, resolve_after_days=3)
    statuses = []
    for k in (9, 10, 11):
        snapshot = advance(snapshot, empty_counts(), D + dt.timedelta(days=k), resolve_after_days=3)
        statuses.append(_row(snapshot)["status"])
    assert statuses == ["quiet", "quiet", "resolved"]
