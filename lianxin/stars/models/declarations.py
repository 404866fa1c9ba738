"""Declarations and their review (申报 → 乡镇初审 → 专班审核 → 公示 → 授星).

A `Declaration` is one star (or the progress star, 进步星) declared by one village for one
year; its `status` and `round` are the cached current state, every move is an append-only
`ReviewStep` (with `StandardScore`s for the reviews' scores). Evidence is a
`DeclarationEntry` per standard and round: a returned declaration is amended in a new round,
so what each review saw stays as it was. Approved declarations of a township are published
together in a `PublicNotice`; `Objection`s are recorded and answered during it. An awarded
star is a `StarAward`, which can later be withdrawn (with a reason and a ReviewStep).
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from lianxin.audit.models import Audited
from lianxin.core.models import AppendOnlyModel, PublicModel
from lianxin.core.scope import ScopedManager
from lianxin.stars import workflow as wf


class DeclarationKind(models.TextChoices):
    STAR = "star", "星级"
    PROGRESS = "progress", "进步星"


class Declaration(Audited, PublicModel):
    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    class Status(models.TextChoices):
        DRAFT = wf.DRAFT, "草稿"
        SUBMITTED = wf.SUBMITTED, "待乡镇初审"
        RETURNED = wf.RETURNED, "已退回"
        TOWNSHIP_PASSED = wf.TOWNSHIP_PASSED, "待专班审核"
        APPROVED = wf.APPROVED, "待公示"
        NOTICE = wf.NOTICE, "公示中"
        AWARDED = wf.AWARDED, "已授星"
        REJECTED = wf.REJECTED, "未通过"
        WITHDRAWN = wf.WITHDRAWN, "已撤星"
        CANCELLED = wf.CANCELLED, "已撤回"

    unit = models.ForeignKey(
        "territory.Unit", verbose_name="村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField(
        "类型", max_length=10, choices=DeclarationKind.choices, default=DeclarationKind.STAR
    )
    star = models.ForeignKey(
        "stars.Star",
        verbose_name="星",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="declarations",
    )
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    round = models.PositiveSmallIntegerField("申报轮次", default=1)
    statement = models.TextField("申报说明", blank=True)
    submitted_at = models.DateTimeField("最近报送", null=True, blank=True)
    notice = models.ForeignKey(
        "stars.PublicNotice",
        verbose_name="公示",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="declarations",
    )
    last_reason = models.CharField("最近退回/未通过原因", max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申报人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = "星级申报"
        verbose_name_plural = "星级申报"
        ordering: ClassVar[list[str]] = ["-year", "unit", "star__sort_order", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            # One live declaration per village, year and star (a cancelled or rejected one
            # can be declared again; a withdrawn star too).
            models.UniqueConstraint(
                fields=["unit", "year", "star"],
                condition=Q(status__in=sorted(wf.LIVE)) & Q(kind=DeclarationKind.STAR),
                name="stars_declaration_live_star",
            ),
            models.UniqueConstraint(
                fields=["unit", "year"],
                condition=Q(status__in=sorted(wf.LIVE)) & Q(kind=DeclarationKind.PROGRESS),
                name="stars_declaration_live_progress",
            ),
            models.CheckConstraint(
                condition=Q(kind=DeclarationKind.PROGRESS, star__isnull=True)
                | Q(kind=DeclarationKind.STAR, star__isnull=False),
                name="stars_declaration_star_kind",
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            # Review queues and the battle map: a year's declarations by state.
            models.Index(fields=["year", "status"], name="stars_decl_year_status"),
        ]

    def __str__(self) -> str:
        what = self.star.name if self.star_id and self.star else "进步星"
        return f"{self.unit} {self.year} {what}"

    def audit_scope_path(self) -> str:
        return self.unit.path


class DeclarationEntry(Audited, PublicModel):
    """The village's claim on one standard in one round: a self-assessed score (manual
    standards), a statement and an evidence file. Editable only while its round is the
    declaration's open round (draft or returned); frozen once submitted.

    A progress star (进步星) has no standards: its claim is the one entry of the round
    without a standard (the statement of progress and its evidence file)."""

    SCOPE_PATH = "declaration__unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    declaration = models.ForeignKey(
        Declaration, verbose_name="申报", on_delete=models.PROTECT, related_name="entries"
    )
    round = models.PositiveSmallIntegerField("轮次")
    standard = models.ForeignKey(
        "stars.Standard",
        verbose_name="标准",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    self_score = models.DecimalField(
        "自评分",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    claim = models.TextField("达标情况", blank=True)
    evidence = models.FileField("佐证材料", upload_to="stars/evidence/", blank=True)
    evidence_name = models.CharField("佐证文件名", max_length=200, blank=True)
    figure_value = models.DecimalField(
        "报送时数据", max_digits=14, decimal_places=4, null=True, blank=True
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = "申报佐证"
        verbose_name_plural = "申报佐证"
        ordering: ClassVar[list[str]] = ["declaration", "round", "standard__sort_order"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["declaration", "round", "standard"], name="stars_entry_once"
            ),
            # The progress star's statement entry (no standard): one per round.
            models.UniqueConstraint(
                fields=["declaration", "round"],
                condition=Q(standard__isnull=True),
                name="stars_entry_statement_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.declaration} · {self.standard}"

    def audit_scope_path(self) -> str:
        return self.declaration.unit.path


class PublicNotice(Audited, PublicModel):
    """A township's public notice (公示) of the stars the task force approved."""

    SCOPE_PATH = "township__path"
    SCOPE_VIEW_PERM = wf.VIEW

    class Status(models.TextChoices):
        OPEN = "open", "公示中"
        CLOSED = "closed", "公示结束"

    township = models.ForeignKey(
        "territory.Unit", verbose_name="乡镇（街道）", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    number = models.CharField("公示编号", max_length=60, unique=True)
    title = models.CharField("标题", max_length=120)
    starts_on = models.DateField("公示开始")
    ends_on = models.DateField("公示截止")
    contact = models.CharField("受理异议电话", max_length=40, blank=True)
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.OPEN)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发布人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = "创建公示"
        verbose_name_plural = "创建公示"
        ordering: ClassVar[list[str]] = ["-starts_on", "township"]

    def __str__(self) -> str:
        return self.title

    def audit_scope_path(self) -> str:
        return self.township.path


