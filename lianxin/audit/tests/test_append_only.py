"""The audit trail is append-only in the model and in the database (both vendors)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from lianxin.audit.guard import audit_maintenance
from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def event() -> AuditEvent:
    return audit_record(
        action=AuditEvent.Action.OTHER, object_type="test.thing", object_repr="原始记录"
    )


def test_model_refuses_to_change_or_delete(event: AuditEvent) -> None:
    event.object_repr = "改过"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


def test_database_refuses_queryset_update(event: AuditEvent) -> None:
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(object_repr="改过")
    assert AuditEvent.objects.get(pk=event.pk).object_repr == "原始记录"


def test_database_refuses_queryset_delete(event: AuditEvent) -> None:
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_database_refuses_raw_sql(event: AuditEvent) -> None:
    for sql in (
        "UPDATE audit_auditevent SET actor_post = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).actor_post == ""


def test_inserts_still_work_after_a_refusal(event: AuditEvent) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.all().delete()
    audit_record(action=AuditEvent.Action.OTHER, object_repr="新记录")
    assert AuditEvent.objects.filter(object_repr__in=["原始记录", "新记录"]).count() == 2


def test_maintenance_block_is_the_one_opening(event: AuditEvent) -> None:
    with audit_maintenance():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert not AuditEvent.objects.filter(pk=event.pk).exists()
    # Closed again afterwards.
    other = audit_record(action=AuditEvent.Action.OTHER, object_repr="之后")
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=other.pk).delete()
