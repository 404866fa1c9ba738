"""Password rules, the password change page, forced changes and administrator resets."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lianxin.accounts.models import User
from lianxin.accounts.passwords import character_classes
from lianxin.accounts.permissions import Role
from lianxin.accounts.services import password_generate, user_password_change, user_password_reset
from lianxin.audit.models import AuditEvent
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.testing import PASSWORD, make_user

NEW = "Qingshan-Lu-77"


class TestRules:
    @pytest.mark.parametrize(
        "password",
        [
            "Ab1-xyz",  # 7 characters
            "abcdefgh12",  # two classes
            "ABCDEFGH!!",  # two classes
            "password",  # common, one class
        ],
    )
    def test_weak_passwords_are_refused(self, password: str) -> None:
        with pytest.raises(ValidationError):
            validate_password(password)

    @pytest.mark.parametrize("password", ["Grid-2026x", "huaYUAN2026", "zhang#2026san"])
    def test_eight_characters_from_three_classes_pass(self, password: str) -> None:
        validate_password(password)

    def test_the_message_names_the_rule_in_chinese(self) -> None:
        with pytest.raises(ValidationError) as exc:
            validate_password("abcdefgh12")
        assert "至少3类" in " ".join(exc.value.messages)

    def test_generated_passwords_pass_the_rules(self) -> None:
        seen = set()
        for _ in range(50):
            pw = password_generate()
            validate_password(pw)
            assert character_classes(pw) >= 3 and len(pw) >= 12
            seen.add(pw)
        assert len(seen) == 50


class TestOwnChange:
    def test_change_requires_the_current_password(self, world) -> None:  # noqa: ANN001
        user = world.users["grid_worker"]
        with pytest.raises(DomainError) as exc:
            user_password_change(user=user, current_password="wrong", new_password=NEW)
        assert exc.value.field == "current_password"

    def test_new_password_must_follow_the_rules(self, world) -> None:  # noqa: ANN001
        user = world.users["grid_worker"]
        with pytest.raises(DomainError) as exc:
            user_password_change(user=user, current_password=PASSWORD, new_password="short1A")
        assert exc.value.field == "new_password"
        with pytest.raises(DomainError, match="不能与当前密码相同"):
            user_password_change(user=user, current_password=PASSWORD, new_password=PASSWORD)

    def test_page_changes_the_password_and_keeps_the_session(self, world) -> None:  # noqa: ANN001
        user = world.users["grid_worker"]
        User.objects.filter(pk=user.pk).update(must_change_password=True)
        client = world.client("grid_worker")
        response = client.post(
            reverse("accounts:password_change"),
            {"current_password": PASSWORD, "new_password": NEW, "new_password_confirm": NEW},
        )
        assert response.status_code == 302 and response.url == reverse("accounts:home")
        user.refresh_from_db()
        assert user.check_password(NEW)
        assert user.must_change_password is False
        assert user.password_changed_at is not None
        assert timezone.now() - user.password_changed_at < dt.timedelta(minutes=1)
        assert client.get(reverse("accounts:home")).status_code == 200
        event = AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD).latest("id")
        assert event.object_id == str(user.public_id)
        assert event.changes["password"] == {"secret": True}
        # Neither the hash nor the password lands in the audit trail.
        assert NEW not in str(event.changes) and user.password not in str(event.changes)

    def test_page_shows_errors_next_to_the_fields(self, world) -> None:  # noqa: ANN001
        client = world.client("grid_worker")
        response = client.post(
            reverse("accounts:password_change"),
            {"current_password": "wrong", "new_password": NEW, "new_password_confirm": NEW},
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "当前密码不正确" in body and "has-error" in body
        response = client.post(
            reverse("accounts:password_change"),
            {"current_password": PASSWORD, "new_password": NEW, "new_password_confirm": NEW + "x"},
        )
        assert "两次输入的新密码不一致" in response.content.decode()
        world.users["grid_worker"].refresh_from_db()
        assert world.users["grid_worker"].check_password(PASSWORD)

    def test_other_sessions_end_after_a_change(self, world) -> None:  # noqa: ANN001
        other = Client()
        other.post(reverse("accounts:login"), {"username": "grid_worker", "password": PASSWORD})
        assert other.get(reverse("accounts:home")).status_code == 200
        client = Client()
        client.post(reverse("accounts:login"), {"username": "grid_worker", "password": PASSWORD})
        client.post(
            reverse("accounts:password_change"),
            {"current_password": PASSWORD, "new_password": NEW, "new_password_confirm": NEW},
        )
        assert client.get(reverse("accounts:home")).status_code == 200
        assert other.get(reverse("accounts:home")).status_code == 302


class TestForcedChange:
    def test_must_change_users_are_sent_to_the_change_page_after_login(self, world) -> None:  # noqa: ANN001
        User.objects.filter(username="grid_worker").update(must_change_password=True)
        client = Client()
        response = client.post(
            reverse("accounts:login"), {"username": "grid_worker", "password": PASSWORD}
        )
        assert response.url == reverse("accounts:password_change")
        # Every other page sends them back there until the password is changed.
        for url in (
            reverse("accounts:home"),
            reverse("audit:event_list"),
            reverse("accounts:user_list"),
        ):
            response = client.get(url)
            assert response.status_code == 302 and response.url == reverse(
                "accounts:password_change"
            )
        assert client.get(reverse("accounts:password_change")).status_code == 200
        client.post(
            reverse("accounts:password_change"),
            {"current_password": PASSWORD, "new_password": NEW, "new_password_confirm": NEW},
        )
        assert client.get(reverse("accounts:home")).status_code == 200

    def test_logout_stays_possible_during_a_forced_change(self, world) -> None:  # noqa: ANN001
        User.objects.filter(username="grid_worker").update(must_change_password=True)
        client = world.client("grid_worker")
        assert client.post(reverse("accounts:logout")).url == reverse("accounts:login")

    def test_passwords_older_than_the_limit_must_change(self, world, settings) -> None:  # noqa: ANN001
        settings.PASSWORD_MAX_AGE_DAYS = 90
        User.objects.filter(username="grid_worker").update(
            password_changed_at=timezone.now() - dt.timedelta(days=91)
        )
        client = world.client("grid_worker")
        assert client.get(reverse("accounts:home")).url == reverse("accounts:password_change")
        User.objects.filter(username="grid_worker").update(
            password_changed_at=timezone.now() - dt.timedelta(days=89)
        )
        assert client.get(reverse("accounts:home")).status_code == 200


class TestAdminReset:
    def test_reset_sets_a_temporary_password_that_must_change(self, world) -> None:  # noqa: ANN001
        target = world.users["grid_worker"]
        temporary = user_password_reset(actor=world.actor("village_secretary"), user=target)
        target.refresh_from_db()
        assert target.check_password(temporary) and not target.check_password(PASSWORD)
        assert target.must_change_password is True
        event = AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD).latest("id")
        assert event.changes["reset_by_admin"] == {"new": True}
        assert event.changes["must_change_password"] == {"old": False, "new": True}
        assert temporary not in str(event.changes)
        assert event.scope_path == world.grid.path

    def test_reset_page_shows_the_password_once(self, world) -> None:  # noqa: ANN001
        target = world.users["grid_worker"]
        client = world.client("village_secretary")
        url = reverse("accounts:user_password_reset", kwargs={"public_id": target.public_id})
        assert "生成临时密码" in client.get(url).content.decode()
        response = client.post(url)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        body = response.content.decode()
        temporary = body.split('id="temp-password">')[1].split("<")[0]
        target.refresh_from_db()
        assert target.check_password(temporary)
        # Nothing stores it: the user's page no longer shows it.
        detail = client.get(reverse("accounts:user_detail", kwargs={"public_id": target.public_id}))
        assert temporary not in detail.content.decode()
        # The user logs in with it and is sent to change it.
        login = Client().post(
            reverse("accounts:login"), {"username": "grid_worker", "password": temporary}
        )
        assert login.url == reverse("accounts:password_change")

    def test_reset_needs_the_permission_over_every_active_post(self, world) -> None:  # noqa: ANN001
        # A street user who also holds a village post: the village secretary sees the account
        # but may not take it over.
        target = world.users["street_staff"]
        from lianxin.accounts.models import Post

        Post.objects.create(user=target, role=Role.VILLAGE_STAFF, unit=world.village)
        with pytest.raises(PermissionDenied):
            user_password_reset(actor=world.actor("village_secretary"), user=target)
        user_password_reset(actor=world.actor("sysadmin"), user=target)

    def test_own_and_integration_accounts_cannot_be_reset(self, world) -> None:  # noqa: ANN001
        with pytest.raises(DomainError, match="不能重置自己的密码"):
            user_password_reset(
                actor=world.actor("village_secretary"), user=world.users["village_secretary"]
            )
        api = make_user("api_x", Role.VILLAGE_STAFF, world.village)
        api.is_integration = True
        api.save()
        with pytest.raises(DomainError, match="接口账号"):
            user_password_reset(actor=world.actor("village_secretary"), user=api)

    def test_reset_refusal_is_shown_as_a_message(self, world) -> None:  # noqa: ANN001
        from lianxin.accounts.models import Post

        target = world.users["street_staff"]
        Post.objects.create(user=target, role=Role.VILLAGE_STAFF, unit=world.village)
        client = world.client("village_secretary")
        response = client.post(
            reverse("accounts:user_password_reset", kwargs={"public_id": target.public_id}),
            follow=True,
        )
        assert "请由上级管理员处理" in response.content.decode()
        target.refresh_from_db()
        assert target.check_password(PASSWORD)
