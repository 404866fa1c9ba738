"""Background work of the people app: Excel imports run in the Huey worker."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

logger = logging.getLogger(__name__)


@db_task()
def import_job_task(job_id: int) -> None:
    """Run a queued import job (see `lianxin.people.imports.run_import_job`)."""
    from lianxin.people.imports import run_import_job

    run_import_job(job_id, channel="task")


@db_periodic_task(crontab(minute="*/5"))
def import_jobs_recover_stale_task() -> int:
    """Every five minutes: fail import jobs whose worker died mid-run (see the service)."""
    from lianxin.people.services import import_jobs_recover_stale

    marked = import_jobs_recover_stale()
    if marked:
        logger.warning("marked %d stale import job(s) as failed", marked)
    return marked
