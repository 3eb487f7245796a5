"""Planted complaints (signals.md §3): each sample day gets a complaints file, and its truth.

Per day: a complaint about a call with a planted finding that day; one about an earlier day's
call with a finding (linked through the store), when the window holds one; one about a clean
call of an earlier day of the window that also names another agency (linked agencies are the
union); one naming an agency about a number nobody called (named_only); one about a number
nobody called, naming nobody (unlinked); and a row with a bad phone number (quarantined, not in
the truth). The last day's first complaint comes through the regulator: one in the sample.
Every complaint's text holds a customer name and a phone number, which no output may show.

The truth, `truth/<D>-complaints.csv` (complaint_id, status, linked_agencies `;`-joined,
sorted), is computed from every accepted call of the window to the complaint's number: the
sample's own calls, the quarantined rows of truth/<D>.csv left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from audits.models import RULES_BY_ID, SubjectKind
from audits.sample.agencies import BANK_TZ, Plan, zone_offset_s
from audits.sample.assemble import AgencyFile
from audits.sample.reference import Numbers
from audits.sample.writer import CALLEE_FORMS, callee_strings, csv_bytes, write_atomic

LOOKBACK_DAYS = 14                 # cn_bank's complaints.lookback_days
COLUMNS = ["complaint_id", "received_at", "phone", "channel", "category", "agency_id", "text"]
TRUTH_COLUMNS = ["complaint_id", "status", "linked_agencies"]
CATEGORIES = ("harassment", "privacy", "misconduct", "other")
CHANNELS = ("hotline", "app", "branch", "other")
CUSTOMER_RULES = [r for r, info in RULES_BY_ID.items() if info.subject is SubjectKind.CUSTOMER]
NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "Maria Lopez")


@dataclass
class ComplaintPlanter:
    """Keeps each day's accepted calls (agency, call id, number, finding or not) while the
    sample is written, to plant and judge the complaints of later days."""

    plan: Plan
    numbers: Numbers
    rng: np.random.Generator
    calls: dict[int, pd.DataFrame] = field(default_factory=dict)

    def record_day(self, day: int, files: list[AgencyFile], truth: pd.DataFrame) -> None:
        self.calls[day] = accepted_calls(files, truth)

    def write_day(self, landing: Path, day: int) -> None:
        complaints = self._complaints(day)
        date = self.plan.date(day).isoformat()
        frame = pd.DataFrame(complaints, columns=[*COLUMNS, "number"])
        rows = frame[COLUMNS].copy()
        rows.loc[len(rows)] = [f"CMP-{date.replace('-', '')}-BAD", f"{date} 16:20", "12345", "hotline", "other", "",
                               f"{NAMES[0]} 13900001111 不是有效号码"]        # a bad phone: quarantined
        write_atomic(landing / "complaints" / f"{date}.csv",
                     csv_bytes(COLUMNS, [rows[c].astype(str).to_numpy(dtype=object) for c in COLUMNS]))
        truth = self._truth(day, frame)
        write_atomic(landing / "truth" / f"{date}-complaints.csv",
                     csv_bytes(TRUTH_COLUMNS, [truth[c].astype(str).to_numpy(dtype=object) for c in TRUTH_COLUMNS]))

    # --- choosing ---------------------------------------------------------------------------

    def _complaints(self, day: int) -> list[list]:
        date = self.plan.date(day)
        window = [d for d in range(max(0, day - LOOKBACK_DAYS), day + 1) if d in self.calls]
        today = self.calls.get(day, _no_calls())
        earlier = pd.concat([self.calls[d] for d in window if d < day] or [_no_calls()], ignore_index=True)
        agencies = [a.agency_id for a in self.plan.agencies]
        picks: list[tuple[int, str]] = []                   # (number, named agency)
        for pool in (today, earlier):
            chosen = pool[pool["customer_finding"]]          # a customer's own case, else any finding
            chosen = chosen if len(chosen) else pool[pool["finding"]]
            if len(chosen):
                picks.append((int(chosen["number"].iat[int(self.rng.integers(len(chosen)))]), ""))
        clean = earlier[~earlier["finding"]] if len(earlier) else today[~today["finding"]]
        if len(clean):
            row = int(self.rng.integers(len(clean)))
            others = [a for a in agencies if a != clean["agency_id"].iat[row]]
            picks.append((int(clean["number"].iat[row]), others[int(self.rng.integers(len(others)))] if others else ""))
        fresh, _ = self.numbers.take(2)
        picks.append((int(fresh[0]), agencies[int(self.rng.integers(len(agencies)))]))      # named_only
        picks.append((int(fresh[1]), ""))                                                   # unlinked
        forms = self.rng.integers(0, CALLEE_FORMS, len(picks))
        phones = callee_strings(np.array([n for n, _ in picks], dtype=np.int64), forms)
        offset = zone_offset_s(BANK_TZ, date) // 3600
        rows = []
        for k, ((number, named), phone) in enumerate(zip(picks, phones)):
            channel = "regulator" if day == self.plan.days - 1 and k == 0 else CHANNELS[int(self.rng.integers(4))]
            minutes = 8 * 60 + 37 * k + int(self.rng.integers(30))
            clock = f"{minutes // 60:02d}:{minutes % 60:02d}"
            received = f"{date.isoformat()} {clock}" if k % 2 == 0 else f"{date.isoformat()}T{clock}:00+{offset:02d}:00"
            name = NAMES[int(self.rng.integers(len(NAMES)))]
            text = f"{name}（{phone}）反映：多次接到催收电话，联系人 {name} 13912345678。"
            rows.append([f"CMP-{date.strftime('%Y%m%d')}-{k + 1:03d}", received, phone,
                         channel.upper() if k == 2 else channel, CATEGORIES[k % len(CATEGORIES)], named, text,
                         number])
        return rows

    # --- the truth -------------------------------------------------------------------------

    def _truth(self, day: int, complaints: pd.DataFrame) -> pd.DataFrame:
        window = [self.calls[d] for d in range(max(0, day - LOOKBACK_DAYS), day + 1) if d in self.calls]
        calls = pd.concat(window or [_no_calls()], ignore_index=True)
        out = []
        for row in complaints.itertuples(index=False):
            callers = set(calls.loc[calls["number"] == row.number, "agency_id"])
            linked = sorted(callers | ({row.agency_id} if row.agency_id else set()))
            status = "linked" if callers else "named_only" if row.agency_id else "unlinked"
            out.append([row.complaint_id, status, ";".join(linked)])
        return pd.DataFrame(out, columns=TRUTH_COLUMNS)


def accepted_calls(files: list[AgencyFile], truth: pd.DataFrame) -> pd.DataFrame:
    """The calls of a day's files that the audit accepts (the truth's quarantined rows and
    unreadable files left out): agency_id, call_id, number (national), finding (any planted)."""
    unreadable = set(truth.loc[truth["rule_id"] == "DQ_FILE_UNREADABLE", "agency_id"])
    dq = truth[truth["rule_id"].str.startswith("DQ_") & (truth["row_number"] != "")]
    findings = truth[~truth["rule_id"].str.startswith("DQ_")]
    parts = []
    for f in files:
        agency = f.agency.agency_id
        if agency in unreadable or f.callee is None:
            continue
        rows = np.ones(len(f.callee), dtype=bool)
        bad = dq.loc[dq["agency_id"] == agency, "row_number"].astype(int).to_numpy() - 1
        rows[bad] = False
        call_ids = f.columns[f.header.index("call_id")][rows]
        mine = findings[findings["agency_id"] == agency]
        ids = pd.Series(call_ids, dtype=object)
        parts.append(pd.DataFrame({"agency_id": agency, "call_id": call_ids, "number": f.callee[rows],
                                   "finding": ids.isin(mine["call_id"]).to_numpy(),
                                   "customer_finding": ids.isin(mine.loc[mine["rule_id"].isin(CUSTOMER_RULES),
                                                                         "call_id"]).to_numpy()}))
    return pd.concat(parts or [_no_calls()], ignore_index=True)


def _no_calls() -> pd.DataFrame:
    return pd.DataFrame({"agency_id": pd.Series([], dtype=object), "call_id": pd.Series([], dtype=object),
                         "number": pd.Series([], dtype=np.int64), "finding": pd.Series([], dtype=bool),
                         "customer_finding": pd.Series([], dtype=bool)})
