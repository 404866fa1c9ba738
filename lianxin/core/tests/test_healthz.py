"""The health probe: 200 with database/migrations/version, 503 when migrations are pending."""

from __future__ import annotations

import pytest
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from lianxin import __version__


@pytest.mark.django_db
def test_healthz_reports_database_migrations_and_version() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] is True
    assert body["migrations"] is True
    assert body["pending_migrations"] == 0
    assert body["version"] == __version__


@pytest.mark.django_db
def test_healthz_answers_503_when_a_migration_is_pending() -> None:
    # Forget that the newest applied migration ran (rolled back with the test transaction):
    # the probe must now see one pending migration and fail.
    recorder = MigrationRecorder.Migration.objects
    newest = (
        recorder.filter(app="party").order_by("-id").first() or recorder.order_by("-id").first()
    )
    recorder.filter(pk=newest.pk).delete()
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] is True
    assert body["migrations"] is False
    assert body["pending_migrations"] >= 1
