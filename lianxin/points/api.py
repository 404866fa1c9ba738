"""JSON API of points (Ninja router mounted at /api/points, token auth; docs/api.md): accounts
with balances and scores, statements, proposals (list, propose, approve, reject) and standings.

`request.auth` is the Actor of the token's account. Every read starts from
`<Model>.objects.visible_to(actor, points.view)`, so an account or a proposal outside the
account's units answers 404 exactly like one that does not exist. Writes go through
`services.proposals`: a refused proposal answers 400 ``{"detail", "field"}`` in the words the
pages use, a missing permission 403, a stale `version` 409. Households leave with their public
(masked) label only (张*家 · 1号楼); residents' names masked.

No ``from __future__ import annotations`` here: Ninja builds its parameter models from the
annotations of the @paginate-wrapped functions.
"""

import base64
import binascii
import datetime as dt
import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from lianxin.accounts.actor import Actor
from lianxin.cases.models import Case
from lianxin.core import clock
from lianxin.core.crypto import mask_name
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.core.http import ApiRequest
from lianxin.party.models import LinkageActivity
from lianxin.people.models import Resident, Visit
from lianxin.points import scores
from lianxin.points import workflow as wf
from lianxin.points.models import (
    Account,
    PointEntry,
    Proposal,
    Standing,
    SubjectKind,
    period_bounds,
)
from lianxin.points.services import proposals
from lianxin.points.services.config import catalog_for
from lianxin.territory.models import Unit

try:  # django-ninja >= 1.6 answers other statuses with Status(...); older ones take a tuple
    from ninja import Status as _Answer
except ImportError:  # pragma: no cover

    def _Answer(status: int, body: Any) -> Any:  # type: ignore[no-redef]  # noqa: N802
        return status, body


router = Router(tags=["党群积分"])
T = TypeVar("T", bound=Model)
MAX_LIMIT = 200
MAX_PHOTOS = 9
PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")


# --- schemas ---------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str = Field(description="错误说明，可直接展示给用户")
    field: str | None = Field(None, description="出错的输入项（如 indicator、photos、version）")


class AccountOut(Schema):
    public_id: uuid.UUID = Field(description="积分账户公开编号")
    scheme: str = Field(description="积分体系代码，如 household、party_member")
    scheme_name: str = Field(description="积分体系名称")
    kind: str = Field(description="积分对象：household / party_member / building / grid / merchant")
    label: str = Field(description="名称（户为脱敏名称，如 张*家 · 1号楼）")
    household_id: uuid.UUID | None = Field(description="户的公开编号（户积分）")
    member_id: uuid.UUID | None = Field(description="党员的公开编号（党员积分）")
    unit_code: str = Field(description="所在单元编码")
    unit_name: str = Field(description="所在单元名称")
    balance: int = Field(description="余额（可兑换的积分，含已花费的扣减）")
    entry_count: int = Field(description="流水条数")
    is_active: bool = Field(description="在用")

    @staticmethod
    def resolve_scheme(obj: Account) -> str:
        return obj.scheme.code

    @staticmethod
    def resolve_scheme_name(obj: Account) -> str:
        return obj.scheme.name

    @staticmethod
    def resolve_label(obj: Account) -> str:
        return obj.public_label if obj.kind == SubjectKind.HOUSEHOLD else obj.label

    @staticmethod
    def resolve_household_id(obj: Account) -> uuid.UUID | None:
        return obj.household.public_id if obj.household is not None else None

    @staticmethod
    def resolve_member_id(obj: Account) -> uuid.UUID | None:
        return obj.member.public_id if obj.member is not None else None

    @staticmethod
    def resolve_unit_code(obj: Account) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_unit_name(obj: Account) -> str:
        return obj.unit.display_name


class LinkedOut(Schema):
    total: int = Field(description="联系户积分之和 Σ")
    households: int = Field(description="联系户数 n")
    value: Decimal | None = Field(description="联户积分 Σ÷n（保留两位小数），无联系户为空")


class ContributionOut(Schema):
    name: str = Field(description="贡献人（脱敏），“全户”为不记名的加分")
    total: int = Field(description="该期间贡献的积分")


