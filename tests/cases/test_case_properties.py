"""Property tests of the cases' vectorised paths against plain per-value oracles written from
cases.md and the modules' docstrings (not from the code under test):

- decisions (cases.md §3, decisions.py): which exception or dispute decides each case and each
  finding on a day, with subjects in any written phone form or as the key the reports show,
  blank subjects, dates at the validity and decided_on boundaries (a decision dated after the
  day is not one yet), shuffled non-contiguous labels and subsets. The oracle
  loops over the exception and dispute rows per case: phone subjects through `phonenumbers`
  and an HMAC, case ids from the spec's SHA-256 formula.
- evidence (cases.md §4, evidence.py): each agency's cases in scorecard order, the first calls
  of each case in violations.csv order and the count of the rest, against `sorted()`.

Run longer with HYPOTHESIS_PROFILE=thorough.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pandas as pd
import phonenumbers
from hypothesis import given
from hypothesis import strategies as st

from audits.cases.decision_inputs import dispute_columns, exception_columns
from audits.cases.decisions import counted_findings, decide_cases, overlay_register, with_decisions
from audits.cases.evidence import agency_cases
from audits.loaders import TEXT
from audits.models import CaseLine, Finding
from audits.rendering.views.cases import more_text

SECRET = b"property-secret"
DAY = dt.date(2026, 11, 27)
AGENCIES = ("AG01", "AG02")
# cases.md §1: the subject kind of each rule (a few of every kind)
KIND = {"QUAL_NO_CONTRACT": "agency", "CONF_NDA_NOT_IN_FORCE": "agency", "CONF_AGENT_NOT_ACTIVE": "agent",
        "QUAL_UNREGISTERED_CALLER_ID": "caller", "FREQ_CALLING_HOURS": "campaign", "FREQ_DAILY_CAP": "customer",
        "FREQ_AFTER_REFUSAL": "customer"}
RULES = tuple(KIND)
AGENTS = ("E1", "E2", "e1")
CAMPAIGNS = ("MKT-1", "COL-2")
NATIONALS = ("13812345678", "13987654321", "1065529988")        # two mobiles and a Beijing line
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


# --- the oracle ------------------------------------------------------------------------------

def spec_case_id(agency: str, rule: str, subject: str) -> str:
    """cases.md §1: 'C-' + 12 hex digits of SHA-256 over agency, rule, subject joined by U+001F."""
    return "C-" + hashlib.sha256(f"{agency}\x1f{rule}\x1f{subject}".encode()).hexdigest()[:12]


def keyed(e164: str) -> str:
    return hmac.new(SECRET, e164.encode(), hashlib.sha256).hexdigest()


def e164_of(text: str) -> str | None:
    """The number in E.164, or None when phonenumbers cannot parse it or it is not valid."""
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def spec_subject(rule: str, subject: str | None) -> tuple[str, bool]:
    """An exception's subject as its case holds it ('' = every subject) and whether the row is
    quarantined for its subject (a bad phone, or a subject on an agency rule)."""
    if subject is None:
        return "", False
    if KIND[rule] == "agency":
        return subject, True
    if KIND[rule] in ("customer", "caller"):
        if len(subject) == 64 and all(c in "0123456789abcdefABCDEF" for c in subject):   # the key the reports show
            return subject.lower(), False
        e164 = e164_of(subject)
        return (keyed(e164), False) if e164 else ("", True)
    return subject, False


def day_of(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def decision_of(agency: str, rule: str, subject_key: str, case: str, exceptions: list[dict], disputes: list[dict]):
    """(decision, exception_id, dispute_id) of one case on DAY, or None when nothing names it:
    cases.md §3 read literally, with decisions.py's documented precedences."""
    live = [x for x in exceptions
            if day_of(x["valid_from"]) <= DAY <= day_of(x["valid_to"]) and x["agency_id"] == agency
            and x["rule_id"] == rule and x["key"] in ("", subject_key)]
    exception = min(live, key=lambda x: (x["key"] == "", x["exception_id"]), default=None)

    def acts(d: dict) -> int:                    # 0 dismisses the day's findings, 1 disputes them, 2 is shown
        status = d["status"].lower()
        if status == "upheld" and DAY <= day_of(d["decided_on"]):
            return 0
        return 1 if status == "open" else 2

    mine = [d for d in disputes if d["case_id"] == case]
    dispute = min(mine, key=lambda d: (acts(d), -day_of(d["raised_on"]).toordinal(), d["dispute_id"]), default=None)
    if exception is None and dispute is None:
        return None
    act = acts(dispute) if dispute is not None else 2
    decision = "dismissed" if act == 0 else "accepted" if exception is not None else "disputed" if act == 1 else ""
    return (decision, exception["exception_id"] if exception else "", dispute["dispute_id"] if dispute else "")


