"""Configuration of requests: the settings row, categories, SLA targets, the working calendar
(deployment-wide), routing rules and mediation teams (territorial). See docs/cases-sla.md.

Who edits what (`cases.configure` is held by street staff and system administrators):

- Deployment-wide configuration — categories, SLA targets, `CaseSettings` and the working
  calendar — applies to every street at once, so only a `cases.configure` post at county level
  or above (in practice the system administrator of the city or county) may change it; street
  staff see it read-only. A street changing the 7-day limit for everyone would be wrong.
- Routing rules and mediation teams hang on a unit: a street staffer edits those of the units
  in their street, a system administrator those in their city or county.

Category, SlaTarget, RoutingRule, MediationTeam and CaseSettings are `Audited` (their saves
land in the audit trail by signal); `CalendarDay` is not, so its edits are recorded here with
`audit_record`.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from lianxin.accounts.actor import Actor
from lianxin.accounts.models import Department, Post
from lianxin.accounts.permissions import ROLE_PERMISSIONS
from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.cases import workflow as wf
from lianxin.cases.models import (
    HANDLER_KINDS,
    Case,
    CaseSettings,
    Category,
    MediationTeam,
    RoutingRule,
    SlaTarget,
)
from lianxin.cases.workflow import Level, Urgency
from lianxin.core import calendar
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.models import CalendarDay
from lianxin.core.scope import path_q
from lianxin.core.snapshot import TableSnapshot
from lianxin.territory.models import Unit

CONFIGURE = wf.CONFIGURE
# Units a routing rule or a mediation team may hang on.
RULE_UNIT_KINDS = ("city", "county", "township", "village", "grid")
TEAM_UNIT_KINDS = ("county", "township", "village", "grid")
_CODE = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")
_HANDLER_KIND_VALUES = {k for k, _ in HANDLER_KINDS}


def _load_settings() -> CaseSettings:
    row = CaseSettings.objects.order_by("id").first()
    if row is None:
        row = CaseSettings.objects.create()
    return row


_settings = TableSnapshot("cases.CaseSettings", _load_settings)


def case_settings() -> CaseSettings:
    """The single settings row, created with the defaults on first use.

    Read on every submission, so it is a per-process snapshot (core.snapshot); callers get
    their own copy and may edit and save it."""
    return copy.copy(_settings.get())


def _load_public_categories() -> list[Category]:
    return list(
        Category.objects.filter(is_active=True, is_public=True)
        .select_related("parent")
        .order_by("sort_order", "code")
    )


_public_categories = TableSnapshot("cases.Category", _load_public_categories)


def public_categories() -> list[Category]:
    """Active categories residents may choose, with their parents (a per-process snapshot:
    read-only)."""
    return _public_categories.get()


# --- who may ---------------------------------------------------------------------------------


def can_configure(actor: Actor) -> bool:
    return actor.can(CONFIGURE)


def can_edit_global(actor: Actor) -> bool:
    """Whether the actor edits deployment-wide configuration (a county-or-above post)."""
    return actor.can_deployment_wide(CONFIGURE)


def require_global(actor: Actor) -> None:
    if not can_edit_global(actor):
        raise PermissionDenied(
            "诉求类别、办理时限、工作日历和全局设置对所有街道生效，由县级及以上的系统管理员维护"
        )


def _require_unit(actor: Actor, unit: Unit | None, field: str = "unit") -> Unit:
    if unit is None:
        raise DomainError("请选择单位", field=field)
    if not actor.can(CONFIGURE, unit.path):
        raise PermissionDenied("该单位不在您的管辖范围内", field=field)
    return unit


# --- reads (all start from the actor's scope or are deployment-wide) ---------------------------


def rules_for(actor: Actor) -> QuerySet[RoutingRule]:
    """Routing rules of the units the actor configures, with everything a list shows."""
    return (
        RoutingRule.objects.visible_to(actor, CONFIGURE)
        .select_related(
            "unit",
            "category",
            "handler_unit",
            "handler_department",
            "handler_team",
            "handler_post__user",
            "handler_post__unit",
        )
        .order_by("unit__path", "-is_active", "priority", "id")
    )


def teams_for(actor: Actor) -> QuerySet[MediationTeam]:
    return (
        MediationTeam.objects.visible_to(actor, CONFIGURE)
        .select_related("unit")
        .order_by("unit__path", "name")
    )


def units_for(actor: Actor, kinds: tuple[str, ...]) -> QuerySet[Unit]:
    """Active units of these kinds in the actor's configuration scope."""
    return Unit.objects.filter(
        path_q("path", actor.scope_paths(CONFIGURE)), kind__in=kinds, is_active=True
    ).order_by("path")


