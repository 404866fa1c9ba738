"""Reads of the collective economy: the year's income per village with last year's, the growth
and the cadre reward rule, and one village's years with every revision.

Villages come from `Unit` under the actor's `stars.view` posts (a village sees itself, a
township its villages, the county all of them); statements are read for a page of villages at
a time in a fixed number of queries, whatever the number of villages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.scope import path_q
from lianxin.stars import workflow as wf
from lianxin.stars.models import CreationSettings, IncomeLine, IncomeSource, IncomeStatement
from lianxin.stars.selectors.catalog import yuan
from lianxin.stars.services.catalog import settings_ensure
from lianxin.territory.models import Unit, UnitKind

SOURCES: list[tuple[str, str]] = list(IncomeSource.choices)


def villages_for(actor: Actor, township: Unit | None = None) -> QuerySet[Unit]:
    """The villages and communities under the actor's `stars.view` posts, in tree order."""
    qs = Unit.objects.filter(
        path_q("path", actor.scope_paths(wf.VIEW)), kind=UnitKind.VILLAGE, is_active=True
    )
    if township is not None:
        qs = qs.filter(path__startswith=township.path)
    return qs.select_related("parent").order_by("path")


def townships_for(actor: Actor) -> list[Unit]:
    """Townships with villages the actor sees (the list's filter): those under its posts and
    the township above a village post."""
    paths = actor.scope_paths(wf.VIEW)
    if not paths:
        return []
    above = {
        "/" + "/".join(codes[: i + 1]) + "/"
        for p in paths
        for codes in [[c for c in p.split("/") if c]]
        for i in range(len(codes))
    }
    return list(
        Unit.objects.filter(kind=UnitKind.TOWNSHIP, is_active=True)
        .filter(Q(path__in=above) | path_q("path", paths))
        .order_by("path")
    )


def current_statements() -> QuerySet[IncomeStatement]:
    """Statements that are the current figure of their village and year (no higher revision)."""
    newer = IncomeStatement.objects.filter(
        unit=OuterRef("unit"), year=OuterRef("year"), revision__gt=OuterRef("revision")
    )
    return IncomeStatement.objects.exclude(Exists(newer))


@dataclass
class IncomeRow:
    unit: Unit
    year: int
    statement: IncomeStatement | None
    previous: IncomeStatement | None
    by_source: list[Decimal | None] = field(default_factory=list)
    reward: wf.Reward | None = None
    settings: CreationSettings | None = None
    # The cells of the source columns a page shows (`show_sources`).
    shown: list[tuple[str, str]] = field(default_factory=list)

    @property
    def cells(self) -> list[tuple[str, str]]:
        """(source label, amount as shown, "" when none) in the order of the columns."""
        return [(label, yuan(a)) for (_, label), a in zip(SOURCES, self.by_source, strict=True)]

    @property
    def total_text(self) -> str:
        return yuan(self.statement.total) if self.statement else ""

    @property
    def previous_text(self) -> str:
        return yuan(self.previous.total) if self.previous else ""

    @property
    def pool_text(self) -> str:
        return yuan(self.reward.pool) if self.reward else ""

    @property
    def growth_percent(self) -> Decimal | None:
        if self.reward is None or self.reward.growth is None:
            return None
        return self.reward.growth * 100


def show_sources(rows: Sequence[IncomeRow]) -> list[str]:
    """The labels of the sources any of the rows has an amount for (the columns a page
    shows, so a phone does not scroll through empty ones); sets each row's `shown`."""
    used = [i for i in range(len(SOURCES)) if any(r.by_source[i] is not None for r in rows)]
    for row in rows:
        cells = row.cells
        row.shown = [cells[i] for i in used]
    return [SOURCES[i][1] for i in used]


