"""Scope cases for the staff URLs of the cases app: who is inside, who is outside."""

from __future__ import annotations

from typing import Any

from lianxin.cases.services import lifecycle, whistles
from lianxin.cases.tests.factories import assigned_case, make_case, photo, submit
from lianxin.core.scopecheck import ScopeCase, ScopeSetup

MARK = "范围标记诉求楼道灯坏了"
MARK_RESIDENT = "范围标记居民"


def _case(w: Any) -> ScopeSetup:
    case = make_case(w.building, text=MARK + "，请尽快修理")
    return ScopeSetup(kwargs={"public_id": case.public_id})


def _listed(w: Any) -> ScopeSetup:
    make_case(w.building, text=MARK + "，请尽快修理")
    return ScopeSetup(marker=MARK)


def _assigned(w: Any) -> ScopeSetup:
    assigned_case(w, text=MARK + "，请尽快修理")
    return ScopeSetup(marker=MARK)


def _act(w: Any) -> ScopeSetup:
    case = assigned_case(w, text=MARK + "，请尽快修理")
    return ScopeSetup(
        kwargs={"public_id": case.public_id, "action": "note"},
        data={"version": str(case.version), "note": "范围检查的内部备注"},
    )


def _reveal(w: Any) -> ScopeSetup:
    case = submit(w.building, text=MARK + "，请尽快修理", phone="13812345678").case
    return ScopeSetup(kwargs={"public_id": case.public_id})


def _photo(w: Any) -> ScopeSetup:
    case = submit(w.building, text=MARK + "，请尽快修理", photos=[photo()]).case
    return ScopeSetup(kwargs={"public_id": case.photos.get().public_id})


def _supervised(w: Any) -> ScopeSetup:
    case = assigned_case(w, text=MARK + "，请尽快修理")
    lifecycle.case_supervise(case=case, actor=w.actor("village_staff"), reason="群众反映强烈")
    return ScopeSetup(marker=MARK)


def _whistled(w: Any) -> Any:
    case = assigned_case(w, text=MARK + "，请尽快修理")
    whistle = whistles.whistle_raise(
        case=case, actor=w.actor("village_staff"), reason="涉及公共维修资金，社区无法解决"
    )
    return case, whistle


def _whistle_list(w: Any) -> ScopeSetup:
    _whistled(w)
    return ScopeSetup(marker=MARK)


def _whistle(w: Any) -> ScopeSetup:
    _, whistle = _whistled(w)
    return ScopeSetup(kwargs={"public_id": whistle.public_id}, data={"op": "close"})


def _department(w: Any) -> ScopeSetup:
    _, whistle = _whistled(w)
    whistles.whistle_summon(
        whistle=whistle, actor=w.actor("street_staff"), departments=[w.department]
    )
    return ScopeSetup(marker=MARK)


def _file(w: Any) -> ScopeSetup:
    # The form offers only the places where the persona may file.
    return ScopeSetup(marker=w.building.display_name)


def _residents(w: Any) -> ScopeSetup:
    from lianxin.core.testing import make_household, make_resident

    make_resident(make_household(w.building), name=MARK_RESIDENT)
    return ScopeSetup(marker=MARK_RESIDENT, query={"resident_q": MARK_RESIDENT})


def _export(w: Any) -> ScopeSetup:
    # The workbook is compressed: its content is checked in test_staff_lists.py.
    make_case(w.building, text=MARK + "，请尽快修理")
    return ScopeSetup()


STREET = {"insider": "street_staff", "outsider": "other_street_staff"}
VILLAGE = {"insider": "village_staff", "outsider": "other_village_staff"}

SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("cases:list", _listed),
    ScopeCase("cases:export", _export),
    ScopeCase("cases:my_queue", _assigned),
    ScopeCase(
        "cases:department_queue",
        _department,
        insider="department_staff",
        outsider="other_street_staff",
    ),
    ScopeCase("cases:supervision", _supervised, **VILLAGE),
    ScopeCase("cases:inbox", _listed),
    ScopeCase("cases:file", _file),
    ScopeCase("cases:place_options", _file),
    ScopeCase("cases:resident_search", _residents),
    ScopeCase("cases:whistle_list", _whistle_list, **STREET),
    ScopeCase("cases:whistle_detail", _whistle, **STREET),
    ScopeCase("cases:whistle_detail", _whistle, method="post", expect_inside=(200,), **STREET),
    ScopeCase("cases:photo", _photo),
    ScopeCase("cases:detail", _case),
    ScopeCase("cases:act", _act),
    ScopeCase("cases:act", _act, method="post", expect_inside=(302,)),
    ScopeCase("cases:reveal_phone", _reveal, method="post"),
]
