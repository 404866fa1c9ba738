"""Quarterly inspection of branches' work manuals and the rectification that follows (seed
001: 每个季度对工作手册进行集中查阅，下发问题反馈表和整改通知单，督促整改落实).

- `inspection_record`: a township (or county) inspector records the quarter's check of a
  village's work manual — the date, whether the manual is complete, what was seen — with the
  problems found (问题反馈表: category and description, several at once). One inspection per
  village and quarter (a unique constraint; the refusal names the quarter).
- `rectification_issue` (also from `inspection_record` in one go): when problems were found,
  the rectification notice (整改通知单) with requirements and a deadline, numbered after the
  issuing township or county and the year, e.g. ``大定整改〔2026〕7号``.
- `rectification_report`: the village reports what it did, with an optional photo or PDF;
  `rectification_verify` (销号) or `rectification_reopen` (with the reason, optionally a new
  deadline) by an inspector. Moves follow `workflow.RECTIFICATION_MOVES`, compare-and-set on
  `version`; every step appends a `RectificationEvent`.

Who: inspectors hold `worklists.inspect` at the village (the township's or the county's
posts). The village side is whoever holds `worklists.keywork` at the village itself — the
village's own staff and secretary, who keep its work lists; a township post holding the same
permission above it does not report in the village's name.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied, clean_text
from lianxin.stars.evidence import clean_document
from lianxin.territory.models import Unit, UnitKind
from lianxin.worklists import workflow as wf
from lianxin.worklists.models import (
    Inspection,
    InspectionProblem,
    Rectification,
    RectificationEvent,
)

Status = Rectification.Status
Category = InspectionProblem.Category
SYSTEM_LABEL = "系统"
MAX_PROBLEMS = 30
# Suffixes dropped from the issuing unit's name in a notice number (大定街道 → 大定整改〔…〕).
NAME_SUFFIXES = ("街道办事处", "人民政府", "办事处", "街道", "镇", "乡", "市", "县", "区")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True)
class ProblemDraft:
    category: str
    description: str


@dataclass(frozen=True)
class NoticeDraft:
    requirements: str
    deadline: dt.date | None


# --- quarters --------------------------------------------------------------------------------


def parse_quarter(value: str | None, *, field: str = "quarter") -> str:
    value = (value or "").strip().upper()
    if not _QUARTER.match(value):
        raise DomainError("季度格式应为“2026Q1”", field=field)
    return value


def quarter_label(quarter: str) -> str:
    m = _QUARTER.match(quarter)
    return f"{m.group(1)}年第{m.group(2)}季度" if m else quarter


def shift_quarter(quarter: str, delta: int) -> str:
    m = _QUARTER.match(quarter)
    if m is None:
        raise ValueError(quarter)
    index = int(m.group(1)) * 4 + int(m.group(2)) - 1 + delta
    return f"{index // 4:04d}Q{index % 4 + 1}"


def this_quarter() -> str:
    return wf.quarter_key(clock.today())


# --- who may ---------------------------------------------------------------------------------


def can_inspect(actor: Actor | None, unit: Unit) -> bool:
    return actor is not None and actor.can(wf.INSPECT, unit.path)


def is_village_side(actor: Actor | None, unit: Unit) -> bool:
    """Whether the actor keeps the village's work lists at the village itself."""
    if actor is None:
        return False
    return any(p.unit_path.startswith(unit.path) for p in actor.posts_with(wf.KEYWORK))


def _require_inspector(actor: Actor | None, unit: Unit) -> None:
    if not can_inspect(actor, unit):
        raise PermissionDenied(f"没有检查{unit.display_name}工作手册的权限")


def _require_village(actor: Actor | None, unit: Unit) -> None:
    if not is_village_side(actor, unit):
        raise PermissionDenied("整改情况由被检查的村（社区）报告")


def _label(actor: Actor | None) -> str:
    if actor is not None and actor.user_id:
        return f"{actor.display_name}（{actor.post_label}）"[:150]
    return SYSTEM_LABEL


def _event(
    rect: Rectification,
    action: str,
    actor: Actor | None,
    note: str = "",
    evidence: ContentFile[bytes] | None = None,
) -> RectificationEvent:
    return RectificationEvent.objects.create(
        rectification=rect,
        action=action,
        note=note,
        evidence=evidence,
        actor_id=actor.user_id if actor is not None else None,
        actor_label=_label(actor),
        at=clock.now(),
    )


# --- inspection ------------------------------------------------------------------------------


