"""warnings.csv rows -> the EarlyWarnings the reports show: the portfolio's (agencies first,
then agents, each by z, highest first) and each scorecard's own (its agency's and agents'); complaints.csv rows ->
the regulator complaints the portfolio lists first."""

from __future__ import annotations

import dataclasses

import pandas as pd

from audits.models import EarlyWarning, RegulatorComplaint, Scorecard


def early_warnings(frame: pd.DataFrame | None) -> tuple[EarlyWarning, ...]:
    """The rows as EarlyWarnings: agencies first, then agents; by z (highest first), then by
    agency, agent, metric and basis."""
    if frame is None or frame.empty:
        return ()
    items = [EarlyWarning(level=str(r.level), agency_id=str(r.agency_id), agent_id=str(r.agent_id),
                          metric=str(r.metric), value=str(r.value), baseline=str(r.baseline), z=float(r.z),
                          basis=str(r.basis), detail=str(r.detail))
             for r in frame.itertuples(index=False)]                 # one per warning: a few dozen a day
    return tuple(sorted(items, key=lambda w: (w.level != "agency", -w.z, w.agency_id, w.agent_id, w.metric,
                                              w.basis)))


def portfolio_warnings(frame: pd.DataFrame | None) -> tuple[EarlyWarning, ...]:
    return early_warnings(frame)


def with_warnings(cards: list[Scorecard], frame: pd.DataFrame | None) -> list[Scorecard]:
    """Each scorecard with its own warnings (its agency's, then its agents')."""
    every = early_warnings(frame)
    if not every:
        return list(cards)
    return [dataclasses.replace(card, warnings=tuple(w for w in every if w.agency_id == card.agency_id))
            for card in cards]


def regulator_complaints(register: pd.DataFrame | None) -> tuple[RegulatorComplaint, ...]:
    """The day's complaints (complaints.csv rows) received through the regulator and linked to an
    agency, by complaint_id: what the portfolio and the e-mail show first."""
    if register is None or register.empty:
        return ()
    chosen = register[(register["channel"] == "regulator") & (register["linked_agencies"].astype(str) != "")]
    return tuple(RegulatorComplaint(
        complaint_id=str(r.complaint_id), received_at=str(r.received_at), category=str(r.category),
        callee_masked=str(r.callee_masked), agencies=_joined(r.linked_agencies), case_ids=_joined(r.linked_case_ids),
        status=str(r.status)) for r in chosen.sort_values("complaint_id").itertuples(index=False))


def _joined(cell) -> tuple[str, ...]:
    return tuple(sorted(part for part in str(cell).split(";") if part and part != "nan"))
