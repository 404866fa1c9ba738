"""JSON API for requests (Ninja router mounted at /api/cases, token auth; docs/api.md).

`request.auth` is the Actor of the token's account. Every read starts from
`selectors.cases_for(actor)`, so a request outside the account's scope answers 404 exactly like
one that does not exist. Writes go through the lifecycle services: a refused action answers
400 ``{"detail", "field"}``, a missing permission 403, a stale `version` 409 (someone acted
first), in the same words the pages show. Reporter data leaves masked only.

No ``from __future__ import annotations`` here: Ninja builds its parameter models from the
annotations of the @paginate-wrapped functions.
"""

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from lianxin.accounts.actor import Actor
from lianxin.cases import selectors
from lianxin.cases import workflow as wf
from lianxin.cases.models import Case, CaseEvent, Category, MediationTeam
from lianxin.cases.services import intake, lifecycle, whistles
from lianxin.cases.workflow import Action
from lianxin.core.crypto import mask_name
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.core.http import ApiRequest
from lianxin.territory.models import Unit

try:  # django-ninja >= 1.6 answers other statuses with Status(...); older ones take a tuple
    from ninja import Status as _Answer
except ImportError:  # pragma: no cover

    def _Answer(status: int, body: Any) -> Any:  # type: ignore[no-redef]  # noqa: N802
        return status, body


router = Router(tags=["诉求"])
MAX_LIMIT = 200


# --- schemas ---------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str = Field(description="错误说明，可直接展示给用户")
    field: str | None = Field(
        None, description="出错的输入项（如 version、level、note），没有则为空"
    )


class CategoryOut(Schema):
    code: str = Field(description="类别编码（也是 Open311 的 service_code）")
    name: str = Field(description="类别名称")
    parent_code: str | None = Field(description="上级类别编码，顶级为空")
    help_text: str = Field(description="填写提示")
    keywords: list[str] = Field(description="自动归类用的关键词")
    default_level: str = Field(description="默认三事分流：big 大事 / small 小事 / private 私事")
    default_urgency: str = Field(
        description="默认时限类别：danger 紧急 / utility 水电气暖 / general 一般 / complex 复杂"
    )
    default_handler_kind: str = Field(
        description="默认承办单位类型：grid / village / township / department / team"
    )
    is_public: bool = Field(description="居民提交时可选")

    @staticmethod
    def resolve_parent_code(obj: Category) -> str | None:
        return obj.parent.code if obj.parent is not None else None

    @staticmethod
    def resolve_keywords(obj: Category) -> list[str]:
        return obj.keywords.split()


class CaseOut(Schema):
    public_id: uuid.UUID = Field(description="诉求公开编号（UUID）")
    tracking_no: str = Field(description="受理编号（告知居民的编号）")
    version: int = Field(description="版本号：办理操作须原样带回，已变化则返回 409")
    kind: str = Field(description="类型：ordinary 诉求 / mediation 矛盾调解 / errand 帮办代办")
    channel: str = Field(description="来源渠道，如 qr、phone、walk_in、open311")
    status: str = Field(description="状态代码，见 status_label")
    status_label: str = Field(description="状态（中文）")
    level: str = Field(description="三事分流：big / small / private，未分流为空")
    urgency: str = Field(description="时限类别：danger / utility / general / complex")
    title: str = Field(description="标题（诉求内容的第一句）")
    category_code: str | None = Field(description="类别编码")
    category_name: str | None = Field(description="类别名称")
    unit_code: str = Field(description="发生地点（楼栋、网格或村/社区）编码")
    unit_name: str = Field(description="发生地点名称")
    handler_unit_name: str | None = Field(description="承办单位")
    handler_department_name: str | None = Field(description="承办部门")
    assignee_name: str | None = Field(description="承办人")
    received_at: dt.datetime = Field(description="受理时间")
    accepted_at: dt.datetime | None = Field(description="响应时间")
    assigned_at: dt.datetime | None = Field(description="派遣时间（办结时限由此起算）")
    resolved_at: dt.datetime | None = Field(description="办结时间")
    closed_at: dt.datetime | None = Field(description="结案时间")
    respond_due_at: dt.datetime | None = Field(description="响应期限")
    resolve_due_at: dt.datetime | None = Field(description="办结期限")
    sla_state: str = Field(description="时限状态：空=正常，near 即将超期，overdue 已超期")
    is_whistled: bool = Field(description="已吹哨")
    is_supervised: bool = Field(description="已督办")
    extension_pending: bool = Field(description="有待审批的延期申请")
    support_count: int = Field(description="也反映了此问题的人数（附议、合并）")
    return_count: int = Field(description="退单次数")
    reopen_count: int = Field(description="重办次数")

    @staticmethod
    def resolve_status_label(obj: Case) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_category_code(obj: Case) -> str | None:
        return obj.category.code if obj.category is not None else None

    @staticmethod
    def resolve_category_name(obj: Case) -> str | None:
        return obj.category.name if obj.category is not None else None

    @staticmethod
    def resolve_unit_code(obj: Case) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_unit_name(obj: Case) -> str:
        return obj.unit.display_name

    @staticmethod
    def resolve_handler_unit_name(obj: Case) -> str | None:
        return obj.handler_unit.display_name if obj.handler_unit is not None else None

    @staticmethod
    def resolve_handler_department_name(obj: Case) -> str | None:
        return obj.handler_department.name if obj.handler_department is not None else None

    @staticmethod
    def resolve_assignee_name(obj: Case) -> str | None:
        return str(obj.assignee) if obj.assignee is not None else None