def _clean_problems(problems: Sequence[ProblemDraft]) -> list[dict[str, str]]:
    if len(problems) > MAX_PROBLEMS:
        raise DomainError(f"发现问题一次最多登记{MAX_PROBLEMS}条", field="problems")
    rows = []
    for n, p in enumerate(problems, start=1):
        if p.category not in Category.values:
            raise DomainError(f"第{n}条问题请选择类别", field="problems")
        description = (p.description or "").strip()
        if not description:
            raise DomainError(f"第{n}条问题请填写问题描述", field="problems")
        if len(description) > 300:
            raise DomainError(f"第{n}条问题描述不超过300个字", field="problems")
        rows.append({"category": p.category, "description": description})
    return rows


@transaction.atomic
def inspection_record(
    *,
    actor: Actor,
    unit: Unit,
    quarter: str,
    inspected_on: dt.date | None,
    manual_complete: bool,
    summary: str,
    problems: Sequence[ProblemDraft] = (),
    notice: NoticeDraft | None = None,
) -> Inspection:
    """Record a quarter's check of a village's work manual with the problems found, and,
    given `notice`, issue the rectification notice at once."""
    _require_inspector(actor, unit)
    if unit.kind != UnitKind.VILLAGE or not unit.is_active:
        raise DomainError("手册检查的对象是村（社区）党组织", field="unit")
    quarter = parse_quarter(quarter)
    today = clock.today()
    if inspected_on is None:
        raise DomainError("请填写检查日期", field="inspected_on")
    if inspected_on > today:
        raise DomainError("检查日期不能晚于今天", field="inspected_on")
    own = wf.quarter_key(inspected_on)
    if quarter not in (own, shift_quarter(own, -1)):
        raise DomainError("检查季度应为检查日期所在季度或上一季度", field="quarter")
    summary = clean_text(summary, field="summary", label="检查情况", max_length=2000)
    rows = _clean_problems(problems)
    if Inspection.objects.filter(unit=unit, quarter=quarter).exists():
        raise DomainError(
            f"{unit.display_name}{quarter_label(quarter)}的手册检查已经登记", field="quarter"
        )
    try:
        with transaction.atomic():
            inspection = Inspection.objects.create(
                unit=unit,
                quarter=quarter,
                inspected_on=inspected_on,
                inspector_id=actor.user_id,
                inspector_label=_label(actor),
                manual_complete=bool(manual_complete),
                summary=summary,
            )
    except IntegrityError as exc:
        raise DomainError(
            f"{unit.display_name}{quarter_label(quarter)}的手册检查已经登记", field="quarter"
        ) from exc
    for row in rows:
        InspectionProblem.objects.create(inspection=inspection, **row)
    if notice is not None:
        rectification_issue(
            actor=actor,
            inspection=inspection,
            requirements=notice.requirements,
            deadline=notice.deadline,
        )
    return inspection


def issuer_of(actor: Actor, unit: Unit) -> Unit:
    """The unit issuing the notice: the nearest post above `unit` granting the inspection."""
    posts = [p for p in actor.posts_with(wf.INSPECT) if unit.path.startswith(p.unit_path)]
    if not posts:
        raise PermissionDenied(f"没有检查{unit.display_name}工作手册的权限")
    nearest = max(posts, key=lambda p: len(p.unit_path))
    return Unit.objects.get(pk=nearest.unit_id)


def short_name(unit: Unit) -> str:
    """大定街道 → 大定, 孟州市 → 孟州 (a notice number's prefix)."""
    name = unit.display_name or unit.name
    for suffix in NAME_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def number_prefix(issuer: Unit, year: int) -> str:
    return f"{short_name(issuer)}整改〔{year}〕"


def _next_number(prefix: str) -> str:
    numbers = Rectification.objects.filter(number__startswith=prefix).values_list(
        "number", flat=True
    )
    used = [int(m.group(1)) for n in numbers if (m := re.search(r"〕(\d+)号$", n))]
    return f"{prefix}{max(used, default=0) + 1}号"


def issuer_from_number(rect: Rectification) -> Unit | None:
    """The unit above the village whose short name starts the notice's number."""
    unit = rect.inspection.unit
    codes = unit.path_codes
    paths = ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes) - 1)]
    for candidate in Unit.objects.filter(path__in=paths).order_by("-depth"):
        if rect.number.startswith(short_name(candidate) + "整改"):
            return candidate
    return None


