"""The working calendar: weekly rhythm, the official 2025/2026 holidays and make-up days,
arithmetic at window boundaries, and a cache that sees edits made by other processes."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lianxin.core import calendar
from lianxin.core.models import CalendarDay

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _fresh_calendar():  # noqa: ANN202
    # Rows written by a test are rolled back without signals: forget them either way.
    calendar.invalidate()
    yield
    calendar.invalidate()


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH)


def test_friday_afternoon_rolls_to_monday() -> None:
    # 13 March 2026 is an ordinary Friday.
    assert calendar.add_working_time(at(2026, 3, 13, 16, 30), 2 * H) == at(2026, 3, 16, 10, 0)
    assert calendar.add_working_days(at(2026, 3, 13, 10), 1) == at(2026, 3, 16, 17, 30)
    assert calendar.working_time_between(at(2026, 3, 13, 16, 30), at(2026, 3, 16, 10)) == 2 * H


def test_spring_festival_2026_is_skipped_and_its_makeup_saturday_counts() -> None:
    # Rest 15–23 Feb 2026; Saturday 14 Feb and Saturday 28 Feb are worked.
    assert calendar.is_workday(dt.date(2026, 2, 14))
    assert calendar.is_workday(dt.date(2026, 2, 28))
    assert not any(calendar.is_workday(dt.date(2026, 2, d)) for d in range(15, 24))
    # Friday 13 Feb, 17:00 + 1 h → the make-up Saturday.
    assert calendar.add_working_time(at(2026, 2, 13, 17), H) == at(2026, 2, 14, 9, 30)
    # Saturday 14 Feb, 17:00 + 1 h → Tuesday 24 Feb, after the whole holiday.
    assert calendar.add_working_time(at(2026, 2, 14, 17), H) == at(2026, 2, 24, 9, 30)
    assert calendar.add_working_days(at(2026, 2, 13, 10), 1) == at(2026, 2, 14, 17, 30)
    assert calendar.add_working_days(at(2026, 2, 13, 10), 2) == at(2026, 2, 24, 17, 30)
    # Eleven calendar days from Friday morning: Friday, the make-up Saturday, Tuesday morning.
    assert calendar.working_time_between(at(2026, 2, 13, 9), at(2026, 2, 24, 12, 30)) == 17 * H


def test_national_day_2026_and_its_makeup_days() -> None:
    assert calendar.is_workday(dt.date(2026, 9, 20))  # Sunday, worked
    assert calendar.is_workday(dt.date(2026, 10, 10))  # Saturday, worked
    assert not calendar.is_workday(dt.date(2026, 9, 25))  # 中秋节, a Friday
    assert calendar.add_working_time(at(2026, 9, 30, 17), H) == at(2026, 10, 8, 9, 30)
    assert calendar.add_working_days(at(2026, 9, 30, 9), 3) == at(2026, 10, 10, 17, 30)


def test_official_2025_2026_schedules_exactly() -> None:
    makeup = set(CalendarDay.objects.filter(is_workday=True).values_list("day", flat=True))
    assert {d.isoformat() for d in makeup if d.year in (2025, 2026)} == {
        "2025-01-26",
        "2025-02-08",
        "2025-04-27",
        "2025-09-28",
        "2025-10-11",
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    }
    rest_on_weekdays = {
        d.isoformat()
        for d in CalendarDay.objects.filter(is_workday=False).values_list("day", flat=True)
        if d.weekday() < 5 and d.year == 2025
    }
    assert rest_on_weekdays == {
        "2025-01-01",
        *(f"2025-01-{d}" for d in (28, 29, 30, 31)),
        "2025-02-03",
        "2025-02-04",
        "2025-04-04",
        "2025-05-01",
        "2025-05-02",
        "2025-05-05",
        "2025-06-02",
        *(f"2025-10-0{d}" for d in (1, 2, 3, 6, 7, 8)),
    }
    for year in (2025, 2026):
        days = [dt.date(year, 1, 1) + dt.timedelta(days=i) for i in range(365)]
        assert sum(calendar.is_workday(d) for d in days) == 248


@pytest.mark.parametrize(
    ("start", "span", "expected"),
    [
        (at(2026, 3, 10, 8, 0), 30 * M, at(2026, 3, 10, 9, 30)),  # before the day starts
        (at(2026, 3, 10, 11, 59), M, at(2026, 3, 10, 12, 0)),  # ends on the window's end
        (at(2026, 3, 10, 11, 59), 2 * M, at(2026, 3, 10, 13, 31)),  # across lunch
        (at(2026, 3, 10, 12, 0), M, at(2026, 3, 10, 13, 31)),
        (at(2026, 3, 10, 12, 30), 30 * M, at(2026, 3, 10, 14, 0)),  # from lunch
        (at(2026, 3, 10, 17, 30), M, at(2026, 3, 11, 9, 1)),  # from the day's close
        (at(2026, 3, 10, 17, 30), 0 * M, at(2026, 3, 10, 17, 30)),  # zero moves nothing
        (at(2026, 3, 14, 10, 0), 0 * M, at(2026, 3, 14, 10, 0)),  # even on a Saturday
        (at(2026, 3, 10, 9, 0), 7 * H, at(2026, 3, 10, 17, 30)),  # one full day, same day
        (at(2026, 3, 10, 9, 0), 7 * H + M, at(2026, 3, 11, 9, 1)),
    ],
)
def test_window_boundaries(start: dt.datetime, span: dt.timedelta, expected: dt.datetime) -> None:
    assert calendar.add_working_time(start, span) == expected


def test_minutes_helpers_and_between_at_boundaries() -> None:
    assert calendar.working_minutes_between(at(2026, 3, 10, 11), at(2026, 3, 10, 14)) == 90
    assert calendar.working_minutes_between(at(2026, 3, 10, 14), at(2026, 3, 10, 11)) == 0
    assert calendar.working_minutes_between(at(2026, 3, 14, 9), at(2026, 3, 15, 18)) == 0
    assert calendar.add_working_minutes(at(2026, 3, 10, 17), 45) == at(2026, 3, 11, 9, 15)
    assert calendar.working_day_length() == 7 * H


def test_between_is_the_inverse_of_add() -> None:
    starts = [
        at(2026, 2, 13, h, m) for h, m in itertools.product((0, 9, 11, 12, 13, 17, 23), (0, 30))
    ] + [at(2026, 9, 19, 10), at(2026, 12, 31, 16, 59)]
    spans = [M, 29 * M, 3 * H, 7 * H, 7 * H + M, 40 * H, dt.timedelta(seconds=1)]
    for start, span in itertools.product(starts, spans):
        end = calendar.add_working_time(start, span)
        assert calendar.working_time_between(start, end) == span, (start, span)
        # ... and the other way: from any end, adding the working time between lands on the
        # earliest moment with that much work done, never after `end`.
        later = end + dt.timedelta(hours=5, minutes=7)
        back = calendar.add_working_time(start, calendar.working_time_between(start, later))
        assert back <= later
        assert calendar.working_time_between(back, later) == dt.timedelta(0)
    mid = at(2026, 3, 12, 10, 17)
    start = at(2026, 3, 9, 15, 3)
    assert calendar.add_working_minutes(start, calendar.working_minutes_between(start, mid)) == mid


def test_asia_shanghai_has_no_dst_and_utc_inputs_work() -> None:
    assert str(timezone.get_current_timezone()) == "Asia/Shanghai"
    for i in range(0, 730, 7):
        moment = calendar.add_working_time(at(2025, 1, 2, 9) + dt.timedelta(days=i), H)
        assert moment.utcoffset() == dt.timedelta(hours=8)
    # 01:00 UTC is 09:00 in Shanghai on an ordinary Thursday.
    start = dt.datetime(2026, 3, 12, 1, 0, tzinfo=dt.UTC)
    end = calendar.add_working_time(start, H)
    assert end == dt.datetime(2026, 3, 12, 2, 0, tzinfo=dt.UTC)
    assert timezone.localtime(end).hour == 10


def test_configured_working_hours(settings) -> None:  # noqa: ANN001
    settings.LIANXIN_WORKING_HOURS = "08:30-12:00, 14:00-18:00"
    assert calendar.working_day_length() == 7.5 * H
    assert calendar.add_working_time(at(2026, 3, 10, 11, 30), H) == at(2026, 3, 10, 14, 30)
    assert calendar.add_working_days(at(2026, 3, 10, 9), 0) == at(2026, 3, 10, 18, 0)
    for bad in ("9-17", "12:00-09:00", "09:00-12:00,11:00-13:00", ""):
        settings.LIANXIN_WORKING_HOURS = bad
        with pytest.raises(ImproperlyConfigured):
            calendar.windows()


def test_cached_rows_cost_no_queries_within_the_recheck_interval(settings) -> None:  # noqa: ANN001
    settings.LIANXIN_CALENDAR_RECHECK_SECONDS = 3600
    calendar.is_workday(dt.date(2026, 3, 10))
    with CaptureQueriesContext(connection) as ctx:
        calendar.add_working_days(at(2026, 1, 5, 9), 60)
    assert len(ctx) == 0


def test_edits_from_another_process_are_seen_after_the_recheck(settings, monkeypatch) -> None:  # noqa: ANN001
    settings.LIANXIN_CALENDAR_RECHECK_SECONDS = 30
    clock = [1000.0]
    from lianxin.core import snapshot

    monkeypatch.setattr(snapshot.time, "monotonic", lambda: clock[0])
    day = dt.date(2026, 3, 11)  # an ordinary Wednesday
    assert calendar.is_workday(day)
    # Another process adds a holiday: no signal reaches this one (bulk_create sends none).
    CalendarDay.objects.bulk_create([CalendarDay(day=day, is_workday=False, name="临时停工")])
    clock[0] += 10
    assert calendar.is_workday(day)  # within the interval the copy may be stale...
    clock[0] += 30
    assert not calendar.is_workday(day)  # ...after it, the changed stamp reloads the rows
    # An edit of an existing row (another process saved it: updated_at moves).
    CalendarDay.objects.filter(day=day).update(
        is_workday=True, updated_at=timezone.now() + dt.timedelta(seconds=5)
    )
    clock[0] += 31
    assert calendar.is_workday(day)
    # A delete (count changes).
    CalendarDay.objects.filter(day=dt.date(2026, 10, 10))._raw_delete(connection.alias)
    clock[0] += 31
    assert not calendar.is_workday(dt.date(2026, 10, 10))  # an ordinary Saturday again


def test_edits_in_this_process_are_seen_at_once(settings) -> None:  # noqa: ANN001
    settings.LIANXIN_CALENDAR_RECHECK_SECONDS = 3600
    day = dt.date(2026, 3, 11)
    assert calendar.is_workday(day)
    row = CalendarDay.objects.create(day=day, is_workday=False, name="临时停工")
    assert not calendar.is_workday(day)
    row.delete()
    assert calendar.is_workday(day)
