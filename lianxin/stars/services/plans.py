"""Yearly creation plans (创星规划) of villages and communities (seed 004: 年初逐星列清创建规划
和具体举措，明确时间节点和工作责任).

- The village's staff (`stars.declare` at the village) draft the year's plan (`plan_create`):
  one `PlanStar` per active star of the village's set. While it is a draft they tick the stars
  aimed at this year (the target level is how many are ticked), write strengths and weaknesses
  per star (优势、短板), and add measures (举措: a person responsible and a deadline) and dated
  milestones (时间节点).
- They submit it to the township (`plan_submit`: at least one targeted star and one measure).
  The township (`stars.review_township`) confirms it (`plan_confirm`) or returns it with a
  reason (`plan_return`, back to draft; a confirmed plan can be returned too, for a mid-year
  adjustment after the measures contest).
- Whatever the state, the village marks measures and milestones done (and undoes a mistaken
  mark): the year's work goes on once the plan is fixed.

Every change of the plan itself (content in draft, state moves) is a compare-and-set on
`version`: an edit made on a stale page is refused with `Conflict`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied, clean_text
from lianxin.stars import workflow as wf
from lianxin.stars.models import CreationPlan, PlanMeasure, PlanMilestone, PlanStar
from lianxin.stars.services.catalog import catalog_for_unit
from lianxin.territory.models import Unit, UnitKind

Status = CreationPlan.Status

MAX_MEASURES = 60
MAX_MILESTONES = 30
# Years a plan may be drafted for, around today's: last year's (late) to next year's
# (drafted in December, before the ideas contest at the start of the year).
YEARS_BACK, YEARS_AHEAD = 1, 1
CONFLICT = "创建规划刚刚有变化，请刷新页面后再操作"
RETURNABLE = (Status.SUBMITTED, Status.CONFIRMED)


@dataclass(frozen=True)
class StarDraft:
    """One star of the plan as typed: targeted this year or not, strengths and weaknesses."""

    code: str
    is_target: bool = False
    strengths: str = ""
    weaknesses: str = ""


@dataclass(frozen=True)
class MeasureDraft:
    title: str
    responsible: str
    deadline: dt.date | None
    star_code: str = ""


@dataclass(frozen=True)
class MilestoneDraft:
    title: str
    due_on: dt.date | None


def plan_years(today: dt.date | None = None) -> range:
    year = (today or clock.today()).year
    return range(year - YEARS_BACK, year + YEARS_AHEAD + 1)


def can_draft(actor: Actor | None, unit: Unit) -> bool:
    return actor is not None and actor.can(wf.DECLARE, unit.path)


def can_review(actor: Actor | None, unit: Unit) -> bool:
    return actor is not None and actor.can(wf.REVIEW_TOWNSHIP, unit.path)


def _require_declare(actor: Actor, unit: Unit) -> None:
    if not can_draft(actor, unit):
        raise PermissionDenied("创建规划由本村（社区）两委制订")


def _require_review(actor: Actor, unit: Unit) -> None:
    if not can_review(actor, unit):
        raise PermissionDenied("创建规划由所在乡镇（街道）确认或退回")


def _move(
    plan: CreationPlan,
    *,
    allowed: Sequence[str],
    expected_version: int | None,
    message: str = "",
    **changes: Any,
) -> CreationPlan:
    """Compare-and-set: the plan changes only from the version (and state) the caller saw."""
    if expected_version is not None and expected_version != plan.version:
        raise Conflict(CONFLICT)
    if plan.status not in allowed:
        raise DomainError(message or f"规划当前为“{Status(plan.status).label}”，不能进行此操作")
    version = plan.version
    changes["updated_at"] = clock.now()
    updated = CreationPlan.objects.filter(
        pk=plan.pk, version=version, status__in=list(allowed)
    ).update(version=F("version") + 1, **changes)
    if not updated:
        raise Conflict(CONFLICT)
    for name, value in changes.items():
        setattr(plan, name, value)
    plan.version = version + 1
    return plan


def _draft_of(actor: Actor, plan: CreationPlan, expected_version: int | None) -> CreationPlan:
    """The plan's content changes only in draft, by the village, from the version it saw."""
    _require_declare(actor, plan.unit)
    return _move(
        plan,
        allowed=(Status.DRAFT,),
        expected_version=expected_version,
        message="规划已报乡镇，内容不能再修改；如需调整请乡镇（街道）退回",
    )


