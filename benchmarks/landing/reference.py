"""The six reference tables: contracts.xlsx and five CSVs written in chunks, one agency at a time."""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from audits.models import TABLE_COLUMNS
from audits.sample import CONTRACT_COLUMNS
from audits.sample.writer import xlsx_bytes
from benchmarks.landing.heavy import withdrawn_assignments
from benchmarks.landing.plan import PURPOSES, Agency, customer_traits, messy_rng, utc_offset
from benchmarks.landing.sms import port_numbers
from benchmarks.landing.text import (
    MESSY_TS_STYLES,
    agent_ids,
    as_text,
    line_forms,
    messy_phones,
    mixed_timestamps,
    mobiles,
    phone_forms,
    timestamps,
)

_CITIES = ("苏州", "南京", "武汉", "西安", "重庆", "天津", "青岛", "厦门", "长沙", "郑州")
_WORDS = ("恒信", "中安", "瑞丰", "鼎诚", "汇通")
MESSY_REGISTER_SHARE = 0.62      # --messy: customers without a consent row who get one (blank consent)
_SUFFIX = {"collection": "资产管理有限公司", "full": "客户服务有限公司", "telemarketing": "电话营销有限公司"}


class _CsvFile:
    """A reference CSV written in chunks (one per agency), renamed into place when closed."""

    def __init__(self, path: Path, table: str, extra: tuple[str, ...] = (), quoting: str = "none"):
        self.path, self.tmp = path, path.with_name(f".{path.name}.part")
        self.columns = list(TABLE_COLUMNS[table][0] + TABLE_COLUMNS[table][1])
        self.columns += [c for c in extra if c not in self.columns]      # e.g. caller_numbers.channel (sms.md §1)
        self.writer = pa_csv.CSVWriter(str(self.tmp), pa.schema([(c, pa.string()) for c in self.columns]),
                                       write_options=pa_csv.WriteOptions(quoting_style=quoting, quoting_header="none",
                                                                         batch_size=1 << 16))
        self.rows = 0

    def write(self, columns: dict) -> None:
        """One chunk; a column of the table not given (an optional one) is left blank."""
        rows = len(next(iter(columns.values())))
        given = {c: pa.array(v, pa.string()) if isinstance(v, list) else v for c, v in columns.items()}
        table = pa.table({c: given[c] if c in given else pa.nulls(rows, pa.string()) for c in self.columns})
        self.writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> int:
        self.writer.close()
        os.replace(self.tmp, self.path)
        return self.rows


