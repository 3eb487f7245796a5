"""A findings-heavy last day: agencies whose standing breaks on the day the benchmark audits.

The days people read are those on which an agency lost its contract or a reference file is
broken: most calls of such an agency are findings. Real heavy days are dominated by customer
cases (FREQ_* and CONF_UNASSIGNED are keyed by the number called): an agency that lost its
contract, or whose portfolio was withdrawn, breaks CONF_UNASSIGNED once per customer it still
dials. `plan_breakages` picks agencies (in index order, the kinds of MIX in turn) until their
share of the day's calls reaches the share asked for; the reference tables then make each break
on the last day only (effective-dated rows ending the day before), so the earlier days stay
ordinary traffic and the store's history is that of a normal week:

    contract_lost         the contract ends and every assignment of the agency ends the day before:
                          QUAL_NO_CONTRACT and CONF_UNASSIGNED on every call (one agency case, one
                          case per customer called)
    assignments_withdrawn every assignment of the agency ends the day before: CONF_UNASSIGNED on
                          every call (one case per customer called, ~1 per 1.9 calls)
    stale_list            the assignments of the agency's customers with an even index end the day
                          before (moved away), the agency dials from its old list: CONF_UNASSIGNED on
                          the calls to them (about half its calls; one case per such customer)
    no_contract           the contract ends the day before: QUAL_NO_CONTRACT on every call (one agency case)
    unregistered_callers  every caller line's registration ends the day before:
                          QUAL_UNREGISTERED_CALLER_ID on every call (one case per line, ~1 per 125 calls)
    nda_expired           the NDA expires the day before: CONF_NDA_NOT_IN_FORCE on every call (one agency case)
    agents_off_roster     every agent's roster row ends the day before: CONF_AGENT_NOT_ACTIVE on every call
                          (one case per agent, ~1 per 500 calls)
    licence_expired       the licence expires the day before: QUAL_LICENCE_INVALID on every call (one agency case)

MIX repeats contract_lost, assignments_withdrawn, stale_list, an agency-level kind, contract_lost,
the next agency-level kind, assignments_withdrawn (the agency-level kinds in turn): with the
ordinary ~1.4 % of the other calls, the default share (DEFAULT_SHARE, 0.37) gives at 1M calls a
day about 35 % of the calls with a finding, ~1.35 findings each, and ~155,000 cases, nearly all
customer cases (CONF_UNASSIGNED: ~1.6 calls per customer case).
"""

from __future__ import annotations

import numpy as np

AGENCY_LEVEL = ("no_contract", "unregistered_callers", "nda_expired", "agents_off_roster", "licence_expired")
CUSTOMER_LEVEL = ("contract_lost", "assignments_withdrawn", "stale_list")
BREAKAGES = CUSTOMER_LEVEL + AGENCY_LEVEL
MIX = tuple(kind for k in range(len(AGENCY_LEVEL))
            for kind in ("contract_lost", "assignments_withdrawn", "stale_list", AGENCY_LEVEL[2 * k % 5],
                         "contract_lost", AGENCY_LEVEL[(2 * k + 1) % 5], "assignments_withdrawn"))
DEFAULT_SHARE = 0.37


def plan_breakages(agency_ids: list[str], weights: np.ndarray, share: float) -> dict[str, str]:
    """agency_id -> breakage for the agencies that break on the last day: the first agencies (by
    index) whose weights reach `share` of the total, the kinds of MIX in turn; {} for 0."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"the findings-heavy share must lie in 0..1; got {share}")
    if share == 0.0:
        return {}
    reached = np.cumsum(weights) / weights.sum()
    count = int(np.searchsorted(reached, share - 1e-12) + 1)
    return {agency_id: MIX[k % len(MIX)] for k, agency_id in enumerate(agency_ids[:count])}


def withdrawn_assignments(breakage: str | None, customers: int) -> np.ndarray:
    """Which of an agency's customers' assignments (by index) end the day before the last day."""
    if breakage in ("contract_lost", "assignments_withdrawn"):
        return np.ones(customers, bool)
    if breakage == "stale_list":
        return np.arange(customers) % 2 == 0
    return np.zeros(customers, bool)
