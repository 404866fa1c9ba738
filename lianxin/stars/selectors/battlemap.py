"""The battle map (挂图作战): for a year, every village and community in the actor's scope
(a county's, a township's, or the village's own row) against the stars of its set, each cell
coloured by where that star stands, with last year's and this year's level, the plan's target
level, and per township the quota row (quota vs planned vs achieved per level).

A cell's state, first that applies:

- ``awarded`` 已授星: a `StarAward` of the year for the star, not withdrawn;
- ``notice`` 公示中: the star's declaration is in a public notice;
- ``reviewing`` 审核中: declared and under review (submitted, township passed, approved);
- ``returned`` 已退回: the declaration was returned to the village;
- ``planned`` 计划争创: the star is targeted (`PlanStar.is_target`) in a plan submitted to or
  confirmed by the township, and nothing beyond a draft is declared;
- ``none`` 未计划: none of the above;
- ``na`` 不适用: the star is not in the unit's set (villages and urban communities differ).

"Planned" in the quota row counts the plans submitted or confirmed whose target level is the
level; "achieved" the branches whose held stars of the year make that level.

A constant number of queries whatever the number of villages: the villages, the counties
above them, one catalog look-up per county and unit type, the stars, then one query each for
awards, declarations, plans, targeted stars, quotas and the township filter's options.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.http import Http404

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.scope import path_in_scope, path_q
from lianxin.stars import workflow as wf
from lianxin.stars.models import (
    CreationPlan,
    Declaration,
    PlanStar,
    Quota,
    Star,
    StarAward,
    StarSet,
)
from lianxin.stars.models.declarations import DeclarationKind
from lianxin.stars.services.catalog import catalog_ensure
from lianxin.stars.services.quotas import LEVEL_LABELS, LEVELS
from lianxin.territory.models import Unit, UnitKind

FIRST_YEAR = 2022  # 河南“五星”支部创建 since 2022 (REFERENCE.md)
# The unit columns the map reads (timestamps are slow to parse and never shown).
UNIT_FIELDS = (
    "kind",
    "code",
    "name",
    "display_name",
    "path",
    "depth",
    "parent",
    "sort_order",
    "is_active",
    "public_id",
)


@dataclass(frozen=True)
class State:
    key: str
    label: str
    mark: str  # what the cell shows besides its colour (readable without colour)


AWARDED, NOTICE, REVIEWING, RETURNED, PLANNED, NONE, NA = (
    "awarded",
    "notice",
    "reviewing",
    "returned",
    "planned",
    "none",
    "na",
)
# In order of precedence: a cell takes the first state that applies.
STATES: dict[str, State] = {
    s.key: s
    for s in [
        State(AWARDED, "已授星", "★"),
        State(NOTICE, "公示中", "公示"),
        State(REVIEWING, "审核中", "审核"),
        State(RETURNED, "已退回", "退回"),
        State(PLANNED, "计划争创", "☆"),
        State(NONE, "未计划", ""),
        State(NA, "不适用", "—"),
    ]
}
RANK = {key: i for i, key in enumerate(STATES)}
DECLARATION_STATES = {
    wf.AWARDED: AWARDED,
    wf.NOTICE: NOTICE,
    wf.SUBMITTED: REVIEWING,
    wf.TOWNSHIP_PASSED: REVIEWING,
    wf.APPROVED: REVIEWING,
    wf.RETURNED: RETURNED,
}
# Plans that count as planned: reported to the township (drafts do not).
PLANNED_STATUSES = (CreationPlan.Status.SUBMITTED, CreationPlan.Status.CONFIRMED)


def map_years(today: dt.date | None = None) -> list[int]:
    """Years the map can show, newest first (next year's plans are drafted in December)."""
    year = (today or clock.today()).year
    return list(range(year + 1, FIRST_YEAR - 1, -1))


@dataclass(frozen=True)
class Column:
    code: str
    name: str
    short_name: str


@dataclass(frozen=True)
class Cell:
    code: str
    star_name: str
    state: State

    @property
    def title(self) -> str:
        return f"{self.star_name}：{self.state.label}"


@dataclass(frozen=True)
class PlanInfo:
    public_id: uuid.UUID
    status: str
    target_level: int

    @property
    def counts(self) -> bool:
        return self.status in PLANNED_STATUSES

    @property
    def status_label(self) -> str:
        return CreationPlan.Status(self.status).label


@dataclass
class Row:
    unit: Unit
    unit_type: str
    cells: list[Cell]
    level: int = 0
    last_level: int = 0
    plan: PlanInfo | None = None
    progress: bool = False

    @property
    def township(self) -> Unit | None:
        return self.unit.parent

    @property
    def target_level(self) -> int | None:
        """The target of a plan reported to the township (a draft's is not yet a target)."""
        return self.plan.target_level if self.plan is not None and self.plan.counts else None


@dataclass
class LevelTally:
    level: int
    quota: int = 0
    planned: int = 0
    achieved: int = 0

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self.level]

    @property
    def short(self) -> bool:
        """Fewer branches planned than the quota asks for."""
        return self.planned < self.quota


