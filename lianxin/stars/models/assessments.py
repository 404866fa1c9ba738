"""Daily assessment (日常考核, seed 004) of the four kinds of subject: the county's task
forces, township (street) party secretaries, village (community) party secretaries and the
villages' star leaders (创建领军人), scored on base work, highlights, results, a knowledge test
and other work. Scores are append-only: a correction is a new row for the same subject and
period, and the newest counts. The year-end evaluation (年终评优) reads the year's rows."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from lianxin.core.models import AppendOnlyModel, PublicModel
from lianxin.core.scope import ScopedManager
from lianxin.stars import workflow as wf

PART = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class SubjectKind(models.TextChoices):
    TASK_FORCE = wf.SUBJECT_TASK_FORCE, "创建专班"
    TOWNSHIP_SECRETARY = wf.SUBJECT_TOWNSHIP_SECRETARY, "乡镇（街道）党（工）委书记"
    VILLAGE_SECRETARY = wf.SUBJECT_VILLAGE_SECRETARY, "村（社区）党组织书记"
    STAR_LEADER = wf.SUBJECT_STAR_LEADER, "村（社区）创建领军人"


class Assessment(AppendOnlyModel, PublicModel):
    """One period's score of one subject. `unit` is where the subject belongs (the county for
    a task force, the township, the village); `subject_key` identifies the subject across
    periods (``tf:<id>``, ``unit:<id>``, ``leader:<unit id>:<name>``)."""

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    county = models.ForeignKey(
        "territory.Unit", verbose_name="县（市、区）", on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "territory.Unit", verbose_name="所属单位", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    period = models.CharField("考核期", max_length=7, help_text="YYYY-MM")
    subject_kind = models.CharField("考核对象类别", max_length=20, choices=SubjectKind.choices)
    subject_key = models.CharField("对象键", max_length=60, db_index=True)
    subject_name = models.CharField("考核对象", max_length=60)
    task_force = models.ForeignKey(
        "stars.TaskForce",
        verbose_name="专班",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    base_work = models.DecimalField("基础工作", max_digits=5, decimal_places=2, validators=PART)
    highlights = models.DecimalField("特色亮点", max_digits=5, decimal_places=2, validators=PART)
    results = models.DecimalField("主要成效", max_digits=5, decimal_places=2, validators=PART)
    knowledge_test = models.DecimalField(
        "知识测试", max_digits=5, decimal_places=2, validators=PART
    )
    other_work = models.DecimalField(
        "其他工作", max_digits=5, decimal_places=2, default=Decimal(0), validators=PART
    )
    total = models.DecimalField("综合得分", max_digits=6, decimal_places=2)
    note = models.CharField("说明", max_length=300, blank=True)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="考核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assessor_label = models.CharField("考核人", max_length=150)

    objects = ScopedManager()

    class Meta:
        verbose_name = "日常考核"
        verbose_name_plural = "日常考核"
        ordering: ClassVar[list[str]] = ["-period", "subject_kind", "subject_name", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            # Year-end evaluation: a county's year of scores by subject kind.
            models.Index(fields=["county", "year", "subject_kind"], name="stars_assess_year"),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.subject_name} {self.total}"
