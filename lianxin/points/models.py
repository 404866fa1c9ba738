"""Points for party members, households and the 繁星 subjects (党群积分 / 幸福积分 / 繁星计划).

The shape, in one paragraph: a `Scheme` (party-member points, household points, buildings,
grids, merchants) has a yearly `Catalog` of `Aspect`s and `Indicator`s; an indicator's values
change only through an appended `IndicatorRevision`, and everything that earns points copies
the revision it used, so a change applies from then on and never rewrites booked points.
Points are earned by a `Proposal` (evidence → approval → public notice → booked) or by an
automatic award; either way the only thing that moves points is a `PointEntry` appended to
the subject's `Account` by `services.ledger`, chained by hash to the entry before it. The
account's `balance` is a cache moved in the same transaction (`lianxin points verify` proves
it equals the entries). `Standing` rows are a recomputable cache of period scores and ranks.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from lianxin.audit.models import Audited
from lianxin.core.models import AppendOnlyModel, PublicModel, TimeStampedModel
from lianxin.core.scope import ScopedManager

VIEW = "points.view"


class SubjectKind(models.TextChoices):
    """Who holds a scheme's balance (繁星计划's five kinds of subject; residents earn into
    their household's account)."""

    HOUSEHOLD = "household", "户（居民）"
    PARTY_MEMBER = "party_member", "党员"
    BUILDING = "building", "楼院"
    GRID = "grid", "网格"
    MERCHANT = "merchant", "商户"


class Scheme(Audited, TimeStampedModel):
    """A points scheme (积分体系). Deployment-wide configuration; a deployment can add schemes."""

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=60)
    subject_kind = models.CharField("积分对象", max_length=16, choices=SubjectKind.choices)
    description = models.TextField("说明", blank=True)
    # Points of this scheme can be spent in the points store (household points can; a party
    # member's points are an evaluation, not money).
    spendable = models.BooleanField("可在积分超市兑换", default=False)
    # Days an approved proposal stays on the public notice board before it is booked
    # (0 = booked at approval: the fast path).
    notice_days = models.PositiveSmallIntegerField("公示天数", default=3)
    is_active = models.BooleanField("启用", default=True)
    sort_order = models.IntegerField("排序", default=0)

    class Meta:
        verbose_name = "积分体系"
        verbose_name_plural = "积分体系"
        ordering: ClassVar[list[str]] = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class Catalog(Audited, PublicModel):
    """A scheme's indicator catalog for one year (有效年度). `unit` null = the default used
    everywhere; a county or street can hold its own, which then applies under it."""

    scheme = models.ForeignKey(
        Scheme, verbose_name="积分体系", on_delete=models.PROTECT, related_name="catalogs"
    )
    year = models.PositiveSmallIntegerField("有效年度")
    unit = models.ForeignKey(
        "territory.Unit",
        verbose_name="适用范围",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="留空表示全市通用；县区或街道可另设本地目录",
    )
    name = models.CharField("名称", max_length=100)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "积分指标目录"
        verbose_name_plural = "积分指标目录"
        ordering: ClassVar[list[str]] = ["scheme__sort_order", "-year", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["scheme", "year", "unit"], name="points_catalog_one_per_unit_year"
            ),
            models.UniqueConstraint(
                fields=["scheme", "year"],
                condition=Q(unit__isnull=True),
                name="points_catalog_one_default_per_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.year}）"

    def audit_scope_path(self) -> str:
        return self.unit.path if self.unit is not None else ""


class Aspect(Audited, TimeStampedModel):
    """A group of indicators (方面), e.g. 人居环境 or 联系走访."""

    catalog = models.ForeignKey(
        Catalog, verbose_name="目录", on_delete=models.CASCADE, related_name="aspects"
    )
    name = models.CharField("名称", max_length=40)
    sort_order = models.IntegerField("排序", default=0)

    class Meta:
        verbose_name = "积分方面"
        verbose_name_plural = "积分方面"
        ordering: ClassVar[list[str]] = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class CapPeriod(models.TextChoices):
    NONE = "", "不限"
    MONTH = "month", "每月"
    QUARTER = "quarter", "每季度"
    YEAR = "year", "每年"


class Evidence(models.TextChoices):
    """What a proposal for an indicator must carry."""

    NONE = "none", "无需佐证"
    TEXT = "text", "文字说明"
    PHOTO = "photo", "照片"
    LINK = "link", "关联事项（诉求、帮办、调解、走访等）"
    PHOTO_OR_LINK = "photo_or_link", "照片或关联事项"


class Indicator(Audited, PublicModel):
    """One scoring rule (评分指标). The value columns mirror the latest `IndicatorRevision`;
    they change only through `services.catalogs.indicator_revise`."""

    catalog = models.ForeignKey(
        Catalog, verbose_name="目录", on_delete=models.CASCADE, related_name="indicators"
    )
    aspect = models.ForeignKey(
        Aspect, verbose_name="方面", on_delete=models.PROTECT, related_name="indicators"
    )
    code = models.SlugField("代码", max_length=40)
    name = models.CharField("指标", max_length=100)
    points = models.IntegerField("分值", help_text="负数为扣分")
    cap_points = models.PositiveIntegerField(
        "上限分值", default=0, help_text="同一对象在一个周期内本指标最多得（扣）多少分，0 为不限"
    )
    cap_period = models.CharField(
        "上限周期", max_length=8, choices=CapPeriod.choices, default=CapPeriod.NONE, blank=True
    )
    evidence = models.CharField(
        "佐证要求", max_length=16, choices=Evidence.choices, default=Evidence.TEXT
    )
    is_active = models.BooleanField("启用", default=True)
    sort_order = models.IntegerField("排序", default=0)
    revision = models.PositiveIntegerField("版本", default=1)

    class Meta:
        verbose_name = "积分指标"
        verbose_name_plural = "积分指标"
        ordering: ClassVar[list[str]] = ["aspect__sort_order", "sort_order", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["catalog", "code"], name="points_indicator_code"),
        ]

    def __str__(self) -> str:
        sign = "+" if self.points >= 0 else ""
        return f"{self.name}（{sign}{self.points}分）"


