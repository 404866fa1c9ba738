"""Scope cases for the micro-task staff URLs (insider: the grid's worker, who confirms tasks
in the grid; outsider: the sibling grid's worker), and the residents' phone pages of
micro-tasks, public by design."""

from __future__ import annotations

from typing import Any

from lianxin.core.scopecheck import ScopeCase, ScopeSetup, register_public

MARK_TASK = "范围标记清理楼道小广告"

PUBLIC = {
    "points_public:tasks": "微任务 on the phone: open tasks of the signed-in household's village "
    "and grid (phone code session); nothing without the session",
    "points_public:task_claim": "POST (CSRF): the signed-in resident claims a slot",
    "points_public:claim_withdraw": "POST (CSRF): give back an own claim (404 for others')",
}
for _name, _reason in PUBLIC.items():
    register_public(_name, _reason)


def _task(w: Any) -> Any:
    from lianxin.points.tests import factories as f

    return f.micro_task(w, unit=w.grid, by="grid_worker", title=MARK_TASK)


def _claim(w: Any) -> Any:
    from lianxin.points.models import TaskClaim
    from lianxin.points.services import tasks as svc
    from lianxin.points.tests import factories as f

    resident = f.household_account(w.building).household.residents.get()
    return svc.task_claim(task=_task(w), resident=resident, channel=TaskClaim.Channel.PHONE)


def _listed(w: Any) -> ScopeSetup:
    _task(w)
    return ScopeSetup(marker=MARK_TASK)


def _task_kw(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _task(w).public_id})


def _claim_kw(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _claim(w).public_id})


def _register(w: Any) -> ScopeSetup:
    from lianxin.points.tests import factories as f

    resident = f.household_account(w.building, head_name="王五").household.residents.get()
    return ScopeSetup(
        kwargs={"public_id": _task(w).public_id}, data={"resident": str(resident.public_id)}
    )


def _reject(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _claim(w).public_id}, data={"note": "联系不上本人"})


def _case(name: str, setup: Any, **kw: Any) -> ScopeCase:
    return ScopeCase(name, setup, insider="grid_worker", outsider="sibling_grid_worker", **kw)


SCOPE_CASES: list[ScopeCase] = [
    _case("points:task_list", _listed),
    _case("points:task_create", lambda w: ScopeSetup(marker="迎秀社区第一网格")),
    _case("points:task_detail", _task_kw),
    _case("points:task_edit", _task_kw),
    _case("points:task_close", _task_kw, method="post", expect_inside=(302,)),
    _case("points:task_register", _register, method="post", expect_inside=(302,)),
    _case("points:claim_confirm", _claim_kw),
    _case("points:claim_reject", _reject, method="post", expect_inside=(302,)),
]
