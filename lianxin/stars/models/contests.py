"""The three contests (三次大比武): 思路 at the start of the year, 举措 before 1 July, 成效 at
year end. Each township holds its round (entries are its villages, presented by their
secretaries with material), judges score every entry, entries are ranked within the
township, and the best (`CreationSettings.contest_advance`) advance to the county final."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from lianxin.audit.models import Audited
from lianxin.core.models import AppendOnlyModel, PublicModel
from lianxin.core.scope import ScopedManager
from lianxin.stars import workflow as wf


class ContestRound(models.TextChoices):
    IDEAS = wf.ROUND_IDEAS, "创建思路大比武"
    MEASURES = wf.ROUND_MEASURES, "创建举措大比武"
    RESULTS = wf.ROUND_RESULTS, "创建成效大比武"


class Contest(Audited, PublicModel):
    """One round at one level: a township's heat (`host` is the township) or the county
    final (`host` is the county, `is_final`)."""

    SCOPE_PATH = "host__path"
    SCOPE_VIEW_PERM = wf.VIEW

    class Status(models.TextChoices):
        OPEN = "open", "报名中"
        SCORING = "scoring", "评分中"
        CLOSED = "closed", "已排名"

    host = models.ForeignKey(
        "territory.Unit",
        verbose_name="主办（乡镇或县）",
        on_delete=models.PROTECT,
        related_name="+",
    )
    year = models.PositiveSmallIntegerField("年度")
    round = models.CharField("轮次", max_length=10, choices=ContestRound.choices)
    is_final = models.BooleanField("市（县）级决赛", default=False)
    title = models.CharField("名称", max_length=120)
    held_on = models.DateField("比武日期")
    place = models.CharField("地点", max_length=120, blank=True)
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField("排名时间", null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = "大比武"
        verbose_name_plural = "大比武"
        ordering: ClassVar[list[str]] = ["-year", "round", "is_final", "host"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["host", "year", "round"], name="stars_contest_once")
        ]

    def __str__(self) -> str:
        return self.title

    def audit_scope_path(self) -> str:
        return self.host.path


class ContestEntry(Audited, PublicModel):
    """A village's entry: its secretary's presentation (登台演讲 + PPT), scores and rank."""

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    contest = models.ForeignKey(
        Contest, verbose_name="大比武", on_delete=models.PROTECT, related_name="entries"
    )
    unit = models.ForeignKey(
        "territory.Unit", verbose_name="村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    presenter = models.CharField("演讲人", max_length=30)
    title = models.CharField("题目", max_length=120)
    material = models.FileField("展示材料", upload_to="stars/contests/", blank=True)
    material_name = models.CharField("材料文件名", max_length=200, blank=True)
    score_count = models.PositiveSmallIntegerField("评委数", default=0)
    average_score = models.DecimalField(
        "平均分", max_digits=5, decimal_places=2, null=True, blank=True
    )
    rank = models.PositiveSmallIntegerField("名次", null=True, blank=True)
    advanced = models.BooleanField("晋级决赛", default=False)
    heat_entry = models.OneToOneField(
        "self",
        verbose_name="来自初赛",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="final_entry",
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = "比武参赛"
        verbose_name_plural = "比武参赛"
        ordering: ClassVar[list[str]] = ["contest", "rank", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["contest", "unit"], name="stars_entry_per_contest")
        ]

    def __str__(self) -> str:
        return f"{self.contest} · {self.unit}"

    def audit_scope_path(self) -> str:
        return self.unit.path


class ContestScore(AppendOnlyModel):
    """One judge's score of one entry (0–100), once."""

    SCOPE_PATH = "entry__unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    entry = models.ForeignKey(
        ContestEntry, verbose_name="参赛", on_delete=models.PROTECT, related_name="scores"
    )
    judge = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="评委", on_delete=models.PROTECT, related_name="+"
    )
    judge_label = models.CharField("评委", max_length=150)
    score = models.DecimalField(
        "得分",
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    comment = models.CharField("点评", max_length=300, blank=True)
    at = models.DateTimeField("时间")

    objects = ScopedManager()

    class Meta:
        verbose_name = "评委打分"
        verbose_name_plural = "评委打分"
        ordering: ClassVar[list[str]] = ["entry", "at", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["entry", "judge"], name="stars_score_per_judge")
        ]

    def __str__(self) -> str:
        return f"{self.entry} {self.score}"