@dataclass
class Block:
    """One township's villages, with its quota row when the reader may see its quotas."""

    township: Unit | None
    rows: list[Row] = field(default_factory=list)
    levels: list[LevelTally] = field(default_factory=list)
    quota_visible: bool = False

    @property
    def villages(self) -> int:
        return len(self.rows)

    @property
    def share_3plus(self) -> float | None:
        if not self.rows:
            return None
        return sum(1 for r in self.rows if r.level >= 3) / len(self.rows)


@dataclass
class BattleMap:
    year: int
    columns: list[Column]
    blocks: list[Block]
    townships: list[Unit]
    township: Unit | None = None

    @property
    def rows(self) -> list[Row]:
        return [r for b in self.blocks for r in b.rows]

    @property
    def quota_blocks(self) -> list[Block]:
        return [b for b in self.blocks if b.quota_visible]

    @property
    def totals(self) -> list[LevelTally]:
        """The quota row summed over the townships whose quotas the reader sees."""
        out = [LevelTally(level) for level in LEVELS]
        for b in self.quota_blocks:
            for total, t in zip(out, b.levels, strict=True):
                total.quota += t.quota
                total.planned += t.planned
                total.achieved += t.achieved
        return out


def township_options(actor: Actor) -> list[Unit]:
    """The townships the reader sees (the map's filter)."""
    return list(
        Unit.objects.filter(path_q("path", actor.scope_paths(wf.VIEW)))
        .filter(kind=UnitKind.TOWNSHIP, is_active=True)
        .order_by("sort_order", "path")
    )


def _narrow(paths: tuple[str, ...], township: Unit) -> list[str]:
    """The reader's scope inside one township (404 when they do not meet)."""
    if any(township.path.startswith(p) for p in paths):
        return [township.path]
    inner = [p for p in paths if p.startswith(township.path)]
    if not inner:
        raise Http404("不存在或无权访问")
    return inner


