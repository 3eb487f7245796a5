"""One day of the landing zone: background and planted calls become per-agency rows in file
order with their written text, plus the day's ground truth.

Also plants FREQ_CALLER_DAILY_CAP: 200 + k background calls of one agency are moved onto a
caller number kept aside for it (its 201st and later calls are findings), and, where volume
allows, exactly 200 onto a second kept-aside number (a near miss). All other calls rotate
evenly over the agency's remaining registered numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from audits.sample.agencies import CLEAN, EXPIRED, LEVEL_RULE, LICENCE, NDA, NORMAL, SCOPE, Agency, Plan, zone_offset_s
from audits.sample.calls import COLUMNS, add_times, empty_frame
from audits.sample.notes import fill_notes
from audits.sample.plants import DAY_MS
from audits.sample.reference import Callers
from audits.sample.writer import CALLEE_FORMS, callee_strings, caller_forms, csv_field, ts_strings

CDR_HEADER = ["call_id", "agency_id", "agent_id", "campaign_id", "caller_number", "callee_number",
              "start_time", "answer_time", "end_time", "disposition", "outcome", "notes", "callee_tz"]
TRUTH_COLUMNS = ["agency_id", "call_id", "rule_id", "row_number"]
CALLER_CAP = 200


@dataclass
class AgencyFile:
    agency: Agency
    header: list[str]
    columns: list[np.ndarray]
    replace: dict[int, str] = field(default_factory=dict)     # data row index -> malformed line
    callee: np.ndarray | None = None                         # each data row's callee (national number)


@dataclass
class Day:
    files: list[AgencyFile]
    truth: pd.DataFrame
    calls: pd.DataFrame | None = None     # agency_id, call_id, agent, campaign, callee, caller: case subjects


def assemble_day(plan: Plan, callers: Callers, bg: pd.DataFrame, planted: list[dict], day: int,
                 rng: np.random.Generator, cap_excess: int) -> Day:
    dups = [p for p in planted if p.get("kind") == "dup"]
    plants = _plant_frame(plan, [p for p in planted if p.get("kind") != "dup"], day, rng)
    parts = [f for f in (bg, plants) if len(f)]
    frame = pd.concat(parts, ignore_index=True) if parts else empty_frame()
    frame = frame.astype({c: np.int64 for c in ("agency", "callee", "start_ms", "answer_ms", "end_ms", "style")})
    kept = _assign_callers(plan, callers, frame, day, rng, cap_excess)
    frame = _order_and_ids(plan, frame, day, rng)
    text = _text(plan, frame, day, rng)
    cap_hits = _caller_cap_findings(frame, kept)
    truth, files = [], []
    for agency in plan.agencies:
        if (day, agency.idx) == plan.missing:
            truth.append(pd.DataFrame([[agency.agency_id, "", "DQ_FILE_MISSING", ""]], columns=TRUTH_COLUMNS))
            continue
        rows = np.flatnonzero(frame["agency"].to_numpy() == agency.idx)
        source = _with_duplicates(frame, rows, [d for d in dups if d["agency"] == agency.idx], kept, rng)
        header = [c for c in CDR_HEADER if agency.has_callee_tz or c != "callee_tz"]
        if (day, agency.idx) == plan.unreadable:
            header.remove("disposition")                      # a required column is absent
        columns = [text[c][np.where(source >= 0, source, -source - 1)] for c in header]
        replace = _malformed(frame, source, columns)
        callee = frame["callee"].to_numpy(dtype=np.int64)[np.where(source >= 0, source, -source - 1)]
        files.append(AgencyFile(agency, header, columns, replace, callee))
        if (day, agency.idx) == plan.unreadable:
            truth.append(pd.DataFrame([[agency.agency_id, "", "DQ_FILE_UNREADABLE", ""]], columns=TRUTH_COLUMNS))
        else:
            truth.append(_truth(agency, frame, source, text, cap_hits))
    out = pd.concat(truth, ignore_index=True)
    order = pd.to_numeric(out["row_number"], errors="coerce").fillna(-1)
    out = out.assign(_n=order).sort_values(["agency_id", "rule_id", "call_id", "_n"], kind="stable")
    agency_ids = np.array([a.agency_id for a in plan.agencies], dtype=object)
    calls = pd.DataFrame({"agency_id": agency_ids[frame["agency"].to_numpy()],
                          **{c: frame[c].to_numpy() for c in ("call_id", "agent", "campaign", "callee", "caller")}})
    return Day(files=files, truth=out.drop(columns="_n").reset_index(drop=True), calls=calls)


def _plant_frame(plan: Plan, rows: list[dict], day: int, rng: np.random.Generator) -> pd.DataFrame:
    if not rows:
        return empty_frame()
    f = pd.DataFrame(rows)
    purpose = np.array([plan.purpose(c) or "collection" for c in f["campaign"]], dtype=object)
    answer, end = f["answer_ms"].to_numpy(dtype=object), f["end_ms"].to_numpy(dtype=object)
    f["start_ms"] = f["start_ms"].astype(np.int64)
    f = add_times(f, purpose, rng)
    for col, explicit in (("answer_ms", answer), ("end_ms", end)):
        given = ~pd.isna(explicit)
        values = f[col].to_numpy(dtype=np.int64).copy()
        values[given] = explicit[given].astype(np.int64)
        f[col] = values
    blank = f["notes"].isna().to_numpy()
    if blank.any():
        product = np.array([plan.campaigns.get(c, ("", ""))[1] for c in f["campaign"]], dtype=object)
        disp, outcome = f["disp"].to_numpy(dtype=object), f["outcome"].to_numpy(dtype=object)
        notes = f["notes"].to_numpy(dtype=object).copy()
        notes[blank] = fill_notes(purpose[blank], disp[blank], outcome[blank], product[blank],
                                  f["callee"].to_numpy(dtype=np.int64)[blank], plan.date(day), rng)
        f["notes"] = notes
    return f[list(COLUMNS)]


def _assign_callers(plan: Plan, callers: Callers, frame: pd.DataFrame, day: int,
                    rng: np.random.Generator, cap_excess: int) -> set[str]:
    """Fill blank caller numbers; returns the caller-cap number used today (or an empty set)."""
    caller = frame["caller"].to_numpy(dtype=object).copy()
    agency = frame["agency"].to_numpy()
    background = frame["kind"].to_numpy() == "bg"
    kept: set[str] = set()
    need = CALLER_CAP + cap_excess
    hosts = sorted((a for a in plan.agencies if a.role != CLEAN and plan.readable(day, a.idx)
                    and np.count_nonzero(background & (agency == a.idx)) >= need),
                   key=lambda a: (a.idx != plan.cap_host, a.role != NORMAL, a.idx))
    if cap_excess and hosts:
        host = hosts[0]
        pool = np.flatnonzero(background & (agency == host.idx))
        near = pool.size >= need + CALLER_CAP + 50
        chosen = rng.choice(pool, need + (CALLER_CAP if near else 0), replace=False)
        caller[chosen[:need]] = callers.core[host.idx][0]
        if near:
            caller[chosen[need:]] = callers.core[host.idx][1]
        kept = {callers.core[host.idx][0]}
    for a in plan.agencies:
        rows = np.flatnonzero((agency == a.idx) & (caller == ""))
        rotation = np.asarray(callers.core[a.idx][2:], dtype=object)
        caller[rows] = rotation[rng.permutation(rows.size) % rotation.size]
    frame["caller"] = caller
    return kept


def _order_and_ids(plan: Plan, frame: pd.DataFrame, day: int, rng: np.random.Generator) -> pd.DataFrame:
    nominal = frame["start_ms"].to_numpy(dtype=np.int64).copy()
    nominal[frame["dq"].to_numpy() == "DQ_OUT_OF_DAY"] -= DAY_MS    # filed among the day's rows
    order = np.lexsort((rng.random(len(frame)), nominal, frame["agency"].to_numpy()))
    frame = frame.iloc[order].reset_index(drop=True)
    seq = frame.groupby("agency").cumcount().to_numpy() + 1
    width = max(6, len(str(int(seq.max()) if seq.size else 1)))
    stamp = plan.date(day).strftime("%Y%m%d")
    prefix = np.array([f"{a.abbr}{stamp}" if a.id_style == "prefixed" else f"{stamp}-"
                       for a in plan.agencies], dtype=object)[frame["agency"].to_numpy()]
    pad = np.array([width + (a.id_style != "prefixed") for a in plan.agencies])[frame["agency"].to_numpy()]
    digits = pd.Series(seq).astype(str)
    for w in np.unique(pad):
        rows = pad == w
        digits[rows] = digits[rows].str.zfill(int(w))
    frame["call_id"] = prefix + digits.to_numpy(dtype=object)
    return frame


def _text(plan: Plan, frame: pd.DataFrame, day: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The written text of every CDR column (overrides of planted defects applied)."""
    n = len(frame)
    agency = frame["agency"].to_numpy()
    date = plan.date(day)
    offset = np.array([zone_offset_s(a.tz, date) for a in plan.agencies])[agency]
    style = frame["style"].to_numpy().astype(np.int64)
    codes, numbers = pd.factorize(frame["caller"].to_numpy(dtype=object))
    forms = np.array([caller_forms(str(x)) for x in numbers], dtype=object).reshape(len(numbers), 4)
    caller_form = np.where(rng.random(n) < 0.8, agency % 4, rng.integers(0, 4, n))
    caller_text = forms[codes, caller_form] if n else np.empty(0, dtype=object)
    phone_form = np.where(rng.random(n) < 0.7, np.array([a.phone_primary for a in plan.agencies])[agency],
                          rng.integers(0, CALLEE_FORMS, n))
    lower = np.array([a.lower_enums for a in plan.agencies])[agency]
    padded = (np.array([a.idx % 3 == 2 for a in plan.agencies])[agency]) & (rng.random(n) < 0.01)
    text = {
        "call_id": frame["call_id"].to_numpy(dtype=object),
        "agency_id": np.array([a.agency_id for a in plan.agencies], dtype=object)[agency],
        "agent_id": frame["agent"].to_numpy(dtype=object),
        "campaign_id": frame["campaign"].to_numpy(dtype=object),
        "caller_number": caller_text,
        "callee_number": callee_strings(frame["callee"].to_numpy(dtype=np.int64), phone_form),
        "start_time": ts_strings(frame["start_ms"].to_numpy(dtype=np.int64), style, offset),
        "answer_time": ts_strings(frame["answer_ms"].to_numpy(dtype=np.int64), style, offset),
        "end_time": ts_strings(frame["end_ms"].to_numpy(dtype=np.int64), style, offset),
        "disposition": _enum_text(frame["disp"].to_numpy(dtype=object), lower, padded),
        "outcome": _enum_text(frame["outcome"].to_numpy(dtype=object), lower, padded),
        "notes": frame["notes"].fillna("").to_numpy(dtype=object),
        "callee_tz": frame["callee_tz"].to_numpy(dtype=object),
    }
    no_tz = ~np.array([a.has_callee_tz for a in plan.agencies])[agency]
    if (text["callee_tz"][no_tz] != "").any():
        raise AssertionError("a callee_tz was planted on an agency that does not export the column")
    text = {k: np.array(v, dtype=object) for k, v in text.items()}       # writable copies
    for i in np.flatnonzero(frame["override"].notna().to_numpy()):
        for column, value in frame["override"].iat[i].items():
            if column in text:
                text[column][i] = value
    return text