def departments_for(actor: Actor) -> QuerySet[Department]:
    """Departments a rule may route to: those in the actor's scope and those above it (a
    street routes 大事 to the county's bureaus)."""
    from lianxin.cases.services.routing import ancestor_prefixes

    paths = actor.scope_paths(CONFIGURE)
    above = {p for path in paths for p in ancestor_prefixes(path)}
    return (
        Department.objects.filter(path_q("unit__path", paths) | _in_paths("unit__path", above))
        .filter(is_active=True)
        .select_related("unit")
        .order_by("unit__path", "name")
    )


def _in_paths(field: str, paths: set[str]) -> Any:
    from django.db.models import Q

    return Q(**{f"{field}__in": sorted(paths)}) if paths else Q(pk__in=[])


def posts_for(actor: Actor) -> QuerySet[Post]:
    """Handling posts (handle or dispatch) in the actor's scope, for a rule's named post."""
    roles = [
        r for r, perms in ROLE_PERMISSIONS.items() if wf.HANDLE in perms or wf.DISPATCH in perms
    ]
    return (
        Post.objects.filter(
            path_q("unit__path", actor.scope_paths(CONFIGURE)),
            role__in=roles,
            is_active=True,
            user__is_active=True,
        )
        .select_related("user", "unit")
        .order_by("unit__path", "id")
    )


