"""The peer comparison of a share pack: where an agency stands among all agencies assessed in
the period, naming none of them: its rank among N in the reports' ranking order (grade, then
overall score: models.worst_first_key), and the quartiles of the overall score and of each
family rate.

Decision where review.md is silent: with fewer than PEER_MINIMUM agencies assessed, quartiles
are close to the other agencies' own figures (with two agencies they are the other's score),
so the comparison is left out and the pack says why. Quartiles are numpy's linear
interpolation (Excel's QUARTILE.INC); ranks are competition ranks (1, 2, 2, 4), 1 = best.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from audits.models import worst_first_key
from audits.scoring import FAMILIES

PEER_MINIMUM = 5
FIGURES = (("overall", "Overall score", "higher"),
           *((f"rate_{f}", f"{f.replace('_', ' ').capitalize()} rate", "lower") for f in (*FAMILIES, "data_quality")))


@dataclass(frozen=True)
class PeerFigure:
    key: str
    label: str
    better: str                  # "higher" | "lower"
    own: float | None
    q1: float | None
    median: float | None
    q3: float | None
    quartile: str                # "top quartile", "second quartile", ... (by `better`), "" without a value


@dataclass(frozen=True)
class PeerComparison:
    available: bool
    agencies: int                # N: agencies assessed in the period
    rank: int | None             # by grade, then overall score, 1 = best
    note: str
    figures: tuple[PeerFigure, ...]


def compare(scores: pd.DataFrame) -> dict[str, PeerComparison]:
    """Per agency of `scores` (review scores.csv rows), its comparison with all assessed agencies."""
    assessed = scores[(scores["days_audited"] > 0) & scores["overall"].notna()]
    n = len(assessed)
    overall = assessed.set_index("agency_id")["overall"].astype(float)
    keys = {a: worst_first_key(assessed=True, grade=str(g), overall=float(o), agency_id="")
            for a, g, o in zip(assessed["agency_id"], assessed["grade"], assessed["overall"])}
    ranks = {a: 1 + sum(other > key for other in keys.values()) for a, key in keys.items()}   # 1 = best
    quartiles = {key: _quartiles(assessed[key]) for key, _, _ in FIGURES}
    out = {}
    for row in scores.itertuples(index=False):
        agency = row.agency_id
        if agency not in overall.index:
            out[agency] = PeerComparison(False, n, None, "Not assessed in the period: not ranked.", ())
            continue
        if n < PEER_MINIMUM:
            out[agency] = PeerComparison(
                False, n, None, f"{n} agencies were assessed in the period; a comparison needs at least "
                f"{PEER_MINIMUM}, "
                "so that it cannot reveal another agency's figures.", ())
            continue
        figures = tuple(PeerFigure(key, label, better, _value(getattr(row, key)), *quartiles[key],
                                   _quartile_name(_value(getattr(row, key)), quartiles[key], better))
                        for key, label, better in FIGURES)
        out[agency] = PeerComparison(True, n, int(ranks[agency]), f"Rank {int(ranks[agency])} of {n} agencies "
                                     "assessed in the period, by grade, then overall score (1 = best).", figures)
    return out


def _quartiles(values: pd.Series) -> tuple[float | None, float | None, float | None]:
    present = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if not len(present):
        return None, None, None
    q1, median, q3 = np.percentile(present, [25, 50, 75])
    return round(float(q1), 6), round(float(median), 6), round(float(q3), 6)


def _quartile_name(value: float | None, quartiles, better: str) -> str:
    q1, median, q3 = quartiles
    if value is None or q1 is None:
        return ""
    if better == "higher":
        position = sum(value > q for q in (q1, median, q3))
    else:
        position = sum(value < q for q in (q3, median, q1))
    return ("bottom quartile", "third quartile", "second quartile", "top quartile")[position]


def _value(value) -> float | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return float(value)
