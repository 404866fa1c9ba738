"""/api/stars endpoints of the declarations part (read-only): star declarations with their
state, and one declaration with its entries of the current round and its review history.

`request.auth` is the Actor of the token's account; every read starts from
`selectors.declarations.declarations_for` (the account's `stars.view` scope), so a
declaration outside it answers 404 exactly like one that does not exist. Reviews are done on
the pages (they need the judgement of every standard); no write endpoint here.

No ``from __future__ import annotations`` here: Ninja builds its parameter models from the
annotations of the @paginate-wrapped functions.
"""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from lianxin.core.http import ApiRequest
from lianxin.stars.models import Declaration, DeclarationEntry, ReviewStep
from lianxin.stars.selectors import declarations as sel

router = Router()
MAX_LIMIT = 200


class ErrorOut(Schema):
    detail: str = Field(description="错误说明")


class DeclarationFilter(Schema):
    year: int | None = Field(None, description="年度")
    township: str | None = Field(None, description="乡镇（街道）编码")
    status: str | None = Field(
        None,
        description="draft 草稿 / submitted 待乡镇初审 / returned 已退回 / township_passed "
        "待专班审核 / approved 待公示 / notice 公示中 / awarded 已授星 / rejected 未通过 / "
        "withdrawn 已撤星 / cancelled 已撤回",
    )
    star: str | None = Field(None, description="星代码（如 branch），progress 为进步星")


class DeclarationOut(Schema):
    public_id: uuid.UUID = Field(description="申报公开编号")
    year: int = Field(description="年度")
    unit_code: str = Field(description="村（社区）编码")
    unit_name: str = Field(description="村（社区）名称")
    township_code: str | None = Field(description="乡镇（街道）编码")
    kind: str = Field(description="star 星级 / progress 进步星")
    star_code: str | None = Field(description="星代码（进步星为空）")
    star_name: str = Field(description="星名称（或“进步星”）")
    status: str = Field(description="状态代码")
    status_label: str = Field(description="状态（中文）")
    round: int = Field(description="申报轮次（退回后重报加一）")
    submitted_at: dt.datetime | None = Field(description="最近报送时间")
    last_reason: str = Field(description="最近退回/未通过原因")
    notice_number: str | None = Field(description="公示编号")
    version: int = Field(description="版本号")

    @staticmethod
    def resolve_unit_code(obj: Declaration) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_unit_name(obj: Declaration) -> str:
        return obj.unit.display_name

    @staticmethod
    def resolve_township_code(obj: Declaration) -> str | None:
        return obj.unit.parent.code if obj.unit.parent else None

    @staticmethod
    def resolve_star_code(obj: Declaration) -> str | None:
        return obj.star.code if obj.star else None

    @staticmethod
    def resolve_star_name(obj: Declaration) -> str:
        return obj.star.name if obj.star else "进步星"

    @staticmethod
    def resolve_status_label(obj: Declaration) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_notice_number(obj: Declaration) -> str | None:
        return obj.notice.number if obj.notice_id and obj.notice else None


class EntryOut(Schema):
    standard_code: str | None = Field(description="标准代码（进步星的说明为空）")
    standard_name: str = Field(description="标准")
    kind: str | None = Field(description="manual 评分 / evidence 达标附佐证 / figure 平台数据")
    self_score: Decimal | None = Field(description="自评分")
    claim: str = Field(description="达标情况")
    has_evidence: bool = Field(description="是否已上传佐证材料（文件只在页面查看）")
    figure_value: Decimal | None = Field(description="报送时冻结的平台数据")

    @staticmethod
    def resolve_standard_code(obj: DeclarationEntry) -> str | None:
        return obj.standard.code if obj.standard else None

    @staticmethod
    def resolve_standard_name(obj: DeclarationEntry) -> str:
        return obj.standard.name if obj.standard else "进步情况"

    @staticmethod
    def resolve_kind(obj: DeclarationEntry) -> str | None:
        return obj.standard.kind if obj.standard else None

    @staticmethod
    def resolve_has_evidence(obj: DeclarationEntry) -> bool:
        return bool(obj.evidence)


class ScoreOut(Schema):
    standard_code: str
    score: Decimal | None = Field(description="评分（评分类标准）")
    passed: bool = Field(description="是否达标")
    figure_value: Decimal | None = Field(description="评审时的平台数据")
    comment: str

    @staticmethod
    def resolve_standard_code(obj: Any) -> str:
        return str(obj.standard.code)


class StepOut(Schema):
    round: int = Field(description="轮次")
    stage: str = Field(description="village / township / county / notice")
    action: str = Field(description="submitted / returned / passed / approved / published …")
    action_label: str
    from_status: str
    to_status: str
    reason: str = Field(description="意见或理由")
    total_score: Decimal | None = Field(description="评分合计")
    actor: str = Field(description="操作人（姓名与岗位）")
    at: dt.datetime
    scores: list[ScoreOut]

    @staticmethod
    def resolve_action_label(obj: ReviewStep) -> str:
        return obj.get_action_display()

    @staticmethod
    def resolve_actor(obj: ReviewStep) -> str:
        return obj.actor_label

    @staticmethod
    def resolve_scores(obj: ReviewStep) -> list[Any]:
        return list(obj.scores.all())


class DeclarationDetailOut(DeclarationOut):
    statement: str = Field(description="申报说明")
    entries: list[EntryOut] = Field(description="当前轮次的申报材料")
    steps: list[StepOut] = Field(description="评审记录（先后顺序）")

    @staticmethod
    def resolve_entries(obj: Declaration) -> list[Any]:
        return list(getattr(obj, "api_entries", []))

    @staticmethod
    def resolve_steps(obj: Declaration) -> list[Any]:
        return list(getattr(obj, "api_steps", []))


@router.get("/declarations", response=list[DeclarationOut], url_name="stars_declaration_list")
@paginate(LimitOffsetPagination, max_limit=MAX_LIMIT)
def declaration_list(request: ApiRequest, filters: Query[DeclarationFilter]) -> Any:
    """本账号范围内的星级申报；按年度 `year`、乡镇 `township`、状态 `status`、星 `star`
    筛选，`limit`/`offset` 分页（每页最多200条）。"""
    query = {k: str(v) for k, v in filters.dict().items() if v is not None}
    return sel.declarations_for(
        request.auth, sel.DeclarationFilters.from_query(query)
    ).select_related("notice")


@router.get(
    "/declarations/{public_id}",
    response={200: DeclarationDetailOut, 404: ErrorOut},
    url_name="stars_declaration_detail",
)
def declaration_detail(request: ApiRequest, public_id: uuid.UUID) -> Any:
    """一项申报：当前轮次的申报材料（不含文件）与全部评审记录（含逐项评分）。"""
    declaration = (
        sel.declarations_for(request.auth)
        .select_related("notice")
        .filter(public_id=public_id)
        .first()
    )
    if declaration is None:
        raise Http404("不存在或无权访问")
    rounds = sel.rounds_of(declaration)
    declaration.api_entries = rounds[0].entries if rounds else []  # type: ignore[attr-defined]
    declaration.api_steps = sel.steps_of(declaration)  # type: ignore[attr-defined]
    return declaration