@transaction.atomic
def rectification_issue(
    *, actor: Actor, inspection: Inspection, requirements: str, deadline: dt.date | None
) -> Rectification:
    """Issue the rectification notice of an inspection that found problems (once)."""
    unit = inspection.unit
    _require_inspector(actor, unit)
    requirements = clean_text(requirements, field="requirements", label="整改要求", max_length=2000)
    today = clock.today()
    if deadline is None:
        raise DomainError("请填写整改期限", field="deadline")
    if deadline <= today:
        raise DomainError("整改期限应晚于今天", field="deadline")
    if not InspectionProblem.objects.filter(inspection=inspection).exists():
        raise DomainError("本次检查未发现问题，无需下发整改通知", field="requirements")
    if Rectification.objects.filter(inspection=inspection).exists():
        raise DomainError("本次检查已经下发整改通知", field="requirements")
    prefix = number_prefix(issuer_of(actor, unit), today.year)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                rect = Rectification.objects.create(
                    inspection=inspection,
                    number=_next_number(prefix),
                    requirements=requirements,
                    deadline=deadline,
                )
            break
        except IntegrityError as exc:
            # Another notice took the number (or this inspection's notice was issued by
            # someone else at the same moment).
            if Rectification.objects.filter(inspection=inspection).exists():
                raise DomainError("本次检查已经下发整改通知", field="requirements") from exc
    else:
        raise Conflict("整改通知编号冲突，请稍后再试")
    _event(rect, "issued", actor, f"整改期限 {deadline:%Y-%m-%d}")
    return rect


# --- rectification moves ---------------------------------------------------------------------


def _move(
    rect: Rectification, move: str, *, expected_version: int | None, **changes: Any
) -> Rectification:
    allowed = wf.RECTIFICATION_MOVES[move]
    if rect.status not in allowed:
        raise DomainError(f"整改通知当前为“{Status(rect.status).label}”，不能进行此操作")
    version = rect.version if expected_version is None else expected_version
    changes["updated_at"] = clock.now()
    updated = Rectification.objects.filter(pk=rect.pk, version=version, status__in=allowed).update(
        version=F("version") + 1, **changes
    )
    if not updated:
        raise Conflict("整改通知刚刚有变化，请刷新页面后再操作")
    for name, value in changes.items():
        setattr(rect, name, value)
    rect.version = version + 1
    return rect


def evidence_file(upload: UploadedFile | None) -> ContentFile[bytes] | None:
    """A photo (re-encoded without EXIF) or a PDF (≤ 10 MB), under a random file name."""
    if upload is None:
        return None
    name = getattr(upload, "name", "") or "文件"
    return clean_document(
        upload,
        field="evidence",
        too_big=f"文件“{name}”超过10MB",
        not_a_document=f"文件“{name}”不是有效的图片或PDF",
    ).content


@transaction.atomic
def rectification_report(
    *,
    actor: Actor,
    rectification: Rectification,
    note: str,
    evidence: UploadedFile | None = None,
    expected_version: int | None = None,
) -> Rectification:
    """The village reports what it did (with an optional photo or PDF); awaits verification."""
    _require_village(actor, rectification.inspection.unit)
    note = clean_text(note, field="note", label="整改情况", max_length=2000)
    file = evidence_file(evidence)
    rect = _move(rectification, "report", expected_version=expected_version, status=Status.REPORTED)
    _event(rect, "reported", actor, note, file)
    return rect


@transaction.atomic
def rectification_verify(
    *,
    actor: Actor,
    rectification: Rectification,
    note: str = "",
    expected_version: int | None = None,
) -> Rectification:
    """销号: the inspector finds the rectification done."""
    _require_inspector(actor, rectification.inspection.unit)
    note = clean_text(note, field="note", label="核验意见", max_length=2000, required=False)
    rect = _move(
        rectification,
        "verify",
        expected_version=expected_version,
        status=Status.VERIFIED,
        verified_on=clock.today(),
    )
    _event(rect, "verified", actor, note or "核验通过，予以销号")
    return rect


@transaction.atomic
def rectification_reopen(
    *,
    actor: Actor,
    rectification: Rectification,
    reason: str,
    deadline: dt.date | None = None,
    expected_version: int | None = None,
) -> Rectification:
    """The inspector sends it back: not done yet (the reason; optionally a new deadline)."""
    _require_inspector(actor, rectification.inspection.unit)
    reason = clean_text(reason, field="note", label="退回原因", max_length=2000)
    changes: dict[str, Any] = {"status": Status.REOPENED}
    if deadline is not None:
        if deadline <= clock.today():
            raise DomainError("新的整改期限应晚于今天", field="deadline")
        changes["deadline"] = deadline
    rect = _move(rectification, "reopen", expected_version=expected_version, **changes)
    note = reason if deadline is None else f"{reason}（整改期限延至 {deadline:%Y-%m-%d}）"
    _event(rect, "reopened", actor, note)
    return rect


def is_overdue(rect: Rectification, today: dt.date | None = None) -> bool:
    """Open (not yet verified) and past its deadline."""
    today = today or clock.today()
    return rect.status in wf.RECTIFICATION_OPEN and rect.deadline < today
