"""Literal calls and findings for the scoring tests (tests/test_scoring.py, tests/test_grade_gates.py)."""

from __future__ import annotations

import pandas as pd

from audits.rules.findings import empty_violations


def calls_of(agency: str, n: int) -> pd.DataFrame:
    """`n` marketing attempts of `agency` from one caller number."""
    return pd.DataFrame({"agency_id": agency, "call_id": [f"{agency}-{i}" for i in range(n)],
                         "caller_e164": "+861065529988", "purpose": "marketing", "is_attempt": True})


def findings_of(rows: list[tuple[str, str, str, str, str]], *, day: str) -> pd.DataFrame:
    """VIOLATION_COLUMNS rows from (agency_id, call_id, rule_id, family, severity), at 09:00 on `day`."""
    frame = empty_violations()
    if rows:
        frame = pd.DataFrame([{**dict.fromkeys(frame.columns, ""), "agency_id": a, "call_id": c, "rule_id": r,
                               "family": f, "severity": s, "start_time": f"{day}T09:00:00+08:00"}
                              for a, c, r, f, s in rows])
    return frame
