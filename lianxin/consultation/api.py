"""JSON API of consultation (Ninja router mounted at /api/consultation, token auth;
docs/api.md): meetings with their agenda, outcomes and quorum; decisions with their progress;
the secretaries' pledges; and, for integrations (a sign-in kiosk, a voting pad), recording an
attendance and a ballot.

`request.auth` is the Actor of the token's account. Every read starts from
`<Model>.objects.visible_to(actor, consultation.view)`, so a meeting, item or decision outside
the account's units answers 404 exactly like one that does not exist. Writes go through
`services.meetings.attendance_record` and `services.votes.ballot_record` (they need
`consultation.run`): a refusal answers 400 ``{"detail", "field"}`` in the words the pages use,
a second sign-in or a second ballot of the same elector 409 (the unique constraint spoke), a
missing permission 403. Electors leave as their keys only (``household:12``, ``resident:5``,
``member:7``); names never leave through this API.

No ``from __future__ import annotations`` here: Ninja builds its parameter models from the
annotations of the @paginate-wrapped functions.
"""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, TypeVar

from django.db import IntegrityError
from django.db.models import Count, F, Model, Prefetch, Q, QuerySet
from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from lianxin.consultation import workflow as wf
from lianxin.consultation.models import (
    AgendaItem,
    Decision,
    Meeting,
    Milestone,
    Minutes,
    Pledge,
    PledgeItem,
)
from lianxin.consultation.services import meetings, votes
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.core.http import ApiRequest
from lianxin.territory.models import Unit

try:  # django-ninja >= 1.6 answers other statuses with Status(...); older ones take a tuple
    from ninja import Status as _Answer
except ImportError:  # pragma: no cover

    def _Answer(status: int, body: Any) -> Any:  # type: ignore[no-redef]  # noqa: N802
        return status, body


router = Router(tags=["协商议事"])
T = TypeVar("T", bound=Model)
MAX_LIMIT = 200


# --- schemas ---------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str = Field(description="错误说明，可直接展示给用户")
    field: str | None = Field(None, description="出错的输入项（如 elector_key、choice）")


class MeetingOut(Schema):
    public_id: uuid.UUID = Field(description="会议公开编号")
    title: str = Field(description="会议名称")
    unit_code: str = Field(description="村（社区）编码")
    unit_name: str = Field(description="村（社区）名称")
    place_code: str | None = Field(description="网格/楼院编码（楼院会议）")
    meeting_type: str = Field(description="会议类型代码，如 resident_council、village_reps")
    meeting_type_name: str = Field(description="会议类型名称")
    electorate: str = Field(description="参会人员：households / residents / representatives …")
    venue: str | None = Field(description="议事场所")
    starts_at: dt.datetime = Field(description="开始时间")
    status: str = Field(
        description="planned 已预告 / open 进行中 / closed 已结束 / cancelled 已取消"
    )
    status_label: str = Field(description="状态（中文）")
    is_public: bool = Field(description="向居民公开")
    eligible_count: int | None = Field(description="应到人数（开会时冻结）")
    present_count: int = Field(description="已签到人数")
    version: int = Field(description="版本号")

    @staticmethod
    def resolve_unit_code(obj: Meeting) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_unit_name(obj: Meeting) -> str:
        return obj.unit.display_name

    @staticmethod
    def resolve_place_code(obj: Meeting) -> str | None:
        return obj.place.code if obj.place is not None else None

    @staticmethod
    def resolve_meeting_type(obj: Meeting) -> str:
        return obj.meeting_type.code

    @staticmethod
    def resolve_meeting_type_name(obj: Meeting) -> str:
        return obj.meeting_type.name

    @staticmethod
    def resolve_electorate(obj: Meeting) -> str:
        return obj.meeting_type.electorate

    @staticmethod
    def resolve_venue(obj: Meeting) -> str | None:
        return obj.venue.name if obj.venue is not None else None

    @staticmethod
    def resolve_status_label(obj: Meeting) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_present_count(obj: Meeting) -> int:
        return int(getattr(obj, "present", 0))


class QuorumOut(Schema):
    eligible: int = Field(description="应到人数")
    present: int = Field(description="已签到人数")
    required: int = Field(description="法定人数（须到会人数）")
    met: bool = Field(description="是否达到法定人数")
    rule: str = Field(description="法定人数规则（中文）")


