"""Reads of the star catalogs, the county's settings, task forces and weak branches.

Catalogs, settings and task forces are the county's configuration: every post with
`stars.view` in a county reads them, so the county is found from the reader's posts (not by
`visible_to`, which would only show rows under the post's own unit). Editing reads go through
`visible_to(actor, stars.configure)` and the services' county-level check (outside: 404).
Weak branches are about one village each: they are scoped like any governed row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.scope import path_q
from lianxin.stars import indicators
from lianxin.stars import workflow as wf
from lianxin.stars.models import (
    CreationSettings,
    DeclarationEntry,
    Standard,
    StandardScore,
    Star,
    StarSet,
    TaskForce,
    WeakBranch,
)
from lianxin.stars.services import catalog as svc
from lianxin.territory.models import Unit, UnitKind

READ_PERMS = (wf.VIEW, wf.CONFIGURE)
UNIT_TYPES = (wf.VILLAGE, wf.COMMUNITY)
UNIT_TYPE_LABELS = {wf.VILLAGE: "农村", wf.COMMUNITY: "城市社区"}


# --- which counties the actor reads ------------------------------------------------------------


def _prefixes(path: str) -> list[str]:
    codes = [c for c in path.split("/") if c]
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


def counties_for(actor: Actor, perms: Iterable[str] = READ_PERMS) -> list[Unit]:
    """The counties whose catalogs the actor reads: the county above each of its posts, or
    every county under a post above county level (one query). Where a township hangs
    directly under a city, the city stands for the county (services.catalog.county_of)."""
    paths = sorted({p.unit_path for perm in perms for p in actor.posts_with(perm)})
    if not paths:
        return []
    above = {prefix for path in paths for prefix in _prefixes(path)}
    rows = list(
        Unit.objects.filter(kind__in=[UnitKind.COUNTY, UnitKind.CITY], is_active=True)
        .filter(Q(path__in=above) | path_q("path", paths))
        .order_by("path")
    )
    chosen: dict[int, Unit] = {}
    for path in paths:
        ancestors = [u for u in rows if path.startswith(u.path)]
        counties = [u for u in ancestors if u.kind == UnitKind.COUNTY]
        below = [u for u in rows if u.kind == UnitKind.COUNTY and u.path.startswith(path)]
        if counties:
            found = [max(counties, key=lambda u: u.depth)]
        elif below:
            found = below
        else:
            cities = [u for u in ancestors if u.kind == UnitKind.CITY]
            found = [max(cities, key=lambda u: u.depth)] if cities else []
        for u in found:
            chosen[u.pk] = u
    return sorted(chosen.values(), key=lambda u: u.path)


def county_pick(actor: Actor, code: str | None) -> tuple[Unit, list[Unit]]:
    """The county named by `code` among the actor's, else the first; and all of them
    (404 when the actor reads no county)."""
    counties = counties_for(actor)
    if not counties:
        raise Http404("不存在或无权访问")
    chosen = next((c for c in counties if c.code == (code or "").strip()), counties[0])
    return chosen, counties


def county_for_groups(actor: Actor, public_id: Any) -> Unit:
    """A county whose task forces and weak branches the actor keeps (404 otherwise)."""
    counties = counties_for(actor, (wf.CONFIGURE, wf.REVIEW_COUNTY))
    county = next((c for c in counties if str(c.public_id) == str(public_id)), None)
    if county is None or not svc.can_manage_groups(actor, county):
        raise Http404("不存在或无权访问")
    return county


def catalog_years(county: Unit) -> list[int]:
    """Years offered by the year selector: those with a catalog, this year and next."""
    this_year = clock.today().year
    years = set(StarSet.objects.filter(county=county).values_list("year", flat=True).distinct()) | {
        this_year,
        this_year + 1,
    }
    return sorted(years, reverse=True)


# --- the catalog as a page shows it ------------------------------------------------------------


def yuan(value: Decimal | None, places: int = 2) -> str:
    """Money as pages show it: 70,000.00 (thousands separated whatever the locale)."""
    return "" if value is None else f"{value:,.{places}f}"


def _number(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text


def threshold_words(key: str, threshold: Decimal | None) -> str:
    """A threshold as people say it: rates in percent, money with thousands separators."""
    if threshold is None:
        return "—"
    indicator = indicators.INDICATORS.get(key)
    measure = indicator.measure if indicator else "score"
    if measure == "rate":
        percent = (threshold * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return f"{_number(percent)}%"
    if measure == "yuan":
        return (
            f"{threshold:,.0f} 元"
            if threshold == threshold.to_integral_value()
            else (f"{threshold:,.2f} 元")
        )
    if measure == "count":
        unit = _label_unit(indicator.label) if indicator else ""
        return f"{int(threshold)}{' ' + unit if unit else ''}"
    return _number(threshold)


def _label_unit(label: str) -> str:
    """The unit of measure a label ends with: 受理居民诉求（件） → 件."""
    if label.endswith("）") and "（" in label:
        return label[label.rindex("（") + 1 : -1]
    return ""


def indicator_name(key: str) -> str:
    """An indicator's label without its unit of measure (the threshold carries it)."""
    indicator = indicators.INDICATORS.get(key)
    if indicator is None:
        return f"未知数据项（{key}）"
    label = indicator.label
    unit = _label_unit(label)
    return label[: label.rindex("（")] if unit else label


