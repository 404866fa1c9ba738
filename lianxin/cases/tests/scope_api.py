"""Scope cases for the api URLs of the cases app (/api/cases, token auth).

Reads: the grid worker sees requests at their grid's building, the sibling grid's worker does
not. Actions: the insider is the persona whose post allows the action (village staff dispatch,
the grid worker handles); the outsider — another village or the sibling grid — gets 404
before any permission or state check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lianxin.cases.models import Case
from lianxin.cases.services import lifecycle
from lianxin.cases.tests.factories import assigned_case, make_case, resolved_case
from lianxin.core.scopecheck import ScopeCase, ScopeSetup

MARK = "范围标记API诉求"
TEXT = f"{MARK}，3号楼楼道灯不亮好几天了，晚上很危险"


def _list(w: Any) -> ScopeSetup:
    make_case(w.building, text=TEXT)
    return ScopeSetup(marker=MARK)


def _categories(w: Any) -> ScopeSetup:
    return ScopeSetup()


def _one(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"ref": make_case(w.building, text=TEXT).tracking_no})


def _action(build: Callable[[Any], Case], **data: Any) -> Callable[[Any], ScopeSetup]:
    def setup(w: Any) -> ScopeSetup:
        case = build(w)
        case.refresh_from_db()
        values = {k: (v(w) if callable(v) else v) for k, v in data.items()}
        return ScopeSetup(
            kwargs={"ref": case.tracking_no}, data={"version": case.version, **values}
        )

    return setup


def _received(w: Any) -> Case:
    return make_case(w.building)


def _followed_up(w: Any) -> Case:
    case = resolved_case(w)
    lifecycle.case_follow_up(case=case, actor=w.actor("grid_worker"), satisfaction="satisfied")
    return case


def _extension_pending(w: Any) -> Case:
    case = assigned_case(w)
    lifecycle.case_request_extension(
        case=case, actor=w.actor("grid_worker"), days=3, reason="等待配件"
    )
    return case


def _suspended(w: Any) -> Case:
    case = assigned_case(w)
    lifecycle.case_suspend(case=case, actor=w.actor("village_staff"), reason="等待供暖季")
    return case


def _merge(w: Any) -> ScopeSetup:
    survivor, duplicate = make_case(w.building), make_case(w.building)
    return ScopeSetup(
        kwargs={"ref": duplicate.tracking_no},
        data={"version": duplicate.version, "into": survivor.tracking_no},
    )


DISPATCH = {"insider": "village_staff", "outsider": "other_village_staff"}
HANDLE = {"insider": "grid_worker", "outsider": "sibling_grid_worker"}
ACTIONS: list[tuple[str, Callable[[Any], ScopeSetup], dict[str, str]]] = [
    ("accept", _action(_received), DISPATCH),
    ("triage", _action(_received, level="small"), DISPATCH),
    (
        "assign",
        _action(
            _received,
            handler_unit=lambda w: w.grid.code,
            assignee=lambda w: str(w.users["grid_worker"].public_id),
        ),
        DISPATCH,
    ),
    ("take", _action(assigned_case), HANDLE),
    ("progress", _action(assigned_case, note="已联系物业"), HANDLE),
    ("return", _action(assigned_case, reason="不属于网格职责"), HANDLE),
    ("resolve", _action(assigned_case, result="已更换灯泡"), HANDLE),
    ("follow_up", _action(resolved_case, satisfaction="satisfied"), HANDLE),
    ("close", _action(_followed_up), DISPATCH),
    ("guide", _action(_received, guidance="建议邻里协商"), DISPATCH),
    ("reject", _action(_received, reason="不属于本社区职责"), DISPATCH),
    ("merge", _merge, DISPATCH),
    ("supervise", _action(_received, reason="群众多次反映"), DISPATCH),
    ("whistle", _action(_received, reason="涉及多个部门"), DISPATCH),
    ("extension_request", _action(assigned_case, days=3, reason="等待配件"), HANDLE),
    ("extension_decide", _action(_extension_pending, approve=True), DISPATCH),
    ("suspend", _action(assigned_case, reason="等待供暖季"), DISPATCH),
    ("resume", _action(_suspended), DISPATCH),
]

SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("api:cases_category_list", _categories, api=True),
    ScopeCase("api:cases_request_list", _list, api=True),
    ScopeCase("api:cases_request_detail", _one, api=True),
    ScopeCase("api:cases_request_events", _one, api=True),
] + [
    ScopeCase(f"api:cases_request_{name}", setup, method="post", api=True, **personas)
    for name, setup, personas in ACTIONS
]
