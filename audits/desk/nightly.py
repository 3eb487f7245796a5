"""The desk in the nightly run (desk.md §4): its decisions as of the run's start, merged with
exceptions.csv and disputes.csv; the chain head the manifest signs; and what the portfolio and
the e-mail list (overdue cases, proposals awaiting approval, disputes waiting, exceptions ending).

Decisions where desk.md is silent:
- The instant: a run reads the events with `at` <= its start (config.generated_at; now when
  unset). A rerun of a day whose published report recorded an instant (manifest `desk.as_of`)
  reads as of that instant, so it applies the same decisions and signs the same chain head;
  any other run (a day's first, or a rerun of a report made without a desk) reads as of its own
  start.
- An approved exception is in force from the day of its approval (UTC): valid_from becomes the
  approval day when it was earlier (exceptions.csv refuses approved_on after valid_from), and a
  revoked one ends the day before its revocation. A dispute reaches the run once decided
  (upheld or rejected), raised_on the day it was recorded, decided_on the day of the decision.
- Like rows of the reference files, a decision dated after the audit day is not a decision yet
  for that day; a decision naming a case the store does not know is left out.
- A desk whose chain fails verification (an event edited, removed or reordered) gives the run no
  decisions: the portfolio and the e-mail say so first, as for an unreadable decisions file, and
  the manifest records the problems beside the head.
- Without a desk database nothing of this runs: outputs are those of a run without a desk.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from audits.cases.decision_inputs import dispute_columns, exception_columns
from audits.csv_cells import read_csv
from audits.desk.events import chain_problems
from audits.desk.roles import DEFAULT_DUE_DAYS, load_desk_config
from audits.desk.service import CONFIG_FILE, desk_exists, open_desk
from audits.desk.state import default_due, fold
from audits.loaders import TEXT
from audits.manifest import MANIFEST
from audits.models import OPEN_STATUSES, TABLE_COLUMNS
from audits.privacy import mask_free_text

EXCEPTION_COLUMNS = tuple(c for part in TABLE_COLUMNS["exceptions"] for c in part)
DISPUTE_COLUMNS = tuple(c for part in TABLE_COLUMNS["disputes"] for c in part)
DECIDED = ("upheld", "rejected")


def decision_rows(desk, until: dt.datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(exceptions, disputes) in the columns of exceptions.csv / disputes.csv, keyed by case id:
    the exceptions approved by `until` (in force from their approval; a revoked one to the day
    before its revocation) and the disputes decided by `until`, by id."""
    return _rows_of(desk.state(until=until))


def _rows_of(state) -> tuple[pd.DataFrame, pd.DataFrame]:
    exceptions = []
    for exc in sorted(state.exceptions.values(), key=lambda e: e.exception_id):
        if exc.status not in ("approved", "revoked") or exc.decided_at is None:
            continue
        approved_on = _day(exc.decided_at)
        valid_to = exc.valid_to
        if exc.status == "revoked" and exc.revoked_at is not None:
            valid_to = min(valid_to, _day(exc.revoked_at) - dt.timedelta(days=1))
        valid_from = max(exc.valid_from, approved_on)
        if valid_from > valid_to:
            continue                                            # never in force
        exceptions.append({"exception_id": exc.exception_id, "case_id": exc.case_id,
                           "valid_from": valid_from.isoformat(), "valid_to": valid_to.isoformat(),
                           "approved_by": exc.decided_by, "approved_on": approved_on.isoformat(),
                           "reason": exc.reason})
    disputes = [{"dispute_id": d.dispute_id, "case_id": d.case_id, "raised_by": d.raised_by,
                 "raised_on": _day(d.recorded_at).isoformat(), "status": d.status, "decided_by": d.decided_by,
                 "decided_on": _day(d.decided_at).isoformat(), "note": d.note}
                for d in sorted(state.disputes.values(), key=lambda d: d.dispute_id)
                if d.status in DECIDED and d.decided_at is not None]
    return _text_frame(exceptions, EXCEPTION_COLUMNS), _text_frame(disputes, DISPUTE_COLUMNS)


@dataclass(frozen=True)
class DeskDecisions:
    """What the run took from the desk: the typed accepted rows decide_cases takes, and the record
    the manifest signs."""

    exceptions: pd.DataFrame
    disputes: pd.DataFrame
    as_of: dt.datetime
    head: str
    events: int
    state: object = None                  # DeskState as of `as_of` (what the portfolio lists)
    due_days: Mapping[str, int] = None    # severity -> days (a case's default due date)
    problems: tuple[str, ...] = ()        # the chain's verification problems (then no decisions)

    def record(self) -> dict:
        """The manifest's `desk` entry."""
        record = {"as_of": self.as_of.isoformat(), "head": self.head, "events": self.events,
                  "exceptions": len(self.exceptions), "disputes": len(self.disputes)}
        return {**record, "problems": list(self.problems[:10])} if self.problems else record

    def not_applied(self) -> str:
        """Why the desk's decisions were not applied ('' when they were)."""
        return (f"its event chain fails verification ({self.problems[0]}); run python -m audits verify --desk"
                if self.problems else "")


