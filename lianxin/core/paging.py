"""List-page helpers shared by every app's views: pagination and the filter query string."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest

from lianxin.core.http import ActorRequest

PAGE_SIZE = 50


def page_of(request: HttpRequest, qs: Any, *, per_page: int = PAGE_SIZE) -> Page:
    """The page of `qs` named by ?page= (out-of-range pages give the last page)."""
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


def querystring_without_page(request: HttpRequest) -> str:
    """The current filters as a query string ending in "&" (for pager links), or ""."""
    params = [(k, v) for k, values in request.GET.lists() if k != "page" for v in values if v]
    from urllib.parse import urlencode

    return urlencode(params) + "&" if params else ""


def require_any(request: ActorRequest, *perms: str) -> Any:
    """The actor when one of `perms` is granted somewhere; a 404 otherwise (never a 403)."""
    actor = request.actor
    if not any(actor.can(p) for p in perms):
        raise Http404("不存在或无权访问")
    return actor
