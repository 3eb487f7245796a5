"""An agency's returned responses.csv, read row by row into the desk's events.

The share pack gives each agency one row per open case (case_id, rule_id, subject, status,
due_date) with empty columns `response` (accept | contest), `corrective_action`,
`target_date` and `contact`. The returned file is read here: a row the agency left blank is
skipped; a row of another agency's case, of a case the desk does not know, with a bad date or
value is refused with its reason; every other row becomes one act:

    accept  -> record_plan    {corrective_action, target_date, contact}
    contest -> record_dispute {raised_by: the agency (and its contact), note: the explanation}

The acts are then recorded through Desk.act, which checks the uploader's role for each (a
row the role may not record is refused with the desk's reason). Free text is masked
(numbers of 7+ digits) before it is recorded; no cell is ever echoed unmasked.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from audits.privacy import mask_free_text

REQUIRED = ("case_id", "response", "corrective_action", "target_date", "contact")
COLUMNS = ("case_id", "rule_id", "subject", "status", "due_date", *REQUIRED[1:])
RESPONSES = {"accept": "record_plan", "contest": "record_dispute"}
SOURCE = "responses.csv"             # the payload's "source": where the act came from
MAX_BYTES = 5_000_000
SHOWN_CHARACTERS = 40               # of a refused cell, in the reason
_WRITTEN_DATE = re.compile(r"[0-9]{1,4}[/.-][0-9]{1,2}[/.-][0-9]{1,4}")      # 20/12/2026: shown, not masked


@dataclass(frozen=True)
class Act:
    """One row read as an act on a case."""

    row: int                        # line of the file (the header is line 1)
    case_id: str
    kind: str
    payload: dict


@dataclass(frozen=True)
class Refusal:
    row: int                        # 0: the whole file
    case_id: str
    reason: str


@dataclass
class ReadResponses:
    acts: list[Act] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    blank: int = 0                  # rows the agency left unanswered


def read_responses(data: bytes, *, agency_id: str, case_agency: dict[str, str]) -> ReadResponses:
    """The acts in a returned responses.csv of `agency_id`; `case_agency` maps every case id
    the desk knows to its agency."""
    out = ReadResponses()
    rows = _rows(data, out)
    if rows is None:
        return out
    seen: set[str] = set()
    for line, row in rows:
        case_id = row.get("case_id", "").strip()
        answer = [row.get(name, "").strip() for name in REQUIRED[1:]]
        if not any(answer):
            out.blank += 1
            continue
        reason = _refusal(row, case_id, agency_id, case_agency, seen)
        if reason:
            out.refused.append(Refusal(line, _shown(case_id), reason))
            continue
        seen.add(case_id)
        out.acts.append(_act(line, case_id, row, agency_id))
    return out


def _rows(data: bytes, out: ReadResponses) -> Iterable[tuple[int, dict]] | None:
    if len(data) > MAX_BYTES:
        out.refused.append(Refusal(0, "", f"the file is larger than {MAX_BYTES // 1_000_000} MB"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        out.refused.append(Refusal(0, "", "the file is not UTF-8 text: save it as CSV UTF-8 and upload it again"))
        return None
    lines = text.splitlines()
    offset = 0
    if lines and lines[0].strip().lower().startswith("sep="):       # Excel's separator line
        lines, offset = lines[1:], 1
    reader = csv.DictReader(lines)
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        out.refused.append(Refusal(0, "", "the file lacks the column(s) " + ", ".join(missing)
                                   + ": upload the responses.csv of the agency's share pack"))
        return None
    reader.fieldnames = header
    try:
        return [(reader.line_num + offset, {k: (v or "") for k, v in row.items() if isinstance(k, str)})
                for row in reader]
    except csv.Error:
        out.refused.append(Refusal(0, "", "the file is not readable as CSV"))
        return None


def _refusal(row: dict, case_id: str, agency_id: str, case_agency: dict[str, str], seen: set[str]) -> str:
    response = row.get("response", "").strip().lower()
    target = row.get("target_date", "").strip()
    if not case_id:
        return "no case_id"
    if case_id not in case_agency:
        return f"unknown case {_shown(case_id)}: the desk has no such case"
    if case_agency[case_id] != agency_id:
        return f"case {case_id} belongs to {case_agency[case_id]}, not {agency_id}"
    if case_id in seen:
        return f"case {case_id} is answered twice in the file; only its first row was read"
    if response not in RESPONSES:
        return f"response {_shown(row.get('response', ''))!r} is not accept or contest"
    if target and _date(target) is None:
        return f"target_date {_shown(target)!r} is not a date written as YYYY-MM-DD"
    if response == "accept" and not (row.get("corrective_action", "").strip() and target):
        return "an accepted case needs a corrective_action and a target_date"
    return ""


def _act(line: int, case_id: str, row: dict, agency_id: str) -> Act:
    text = {name: mask_free_text(row.get(name, "").strip()) for name in ("corrective_action", "contact")}
    if row["response"].strip().lower() == "accept":
        payload = {"corrective_action": text["corrective_action"], "target_date": row["target_date"].strip(),
                   "contact": text["contact"], "response": "accept", "source": SOURCE}
        return Act(line, case_id, "record_plan", payload)
    raised_by = f"{agency_id} ({text['contact']})" if text["contact"] else agency_id
    return Act(line, case_id, "record_dispute",
               {"raised_by": raised_by, "note": text["corrective_action"], "source": SOURCE})


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def _shown(text: str) -> str:
    """A cell as it may appear in a reason: masked (a written date as it is), and cut short."""
    text = str(text).strip()
    masked = text if _WRITTEN_DATE.fullmatch(text) else mask_free_text(text)
    return masked if len(masked) <= SHOWN_CHARACTERS else masked[:SHOWN_CHARACTERS] + "…"
