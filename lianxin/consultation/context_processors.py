"""The consultation section's own menu (协商议事), shown on every staff page under
/consultation/: the main menu keeps one entry, the section's parts are one tab strip here.
Items the actor's posts do not grant are left out."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from lianxin.consultation import workflow as wf

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
    actor = getattr(request, "actor", None)
    if actor is None or not actor.is_authenticated or not request.path.startswith("/consultation/"):
        return {}
    items = []
    for perm, name, label in SECTION:
        if not actor.can(perm):
            continue
        try:
            items.append({"href": reverse(name), "label": label})
        except NoReverseMatch:
            continue
    # The longest matching link is the current one; the meeting list is the section's root.
    matching = [i["href"] for i in items if request.path.startswith(i["href"])]
    current = max(matching, key=len) if matching else None
    return {"consultation_section": [{**i, "active": i["href"] == current} for i in items]}
