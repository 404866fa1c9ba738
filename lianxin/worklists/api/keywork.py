"""/api/worklists endpoints of the key-work list and inspections (token auth; docs/api.md).

- ``GET /keywork``: the key-work items of a month (default: this month) under the account's
  units, or under ``unit`` (a unit code, with its subtree) — each with its list, slot, state.
- ``GET /rectifications``: rectification notices under the account's units; ``overdue=1``
  keeps the open ones past their deadline, ``status`` and ``unit`` filter further.

`request.auth` is the Actor of the token's account; every read starts from
`<Model>.objects.visible_to(actor, worklists.view)`, so rows outside the account's units are
simply absent. A malformed month answers 400 ``{"detail", "field"}``.

No ``from __future__ import annotations`` here: Ninja builds its parameter models from the
annotations of the @paginate-wrapped functions.
"""

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from lianxin.core import clock
from lianxin.core.errors import DomainError
from lianxin.core.http import ApiRequest
from lianxin.territory.models import Unit
from lianxin.worklists import workflow as wf
from lianxin.worklists.models import KeyWorkItem, Rectification
from lianxin.worklists.services.keywork import parse_month, this_month

router = Router()
MAX_LIMIT = 200


class KeyWorkOut(Schema):
    public_id: uuid.UUID = Field(description="事项公开编号")
    list_name: str = Field(description="清单：单位或专班名称")
    unit_code: str = Field(description="责任单位编码（专班为其所在县）")
    unit_name: str = Field(description="责任单位名称")
    task_force: str | None = Field(description="专班名称（单位清单为空）")
    month: str = Field(description="月份 YYYY-MM")
    slot: int = Field(description="清单位置 1–6")
    title: str = Field(description="事项")
    detail: str = Field(description="推进要求")
    responsible: str = Field(description="责任人")
    due_on: dt.date = Field(description="完成时限")
    star_code: str = Field(description="关联星代码（可空）")
    status: str = Field(description="open 推进中 / done 已完成 / dropped 已移出")
    status_label: str = Field(description="状态（中文）")
    done_on: dt.date | None = Field(description="完成日期")
    result: str = Field(description="完成情况或移出原因")
    carried_over: bool = Field(description="是否由上月清单转入")

    @staticmethod
    def resolve_list_name(obj: KeyWorkItem) -> str:
        return obj.task_force.name if obj.task_force is not None else obj.owner.display_name

    @staticmethod
    def resolve_unit_code(obj: KeyWorkItem) -> str:
        return obj.owner.code

    @staticmethod
    def resolve_unit_name(obj: KeyWorkItem) -> str:
        return obj.owner.display_name

    @staticmethod
    def resolve_task_force(obj: KeyWorkItem) -> str | None:
        return obj.task_force.name if obj.task_force is not None else None

    @staticmethod
    def resolve_status_label(obj: KeyWorkItem) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_carried_over(obj: KeyWorkItem) -> bool:
        return obj.carried_from_id is not None


class KeyWorkFilter(Schema):
    unit: str | None = Field(None, description="单元编码（含下级）")
    month: str | None = Field(None, description="月份 YYYY-MM，默认本月")
    status: str | None = Field(None, description="状态：open / done / dropped")


