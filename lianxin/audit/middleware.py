"""Puts the acting user, post and address into the audit context for each web request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from lianxin.audit.context import AuditContext, reset_context, set_context


def client_ip(request: HttpRequest) -> str:
    # Behind nginx, `lianxin serve --trusted-proxy IP` makes waitress put the client's address
    # in REMOTE_ADDR (docs/deploy.md); X-Forwarded-For is never trusted here.
    return request.META.get("REMOTE_ADDR", "")


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        post_label = ""
        if user_id is not None:
            actor = getattr(request, "actor", None)
            post_label = actor.post_label if actor is not None else ""
        token = set_context(
            AuditContext(user_id=user_id, post_label=post_label, ip=client_ip(request))
        )
        try:
            return self.get_response(request)
        finally:
            reset_context(token)
