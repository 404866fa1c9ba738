"""The Chinese working calendar: Monday–Friday, minus public holidays, plus make-up working
days on weekends (调休). Exceptions are `CalendarDay` rows (data, loaded for 2025–2026 by
migration 0002 and editable on the cases configuration pages); the working hours of a day
come from ``settings.LIANXIN_WORKING_HOURS`` (default ``"09:00-12:00,13:30-17:30"``).

All functions take and return aware datetimes and compute in the project's time zone
(Asia/Shanghai, which has had no daylight saving time since 1991, so wall-clock and elapsed
time agree).

The exception rows are cached per process by `core.snapshot.TableSnapshot`: edits in another
process are seen within ``LIANXIN_CALENDAR_RECHECK_SECONDS`` (default 30), edits in the same
process at once.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from lianxin.core.snapshot import TableSnapshot

DEFAULT_WORKING_HOURS = "09:00-12:00,13:30-17:30"
DEFAULT_RECHECK_SECONDS = 30.0
# A safety bound on day-by-day loops (ten years); a calendar without working days ends here.
_MAX_DAYS = 3700

Window = tuple[dt.time, dt.time]


# --- working hours ---------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _parse_windows(spec: str) -> tuple[Window, ...]:
    out: list[Window] = []
    try:
        for part in spec.split(","):
            a, b = part.strip().split("-")
            out.append((dt.time.fromisoformat(a.strip()), dt.time.fromisoformat(b.strip())))
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"LIANXIN_WORKING_HOURS={spec!r}: expected e.g. '09:00-12:00,13:30-17:30'"
        ) from exc
    for i, (w_start, w_end) in enumerate(out):
        if w_start >= w_end:
            raise ImproperlyConfigured(f"LIANXIN_WORKING_HOURS: {w_start}-{w_end} is empty")
        if i and out[i - 1][1] > w_start:
            raise ImproperlyConfigured("LIANXIN_WORKING_HOURS: windows must be in order")
    return tuple(out)


def windows() -> tuple[Window, ...]:
    """The working windows of a working day, in order (validated)."""
    return _parse_windows(getattr(settings, "LIANXIN_WORKING_HOURS", DEFAULT_WORKING_HOURS))


def working_day_length() -> dt.timedelta:
    """Working time in one full working day (7 hours by default)."""
    day = dt.date(2000, 1, 3)
    return sum(
        (dt.datetime.combine(day, b) - dt.datetime.combine(day, a) for a, b in windows()),
        dt.timedelta(0),
    )


# --- exception days (cached with a freshness stamp) -----------------------------------------


def _load_days() -> dict[dt.date, bool]:
    from lianxin.core.models import CalendarDay

    return dict(CalendarDay.objects.values_list("day", "is_workday"))


_days = TableSnapshot(
    "core.CalendarDay", _load_days, recheck_setting="LIANXIN_CALENDAR_RECHECK_SECONDS"
)


def _exceptions() -> dict[dt.date, bool]:
    return _days.get()


def invalidate(**_: Any) -> None:
    """Forget the cached rows of this process (edits in other processes are seen through
    the freshness stamp)."""
    _days.invalidate()


def is_workday(day: dt.date) -> bool:
    exc = _exceptions()
    if day in exc:
        return exc[day]
    return day.weekday() < 5


def is_default_workday(day: dt.date) -> bool:
    """Whether the day is a working day by the weekly rhythm alone (Monday–Friday)."""
    return day.weekday() < 5


# --- arithmetic ------------------------------------------------------------------------------


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value)


def _day_windows(day: dt.date, tz: dt.tzinfo | None) -> list[tuple[dt.datetime, dt.datetime]]:
    return [
        (dt.datetime.combine(day, a, tzinfo=tz), dt.datetime.combine(day, b, tzinfo=tz))
        for a, b in windows()
    ]


def add_working_time(start: dt.datetime, span: dt.timedelta) -> dt.datetime:
    """The earliest moment at which `span` of working time has passed after `start`.

    A span of zero (or less) returns `start` itself; otherwise the clock runs only inside
    the working windows of working days, so a start outside them counts from the next
    window. A span that ends exactly at a window's end returns that end (17:30, not the
    next morning)."""
    if span <= dt.timedelta(0):
        return start
    current = _local(start)
    tz = current.tzinfo
    remaining = span
    day = current.date()
    for _ in range(_MAX_DAYS):
        if is_workday(day):
            for w_start, w_end in _day_windows(day, tz):
                begin = max(w_start, current)
                if begin >= w_end:
                    continue
                available = w_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
                current = w_end
        day += dt.timedelta(days=1)
        current = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    raise ValueError("working calendar has no working days")


def working_time_between(a: dt.datetime, b: dt.datetime) -> dt.timedelta:
    """Working time in the interval [a, b) (zero if b <= a).

    The inverse of `add_working_time`: ``working_time_between(a, add_working_time(a, s))
    == s`` for every s >= 0."""
    if b <= a:
        return dt.timedelta(0)
    a, b = _local(a), _local(b)
    tz = a.tzinfo
    total = dt.timedelta(0)
    day = a.date()
    last = b.date()
    while day <= last:
        if is_workday(day):
            for w_start, w_end in _day_windows(day, tz):
                lo, hi = max(w_start, a), min(w_end, b)
                if hi > lo:
                    total += hi - lo
        day += dt.timedelta(days=1)
    return total


def add_working_minutes(start: dt.datetime, minutes: float) -> dt.datetime:
    """The moment when `minutes` of working time have passed after `start`."""
    return add_working_time(start, dt.timedelta(minutes=float(minutes)))


def working_minutes_between(a: dt.datetime, b: dt.datetime) -> int:
    """Whole working minutes in the interval [a, b) (0 if b <= a)."""
    return int(working_time_between(a, b) // dt.timedelta(minutes=1))


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The end of the `days`-th working day after the day of `start` (a request received on
    Friday with 1 working day is due at the close of Monday). With 0 days: the close of the
    day of `start`, or of the next working day if that day is not one."""
    current = _local(start)
    day = current.date()
    if days <= 0:
        for _ in range(_MAX_DAYS):
            if is_workday(day):
                break
            day += dt.timedelta(days=1)
    counted = 0
    for _ in range(_MAX_DAYS):
        if counted >= days:
            break
        day += dt.timedelta(days=1)
        if is_workday(day):
            counted += 1
    else:
        raise ValueError("working calendar has no working days")
    return dt.datetime.combine(day, windows()[-1][1], tzinfo=current.tzinfo)


def next_working_moment(value: dt.datetime) -> dt.datetime:
    """`value` itself when inside working hours, else the start of the next window."""
    current = _local(value)
    tz = current.tzinfo
    day = current.date()
    for _ in range(_MAX_DAYS):
        if is_workday(day):
            for w_start, w_end in _day_windows(day, tz):
                if current < w_end:
                    return max(w_start, current)
        day += dt.timedelta(days=1)
        current = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    raise ValueError("working calendar has no working days")


def year_exceptions(year: int) -> list[Any]:
    """The `CalendarDay` rows of a year, in date order (for the configuration page)."""
    from lianxin.core.models import CalendarDay

    return list(CalendarDay.objects.filter(day__year=year).order_by("day"))
