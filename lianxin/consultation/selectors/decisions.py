"""Reads of the decisions part. Staff selectors take the actor and scope by the territory path
(`visible_to` / `get_visible`: 404 outside the scope); the public ones read only decisions
marked public, and their timeline carries post labels, never names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from lianxin.accounts.actor import Actor
from lianxin.cases.models import Case
from lianxin.consultation import workflow as wf
from lianxin.consultation.models import AgendaItem, Decision, Matter, Milestone, ProgressUpdate
from lianxin.consultation.services.decisions import ITEM_DECIDED, MATTER_DECIDED, today
from lianxin.territory.models import Unit, UnitKind

Status = Decision.Status
CANDIDATE_LIMIT = 50


@dataclass(frozen=True)
class DecisionFilters:
    unit: str = ""
    status: str = ""
    overdue: bool = False
    q: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> DecisionFilters:
        return cls(
            unit=(query.get("unit") or "").strip(),
            status=(query.get("status") or "").strip(),
            overdue=(query.get("overdue") or "") in ("1", "on", "true"),
            q=(query.get("q") or "").strip()[:50],
        )

    @property
    def active(self) -> bool:
        return bool(self.unit or self.status or self.overdue or self.q)


def overdue_q(on: dt.date) -> Q:
    """Late: still in progress after the planned day, or implemented after it."""
    return Q(status=Status.IN_PROGRESS, due_on__lt=on) | Q(
        status=Status.DONE, done_on__gt=F("due_on")
    )


def villages(actor: Actor, perm: str = wf.VIEW) -> QuerySet[Unit]:
    """The villages/communities where `perm` is granted (the unit filter)."""
    return (
        Unit.objects.visible_to(actor, perm)
        .filter(kind=UnitKind.VILLAGE, is_active=True)
        .order_by("path")
    )


def decision_list(actor: Actor, filters: DecisionFilters) -> QuerySet[Decision]:
    """Decisions in scope as filtered, newest decided first, with the unit (no N+1)."""
    qs = Decision.objects.visible_to(actor, wf.VIEW).select_related("unit")
    if filters.unit:
        try:
            unit = Unit.objects.get(public_id=filters.unit)
        except (Unit.DoesNotExist, ValueError, ValidationError):
            return qs.none()
        qs = qs.filter(unit__path__startswith=unit.path)
    if filters.status in Status.values:
        qs = qs.filter(status=filters.status)
    if filters.overdue:
        qs = qs.filter(overdue_q(today()))
    if filters.q:
        qs = qs.filter(
            Q(title__icontains=filters.q)
            | Q(responsible__icontains=filters.q)
            | Q(project__icontains=filters.q)
        )
    return qs.order_by("-decided_on", "-id")


def decision_get(actor: Actor, public_id: Any, perm: str = wf.VIEW) -> Decision:
    """One decision in scope (404 otherwise) with its unit and sources."""
    return cast(
        Decision,
        Decision.objects.select_related(
            "unit", "responsible_unit", "item__meeting", "matter"
        ).get_visible(actor, perm, public_id=public_id),
    )


def milestone_get(actor: Actor, public_id: Any, perm: str = wf.VIEW) -> Milestone:
    return cast(
        Milestone,
        Milestone.objects.select_related("decision__unit", "case").get_visible(
            actor, perm, public_id=public_id
        ),
    )


def milestones(decision: Decision) -> list[Milestone]:
    """The steps in order with their linked request."""
    return list(Milestone.objects.filter(decision=decision).select_related("case"))


def linked_cases(decision: Decision) -> list[Case]:
    return list(decision.cases.select_related("unit").order_by("-received_at", "-id"))


def timeline(decision: Decision) -> list[ProgressUpdate]:
    """Every progress update of the decision's steps, newest first (staff: with the user)."""
    return list(
        ProgressUpdate.objects.filter(milestone__decision=decision)
        .select_related("milestone", "actor")
        .order_by("-at", "-id")
    )


