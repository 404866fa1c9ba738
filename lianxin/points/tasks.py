"""Background work of points (STYLE.md: periodic tasks are declared in the app's tasks.py).

- every ten minutes: book the proposals whose public notice ended without an objection;
- nightly at 01:30 project time: recompute standings (scores and ranks) for the periods of
  yesterday and today — this month and year, and on the 1st also the month (and on 1 January
  the year) that just ended, so its final figures include its last day;
- nightly at 03:30: verify the whole ledger; the counts land in the audit trail as a
  checkpoint, and a broken ledger is logged as an error (to be alerted on).

Crontabs are read in the deployment's time zone (`local_crontab`, Huey compares in UTC). The
nightly tasks hold a lock so a slow run is never overlapped by the next one.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from huey.contrib.djhuey import HUEY, db_periodic_task

from lianxin.cases.reports import local_crontab
from lianxin.core import clock

logger = logging.getLogger(__name__)


@db_periodic_task(local_crontab(minute="*/10"))
def points_book_due_task() -> int:
    """Every ten minutes: book proposals whose notice is over (each in its own transaction)."""
    from lianxin.points.services.proposals import proposals_book_due

    booked = proposals_book_due()
    if booked:
        logger.info("booked %d proposal(s) after public notice", booked)
    return booked


# Proposals book after 3 days of notice (longer with an objection): a month that ended keeps
# receiving bookings dated in it for a while, so its ranks are kept up to date for a week.
LATE_BOOKING_DAYS = 7


def recompute_periods(today: dt.date) -> list[str]:
    """The months and years of the last week and today, oldest first, without repeats."""
    periods: list[str] = []
    for back in range(LATE_BOOKING_DAYS, -1, -1):
        day = today - dt.timedelta(days=back)
        for period in (f"{day:%Y-%m}", f"{day:%Y}"):
            if period not in periods:
                periods.append(period)
    return periods


@db_periodic_task(local_crontab(minute="30", hour="1"))
@HUEY.lock_task("points-standings-recompute")
def points_standings_recompute_task() -> list[str]:
    """Nightly: recompute standings for yesterday's and today's month and year."""
    from lianxin.points.services.standings import standings_recompute

    periods = recompute_periods(timezone.localdate(clock.now()))
    for period in periods:
        standings_recompute(period=period)
    logger.info("recomputed points standings for %s", ", ".join(periods))
    return periods


@db_periodic_task(local_crontab(minute="30", hour="3"))
@HUEY.lock_task("points-ledger-verify")
def points_ledger_verify_task() -> int:
    """Nightly: verify every chain and balance, record a checkpoint; returns the number of
    problems (0 = intact). Problems are logged as errors, the first few one per line."""
    from lianxin.points.services.ledger import ledger_check

    report = ledger_check()
    if report.ok:
        logger.info("points ledger verified: %s", report.summary())
        return 0
    logger.error("points ledger verification FAILED: %s", report.summary())
    for problem in report.problems[:20]:
        logger.error("points ledger: %s", problem)
    return len(report.problems)


@db_periodic_task(local_crontab(minute="0", hour="2", day="1,20", month="1,12"))
@HUEY.lock_task("points-catalogs-roll-over")
def points_catalogs_roll_over_task() -> int:
    """Before a year starts (20 December, again 1 December and 1/20 January as a safety
    net), copy every active default catalog to the coming year where it has none yet, so
    proposals dated on 1 January find their indicators. Idempotent."""
    from lianxin.points.services.catalogs import catalogs_roll_over

    today = timezone.localdate(clock.now())
    year = today.year + 1 if today.month == 12 else today.year
    return len(catalogs_roll_over(year))
