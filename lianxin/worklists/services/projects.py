"""The project list (项目清单, seed 004): the county's supply-side library (市级“供给侧”项目库)
and villages' demand-side projects (村级“需求侧”), matched so limited funds go where the
creation needs them.

    submitted → matched (a supply project and the funds allocated) → underway → done
    submitted → declined (with the reason)

The county (`worklists.projects` at county level) keeps the library, matches and declines;
the village (or the county for it) files, starts, records spending and finishes. A match is
refused when the supply project's allocations would exceed its funds (the supply row is locked
while the sum is checked, so two matches at once cannot both pass); spending is refused beyond
the funds allocated. Every move is a compare-and-set on `version` and appends a
`ProjectUpdate`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Sum

from lianxin.accounts.actor import Actor
from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied, clean_text
from lianxin.stars.services.catalog import county_of
from lianxin.territory.models import Unit, UnitKind
from lianxin.worklists import workflow as wf
from lianxin.worklists.models import DemandProject, ProjectUpdate, SupplyProject

Status = DemandProject.Status
# Allocations that hold a supply project's funds (a declined demand holds none).
HOLDING = frozenset({Status.MATCHED, Status.UNDERWAY, Status.DONE})
MONEY_MAX = Decimal("999999999999.99")
YEAR_MIN, YEAR_MAX = 2000, 2100

# ProjectUpdate.action values (the bulletin counts "match" and "finish").
SUBMIT, MATCH, DECLINE, START, SPEND, FINISH = (
    "submit",
    "match",
    "decline",
    "start",
    "spend",
    "finish",
)
ACTION_LABELS = {
    SUBMIT: "上报需求",
    MATCH: "对接项目库",
    DECLINE: "暂不支持",
    START: "开工实施",
    SPEND: "登记资金使用",
    FINISH: "完成",
}


def _label(actor: Actor | None) -> str:
    if actor is not None and actor.user_id:
        return f"{actor.display_name}（{actor.post_label}）"[:150]
    return "系统"


def money(value: Any, *, field: str, label: str, positive: bool = True) -> Decimal:
    """A sum of yuan from a form or the API, or a DomainError naming the field."""
    if value in (None, ""):
        raise DomainError(f"请填写{label}", field=field)
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation as exc:
        raise DomainError(f"{label}须是数字", field=field) from exc
    if not amount.is_finite() or amount < 0 or amount > MONEY_MAX:
        raise DomainError(f"{label}须在0到9999亿元之间", field=field)
    if positive and amount == 0:
        raise DomainError(f"{label}须大于0", field=field)
    return amount.quantize(Decimal("0.01"))


def _year(value: Any) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError) as exc:
        raise DomainError("年度须是四位数字", field="year") from exc
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise DomainError("年度不正确", field="year")
    return year


COUNTY_KINDS = frozenset({UnitKind.COUNTY, UnitKind.CITY, UnitKind.PROVINCE})


def county_level(actor: Actor | None, path: str) -> bool:
    """Whether `actor` holds the projects permission through a post at county level (or
    above) covering `path`: the library, matching and declining are the county's."""
    if actor is None:
        return False
    return any(
        p.unit_kind in COUNTY_KINDS and path.startswith(p.unit_path)
        for p in actor.posts_with(wf.PROJECTS)
    )


def require_county(actor: Actor | None, path: str) -> None:
    if not county_level(actor, path):
        raise PermissionDenied("项目库维护与项目对接由县级组织部门办理")


def allocated_total(supply: SupplyProject, *, exclude: int | None = None) -> Decimal:
    """The funds of the supply project already allocated to demands (matched, underway, done)."""
    qs = DemandProject.objects.filter(supply=supply, status__in=HOLDING)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.aggregate(s=Sum("funds_allocated"))["s"] or Decimal(0)


# --- supply side (county) ------------------------------------------------------------------


@transaction.atomic
def supply_create(
    *,
    actor: Actor,
    county: Unit,
    year: int,
    name: str,
    department: str,
    funds: Decimal | str,
    category: str = "",
    star_code: str = "",
    description: str = "",
) -> SupplyProject:
    """Add a project to the county's supply-side library (供给侧项目库)."""
    if county.kind != UnitKind.COUNTY:
        raise DomainError("项目库由县（市、区）维护", field="county")
    require_county(actor, county.path)
    return SupplyProject.objects.create(
        county=county,
        year=_year(year),
        name=clean_text(name, field="name", label="项目名称", max_length=120),
        department=clean_text(department, field="department", label="主管部门", max_length=60),
        category=clean_text(
            category, field="category", label="类别", max_length=30, required=False
        ),
        star_code=clean_text(
            star_code, field="star_code", label="支撑星", max_length=30, required=False
        ),
        funds=money(funds, field="funds", label="可投入资金"),
        description=clean_text(
            description,
            field="description",
            label="支持内容与条件",
            max_length=2000,
            required=False,
        ),
    )


