"""API tokens: issued by administrators for integration accounts, acting with exactly that
account's posts, revocable at once."""

from __future__ import annotations

import pytest
from django.urls import reverse
from ninja import NinjaAPI, Router
from ninja.testing import TestClient

from lianxin.accounts.api_auth import TOKEN_PREFIX, TokenAuth, hash_token
from lianxin.accounts.models import ApiToken, Post
from lianxin.accounts.permissions import Role
from lianxin.accounts.services import api_token_create, api_token_revoke
from lianxin.audit.context import acting, current
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.testing import make_unit, make_user

# A private API with the real token auth: what a token may see, without depending on the
# shape of any domain endpoint.
_router = Router()


@_router.get("/whoami")
def _whoami(request) -> dict:  # noqa: ANN001
    from lianxin.territory.models import Unit

    actor = request.auth
    return {
        "user_id": actor.user_id,
        "posts": sorted(p.public_id for p in actor.posts),
        "units": sorted(
            Unit.objects.visible_to(actor, "territory.view").values_list("code", flat=True)
        ),
    }


_api = NinjaAPI(auth=TokenAuth(), urls_namespace="token-test-api")
_api.add_router("/", _router)


def _integration(world, username: str = "api_village", unit=None, role: str = Role.VILLAGE_STAFF):  # noqa: ANN001, ANN202
    user = make_user(username, role, unit or world.village, full_name="数据对接")
    user.is_integration = True
    user.save(update_fields=["is_integration"])
    return user


def _call(raw: str):  # noqa: ANN202
    # TestClient skips the middleware that scopes the audit context to one request; keep the
    # context the token auth sets from leaking into later tests.
    with acting(current()):
        return TestClient(_api).get("/whoami", headers={"Authorization": f"Bearer {raw}"})


def test_token_acts_with_exactly_its_accounts_posts(world) -> None:  # noqa: ANN001
    account = _integration(world)
    raw = api_token_create(actor=world.actor("sysadmin"), user=account, name="同步")
    response = _call(raw)
    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == account.pk
    assert body["posts"] == sorted(str(p.public_id) for p in Post.objects.filter(user=account))
    # The village subtree and nothing else: not the street above, not the other village.
    assert set(body["units"]) == {
        world.village.code,
        world.grid.code,
        world.sibling_grid.code,
        world.building.code,
        world.sibling_building.code,
    }
    # A post added later widens the token's scope; an ended one narrows it, at once.
    extra = Post.objects.create(user=account, role=Role.VILLAGE_STAFF, unit=world.other_village)
    assert world.other_village.code in _call(raw).json()["units"]
    extra.is_active = False
    extra.save()
    assert world.other_village.code not in _call(raw).json()["units"]


def test_revoked_and_unknown_tokens_get_401(world) -> None:  # noqa: ANN001
    account = _integration(world)
    raw = api_token_create(actor=world.actor("sysadmin"), user=account, name="同步")
    assert _call(raw).status_code == 200
    token = ApiToken.objects.get(user=account)
    api_token_revoke(actor=world.actor("sysadmin"), token=token)
    assert _call(raw).status_code == 401
    assert _call(TOKEN_PREFIX + "not-a-token").status_code == 401
    with acting(current()):
        assert TestClient(_api).get("/whoami").status_code == 401


def test_token_of_a_deactivated_account_gets_401(world) -> None:  # noqa: ANN001
    account = _integration(world)
    raw = api_token_create(actor=world.actor("sysadmin"), user=account, name="同步")
    account.is_active = False
    account.save(update_fields=["is_active"])
    assert _call(raw).status_code == 401


def test_only_the_digest_is_stored_and_use_is_recorded(world) -> None:  # noqa: ANN001
    account = _integration(world)
    raw = api_token_create(actor=world.actor("sysadmin"), user=account, name="同步")
    token = ApiToken.objects.get(user=account)
    assert token.key_digest == hash_token(raw) and raw not in token.key_digest
    assert token.prefix == raw[:8] and token.created_by == world.users["sysadmin"]
    assert token.last_used_at is None
    _call(raw)
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_tokens_are_only_for_integration_accounts_fully_in_scope(world) -> None:  # noqa: ANN001
    sysadmin = world.actor("sysadmin")
    with pytest.raises(DomainError, match="只能为接口账号签发"):
        api_token_create(actor=sysadmin, user=world.users["grid_worker"], name="x")
    other_city = make_unit("city", "4109", "濮阳市", world.province)
    outside = _integration(world, "api_puyang", unit=other_city, role=Role.SYSADMIN)
    with pytest.raises(PermissionDenied):
        api_token_create(actor=sysadmin, user=outside, name="x")
    # Street staff manage accounts but do not issue tokens.
    with pytest.raises(PermissionDenied):
        api_token_create(actor=world.actor("street_staff"), user=_integration(world), name="x")


def test_token_pages(world) -> None:  # noqa: ANN001
    account = _integration(world)
    client = world.client("sysadmin")
    form = client.get(reverse("accounts:token_create"))
    assert "数据对接" in form.content.decode()
    bad = client.post(
        reverse("accounts:token_create"), {"user": str(account.public_id), "name": ""}
    )
    assert bad.status_code == 200 and "field-error" in bad.content.decode()
    response = client.post(
        reverse("accounts:token_create"), {"user": str(account.public_id), "name": "同步"}
    )
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    raw = response.content.decode().split('id="raw-token">')[1].split("<")[0]
    assert raw.startswith(TOKEN_PREFIX) and _call(raw).status_code == 200
    listing = client.get(reverse("accounts:token_list")).content.decode()
    assert raw[:8] in listing and raw not in listing
    token = ApiToken.objects.get(user=account)
    client.post(reverse("accounts:token_revoke", kwargs={"public_id": token.public_id}))
    assert _call(raw).status_code == 401
    assert world.client("street_staff").get(reverse("accounts:token_list")).status_code == 403