class CaseDetailOut(CaseOut):
    description: str = Field(description="诉求内容")
    address_text: str = Field(description="具体位置")
    reporter_name: str = Field(description="反映人（脱敏，如 张*）")
    reporter_phone_masked: str = Field(description="联系电话（脱敏，如 138****5678）")
    result: str = Field(description="办理结果")
    guidance: str = Field(description="引导意见（私事）")
    referral: str = Field(description="推荐服务（私事）")
    rejection_reason: str = Field(description="不予受理理由")
    outcome: str = Field(description="结案方式：resolved / guided / rejected / merged")
    satisfaction: str = Field(description="满意度：satisfied / basic / unsatisfied")
    satisfaction_comment: str = Field(description="评价意见")
    merged_into: str | None = Field(description="合并到的诉求受理编号")
    allow_publish: bool = Field(description="居民同意公开")
    board_hidden: bool = Field(description="不在成果清单公开")
    actions: list[str] = Field(
        description="当前账号此刻可以执行的办理操作（与下方各操作接口的路径名一致）"
    )

    @staticmethod
    def resolve_reporter_name(obj: Case) -> str:
        return mask_name(obj.reporter_name)

    @staticmethod
    def resolve_merged_into(obj: Case) -> str | None:
        return obj.merged_into.tracking_no if obj.merged_into is not None else None

    @staticmethod
    def resolve_actions(obj: Case) -> list[str]:
        return list(getattr(obj, "api_actions", []))


class EventOut(Schema):
    action: str = Field(description="动作代码")
    action_label: str = Field(description="动作（中文）")
    from_status: str = Field(description="原状态")
    to_status: str = Field(description="新状态")
    actor: str = Field(description="操作人（居民提交时为“居民”）")
    post: str = Field(description="操作人岗位")
    note: str = Field(description="说明")
    is_public: bool = Field(description="居民在查询页能看到这一步")
    created_at: dt.datetime = Field(description="时间")

    @staticmethod
    def resolve_action_label(obj: CaseEvent) -> str:
        return obj.get_action_display()

    @staticmethod
    def resolve_actor(obj: CaseEvent) -> str:
        return obj.actor_label

    @staticmethod
    def resolve_post(obj: CaseEvent) -> str:
        return obj.post_label


class CaseFilter(Schema):
    status: str = Field("", description="状态代码，多个用逗号分隔，如 received,accepted")
    level: str = Field("", description="三事分流：big / small / private")
    category: str = Field("", description="类别编码（含下级类别）")
    unit: str = Field("", description="区划单元编码：只看该单元及其下级的诉求")
    received_from: dt.date | None = Field(None, description="受理日期起（含），YYYY-MM-DD")
    received_to: dt.date | None = Field(None, description="受理日期止（含），YYYY-MM-DD")
    sla_state: str = Field("", description="时限状态：near 即将超期 / overdue 已超期 / normal 正常")