class RectificationOut(Schema):
    public_id: uuid.UUID = Field(description="整改通知公开编号")
    number: str = Field(description="通知编号，如 大定整改〔2026〕7号")
    unit_code: str = Field(description="村（社区）编码")
    unit_name: str = Field(description="村（社区）名称")
    township_name: str = Field(description="乡镇（街道）名称")
    quarter: str = Field(description="检查季度 YYYYQn")
    inspected_on: dt.date = Field(description="检查日期")
    requirements: str = Field(description="整改要求")
    deadline: dt.date = Field(description="整改期限")
    status: str = Field(
        description="issued 待整改 / reported 待核验 / verified 已销号 / reopened 重新整改"
    )
    status_label: str = Field(description="状态（中文）")
    overdue: bool = Field(description="是否逾期（未销号且已过整改期限）")
    verified_on: dt.date | None = Field(description="销号日期")

    @staticmethod
    def resolve_unit_code(obj: Rectification) -> str:
        return obj.inspection.unit.code

    @staticmethod
    def resolve_unit_name(obj: Rectification) -> str:
        return obj.inspection.unit.display_name

    @staticmethod
    def resolve_township_name(obj: Rectification) -> str:
        parent = obj.inspection.unit.parent
        return parent.display_name if parent is not None else ""

    @staticmethod
    def resolve_quarter(obj: Rectification) -> str:
        return obj.inspection.quarter

    @staticmethod
    def resolve_inspected_on(obj: Rectification) -> dt.date:
        return obj.inspection.inspected_on

    @staticmethod
    def resolve_status_label(obj: Rectification) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_overdue(obj: Rectification) -> bool:
        return obj.status in wf.RECTIFICATION_OPEN and obj.deadline < clock.today()


class RectificationFilter(Schema):
    unit: str | None = Field(None, description="单元编码（含下级）")
    status: str | None = Field(None, description="状态，逗号分隔；open 表示全部未销号")
    overdue: bool | None = Field(None, description="只看逾期（未销号且已过整改期限）")


def _under(qs: QuerySet[Any], lookup: str, code: str) -> QuerySet[Any]:
    path = Unit.objects.filter(code=code.strip()).values_list("path", flat=True).first()
    return qs.filter(**{f"{lookup}__startswith": path}) if path else qs.none()


@router.get("/keywork", response=list[KeyWorkOut], url_name="worklists_keywork_list")
@paginate(LimitOffsetPagination, max_limit=MAX_LIMIT)
def keywork_list(request: ApiRequest, filters: Query[KeyWorkFilter]) -> Any:
    """本账号范围内某月（默认本月）的重点工作推进清单事项，按单位、专班和位置排列；按单元
    `unit`（含下级）、月份 `month`、状态 `status` 筛选，`limit`/`offset` 分页。"""
    try:
        month = parse_month(filters.month) if filters.month else this_month()
    except DomainError as exc:
        raise HttpError(400, exc.message) from exc
    qs = (
        KeyWorkItem.objects.visible_to(request.auth, wf.VIEW)
        .filter(month=month)
        .select_related("owner", "task_force")
        .order_by("owner__path", "list_key", "status", "slot", "id")
    )
    if filters.unit:
        qs = _under(qs, "owner__path", filters.unit)
    if filters.status:
        qs = qs.filter(status__in=[s.strip() for s in filters.status.split(",") if s.strip()])
    return qs


@router.get(
    "/rectifications",
    response=list[RectificationOut],
    url_name="worklists_rectification_list",
)
@paginate(LimitOffsetPagination, max_limit=MAX_LIMIT)
def rectification_list(request: ApiRequest, filters: Query[RectificationFilter]) -> Any:
    """本账号范围内的整改通知，整改期限近的在前；`overdue=1` 只看逾期（未销号且已过整改
    期限），按单元 `unit`（含下级）、状态 `status` 筛选，`limit`/`offset` 分页。"""
    qs = (
        Rectification.objects.visible_to(request.auth, wf.VIEW)
        .select_related("inspection", "inspection__unit", "inspection__unit__parent")
        .order_by("deadline", "id")
    )
    if filters.unit:
        qs = _under(qs, "inspection__unit__path", filters.unit)
    if filters.status:
        codes = [s.strip() for s in filters.status.split(",") if s.strip()]
        if "open" in codes:
            codes = [c for c in codes if c != "open"] + list(wf.RECTIFICATION_OPEN)
        qs = qs.filter(status__in=codes)
    if filters.overdue:
        qs = qs.filter(status__in=wf.RECTIFICATION_OPEN, deadline__lt=clock.today())
    return qs
