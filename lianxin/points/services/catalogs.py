"""Configuration of points (writes): schemes, yearly catalogs, aspects, indicators and their
revisions, the settings row and the automatic-award rules. See docs/points-config.md.

Who edits what (`points.configure` is held by street staff and system administrators):

- Deployment-wide configuration — schemes, the default catalogs (no unit), `PointsSettings`
  and the award rules — applies to every street at once, so only a `points.configure` post at
  county level or above may change it (`require_global`, as in cases' configuration); street
  staff read it.
- A county or a street may hold its OWN catalog of a scheme for a year; it then applies under
  that unit instead of the default (`services.config.catalog_for` picks the deepest). Its
  editors are the `points.configure` posts whose scope covers the unit.

An indicator's values change only by `indicator_revise`, which appends an `IndicatorRevision`
and moves the indicator's current columns: a proposal copies the revision (and its points) it
was made with and booked entries are never rewritten, so a change applies from then on.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.scope import path_q
from lianxin.points import workflow as wf
from lianxin.points.models import (
    Aspect,
    AwardRule,
    CapPeriod,
    Catalog,
    Evidence,
    Indicator,
    IndicatorRevision,
    PointsSettings,
    Scheme,
    SubjectKind,
)
from lianxin.points.services.config import catalog_for, points_settings
from lianxin.territory.models import Unit

CONFIGURE = wf.CONFIGURE
# Units that may hold their own catalog.
LOCAL_CATALOG_KINDS = ("county", "township")
# Schemes every deployment needs (scheme_for looks them up by subject kind).
REQUIRED_KINDS = (SubjectKind.HOUSEHOLD, SubjectKind.PARTY_MEMBER)
_CODE = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")
MAX_POINTS = 1000
MAX_NOTICE_DAYS = 30
MIN_YEAR, MAX_YEAR = 2000, 2100


# --- who may ---------------------------------------------------------------------------------


def can_configure(actor: Actor) -> bool:
    return actor.can(CONFIGURE)


def can_edit_global(actor: Actor) -> bool:
    """Whether the actor edits deployment-wide configuration (a county-or-above post)."""
    return actor.can_deployment_wide(CONFIGURE)


def require_global(actor: Actor) -> None:
    if not can_edit_global(actor):
        raise PermissionDenied(
            "积分体系、通用指标目录、积分设置和自动积分规则对所有街道生效，"
            "由县级及以上的系统管理员维护"
        )


def can_edit_catalog(actor: Actor, catalog: Catalog) -> bool:
    """The default catalog: county-level posts; a unit's own catalog: posts covering it."""
    if catalog.unit_id is None:
        return can_edit_global(actor)
    assert catalog.unit is not None
    return actor.can(CONFIGURE, catalog.unit.path)


def require_catalog(actor: Actor, catalog: Catalog) -> None:
    if not can_edit_catalog(actor, catalog):
        if catalog.unit_id is None:
            require_global(actor)
        raise PermissionDenied("该目录不在您的管辖范围内，不能修改")


# --- reads -----------------------------------------------------------------------------------


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def catalogs_for(actor: Actor) -> QuerySet[Catalog]:
    """Catalogs the actor's configuration pages show: the default ones, units' own catalogs
    inside the actor's scope, and those of the units above it (they apply to the actor's
    units too, read-only)."""
    paths = actor.scope_paths(CONFIGURE)
    above = sorted({a for p in paths for a in _ancestor_paths(p)})
    return (
        Catalog.objects.filter(
            Q(unit__isnull=True) | path_q("unit__path", paths) | Q(unit__path__in=above)
        )
        .select_related("scheme", "unit")
        .order_by("-year", "scheme__sort_order", "scheme_id", "unit__path", "id")
    )


def catalog_units_for(actor: Actor) -> QuerySet[Unit]:
    """Counties and streets in the actor's configuration scope (may hold their own catalog)."""
    return Unit.objects.filter(
        path_q("path", actor.scope_paths(CONFIGURE)),
        kind__in=LOCAL_CATALOG_KINDS,
        is_active=True,
    ).order_by("path")


