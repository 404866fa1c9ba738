"""Typed request classes for views: what the middleware and the API auth attach to a request.

Only for type checking: at runtime the objects are plain `HttpRequest`s, and `Actor` is imported
under TYPE_CHECKING so that core keeps not importing accounts at runtime.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme

if TYPE_CHECKING:
    from lianxin.accounts.actor import Actor


class ActorRequest(HttpRequest):
    """A request that went through `IdleTimeoutMiddleware`, which sets `request.actor`."""

    actor: Actor


class ApiRequest(ActorRequest):
    """A request to a token-authenticated Ninja endpoint: `request.auth` is the caller's Actor."""

    auth: Actor


def safe_next(request: HttpRequest, target: str, fallback: str = "") -> str:
    """`target` when it is a URL of this site (a `?next=` or form value), else `fallback`."""
    ok = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and ok else fallback


def url_or_empty(name: str, **kwargs: Any) -> str:
    """A page that may not exist in this deployment (or not yet): its URL or ""."""
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""
