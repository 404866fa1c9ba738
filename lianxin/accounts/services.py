"""Writes for accounts: login bookkeeping (lockout), passwords, posts, API tokens."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from lianxin.accounts.models import User
from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.core.errors import DomainError


class LoginRefused(DomainError):
    pass


def user_login_attempt(*, request: HttpRequest | None, username: str, password: str) -> User:
    """Authenticate with lockout: after N failures the account is locked for M minutes."""
    now = timezone.now()
    user = User.objects.filter(username=username).first()
    if user is not None and user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise LoginRefused(f"连续登录失败次数过多，账号已锁定，请{minutes}分钟后再试")
    authed = authenticate(request, username=username, password=password)
    if authed is None:
        if user is not None:
            _register_failure(user=user, now=now)
            user.refresh_from_db(fields=["locked_until", "failed_logins"])
            if user.locked_until and user.locked_until > now:
                raise LoginRefused(
                    f"连续{settings.LOGIN_MAX_FAILURES}次登录失败，账号已锁定{settings.LOGIN_LOCKOUT_MINUTES}分钟"
                )
            left = settings.LOGIN_MAX_FAILURES - user.failed_logins
            raise LoginRefused(f"用户名或密码错误，还可尝试{left}次")
        audit_record(action=AuditEvent.Action.LOGIN_FAILED, object_type="accounts.user", object_repr=username[:100])
        raise LoginRefused("用户名或密码错误")
    if authed.failed_logins or authed.locked_until:
        User.objects.filter(pk=authed.pk).update(failed_logins=0, locked_until=None)
    return authed


@transaction.atomic
def _register_failure(*, user: User, now: dt.datetime) -> None:
    User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
    user.refresh_from_db(fields=["failed_logins"])
    audit_record(action=AuditEvent.Action.LOGIN_FAILED, obj=user)
    if user.failed_logins >= settings.LOGIN_MAX_FAILURES:
        until = now + dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        User.objects.filter(pk=user.pk).update(locked_until=until, failed_logins=0)
        audit_record(action=AuditEvent.Action.LOCKED, obj=user, changes={"locked_until": {"new": until.isoformat()}})


def api_token_issue(*, user: User, name: str, created_by: User | None) -> str:
    """Create a token for an account; the raw value is returned once and stored only hashed."""
    from lianxin.accounts.api_auth import hash_token, new_token
    from lianxin.accounts.models import ApiToken

    raw = new_token()
    ApiToken.objects.create(
        user=user, name=name.strip() or "接口", prefix=raw[:8], key_digest=hash_token(raw), created_by=created_by
    )
    return raw


def admin_create(*, username: str, password: str, unit_code: str) -> User:
    """Create a system administrator holding a post at the given unit."""
    from django.contrib.auth.password_validation import validate_password

    from lianxin.accounts.models import Post
    from lianxin.accounts.permissions import Role
    from lianxin.territory.models import Unit

    unit = Unit.objects.filter(code=unit_code).first()
    if unit is None:
        raise DomainError(f"找不到编码为 {unit_code} 的单元", field="unit")
    user = User(username=username, full_name="系统管理员")
    validate_password(password, user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.save()
    Post.objects.create(user=user, role=Role.SYSADMIN, unit=unit)
    return user
