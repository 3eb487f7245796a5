"""A findings-heavy last day: agencies whose standing breaks on the day the benchmark audits.

The days people read are those on which an agency lost its contract or a reference file is
broken: nearly every call of such an agency is a finding, yet the findings form a handful of
cases. `plan_breakages` picks agencies (in index order, the kinds in turn) until their share of
the day's calls reaches the share asked for; the reference tables then make each break on the
last day only (effective-dated rows ending the day before), so the earlier days stay ordinary
traffic and the store's history is that of a normal week:

    no_contract           the contract ends the day before: QUAL_NO_CONTRACT on every call (one agency case)
    unregistered_callers  every caller line's registration ends the day before:
                          QUAL_UNREGISTERED_CALLER_ID on every call (one case per line, ~1 per 125 calls)
    nda_expired           the NDA expires the day before: CONF_NDA_NOT_IN_FORCE on every call (one agency case)
    agents_off_roster     every agent's roster row ends the day before: CONF_AGENT_NOT_ACTIVE on every call
                          (one case per agent, ~1 per 500 calls)
    licence_expired       the licence expires the day before: QUAL_LICENCE_INVALID on every call (one agency case)

With the ordinary ~1.4 % of the other calls, share 0.44 gives ~45 % of the day's calls with a finding.
"""

from __future__ import annotations

import numpy as np

BREAKAGES = ("no_contract", "unregistered_callers", "nda_expired", "agents_off_roster", "licence_expired")


def plan_breakages(agency_ids: list[str], weights: np.ndarray, share: float) -> dict[str, str]:
    """agency_id -> breakage for the agencies that break on the last day: the first agencies (by
    index) whose weights reach `share` of the total, the kinds of BREAKAGES in turn; {} for 0."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"the findings-heavy share must lie in 0..1; got {share}")
    if share == 0.0:
        return {}
    reached = np.cumsum(weights) / weights.sum()
    count = int(np.searchsorted(reached, share - 1e-12) + 1)
    return {agency_id: BREAKAGES[k % len(BREAKAGES)] for k, agency_id in enumerate(agency_ids[:count])}
