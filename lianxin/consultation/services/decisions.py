"""Decisions followed to their results (议定事项落实, like Decidim's accountability module).

A `Decision` comes only from something a meeting decided: an agenda item that passed (or was
discussed and concluded), or a 四议两公开 matter that reached its resolution — "未经会议议定"
is refused. Its implementation is a list of `Milestone`s, each with 0–100% progress; every
change of a milestone is an append-only `ProgressUpdate` (who, as which post, why), which is
the public timeline. The decision's progress is the rounded mean of its milestones; it is
implemented (DONE, `done_on` = the last milestone's day) when every milestone reaches 100, and
goes back to "in progress" if one drops.

A milestone may be linked to a resident's request: `receivers.py` moves it to 100% when the
request is resolved. Requests linked to a decision must lie in its village or community.

Two staff may act at once: progress is a compare-and-set on the value the page showed, the
decision row is locked while its progress is recomputed (so two milestones moving together
give the right mean), and cancelling compares the version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.cases.models import Case
from lianxin.cases.workflow import Outcome
from lianxin.cases.workflow import Status as CaseStatus
from lianxin.consultation import workflow as wf
from lianxin.consultation.models import AgendaItem, Decision, Matter, Milestone, ProgressUpdate
from lianxin.consultation.services.common import SYSTEM_LABEL, require
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, clean_text
from lianxin.territory.models import Unit

Status = Decision.Status
# What a decision may come from: an item that passed or was concluded after discussion, and
# a matter whose resolution was adopted (and possibly already published).
ITEM_DECIDED = frozenset({AgendaItem.Status.PASSED, AgendaItem.Status.DISCUSSED})
MATTER_DECIDED = frozenset(
    {Matter.Status.RESOLVED, Matter.Status.ANNOUNCED, Matter.Status.COMPLETED}
)
NOT_DECIDED = "未经会议议定的事项不能列为议定事项"
CONFLICT = "该事项刚刚有变化，请刷新页面后再操作"


def today() -> dt.date:
    return timezone.localdate(clock.now())


def case_is_resolved(case: Case) -> bool:
    """Whether a request counts as done for a milestone: resolved (waiting for or past the
    follow-up) or closed as resolved (not guided, rejected or merged)."""
    if case.status in (CaseStatus.RESOLVED, CaseStatus.FOLLOWED_UP):
        return True
    return case.status == CaseStatus.CLOSED and case.outcome == Outcome.RESOLVED


def public_actor_label(actor: Actor, unit: Unit) -> str:
    """The post shown to residents for a staff update (“迎秀社区工作人员”), never a name."""
    for post in actor.posts_with(wf.RUN):
        if unit.path.startswith(post.unit_path):
            return f"{post.unit_name}工作人员"[:150]
    return f"{unit.display_name}工作人员"[:150]


def _check_case(case: Case, unit: Unit, field: str = "cases") -> None:
    if not case.place_path.startswith(unit.path):
        raise DomainError(f"诉求 {case.tracking_no} 不在{unit.display_name}", field=field)


def _check_responsible_unit(responsible_unit: Unit | None, unit: Unit) -> None:
    """The responsible unit is the village itself, a part of it, or a level above it."""
    if responsible_unit is None:
        return
    if not (
        responsible_unit.path.startswith(unit.path) or unit.path.startswith(responsible_unit.path)
    ):
        raise DomainError(
            "责任单元须为本村（社区）、其下网格楼院或上级单位", field="responsible_unit"
        )


def _source_unit(item: AgendaItem | None, matter: Matter | None) -> Unit:
    """The unit of the decided source; refuses a decision nothing decided."""
    if item is None and matter is None:
        raise DomainError(NOT_DECIDED + "，请从会议议程或四议两公开事项发起", field="item")
    if item is not None:
        if item.status not in ITEM_DECIDED:
            raise DomainError(
                f"该议题当前为“{AgendaItem.Status(item.status).label}”，{NOT_DECIDED}",
                field="item",
            )
        if matter is not None and item.matter_id != matter.pk:
            raise DomainError("议程与四议两公开事项不对应", field="matter")
        return item.meeting.unit
    assert matter is not None
    if matter.status not in MATTER_DECIDED:
        raise DomainError(
            f"该事项当前为“{Matter.Status(matter.status).label}”，{NOT_DECIDED}", field="matter"
        )
    return matter.unit


@transaction.atomic
def decision_create(
    *,
    actor: Actor,
    item: AgendaItem | None = None,
    matter: Matter | None = None,
    title: str,
    summary: str,
    responsible: str,
    responsible_unit: Unit | None = None,
    project: str = "",
    decided_on: dt.date,
    due_on: dt.date,
    cases: Iterable[Case] = (),
    is_public: bool | None = None,
) -> Decision:
    """Record what a meeting decided as a decision to follow to its result.

    `is_public` defaults to the meeting's publicity (a matter's decisions are public)."""
    unit = _source_unit(item, matter)
    require(actor, wf.RUN, unit.path, "没有在该村（社区）登记议定事项的权限")
    if item is not None and matter is None and item.matter_id is not None:
        matter = item.matter
    if decided_on > today():
        raise DomainError("决定日期不能晚于今天", field="decided_on")
    if item is not None and item.decided_at is not None:
        if decided_on < timezone.localdate(item.decided_at):
            raise DomainError("决定日期不能早于会议议定的日期", field="decided_on")
    if due_on < decided_on:
        raise DomainError("计划完成日期不能早于决定日期", field="due_on")
    _check_responsible_unit(responsible_unit, unit)
    linked = list(cases)
    for case in linked:
        _check_case(case, unit)
    if is_public is None:
        is_public = item.meeting.is_public if item is not None else True
    try:
        with transaction.atomic():
            decision = Decision.objects.create(
                unit=unit,
                item=item,
                matter=matter,
                title=clean_text(title, field="title", label="事项", max_length=100),
                summary=clean_text(summary, field="summary", label="决定内容", max_length=5000),
                responsible=clean_text(
                    responsible, field="responsible", label="责任单位", max_length=60
                ),
                responsible_unit=responsible_unit,
                project=clean_text(
                    project, field="project", label="关联项目", max_length=100, required=False
                ),
                decided_on=decided_on,
                due_on=due_on,
                is_public=is_public,
            )
    except IntegrityError as exc:
        # Decision.item is one-to-one: the item already has its decision.
        raise DomainError("该议题已登记为议定事项", field="item") from exc
    if linked:
        decision.cases.add(*linked)
    return decision


def _lock(decision: Decision) -> Decision:
    """The decision row, locked for this transaction (progress changes queue behind it)."""
    return Decision.objects.select_for_update().get(pk=decision.pk)


def _require_open(actor: Actor, decision: Decision) -> None:
    require(actor, wf.RUN, decision.unit.path, "没有办理该议定事项的权限")
    if decision.status == Status.CANCELLED:
        raise DomainError("该议定事项已撤销")


def _mean_half_up(total: int, count: int) -> int:
    """Integer mean rounded half up (99.5 → 100), in integer arithmetic."""
    return (2 * total + count) // (2 * count)


@transaction.atomic
def decision_recompute(decision: Decision) -> Decision:
    """Progress = the rounded mean of the milestones; DONE with the last milestone's day
    when all are at 100; back to in progress when one drops. Cancelled decisions keep their
    state. Runs under the decision's row lock."""
    locked = _lock(decision)
    if locked.status == Status.CANCELLED:
        return locked
    agg = Milestone.objects.filter(decision_id=locked.pk).aggregate(
        n=Count("id"),
        total=Sum("progress"),
        done=Count("id", filter=Q(progress__gte=100)),
        last=Max("done_on"),
    )
    n = agg["n"] or 0
    if n == 0:
        progress, status, done_on = 0, Status.IN_PROGRESS, None
    elif agg["done"] == n:
        progress, status, done_on = 100, Status.DONE, agg["last"]
    else:
        # Never shown as 100% while a milestone is still open.
        progress = min(_mean_half_up(agg["total"] or 0, n), 99)
        status, done_on = Status.IN_PROGRESS, None
    if (locked.progress, locked.status, locked.done_on) != (progress, status, done_on):
        Decision.objects.filter(pk=locked.pk).update(
            progress=progress,
            status=status,
            done_on=done_on,
            version=locked.version + 1,
            updated_at=clock.now(),
        )
        locked.progress, locked.status, locked.done_on = progress, status, done_on
        locked.version += 1
    for name in ("progress", "status", "done_on", "version"):
        setattr(decision, name, getattr(locked, name))
    return decision


