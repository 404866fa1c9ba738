"""Typed request classes for views: what the middleware and the API auth attach to a request.

Only for type checking: at runtime the objects are plain `HttpRequest`s, and `Actor` is imported
under TYPE_CHECKING so that core keeps not importing accounts at runtime.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from lianxin.accounts.actor import Actor


class ActorRequest(HttpRequest):
    """A request that went through `IdleTimeoutMiddleware`, which sets `request.actor`."""

    actor: Actor


class ApiRequest(ActorRequest):
    """A request to a token-authenticated Ninja endpoint: `request.auth` is the caller's Actor."""

    auth: Actor
