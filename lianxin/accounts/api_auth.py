"""Token auth for integration accounts: `Authorization: Bearer <token>`."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from lianxin.accounts.actor import Actor
from lianxin.audit.context import AuditContext, set_context
from lianxin.audit.middleware import client_ip

TOKEN_PREFIX = "lx_"  # noqa: S105 - a public prefix that makes leaked tokens recognisable, not a secret


def hash_token(raw: str) -> str:
    """Tokens carry 256 random bits, so a plain SHA-256 (no salt, no stretching) is enough."""
    return hashlib.sha256(raw.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from lianxin.accounts.models import ApiToken

        row = (
            ApiToken.objects.select_related("user")
            .filter(key_digest=hash_token(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if row is None:
            return None
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        actor = Actor.for_user(row.user)
        request.actor = actor  # type: ignore[attr-defined]
        set_context(
            AuditContext(
                user_id=row.user_id,
                post_label=actor.post_label,
                ip=client_ip(request),
                channel="api",
            )
        )
        return actor