def _record(
    milestone: Milestone, *, progress: int, note: str, actor: Actor | None, label: str
) -> ProgressUpdate:
    return ProgressUpdate.objects.create(
        milestone=milestone,
        progress=progress,
        note=note,
        actor_id=actor.user_id if actor is not None else None,
        actor_label=label,
        at=clock.now(),
    )


def milestone_complete_for_case(milestone: Milestone, case: Case, *, on: dt.date) -> bool:
    """The linked request was resolved: the milestone goes to 100% with a system update.
    False when it was already complete (or another writer got there first)."""
    updated = Milestone.objects.filter(pk=milestone.pk, progress__lt=100).update(
        progress=100, done_on=on, updated_at=clock.now()
    )
    if not updated:
        return False
    milestone.progress, milestone.done_on = 100, on
    _record(
        milestone,
        progress=100,
        note=f"关联诉求已办结 {case.tracking_no}",
        actor=None,
        label=SYSTEM_LABEL,
    )
    return True


@transaction.atomic
def milestone_add(
    *,
    actor: Actor,
    decision: Decision,
    title: str,
    due_on: dt.date,
    case: Case | None = None,
) -> Milestone:
    """Add an implementation step. A linked request joins the decision's requests; if it is
    already resolved the step starts at 100%."""
    decision = _lock(decision)
    _require_open(actor, decision)
    if due_on < decision.decided_on:
        raise DomainError("节点计划完成日期不能早于决定日期", field="due_on")
    if case is not None:
        _check_case(case, decision.unit, field="case")
    order = (Milestone.objects.filter(decision=decision).aggregate(m=Max("order"))["m"] or 0) + 1
    milestone = Milestone.objects.create(
        decision=decision,
        order=order,
        title=clean_text(title, field="title", label="节点", max_length=100),
        due_on=due_on,
        case=case,
    )
    if case is not None:
        decision.cases.add(case)
        if case_is_resolved(case):
            milestone_complete_for_case(milestone, case, on=today())
    decision_recompute(decision)
    return milestone


