"""Planted early-warning anomalies (signals.md §3) and their truth, `truth/<date>-warnings.csv`.

Two, when the sample is long enough for a baseline (at least 14 days; the cn_bank rulepack
needs 10 earlier days with 50 attempts):

- volume, on the third-last day: one agent of an agency takes over enough of its colleagues'
  background calls to make five times its usual daily calls. Its attempts and numbers warn
  (against its own history; against its peers too when it has ten). The agency's volume and
  every other metric are unchanged: the same calls, another agent.
- unassigned, on the second-last day: a temporary team (new agents active that day only, each
  with at most 40 calls, so never judged) makes a fifth of another agency's calls to customers
  the bank entrusted to a different agency. The agency's unassigned share warns. Its volume is
  unchanged (its background shrinks by as many calls); its new-number share rises by at most
  the same fifth, half the 0.10 floor's four z.

Nothing else is planted, so no other day warns: the generator checks the conditions each
warning needs (the baseline days, with its own count of each agent's daily attempts) and
plants only what it can state the truth of.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from audits.sample.agencies import CLEAN, NORMAL, Plan
from audits.sample.calls import DISP_P, DISPOSITIONS, N_STYLES, OUTCOME_P, OUTCOMES
from audits.sample.plants import H, Planter
from audits.sample.reference import PURPOSE_CODES, Roster, apportion

WARNING_TRUTH_COLUMNS = ["level", "agency_id", "agent_id", "metric"]
MIN_DAYS = 14                 # a sample this long gets the anomalies
BASELINE_DAYS, MIN_BASELINE_DAYS, MIN_ATTEMPTS = 28, 10, 50     # cn_bank's warnings section
JUMP = 5                      # the agent's calls on the day: five times its usual
TEAM_SHARE = 0.2              # share of the agency's calls the temporary team makes
TEAM_CALLS = 40               # at most per temporary agent: below min_attempts
ATTEMPT = frozenset({"ANSWERED", "NO_ANSWER", "REJECTED", "VOICEMAIL"})


@dataclass
class Anomalies:
    plan: Plan
    roster: Roster
    rng: np.random.Generator
    volume_day: int | None = None
    team_day: int | None = None
    team_agency: int | None = None
    team_split: np.ndarray | None = None       # calls per purpose the team makes (PURPOSE_CODES order)
    attempts: dict[tuple[int, int, str], int] = field(default_factory=dict)   # (day, agency, agent) -> attempts
    truth: dict[int, list[tuple[str, str, str, str]]] = field(default_factory=dict)
    not_planted: list[str] = field(default_factory=list)    # why an anomaly asked for was left out

    # --- before the days are generated ------------------------------------------------------

    @staticmethod
    def plant(plan: Plan, planter: Planter, roster: Roster, volumes: np.ndarray, days: int,
              rng: np.random.Generator) -> Anomalies:
        """Decide the anomalies and plant the temporary team's calls (after every other plant)."""
        found = Anomalies(plan=plan, roster=roster, rng=rng)
        if days < MIN_DAYS:
            if days:
                found.not_planted.append(f"no early-warning anomaly: {days} day(s) are fewer than the {MIN_DAYS} "
                                         "a baseline needs")
            return found
        found.volume_day, day = days - 3, days - 2
        hosts = [a for a in plan.agencies if a.role != CLEAN and a.in_force and plan.readable(day, a.idx)
                 and volumes[a.idx].sum() >= 250
                 and sum(plan.readable(d, a.idx) for d in range(max(0, day - BASELINE_DAYS), day)) >= 12]
        if not hosts:
            found.not_planted.append("no unassigned-share anomaly: no agency with a contract in force has 12 "
                                     f"readable days before day {day + 1} and 250 calls a day")
            return found
        agency = sorted(hosts, key=lambda a: (a.role != NORMAL, -volumes[a.idx].sum(), a.idx))[0]
        total = int(round(TEAM_SHARE * volumes[agency.idx].sum()))
        in_scope = np.array([bool(plan.in_scope(agency, p)) for p in PURPOSE_CODES])
        split = apportion(total, volumes[agency.idx] * in_scope)
        team = [roster.add(agency.idx, active_from=day, active_to=day, trained_on=day - 20)
                for _ in range(math.ceil(total / TEAM_CALLS))]
        for agent in team:
            roster.reserve(agency.idx, agent)
        others = [b.idx for b in plan.agencies if b.idx != agency.idx]
        k = 0
        for j, purpose in enumerate(PURPOSE_CODES):
            for _ in range(int(split[j])):
                owner = others[int(rng.integers(len(others)))]           # entrusted to another agency only
                number = planter.customer([(owner, plan.agencies[owner].campaigns[0])],
                                          consent=purpose == "marketing")
                disp = DISPOSITIONS[int(rng.choice(6, p=DISP_P[purpose]))]
                outcome = OUTCOMES[int(rng.choice(4, p=OUTCOME_P[purpose]))] if disp == "ANSWERED" else ""
                style = agency.ts_primary if rng.random() < 0.75 else int(rng.integers(0, N_STYLES))
                planter.add(day, agency.idx, planter.campaign(agency.idx, purpose), number,
                            planter.at(agency.idx, day, 9 * H, 19 * H), disp=disp, outcome=outcome,
                            rules=("CONF_UNASSIGNED",), agent=team[k // TEAM_CALLS], style=style)
                k += 1
        found.team_day, found.team_agency, found.team_split = day, agency.idx, split
        found.truth[day] = [("agency", agency.agency_id, "", "unassigned_share")]
        return found

    # --- while the days are generated ---------------------------------------------------------

    def planted_rows(self, day: int) -> int:
        """Planted calls of the day that take the place of background calls (the team's)."""
        return int(self.team_split.sum()) if day == self.team_day else 0

    def make_room(self, counts: np.ndarray, day: int) -> None:
        """Background calls per agency and purpose: the team's agency gives up as many as the team makes."""
        if day == self.team_day:
            counts[self.team_agency] = np.maximum(counts[self.team_agency] - self.team_split, 0)

    def on_background(self, background: pd.DataFrame, day: int) -> pd.DataFrame:
        """The volume jump, on its day: colleagues' background calls reassigned to one agent."""
        if day != self.volume_day or background.empty:
            return background
        choice = self._jumping_agent(day)
        if choice is None:
            self.not_planted.append(f"no volume anomaly: on day {day + 1} no agent has {MIN_BASELINE_DAYS} of the "
                                    f"{BASELINE_DAYS} days before with {MIN_ATTEMPTS} attempts or more")
            return background
        agency, agent, usual = choice
        mine = (background["agency"].to_numpy() == agency)
        has = np.count_nonzero(mine & (background["agent"].to_numpy(dtype=object) == agent))
        theirs = np.flatnonzero(mine & (background["agent"].to_numpy(dtype=object) != agent))
        take = min(max(JUMP * usual - has, 0), theirs.size)
        agents = background["agent"].to_numpy(dtype=object).copy()
        agents[self.rng.choice(theirs, take, replace=False)] = agent
        background = background.assign(agent=agents)
        self.truth[day] = [("agent", self.plan.agencies[agency].agency_id, agent, "attempts"),
                           ("agent", self.plan.agencies[agency].agency_id, agent, "numbers")]
        return background

    def observe(self, day: int, background: pd.DataFrame, planted: list[dict]) -> None:
        """Count each agent's audited attempts of the day (background and planted calls that are
        not quarantined, of agencies whose file is read)."""
        frames = [background[["agency", "agent", "disp"]]]
        rows = [r for r in planted if r.get("kind") == "plant" and not r.get("dq")]
        if rows:
            frames.append(pd.DataFrame({"agency": [r["agency"] for r in rows], "agent": [r["agent"] for r in rows],
                                        "disp": [r["disp"] for r in rows]}))
        calls = pd.concat(frames, ignore_index=True)
        calls = calls[calls["disp"].isin(list(ATTEMPT))]
        for (agency, agent), n in calls.groupby(["agency", "agent"]).size().items():
            if self.plan.readable(day, int(agency)):
                self.attempts[(day, int(agency), str(agent))] = int(n)

    def truth_frame(self, day: int) -> pd.DataFrame:
        return pd.DataFrame(self.truth.get(day, []), columns=WARNING_TRUTH_COLUMNS)

    def _jumping_agent(self, day: int) -> tuple[int, str, int] | None:
        """(agency, agent, usual daily attempts) of an agent with a baseline: at least 10 of the 28
        days before with 50 attempts or more; the agency with the most such agents (peers)."""
        best = None
        for a in self.plan.agencies:
            if a.role == CLEAN or not self.plan.readable(day, a.idx) or a.idx == self.team_agency:
                continue
            eligible = [str(x) for x in self.roster.eligible(a.idx, day)]
            history = {agent: [self.attempts.get((d, a.idx, agent), 0) for d in range(max(0, day - BASELINE_DAYS), day)]
                       for agent in eligible}
            based = {agent: [n for n in days if n >= MIN_ATTEMPTS] for agent, days in history.items()}
            based = {agent: days for agent, days in based.items() if len(days) >= MIN_BASELINE_DAYS}
            if not based:
                continue
            agent = sorted(based, key=lambda x: (-len(based[x]), x))[0]
            key = (a.role != NORMAL, -len(based), a.idx)
            if best is None or key < best[0]:
                best = (key, a.idx, agent, int(np.median(based[agent])))
        return None if best is None else best[1:]
