"""Reads of the project list (项目清单): demand-side projects in the actor's scope (a village
sees its own, a township its villages, the county all), the county's supply-side library with
what is allocated from it, and the sums of funds per township."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.scope import path_q
from lianxin.stars.defaults import DEFAULT_SETS
from lianxin.stars.models import Star
from lianxin.territory.models import Unit, UnitKind
from lianxin.worklists import workflow as wf
from lianxin.worklists.models import DemandProject, ProjectUpdate, SupplyProject
from lianxin.worklists.services.projects import HOLDING

Status = DemandProject.Status
MAX_UNIT_OPTIONS = 500
ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=16, decimal_places=2))


def _year(value: str | None) -> int | None:
    try:
        year = int(value or "")
    except ValueError:
        return None
    return year if 2000 <= year <= 2100 else None


@dataclass(frozen=True)
class ProjectFilters:
    year: int | None = None
    status: str = ""
    unit: str = ""  # a township's or village's code
    q: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> ProjectFilters:
        status = (query.get("status") or "").strip()
        return cls(
            year=_year(query.get("year")),
            status=status if status in Status.values else "",
            unit=(query.get("unit") or "").strip()[:40],
            q=(query.get("q") or "").strip()[:50],
        )

    @property
    def active(self) -> bool:
        return bool(self.year or self.status or self.unit or self.q)


def demands_for(actor: Actor, filters: ProjectFilters | None = None) -> QuerySet[DemandProject]:
    """Demand-side projects in the actor's scope, with village, township and supply project
    (one query per page)."""
    filters = filters or ProjectFilters()
    qs = DemandProject.objects.visible_to(actor, wf.VIEW).select_related(
        "unit", "unit__parent", "supply"
    )
    if filters.year:
        qs = qs.filter(year=filters.year)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.unit:
        unit = Unit.objects.filter(code=filters.unit).only("path").first()
        qs = qs.filter(unit__path__startswith=unit.path) if unit else qs.none()
    if filters.q:
        qs = qs.filter(Q(name__contains=filters.q) | Q(description__contains=filters.q))
    return qs.order_by("-year", "unit__path", "-id")


def township_sums(actor: Actor, filters: ProjectFilters | None = None) -> list[dict[str, Any]]:
    """Per township: projects, funds requested, allocated and spent (one query), with a total
    row last. Declined projects count as filed but hold no funds."""
    rows = list(
        demands_for(actor, filters)
        .order_by()
        .values("unit__parent__display_name", "unit__parent__path")
        .annotate(
            count=Count("id"),
            matched=Count("id", filter=Q(status__in=sorted(HOLDING))),
            done=Count("id", filter=Q(status=Status.DONE)),
            requested=Coalesce(Sum("funds_requested"), ZERO),
            allocated=Coalesce(Sum("funds_allocated"), ZERO),
            spent=Coalesce(Sum("funds_spent"), ZERO),
        )
        .order_by("unit__parent__path")
    )
    out = [
        {
            "name": r["unit__parent__display_name"] or "—",
            "count": r["count"],
            "matched": r["matched"],
            "done": r["done"],
            "requested": r["requested"],
            "allocated": r["allocated"],
            "spent": r["spent"],
        }
        for r in rows
    ]
    if len(out) > 1:
        out.append(
            {
                "name": "合计",
                "total": True,
                **{
                    k: sum((r[k] for r in out), Decimal(0) if k in MONEY_KEYS else 0)
                    for k in ("count", "matched", "done", *MONEY_KEYS)
                },
            }
        )
    return out


MONEY_KEYS = ("requested", "allocated", "spent")


def demand_get(actor: Actor, public_id: Any, perm: str = wf.VIEW) -> DemandProject:
    """One demand project in the actor's scope for `perm` (404 otherwise)."""
    project: DemandProject = DemandProject.objects.select_related(
        "unit", "unit__parent", "supply"
    ).get_visible(actor, perm, public_id=public_id)
    return project


def demand_updates(project: DemandProject) -> QuerySet[ProjectUpdate]:
    return ProjectUpdate.objects.filter(project=project).order_by("at", "id")


