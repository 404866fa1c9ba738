"""Reads of the creation plans (创星规划) and quotas. Every read starts from
`<Model>.objects.visible_to(actor, stars.view)`: a plan outside the reader's units is absent
(404), a township sees its villages' plans, the county all of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from lianxin.accounts.actor import Actor
from lianxin.core.scope import path_q
from lianxin.stars import workflow as wf
from lianxin.stars.models import CreationPlan, PlanMeasure, PlanMilestone, PlanStar
from lianxin.territory.models import Unit, UnitKind

Status = CreationPlan.Status


def plans_for(actor: Actor) -> QuerySet[CreationPlan]:
    """Plans under the actor's `stars.view` posts, newest year first, by township and village."""
    return (
        CreationPlan.objects.visible_to(actor, wf.VIEW)
        .select_related("unit", "unit__parent")
        .annotate(
            measures_n=Count("measures", distinct=True),
            measures_done=Count(
                "measures", filter=Q(measures__done_on__isnull=False), distinct=True
            ),
        )
        .order_by("-year", "unit__parent__path", "unit__sort_order", "unit__path")
    )


def filtered_plans(
    actor: Actor, *, year: int, township: Unit | None = None, status: str = ""
) -> QuerySet[CreationPlan]:
    qs = plans_for(actor).filter(year=year)
    if township is not None:
        qs = qs.filter(unit__path__startswith=township.path)
    if status in Status.values:
        qs = qs.filter(status=status)
    return qs


def villages_for(actor: Actor, township: Unit | None = None) -> QuerySet[Unit]:
    """The villages and communities the actor sees."""
    qs = Unit.objects.filter(path_q("path", actor.scope_paths(wf.VIEW))).filter(
        kind=UnitKind.VILLAGE, is_active=True
    )
    if township is not None:
        qs = qs.filter(path__startswith=township.path)
    return qs


def drafting_units(actor: Actor) -> list[Unit]:
    """The villages whose plans the actor drafts (`stars.declare`)."""
    paths = actor.scope_paths(wf.DECLARE)
    if not paths:
        return []
    return list(
        Unit.objects.filter(path_q("path", paths))
        .filter(kind=UnitKind.VILLAGE, is_active=True)
        .order_by("path")
    )


@dataclass(frozen=True)
class YearFigures:
    villages: int
    plans: int
    draft: int
    submitted: int
    confirmed: int


def year_figures(actor: Actor, year: int, township: Unit | None = None) -> YearFigures:
    """How far the year's plans have come under the actor (two queries)."""
    qs = CreationPlan.objects.visible_to(actor, wf.VIEW).filter(year=year)
    if township is not None:
        qs = qs.filter(unit__path__startswith=township.path)
    agg = qs.aggregate(
        n=Count("id"),
        draft=Count("id", filter=Q(status=Status.DRAFT)),
        submitted=Count("id", filter=Q(status=Status.SUBMITTED)),
        confirmed=Count("id", filter=Q(status=Status.CONFIRMED)),
    )
    return YearFigures(
        villages=villages_for(actor, township).count(),
        plans=agg["n"],
        draft=agg["draft"],
        submitted=agg["submitted"],
        confirmed=agg["confirmed"],
    )


def plan_get(actor: Actor, public_id: Any) -> CreationPlan:
    """One plan in the actor's scope (404 otherwise)."""
    plan: CreationPlan = CreationPlan.objects.select_related("unit", "unit__parent").get_visible(
        actor, wf.VIEW, public_id=public_id
    )
    return plan


def plan_stars(plan: CreationPlan) -> list[PlanStar]:
    """The plan's stars in the set's order."""
    rows = list(
        PlanStar.objects.filter(plan=plan).select_related("star").order_by("star__sort_order")
    )
    for r in rows:
        r.plan = plan
    return rows


def plan_measures(plan: CreationPlan) -> list[PlanMeasure]:
    rows = list(
        PlanMeasure.objects.filter(plan=plan)
        .select_related("star")
        .order_by("sort_order", "deadline", "id")
    )
    for r in rows:
        r.plan = plan
    return rows


def plan_milestones(plan: CreationPlan) -> list[PlanMilestone]:
    rows = list(PlanMilestone.objects.filter(plan=plan).order_by("due_on", "id"))
    for r in rows:
        r.plan = plan
    return rows


def measure_get(plan: CreationPlan, public_id: Any) -> PlanMeasure:
    """A measure of a plan the caller already read in scope."""
    try:
        measure = PlanMeasure.objects.select_related("star").get(plan=plan, public_id=public_id)
    except (PlanMeasure.DoesNotExist, ValueError) as exc:
        raise Http404("没有该举措") from exc
    measure.plan = plan
    return measure


def milestone_get(plan: CreationPlan, public_id: Any) -> PlanMilestone:
    try:
        milestone = PlanMilestone.objects.get(plan=plan, public_id=public_id)
    except (PlanMilestone.DoesNotExist, ValueError) as exc:
        raise Http404("没有该时间节点") from exc
    milestone.plan = plan
    return milestone


def own_plan(actor: Actor, year: int) -> CreationPlan | None:
    """The year's plan of the village the actor drafts for (its first one)."""
    units = drafting_units(actor)
    if not units:
        return None
    return CreationPlan.objects.filter(unit__in=units, year=year).order_by("unit__path").first()
