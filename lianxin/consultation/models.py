"""Consultation and decisions (协商议事): meetings, votes, 四议两公开, decisions, 三诺 pledges.

The shape, in one paragraph: a village or community holds `Meeting`s of a configurable
`MeetingType` (who may attend, the quorum, the default vote threshold) at a `Venue`. The
electorate of a meeting (representatives, households, party members, the two committees ...)
is read live from the register (`electorate.py`) and its size is frozen when the meeting
opens; `Attendance` rows are the sign-ins (one per elector), so the quorum is always
`present ≥ rule(eligible)`. Each `AgendaItem` (from a request, a resident's
`ResidentProposal` or staff) can be put to a vote: `Ballot` rows, one per elector and item
(a unique constraint), in person or through a one-time `VoteLink`; closing the vote computes
the support rate against the item's threshold. Passed items become `Decision`s followed to
their results through `Milestone`s. A `Matter` (四议两公开) walks its four steps, each one an
agenda item of a meeting of the right type, then publishes its resolution and its result.
`Minutes` are drafted in `MinutesRevision`s and locked; after locking only signed
`MinutesAddendum` rows can be added. A secretary's yearly `Pledge` (三诺) is published,
reported on mid-year and evaluated at year end by `PledgeScore`s.

Everything that records what happened (attendance, ballots, revisions, addenda, events,
progress updates, pledge reports and scores) is append-only, with database triggers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from lianxin.audit.models import Audited
from lianxin.core.models import AppendOnlyModel, PublicModel, TimeStampedModel
from lianxin.core.scope import ScopedManager

VIEW = "consultation.view"


class Electorate(models.TextChoices):
    """Who belongs to a meeting or a vote (electorate.py reads each from the register)."""

    RESIDENTS = "residents", "本村（社区）18周岁以上居民"
    HOUSEHOLDS = "households", "户代表（每户一票）"
    REPRESENTATIVES = "representatives", "村（居）民代表"
    PARTY_MEMBERS = "party_members", "党员"
    BRANCH_COMMITTEE = "branch_committee", "支部委员"
    COMMITTEES = "committees", "村（社区）“两委”成员"
    ATTENDEES = "attendees", "到会人员"


class QuorumRule(models.TextChoices):
    NONE = "none", "不设法定人数"
    MAJORITY = "majority", "应到人数过半"
    TWO_THIRDS = "two_thirds", "应到人数三分之二以上"
    SHARE = "share", "应到人数的指定比例以上"


class Threshold(models.TextChoices):
    MAJORITY = "majority", "过半数"
    TWO_THIRDS = "two_thirds", "三分之二以上"
    SHARE = "share", "指定比例以上"


class Base(models.TextChoices):
    """What the support rate is a share of."""

    CAST = "cast", "实际投票数"
    PRESENT = "present", "到会人数"
    ELIGIBLE = "eligible", "应投票数（全部有表决权者）"


class Choice(models.TextChoices):
    YES = "yes", "同意"
    NO = "no", "反对"
    ABSTAIN = "abstain", "弃权"


class MeetingType(Audited, TimeStampedModel):
    """A kind of meeting with its participants and quorum (configuration, with defaults)."""

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=40)
    electorate = models.CharField("参会人员", max_length=20, choices=Electorate.choices)
    quorum_rule = models.CharField(
        "法定人数", max_length=12, choices=QuorumRule.choices, default=QuorumRule.NONE
    )
    quorum_share = models.DecimalField(
        "法定人数比例（%）",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("100"))],
    )
    quorum_minimum = models.PositiveIntegerField("最少到会人数", default=0)
    threshold = models.CharField(
        "默认表决规则", max_length=12, choices=Threshold.choices, default=Threshold.MAJORITY
    )
    threshold_share = models.DecimalField(
        "默认通过比例（%）", max_digits=5, decimal_places=2, null=True, blank=True
    )
    base = models.CharField(
        "默认计票基数", max_length=10, choices=Base.choices, default=Base.PRESENT
    )
    # Which unit kinds hold this meeting (village = both villages and communities).
    for_villages = models.BooleanField("行政村适用", default=True)
    for_communities = models.BooleanField("城市社区适用", default=True)
    description = models.CharField("说明", max_length=300, blank=True)
    is_active = models.BooleanField("启用", default=True)
    sort_order = models.IntegerField("排序", default=0)

    class Meta:
        verbose_name = "会议类型"
        verbose_name_plural = "会议类型"
        ordering: ClassVar[list[str]] = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class Venue(Audited, PublicModel):
    """A place where residents meet to talk things over (议事角, 书记会客厅 ...)."""

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = VIEW

    class Kind(models.TextChoices):
        CORNER = "corner", "议事角"
        PARLOUR = "parlour", "书记会客厅"
        PAVILION = "pavilion", "凉亭议事会"
        CENTRE = "centre", "党群服务中心"
        HALL = "hall", "会议室"
        OTHER = "other", "其他"

    unit = models.ForeignKey(
        "territory.Unit", verbose_name="所属村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("名称", max_length=60)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.CORNER)
    address = models.CharField("位置", max_length=120, blank=True)
    is_active = models.BooleanField("在用", default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "议事场所"
        verbose_name_plural = "议事场所"
        ordering: ClassVar[list[str]] = ["unit", "name"]

    def __str__(self) -> str:
        return self.name


class Representative(Audited, PublicModel):
    """A villagers' or residents' representative (村民代表 / 居民代表) for a term."""

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = VIEW

    unit = models.ForeignKey(
        "territory.Unit", verbose_name="所属村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    resident = models.ForeignKey(
        "people.Resident", verbose_name="代表", on_delete=models.PROTECT, related_name="+"
    )
    term_start = models.DateField("任期开始")
    term_end = models.DateField("任期结束", null=True, blank=True)
    is_active = models.BooleanField("在任", default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "村（居）民代表"
        verbose_name_plural = "村（居）民代表"
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["unit", "resident"],
                condition=Q(is_active=True),
                name="consultation_one_active_representative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident_id}@{self.unit_id}"


class ResidentProposal(Audited, PublicModel):
    """A resident's proposal for consultation (居民议题), public and supported by neighbours.

    open → scheduled (on an agenda) → decided; or declined with a reason, or withdrawn."""

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = VIEW

    class Status(models.TextChoices):
        OPEN = "open", "征集支持中"
        SCHEDULED = "scheduled", "已列入议程"
        DECIDED = "decided", "已议决"
        DECLINED = "declined", "不予采纳"
        WITHDRAWN = "withdrawn", "已撤回"

    unit = models.ForeignKey(
        "territory.Unit", verbose_name="村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    place = models.ForeignKey(
        "territory.Unit",
        verbose_name="网格/楼院",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField("议题", max_length=80)
    body = models.TextField("内容与建议")
    proposer = models.ForeignKey(
        "people.Resident",
        verbose_name="提议人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Shown publicly: a masked name (张*), never the full one.
    proposer_label = models.CharField("提议人（公开）", max_length=40)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    support_count = models.PositiveIntegerField("支持人数", default=0)
    answer = models.TextField("答复", blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = "居民议题"
        verbose_name_plural = "居民议题"
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            # The public page: open proposals of one unit, newest first.
            models.Index(fields=["unit", "status", "created_at"], name="consult_proposal_unit"),
        ]

    def __str__(self) -> str:
        return self.title


class ProposalSupport(models.Model):
    """One resident's support of a proposal (one per resident; the count is cached)."""

    proposal = models.ForeignKey(
        ResidentProposal, verbose_name="议题", on_delete=models.CASCADE, related_name="supports"
    )
    resident = models.ForeignKey(
        "people.Resident", verbose_name="支持人", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "议题支持"
        verbose_name_plural = "议题支持"
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["proposal", "resident"], name="consultation_support_once"
            )
        ]