def category_tree() -> list[tuple[Category, int]]:
    """Every category in tree order with its depth (one query)."""
    rows = list(Category.objects.all().order_by("sort_order", "code"))
    children: dict[int | None, list[Category]] = {}
    for c in rows:
        children.setdefault(c.parent_id, []).append(c)
    out: list[tuple[Category, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for c in children.get(parent, []):
            out.append((c, depth))
            if depth < 10:
                walk(c.pk, depth + 1)

    walk(None, 0)
    return out


# --- categories (deployment-wide) ------------------------------------------------------------


def _category_fields(
    *,
    name: str,
    parent: Category | None,
    help_text: str,
    keywords: str,
    default_level: str,
    default_handler_kind: str,
    default_urgency: str,
    is_public: bool,
    sort_order: int,
) -> dict[str, Any]:
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写类别名称", field="name")
    if default_level not in Level.values:
        raise DomainError("请选择默认分流", field="default_level")
    if default_handler_kind not in _HANDLER_KIND_VALUES:
        raise DomainError("请选择默认承办单位类型", field="default_handler_kind")
    if default_urgency not in Urgency.values:
        raise DomainError("请选择时限类别", field="default_urgency")
    return {
        "name": name[:50],
        "parent": parent,
        "help_text": (help_text or "").strip()[:200],
        "keywords": " ".join((keywords or "").split())[:300],
        "default_level": default_level,
        "default_handler_kind": default_handler_kind,
        "default_urgency": default_urgency,
        "is_public": bool(is_public),
        "sort_order": max(0, int(sort_order)),
    }


@transaction.atomic
def category_create(*, actor: Actor, code: str, **fields: Any) -> Category:
    """A new category. `code` is its Open311 service_code: lower-case letters, digits, - and
    _, fixed once created (integrations keep using it)."""
    require_global(actor)
    code = (code or "").strip().lower()
    if not _CODE.match(code):
        raise DomainError("编码用2到40位小写字母、数字、-或_，以字母开头", field="code")
    if Category.objects.filter(code=code).exists():
        raise DomainError(f"编码“{code}”已被使用", field="code")
    values = _category_fields(**fields)
    try:
        with transaction.atomic():
            return Category.objects.create(code=code, **values)
    except IntegrityError as exc:  # a concurrent create of the same code
        raise DomainError(f"编码“{code}”已被使用", field="code") from exc


@transaction.atomic
def category_update(*, actor: Actor, category: Category, **fields: Any) -> Category:
    """Change a category's name, place in the tree and defaults (not its code)."""
    require_global(actor)
    values = _category_fields(**fields)
    parent = values["parent"]
    node = parent
    while node is not None:
        if node.pk == category.pk:
            raise DomainError("上级类别不能是它自己或它的下级", field="parent")
        node = node.parent
    for key, value in values.items():
        setattr(category, key, value)
    category.save()
    return category


@transaction.atomic
def category_set_active(*, actor: Actor, category: Category, active: bool) -> int:
    """Stop (or resume) offering a category. Stopping also stops its sub-categories; a
    sub-category resumes only under an active parent. Requests keep their category.
    Returns how many categories changed."""
    require_global(actor)
    if active:
        if category.parent is not None and not category.parent.is_active:
            raise DomainError(f"请先启用上级类别“{category.parent.name}”")
        targets = [category]
    else:
        targets = [c for c, _ in _subtree(category)]
    changed = 0
    for c in targets:
        if c.is_active != active:
            c.is_active = active
            c.save(update_fields=["is_active", "updated_at"])
            changed += 1
    return changed


def _subtree(category: Category) -> list[tuple[Category, int]]:
    tree = category_tree()
    out: list[tuple[Category, int]] = []
    inside_depth: int | None = None
    for c, depth in tree:
        if inside_depth is not None and depth <= inside_depth:
            break
        if c.pk == category.pk:
            inside_depth = depth
        if inside_depth is not None:
            out.append((c, depth))
    return out


@transaction.atomic
def category_delete(*, actor: Actor, category: Category) -> None:
    """Delete a category nobody uses yet (a mistake just made); a used one can only be
    stopped, so old requests keep their category."""
    require_global(actor)
    if Category.objects.filter(parent=category).exists():
        raise DomainError("该类别有下级类别，不能删除；可以停用")
    if Case.objects.filter(category=category).exists():
        raise DomainError("已有诉求使用该类别，不能删除；可以停用")
    if RoutingRule.objects.filter(category=category).exists():
        raise DomainError("有派遣规则使用该类别，不能删除；可以停用")
    SlaTarget.objects.filter(category=category).delete()
    category.delete()


# --- SLA targets (deployment-wide) -----------------------------------------------------------

MAX_WITHIN = Decimal(9999)


def _within(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(value)
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise DomainError("请填写数字", field=field) from exc
    if not amount.is_finite() or amount <= 0 or amount > MAX_WITHIN:
        raise DomainError("时限应大于0且不超过9999", field=field)
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def sla_target_save(
    *,
    actor: Actor,
    urgency: str,
    category: Category | None,
    respond_within: Any,
    respond_counting: str,
    resolve_within: Any,
    resolve_counting: str,
    near_due_share: Any,
) -> SlaTarget:
    """Create or change the limits of an urgency (for all categories, or one category and
    its sub-categories). New limits apply to due times computed from now on; requests
    already running keep their due times."""
    require_global(actor)
    if urgency not in Urgency.values:
        raise DomainError("请选择时限类别", field="urgency")
    counts = SlaTarget.Counting.values
    if respond_counting not in counts:
        raise DomainError("请选择计时方式", field="respond_counting")
    if resolve_counting not in counts:
        raise DomainError("请选择计时方式", field="resolve_counting")
    r_w = _within(respond_within, "respond_within")
    s_w = _within(resolve_within, "resolve_within")
    try:
        share = Decimal(near_due_share)
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise DomainError("请填写0.10到0.99之间的比例", field="near_due_share") from exc
    if not share.is_finite() or not Decimal("0.1") <= share <= Decimal("0.99"):
        raise DomainError("请填写0.10到0.99之间的比例", field="near_due_share")
    row = SlaTarget.objects.filter(urgency=urgency, category=category).first()
    row = row or SlaTarget(urgency=urgency, category=category)
    row.respond_within, row.respond_counting = r_w, respond_counting
    row.resolve_within, row.resolve_counting = s_w, resolve_counting
    row.near_due_share = share.quantize(Decimal("0.01"))
    row.save()
    return row


@transaction.atomic
def sla_target_delete(*, actor: Actor, target: SlaTarget) -> None:
    """Remove a category's own limits (it follows the general ones again). The general
    row of an urgency stays: every request needs a limit."""
    require_global(actor)
    if target.category_id is None:
        raise DomainError("通用时限不能删除，可以修改")
    target.delete()


# --- settings (deployment-wide) --------------------------------------------------------------

_UNIT_SHARE = ("basic_satisfied_weight", "weight_response", "weight_resolution")
_WEIGHTS = ("weight_response", "weight_resolution", "weight_satisfaction")
_LIMITS = {
    "auto_whistle_overdue_hours": (0, 999),
    "summons_report_hours": (1, 240),
    "supervise_reopen_count": (1, 20),
    "mediation_revisit_days": (1, 365),
    "public_per_source_hour": (1, 1000),
    "public_per_phone_day": (1, 1000),
    "duplicate_window_days": (1, 365),
    "login_codes_per_phone_hour": (1, 100),
}


@transaction.atomic
def case_settings_update(*, actor: Actor, **values: Any) -> CaseSettings:
    """Change the deployment-wide rules: 满意率 and composite-score weights (the three
    weights add up to 1), the auto-whistle threshold, limits (incl. the residents' login
    codes per phone and hour) and windows."""
    require_global(actor)
    row = case_settings()
    for name in (*_UNIT_SHARE, "weight_satisfaction"):
        if name not in values:
            continue
        value = Decimal(values[name])
        if not value.is_finite() or not 0 <= value <= 1:
            raise DomainError("请填写0到1之间的数", field=name)
        setattr(row, name, value.quantize(Decimal("0.01")))
    total = sum(Decimal(getattr(row, n)) for n in _WEIGHTS)
    if total != 1:
        raise DomainError(
            f"响应率、解决率、满意率三项权重之和应为1，现在是{total}", field="weight_satisfaction"
        )
    for name, (lo, hi) in _LIMITS.items():
        if name not in values:
            continue
        number = int(values[name])
        if not lo <= number <= hi:
            raise DomainError(f"请填写{lo}到{hi}之间的整数", field=name)
        setattr(row, name, number)
    row.save()
    return row


# --- the working calendar (deployment-wide) --------------------------------------------------


def _day_repr(day: dt.date, is_workday: bool, name: str) -> str:
    return f"{day.isoformat()} {'上班' if is_workday else '休息'} {name}".strip()


@transaction.atomic
def calendar_day_set(*, actor: Actor, day: dt.date, is_workday: bool, name: str) -> CalendarDay:
    """Add or change an exception day: a holiday (rest on a day that is normally worked) or a
    make-up working day (调休 on a weekend). Due times computed from now on follow it."""
    require_global(actor)
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写说明，如“春节”或“春节调休上班”", field="name")
    if len(name) > 40:
        raise DomainError("说明最多40字", field="name")
    if is_workday and calendar.is_default_workday(day):
        raise DomainError("周一至周五本来就是工作日，调休上班只需登记周末", field="is_workday")
    row = CalendarDay.objects.select_for_update().filter(day=day).first()
    created = row is None
    old = {} if row is None else {"is_workday": row.is_workday, "name": row.name}
    row = row or CalendarDay(day=day)
    row.is_workday, row.name = is_workday, name
    row.save()
    changes = {
        key: {"old": old.get(key), "new": getattr(row, key)}
        for key in ("is_workday", "name")
        if created or old.get(key) != getattr(row, key)
    }
    if created:
        changes["day"] = {"old": None, "new": day.isoformat()}
    audit_record(
        action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
        obj=row,
        object_id=day.isoformat(),
        object_repr=_day_repr(day, is_workday, name),
        changes=changes,
    )
    calendar.invalidate()
    return row


@transaction.atomic
def calendar_day_remove(*, actor: Actor, day: dt.date) -> None:
    """Remove an exception: the day follows Monday–Friday again."""
    require_global(actor)
    row = CalendarDay.objects.filter(day=day).first()
    if row is None:
        raise DomainError("该日期没有登记节假日或调休")
    audit_record(
        action=AuditEvent.Action.DELETE,
        obj=row,
        object_id=day.isoformat(),
        object_repr=_day_repr(day, row.is_workday, row.name),
        changes={"is_workday": {"old": row.is_workday, "new": None}, "name": {"old": row.name}},
    )
    row.delete()
    calendar.invalidate()


# --- routing rules (territorial) -------------------------------------------------------------


def _rule_fields(
    actor: Actor,
    *,
    unit: Unit | None,
    category: Category | None,
    level: str,
    handler_kind: str,
    handler_unit: Unit | None = None,
    handler_department: Department | None = None,
    handler_team: MediationTeam | None = None,
    handler_post: Post | None = None,
    priority: int = 100,
) -> dict[str, Any]:
    unit = _require_unit(actor, unit)
    if unit.kind not in RULE_UNIT_KINDS:
        raise DomainError("派遣规则适用于市、县、街道、村/社区或网格", field="unit")
    if level and level not in Level.values:
        raise DomainError("请选择分流", field="level")
    if handler_kind not in _HANDLER_KIND_VALUES:
        raise DomainError("请选择承办单位类型", field="handler_kind")
    if handler_kind == "department" and handler_department is None and handler_post is None:
        raise DomainError("承办单位类型为职能部门时请指定部门", field="handler_department")
    if handler_kind == "team" and handler_team is None and handler_post is None:
        raise DomainError("承办单位类型为调解组织时请指定调解组织", field="handler_team")
    if handler_unit is not None:
        _require_unit(actor, handler_unit, "handler_unit")
        if handler_kind in {"grid", "village", "township"} and handler_unit.kind != handler_kind:
            raise DomainError("指定承办单位与承办单位类型不一致", field="handler_unit")
    if handler_department is not None:
        if not departments_for(actor).filter(pk=handler_department.pk).exists():
            raise DomainError("该部门不在可选范围内", field="handler_department")
        if handler_kind != "department":
            raise DomainError("指定部门时承办单位类型应为职能部门", field="handler_kind")
    if handler_team is not None:
        _require_unit(actor, handler_team.unit, "handler_team")
        if not handler_team.is_active:
            raise DomainError("该调解组织已停用", field="handler_team")
        if handler_kind != "team":
            raise DomainError("指定调解组织时承办单位类型应为调解组织", field="handler_kind")
    if handler_post is not None and not posts_for(actor).filter(pk=handler_post.pk).exists():
        raise DomainError("该岗位不在您的管辖范围内或不能承办诉求", field="handler_post")
    if not 0 <= int(priority) <= 9999:
        raise DomainError("优先级应为0到9999", field="priority")
    return {
        "unit": unit,
        "category": category,
        "level": level or "",
        "handler_kind": handler_kind,
        "handler_unit": handler_unit,
        "handler_department": handler_department,
        "handler_team": handler_team,
        "handler_post": handler_post,
        "priority": int(priority),
    }


@transaction.atomic
def routing_rule_create(*, actor: Actor, **fields: Any) -> RoutingRule:
    """A rule: requests of this category and level at this unit (and below) go to the
    named handler. The most specific active rule wins (services.routing)."""
    return RoutingRule.objects.create(**_rule_fields(actor, **fields))


@transaction.atomic
def routing_rule_update(*, actor: Actor, rule: RoutingRule, **fields: Any) -> RoutingRule:
    _require_unit(actor, rule.unit)
    for key, value in _rule_fields(actor, **fields).items():
        setattr(rule, key, value)
    rule.save()
    return rule


@transaction.atomic
def routing_rule_set_active(*, actor: Actor, rule: RoutingRule, active: bool) -> RoutingRule:
    """Stop (or resume) a rule; stopped rules stay listed for the record."""
    _require_unit(actor, rule.unit)
    if rule.is_active != active:
        rule.is_active = active
        rule.save(update_fields=["is_active", "updated_at"])
    return rule


# --- mediation teams (territorial) -----------------------------------------------------------

TEAM_KINDS = {"team", "room"}


def _team_fields(
    actor: Actor, *, unit: Unit | None, name: str, kind: str, members: str
) -> dict[str, Any]:
    unit = _require_unit(actor, unit)
    if unit.kind not in TEAM_UNIT_KINDS:
        raise DomainError("调解组织设在县、街道、村/社区或网格", field="unit")
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写名称", field="name")
    if kind not in TEAM_KINDS:
        raise DomainError("请选择类型", field="kind")
    return {
        "unit": unit,
        "name": name[:100],
        "kind": kind,
        "members": (members or "").strip()[:300],
    }


def _check_team_name(unit: Unit, name: str, exclude: int | None = None) -> None:
    same = MediationTeam.objects.filter(unit=unit, name=name)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    if same.exists():
        raise DomainError("本单位已有同名调解组织", field="name")


@transaction.atomic
def mediation_team_create(
    *, actor: Actor, unit: Unit | None, name: str, kind: str, members: str = ""
) -> MediationTeam:
    """A mediation organisation (多元调解队, 矛盾工作室) requests can be routed to."""
    values = _team_fields(actor, unit=unit, name=name, kind=kind, members=members)
    _check_team_name(values["unit"], values["name"])
    return MediationTeam.objects.create(**values)


@transaction.atomic
def mediation_team_update(
    *,
    actor: Actor,
    team: MediationTeam,
    unit: Unit | None,
    name: str,
    kind: str,
    members: str = "",
    is_active: bool = True,
) -> MediationTeam:
    _require_unit(actor, team.unit)
    values = _team_fields(actor, unit=unit, name=name, kind=kind, members=members)
    _check_team_name(values["unit"], values["name"], exclude=team.pk)
    if not is_active and team.is_active:
        open_cases = Case.objects.filter(handler_team=team, status__in=wf.OPEN_STATUSES)
        if open_cases.exists():
            raise DomainError("该调解组织还有未办结的诉求，办结后才能停用", field="is_active")
    for key, value in values.items():
        setattr(team, key, value)
    team.is_active = bool(is_active)
    team.save()
    return team
