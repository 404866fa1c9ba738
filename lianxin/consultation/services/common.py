"""Small shared pieces of the consultation services: permission checks and event labels."""

from __future__ import annotations

from lianxin.accounts.actor import Actor
from lianxin.core.errors import PermissionDenied

SYSTEM_LABEL = "系统"
RESIDENT_LABEL = "居民"


def require(
    actor: Actor | None, perm: str, path: str, message: str = "没有办理该事项的权限"
) -> None:
    """Refuse unless `actor` holds `perm` at the unit `path` (the tree is the scope)."""
    if actor is None or not actor.can(perm, path):
        raise PermissionDenied(message)


def actor_label(actor: Actor | None, fallback: str = SYSTEM_LABEL) -> str:
    if actor is not None and actor.user_id:
        return f"{actor.display_name}（{actor.post_label}）"[:150]
    return fallback


def actor_user_id(actor: Actor | None) -> int | None:
    return actor.user_id if actor is not None else None