def _in_year(day: dt.date | None, year: int, *, field: str, label: str) -> dt.date:
    if day is None:
        raise DomainError(f"请填写{label}", field=field)
    if not dt.date(year, 1, 1) <= day <= dt.date(year, 12, 31):
        raise DomainError(f"{label}应在{year}年内", field=field)
    return day


# --- the plan ------------------------------------------------------------------------------


@transaction.atomic
def plan_create(*, actor: Actor, unit: Unit, year: int, summary: str = "") -> CreationPlan:
    """Draft the village's plan for `year`, one row per active star of its set (one plan per
    village and year)."""
    if unit.kind != UnitKind.VILLAGE or not unit.is_active:
        raise DomainError("创建规划由村（社区）制订", field="unit")
    _require_declare(actor, unit)
    years = plan_years()
    if year not in years:
        raise DomainError(f"年度应在{years[0]}至{years[-1]}年之间", field="year")
    summary = clean_text(
        summary, field="summary", label="创建思路", max_length=2000, required=False
    )
    if CreationPlan.objects.filter(unit=unit, year=year).exists():
        raise DomainError(f"{unit.display_name}{year}年的创建规划已经建立", field="year")
    star_set = catalog_for_unit(unit, year)
    try:
        with transaction.atomic():
            plan = CreationPlan.objects.create(unit=unit, year=year, summary=summary)
    except IntegrityError as exc:
        raise DomainError(f"{unit.display_name}{year}年的创建规划已经建立", field="year") from exc
    stars = star_set.stars.filter(is_active=True).order_by("sort_order", "id")
    PlanStar.objects.bulk_create(PlanStar(plan=plan, star=s) for s in stars)
    return plan