# --- inputs ----------------------------------------------------------------------------------

def _date(offset: int) -> str:
    return (DAY + dt.timedelta(days=offset)).isoformat()


DATES = st.integers(-3, 3).map(_date)


@st.composite
def written_phone(draw, national: str) -> str:
    """One written form of +86 `national`: with or without a country prefix (a Beijing number
    without one takes the trunk 0), grouped with spaces, dashes, dots or nothing, maybe in
    full-width digits; a few forms are not valid numbers (`086 ...`), for the oracle to judge."""
    groups = [national[:3], national[3:7], national[7:]] if national.startswith("1") and len(national) == 11 \
        else [national[:2], national[2:6], national[6:]]
    separator = draw(st.sampled_from([" ", "-", "", ".", "\u00a0", "\u2013"]))
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "0086", "0086-", "+86-", "(+86) ", "86 ", "tel:+86-", "+86 (0)",
                                   "\uff0b86 ", "086 "]))
    body = separator.join(groups)
    if prefix == "" and not national.startswith("13"):
        body = "0" + body
    text = prefix + body
    return text.translate(_FULL_WIDTH) if draw(st.booleans()) else text


@st.composite
def raw_subject(draw, rule: str) -> str:
    """A case's subject before keying: '', an agent or campaign id, or a national phone number."""
    kind = KIND[rule]
    if kind == "agency":
        return ""
    if kind == "agent":
        return draw(st.sampled_from(AGENTS))
    if kind == "campaign":
        return draw(st.sampled_from(CAMPAIGNS))
    return draw(st.sampled_from(NATIONALS))


def case_subject(rule: str, raw: str) -> str:
    """The subject as the rules key it (cases.md §1): a phone's keyed hash, else as written."""
    return keyed("+86" + raw) if KIND[rule] in ("customer", "caller") else raw


@st.composite
def exception_subject(draw, rule: str, raw: str) -> str | None:
    """Blank, or a subject as compliance staff would write it: mostly the case's own (a phone in
    any written form), sometimes another of any kind (which may be quarantined)."""
    choice = draw(st.integers(0, 7))
    if choice == 0 or (choice <= 4 and KIND[rule] == "agency"):
        return None
    if choice <= 4 and KIND[rule] != "agency":
        if KIND[rule] not in ("customer", "caller"):
            return raw
        if choice == 4:                                       # the key as the reports show it, in either case
            key = keyed("+86" + raw)
            return key.upper() if draw(st.booleans()) else key
        return draw(written_phone(raw))
    kind = draw(st.sampled_from(["agent", "customer", "campaign", "agency"]))
    if kind == "agent":
        return draw(st.sampled_from(AGENTS))
    if kind == "campaign":
        return draw(st.sampled_from(CAMPAIGNS))
    if kind == "agency":
        return draw(st.sampled_from(AGENCIES))
    return draw(written_phone(draw(st.sampled_from(NATIONALS))))


