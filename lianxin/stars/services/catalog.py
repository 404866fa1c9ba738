"""The catalog every other part reads: a county's star set for a year and unit type, and its
settings. Both are created the first time they are needed, copied from the county's latest
earlier year (so edits carry over) or from the defaults (stars.defaults)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from lianxin.stars import workflow as wf
from lianxin.stars.defaults import DEFAULT_SETS
from lianxin.stars.models import CreationSettings, Standard, Star, StarSet
from lianxin.territory.models import Unit, UnitKind

SETTINGS_FIELDS = (
    "notice_days",
    "progress_award",
    "reward_min_income",
    "reward_min_growth",
    "reward_share",
    "contest_advance",
)


def county_of(unit: Unit) -> Unit:
    """The county (县/区, or the city where there is none) a unit belongs to."""
    if unit.kind == UnitKind.COUNTY:
        return unit
    codes = unit.path_codes
    ancestors = {
        u.path: u
        for u in Unit.objects.filter(
            path__in=["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))],
            kind__in=[UnitKind.COUNTY, UnitKind.CITY],
        )
    }
    counties = [u for u in ancestors.values() if u.kind == UnitKind.COUNTY]
    if counties:
        return counties[0]
    if ancestors:
        return max(ancestors.values(), key=lambda u: u.depth)
    raise ValueError(f"{unit} has no county above it")


def unit_type(unit: Unit) -> str:
    return wf.unit_type_of(unit.name, unit.display_name)


def _copy_set(source: StarSet, county: Unit, year: int) -> StarSet:
    target = StarSet.objects.create(
        county=county, year=year, unit_type=source.unit_type, name=source.name
    )
    for star in source.stars.order_by("sort_order", "id").prefetch_related("standards"):
        new = Star.objects.create(
            star_set=target,
            code=star.code,
            name=star.name,
            short_name=star.short_name,
            description=star.description,
            sort_order=star.sort_order,
            is_active=star.is_active,
        )
        Standard.objects.bulk_create(
            [
                Standard(
                    star=new,
                    code=s.code,
                    name=s.name,
                    kind=s.kind,
                    max_score=s.max_score,
                    pass_score=s.pass_score,
                    evidence_hint=s.evidence_hint,
                    figure_key=s.figure_key,
                    comparator=s.comparator,
                    threshold=s.threshold,
                    is_required=s.is_required,
                    sort_order=s.sort_order,
                )
                for s in star.standards.all()
            ]
        )
    return target


def _default_set(county: Unit, year: int, type_: str) -> StarSet:
    name, stars = DEFAULT_SETS[type_]
    target = StarSet.objects.create(county=county, year=year, unit_type=type_, name=name)
    for order, (code, star_name, short, description, standards) in enumerate(stars, start=1):
        star = Star.objects.create(
            star_set=target,
            code=code,
            name=star_name,
            short_name=short,
            description=description,
            sort_order=order,
        )
        Standard.objects.bulk_create(
            [
                Standard(
                    star=star,
                    code=s_code,
                    name=s_name,
                    kind=kind,
                    max_score=extra.get("max"),
                    pass_score=extra.get("pass"),
                    evidence_hint=extra.get("hint", ""),
                    figure_key=extra.get("key", ""),
                    comparator=extra.get("cmp", ""),
                    threshold=extra.get("threshold"),
                    sort_order=i,
                )
                for i, (s_code, s_name, kind, extra) in enumerate(standards, start=1)
            ]
        )
    return target


def catalog_ensure(*, county: Unit, year: int, unit_type: str) -> StarSet:
    """The county's star set for `year` and `unit_type`, created on first use (from its latest
    earlier year, else the defaults). Safe when two requests create it at once."""
    existing = StarSet.objects.filter(county=county, year=year, unit_type=unit_type).first()
    if existing is not None:
        return existing
    earlier = (
        StarSet.objects.filter(county=county, year__lt=year, unit_type=unit_type)
        .order_by("-year")
        .first()
    )
    try:
        with transaction.atomic():
            if earlier is not None:
                return _copy_set(earlier, county, year)
            return _default_set(county, year, unit_type)
    except IntegrityError:
        return StarSet.objects.get(county=county, year=year, unit_type=unit_type)


def catalog_for_unit(unit: Unit, year: int) -> StarSet:
    """The star set a village or community is judged on in `year`."""
    return catalog_ensure(county=county_of(unit), year=year, unit_type=unit_type(unit))


def settings_ensure(*, county: Unit, year: int) -> CreationSettings:
    """The county's settings for `year` (copied from its latest earlier year, else defaults)."""
    existing = CreationSettings.objects.filter(county=county, year=year).first()
    if existing is not None:
        return existing
    earlier = (
        CreationSettings.objects.filter(county=county, year__lt=year).order_by("-year").first()
    )
    values = {f: getattr(earlier, f) for f in SETTINGS_FIELDS} if earlier is not None else {}
    try:
        with transaction.atomic():
            return CreationSettings.objects.create(county=county, year=year, **values)
    except IntegrityError:
        return CreationSettings.objects.get(county=county, year=year)