def _county_paths(units: Iterable[tuple[int, str]]) -> dict[int, str]:
    """The county (or city, where there is none) path of each (unit id, path), one query."""
    units = list(units)
    prefixes: set[str] = set()
    for _, path in units:
        codes = [c for c in path.split("/") if c]
        prefixes |= {"/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))}
    found = {
        path: kind
        for path, kind in Unit.objects.filter(
            path__in=prefixes, kind__in=[UnitKind.COUNTY, UnitKind.CITY]
        ).values_list("path", "kind")
    }
    out: dict[int, str] = {}
    for pk, path in units:
        mine = [p for p in found if path.startswith(p)]
        counties = [p for p in mine if found[p] == UnitKind.COUNTY]
        pick = counties or mine
        if pick:
            out[pk] = max(pick, key=len)
    return out


@dataclass
class SettingsMap:
    """The county settings of a set of units for some years: `of(unit, year)`."""

    paths: dict[int, str]
    rows: dict[tuple[str, int], CreationSettings]

    def of(self, unit_id: int, year: int) -> CreationSettings | None:
        return self.rows.get((self.paths.get(unit_id, ""), year))


def settings_for(units: Iterable[tuple[int, str]], years: Iterable[int]) -> SettingsMap:
    """The settings of the county of each (unit id, path) for `years` (two queries; a
    county's settings of a year are created the first time they are needed)."""
    county_paths = _county_paths(units)
    years = set(years)
    wanted = {(p, y) for p in set(county_paths.values()) for y in years}
    if not wanted:
        return SettingsMap(county_paths, {})
    rows = CreationSettings.objects.filter(
        county__path__in={p for p, _ in wanted}, year__in=years
    ).select_related("county")
    have = {(s.county.path, s.year): s for s in rows}
    missing = wanted - set(have)
    if missing:
        counties = {u.path: u for u in Unit.objects.filter(path__in={p for p, _ in missing})}
        for path, year in missing:
            have[(path, year)] = settings_ensure(county=counties[path], year=year)
    return SettingsMap(county_paths, have)


def _reward(
    statement: IncomeStatement | None,
    previous: IncomeStatement | None,
    settings: CreationSettings | None,
) -> wf.Reward | None:
    if statement is None or settings is None:
        return None
    return wf.reward_for(
        income=statement.total,
        previous=previous.total if previous is not None else None,
        min_income=settings.reward_min_income,
        min_growth=settings.reward_min_growth,
        share=settings.reward_share,
    )


def income_rows(units: Sequence[Unit], year: int) -> list[IncomeRow]:
    """One row per village: the year's current statement by source, last year's, the growth
    and the reward rule with the county's settings of the year (five queries, plus the
    settings rows a county lacks the first time)."""
    units = list(units)
    if not units:
        return []
    statements = list(
        current_statements()
        .filter(unit__in=units, year__in=[year - 1, year])
        .prefetch_related(Prefetch("lines", queryset=IncomeLine.objects.order_by("id")))
    )
    by_key = {(s.unit_id, s.year): s for s in statements}
    settings = settings_for(((u.pk, u.path) for u in units), [year])
    rows = []
    for u in units:
        current = by_key.get((u.pk, year))
        previous = by_key.get((u.pk, year - 1))
        s = settings.of(u.pk, year)
        amounts = {line.source: line.amount for line in current.lines.all()} if current else {}
        rows.append(
            IncomeRow(
                unit=u,
                year=year,
                statement=current,
                previous=previous,
                by_source=[amounts.get(code) for code, _ in SOURCES],
                reward=_reward(current, previous, s),
                settings=s,
            )
        )
    return rows


@dataclass(frozen=True)
class YearSummary:
    villages: int
    recorded: int
    total: Decimal
    eligible: int
    pool: Decimal

    @property
    def total_text(self) -> str:
        return yuan(self.total, 0)

    @property
    def pool_text(self) -> str:
        return yuan(self.pool, 0)


def year_summary(actor: Actor, year: int, township: Unit | None = None) -> YearSummary:
    """The year under the actor (or one township): villages, how many recorded, the total
    income, how many qualify for the cadre reward and the reward pools' sum."""
    villages = villages_for(actor, township)
    figures = list(
        current_statements()
        .filter(unit__in=villages, year__in=[year - 1, year])
        .values_list("unit_id", "unit__path", "year", "total")
    )
    current = {u: t for u, _, y, t in figures if y == year}
    previous = {u: t for u, _, y, t in figures if y == year - 1}
    paths = {u: p for u, p, y, _ in figures if y == year}
    eligible, pool = 0, Decimal(0)
    if current:
        settings = settings_for(paths.items(), [year])
        for unit_id, income in current.items():
            s = settings.of(unit_id, year)
            if s is None:
                continue
            r = wf.reward_for(
                income=income,
                previous=previous.get(unit_id),
                min_income=s.reward_min_income,
                min_growth=s.reward_min_growth,
                share=s.reward_share,
            )
            if r.eligible:
                eligible += 1
                pool += r.pool
    return YearSummary(
        villages=villages.count(),
        recorded=len(current),
        total=sum(current.values(), Decimal(0)),
        eligible=eligible,
        pool=pool,
    )


def income_years(actor: Actor) -> list[int]:
    """Years with statements under the actor, and last and this year."""
    this_year = clock.today().year
    years = set(
        IncomeStatement.objects.visible_to(actor, wf.VIEW)
        .order_by()
        .values_list("year", flat=True)
        .distinct()
    ) | {this_year, this_year - 1}
    return sorted(years, reverse=True)


def village_get(actor: Actor, public_id: Any, perm: str = wf.VIEW) -> Unit:
    """A village under the actor's posts granting `perm` (404 otherwise)."""
    unit: Unit = Unit.objects.select_related("parent").get_visible(
        actor, perm, public_id=public_id, kind=UnitKind.VILLAGE
    )
    return unit


@dataclass
class Revision:
    statement: IncomeStatement
    total_text: str
    lines: list[tuple[str, str]]


@dataclass
class VillageHistory:
    rows: list[IncomeRow]
    revisions: list[Revision]


def village_history(unit: Unit) -> VillageHistory:
    """Every year of a village (newest first) with growth and reward, and every revision
    (newest first) with its lines, who recorded it and when."""
    revisions = list(
        IncomeStatement.objects.filter(unit=unit)
        .prefetch_related(Prefetch("lines", queryset=IncomeLine.objects.order_by("id")))
        .order_by("-year", "-revision")
    )
    current: dict[int, IncomeStatement] = {}
    for s in revisions:
        current.setdefault(s.year, s)
    settings = settings_for([(unit.pk, unit.path)], current)
    rows = []
    for year in sorted(current, reverse=True):
        statement = current[year]
        amounts = {line.source: line.amount for line in statement.lines.all()}
        s = settings.of(unit.pk, year)
        rows.append(
            IncomeRow(
                unit=unit,
                year=year,
                statement=statement,
                previous=current.get(year - 1),
                by_source=[amounts.get(code) for code, _ in SOURCES],
                reward=_reward(statement, current.get(year - 1), s),
                settings=s,
            )
        )
    shown = [
        Revision(
            s,
            yuan(s.total),
            [(line.get_source_display(), yuan(line.amount)) for line in s.lines.all()],
        )
        for s in revisions
    ]
    return VillageHistory(rows=rows, revisions=shown)


def statement_amounts(unit: Unit, year: int) -> tuple[int, dict[str, Decimal]]:
    """The current revision of a year and its amounts by source (the correction form's
    starting values); (0, {}) when nothing is recorded."""
    statement = current_statements().filter(unit=unit, year=year).first()
    if statement is None:
        return 0, {}
    return statement.revision, {line.source: line.amount for line in statement.lines.all()}