@transaction.atomic
def supply_update(
    *,
    actor: Actor,
    supply: SupplyProject,
    name: str,
    department: str,
    funds: Decimal | str,
    category: str = "",
    star_code: str = "",
    description: str = "",
    is_open: bool = True,
) -> SupplyProject:
    """Edit a library project, or close it to new matches (可对接 off). Its funds cannot fall
    below what is already allocated to demands."""
    require_county(actor, supply.county.path)
    locked = SupplyProject.objects.select_for_update().get(pk=supply.pk)
    new_funds = money(funds, field="funds", label="可投入资金")
    held = allocated_total(locked)
    if new_funds < held:
        raise DomainError(f"可投入资金不能少于已安排给村（社区）的 {held:,.2f} 元", field="funds")
    locked.name = clean_text(name, field="name", label="项目名称", max_length=120)
    locked.department = clean_text(department, field="department", label="主管部门", max_length=60)
    locked.category = clean_text(
        category, field="category", label="类别", max_length=30, required=False
    )
    locked.star_code = clean_text(
        star_code, field="star_code", label="支撑星", max_length=30, required=False
    )
    locked.description = clean_text(
        description, field="description", label="支持内容与条件", max_length=2000, required=False
    )
    locked.funds = new_funds
    locked.is_open = bool(is_open)
    locked.save()
    return locked


# --- demand side (village) -----------------------------------------------------------------


def _update(
    project: DemandProject,
    actor: Actor | None,
    action: str,
    *,
    note: str = "",
    amount: Decimal | None = None,
) -> ProjectUpdate:
    return ProjectUpdate.objects.create(
        project=project,
        action=action,
        note=note[:300],
        amount=amount,
        actor_id=actor.user_id if actor is not None else None,
        actor_label=_label(actor),
        at=clock.now(),
    )


def _move(
    project: DemandProject, *, action: str, expected_version: int | None, **changes: Any
) -> DemandProject:
    """Compare-and-set: the change lands only if nobody moved the project since it was read."""
    sources = wf.DEMAND_MOVES[action]
    if project.status not in sources:
        raise DomainError(f"该项目当前为“{Status(project.status).label}”，不能进行此操作")
    version = project.version if expected_version is None else expected_version
    changes["updated_at"] = clock.now()
    updated = DemandProject.objects.filter(
        pk=project.pk, version=version, status__in=sorted(sources)
    ).update(version=version + 1, **changes)
    if not updated:
        raise Conflict("该项目刚刚有变化，请刷新页面后再操作")
    old = {name: getattr(project, name) for name in changes if name != "updated_at"}
    for name, value in changes.items():
        setattr(project, name, value)
    project.version = version + 1
    audit_record(
        action=AuditEvent.Action.UPDATE,
        obj=project,
        changes={
            name: {"old": str(old[name]), "new": str(changes[name])[:200]}
            for name in old
            if old[name] != changes[name]
        },
        scope_path=project.unit.path,
    )
    return project


@transaction.atomic
def demand_create(
    *,
    actor: Actor,
    unit: Unit,
    year: int,
    name: str,
    description: str,
    funds_requested: Decimal | str,
    star_code: str = "",
) -> DemandProject:
    """A village files a demand-side project (需求侧项目) that needs support."""
    if unit.kind != UnitKind.VILLAGE or not unit.is_active:
        raise DomainError("需求侧项目由村（社区）上报，请选择村（社区）", field="unit")
    if actor is None or not actor.can(wf.PROJECTS, unit.path):
        raise PermissionDenied("没有为该村（社区）上报项目的权限")
    project = DemandProject.objects.create(
        unit=unit,
        year=_year(year),
        name=clean_text(name, field="name", label="项目名称", max_length=120),
        description=clean_text(description, field="description", label="建设内容", max_length=3000),
        star_code=clean_text(
            star_code, field="star_code", label="支撑星", max_length=30, required=False
        ),
        funds_requested=money(funds_requested, field="funds_requested", label="申请资金"),
        created_by_id=actor.user_id,
    )
    _update(project, actor, SUBMIT, amount=project.funds_requested)
    return project


