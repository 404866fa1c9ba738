"""The consultation section's own menu (协商议事), shown on every staff page under
/consultation/: the main menu keeps one entry, the section's parts are one tab strip here.
Items the actor's posts do not grant are left out."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from lianxin.consultation import workflow as wf
from lianxin.core.sections import section_tabs

SECTION: list[tuple[str, str, str]] = [
    (wf.VIEW, "consultation:meeting_list", "议事会议"),
    (wf.VIEW, "consultation:proposal_list", "居民议题"),
    (wf.VIEW, "consultation:matter_list", "四议两公开"),
    (wf.VIEW, "consultation:decision_list", "议定事项"),
    (wf.VIEW, "consultation:pledge_list", "书记三诺"),
    (wf.VIEW, "consultation:figures", "议事统计"),
    (wf.RUN, "consultation:venue_list", "议事场所"),
    (wf.RUN, "consultation:representative_list", "村（居）民代表"),
    (wf.CONFIGURE, "consultation:meeting_type_list", "会议类型"),
]


def consultation_section(request: HttpRequest) -> dict[str, Any]:
    """`consultation_section`: the tabs of the section, on its staff pages only."""
    tabs = section_tabs(request, "/consultation/", SECTION)
    return {"consultation_section": tabs} if tabs is not None else {}