def _counties(villages: list[Unit]) -> dict[int, Unit]:
    """The county above each village (like `catalog.county_of`, one query for all)."""
    prefixes: set[str] = set()
    for v in villages:
        codes = v.path_codes
        prefixes.update("/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes) - 1))
    above = Unit.objects.filter(path__in=prefixes, kind__in=[UnitKind.COUNTY, UnitKind.CITY])
    by_path = {u.path: u for u in above}
    out: dict[int, Unit] = {}
    for v in villages:
        codes = v.path_codes
        found = [
            by_path[p]
            for p in ("/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes) - 1))
            if p in by_path
        ]
        counties = [u for u in found if u.kind == UnitKind.COUNTY]
        if counties or found:
            out[v.pk] = counties[-1] if counties else found[-1]
    return out


def _catalog(
    villages: list[Unit], year: int
) -> tuple[list[Column], dict[int, dict[str, Star]], dict[int, str]]:
    """The map's columns (every active star code of the sets in play, in the sets' order),
    each village's stars by code, and each village's unit type."""
    counties = _counties(villages)
    types = {v.pk: wf.unit_type_of(v.name, v.display_name) for v in villages}
    sets: dict[tuple[int, str], StarSet] = {
        (s.county_id, s.unit_type): s
        for s in StarSet.objects.filter(
            year=year, county__in={c.pk for c in counties.values()}
        ).order_by()
    }
    for v in villages:
        county = counties.get(v.pk)
        if county is not None and (county.pk, types[v.pk]) not in sets:
            sets[(county.pk, types[v.pk])] = catalog_ensure(
                county=county, year=year, unit_type=types[v.pk]
            )
    stars = list(
        Star.objects.filter(star_set__in=list(sets.values()), is_active=True).order_by(
            "sort_order", "id"
        )
    )
    by_set: dict[int, dict[str, Star]] = defaultdict(dict)
    columns: dict[str, Column] = {}
    for s in stars:
        by_set[s.star_set_id][s.code] = s
        columns.setdefault(s.code, Column(s.code, s.name, s.short_name))
    unit_stars: dict[int, dict[str, Star]] = {}
    for v in villages:
        county = counties.get(v.pk)
        star_set = sets.get((county.pk, types[v.pk])) if county is not None else None
        unit_stars[v.pk] = by_set.get(star_set.pk, {}) if star_set is not None else {}
    return list(columns.values()), unit_stars, types


def battle_map(actor: Actor, *, year: int, township: str | None = None) -> BattleMap:
    """The year's battle map of the villages the actor sees (optionally one township's)."""
    paths = actor.scope_paths(wf.VIEW)
    selected = None
    if township:
        selected = Unit.objects.filter(code=township, kind=UnitKind.TOWNSHIP).first()
        if selected is None:
            raise Http404("不存在或无权访问")
        paths = tuple(_narrow(paths, selected))
    villages = list(
        Unit.objects.filter(path_q("path", paths))
        .filter(kind=UnitKind.VILLAGE, is_active=True)
        .select_related("parent")
        .only(*UNIT_FIELDS, *(f"parent__{f}" for f in UNIT_FIELDS))
        .order_by("parent__sort_order", "parent__path", "sort_order", "path")
    )
    options = township_options(actor)
    if not villages:
        return BattleMap(year, [], [], options, selected)
    columns, unit_stars, types = _catalog(villages, year)
    under = path_q("unit__path", paths) & Q(unit__kind=UnitKind.VILLAGE)

    levels: dict[tuple[int, int], int] = defaultdict(int)
    awarded: set[tuple[int, str]] = set()
    progress: set[int] = set()
    awards = (
        StarAward.objects.filter(under, year__in=[year, year - 1], withdrawn_on__isnull=True)
        .values_list("unit_id", "year", "kind", "star_code")
        .order_by()
    )
    for unit_id, y, kind, code in awards:
        if kind == DeclarationKind.PROGRESS:
            if y == year:
                progress.add(unit_id)
            continue
        levels[(unit_id, y)] += 1
        if y == year:
            awarded.add((unit_id, code))

    declared: dict[tuple[int, str], str] = {}
    declarations = (
        Declaration.objects.filter(
            under, year=year, kind=DeclarationKind.STAR, status__in=list(DECLARATION_STATES)
        )
        .values_list("unit_id", "star__code", "status")
        .order_by()
    )
    for unit_id, code, status in declarations:
        state = DECLARATION_STATES[status]
        key = (unit_id, code)
        if key not in declared or RANK[state] < RANK[declared[key]]:
            declared[key] = state

    plans = {
        unit_id: PlanInfo(public_id, status, target)
        for unit_id, status, target, public_id in CreationPlan.objects.filter(under, year=year)
        .values_list("unit_id", "status", "target_level", "public_id")
        .order_by()
    }
    targeted = set(
        PlanStar.objects.filter(
            path_q("plan__unit__path", paths),
            plan__year=year,
            plan__status__in=PLANNED_STATUSES,
            is_target=True,
        )
        .values_list("plan__unit_id", "star__code")
        .order_by()
    )

    township_ids = {v.parent_id for v in villages if v.parent_id is not None}
    quotas = {
        (t, level): n
        for t, level, n in Quota.objects.visible_to(actor, wf.VIEW)
        .filter(year=year, township_id__in=township_ids)
        .values_list("township_id", "level", "count")
    }

    blocks: dict[int | None, Block] = {}
    for v in villages:
        stars = unit_stars[v.pk]
        cells = []
        for col in columns:
            star = stars.get(col.code)
            if star is None:
                cells.append(Cell(col.code, col.name, STATES[NA]))
                continue
            key = (v.pk, col.code)
            if key in awarded:
                state = AWARDED
            elif key in declared:
                state = declared[key]
            elif key in targeted:
                state = PLANNED
            else:
                state = NONE
            cells.append(Cell(col.code, star.name, STATES[state]))
        row = Row(
            unit=v,
            unit_type=types[v.pk],
            cells=cells,
            level=wf.level_of(levels[(v.pk, year)]),
            last_level=wf.level_of(levels[(v.pk, year - 1)]),
            plan=plans.get(v.pk),
            progress=v.pk in progress,
        )
        block = blocks.get(v.parent_id)
        if block is None:
            parent = v.parent
            visible = parent is not None and actor.can(wf.VIEW, parent.path)
            block = blocks[v.parent_id] = Block(parent, quota_visible=visible)
        block.rows.append(row)

    for block in blocks.values():
        tid = block.township.pk if block.township is not None else None
        planned = Counter(r.target_level for r in block.rows)
        achieved = Counter(r.level for r in block.rows)
        for level in LEVELS:
            block.levels.append(
                LevelTally(
                    level,
                    quota=quotas.get((tid, level), 0) if tid is not None else 0,
                    planned=planned[level],
                    achieved=achieved[level],
                )
            )
    return BattleMap(year, columns, list(blocks.values()), options, selected)


# --- figures ---------------------------------------------------------------------------------

MAX_UNIT_OPTIONS = 400


def figure_units(actor: Actor) -> list[Unit]:
    """Units the reader may pick: counties and townships in scope (a village's own post:
    its village)."""
    paths = actor.scope_paths(wf.VIEW)
    units = list(
        Unit.objects.filter(path_q("path", paths))
        .filter(kind__in=[UnitKind.CITY, UnitKind.COUNTY, UnitKind.TOWNSHIP], is_active=True)
        .order_by("path")[:MAX_UNIT_OPTIONS]
    )
    if not units:
        units = list(
            Unit.objects.filter(path_q("path", paths))
            .filter(kind=UnitKind.VILLAGE, is_active=True)
            .order_by("path")[:MAX_UNIT_OPTIONS]
        )
    return units


def figures_unit(actor: Actor, code: str | None) -> Unit:
    """The unit whose figures are asked for (default: the reader's own post's unit); 404
    outside the reader's `stars.view` scope."""
    paths = actor.scope_paths(wf.VIEW)
    if code:
        unit = Unit.objects.filter(code=code.strip()).first()
    else:
        posts = actor.posts_with(wf.VIEW)
        primary = actor.primary_post
        post = primary if primary in posts else (posts[0] if posts else None)
        unit = Unit.objects.filter(pk=post.unit_id).first() if post else None
    if unit is None or not path_in_scope(unit.path, paths):
        raise Http404("不存在或无权访问")
    return unit
