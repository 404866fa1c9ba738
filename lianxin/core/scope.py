"""The one scoping mechanism (DESIGN.md invariant 1: the tree is the scope).

Every governed model names the path of the territory unit it hangs on in `SCOPE_PATH` (a
lookup such as ``"unit__path"``) and uses `ScopedQuerySet` as its manager. Selectors, views,
exports and the API obtain rows only through `visible_to(actor, perm)`, which keeps the rows
whose unit path starts with the path of one of the actor's posts that grants `perm`.
A row outside the scope is simply absent, so a detail view answers 404, never 403.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404


class Actor(Protocol):
    """Who is acting: implemented by `lianxin.accounts.actor.Actor`."""

    user_id: int | None

    @property
    def post_label(self) -> str: ...

    def scope_paths(self, perm: str) -> tuple[str, ...]: ...

    def can(self, perm: str, path: str | None = None) -> bool: ...


def collapse_paths(paths: Iterable[str]) -> tuple[str, ...]:
    """Drop paths already covered by an ancestor path in the set (fewer OR terms)."""
    kept: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return tuple(sorted(kept))


def path_q(path_field: str, paths: Iterable[str]) -> Q:
    """Q matching rows whose `path_field` lies under any of `paths`; matches nothing if empty."""
    q = Q()
    collapsed = collapse_paths(paths)
    if not collapsed:
        return Q(pk__in=[])
    for path in collapsed:
        q |= Q(**{f"{path_field}__startswith": path})
    return q


def path_in_scope(path: str, paths: Iterable[str]) -> bool:
    return any(path.startswith(p) for p in paths)


M = TypeVar("M", bound=models.Model)


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor, perm: str | None = None) -> ScopedQuerySet:
        """Rows under the actor's posts that grant `perm` (default: the model's view perm)."""
        model = self.model
        perm = perm or model.SCOPE_VIEW_PERM
        return self.filter(path_q(model.SCOPE_PATH, actor.scope_paths(perm)))

    def get_visible(self, actor: Actor, perm: str | None = None, **lookup: Any) -> Any:
        """One row in scope, or Http404 — the same answer whether it exists elsewhere or not."""
        try:
            return self.visible_to(actor, perm).get(**lookup)
        # Malformed UUIDs raise ValidationError/ValueError: same answer as a missing row.
        except (
            self.model.DoesNotExist,
            self.model.MultipleObjectsReturned,
            ValueError,
            ValidationError,
        ) as exc:
            raise Http404("不存在或无权访问") from exc


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):  # type: ignore[misc]
    pass