def _enum_text(values: np.ndarray, lower: np.ndarray, padded: np.ndarray) -> np.ndarray:
    out = values.copy()
    rows = lower & (values != "")
    out[rows] = pd.Series(values[rows], dtype=object).str.lower().to_numpy(dtype=object)
    rows = padded & (values != "")
    out[rows] = pd.Series(out[rows], dtype=object).radd(" ").to_numpy(dtype=object)
    return out


def _with_duplicates(frame: pd.DataFrame, rows: np.ndarray, dups: list[dict], kept: set[str],
                     rng: np.random.Generator) -> np.ndarray:
    """Frame row indexes in file order; each duplicate copies a clean background row and comes
    a few rows after it. A copy is marked by a negative index -(source + 1)."""
    if not dups or rows.size == 0:
        return rows
    sub = frame.iloc[rows]
    ok = np.flatnonzero((sub["kind"].to_numpy() == "bg") & ~sub["caller"].isin(list(kept)).to_numpy())
    keys = list(np.arange(rows.size, dtype=float))
    sources = list(rows)
    for target in rng.choice(ok, min(len(dups), ok.size), replace=False):
        keys.append(target + int(rng.integers(0, min(5, rows.size - target))) + 0.5)
        sources.append(-(int(rows[target]) + 1))
    order = np.argsort(np.asarray(keys), kind="stable")
    return np.asarray(sources)[order]