class AccountDetailOut(AccountOut):
    period: str = Field(description="积分期间：年度 2026 或月份 2026-11")
    score: int = Field(description="期间积分（加分、扣分、冲正之和；兑换不计）")
    linked: LinkedOut | None = Field(description="党员：联户积分")
    combined: Decimal | None = Field(description="党员：综合分 = 本人×权重 + 联户×权重")
    contributions: list[ContributionOut] = Field(description="户：家庭成员的贡献")


class EntryOut(Schema):
    seq: int = Field(description="账户内序号（1、2、3…）")
    kind: str = Field(
        description="earn 加分 / deduct 扣分 / reversal 冲正 / spend 兑换 / refund 退还"
    )
    kind_label: str = Field(description="类型（中文）")
    amount: int = Field(description="分值（扣减为负数）")
    balance_after: int = Field(description="本条之后的余额")
    occurred_on: dt.date = Field(description="发生日期（期间积分按此计）")
    booked_at: dt.datetime = Field(description="入账时间")
    reason: str = Field(description="事由")
    indicator_code: str | None = Field(description="指标代码")
    indicator_revision: int | None = Field(description="指标版本号")
    resident_name: str | None = Field(description="贡献人（脱敏）")
    reverses_seq: int | None = Field(description="冲正的是哪一条（序号）")
    hash: str = Field(description="本条哈希（哈希链，lianxin points verify 校验）")

    @staticmethod
    def resolve_kind_label(obj: PointEntry) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_indicator_code(obj: PointEntry) -> str | None:
        rev = obj.indicator_revision
        return rev.indicator.code if rev is not None else None

    @staticmethod
    def resolve_indicator_revision(obj: PointEntry) -> int | None:
        return obj.indicator_revision.number if obj.indicator_revision is not None else None

    @staticmethod
    def resolve_resident_name(obj: PointEntry) -> str | None:
        return mask_name(obj.resident.name) if obj.resident is not None else None

    @staticmethod
    def resolve_reverses_seq(obj: PointEntry) -> int | None:
        return obj.reverses.seq if obj.reverses is not None else None


class ProposalOut(Schema):
    public_id: uuid.UUID = Field(description="申报公开编号")
    version: int = Field(description="版本号：审核操作须原样带回，已变化则返回 409")
    status: str = Field(
        description="pending 待审核 / in_notice 公示中 / objected 有异议 / booked 已入账 / "
        "rejected 未通过 / withdrawn 已撤回 / reversed 已冲正"
    )
    status_label: str = Field(description="状态（中文）")
    account_id: uuid.UUID = Field(description="积分账户公开编号")
    account_label: str = Field(description="积分对象（户为脱敏名称）")
    scheme: str = Field(description="积分体系代码")
    indicator_code: str = Field(description="指标代码")
    indicator_name: str = Field(description="指标名称（申报时的版本）")
    indicator_revision: int = Field(description="申报时的指标版本号：之后修订分值不影响本申报")
    points: int = Field(description="分值")
    occurred_on: dt.date = Field(description="发生日期")
    description: str = Field(description="事由与佐证说明")
    source: str = Field(description="来源：staff 工作人员申报 / task 微任务 / auto 自动")
    proposer: str = Field(description="申报人岗位")
    created_at: dt.datetime = Field(description="申报时间")
    decided_at: dt.datetime | None = Field(description="审核时间")
    notice_until: dt.datetime | None = Field(description="公示截止")
    booked_at: dt.datetime | None = Field(description="入账时间")
    actions: list[str] = Field(description="当前账号此刻可以执行的操作：approve、reject")

    @staticmethod
    def resolve_status_label(obj: Proposal) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_account_id(obj: Proposal) -> uuid.UUID:
        return obj.account.public_id

    @staticmethod
    def resolve_account_label(obj: Proposal) -> str:
        return AccountOut.resolve_label(obj.account)

    @staticmethod
    def resolve_scheme(obj: Proposal) -> str:
        return obj.account.scheme.code

    @staticmethod
    def resolve_indicator_code(obj: Proposal) -> str:
        return obj.indicator.code

    @staticmethod
    def resolve_indicator_name(obj: Proposal) -> str:
        return obj.indicator_revision.name

    @staticmethod
    def resolve_indicator_revision(obj: Proposal) -> int:
        return obj.indicator_revision.number

    @staticmethod
    def resolve_proposer(obj: Proposal) -> str:
        return obj.proposer_label

    @staticmethod
    def resolve_actions(obj: Proposal) -> list[str]:
        return list(getattr(obj, "api_actions", []))