class Meeting(Audited, PublicModel):
    """A meeting (协商议事会议): planned → open (sign-in and business) → closed; or cancelled.

    `eligible_count` freezes the size of the electorate when the meeting opens, so the quorum
    does not move while people sign in."""

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = VIEW

    class Status(models.TextChoices):
        PLANNED = "planned", "已预告"
        OPEN = "open", "进行中"
        CLOSED = "closed", "已结束"
        CANCELLED = "cancelled", "已取消"

    unit = models.ForeignKey(
        "territory.Unit", verbose_name="村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    meeting_type = models.ForeignKey(
        MeetingType, verbose_name="会议类型", on_delete=models.PROTECT, related_name="meetings"
    )
    # A meeting of one compound or grid (物业–居民面对面): the electorate is the part under it.
    place = models.ForeignKey(
        "territory.Unit",
        verbose_name="网格/楼院",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    venue = models.ForeignKey(
        Venue,
        verbose_name="场所",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    title = models.CharField("会议名称", max_length=100)
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间", null=True, blank=True)
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="主持人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    host_label = models.CharField("主持人", max_length=60, blank=True)
    is_public = models.BooleanField("向居民公开", default=True)
    status = models.CharField(
        "状态", max_length=10, choices=Status.choices, default=Status.PLANNED, db_index=True
    )
    eligible_count = models.PositiveIntegerField("应到人数", null=True, blank=True)
    opened_at = models.DateTimeField("开始签到", null=True, blank=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    # The sign-in code shown on the screen in the room while the meeting is open: a shared
    # code, not a secret (residents also need their phone session, and each signs in once).
    signin_code = models.CharField("签到码", max_length=6, blank=True)
    cancel_reason = models.CharField("取消原因", max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = "议事会议"
        verbose_name_plural = "议事会议"
        ordering: ClassVar[list[str]] = ["-starts_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            # Lists and figures: a unit's meetings by date.
            models.Index(fields=["unit", "starts_at"], name="consult_meeting_unit_day"),
        ]

    def __str__(self) -> str:
        return self.title


class Attendance(AppendOnlyModel):
    """One elector signed in at a meeting (staff record it, or the resident with the code)."""

    class Method(models.TextChoices):
        STAFF = "staff", "工作人员登记"
        CODE = "code", "居民扫码签到"

    meeting = models.ForeignKey(
        Meeting, verbose_name="会议", on_delete=models.PROTECT, related_name="attendances"
    )
    # "household:12", "resident:5", "member:7", "user:3" (electorate.py).
    elector_key = models.CharField("参会人标识", max_length=40)
    label = models.CharField("参会人", max_length=60)
    resident = models.ForeignKey(
        "people.Resident",
        verbose_name="居民",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    method = models.CharField("签到方式", max_length=8, choices=Method.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField("签到时间")

    class Meta:
        verbose_name = "签到"
        verbose_name_plural = "签到"
        ordering: ClassVar[list[str]] = ["at", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["meeting", "elector_key"], name="consultation_sign_in_once"
            )
        ]


class Matter(Audited, PublicModel):
    """A village's major matter under 四议两公开: four steps held in order as meetings, then
    the resolution and the implementation result are published."""

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = VIEW

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "议定中"
        RESOLVED = "resolved", "已决议"
        REJECTED = "rejected", "未通过"
        ANNOUNCED = "announced", "决议已公开"
        COMPLETED = "completed", "结果已公开"
        WITHDRAWN = "withdrawn", "已撤销"

    unit = models.ForeignKey(
        "territory.Unit", verbose_name="村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField("事项", max_length=100)
    description = models.TextField("事项说明")
    amount = models.DecimalField(
        "涉及金额（元）", max_digits=14, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        "状态", max_length=12, choices=Status.choices, default=Status.IN_PROGRESS
    )
    # The next step to hold (1–4); 5 once all four have passed.
    next_step = models.PositiveSmallIntegerField("下一步", default=1)
    resolution_text = models.TextField("决议公开内容", blank=True)
    resolution_published_at = models.DateTimeField("决议公开时间", null=True, blank=True)
    resolution_notice_until = models.DateField("决议公示截止", null=True, blank=True)
    result_text = models.TextField("实施结果", blank=True)
    result_published_at = models.DateTimeField("结果公开时间", null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = "四议两公开事项"
        verbose_name_plural = "四议两公开事项"
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class MatterEvent(AppendOnlyModel):
    """What happened to a matter (append-only): each step held, passed or failed, notices."""

    class Action(models.TextChoices):
        CREATE = "create", "立项"
        STEP_SCHEDULED = "step_scheduled", "列入会议议程"
        STEP_PASSED = "step_passed", "本步通过"
        STEP_FAILED = "step_failed", "本步未通过"
        RESOLUTION = "resolution", "决议公开"
        RESULT = "result", "实施结果公开"
        WITHDRAW = "withdraw", "撤销"

    matter = models.ForeignKey(
        Matter, verbose_name="事项", on_delete=models.PROTECT, related_name="events"
    )
    action = models.CharField("动作", max_length=16, choices=Action.choices)
    step = models.PositiveSmallIntegerField("步骤", null=True, blank=True)
    item = models.ForeignKey(
        "consultation.AgendaItem",
        verbose_name="议程",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
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
        verbose_name = "事项记录"
        verbose_name_plural = "事项记录"
        ordering: ClassVar[list[str]] = ["at", "id"]


class AgendaItem(Audited, PublicModel):
    """An item on a meeting's agenda; it may be put to a vote (per item: electorate,
    threshold and base). The tallies are a cache of the `Ballot` rows, written when the vote
    closes (and `ballot_count` as ballots arrive)."""

    SCOPE_PATH = "meeting__unit__path"
    SCOPE_VIEW_PERM = VIEW

    class Source(models.TextChoices):
        STAFF = "staff", "工作人员提出"
        CASE = "case", "群众诉求"
        PROPOSAL = "proposal", "居民议题"
        MATTER = "matter", "四议两公开"

    class Status(models.TextChoices):
        PENDING = "pending", "待审议"
        VOTING = "voting", "表决中"
        PASSED = "passed", "通过"
        REJECTED = "rejected", "未通过"
        DISCUSSED = "discussed", "已议（不表决）"
        DEFERRED = "deferred", "暂缓"

    meeting = models.ForeignKey(
        Meeting, verbose_name="会议", on_delete=models.PROTECT, related_name="items"
    )
    order = models.PositiveSmallIntegerField("序号", default=1)
    title = models.CharField("议题", max_length=100)
    description = models.TextField("说明", blank=True)
    source = models.CharField("来源", max_length=10, choices=Source.choices, default=Source.STAFF)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name="关联诉求",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposal = models.ForeignKey(
        ResidentProposal,
        verbose_name="居民议题",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
    )
    matter = models.ForeignKey(
        Matter,
        verbose_name="四议两公开事项",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
    )
    matter_step = models.PositiveSmallIntegerField("事项步骤", null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    # The vote: who votes, how it passes, and against what base.
    electorate = models.CharField("表决人员", max_length=20, choices=Electorate.choices, blank=True)
    threshold = models.CharField(
        "表决规则", max_length=12, choices=Threshold.choices, default=Threshold.MAJORITY
    )
    threshold_share = models.DecimalField(
        "通过比例（%）", max_digits=5, decimal_places=2, null=True, blank=True
    )
    base = models.CharField("计票基数", max_length=10, choices=Base.choices, default=Base.PRESENT)
    allow_online = models.BooleanField("允许线上表决", default=False)
    vote_opened_at = models.DateTimeField("开始表决", null=True, blank=True)
    vote_closed_at = models.DateTimeField("结束表决", null=True, blank=True)
    eligible_count = models.PositiveIntegerField("有表决权人数", null=True, blank=True)
    present_count = models.PositiveIntegerField("到会人数", null=True, blank=True)
    ballot_count = models.PositiveIntegerField("已投票数", default=0)
    yes_count = models.PositiveIntegerField("同意", default=0)
    no_count = models.PositiveIntegerField("反对", default=0)
    abstain_count = models.PositiveIntegerField("弃权", default=0)
    support_rate = models.DecimalField(
        "支持率", max_digits=5, decimal_places=4, null=True, blank=True
    )
    outcome_note = models.TextField("议定结果", blank=True)
    decided_at = models.DateTimeField("议定时间", null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = "议程"
        verbose_name_plural = "议程"
        ordering: ClassVar[list[str]] = ["meeting", "order", "id"]

    def __str__(self) -> str:
        return self.title


class Ballot(AppendOnlyModel):
    """One elector's vote on one item (one each: a unique constraint, not only a check)."""

    class Channel(models.TextChoices):
        IN_PERSON = "in_person", "现场表决"
        ONLINE = "online", "线上表决"

    item = models.ForeignKey(
        AgendaItem, verbose_name="议程", on_delete=models.PROTECT, related_name="ballots"
    )
    elector_key = models.CharField("投票人标识", max_length=40)
    label = models.CharField("投票人", max_length=60)
    choice = models.CharField("表决", max_length=8, choices=Choice.choices)
    channel = models.CharField("方式", max_length=10, choices=Channel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "表决票"
        verbose_name_plural = "表决票"
        ordering: ClassVar[list[str]] = ["at", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["item", "elector_key"], name="consultation_vote_once")
        ]


class VoteLink(models.Model):
    """A one-time link for an elector to vote online on one item (only the token's digest is
    kept; the link goes out through the outbound channel)."""

    item = models.ForeignKey(
        AgendaItem, verbose_name="议程", on_delete=models.CASCADE, related_name="links"
    )
    elector_key = models.CharField("投票人标识", max_length=40)
    label = models.CharField("投票人", max_length=60)
    token_digest = models.CharField(max_length=64, unique=True)
    sent_to_masked = models.CharField("发送至", max_length=20, blank=True)
    created_at = models.DateTimeField("生成时间")
    expires_at = models.DateTimeField("有效期至")
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = "线上表决链接"
        verbose_name_plural = "线上表决链接"
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["item", "elector_key"], name="consultation_one_link")
        ]


class Minutes(Audited, TimeStampedModel):
    """A meeting's minutes (会议记录): the latest of its revisions until locked.

    Once `locked_at` is set the body is final (a trigger refuses any change of a locked row);
    what comes later is a signed `MinutesAddendum`."""

    SCOPE_PATH = "meeting__unit__path"
    SCOPE_VIEW_PERM = VIEW

    meeting = models.OneToOneField(
        Meeting, verbose_name="会议", on_delete=models.PROTECT, related_name="minutes"
    )
    body = models.TextField("记录内容", blank=True)
    recorder_label = models.CharField("记录人", max_length=60, blank=True)
    locked_at = models.DateTimeField("定稿时间", null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="定稿人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # sha256 of the locked body: the addenda and the printout quote it.
    digest = models.CharField("定稿摘要", max_length=64, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = "会议记录"
        verbose_name_plural = "会议记录"


class MinutesRevision(AppendOnlyModel):
    """Each saved draft of the minutes (the history of amendments before locking)."""

    minutes = models.ForeignKey(
        Minutes, verbose_name="会议记录", on_delete=models.PROTECT, related_name="revisions"
    )
    number = models.PositiveIntegerField("版本")
    body = models.TextField("内容")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="修改人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    author_label = models.CharField("修改人", max_length=150, blank=True)
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "记录修改"
        verbose_name_plural = "记录修改"
        ordering: ClassVar[list[str]] = ["number"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["minutes", "number"], name="consultation_revision_no")
        ]


class MinutesAddendum(AppendOnlyModel):
    """A signed addendum to locked minutes (补充说明): who, when, and a digest that covers the
    locked body and the addendum text, so a printout can be checked."""

    minutes = models.ForeignKey(
        Minutes, verbose_name="会议记录", on_delete=models.PROTECT, related_name="addenda"
    )
    body = models.TextField("补充内容")
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="签署人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signer_label = models.CharField("签署人", max_length=150)
    signature = models.CharField("签署摘要", max_length=64)
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "记录补充"
        verbose_name_plural = "记录补充"
        ordering: ClassVar[list[str]] = ["at", "id"]


class Decision(Audited, PublicModel):
    """A decision followed to its result (议定事项落实), with milestones and linked requests.

    Progress is the mean of the milestones' progress (0–100); implemented when all reach
    100 (`done_on`), on time when `done_on ≤ due_on`."""

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = VIEW

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "落实中"
        DONE = "done", "已落实"
        CANCELLED = "cancelled", "已撤销"

    unit = models.ForeignKey(
        "territory.Unit", verbose_name="村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    item = models.OneToOneField(
        AgendaItem,
        verbose_name="来源议程",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decision",
    )
    matter = models.ForeignKey(
        Matter,
        verbose_name="四议两公开事项",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decisions",
    )
    title = models.CharField("事项", max_length=100)
    summary = models.TextField("决定内容")
    responsible = models.CharField("责任单位", max_length=60)
    responsible_unit = models.ForeignKey(
        "territory.Unit",
        verbose_name="责任单元",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    project = models.CharField("关联项目", max_length=100, blank=True)
    decided_on = models.DateField("决定日期")
    due_on = models.DateField("计划完成")
    done_on = models.DateField("完成日期", null=True, blank=True)
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    status = models.CharField(
        "状态", max_length=12, choices=Status.choices, default=Status.IN_PROGRESS
    )
    is_public = models.BooleanField("向居民公开", default=True)
    cases = models.ManyToManyField(
        "cases.Case", verbose_name="关联诉求", blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = "议定事项"
        verbose_name_plural = "议定事项"
        ordering: ClassVar[list[str]] = ["-decided_on", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def on_time(self) -> bool | None:
        if self.done_on is None:
            return None
        return self.done_on <= self.due_on


class Milestone(Audited, PublicModel):
    """A step of a decision's implementation with its progress; a milestone linked to a
    request reaches 100% when the request is resolved (receivers.py)."""

    SCOPE_PATH = "decision__unit__path"
    SCOPE_VIEW_PERM = VIEW

    decision = models.ForeignKey(
        Decision, verbose_name="议定事项", on_delete=models.PROTECT, related_name="milestones"
    )
    order = models.PositiveSmallIntegerField("序号", default=1)
    title = models.CharField("节点", max_length=100)
    due_on = models.DateField("计划完成")
    done_on = models.DateField("完成日期", null=True, blank=True)
    progress = models.PositiveSmallIntegerField(
        "进度（%）", default=0, validators=[MaxValueValidator(100)]
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name="关联诉求",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = "落实节点"
        verbose_name_plural = "落实节点"
        ordering: ClassVar[list[str]] = ["decision", "order", "id"]


class ProgressUpdate(AppendOnlyModel):
    """Each change of a milestone's progress, with who and why (the public page's timeline)."""

    milestone = models.ForeignKey(
        Milestone, verbose_name="节点", on_delete=models.PROTECT, related_name="updates"
    )
    progress = models.PositiveSmallIntegerField("进度（%）")
    note = models.TextField("说明", blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="更新人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField("更新人", max_length=150, blank=True)
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "进度更新"
        verbose_name_plural = "进度更新"
        ordering: ClassVar[list[str]] = ["at", "id"]


class Pledge(Audited, PublicModel):
    """A secretary's pledges for a year (三诺): 亮诺 published → 践诺 mid-year report →
    评诺 year-end evaluation."""

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = VIEW

    class Stage(models.TextChoices):
        DRAFT = "draft", "草拟中"
        PUBLISHED = "published", "已亮诺"
        REPORTED = "reported", "已践诺（年中）"
        EVALUATING = "evaluating", "评诺中"
        EVALUATED = "evaluated", "已评诺"

    unit = models.ForeignKey(
        "territory.Unit", verbose_name="村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    secretary = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="书记",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    secretary_name = models.CharField("书记姓名", max_length=30)
    stage = models.CharField("阶段", max_length=12, choices=Stage.choices, default=Stage.DRAFT)
    published_at = models.DateTimeField("亮诺时间", null=True, blank=True)
    reported_at = models.DateTimeField("践诺时间", null=True, blank=True)
    evaluation_opened_at = models.DateTimeField("评诺开始", null=True, blank=True)
    evaluated_at = models.DateTimeField("评诺完成", null=True, blank=True)
    score_count = models.PositiveIntegerField("评议人数", default=0)
    average_score = models.DecimalField(
        "平均得分", max_digits=5, decimal_places=2, null=True, blank=True
    )
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = "书记三诺"
        verbose_name_plural = "书记三诺"
        ordering: ClassVar[list[str]] = ["-year", "unit"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["unit", "year"], name="consultation_pledge_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.secretary_name}"


class PledgeItem(Audited, models.Model):
    """One pledge (承诺事项); fixed once the pledge is published."""

    SCOPE_PATH = "pledge__unit__path"
    SCOPE_VIEW_PERM = VIEW

    class Fulfilment(models.TextChoices):
        NOT_STARTED = "not_started", "未启动"
        IN_PROGRESS = "in_progress", "推进中"
        DONE = "done", "已兑现"

    pledge = models.ForeignKey(
        Pledge, verbose_name="三诺", on_delete=models.PROTECT, related_name="items"
    )
    order = models.PositiveSmallIntegerField("序号", default=1)
    title = models.CharField("承诺事项", max_length=100)
    measure = models.TextField("措施与时限", blank=True)
    due_on = models.DateField("承诺完成", null=True, blank=True)
    # Latest reported state (a cache of the newest PledgeReport of the item).
    fulfilment = models.CharField(
        "兑现情况", max_length=12, choices=Fulfilment.choices, default=Fulfilment.NOT_STARTED
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = "承诺事项"
        verbose_name_plural = "承诺事项"
        ordering: ClassVar[list[str]] = ["pledge", "order", "id"]


class PledgeReport(AppendOnlyModel):
    """The secretary's report on one pledge (践诺 mid-year, or the year-end account)."""

    class Stage(models.TextChoices):
        MIDYEAR = "midyear", "年中践诺"
        YEAREND = "yearend", "年底述诺"

    item = models.ForeignKey(
        PledgeItem, verbose_name="承诺事项", on_delete=models.PROTECT, related_name="reports"
    )
    stage = models.CharField("阶段", max_length=8, choices=Stage.choices)
    fulfilment = models.CharField("兑现情况", max_length=12, choices=PledgeItem.Fulfilment.choices)
    note = models.TextField("兑现情况说明")
    evidence = models.ImageField("佐证照片", upload_to="pledges/%Y/%m/", blank=True, max_length=200)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="报告人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    author_label = models.CharField("报告人", max_length=150, blank=True)
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "践诺报告"
        verbose_name_plural = "践诺报告"
        ordering: ClassVar[list[str]] = ["at", "id"]


class PledgeScore(AppendOnlyModel):
    """One evaluator's year-end score of a pledge (评诺), by representatives and party members;
    one per evaluator."""

    pledge = models.ForeignKey(
        Pledge, verbose_name="三诺", on_delete=models.PROTECT, related_name="scores"
    )
    elector_key = models.CharField("评议人标识", max_length=40)
    label = models.CharField("评议人", max_length=60)
    score = models.PositiveSmallIntegerField("得分", validators=[MaxValueValidator(100)])
    comment = models.CharField("评语", max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "评诺打分"
        verbose_name_plural = "评诺打分"
        ordering: ClassVar[list[str]] = ["at", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["pledge", "elector_key"], name="consultation_score_once"
            )
        ]