def figure_words(standard: Standard) -> str:
    """A figure standard in words, e.g. "矛盾纠纷调解成功率 不低于 90%"."""
    comparator = wf.COMPARATORS.get(standard.comparator, standard.comparator)
    threshold = threshold_words(standard.figure_key, standard.threshold)
    return f"{indicator_name(standard.figure_key)} {comparator} {threshold}"


def requirement_words(standard: Standard) -> str:
    """What the standard asks, in words, whatever its kind."""
    if standard.kind == wf.MANUAL:
        top = _number(standard.max_score) if standard.max_score is not None else "—"
        bar = _number(standard.pass_score) if standard.pass_score is not None else "—"
        return f"满分 {top} 分，{bar} 分及格"
    if standard.kind == wf.EVIDENCE:
        return f"佐证：{standard.evidence_hint}" if standard.evidence_hint else "须附佐证"
    return figure_words(standard)


def source_of(standard: Standard) -> str:
    if standard.kind != wf.FIGURE:
        return ""
    indicator = indicators.INDICATORS.get(standard.figure_key)
    return indicator.source if indicator else ""


@dataclass
class StandardRow:
    standard: Standard
    requirement: str
    source: str
    in_use: bool


@dataclass
class StarBlock:
    star: Star
    standards: list[StandardRow] = field(default_factory=list)
    first: bool = False
    last: bool = False


@dataclass
class SetBlock:
    star_set: StarSet
    label: str
    stars: list[StarBlock] = field(default_factory=list)


def used_standard_ids(ids: Iterable[int]) -> set[int]:
    """Which of the standards declarations or reviews reference (two queries)."""
    ids = list(ids)
    if not ids:
        return set()
    used = set(
        DeclarationEntry.objects.filter(standard_id__in=ids)
        .values_list("standard_id", flat=True)
        .distinct()
    )
    used |= set(
        StandardScore.objects.filter(standard_id__in=ids)
        .values_list("standard_id", flat=True)
        .distinct()
    )
    return used


def catalog_read(county: Unit, year: int) -> tuple[list[SetBlock], CreationSettings]:
    """The county's two star sets of the year (villages and urban communities), each star
    with its standards in words, and the year's settings; created on first use."""
    sets = [svc.catalog_ensure(county=county, year=year, unit_type=type_) for type_ in UNIT_TYPES]
    settings = svc.settings_ensure(county=county, year=year)
    stars = list(
        Star.objects.filter(star_set__in=sets)
        .prefetch_related(
            Prefetch("standards", queryset=Standard.objects.order_by("sort_order", "id"))
        )
        .order_by("star_set_id", "sort_order", "id")
    )
    used = used_standard_ids(s.pk for star in stars for s in star.standards.all())
    blocks = []
    for star_set in sets:
        mine = [s for s in stars if s.star_set_id == star_set.pk]
        block = SetBlock(star_set, UNIT_TYPE_LABELS[star_set.unit_type])
        for i, star in enumerate(mine):
            star.star_set = star_set
            rows = [
                StandardRow(s, requirement_words(s), source_of(s), s.pk in used)
                for s in star.standards.all()
            ]
            block.stars.append(StarBlock(star, rows, first=i == 0, last=i == len(mine) - 1))
        blocks.append(block)
    return blocks, settings


def progress_award_words(settings: CreationSettings) -> str:
    award = settings.progress_award
    return yuan(award, 0 if award == award.to_integral_value() else 2) + " 元"


