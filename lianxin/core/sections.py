"""Tab strips of the app sections (积分, 协商议事, 五星创建, 三张清单): the main menu keeps one or
a few entries per app, each section's pages are one tab strip under it. Items the actor's
posts do not grant are left out; the longest matching link is the current one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse


def section_tabs(
    request: HttpRequest, prefix: str, section: Sequence[tuple[str, str, str]]
) -> list[dict[str, Any]] | None:
    """The tabs of `section` ((perm, url name, label) rows) on pages under `prefix`, or None
    elsewhere and for anonymous visitors."""
    actor = getattr(request, "actor", None)
    if actor is None or not actor.is_authenticated or not request.path.startswith(prefix):
        return None
    items: list[dict[str, Any]] = []
    for perm, name, label in section:
        if not actor.can(perm):
            continue
        try:
            href = reverse(name)
        except NoReverseMatch:
            # A part still being built must not break the section's other pages.
            continue
        # A page open to several permissions is listed once per permission, shown once.
        if all(i["href"] != href for i in items):
            items.append({"href": href, "label": label})
    matching = [i["href"] for i in items if request.path.startswith(i["href"])]
    current = max(matching, key=len) if matching else None
    return [{**i, "active": i["href"] == current} for i in items]
