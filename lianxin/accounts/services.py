"""Writes for accounts: login bookkeeping (lockout), passwords, users, posts, API tokens.

Who may act is checked here as well as in the selectors that found the objects: a service
called from a script or a later app must not become a way around the scope.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.accounts.models import ApiToken, Department, Post, User
from lianxin.accounts.permissions import ROLE_UNIT_KINDS, Perm, Role
from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.core.errors import DomainError, PermissionDenied

if TYPE_CHECKING:
    from lianxin.territory.models import Unit


class LoginRefused(DomainError):
    pass


# --- login -----------------------------------------------------------------------------------


def user_login_attempt(*, request: HttpRequest | None, username: str, password: str) -> User:
    """Authenticate with lockout: after N failures the account is locked for M minutes."""
    now = timezone.now()
    user = User.objects.filter(username=username).first()
    if user is not None and user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise LoginRefused(f"连续登录失败次数过多，账号已锁定，请{minutes}分钟后再试")
    authed = authenticate(request, username=username, password=password)
    if authed is None:
        # Say "stopped" only to someone who knows the password, so the message does not
        # tell a stranger which accounts exist.
        if user is not None and not user.is_active and user.check_password(password):
            audit_record(
                action=AuditEvent.Action.LOGIN_FAILED,
                obj=user,
                changes={"is_active": {"new": False}},
            )
            raise LoginRefused("该账号已停用，请联系管理员")
        if user is not None:
            _register_failure(user=user, now=now)
            user.refresh_from_db(fields=["locked_until", "failed_logins"])
            if user.locked_until and user.locked_until > now:
                raise LoginRefused(
                    f"连续{settings.LOGIN_MAX_FAILURES}次登录失败，账号已锁定{settings.LOGIN_LOCKOUT_MINUTES}分钟"
                )
            left = settings.LOGIN_MAX_FAILURES - user.failed_logins
            raise LoginRefused(f"用户名或密码错误，还可尝试{left}次")
        audit_record(
            action=AuditEvent.Action.LOGIN_FAILED,
            object_type="accounts.user",
            object_repr=username[:100],
        )
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
        audit_record(
            action=AuditEvent.Action.LOCKED,
            obj=user,
            changes={"locked_until": {"new": until.isoformat()}},
        )


# --- passwords -------------------------------------------------------------------------------

# No 0/O, 1/l/I: a temporary password is read aloud or copied from a screen.
_LOWER = "abcdefghijkmnpqrstuvwxyz"
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"


def password_generate(length: int = 12) -> str:
    """A random password that satisfies the rules (all three letter/digit classes present)."""
    pools = (_LOWER, _UPPER, _DIGITS)
    chars = [secrets.choice(pool) for pool in pools]
    alphabet = "".join(pools)
    chars += [secrets.choice(alphabet) for _ in range(max(length, 8) - len(chars))]
    # Fisher-Yates with a CSPRNG so the guaranteed classes are not always in front.
    for i in range(len(chars) - 1, 0, -1):
        j = secrets.randbelow(i + 1)
        chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


def _validated(password: str, user: User, *, field: str) -> str:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError("；".join(exc.messages), field=field) from exc
    return password


def _store_password(*, user: User, password: str, must_change: bool, by_admin: bool) -> None:
    """Set the hash and the dates without a model save, and write one PASSWORD audit event."""
    old_must_change = user.must_change_password
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.must_change_password = must_change
    user.failed_logins = 0
    user.locked_until = None
    User.objects.filter(pk=user.pk).update(
        password=user.password,
        password_changed_at=user.password_changed_at,
        must_change_password=must_change,
        failed_logins=0,
        locked_until=None,
    )
    changes: dict[str, object] = {"password": {"secret": True}}
    if old_must_change != must_change:
        changes["must_change_password"] = {"old": old_must_change, "new": must_change}
    if by_admin:
        changes["reset_by_admin"] = {"new": True}
    audit_record(action=AuditEvent.Action.PASSWORD, obj=user, changes=changes)


@transaction.atomic
def user_password_change(*, user: User, current_password: str, new_password: str) -> None:
    """The user changes their own password: the current one is required, the rules apply."""
    if not user.check_password(current_password):
        raise DomainError("当前密码不正确", field="current_password")
    if current_password == new_password:
        raise DomainError("新密码不能与当前密码相同", field="new_password")
    _validated(new_password, user, field="new_password")
    _store_password(user=user, password=new_password, must_change=False, by_admin=False)


def _require_full_management(actor: Actor, user: User, *, perm: str = Perm.ACCOUNTS_MANAGE) -> None:
    """The actor holds `perm` over every active post of the user.

    Holding it over one post is enough to see the account, but taking it over (a new
    password, a token) must not let a village administrator act as a street or city user.
    """
    paths = list(
        Post.objects.filter(user=user, is_active=True).values_list("unit__path", flat=True)
    )
    if not paths:
        paths = list(Post.objects.filter(user=user).values_list("unit__path", flat=True))
    if not paths or not all(actor.can(perm, p) for p in paths):
        raise PermissionDenied("该账号还在您管辖范围以外任职，请由上级管理员处理")


@transaction.atomic
def user_password_reset(*, actor: Actor, user: User) -> str:
    """An administrator sets a temporary password; the user must change it at next login.

    Returns the temporary password, to be shown once and never stored in plain text.
    """
    if user.pk == actor.user_id:
        raise DomainError("不能重置自己的密码，请使用“修改密码”")
    if user.is_integration:
        raise DomainError("接口账号不使用密码登录，请签发接口令牌")
    _require_full_management(actor, user)
    temporary = password_generate()
    _store_password(user=user, password=temporary, must_change=True, by_admin=True)
    return temporary


@transaction.atomic
def user_unlock(*, actor: Actor, user: User) -> None:
    """Lift a login lockout before it expires."""
    _require_full_management(actor, user)
    if not (user.locked_until and user.locked_until > timezone.now()) and not user.failed_logins:
        raise DomainError("该账号未被锁定")
    User.objects.filter(pk=user.pk).update(locked_until=None, failed_logins=0)
    audit_record(
        action=AuditEvent.Action.UPDATE,
        obj=user,
        changes={
            "locked_until": {
                "old": user.locked_until and user.locked_until.isoformat(),
                "new": None,
            }
        },
    )
    user.locked_until = None
    user.failed_logins = 0


# --- deactivation ----------------------------------------------------------------------------


def user_sessions_end(*, user: User) -> int:
    """Delete every stored session of the user; returns how many were deleted.

    Sessions are not indexed by user, so the unexpired rows of a database-backed store are
    decoded and matched. Deactivation is rare and the rows are few (one per logged-in
    browser), so the scan is acceptable. Stores that cannot be listed (cache, signed cookies)
    are still safe: Django's ModelBackend refuses an inactive user on every request, so such
    a session turns anonymous at its next use.
    """
    from importlib import import_module

    from django.contrib.auth import SESSION_KEY

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    get_model = getattr(store_class, "get_model_class", None)
    if get_model is None:
        return 0
    model = get_model()
    target = str(user.pk)
    keys = [
        row.session_key
        for row in model.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(row.get_decoded().get(SESSION_KEY, "")) == target
    ]
    for key in keys:
        # Through the store, so a cached_db engine drops its cache entry too.
        store_class(session_key=key).delete()
    return len(keys)


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise DomainError("请填写原因", field="reason")
    if len(reason) > 200:
        raise DomainError("原因不能超过200字", field="reason")
    return reason


@transaction.atomic
def user_deactivate(*, actor: Actor, user: User, reason: str) -> int:
    """Stop an account: it can no longer log in, its sessions end, its API tokens stop working.

    Tokens are not revoked (TokenAuth requires an active user), so reactivating restores
    them. Returns the number of sessions ended.
    """
    reason = _check_reason(reason)
    if user.pk == actor.user_id:
        raise DomainError("不能停用自己的账号")
    _require_full_management(actor, user)
    if not User.objects.filter(pk=user.pk, is_active=True).update(is_active=False):
        raise DomainError("该账号已停用")
    user.is_active = False
    audit_record(
        action=AuditEvent.Action.UPDATE,
        obj=user,
        changes={"is_active": {"old": True, "new": False}, "reason": {"new": reason}},
    )
    # Database session rows roll back with this transaction if anything later fails.
    return user_sessions_end(user=user)


@transaction.atomic
def user_reactivate(*, actor: Actor, user: User, reason: str) -> None:
    """Let a stopped account log in (and its tokens work) again."""
    reason = _check_reason(reason)
    _require_full_management(actor, user)
    if not User.objects.filter(pk=user.pk, is_active=False).update(is_active=True):
        raise DomainError("该账号未停用")
    user.is_active = True
    audit_record(
        action=AuditEvent.Action.UPDATE,
        obj=user,
        changes={"is_active": {"old": False, "new": True}, "reason": {"new": reason}},
    )


# --- users and posts -------------------------------------------------------------------------


def _check_post(
    *, actor: Actor, role: str, unit: Unit | None, department: Department | None
) -> Unit:
    """A post is a role at a unit of a kind that role may hold, inside the granter's scope.

    Returns the unit, now known to be there.
    """
    if role not in Role.values:
        raise DomainError("请选择角色", field="role")
    role_label = Role(role).label
    if unit is None:
        raise DomainError("请选择任职单元", field="unit")
    if not unit.is_active:
        raise DomainError("该单元已撤销，不能设岗", field="unit")
    if not actor.can(Perm.ACCOUNTS_MANAGE, unit.path):
        raise PermissionDenied("您无权在该单元设岗", field="unit")
    kinds = ROLE_UNIT_KINDS.get(role, ())
    if unit.kind not in kinds:
        from lianxin.territory.models import UnitKind

        allowed = "、".join(UnitKind(k).label for k in kinds)
        raise DomainError(f"{role_label}只能设在{allowed}一级", field="unit")
    if role == Role.DEPARTMENT_STAFF:
        if department is None:
            raise DomainError("职能部门人员须选择所属部门", field="department")
        if department.unit_id != unit.pk or not department.is_active:
            raise DomainError("所选部门不在该单元", field="department")
    elif department is not None:
        raise DomainError("只有职能部门人员需要选择部门", field="department")
    return unit


@transaction.atomic
def post_create(
    *,
    actor: Actor,
    user: User,
    role: str,
    unit: Unit | None,
    department: Department | None = None,
    title: str = "",
    started_on: dt.date | None = None,
) -> Post:
    """Give a user a post (a role at a unit) inside the granter's scope."""
    unit = _check_post(actor=actor, role=role, unit=unit, department=department)
    if Post.objects.filter(user=user, role=role, unit=unit, is_active=True).exists():
        raise DomainError("该用户已在此单元担任该角色", field="role")
    return Post.objects.create(
        user=user,
        role=role,
        unit=unit,
        department=department,
        title=title.strip(),
        started_on=started_on or timezone.localdate(),
    )


