"""Scope cases of the projects part (项目清单), run by core's URL walk, and the helpers that
build library and demand projects through the real services (tests/test_projects*.py use
them too)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lianxin.core import clock
from lianxin.core.scopecheck import ScopeCase, ScopeSetup
from lianxin.worklists.models import DemandProject, SupplyProject
from lianxin.worklists.services import projects as svc

MARK = "范围标记：迎秀社区道路硬化"
LIBRARY_MARK = "范围标记：人居环境整治专项资金"


def supply(
    w: Any,
    *,
    name: str = LIBRARY_MARK,
    funds: Decimal | str = "500000",
    department: str = "孟州市农业农村局",
    star_code: str = "ecology",
) -> SupplyProject:
    return svc.supply_create(
        actor=w.actor("org_department"),
        county=w.county,
        year=clock.today().year,
        name=name,
        department=department,
        category="人居环境",
        star_code=star_code,
        funds=funds,
        description="支持村内道路、排水、绿化等人居环境项目。",
    )


def demand(
    w: Any,
    *,
    name: str = MARK,
    unit: Any = None,
    funds: Decimal | str = "200000",
    by: str = "village_staff",
) -> DemandProject:
    return svc.demand_create(
        actor=w.actor(by),
        unit=unit or w.village,
        year=clock.today().year,
        name=name,
        description="硬化村内主干道 1.2 公里，解决群众出行难。",
        star_code="ecology",
        funds_requested=funds,
    )


def matched(
    w: Any,
    *,
    lib: SupplyProject | None = None,
    amount: Decimal | str = "150000",
    **kw: Any,
) -> DemandProject:
    project = demand(w, **kw)
    return svc.demand_match(
        actor=w.actor("org_department"),
        project=project,
        supply=lib or supply(w),
        funds_allocated=amount,
    )


# --- scope cases -----------------------------------------------------------------------------

VILLAGE = {"insider": "village_staff", "outsider": "other_village_staff"}
STREET = {"insider": "street_staff", "outsider": "other_street_staff"}
COUNTY_VS_STREET = {"insider": "org_department", "outsider": "street_staff"}


def _listed(w: Any) -> ScopeSetup:
    demand(w)
    return ScopeSetup(marker=MARK)


def _export(w: Any) -> ScopeSetup:
    demand(w)
    return ScopeSetup()


def _create(w: Any) -> ScopeSetup:
    # The form offers the insider's own village only.
    return ScopeSetup(marker=w.village.display_name)


def _detail(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": demand(w).public_id})


def _start(w: Any) -> ScopeSetup:
    p = matched(w)
    return ScopeSetup(
        kwargs={"public_id": p.public_id, "action": "start"},
        data={"start-version": str(p.version), "start-note": "开工"},
    )


def _library(w: Any) -> ScopeSetup:
    supply(w)
    return ScopeSetup(marker=LIBRARY_MARK)


def _supply_create(w: Any) -> ScopeSetup:
    return ScopeSetup(marker="主管部门")


def _supply_detail(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": supply(w).public_id})


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("worklists:project_list", _listed, **VILLAGE),
    ScopeCase("worklists:project_list", _listed, **STREET),
    ScopeCase("worklists:project_export", _export, **VILLAGE),
    ScopeCase("worklists:demand_create", _create, **VILLAGE),
    ScopeCase("worklists:demand_detail", _detail, **VILLAGE),
    ScopeCase("worklists:demand_detail", _detail, **STREET),
    ScopeCase("worklists:demand_act", _start, method="post", expect_inside=(302,), **VILLAGE),
    ScopeCase("worklists:supply_list", _library, **COUNTY_VS_STREET),
    ScopeCase(
        "worklists:supply_create",
        _supply_create,
        insider="org_department",
        outsider="village_staff",
    ),
    ScopeCase("worklists:supply_detail", _supply_detail, **COUNTY_VS_STREET),
    ScopeCase(
        "worklists:supply_edit", _supply_detail, insider="org_department", outsider="village_staff"
    ),
]