def catalog_indicators(catalog: Catalog) -> list[tuple[Aspect, list[Indicator]]]:
    """The catalog's aspects in order, each with its indicators (two queries)."""
    aspects = list(catalog.aspects.order_by("sort_order", "id"))
    by_aspect: dict[int, list[Indicator]] = {a.pk: [] for a in aspects}
    for ind in catalog.indicators.order_by("sort_order", "id"):
        by_aspect.setdefault(ind.aspect_id, []).append(ind)
    return [(a, by_aspect[a.pk]) for a in aspects]


# --- schemes (deployment-wide) ---------------------------------------------------------------


def _clean_name(name: str, *, field: str = "name", limit: int = 60, what: str = "名称") -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(f"请填写{what}", field=field)
    if len(name) > limit:
        raise DomainError(f"{what}最多{limit}个字", field=field)
    return name


def _int(value: Any, field: str, *, low: int, high: int, what: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise DomainError(f"{what}请填写整数", field=field) from exc
    if not low <= number <= high:
        raise DomainError(f"{what}应在 {low} 到 {high} 之间", field=field)
    return number


@transaction.atomic
def scheme_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    subject_kind: str,
    spendable: bool = False,
    notice_days: int = 3,
    description: str = "",
) -> Scheme:
    """A new scheme (积分体系), e.g. a county's 巾帼积分 for households. `code` and the kind of
    subject are fixed once created (accounts and award rules refer to them)."""
    require_global(actor)
    code = (code or "").strip().lower()
    if not _CODE.match(code):
        raise DomainError("代码用2到40位小写字母、数字、-或_，以字母开头", field="code")
    if Scheme.objects.filter(code=code).exists():
        raise DomainError(f"代码“{code}”已被使用", field="code")
    if subject_kind not in SubjectKind.values:
        raise DomainError("请选择积分对象", field="subject_kind")
    last = Scheme.objects.aggregate(m=Max("sort_order"))["m"] or 0
    try:
        with transaction.atomic():
            return Scheme.objects.create(
                code=code,
                name=_clean_name(name),
                subject_kind=subject_kind,
                spendable=bool(spendable) and subject_kind == SubjectKind.HOUSEHOLD,
                notice_days=_int(
                    notice_days, "notice_days", low=0, high=MAX_NOTICE_DAYS, what="公示天数"
                ),
                description=(description or "").strip()[:1000],
                sort_order=last + 10,
            )
    except IntegrityError as exc:  # a concurrent create of the same code
        raise DomainError(f"代码“{code}”已被使用", field="code") from exc


@transaction.atomic
def scheme_update(
    *,
    actor: Actor,
    scheme: Scheme,
    name: str,
    spendable: bool,
    notice_days: int,
    description: str = "",
    is_active: bool = True,
) -> Scheme:
    """Rename a scheme, change its notice days (for proposals approved from now on) or stop
    it. The last active household or party-member scheme cannot be stopped: proposals,
    rankings and the store need one."""
    require_global(actor)
    name = _clean_name(name)
    days = _int(notice_days, "notice_days", low=0, high=MAX_NOTICE_DAYS, what="公示天数")
    if spendable and scheme.subject_kind != SubjectKind.HOUSEHOLD:
        raise DomainError("只有户积分可以在积分超市兑换", field="spendable")
    if (
        not is_active
        and scheme.is_active
        and scheme.subject_kind in REQUIRED_KINDS
        and not Scheme.objects.filter(subject_kind=scheme.subject_kind, is_active=True)
        .exclude(pk=scheme.pk)
        .exists()
    ):
        label = SubjectKind(scheme.subject_kind).label
        raise DomainError(f"这是唯一启用的“{label}”积分体系，不能停用", field="is_active")
    scheme.name, scheme.spendable, scheme.notice_days = name, bool(spendable), days
    scheme.description = (description or "").strip()[:1000]
    scheme.is_active = bool(is_active)
    scheme.save()
    return scheme


# --- catalogs --------------------------------------------------------------------------------