@transaction.atomic
def plan_update(
    *,
    actor: Actor,
    plan: CreationPlan,
    summary: str,
    stars: Sequence[StarDraft],
    expected_version: int | None = None,
) -> CreationPlan:
    """Change the draft: the approach (创建思路) and, per star, target, strengths, weaknesses.
    The target level becomes the number of targeted stars. Fields are named like the form's
    (``<code>-strengths``) so a refusal lands next to the right box."""
    _require_declare(actor, plan.unit)
    summary = clean_text(
        summary, field="summary", label="创建思路", max_length=2000, required=False
    )
    rows = {ps.star.code: ps for ps in PlanStar.objects.filter(plan=plan).select_related("star")}
    changed: list[PlanStar] = []
    for d in stars:
        ps = rows.get(d.code)
        if ps is None:
            raise DomainError("规划中没有这颗星，请刷新页面", field="stars")
        name = ps.star.name
        values = {
            "is_target": bool(d.is_target),
            "strengths": clean_text(
                d.strengths,
                field=f"{d.code}-strengths",
                label=f"{name}的优势",
                max_length=1000,
                required=False,
            ),
            "weaknesses": clean_text(
                d.weaknesses,
                field=f"{d.code}-weaknesses",
                label=f"{name}的短板弱项",
                max_length=1000,
                required=False,
            ),
        }
        if any(getattr(ps, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(ps, k, v)
            changed.append(ps)
    level = wf.level_of(sum(1 for ps in rows.values() if ps.is_target))
    plan = _draft_of(actor, plan, expected_version)
    CreationPlan.objects.filter(pk=plan.pk).update(summary=summary, target_level=level)
    plan.summary, plan.target_level = summary, level
    for ps in changed:
        ps.plan = plan
        ps.save(update_fields=["is_target", "strengths", "weaknesses"])
    return plan


@transaction.atomic
def plan_submit(
    *, actor: Actor, plan: CreationPlan, expected_version: int | None = None
) -> CreationPlan:
    """报乡镇: the draft goes to the township (at least one targeted star and one measure)."""
    _require_declare(actor, plan.unit)
    if not PlanStar.objects.filter(plan=plan, is_target=True).exists():
        raise DomainError("请至少勾选一颗今年争创的星", field="stars")
    if not PlanMeasure.objects.filter(plan=plan).exists():
        raise DomainError("请至少填写一项创建举措（责任人、完成时限）", field="measures")
    return _move(
        plan,
        allowed=(Status.DRAFT,),
        expected_version=expected_version,
        message="规划已报乡镇",
        status=Status.SUBMITTED,
        submitted_at=clock.now(),
        return_reason="",
    )


@transaction.atomic
def plan_confirm(
    *, actor: Actor, plan: CreationPlan, expected_version: int | None = None
) -> CreationPlan:
    """The township confirms the submitted plan: its targets count as planned."""
    _require_review(actor, plan.unit)
    return _move(
        plan,
        allowed=(Status.SUBMITTED,),
        expected_version=expected_version,
        message="只有已报乡镇的规划可以确认",
        status=Status.CONFIRMED,
        confirmed_at=clock.now(),
    )


@transaction.atomic
def plan_return(
    *, actor: Actor, plan: CreationPlan, reason: str, expected_version: int | None = None
) -> CreationPlan:
    """The township returns a submitted (or confirmed) plan to the village, with a reason."""
    _require_review(actor, plan.unit)
    reason = clean_text(reason, field="reason", label="退回原因", max_length=300)
    return _move(
        plan,
        allowed=RETURNABLE,
        expected_version=expected_version,
        message="规划还在村（社区）草拟中，无需退回",
        status=Status.DRAFT,
        return_reason=reason,
        confirmed_at=None,
    )


# --- measures ------------------------------------------------------------------------------


def _clean_measure(plan: CreationPlan, draft: MeasureDraft) -> dict[str, Any]:
    star = None
    code = (draft.star_code or "").strip()
    if code:
        ps = PlanStar.objects.filter(plan=plan, star__code=code).select_related("star").first()
        if ps is None:
            raise DomainError("请选择本规划中的星", field="star")
        star = ps.star
    return {
        "title": clean_text(draft.title, field="title", label="举措", max_length=200),
        "responsible": clean_text(
            draft.responsible, field="responsible", label="责任人", max_length=60
        ),
        "deadline": _in_year(draft.deadline, plan.year, field="deadline", label="完成时限"),
        "star": star,
    }


@transaction.atomic
def plan_measure_add(
    *,
    actor: Actor,
    plan: CreationPlan,
    draft: MeasureDraft,
    expected_version: int | None = None,
) -> PlanMeasure:
    """Add a measure (举措) to the draft, with the person responsible and a deadline."""
    _require_declare(actor, plan.unit)
    fields = _clean_measure(plan, draft)
    plan = _draft_of(actor, plan, expected_version)
    agg = PlanMeasure.objects.filter(plan=plan).aggregate(n=Count("id"))
    if agg["n"] >= MAX_MEASURES:
        raise DomainError(f"举措不超过{MAX_MEASURES}项", field="title")
    return PlanMeasure.objects.create(plan=plan, sort_order=agg["n"] + 1, **fields)


@transaction.atomic
def plan_measure_update(
    *,
    actor: Actor,
    measure: PlanMeasure,
    draft: MeasureDraft,
    expected_version: int | None = None,
) -> PlanMeasure:
    """Change a measure of the draft."""
    plan = measure.plan
    _require_declare(actor, plan.unit)
    fields = _clean_measure(plan, draft)
    _draft_of(actor, plan, expected_version)
    for name, value in fields.items():
        setattr(measure, name, value)
    measure.save()
    return measure


@transaction.atomic
def plan_measure_remove(
    *, actor: Actor, measure: PlanMeasure, expected_version: int | None = None
) -> None:
    """Remove a measure from the draft."""
    _draft_of(actor, measure.plan, expected_version)
    measure.delete()


def _mark_done(actor: Actor, row: PlanMeasure | PlanMilestone, done_on: dt.date | None) -> None:
    """Mark a measure or milestone done on `done_on`, or not done (None), in any state of
    the plan: the year's work goes on once the plan is fixed."""
    plan = row.plan
    _require_declare(actor, plan.unit)
    if done_on is not None:
        if done_on > clock.today():
            raise DomainError("完成日期不能晚于今天", field="done_on")
        if done_on < dt.date(plan.year - 1, 1, 1):
            raise DomainError(f"完成日期不能早于{plan.year - 1}年", field="done_on")
    row.done_on = done_on
    row.save(update_fields=["done_on", "updated_at"])


@transaction.atomic
def plan_measure_done(
    *, actor: Actor, measure: PlanMeasure, done_on: dt.date | None = None
) -> PlanMeasure:
    """Mark a measure done (today unless another day is given)."""
    _mark_done(actor, measure, done_on or clock.today())
    return measure


@transaction.atomic
def plan_measure_undone(*, actor: Actor, measure: PlanMeasure) -> PlanMeasure:
    """Take back a mistaken "done" mark."""
    _mark_done(actor, measure, None)
    return measure


# --- milestones ----------------------------------------------------------------------------


def _clean_milestone(plan: CreationPlan, draft: MilestoneDraft) -> dict[str, Any]:
    return {
        "title": clean_text(draft.title, field="title", label="节点", max_length=200),
        "due_on": _in_year(draft.due_on, plan.year, field="due_on", label="计划日期"),
    }


@transaction.atomic
def plan_milestone_add(
    *,
    actor: Actor,
    plan: CreationPlan,
    draft: MilestoneDraft,
    expected_version: int | None = None,
) -> PlanMilestone:
    """Add a dated milestone (时间节点) to the draft."""
    _require_declare(actor, plan.unit)
    fields = _clean_milestone(plan, draft)
    plan = _draft_of(actor, plan, expected_version)
    if PlanMilestone.objects.filter(plan=plan).count() >= MAX_MILESTONES:
        raise DomainError(f"时间节点不超过{MAX_MILESTONES}个", field="title")
    return PlanMilestone.objects.create(plan=plan, **fields)


@transaction.atomic
def plan_milestone_update(
    *,
    actor: Actor,
    milestone: PlanMilestone,
    draft: MilestoneDraft,
    expected_version: int | None = None,
) -> PlanMilestone:
    """Change a milestone of the draft."""
    plan = milestone.plan
    _require_declare(actor, plan.unit)
    fields = _clean_milestone(plan, draft)
    _draft_of(actor, plan, expected_version)
    for name, value in fields.items():
        setattr(milestone, name, value)
    milestone.save()
    return milestone


@transaction.atomic
def plan_milestone_remove(
    *, actor: Actor, milestone: PlanMilestone, expected_version: int | None = None
) -> None:
    """Remove a milestone from the draft."""
    _draft_of(actor, milestone.plan, expected_version)
    milestone.delete()


@transaction.atomic
def plan_milestone_done(
    *, actor: Actor, milestone: PlanMilestone, done_on: dt.date | None = None
) -> PlanMilestone:
    """Mark a milestone reached (today unless another day is given)."""
    _mark_done(actor, milestone, done_on or clock.today())
    return milestone


@transaction.atomic
def plan_milestone_undone(*, actor: Actor, milestone: PlanMilestone) -> PlanMilestone:
    """Take back a mistaken "reached" mark."""
    _mark_done(actor, milestone, None)
    return milestone
