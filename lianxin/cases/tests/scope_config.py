"""Scope cases for the configuration URLs of the cases app (views/config.py).

Routing rules and mediation teams hang on units: the street's staff see and edit those in
their street, another street's staff do not. Categories, SLA targets, the settings row and
the working calendar are deployment-wide (no territory): every `cases.configure` holder reads
them (both personas see the same page, so no marker), and only county-level posts edit them:
their edit URLs are checked with the system administrator inside and a user without
`cases.configure` outside (404).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lianxin.cases.models import Category, MediationTeam, RoutingRule
from lianxin.core.models import CalendarDay
from lianxin.core.scopecheck import ScopeCase, ScopeSetup, register_exempt

STREET = {"insider": "street_staff", "outsider": "other_street_staff"}
GLOBAL_EDIT = {"insider": "sysadmin", "outsider": "nobody"}

_GLOBAL_FORM = (
    "deployment-wide configuration form (categories / SLA limits apply to every street, no "
    "territorial or personal data behind it); cases.configure at county level or above is "
    "checked in the view (404 without cases.configure, 403 for street staff), tested in "
    "lianxin/cases/tests/test_config.py"
)
register_exempt("cases:config_category_create", _GLOBAL_FORM)
register_exempt("cases:config_sla_edit", _GLOBAL_FORM)
register_exempt("cases:config_sla_delete", _GLOBAL_FORM)


def _rule(w: Any) -> RoutingRule:
    return RoutingRule.objects.create(unit=w.village, level="big", handler_kind="township")


def _team(w: Any, name: str = "迎秀社区多元调解队甲") -> MediationTeam:
    return MediationTeam.objects.create(unit=w.village, name=name, kind="team")


def index_setup(w: Any) -> ScopeSetup:
    return ScopeSetup(marker="大定街道")


def rules_setup(w: Any) -> ScopeSetup:
    _rule(w)
    return ScopeSetup(marker="迎秀社区")


def unit_choices(w: Any) -> ScopeSetup:
    return ScopeSetup(marker="迎秀社区第一网格")


def rule_kwargs(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _rule(w).public_id}, marker="迎秀社区")


def rule_post(w: Any) -> ScopeSetup:
    rule = _rule(w)
    return ScopeSetup(
        kwargs={"public_id": rule.public_id},
        data={
            "unit": str(w.village.public_id),
            "level": "big",
            "handler_kind": "township",
            "priority": "50",
        },
    )


def rule_active_post(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _rule(w).public_id}, data={"active": "0"})


def teams_setup(w: Any) -> ScopeSetup:
    _team(w)
    return ScopeSetup(marker="迎秀社区多元调解队甲")


def team_kwargs(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _team(w).public_id}, marker="迎秀社区多元调解队甲")


def team_post(w: Any) -> ScopeSetup:
    team = _team(w)
    return ScopeSetup(
        kwargs={"public_id": team.public_id},
        data={
            "unit": str(w.village.public_id),
            "name": "迎秀社区矛盾工作室",
            "kind": "room",
            "is_active": "on",
        },
    )


def global_list(w: Any) -> ScopeSetup:
    return ScopeSetup()


def _category(w: Any) -> Category:
    return Category.objects.create(code="scope-test", name="范围测试类别")


def category_kwargs(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"code": _category(w).code}, marker="范围测试类别")


def category_post(w: Any) -> ScopeSetup:
    return ScopeSetup(
        kwargs={"code": _category(w).code},
        data={
            "name": "范围测试类别（改）",
            "default_level": "small",
            "default_handler_kind": "village",
            "default_urgency": "general",
            "sort_order": "5",
        },
    )


def category_active_post(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"code": _category(w).code}, data={"active": "0"})


def category_delete_post(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"code": _category(w).code})


def _day() -> CalendarDay:
    return CalendarDay.objects.create(day=dt.date(2030, 5, 2), is_workday=False, name="劳动节")


def day_kwargs(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"day": _day().day.isoformat()}, marker="劳动节")


def day_post(w: Any) -> ScopeSetup:
    return ScopeSetup(
        kwargs={"day": _day().day.isoformat()}, data={"is_workday": "0", "name": "劳动节假期"}
    )


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("cases:config", index_setup, **STREET),
    ScopeCase("cases:config_rules", rules_setup, **STREET),
    ScopeCase("cases:config_rule_create", unit_choices, **STREET, note="unit choices"),
    ScopeCase("cases:config_rule_try", unit_choices, **STREET, note="place choices"),
    ScopeCase("cases:config_rule_edit", rule_kwargs, **STREET),
    ScopeCase("cases:config_rule_edit", rule_post, **STREET, method="post", expect_inside=(302,)),
    ScopeCase(
        "cases:config_rule_active", rule_active_post, **STREET, method="post", expect_inside=(302,)
    ),
    ScopeCase("cases:config_teams", teams_setup, **STREET),
    ScopeCase("cases:config_team_create", unit_choices, **STREET, note="unit choices"),
    ScopeCase("cases:config_team_edit", team_kwargs, **STREET),
    ScopeCase("cases:config_team_edit", team_post, **STREET, method="post", expect_inside=(302,)),
    # Deployment-wide pages: read by every configure holder, edited by county-level posts.
    ScopeCase("cases:config_categories", global_list, **STREET, note="deployment-wide"),
    ScopeCase("cases:config_sla", global_list, **STREET, note="deployment-wide"),
    ScopeCase("cases:config_settings", global_list, **STREET, note="deployment-wide"),
    ScopeCase("cases:config_calendar", global_list, **STREET, note="deployment-wide"),
    ScopeCase("cases:config_category_edit", category_kwargs, **GLOBAL_EDIT),
    ScopeCase(
        "cases:config_category_edit",
        category_post,
        **GLOBAL_EDIT,
        method="post",
        expect_inside=(302,),
    ),
    ScopeCase(
        "cases:config_category_active",
        category_active_post,
        **GLOBAL_EDIT,
        method="post",
        expect_inside=(302,),
    ),
    ScopeCase(
        "cases:config_category_delete",
        category_delete_post,
        **GLOBAL_EDIT,
        method="post",
        expect_inside=(302,),
    ),
    ScopeCase("cases:config_calendar_day", day_kwargs, **GLOBAL_EDIT),
    ScopeCase(
        "cases:config_calendar_day", day_post, **GLOBAL_EDIT, method="post", expect_inside=(302,)
    ),
    ScopeCase(
        "cases:config_calendar_delete", day_post, **GLOBAL_EDIT, method="post", expect_inside=(302,)
    ),
]