def write_reference(folder: Path, plan: list[Agency], start: dt.date, days: int, numbers: tuple, zone: str,
                    rng: np.random.Generator, broken: dict[str, str] | None = None,
                    texting: bool = False) -> dict[str, int]:
    """The six reference tables, valid over start .. start + days - 1, but for the agencies in
    `broken` (agency_id -> a kind of heavy.BREAKAGES), whose standing breaks on the last day.
    Offsets are days from the start. `texting`: every contract's channels are `call;sms` and each
    agency's SMS ports are registered (caller_numbers rows of channel sms)."""
    broken = broken or {}
    folder.mkdir(parents=True, exist_ok=True)
    for stale in ("contracts.csv", "contracts.csv.gz", "contracts.parquet"):   # they would win over .xlsx
        (folder / stale).unlink(missing_ok=True)
    base = np.datetime64(start.isoformat(), "D")

    def dates(offsets: np.ndarray, blank: np.ndarray | None = None) -> pa.Array:
        return pa.array(np.datetime_as_string(base + np.asarray(offsets, np.int64), unit="D"), pa.string(),
                        mask=blank)

    last = start + dt.timedelta(days=days - 1)
    contracts = []
    for a in plan:
        begin = start - dt.timedelta(days=int(rng.integers(60, 801)))
        end = dt.date(last.year + int(rng.integers(1, 4)), 12, 31)
        row = {"agency_id": a.agency_id, "contract_id": f"CT-{a.agency_id}-{begin.year}",
               "agency_name": f"{_CITIES[a.idx % 10]}{_WORDS[(a.idx // 10) % 5]}{_SUFFIX[a.kind]}",
               "contract_start": begin.isoformat(), "contract_end": end.isoformat(),
               "permitted_purposes": ";".join(sorted({PURPOSES[p] for p in a.purposes})),
               "permitted_products": ";".join(sorted(set(a.products))),
               "licence_no": f"B2-{begin.year - int(rng.integers(0, 5))}{int(rng.integers(1000, 10_000))}",
               "licence_expiry": "" if rng.random() < 0.2 else dt.date(end.year + 1, 6, 30).isoformat(),
               "nda_signed": (begin - dt.timedelta(days=int(rng.integers(0, 21)))).isoformat(),
               "nda_expiry": "" if rng.random() < 0.5 else end.isoformat(), "timezone": zone}
        row.update(_broken_contract(broken.get(a.agency_id), last))
        if texting:
            row["channels"] = "call;sms"
        if a.idx % 5 in (1, 3):                        # an earlier contract, ended, kept (effective dating)
            before_end = begin - dt.timedelta(days=1)
            before_start = before_end - dt.timedelta(days=int(rng.integers(365, 901)))
            contracts.append(dict(row, contract_id=f"CT-{a.agency_id}-{before_start.year}",
                                  contract_start=before_start.isoformat(), contract_end=before_end.isoformat(),
                                  nda_signed=before_start.isoformat(), nda_expiry=before_end.isoformat()))
        contracts.append(row)
    tmp = folder / ".contracts.xlsx.part"
    columns = [c for c in CONTRACT_COLUMNS if c != "channels"] + (["channels"] if texting else [])
    tmp.write_bytes(xlsx_bytes(pd.DataFrame(contracts, columns=columns), sheet="contracts",
                               stamp=(start - dt.timedelta(days=1)).isoformat()))
    os.replace(tmp, folder / "contracts.xlsx")

    quoting = "needed" if any(a.messy for a in plan) else "none"        # messy: '09:15:02,500' is quoted
    files = {t: _CsvFile(folder / f"{t}.csv", t, ("channel",) if texting and t == "caller_numbers" else (), quoting)
             for t in ("agents", "caller_numbers", "campaigns", "assignments", "consents")}
    campaigns = sorted({(c, PURPOSES[p], product) for a in plan for c, p, product in
                        zip(a.campaigns, a.purposes, a.products)})
    files["campaigns"].write({name: [row[i] for row in campaigns]
                              for i, name in enumerate(("campaign_id", "purpose", "product"))})
    midnight_s = (start - dt.date(1970, 1, 1)).days * 86_400 - utc_offset(zone, start)
    for a in plan:
        r = np.random.default_rng(a.seeds[1])
        traits = customer_traits(a, days)
        _write_agents(files["agents"], a, days, r, dates, broken.get(a.agency_id) == "agents_off_roster")
        _write_lines(files["caller_numbers"], a, days, numbers, r, dates,
                     broken.get(a.agency_id) == "unregistered_callers")
        if texting:
            _write_ports(files["caller_numbers"], a, dates)
        m = a.customers
        index = a.first_customer + np.arange(m)
        customer_id = pc.binary_join_element_wise("C", pc.utf8_lpad(as_text(index + 1), 9, "0"), "")
        phone = phone_forms(mobiles(index, numbers), np.where(r.random(m) < 0.15, 1, 0))
        messy = messy_rng(a, 1 << 20) if a.messy else None    # apart from r (the tidy draws) and from the days
        if messy:
            phone = messy_phones(mobiles(index, numbers), messy)
        since = r.integers(1, 401, m)
        older = np.flatnonzero(r.random(m) < 0.10)     # entrusted earlier to the next agency, ended
        other = plan[(a.idx + 1) % len(plan)]
        older_to = since[older] + r.integers(1, 31, older.size)
        older_from = older_to + r.integers(60, 601, older.size)        # drawn in this order: the same bytes
        current_to, open_end = (days - 1) + r.integers(1, 121, m), r.random(m) >= 0.03
        withdrawn = withdrawn_assignments(broken.get(a.agency_id), m)      # end the day before the last day
        current_to[withdrawn], open_end[withdrawn] = days - 2, False
        files["assignments"].write({
            "agency_id": pa.concat_arrays([pa.repeat(a.agency_id, m), pa.repeat(other.agency_id, older.size)]),
            "campaign_id": pa.array(list(a.campaigns) + [other.campaigns[0]], pa.string()).take(
                np.concatenate([traits["campaign"], np.full(older.size, len(a.campaigns))])),
            "customer_id": pa.concat_arrays([customer_id, customer_id.take(older)]),
            "phone": pa.concat_arrays([phone, phone.take(older)]),
            "assigned_from": dates(-np.concatenate([since, older_from])),
            "assigned_to": dates(np.concatenate([current_to, -older_to]),
                                 np.concatenate([open_end, np.zeros(older.size, bool)]))})
        registered = traits["consent_kind"] < 7
        if messy:                                      # a bank's register holds most customers: ~0.95 N rows
            registered |= messy.random(m) < MESSY_REGISTER_SHARE
        rows = np.flatnonzero(registered)
        kind = traits["consent_kind"][rows]
        earlier = midnight_s - r.integers(10 * 86_400, 700 * 86_400, rows.size)
        during = midnight_s + traits["consent_day"][rows] * 86_400 + r.integers(9 * 3600, 18 * 3600, rows.size)
        given = np.select([kind == 1, np.isin(kind, (4, 6, 7))], [during, -1], earlier)   # 7: a row, no consent
        withdrawn = np.select(
            [kind == 2, kind == 3],
            [midnight_s + traits["withdraw_day"][rows] * 86_400 + r.integers(9 * 3600, 20 * 3600, rows.size),
             given + ((midnight_s - given) * r.uniform(0.05, 0.95, rows.size)).astype(np.int64)], -1)
        naive = pa.array(r.random(rows.size) < 0.8)
        offset_s = utc_offset(zone, start)
        written = {column: pc.if_else(naive, timestamps(np.where(t < 0, -1, t * 1000), (" ", "s", ""), offset_s),
                                      timestamps(np.where(t < 0, -1, t * 1000), ("T", "s", "colon"), offset_s))
                   for column, t in (("marketing_consent_at", given), ("marketing_withdrawn_at", withdrawn))}
        if messy:
            style = messy.integers(0, len(MESSY_TS_STYLES), rows.size)
            written = {column: mixed_timestamps(np.where(t < 0, -1, t * 1000), style, offset_s)
                       for column, t in (("marketing_consent_at", given), ("marketing_withdrawn_at", withdrawn))}
        files["consents"].write({"customer_id": customer_id.take(rows), "phone": phone.take(rows), **written})
    counts = {"contracts": len(contracts)}
    counts.update({table: f.close() for table, f in files.items()})
    return counts