def demand_units(actor: Actor, perm: str = wf.PROJECTS) -> QuerySet[Unit]:
    """Villages and communities where the actor holds `perm` (the filing form)."""
    return (
        Unit.objects.filter(path_q("path", actor.scope_paths(perm)))
        .filter(kind=UnitKind.VILLAGE, is_active=True)
        .order_by("path")[:MAX_UNIT_OPTIONS]
    )


def filter_units(actor: Actor) -> list[Unit]:
    """Townships and villages for the list's filter (townships first in tree order)."""
    return list(
        Unit.objects.filter(path_q("path", actor.scope_paths(wf.VIEW)))
        .filter(kind__in=[UnitKind.TOWNSHIP, UnitKind.VILLAGE], is_active=True)
        .order_by("path")[:MAX_UNIT_OPTIONS]
    )


def library_counties(actor: Actor) -> list[Unit]:
    """Counties whose library the actor keeps (county-level posts with the projects perm)."""
    paths = [
        p.unit_path
        for p in actor.posts_with(wf.PROJECTS)
        if p.unit_kind in (UnitKind.COUNTY, UnitKind.CITY, UnitKind.PROVINCE)
    ]
    if not paths:
        return []
    return list(
        Unit.objects.filter(path_q("path", paths), kind=UnitKind.COUNTY, is_active=True).order_by(
            "path"
        )[:MAX_UNIT_OPTIONS]
    )


def supplies_for(
    actor: Actor, *, year: int | None = None, open_only: bool = False
) -> QuerySet[SupplyProject]:
    """The library in the actor's scope (county level only: a township's or village's scope
    holds no county row), with funds allocated and the number of demands matched."""
    qs = SupplyProject.objects.visible_to(actor, wf.VIEW).select_related("county")
    if year:
        qs = qs.filter(year=year)
    if open_only:
        qs = qs.filter(is_open=True)
    return qs.annotate(
        allocated=Coalesce(
            Sum("matches__funds_allocated", filter=Q(matches__status__in=sorted(HOLDING))), ZERO
        ),
        spent=Coalesce(
            Sum("matches__funds_spent", filter=Q(matches__status__in=sorted(HOLDING))), ZERO
        ),
        match_count=Count("matches", filter=Q(matches__status__in=sorted(HOLDING))),
    ).order_by("-year", "department", "name", "id")


def supply_get(actor: Actor, public_id: Any, perm: str = wf.VIEW) -> SupplyProject:
    supply: SupplyProject = SupplyProject.objects.select_related("county").get_visible(
        actor, perm, public_id=public_id
    )
    return supply


def supply_matches(supply: SupplyProject) -> QuerySet[DemandProject]:
    """Demands matched to a library project (the county sees them all)."""
    return (
        DemandProject.objects.filter(supply=supply)
        .select_related("unit", "unit__parent")
        .order_by("unit__path", "id")
    )


def match_options(actor: Actor, project: DemandProject) -> list[SupplyProject]:
    """Open library projects the demand can be matched to, with what is left of each."""
    items = list(
        supplies_for(actor, open_only=True).filter(county__path__in=_ancestor_paths(project.unit))
    )
    for s in items:
        s.left = s.funds - s.allocated  # type: ignore[attr-defined]
    return items


def _ancestor_paths(unit: Unit) -> list[str]:
    codes = unit.path_codes
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


def star_choices(year: int | None = None) -> list[tuple[str, str]]:
    """Stars a project can support: the codes and names of the year's catalogs (any county),
    else of the default catalogs."""
    year = year or clock.today().year
    rows = (
        Star.objects.filter(star_set__year=year, is_active=True)
        .order_by("sort_order", "code")
        .values_list("code", "name")
    )
    seen: dict[str, str] = {}
    for code, name in rows:
        seen.setdefault(code, name)
    if not seen:
        for _name, stars in DEFAULT_SETS.values():
            for code, star_name, *_rest in stars:
                seen.setdefault(code, star_name)
    return list(seen.items())


def star_names(year: int | None = None) -> dict[str, str]:
    return dict(star_choices(year))