class CaseFileIn(Schema):
    unit: str = Field(description="发生地点编码（楼栋、网格或村/社区）")
    description: str = Field(description="诉求内容（5–2000字）")
    channel: str = Field(
        description="来源渠道（必填）：phone 电话 / walk_in 来访 / visit 走访 / patrol 巡查发现 / "
        "rider 骑手随手拍 / building_leader 楼栋长登记"
    )
    category: str = Field("", description="类别编码")
    level: str = Field("", description="三事分流：big / small / private，可不填")
    urgency: str = Field("", description="时限类别，可不填（按类别默认）")
    name: str = Field("", description="反映人姓名")
    phone: str = Field("", description="反映人电话（加密保存，只以脱敏形式返回）")
    address_text: str = Field("", description="具体位置，如单元、楼层")


class VersionIn(Schema):
    version: int = Field(description="看到的诉求版本号（CaseOut.version）；已被他人改动则返回 409")


class NoteIn(VersionIn):
    note: str = Field("", description="说明")


class RequiredNoteIn(VersionIn):
    note: str = Field(description="说明（必填）")


class ReasonIn(VersionIn):
    reason: str = Field(description="理由（必填）")


class TriageIn(VersionIn):
    level: str = Field(description="三事分流：big 大事 / small 小事 / private 私事")
    category: str = Field("", description="改为此类别编码，不填不变")
    urgency: str = Field("", description="改为此时限类别，不填不变")
    note: str = Field("", description="说明")


class AssignIn(VersionIn):
    handler_unit: str = Field("", description="承办单位编码；四项都不填时按派遣规则自动派遣")
    department: uuid.UUID | None = Field(None, description="承办部门公开编号")
    team: uuid.UUID | None = Field(None, description="调解组织公开编号")
    assignee: uuid.UUID | None = Field(None, description="承办人账号公开编号")
    note: str = Field("", description="说明")


class ResolveIn(VersionIn):
    result: str = Field(description="办理结果（必填，居民可见）")


class FollowUpIn(VersionIn):
    satisfaction: str = Field(
        description="满意度：satisfied 满意 / basic 基本满意 / unsatisfied 不满意"
    )
    comment: str = Field("", description="回访意见（不满意时必填，诉求将重新办理）")


class GuideIn(VersionIn):
    guidance: str = Field(description="引导意见（必填）")
    referral: str = Field("", description="推荐的合作或市场服务")


class MergeIn(VersionIn):
    into: str = Field(description="合并到的诉求：受理编号或公开编号")


class ExtensionIn(VersionIn):
    days: int = Field(description="延期工作日数（1–30）")
    reason: str = Field(description="延期理由（必填）")


class ExtensionDecisionIn(VersionIn):
    approve: bool = Field(description="true 批准 / false 不批准")
    note: str = Field("", description="审批意见（不批准时必填）")


# --- helpers ---------------------------------------------------------------------------------

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
# The API action names (paths) and the lifecycle actions they take, for `actions`.
API_ACTIONS: dict[str, str] = {
    "accept": Action.ACCEPT,
    "triage": Action.TRIAGE,
    "assign": Action.ASSIGN,
    "take": Action.TAKE,
    "progress": Action.PROGRESS,
    "return": Action.RETURN,
    "resolve": Action.RESOLVE,
    "follow_up": Action.FOLLOW_UP,
    "close": Action.CLOSE,
    "guide": Action.GUIDE,
    "reject": Action.REJECT,
    "merge": Action.MERGE,
    "supervise": Action.SUPERVISE,
    "whistle": Action.WHISTLE,
    "extension_request": Action.EXTENSION_REQUEST,
    "extension_decide": Action.EXTENSION_APPROVE,
    "suspend": Action.SUSPEND,
    "resume": Action.RESUME,
}