class IndicatorRevision(AppendOnlyModel):
    """The values an indicator had from `effective_from` on (版本). Never edited."""

    indicator = models.ForeignKey(
        Indicator, verbose_name="指标", on_delete=models.PROTECT, related_name="revisions"
    )
    number = models.PositiveIntegerField("版本号")
    name = models.CharField("指标", max_length=100)
    points = models.IntegerField("分值")
    cap_points = models.PositiveIntegerField("上限分值", default=0)
    cap_period = models.CharField("上限周期", max_length=8, blank=True)
    evidence = models.CharField("佐证要求", max_length=16)
    effective_from = models.DateTimeField("生效时间")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="修改人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField("修改原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "指标版本"
        verbose_name_plural = "指标版本"
        ordering: ClassVar[list[str]] = ["indicator_id", "number"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["indicator", "number"], name="points_indicator_revision_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}（{self.points}分）"


class Account(PublicModel):
    """One subject's ledger in one scheme (积分账户). The hash chain runs per account.

    `balance`, `entry_count` and `head_hash` are caches of the entries, moved only by
    `services.ledger.entry_append` under a row lock in the entry's transaction. `unit` is the
    territory node the subject hangs on (household → its building, member → the branch's
    unit, building/grid → itself); `grid`/`village`/`township` are its ancestors, copied so
    rankings partition without parsing paths.
    """

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = VIEW

    scheme = models.ForeignKey(
        Scheme, verbose_name="积分体系", on_delete=models.PROTECT, related_name="accounts"
    )
    kind = models.CharField("积分对象", max_length=16, choices=SubjectKind.choices)
    household = models.ForeignKey(
        "people.Household",
        verbose_name="户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="point_accounts",
    )
    member = models.ForeignKey(
        "party.PartyMember",
        verbose_name="党员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="point_accounts",
    )
    unit = models.ForeignKey(
        "territory.Unit", verbose_name="所在单元", on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey(
        "territory.Unit",
        verbose_name="网格",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    village = models.ForeignKey(
        "territory.Unit",
        verbose_name="村/社区",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    township = models.ForeignKey(
        "territory.Unit",
        verbose_name="乡镇/街道",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The name shown on staff pages (户主 + door, member name, building/grid/merchant name)
    # and its public form (masked personal names).
    label = models.CharField("名称", max_length=120)
    public_label = models.CharField("公开名称", max_length=120)
    balance = models.IntegerField("余额", default=0)
    entry_count = models.PositiveIntegerField("流水条数", default=0)
    head_hash = models.CharField("最新流水哈希", max_length=64, blank=True)
    is_active = models.BooleanField("在用", default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "积分账户"
        verbose_name_plural = "积分账户"
        ordering: ClassVar[list[str]] = ["scheme_id", "unit__path", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["scheme", "household"],
                condition=Q(household__isnull=False),
                name="points_account_one_per_household",
            ),
            models.UniqueConstraint(
                fields=["scheme", "member"],
                condition=Q(member__isnull=False),
                name="points_account_one_per_member",
            ),
            # Building and grid subjects: one account per unit (merchants may share a unit).
            models.UniqueConstraint(
                fields=["scheme", "unit"],
                condition=Q(kind__in=["building", "grid"]),
                name="points_account_one_per_unit_subject",
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            # Rankings partition by (scheme, village) and (scheme, township).
            models.Index(fields=["scheme", "village"], name="points_account_scheme_village"),
            models.Index(fields=["scheme", "township"], name="points_account_scheme_town"),
        ]

    def __str__(self) -> str:
        return f"{self.label}（{self.scheme.name}）"


class EntryKind(models.TextChoices):
    EARN = "earn", "加分"
    DEDUCT = "deduct", "扣分"
    REVERSAL = "reversal", "冲正"
    SPEND = "spend", "兑换"
    REFUND = "refund", "退还"


# Kinds that count towards a subject's score; spending and refunds move only the balance.
SCORE_KINDS = (EntryKind.EARN, EntryKind.DEDUCT, EntryKind.REVERSAL)


class PointEntry(AppendOnlyModel):
    """One ledger line. Append-only; a correction is a `REVERSAL` entry naming the one it
    cancels. `hash` = HMAC over the canonical content and `prev_hash` (services.ledger)."""

    SCOPE_PATH = "account__unit__path"
    SCOPE_VIEW_PERM = VIEW

    account = models.ForeignKey(
        Account, verbose_name="账户", on_delete=models.PROTECT, related_name="entries"
    )
    seq = models.PositiveIntegerField("序号")
    kind = models.CharField("类型", max_length=10, choices=EntryKind.choices)
    amount = models.IntegerField("分值")
    balance_after = models.IntegerField("余额")
    # The date of the deed; period scores and rankings count by it.
    occurred_on = models.DateField("发生日期")
    booked_at = models.DateTimeField("入账时间")
    reason = models.CharField("事由", max_length=200)
    indicator_revision = models.ForeignKey(
        IndicatorRevision,
        verbose_name="指标版本",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The household member who earned it (resident contributions inside a household score).
    resident = models.ForeignKey(
        "people.Resident",
        verbose_name="贡献人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name="冲正对象",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    # One source pays at most once: "proposal:<uuid>", "auto:case_closed:<uuid>", ...
    source_key = models.CharField("来源键", max_length=120, unique=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="入账人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    prev_hash = models.CharField("前一条哈希", max_length=64, blank=True)
    hash = models.CharField("哈希", max_length=64)

    objects = ScopedManager()

    class Meta:
        verbose_name = "积分流水"
        verbose_name_plural = "积分流水"
        ordering: ClassVar[list[str]] = ["account_id", "seq"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["account", "seq"], name="points_entry_account_seq"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            # Period scores: SUM(amount) per account over a date range (statements, rankings).
            models.Index(fields=["account", "occurred_on"], name="points_entry_account_day"),
            # Recomputing all standings of a period scans by date.
            models.Index(fields=["occurred_on", "account"], name="points_entry_day_account"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}#{self.seq} {self.amount:+d}"


class Proposal(Audited, PublicModel):
    """A proposal to award (or deduct) points with evidence (积分申报).

    pending → approved (in public notice until `notice_until`) → booked; an objection during
    notice holds booking until staff resolve it; rejected and withdrawn are final; a booked
    proposal can be reversed (a reversing entry with a reason)."""

    SCOPE_PATH = "account__unit__path"
    SCOPE_VIEW_PERM = VIEW

    class Status(models.TextChoices):
        PENDING = "pending", "待审核"
        IN_NOTICE = "in_notice", "公示中"
        OBJECTED = "objected", "有异议"
        BOOKED = "booked", "已入账"
        REJECTED = "rejected", "未通过"
        WITHDRAWN = "withdrawn", "已撤回"
        REVERSED = "reversed", "已冲正"

    account = models.ForeignKey(
        Account, verbose_name="积分对象", on_delete=models.PROTECT, related_name="proposals"
    )
    indicator = models.ForeignKey(
        Indicator, verbose_name="指标", on_delete=models.PROTECT, related_name="proposals"
    )
    indicator_revision = models.ForeignKey(
        IndicatorRevision, verbose_name="指标版本", on_delete=models.PROTECT, related_name="+"
    )
    resident = models.ForeignKey(
        "people.Resident",
        verbose_name="贡献人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    points = models.IntegerField("分值")
    occurred_on = models.DateField("发生日期")
    description = models.TextField("事由与佐证说明", blank=True)
    # Evidence links: any of these (the indicator says which kinds it requires).
    case = models.ForeignKey(
        "cases.Case",
        verbose_name="关联诉求",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    visit = models.ForeignKey(
        "people.Visit",
        verbose_name="关联走访",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    activity = models.ForeignKey(
        "party.LinkageActivity",
        verbose_name="关联履职记录",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    link_note = models.CharField("其他关联（活动、会议等）", max_length=200, blank=True)
    status = models.CharField(
        "状态", max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    version = models.PositiveIntegerField("版本", default=1)
    source = models.CharField(
        "来源",
        max_length=12,
        default="staff",
        choices=[("staff", "工作人员申报"), ("task", "微任务"), ("auto", "自动")],
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申报人",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposer_label = models.CharField("申报人岗位", max_length=150, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    decision_note = models.CharField("审核意见", max_length=300, blank=True)
    notice_until = models.DateTimeField("公示截止", null=True, blank=True, db_index=True)
    booked_at = models.DateTimeField("入账时间", null=True, blank=True)
    entry = models.OneToOneField(
        PointEntry,
        verbose_name="入账流水",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proposal",
    )
    # The key its ledger entry pays under: "proposal:<public_id>", or the source's own
    # (a micro-task claim), so one source never pays twice.
    source_key = models.CharField("来源键", max_length=120, blank=True)
    # Proposals made together (按楼栋批量评比: one indicator for many households) share it and
    # can be decided together.
    batch = models.UUIDField("批次", null=True, blank=True, db_index=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "积分申报"
        verbose_name_plural = "积分申报"
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            # The booking sweep: proposals whose notice has ended.
            models.Index(fields=["status", "notice_until"], name="points_proposal_due"),
            # A subject's proposals in a period (caps, statements).
            models.Index(fields=["account", "occurred_on"], name="points_proposal_acct_day"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            # A micro-task claim or automatic source proposes once.
            models.UniqueConstraint(
                fields=["source_key"], condition=~Q(source_key=""), name="points_proposal_source"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account.label} {self.indicator.name} {self.points:+d}"

    def audit_scope_path(self) -> str:
        return self.account.unit.path


class ProposalPhoto(models.Model):
    proposal = models.ForeignKey(
        Proposal, verbose_name="申报", on_delete=models.CASCADE, related_name="photos"
    )
    image = models.ImageField("照片", upload_to="points/%Y/%m/")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "申报照片"
        verbose_name_plural = "申报照片"

    def __str__(self) -> str:
        return self.image.name


class ProposalEvent(AppendOnlyModel):
    """What happened to a proposal, by whom and when (append-only)."""

    class Action(models.TextChoices):
        PROPOSE = "propose", "申报"
        APPROVE = "approve", "审核通过"
        REJECT = "reject", "不予通过"
        WITHDRAW = "withdraw", "撤回"
        OBJECT = "object", "居民提出异议"
        UPHOLD = "uphold", "异议成立"
        DISMISS = "dismiss", "异议不成立"
        BOOK = "book", "公示期满入账"
        REVERSE = "reverse", "冲正"

    proposal = models.ForeignKey(
        Proposal, verbose_name="申报", on_delete=models.PROTECT, related_name="events"
    )
    action = models.CharField("动作", max_length=10, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField("操作人", max_length=150, blank=True)
    note = models.TextField("说明", blank=True)
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "申报记录"
        verbose_name_plural = "申报记录"
        ordering: ClassVar[list[str]] = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


class Objection(Audited, PublicModel):
    """A resident's objection to a proposal in public notice (公示异议)."""

    SCOPE_PATH = "proposal__account__unit__path"
    SCOPE_VIEW_PERM = VIEW
    AUDIT_SECRET_FIELDS = frozenset({"phone_cipher", "phone_digest"})

    class Status(models.TextChoices):
        OPEN = "open", "待处理"
        UPHELD = "upheld", "异议成立"
        DISMISSED = "dismissed", "异议不成立"

    proposal = models.ForeignKey(
        Proposal, verbose_name="申报", on_delete=models.PROTECT, related_name="objections"
    )
    text = models.TextField("异议内容")
    phone_cipher = models.TextField("联系电话（密文）", blank=True)
    phone_digest = models.CharField("联系电话摘要", max_length=64, blank=True)
    phone_masked = models.CharField("联系电话", max_length=20, blank=True)
    source_digest = models.CharField("来源摘要", max_length=64, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="处理人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    resolution = models.CharField("处理意见", max_length=300, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "公示异议"
        verbose_name_plural = "公示异议"
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text[:30]

    def audit_scope_path(self) -> str:
        return self.proposal.account.unit.path


class AwardRule(Audited, TimeStampedModel):
    """An automatic award (自动积分): when `source` happens, its subject earns the indicator's
    points — once per source (the entry's `source_key`)."""

    class Source(models.TextChoices):
        CASE_CLOSED = "case_closed", "居民反映的诉求办结（反映人所在户）"
        ERRAND_DONE = "errand_done", "党员办结帮办代办事项"
        TASK_DONE = "task_done", "完成微任务（直接入账，不经公示）"
        MEETING_ATTENDED = "meeting_attended", "参加协商议事会议"
        LINKAGE_VISIT = "linkage_visit", "党员登记联户走访"

    source = models.CharField("来源", max_length=20, choices=Source.choices, unique=True)
    scheme = models.ForeignKey(
        Scheme, verbose_name="积分体系", on_delete=models.PROTECT, related_name="+"
    )
    # By code, so the rule follows each year's catalog (and a county's own catalog).
    indicator_code = models.SlugField("指标代码", max_length=40)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "自动积分规则"
        verbose_name_plural = "自动积分规则"

    def __str__(self) -> str:
        return self.get_source_display()


class PointsSettings(Audited, TimeStampedModel):
    """Deployment-wide rules for points (one row; defaults from the seeds)."""

    low_score_threshold = models.IntegerField("党员提醒谈话分数线（年度积分低于此值）", default=30)
    member_own_weight = models.DecimalField(
        "党员综合分：本人积分权重", max_digits=3, decimal_places=2, default=0.5
    )
    member_linked_weight = models.DecimalField(
        "党员综合分：联户积分权重", max_digits=3, decimal_places=2, default=0.5
    )
    rating_top_label = models.CharField("第一类户名称", max_length=10, default="示范户")
    rating_top_min = models.IntegerField("第一类户：年度积分不低于", default=80)
    rating_mid_label = models.CharField("第二类户名称", max_length=10, default="达标户")
    rating_mid_min = models.IntegerField("第二类户：年度积分不低于", default=40)
    rating_low_label = models.CharField("第三类户名称", max_length=10, default="整改户")
    objections_per_source_hour = models.PositiveSmallIntegerField(
        "同一网络每小时最多提出异议", default=10
    )

    class Meta:
        verbose_name = "积分设置"
        verbose_name_plural = "积分设置"

    def __str__(self) -> str:
        return "积分设置"


class Standing(models.Model):
    """A subject's score and ranks for one period: a cache recomputed from the entries
    (`services.standings.standings_recompute`), never the source of truth."""

    SCOPE_PATH = "account__unit__path"
    SCOPE_VIEW_PERM = VIEW

    period = models.CharField("期间", max_length=7, help_text="2026 或 2026-11")
    scheme = models.ForeignKey(Scheme, verbose_name="积分体系", on_delete=models.CASCADE)
    account = models.ForeignKey(
        Account, verbose_name="账户", on_delete=models.CASCADE, related_name="standings"
    )
    # The account's grid/village/township ids at computation time (rank partitions).
    grid_key = models.BigIntegerField("网格", null=True)
    village_key = models.BigIntegerField("村/社区", null=True)
    township_key = models.BigIntegerField("乡镇/街道", null=True)
    score = models.IntegerField("积分")
    rank_grid = models.PositiveIntegerField("网格内名次", null=True)
    rank_village = models.PositiveIntegerField("村/社区内名次", null=True)
    rank_township = models.PositiveIntegerField("乡镇/街道内名次", null=True)
    computed_at = models.DateTimeField("计算时间")

    objects = ScopedManager()

    class Meta:
        verbose_name = "积分排名"
        verbose_name_plural = "积分排名"
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["period", "account"], name="points_standing_unique"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            # A ranking board: one period, one scheme, one village, by rank.
            models.Index(
                fields=["period", "scheme", "village_key", "rank_village"],
                name="points_standing_village",
            ),
            models.Index(
                fields=["period", "scheme", "township_key", "rank_township"],
                name="points_standing_town",
            ),
            models.Index(
                fields=["period", "scheme", "grid_key", "rank_grid"],
                name="points_standing_grid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.account_id} {self.score}"


class StandingRun(models.Model):
    """One recompute of a period's standings for a scheme — every township, or one
    (`township_key`): when the ranks shown were last brought up to date. A recompute
    rewrites only the `Standing` rows that changed, so a row's `computed_at` says when its
    score or ranks last changed, and this says when they were all last checked."""

    period = models.CharField("期间", max_length=7)
    scheme = models.ForeignKey(Scheme, verbose_name="积分体系", on_delete=models.CASCADE)
    township_key = models.BigIntegerField("乡镇/街道", null=True, blank=True)
    computed_at = models.DateTimeField("计算时间")
    rows_written = models.PositiveIntegerField("改写行数", default=0)

    class Meta:
        verbose_name = "排名计算记录"
        verbose_name_plural = "排名计算记录"
        indexes: ClassVar[list[models.Index]] = [
            # The freshness line: the latest run of a period and scheme (whole or a township).
            models.Index(
                fields=["period", "scheme", "township_key", "-computed_at"],
                name="points_standingrun_latest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.scheme_id} {self.computed_at:%Y-%m-%d %H:%M}"


class ReminderTalk(AppendOnlyModel):
    """A reminder talk with a low-scoring party member (提醒谈话), recorded once."""

    SCOPE_PATH = "member__organisation__unit__path"
    SCOPE_VIEW_PERM = VIEW

    member = models.ForeignKey(
        "party.PartyMember", verbose_name="党员", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    score = models.IntegerField("谈话时积分")
    threshold = models.IntegerField("分数线")
    talked_on = models.DateField("谈话日期")
    talked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="谈话人", on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField("谈话内容")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "提醒谈话"
        verbose_name_plural = "提醒谈话"
        ordering: ClassVar[list[str]] = ["-talked_on", "-id"]

    def __str__(self) -> str:
        return f"{self.member} {self.talked_on}"


class HouseholdRating(PublicModel):
    """A household's yearly 三类户 rating (示范户 / 达标户 / 整改户 by default). Rated from
    the year's score by configurable thresholds; re-rating a year replaces the unpublished
    rating, a published one stays (the plaque is on the door)."""

    SCOPE_PATH = "account__unit__path"
    SCOPE_VIEW_PERM = VIEW

    class Level(models.TextChoices):
        TOP = "top", "第一类"
        MID = "mid", "第二类"
        LOW = "low", "第三类"

    account = models.ForeignKey(
        Account, verbose_name="户积分账户", on_delete=models.PROTECT, related_name="ratings"
    )
    year = models.PositiveSmallIntegerField("年度")
    score = models.IntegerField("年度积分")
    level = models.CharField("类别", max_length=4, choices=Level.choices)
    label = models.CharField("称号", max_length=10)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="评定人", on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField("挂牌公布时间", null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "三类户评定"
        verbose_name_plural = "三类户评定"
        ordering: ClassVar[list[str]] = ["-year", "level", "-score", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["account", "year"], name="points_rating_one_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.label}"


class Store(Audited, PublicModel):
    """A points store (积分超市) of a village or community."""

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = VIEW

    unit = models.ForeignKey(
        "territory.Unit", verbose_name="所属村/社区", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("名称", max_length=60)
    address = models.CharField("地点", max_length=120, blank=True)
    hours = models.CharField("开放时间", max_length=60, blank=True)
    is_active = models.BooleanField("营业", default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "积分超市"
        verbose_name_plural = "积分超市"
        ordering: ClassVar[list[str]] = ["unit__path", "id"]

    def __str__(self) -> str:
        return self.name

    def audit_scope_path(self) -> str:
        return self.unit.path


class StoreItem(Audited, PublicModel):
    """Goods for points. `stock` moves only with conditional F() updates (never negative)."""

    SCOPE_PATH = "store__unit__path"
    SCOPE_VIEW_PERM = VIEW

    store = models.ForeignKey(
        Store, verbose_name="积分超市", on_delete=models.PROTECT, related_name="items"
    )
    name = models.CharField("商品", max_length=60)
    description = models.CharField("说明", max_length=200, blank=True)
    price = models.PositiveIntegerField("所需积分")
    stock = models.PositiveIntegerField("库存")
    per_household_limit = models.PositiveSmallIntegerField(
        "每户每月限兑", default=0, help_text="0 为不限"
    )
    is_active = models.BooleanField("上架", default=True)
    sort_order = models.IntegerField("排序", default=0)

    objects = ScopedManager()

    class Meta:
        verbose_name = "兑换商品"
        verbose_name_plural = "兑换商品"
        ordering: ClassVar[list[str]] = ["sort_order", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="points_item_stock_gte_0"),
            models.CheckConstraint(condition=Q(price__gt=0), name="points_item_price_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.price}分）"

    def audit_scope_path(self) -> str:
        return self.store.unit.path


def _pickup_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


class Redemption(PublicModel):
    """A redemption order (兑换单): placed (points spent, stock held) → picked up, or
    cancelled (points refunded by a ledger entry, stock returned)."""

    SCOPE_PATH = "store__unit__path"
    SCOPE_VIEW_PERM = VIEW

    class Status(models.TextChoices):
        PLACED = "placed", "待领取"
        PICKED_UP = "picked_up", "已领取"
        CANCELLED = "cancelled", "已取消"

    class Channel(models.TextChoices):
        COUNTER = "counter", "柜台兑换"
        PHONE = "phone", "手机兑换"

    store = models.ForeignKey(
        Store, verbose_name="积分超市", on_delete=models.PROTECT, related_name="redemptions"
    )
    item = models.ForeignKey(
        StoreItem, verbose_name="商品", on_delete=models.PROTECT, related_name="redemptions"
    )
    account = models.ForeignKey(
        Account, verbose_name="户积分账户", on_delete=models.PROTECT, related_name="redemptions"
    )
    resident = models.ForeignKey(
        "people.Resident",
        verbose_name="兑换人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    quantity = models.PositiveSmallIntegerField("数量", default=1)
    points = models.PositiveIntegerField("花费积分")
    channel = models.CharField("方式", max_length=8, choices=Channel.choices)
    status = models.CharField(
        "状态", max_length=10, choices=Status.choices, default=Status.PLACED, db_index=True
    )
    pickup_code = models.CharField("取货码", max_length=6, default=_pickup_code)
    spend_entry = models.OneToOneField(
        PointEntry, verbose_name="兑换流水", on_delete=models.PROTECT, related_name="+"
    )
    refund_entry = models.OneToOneField(
        PointEntry,
        verbose_name="退还流水",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="经办人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    picked_up_at = models.DateTimeField("领取时间", null=True, blank=True)
    picked_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="核销人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cancelled_at = models.DateTimeField("取消时间", null=True, blank=True)
    cancel_reason = models.CharField("取消原因", max_length=200, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "兑换单"
        verbose_name_plural = "兑换单"
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.item.name} ×{self.quantity}"


class MicroTask(Audited, PublicModel):
    """A micro-task residents claim (微任务认领): e.g. an anti-fraud leaflet round."""

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = VIEW

    class Status(models.TextChoices):
        OPEN = "open", "认领中"
        CLOSED = "closed", "已结束"
        CANCELLED = "cancelled", "已取消"

    unit = models.ForeignKey(
        "territory.Unit", verbose_name="发布单位", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField("任务", max_length=80)
    description = models.TextField("要求")
    place = models.CharField("地点", max_length=120, blank=True)
    indicator = models.ForeignKey(
        Indicator, verbose_name="计分指标", on_delete=models.PROTECT, related_name="+"
    )
    points = models.PositiveIntegerField("积分")
    slots = models.PositiveSmallIntegerField("名额")
    claimed_count = models.PositiveSmallIntegerField("已认领", default=0)
    deadline = models.DateTimeField("截止时间")
    # Completion confirmed by staff books at once (no notice); else it goes through approval.
    fast_path = models.BooleanField("确认完成后直接入账", default=False)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发布人", on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = "微任务"
        verbose_name_plural = "微任务"
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=Q(claimed_count__lte=models.F("slots")),
                name="points_task_claims_within_slots",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def audit_scope_path(self) -> str:
        return self.unit.path

    @property
    def slots_left(self) -> int:
        return max(0, self.slots - self.claimed_count)


class TaskClaim(PublicModel):
    """A resident's claim of a micro-task: claimed → completed (points proposed or booked),
    or withdrawn / rejected."""

    SCOPE_PATH = "task__unit__path"
    SCOPE_VIEW_PERM = VIEW

    class Status(models.TextChoices):
        CLAIMED = "claimed", "已认领"
        COMPLETED = "completed", "已完成"
        REJECTED = "rejected", "未完成"
        WITHDRAWN = "withdrawn", "已放弃"

    class Channel(models.TextChoices):
        PHONE = "phone", "手机认领"
        STATION = "station", "站点登记"

    task = models.ForeignKey(
        MicroTask, verbose_name="微任务", on_delete=models.PROTECT, related_name="claims"
    )
    resident = models.ForeignKey(
        "people.Resident", verbose_name="认领人", on_delete=models.PROTECT, related_name="+"
    )
    account = models.ForeignKey(
        Account, verbose_name="户积分账户", on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField("方式", max_length=8, choices=Channel.choices)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.CLAIMED)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="确认人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    evidence = models.CharField("完成情况", max_length=300, blank=True)
    photo = models.ImageField("照片", upload_to="points/tasks/%Y/%m/", blank=True)
    proposal = models.OneToOneField(
        Proposal,
        verbose_name="积分申报",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="task_claim",
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = "微任务认领"
        verbose_name_plural = "微任务认领"
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            # One live claim per resident per task.
            models.UniqueConstraint(
                fields=["task", "resident"],
                condition=Q(status__in=["claimed", "completed"]),
                name="points_claim_one_per_resident",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} · {self.resident}"


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """'2026' → the year; '2026-11' → the month (both ends inclusive)."""
    if len(period) == 4:
        year = int(period)
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    year, month = int(period[:4]), int(period[5:7])
    first = dt.date(year, month, 1)
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)
