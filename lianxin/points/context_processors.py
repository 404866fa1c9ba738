"""The points section's own menu (积分), shown on every staff page under /points/.

The main menu keeps only the daily entries (积分审核, 党群积分, 积分超市, 微任务); the rest of
the section — households, members, ratings, rankings, the tally, configuration — is one tab
strip here instead of ten main-menu items. Items the actor's posts do not grant are left out.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from lianxin.core.sections import section_tabs
from lianxin.points import workflow as wf

SECTION: list[tuple[str, str, str]] = [
    (wf.APPROVE, "points:review_queue", "积分审核"),
    (wf.VIEW, "points:proposal_list", "积分申报"),
    (wf.VIEW, "points:household_list", "户积分"),
    (wf.VIEW, "points:member_list", "党员积分"),
    (wf.VIEW, "points:low_scores", "低分提醒"),
    (wf.VIEW, "points:rating_list", "三类户评定"),
    (wf.VIEW, "points:ranking", "积分排名"),
    (wf.STORE, "points:store_counter", "积分超市"),
    (wf.TASKS, "points:task_list", "微任务"),
    (wf.REPORT, "points:tally", "积分月报"),
    (wf.CONFIGURE, "points:config", "积分配置"),
]


def points_section(request: HttpRequest) -> dict[str, Any]:
    """`points_section`: the tabs of the section, on its staff pages only."""
    tabs = section_tabs(request, "/points/", SECTION)
    return {"points_section": tabs} if tabs is not None else {}
