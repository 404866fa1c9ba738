"""The five-star section's tab strip (五星创建), on every staff page under /stars/."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from lianxin.core.sections import section_tabs
from lianxin.stars import workflow as wf

SECTION: list[tuple[str, str, str]] = [
    (wf.VIEW, "stars:battle_map", "挂图作战"),
    (wf.VIEW, "stars:plan_list", "创建规划"),
    (wf.VIEW, "stars:declaration_list", "星级申报"),
    (wf.VIEW, "stars:notice_list", "公示"),
    (wf.VIEW, "stars:income_list", "集体经济"),
    (wf.VIEW, "stars:contest_list", "大比武"),
    (wf.REVIEW_COUNTY, "stars:assessment_list", "日常考核"),
    (wf.REVIEW_TOWNSHIP, "stars:assessment_list", "日常考核"),
    (wf.VIEW, "stars:figures", "创建统计"),
    (wf.VIEW, "stars:catalog", "星级目录与标准"),
]


def stars_section(request: HttpRequest) -> dict[str, Any]:
    """`stars_section`: the tabs of the section, on its staff pages only."""
    tabs = section_tabs(request, "/stars/", SECTION)
    return {"stars_section": tabs} if tabs is not None else {}