@transaction.atomic
def post_end(*, actor: Actor, post: Post, ended_on: dt.date | None = None) -> Post:
    """End a post; the row stays as history and the user loses its scope at once."""
    if not actor.can(Perm.ACCOUNTS_MANAGE, post.unit.path):
        raise PermissionDenied("您无权调整该岗位")
    if not post.is_active:
        raise DomainError("该岗位已离岗")
    post.is_active = False
    post.ended_on = ended_on or timezone.localdate()
    post.save(update_fields=["is_active", "ended_on", "updated_at"])
    return post


@transaction.atomic
def user_create(
    *,
    actor: Actor,
    username: str,
    full_name: str,
    role: str,
    unit: Unit | None,
    password: str = "",
    department: Department | None = None,
    title: str = "",
    is_integration: bool = False,
) -> tuple[User, str]:
    """Open an account with its first post.

    People get a password that must be changed at first login (the one given, or a generated
    one); integration accounts get none and act only through API tokens. Returns the user
    and the generated password ("" when the administrator typed one or for integrations).
    """
    username = username.strip()
    full_name = full_name.strip()
    if not username:
        raise DomainError("请填写用户名", field="username")
    try:
        User._meta.get_field("username").run_validators(username)
    except ValidationError as exc:
        raise DomainError("用户名只能包含字母、数字和 @ . + - _", field="username") from exc
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError("该用户名已被使用", field="username")
    if not full_name:
        raise DomainError("请填写姓名或账号用途", field="full_name")
    unit = _check_post(actor=actor, role=role, unit=unit, department=department)
    user = User(username=username, full_name=full_name, is_integration=is_integration)
    generated = ""
    if is_integration:
        user.set_unusable_password()
    else:
        if not password:
            password = generated = password_generate()
        _validated(password, user, field="password")
        user.set_password(password)
        user.password_changed_at = timezone.now()
        user.must_change_password = True
    # The account's own audit event belongs to the unit of its first post.
    user._audit_scope_hint = unit.path  # type: ignore[attr-defined]
    user.save()
    post_create(actor=actor, user=user, role=role, unit=unit, department=department, title=title)
    return user, generated