def settings_words(settings: CreationSettings) -> str:
    """The cadre reward rule in words (seed 000)."""
    growth = _number((settings.reward_min_growth * 100).quantize(Decimal("0.01")))
    share = _number((settings.reward_share * 100).quantize(Decimal("0.01")))
    return (
        f"集体经济经营性收入不低于 {settings.reward_min_income:,.0f} 元且较上年增长不低于 "
        f"{growth}%，从增量中按 {share}% 核定奖励村“两委”干部"
    )


def indicator_list() -> list[indicators.Indicator]:
    return list(indicators.INDICATORS.values())


# --- editing reads (404 outside the actor's configure scope) -----------------------------------


def _editable(actor: Actor, county: Unit) -> None:
    if not svc.can_configure(actor, county):
        raise Http404("不存在或无权访问")


def star_set_for_edit(actor: Actor, public_id: Any) -> StarSet:
    star_set: StarSet = StarSet.objects.select_related("county").get_visible(
        actor, wf.CONFIGURE, public_id=public_id
    )
    _editable(actor, star_set.county)
    return star_set


def star_for_edit(actor: Actor, public_id: Any) -> Star:
    star: Star = Star.objects.select_related("star_set__county").get_visible(
        actor, wf.CONFIGURE, public_id=public_id
    )
    _editable(actor, star.star_set.county)
    return star


def standard_for_edit(actor: Actor, public_id: Any) -> Standard:
    standard: Standard = Standard.objects.select_related("star__star_set__county").get_visible(
        actor, wf.CONFIGURE, public_id=public_id
    )
    _editable(actor, standard.star.star_set.county)
    return standard


def settings_for_edit(actor: Actor, public_id: Any) -> CreationSettings:
    settings: CreationSettings = CreationSettings.objects.select_related("county").get_visible(
        actor, wf.CONFIGURE, public_id=public_id
    )
    _editable(actor, settings.county)
    return settings


def star_codes(county: Unit) -> list[tuple[str, str]]:
    """(code, name) of the stars the county's catalogs have had, newest name first."""
    seen: dict[str, str] = {}
    rows = (
        Star.objects.filter(star_set__county=county)
        .order_by("-star_set__year", "sort_order", "id")
        .values_list("code", "name")
    )
    for code, name in rows:
        seen.setdefault(code, name)
    return list(seen.items())


# --- task forces -------------------------------------------------------------------------------


def task_forces(county: Unit) -> QuerySet[TaskForce]:
    """The county's task forces, active ones first."""
    return TaskForce.objects.filter(county=county).order_by("-is_active", "id")


def task_force_for_edit(actor: Actor, public_id: Any) -> TaskForce:
    row = TaskForce.objects.select_related("county").filter(public_id=public_id).first()
    if row is None or not svc.can_manage_groups(actor, row.county):
        raise Http404("不存在或无权访问")
    return row


# --- weak branches -----------------------------------------------------------------------------


def weak_branches(
    actor: Actor, county: Unit, year: int, township: Unit | None = None
) -> QuerySet[WeakBranch]:
    """The year's weak branches of the county the actor sees (its own units only)."""
    qs = (
        WeakBranch.objects.visible_to(actor, wf.VIEW)
        .filter(unit__path__startswith=(township or county).path, year=year)
        .select_related("unit__parent", "designated_by")
        .order_by("lifted_on", "unit__path")
    )
    return qs


def weak_branch_years(county: Unit) -> list[int]:
    years = set(
        WeakBranch.objects.filter(unit__path__startswith=county.path)
        .values_list("year", flat=True)
        .distinct()
    ) | set(svc.weak_branch_years())
    return sorted(years, reverse=True)


def weak_branch_for_edit(actor: Actor, public_id: Any) -> WeakBranch:
    row = WeakBranch.objects.select_related("unit__parent").filter(public_id=public_id).first()
    if row is None or not svc.can_manage_groups(actor, svc.county_of(row.unit)):
        raise Http404("不存在或无权访问")
    return row


def townships_of(county: Unit) -> list[Unit]:
    return list(
        Unit.objects.filter(
            path__startswith=county.path, kind=UnitKind.TOWNSHIP, is_active=True
        ).order_by("sort_order", "path")
    )


def villages_of(county: Unit) -> list[Unit]:
    """The county's villages and communities (the designation form's choices)."""
    return list(
        Unit.objects.filter(path__startswith=county.path, kind=UnitKind.VILLAGE, is_active=True)
        .select_related("parent")
        .order_by("path")
    )
