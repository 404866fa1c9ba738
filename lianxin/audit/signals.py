"""Every save and delete of an `Audited` model lands in the audit trail."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from lianxin.audit.models import Audited, AuditEvent
from lianxin.audit.services import audit_diff, audit_record


@receiver(post_save)
def _audit_save(
    sender: type, instance: Any, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw or not isinstance(instance, Audited):
        return
    changes = audit_diff(instance, created=created)
    if not created and not changes:
        return
    audit_record(
        action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
        obj=instance,
        changes=changes,
    )
    # The new state becomes the baseline for the next save of the same instance.
    instance._audit_snapshot = {
        f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields
    }


@receiver(post_delete)
def _audit_delete(sender: type, instance: Any, **kwargs: Any) -> None:
    if isinstance(instance, Audited):
        audit_record(action=AuditEvent.Action.DELETE, obj=instance)
