"""Reads of the 四议两公开 matters part.

Staff selectors take the actor and scope by the territory path (`visible_to` / `get_visible`:
404 outside the scope). The public selectors read only matters whose resolution has been
published (决议公开 and after); what they show carries no person's name — meetings, dates,
counts and rates only.

`matter_chain` builds the four steps with their meetings and votes once, for the staff page,
the residents' page and the printed notices alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from lianxin.accounts.actor import Actor
from lianxin.consultation import workflow as wf
from lianxin.consultation.models import AgendaItem, Matter, MatterEvent, Meeting
from lianxin.core.scope import path_q
from lianxin.territory.models import Unit, UnitKind

Status = Matter.Status
ItemStatus = AgendaItem.Status
# Public once the resolution is out (两公开); before that a matter is the village's business.
PUBLISHED = (Status.ANNOUNCED, Status.COMPLETED)
MAX_UNIT_OPTIONS = 500
MAX_MEETING_OPTIONS = 50


@dataclass(frozen=True)
class MatterFilters:
    q: str = ""
    status: str = ""
    unit: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> MatterFilters:
        status = (query.get("status") or "").strip()
        return cls(
            q=(query.get("q") or "").strip()[:50],
            status=status if status in Status.values else "",
            unit=(query.get("unit") or "").strip()[:40],
        )

    @property
    def active(self) -> bool:
        return bool(self.q or self.status or self.unit)


def matters_for(actor: Actor, filters: MatterFilters | None = None) -> QuerySet[Matter]:
    """Matters in the actor's scope, newest first, with their unit (one query per page)."""
    filters = filters or MatterFilters()
    qs = Matter.objects.visible_to(actor, wf.VIEW).select_related("unit")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.unit:
        qs = qs.filter(unit__code=filters.unit)
    if filters.q:
        qs = qs.filter(Q(title__contains=filters.q) | Q(description__contains=filters.q))
    return qs.order_by("-created_at", "-id")


def matter_get(actor: Actor, public_id: Any, perm: str = wf.VIEW) -> Matter:
    """One matter in the actor's scope for `perm` (404 otherwise)."""
    matter: Matter = Matter.objects.select_related("unit").get_visible(
        actor, perm, public_id=public_id
    )
    return matter


def matter_units(actor: Actor, perm: str = wf.MATTERS) -> QuerySet[Unit]:
    """Villages and communities where the actor holds `perm` (the create form, the filter)."""
    return (
        Unit.objects.filter(path_q("path", actor.scope_paths(perm)))
        .filter(kind=UnitKind.VILLAGE, is_active=True)
        .order_by("path")[:MAX_UNIT_OPTIONS]
    )


def schedulable_meetings(matter: Matter) -> list[Meeting]:
    """Meetings the matter's next step may be put on: of its unit, planned or open, of a type
    the step allows, not already holding this step."""
    step = matter.next_step
    if matter.status not in (Status.IN_PROGRESS, Status.REJECTED) or not (
        1 <= step <= wf.STEP_COUNT
    ):
        return []
    held = AgendaItem.objects.filter(matter=matter, matter_step=step).values("meeting_id")
    return list(
        Meeting.objects.filter(
            unit_id=matter.unit_id,
            status__in=[Meeting.Status.PLANNED, Meeting.Status.OPEN],
            meeting_type__code__in=wf.matter_step(step).meeting_types,
        )
        .exclude(pk__in=held)
        .select_related("meeting_type")
        .order_by("starts_at", "id")[:MAX_MEETING_OPTIONS]
    )


@dataclass(frozen=True)
class Attempt:
    """One agenda item that held (or is to hold) a step."""

    item: AgendaItem
    meeting: Meeting

    @property
    def decided(self) -> bool:
        return self.item.status in (ItemStatus.PASSED, ItemStatus.REJECTED)

    @property
    def live(self) -> bool:
        """Still to be decided: voting, or pending at a meeting that has not ended."""
        return self.item.status == ItemStatus.VOTING or (
            self.item.status == ItemStatus.PENDING
            and self.meeting.status in (Meeting.Status.PLANNED, Meeting.Status.OPEN)
        )

    @property
    def day(self) -> dt.datetime:
        return self.item.decided_at or self.meeting.starts_at

    @property
    def eligible(self) -> int | None:
        return self.meeting.eligible_count

    @property
    def present(self) -> int | None:
        return self.item.present_count

    @property
    def threshold(self) -> str:
        return wf.threshold_label(self.item.threshold, self.item.threshold_share)

    @property
    def rate_percent(self) -> Decimal | None:
        rate = self.item.support_rate
        return None if rate is None else (rate * 100).quantize(Decimal("0.01"))


@dataclass
class Step:
    """One of the four steps with every attempt at it, oldest first."""

    number: int
    name: str
    state: str  # passed / failed / scheduled / next / waiting
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def held(self) -> Attempt | None:
        """The attempt that decided the step: the pass, else the latest decided one."""
        decided = [a for a in self.attempts if a.decided]
        passed = [a for a in decided if a.item.status == ItemStatus.PASSED]
        chosen = passed or decided
        return chosen[-1] if chosen else None

    @property
    def latest(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def state_label(self) -> str:
        return {
            "passed": "已通过",
            "failed": "未通过",
            "scheduled": "已列入会议议程",
            "next": "待安排会议",
            "waiting": "未开始",
        }[self.state]


def matter_chain(matter: Matter) -> list[Step]:
    """The four steps of a matter with their meetings and votes (one query)."""
    items = (
        AgendaItem.objects.filter(matter=matter)
        .select_related("meeting__meeting_type")
        .order_by("matter_step", "id")
    )
    by_step: dict[int, list[Attempt]] = {}
    for item in items:
        by_step.setdefault(item.matter_step or 0, []).append(Attempt(item, item.meeting))
    steps = []
    for spec in wf.MATTER_STEPS:
        attempts = by_step.get(spec.number, [])
        last = attempts[-1] if attempts else None
        if spec.number < matter.next_step:
            state = "passed"
        elif spec.number > matter.next_step:
            state = "waiting"
        elif last is not None and last.live:
            state = "scheduled"
        elif last is not None and last.item.status == ItemStatus.REJECTED:
            state = "failed"
        elif matter.status == Status.WITHDRAWN:
            state = "waiting"
        else:
            state = "next"
        steps.append(Step(spec.number, spec.name, state, attempts))
    return steps


def matter_events(matter: Matter) -> QuerySet[MatterEvent]:
    return MatterEvent.objects.filter(matter=matter).order_by("at", "id")


# --- residents ---------------------------------------------------------------------------


def public_matter(public_id: Any) -> Matter:
    """A matter whose resolution is published (404 for any other, or a malformed id)."""
    try:
        matter = (
            Matter.objects.select_related("unit")
            .filter(public_id=public_id, status__in=PUBLISHED)
            .first()
        )
    except (ValueError, TypeError):
        matter = None
    if matter is None:
        raise Http404("不存在或尚未公开")
    return matter


def published_matters(unit: Unit) -> QuerySet[Matter]:
    """A village's matters with a published resolution, newest notice first (the residents'
    unit page links to them)."""
    return Matter.objects.filter(unit=unit, status__in=PUBLISHED).order_by(
        "-resolution_published_at", "-id"
    )
