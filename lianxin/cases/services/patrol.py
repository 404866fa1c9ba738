"""The grid worker's daily patrol log (每日巡查): route and places, start and end time, and
what was found. A finding is filed as a request with channel `patrol` and a link to the patrol,
from the patrol page in one step.

Only grid workers and building leaders patrol, at the grid or building of their own post (and
they need cases.file there). One patrol per worker per day may be open at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.accounts.permissions import Role
from lianxin.cases import workflow as wf
from lianxin.cases.models import Case, Category, PatrolLog
from lianxin.cases.selectors import cases_for
from lianxin.cases.services import intake
from lianxin.cases.workflow import Channel
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.core.scope import path_q
from lianxin.territory.models import Unit

PATROL_ROLES = frozenset({Role.GRID_WORKER, Role.BUILDING_LEADER})
PATROL_UNIT_KINDS = frozenset({"grid", "building"})
MAX_ROUTE = 500


def local_today() -> dt.date:
    return timezone.localdate(clock.now())


def _patrol_posts_at(actor: Actor, path: str) -> bool:
    return any(
        p.role in PATROL_ROLES and path.startswith(p.unit_path) for p in actor.posts
    ) and actor.can(wf.FILE, path)


def can_patrol(actor: Actor) -> bool:
    """Whether the actor keeps a patrol log at all (a grid worker or building leader)."""
    return any(p.role in PATROL_ROLES for p in actor.posts) and actor.can(wf.FILE)


def patrol_units(actor: Actor) -> QuerySet[Unit]:
    """The grids and buildings the actor patrols: those of their grid-worker and
    building-leader posts."""
    paths = [p.unit_path for p in actor.posts if p.role in PATROL_ROLES]
    return Unit.objects.filter(path__in=paths, kind__in=PATROL_UNIT_KINDS, is_active=True).order_by(
        "path"
    )


@transaction.atomic
def patrol_start(*, actor: Actor, unit: Unit, route: str) -> PatrolLog:
    """Start today's patrol of a grid (or a building leader's building) along `route`."""
    route = (route or "").strip()
    if not route:
        raise DomainError("请填写巡查路线或点位", field="route")
    if len(route) > MAX_ROUTE:
        raise DomainError(f"巡查路线最多{MAX_ROUTE}字", field="route")
    if unit.kind not in PATROL_UNIT_KINDS or not unit.is_active:
        raise DomainError("请选择网格或楼栋", field="unit")
    if not _patrol_posts_at(actor, unit.path):
        raise PermissionDenied("只有本网格的网格员、楼栋长可以登记巡查", field="unit")
    now = clock.now()
    today = timezone.localdate(now)
    # Lock the worker's row so two taps at once cannot both start a patrol.
    worker_id = actor.user_id or 0
    get_user_model().objects.select_for_update().filter(pk=worker_id).first()
    open_today = PatrolLog.objects.filter(
        worker_id=worker_id, patrol_date=today, ended_at__isnull=True
    )
    if open_today.exists():
        raise Conflict("今天已有一次巡查尚未结束，请先结束后再开始新的巡查")
    return PatrolLog.objects.create(
        worker_id=worker_id,
        unit=unit,
        place_path=unit.path,
        patrol_date=today,
        started_at=now,
        route=route,
    )


def _own_open(actor: Actor, patrol: PatrolLog) -> None:
    if patrol.worker_id != actor.user_id:
        raise PermissionDenied("只能操作自己的巡查")
    if patrol.ended_at is not None:
        raise DomainError("这次巡查已经结束")


@transaction.atomic
def patrol_finish(*, actor: Actor, patrol: PatrolLog, note: str = "") -> PatrolLog:
    """End a patrol with what was seen (巡查情况)."""
    _own_open(actor, patrol)
    note = (note or "").strip()
    now = clock.now()
    updated = PatrolLog.objects.filter(pk=patrol.pk, ended_at__isnull=True).update(
        ended_at=now, note=note, updated_at=now
    )
    if updated != 1:
        raise Conflict("这次巡查刚刚已经结束")
    patrol.ended_at, patrol.note = now, note
    return patrol


@transaction.atomic
def patrol_finding(
    *,
    actor: Actor,
    patrol: PatrolLog,
    description: str,
    category: Category | None = None,
    photos: Sequence[UploadedFile] = (),
    unit: Unit | None = None,
    address_text: str = "",
) -> Case:
    """A problem found on the patrol, filed at once as a request (channel 巡查发现) at a
    building or the grid of the patrol."""
    _own_open(actor, patrol)
    unit = unit or patrol.unit
    if not unit.path.startswith(patrol.place_path):
        raise DomainError("请选择本次巡查范围内的楼栋或网格", field="unit")
    if category is not None and not category.is_active:
        raise DomainError("请选择有效的类别", field="category")
    return intake.case_file(
        actor=actor,
        unit=unit,
        description=description,
        channel=Channel.PATROL,
        category=category,
        photos=photos,
        address_text=address_text,
        patrol=patrol,
    ).case


# --- reads -----------------------------------------------------------------------------------


def patrols_for(actor: Actor) -> QuerySet[PatrolLog]:
    """Patrol logs in the actor's scope with their number of findings (one query a page)."""
    return (
        PatrolLog.objects.visible_to(actor)
        .select_related("unit", "worker")
        .annotate(findings_count=Count("findings"))
        .order_by("-patrol_date", "-started_at", "-id")
    )


def patrol_get(actor: Actor, *, public_id: object) -> PatrolLog:
    return PatrolLog.objects.select_related("unit", "worker").get_visible(
        actor, public_id=public_id
    )


def own_patrol_get(actor: Actor, *, public_id: object) -> PatrolLog:
    """One of the actor's own patrols (the patrol page acts on nothing else), or 404."""
    return (
        PatrolLog.objects.filter(worker_id=actor.user_id)
        .select_related("unit")
        .get_visible(actor, public_id=public_id)
    )


def patrols_today(actor: Actor) -> list[PatrolLog]:
    """The actor's own patrols of today, the open one first."""
    return list(
        PatrolLog.objects.filter(worker_id=actor.user_id, patrol_date=local_today())
        .select_related("unit")
        .annotate(findings_count=Count("findings"))
        .order_by("-started_at", "-id")
    )


def findings_of(actor: Actor, patrol: PatrolLog) -> QuerySet[Case]:
    """The requests filed from a patrol that the actor may see."""
    return (
        cases_for(actor)
        .filter(patrol=patrol)
        .select_related("category", "unit")
        .order_by("received_at", "id")
    )


def finding_units(patrol: PatrolLog) -> QuerySet[Unit]:
    """Where a finding of the patrol may be: its grid or building and the buildings below."""
    return Unit.objects.filter(
        path_q("path", [patrol.place_path]), kind__in=PATROL_UNIT_KINDS, is_active=True
    ).order_by("path")
