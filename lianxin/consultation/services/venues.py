"""Venues (议事场所) and the representatives' roster (村民代表/居民代表) of a village.

Both are scoped by the village: `consultation.run` at the village (or above it) edits them.
A venue in use by past meetings is never deleted, only taken out of use; a representative's
term ends on a date (the row stays, so past electorates can be explained).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from lianxin.accounts.actor import Actor
from lianxin.consultation import workflow as wf
from lianxin.consultation.models import Representative, Venue
from lianxin.consultation.services.common import require
from lianxin.core import clock
from lianxin.core.errors import DomainError, clean_text
from lianxin.people.models import Resident
from lianxin.territory.models import Unit, UnitKind


def _village(unit: Unit | None) -> Unit:
    if unit is None or unit.kind != UnitKind.VILLAGE:
        raise DomainError("请选择村（社区）", field="unit")
    return unit


def _kind(kind: str) -> str:
    if kind not in Venue.Kind.values:
        raise DomainError("请选择场所类型", field="kind")
    return kind


@transaction.atomic
def venue_create(
    *, actor: Actor, unit: Unit | None, name: str, kind: str = Venue.Kind.CORNER, address: str = ""
) -> Venue:
    """A new venue of a village (议事角, 书记会客厅 ...)."""
    unit = _village(unit)
    require(actor, wf.RUN, unit.path, "没有维护该村（社区）议事场所的权限")
    name = clean_text(name, field="name", label="名称", max_length=60)
    if Venue.objects.filter(unit=unit, name=name, is_active=True).exists():
        raise DomainError(f"本村（社区）已有在用的“{name}”", field="name")
    return Venue.objects.create(
        unit=unit,
        name=name,
        kind=_kind(kind),
        address=clean_text(address, field="address", label="位置", max_length=120, required=False),
    )


@transaction.atomic
def venue_update(
    *, actor: Actor, venue: Venue, name: str, kind: str, address: str, is_active: bool
) -> Venue:
    """Rename or move a venue, or put it back in use."""
    require(actor, wf.RUN, venue.unit.path, "没有维护该村（社区）议事场所的权限")
    name = clean_text(name, field="name", label="名称", max_length=60)
    clash = Venue.objects.filter(unit_id=venue.unit_id, name=name, is_active=True).exclude(
        pk=venue.pk
    )
    if is_active and clash.exists():
        raise DomainError(f"本村（社区）已有在用的“{name}”", field="name")
    venue.name = name
    venue.kind = _kind(kind)
    venue.address = clean_text(
        address, field="address", label="位置", max_length=120, required=False
    )
    venue.is_active = is_active
    venue.save()
    return venue


@transaction.atomic
def venue_deactivate(*, actor: Actor, venue: Venue) -> Venue:
    """Take a venue out of use (meetings held there keep it)."""
    require(actor, wf.RUN, venue.unit.path, "没有维护该村（社区）议事场所的权限")
    if not venue.is_active:
        raise DomainError("该场所已停用")
    venue.is_active = False
    venue.save(update_fields=["is_active", "updated_at"])
    return venue


@transaction.atomic
def representative_add(
    *, actor: Actor, unit: Unit | None, resident: Resident | None, term_start: dt.date
) -> Representative:
    """Make a registered resident of the village a representative from `term_start`."""
    unit = _village(unit)
    require(actor, wf.RUN, unit.path, "没有维护该村（社区）代表名册的权限")
    if resident is None:
        raise DomainError("请从户籍登记中选择代表", field="resident")
    if not resident.is_active or not resident.household.unit.path.startswith(unit.path):
        raise DomainError(f"{resident.name}不是本村（社区）在册居民", field="resident")
    try:
        with transaction.atomic():
            return Representative.objects.create(
                unit=unit, resident=resident, term_start=term_start
            )
    except IntegrityError as exc:
        raise DomainError(f"{resident.name}已是本村（社区）在任代表", field="resident") from exc


@transaction.atomic
def representative_end(
    *, actor: Actor, representative: Representative, term_end: dt.date | None = None
) -> Representative:
    """End a representative's term (the row stays in the roster's history)."""
    require(actor, wf.RUN, representative.unit.path, "没有维护该村（社区）代表名册的权限")
    if not representative.is_active:
        raise DomainError("该代表的任期已结束")
    term_end = term_end or clock.now().date()
    if term_end < representative.term_start:
        raise DomainError("任期结束日期不能早于任期开始", field="term_end")
    # Saved (not a bulk update) so the audit log records who ended the term.
    representative.is_active = False
    representative.term_end = term_end
    representative.save(update_fields=["is_active", "term_end", "updated_at"])
    return representative
