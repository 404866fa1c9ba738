"""Inspection and rectification (seed 001): every quarter the township (or county) reads each
branch's work manual (工作手册), records the problems found (问题反馈表), issues a
rectification notice (整改通知单) with a deadline, and follows it: the branch reports what it
did, the inspector verifies (销号) or reopens it. Overdue notices are listed."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from lianxin.audit.models import Audited
from lianxin.core.models import AppendOnlyModel, PublicModel
from lianxin.core.scope import ScopedManager
from lianxin.worklists import workflow as wf


class Inspection(Audited, PublicModel):
    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    unit = models.ForeignKey(
        "territory.Unit",
        verbose_name="被检查村（社区）",
        on_delete=models.PROTECT,
        related_name="+",
    )
    quarter = models.CharField("季度", max_length=6, help_text="YYYYQn")
    inspected_on = models.DateField("检查日期")
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="检查人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    inspector_label = models.CharField("检查人", max_length=150)
    manual_complete = models.BooleanField("工作手册记录完整", default=False)
    summary = models.TextField("检查情况")

    objects = ScopedManager()

    class Meta:
        verbose_name = "手册检查"
        verbose_name_plural = "手册检查"
        ordering: ClassVar[list[str]] = ["-inspected_on", "unit"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["unit", "quarter"], name="worklists_inspection_once")
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.quarter}"

    def audit_scope_path(self) -> str:
        return self.unit.path


class InspectionProblem(Audited, models.Model):
    """A problem found (问题反馈表 row)."""

    SCOPE_PATH = "inspection__unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    class Category(models.TextChoices):
        MEETINGS = "meetings", "三会一课"
        MANUAL = "manual", "手册记录"
        MEMBERS = "members", "党员管理"
        LINKAGE = "linkage", "联户履职"
        OPENNESS = "openness", "党务村务公开"
        OTHER = "other", "其他"

    inspection = models.ForeignKey(
        Inspection, verbose_name="检查", on_delete=models.PROTECT, related_name="problems"
    )
    category = models.CharField("类别", max_length=10, choices=Category.choices)
    description = models.CharField("问题", max_length=300)

    objects = ScopedManager()

    class Meta:
        verbose_name = "发现问题"
        verbose_name_plural = "发现问题"
        ordering: ClassVar[list[str]] = ["inspection", "id"]

    def __str__(self) -> str:
        return self.description

    def audit_scope_path(self) -> str:
        return self.inspection.unit.path


class Rectification(Audited, PublicModel):
    """The rectification notice of an inspection, with its deadline and current state."""

    SCOPE_PATH = "inspection__unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    class Status(models.TextChoices):
        ISSUED = wf.ISSUED, "待整改"
        REPORTED = wf.REPORTED, "待核验"
        VERIFIED = wf.VERIFIED, "已销号"
        REOPENED = wf.REOPENED, "重新整改"

    inspection = models.OneToOneField(
        Inspection, verbose_name="检查", on_delete=models.PROTECT, related_name="rectification"
    )
    number = models.CharField("通知编号", max_length=40, unique=True)
    requirements = models.TextField("整改要求")
    deadline = models.DateField("整改期限")
    status = models.CharField(
        "状态", max_length=10, choices=Status.choices, default=Status.ISSUED, db_index=True
    )
    verified_on = models.DateField("销号日期", null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = "整改通知"
        verbose_name_plural = "整改通知"
        ordering: ClassVar[list[str]] = ["deadline", "id"]

    def __str__(self) -> str:
        return self.number

    def audit_scope_path(self) -> str:
        return self.inspection.unit.path


class RectificationEvent(AppendOnlyModel):
    """Issued, reported (with what was done and evidence), verified or reopened."""

    SCOPE_PATH = "rectification__inspection__unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    rectification = models.ForeignKey(
        Rectification, verbose_name="整改", on_delete=models.PROTECT, related_name="events"
    )
    action = models.CharField("动作", max_length=10)
    note = models.TextField("说明", blank=True)
    evidence = models.FileField("佐证", upload_to="worklists/rectification/", blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField("操作人", max_length=150)
    at = models.DateTimeField("时间")

    objects = ScopedManager()

    class Meta:
        verbose_name = "整改记录"
        verbose_name_plural = "整改记录"
        ordering: ClassVar[list[str]] = ["rectification", "at", "id"]

    def __str__(self) -> str:
        return f"{self.rectification} {self.action}"
