"""Reads of the proposals part: residents' proposals for staff (scoped by the actor) and the
residents' side of a village (its public page: only public and published rows).

Staff selectors take the actor and scope with `visible_to` / `get_visible` (404 outside the
scope); public ones take a village found by its code and read only what is meant to be seen:
public meetings, locked minutes, public decisions, published pledges and matters, and
proposals that were not withdrawn.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.consultation import workflow as wf
from lianxin.consultation.models import (
    AgendaItem,
    Decision,
    Matter,
    Meeting,
    Minutes,
    Pledge,
    PledgeItem,
    ProposalSupport,
    ResidentProposal,
)
from lianxin.core import clock
from lianxin.people.models import Resident
from lianxin.territory.models import Unit, UnitKind

Status = ResidentProposal.Status
# How much the residents' page shows of each list (the page stays short on a phone).
HOME_LIMIT = 8
RECENT_DAYS = 180


# --- residents' side ---------------------------------------------------------------------


def village_by_code(code: str) -> Unit | None:
    """An active village (community) by its code, or None."""
    return Unit.objects.filter(code=code, kind=UnitKind.VILLAGE, is_active=True).first()


def public_proposal(public_id: uuid.UUID) -> ResidentProposal | None:
    """A proposal for its public page (any status but withdrawn; of an active village)."""
    return (
        ResidentProposal.objects.filter(public_id=public_id, unit__is_active=True)
        .exclude(status=Status.WITHDRAWN)
        .select_related("unit", "place")
        .first()
    )


def supported_ids(proposal_ids: list[int], residents: list[Resident]) -> set[int]:
    """Which of the proposals the session's residents (one phone) already support."""
    if not proposal_ids or not residents:
        return set()
    return set(
        ProposalSupport.objects.filter(
            proposal_id__in=proposal_ids, resident__in=residents
        ).values_list("proposal_id", flat=True)
    )


def proposal_items(proposal: ResidentProposal) -> list[AgendaItem]:
    """The agenda items a proposal went to (public meetings only), with their meeting."""
    return list(
        AgendaItem.objects.filter(proposal=proposal, meeting__is_public=True)
        .select_related("meeting")
        .order_by("meeting__starts_at", "id")
    )


@dataclass
class PledgeCard:
    pledge: Pledge
    items: int
    done: int


@dataclass
class UnitHome:
    """What a village's public page shows, read in a fixed number of queries."""

    unit: Unit
    meetings: list[Meeting] = field(default_factory=list)
    proposals: list[ResidentProposal] = field(default_factory=list)
    decided: list[AgendaItem] = field(default_factory=list)
    minutes: list[Minutes] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    pledge: PledgeCard | None = None
    matters: list[Matter] = field(default_factory=list)


