"""Writing audit events; the only module that creates them."""

from __future__ import annotations

from typing import Any

from django.db import models

from lianxin.audit.context import current
from lianxin.audit.models import Audited, AuditEvent


def _secret(field: str, secret_fields: frozenset[str]) -> bool:
    return any(field == s or field.startswith(s + "_") for s in secret_fields)


def audit_diff(instance: Audited, *, created: bool) -> dict[str, Any]:
    """Field-level changes; secret fields are named without values."""
    snapshot = getattr(instance, "_audit_snapshot", None) or {}
    changes: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        name = field.attname
        if name in instance.AUDIT_SKIP_FIELDS or field.primary_key:
            continue
        new = getattr(instance, name)
        old = snapshot.get(name)
        if not created and old == new:
            continue
        if created and new in (None, "", False) and not isinstance(new, int | float):
            continue
        if _secret(name, instance.AUDIT_SECRET_FIELDS):
            changes[name] = {"secret": True}
        else:
            changes[name] = {"old": None if created else _plain(old), "new": _plain(new)}
            label = _related_label(instance, field)
            if label:
                changes[name]["new_label"] = label
    return changes


def _related_label(instance: models.Model, field: models.Field) -> str:
    """What a foreign key now points to, in words, when the object is already loaded.

    Only a cached related object is used, so auditing never costs an extra query; without
    it the trail keeps the key alone.
    """
    if not (
        field.many_to_one and isinstance(field, models.ForeignObject) and field.is_cached(instance)
    ):
        return ""
    related = field.get_cached_value(instance)
    return str(related)[:100] if related is not None else ""


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def audit_record(
    *,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: dict[str, Any] | None = None,
    scope_path: str = "",
) -> AuditEvent:
    """Append one audit event, taking the actor, post and address from the current context."""
    ctx = current()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        if isinstance(obj, Audited):
            object_id = object_id or obj.audit_object_id()
            scope_path = scope_path or obj.audit_scope_path()
        else:
            object_id = object_id or str(getattr(obj, "public_id", "") or obj.pk)
        object_repr = object_repr or str(obj)[:200]
    return AuditEvent.objects.create(
        actor_id=ctx.user_id,
        actor_post=ctx.post_label[:200],
        channel=ctx.channel,
        ip=ctx.ip,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        changes=changes or {},
        scope_path=scope_path,
    )