def _malformed(frame: pd.DataFrame, source: np.ndarray, columns: list[np.ndarray]) -> dict[int, str]:
    """Planted malformed rows: the row's CSV line with one field too many or too few."""
    out = {}
    overrides = frame["override"].to_numpy(dtype=object)
    marked = frame["dq"].to_numpy(dtype=object) == "DQ_MALFORMED_ROW"
    for pos in np.flatnonzero((source >= 0) & marked[np.where(source >= 0, source, 0)]):
        spec = overrides[source[pos]]
        fields = [csv_field(str(col[pos])) for col in columns]
        fields = fields + ["多余字段"] if spec["__malformed__"] == "extra" else fields[:-1]
        out[int(pos)] = ",".join(fields)
    return out


def _caller_cap_findings(frame: pd.DataFrame, kept: set[str]) -> np.ndarray:
    """Boolean per frame row: the (cap+1)-th or later audited call from a caller number."""
    audited = (frame["dq"].to_numpy() == "")
    callers = frame["caller"].to_numpy(dtype=object)
    counts = pd.Series(callers[audited]).value_counts()
    over = counts[counts > CALLER_CAP]
    if set(over.index) - kept:
        raise AssertionError(f"caller numbers over the cap by accident: {sorted(set(over.index) - kept)[:5]}")
    hits = np.zeros(len(frame), dtype=bool)
    for number in over.index:
        rows = np.flatnonzero(audited & (callers == number))
        ranked = rows[np.lexsort((frame["call_id"].to_numpy(dtype=object)[rows].astype(str),
                                  frame["start_ms"].to_numpy()[rows]))]
        hits[ranked[CALLER_CAP:]] = True
    return hits


