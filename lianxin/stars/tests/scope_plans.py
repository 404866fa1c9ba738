"""Scope cases of the stars plans part (创建规划、创建名额; run by core's URL walk).

Plans: the village's staff (inside) and another village's staff (outside: 404 on a plan, the
list without it); the street reads and reviews its villages' plans, another street does not.
Quotas: the county's organisation department sets them (inside); a street's staff holds no
`stars.review_county` (outside: 404); the list shows a street its own township only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lianxin.core import clock
from lianxin.core.scopecheck import ScopeCase, ScopeSetup
from lianxin.stars.services import plans as svc
from lianxin.stars.tests import factories_plans as fp

VILLAGE = {"insider": "village_staff", "outsider": "other_village_staff"}
STREET = {"insider": "street_staff", "outsider": "other_street_staff"}
COUNTY = {"insider": "org_department", "outsider": "other_street_staff"}
YEAR = {"year": str(fp.YEAR)}


def _list(w: Any) -> ScopeSetup:
    fp.plan(w)
    return ScopeSetup(marker="迎秀社区", query=YEAR)


def _export(w: Any) -> ScopeSetup:
    fp.plan(w)
    return ScopeSetup(query=YEAR)


def _create(w: Any) -> ScopeSetup:
    # The village's code is the form's (hidden) unit; another village sees its own.
    return ScopeSetup(marker=w.village.code)


def _detail(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": fp.plan(w).public_id}, marker="举措1")


def _edit(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": fp.plan(w).public_id}, marker="共建共享星")


def _act(w: Any) -> ScopeSetup:
    p = fp.plan(w)
    return ScopeSetup(
        kwargs={"public_id": p.public_id}, data={"action": "submit", "version": p.version}
    )


def _measure_add(w: Any) -> ScopeSetup:
    p = fp.plan(w)
    return ScopeSetup(
        kwargs={"public_id": p.public_id},
        data={
            "title": "开展共建活动",
            "responsible": "王主任",
            "deadline": f"{fp.YEAR}-05-15",
            "version": p.version,
        },
    )


def _measure_edit(w: Any) -> ScopeSetup:
    p = fp.plan(w, status="submitted")
    m = p.measures.get()
    return ScopeSetup(
        kwargs={"public_id": p.public_id, "measure_id": m.public_id}, data={"op": "done"}
    )


def _milestone_add(w: Any) -> ScopeSetup:
    p = fp.plan(w)
    return ScopeSetup(
        kwargs={"public_id": p.public_id},
        data={"title": "七一前举措大比武", "due_on": f"{fp.YEAR}-06-30", "version": p.version},
    )


def _milestone_edit(w: Any) -> ScopeSetup:
    p = fp.plan(w)
    with clock.travel(fp.at(2, 2)):
        k = svc.plan_milestone_add(
            actor=w.actor("village_staff"),
            plan=p,
            draft=svc.MilestoneDraft(title="七一前举措大比武", due_on=dt.date(fp.YEAR, 6, 30)),
        )
    return ScopeSetup(
        kwargs={"public_id": p.public_id, "milestone_id": k.public_id}, data={"op": "done"}
    )


def _quotas(w: Any) -> ScopeSetup:
    return ScopeSetup(marker="大定街道", query=YEAR)


def _quota_edit(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"code": w.street.code, "year": fp.YEAR}, marker="大定街道")


def _quota_defaults(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"code": w.county.code, "year": fp.YEAR})


POST = {"method": "post", "expect_inside": (302,)}

SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("stars:plan_list", _list, **VILLAGE),
    ScopeCase("stars:plan_list", _list, **STREET),
    ScopeCase("stars:plan_list_xlsx", _export, **STREET),
    ScopeCase("stars:plan_create", _create, **VILLAGE),
    ScopeCase("stars:plan_detail", _detail, **VILLAGE),
    ScopeCase("stars:plan_detail", _detail, **STREET),
    ScopeCase("stars:plan_edit", _edit, **VILLAGE),
    ScopeCase("stars:plan_act", _act, **POST, **VILLAGE),
    ScopeCase("stars:plan_measure_add", _measure_add, **POST, **VILLAGE),
    ScopeCase("stars:plan_measure_edit", _measure_edit, **POST, **VILLAGE),
    ScopeCase("stars:plan_milestone_add", _milestone_add, **POST, **VILLAGE),
    ScopeCase("stars:plan_milestone_edit", _milestone_edit, **POST, **VILLAGE),
    ScopeCase("stars:quota_list", _quotas, **STREET),
    ScopeCase("stars:quota_edit", _quota_edit, **COUNTY),
    ScopeCase("stars:quota_defaults", _quota_defaults, **POST, **COUNTY),
]