class ItemOut(Schema):
    public_id: uuid.UUID = Field(description="议程公开编号（表决接口用）")
    order: int = Field(description="序号")
    title: str = Field(description="议题")
    source: str = Field(description="来源：staff / case / proposal / matter")
    status: str = Field(
        description="pending 待审议 / voting 表决中 / passed 通过 / rejected 未通过 / "
        "discussed 已议（不表决） / deferred 暂缓"
    )
    status_label: str = Field(description="状态（中文）")
    electorate: str = Field(description="表决人员（空为会议的参会人员）")
    threshold: str = Field(description="表决规则：majority / two_thirds / share")
    threshold_label: str = Field(description="表决规则（中文），如 三分之二以上同意")
    base: str = Field(description="计票基数：cast / present / eligible")
    allow_online: bool = Field(description="允许线上表决")
    eligible_count: int | None = Field(description="有表决权人数（开始表决时冻结）")
    present_count: int | None = Field(description="结束表决时的到会人数")
    ballot_count: int = Field(description="已投票数")
    yes_count: int = Field(description="同意（结束表决后）")
    no_count: int = Field(description="反对（结束表决后）")
    abstain_count: int = Field(description="弃权（结束表决后）")
    support_rate: Decimal | None = Field(description="支持率（0–1，四位小数）")
    outcome_note: str = Field(description="议定结果")
    decided_at: dt.datetime | None = Field(description="议定时间")
    version: int = Field(description="版本号")

    @staticmethod
    def resolve_status_label(obj: AgendaItem) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_threshold_label(obj: AgendaItem) -> str:
        return wf.threshold_label(obj.threshold, obj.threshold_share)


class MeetingDetailOut(MeetingOut):
    quorum: QuorumOut = Field(description="法定人数：应到、实到、须到")
    items: list[ItemOut] = Field(description="议程，按序号")
    minutes_locked: bool = Field(description="会议记录已定稿")
    minutes_digest: str | None = Field(description="定稿摘要（sha256）")

    # meeting_detail puts what the detail adds on the meeting as api_* attributes.
    @staticmethod
    def resolve_quorum(obj: Meeting) -> dict[str, Any]:
        return obj.api_quorum  # type: ignore[attr-defined,no-any-return]

    @staticmethod
    def resolve_items(obj: Meeting) -> list[AgendaItem]:
        return obj.api_items  # type: ignore[attr-defined,no-any-return]

    @staticmethod
    def resolve_minutes_locked(obj: Meeting) -> bool:
        return obj.api_minutes is not None and obj.api_minutes.locked_at is not None  # type: ignore[attr-defined]

    @staticmethod
    def resolve_minutes_digest(obj: Meeting) -> str | None:
        minutes = obj.api_minutes  # type: ignore[attr-defined]
        return (minutes.digest or None) if minutes is not None and minutes.locked_at else None


class MilestoneOut(Schema):
    order: int = Field(description="序号")
    title: str = Field(description="节点")
    due_on: dt.date = Field(description="计划完成")
    done_on: dt.date | None = Field(description="完成日期")
    progress: int = Field(description="进度（0–100）")


class DecisionOut(Schema):
    public_id: uuid.UUID = Field(description="议定事项公开编号")
    title: str = Field(description="事项")
    unit_code: str = Field(description="村（社区）编码")
    unit_name: str = Field(description="村（社区）名称")
    status: str = Field(description="in_progress 落实中 / done 已落实 / cancelled 已撤销")
    status_label: str = Field(description="状态（中文）")
    responsible: str = Field(description="责任单位")
    project: str = Field(description="关联项目")
    decided_on: dt.date = Field(description="决定日期")
    due_on: dt.date = Field(description="计划完成")
    done_on: dt.date | None = Field(description="完成日期")
    on_time: bool | None = Field(description="按期完成（完成后才有）")
    progress: int = Field(description="进度（0–100，各节点进度的平均）")
    is_public: bool = Field(description="向居民公开")
    item_id: uuid.UUID | None = Field(description="来源议程的公开编号")
    milestones: list[MilestoneOut] = Field(description="落实节点")

    @staticmethod
    def resolve_unit_code(obj: Decision) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_unit_name(obj: Decision) -> str:
        return obj.unit.display_name

    @staticmethod
    def resolve_status_label(obj: Decision) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_item_id(obj: Decision) -> uuid.UUID | None:
        return obj.item.public_id if obj.item is not None else None

    @staticmethod
    def resolve_milestones(obj: Decision) -> list[Milestone]:
        return list(obj.milestones.all())


