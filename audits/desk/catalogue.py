"""What the desk knows of cases: the case register of the latest audited day, read from the
case store (masked subjects only; the desk never reads the calls partitions or full numbers)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from audits.cases.case_store import CHAIN, case_days, day_folder
from audits.cases.lookup import register_as_of
from audits.cases.summary import CASE_COLUMNS

_CACHE: dict[str, tuple[tuple, pd.DataFrame]] = {}


def known_cases(store: Path) -> pd.DataFrame:
    """The register (the columns of cases.csv) of the latest audited day in the store; empty
    (with those columns) when the store holds no cases. Read again only when a day was added or
    rebuilt since the last call."""
    days = case_days(Path(store))
    if not days:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in CASE_COLUMNS})
    chain = day_folder(Path(store), days[-1]) / CHAIN
    stamp = (days[-1], chain.stat().st_mtime_ns, chain.stat().st_size)
    key = str(Path(store).resolve())
    cached = _CACHE.get(key)
    if cached is None or cached[0] != stamp:
        _, register = register_as_of(Path(store))
        _CACHE[key] = (stamp, register)
        cached = _CACHE[key]
    return cached[1].copy()


def known_case_ids(store: Path) -> frozenset[str]:
    return frozenset(known_cases(store)["case_id"].astype(str))
