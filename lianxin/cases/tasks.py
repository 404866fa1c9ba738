"""Background work of requests (STYLE.md: periodic tasks are declared in the app's tasks.py).

- every five minutes: `services.sla.mark_sla` marks near-due and overdue requests, notifies
  handlers and supervisors, puts requests under supervision, whistles automatically;
- every morning: mediation revisits (回访) that are due are reminded to the handlers once.
  Huey evaluates crontabs in UTC, so the task runs hourly and acts from 08:00 project time
  (Asia/Shanghai) on; the service reminds each revisit date once, so later runs that day
  (or a missed morning) send nothing twice.

Weekly and monthly reports have their own tasks in `lianxin.cases.reports`.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

# The weekly and monthly report tasks are declared there; importing registers them.
from lianxin.cases import reports  # noqa: E402, F401

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/5"))
def cases_mark_sla_task() -> dict[str, int]:
    """Every five minutes: the SLA sweep (set-based; safe to run twice at once)."""
    from lianxin.cases.services.sla import mark_sla

    run = mark_sla()
    summary = {
        "checked": run.checked,
        "near": run.near,
        "overdue": run.overdue,
        "cleared": run.cleared,
        "supervised": run.supervised,
        "whistled": run.whistled,
        "notified": run.notified,
    }
    if run.near or run.overdue or run.supervised or run.whistled:
        logger.info("sla sweep: %s", summary)
    for error in run.whistle_errors:
        logger.warning("sla sweep could not whistle %s", error)
    return summary


MORNING_HOUR = 8


@db_periodic_task(crontab(minute="30"))
def cases_mediation_revisit_task() -> int:
    """Hourly, acting from 08:00 project time: remind due mediation revisits, once each."""
    from django.utils import timezone

    from lianxin.cases.services.sla import remind_mediation_revisits
    from lianxin.core import clock

    if timezone.localtime(clock.now()).hour < MORNING_HOUR:
        return 0
    reminded = remind_mediation_revisits()
    if reminded:
        logger.info("reminded %d mediation revisit(s)", reminded)
    return reminded