class PledgeItemOut(Schema):
    order: int = Field(description="序号")
    title: str = Field(description="承诺事项")
    measure: str = Field(description="措施与时限")
    due_on: dt.date | None = Field(description="承诺完成")
    fulfilment: str = Field(description="not_started 未启动 / in_progress 推进中 / done 已兑现")
    report_count: int = Field(description="践诺（述诺）报告数")

    @staticmethod
    def resolve_report_count(obj: PledgeItem) -> int:
        return int(getattr(obj, "reports_n", 0))


class PledgeOut(Schema):
    public_id: uuid.UUID = Field(description="三诺公开编号")
    unit_code: str = Field(description="村（社区）编码")
    unit_name: str = Field(description="村（社区）名称")
    year: int = Field(description="年度")
    secretary_name: str = Field(description="书记姓名")
    stage: str = Field(
        description="draft 草拟中 / published 已亮诺 / reported 已践诺（年中） / "
        "evaluating 评诺中 / evaluated 已评诺"
    )
    stage_label: str = Field(description="阶段（中文）")
    published_at: dt.datetime | None = Field(description="亮诺时间")
    reported_at: dt.datetime | None = Field(description="全部事项完成年中践诺的时间")
    evaluated_at: dt.datetime | None = Field(description="评诺完成时间")
    score_count: int = Field(description="评议人数")
    average_score: Decimal | None = Field(description="平均得分（0–100，两位小数）")
    items: list[PledgeItemOut] = Field(description="承诺事项")

    @staticmethod
    def resolve_unit_code(obj: Pledge) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_unit_name(obj: Pledge) -> str:
        return obj.unit.display_name

    @staticmethod
    def resolve_stage_label(obj: Pledge) -> str:
        return obj.get_stage_display()

    @staticmethod
    def resolve_items(obj: Pledge) -> list[PledgeItem]:
        return list(obj.items.all())


class MeetingFilter(Schema):
    unit: str = Field("", description="区划单元编码：只看该单元及其下级的会议")
    status: str = Field("", description="状态代码，多个用逗号分隔，如 planned,open")
    type: str = Field("", description="会议类型代码，如 resident_reps")
    starts_from: dt.date | None = Field(None, description="开始日期起（含）")
    starts_to: dt.date | None = Field(None, description="开始日期止（含）")


class DecisionFilter(Schema):
    unit: str = Field("", description="区划单元编码（含下级）")
    status: str = Field("", description="状态代码：in_progress、done、cancelled")
    overdue: bool = Field(False, description="只看逾期：落实中且已过计划完成日，或晚于计划完成")


class PledgeFilter(Schema):
    unit: str = Field("", description="区划单元编码（含下级）")
    year: int | None = Field(None, description="年度")
    stage: str = Field("", description="阶段代码，多个用逗号分隔")


class AttendanceIn(Schema):
    elector_key: str = Field(
        description="参会人标识：household:<id>（户代表）、resident:<id>（居民、代表）、"
        "member:<id>（党员）、user:<id>（两委成员），须在本次会议的参会人员范围内"
    )


class AttendanceOut(Schema):
    meeting_id: uuid.UUID = Field(description="会议公开编号")
    elector_key: str = Field(description="参会人标识")
    method: str = Field(description="签到方式：staff 工作人员登记")
    at: dt.datetime = Field(description="签到时间")
    quorum: QuorumOut = Field(description="签到后的法定人数情况")


class BallotIn(Schema):
    elector_key: str = Field(description="投票人标识（同签到），须对本议题有表决权")
    choice: str = Field(description="yes 同意 / no 反对 / abstain 弃权")


class BallotOut(Schema):
    item_id: uuid.UUID = Field(description="议程公开编号")
    elector_key: str = Field(description="投票人标识")
    choice: str = Field(description="表决")
    channel: str = Field(description="in_person 现场表决")
    at: dt.datetime = Field(description="时间")
    ballot_count: int = Field(description="该议题已投票数")


ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


