"""The training list (培训清单): a needs survey sent to chosen groups (five- and four-star
branch secretaries, secretaries under 35, weak branches' secretaries), their answers, a
customised training plan built from them, its sessions and who attended."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from lianxin.audit.models import Audited
from lianxin.core.models import AppendOnlyModel, PublicModel
from lianxin.core.scope import ScopedManager
from lianxin.worklists import workflow as wf


class TargetGroup(models.TextChoices):
    FIVE_FOUR_STAR = "five_four_star", "“五星”“四星”支部书记"
    UNDER_35 = "under_35", "35岁以下年轻支部书记"
    WEAK = "weak", "软弱涣散村支部书记"


class TrainingSurvey(Audited, PublicModel):
    SCOPE_PATH = "county__path"
    SCOPE_VIEW_PERM = wf.VIEW

    class Status(models.TextChoices):
        DRAFT = "draft", "草拟中"
        SENT = "sent", "已下发"
        CLOSED = "closed", "已截止"

    county = models.ForeignKey(
        "territory.Unit", verbose_name="县（市、区）", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("问卷标题", max_length=120)
    groups = models.JSONField("调查对象", default=list)
    topics = models.JSONField("可选培训内容", default=list)
    formats = models.JSONField("可选培训形式", default=list)
    deadline = models.DateField("截止日期")
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.DRAFT)
    sent_at = models.DateTimeField("下发时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发起人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = "培训需求调查"
        verbose_name_plural = "培训需求调查"
        ordering: ClassVar[list[str]] = ["-year", "-id"]

    def __str__(self) -> str:
        return self.title

    def audit_scope_path(self) -> str:
        return self.county.path


class SurveyRecipient(Audited, PublicModel):
    """One secretary the survey went to, by branch (unit); answers come back through an
    opaque link (`public_id`) or are entered by staff."""

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    survey = models.ForeignKey(
        TrainingSurvey, verbose_name="问卷", on_delete=models.PROTECT, related_name="recipients"
    )
    unit = models.ForeignKey(
        "territory.Unit", verbose_name="村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    group = models.CharField("对象类别", max_length=20, choices=TargetGroup.choices)
    person_name = models.CharField("书记姓名", max_length=30)
    answered_at = models.DateTimeField("填答时间", null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "问卷对象"
        verbose_name_plural = "问卷对象"
        ordering: ClassVar[list[str]] = ["survey", "unit"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["survey", "unit"], name="worklists_recipient_once")
        ]

    def __str__(self) -> str:
        return f"{self.survey} · {self.person_name}"

    def audit_scope_path(self) -> str:
        return self.unit.path


class SurveyAnswer(AppendOnlyModel):
    """A recipient's answer (the newest counts if answered again)."""

    SCOPE_PATH = "recipient__unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    recipient = models.ForeignKey(
        SurveyRecipient, verbose_name="对象", on_delete=models.PROTECT, related_name="answers"
    )
    topics = models.JSONField("希望培训内容", default=list)
    formats = models.JSONField("希望培训形式", default=list)
    note = models.TextField("其他需求", blank=True)
    at = models.DateTimeField("时间")

    objects = ScopedManager()

    class Meta:
        verbose_name = "问卷答复"
        verbose_name_plural = "问卷答复"
        ordering: ClassVar[list[str]] = ["recipient", "-at", "-id"]

    def __str__(self) -> str:
        return f"{self.recipient} 答复"


class TrainingPlan(Audited, PublicModel):
    """The customised training list (个性化培训清单) produced from a survey's answers."""

    SCOPE_PATH = "survey__county__path"
    SCOPE_VIEW_PERM = wf.VIEW

    survey = models.ForeignKey(
        TrainingSurvey, verbose_name="问卷", on_delete=models.PROTECT, related_name="plans"
    )
    title = models.CharField("培训清单", max_length=120)
    summary = models.TextField("需求汇总", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="制定人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = "培训清单"
        verbose_name_plural = "培训清单"
        ordering: ClassVar[list[str]] = ["-id"]

    def __str__(self) -> str:
        return self.title

    def audit_scope_path(self) -> str:
        return self.survey.county.path


class TrainingSession(Audited, PublicModel):
    SCOPE_PATH = "plan__survey__county__path"
    SCOPE_VIEW_PERM = wf.VIEW

    plan = models.ForeignKey(
        TrainingPlan, verbose_name="培训清单", on_delete=models.PROTECT, related_name="sessions"
    )
    topic = models.CharField("培训内容", max_length=120)
    form = models.CharField("形式", max_length=30, blank=True)
    starts_at = models.DateTimeField("时间")
    place = models.CharField("地点", max_length=120, blank=True)
    lecturer = models.CharField("授课人", max_length=60, blank=True)
    groups = models.JSONField("参训对象", default=list)

    objects = ScopedManager()

    class Meta:
        verbose_name = "培训班次"
        verbose_name_plural = "培训班次"
        ordering: ClassVar[list[str]] = ["plan", "starts_at", "id"]

    def __str__(self) -> str:
        return self.topic

    def audit_scope_path(self) -> str:
        return self.plan.survey.county.path


class TrainingAttendance(AppendOnlyModel):
    """Who attended a session (one row per recipient and session)."""

    SCOPE_PATH = "recipient__unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    session = models.ForeignKey(
        TrainingSession, verbose_name="班次", on_delete=models.PROTECT, related_name="attendance"
    )
    recipient = models.ForeignKey(
        SurveyRecipient, verbose_name="学员", on_delete=models.PROTECT, related_name="attendance"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField("时间")

    objects = ScopedManager()

    class Meta:
        verbose_name = "培训签到"
        verbose_name_plural = "培训签到"
        ordering: ClassVar[list[str]] = ["session", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["session", "recipient"], name="worklists_attendance_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.session} · {self.recipient}"
