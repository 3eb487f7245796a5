"""Early-warning metrics of one day (signals.md §2), per agency and per agent within its agency.

The day's calls and findings become counts per entity (one row each, kept in the store so
that a baseline of 28 days reads 28 small frames, never 28 days of calls); the metrics are
ratios of those counts (metric_values):

    attempts            attempts
    numbers             distinct numbers attempted
    intensity           attempts / numbers
    unassigned_share    attempts with a CONF_UNASSIGNED finding / attempts
    off_hours_share     calls with a FREQ_CALLING_HOURS finding / calls
    short_answer_share  answered calls with end - answer < short_answer_seconds / answered calls
    refusal_rate        answered calls with outcome REFUSED / conversations
    new_numbers_share   numbers the agency never attempted in the previous 28 days / numbers
    opt_out_rate        opt-outs the agency received / its SMS attempts (sms.md §3; per agency only)

Decisions where signals.md is silent: an ANSWERED call without answer_time has no talk time and
counts in neither side of short_answer_share; a REFUSED outcome counts only on an ANSWERED call
(as for the refusal rule), so refusals are a part of the conversations; an agent's new numbers
are new to its agency (the definition is the agency's); a metric whose denominator is 0 on a
day is undefined that day (not 0), as is one whose denominator is below the rulepack's
`warnings.min_denominators` for it (one refusal in two conversations says nothing), and one whose
rule the rulepack disables.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from audits.models import WARNING_METRICS
from audits.signals.attempted import attempted
from audits.signals.day_numbers import NumbersOfDay, call_keys, day_number, previous_days, text_codes
from audits.workers import in_threads

AGENCY, AGENT = "agency", "agent"
ENTITY_COLUMNS = ("level", "agency_id", "agent_id")
COUNT_COLUMNS = ("calls", "attempts", "numbers", "answered_timed", "short_answers", "conversations", "refusals",
                 "unassigned", "off_hours", "new_numbers", "sms_attempts", "opt_outs")
# Counts of text messages (sms.md §3), per agency: undefined (NaN) on agent rows, for an agency
# without texts on the day, and in counts stored before texts were counted.
MESSAGE_COUNTS = ("sms_attempts", "opt_outs")
# Counts read from the day's findings: undefined (NaN) when the rulepack disables the rule.
FINDING_COUNTS = {"unassigned": "CONF_UNASSIGNED", "off_hours": "FREQ_CALLING_HOURS"}


@dataclass(frozen=True)
class DayCounts:
    """A day's counts per entity (ENTITY_COLUMNS + COUNT_COLUMNS, sorted by agency_id, level,
    agent_id; agent_id "" on agency rows)."""

    counts: pd.DataFrame


def day_counts(calls: pd.DataFrame, findings: pd.DataFrame, *, numbers: NumbersOfDay, new_numbers_days: int,
               short_answer_ms: int, judged: frozenset[str], messages: pd.DataFrame | None = None) -> DayCounts:
    """Counts per agency and agent of the day's calls (enriched: is_attempt, is_conversation,
    is_refusal; talk_ms; in any order) and findings (violations.csv rows). `numbers`: the day's
    numbers (day_numbers.py), which say when each agency last attempted each number before the
    day (a number is new when that is not within the new_numbers_days before it).
    `judged`: the rule ids the rulepack runs; `messages`: the day's enriched messages (agency_id,
    is_attempt, is_opt_out), None without texts (with_message_counts)."""
    # The text work runs in Arrow without the GIL: two threads, one per core (~1 s less at ten million).
    # The agencies and numbers come with the day's numbers when they were computed from these calls.
    known = numbers.keys if numbers.keys is not None and len(numbers.keys.number) == len(calls) else None
    tasks = {"keys": (lambda: known) if known is not None else (lambda: call_keys(calls)),
             "agent": lambda: text_codes(calls["agent_id"]),
             "flagged": lambda: _flagged_calls(calls, findings, {r for r in FINDING_COUNTS.values() if r in judged}),
             "answered": lambda: np.asarray(pc.equal(pa.array(calls["disposition_code"]), "ANSWERED")
                                            .to_numpy(zero_copy_only=False), dtype=bool)}
    done = dict(zip(tasks, in_threads(lambda task: task(), list(tasks.values()))))
    keys, (agent_code, agent_ids) = done["keys"], done["agent"]
    agency_code, agency_ids = keys.agency, keys.agency_ids
    entity, entity_agency, entity_agent = _entities(agency_code, agent_code, len(agency_ids), agent_ids)
    n = len(entity_agency)

    def per_entity(mask: np.ndarray) -> np.ndarray:
        return np.bincount(entity[mask], minlength=n).astype(np.int64)

    attempt = keys.attempt
    talk = calls["talk_ms"].to_numpy(dtype=np.int64) if "talk_ms" in calls else np.full(len(calls), -1, np.int64)
    answered = done["answered"] & (talk >= 0)
    counts = {
        "calls": np.bincount(entity, minlength=n).astype(np.int64),
        "attempts": per_entity(attempt),
        "answered_timed": per_entity(answered),
        "short_answers": per_entity(answered & (talk < short_answer_ms)),
        "conversations": per_entity(calls["is_conversation"].to_numpy(dtype=bool)),
        "refusals": per_entity(calls["is_refusal"].to_numpy(dtype=bool)),
    }
    flagged = done["flagged"]
    for name, rule_id in FINDING_COUNTS.items():
        if rule_id not in judged:
            counts[name] = np.full(n, np.nan)
        else:
            hit = flagged.get(rule_id, np.zeros(len(calls), dtype=bool))
            counts[name] = per_entity(hit & attempt if name == "unassigned" else hit).astype(np.float64)

    number = keys.number
    first_agent = np.searchsorted(entity_agency, np.arange(len(agency_ids)))
    pairs = attempted(agency_code[attempt], entity[attempt], first_agent, number[attempt])
    agency_pair, agency_number = pairs.agency, pairs.number
    since = day_number(numbers.day - dt.timedelta(days=new_numbers_days))
    agency_new = previous_days(numbers, agency_ids, agency_pair, agency_number) < since
    counts["numbers"] = np.bincount(pairs.agent, minlength=n).astype(np.int64)
    counts["new_numbers"] = np.bincount(pairs.agent[agency_new[pairs.pair]], minlength=n).astype(np.int64)

    agents = pd.DataFrame({"level": AGENT, "agency_id": agency_ids[entity_agency], "agent_id": entity_agent,
                           **counts})
    by_agency = {name: _sum_by(entity_agency, values, len(agency_ids)) for name, values in counts.items()}
    by_agency["numbers"] = np.bincount(agency_pair, minlength=len(agency_ids)).astype(np.int64)
    by_agency["new_numbers"] = np.bincount(agency_pair[agency_new], minlength=len(agency_ids)).astype(np.int64)
    agencies = pd.DataFrame({"level": AGENCY, "agency_id": agency_ids, "agent_id": "", **by_agency})
    frame = pd.concat([agencies, agents], ignore_index=True)
    order = np.lexsort((np.arange(len(frame)), frame["level"] == AGENT,
                        np.concatenate([np.arange(len(agency_ids)), entity_agency])))
    frame = frame.iloc[order].reset_index(drop=True)
    return DayCounts(counts=with_message_counts(frame.astype({c: "str" for c in ENTITY_COLUMNS}), messages))


def with_message_counts(frame: pd.DataFrame, messages: pd.DataFrame | None) -> pd.DataFrame:
    """Count rows with each agency's SMS attempts and the opt-outs it received (NaN where it
    sent no text; agent rows NaN). An agency that only texted gets an agency row of its own
    (its call counts 0), in agency order."""
    out = frame.copy()
    for name in MESSAGE_COUNTS:
        out[name] = np.full(len(out), np.nan)
    if messages is None or messages.empty:
        return out
    per_agency = pd.DataFrame({"agency_id": messages["agency_id"].astype(str).to_numpy(dtype=object),
                               "sms_attempts": messages["is_attempt"].to_numpy(dtype=bool),
                               "opt_outs": messages["is_opt_out"].to_numpy(dtype=bool)})
    totals = per_agency.groupby("agency_id", sort=True).sum().astype(np.float64)
    texting = totals[(totals["sms_attempts"] > 0) | (totals["opt_outs"] > 0)]
    new = sorted(set(texting.index) - set(out.loc[out["level"] == AGENCY, "agency_id"]))
    if new:
        zeros = {c: ((np.nan if out[c].isna().all() and len(out) else 0.0) if c in FINDING_COUNTS else 0)
                 for c in COUNT_COLUMNS if c not in MESSAGE_COUNTS}
        added = pd.DataFrame([{"level": AGENCY, "agency_id": a, "agent_id": "", **zeros} for a in new])
        kinds = {c: out[c].dtype for c in added.columns if c in out and c not in ENTITY_COLUMNS} if len(out) else {}
        out = pd.concat([out, added.astype(kinds)], ignore_index=True) if len(out) else added
        out = out.astype({c: "str" for c in ENTITY_COLUMNS})
        order = np.lexsort((np.arange(len(out)), (out["level"] == AGENT).to_numpy(), out["agency_id"].to_numpy()))
        out = out.iloc[order].reset_index(drop=True)
        for name in MESSAGE_COUNTS:
            out[name] = np.full(len(out), np.nan)
    agency_rows = (out["level"] == AGENCY).to_numpy()
    for name in MESSAGE_COUNTS:
        values = out["agency_id"].map(texting[name]).to_numpy(dtype=np.float64)
        out[name] = np.where(agency_rows, values, np.nan)
    return out


# The rates: metric -> (numerator count, denominator count).
RATIOS = {"intensity": ("attempts", "numbers"), "unassigned_share": ("unassigned", "attempts"),
          "off_hours_share": ("off_hours", "calls"), "short_answer_share": ("short_answers", "answered_timed"),
          "refusal_rate": ("refusals", "conversations"), "new_numbers_share": ("new_numbers", "numbers"),
          "opt_out_rate": ("opt_outs", "sms_attempts")}
# The activity an entity needs on a day (warnings.min_attempts of it) to be judged on a metric,
# or for the day to be one of its baseline days: attempts, or SMS attempts for the texts' metric.
ACTIVITY = {"opt_out_rate": "sms_attempts"}


def activity(counts: pd.DataFrame, metric: str) -> np.ndarray:
    """The count rows' activity for `metric` (ACTIVITY; attempts by default), NaN as 0."""
    name = ACTIVITY.get(metric, "attempts")
    if name not in counts.columns:
        return np.zeros(len(counts))
    return np.nan_to_num(counts[name].to_numpy(dtype=np.float64), nan=0.0)


