"""The Chinese working calendar: Monday–Friday, minus public holidays, plus make-up working
days on weekends (调休). Exceptions are `CalendarDay` rows (data, editable by staff); working
hours of a day come from settings.LIANXIN_WORKING_HOURS ("09:00-12:00,13:30-17:30").

All functions take and return aware datetimes and work in the project's time zone.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.conf import settings
from django.utils import timezone


def _windows() -> list[tuple[dt.time, dt.time]]:
    spec = getattr(settings, "LIANXIN_WORKING_HOURS", "09:00-12:00,13:30-17:30")
    out = []
    for part in spec.split(","):
        a, b = part.strip().split("-")
        out.append((dt.time.fromisoformat(a), dt.time.fromisoformat(b)))
    return out


@lru_cache(maxsize=1)
def _exceptions_cached(stamp: int) -> dict[dt.date, bool]:
    from lianxin.core.models import CalendarDay

    return dict(CalendarDay.objects.values_list("day", "is_workday"))


_generation = 0


def invalidate() -> None:
    """Forget cached calendar rows (called after the calendar is edited)."""
    global _generation
    _generation += 1
    _exceptions_cached.cache_clear()


def _exceptions() -> dict[dt.date, bool]:
    return _exceptions_cached(_generation)


def is_workday(day: dt.date) -> bool:
    exc = _exceptions()
    if day in exc:
        return exc[day]
    return day.weekday() < 5


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value)


def add_working_minutes(start: dt.datetime, minutes: int) -> dt.datetime:
    """The moment when `minutes` of working time have passed after `start`."""
    current = _local(start)
    tz = current.tzinfo
    remaining = max(0, minutes)
    day = current.date()
    for _ in range(3700):  # ten years of days: a safety bound, never reached in practice
        if is_workday(day):
            for a, b in _windows():
                w_start = dt.datetime.combine(day, a, tzinfo=tz)
                w_end = dt.datetime.combine(day, b, tzinfo=tz)
                begin = max(w_start, current)
                if begin >= w_end:
                    continue
                available = (w_end - begin).total_seconds() / 60
                if remaining <= available:
                    return begin + dt.timedelta(minutes=remaining)
                remaining -= int(available)
                current = w_end
        day += dt.timedelta(days=1)
        current = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    raise ValueError("working calendar has no working days")


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The end of the `days`-th working day after the day of `start` (a request received on
    Friday with 1 working day is due at the close of Monday)."""
    current = _local(start)
    day = current.date()
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_workday(day):
            counted += 1
    end_time = _windows()[-1][1]
    return dt.datetime.combine(day, end_time, tzinfo=current.tzinfo)


def working_minutes_between(a: dt.datetime, b: dt.datetime) -> int:
    """Working minutes in the interval [a, b) (0 if b <= a)."""
    if b <= a:
        return 0
    a, b = _local(a), _local(b)
    tz = a.tzinfo
    total = 0.0
    day = a.date()
    while day <= b.date():
        if is_workday(day):
            for s, e in _windows():
                w_start = max(dt.datetime.combine(day, s, tzinfo=tz), a)
                w_end = min(dt.datetime.combine(day, e, tzinfo=tz), b)
                if w_end > w_start:
                    total += (w_end - w_start).total_seconds() / 60
        day += dt.timedelta(days=1)
    return int(total)