def _find(actor: Actor, ref: str) -> Case | None:
    """A request in scope by public id or tracking number (None when absent or outside)."""
    ref = (ref or "").strip()
    try:
        return selectors.case_get(actor, public_id=uuid.UUID(ref))
    except ValueError:
        pass
    except Http404:
        return None
    return (
        selectors.cases_for(actor)
        .select_related(*selectors.LIST_RELATED, "merged_into")
        .filter(tracking_no=ref.upper())
        .first()
    )


def _case(actor: Actor, ref: str) -> Case:
    case = _find(actor, ref)
    if case is None:
        raise Http404("不存在或无权访问")
    return case


def _detail(actor: Actor, case: Case) -> Case:
    """The request as stored now, with the actions this actor may take on it."""
    try:
        fresh = selectors.case_get(actor, public_id=case.public_id)
    except Http404:  # the action took it out of the actor's scope (e.g. returned by a department)
        fresh = case
    allowed = []
    for name, action in API_ACTIONS.items():
        rule = wf.RULES[action]
        if name == "extension_request" and fresh.extension_pending:
            continue
        if name == "extension_decide" and not fresh.extension_pending:
            continue
        if fresh.status in rule.sources and lifecycle.actor_may(actor, fresh, rule.perm):
            allowed.append(name)
    fresh.api_actions = allowed  # type: ignore[attr-defined]
    return fresh


def _error(exc: DomainError, fields: dict[str, str] | None = None) -> dict[str, Any]:
    field = exc.field
    if field and fields:
        field = fields.get(field, field)
    return {"detail": exc.message, "field": field}


def _act(
    actor: Actor,
    case: Case,
    action: Callable[[], object],
    *,
    fields: dict[str, str] | None = None,
) -> Any:
    """Run one service call and answer the request as it is now, or the service's refusal."""
    try:
        action()
    except Conflict as exc:
        return _Answer(409, _error(exc, fields))
    except PermissionDenied as exc:
        return _Answer(403, _error(exc, fields))
    except DomainError as exc:
        return _Answer(400, _error(exc, fields))
    return _Answer(200, _detail(actor, case))


def _category(code: str, field: str = "category") -> Category | None:
    if not code:
        return None
    category = Category.objects.filter(code=code, is_active=True).first()
    if category is None:
        raise DomainError(f"没有编码为“{code}”的在用类别", field=field)
    return category


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _filtered(qs: QuerySet[Case], f: CaseFilter) -> QuerySet[Case]:
    if f.status:
        qs = qs.filter(status__in=[s.strip() for s in f.status.split(",") if s.strip()])
    if f.level:
        qs = qs.filter(level=f.level)
    if f.category:
        qs = qs.filter(Q(category__code=f.category) | Q(category__parent__code=f.category))
    if f.unit:
        path = Unit.objects.filter(code=f.unit).values_list("path", flat=True).first()
        qs = qs.filter(place_path__startswith=path) if path else qs.none()
    if f.received_from:
        qs = qs.filter(received_at__gte=_day_start(f.received_from))
    if f.received_to:
        qs = qs.filter(received_at__lt=_day_start(f.received_to + dt.timedelta(days=1)))
    if f.sla_state:
        qs = qs.filter(sla_state="" if f.sla_state == "normal" else f.sla_state)
    return qs


# --- reads -----------------------------------------------------------------------------------


@router.get("/categories", response=list[CategoryOut], url_name="cases_category_list")
def category_list(request: ApiRequest) -> Any:
    """在用的诉求类别（树按排序展开；`code` 即 Open311 的 service_code）。"""
    return Category.objects.filter(is_active=True).select_related("parent")


@router.get("/requests", response=list[CaseOut], url_name="cases_request_list")
@paginate(LimitOffsetPagination, max_limit=MAX_LIMIT)
def request_list(request: ApiRequest, filters: Query[CaseFilter]) -> Any:
    """本账号范围内的诉求，新的在前；`limit`/`offset` 分页（每页最多200条），返回
    `{"items": [...], "count": N}`。"""
    qs = selectors.cases_for(request.auth).select_related(*selectors.LIST_RELATED)
    return _filtered(qs, filters)