# --- selectors (every read starts from the actor's scope) ------------------------------------


def meetings_for(request: ApiRequest) -> QuerySet[Meeting]:
    """Meetings under the account's `consultation.view` posts, newest first, with sign-ins."""
    return (
        Meeting.objects.visible_to(request.auth, wf.VIEW)
        .select_related("unit", "place", "meeting_type", "venue")
        .annotate(present=Count("attendances"))
        .order_by("-starts_at", "-id")
    )


def _one(qs: QuerySet[T], public_id: uuid.UUID) -> T:
    """One row of a scoped queryset by public id; 404 when absent or outside the scope."""
    row = qs.filter(public_id=public_id).first()
    if row is None:
        raise Http404("不存在或无权访问")
    return row


def _under(qs: QuerySet[T], lookup: str, code: str) -> QuerySet[T]:
    path = Unit.objects.filter(code=code.strip()).values_list("path", flat=True).first()
    return qs.filter(**{f"{lookup}__startswith": path}) if path else qs.none()


def _codes(value: str) -> list[str]:
    return [s.strip() for s in value.split(",") if s.strip()]


def _error(exc: DomainError, field: str | None = None) -> dict[str, Any]:
    return {"detail": exc.message, "field": field or exc.field}


def _quorum(meeting: Meeting, *, present: int | None = None) -> dict[str, Any]:
    q = meetings.meeting_quorum(meeting, present=present)
    return {
        "eligible": q.eligible,
        "present": q.present,
        "required": q.required,
        "met": q.met,
        "rule": q.rule_label,
    }


def _refusal(exc: DomainError) -> Any:
    """A service's refusal as an answer: a duplicate (the unique constraint) is 409, the
    elector named as `elector_key` (the services call it `elector`)."""
    field = "elector_key" if exc.field == "elector" else exc.field
    if isinstance(exc, PermissionDenied):
        return _Answer(403, _error(exc, field))
    if isinstance(exc, Conflict) or isinstance(exc.__cause__, IntegrityError):
        return _Answer(409, _error(exc, field))
    return _Answer(400, _error(exc, field))


# --- meetings --------------------------------------------------------------------------------


@router.get("/meetings", response=list[MeetingOut], url_name="consultation_meeting_list")
@paginate(LimitOffsetPagination, max_limit=MAX_LIMIT)
def meeting_list(request: ApiRequest, filters: Query[MeetingFilter]) -> Any:
    """本账号范围内的议事会议，新的在前；按单元 `unit`（含下级）、状态 `status`、会议类型
    `type`、开始日期筛选，`limit`/`offset` 分页（每页最多200条）。"""
    qs = meetings_for(request)
    if filters.unit:
        qs = _under(qs, "unit__path", filters.unit)
    if filters.status:
        qs = qs.filter(status__in=_codes(filters.status))
    if filters.type:
        qs = qs.filter(meeting_type__code=filters.type.strip())
    if filters.starts_from:
        qs = qs.filter(starts_at__date__gte=filters.starts_from)
    if filters.starts_to:
        qs = qs.filter(starts_at__date__lte=filters.starts_to)
    return qs


@router.get(
    "/meetings/{public_id}",
    response={200: MeetingDetailOut, 404: ErrorOut},
    url_name="consultation_meeting_detail",
)
def meeting_detail(request: ApiRequest, public_id: uuid.UUID) -> Any:
    """一次会议：议程（含表决结果与支持率）、法定人数（应到、实到、须到）、记录是否定稿。"""
    meeting = _one(meetings_for(request), public_id)
    meeting.api_items = list(  # type: ignore[attr-defined]
        AgendaItem.objects.filter(meeting=meeting).order_by("order", "id")
    )
    meeting.api_minutes = (  # type: ignore[attr-defined]
        Minutes.objects.filter(meeting=meeting).only("locked_at", "digest").first()
    )
    meeting.api_quorum = _quorum(meeting, present=meeting.present)  # type: ignore[attr-defined]
    return meeting