def metric_values(counts: pd.DataFrame, min_denominators: dict[str, int] | None = None) -> pd.DataFrame:
    """The metrics (WARNING_METRICS columns, float; NaN where undefined) of count rows, same index.
    A rate is undefined where its denominator is 0 or below its entry in `min_denominators`."""
    least = min_denominators or {}

    def ratio(metric: str) -> np.ndarray:
        top, bottom = RATIOS[metric]
        if top not in counts.columns or bottom not in counts.columns:     # counts stored before texts
            return np.full(len(counts), np.nan)
        num = counts[top].to_numpy(dtype=np.float64)
        den = counts[bottom].to_numpy(dtype=np.float64)
        defined = (den > 0) & (den >= least.get(metric, 1))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(defined, num / np.where(den > 0, den, 1), np.nan)

    values = {"attempts": counts["attempts"].to_numpy(dtype=np.float64),
              "numbers": counts["numbers"].to_numpy(dtype=np.float64),
              **{metric: ratio(metric) for metric in RATIOS}}
    return pd.DataFrame({m: values[m] for m in WARNING_METRICS}, index=counts.index)


def empty_counts() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype="str") for c in ENTITY_COLUMNS})
    for c in COUNT_COLUMNS:
        frame[c] = pd.Series([], dtype="float64" if c in FINDING_COUNTS or c in MESSAGE_COUNTS else "int64")
    return frame