@st.composite
def decision_world(draw):
    raw_keys = draw(st.lists(st.tuples(st.sampled_from(AGENCIES), st.sampled_from(RULES)).flatmap(
        lambda ar: st.tuples(st.just(ar[0]), st.just(ar[1]), raw_subject(ar[1]))), min_size=1, max_size=12,
        unique=True))
    cases = {spec_case_id(a, r, case_subject(r, raw)): (a, r, case_subject(r, raw)) for a, r, raw in raw_keys}
    with_findings = draw(st.lists(st.sampled_from(sorted(cases)), max_size=30))          # some cases are quiet
    exceptions = []
    for eid in draw(st.lists(st.sampled_from(["X1", "X2", "X10", "X01", "x1", "X9"]), unique=True, max_size=6)):
        # mostly about a case's agency and rule, sometimes about another pair
        agency, rule, raw = draw(st.one_of(st.sampled_from(raw_keys), st.tuples(
            st.sampled_from(AGENCIES), st.sampled_from(RULES), st.sampled_from(NATIONALS))))
        exceptions.append({"exception_id": eid, "agency_id": agency, "rule_id": rule,
                           "subject": draw(exception_subject(rule, raw)), "valid_from": draw(DATES),
                           "valid_to": draw(DATES), "approved_by": "Li Wei", "approved_on": _date(-10),
                           "reason": "temporary"})
    disputes = []
    for did in draw(st.lists(st.sampled_from(["D1", "D2", "D10", "D02", "d1"]), unique=True, max_size=5)):
        status = draw(st.sampled_from(["open", "OPEN", "upheld", "Upheld", "rejected", "Rejected"]))
        decided = draw(DATES) if status.lower() != "open" or draw(st.booleans()) else None
        # several disputes of one case are likely: two cases draw most of them
        case = draw(st.one_of(st.sampled_from(sorted(cases)[:2]), st.sampled_from(sorted(cases) + ["C-000000000000"])))
        disputes.append({"dispute_id": did, "case_id": case,
                         "raised_by": "ops", "raised_on": draw(st.integers(-3, 0).map(_date)), "status": status,
                         "decided_by": None if decided is None else "Zhang Min", "decided_on": decided,
                         "note": None})
    return cases, with_findings, exceptions, disputes, draw(st.randoms(use_true_random=False))


def _frame(rows: list[dict], columns: tuple[str, ...], labels: list[int]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.array([r[c] for r in rows], dtype=TEXT) for c in columns},
                        index=pd.Index(labels, dtype="int64"))


EXCEPTION_COLUMNS = ("exception_id", "agency_id", "rule_id", "subject", "valid_from", "valid_to", "approved_by",
                     "approved_on", "reason")
DISPUTE_COLUMNS = ("dispute_id", "case_id", "raised_by", "raised_on", "status", "decided_by", "decided_on", "note")


@given(decision_world())
def test_decisions_equal_a_per_case_loop_over_the_exception_and_dispute_rows(world):
    cases, with_findings, exception_rows, dispute_rows, rng = world
    rng.shuffle(exception_rows)
    rng.shuffle(dispute_rows)

    # typed as the loader types them, then what the suites keep (judged by the oracle, and the
    # flags they judge compared with it)
    typed = exception_columns(_frame(exception_rows, EXCEPTION_COLUMNS, rng.sample(range(0, 900, 9),
                                                                                     len(exception_rows))),
                              region="CN", secret=SECRET)
    judged = [spec_subject(x["rule_id"], x["subject"]) for x in exception_rows]
    assert (typed["subject_bad_phone"] | typed["subject_not_applicable"]).tolist() == [bad for _, bad in judged]
    kept = [not bad for _, bad in judged]
    assert typed["subject_key"][kept].tolist() == [key for key, bad in judged if not bad]
    exceptions = [{**x, "key": key} for x, (key, bad) in zip(exception_rows, judged) if not bad]

    dtyped = dispute_columns(_frame(dispute_rows, DISPUTE_COLUMNS, rng.sample(range(5, 500, 7), len(dispute_rows))),
                             known_cases=list(cases), day=DAY)
    dkept = [d["case_id"] in cases and (d["status"].lower() == "open" or d["decided_on"] is not None)
             and (d["decided_on"] is None or day_of(d["decided_on"]) <= DAY) for d in dispute_rows]
    assert (dtyped["case_known"] & ~dtyped["decision_missing"] & ~dtyped["after_audit_day"]).tolist() == dkept
    disputes = [d for d, keep in zip(dispute_rows, dkept) if keep]

    # the snapshot's cases (with findings today or quiet), shuffled, non-contiguous labels; sometimes
    # only some of them (decisions about the others are not applied)
    ids = sorted(cases)
    rng.shuffle(ids)
    if rng.random() < 0.3:
        ids = ids[:rng.randint(1, len(ids))]
    case_frame = pd.DataFrame({"case_id": ids, "agency_id": [cases[c][0] for c in ids],
                               "rule_id": [cases[c][1] for c in ids]}, index=rng.sample(range(1000, 5000, 13), len(ids)))
    decided = decide_cases(case_frame, typed[kept] if exception_rows else None,
                           dtyped[dkept] if dispute_rows else None, DAY)

    expected = {case: decision_of(agency, rule, subject, case, exceptions, disputes)
                for case, (agency, rule, subject) in cases.items() if case in ids}
    expected = {case: value for case, value in expected.items() if value is not None}
    assert {row.case_id: (row.decision, row.exception_id, row.dispute_id) for row in decided.itertuples()} == expected
    assert decided["case_id"].tolist() == sorted(expected)

    # every finding of a case carries its decision; only undecided and disputed findings count
    labels = _labels_of(rng, len(with_findings))
    findings = pd.DataFrame({"agency_id": pd.array([cases[c][0] for c in with_findings], dtype=TEXT),
                             "call_id": pd.array([f"c{k}" for k in range(len(with_findings))], dtype=TEXT),
                             "case_id": pd.array(with_findings, dtype=TEXT),
                             "decision": pd.array([""] * len(with_findings), dtype=TEXT)}, index=labels)
    marked = with_decisions(findings, decided)
    wanted = [expected.get(c, ("",))[0] for c in with_findings]
    assert marked["decision"].tolist() == wanted
    assert list(marked.index) == labels and marked["call_id"].tolist() == findings["call_id"].tolist()
    counted = counted_findings(marked)
    assert list(counted.index) == [label for label, d in zip(labels, wanted) if d not in ("accepted", "dismissed")]

    # the register shows the decision and its ids, and says it at the end of the summary
    register = pd.DataFrame({"case_id": ids, "decision": "", "exception_id": "", "dispute_id": "",
                             "summary": [f"Summary of {c}." for c in ids]}, index=case_frame.index)
    shown = overlay_register(register, decided)
    assert list(shown.index) == list(register.index)
    for row in shown.itertuples():
        decision, exception_id, dispute_id = expected.get(row.case_id, ("", "", ""))
        assert (row.decision, row.exception_id, row.dispute_id) == (decision, exception_id, dispute_id)
        if row.case_id not in expected:
            assert row.summary == f"Summary of {row.case_id}."
            continue
        named = exception_id if decision == "accepted" else dispute_id
        assert row.summary.startswith(f"Summary of {row.case_id}; ") and row.summary.endswith(".")
        assert named in row.summary and decision in row.summary


