"""Users, their posts (a role at a unit), functional departments and API tokens."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.contrib.auth.models import AbstractUser
from django.db import models

from lianxin.accounts.permissions import Role
from lianxin.audit.models import Audited
from lianxin.core.models import PublicModel
from lianxin.core.scope import ScopedManager


class User(Audited, AbstractUser):
    AUDIT_SECRET_FIELDS = frozenset({"password"})
    AUDIT_SKIP_FIELDS = frozenset({"last_login", "updated_at", "created_at"})

    public_id = models.UUIDField("公开编号", default=uuid.uuid4, unique=True, editable=False)
    full_name = models.CharField("姓名", max_length=50, blank=True)
    is_integration = models.BooleanField("接口账号", default=False)
    failed_logins = models.PositiveSmallIntegerField("连续登录失败次数", default=0)
    locked_until = models.DateTimeField("锁定至", null=True, blank=True)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    must_change_password = models.BooleanField("须修改密码", default=False)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.full_name or self.username

    def audit_scope_path(self) -> str:
        """An account's events belong to the unit of its first active post (or last post).

        `user_create` passes the unit before the post exists through `_audit_scope_hint`.
        """
        hint = getattr(self, "_audit_scope_hint", "")
        if hint or self.pk is None:
            return hint
        post = (
            Post.objects.filter(user_id=self.pk)
            .order_by("-is_active", "id")
            .values_list("unit__path", flat=True)
            .first()
        )
        return post or ""

    @property
    def is_locked(self) -> bool:
        from django.utils import timezone

        return bool(self.locked_until and self.locked_until > timezone.now())


class Department(Audited, PublicModel):
    """A functional department (住建、水务、公安…) attached at a county or street."""

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = "territory.view"

    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类别", max_length=40, blank=True)
    unit = models.ForeignKey("territory.Unit", verbose_name="所属区划", on_delete=models.PROTECT)
    is_active = models.BooleanField("在用", default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "职能部门"
        verbose_name_plural = "职能部门"

    def __str__(self) -> str:
        return self.name

    def audit_scope_path(self) -> str:
        return self.unit.path


class Post(Audited, PublicModel):
    """A user's role at a unit; a user may hold several. Scope = the unit's subtree."""

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = "accounts.manage"

    user = models.ForeignKey(
        User, verbose_name="用户", on_delete=models.CASCADE, related_name="posts"
    )
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    unit = models.ForeignKey(
        "territory.Unit", verbose_name="所在单元", on_delete=models.PROTECT, related_name="posts"
    )
    department = models.ForeignKey(
        Department,
        verbose_name="部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="posts",
    )
    title = models.CharField("职务", max_length=50, blank=True)
    is_active = models.BooleanField("在岗", default=True)
    started_on = models.DateField("任职日期", null=True, blank=True)
    ended_on = models.DateField("离岗日期", null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "岗位"
        verbose_name_plural = "岗位"
        ordering: ClassVar[list[str]] = ["user_id", "id"]

    def __str__(self) -> str:
        return f"{self.get_role_display()}@{self.unit.display_name}"

    def audit_scope_path(self) -> str:
        return self.unit.path


class ApiToken(Audited, PublicModel):
    """A token for an integration account; it acts with that account's posts."""

    AUDIT_SECRET_FIELDS = frozenset({"key_digest"})
    SCOPE_PATH = "user__posts__unit__path"
    SCOPE_VIEW_PERM = "api.tokens"

    user = models.ForeignKey(
        User, verbose_name="账号", on_delete=models.PROTECT, related_name="api_tokens"
    )
    name = models.CharField("用途", max_length=100)
    prefix = models.CharField("前缀", max_length=12, db_index=True)
    key_digest = models.CharField("摘要", max_length=64, unique=True)
    created_by = models.ForeignKey(
        User, verbose_name="签发人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