@router.get(
    "/requests/{ref}", response={200: CaseDetailOut, 404: ErrorOut}, url_name="cases_request_detail"
)
def request_detail(request: ApiRequest, ref: str) -> Any:
    """一条诉求（`ref` 为公开编号或受理编号），含本账号此刻可执行的操作 `actions`。"""
    return _detail(request.auth, _case(request.auth, ref))


@router.get(
    "/requests/{ref}/events",
    response={200: list[EventOut], 404: ErrorOut},
    url_name="cases_request_events",
)
def request_events(request: ApiRequest, ref: str) -> Any:
    """诉求的办理记录（只增不改），按时间先后；`is_public` 为居民能否看到。"""
    case = _case(request.auth, ref)
    return list(CaseEvent.objects.filter(case=case).order_by("created_at", "id"))


# --- filing ----------------------------------------------------------------------------------


@router.post(
    "/requests",
    response={201: CaseDetailOut, **ERRORS},
    url_name="cases_request_list",  # the same route as the list: one URL name
)
def request_file(request: ApiRequest, payload: CaseFileIn) -> Any:
    """代居民登记一条诉求（须有该地点的 `cases.file` 权限，来源渠道必填）。"""
    actor = request.auth
    try:
        unit = Unit.objects.filter(code=payload.unit.strip()).first()
        if unit is None:
            raise DomainError(f"没有编码为“{payload.unit}”的地点", field="unit")
        if payload.urgency and payload.urgency not in wf.Urgency.values:
            raise DomainError("时限类别应为 danger、utility、general 或 complex", field="urgency")
        submitted = intake.case_file(
            actor=actor,
            unit=unit,
            description=payload.description,
            channel=payload.channel,
            category=_category(payload.category),
            level=payload.level,
            urgency=payload.urgency or None,
            name=payload.name,
            phone=payload.phone,
            address_text=payload.address_text,
        )
    except PermissionDenied as exc:
        return _Answer(403, _error(exc))
    except DomainError as exc:
        return _Answer(400, _error(exc))
    return _Answer(201, _detail(actor, submitted.case))


# --- one endpoint per action -----------------------------------------------------------------


