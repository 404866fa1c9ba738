"""The project list (项目清单): the county's supply-side library (市级“供给侧”项目库: funds and
projects departments can put into villages) and villages' demand-side projects (村级“需求侧”),
matched so limited funds go where the creation needs them; funds and status are tracked."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from lianxin.audit.models import Audited
from lianxin.core.models import AppendOnlyModel, PublicModel
from lianxin.core.scope import ScopedManager
from lianxin.worklists import workflow as wf

MONEY = [MinValueValidator(Decimal(0))]


class SupplyProject(Audited, PublicModel):
    SCOPE_PATH = "county__path"
    SCOPE_VIEW_PERM = wf.VIEW

    county = models.ForeignKey(
        "territory.Unit", verbose_name="县（市、区）", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    name = models.CharField("项目名称", max_length=120)
    department = models.CharField("主管部门", max_length=60)
    category = models.CharField("类别", max_length=30, blank=True)
    star_code = models.SlugField("支撑星", max_length=30, blank=True)
    funds = models.DecimalField(
        "可投入资金（元）", max_digits=14, decimal_places=2, validators=MONEY
    )
    description = models.TextField("支持内容与条件", blank=True)
    is_open = models.BooleanField("可对接", default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "供给侧项目"
        verbose_name_plural = "供给侧项目库"
        ordering: ClassVar[list[str]] = ["-year", "department", "name"]

    def __str__(self) -> str:
        return self.name

    def audit_scope_path(self) -> str:
        return self.county.path


class DemandProject(Audited, PublicModel):
    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    class Status(models.TextChoices):
        SUBMITTED = wf.DEMAND_SUBMITTED, "已上报"
        MATCHED = wf.DEMAND_MATCHED, "已对接"
        UNDERWAY = wf.DEMAND_UNDERWAY, "实施中"
        DONE = wf.DEMAND_DONE, "已完成"
        DECLINED = wf.DEMAND_DECLINED, "暂不支持"

    unit = models.ForeignKey(
        "territory.Unit", verbose_name="村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    name = models.CharField("项目名称", max_length=120)
    description = models.TextField("建设内容")
    star_code = models.SlugField("支撑星", max_length=30, blank=True)
    funds_requested = models.DecimalField(
        "申请资金（元）", max_digits=14, decimal_places=2, validators=MONEY
    )
    status = models.CharField(
        "状态", max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    supply = models.ForeignKey(
        SupplyProject,
        verbose_name="对接项目",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="matches",
    )
    funds_allocated = models.DecimalField(
        "安排资金（元）", max_digits=14, decimal_places=2, default=Decimal(0), validators=MONEY
    )
    funds_spent = models.DecimalField(
        "已使用资金（元）", max_digits=14, decimal_places=2, default=Decimal(0), validators=MONEY
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上报人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = "需求侧项目"
        verbose_name_plural = "需求侧项目"
        ordering: ClassVar[list[str]] = ["-year", "unit", "id"]

    def __str__(self) -> str:
        return self.name

    def audit_scope_path(self) -> str:
        return self.unit.path


class ProjectUpdate(AppendOnlyModel):
    """Each move of a demand project (matched, declined, started, funds spent, finished)."""

    SCOPE_PATH = "project__unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    project = models.ForeignKey(
        DemandProject, verbose_name="项目", on_delete=models.PROTECT, related_name="updates"
    )
    action = models.CharField("动作", max_length=10)
    note = models.CharField("说明", max_length=300, blank=True)
    amount = models.DecimalField(
        "金额（元）", max_digits=14, decimal_places=2, null=True, blank=True
    )
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
        verbose_name = "项目进展"
        verbose_name_plural = "项目进展"
        ordering: ClassVar[list[str]] = ["project", "at", "id"]

    def __str__(self) -> str:
        return f"{self.project} {self.action}"
