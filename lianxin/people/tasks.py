"""Background work of the people app: Excel imports run in the Huey worker."""

from __future__ import annotations

from huey.contrib.djhuey import db_task


@db_task()
def import_job_task(job_id: int) -> None:
    """Run a queued import job (see `lianxin.people.imports.run_import_job`)."""
    from lianxin.people.imports import run_import_job

    run_import_job(job_id, channel="task")