def year_start(year: int) -> dt.datetime:
    """Midnight of Jan 1 of `year`, local time: a copied catalog's revisions start then."""
    return timezone.make_aware(dt.datetime(year, 1, 1))  # noqa: DTZ001


def _year(value: Any) -> int:
    return _int(value, "year", low=MIN_YEAR, high=MAX_YEAR, what="年度")


def _copy_contents(source: Catalog, target: Catalog, *, effective_from: dt.datetime) -> int:
    """Copy the source's aspects and ACTIVE indicators into `target`, each indicator with a
    fresh revision 1 carrying its current values; returns the number of indicators copied."""
    copied = 0
    for aspect, indicators in catalog_indicators(source):
        new_aspect = Aspect.objects.create(
            catalog=target, name=aspect.name, sort_order=aspect.sort_order
        )
        for ind in indicators:
            if not ind.is_active:
                continue  # a retired indicator does not come back with the next catalog
            new = Indicator.objects.create(
                catalog=target,
                aspect=new_aspect,
                code=ind.code,
                name=ind.name,
                points=ind.points,
                cap_points=ind.cap_points,
                cap_period=ind.cap_period,
                evidence=ind.evidence,
                sort_order=ind.sort_order,
                revision=1,
            )
            IndicatorRevision.objects.create(
                indicator=new,
                number=1,
                name=ind.name,
                points=ind.points,
                cap_points=ind.cap_points,
                cap_period=ind.cap_period,
                evidence=ind.evidence,
                effective_from=effective_from,
                reason=f"复制自{source.year}年目录",
            )
            copied += 1
    return copied


def _exists(scheme: Scheme, year: int, unit: Unit | None) -> bool:
    return Catalog.objects.filter(scheme=scheme, year=year, unit=unit).exists()


def _create_catalog(*, scheme: Scheme, year: int, unit: Unit | None, name: str) -> Catalog:
    where = f"{unit.display_name}的" if unit is not None else "通用"
    if _exists(scheme, year, unit):
        raise DomainError(f"{year}年已有“{scheme.name}”的{where}目录", field="year")
    try:
        with transaction.atomic():
            return Catalog.objects.create(scheme=scheme, year=year, unit=unit, name=name)
    except IntegrityError as exc:  # created concurrently
        raise DomainError(f"{year}年已有“{scheme.name}”的{where}目录", field="year") from exc


def copy_source_for(*, scheme: Scheme, unit: Unit | None, year: int) -> Catalog | None:
    """What a new catalog starts from: the catalog that applies there in `year` now (for a
    unit, its own or the one above; for the default, that year's default), else the latest
    earlier one that applied there."""
    path = unit.path if unit is not None else ""
    found = catalog_for(scheme=scheme, path=path, year=year)
    if found is not None and (unit is None or found.unit_id != unit.pk):
        return found
    for earlier in (
        Catalog.objects.filter(scheme=scheme, year__lt=year, is_active=True)
        .values_list("year", flat=True)
        .distinct()
        .order_by("-year")
    ):
        found = catalog_for(scheme=scheme, path=path, year=earlier)
        if found is not None:
            return found
    return None


@transaction.atomic
def catalog_create(
    *,
    actor: Actor,
    scheme: Scheme,
    year: int,
    unit: Unit | None,
    name: str,
    copy_from: Catalog | None = None,
) -> Catalog:
    """A catalog for a scheme and year: the default one (`unit` None, county-level posts) or
    a county's or street's own. `copy_from` (e.g. the catalog that applies there now) gives
    it that catalog's aspects and active indicators to start from; otherwise it starts empty
    — and applies as soon as it exists, so an empty own catalog leaves nothing to propose."""
    year = _year(year)
    name = _clean_name(name, limit=100)
    if unit is None:
        require_global(actor)
    else:
        if unit.kind not in LOCAL_CATALOG_KINDS:
            raise DomainError("只有县（市、区）或乡镇（街道）可以设本地目录", field="unit")
        if not actor.can(CONFIGURE, unit.path):
            raise PermissionDenied("该单位不在您的管辖范围内", field="unit")
    if copy_from is not None and copy_from.scheme_id != scheme.pk:
        raise DomainError("只能以同一积分体系的目录为底稿", field="copy_from")
    catalog = _create_catalog(scheme=scheme, year=year, unit=unit, name=name)
    if copy_from is not None:
        _copy_contents(copy_from, catalog, effective_from=max(clock.now(), year_start(year)))
    return catalog