def unit_home(unit: Unit) -> UnitHome:
    """The village's public page: upcoming public meetings, proposals collecting support,
    recently decided items, locked minutes, public decisions, this year's published pledge
    and published 四议两公开 matters. Eight queries whatever the village's size."""
    now = clock.now()
    since = now - dt.timedelta(days=RECENT_DAYS)
    home = UnitHome(unit=unit)
    home.meetings = list(
        Meeting.objects.filter(
            unit=unit,
            is_public=True,
            status__in=(Meeting.Status.PLANNED, Meeting.Status.OPEN),
        )
        .select_related("meeting_type", "venue")
        .order_by("starts_at", "id")[:HOME_LIMIT]
    )
    home.proposals = list(
        ResidentProposal.objects.filter(unit=unit, status=Status.OPEN)
        .select_related("place")
        .order_by("-support_count", "-created_at", "-id")[: HOME_LIMIT * 2]
    )
    home.decided = list(
        AgendaItem.objects.filter(
            meeting__unit=unit,
            meeting__is_public=True,
            status__in=wf.DECIDED,
            decided_at__gte=since,
        )
        .select_related("meeting")
        .order_by("-decided_at", "-id")[:HOME_LIMIT]
    )
    home.minutes = list(
        Minutes.objects.filter(meeting__unit=unit, meeting__is_public=True, locked_at__isnull=False)
        .select_related("meeting__meeting_type")
        .order_by("-locked_at", "-id")[:HOME_LIMIT]
    )
    home.decisions = list(
        Decision.objects.filter(unit=unit, is_public=True)
        .filter(
            Q(status=Decision.Status.IN_PROGRESS)
            | Q(status=Decision.Status.DONE, done_on__gte=since.date())
        )
        .order_by("status", "due_on", "-id")[:HOME_LIMIT]
    )
    year = timezone.localdate(now).year
    pledge = (
        Pledge.objects.filter(unit=unit, year=year)
        .exclude(stage=Pledge.Stage.DRAFT)
        .annotate(
            n_items=Count("items"),
            n_done=Count("items", filter=Q(items__fulfilment=PledgeItem.Fulfilment.DONE)),
        )
        .first()
    )
    if pledge is not None:
        home.pledge = PledgeCard(pledge, pledge.n_items, pledge.n_done)  # type: ignore[attr-defined]
    home.matters = list(
        Matter.objects.filter(unit=unit, resolution_published_at__isnull=False)
        .exclude(status=Matter.Status.WITHDRAWN)
        .order_by("-resolution_published_at", "-id")[:HOME_LIMIT]
    )
    return home


# --- staff ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalFilters:
    village: str = ""
    status: str = ""
    min_support: int | None = None
    q: str = ""

    @classmethod
    def from_query(cls, query: QueryDict) -> ProposalFilters:
        status = query.get("status", "")
        raw = (query.get("min_support") or "").strip()
        return cls(
            village=(query.get("village") or "").strip(),
            status=status if status in Status.values else "",
            min_support=int(raw) if raw.isdigit() else None,
            q=(query.get("q") or "").strip()[:40],
        )

    @property
    def active(self) -> bool:
        return bool(self.village or self.status or self.min_support is not None or self.q)


def proposal_villages(actor: Actor) -> list[Unit]:
    """The villages whose proposals the actor may read (for the filter)."""
    return list(
        Unit.objects.visible_to(actor, wf.VIEW)
        .filter(kind=UnitKind.VILLAGE, is_active=True)
        .order_by("path")[:500]
    )


def proposal_list(actor: Actor, filters: ProposalFilters) -> QuerySet[ResidentProposal]:
    """Proposals in the actor's scope, newest first, filtered."""
    qs = ResidentProposal.objects.visible_to(actor, wf.VIEW).select_related("unit", "place")
    if filters.village:
        qs = qs.filter(unit__code=filters.village)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.min_support is not None:
        qs = qs.filter(support_count__gte=filters.min_support)
    if filters.q:
        qs = qs.filter(title__contains=filters.q)
    return qs.order_by("-created_at", "-id")


def proposal_get(actor: Actor, public_id: Any) -> ResidentProposal:
    """One proposal in the actor's scope, or 404."""
    return ResidentProposal.objects.select_related("unit", "place").get_visible(
        actor, wf.VIEW, public_id=public_id
    )


def schedulable_meetings(proposal: ResidentProposal) -> list[Meeting]:
    """The village's planned or open meetings a proposal can be put on."""
    return list(
        Meeting.objects.filter(
            unit_id=proposal.unit_id,
            status__in=(Meeting.Status.PLANNED, Meeting.Status.OPEN),
        )
        .select_related("meeting_type")
        .order_by("starts_at", "id")[:50]
    )


def meeting_for_proposal(proposal: ResidentProposal, public_id: str) -> Meeting | None:
    """A planned or open meeting of the proposal's village by its public id."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return (
        Meeting.objects.filter(
            unit_id=proposal.unit_id,
            public_id=key,
            status__in=(Meeting.Status.PLANNED, Meeting.Status.OPEN),
        )
        .select_related("unit", "meeting_type")
        .first()
    )