@transaction.atomic
def milestone_link_case(*, actor: Actor, milestone: Milestone, case: Case | None) -> Milestone:
    """Link a step to a request (or unlink with None); a resolved request completes it."""
    decision = _lock(milestone.decision)
    _require_open(actor, decision)
    if case is not None:
        _check_case(case, decision.unit, field="case")
    Milestone.objects.filter(pk=milestone.pk).update(case=case, updated_at=clock.now())
    milestone.case = case
    if case is not None:
        decision.cases.add(case)
        if case_is_resolved(case):
            milestone_complete_for_case(milestone, case, on=today())
            decision_recompute(decision)
    return milestone


@transaction.atomic
def milestone_progress(
    *,
    actor: Actor,
    milestone: Milestone,
    progress: int,
    note: str = "",
    expected_progress: int | None = None,
) -> Milestone:
    """Report a step's progress (0–100) with a note; 100 sets the step's completion day.

    Progress never goes backwards without a note saying why. `expected_progress` is the
    value the page showed: if someone changed it since, the update is refused."""
    decision = _lock(milestone.decision)
    _require_open(actor, decision)
    if not isinstance(progress, int) or not 0 <= progress <= 100:
        raise DomainError("进度须为0到100之间的整数", field="progress")
    note = clean_text(note, field="note", label="进展说明", max_length=2000, required=False)
    current = milestone.progress if expected_progress is None else expected_progress
    if progress < current and not note:
        raise DomainError(f"进度由{current}%回退到{progress}%，请说明原因", field="note")
    if progress == current and not note:
        raise DomainError("进度没有变化，请填写新的进度或进展说明", field="progress")
    done_on = (milestone.done_on or today()) if progress == 100 else None
    if current == 100 and progress == 100:
        done_on = milestone.done_on
    updated = Milestone.objects.filter(pk=milestone.pk, progress=current).update(
        progress=progress, done_on=done_on, updated_at=clock.now()
    )
    if not updated:
        raise Conflict("该节点的进度刚刚已被他人更新，请刷新页面后再操作")
    milestone.progress, milestone.done_on = progress, done_on
    _record(
        milestone,
        progress=progress,
        note=note,
        actor=actor,
        label=public_actor_label(actor, decision.unit),
    )
    decision_recompute(decision)
    return milestone


@transaction.atomic
def decision_cancel(
    *, actor: Actor, decision: Decision, reason: str, expected_version: int | None = None
) -> Decision:
    """Cancel a decision still in progress (e.g. overturned by a later meeting), with the
    reason (kept in the audit log and on each step's timeline)."""
    _require_open(actor, decision)
    reason = clean_text(reason, field="reason", label="撤销原因", max_length=300)
    if decision.status == Status.DONE:
        raise DomainError("已落实的事项不能撤销")
    version = decision.version if expected_version is None else expected_version
    updated = Decision.objects.filter(
        pk=decision.pk, version=version, status=Status.IN_PROGRESS
    ).update(status=Status.CANCELLED, version=version + 1, updated_at=clock.now())
    if not updated:
        raise Conflict(CONFLICT)
    decision.status, decision.version = Status.CANCELLED, version + 1
    label = public_actor_label(actor, decision.unit)
    for milestone in Milestone.objects.filter(decision=decision):
        _record(
            milestone,
            progress=milestone.progress,
            note=f"事项已撤销：{reason}",
            actor=actor,
            label=label,
        )
    audit_record(
        action=AuditEvent.Action.UPDATE,
        obj=decision,
        changes={"status": [Status.IN_PROGRESS, Status.CANCELLED], "reason": reason},
        scope_path=decision.unit.path,
    )
    return decision


@transaction.atomic
def decision_link_case(*, actor: Actor, decision: Decision, case: Case) -> Decision:
    """Link a resident's request of the same village to the decision (关联诉求)."""
    _require_open(actor, _lock(decision))
    _check_case(case, decision.unit, field="tracking_no")
    if decision.cases.filter(pk=case.pk).exists():
        raise DomainError(f"诉求 {case.tracking_no} 已关联", field="tracking_no")
    decision.cases.add(case)
    return decision


@transaction.atomic
def decision_unlink_case(*, actor: Actor, decision: Decision, case: Case) -> Decision:
    """Remove a linked request; refused while one of the steps follows it."""
    _require_open(actor, _lock(decision))
    if Milestone.objects.filter(decision=decision, case=case).exists():
        raise DomainError(
            f"落实节点关联了诉求 {case.tracking_no}，请先取消节点的关联", field="case"
        )
    decision.cases.remove(case)
    return decision