class StandingOut(Schema):
    account_id: uuid.UUID = Field(description="积分账户公开编号")
    label: str = Field(description="名称（户为脱敏名称）")
    kind: str = Field(description="积分对象")
    score: int = Field(description="期间积分")
    rank_grid: int | None = Field(description="网格内名次")
    rank_village: int | None = Field(description="村/社区内名次")
    rank_township: int | None = Field(description="乡镇/街道内名次")
    computed_at: dt.datetime = Field(description="计算时间")

    @staticmethod
    def resolve_account_id(obj: Standing) -> uuid.UUID:
        return obj.account.public_id

    @staticmethod
    def resolve_label(obj: Standing) -> str:
        return AccountOut.resolve_label(obj.account)

    @staticmethod
    def resolve_kind(obj: Standing) -> str:
        return obj.account.kind


class AccountFilter(Schema):
    scheme: str = Field("", description="积分体系代码，如 household")
    unit: str = Field("", description="区划单元编码：只看该单元及其下级的账户")
    q: str = Field("", description="按名称查找（户按脱敏名称）")


class ProposalFilter(Schema):
    status: str = Field("", description="状态代码，多个用逗号分隔，如 pending,in_notice")
    scheme: str = Field("", description="积分体系代码")
    unit: str = Field("", description="区划单元编码（含下级）")
    indicator: str = Field("", description="指标代码")
    occurred_from: dt.date | None = Field(None, description="发生日期起（含）")
    occurred_to: dt.date | None = Field(None, description="发生日期止（含）")


class StandingFilter(Schema):
    period: str = Field("", description="期间：2026 或 2026-11，默认今年")
    scheme: str = Field("household", description="积分体系代码")
    unit: str = Field("", description="区划单元编码（含下级）")


class ProposalIn(Schema):
    account: uuid.UUID = Field(description="积分账户公开编号")
    indicator: str = Field(description="指标代码（在该对象当年适用的目录中）")
    occurred_on: dt.date = Field(description="发生日期，不晚于今天")
    description: str = Field("", description="事由与佐证说明")
    resident: uuid.UUID | None = Field(None, description="贡献人（该户居民的公开编号）")
    case: str = Field("", description="关联诉求：受理编号或公开编号")
    visit: uuid.UUID | None = Field(None, description="关联走访的公开编号")
    activity: uuid.UUID | None = Field(None, description="关联联户履职记录的公开编号")
    link_note: str = Field("", description="其他关联（活动、会议等）")
    photos: list[str] = Field(
        [], description="照片：JPEG/PNG 文件的 base64 编码，最多9张，每张不超过5MB"
    )


class DecisionIn(Schema):
    version: int = Field(description="看到的申报版本号（ProposalOut.version）；已变化则返回 409")
    note: str = Field("", description="审核意见（不予通过时必填）")


ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


# --- selectors (every read starts from the actor's scope) ------------------------------------


def accounts_for(actor: Actor) -> QuerySet[Account]:
    """Accounts under the actor's `points.view` posts, with what the list shows."""
    return (
        Account.objects.visible_to(actor, wf.VIEW)
        .select_related("scheme", "unit", "household", "member")
        .order_by("scheme__sort_order", "unit__path", "id")
    )


def proposals_for(actor: Actor) -> QuerySet[Proposal]:
    """Proposals for subjects under the actor's `points.view` posts, newest first."""
    return (
        Proposal.objects.visible_to(actor, wf.VIEW)
        .select_related("account__scheme", "account__unit", "indicator", "indicator_revision")
        .order_by("-created_at", "-id")
    )