def _entities(agency: np.ndarray, agent: np.ndarray, agencies: int,
              agent_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each call's agent entity (a distinct agency and agent, numbered in that order), and each
    entity's agency code and agent label."""
    combined = agency * max(len(agent_ids), 1) + agent
    if agencies * max(len(agent_ids), 1) <= 50_000_000:
        present = np.bincount(combined, minlength=agencies * max(len(agent_ids), 1)) > 0
        distinct = np.flatnonzero(present)
        number = np.cumsum(present) - 1
        entity = number[combined]
    else:
        distinct, entity = np.unique(combined, return_inverse=True)
    width = max(len(agent_ids), 1)
    return entity.astype(np.int64), (distinct // width).astype(np.int64), agent_ids[distinct % width]


def _sum_by(group: np.ndarray, values: np.ndarray, groups: int) -> np.ndarray:
    if np.issubdtype(values.dtype, np.floating) and np.isnan(values).all() and len(values):
        return np.full(groups, np.nan)
    total = np.bincount(group, weights=values, minlength=groups)
    return total if np.issubdtype(values.dtype, np.floating) else total.astype(np.int64)


def _flagged_calls(calls: pd.DataFrame, findings: pd.DataFrame, rule_ids: set[str]) -> dict[str, np.ndarray]:
    """For each rule id, which calls have a finding of it: one pass of Arrow's set lookup over
    the day's call ids (~0.25 s at ten million), then the few candidates matched on (agency, call)."""
    mine = findings[findings["rule_id"].isin(sorted(rule_ids))] if len(findings) else findings
    if not rule_ids or mine.empty or calls.empty:
        return {}
    wanted = pa.array(pd.unique(mine["call_id"].to_numpy(dtype=object)), type=pa.string())
    call_ids = pa.array(calls["call_id"])
    candidate = np.flatnonzero(np.asarray(pc.is_in(call_ids, value_set=wanted).to_numpy(zero_copy_only=False),
                                          dtype=bool))
    taken = pa.array(candidate)                 # only the candidates become Python text, not the day's calls
    keys = pd.MultiIndex.from_arrays([pa.array(calls["agency_id"]).take(taken).to_numpy(zero_copy_only=False),
                                      call_ids.take(taken).to_numpy(zero_copy_only=False)])
    flagged = {}
    for rule_id in sorted(rule_ids):
        rows = mine[mine["rule_id"] == rule_id]
        hit = np.zeros(len(calls), dtype=bool)
        hit[candidate[keys.isin(pd.MultiIndex.from_arrays([rows["agency_id"].to_numpy(dtype=object),
                                                           rows["call_id"].to_numpy(dtype=object)]))]] = True
        flagged[rule_id] = hit
    return flagged
