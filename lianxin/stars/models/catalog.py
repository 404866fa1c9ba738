"""Star catalogs (configuration, DESIGN.md invariant 5): per county, year and unit type a
`StarSet` of `Star`s, each judged by its `Standard`s; the county's `CreationSettings`;
the county's task forces (专班) and its list of weak branches (软弱涣散村)."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from lianxin.audit.models import Audited
from lianxin.core.models import PublicModel
from lianxin.core.scope import ScopedManager
from lianxin.stars import workflow as wf


class UnitType(models.TextChoices):
    VILLAGE = wf.VILLAGE, "村"
    COMMUNITY = wf.COMMUNITY, "城市社区"


class StarSet(Audited, PublicModel):
    """The stars a county's villages (or its urban communities) are judged on in a year.

    Catalogs are configuration: every post in the county reads them (selectors find the
    county from the reader's own unit), only county-level posts with `stars.configure`
    change them."""

    SCOPE_PATH = "county__path"
    SCOPE_VIEW_PERM = wf.VIEW

    county = models.ForeignKey(
        "territory.Unit", verbose_name="县（市、区）", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    unit_type = models.CharField("适用", max_length=12, choices=UnitType.choices)
    name = models.CharField("名称", max_length=60)

    objects = ScopedManager()

    class Meta:
        verbose_name = "星级目录"
        verbose_name_plural = "星级目录"
        ordering: ClassVar[list[str]] = ["county", "-year", "unit_type"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["county", "year", "unit_type"], name="stars_starset_per_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"

    def audit_scope_path(self) -> str:
        return self.county.path


class Star(Audited, PublicModel):
    """One star of a set (支部过硬星 …). `code` is stable across years (the battle map and
    figures compare years by it); the name is what the county calls it this year."""

    SCOPE_PATH = "star_set__county__path"
    SCOPE_VIEW_PERM = wf.VIEW

    star_set = models.ForeignKey(
        StarSet, verbose_name="星级目录", on_delete=models.CASCADE, related_name="stars"
    )
    code = models.SlugField("代码", max_length=30)
    name = models.CharField("名称", max_length=30)
    short_name = models.CharField("简称", max_length=8, help_text="挂图作战表头用，如“过硬”")
    description = models.TextField("创建要求", blank=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "星"
        verbose_name_plural = "星"
        ordering: ClassVar[list[str]] = ["star_set", "sort_order", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["star_set", "code"], name="stars_star_code")
        ]

    def __str__(self) -> str:
        return self.name

    def audit_scope_path(self) -> str:
        return self.star_set.county.path


class Standard(Audited, PublicModel):
    """An indicator a star is judged on. Three kinds:

    - ``manual``: a reviewer's score from 0 to `max_score`, passing at `pass_score`;
    - ``evidence``: pass/fail, the declaration must carry evidence (`evidence_hint` says what);
    - ``figure``: a figure the platform already has (`figure_key`, see stars.indicators)
      compared with `threshold` by `comparator`; the live value and its source are shown.
    A star is earned when every required standard passes."""

    SCOPE_PATH = "star__star_set__county__path"
    SCOPE_VIEW_PERM = wf.VIEW

    class Kind(models.TextChoices):
        MANUAL = wf.MANUAL, "评分"
        EVIDENCE = wf.EVIDENCE, "达标（附佐证）"
        FIGURE = wf.FIGURE, "平台数据"

    star = models.ForeignKey(
        Star, verbose_name="星", on_delete=models.CASCADE, related_name="standards"
    )
    code = models.SlugField("代码", max_length=40)
    name = models.CharField("标准", max_length=120)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    max_score = models.DecimalField(
        "满分",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    pass_score = models.DecimalField(
        "及格分",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    evidence_hint = models.CharField("佐证要求", max_length=200, blank=True)
    figure_key = models.CharField("数据项", max_length=60, blank=True)
    comparator = models.CharField(
        "比较", max_length=2, blank=True, choices=[(k, v) for k, v in wf.COMPARATORS.items()]
    )
    threshold = models.DecimalField("阈值", max_digits=14, decimal_places=4, null=True, blank=True)
    is_required = models.BooleanField("必须达标", default=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)
    # A standard declarations already reference is never deleted (PROTECT): the county
    # deactivates it, and new declarations and reviews leave it out.
    is_active = models.BooleanField("启用", default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "创建标准"
        verbose_name_plural = "创建标准"
        ordering: ClassVar[list[str]] = ["star", "sort_order", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["star", "code"], name="stars_standard_code")
        ]

    def __str__(self) -> str:
        return self.name

    def audit_scope_path(self) -> str:
        return self.star.star_set.county.path


class CreationSettings(Audited, PublicModel):
    """A county's numbers for a year (defaults from the seeds): notice period, the progress
    star's award, the cadre reward rule, how many contest winners advance."""

    SCOPE_PATH = "county__path"
    SCOPE_VIEW_PERM = wf.VIEW

    county = models.ForeignKey(
        "territory.Unit", verbose_name="县（市、区）", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    notice_days = models.PositiveSmallIntegerField(
        "公示天数", default=5, validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    progress_award = models.DecimalField(
        "进步星奖励（元）", max_digits=12, decimal_places=2, default=Decimal(50000)
    )
    reward_min_income = models.DecimalField(
        "奖励门槛：经营性收入（元）", max_digits=14, decimal_places=2, default=Decimal(50000)
    )
    reward_min_growth = models.DecimalField(
        "奖励门槛：较上年增幅", max_digits=5, decimal_places=4, default=Decimal("0.10")
    )
    reward_share = models.DecimalField(
        "奖励比例（占增量）",
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.10"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
    )
    contest_advance = models.PositiveSmallIntegerField(
        "每乡镇晋级市级决赛名额", default=2, validators=[MinValueValidator(1)]
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = "创建参数"
        verbose_name_plural = "创建参数"
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["county", "year"], name="stars_settings_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.county} {self.year}"

    def audit_scope_path(self) -> str:
        return self.county.path


class TaskForce(Audited, PublicModel):
    """A county task force (创建专班), e.g. the 产业兴旺星 task force led by the agriculture
    bureau; it reviews, owns a key-work list and is itself assessed."""

    SCOPE_PATH = "county__path"
    SCOPE_VIEW_PERM = wf.VIEW

    county = models.ForeignKey(
        "territory.Unit", verbose_name="县（市、区）", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("专班名称", max_length=60)
    lead_unit = models.CharField("牵头单位", max_length=60, blank=True)
    leader_name = models.CharField("专班负责人", max_length=30, blank=True)
    star_code = models.SlugField("负责星", max_length=30, blank=True)
    is_active = models.BooleanField("在用", default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "创建专班"
        verbose_name_plural = "创建专班"
        ordering: ClassVar[list[str]] = ["county", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["county", "name"], name="stars_taskforce_name")
        ]

    def __str__(self) -> str:
        return self.name

    def audit_scope_path(self) -> str:
        return self.county.path


class WeakBranch(Audited, PublicModel):
    """A branch designated weak and lax (软弱涣散) for a year: contacted by a linked
    organisation-department cadre, targeted by training and inspection."""

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = wf.VIEW

    unit = models.ForeignKey(
        "territory.Unit", verbose_name="村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    reason = models.CharField("原因", max_length=200)
    liaison_name = models.CharField("联系组工干部", max_length=30, blank=True)
    designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="认定人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lifted_on = models.DateField("整顿转化日期", null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "软弱涣散党组织"
        verbose_name_plural = "软弱涣散党组织"
        ordering: ClassVar[list[str]] = ["-year", "unit"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["unit", "year"], name="stars_weakbranch_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.unit}"

    def audit_scope_path(self) -> str:
        return self.unit.path
