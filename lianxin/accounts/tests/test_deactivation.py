"""Deactivating and reactivating accounts: who may, what stops working, what is logged."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from lianxin.accounts.models import User
from lianxin.accounts.permissions import Role
from lianxin.accounts.services import (
    LoginRefused,
    api_token_issue,
    user_deactivate,
    user_login_attempt,
    user_reactivate,
)
from lianxin.accounts.tests.test_tokens import _call, _integration
from lianxin.audit.models import AuditEvent
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.testing import PASSWORD, make_user


def _login(username: str) -> Client:
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_deactivated_user_cannot_log_in_and_is_told_why(world) -> None:  # noqa: ANN001
    worker = world.users["grid_worker"]
    user_deactivate(actor=world.actor("village_secretary"), user=worker, reason="调离")
    response = Client().post(
        reverse("accounts:login"), {"username": "grid_worker", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "该账号已停用" in response.content.decode()
    # A wrong password gets the ordinary answer: the state is told only to the holder.
    with pytest.raises(LoginRefused) as exc:
        user_login_attempt(request=None, username="grid_worker", password="wrong-Password-1")
    assert "停用" not in exc.value.message


def test_deactivation_ends_existing_sessions_only_of_that_user(world) -> None:  # noqa: ANN001
    victim = _login("grid_worker")
    bystander = _login("sibling_grid_worker")
    home = reverse("accounts:home")
    assert victim.get(home).status_code == 200
    ended = user_deactivate(
        actor=world.actor("village_secretary"), user=world.users["grid_worker"], reason="调离"
    )
    assert ended == 1
    assert not Session.objects.filter(session_key=victim.session.session_key).exists()
    response = victim.get(home)
    assert response.status_code == 302 and reverse("accounts:login") in response.url
    assert bystander.get(home).status_code == 200


def test_deactivation_is_audited_with_reason_and_reactivation_restores(world) -> None:  # noqa: ANN001
    worker = world.users["grid_worker"]
    actor = world.actor("village_secretary")
    user_deactivate(actor=actor, user=worker, reason="长期病休")
    event = AuditEvent.objects.filter(object_id=str(worker.public_id)).latest("id")
    assert event.changes["is_active"] == {"old": True, "new": False}
    assert event.changes["reason"] == {"new": "长期病休"}
    with pytest.raises(DomainError, match="已停用"):
        user_deactivate(actor=actor, user=worker, reason="再来一次")
    user_reactivate(actor=actor, user=worker, reason="病愈返岗")
    assert User.objects.get(pk=worker.pk).is_active is True
    event = AuditEvent.objects.filter(object_id=str(worker.public_id)).latest("id")
    assert event.changes["reason"] == {"new": "病愈返岗"}
    _login("grid_worker")


def test_actor_needs_manage_over_every_active_post(world) -> None:  # noqa: ANN001
    worker = world.users["grid_worker"]
    # The same person also works for the street: the village may not stop the account.
    from lianxin.accounts.models import Post

    Post.objects.create(user=worker, role=Role.STREET_STAFF, unit=world.street)
    with pytest.raises(PermissionDenied):
        user_deactivate(actor=world.actor("village_secretary"), user=worker, reason="调离")
    assert User.objects.get(pk=worker.pk).is_active is True
    user_deactivate(actor=world.actor("street_staff"), user=worker, reason="调离")
    assert User.objects.get(pk=worker.pk).is_active is False


def test_reason_is_required_and_self_is_refused(world) -> None:  # noqa: ANN001
    with pytest.raises(DomainError) as exc:
        user_deactivate(
            actor=world.actor("village_secretary"), user=world.users["grid_worker"], reason="  "
        )
    assert exc.value.field == "reason"
    with pytest.raises(DomainError, match="自己"):
        user_deactivate(
            actor=world.actor("village_secretary"),
            user=world.users["village_secretary"],
            reason="测试",
        )


def test_api_token_of_deactivated_integration_account_gets_401(world) -> None:  # noqa: ANN001
    account = _integration(world)
    raw = api_token_issue(user=account, name="同步", created_by=None)
    assert _call(raw).status_code == 200
    user_deactivate(actor=world.actor("village_secretary"), user=account, reason="对接停止")
    assert _call(raw).status_code == 401
    user_reactivate(actor=world.actor("village_secretary"), user=account, reason="恢复对接")
    assert _call(raw).status_code == 200


def test_pages_confirm_then_deactivate_and_show_the_badge(world) -> None:  # noqa: ANN001
    member = make_user("zhao_wangge", Role.GRID_WORKER, world.grid, full_name="赵网格")
    client = world.client("village_secretary")
    url = reverse("accounts:user_deactivate", args=[member.public_id])
    assert "确认停用" in client.get(url).content.decode()
    # No reason: the form comes back with the error next to the field, nothing changes.
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200 and "field-error" in response.content.decode()
    assert User.objects.get(pk=member.pk).is_active is True
    response = client.post(url, {"reason": "调离本村"})
    assert response.status_code == 302
    assert User.objects.get(pk=member.pk).is_active is False
    detail = client.get(reverse("accounts:user_detail", args=[member.public_id])).content.decode()
    assert (
        "已停用" in detail
        and reverse("accounts:user_reactivate", args=[member.public_id]) in detail
    )
    listing = client.get(reverse("accounts:user_list") + "?q=zhao").content.decode()
    assert "已停用" in listing
    response = client.post(
        reverse("accounts:user_reactivate", args=[member.public_id]), {"reason": "返岗"}
    )
    assert response.status_code == 302
    assert User.objects.get(pk=member.pk).is_active is True
