"""Reads for accounts, each scoped by the actor's posts.

A user is not itself on the tree: an account is visible to an administrator when one of its
posts (current or ended) lies at a unit inside the administrator's `accounts.manage` scope.
Only the posts inside that scope are shown, so the page does not reveal where else the
person works.
"""

from __future__ import annotations

from uuid import UUID

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.accounts.models import ApiToken, Department, Post, User
from lianxin.accounts.permissions import ROLE_UNIT_KINDS, Perm

NOT_FOUND = "不存在或无权访问"


def _scoped_posts(actor: Actor, perm: str) -> QuerySet[Post]:
    return Post.objects.visible_to(actor, perm)


def users_visible(actor: Actor, perm: str = Perm.ACCOUNTS_MANAGE) -> QuerySet[User]:
    """Accounts holding (or having held) a post inside the actor's scope for `perm`."""
    return User.objects.filter(Exists(_scoped_posts(actor, perm).filter(user_id=OuterRef("pk"))))


def user_list(actor: Actor, *, q: str = "", role: str = "", status: str = "") -> QuerySet[User]:
    """The account list with the in-scope posts prefetched (`scoped_posts`)."""
    scoped = _scoped_posts(actor, Perm.ACCOUNTS_MANAGE)
    if role:
        scoped_role = scoped.filter(role=role, is_active=True)
        users = User.objects.filter(Exists(scoped_role.filter(user_id=OuterRef("pk"))))
    else:
        users = users_visible(actor)
    if q:
        users = users.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    if status == "locked":
        users = users.filter(locked_until__gt=timezone.now())
    elif status == "integration":
        users = users.filter(is_integration=True)
    elif status == "inactive":
        users = users.filter(is_active=False)
    return users.order_by("username").prefetch_related(
        Prefetch(
            "posts",
            queryset=scoped.select_related("unit", "department").order_by("-is_active", "id"),
            to_attr="scoped_posts",
        )
    )


def user_get(actor: Actor, public_id: UUID | str, perm: str = Perm.ACCOUNTS_MANAGE) -> User:
    """One account in scope, with its in-scope posts (`scoped_posts`); 404 otherwise."""
    user = (
        users_visible(actor, perm)
        .filter(public_id=public_id)
        .prefetch_related(
            Prefetch(
                "posts",
                queryset=_scoped_posts(actor, perm)
                .select_related("unit", "department")
                .order_by("-is_active", "id"),
                to_attr="scoped_posts",
            )
        )
        .first()
    )
    if user is None:
        raise Http404(NOT_FOUND)
    return user


def user_posts_elsewhere(actor: Actor, user: User) -> int:
    """How many active posts of the user lie outside the actor's scope (count only)."""
    total = Post.objects.filter(user=user, is_active=True).count()
    inside = sum(1 for p in getattr(user, "scoped_posts", []) if p.is_active)
    return max(0, total - inside)


def post_get(actor: Actor, public_id: UUID | str) -> Post:
    """A post at a unit inside the actor's `accounts.manage` scope; 404 otherwise."""
    post = (
        _scoped_posts(actor, Perm.ACCOUNTS_MANAGE)
        .select_related("unit", "user", "department")
        .filter(public_id=public_id)
        .first()
    )
    if post is None:
        raise Http404(NOT_FOUND)
    return post


def own_post_get(actor: Actor, public_id: UUID | str) -> Post:
    """One of the actor's own active posts (for switching); 404 for anyone else's."""
    post = (
        Post.objects.filter(
            user_id=actor.user_id, is_active=True, unit__is_active=True, public_id=public_id
        )
        .select_related("unit")
        .first()
    )
    if post is None or actor.user_id is None:
        raise Http404(NOT_FOUND)
    return post


def units_grantable(actor: Actor, *, limit: int = 500) -> list:
    """Active units where the actor may create posts, tree order, at most `limit`.

    The post form offers them as suggestions; any unit code inside the scope is accepted.
    """
    from lianxin.territory.models import Unit

    kinds = {k for ks in ROLE_UNIT_KINDS.values() for k in ks}
    return list(
        Unit.objects.visible_to(actor, Perm.ACCOUNTS_MANAGE)
        .filter(is_active=True, kind__in=kinds)
        .order_by("path")
        .only("id", "code", "display_name", "kind", "path")[:limit]
    )


def unit_for_grant(actor: Actor, code: str) -> object | None:
    """The active unit with this code inside the actor's `accounts.manage` scope, or None."""
    from lianxin.territory.models import Unit

    code = code.strip()
    if not code:
        return None
    return (
        Unit.objects.visible_to(actor, Perm.ACCOUNTS_MANAGE)
        .filter(code=code, is_active=True)
        .first()
    )


def departments_grantable(actor: Actor) -> QuerySet[Department]:
    """Departments attached at units inside the actor's `accounts.manage` scope."""
    return (
        Department.objects.visible_to(actor, Perm.ACCOUNTS_MANAGE)
        .filter(is_active=True)
        .select_related("unit")
        .order_by("unit__path", "name")
    )


def tokens_visible(actor: Actor) -> QuerySet[ApiToken]:
    """Tokens of accounts holding a post inside the actor's `api.tokens` scope."""
    return ApiToken.objects.filter(
        Exists(_scoped_posts(actor, Perm.API_TOKENS).filter(user_id=OuterRef("user_id")))
    )


def token_list(actor: Actor) -> QuerySet[ApiToken]:
    """Tokens in scope, newest first, with account and issuer."""
    return tokens_visible(actor).select_related("user", "created_by").order_by("-created_at", "-id")


def token_get(actor: Actor, public_id: UUID | str) -> ApiToken:
    token = tokens_visible(actor).select_related("user").filter(public_id=public_id).first()
    if token is None:
        raise Http404(NOT_FOUND)
    return token


def integration_accounts(actor: Actor) -> QuerySet[User]:
    """Active integration accounts the actor may issue tokens for."""
    return (
        users_visible(actor, Perm.API_TOKENS)
        .filter(is_integration=True, is_active=True)
        .order_by("username")
    )