@transaction.atomic
def catalog_copy(*, actor: Actor, catalog: Catalog, year: int) -> Catalog:
    """Copy a catalog to another year (same scheme, same unit): its aspects and active
    indicators, each with a fresh revision 1 effective from Jan 1 of that year."""
    require_catalog(actor, catalog)
    year = _year(year)
    if year == catalog.year:
        raise DomainError("请选择另一个年度", field="year")
    new = _create_catalog(scheme=catalog.scheme, year=year, unit=catalog.unit, name=catalog.name)
    _copy_contents(catalog, new, effective_from=year_start(year))
    return new


@transaction.atomic
def catalog_update(*, actor: Actor, catalog: Catalog, name: str, is_active: bool) -> Catalog:
    """Rename a catalog or stop it (a stopped own catalog hands its unit back to the catalog
    above it; proposals already made keep their indicator)."""
    require_catalog(actor, catalog)
    catalog.name = _clean_name(name, limit=100)
    catalog.is_active = bool(is_active)
    catalog.save()
    return catalog


def catalogs_roll_over(year: int) -> list[Catalog]:
    """The yearly rollover (a periodic job in December or on Jan 1): every active default
    catalog of `year - 1` whose scheme has no default catalog for `year` is copied to `year`.
    Idempotent. Units' own catalogs are copied by their editors (the page's “复制到下一年”)."""
    created: list[Catalog] = []
    previous = Catalog.objects.filter(
        year=year - 1, unit__isnull=True, is_active=True, scheme__is_active=True
    ).select_related("scheme")
    for catalog in previous:
        if _exists(catalog.scheme, year, None):
            continue
        try:
            with transaction.atomic():
                new = _create_catalog(
                    scheme=catalog.scheme, year=year, unit=None, name=catalog.name
                )
                _copy_contents(catalog, new, effective_from=year_start(year))
        except DomainError:
            continue  # made by someone else in between
        created.append(new)
    return created


# --- aspects ---------------------------------------------------------------------------------


@transaction.atomic
def aspect_create(*, actor: Actor, catalog: Catalog, name: str) -> Aspect:
    """A new aspect (方面) at the end of the catalog."""
    require_catalog(actor, catalog)
    name = _clean_name(name, limit=40)
    if catalog.aspects.filter(name=name).exists():
        raise DomainError(f"已有方面“{name}”", field="name")
    last = catalog.aspects.aggregate(m=Max("sort_order"))["m"]
    return Aspect.objects.create(
        catalog=catalog, name=name, sort_order=0 if last is None else last + 1
    )


@transaction.atomic
def aspect_rename(*, actor: Actor, aspect: Aspect, name: str) -> Aspect:
    require_catalog(actor, aspect.catalog)
    name = _clean_name(name, limit=40)
    if aspect.catalog.aspects.filter(name=name).exclude(pk=aspect.pk).exists():
        raise DomainError(f"已有方面“{name}”", field="name")
    aspect.name = name
    aspect.save()
    return aspect


@transaction.atomic
def aspect_move(*, actor: Actor, aspect: Aspect, offset: int) -> list[Aspect]:
    """Move an aspect up (-1) or down (+1) among its catalog's aspects; the order is
    renumbered 0, 1, 2… Returns the aspects in their new order."""
    catalog = aspect.catalog
    require_catalog(actor, catalog)
    aspects = list(catalog.aspects.select_for_update().order_by("sort_order", "id"))
    index = next(i for i, a in enumerate(aspects) if a.pk == aspect.pk)
    target = max(0, min(len(aspects) - 1, index + offset))
    aspects.insert(target, aspects.pop(index))
    for order, row in enumerate(aspects):
        if row.sort_order != order:
            row.sort_order = order
            row.save(update_fields=["sort_order", "updated_at"])
    return aspects