def _broken_contract(breakage: str | None, last: dt.date) -> dict[str, str]:
    """The contract fields that make it break on the last day (the day before, it still holds)."""
    before = (last - dt.timedelta(days=1)).isoformat()
    return {"no_contract": {"contract_end": before}, "contract_lost": {"contract_end": before},
            "nda_expired": {"nda_expiry": before},
            "licence_expired": {"licence_expiry": before}}.get(breakage, {})


def _write_agents(out: _CsvFile, a: Agency, days: int, r: np.random.Generator, dates, off_roster: bool) -> None:
    """Active agents, trained within 365 days of every day (runs up to 360 days), and 5 % who left;
    `off_roster`: the active agents' rows end the day before the last day."""
    n, gone = a.agents, math.ceil(a.agents * 0.05)
    joined = r.integers(20, 1501, n)                   # days before the start
    trained = r.integers(1, np.maximum(2, np.minimum(joined - 3, 361 - days) + 1))
    left = r.integers(1, 301, gone)
    left_joined = left + r.integers(100, 1201, gone)
    out.write({"agency_id": pa.repeat(a.agency_id, n + gone), "agent_id": agent_ids(n + gone),
               "active_from": dates(-np.concatenate([joined, left_joined])),
               "active_to": dates(np.concatenate([np.full(n, days - 2 if off_roster else 0, np.int64), -left]),
                                  np.arange(n + gone) < (0 if off_roster else n)),
               "trained_on": dates(-np.concatenate([trained, left_joined - r.integers(3, 31, gone)]))})


def _write_ports(out: _CsvFile, a: Agency, dates) -> None:
    """The agency's SMS ports (sms.port_numbers), registered for texts a year before the start."""
    ports = port_numbers(a)
    out.write({"agency_id": pa.repeat(a.agency_id, len(ports)), "caller_number": pa.array(ports, pa.string()),
               "registered_from": dates(np.full(len(ports), -365)), "registered_to": pa.nulls(len(ports), pa.string()),
               "channel": pa.repeat("sms", len(ports))})


def _write_lines(out: _CsvFile, a: Agency, days: int, numbers: tuple, r: np.random.Generator, dates,
                 lapsed: bool) -> None:
    """Lines in use (10 % with an end date after the last day) and 5 % retired ones; `lapsed`: the
    registrations of the lines in use end the day before the last day."""
    lines, retired = a.lines, math.ceil(a.lines * 1.05) - a.lines
    total = lines + retired
    ended = r.integers(1, 301, retired)
    # Drawn in this order (a new draw goes last): the same seed writes the same landing zone.
    caller_number = pc.if_else(pa.array(r.random(total) < 0.8), line_forms(a, numbers, 0, total),
                               line_forms(a, numbers, 3, total))
    registered_from = dates(-np.concatenate([r.integers(30, 901, lines), ended + r.integers(100, 901, retired)]))
    in_use_to = np.where(lapsed, days - 2, (days - 1) + r.integers(1, 366, lines))
    open_ended = np.concatenate([(r.random(lines) < 0.9) & (not lapsed), np.zeros(retired, bool)])
    out.write({"agency_id": pa.repeat(a.agency_id, total),
               "caller_number": caller_number,
               "registered_from": registered_from,
               "registered_to": dates(np.concatenate([in_use_to, -ended]), open_ended)})
