"""Reads of the meetings part: every staff selector takes the actor and scopes by the
territory path (`visible_to` / `get_visible`: 404 outside the scope); the public selectors
read only meetings marked public, locked minutes and counts (never names)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from lianxin.accounts.actor import Actor
from lianxin.consultation import electorate as roll
from lianxin.consultation import workflow as wf
from lianxin.consultation.models import (
    AgendaItem,
    Attendance,
    Meeting,
    MeetingType,
    Minutes,
    MinutesAddendum,
    MinutesRevision,
    Representative,
    Venue,
)
from lianxin.consultation.services.meetings import meeting_area
from lianxin.core import clock
from lianxin.people.models import Resident
from lianxin.territory.models import Unit, UnitKind

MAX_RESIDENT_RESULTS = 20


@dataclass(frozen=True)
class MeetingFilters:
    unit: str = ""
    meeting_type: str = ""
    status: str = ""
    month: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> MeetingFilters:
        return cls(
            unit=(query.get("unit") or "").strip(),
            meeting_type=(query.get("type") or "").strip(),
            status=(query.get("status") or "").strip(),
            month=(query.get("month") or "").strip(),
        )

    @property
    def active(self) -> bool:
        return bool(self.unit or self.meeting_type or self.status or self.month)

    def month_range(self) -> tuple[dt.date, dt.date] | None:
        try:
            first = dt.date.fromisoformat(self.month + "-01")
        except ValueError:
            return None
        nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return first, nxt


def villages(actor: Actor, perm: str = wf.VIEW) -> QuerySet[Unit]:
    """The villages/communities where `perm` is granted (filters, create forms)."""
    return (
        Unit.objects.visible_to(actor, perm)
        .filter(kind=UnitKind.VILLAGE, is_active=True)
        .order_by("path")
    )


def village_get(actor: Actor, public_id: Any, perm: str = wf.VIEW) -> Unit:
    return cast(
        Unit,
        Unit.objects.filter(kind=UnitKind.VILLAGE, is_active=True).get_visible(
            actor, perm, public_id=public_id
        ),
    )


def places(unit: Unit) -> QuerySet[Unit]:
    """Grids and buildings under a village (a meeting of one compound)."""
    return Unit.objects.filter(
        path__startswith=unit.path,
        kind__in=(UnitKind.GRID, UnitKind.BUILDING),
        is_active=True,
    ).order_by("path")


def meeting_list(actor: Actor, filters: MeetingFilters) -> QuerySet[Meeting]:
    """Meetings in scope as filtered, newest first, with what the list shows (no N+1)."""
    qs = (
        Meeting.objects.visible_to(actor, wf.VIEW)
        .select_related("unit", "meeting_type", "venue", "place")
        .annotate(
            present=Count("attendances", distinct=True), item_count=Count("items", distinct=True)
        )
    )
    if filters.unit:
        try:
            unit = Unit.objects.get(public_id=filters.unit)
        except (Unit.DoesNotExist, ValueError, ValidationError):
            return qs.none()
        qs = qs.filter(unit__path__startswith=unit.path)
    if filters.meeting_type:
        qs = qs.filter(meeting_type__code=filters.meeting_type)
    if filters.status in Meeting.Status.values:
        qs = qs.filter(status=filters.status)
    span = filters.month_range()
    if span is not None:
        qs = qs.filter(starts_at__date__gte=span[0], starts_at__date__lt=span[1])
    return qs.order_by("-starts_at", "-id")


def meeting_get(actor: Actor, public_id: Any) -> Meeting:
    """One meeting in scope (404 otherwise) with its type, unit, venue and place."""
    return cast(
        Meeting,
        Meeting.objects.select_related("unit", "meeting_type", "venue", "place").get_visible(
            actor, wf.VIEW, public_id=public_id
        ),
    )


def agenda(meeting: Meeting) -> list[AgendaItem]:
    return list(
        AgendaItem.objects.filter(meeting=meeting)
        .select_related("meeting", "case", "proposal", "matter", "decision")
        .order_by("order", "id")
    )


def attendances(meeting: Meeting) -> QuerySet[Attendance]:
    return Attendance.objects.filter(meeting=meeting).order_by("at", "id")


@dataclass
class RollRow:
    key: str
    label: str
    phone_masked: str
    signed_in: bool


def roll_rows(meeting: Meeting, *, q: str = "") -> list[RollRow]:
    """The meeting's electorate from the register, each marked when already signed in;
    `q` narrows by name or address. (One village's electorate: thousands at most.)"""
    signed = set(Attendance.objects.filter(meeting=meeting).values_list("elector_key", flat=True))
    q = q.strip()
    rows = []
    for e in roll.electors(
        meeting_area(meeting), meeting.meeting_type.electorate, on=clock.now().date()
    ):
        if q and q not in e.label:
            continue
        rows.append(RollRow(e.key, e.label, e.phone_masked, e.key in signed))
    return rows


def minutes_of(meeting: Meeting) -> Minutes | None:
    return Minutes.objects.filter(meeting=meeting).select_related("locked_by").first()


def revisions(minutes: Minutes | None) -> list[MinutesRevision]:
    if minutes is None:
        return []
    return list(MinutesRevision.objects.filter(minutes=minutes).order_by("-number"))


def addenda(minutes: Minutes | None) -> list[MinutesAddendum]:
    if minutes is None:
        return []
    return list(MinutesAddendum.objects.filter(minutes=minutes).order_by("at", "id"))


# --- configuration --------------------------------------------------------------------------


def venue_list(actor: Actor, *, unit: Unit | None = None) -> QuerySet[Venue]:
    qs = Venue.objects.visible_to(actor, wf.VIEW).select_related("unit")
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return qs.order_by("unit__path", "-is_active", "name")


def venue_get(actor: Actor, public_id: Any) -> Venue:
    return cast(
        Venue, Venue.objects.select_related("unit").get_visible(actor, wf.VIEW, public_id=public_id)
    )


def venues_for(unit: Unit) -> QuerySet[Venue]:
    return Venue.objects.filter(unit=unit, is_active=True).order_by("name")


def representative_list(
    actor: Actor, *, unit: Unit | None = None, current: bool = True
) -> QuerySet[Representative]:
    qs = Representative.objects.visible_to(actor, wf.VIEW).select_related(
        "unit", "resident", "resident__household"
    )
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if current:
        qs = qs.filter(is_active=True)
    return qs.order_by("unit__path", "-is_active", "resident__name", "id")


def representative_get(actor: Actor, public_id: Any) -> Representative:
    return cast(
        Representative,
        Representative.objects.select_related("unit", "resident").get_visible(
            actor, wf.VIEW, public_id=public_id
        ),
    )


def resident_search(unit: Unit, q: str) -> list[Resident]:
    """Registered residents of the village whose name (or door) matches (the roster form)."""
    q = q.strip()
    if not q:
        return []
    return list(
        Resident.objects.filter(
            household__unit__path__startswith=unit.path,
            household__is_active=True,
            is_active=True,
        )
        .filter(Q(name__contains=q) | Q(household__address__contains=q))
        .select_related("household", "household__unit")
        .order_by("name", "id")[:MAX_RESIDENT_RESULTS]
    )


def resident_in(unit: Unit, public_id: Any) -> Resident | None:
    try:
        return (
            Resident.objects.filter(
                household__unit__path__startswith=unit.path, public_id=public_id
            )
            .select_related("household", "household__unit")
            .first()
        )
    except (ValueError, ValidationError):
        return None


def meeting_types() -> list[MeetingType]:
    return list(MeetingType.objects.order_by("sort_order", "id"))


def meeting_type_get(code: str) -> MeetingType:
    mtype = MeetingType.objects.filter(code=code).first()
    if mtype is None:
        raise Http404("不存在")
    return mtype


# --- residents' side ------------------------------------------------------------------------


def public_meeting(public_id: Any) -> Meeting:
    """A meeting marked public (any state: the announcement, the day, the result)."""
    try:
        meeting = (
            Meeting.objects.select_related("unit", "meeting_type", "venue", "place")
            .filter(public_id=public_id, is_public=True)
            .first()
        )
    except (ValueError, ValidationError) as exc:
        raise Http404("不存在") from exc
    if meeting is None:
        raise Http404("不存在")
    return meeting


def public_minutes(meeting: Meeting) -> Minutes | None:
    """The minutes once locked; a draft is never shown to residents."""
    return Minutes.objects.filter(meeting=meeting, locked_at__isnull=False).first()
