"""Routing (三事分流 → who leads): category × level × territory → handler.

Rules are data (`RoutingRule`); `route` picks the most specific active rule whose territory
contains the request's place, and falls back to the defaults of the issue's triage rule:
大事 → the street (or the category's department kind), 小事 → the village/community with its
grid, 私事 → the village/community, which guides the resident.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from lianxin.accounts.models import Department, Post
from lianxin.cases.models import Category, MediationTeam, RoutingRule
from lianxin.cases.workflow import Level
from lianxin.territory.models import Unit


@dataclass(frozen=True)
class Handler:
    unit: Unit | None
    department: Department | None = None
    team: MediationTeam | None = None
    assignee_id: int | None = None
    rule: RoutingRule | None = None

    @property
    def label(self) -> str:
        parts = [str(x) for x in (self.department, self.team) if x is not None]
        if self.unit is not None:
            parts.insert(0, self.unit.display_name)
        return " · ".join(parts) or "未指定"


def ancestor_prefixes(path: str) -> list[str]:
    """'/41/4108/410883/' → ['/41/', '/41/4108/', '/41/4108/410883/']."""
    codes = [c for c in path.split("/") if c]
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


def ancestor_of_kind(path: str, kind: str) -> Unit | None:
    """The unit of `kind` on the way from the root to `path` (the unit itself included)."""
    return (
        Unit.objects.filter(path__in=ancestor_prefixes(path), kind=kind).order_by("-depth").first()
    )


def matching_rule(*, place_path: str, category: Category | None, level: str) -> RoutingRule | None:
    cat_ids = []
    node = category
    while node is not None:  # a rule on a parent category covers its children
        cat_ids.append(node.pk)
        node = node.parent
    rules = list(
        RoutingRule.objects.filter(is_active=True, unit__path__in=ancestor_prefixes(place_path))
        .filter(Q(category__isnull=True) | Q(category_id__in=cat_ids))
        .filter(Q(level="") | Q(level=level))
        .select_related(
            "unit", "handler_unit", "handler_department", "handler_team", "handler_post"
        )
    )
    if not rules:
        return None

    def specificity(r: RoutingRule) -> tuple[int, int, int, int]:
        cat_rank = cat_ids.index(r.category_id) if r.category_id in cat_ids else len(cat_ids)
        return (-r.unit.depth, cat_rank, 0 if r.level else 1, r.priority)

    return min(rules, key=specificity)


def _kind_unit(place_path: str, handler_kind: str) -> Unit | None:
    if handler_kind in {"grid", "village", "township"}:
        unit = ancestor_of_kind(place_path, handler_kind)
        if unit is None and handler_kind == "grid":  # villages without grids
            unit = ancestor_of_kind(place_path, "village")
        return unit
    return ancestor_of_kind(place_path, "township")


def route(*, place_path: str, category: Category | None, level: str) -> Handler:
    """Who should lead a request at `place_path` with this category and level."""
    rule = matching_rule(place_path=place_path, category=category, level=level)
    if rule is not None:
        if rule.handler_post_id:
            post: Post = rule.handler_post  # type: ignore[assignment]
            return Handler(unit=post.unit, assignee_id=post.user_id, rule=rule)
        if rule.handler_kind == "department" and rule.handler_department_id:
            dept = rule.handler_department
            return Handler(unit=_kind_unit(place_path, "township"), department=dept, rule=rule)
        if rule.handler_kind == "team" and rule.handler_team_id:
            team = rule.handler_team
            return Handler(unit=team.unit if team else None, team=team, rule=rule)
        unit = rule.handler_unit or _kind_unit(place_path, rule.handler_kind)
        return Handler(unit=unit, rule=rule)
    default_kind = category.default_handler_kind if category else "village"
    if level == Level.BIG:
        kind = default_kind if default_kind in {"township", "department"} else "township"
    elif level == Level.SMALL:
        kind = default_kind if default_kind in {"village", "grid"} else "village"
    else:
        kind = "village"
    return Handler(unit=_kind_unit(place_path, kind))
