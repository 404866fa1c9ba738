"""Reads of the manual inspections and rectification notices, scoped by `worklists.view`
(a village sees its own, a township its villages', the county all; outside: 404)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, QueryDict

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.errors import DomainError
from lianxin.core.scope import path_q
from lianxin.territory.models import Unit, UnitKind
from lianxin.worklists import workflow as wf
from lianxin.worklists.models import (
    Inspection,
    InspectionProblem,
    Rectification,
    RectificationEvent,
)
from lianxin.worklists.services.inspections import parse_quarter, shift_quarter, this_quarter

Status = Rectification.Status
OPEN = tuple(wf.RECTIFICATION_OPEN)


def quarters_for_picker() -> list[str]:
    now = this_quarter()
    return [shift_quarter(now, -d) for d in range(0, 8)]


def townships_for(actor: Actor) -> QuerySet[Unit]:
    return Unit.objects.filter(
        path_q("path", actor.scope_paths(wf.VIEW)), kind=UnitKind.TOWNSHIP, is_active=True
    ).order_by("path")


def villages_to_inspect(actor: Actor) -> QuerySet[Unit]:
    """The villages the actor may inspect (the create form's choices)."""
    return (
        Unit.objects.filter(
            path_q("path", actor.scope_paths(wf.INSPECT)), kind=UnitKind.VILLAGE, is_active=True
        )
        .select_related("parent")
        .order_by("path")
    )


@dataclass(frozen=True)
class InspectionFilters:
    quarter: str = ""
    township: str = ""
    unit: str = ""

    @classmethod
    def from_query(cls, params: QueryDict) -> InspectionFilters:
        quarter = (params.get("quarter") or "").strip()
        try:
            quarter = parse_quarter(quarter) if quarter else ""
        except DomainError:
            quarter = ""
        return cls(
            quarter=quarter,
            township=(params.get("township") or "").strip(),
            unit=(params.get("unit") or "").strip(),
        )


def _under(qs: QuerySet[Any], lookup: str, code: str) -> QuerySet[Any]:
    path = Unit.objects.filter(code=code).values_list("path", flat=True).first()
    return qs.filter(**{f"{lookup}__startswith": path}) if path else qs.none()


def inspections_for(actor: Actor, filters: InspectionFilters | None = None) -> QuerySet[Inspection]:
    """Inspections under the actor, newest first, with the problem count and the notice."""
    qs = (
        Inspection.objects.visible_to(actor, wf.VIEW)
        .select_related("unit", "unit__parent", "rectification")
        .annotate(problem_count=Count("problems"))
        .order_by("-quarter", "unit__path", "id")
    )
    if filters is not None:
        if filters.quarter:
            qs = qs.filter(quarter=filters.quarter)
        if filters.township:
            qs = _under(qs, "unit__path", filters.township)
        if filters.unit:
            qs = _under(qs, "unit__path", filters.unit)
    return qs


def inspection_get(actor: Actor, public_id: Any) -> Inspection:
    inspection: Inspection = Inspection.objects.select_related("unit", "unit__parent").get_visible(
        actor, wf.VIEW, public_id=public_id
    )
    return inspection


def inspection_problems(inspection: Inspection) -> list[InspectionProblem]:
    return list(InspectionProblem.objects.filter(inspection=inspection).order_by("id"))


def rectification_of(inspection: Inspection) -> Rectification | None:
    """The inspection's notice with its events oldest first (two queries), or None."""
    events = RectificationEvent.objects.order_by("at", "id")
    rect = (
        Rectification.objects.filter(inspection=inspection)
        .prefetch_related(Prefetch("events", queryset=events))
        .first()
    )
    if rect is not None:
        rect.inspection = inspection
    return rect


@dataclass(frozen=True)
class RectificationFilters:
    overdue: bool = False
    status: str = ""
    township: str = ""

    @classmethod
    def from_query(cls, params: QueryDict) -> RectificationFilters:
        status = (params.get("status") or "").strip()
        return cls(
            overdue=(params.get("overdue") or "") in {"1", "true", "yes"},
            status=status if status in Status.values or status == "open" else "",
            township=(params.get("township") or "").strip(),
        )


def rectifications_for(
    actor: Actor, filters: RectificationFilters | None = None, *, today: dt.date | None = None
) -> QuerySet[Rectification]:
    """Notices under the actor, the nearest deadline first."""
    qs = (
        Rectification.objects.visible_to(actor, wf.VIEW)
        .select_related("inspection", "inspection__unit", "inspection__unit__parent")
        .order_by("deadline", "id")
    )
    if filters is not None:
        if filters.overdue:
            qs = qs.filter(status__in=OPEN, deadline__lt=today or clock.today())
        if filters.status == "open":
            qs = qs.filter(status__in=OPEN)
        elif filters.status:
            qs = qs.filter(status=filters.status)
        if filters.township:
            qs = _under(qs, "inspection__unit__path", filters.township)
    return qs


def rectification_get(actor: Actor, public_id: Any) -> Rectification:
    rect: Rectification = Rectification.objects.select_related(
        "inspection", "inspection__unit", "inspection__unit__parent"
    ).get_visible(actor, wf.VIEW, public_id=public_id)
    return rect


def evidence_get(actor: Actor, public_id: Any, name: str) -> RectificationEvent:
    """An evidence file of a notice in the actor's scope, by its random file name."""
    rect = rectification_get(actor, public_id)
    if not name or "/" in name:
        raise Http404("文件不存在")
    event = (
        RectificationEvent.objects.filter(rectification=rect, evidence__endswith=f"/{name}")
        .order_by("id")
        .first()
    )
    if event is None or not event.evidence:
        raise Http404("文件不存在")
    return event


@dataclass
class SummaryRow:
    code: str
    name: str
    issued: int
    open: int
    overdue: int


def summary_by_township(actor: Actor, *, today: dt.date | None = None) -> list[SummaryRow]:
    """Notices per township (the village's parent): issued, open, overdue (one query)."""
    today = today or clock.today()
    rows = (
        Rectification.objects.visible_to(actor, wf.VIEW)
        .values("inspection__unit__parent__code", "inspection__unit__parent__display_name")
        .annotate(
            issued=Count("id"),
            open=Count("id", filter=Q(status__in=OPEN)),
            overdue=Count("id", filter=Q(status__in=OPEN, deadline__lt=today)),
        )
        .order_by("inspection__unit__parent__code")
    )
    return [
        SummaryRow(
            code=r["inspection__unit__parent__code"] or "",
            name=r["inspection__unit__parent__display_name"] or "",
            issued=r["issued"],
            open=r["open"],
            overdue=r["overdue"],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class QuarterFigures:
    villages: int
    inspected: int
    manual_complete: int
    open: int
    overdue: int


def quarter_figures(actor: Actor, quarter: str, township: str = "") -> QuarterFigures:
    """The quarter under the actor: villages, inspected, manuals complete; notices open and
    overdue now (three queries)."""
    villages = Unit.objects.filter(
        path_q("path", actor.scope_paths(wf.VIEW)), kind=UnitKind.VILLAGE, is_active=True
    )
    inspections = Inspection.objects.visible_to(actor, wf.VIEW).filter(quarter=quarter)
    rects = Rectification.objects.visible_to(actor, wf.VIEW).filter(status__in=OPEN)
    if township:
        villages = _under(villages, "path", township)
        inspections = _under(inspections, "unit__path", township)
        rects = _under(rects, "inspection__unit__path", township)
    agg = inspections.aggregate(n=Count("id"), complete=Count("id", filter=Q(manual_complete=True)))
    r = rects.aggregate(n=Count("id"), overdue=Count("id", filter=Q(deadline__lt=clock.today())))
    return QuarterFigures(
        villages=villages.count(),
        inspected=agg["n"],
        manual_complete=agg["complete"],
        open=r["n"],
        overdue=r["overdue"],
    )