# --- indicators ------------------------------------------------------------------------------


def _indicator_values(
    *, name: str, points: Any, cap_points: Any, cap_period: str, evidence: str
) -> dict[str, Any]:
    name = _clean_name(name, limit=100, what="指标名称")
    value = _int(points, "points", low=-MAX_POINTS, high=MAX_POINTS, what="分值")
    if value == 0:
        raise DomainError("分值不能为 0（扣分填负数）", field="points")
    cap = _int(cap_points, "cap_points", low=0, high=100 * MAX_POINTS, what="上限分值")
    cap_period = cap_period or ""
    if cap_period not in CapPeriod.values:
        raise DomainError("请选择上限周期", field="cap_period")
    if cap and not cap_period:
        raise DomainError("设置了上限分值，请选择上限周期", field="cap_period")
    if cap_period and not cap:
        raise DomainError("选择了上限周期，请填写上限分值", field="cap_points")
    if cap and cap < abs(value):
        raise DomainError(f"上限分值不能小于一次的分值 {abs(value)}", field="cap_points")
    if evidence not in Evidence.values:
        raise DomainError("请选择佐证要求", field="evidence")
    return {
        "name": name,
        "points": value,
        "cap_points": cap,
        "cap_period": cap_period,
        "evidence": evidence,
    }


@transaction.atomic
def indicator_create(
    *,
    actor: Actor,
    catalog: Catalog,
    aspect: Aspect,
    code: str,
    name: str,
    points: Any,
    cap_points: Any = 0,
    cap_period: str = "",
    evidence: str = Evidence.TEXT,
) -> Indicator:
    """A new indicator with its revision 1, effective now. `code` is fixed once created:
    automatic-award rules find their indicator by code in every year's catalog."""
    require_catalog(actor, catalog)
    if aspect.catalog_id != catalog.pk:
        raise DomainError("请选择本目录的方面", field="aspect")
    code = (code or "").strip().lower().replace("-", "_")
    if not _CODE.match(code):
        raise DomainError("代码用2到40位小写字母、数字或_，以字母开头", field="code")
    if catalog.indicators.filter(code=code).exists():
        raise DomainError(f"本目录已有代码为“{code}”的指标", field="code")
    values = _indicator_values(
        name=name, points=points, cap_points=cap_points, cap_period=cap_period, evidence=evidence
    )
    last = aspect.indicators.aggregate(m=Max("sort_order"))["m"]
    try:
        with transaction.atomic():
            indicator = Indicator.objects.create(
                catalog=catalog,
                aspect=aspect,
                code=code,
                sort_order=0 if last is None else last + 1,
                revision=1,
                **values,
            )
    except IntegrityError as exc:
        raise DomainError(f"本目录已有代码为“{code}”的指标", field="code") from exc
    IndicatorRevision.objects.create(
        indicator=indicator,
        number=1,
        effective_from=max(clock.now(), year_start(catalog.year)),
        changed_by_id=actor.user_id,
        reason="新增指标",
        **values,
    )
    return indicator


@transaction.atomic
def indicator_revise(
    *,
    actor: Actor,
    indicator: Indicator,
    name: str,
    points: Any,
    cap_points: Any,
    cap_period: str,
    evidence: str,
    reason: str,
) -> IndicatorRevision:
    """Change an indicator's values from now on (修订): append revision n+1 and move the
    indicator's current columns to it. Booked points and proposals already made keep the
    revision they were made with; the next proposal uses the new values."""
    require_catalog(actor, indicator.catalog)
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError("请填写修改原因", field="reason")
    values = _indicator_values(
        name=name, points=points, cap_points=cap_points, cap_period=cap_period, evidence=evidence
    )
    # The row lock makes two editors' revisions sequential (numbers never collide).
    locked = Indicator.objects.select_for_update().get(pk=indicator.pk)
    if all(getattr(locked, k) == v for k, v in values.items()):
        raise DomainError("没有修改任何内容", field="points")
    number = locked.revision + 1
    revision = IndicatorRevision.objects.create(
        indicator=locked,
        number=number,
        effective_from=clock.now(),
        changed_by_id=actor.user_id,
        reason=reason[:200],
        **values,
    )
    for key, value in values.items():
        setattr(locked, key, value)
        setattr(indicator, key, value)
    locked.revision = indicator.revision = number
    locked.save()
    return revision


