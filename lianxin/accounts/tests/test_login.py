"""Login with lockout, safe redirects, idle timeout, logout."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lianxin.accounts.middleware import IDLE_LOGOUT_KEY, LAST_SEEN_KEY
from lianxin.accounts.models import User
from lianxin.accounts.services import LoginRefused, user_login_attempt
from lianxin.audit.models import AuditEvent
from lianxin.core.testing import PASSWORD

LOGIN = "/login/"


def _post_login(client: Client, username: str, password: str, next_url: str = ""):  # noqa: ANN202
    url = reverse("accounts:login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"username": username, "password": password})


def test_login_lands_on_workbench_and_is_audited_with_the_user(world) -> None:  # noqa: ANN001
    client = Client()
    response = _post_login(client, "grid_worker", PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("accounts:home")
    event = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN).latest("id")
    assert event.actor_id == world.users["grid_worker"].pk
    assert event.scope_path == world.grid.path
    assert "网格员" in event.actor_post


def test_wrong_password_counts_down_then_locks(world, settings) -> None:  # noqa: ANN001
    settings.LOGIN_MAX_FAILURES = 5
    settings.LOGIN_LOCKOUT_MINUTES = 15
    for left in (4, 3, 2, 1):
        with pytest.raises(LoginRefused, match=f"还可尝试{left}次"):
            user_login_attempt(request=None, username="grid_worker", password="wrong")
    with pytest.raises(LoginRefused, match="已锁定15分钟"):
        user_login_attempt(request=None, username="grid_worker", password="wrong")
    user = User.objects.get(username="grid_worker")
    assert user.is_locked
    # While locked even the right password is refused.
    with pytest.raises(LoginRefused, match="账号已锁定"):
        user_login_attempt(request=None, username="grid_worker", password=PASSWORD)
    assert (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.LOCKED, object_id=str(user.public_id)
        ).count()
        == 1
    )
    assert (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.LOGIN_FAILED, object_id=str(user.public_id)
        ).count()
        == 5
    )


def test_lockout_is_time_limited(world, settings) -> None:  # noqa: ANN001
    settings.LOGIN_MAX_FAILURES = 5
    for _ in range(5):
        with pytest.raises(LoginRefused):
            user_login_attempt(request=None, username="grid_worker", password="wrong")
    # The lock expires: move it into the past instead of waiting.
    User.objects.filter(username="grid_worker").update(
        locked_until=timezone.now() - dt.timedelta(seconds=1)
    )
    user = user_login_attempt(request=None, username="grid_worker", password=PASSWORD)
    assert user.username == "grid_worker"
    user.refresh_from_db()
    assert user.locked_until is None and user.failed_logins == 0


def test_success_resets_the_failure_counter(world) -> None:  # noqa: ANN001
    for _ in range(3):
        with pytest.raises(LoginRefused):
            user_login_attempt(request=None, username="grid_worker", password="wrong")
    user_login_attempt(request=None, username="grid_worker", password=PASSWORD)
    # Four more failures do not lock: the count started again from zero.
    for _ in range(4):
        with pytest.raises(LoginRefused):
            user_login_attempt(request=None, username="grid_worker", password="wrong")
    assert not User.objects.get(username="grid_worker").is_locked


def test_unknown_username_gets_the_same_message_and_is_audited(world) -> None:  # noqa: ANN001
    with pytest.raises(LoginRefused, match="用户名或密码错误"):
        user_login_attempt(request=None, username="no_such_user", password="x")
    event = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).latest("id")
    assert event.object_repr == "no_such_user" and event.actor_id is None


def test_login_page_shows_error_and_keeps_the_username(world) -> None:  # noqa: ANN001
    response = _post_login(Client(), "grid_worker", "wrong")
    body = response.content.decode()
    assert response.status_code == 200
    assert "还可尝试4次" in body
    assert 'value="grid_worker"' in body


def test_locked_account_cannot_log_in_through_the_page(world, settings) -> None:  # noqa: ANN001
    settings.LOGIN_MAX_FAILURES = 2
    client = Client()
    _post_login(client, "grid_worker", "wrong")
    _post_login(client, "grid_worker", "wrong")
    response = _post_login(client, "grid_worker", PASSWORD)
    assert response.status_code == 200
    assert "锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_next_is_followed_only_within_the_site(world) -> None:  # noqa: ANN001
    ok = _post_login(Client(), "grid_worker", PASSWORD, next_url="/audit/")
    assert ok.url == "/audit/"
    evil = _post_login(Client(), "grid_worker", PASSWORD, next_url="https://evil.example/phish")
    assert evil.url == reverse("accounts:home")


def test_pages_require_login(world) -> None:  # noqa: ANN001
    response = Client().get(reverse("accounts:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_logout_needs_post_and_ends_the_session(world) -> None:  # noqa: ANN001
    client = world.client("grid_worker")
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("accounts:home")).status_code == 302
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.LOGOUT, actor=world.users["grid_worker"]
    ).exists()


class TestIdleTimeout:
    def test_idle_session_is_logged_out_with_a_notice(self, world, settings) -> None:  # noqa: ANN001
        settings.SESSION_IDLE_TIMEOUT_MINUTES = 10
        client = world.client("grid_worker")
        assert client.get(reverse("accounts:home")).status_code == 200
        session = client.session
        session[LAST_SEEN_KEY] = time.time() - 11 * 60
        session.save()
        response = client.get(reverse("accounts:home"))
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
        assert client.session.get(IDLE_LOGOUT_KEY) is True
        page = client.get(response.url)
        assert "长时间未操作，已自动退出" in page.content.decode()

    def test_activity_within_the_limit_keeps_the_session(self, world, settings) -> None:  # noqa: ANN001
        settings.SESSION_IDLE_TIMEOUT_MINUTES = 10
        client = world.client("grid_worker")
        client.get(reverse("accounts:home"))
        session = client.session
        session[LAST_SEEN_KEY] = time.time() - 9 * 60
        session.save()
        assert client.get(reverse("accounts:home")).status_code == 200
        # The visit moved the clock forward again.
        assert time.time() - client.session[LAST_SEEN_KEY] < 5

    def test_the_limit_is_configurable(self, world, settings) -> None:  # noqa: ANN001
        settings.SESSION_IDLE_TIMEOUT_MINUTES = 60
        client = world.client("grid_worker")
        client.get(reverse("accounts:home"))
        session = client.session
        session[LAST_SEEN_KEY] = time.time() - 45 * 60
        session.save()
        assert client.get(reverse("accounts:home")).status_code == 200