def _one(qs: QuerySet[T], public_id: uuid.UUID) -> T:
    """One row of a scoped queryset by public id; 404 when absent or outside the scope."""
    row = qs.filter(public_id=public_id).first()
    if row is None:
        raise Http404("不存在或无权访问")
    return row


def _unit_path(code: str) -> str | None:
    return Unit.objects.filter(code=code.strip()).values_list("path", flat=True).first()


def _error(exc: DomainError) -> dict[str, Any]:
    return {"detail": exc.message, "field": exc.field}


def _period(value: str) -> str:
    value = (value or "").strip() or str(clock.now().year)
    if not PERIOD.match(value):
        raise DomainError("期间格式应为 2026 或 2026-11", field="period")
    return value


def _with_actions(actor: Actor, proposal: Proposal) -> Proposal:
    path = proposal.account.unit.path
    may = actor.can(wf.APPROVE, path) and proposal.proposed_by_id != actor.user_id
    proposal.api_actions = (  # type: ignore[attr-defined]
        ["approve", "reject"] if may and proposal.status == Proposal.Status.PENDING else []
    )
    return proposal


# --- accounts --------------------------------------------------------------------------------


@router.get("/accounts", response=list[AccountOut], url_name="points_account_list")
@paginate(LimitOffsetPagination, max_limit=MAX_LIMIT)
def account_list(request: ApiRequest, filters: Query[AccountFilter]) -> Any:
    """本账号范围内的积分账户；按积分体系 `scheme`、单元 `unit`（含下级）筛选，`limit`/`offset`
    分页（每页最多200条），返回 `{"items": [...], "count": N}`。"""
    qs = accounts_for(request.auth)
    if filters.scheme:
        qs = qs.filter(scheme__code=filters.scheme)
    if filters.unit:
        path = _unit_path(filters.unit)
        qs = qs.filter(unit__path__startswith=path) if path else qs.none()
    q = filters.q.strip()
    if q:
        # Households are found by their public (masked) label only, like they are shown.
        household = Q(kind=SubjectKind.HOUSEHOLD)
        qs = qs.filter(
            (household & Q(public_label__contains=q)) | (~household & Q(label__contains=q))
        )
    return qs


@router.get(
    "/accounts/{public_id}",
    response={200: AccountDetailOut, 400: ErrorOut, 404: ErrorOut},
    url_name="points_account_detail",
)
def account_detail(request: ApiRequest, public_id: uuid.UUID, period: str = "") -> Any:
    """一个积分账户：余额和期间积分（`period` 为 2026 或 2026-11，默认今年）；党员另有联户积分
    Σ÷n 与综合分，户另有家庭成员的贡献。"""
    account = _one(accounts_for(request.auth), public_id)
    try:
        chosen = _period(period)
    except DomainError as exc:
        return _Answer(400, _error(exc))
    start, end = period_bounds(chosen)
    account.period = chosen  # type: ignore[attr-defined]
    account.score = scores.account_score(account, start, end)  # type: ignore[attr-defined]
    account.linked = account.combined = None  # type: ignore[attr-defined]
    account.contributions = []  # type: ignore[attr-defined]
    if account.member is not None:
        member_score = scores.member_scores([account.member], start, end)[account.member.pk]
        linked = member_score.linked
        account.linked = {  # type: ignore[attr-defined]
            "total": linked.total,
            "households": linked.households,
            "value": linked.value,
        }
        account.combined = member_score.combined  # type: ignore[attr-defined]
    if account.kind == SubjectKind.HOUSEHOLD:
        account.contributions = [  # type: ignore[attr-defined]
            {"name": mask_name(str(c["name"])) if c["resident_id"] else "全户", "total": c["total"]}
            for c in scores.resident_contributions(account, start, end)
        ]
    return account


