"""Reads of the territory tree; every selector that returns units takes the actor and scopes.

Scoping is `Unit.objects.visible_to(actor, perm)` (lianxin.core.scope): a unit outside the
actor's posts is absent, so detail pages answer 404.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.apps import apps
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from lianxin.core.scope import Actor, ScopedQuerySet, path_q
from lianxin.territory.models import ALLOWED_PARENT_KINDS, PERM_MANAGE, PERM_VIEW, Unit, UnitChange

# How many candidates a move/merge form offers at most (the search root keeps them few).
CANDIDATE_LIMIT = 500


def _units() -> ScopedQuerySet:
    return Unit.objects.select_related("parent", "merged_into")


def _one_or_404(rows: QuerySet[Unit]) -> Unit:
    # Same answer whether the unit exists elsewhere or not (DESIGN.md invariant 1).
    found = list(rows[:2])
    if len(found) != 1:
        raise Http404("不存在或无权访问")
    return found[0]


def unit_get(actor: Actor, public_id: Any, *, perm: str = PERM_VIEW) -> Unit:
    """The unit with this public id inside the actor's scope for `perm`, or Http404."""
    try:
        public_id = UUID(str(public_id))
    except ValueError as exc:
        raise Http404("不存在或无权访问") from exc
    return _one_or_404(_units().visible_to(actor, perm).filter(public_id=public_id))


def unit_get_by_code(actor: Actor, code: str, *, perm: str = PERM_VIEW) -> Unit:
    """Look a unit up by its short code or 12-digit statistical code, in scope, or Http404."""
    code = (code or "").strip()
    if not code:
        raise Http404("不存在或无权访问")
    return _one_or_404(_units().visible_to(actor, perm).filter(Q(code=code) | Q(stat_code=code)))


def units_visible(actor: Actor, *, perm: str = PERM_VIEW) -> QuerySet[Unit]:
    """Every unit in the actor's scope (for the API list and look-ups)."""
    return _units().visible_to(actor, perm).order_by("path")


def units_for_browse(actor: Actor) -> QuerySet[Unit]:
    """The roots of the actor's scope: the units of their posts that grant territory.view."""
    return _units().filter(path__in=actor.scope_paths(PERM_VIEW)).order_by("path")


def unit_ancestors(unit: Unit) -> list[Unit]:
    """Ancestors from the root down (for breadcrumbs), in one query on the path prefixes."""
    codes = unit.path_codes[:-1]
    prefixes = ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]
    if not prefixes:
        return []
    return list(Unit.objects.filter(path__in=prefixes).order_by("depth"))


@dataclass
class Crumb:
    unit: Unit
    linked: bool  # inside the actor's scope, so a link would not 404


def unit_breadcrumbs(actor: Actor, unit: Unit) -> list[Crumb]:
    """Ancestors with a flag telling which ones the actor may open."""
    return [Crumb(a, actor.can(PERM_VIEW, a.path)) for a in unit_ancestors(unit)]


def unit_children(actor: Actor, unit: Unit, *, include_retired: bool = False) -> QuerySet[Unit]:
    """Children of a unit in the actor's scope, each annotated with `child_count` (active).

    Household counts come from `household_counts` (one more query for a whole page).
    """
    rows = Unit.objects.visible_to(actor, PERM_VIEW).filter(parent=unit)
    if not include_retired:
        rows = rows.filter(is_active=True)
    return (
        rows.select_related("merged_into")
        .annotate(child_count=Count("children", filter=Q(children__is_active=True)))
        .order_by("-is_active", "sort_order", "code")
    )


def household_counts(units: list[Unit]) -> dict[int, int]:
    """Active households in the subtree of each unit, in one query for the whole list.

    The households under the units' common parent are grouped by unit path in the database and
    summed per child in Python, so the query count does not grow with the number of rows.
    """
    if not units:
        return {}
    Household = apps.get_model("people", "Household")
    # Siblings share their parent's path: one prefix (one index range) instead of one per row.
    parents = {u.path[: u.path.rstrip("/").rfind("/") + 1] for u in units}
    per_path = (
        Household.objects.filter(path_q("unit__path", parents), is_active=True)
        .values("unit__path")
        .annotate(n=Count("id"))
        .order_by()
    )
    # A listed unit sits at position `depth` of the paths below it: /41/4108/... → 41 at 0.
    index = {(u.depth, u.code): u.pk for u in units}
    depths = sorted({u.depth for u in units})
    totals: Counter[int] = Counter()
    for row in per_path:
        parts = row["unit__path"].strip("/").split("/")
        for depth in depths:
            pk = index.get((depth, parts[depth])) if depth < len(parts) else None
            if pk is not None:
                totals[pk] += row["n"]
                break
    return dict(totals)


def unit_household_count(unit: Unit) -> tuple[int, int]:
    """(households hanging directly on the unit, households in its whole subtree), active ones."""
    Household = apps.get_model("people", "Household")
    agg = Household.objects.filter(is_active=True, unit__path__startswith=unit.path).aggregate(
        total=Count("id"), direct=Count("id", filter=Q(unit_id=unit.pk))
    )
    return agg["direct"], agg["total"]


def unit_dependents(unit: Unit) -> list[str]:
    """What still hangs on a unit and blocks retiring it, as phrases for messages.

    Households and posts belong to later apps, so they are looked up by name at run time.
    """
    blockers: list[str] = []
    children = unit.children.filter(is_active=True).count()
    if children:
        blockers.append(f"{children} 个在用的下级单元")
    households = (
        apps.get_model("people", "Household").objects.filter(unit=unit, is_active=True).count()
    )
    if households:
        blockers.append(f"{households} 户在册家庭")
    posts = apps.get_model("accounts", "Post").objects.filter(unit=unit, is_active=True).count()
    if posts:
        blockers.append(f"{posts} 个在岗岗位")
    return blockers


def unit_history(unit: Unit, *, limit: int = 50) -> list[UnitChange]:
    """The newest history rows of a unit (append-only)."""
    return list(
        UnitChange.objects.filter(unit=unit).select_related("actor").order_by("-at", "-id")[:limit]
    )


def _search_root(unit: Unit) -> str:
    """Where move/merge candidates are looked for: under the unit's grandparent."""
    codes = unit.path_codes
    return "/" + "/".join(codes[: max(len(codes) - 2, 1)]) + "/"


def unit_move_targets(actor: Actor, unit: Unit) -> QuerySet[Unit]:
    """Active units the actor manages that `unit` may be moved under (not its own subtree)."""
    kinds = ALLOWED_PARENT_KINDS.get(unit.kind, frozenset())
    return (
        Unit.objects.visible_to(actor, PERM_MANAGE)
        .filter(kind__in=kinds, is_active=True, path__startswith=_search_root(unit))
        .exclude(path__startswith=unit.path)
        .exclude(pk=unit.parent_id)
        .select_related("parent")
        .order_by("path")[:CANDIDATE_LIMIT]
    )


def unit_merge_targets(actor: Actor, unit: Unit) -> QuerySet[Unit]:
    """Active units of the same kind the actor manages that `unit` may be merged into."""
    return (
        Unit.objects.visible_to(actor, PERM_MANAGE)
        .filter(kind=unit.kind, is_active=True, path__startswith=_search_root(unit))
        .exclude(pk=unit.pk)
        .select_related("parent")
        .order_by("path")[:CANDIDATE_LIMIT]
    )
