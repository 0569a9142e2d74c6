"""Working days in mainland China, for every deadline in Suiji.

Sources, in order of precedence:

1. administrator overrides (``CalendarOverride``), per day;
2. ``chinese_calendar``: the State Council's published holidays and make-up
   working days (调休) for the years it covers (2004–2026 in version 1.11);
3. ``holidays`` (``holidays.China``) for years outside (2): the statutory
   holidays computed by rule (lunar dates included), and weekend working days
   where it knows them. The State Council publishes each year's make-up days
   only in the November before, so for such a year :func:`coverage` says so
   and the administrators' home page asks them to enter the schedule;
4. Monday to Friday, should neither library know the year at all.

Counting rule: ``add_working_days(d, n)`` is the n-th working day *after* d
(d itself never counts), so a 20-working-day publication deadline for a check
finished on d is ``add_working_days(d, 20)``. ``n = 0`` returns d unchanged.
Negative n counts backwards.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import chinese_calendar
import holidays as holidays_lib

MAX_SPAN_DAYS = 3660


@lru_cache(maxsize=64)
def _holidays_year(year: int) -> holidays_lib.HolidayBase:
    return holidays_lib.China(years=year)


def _library_years() -> tuple[int, int]:
    years = sorted({d.year for d in chinese_calendar.constants.holidays})
    return years[0], years[-1]


def official_source(day: dt.date) -> str:
    lo, hi = _library_years()
    if lo <= day.year <= hi:
        return "chinese_calendar"
    cn = _holidays_year(day.year)
    if any(d.year == day.year for d in cn):
        return "holidays"
    return "weekdays"


def official_is_workday(day: dt.date) -> bool:
    source = official_source(day)
    if source == "chinese_calendar":
        return bool(chinese_calendar.is_workday(day))
    if source == "holidays":
        cn = _holidays_year(day.year)
        return bool(cn.is_working_day(day))
    return day.weekday() < 5


class WorkCalendar:
    """A calendar with a fixed set of overrides (date → is_workday)."""

    def __init__(self, overrides: dict[dt.date, bool] | None = None) -> None:
        self.overrides = dict(overrides or {})

    def is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return official_is_workday(day)

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        if n == 0:
            return start
        step = 1 if n > 0 else -1
        remaining = abs(n)
        day = start
        for _ in range(MAX_SPAN_DAYS):
            day = day + dt.timedelta(days=step)
            if self.is_workday(day):
                remaining -= 1
                if remaining == 0:
                    return day
        raise ValueError("working-day count exceeds ten years")

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: how many have passed since start by end."""
        if end <= start:
            return 0
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_workday(day)
        return count


def coverage(year: int) -> str:
    return official_source(dt.date(year, 7, 1))


def current() -> WorkCalendar:
    """The calendar with the administrators' overrides from the database."""
    from workcal.models import CalendarOverride

    return WorkCalendar(dict(CalendarOverride.objects.values_list("date", "is_workday")))


def add_working_days(start: dt.date, n: int) -> dt.date:
    return current().add_working_days(start, n)


def is_workday(day: dt.date) -> bool:
    return current().is_workday(day)
