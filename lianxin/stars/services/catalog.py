"""The catalog every other part reads: a county's star set for a year and unit type, and its
settings. Both are created the first time they are needed, copied from the county's latest
earlier year (so edits carry over) or from the defaults (stars.defaults).

Editing (DESIGN.md invariant 5: local rules are data): only a `stars.configure` post at county
level or above, and only for a county in its scope, renames, reorders and (de)activates stars,
adds, edits and deactivates standards, and edits the county's settings of a year. A year whose
declarations have started stays editable, but a standard that declarations or reviews already
reference keeps its kind (what was declared and scored against it must keep its meaning); it
can be deactivated instead. Task forces (专班) and the weak-branch list (软弱涣散) are kept by
the county's configure or task-force (`stars.review_county`) posts.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Max

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied, clean_text
from lianxin.stars import indicators
from lianxin.stars import workflow as wf
from lianxin.stars.defaults import DEFAULT_SETS
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
                    is_active=s.is_active,
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


# --- who edits ---------------------------------------------------------------------------------

CONFIGURE_MESSAGE = "星级目录、创建标准与创建参数由县级组织部门（创建办）维护"
GROUPS_MESSAGE = "创建专班与软弱涣散党组织名单由县级组织部门或创建专班维护"


def can_configure(actor: Actor, county: Unit) -> bool:
    """Whether the actor edits the county's catalog and settings: a `stars.configure` post at
    county level or above, with the county in its scope."""
    return actor.can_deployment_wide(wf.CONFIGURE) and actor.can(wf.CONFIGURE, county.path)


def can_manage_groups(actor: Actor, county: Unit) -> bool:
    """Whether the actor keeps the county's task forces and weak-branch list (the county's
    configure posts, or its task force: `stars.review_county` at the county or above)."""
    return can_configure(actor, county) or actor.can(wf.REVIEW_COUNTY, county.path)


def _require_configure(actor: Actor, county: Unit) -> None:
    if not can_configure(actor, county):
        raise PermissionDenied(CONFIGURE_MESSAGE)


def _require_groups(actor: Actor, county: Unit) -> None:
    if not can_manage_groups(actor, county):
        raise PermissionDenied(GROUPS_MESSAGE)


def _decimal(value: object, *, field: str, label: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(f"{label}应为数字", field=field) from exc
    if not number.is_finite():
        raise DomainError(f"{label}应为数字", field=field)
    return number


def _places(value: Decimal, places: int, *, field: str, label: str) -> None:
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise DomainError(f"{label}最多保留{places}位小数", field=field)


# --- stars -------------------------------------------------------------------------------------

STAR_CODE = re.compile(r"[a-z][a-z0-9_-]{1,29}")


def _star_texts(name: str, short_name: str, description: str) -> dict[str, str]:
    return {
        "name": clean_text(name, field="name", label="星的名称", max_length=30),
        "short_name": clean_text(short_name, field="short_name", label="简称", max_length=8),
        "description": clean_text(
            description, field="description", label="创建要求", max_length=2000, required=False
        ),
    }


def _unique_star_name(star_set: StarSet, name: str, exclude: int | None = None) -> None:
    qs = Star.objects.filter(star_set=star_set, name=name)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    if qs.exists():
        raise DomainError(f"本目录已有“{name}”", field="name")


@transaction.atomic
def star_update(
    *,
    actor: Actor,
    star: Star,
    name: str,
    short_name: str,
    description: str,
    is_active: bool,
) -> Star:
    """Rename a star, change its requirements text or (de)activate it. Its code never changes:
    the battle map and the figures compare years by it."""
    _require_configure(actor, star.star_set.county)
    fields = _star_texts(name, short_name, description)
    _unique_star_name(star.star_set, fields["name"], exclude=star.pk)
    for key, value in fields.items():
        setattr(star, key, value)
    star.is_active = is_active
    star.save()
    return star


@transaction.atomic
def star_create(
    *,
    actor: Actor,
    star_set: StarSet,
    code: str,
    name: str,
    short_name: str,
    description: str = "",
) -> Star:
    """Add a star to a set (a local variant such as 宜业兴业星), last in the order."""
    _require_configure(actor, star_set.county)
    code = (code or "").strip().lower()
    if not STAR_CODE.fullmatch(code):
        raise DomainError("代码由小写字母开头，可含数字、-、_，2到30个字符", field="code")
    if Star.objects.filter(star_set=star_set, code=code).exists():
        raise DomainError(f"本目录已有代码为“{code}”的星", field="code")
    fields = _star_texts(name, short_name, description)
    _unique_star_name(star_set, fields["name"])
    last = Star.objects.filter(star_set=star_set).aggregate(m=Max("sort_order"))["m"] or 0
    return Star.objects.create(star_set=star_set, code=code, sort_order=last + 1, **fields)


@transaction.atomic
def star_move(*, actor: Actor, star: Star, offset: int) -> Star:
    """Move a star one place up (offset -1) or down (+1) in its set; the order is renumbered
    1, 2, 3 … so that equal sort orders cannot hide a move."""
    _require_configure(actor, star.star_set.county)
    if offset not in (-1, 1):
        raise DomainError("请从页面上的按钮调整顺序")
    # One editor at a time per set: the renumbering reads and writes every star of it.
    StarSet.objects.select_for_update().filter(pk=star.star_set_id).first()
    stars = list(Star.objects.filter(star_set_id=star.star_set_id).order_by("sort_order", "id"))
    index = next(i for i, s in enumerate(stars) if s.pk == star.pk)
    target = index + offset
    if 0 <= target < len(stars):
        stars[index], stars[target] = stars[target], stars[index]
    for order, s in enumerate(stars, start=1):
        if s.sort_order != order:
            s.sort_order = order
            s.save(update_fields=["sort_order", "updated_at"])
    return next(s for s in stars if s.pk == star.pk)


# --- standards ---------------------------------------------------------------------------------

SCORE_LIMIT = Decimal("9999.99")
THRESHOLD_LIMIT = Decimal("9999999999")
KIND_LOCKED = (
    "该标准已被申报或评审引用，不能更改类型（已申报的佐证和评分须保持原意）；"
    "如需改用其他类型，请停用该标准后新增一条"
)


@dataclass(frozen=True)
class StandardDraft:
    """A standard as typed. `threshold` is as stored: a share (0–1) for rate indicators (the
    form turns the percentage it shows into a share)."""

    name: str
    kind: str
    max_score: Decimal | None = None
    pass_score: Decimal | None = None
    evidence_hint: str = ""
    figure_key: str = ""
    comparator: str = ""
    threshold: Decimal | None = None
    is_required: bool = True
    is_active: bool = True
    sort_order: int | None = None


def _clean_manual(d: StandardDraft) -> dict[str, object]:
    max_score = _decimal(d.max_score, field="max_score", label="满分")
    pass_score = _decimal(d.pass_score, field="pass_score", label="及格分")
    if max_score is None:
        raise DomainError("请填写满分", field="max_score")
    if max_score <= 0:
        raise DomainError("满分应大于0", field="max_score")
    if max_score > SCORE_LIMIT:
        raise DomainError(f"满分不超过{SCORE_LIMIT}", field="max_score")
    _places(max_score, 2, field="max_score", label="满分")
    if pass_score is None:
        raise DomainError("请填写及格分", field="pass_score")
    if not Decimal(0) <= pass_score <= max_score:
        raise DomainError(f"及格分应在0到满分（{max_score.normalize():f}）之间", field="pass_score")
    _places(pass_score, 2, field="pass_score", label="及格分")
    return {"max_score": max_score, "pass_score": pass_score}


def _clean_figure(d: StandardDraft) -> dict[str, object]:
    indicator = indicators.INDICATORS.get(d.figure_key or "")
    if indicator is None:
        raise DomainError("请选择平台数据项", field="figure_key")
    if d.comparator not in wf.COMPARATORS:
        raise DomainError("请选择比较方式", field="comparator")
    threshold = _decimal(d.threshold, field="threshold", label="阈值")
    if threshold is None:
        raise DomainError("请填写阈值", field="threshold")
    if indicator.measure == "rate":
        if not Decimal(0) <= threshold <= Decimal(1):
            raise DomainError(f"{indicator.label}是比例，阈值应在0%到100%之间", field="threshold")
        if threshold != threshold.quantize(Decimal("0.0001")):
            raise DomainError("百分比最多保留两位小数", field="threshold")
    else:
        if threshold < 0:
            raise DomainError("阈值不能为负数", field="threshold")
        if threshold > THRESHOLD_LIMIT:
            raise DomainError("阈值过大", field="threshold")
        if indicator.measure == "count" and threshold != threshold.to_integral_value():
            raise DomainError(f"{indicator.label}是件数或人数，阈值应为整数", field="threshold")
        _places(threshold, 2 if indicator.measure == "yuan" else 4, field="threshold", label="阈值")
    return {"figure_key": indicator.key, "comparator": d.comparator, "threshold": threshold}


def _clean_standard(d: StandardDraft) -> dict[str, object]:
    """The standard's columns; those its kind does not use are emptied, so a row never
    carries a stale score range, hint or threshold of another kind."""
    fields: dict[str, object] = {
        "name": clean_text(d.name, field="name", label="标准名称", max_length=120),
        "kind": d.kind,
        "max_score": None,
        "pass_score": None,
        "evidence_hint": "",
        "figure_key": "",
        "comparator": "",
        "threshold": None,
        "is_required": bool(d.is_required),
        "is_active": bool(d.is_active),
    }
    if d.kind == wf.MANUAL:
        fields.update(_clean_manual(d))
    elif d.kind == wf.EVIDENCE:
        fields["evidence_hint"] = clean_text(
            d.evidence_hint, field="evidence_hint", label="佐证要求", max_length=200
        )
    elif d.kind == wf.FIGURE:
        fields.update(_clean_figure(d))
    else:
        raise DomainError("请选择标准类型", field="kind")
    if d.sort_order is not None:
        if not 0 <= d.sort_order <= 999:
            raise DomainError("排序应在0到999之间", field="sort_order")
        fields["sort_order"] = d.sort_order
    return fields


def standard_in_use(standard: Standard) -> bool:
    """Whether a declaration's evidence or a review's score refers to the standard."""
    return (
        DeclarationEntry.objects.filter(standard=standard).exists()
        or StandardScore.objects.filter(standard=standard).exists()
    )


def _next_standard_code(star: Star) -> str:
    used = set(Standard.objects.filter(star=star).values_list("code", flat=True))
    n = len(used) + 1
    while f"s{n}" in used:
        n += 1
    return f"s{n}"


@transaction.atomic
def standard_create(*, actor: Actor, star: Star, draft: StandardDraft) -> Standard:
    """Add a standard to a star (last in its order unless one is given)."""
    _require_configure(actor, star.star_set.county)
    fields = _clean_standard(draft)
    if "sort_order" not in fields:
        last = Standard.objects.filter(star=star).aggregate(m=Max("sort_order"))["m"] or 0
        fields["sort_order"] = last + 1
    return Standard.objects.create(star=star, code=_next_standard_code(star), **fields)  # type: ignore[arg-type]


@transaction.atomic
def standard_update(*, actor: Actor, standard: Standard, draft: StandardDraft) -> Standard:
    """Change a standard. Its kind is kept once declarations or reviews reference it."""
    _require_configure(actor, standard.star.star_set.county)
    fields = _clean_standard(draft)
    if fields["kind"] != standard.kind and standard_in_use(standard):
        raise DomainError(KIND_LOCKED, field="kind")
    for key, value in fields.items():
        setattr(standard, key, value)
    standard.save()
    return standard


# --- the county's settings of a year -----------------------------------------------------------


@transaction.atomic
def settings_update(
    *,
    actor: Actor,
    settings: CreationSettings,
    notice_days: int,
    progress_award: Decimal,
    reward_min_income: Decimal,
    reward_min_growth: Decimal,
    reward_share: Decimal,
    contest_advance: int,
) -> CreationSettings:
    """Change the county's numbers for the year: notice days (公示天数), the progress star's
    award, the cadre reward rule (income floor, growth floor and share of the increment, as
    shares) and how many contest entrants per township advance to the county final."""
    _require_configure(actor, settings.county)
    if not isinstance(notice_days, int) or not 1 <= notice_days <= 30:
        raise DomainError("公示天数应在1到30天之间", field="notice_days")
    if not isinstance(contest_advance, int) or not 1 <= contest_advance <= 99:
        raise DomainError("晋级名额应在1到99之间", field="contest_advance")
    money = {
        "progress_award": ("进步星奖励", progress_award),
        "reward_min_income": ("奖励门槛收入", reward_min_income),
    }
    values: dict[str, object] = {"notice_days": notice_days, "contest_advance": contest_advance}
    for field, (label, raw) in money.items():
        number = _decimal(raw, field=field, label=label)
        if number is None:
            raise DomainError(f"请填写{label}", field=field)
        if not Decimal(0) <= number <= THRESHOLD_LIMIT:
            raise DomainError(f"{label}应为不小于0的金额", field=field)
        _places(number, 2, field=field, label=label)
        values[field] = number
    shares = {
        "reward_min_growth": ("增幅门槛", reward_min_growth, Decimal("9.9999")),
        "reward_share": ("奖励比例", reward_share, Decimal(1)),
    }
    for field, (label, raw, top) in shares.items():
        number = _decimal(raw, field=field, label=label)
        if number is None:
            raise DomainError(f"请填写{label}", field=field)
        if not Decimal(0) <= number <= top:
            raise DomainError(f"{label}应在0%到{top * 100:.0f}%之间", field=field)
        if number != number.quantize(wf.SHARE):
            raise DomainError(f"{label}最多保留两位小数（百分数）", field=field)
        values[field] = number
    for key, value in values.items():
        setattr(settings, key, value)
    settings.save()
    return settings


# --- task forces (专班) --------------------------------------------------------------------------


def _task_force_fields(
    county: Unit, name: str, lead_unit: str, leader_name: str, star_code: str
) -> dict[str, str]:
    star_code = (star_code or "").strip()
    if star_code and not Star.objects.filter(star_set__county=county, code=star_code).exists():
        raise DomainError("请选择本县星级目录中的星", field="star_code")
    return {
        "name": clean_text(name, field="name", label="专班名称", max_length=60),
        "lead_unit": clean_text(
            lead_unit, field="lead_unit", label="牵头单位", max_length=60, required=False
        ),
        "leader_name": clean_text(
            leader_name, field="leader_name", label="专班负责人", max_length=30, required=False
        ),
        "star_code": star_code,
    }


def _unique_task_force(county: Unit, name: str, exclude: int | None = None) -> None:
    qs = TaskForce.objects.filter(county=county, name=name)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    if qs.exists():
        raise DomainError(f"已有名为“{name}”的专班", field="name")


@transaction.atomic
def task_force_create(
    *,
    actor: Actor,
    county: Unit,
    name: str,
    lead_unit: str = "",
    leader_name: str = "",
    star_code: str = "",
) -> TaskForce:
    """Set up a county task force (创建专班), optionally in charge of one star."""
    _require_groups(actor, county)
    if county.kind not in (UnitKind.COUNTY, UnitKind.CITY):
        raise DomainError("专班设在县（市、区）")
    fields = _task_force_fields(county, name, lead_unit, leader_name, star_code)
    _unique_task_force(county, fields["name"])
    try:
        with transaction.atomic():
            return TaskForce.objects.create(county=county, **fields)
    except IntegrityError as exc:
        raise DomainError(f"已有名为“{fields['name']}”的专班", field="name") from exc


@transaction.atomic
def task_force_update(
    *,
    actor: Actor,
    task_force: TaskForce,
    name: str,
    lead_unit: str,
    leader_name: str,
    star_code: str,
    is_active: bool,
) -> TaskForce:
    """Change a task force, or stand it down (`is_active=False`; kept for its history)."""
    _require_groups(actor, task_force.county)
    fields = _task_force_fields(task_force.county, name, lead_unit, leader_name, star_code)
    _unique_task_force(task_force.county, fields["name"], exclude=task_force.pk)
    for key, value in fields.items():
        setattr(task_force, key, value)
    task_force.is_active = is_active
    task_force.save()
    return task_force


# --- weak branches (软弱涣散党组织) --------------------------------------------------------------


def weak_branch_years(today: dt.date | None = None) -> range:
    """Years a designation may be made for: last year (late), this year and next (December)."""
    year = (today or clock.today()).year
    return range(year - 1, year + 2)


@transaction.atomic
def weak_branch_designate(
    *, actor: Actor, unit: Unit, year: int, reason: str, liaison_name: str = ""
) -> WeakBranch:
    """Put a village's branch on the year's weak-branch list, with the reason and the
    organisation-department cadre who keeps in touch with it (seed 004)."""
    if unit.kind != UnitKind.VILLAGE or not unit.is_active:
        raise DomainError("请选择村（社区）", field="unit")
    _require_groups(actor, county_of(unit))
    years = weak_branch_years()
    if year not in years:
        raise DomainError(f"年度应在{years[0]}至{years[-1]}年之间", field="year")
    reason = clean_text(reason, field="reason", label="原因", max_length=200)
    liaison_name = clean_text(
        liaison_name, field="liaison_name", label="联系组工干部", max_length=30, required=False
    )
    if WeakBranch.objects.filter(unit=unit, year=year).exists():
        raise DomainError(f"{unit.display_name}已列入{year}年软弱涣散名单", field="unit")
    try:
        with transaction.atomic():
            return WeakBranch.objects.create(
                unit=unit,
                year=year,
                reason=reason,
                liaison_name=liaison_name,
                designated_by_id=actor.user_id,
            )
    except IntegrityError as exc:
        raise DomainError(f"{unit.display_name}已列入{year}年软弱涣散名单", field="unit") from exc


@transaction.atomic
def weak_branch_update(
    *, actor: Actor, weak_branch: WeakBranch, reason: str, liaison_name: str
) -> WeakBranch:
    """Correct the reason or change the liaison cadre."""
    _require_groups(actor, county_of(weak_branch.unit))
    weak_branch.reason = clean_text(reason, field="reason", label="原因", max_length=200)
    weak_branch.liaison_name = clean_text(
        liaison_name, field="liaison_name", label="联系组工干部", max_length=30, required=False
    )
    weak_branch.save()
    return weak_branch


@transaction.atomic
def weak_branch_lift(
    *, actor: Actor, weak_branch: WeakBranch, lifted_on: dt.date | None
) -> WeakBranch:
    """The branch has been rectified (整顿转化) on `lifted_on`: it leaves the list (once)."""
    _require_groups(actor, county_of(weak_branch.unit))
    if lifted_on is None:
        raise DomainError("请填写整顿转化日期", field="lifted_on")
    if lifted_on > clock.today():
        raise DomainError("整顿转化日期不能晚于今天", field="lifted_on")
    if lifted_on < dt.date(weak_branch.year, 1, 1):
        raise DomainError(f"整顿转化日期不能早于{weak_branch.year}年", field="lifted_on")
    row = WeakBranch.objects.select_for_update().get(pk=weak_branch.pk)
    if row.lifted_on is not None:
        raise Conflict(f"已于{row.lifted_on:%Y-%m-%d}整顿转化")
    row.lifted_on = lifted_on
    row.save()
    weak_branch.lifted_on = lifted_on
    return row