class Objection(Audited, PublicModel):
    """An objection received during a notice (by phone, letter or visit), and its answer.

    Recorded once; answered once (`answer`, `upheld`): an upheld objection stops the star's
    award (the declaration ends rejected), an open one holds it until answered."""

    SCOPE_PATH = "declaration__unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    class Channel(models.TextChoices):
        PHONE = "phone", "电话"
        LETTER = "letter", "来信"
        VISIT = "visit", "来访"
        ONLINE = "online", "网上"

    declaration = models.ForeignKey(
        Declaration, verbose_name="申报", on_delete=models.PROTECT, related_name="objections"
    )
    notice = models.ForeignKey(
        PublicNotice, verbose_name="公示", on_delete=models.PROTECT, related_name="objections"
    )
    channel = models.CharField("渠道", max_length=8, choices=Channel.choices)
    received_on = models.DateField("收到日期")
    objector = models.CharField("反映人（可匿名）", max_length=40, blank=True)
    content = models.TextField("异议内容")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answer = models.TextField("核查答复", blank=True)
    upheld = models.BooleanField("异议成立", null=True, blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="答复人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = "公示异议"
        verbose_name_plural = "公示异议"
        ordering: ClassVar[list[str]] = ["declaration", "received_on", "id"]

    def __str__(self) -> str:
        return f"{self.declaration} 异议"

    def audit_scope_path(self) -> str:
        return self.declaration.unit.path


class ReviewStep(AppendOnlyModel):
    """One step of a declaration's life, who took it and when (append-only, with a trigger)."""

    SCOPE_PATH = "declaration__unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    class Stage(models.TextChoices):
        VILLAGE = wf.STAGE_VILLAGE, "村（社区）"
        TOWNSHIP = wf.STAGE_TOWNSHIP, "乡镇初审"
        COUNTY = wf.STAGE_COUNTY, "专班审核"
        NOTICE = wf.STAGE_NOTICE, "公示"

    class Action(models.TextChoices):
        SUBMITTED = "submitted", "报送"
        CANCELLED = "cancelled", "撤回申报"
        PASSED = "passed", "初审通过"
        RETURNED = "returned", "退回"
        APPROVED = "approved", "审核通过"
        PUBLISHED = "published", "公示"
        OBJECTED = "objected", "收到异议"
        ANSWERED = "answered", "答复异议"
        AWARDED = "awarded", "授星"
        REJECTED = "rejected", "未予授星"
        WITHDRAWN = "withdrawn", "撤星"

    declaration = models.ForeignKey(
        Declaration, verbose_name="申报", on_delete=models.PROTECT, related_name="steps"
    )
    round = models.PositiveSmallIntegerField("轮次")
    stage = models.CharField("环节", max_length=10, choices=Stage.choices)
    action = models.CharField("动作", max_length=12, choices=Action.choices)
    from_status = models.CharField("原状态", max_length=16)
    to_status = models.CharField("新状态", max_length=16)
    reason = models.TextField("意见/理由", blank=True)
    total_score = models.DecimalField(
        "评审得分", max_digits=7, decimal_places=2, null=True, blank=True
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
        verbose_name = "评审记录"
        verbose_name_plural = "评审记录"
        ordering: ClassVar[list[str]] = ["declaration", "at", "id"]

    def __str__(self) -> str:
        return f"{self.declaration} {self.get_action_display()}"


class StandardScore(AppendOnlyModel):
    """A reviewer's judgement of one standard in a review step."""

    SCOPE_PATH = "step__declaration__unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    step = models.ForeignKey(
        ReviewStep, verbose_name="评审", on_delete=models.PROTECT, related_name="scores"
    )
    standard = models.ForeignKey(
        "stars.Standard", verbose_name="标准", on_delete=models.PROTECT, related_name="+"
    )
    score = models.DecimalField("得分", max_digits=6, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField("达标")
    figure_value = models.DecimalField(
        "评审时数据", max_digits=14, decimal_places=4, null=True, blank=True
    )
    comment = models.CharField("意见", max_length=300, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "标准得分"
        verbose_name_plural = "标准得分"
        ordering: ClassVar[list[str]] = ["step", "standard__sort_order"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["step", "standard"], name="stars_score_once")
        ]

    def __str__(self) -> str:
        return f"{self.standard} {self.score}"


class StarAward(Audited, PublicModel):
    """A star held by a village for a year (or a progress star with its award amount).

    The battle map and the figures read awards whose `withdrawn_on` is empty. Withdrawing
    sets `withdrawn_on` and `withdraw_reason` once (with a ReviewStep); nothing else changes."""

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    unit = models.ForeignKey(
        "territory.Unit", verbose_name="村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField(
        "类型", max_length=10, choices=DeclarationKind.choices, default=DeclarationKind.STAR
    )
    star = models.ForeignKey(
        "stars.Star",
        verbose_name="星",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="awards",
    )
    star_code = models.SlugField("星代码", max_length=30, blank=True)
    declaration = models.OneToOneField(
        Declaration,
        verbose_name="申报",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="award",
    )
    awarded_on = models.DateField("授星日期")
    amount = models.DecimalField(
        "奖励金额（元）", max_digits=12, decimal_places=2, null=True, blank=True
    )
    withdrawn_on = models.DateField("撤星日期", null=True, blank=True)
    withdraw_reason = models.CharField("撤星原因", max_length=300, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "星级认定"
        verbose_name_plural = "星级认定"
        ordering: ClassVar[list[str]] = ["-year", "unit", "star__sort_order"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["unit", "year", "star_code"],
                condition=Q(withdrawn_on__isnull=True),
                name="stars_award_held_once",
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            # Figures and the battle map: a year's awards (held ones) across a county.
            models.Index(fields=["year", "kind"], name="stars_award_year_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.year} {self.star_code or '进步星'}"

    def audit_scope_path(self) -> str:
        return self.unit.path
