"""Who is acting right now: set by the web middleware, the API auth, CLI commands and tasks."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class AuditContext:
    user_id: int | None = None
    post_label: str = ""
    ip: str = ""
    channel: str = "web"  # web | api | cli | task


# AuditContext is a frozen dataclass, so sharing the default instance is safe.
_current: ContextVar[AuditContext] = ContextVar("lianxin_audit_context", default=AuditContext())  # noqa: B039


def current() -> AuditContext:
    return _current.get()


@contextlib.contextmanager
def acting(ctx: AuditContext) -> Iterator[AuditContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def set_context(ctx: AuditContext) -> object:
    return _current.set(ctx)


def reset_context(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