@router.get(
    "/accounts/{public_id}/entries",
    response=list[EntryOut],
    url_name="points_account_entries",
)
@paginate(LimitOffsetPagination, max_limit=MAX_LIMIT)
def account_entries(request: ApiRequest, public_id: uuid.UUID) -> Any:
    """账户流水（积分明细），新的在前，`limit`/`offset` 分页。流水只增不改：更正是一条冲正。"""
    account = Account.objects.get_visible(request.auth, wf.VIEW, public_id=public_id)
    return (
        PointEntry.objects.filter(account=account)
        .select_related("indicator_revision__indicator", "resident", "reverses")
        .order_by("-seq")
    )


# --- proposals -------------------------------------------------------------------------------


@router.get("/proposals", response=list[ProposalOut], url_name="points_proposal_list")
@paginate(LimitOffsetPagination, max_limit=MAX_LIMIT)
def proposal_list(request: ApiRequest, filters: Query[ProposalFilter]) -> Any:
    """本账号范围内的积分申报，新的在前；按状态、积分体系、单元、指标、发生日期筛选。"""
    qs = proposals_for(request.auth)
    if filters.status:
        qs = qs.filter(status__in=[s.strip() for s in filters.status.split(",") if s.strip()])
    if filters.scheme:
        qs = qs.filter(account__scheme__code=filters.scheme)
    if filters.unit:
        path = _unit_path(filters.unit)
        qs = qs.filter(account__unit__path__startswith=path) if path else qs.none()
    if filters.indicator:
        qs = qs.filter(indicator__code=filters.indicator)
    if filters.occurred_from:
        qs = qs.filter(occurred_on__gte=filters.occurred_from)
    if filters.occurred_to:
        qs = qs.filter(occurred_on__lte=filters.occurred_to)
    return qs


@router.get(
    "/proposals/{public_id}",
    response={200: ProposalOut, 404: ErrorOut},
    url_name="points_proposal_detail",
)
def proposal_detail(request: ApiRequest, public_id: uuid.UUID) -> Any:
    """一条积分申报，含本账号此刻可执行的操作 `actions`。"""
    actor = request.auth
    return _with_actions(actor, _one(proposals_for(actor), public_id))


