"""Yearly creation plans (创星规划) of villages and communities, and townships' quotas."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from lianxin.audit.models import Audited
from lianxin.core.models import PublicModel
from lianxin.core.scope import ScopedManager
from lianxin.stars import workflow as wf


class CreationPlan(Audited, PublicModel):
    """A village's plan for a year: which stars it aims at (`PlanStar.is_target`), its
    strengths and weaknesses per star, measures with people and deadlines, milestones.

    Drafted by the village, submitted to the township, confirmed by the township (a confirmed
    plan counts as "planned" on the battle map); a returned plan goes back to draft."""

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    class Status(models.TextChoices):
        DRAFT = "draft", "草拟中"
        SUBMITTED = "submitted", "已报乡镇"
        CONFIRMED = "confirmed", "乡镇已确认"

    unit = models.ForeignKey(
        "territory.Unit", verbose_name="村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.DRAFT)
    target_level = models.PositiveSmallIntegerField(
        "目标星级", default=0, validators=[MaxValueValidator(5)]
    )
    summary = models.TextField("创建思路", blank=True)
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    return_reason = models.CharField("退回原因", max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = "创建规划"
        verbose_name_plural = "创建规划"
        ordering: ClassVar[list[str]] = ["-year", "unit"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["unit", "year"], name="stars_plan_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.year} 创建规划"

    def audit_scope_path(self) -> str:
        return self.unit.path


class PlanStar(Audited, models.Model):
    """The plan's view of one star: targeted or not, strengths and weaknesses (优势、短板)."""

    SCOPE_PATH = "plan__unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    plan = models.ForeignKey(
        CreationPlan, verbose_name="规划", on_delete=models.CASCADE, related_name="stars"
    )
    star = models.ForeignKey(
        "stars.Star", verbose_name="星", on_delete=models.PROTECT, related_name="+"
    )
    is_target = models.BooleanField("今年争创", default=False)
    strengths = models.TextField("优势", blank=True)
    weaknesses = models.TextField("短板弱项", blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "规划·星"
        verbose_name_plural = "规划·星"
        ordering: ClassVar[list[str]] = ["plan", "star__sort_order"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["plan", "star"], name="stars_planstar_once")
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.star}"

    def audit_scope_path(self) -> str:
        return self.plan.unit.path


class PlanMeasure(Audited, PublicModel):
    """A measure of the plan (具体举措) with the person responsible and a deadline."""

    SCOPE_PATH = "plan__unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    plan = models.ForeignKey(
        CreationPlan, verbose_name="规划", on_delete=models.CASCADE, related_name="measures"
    )
    star = models.ForeignKey(
        "stars.Star",
        verbose_name="星",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField("举措", max_length=200)
    responsible = models.CharField("责任人", max_length=60)
    deadline = models.DateField("完成时限")
    done_on = models.DateField("完成日期", null=True, blank=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    objects = ScopedManager()

    class Meta:
        verbose_name = "规划举措"
        verbose_name_plural = "规划举措"
        ordering: ClassVar[list[str]] = ["plan", "sort_order", "deadline", "id"]

    def __str__(self) -> str:
        return self.title

    def audit_scope_path(self) -> str:
        return self.plan.unit.path


class PlanMilestone(Audited, PublicModel):
    """A dated milestone of the plan (时间节点)."""

    SCOPE_PATH = "plan__unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    plan = models.ForeignKey(
        CreationPlan, verbose_name="规划", on_delete=models.CASCADE, related_name="milestones"
    )
    title = models.CharField("节点", max_length=200)
    due_on = models.DateField("计划日期")
    done_on = models.DateField("完成日期", null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "规划节点"
        verbose_name_plural = "规划节点"
        ordering: ClassVar[list[str]] = ["plan", "due_on", "id"]

    def __str__(self) -> str:
        return self.title

    def audit_scope_path(self) -> str:
        return self.plan.unit.path


class Quota(Audited, PublicModel):
    """How many branches of a level a township must declare in a year (e.g. one five-star and
    four four-star), set by the county; the battle map compares planned and achieved."""

    SCOPE_PATH = "township__path"
    SCOPE_VIEW_PERM = wf.VIEW

    township = models.ForeignKey(
        "territory.Unit", verbose_name="乡镇（街道）", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    level = models.PositiveSmallIntegerField(
        "星级", validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    count = models.PositiveSmallIntegerField("名额（至少）")
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="下达人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = "创建名额"
        verbose_name_plural = "创建名额"
        ordering: ClassVar[list[str]] = ["township", "-year", "-level"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["township", "year", "level"], name="stars_quota_level")
        ]

    def __str__(self) -> str:
        return f"{self.township} {self.year} {self.level}星 {self.count}个"

    def audit_scope_path(self) -> str:
        return self.township.path