def _labels_of(rng, n: int) -> list[int]:
    """Shuffled, non-contiguous index labels."""
    return rng.sample(range(7, 7 + 11 * max(n, 1), 11), n)


# --- evidence --------------------------------------------------------------------------------

_TIER = {"new": 0, "reopened": 0, "open": 1, "quiet": 2, "resolved": 3}          # evidence.py's docstring
_SEVERITY = {"critical": 0, "major": 1, "minor": 2}
CASE_FIELDS = ("case_id", "agency_id", "rule_id", "family", "severity", "subject_kind", "subject_display", "status",
               "decision", "first_seen", "last_seen", "days_open", "findings_today", "findings_episode",
               "calls_today", "summary")
STARTS = tuple(f"2026-11-27T{h:02d}:{m:02d}:00+08:00" for h in (9, 10, 23) for m in (0, 5))


@st.composite
def evidence_world(draw):
    n = draw(st.integers(0, 10))
    case_ids = draw(st.lists(st.from_regex(r"C-[0-9a-f]{3}", fullmatch=True), min_size=n, max_size=n, unique=True))
    register = []
    for case in case_ids:
        status = draw(st.sampled_from(["new", "reopened", "open", "quiet", "resolved"]))
        register.append({"case_id": case, "agency_id": draw(st.sampled_from(("AG01", "AG02", "AG10"))),
                         "rule_id": draw(st.sampled_from(RULES)), "family": "frequency",
                         "severity": draw(st.sampled_from(["critical", "major", "minor"])),
                         "subject_kind": "agent", "subject_display": draw(st.sampled_from(["E1", None])),
                         "status": status, "decision": draw(st.sampled_from(["", "accepted", None])),
                         "first_seen": "2026-11-20", "last_seen": "2026-11-27",
                         "days_open": None if status == "resolved" else draw(st.integers(1, 30)),
                         "findings_episode_extra": draw(st.integers(0, 3)), "calls_today": draw(st.integers(0, 9)),
                         "summary": draw(st.sampled_from(["One sentence.", None]))})
    # findings of the register's cases (quiet and resolved ones have none), and of cases not in it
    active = [r for r in register if r["status"] in ("new", "reopened", "open")]
    owners = draw(st.lists(st.sampled_from(active + [None]) if active else st.just(None), max_size=40))
    findings = []
    for k, owner in enumerate(owners):
        case = owner or {"case_id": "C-zzz", "agency_id": "AG01", "rule_id": "FREQ_DAILY_CAP", "severity": "major"}
        findings.append({"agency_id": case["agency_id"], "rule_id": case["rule_id"], "severity": case["severity"],
                         "call_id": draw(st.sampled_from(["1", "10", "2", "a", "B"])) + f"-{k:02d}",
                         "agent_id": "E1", "campaign_id": draw(st.sampled_from(["MKT-1", None])),
                         "callee_masked": "+86 138****5678", "callee_key": "k" * 8,
                         "start_time": draw(st.sampled_from(STARTS)), "detail": draw(st.sampled_from(["d", None])),
                         "case_id": case["case_id"], "decision": draw(st.sampled_from(["", "disputed", None]))})
    for row in register:
        row["findings_today"] = sum(f["case_id"] == row["case_id"] for f in findings)
        row["findings_episode"] = row["findings_today"] + row.pop("findings_episode_extra")
    return register, findings, draw(st.integers(0, 4)), draw(st.integers(0, 4)), draw(st.randoms(use_true_random=False))