# --- API tokens ------------------------------------------------------------------------------


def api_token_issue(*, user: User, name: str, created_by: User | None) -> str:
    """Create a token for an account; the raw value is returned once and stored only hashed."""
    from lianxin.accounts.api_auth import hash_token, new_token

    raw = new_token()
    ApiToken.objects.create(
        user=user,
        name=name.strip() or "接口",
        prefix=raw[:8],
        key_digest=hash_token(raw),
        created_by=created_by,
    )
    return raw


@transaction.atomic
def api_token_create(*, actor: Actor, user: User, name: str) -> str:
    """An administrator issues a token for an integration account fully inside their scope."""
    if not user.is_integration:
        raise DomainError("只能为接口账号签发令牌", field="user")
    if not user.is_active:
        raise DomainError("该接口账号已停用", field="user")
    if not Post.objects.filter(user=user, is_active=True).exists():
        raise DomainError("该接口账号没有在岗岗位，令牌将没有任何权限", field="user")
    _require_full_management(actor, user, perm=Perm.API_TOKENS)
    if not name.strip():
        raise DomainError("请填写令牌用途", field="name")
    created_by = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    return api_token_issue(user=user, name=name, created_by=created_by)


@transaction.atomic
def api_token_revoke(*, actor: Actor, token: ApiToken) -> ApiToken:
    """Revoke a token at once; the row stays so its use can still be traced."""
    if not actor.can(Perm.API_TOKENS):
        raise PermissionDenied("您无权吊销接口令牌")
    if token.revoked_at is not None:
        raise DomainError("该令牌已吊销")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at", "updated_at"])
    return token


# --- command line ----------------------------------------------------------------------------


def admin_create(*, username: str, password: str, unit_code: str) -> User:
    """Create a system administrator holding a post at the given unit."""
    from lianxin.territory.models import Unit

    unit = Unit.objects.filter(code=unit_code).first()
    if unit is None:
        raise DomainError(f"找不到编码为 {unit_code} 的单元", field="unit")
    user = User(username=username, full_name="系统管理员")
    validate_password(password, user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user._audit_scope_hint = unit.path  # type: ignore[attr-defined]
    user.save()
    Post.objects.create(user=user, role=Role.SYSADMIN, unit=unit)
    return user
