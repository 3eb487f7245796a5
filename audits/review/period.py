"""The period a review covers: a calendar month (`2026-11`) or quarter (`2026-Q4`)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from audits.errors import PermanentError

_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])")


class PeriodError(PermanentError, ValueError):
    """A period that cannot be read; the message says which forms are accepted."""


@dataclass(frozen=True)
class Period:
    kind: str            # "month" | "quarter"
    label: str           # "2026-11" | "2026-Q4": the review folder's name
    first: dt.date
    last: dt.date

    @property
    def days(self) -> tuple[dt.date, ...]:
        return tuple(self.first + dt.timedelta(days=k) for k in range((self.last - self.first).days + 1))

    @property
    def title(self) -> str:
        """"November 2026" | "Q4 2026 (October–December)"."""
        if self.kind == "month":
            return self.first.strftime("%B %Y")
        return f"Q{(self.first.month - 1) // 3 + 1} {self.first.year} ({self.first:%B}\u2013{self.last:%B})"


def month(text: str) -> Period:
    """`YYYY-MM` -> that calendar month."""
    found = _MONTH.fullmatch(str(text).strip())
    if not found:
        raise PeriodError(f"{str(text)[:40]!r} is not a month: write YYYY-MM, e.g. 2026-11.")
    year, number = int(found[1]), int(found[2])
    first = dt.date(year, number, 1)
    return Period("month", f"{year:04d}-{number:02d}", first, _month_end(first))


def quarter(text: str) -> Period:
    """`YYYY-Qn` -> that calendar quarter (Q1 = January to March)."""
    found = _QUARTER.fullmatch(str(text).strip().upper())
    if not found:
        raise PeriodError(f"{str(text)[:40]!r} is not a quarter: write YYYY-Qn, e.g. 2026-Q4.")
    year, number = int(found[1]), int(found[2])
    first = dt.date(year, 3 * number - 2, 1)
    return Period("quarter", f"{year:04d}-Q{number}", first, _month_end(dt.date(year, 3 * number, 1)))


def parse(kind: str, text: str) -> Period:
    if kind == "month":
        return month(text)
    if kind == "quarter":
        return quarter(text)
    raise PeriodError(f"period {kind!r} is not one of month, quarter.")


def previous_month(today: dt.date) -> Period:
    """The calendar month before the one `today` is in."""
    last = today.replace(day=1) - dt.timedelta(days=1)
    return month(f"{last.year:04d}-{last.month:02d}")


def previous_quarter(today: dt.date) -> Period:
    """The last whole calendar quarter before `today` (on 1 Feb 2027: 2026-Q4)."""
    start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    last = start - dt.timedelta(days=1)
    return quarter(f"{last.year:04d}-Q{(last.month - 1) // 3 + 1}")


def closes_a_quarter(period: Period) -> bool:
    """True for the months that end a quarter (March, June, September, December)."""
    return period.kind == "month" and period.last.month % 3 == 0


def _month_end(first: dt.date) -> dt.date:
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)
