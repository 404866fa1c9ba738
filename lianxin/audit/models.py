"""Append-only audit trail (DESIGN.md invariant 3): every write and every reveal."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from lianxin.core.models import AppendOnlyModel
from lianxin.core.scope import ScopedManager


class AuditEvent(AppendOnlyModel):
    class Action(models.TextChoices):
        CREATE = "create", "新增"
        UPDATE = "update", "修改"
        DELETE = "delete", "删除"
        REVEAL = "reveal", "查看明文"
        LOGIN = "login", "登录"
        LOGIN_FAILED = "login_failed", "登录失败"
        LOCKED = "locked", "账号锁定"
        LOGOUT = "logout", "退出"
        IMPORT = "import", "导入"
        EXPORT = "export", "导出"
        PASSWORD = "password", "密码变更"
        OTHER = "other", "其他"

    SCOPE_PATH = "scope_path"
    SCOPE_VIEW_PERM = "audit.view"

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_post = models.CharField("岗位", max_length=200, blank=True)
    channel = models.CharField("渠道", max_length=10, default="web")
    action = models.CharField("动作", max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField("对象类型", max_length=60, blank=True, db_index=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True, db_index=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    changes = models.JSONField("变更", default=dict, blank=True)
    scope_path = models.CharField("所属区划路径", max_length=255, blank=True, db_index=True)
    ip = models.CharField("来源地址", max_length=64, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering: ClassVar[list[str]] = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.object_repr}"


class Audited(models.Model):
    """Mixin for governed models: writes are audited by `lianxin.audit.signals`.

    `AUDIT_SECRET_FIELDS` are named in the change list but their values never are.
    `audit_scope_path()` tells which territory path the row belongs to.
    """

    AUDIT_SECRET_FIELDS: ClassVar[frozenset[str]] = frozenset()
    AUDIT_SKIP_FIELDS: ClassVar[frozenset[str]] = frozenset({"updated_at", "created_at"})
    # Field values as last loaded or saved (set by from_db and the post_save signal); the
    # baseline audit_diff compares against. Not a column.
    _audit_snapshot: dict[str, Any]

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> Any:
        instance = super().from_db(db, field_names, values)
        instance._audit_snapshot = dict(zip(field_names, values, strict=False))
        return instance

    def audit_scope_path(self) -> str:
        return ""

    def audit_object_id(self) -> str:
        return str(getattr(self, "public_id", "") or self.pk or "")
