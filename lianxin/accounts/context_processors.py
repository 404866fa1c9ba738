"""Navigation entries for the base layout, by what the actor may do."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from lianxin.accounts.permissions import Perm

# (permission, url name, label): shown when the actor holds the permission anywhere.
NAV_ITEMS: list[tuple[str, str, str]] = [
    (Perm.CASES_HANDLE, "cases:my_queue", "我的待办"),
    (Perm.CASES_DEPARTMENT, "cases:department_queue", "部门待办"),
    (Perm.CASES_VIEW, "cases:list", "诉求"),
    (Perm.CASES_FILE, "cases:patrol_today", "每日巡查"),
    (Perm.CASES_VIEW, "cases:mediation_list", "矛盾调解"),
    (Perm.CASES_VIEW, "cases:errand_list", "帮办代办"),
    (Perm.CASES_WHISTLE, "cases:whistle_list", "吹哨报到"),
    (Perm.CASES_REPORT, "cases:figures", "诉求统计"),
    (Perm.CONSULTATION_VIEW, "consultation:meeting_list", "协商议事"),
    (Perm.POINTS_APPROVE, "points:review_queue", "积分审核"),
    (Perm.POINTS_VIEW, "points:proposal_list", "党群积分"),
    (Perm.POINTS_STORE, "points:store_counter", "积分超市"),
    (Perm.POINTS_TASKS, "points:task_list", "微任务"),
    (Perm.STARS_VIEW, "stars:battle_map", "五星创建"),
    (Perm.WORKLISTS_VIEW, "worklists:keywork", "三张清单"),
    (Perm.TERRITORY_VIEW, "territory:browse", "区划网格"),
    (Perm.PEOPLE_VIEW, "people:household_list", "户籍"),
    (Perm.PEOPLE_VIEW, "people:resident_list", "居民"),
    (Perm.LEDGER_VIEW, "people:ledger_list", "民生台账"),
    (Perm.PARTY_VIEW, "party:member_list", "党员联户"),
    (Perm.PEOPLE_IMPORT, "people:import_list", "导入导出"),
    (Perm.AUDIT_VIEW, "audit:event_list", "审计"),
    (Perm.ACCOUNTS_MANAGE, "accounts:user_list", "账号"),
    (Perm.API_TOKENS, "accounts:token_list", "接口令牌"),
    (Perm.CASES_CONFIGURE, "cases:config", "诉求配置"),
    (Perm.POINTS_CONFIGURE, "points:config", "积分配置"),
    (Perm.CASES_VIEW, "cases:inbox", "消息"),
    (Perm.CASES_DEPARTMENT, "cases:inbox", "消息"),
]


def _href(url_name: str) -> str:
    # A page still being built must not break every other page (test_nav_items_resolve
    # in accounts/tests/test_workbench.py makes sure every name exists in the end).
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return ""


def nav_items_for(actor: Any) -> list[dict[str, str]]:
    """The pages the actor may open, in menu order (the workbench's quick links reuse it)."""
    items: list[dict[str, str]] = []
    for perm, url_name, label in NAV_ITEMS:
        href = _href(url_name)
        if href and actor.can(perm) and all(i["href"] != href for i in items):
            items.append({"url_name": url_name, "label": label, "href": href})
    return items


def navigation(request: HttpRequest) -> dict[str, Any]:
    actor = getattr(request, "actor", None)
    if actor is None or not actor.is_authenticated:
        return {"nav_items": [], "actor": actor}
    current = request.path
    items = nav_items_for(actor)
    # The longest matching link is the current one (/cases/ is a prefix of /cases/mine/).
    matching = [i["href"] for i in items if current.startswith(i["href"])]
    active = max(matching, key=len) if matching else None
    marked: list[dict[str, Any]] = [{**item, "active": item["href"] == active} for item in items]
    return {"nav_items": marked, "actor": actor}
