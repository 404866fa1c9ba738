"""Collective economy (村集体经济): a village's yearly operating income by source.

A statement is append-only: a correction is a new statement with the next `revision` for the
same village and year, and the highest revision is the current figure. The cadre reward rule
(workflow.reward_for) compares the current statements of two consecutive years."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from lianxin.audit.models import Audited
from lianxin.core.models import AppendOnlyModel, PublicModel
from lianxin.core.scope import ScopedManager
from lianxin.stars import workflow as wf


class IncomeSource(models.TextChoices):
    LAND_TRANSFER = "land_transfer", "土地流转"
    LEASED_ASSETS = "leased_assets", "资产租赁"
    COOPERATIVE = "cooperative", "合作社经营"
    ENTERPRISE_DIVIDEND = "enterprise_dividend", "入股分红"
    SERVICES = "services", "有偿服务"
    OTHER = "other", "其他经营性收入"


class IncomeStatement(AppendOnlyModel, Audited, PublicModel):
    """A village's operating income for one year, as stated at `created_at` (one revision)."""

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    unit = models.ForeignKey(
        "territory.Unit", verbose_name="村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    revision = models.PositiveSmallIntegerField("版本", default=1)
    total = models.DecimalField("经营性收入合计（元）", max_digits=14, decimal_places=2)
    note = models.CharField("说明", max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="填报人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_by_label = models.CharField("填报人", max_length=150, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "集体经济收入"
        verbose_name_plural = "集体经济收入"
        ordering: ClassVar[list[str]] = ["unit", "-year", "-revision"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["unit", "year", "revision"], name="stars_income_revision"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.year} 第{self.revision}版"

    def audit_scope_path(self) -> str:
        return self.unit.path


class IncomeLine(AppendOnlyModel, models.Model):
    """One source's amount in a statement."""

    SCOPE_PATH = "statement__unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    statement = models.ForeignKey(
        IncomeStatement, verbose_name="收入表", on_delete=models.PROTECT, related_name="lines"
    )
    source = models.CharField("来源", max_length=24, choices=IncomeSource.choices)
    amount = models.DecimalField(
        "金额（元）", max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    note = models.CharField("说明", max_length=200, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "收入来源"
        verbose_name_plural = "收入来源"
        ordering: ClassVar[list[str]] = ["statement", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["statement", "source"], name="stars_incomeline_source")
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.amount}"
