"""/api/stars endpoints of the battlemap part: the battle map's rows and a unit's figures.

`request.auth` is the Actor of the token's account; both read in its `stars.view` scope, a
township or unit outside it answers 404 like one that does not exist.

No ``from __future__ import annotations`` here: Ninja builds its parameter models from the
annotations.
"""

import uuid
from decimal import Decimal
from typing import Any

from ninja import Field, Query, Router, Schema

from lianxin.core import clock
from lianxin.core.http import ApiRequest
from lianxin.stars.figures import unit_figures
from lianxin.stars.selectors import battlemap as sel

router = Router()


class MapFilter(Schema):
    year: int | None = Field(None, description="年度，默认今年")
    township: str | None = Field(None, description="乡镇（街道）编码，只看该乡镇的村（社区）")


class ColumnOut(Schema):
    code: str = Field(description="星代码（各年度稳定），如 branch、industry")
    name: str = Field(description="星名称")
    short_name: str = Field(description="简称（表头）")


class LevelOut(Schema):
    level: int = Field(description="星级 1–5")
    quota: int = Field(description="县下达的名额")
    planned: int = Field(description="已报乡镇或已确认的规划中以该星级为目标的村（社区）数")
    achieved: int = Field(description="本年度已评定为该星级的村（社区）数")


class TownshipOut(Schema):
    code: str
    name: str
    villages: int = Field(description="村（社区）数")
    quotas_visible: bool = Field(description="是否可查看该乡镇的名额（村级账号为否）")
    levels: list[LevelOut]


class RowOut(Schema):
    unit: str = Field(description="村（社区）编码")
    name: str
    township: str | None = Field(description="所属乡镇（街道）编码")
    unit_type: str = Field(description="village 村 / community 城市社区")
    cells: dict[str, str] = Field(
        description="星代码 → 状态：awarded 已授星 / notice 公示中 / reviewing 审核中 / "
        "returned 已退回 / planned 计划争创 / none 未计划 / na 不适用"
    )
    last_level: int = Field(description="上年星级")
    level: int = Field(description="今年已评星级")
    target_level: int | None = Field(description="规划目标星级（已报乡镇或已确认）")
    plan_status: str | None = Field(description="规划状态：draft / submitted / confirmed")
    plan_id: uuid.UUID | None = Field(description="规划公开编号")
    progress: bool = Field(description="本年度获进步星")


class MapOut(Schema):
    year: int
    township: str | None
    columns: list[ColumnOut]
    townships: list[TownshipOut]
    rows: list[RowOut]


@router.get("/map", response=MapOut, url_name="stars_map")
def battle_map(request: ApiRequest, filters: Query[MapFilter]) -> Any:
    """挂图作战：本账号范围内各村（社区）逐星的状态、上年与今年星级、目标星级，以及各乡镇
    名额/计划/已评。按年度 `year`、乡镇 `township` 筛选；范围外的乡镇返回404。"""
    year = filters.year or clock.today().year
    data = sel.battle_map(request.auth, year=year, township=filters.township or None)
    return {
        "year": year,
        "township": data.township.code if data.township else None,
        "columns": [
            {"code": c.code, "name": c.name, "short_name": c.short_name} for c in data.columns
        ],
        "townships": [
            {
                "code": b.township.code,
                "name": b.township.display_name,
                "villages": b.villages,
                "quotas_visible": b.quota_visible,
                "levels": [
                    {
                        "level": t.level,
                        "quota": t.quota,
                        "planned": t.planned,
                        "achieved": t.achieved,
                    }
                    for t in b.levels
                ],
            }
            for b in data.blocks
            if b.township is not None
        ],
        "rows": [
            {
                "unit": r.unit.code,
                "name": r.unit.display_name,
                "township": r.township.code if r.township else None,
                "unit_type": r.unit_type,
                "cells": {c.code: c.state.key for c in r.cells},
                "last_level": r.last_level,
                "level": r.level,
                "target_level": r.target_level,
                "plan_status": r.plan.status if r.plan else None,
                "plan_id": r.plan.public_id if r.plan else None,
                "progress": r.progress,
            }
            for r in data.rows
        ],
    }


class FiguresFilter(Schema):
    unit: str | None = Field(None, description="单位编码（县、乡镇或村），默认本账号岗位所在单位")
    year: int | None = Field(None, description="年度，默认今年")


def _plain(value: Any) -> Any:
    """Decimals as strings (exact), everything else as is (nested)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@router.get("/figures", response=dict[str, Any], url_name="stars_figures")
def figures(request: ApiRequest, filters: Query[FiguresFilter]) -> Any:
    """创建统计：单位（县、乡镇或村）本年度的支部数、三星以上占比、各星级与各星的已评/计划/
    名额、申报状态、进步星、大比武前列和下级单位分项（键见 docs/stars-plans.md）。范围外的
    单位返回404。"""
    unit = sel.figures_unit(request.auth, filters.unit)
    return _plain(unit_figures(unit, filters.year or clock.today().year))
