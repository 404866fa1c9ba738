"""Import jobs whose worker died: the periodic recovery marks them failed."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from lianxin.audit.models import AuditEvent
from lianxin.people.imports import _progress, run_import_job
from lianxin.people.models import ImportJob
from lianxin.people.services import STALE_IMPORT_MESSAGE, import_jobs_recover_stale
from lianxin.people.tasks import import_jobs_recover_stale_task
from lianxin.people.tests import factories


def _job(world, status: str, minutes_ago: int) -> ImportJob:  # noqa: ANN001
    job = factories.import_job(world)
    # Freeze the heartbeat in the past: `.update()` leaves auto_now alone.
    ImportJob.objects.filter(pk=job.pk).update(
        status=status, updated_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )
    return ImportJob.objects.get(pk=job.pk)


def test_running_jobs_without_progress_are_failed_with_the_message(world) -> None:  # noqa: ANN001
    validating = _job(world, ImportJob.Status.VALIDATING, 31)
    writing = _job(world, ImportJob.Status.WRITING, 120)
    assert import_jobs_recover_stale(older_than_minutes=30) == 2
    for job in (validating, writing):
        job.refresh_from_db()
        assert job.status == ImportJob.Status.FAILED
        assert job.message == STALE_IMPORT_MESSAGE
        assert job.finished_at is not None
    events = AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT)
    assert {e.object_id for e in events} == {str(validating.public_id), str(writing.public_id)}
    # A second run finds nothing left to do.
    assert import_jobs_recover_stale(older_than_minutes=30) == 0


def test_recent_pending_and_finished_jobs_are_left_alone(world) -> None:  # noqa: ANN001
    recent = _job(world, ImportJob.Status.VALIDATING, 29)
    pending = _job(world, ImportJob.Status.PENDING, 600)
    done = _job(world, ImportJob.Status.DONE, 600)
    assert import_jobs_recover_stale(older_than_minutes=30) == 0
    assert [ImportJob.objects.get(pk=j.pk).status for j in (recent, pending, done)] == [
        ImportJob.Status.VALIDATING,
        ImportJob.Status.PENDING,
        ImportJob.Status.DONE,
    ]


def test_progress_writes_move_the_heartbeat(world) -> None:  # noqa: ANN001
    job = _job(world, ImportJob.Status.VALIDATING, 60)
    _progress(job, rows_done=10)
    assert import_jobs_recover_stale(older_than_minutes=30) == 0
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.VALIDATING


def test_a_normal_run_is_not_stale_and_the_periodic_task_calls_the_service(world) -> None:  # noqa: ANN001
    job = factories.import_job(world)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=90))
    run_import_job(job.pk)
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE
    stale = _job(world, ImportJob.Status.WRITING, 45)
    # Huey's task object: `.call_local()` runs the function body in this process.
    assert import_jobs_recover_stale_task.call_local() == 1
    assert ImportJob.objects.get(pk=stale.pk).status == ImportJob.Status.FAILED