def case_in_unit(unit: Unit, tracking_no: str) -> Case | None:
    """A request of the village by its tracking number (what staff type to link one)."""
    tracking_no = (tracking_no or "").strip().upper()
    if not tracking_no:
        return None
    return Case.objects.filter(tracking_no=tracking_no, place_path__startswith=unit.path).first()


def case_linked(decision: Decision, public_id: Any) -> Case:
    try:
        case = decision.cases.filter(public_id=public_id).first()
    except (ValueError, ValidationError) as exc:
        raise Http404("不存在") from exc
    if case is None:
        raise Http404("不存在")
    return case


def source_item(actor: Actor, public_id: Any) -> AgendaItem:
    """An agenda item to record a decision from (where the actor runs meetings)."""
    return cast(
        AgendaItem,
        AgendaItem.objects.select_related("meeting__unit", "matter").get_visible(
            actor, wf.RUN, public_id=public_id
        ),
    )


def source_matter(actor: Actor, public_id: Any) -> Matter:
    return cast(
        Matter,
        Matter.objects.select_related("unit").get_visible(actor, wf.RUN, public_id=public_id),
    )


def candidate_items(actor: Actor) -> list[AgendaItem]:
    """Items decided at meetings that have no decision yet (the create page's picker)."""
    has_decision = Decision.objects.filter(item_id=OuterRef("pk"))
    return list(
        AgendaItem.objects.visible_to(actor, wf.RUN)
        .filter(status__in=ITEM_DECIDED)
        .exclude(Exists(has_decision))
        .select_related("meeting__unit")
        .order_by("-decided_at", "-id")[:CANDIDATE_LIMIT]
    )


def candidate_matters(actor: Actor) -> list[Matter]:
    """Matters with an adopted resolution (a matter may have several decisions)."""
    return list(
        Matter.objects.visible_to(actor, wf.RUN)
        .filter(status__in=MATTER_DECIDED)
        .select_related("unit")
        .order_by("-updated_at", "-id")[:CANDIDATE_LIMIT]
    )


def responsible_units(unit: Unit) -> list[Unit]:
    """The village, its grids, and the levels above it (the responsible-unit choices)."""
    above = unit.path.strip("/").split("/")[:-1]
    return list(
        Unit.objects.filter(is_active=True)
        .filter(
            Q(path__startswith=unit.path, kind__in=(UnitKind.VILLAGE, UnitKind.GRID))
            | Q(code__in=above, kind=UnitKind.TOWNSHIP)
        )
        .order_by("path")
    )


# --- residents' side ------------------------------------------------------------------------


def public_village(code: str) -> Unit:
    village = Unit.objects.filter(code=code, kind=UnitKind.VILLAGE, is_active=True).first()
    if village is None:
        raise Http404("没有找到该村/社区")
    return village


def public_decisions(village: Unit) -> QuerySet[Decision]:
    """A village's public decisions: in progress first by due day, then the rest."""
    return Decision.objects.filter(unit=village, is_public=True).order_by("-decided_on", "-id")


def public_decision(public_id: Any) -> Decision:
    try:
        decision = (
            Decision.objects.select_related("unit")
            .filter(public_id=public_id, is_public=True)
            .first()
        )
    except (ValueError, ValidationError) as exc:
        raise Http404("不存在") from exc
    if decision is None:
        raise Http404("不存在")
    return decision


def public_milestones(decision: Decision) -> list[Milestone]:
    """Steps with their timeline (oldest first): post labels only, no user rows loaded."""
    updates = ProgressUpdate.objects.only(
        "id", "milestone_id", "progress", "note", "actor_label", "at"
    ).order_by("at", "id")
    return list(
        Milestone.objects.filter(decision=decision)
        .select_related("case")
        .prefetch_related(Prefetch("updates", queryset=updates))
    )
