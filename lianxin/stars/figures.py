"""Five-star creation figures per unit and year, for the figures page, the API and other apps
(insights dashboards, reports; docs/stars-plans.md, "Figures").

`unit_figures(unit, year)` answers a plain dict (ints, Decimals, strings; JSON-able with
Django's encoder) about the village-level branches under `unit` (a county, a township, or one
village). It reads without scoping: the caller (a view, or another app's service that already
checked its actor at `unit`) decides who may see them. A fixed number of queries whatever the
unit's size: every family is one query keyed by the village, folded in Python into the total
and, with ``by_child=True`` (the default), into one row per child unit (townships of a county,
villages of a township).

Keys:

- ``unit``, ``name``, ``kind``, ``year``;
- ``branches``: active village-level units (村、社区) under the unit;
- ``share_3plus``: share of branches whose held stars of the year make three or more, 4 places
  (None without branches);
- ``levels``: one row per level 5 → 0: ``level``, ``label``, ``achieved`` (branches at that
  level), ``planned`` (plans submitted to or confirmed by the township whose target level it
  is), ``quota`` (the townships' quotas for it; 0 for level 0);
- ``by_star``: star code → ``name``, ``awarded`` (branches holding it), ``planned`` (plans
  submitted or confirmed targeting it), in the catalog's order;
- ``plans``: ``draft``, ``submitted``, ``confirmed``;
- ``declarations``: ``total`` and ``by_status`` (status → count, every status present, both the
  stars and the progress star 进步星);
- ``progress``: progress stars held (``count``) and their awards (``amount``, yuan);
- ``contests`` (total only): round code → the top entries (``TOP`` at most; the county final's
  first, then the heats' by rank and score), each ``unit``, ``name``, ``contest``,
  ``is_final``, ``rank``, ``average_score``, ``advanced``;
- ``children`` (only with ``by_child=True``, not for a village): per child unit ``code``,
  ``name``, ``is_self`` and the same keys (without ``contests`` and ``children``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber

from lianxin.stars import workflow as wf
from lianxin.stars.models import (
    ContestEntry,
    CreationPlan,
    Declaration,
    PlanStar,
    Quota,
    Star,
    StarAward,
)
from lianxin.stars.models.contests import ContestRound
from lianxin.stars.models.declarations import DeclarationKind
from lianxin.stars.services.quotas import LEVEL_LABELS
from lianxin.territory.models import Unit, UnitKind

SHARE = wf.SHARE
TOP = 5
LEVELS_DOWN = (5, 4, 3, 2, 1, 0)
PLANNED = (CreationPlan.Status.SUBMITTED, CreationPlan.Status.CONFIRMED)
PLAN_STATUSES = tuple(CreationPlan.Status.values)
DECLARATION_STATUSES = tuple(Declaration.Status.values)


@dataclass
class Branch:
    """What one village contributes to the figures."""

    path: str
    stars: set[str] = field(default_factory=set)
    progress: int = 0
    amount: Decimal = Decimal(0)
    plan_status: str = ""
    target_level: int = 0
    targets: set[str] = field(default_factory=set)
    declarations: Counter[str] = field(default_factory=Counter)

    @property
    def level(self) -> int:
        return wf.level_of(len(self.stars))


def _share(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(SHARE, ROUND_HALF_UP) if whole else None


def _branches(unit: Unit, year: int) -> dict[int, Branch]:
    """The active villages under `unit` with their year (five queries)."""
    path = unit.path
    out = {
        pk: Branch(p)
        for pk, p in Unit.objects.filter(
            path__startswith=path, kind=UnitKind.VILLAGE, is_active=True
        ).values_list("id", "path")
    }
    awards = (
        StarAward.objects.filter(unit__path__startswith=path, year=year, withdrawn_on__isnull=True)
        .values_list("unit_id", "kind", "star_code", "amount")
        .order_by()
    )
    for unit_id, kind, code, amount in awards:
        b = out.get(unit_id)
        if b is None:
            continue
        if kind == DeclarationKind.PROGRESS:
            b.progress += 1
            b.amount += amount or 0
        else:
            b.stars.add(code)
    plans = (
        CreationPlan.objects.filter(unit__path__startswith=path, year=year)
        .values_list("unit_id", "status", "target_level")
        .order_by()
    )
    for unit_id, status, target in plans:
        if unit_id in out:
            out[unit_id].plan_status, out[unit_id].target_level = status, target
    targets = (
        PlanStar.objects.filter(
            plan__unit__path__startswith=path,
            plan__year=year,
            plan__status__in=PLANNED,
            is_target=True,
        )
        .values_list("plan__unit_id", "star__code")
        .order_by()
    )
    for unit_id, code in targets:
        if unit_id in out:
            out[unit_id].targets.add(code)
    declarations = (
        Declaration.objects.filter(unit__path__startswith=path, year=year)
        .values("unit_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in declarations:
        if row["unit_id"] in out:
            out[row["unit_id"]].declarations[row["status"]] += row["n"]
    return out


def _star_names(unit: Unit, year: int) -> dict[str, str]:
    """Star code → name, in the catalog's order, from the newest sets up to `year` of the
    counties at or under the unit (one query; a year without a catalog yet reads the last)."""
    codes = unit.path_codes
    above = ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]
    stars = (
        Star.objects.filter(
            Q(star_set__county__path__in=above) | Q(star_set__county__path__startswith=unit.path),
            star_set__year__lte=year,
            is_active=True,
        )
        .order_by("-star_set__year", "sort_order", "id")
        .values_list("star_set__year", "code", "name")
    )
    names: dict[str, str] = {}
    newest = None
    for y, code, name in stars:
        newest = newest or y
        if y == newest:
            names.setdefault(code, name)
    return names


def _quotas(unit: Unit, year: int) -> dict[str, Counter[int]]:
    """Quotas by township path (one query)."""
    out: dict[str, Counter[int]] = defaultdict(Counter)
    rows = (
        Quota.objects.filter(township__path__startswith=unit.path, year=year)
        .values_list("township__path", "level", "count")
        .order_by()
    )
    for path, level, n in rows:
        out[path][level] += n
    return out


def _contests(unit: Unit, year: int) -> dict[str, list[dict[str, Any]]]:
    """The top ranked entries of each round (one query)."""
    order = [
        F("contest__is_final").desc(),
        F("rank").asc(),
        F("average_score").desc(),
        F("unit__path").asc(),
    ]
    entries = (
        ContestEntry.objects.filter(
            unit__path__startswith=unit.path,
            contest__year=year,
            rank__isnull=False,
            rank__lte=TOP,
        )
        .annotate(pos=Window(RowNumber(), partition_by=[F("contest__round")], order_by=order))
        .filter(pos__lte=TOP)
        .select_related("contest", "unit")
        .order_by("contest__round", "pos")
    )
    out: dict[str, list[dict[str, Any]]] = {r: [] for r in ContestRound.values}
    for e in entries:
        top = out.setdefault(e.contest.round, [])
        if len(top) < TOP:
            top.append(
                {
                    "unit": e.unit.code,
                    "name": e.unit.display_name,
                    "contest": e.contest.title,
                    "is_final": e.contest.is_final,
                    "rank": e.rank,
                    "average_score": e.average_score,
                    "advanced": e.advanced,
                }
            )
    return out


def _shape(
    branches: list[Branch], quotas: dict[str, Counter[int]], names: dict[str, str]
) -> dict[str, Any]:
    """The documented keys from a set of branches and the quotas of the townships in it."""
    n = len(branches)
    quota: Counter[int] = Counter()
    for q in quotas.values():
        quota.update(q)
    achieved = Counter(b.level for b in branches)
    planned = Counter(b.target_level for b in branches if b.plan_status in PLANNED)
    awarded: Counter[str] = Counter()
    targeted: Counter[str] = Counter()
    declarations: Counter[str] = Counter()
    plans = Counter(b.plan_status for b in branches if b.plan_status)
    for b in branches:
        awarded.update(b.stars)
        targeted.update(b.targets)
        declarations.update(b.declarations)
    codes = list(names) + sorted((set(awarded) | set(targeted)) - set(names))
    return {
        "branches": n,
        "share_3plus": _share(sum(1 for b in branches if b.level >= 3), n),
        "levels": [
            {
                "level": level,
                "label": LEVEL_LABELS[level],
                "achieved": achieved[level],
                "planned": planned[level] if level else 0,
                "quota": quota[level] if level else 0,
            }
            for level in LEVELS_DOWN
        ],
        "by_star": {
            code: {
                "name": names.get(code, code),
                "awarded": awarded[code],
                "planned": targeted[code],
            }
            for code in codes
        },
        "plans": {s: plans[s] for s in PLAN_STATUSES},
        "declarations": {
            "total": sum(declarations.values()),
            "by_status": {s: declarations[s] for s in DECLARATION_STATUSES},
        },
        "progress": {
            "count": sum(b.progress for b in branches),
            "amount": sum((b.amount for b in branches), Decimal(0)).quantize(wf.MONEY),
        },
    }


def _children(
    unit: Unit,
    branches: dict[int, Branch],
    quotas: dict[str, Counter[int]],
    names: dict[str, str],
) -> list[dict[str, Any]]:
    """One row per child unit, folding villages (and quotas) by the path segment right below
    `unit`; inactive children without branches are left out."""
    prefix = unit.path

    def segment(path: str) -> str:
        return path[len(prefix) :].split("/", 1)[0]

    by_child: dict[str, list[Branch]] = defaultdict(list)
    for b in branches.values():
        by_child[segment(b.path)].append(b)
    child_quotas: dict[str, dict[str, Counter[int]]] = defaultdict(dict)
    for path, q in quotas.items():
        child_quotas[segment(path)][path] = q
    out: list[dict[str, Any]] = []
    for child in Unit.objects.filter(parent=unit).order_by("sort_order", "path"):
        code = child.path[len(prefix) : -1]
        rows = by_child.get(code, [])
        if not rows and not child.is_active:
            continue
        if child.kind not in (UnitKind.TOWNSHIP, UnitKind.VILLAGE, UnitKind.COUNTY):
            continue
        out.append(
            {
                "code": child.code,
                "name": child.display_name,
                "is_self": False,
                **_shape(rows, child_quotas.get(code, {}), names),
            }
        )
    return out


def unit_figures(unit: Unit, year: int, *, by_child: bool = True) -> dict[str, Any]:
    """Five-star figures of the branches under `unit` for `year` (see the module doc). Nine
    queries (ten with the children), whatever the unit's size."""
    branches = _branches(unit, year)
    quotas = _quotas(unit, year)
    names = _star_names(unit, year)
    out: dict[str, Any] = {
        "unit": unit.code,
        "name": unit.display_name,
        "kind": unit.kind,
        "year": year,
        **_shape(list(branches.values()), quotas, names),
        "contests": _contests(unit, year),
    }
    if by_child and unit.kind not in (UnitKind.VILLAGE, UnitKind.GRID, UnitKind.BUILDING):
        out["children"] = _children(unit, branches, quotas, names)
    return out