@router.post(
    "/meetings/{public_id}/attendance",
    response={201: AttendanceOut, **ERRORS},
    url_name="consultation_meeting_attendance",
)
def attendance_create(request: ApiRequest, public_id: uuid.UUID, payload: AttendanceIn) -> Any:
    """登记签到（须有该村（社区）的 `consultation.run` 权限，会议须在进行中）：不在参会人员
    范围内返回 400（`field`: elector_key），已签到返回 409。"""
    meeting = _one(meetings_for(request), public_id)
    try:
        row = meetings.attendance_record(
            actor=request.auth, meeting=meeting, elector_key=payload.elector_key.strip()
        )
    except DomainError as exc:
        return _refusal(exc)
    return _Answer(
        201,
        {
            "meeting_id": meeting.public_id,
            "elector_key": row.elector_key,
            "method": row.method,
            "at": row.at,
            "quorum": _quorum(meeting),
        },
    )


# --- votes -----------------------------------------------------------------------------------


@router.post(
    "/items/{public_id}/ballots",
    response={201: BallotOut, **ERRORS},
    url_name="consultation_item_ballot",
)
def ballot_create(request: ApiRequest, public_id: uuid.UUID, payload: BallotIn) -> Any:
    """登记一张现场表决票（`consultation.run`，议题须在表决中）：无表决权返回 400
    （`field`: elector_key），表决选项不对返回 400（`field`: choice），已投过票返回 409。"""
    item = _one(
        AgendaItem.objects.visible_to(request.auth, wf.VIEW).select_related(
            "meeting__unit", "meeting__meeting_type", "meeting__place"
        ),
        public_id,
    )
    try:
        ballot = votes.ballot_record(
            actor=request.auth,
            item=item,
            elector_key=payload.elector_key.strip(),
            choice=payload.choice.strip(),
        )
    except DomainError as exc:
        return _refusal(exc)
    count = AgendaItem.objects.filter(pk=item.pk).values_list("ballot_count", flat=True).get()
    return _Answer(
        201,
        {
            "item_id": item.public_id,
            "elector_key": ballot.elector_key,
            "choice": ballot.choice,
            "channel": ballot.channel,
            "at": ballot.at,
            "ballot_count": count,
        },
    )


# --- decisions -------------------------------------------------------------------------------


@router.get("/decisions", response=list[DecisionOut], url_name="consultation_decision_list")
@paginate(LimitOffsetPagination, max_limit=MAX_LIMIT)
def decision_list(request: ApiRequest, filters: Query[DecisionFilter]) -> Any:
    """本账号范围内的议定事项及其落实进度和节点，新决定的在前；按单元、状态、是否逾期筛选。"""
    qs = (
        Decision.objects.visible_to(request.auth, wf.VIEW)
        .select_related("unit", "item")
        .prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.order_by("order", "id"))
        )
        .order_by("-decided_on", "-id")
    )
    if filters.unit:
        qs = _under(qs, "unit__path", filters.unit)
    if filters.status:
        qs = qs.filter(status__in=_codes(filters.status))
    if filters.overdue:
        today = clock.now().date()
        qs = qs.filter(
            Q(status=Decision.Status.IN_PROGRESS, due_on__lt=today)
            | Q(status=Decision.Status.DONE, done_on__gt=F("due_on"))
        )
    return qs


# --- pledges ---------------------------------------------------------------------------------


@router.get("/pledges", response=list[PledgeOut], url_name="consultation_pledge_list")
@paginate(LimitOffsetPagination, max_limit=MAX_LIMIT)
def pledge_list(request: ApiRequest, filters: Query[PledgeFilter]) -> Any:
    """本账号范围内的书记三诺（年初亮诺、年中践诺、年底评诺），新的年度在前；含承诺事项及其
    兑现情况、评诺人数与平均分（不含评议人）。按单元、年度、阶段筛选。"""
    items = PledgeItem.objects.annotate(reports_n=Count("reports")).order_by("order", "id")
    qs = (
        Pledge.objects.visible_to(request.auth, wf.VIEW)
        .select_related("unit")
        .prefetch_related(Prefetch("items", queryset=items))
        .order_by("-year", "unit__path", "id")
    )
    if filters.unit:
        qs = _under(qs, "unit__path", filters.unit)
    if filters.year:
        qs = qs.filter(year=filters.year)
    if filters.stage:
        qs = qs.filter(stage__in=_codes(filters.stage))
    return qs