def _photos(encoded: list[str]) -> list[SimpleUploadedFile]:
    if len(encoded) > MAX_PHOTOS:
        raise DomainError(f"最多上传 {MAX_PHOTOS} 张照片", field="photos")
    out = []
    for i, text in enumerate(encoded, start=1):
        try:
            raw = base64.b64decode(text.split(",", 1)[-1], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DomainError(f"第 {i} 张照片不是有效的 base64 编码", field="photos") from exc
        out.append(SimpleUploadedFile(f"photo{i}.jpg", raw, content_type="image/jpeg"))
    return out


def _evidence_case(ref: str) -> Case | None:
    ref = (ref or "").strip()
    if not ref:
        return None
    try:
        found = Case.objects.filter(public_id=uuid.UUID(ref)).first()
    except ValueError:
        found = Case.objects.filter(tracking_no=ref.upper()).first()
    if found is None:
        raise DomainError("关联的事项不存在或不在您的管辖范围内", field="case")
    return found


def _by_public_id(model: Any, value: uuid.UUID | None, field: str) -> Any:
    if value is None:
        return None
    found = model.objects.filter(public_id=value).first()
    if found is None:
        raise DomainError("关联的事项不存在或不在您的管辖范围内", field=field)
    return found


@router.post(
    "/proposals",
    response={201: ProposalOut, **ERRORS},
    url_name="points_proposal_list",  # the same route as the list: one URL name
)
def proposal_propose(request: ApiRequest, payload: ProposalIn) -> Any:
    """申报积分（须有该对象所在单元的 `points.propose` 权限）：指标按代码在该对象当年适用的
    目录中查找；缺少指标要求的佐证、超过上限、不在管辖范围内时返回 400 并指明 `field`。"""
    actor = request.auth
    try:
        account = (
            Account.objects.visible_to(actor, wf.VIEW)
            .select_related("scheme", "unit")
            .filter(public_id=payload.account)
            .first()
        )
        if account is None:
            raise DomainError("没有该积分账户，或不在您的管辖范围内", field="account")
        catalog = catalog_for(
            scheme=account.scheme, path=account.unit.path, year=payload.occurred_on.year
        )
        indicator = (
            catalog.indicators.filter(code=payload.indicator.strip()).first() if catalog else None
        )
        if indicator is None:
            raise DomainError(
                f"{payload.occurred_on.year} 年适用的目录中没有代码为“{payload.indicator}”的指标",
                field="indicator",
            )
        resident = None
        if payload.resident is not None:
            resident = Resident.objects.filter(
                public_id=payload.resident, household_id=account.household_id, is_active=True
            ).first()
            if resident is None or account.household_id is None:
                raise DomainError("贡献人不是该户的成员", field="resident")
        proposal = proposals.proposal_create(
            actor=actor,
            account=account,
            indicator=indicator,
            occurred_on=payload.occurred_on,
            description=payload.description,
            resident=resident,
            case=_evidence_case(payload.case),
            visit=_by_public_id(Visit, payload.visit, "visit"),
            activity=_by_public_id(LinkageActivity, payload.activity, "activity"),
            link_note=payload.link_note,
            photos=_photos(payload.photos),
        )
    except PermissionDenied as exc:
        return _Answer(403, _error(exc))
    except DomainError as exc:
        return _Answer(400, _error(exc))
    return _Answer(201, _with_actions(actor, proposals_for(actor).get(pk=proposal.pk)))


def _decide(
    request: ApiRequest, public_id: uuid.UUID, action: Callable[[Actor, Proposal], object]
) -> Any:
    actor = request.auth
    proposal = _one(proposals_for(actor), public_id)
    try:
        action(actor, proposal)
    except Conflict as exc:
        return _Answer(409, _error(exc))
    except PermissionDenied as exc:
        return _Answer(403, _error(exc))
    except DomainError as exc:
        return _Answer(400, _error(exc))
    return _Answer(200, _with_actions(actor, proposals_for(actor).get(pk=proposal.pk)))


@router.post(
    "/proposals/{public_id}/approve",
    response={200: ProposalOut, **ERRORS},
    url_name="points_proposal_approve",
)
def proposal_approve(request: ApiRequest, public_id: uuid.UUID, payload: DecisionIn) -> Any:
    """审核通过（`points.approve`，申报人不能审核自己的申报）：进入公示，公示期满无异议自动入账；
    公示天数为 0 的积分体系立即入账。"""
    return _decide(
        request,
        public_id,
        lambda actor, p: proposals.proposal_approve(
            actor=actor, proposal=p, note=payload.note, expected_version=payload.version
        ),
    )


@router.post(
    "/proposals/{public_id}/reject",
    response={200: ProposalOut, **ERRORS},
    url_name="points_proposal_reject",
)
def proposal_reject(request: ApiRequest, public_id: uuid.UUID, payload: DecisionIn) -> Any:
    """不予通过（`points.approve`，须填写意见 `note`）。"""
    return _decide(
        request,
        public_id,
        lambda actor, p: proposals.proposal_reject(
            actor=actor, proposal=p, note=payload.note, expected_version=payload.version
        ),
    )


# --- standings -------------------------------------------------------------------------------


@router.get(
    "/standings",
    response=list[StandingOut],
    url_name="points_standing_list",
)
@paginate(LimitOffsetPagination, max_limit=MAX_LIMIT)
def standing_list(request: ApiRequest, filters: Query[StandingFilter]) -> Any:
    """已计算的积分排名（每晚重算，或在排名页刷新）：期间 `period`、积分体系 `scheme`、单元
    `unit`（含下级），按积分从高到低。"""
    period = (filters.period or "").strip() or str(clock.now().year)
    if not PERIOD.match(period):
        return Standing.objects.none()
    qs = (
        Standing.objects.visible_to(request.auth, wf.VIEW)
        .filter(period=period, scheme__code=filters.scheme)
        .select_related("account")
        .order_by("-score", "account_id")
    )
    if filters.unit:
        path = _unit_path(filters.unit)
        qs = qs.filter(account__unit__path__startswith=path) if path else qs.none()
    return qs