def _blank(value) -> str:
    return "" if value is None else str(value)


@given(evidence_world())
def test_evidence_per_case_equals_a_sorted_oracle(world):
    register_rows, finding_rows, per_case, with_evidence, rng = world
    rng.shuffle(register_rows)
    register = pd.DataFrame({c: [r[c] for r in register_rows] for c in CASE_FIELDS},
                            index=rng.sample(range(3, 3 + 17 * max(len(register_rows), 1), 17), len(register_rows)))
    register = register.astype({"days_open": "Int64", "findings_today": "int64", "findings_episode": "int64",
                                "calls_today": "int64"})
    # violations.csv order (agency_id, rule_id, start_time, call_id) is agency_cases' input; labels shuffled
    def csv_key(f):
        return f["agency_id"], f["rule_id"], f["start_time"], f["call_id"]
    in_order = sorted(finding_rows, key=csv_key)
    violations = pd.DataFrame({c: pd.array([f[c] for f in in_order], dtype=TEXT) for c in
                               ("agency_id", "rule_id", "severity", "call_id", "agent_id", "campaign_id",
                                "callee_masked", "callee_key", "start_time", "detail", "case_id", "decision")},
                              index=_labels_of(rng, len(in_order)))

    lines = agency_cases(register, violations, per_case=per_case, cases_with_evidence=with_evidence)

    def order_key(r):
        return (r["agency_id"], _TIER[r["status"]], _SEVERITY[r["severity"]], -r["findings_today"],
                -r["findings_episode"], r["case_id"])
    expected: dict[str, list[CaseLine]] = {}
    evidenced: dict[str, int] = {}          # cases with findings so far, per agency: the first `with_evidence` show them
    for r in sorted(register_rows, key=order_key):
        mine = [f for f in sorted(finding_rows, key=csv_key) if f["case_id"] == r["case_id"]]
        if mine:
            evidenced[r["agency_id"]] = evidenced.get(r["agency_id"], 0) + 1
        if evidenced.get(r["agency_id"], 0) > with_evidence:
            mine = []
        evidence = tuple(Finding(*(_blank(f[name]) for name in ("rule_id", "severity", "call_id", "agent_id",
                                                                "campaign_id", "callee_masked", "callee_key",
                                                                "start_time", "detail", "case_id", "decision")))
                         for f in mine[:per_case])
        expected.setdefault(r["agency_id"], []).append(CaseLine(
            case_id=r["case_id"], rule_id=r["rule_id"], family=r["family"], severity=r["severity"],
            subject_kind=r["subject_kind"], subject_display=_blank(r["subject_display"]), status=r["status"],
            decision=_blank(r["decision"]), first_seen=r["first_seen"], last_seen=r["last_seen"],
            days_open=r["days_open"], findings_today=r["findings_today"], findings_episode=r["findings_episode"],
            calls_today=r["calls_today"], summary=_blank(r["summary"]), evidence=evidence))
        rest = len(mine) - len(evidence)
        assert not mine or more_text(expected[r["agency_id"]][-1]) == (
            "" if rest <= 0 else f"and {rest:,} more call{'' if rest == 1 else 's'}")
    assert {agency: list(cases) for agency, cases in lines.items()} == expected
