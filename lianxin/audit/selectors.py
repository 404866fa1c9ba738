"""Reads of the audit trail, scoped by the territory path each event carries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils import timezone

from lianxin.audit.models import AuditEvent
from lianxin.core.scope import Actor, path_q

AUDIT_VIEW = "audit.view"


def sees_system_events(actor: Actor) -> bool:
    """Events tied to no unit (failed logins of unknown names, command-line jobs) are
    system-wide: only auditors whose scope starts at a city or province see them."""
    return any(p.count("/") <= 3 for p in actor.scope_paths(AUDIT_VIEW))


def events_visible(actor: Actor) -> QuerySet[AuditEvent]:
    """Events under the actor's `audit.view` posts (plus system-wide ones, see above)."""
    condition = path_q(AuditEvent.SCOPE_PATH, actor.scope_paths(AUDIT_VIEW))
    if sees_system_events(actor):
        condition |= Q(scope_path="")
    return AuditEvent.objects.filter(condition)


@dataclass(frozen=True)
class EventFilter:
    username: str = ""
    object_type: str = ""
    object_id: str = ""
    action: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def event_search(actor: Actor, flt: EventFilter) -> QuerySet[AuditEvent]:
    """Events in scope matching the filter, newest first, with the acting user joined."""
    qs = events_visible(actor)
    if flt.username:
        qs = qs.filter(actor__username__iexact=flt.username.strip())
    if flt.object_type:
        qs = qs.filter(object_type=flt.object_type.strip().lower())
    if flt.object_id:
        qs = qs.filter(object_id=flt.object_id.strip())
    if flt.action:
        qs = qs.filter(action=flt.action)
    if flt.since:
        qs = qs.filter(at__gte=_day_start(flt.since))
    if flt.until:
        qs = qs.filter(at__lt=_day_start(flt.until + dt.timedelta(days=1)))
    return qs.select_related("actor").order_by("-at", "-id")


@lru_cache(maxsize=1)
def object_type_labels() -> dict[str, str]:
    """`app.model` → Chinese name, for every model whose writes are audited."""
    from lianxin.audit.models import Audited

    labels = {}
    for model in apps.get_models():
        if issubclass(model, Audited):
            labels[model._meta.label_lower] = str(model._meta.verbose_name)
    return dict(sorted(labels.items()))


@lru_cache(maxsize=256)
def _field_meta(object_type: str, field: str) -> tuple[str, dict[Any, str]]:
    """The field's Chinese name and, for fields with choices, value → label."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return field, {}
    for f in model._meta.concrete_fields:
        if field in (f.attname, f.name):
            choices = {value: str(label) for value, label in (f.flatchoices or [])}
            return str(f.verbose_name), choices
    return field, {}


def _choice_label(choices: dict[Any, str], value: Any) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    try:
        return choices.get(value, value)
    except TypeError:  # a list or dict written by a bulk summary
        return value


def describe_changes(event: AuditEvent) -> list[dict[str, Any]]:
    """The change list as rows (field label, old, new, secret) for display."""
    rows = []
    changes = event.changes if isinstance(event.changes, dict) else {}
    for field, change in changes.items():
        change = change if isinstance(change, dict) else {"new": change}
        label, choices = _field_meta(event.object_type, field)
        old, new = change.get("old"), change.get("new")
        rows.append(
            {
                "field": field,
                "label": label,
                "secret": bool(change.get("secret")),
                "old": _choice_label(choices, old),
                "new": change.get("new_label") or _choice_label(choices, new),
            }
        )
    return rows