def _truth(agency: Agency, frame: pd.DataFrame, source: np.ndarray, text: dict[str, np.ndarray],
           cap_hits: np.ndarray) -> pd.DataFrame:
    position = np.arange(source.size)
    src = np.where(source >= 0, source, -source - 1)
    is_copy = source < 0
    dq = np.where(is_copy, "DQ_DUPLICATE_CALL_ID", frame["dq"].to_numpy(dtype=object)[src])
    call_id = text["call_id"][src]
    audited = dq == ""
    parts = []
    level = LEVEL_RULE.get(agency.role)
    if agency.role in (EXPIRED, NDA, LICENCE):
        parts.append(pd.DataFrame({"call_id": call_id[audited], "rule_id": level}))
    elif agency.role == SCOPE:
        rows = audited & (frame["campaign"].to_numpy(dtype=object)[src] == agency.excluded)
        parts.append(pd.DataFrame({"call_id": call_id[rows], "rule_id": level}))
    rules = frame["rules"].to_numpy(dtype=object)[src]
    planted = [(cid, r) for cid, rs, ok in zip(call_id, rules, audited) if ok and rs for r in rs]
    if planted:
        parts.append(pd.DataFrame(planted, columns=["call_id", "rule_id"]))
    hits = audited & cap_hits[src]
    parts.append(pd.DataFrame({"call_id": call_id[hits], "rule_id": "FREQ_CALLER_DAILY_CAP"}))
    found = pd.concat(parts, ignore_index=True).drop_duplicates()
    found["row_number"] = ""
    bad = ~audited
    quarantined = pd.DataFrame({"call_id": call_id[bad], "rule_id": dq[bad],
                                "row_number": (position[bad] + 1).astype(str)})
    out = pd.concat([found, quarantined], ignore_index=True)
    out.insert(0, "agency_id", agency.agency_id)
    return out[TRUTH_COLUMNS]
