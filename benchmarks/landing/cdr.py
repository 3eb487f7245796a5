"""One agency-day's call detail records: the dialler's calls as the agency's file, written atomically."""

from __future__ import annotations

import datetime as dt
import gzip
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from audits.config import Rulepack
from audits.models import DISPOSITIONS, OUTCOMES
from benchmarks.landing.dialler import State, dial_day
from benchmarks.landing.plan import CALLEE_ZONES, Agency, customer_traits, messy_rng, utc_offset
from benchmarks.landing.text import (
    MESSY_TS_STYLES,
    PHONE_FORMS,
    TS_STYLES,
    agent_ids,
    as_text,
    call_notes,
    line_forms,
    messy_phones,
    mixed_timestamps,
    mobiles,
    phone_forms,
    timestamps,
)

RING_S = np.array([[3, 25], [25, 60], [1, 8], [3, 20], [20, 45], [0, 3]])  # by disposition: seconds to answer/end
TALK_MEDIAN_S = np.array([60.0, 110.0, 150.0])
CDR_COLUMNS = ("call_id", "agency_id", "agent_id", "campaign_id", "caller_number", "callee_number", "start_time",
               "answer_time", "end_time", "disposition", "outcome", "notes", "callee_tz")
CDR_SUFFIXES = (".csv", ".csv.gz", ".parquet")


def agency_day(agency: Agency, state: State, d: int, days: int, date: dt.date, volume: int, numbers: tuple,
               pack: Rulepack, rng: np.random.Generator) -> pa.Table:
    """The agency's calls of day d (date) as a table of CDR_COLUMNS, in the agency's own forms."""
    traits = customer_traits(agency, days)
    cust, start_s, disp, outcome, purpose = dial_day(agency, state, traits, d, volume, pack, rng)
    n = cust.size
    offset_s = utc_offset(pack.bank_timezone, date)
    start = ((date - dt.date(1970, 1, 1)).days * 86_400 - offset_s) * 1000 + np.round(start_s * 1000).astype(np.int64)
    ring = rng.integers(RING_S[disp, 0] * 1000, RING_S[disp, 1] * 1000 + 1)
    talk = (np.clip(TALK_MEDIAN_S[purpose] * rng.lognormal(0.0, 0.7, n), 5, 1800) * 1000).astype(np.int64)
    answered = disp == 0
    answer = np.where(answered, start + ring, -1)
    end = np.where(answered, answer + talk, start + ring + np.where(disp == 4, rng.integers(10_000, 40_001, n), 0))
    callee = mobiles(agency.first_customer + cust, numbers)
    if agency.messy:                                   # drawn apart: the same calls as without --messy
        messy = messy_rng(agency, d)
        row_style = messy.integers(0, len(MESSY_TS_STYLES), n)
        written = {"callee_number": messy_phones(callee, messy),
                   **{name: mixed_timestamps(ms, row_style, offset_s)
                      for name, ms in (("start_time", start), ("answer_time", answer), ("end_time", end))}}
    style = TS_STYLES[agency.idx % len(TS_STYLES)]
    unit = {"s": 1000, "m": 60_000, "ms": 1}[style[1]]
    start, answer, end = (np.where(x < 0, x, x // unit * unit) for x in (start, answer, end))

    cumulative = np.cumsum(traits["line_weight"])
    line = np.minimum(np.searchsorted(cumulative, rng.random(n) * cumulative[-1], side="right"), agency.lines - 1)
    case = pc.utf8_lower if agency.idx % 7 == 3 else (lambda values: values)
    form = np.where(rng.random(n) < 0.03, 4, PHONE_FORMS[agency.idx % len(PHONE_FORMS)])
    columns = {
        "call_id": pc.binary_join_element_wise(f"{agency.agency_id}-{date:%Y%m%d}-",
                                               pc.utf8_lpad(as_text(np.arange(1, n + 1)), max(7, len(str(n))), "0"),
                                               ""),
        "agency_id": pa.repeat(agency.agency_id, n),
        "agent_id": agent_ids(agency.agents).take(rng.integers(0, agency.agents, n)),
        "campaign_id": pa.array(agency.campaigns, pa.string()).take(traits["campaign"][cust]),
        "caller_number": line_forms(agency, numbers, agency.idx % 3, agency.lines).take(line),
        "callee_number": phone_forms(callee, form),
        "start_time": timestamps(start, style, offset_s),
        "answer_time": timestamps(answer, style, offset_s),
        "end_time": timestamps(end, style, offset_s),
        "disposition": case(pa.array(DISPOSITIONS)).take(disp),
        "outcome": case(pa.array(OUTCOMES)).take(pa.array(outcome, mask=outcome < 0)),
        "notes": call_notes(disp, outcome, purpose, callee, agency.idx % 5 == 4, rng),
        "callee_tz": pa.array(CALLEE_ZONES, pa.string()).take(traits["zone"][cust]),
    }
    if agency.messy:
        columns.update(written)
    return pa.table({c: columns[c] for c in CDR_COLUMNS})


def write_cdr(path: Path, table: pa.Table, agency: Agency) -> None:
    """Write to a hidden temporary name, then rename over the target."""
    quoting = "needed" if agency.idx % 5 == 4 or agency.messy else "none"     # messy: '10:00:02,500' is quoted
    options = pa_csv.WriteOptions(quoting_style=quoting, quoting_header="none", batch_size=1 << 16,
                                  eol="\r\n" if agency.fmt == "gb18030" else "\n")
    tmp = path.with_name(f".{path.name}.part")
    if agency.fmt == "parquet":
        pq.write_table(table, tmp, compression="snappy")
    elif agency.fmt == "csv":
        pa_csv.write_csv(table, str(tmp), options)
    else:
        sink = pa.BufferOutputStream()
        pa_csv.write_csv(table, sink, options)
        data = sink.getvalue().to_pybytes()
        if agency.fmt == "bom":
            data = b"\xef\xbb\xbf" + data
        elif agency.fmt == "csv.gz":
            data = gzip.compress(data, compresslevel=6, mtime=0)
        else:                                          # a Chinese Excel export
            data = data.decode("utf-8").encode("gb18030")
        tmp.write_bytes(data)
    os.replace(tmp, path)