@transaction.atomic
def indicator_set_active(*, actor: Actor, indicator: Indicator, active: bool) -> Indicator:
    """Stop (or resume) an indicator: no new proposals or awards for it; proposals already
    made go on and booked points stay."""
    require_catalog(actor, indicator.catalog)
    if indicator.is_active != bool(active):
        indicator.is_active = bool(active)
        indicator.save()
    return indicator


# --- settings and award rules (deployment-wide) ----------------------------------------------


def _weight(value: Any, field: str) -> Decimal:
    try:
        weight = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise DomainError("请填写0到1之间的小数", field=field) from exc
    if not weight.is_finite() or not Decimal(0) <= weight <= Decimal(1):
        raise DomainError("请填写0到1之间的小数", field=field)
    if weight != weight.quantize(Decimal("0.01")):
        raise DomainError("权重最多两位小数", field=field)
    return weight.quantize(Decimal("0.01"))


@transaction.atomic
def settings_update(
    *,
    actor: Actor,
    low_score_threshold: Any,
    member_own_weight: Any,
    member_linked_weight: Any,
    rating_top_label: str,
    rating_top_min: Any,
    rating_mid_label: str,
    rating_mid_min: Any,
    rating_low_label: str,
    objections_per_source_hour: Any,
) -> PointsSettings:
    """Edit the settings row: the reminder-talk threshold, the party members' combined-score
    weights (adding up to 1), the 三类户 labels and thresholds (第二类 below 第一类) and the
    residents' objection limit. Applies from now on (ratings already made stay)."""
    require_global(actor)
    own = _weight(member_own_weight, "member_own_weight")
    linked = _weight(member_linked_weight, "member_linked_weight")
    if own + linked != Decimal(1):
        raise DomainError(
            f"两项权重之和应为 1（现在为 {own + linked}）", field="member_linked_weight"
        )
    top = _int(rating_top_min, "rating_top_min", low=-100000, high=100000, what="分数线")
    mid = _int(rating_mid_min, "rating_mid_min", low=-100000, high=100000, what="分数线")
    if mid >= top:
        raise DomainError("第二类户的分数线应低于第一类户", field="rating_mid_min")
    given = {
        "rating_top_label": rating_top_label,
        "rating_mid_label": rating_mid_label,
        "rating_low_label": rating_low_label,
    }
    labels = {f: _clean_name(v, field=f, limit=10, what="称号") for f, v in given.items()}
    if len(set(labels.values())) < 3:
        raise DomainError("三类户的称号不能相同", field="rating_low_label")
    row = points_settings()
    row.low_score_threshold = _int(
        low_score_threshold, "low_score_threshold", low=-100000, high=100000, what="分数线"
    )
    row.member_own_weight, row.member_linked_weight = own, linked
    row.rating_top_min, row.rating_mid_min = top, mid
    for field, label in labels.items():
        setattr(row, field, label)
    row.objections_per_source_hour = _int(
        objections_per_source_hour, "objections_per_source_hour", low=1, high=1000, what="次数"
    )
    row.save()
    return row


@transaction.atomic
def award_rule_update(
    *, actor: Actor, rule: AwardRule, scheme: Scheme, indicator_code: str, is_active: bool
) -> AwardRule:
    """Point an automatic award at another indicator (by code, so it follows each year's and
    each county's catalog), or switch it on or off."""
    require_global(actor)
    code = (indicator_code or "").strip().lower()
    if not Indicator.objects.filter(catalog__scheme=scheme, code=code).exists():
        raise DomainError(
            f"“{scheme.name}”的目录中没有代码为“{code}”的指标", field="indicator_code"
        )
    rule.scheme, rule.indicator_code, rule.is_active = scheme, code, bool(is_active)
    rule.save()
    return rule
