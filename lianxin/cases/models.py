"""Resident requests (诉求) in a closed loop: the request, its append-only events, photos,
whistles (吹哨报到), mediations, errands, patrols, notifications and the configuration that
routes them (categories, routing rules, SLA targets).

Every governed row carries `place_path`, the materialised path of the unit where the matter
is (a building, grid or village), copied when the row is written. Scoping (DESIGN.md
invariant 1) and the figures filter on that column alone, so a unit's requests are one
index range scan with no join, whatever the number of rows.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from lianxin.audit.models import Audited
from lianxin.cases.workflow import (
    OPEN_STATUSES,
    VIEW,
    Action,
    Channel,
    Kind,
    Level,
    Outcome,
    Satisfaction,
    Status,
    Urgency,
)
from lianxin.core.models import AppendOnlyModel, PublicModel, TimeStampedModel
from lianxin.core.scope import ScopedManager

HANDLER_KINDS = [
    ("grid", "网格"),
    ("village", "村/社区"),
    ("township", "街道/乡镇"),
    ("department", "职能部门"),
    ("team", "调解组织"),
]


class Category(Audited, TimeStampedModel):
    """A node of the request category tree (configuration, global to the deployment).

    `code` is the Open311 service_code. Defaults come from REFERENCE.md's event classes and
    the seeds' situations (data migration 0002)."""

    code = models.SlugField("编码", max_length=40, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级类别",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    name = models.CharField("名称", max_length=50)
    help_text = models.CharField("填写提示", max_length=200, blank=True)
    keywords = models.CharField("关键词（空格分隔，用于自动归类）", max_length=300, blank=True)
    default_level = models.CharField(
        "默认分流", max_length=8, choices=Level.choices, default=Level.SMALL
    )
    default_handler_kind = models.CharField(
        "默认承办单位类型", max_length=12, choices=HANDLER_KINDS, default="village"
    )
    default_urgency = models.CharField(
        "默认时限类别", max_length=8, choices=Urgency.choices, default=Urgency.GENERAL
    )
    is_public = models.BooleanField("居民可选", default=True)
    is_active = models.BooleanField("在用", default=True)
    sort_order = models.PositiveIntegerField("排序", default=100)

    class Meta:
        verbose_name = "诉求类别"
        verbose_name_plural = "诉求类别"
        ordering: ClassVar[list[str]] = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class SlaTarget(Audited, TimeStampedModel):
    """Response and resolution limits for an urgency, optionally for one category.

    `counting` says how the limit is counted: natural hours (danger and utilities do not wait
    for Monday), working hours or working days on the calendar in `core.calendar`."""

    class Counting(models.TextChoices):
        NATURAL_HOURS = "natural_hours", "自然小时"
        WORKING_HOURS = "working_hours", "工作小时"
        WORKING_DAYS = "working_days", "工作日"

    category = models.ForeignKey(
        Category, verbose_name="类别（空=全部）", null=True, blank=True, on_delete=models.CASCADE
    )
    urgency = models.CharField("时限类别", max_length=8, choices=Urgency.choices)
    respond_within = models.DecimalField("响应时限", max_digits=7, decimal_places=2)
    respond_counting = models.CharField(
        "响应计时", max_length=16, choices=Counting.choices, default=Counting.WORKING_HOURS
    )
    resolve_within = models.DecimalField("办结时限", max_digits=7, decimal_places=2)
    resolve_counting = models.CharField(
        "办结计时", max_length=16, choices=Counting.choices, default=Counting.WORKING_DAYS
    )
    near_due_share = models.DecimalField(
        "临期提醒（已用时限比例）", max_digits=3, decimal_places=2, default=0.8
    )

    class Meta:
        verbose_name = "办理时限"
        verbose_name_plural = "办理时限"
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["category", "urgency"], name="cases_sla_category_urgency"
            ),
            models.UniqueConstraint(
                fields=["urgency"], condition=Q(category=None), name="cases_sla_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category or '全部类别'} · {self.get_urgency_display()}"


class MediationTeam(Audited, PublicModel):
    """A mediation organisation cases can be routed to (多元调解队, 矛盾工作室, 调解室)."""

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = VIEW

    unit = models.ForeignKey("territory.Unit", verbose_name="所在单位", on_delete=models.PROTECT)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField(
        "类型",
        max_length=12,
        choices=[("team", "调解队"), ("room", "矛盾工作室")],
        default="team",
    )
    members = models.CharField("成员", max_length=300, blank=True)
    is_active = models.BooleanField("在用", default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "调解组织"
        verbose_name_plural = "调解组织"

    def __str__(self) -> str:
        return self.name

    def audit_scope_path(self) -> str:
        return self.unit.path


class RoutingRule(Audited, PublicModel):
    """Category × level × territory → the handling unit, department, team or post.

    The most specific rule wins: the deepest territory, then a named category over any
    category, then a named level over any level, then the lowest `priority`. With no rule,
    the category's default handler kind applies (see `services.routing.route`)."""

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = VIEW

    unit = models.ForeignKey(
        "territory.Unit", verbose_name="适用区域", on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        Category, verbose_name="类别（空=全部）", null=True, blank=True, on_delete=models.PROTECT
    )
    level = models.CharField("分流（空=全部）", max_length=8, choices=Level.choices, blank=True)
    handler_kind = models.CharField("承办单位类型", max_length=12, choices=HANDLER_KINDS)
    handler_unit = models.ForeignKey(
        "territory.Unit",
        verbose_name="指定承办单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handler_department = models.ForeignKey(
        "accounts.Department",
        verbose_name="指定部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    handler_team = models.ForeignKey(
        MediationTeam,
        verbose_name="指定调解组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    handler_post = models.ForeignKey(
        "accounts.Post", verbose_name="指定岗位", null=True, blank=True, on_delete=models.PROTECT
    )
    priority = models.PositiveIntegerField("优先级（小者优先）", default=100)
    is_active = models.BooleanField("在用", default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "派遣规则"
        verbose_name_plural = "派遣规则"
        ordering: ClassVar[list[str]] = ["unit__path", "priority", "id"]

    def __str__(self) -> str:
        return f"{self.unit} {self.category or '全部'} {self.level or '全部'}→{self.handler_kind}"

    def audit_scope_path(self) -> str:
        return self.unit.path


class PatrolLog(PublicModel):
    """A grid worker's daily patrol (每日巡查): route, places, time, what was found."""

    SCOPE_PATH = "place_path"
    SCOPE_VIEW_PERM = VIEW

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="巡查人",
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit = models.ForeignKey("territory.Unit", verbose_name="网格", on_delete=models.PROTECT)
    place_path = models.CharField("区域路径", max_length=255, db_index=True)
    patrol_date = models.DateField("巡查日期")
    started_at = models.DateTimeField("开始时间")
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    route = models.CharField("路线/点位", max_length=500)
    note = models.TextField("巡查情况", blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "巡查日志"
        verbose_name_plural = "巡查日志"
        ordering: ClassVar[list[str]] = ["-patrol_date", "-started_at"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            # One open patrol per worker per day (services.patrol.patrol_start).
            models.UniqueConstraint(
                fields=["worker", "patrol_date"],
                condition=Q(ended_at=None),
                name="cases_patrol_one_open_per_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.patrol_date} {self.route[:20]}"


class Case(PublicModel):
    """A resident request. Status changes only through `services.lifecycle.case_transition`
    (compare-and-set on `version`); every change is a `CaseEvent`. The event log is the
    request's audit trail; reveals of the reporter's phone go to the audit log."""

    SCOPE_PATH = "place_path"
    SCOPE_VIEW_PERM = VIEW

    tracking_no = models.CharField("受理编号", max_length=16, unique=True)
    # sha256 of the private-link token: the link itself is shown once to the resident.
    access_digest = models.CharField("查询凭证摘要", max_length=64, unique=True)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.ORDINARY)
    channel = models.CharField("来源渠道", max_length=16, choices=Channel.choices)
    status = models.CharField(
        "状态", max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    status_before_pause = models.CharField("挂起前状态", max_length=12, blank=True)
    outcome = models.CharField("结果", max_length=10, choices=Outcome.choices, blank=True)
    version = models.PositiveIntegerField("版本", default=1)

    # Where the matter is.
    unit = models.ForeignKey(
        "territory.Unit", verbose_name="发生地点", on_delete=models.PROTECT, related_name="cases"
    )
    place_path = models.CharField("地点路径", max_length=255)
    address_text = models.CharField("具体位置", max_length=200, blank=True)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)

    # What it is.
    category = models.ForeignKey(
        Category, verbose_name="类别", null=True, blank=True, on_delete=models.PROTECT
    )
    level = models.CharField("三事分流", max_length=8, choices=Level.choices, blank=True)
    urgency = models.CharField(
        "时限类别", max_length=8, choices=Urgency.choices, default=Urgency.GENERAL
    )
    title = models.CharField("标题", max_length=60)
    description = models.TextField("诉求内容")

    # Who reported it (optional for residents; personal data protected, invariant 3).
    reporter_name = models.CharField("反映人", max_length=50, blank=True)
    reporter_phone_cipher = models.TextField("联系电话（密文）", blank=True)
    reporter_phone_digest = models.CharField("联系电话摘要", max_length=64, blank=True)
    reporter_phone_masked = models.CharField("联系电话", max_length=20, blank=True)
    reporter_resident = models.ForeignKey(
        "people.Resident",
        verbose_name="反映人（居民）",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reporter_household = models.ForeignKey(
        "people.Household",
        verbose_name="反映人所在户",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Keyed digest of the submitting address, for rate limits; never the address itself.
    source_digest = models.CharField("来源摘要", max_length=64, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    patrol = models.ForeignKey(
        PatrolLog,
        verbose_name="巡查日志",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="findings",
    )

    # Who handles it.
    handler_unit = models.ForeignKey(
        "territory.Unit",
        verbose_name="承办单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_cases",
    )
    handler_department = models.ForeignKey(
        "accounts.Department",
        verbose_name="承办部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    handler_team = models.ForeignKey(
        MediationTeam,
        verbose_name="调解组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承办人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )

    # Clock (SLA). Due times are computed on the working calendar when the clock starts and
    # moved forward by the paused working time on resume.
    received_at = models.DateTimeField("受理时间")
    accepted_at = models.DateTimeField("响应时间", null=True, blank=True)
    assigned_at = models.DateTimeField("派遣时间", null=True, blank=True)
    resolved_at = models.DateTimeField("办结时间", null=True, blank=True)
    followed_up_at = models.DateTimeField("回访时间", null=True, blank=True)
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    respond_due_at = models.DateTimeField("响应期限", null=True, blank=True)
    resolve_due_at = models.DateTimeField("办结期限", null=True, blank=True)
    paused_at = models.DateTimeField("挂起时间", null=True, blank=True)
    responded_in_time = models.BooleanField("按时响应", null=True)
    resolved_in_time = models.BooleanField("按时办结", null=True)
    sla_state = models.CharField(
        "时限状态",
        max_length=8,
        blank=True,
        choices=[("", "正常"), ("near", "即将超期"), ("overdue", "已超期")],
    )
    extension_pending = models.BooleanField("延期待批", default=False)

    # Counters kept with the events (figures read them without scanning events).
    return_count = models.PositiveSmallIntegerField("退单次数", default=0)
    reopen_count = models.PositiveSmallIntegerField("重办次数", default=0)
    support_count = models.PositiveIntegerField("附议人数", default=0)
    is_whistled = models.BooleanField("已吹哨", default=False)
    is_supervised = models.BooleanField("督办", default=False)

    # Outcome.
    result = models.TextField("办理结果", blank=True)
    guidance = models.TextField("引导意见", blank=True)
    referral = models.CharField("推荐服务", max_length=200, blank=True)
    rejection_reason = models.CharField("不予受理理由", max_length=300, blank=True)
    satisfaction = models.CharField(
        "满意度", max_length=12, choices=Satisfaction.choices, blank=True
    )
    satisfaction_comment = models.CharField("评价意见", max_length=300, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name="合并至",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_cases",
    )
    # Public results board (示): resolved requests show unless staff hid them with a reason.
    board_hidden = models.BooleanField("不在成果清单公开", default=False)
    board_hidden_reason = models.CharField("隐藏理由", max_length=200, blank=True)
    allow_publish = models.BooleanField("同意在楼院有话公开", default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "诉求"
        verbose_name_plural = "诉求"
        ordering: ClassVar[list[str]] = ["-received_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            # Figures and scoped lists: a unit's requests over a period (range on the path
            # prefix, then the time).
            models.Index(
                fields=["place_path", "received_at"],
                name="cases_case_path_received",
                # Pattern operators so PostgreSQL serves `LIKE 'prefix%'` from the index
                # whatever the database collation (ignored on SQLite).
                opclasses=["varchar_pattern_ops", "timestamptz_ops"],
            ),
            # Queues: open requests by status within a unit.
            models.Index(
                fields=["status", "place_path"],
                name="cases_case_status_path",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
            ),
            # Grid worker's "assigned to me".
            models.Index(fields=["assignee", "status"], name="cases_case_assignee_status"),
            # Rate limits and "my requests" by phone.
            models.Index(fields=["reporter_phone_digest", "received_at"], name="cases_case_phone"),
            models.Index(fields=["source_digest", "received_at"], name="cases_case_source"),
            # The SLA job scans open requests by due time.
            models.Index(fields=["resolve_due_at"], name="cases_case_resolve_due"),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_no} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def audit_scope_path(self) -> str:
        return self.place_path


class CaseEvent(AppendOnlyModel):
    """One step of a request's life (append-only): who, as which post, when, what, a note."""

    SCOPE_PATH = "place_path"
    SCOPE_VIEW_PERM = VIEW

    case = models.ForeignKey(
        Case, verbose_name="诉求", on_delete=models.PROTECT, related_name="events"
    )
    place_path = models.CharField("地点路径", max_length=255)
    action = models.CharField("动作", max_length=20, choices=Action.choices)
    from_status = models.CharField("原状态", max_length=12, blank=True)
    to_status = models.CharField("新状态", max_length=12, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField("操作人", max_length=100, blank=True)
    post_label = models.CharField("岗位", max_length=150, blank=True)
    note = models.TextField("说明", blank=True)
    is_public = models.BooleanField("居民可见", default=True)
    data = models.JSONField("数据", default=dict, blank=True)
    created_at = models.DateTimeField("时间", db_index=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "诉求办理记录"
        verbose_name_plural = "诉求办理记录"
        ordering: ClassVar[list[str]] = ["created_at", "id"]
        indexes: ClassVar[list[models.Index]] = [
            # Figures that count events (returns, reopenings) per unit and period.
            models.Index(
                fields=["place_path", "action", "created_at"],
                name="cases_event_fig",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops", "timestamptz_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"


class CasePhoto(models.Model):
    """A photo of a request: before (submitted), progress, or after (the result)."""

    class Stage(models.TextChoices):
        BEFORE = "before", "反映时"
        PROGRESS = "progress", "办理中"
        AFTER = "after", "办结后"

    public_id = models.UUIDField("公开编号", unique=True)
    case = models.ForeignKey(
        Case, verbose_name="诉求", on_delete=models.PROTECT, related_name="photos"
    )
    event = models.ForeignKey(
        CaseEvent,
        verbose_name="办理记录",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="photos",
    )
    stage = models.CharField("阶段", max_length=10, choices=Stage.choices)
    image = models.ImageField("照片", upload_to="cases/%Y/%m/")
    created_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "诉求照片"
        verbose_name_plural = "诉求照片"
        ordering: ClassVar[list[str]] = ["id"]


class CaseSupporter(models.Model):
    """A resident who reported the same matter (附议 or a merged duplicate's reporter)."""

    case = models.ForeignKey(
        Case, verbose_name="诉求", on_delete=models.PROTECT, related_name="supporters"
    )
    source_case = models.ForeignKey(
        Case,
        verbose_name="被合并的诉求",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    phone_digest = models.CharField("联系电话摘要", max_length=64, blank=True)
    source_digest = models.CharField("来源摘要", max_length=64, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "附议"
        verbose_name_plural = "附议"


class Whistle(PublicModel):
    """吹哨报到: a village/community whistles a request up to the street, which summons
    departments or units to report in."""

    class Outcome(models.TextChoices):
        CLOSED = "closed", "办结"
        COORDINATED = "coordinated", "协调处置"
        UNRESOLVED = "unresolved", "未解决"

    SCOPE_PATH = "place_path"
    SCOPE_VIEW_PERM = VIEW

    case = models.ForeignKey(
        Case, verbose_name="诉求", on_delete=models.PROTECT, related_name="whistles"
    )
    place_path = models.CharField("地点路径", max_length=255, db_index=True)
    street = models.ForeignKey(
        "territory.Unit", verbose_name="街道/乡镇", on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField("吹哨理由")
    is_automatic = models.BooleanField("超期自动吹哨", default=False)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="吹哨人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    raised_at = models.DateTimeField("吹哨时间")
    outcome = models.CharField("结果", max_length=12, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField("结果说明", blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "吹哨"
        verbose_name_plural = "吹哨"
        ordering: ClassVar[list[str]] = ["-raised_at"]


class WhistleSummons(models.Model):
    """One department or unit summoned by a whistle, and its report-in (报到)."""

    whistle = models.ForeignKey(
        Whistle, verbose_name="吹哨", on_delete=models.PROTECT, related_name="summons"
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name="部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    unit = models.ForeignKey(
        "territory.Unit",
        verbose_name="单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    summoned_at = models.DateTimeField("召集时间")
    report_due_at = models.DateTimeField("报到期限")
    reported_at = models.DateTimeField("报到时间", null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="报到人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action_note = models.TextField("采取的措施", blank=True)

    class Meta:
        verbose_name = "召集报到"
        verbose_name_plural = "召集报到"
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=Q(department__isnull=False) | Q(unit__isnull=False),
                name="cases_summons_target",
            )
        ]

    @property
    def target_name(self) -> str:
        return str(self.department or self.unit)


class Mediation(models.Model):
    """A dispute mediation (排查—化解—回访) attached to a request of kind mediation."""

    case = models.OneToOneField(
        Case, verbose_name="诉求", on_delete=models.PROTECT, related_name="mediation"
    )
    dispute_kind = models.CharField("纠纷类型", max_length=40)
    agreement_reached = models.BooleanField("达成调解", null=True)
    agreement = models.TextField("调解协议/结果", blank=True)
    concluded_at = models.DateTimeField("调解结束时间", null=True, blank=True)
    revisit_due_on = models.DateField("回访日期", null=True, blank=True)
    revisited_at = models.DateTimeField("回访时间", null=True, blank=True)
    revisit_note = models.TextField("回访情况", blank=True)
    revisit_stable = models.BooleanField("回访稳定", null=True)

    class Meta:
        verbose_name = "矛盾调解"
        verbose_name_plural = "矛盾调解"


class MediationParty(models.Model):
    """A party to a dispute. Phone protected as everywhere (invariant 3)."""

    mediation = models.ForeignKey(
        Mediation, verbose_name="调解", on_delete=models.PROTECT, related_name="parties"
    )
    role = models.CharField(
        "身份", max_length=12, choices=[("applicant", "申请方"), ("respondent", "被申请方")]
    )
    name = models.CharField("姓名", max_length=50)
    phone_cipher = models.TextField("电话（密文）", blank=True)
    phone_digest = models.CharField("电话摘要", max_length=64, blank=True)
    phone_masked = models.CharField("电话", max_length=20, blank=True)
    resident = models.ForeignKey(
        "people.Resident",
        verbose_name="居民",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "当事人"
        verbose_name_plural = "当事人"


class MediationSession(AppendOnlyModel):
    """One mediation session: a home visit or a meeting."""

    mediation = models.ForeignKey(
        Mediation, verbose_name="调解", on_delete=models.PROTECT, related_name="sessions"
    )
    held_at = models.DateTimeField("时间")
    mode = models.CharField(
        "方式",
        max_length=12,
        choices=[("home", "入户调解"), ("meeting", "会议调解"), ("phone", "电话沟通")],
    )
    mediators = models.CharField("调解人", max_length=200)
    note = models.TextField("情况")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="记录人",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "调解记录"
        verbose_name_plural = "调解记录"
        ordering: ClassVar[list[str]] = ["held_at", "id"]


class Errand(models.Model):
    """An errand done for a resident (帮办、代办、上门办), e.g. pension authentication."""

    case = models.OneToOneField(
        Case, verbose_name="诉求", on_delete=models.PROTECT, related_name="errand"
    )
    service = models.CharField("事项", max_length=60)
    mode = models.CharField(
        "方式",
        max_length=12,
        choices=[("help", "帮办"), ("proxy", "代办"), ("home", "上门办")],
        default="home",
    )
    beneficiary = models.ForeignKey(
        "people.Resident",
        verbose_name="服务对象",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    beneficiary_name = models.CharField("服务对象姓名", max_length=50, blank=True)
    ledger_entry = models.ForeignKey(
        "people.LedgerEntry",
        verbose_name="民生台账",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    done_at = models.DateTimeField("办结时间", null=True, blank=True)

    class Meta:
        verbose_name = "帮办代办"
        verbose_name_plural = "帮办代办"


class Notification(models.Model):
    """A staff member's in-app inbox item."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", "新派遣"
        NEW = "new", "新诉求"
        NEAR_DUE = "near_due", "即将超期"
        OVERDUE = "overdue", "已超期"
        WHISTLED = "whistled", "吹哨"
        SUMMONED = "summoned", "召集报到"
        REOPENED = "reopened", "重新办理"
        RETURNED = "returned", "退单"
        EXTENSION = "extension", "延期申请"
        SUPERVISED = "supervised", "督办"
        REVISIT = "revisit", "调解回访"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    case = models.ForeignKey(
        Case, verbose_name="诉求", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    text = models.CharField("内容", max_length=300)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读", null=True, blank=True)

    class Meta:
        verbose_name = "站内消息"
        verbose_name_plural = "站内消息"
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            # The inbox: a user's unread items, newest first.
            models.Index(fields=["recipient", "read_at", "created_at"], name="cases_notif_inbox"),
        ]


class OutboundMessage(models.Model):
    """What an outbound channel (SMS, WeChat template) sent, or would have sent."""

    channel = models.CharField("渠道", max_length=16)
    to_digest = models.CharField("接收号码摘要", max_length=64, blank=True)
    to_masked = models.CharField("接收号码", max_length=20, blank=True)
    template = models.CharField("模板", max_length=40)
    payload = models.JSONField("内容", default=dict)
    case = models.ForeignKey(
        Case, verbose_name="诉求", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField("状态", max_length=12, default="recorded")
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "外发消息"
        verbose_name_plural = "外发消息"


class ResidentLogin(models.Model):
    """A one-time code sent to a resident's registered phone to open the residents' pages
    behind the phone (services.residents: 积分、议事、兑换、认领微任务). Only digests are kept:
    of the phone and of the code."""

    phone_digest = models.CharField("手机号摘要", max_length=64, db_index=True)
    code_digest = models.CharField("验证码摘要", max_length=64)
    created_at = models.DateTimeField("发送时间", db_index=True)
    expires_at = models.DateTimeField("有效期至")
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = "居民验证码"
        verbose_name_plural = "居民验证码"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M}"


class CaseReport(PublicModel):
    """A generated weekly (grid) or monthly (village/community) report: figures + files."""

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = VIEW

    unit = models.ForeignKey(
        "territory.Unit", verbose_name="单位", on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField(
        "周期", max_length=8, choices=[("week", "每周汇总"), ("month", "每月通报")]
    )
    date_from = models.DateField("起")
    date_to = models.DateField("止")
    figures = models.JSONField("数据")
    xlsx = models.FileField("Excel", upload_to="case-reports/%Y/", blank=True)
    pdf = models.FileField("PDF", upload_to="case-reports/%Y/", blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "诉求报表"
        verbose_name_plural = "诉求报表"
        ordering: ClassVar[list[str]] = ["-date_from", "unit__path"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["unit", "period", "date_from"], name="cases_report_unique"
            )
        ]


class CaseSettings(Audited, TimeStampedModel):
    """Deployment-wide rules for requests (one row, edited by authorised staff; defaults
    from REFERENCE.md). Read through `services.config.case_settings()`."""

    basic_satisfied_weight = models.DecimalField(
        "基本满意折算系数", max_digits=3, decimal_places=2, default=0.9
    )
    weight_response = models.DecimalField(
        "综合分：响应率权重", max_digits=3, decimal_places=2, default=0.1
    )
    weight_resolution = models.DecimalField(
        "综合分：解决率权重", max_digits=3, decimal_places=2, default=0.5
    )
    weight_satisfaction = models.DecimalField(
        "综合分：满意率权重", max_digits=3, decimal_places=2, default=0.4
    )
    auto_whistle_overdue_hours = models.PositiveIntegerField(
        "超期多少工作小时自动吹哨（0=不自动）", default=0
    )
    summons_report_hours = models.PositiveIntegerField("部门报到时限（工作小时）", default=4)
    supervise_reopen_count = models.PositiveSmallIntegerField("重办几次进入督办", default=2)
    mediation_revisit_days = models.PositiveSmallIntegerField("调解后几天回访", default=7)
    public_per_source_hour = models.PositiveSmallIntegerField("同一网络每小时最多提交", default=10)
    public_per_phone_day = models.PositiveSmallIntegerField("同一手机号每天最多提交", default=5)
    duplicate_window_days = models.PositiveSmallIntegerField("疑似重复：最近几天", default=7)
    # db_default too: rows inserted without the column (the settings row that
    # 0002_default_categories_and_time_limits creates, replayed by tests after a flush) get it.
    login_codes_per_phone_hour = models.PositiveSmallIntegerField(
        "同一手机号每小时最多获取验证码", default=5, db_default=5
    )

    class Meta:
        verbose_name = "诉求办理设置"
        verbose_name_plural = "诉求办理设置"

    def __str__(self) -> str:
        return "诉求办理设置"
