"""Scope cases for every accounts URL (lianxin/core/tests/test_url_scope.py runs them).

Outsiders hold the same permission elsewhere (other_street_staff has accounts.manage in the
other street; a second system administrator sits in another city), so each case proves the
scope, not the permission.
"""

from __future__ import annotations

from lianxin.accounts.permissions import Role
from lianxin.core.scopecheck import ScopeCase, ScopeSetup, register_exempt
from lianxin.core.testing import make_unit, make_user

register_exempt(
    "accounts:password_change",
    "acts only on the logged-in user's own account; shows no governed data",
)


def _grid_member(world) -> object:  # noqa: ANN001
    """A grid worker with a distinctive name, posted in the insider's village."""
    return make_user("wang_xiaoming", Role.GRID_WORKER, world.grid, full_name="王小明")


def _other_sysadmin(world) -> None:  # noqa: ANN001
    """A system administrator of another city: holds api.tokens, outside the world's city."""
    other_city = make_unit("city", "4109", "濮阳市", world.province)
    world.users["other_sysadmin"] = make_user("other_sysadmin", Role.SYSADMIN, other_city)


def _integration_account(world, name: str = "12345热线对接") -> object:  # noqa: ANN001
    user = make_user("api_hotline", Role.VILLAGE_STAFF, world.village, full_name=name)
    user.is_integration = True
    user.save(update_fields=["is_integration"])
    return user


def home(world) -> ScopeSetup:  # noqa: ANN001
    return ScopeSetup(marker=world.grid.display_name)


def post_switch(world) -> ScopeSetup:  # noqa: ANN001
    post = world.users["grid_worker"].posts.get()
    return ScopeSetup(kwargs={"public_id": post.public_id})


def user_list(world) -> ScopeSetup:  # noqa: ANN001
    _grid_member(world)
    return ScopeSetup(marker="王小明")


def user_detail(world) -> ScopeSetup:  # noqa: ANN001
    return ScopeSetup(kwargs={"public_id": _grid_member(world).public_id})


def user_create(world) -> ScopeSetup:  # noqa: ANN001
    # The form suggests the units where the actor may create posts.
    return ScopeSetup(marker=world.grid.code)


def post_create(world) -> ScopeSetup:  # noqa: ANN001
    return ScopeSetup(kwargs={"public_id": _grid_member(world).public_id})


def post_end(world) -> ScopeSetup:  # noqa: ANN001
    return ScopeSetup(kwargs={"public_id": _grid_member(world).posts.get().public_id})


def user_unlock(world) -> ScopeSetup:  # noqa: ANN001
    import datetime as dt

    from django.utils import timezone

    user = _grid_member(world)
    user.locked_until = timezone.now() + dt.timedelta(minutes=10)
    user.save(update_fields=["locked_until"])
    return ScopeSetup(kwargs={"public_id": user.public_id})


def user_password_reset(world) -> ScopeSetup:  # noqa: ANN001
    return ScopeSetup(kwargs={"public_id": _grid_member(world).public_id})


def user_deactivate(world) -> ScopeSetup:  # noqa: ANN001
    return ScopeSetup(
        kwargs={"public_id": _grid_member(world).public_id}, data={"reason": "调离本村"}
    )


def user_reactivate(world) -> ScopeSetup:  # noqa: ANN001
    user = _grid_member(world)
    user.is_active = False
    user.save(update_fields=["is_active"])
    return ScopeSetup(kwargs={"public_id": user.public_id}, data={"reason": "重新上岗"})


def token_list(world) -> ScopeSetup:  # noqa: ANN001
    from lianxin.accounts.services import api_token_issue

    _other_sysadmin(world)
    api_token_issue(user=_integration_account(world), name="热线工单同步", created_by=None)
    return ScopeSetup(marker="热线工单同步")


def token_create(world) -> ScopeSetup:  # noqa: ANN001
    _other_sysadmin(world)
    _integration_account(world, name="城管平台对接")
    return ScopeSetup(marker="城管平台对接")


def token_revoke(world) -> ScopeSetup:  # noqa: ANN001
    from lianxin.accounts.models import ApiToken
    from lianxin.accounts.services import api_token_issue

    _other_sysadmin(world)
    account = _integration_account(world)
    api_token_issue(user=account, name="热线工单同步", created_by=None)
    return ScopeSetup(kwargs={"public_id": ApiToken.objects.get(user=account).public_id})


_MANAGER = {"insider": "village_secretary", "outsider": "other_street_staff"}
_TOKENS = {"insider": "sysadmin", "outsider": "other_sysadmin"}

SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("accounts:home", home, insider="grid_worker", outsider="sibling_grid_worker"),
    ScopeCase(
        "accounts:post_switch",
        post_switch,
        insider="grid_worker",
        outsider="sibling_grid_worker",
        method="post",
        expect_inside=(302,),
        note="only one's own posts can be switched to",
    ),
    ScopeCase("accounts:user_list", user_list, **_MANAGER),
    ScopeCase("accounts:user_detail", user_detail, **_MANAGER),
    ScopeCase("accounts:user_create", user_create, **_MANAGER),
    ScopeCase("accounts:post_create", post_create, **_MANAGER),
    ScopeCase("accounts:post_end", post_end, method="post", expect_inside=(302,), **_MANAGER),
    ScopeCase("accounts:user_unlock", user_unlock, method="post", expect_inside=(302,), **_MANAGER),
    ScopeCase("accounts:user_password_reset", user_password_reset, **_MANAGER),
    ScopeCase(
        "accounts:user_password_reset",
        user_password_reset,
        method="post",
        expect_inside=(200,),
        **_MANAGER,
    ),
    ScopeCase("accounts:user_deactivate", user_deactivate, **_MANAGER),
    ScopeCase(
        "accounts:user_deactivate",
        user_deactivate,
        method="post",
        expect_inside=(302,),
        **_MANAGER,
    ),
    ScopeCase("accounts:user_reactivate", user_reactivate, **_MANAGER),
    ScopeCase(
        "accounts:user_reactivate",
        user_reactivate,
        method="post",
        expect_inside=(302,),
        **_MANAGER,
    ),
    ScopeCase("accounts:token_list", token_list, **_TOKENS),
    ScopeCase("accounts:token_create", token_create, **_TOKENS),
    ScopeCase(
        "accounts:token_revoke", token_revoke, method="post", expect_inside=(302,), **_TOKENS
    ),
]