def decisions_of_run(config, known_cases: pd.DataFrame) -> DeskDecisions | None:
    """The desk's decisions for the run's day (desk_decisions), None when the store has no desk."""
    desk = open_run_desk(config)
    return None if desk is None else desk_decisions(desk, config, known_cases)


def open_run_desk(config):
    """The desk of the run's store, or None when there is none (the run then behaves as before)."""

    if not desk_exists(config.store):
        return None
    return open_desk(config.store)


def run_instant(config) -> dt.datetime:
    """The instant the run reads the desk as of (module docstring): a published report's recorded
    instant for its day, else the run's start, else now."""
    try:
        recorded = json.loads((config.out / config.audit_date.isoformat() / MANIFEST).read_text(encoding="utf-8"))
        return _aware(dt.datetime.fromisoformat(recorded["desk"]["as_of"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    if config.generated_at:
        try:
            return _aware(dt.datetime.fromisoformat(config.generated_at))
        except ValueError:
            pass
    return dt.datetime.now(dt.UTC)


def desk_decisions(desk, config, known_cases: pd.DataFrame) -> DeskDecisions:
    """The desk's decisions for the run's day, typed as the reference tables are (decision_inputs),
    without those dated after the day or naming a case outside `known_cases` (case_id, agency_id,
    rule_id)."""

    as_of = run_instant(config)
    events = desk.events(until=as_of)
    problems = tuple(chain_problems(events))
    state = fold(events)
    exceptions, disputes = _rows_of(state)
    if problems:
        exceptions, disputes = exceptions.iloc[:0], disputes.iloc[:0]
    day = config.audit_date
    typed_exc = exception_columns(exceptions, region=config.rulepack.default_region, secret=config.hmac_secret,
                                  day=day, known_cases=known_cases)
    typed_exc = typed_exc[~typed_exc["after_audit_day"] & ~typed_exc["case_disagrees"]]
    typed_disp = dispute_columns(disputes, known_cases=known_cases["case_id"], day=day)
    typed_disp = typed_disp[~typed_disp["after_audit_day"] & typed_disp["case_id"].isin(known_cases["case_id"])]
    return DeskDecisions(exceptions=typed_exc.reset_index(drop=True), disputes=typed_disp.reset_index(drop=True),
                         as_of=as_of, head=events[-1].hash if events else "", events=len(events), state=state,
                         due_days=dict(desk.config.due_days), problems=problems)


def _text_frame(rows: list[Mapping], columns: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns), dtype=object)
    return frame.replace("", None).astype(TEXT)


def _day(at: dt.datetime) -> dt.date:
    return at.astimezone(dt.UTC).date()


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


def desk_of_store(store: Path):
    """The desk of a store for readers (the review), or None."""

    return open_desk(store) if desk_exists(store) else None


# --- what the portfolio and the e-mail list --------------------------------------------------

ATTENTION_FILE = "desk.csv"
ATTENTION_COLUMNS = ("section", "case_id", "agency_id", "rule_id", "subject_display", "owner", "due", "item_id",
                     "by", "since", "until", "days")
DISPUTE_WAIT_DAYS = 7
ENDING_WITHIN_DAYS = 14
SECTIONS = {"overdue": "Cases overdue", "awaiting_approval": "Proposals awaiting approval",
            "dispute_waiting": f"Disputes waiting more than {DISPUTE_WAIT_DAYS} days",
            "exception_ending": f"Exceptions ending within {ENDING_WITHIN_DAYS} days"}
SHOWN = 50                        # items listed per section; desk.csv holds every one
_NOT_OVERDUE = ("accepted", "dismissed")          # the bank accepted the case, or its findings were dismissed


def attention_rows(decisions: DeskDecisions, register: pd.DataFrame) -> pd.DataFrame:
    """ATTENTION_COLUMNS (all text), as of the desk's instant (its UTC day is "today"): open cases
    of `register` (the day's cases.csv rows) past their due date (set on the desk, else first_seen
    plus the severity's due days), unless accepted or dismissed; exceptions proposed and not yet
    decided; open disputes recorded more than DISPUTE_WAIT_DAYS days ago; approved exceptions whose
    validity ends within ENDING_WITHIN_DAYS days. Each section sorted by how pressing it is."""

    state, today = decisions.state, _day(decisions.as_of)
    cases = register.drop_duplicates("case_id").set_index("case_id") if len(register) else None
    rows: list[dict] = []
    if cases is not None:
        for case_id, case in cases.iterrows():
            if case["status"] == "resolved" or case.get("decision", "") in _NOT_OVERDUE:
                continue
            own = state.cases.get(case_id)
            due = own.due if own is not None and own.due is not None else _default_due(case, decisions, default_due)
            if due is not None and due < today:
                rows.append(_row("overdue", case_id, cases, owner=own.owner if own else "", due=due.isoformat(),
                                 days=(today - due).days))
    for exc in sorted(state.exceptions.values(), key=lambda e: (e.proposed_at, e.exception_id)):
        if exc.status == "proposed":
            rows.append(_row("awaiting_approval", exc.case_id, cases, item_id=exc.exception_id, by=exc.proposed_by,
                             since=_day(exc.proposed_at).isoformat(), until=exc.valid_to.isoformat(),
                             days=(today - _day(exc.proposed_at)).days))
    for dispute in sorted(state.disputes.values(), key=lambda d: (d.recorded_at, d.dispute_id)):
        waited = (today - _day(dispute.recorded_at)).days
        if dispute.status == "open" and waited > DISPUTE_WAIT_DAYS:
            rows.append(_row("dispute_waiting", dispute.case_id, cases, item_id=dispute.dispute_id,
                             by=dispute.recorded_by, since=_day(dispute.recorded_at).isoformat(), days=waited))
    for exc in sorted(state.exceptions.values(), key=lambda e: (e.valid_to, e.exception_id)):
        left = (exc.valid_to - today).days
        if exc.status == "approved" and 0 <= left <= ENDING_WITHIN_DAYS:
            rows.append(_row("exception_ending", exc.case_id, cases, item_id=exc.exception_id, by=exc.decided_by,
                             since=exc.valid_from.isoformat(), until=exc.valid_to.isoformat(), days=left))
    frame = pd.DataFrame(rows, columns=list(ATTENTION_COLUMNS), dtype=object).fillna("")
    for column in ("owner", "by", "subject_display"):           # names as people typed them: never a number
        frame[column] = frame[column].map(mask_free_text)
    overdue = frame["section"] == "overdue"
    order = frame[overdue].assign(_d=-frame.loc[overdue, "days"].astype("int64")).sort_values(
        ["_d", "agency_id", "case_id"], kind="stable").drop(columns="_d")
    frame = pd.concat([order, frame[~overdue]], ignore_index=True)
    return frame.astype({"days": "str"}).astype(object)


def _default_due(case: pd.Series, decisions: DeskDecisions, default_due) -> dt.date | None:
    try:
        first = dt.date.fromisoformat(str(case.get("first_seen", "")))
    except ValueError:
        return None
    return default_due(first, str(case.get("severity", "")), decisions.due_days or {})


def _row(section: str, case_id: str, cases: pd.DataFrame | None, **fields) -> dict:
    known = cases is not None and case_id in cases.index
    shown = {c: (str(cases.at[case_id, c]) if known else "") for c in ("agency_id", "rule_id", "subject_display")}
    return {"section": section, "case_id": case_id, **shown, **fields}


@dataclass(frozen=True)
class AttentionItem:
    """One line of a desk section, ready to show (escaped by the template or the e-mail)."""

    case_id: str
    case_href: str                # the case on the desk ('' without desk_base_url)
    agency_id: str
    rule_id: str
    subject: str                  # masked, as the reports show it
    item_id: str                  # EXC-… / DSP-… ('' for a case)
    text: str                     # "owner alice, due 2026-11-30 (4 days overdue)"


@dataclass(frozen=True)
class AttentionSection:
    key: str
    title: str
    count: int                    # every item of the section
    items: tuple[AttentionItem, ...]     # the first SHOWN of them
    more: str                     # "and 12 more in desk.csv", '' when all are shown


@dataclass(frozen=True)
class DeskAttention:
    """The portfolio's and the e-mail's desk sections (present only when the store has a desk)."""

    sections: tuple[AttentionSection, ...]
    desk_href: str                # the desk's inbox ('' without desk_base_url)
    owners: Mapping[str, str] = None     # case_id -> owner on the desk (the portfolio's Owner column)


def attention(rows: pd.DataFrame, desk_base_url: str = "", state=None) -> DeskAttention:
    """The sections of ATTENTION_FILE rows (every section, empty ones too), linked to the desk
    when `desk_base_url` is set; the owners of the cases of `state` (DeskState) when given."""
    base = desk_base_url.strip().rstrip("/")
    sections = []
    for key, title in SECTIONS.items():
        mine = rows[rows["section"] == key] if len(rows) else rows
        items = tuple(AttentionItem(
            case_id=r.case_id, case_href=case_link(base, r.case_id), agency_id=r.agency_id, rule_id=r.rule_id,
            subject=r.subject_display, item_id=r.item_id, text=_text(key, r))
            for r in mine.head(SHOWN).itertuples(index=False))
        more = len(mine) - len(items)
        sections.append(AttentionSection(key=key, title=title, count=len(mine), items=items,
                                         more=f"and {more:,} more in {ATTENTION_FILE}" if more else ""))
    owners = {c: mask_free_text(s.owner) for c, s in state.cases.items() if s.owner} if state is not None else {}
    return DeskAttention(sections=tuple(sections), desk_href=f"{base}/" if base else "", owners=owners)


def read_attention(report_dir: Path) -> pd.DataFrame | None:
    """A report's ATTENTION_FILE (text), None when the run had no desk."""

    path = report_dir / ATTENTION_FILE
    return read_csv(path, dtype="str", keep_default_na=False) if path.is_file() else None


def case_link(base: str, case_id: str) -> str:
    """The case's page on the desk ('' without a desk URL)."""
    return f"{base}/cases/{case_id}" if base else ""


def _text(section: str, r) -> str:
    days = int(r.days or 0)
    if section == "overdue":
        owner = f"owner {r.owner}" if r.owner else "no owner"
        return f"{owner}; due {r.due}, {days} day{'s' * (days != 1)} overdue"
    if section == "awaiting_approval":
        return f"proposed by {r.by} on {r.since}, to {r.until}; waiting {days} day{'s' * (days != 1)}"
    if section == "dispute_waiting":
        return f"recorded by {r.by} on {r.since}; waiting {days} days for a decision"
    return f"approved by {r.by}; ends {r.until} ({days} day{'s' * (days != 1)} left)"


# --- the agency's answer: responses.csv of a share pack (desk.md §5) --------------------------

RESPONSES_FILE = "responses.csv"
RESPONSE_COLUMNS = ("case_id", "rule_id", "subject", "status", "due_date", "response", "corrective_action",
                    "target_date", "contact")


def response_rows(cases: pd.DataFrame, *, state=None, due_days: Mapping[str, int] | None = None) -> pd.DataFrame:
    """RESPONSE_COLUMNS: one row per open (not resolved) case of `cases` (one agency's period
    cases, masked and redacted as the pack holds them), by case id; due_date the desk's (set on
    the desk, else first_seen plus the severity's due days); the agency's columns left empty."""

    days = due_days if due_days is not None else DEFAULT_DUE_DAYS
    open_cases = cases[cases["status"].isin(OPEN_STATUSES)].sort_values("case_id", kind="stable")
    rows = []
    for case in open_cases.itertuples(index=False):
        own = state.cases.get(case.case_id) if state is not None else None
        due = own.due if own is not None and own.due is not None else None
        if due is None:
            try:
                due = default_due(dt.date.fromisoformat(str(case.first_seen)), str(case.severity), days)
            except ValueError:
                due = None
        rows.append({"case_id": case.case_id, "rule_id": case.rule_id, "subject": case.subject_display,
                     "status": case.status, "due_date": due.isoformat() if due else ""})
    return pd.DataFrame(rows, columns=list(RESPONSE_COLUMNS), dtype=object).fillna("")


def desk_state_as_of(store: Path, as_of: str):
    """(state, due_days) of the store's desk as of the ISO instant `as_of` (now when blank); without
    a desk, no state and the due days of the desk config (<store>/desk.yaml, else the defaults)."""

    desk = desk_of_store(store)
    if desk is None:
        return None, dict(load_desk_config(Path(store) / CONFIG_FILE).due_days)
    until = _aware(dt.datetime.fromisoformat(as_of)) if as_of else None
    return desk.state(until=until), dict(desk.config.due_days)


def signed_head_problems(desk, out: Path) -> list[str]:
    """Each published daily report under `out` whose manifest signed a desk head (`desk`: as_of,
    head, events) that the desk no longer gives as of that instant: an event at or before it was
    edited, removed, reordered or added since (a chain rewritten whole, hashes and all, included).
    One sentence per day; [] when every signed head matches."""
    problems = []
    for manifest_path in sorted(Path(out).glob(f"*/{MANIFEST}")):
        try:
            record = json.loads(manifest_path.read_text(encoding="utf-8")).get("desk")
            as_of = _aware(dt.datetime.fromisoformat(record["as_of"]))
            signed, count = str(record["head"]), int(record["events"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue                                    # no desk entry (or not a report): nothing signed
        events = desk.events(until=as_of)
        head = events[-1].hash if events else ""
        if (head, len(events)) != (signed, count):
            problems.append(f"report {manifest_path.parent.name}: its manifest signed the desk head {signed[:16]}… "
                            f"over {count} event(s) as of {as_of.isoformat()}; the desk now gives "
                            f"{(head or '(none)')[:16]}… over {len(events)}: the events up to then were changed.")
    return problems