def _post(name: str, summary: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return router.post(
        f"/requests/{{ref}}/{name}",
        response={200: CaseDetailOut, **ERRORS},
        url_name=f"cases_request_{name}",
        summary=summary,
    )


@_post("accept", "受理（响应居民）")
def request_accept(request: ApiRequest, ref: str, payload: NoteIn) -> Any:
    """受理：响应计时到此为止。"""
    actor, case = request.auth, _case(request.auth, ref)
    return _act(
        actor,
        case,
        lambda: lifecycle.case_accept(
            case=case, actor=actor, note=payload.note, expected_version=payload.version
        ),
    )


@_post("triage", "三事分流")
def request_triage(request: ApiRequest, ref: str, payload: TriageIn) -> Any:
    """三事分流：确认或修改大事/小事/私事（及类别、时限类别）。"""
    actor, case = request.auth, _case(request.auth, ref)

    def run() -> object:
        if payload.urgency and payload.urgency not in wf.Urgency.values:
            raise DomainError("时限类别应为 danger、utility、general 或 complex", field="urgency")
        return lifecycle.case_triage(
            case=case,
            actor=actor,
            level=payload.level,
            category=_category(payload.category),
            urgency=payload.urgency or None,
            note=payload.note,
            expected_version=payload.version,
        )

    return _act(actor, case, run)


def _assign_target_unit(actor: Actor, case: Case, code: str) -> Unit | None:
    """A handling unit above the request's place, or one in the actor's dispatch scope."""
    if not code:
        return None
    unit = Unit.objects.filter(code=code.strip(), is_active=True).first()
    if unit is None or not (
        case.place_path.startswith(unit.path) or actor.can(wf.DISPATCH, unit.path)
    ):
        raise DomainError(f"不能派遣到编码为“{code}”的单位", field="handler_unit")
    return unit


@_post("assign", "派遣")
def request_assign(request: ApiRequest, ref: str, payload: AssignIn) -> Any:
    """派遣到单位、部门、调解组织和/或承办人；都不填时按派遣规则。办结时限从首次派遣起算。"""
    from lianxin.accounts.models import Department, User

    actor, case = request.auth, _case(request.auth, ref)

    def run() -> object:
        department = team = None
        assignee_id = None
        if payload.department is not None:
            department = Department.objects.filter(
                public_id=payload.department, is_active=True
            ).first()
            if department is None:
                raise DomainError("找不到该部门", field="department")
        if payload.team is not None:
            team = MediationTeam.objects.filter(public_id=payload.team, is_active=True).first()
            if team is None:
                raise DomainError("找不到该调解组织", field="team")
        if payload.assignee is not None:
            assignee_id = (
                User.objects.filter(public_id=payload.assignee, is_active=True)
                .values_list("pk", flat=True)
                .first()
            )
            if assignee_id is None:
                raise DomainError("找不到该承办人", field="assignee")
        return lifecycle.case_assign(
            case=case,
            actor=actor,
            handler_unit=_assign_target_unit(actor, case, payload.handler_unit),
            department=department,
            team=team,
            assignee_id=assignee_id,
            note=payload.note,
            expected_version=payload.version,
        )

    return _act(actor, case, run)


@_post("take", "接单")
def request_take(request: ApiRequest, ref: str, payload: VersionIn) -> Any:
    """承办人接单：诉求转为办理中。"""
    actor, case = request.auth, _case(request.auth, ref)
    return _act(
        actor,
        case,
        lambda: lifecycle.case_take(case=case, actor=actor, expected_version=payload.version),
    )


@_post("progress", "办理进展")
def request_progress(request: ApiRequest, ref: str, payload: RequiredNoteIn) -> Any:
    """记录一条办理进展（居民可见）。"""
    actor, case = request.auth, _case(request.auth, ref)
    return _act(
        actor,
        case,
        lambda: lifecycle.case_progress(
            case=case, actor=actor, note=payload.note, expected_version=payload.version
        ),
    )


@_post("return", "退单")
def request_return(request: ApiRequest, ref: str, payload: ReasonIn) -> Any:
    """退单（理由必填）；第三次退单交上一级。"""
    actor, case = request.auth, _case(request.auth, ref)
    return _act(
        actor,
        case,
        lambda: lifecycle.case_return(
            case=case, actor=actor, reason=payload.reason, expected_version=payload.version
        ),
        fields={"note": "reason"},
    )


@_post("resolve", "办结")
def request_resolve(request: ApiRequest, ref: str, payload: ResolveIn) -> Any:
    """办结：填写办理结果，居民可评价。"""
    actor, case = request.auth, _case(request.auth, ref)
    return _act(
        actor,
        case,
        lambda: lifecycle.case_resolve(
            case=case, actor=actor, result=payload.result, expected_version=payload.version
        ),
        fields={"note": "result"},
    )


@_post("follow_up", "回访")
def request_follow_up(request: ApiRequest, ref: str, payload: FollowUpIn) -> Any:
    """回访：满意/基本满意进入待结案，不满意则重新办理。"""
    actor, case = request.auth, _case(request.auth, ref)
    return _act(
        actor,
        case,
        lambda: lifecycle.case_follow_up(
            case=case,
            actor=actor,
            satisfaction=payload.satisfaction,
            comment=payload.comment,
            expected_version=payload.version,
        ),
    )


@_post("close", "结案")
def request_close(request: ApiRequest, ref: str, payload: NoteIn) -> Any:
    """核查结案（回访之后）。"""
    actor, case = request.auth, _case(request.auth, ref)
    return _act(
        actor,
        case,
        lambda: lifecycle.case_close(
            case=case, actor=actor, note=payload.note, expected_version=payload.version
        ),
    )


@_post("guide", "引导办理（私事）")
def request_guide(request: ApiRequest, ref: str, payload: GuideIn) -> Any:
    """私事：记录给居民的引导意见（可推荐服务），按已引导结案。"""
    actor, case = request.auth, _case(request.auth, ref)
    return _act(
        actor,
        case,
        lambda: lifecycle.case_guide(
            case=case,
            actor=actor,
            guidance=payload.guidance,
            referral=payload.referral,
            expected_version=payload.version,
        ),
        fields={"note": "guidance"},
    )


@_post("reject", "不予受理")
def request_reject(request: ApiRequest, ref: str, payload: ReasonIn) -> Any:
    """不予受理（理由必填，居民可见）。"""
    actor, case = request.auth, _case(request.auth, ref)
    return _act(
        actor,
        case,
        lambda: lifecycle.case_reject(
            case=case, actor=actor, reason=payload.reason, expected_version=payload.version
        ),
        fields={"note": "reason"},
    )


@_post("merge", "合并")
def request_merge(request: ApiRequest, ref: str, payload: MergeIn) -> Any:
    """把重复的诉求合并到另一条未办结的诉求（两条都须在本账号范围内）。"""
    actor, case = request.auth, _case(request.auth, ref)

    def run() -> object:
        into = _find(actor, payload.into)
        if into is None:
            raise DomainError("找不到要合并到的诉求", field="into")
        return lifecycle.case_merge(
            case=case, into=into, actor=actor, expected_version=payload.version
        )

    return _act(actor, case, run)


@_post("supervise", "督办")
def request_supervise(request: ApiRequest, ref: str, payload: ReasonIn) -> Any:
    """督办（理由必填），通知承办人。"""
    actor, case = request.auth, _case(request.auth, ref)
    return _act(
        actor,
        case,
        lambda: lifecycle.case_supervise(
            case=case, actor=actor, reason=payload.reason, expected_version=payload.version
        ),
        fields={"note": "reason"},
    )


@_post("whistle", "吹哨")
def request_whistle(request: ApiRequest, ref: str, payload: ReasonIn) -> Any:
    """吹哨：村/社区解决不了的诉求上交街道/乡镇（理由必填）。"""
    actor, case = request.auth, _case(request.auth, ref)
    return _act(
        actor,
        case,
        lambda: whistles.whistle_raise(
            case=case, actor=actor, reason=payload.reason, expected_version=payload.version
        ),
        fields={"note": "reason"},
    )


@_post("extension_request", "申请延期")
def request_extension_request(request: ApiRequest, ref: str, payload: ExtensionIn) -> Any:
    """承办人申请延期若干工作日（理由必填），由派遣方审批。"""
    actor, case = request.auth, _case(request.auth, ref)
    return _act(
        actor,
        case,
        lambda: lifecycle.case_request_extension(
            case=case,
            actor=actor,
            days=payload.days,
            reason=payload.reason,
            expected_version=payload.version,
        ),
        fields={"note": "reason"},
    )


@_post("extension_decide", "审批延期")
def request_extension_decide(request: ApiRequest, ref: str, payload: ExtensionDecisionIn) -> Any:
    """批准或不批准待审批的延期申请（不能审批自己的申请）。"""
    actor, case = request.auth, _case(request.auth, ref)
    return _act(
        actor,
        case,
        lambda: lifecycle.case_decide_extension(
            case=case,
            actor=actor,
            approve=payload.approve,
            note=payload.note,
            expected_version=payload.version,
        ),
    )


@_post("suspend", "挂起")
def request_suspend(request: ApiRequest, ref: str, payload: ReasonIn) -> Any:
    """挂起（理由必填）：时限停止计算，直到恢复办理。"""
    actor, case = request.auth, _case(request.auth, ref)
    return _act(
        actor,
        case,
        lambda: lifecycle.case_suspend(
            case=case, actor=actor, reason=payload.reason, expected_version=payload.version
        ),
        fields={"note": "reason"},
    )


@_post("resume", "恢复办理")
def request_resume(request: ApiRequest, ref: str, payload: NoteIn) -> Any:
    """恢复办理：回到挂起前的状态，期限顺延挂起的工作时间。"""
    actor, case = request.auth, _case(request.auth, ref)
    return _act(
        actor,
        case,
        lambda: lifecycle.case_resume(
            case=case, actor=actor, note=payload.note, expected_version=payload.version
        ),
    )
