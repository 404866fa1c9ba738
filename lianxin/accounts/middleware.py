"""Attaches `request.actor` and ends sessions idle longer than the configured timeout."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from lianxin.accounts.actor import Actor

_LAST_SEEN = "lianxin_last_seen"


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            now = time.time()
            last = request.session.get(_LAST_SEEN)
            limit = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
            if last is not None and now - float(last) > limit:
                logout(request)
                request.session["lianxin_idle_logout"] = True
            else:
                request.session[_LAST_SEEN] = now
        request.actor = SimpleLazyObject(lambda: Actor.for_user(request.user))  # type: ignore[attr-defined]
        return self.get_response(request)
