"""Template context for the staff pages: the unread count of the inbox (a badge).

The count is a callable, so the query runs only on pages whose template shows it.
Enabled by adding ``lianxin.cases.context_processors.cases_unread`` to TEMPLATES.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest


def cases_unread(request: HttpRequest) -> dict[str, Callable[[], int]]:
    """``cases_unread``: the number of unread inbox items of the logged-in user."""
    actor: Any = getattr(request, "actor", None)
    user_id = actor.user_id if actor is not None and actor.is_authenticated else None
    cache: dict[str, int] = {}

    def count() -> int:
        if "n" not in cache:
            from lianxin.cases.selectors import unread_count

            cache["n"] = unread_count(user_id)
        return cache["n"]

    return {"cases_unread": count}
