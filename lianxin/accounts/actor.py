"""The acting user with their active posts: the object every selector and service takes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lianxin.accounts.permissions import ROLE_PERMISSIONS, ROLE_WORKBENCH
from lianxin.core.scope import collapse_paths, path_in_scope

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from lianxin.accounts.models import User


# Posts at these unit kinds change deployment-wide configuration.
DEPLOYMENT_WIDE_KINDS = frozenset({"province", "city", "county"})


@dataclass(frozen=True)
class PostView:
    post_id: int
    public_id: str
    role: str
    role_label: str
    unit_id: int
    unit_path: str
    unit_name: str
    unit_kind: str
    department_id: int | None

    @property
    def label(self) -> str:
        return f"{self.role_label}@{self.unit_name}"


@dataclass
class Actor:
    user_id: int | None
    username: str = ""
    display_name: str = ""
    posts: tuple[PostView, ...] = ()
    _cache: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def for_user(
        cls, user: User | AnonymousUser | None, *, current_post: str | None = None
    ) -> Actor:
        """The user's active posts; `current_post` (a post public_id) becomes the primary one.

        The primary post decides the workbench and the post named in the audit trail; the
        scope is always the union of all active posts.
        """
        from lianxin.accounts.models import Post

        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return cls(user_id=None)
        rows = (
            Post.objects.filter(user_id=user.pk, is_active=True, unit__is_active=True)
            .select_related("unit")
            .order_by("id")
        )
        posts = tuple(
            PostView(
                post_id=p.pk,
                public_id=str(p.public_id),
                role=p.role,
                role_label=p.get_role_display(),
                unit_id=p.unit_id,
                unit_path=p.unit.path,
                unit_name=p.unit.display_name,
                unit_kind=p.unit.kind,
                department_id=p.department_id,
            )
            for p in rows
        )
        if current_post:
            chosen = [p for p in posts if p.public_id == str(current_post)]
            posts = tuple(chosen + [p for p in posts if p.public_id != str(current_post)])
        return cls(
            user_id=user.pk,
            username=user.get_username(),
            display_name=str(user),
            posts=posts,
        )

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def primary_post(self) -> PostView | None:
        return self.posts[0] if self.posts else None

    @property
    def post_label(self) -> str:
        return self.primary_post.label if self.primary_post else ""

    @property
    def workbench(self) -> str:
        return ROLE_WORKBENCH.get(self.primary_post.role, "none") if self.primary_post else "none"

    def scope_paths(self, perm: str) -> tuple[str, ...]:
        """Paths of the units under which `perm` is granted by one of the actor's posts."""
        if perm not in self._cache:
            self._cache[perm] = collapse_paths(
                p.unit_path for p in self.posts if perm in ROLE_PERMISSIONS.get(p.role, ())
            )
        return self._cache[perm]

    def can(self, perm: str, path: str | None = None) -> bool:
        """Whether `perm` is granted anywhere, or (given `path`) at that unit path."""
        paths = self.scope_paths(perm)
        if path is None:
            return bool(paths)
        return path_in_scope(path, paths)

    def posts_with(self, perm: str) -> tuple[PostView, ...]:
        return tuple(p for p in self.posts if perm in ROLE_PERMISSIONS.get(p.role, ()))

    def can_deployment_wide(self, perm: str) -> bool:
        """Whether a post granting `perm` sits at county level or above: deployment-wide
        configuration (request categories, points schemes) applies to every street, so a
        street's post may not change it."""
        return any(p.unit_kind in DEPLOYMENT_WIDE_KINDS for p in self.posts_with(perm))


ANONYMOUS = Actor(user_id=None)