@transaction.atomic
def demand_match(
    *,
    actor: Actor,
    project: DemandProject,
    supply: SupplyProject,
    funds_allocated: Decimal | str,
    note: str = "",
    expected_version: int | None = None,
) -> DemandProject:
    """Match a demand to a library project with the funds allocated (对接).

    Refused when the supply project is closed or of another county, when the allocation
    exceeds the funds requested, or when the supply project's allocations would exceed its
    funds (checked with the supply row locked)."""
    require_county(actor, project.unit.path)
    county = county_of(project.unit)
    if supply.county_id != county.pk:
        raise DomainError("请选择本县（市、区）项目库中的项目", field="supply")
    locked = SupplyProject.objects.select_for_update().get(pk=supply.pk)
    if not locked.is_open:
        raise DomainError(f"项目库中的“{locked.name}”已停止对接", field="supply")
    amount = money(funds_allocated, field="funds_allocated", label="安排资金")
    if amount > project.funds_requested:
        raise DomainError(
            f"安排资金不能超过申请资金 {project.funds_requested:,.2f} 元", field="funds_allocated"
        )
    held = allocated_total(locked, exclude=project.pk)
    if held + amount > locked.funds:
        left = max(locked.funds - held, Decimal(0))
        raise DomainError(
            f"安排资金超出“{locked.name}”的可投入资金：共 {locked.funds:,.2f} 元，"
            f"已安排 {held:,.2f} 元，尚余 {left:,.2f} 元",
            field="funds_allocated",
        )
    note = clean_text(note, field="note", label="对接说明", max_length=300, required=False)
    project = _move(
        project,
        action="match",
        expected_version=expected_version,
        status=Status.MATCHED,
        supply=locked,
        funds_allocated=amount,
    )
    _update(
        project,
        actor,
        MATCH,
        note=f"对接“{locked.name}”{'：' + note if note else ''}",
        amount=amount,
    )
    return project


@transaction.atomic
def demand_decline(
    *, actor: Actor, project: DemandProject, reason: str, expected_version: int | None = None
) -> DemandProject:
    """The county does not support the demand this time, with the reason (暂不支持)."""
    require_county(actor, project.unit.path)
    reason = clean_text(reason, field="reason", label="原因", max_length=300)
    project = _move(
        project, action="decline", expected_version=expected_version, status=Status.DECLINED
    )
    _update(project, actor, DECLINE, note=reason)
    return project


def _require_unit(actor: Actor | None, project: DemandProject) -> None:
    if actor is None or not actor.can(wf.PROJECTS, project.unit.path):
        raise PermissionDenied("没有办理该项目的权限")


@transaction.atomic
def demand_start(
    *, actor: Actor, project: DemandProject, note: str = "", expected_version: int | None = None
) -> DemandProject:
    """A matched project starts (开工实施)."""
    _require_unit(actor, project)
    note = clean_text(note, field="note", label="说明", max_length=300, required=False)
    project = _move(
        project, action="start", expected_version=expected_version, status=Status.UNDERWAY
    )
    _update(project, actor, START, note=note)
    return project


@transaction.atomic
def demand_spend(
    *,
    actor: Actor,
    project: DemandProject,
    amount: Decimal | str,
    note: str = "",
    expected_version: int | None = None,
) -> DemandProject:
    """Record funds spent; the total cannot exceed the funds allocated. Spending on a matched
    project means it has started, so it moves to underway."""
    _require_unit(actor, project)
    value = money(amount, field="amount", label="本次使用资金")
    total = project.funds_spent + value
    if total > project.funds_allocated:
        left = project.funds_allocated - project.funds_spent
        raise DomainError(
            f"累计使用资金不能超过安排资金 {project.funds_allocated:,.2f} 元"
            f"（已使用 {project.funds_spent:,.2f} 元，尚余 {left:,.2f} 元）",
            field="amount",
        )
    note = clean_text(note, field="note", label="用途说明", max_length=300, required=False)
    project = _move(
        project,
        action="spend",
        expected_version=expected_version,
        status=Status.UNDERWAY,
        funds_spent=total,
    )
    _update(project, actor, SPEND, note=note, amount=value)
    return project


@transaction.atomic
def demand_finish(
    *, actor: Actor, project: DemandProject, note: str = "", expected_version: int | None = None
) -> DemandProject:
    """The project is finished (完成), with what it achieved."""
    _require_unit(actor, project)
    note = clean_text(note, field="note", label="完成情况", max_length=300, required=False)
    project = _move(project, action="finish", expected_version=expected_version, status=Status.DONE)
    _update(project, actor, FINISH, note=note)
    return project
