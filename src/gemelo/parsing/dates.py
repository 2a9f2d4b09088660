"""Which of a date's three numbers is the day, the month and the year: inferred per export, from its data.

An export writes all its dates in one order, which its phone's region chose. Three heuristics decide it,
in this order:
1. `real`: an order must give real dates (a first field over 12 cannot be a month);
2. `chronological`: dates never go back inside one export (beyond a few hours: late messages, a DST change);
3. `prefer`: of the orders left, day first (Argentina's), or year-month-day for year-first dates.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from calendar import isleap
from functools import lru_cache

# Positions of (year, month, day) among the three numbers as written.
DMY, MDY, YMD, YDM = (2, 1, 0), (2, 0, 1), (0, 1, 2), (0, 2, 1)
ORDERS = {False: (DMY, MDY), True: (YMD, YDM)}  # by whether the year comes first; preferred one first
BACK = 12 * 3600  # the time going back more than this (seconds) is no longer the same export


DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # the most a month has


@lru_cache(maxsize=4096)
def day(numbers: tuple[int, int, int], order: tuple[int, int, int]) -> int | None:
    """The date's ordinal under the order, or None when it is no real date (heuristic 1)."""
    year, month, d = (numbers[i] for i in order)
    year += 2000 if year < 100 else 0
    if not (1 <= month <= 12 and 1 <= d <= DAYS[month]) or (month, d) == (2, 29) and not isleap(year):
        return None
    return date(year, month, d).toordinal()


def real(numbers: tuple[int, int, int], year_first: bool) -> set[tuple]:
    """The orders under which the numbers are a real date."""
    return {o for o in ORDERS[year_first] if day(numbers, o) is not None}


def moment(numbers: tuple[int, int, int], secs: int, order: tuple) -> int | None:
    """Seconds since day 1 under the order (None if no real date): what `chronological` compares."""
    d = day(numbers, order)
    return None if d is None else d * 86400 + secs


def chronological(before: int | None, after: int | None) -> bool:
    """Whether two consecutive messages' times can belong to one export (heuristic 2)."""
    return before is not None and after is not None and after >= before - BACK


def prefer(orders: set[tuple], year_first: bool) -> tuple:
    """The export's order among those left (heuristic 3)."""
    return next(o for o in ORDERS[year_first] if o in orders)


@lru_cache(maxsize=65536)
def timestamp(ordinal: int, secs: int) -> datetime:
    return datetime.fromordinal(ordinal) + timedelta(seconds=secs)
