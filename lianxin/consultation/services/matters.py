"""四议两公开 matters: a village's major decision held in four steps, then published twice.

The four steps (workflow.MATTER_STEPS) are 党支部提议 → “两委”会议商议 → 党员大会审议 →
村（居）民代表会议或村民会议决议. Each is an agenda item of a meeting of a type the step allows,
voted with that meeting's quorum and threshold (services/votes.py). The matter only ever holds
`next_step`: staff schedule it on a meeting, the vote's outcome comes back through
`matter_item_decided`, and a pass moves `next_step` on by one — so a step can be neither
skipped nor held out of order. A failed step may be held again at another meeting, or the
matter withdrawn. After the fourth step the matter is resolved; the resolution is published
(决议公开) with a notice period, and once that period has run the implementation result is
published (实施结果公开).

    in_progress ⇄ rejected (a step failed; schedule it again) → resolved → announced → completed
    in_progress / rejected → withdrawn

Every change is a compare-and-set on `version` and writes an append-only `MatterEvent` with the
actor's label.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.consultation import workflow as wf
from lianxin.consultation.models import AgendaItem, Matter, MatterEvent, Meeting, MeetingType
from lianxin.consultation.services.common import actor_label, actor_user_id, require
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, clean_text
from lianxin.territory.models import Unit, UnitKind

Status = Matter.Status
Action = MatterEvent.Action
ItemStatus = AgendaItem.Status
# Bounds of the resolution's notice period (公示期), in days.
NOTICE_DAYS_MIN = 1
NOTICE_DAYS_MAX = 60
AMOUNT_MAX = Decimal("999999999999.99")
# A step may be (re)scheduled while the matter is in these states.
SCHEDULABLE = frozenset({Status.IN_PROGRESS, Status.REJECTED})


def step_meeting_type_names(step: int) -> str:
    """The meeting types a step may be held at, by name (for messages and the page)."""
    codes = wf.matter_step(step).meeting_types
    names = MeetingType.objects.filter(code__in=codes).order_by("sort_order", "id")
    return "、".join(names.values_list("name", flat=True)) or "、".join(sorted(codes))


def live_item(matter: Matter) -> AgendaItem | None:
    """The matter's item still to be decided: being voted on, or pending at a meeting that is
    planned or open (a pending item of a cancelled or ended meeting is dead)."""
    for item in (
        AgendaItem.objects.filter(matter=matter, status__in=[ItemStatus.PENDING, ItemStatus.VOTING])
        .select_related("meeting")
        .order_by("-id")
    ):
        if item.status == ItemStatus.VOTING or item.meeting.status in (
            Meeting.Status.PLANNED,
            Meeting.Status.OPEN,
        ):
            return item
    return None


def notice_until(published: dt.datetime, days: int) -> dt.date:
    """The last day of a notice published at `published` for `days` days. The day of
    publication does not count (民法典 第二百零一条: a period in days starts the next day)."""
    return timezone.localdate(published) + dt.timedelta(days=days)


def notice_over(matter: Matter, *, now: dt.datetime | None = None) -> bool:
    """Whether the resolution's notice period has run to its end."""
    if matter.resolution_notice_until is None:
        return False
    return timezone.localdate(now or clock.now()) > matter.resolution_notice_until


def _event(
    matter: Matter,
    actor: Actor | None,
    action: str,
    *,
    step: int | None = None,
    item: AgendaItem | None = None,
    note: str = "",
) -> MatterEvent:
    return MatterEvent.objects.create(
        matter=matter,
        action=action,
        step=step,
        item=item,
        actor_id=actor_user_id(actor),
        actor_label=actor_label(actor),
        note=note,
        at=clock.now(),
    )


def _move(
    matter: Matter,
    *,
    sources: frozenset[str] | set[str],
    expected_version: int | None,
    **changes: Any,
) -> Matter:
    """Compare-and-set: the change lands only if nobody moved the matter since it was read."""
    if matter.status not in sources:
        raise DomainError(f"该事项当前为“{Status(matter.status).label}”，不能进行此操作")
    version = matter.version if expected_version is None else expected_version
    changes["updated_at"] = clock.now()
    updated = Matter.objects.filter(
        pk=matter.pk, version=version, status=matter.status, next_step=matter.next_step
    ).update(version=version + 1, **changes)
    if not updated:
        raise Conflict("该事项刚刚有变化，请刷新页面后再操作")
    old = {name: getattr(matter, name) for name in changes if name != "updated_at"}
    for name, value in changes.items():
        setattr(matter, name, value)
    matter.version = version + 1
    audit_record(
        action=AuditEvent.Action.UPDATE,
        obj=matter,
        changes={
            name: {"old": str(old[name]), "new": str(changes[name])[:200]}
            for name in old
            if old[name] != changes[name]
        },
        scope_path=matter.unit.path,
    )
    return matter


def _clean_amount(amount: Decimal | str | None) -> Decimal | None:
    if amount in (None, ""):
        return None
    try:
        value = Decimal(str(amount))
    except InvalidOperation as exc:
        raise DomainError("涉及金额须是数字", field="amount") from exc
    if not value.is_finite() or value < 0 or value > AMOUNT_MAX:
        raise DomainError("涉及金额须在0到9999亿元之间", field="amount")
    return value.quantize(Decimal("0.01"))


@transaction.atomic
def matter_create(
    *,
    actor: Actor,
    unit: Unit,
    title: str,
    description: str,
    amount: Decimal | str | None = None,
) -> Matter:
    """Open a 四议两公开 matter of a village or community; its first step is the branch's
    proposal (党支部提议)."""
    if unit.kind != UnitKind.VILLAGE or not unit.is_active:
        raise DomainError("四议两公开事项由村（社区）办理，请选择村（社区）", field="unit")
    require(actor, wf.MATTERS, unit.path, "没有在该村（社区）办理四议两公开事项的权限")
    matter = Matter.objects.create(
        unit=unit,
        title=clean_text(title, field="title", label="事项名称", max_length=100),
        description=clean_text(description, field="description", label="事项说明", max_length=5000),
        amount=_clean_amount(amount),
    )
    _event(matter, actor, Action.CREATE)
    return matter


@transaction.atomic
def matter_step_schedule(
    *,
    actor: Actor,
    matter: Matter,
    meeting: Meeting,
    expected_version: int | None = None,
) -> AgendaItem:
    """Put the matter's next step on the agenda of a meeting of the right type.

    Refused when the meeting is of another unit, has ended, is of a type the step may not be
    held at (a 党员大会 cannot hold the branch's proposal), already held this step, or when the
    matter already has a live item (one step at a time)."""
    require(actor, wf.MATTERS, matter.unit.path, "没有办理该事项的权限")
    if matter.status not in SCHEDULABLE:
        raise DomainError(f"该事项当前为“{Status(matter.status).label}”，不能再安排会议")
    step = matter.next_step
    if not 1 <= step <= wf.STEP_COUNT:
        raise DomainError("四个步骤均已通过，不能再安排会议")
    if meeting.unit_id != matter.unit_id:
        raise DomainError("请选择本村（社区）的会议", field="meeting")
    if meeting.status not in (Meeting.Status.PLANNED, Meeting.Status.OPEN):
        raise DomainError("该会议已结束或已取消，请选择尚未结束的会议", field="meeting")
    spec = wf.matter_step(step)
    if not wf.step_allows(step, meeting.meeting_type.code):
        raise DomainError(
            f"第{step}步“{spec.name}”须在{step_meeting_type_names(step)}上进行，"
            f"不能在{meeting.meeting_type.name}上进行",
            field="meeting",
        )
    current = live_item(matter)
    if current is not None:
        raise DomainError(
            f"第{current.matter_step}步已列入会议“{current.meeting.title}”的议程，"
            "请待该会议议定后再安排",
            field="meeting",
        )
    if AgendaItem.objects.filter(matter=matter, matter_step=step, meeting=meeting).exists():
        raise DomainError(f"第{step}步已在该会议上审议过，请另选会议", field="meeting")
    was_rejected = matter.status == Status.REJECTED
    matter = _move(
        matter,
        sources=SCHEDULABLE,
        expected_version=expected_version,
        status=Status.IN_PROGRESS,
    )
    from lianxin.consultation.services.votes import item_add

    amount = f"\n涉及金额：{matter.amount:,.2f}元" if matter.amount is not None else ""
    item = item_add(
        actor=actor,
        meeting=meeting,
        title=f"【四议两公开·{spec.name}】{matter.title}"[:100],
        description=f"{matter.description}{amount}"[:5000],
        matter_id=matter.pk,
        matter_step=step,
    )
    note = f"{meeting.meeting_type.name}“{meeting.title}”（{_when(meeting.starts_at)}）"
    if was_rejected:
        note += "，重新审议"
    _event(matter, actor, Action.STEP_SCHEDULED, step=step, item=item, note=note)
    return item


def _when(at: dt.datetime) -> str:
    local = timezone.localtime(at)
    return f"{local.year}年{local.month}月{local.day}日"


def _vote_note(item: AgendaItem) -> str:
    rate = f"，支持率{item.support_rate:.2%}" if item.support_rate is not None else ""
    return (
        f"{item.meeting.title}：应到{item.meeting.eligible_count or 0}人，"
        f"实到{item.present_count or 0}人；同意{item.yes_count}、反对{item.no_count}、"
        f"弃权{item.abstain_count}{rate}。{item.outcome_note}"
    ).strip()


def matter_item_decided(*, actor: Actor | None, item: AgendaItem) -> None:
    """The vote on a matter's step closed (called by votes inside its transaction).

    Passed: the step is done and the next one may be scheduled; after the fourth the matter
    is resolved. Rejected: the failure is recorded; the step may be held again at another
    meeting or the matter withdrawn. Anything else (deferred) leaves the matter as it is."""
    if item.matter_id is None or item.status not in (ItemStatus.PASSED, ItemStatus.REJECTED):
        return
    matter = (
        Matter.objects.select_for_update().select_related("unit").filter(pk=item.matter_id).first()
    )
    # An item that is no longer the matter's current step (the matter was withdrawn, or the
    # step already passed elsewhere) changes nothing: the steps stay in order.
    if (
        matter is None
        or matter.status != Status.IN_PROGRESS
        or item.matter_step != matter.next_step
    ):
        return
    step = matter.next_step
    if item.status == ItemStatus.PASSED:
        resolved = step >= wf.STEP_COUNT
        matter = _move(
            matter,
            sources={Status.IN_PROGRESS},
            expected_version=None,
            next_step=step + 1,
            status=Status.RESOLVED if resolved else Status.IN_PROGRESS,
        )
        _event(matter, actor, Action.STEP_PASSED, step=step, item=item, note=_vote_note(item))
    else:
        matter = _move(
            matter, sources={Status.IN_PROGRESS}, expected_version=None, status=Status.REJECTED
        )
        _event(matter, actor, Action.STEP_FAILED, step=step, item=item, note=_vote_note(item))


@transaction.atomic
def matter_resolution_publish(
    *,
    actor: Actor,
    matter: Matter,
    text: str,
    notice_days: int = 5,
    expected_version: int | None = None,
) -> Matter:
    """决议公开: publish the resolution of a resolved matter for `notice_days` days."""
    require(actor, wf.MATTERS, matter.unit.path, "没有办理该事项的权限")
    if matter.status != Status.RESOLVED:
        raise DomainError("四个步骤全部通过、形成决议后才能公开决议")
    text = clean_text(text, field="text", label="决议公开内容", max_length=5000)
    try:
        days = int(notice_days)
    except (TypeError, ValueError) as exc:
        raise DomainError("公示天数须是整数", field="notice_days") from exc
    if not NOTICE_DAYS_MIN <= days <= NOTICE_DAYS_MAX:
        raise DomainError(
            f"公示天数须在{NOTICE_DAYS_MIN}到{NOTICE_DAYS_MAX}天之间", field="notice_days"
        )
    now = clock.now()
    until = notice_until(now, days)
    matter = _move(
        matter,
        sources={Status.RESOLVED},
        expected_version=expected_version,
        status=Status.ANNOUNCED,
        resolution_text=text,
        resolution_published_at=now,
        resolution_notice_until=until,
    )
    _event(
        matter,
        actor,
        Action.RESOLUTION,
        note=f"公示{days}天，至{until.year}年{until.month}月{until.day}日",
    )
    return matter


@transaction.atomic
def matter_result_publish(
    *, actor: Actor, matter: Matter, text: str, expected_version: int | None = None
) -> Matter:
    """实施结果公开: publish what became of the resolution, once its notice period is over."""
    require(actor, wf.MATTERS, matter.unit.path, "没有办理该事项的权限")
    if matter.status != Status.ANNOUNCED:
        raise DomainError("决议公开之后才能公开实施结果")
    if not notice_over(matter):
        until = matter.resolution_notice_until
        assert until is not None  # an announced matter has its notice period
        raise DomainError(
            f"决议公示期至{until.year}年{until.month}月{until.day}日，期满后才能公开实施结果"
        )
    text = clean_text(text, field="text", label="实施结果", max_length=5000)
    matter = _move(
        matter,
        sources={Status.ANNOUNCED},
        expected_version=expected_version,
        status=Status.COMPLETED,
        result_text=text,
        result_published_at=clock.now(),
    )
    _event(matter, actor, Action.RESULT)
    return matter


@transaction.atomic
def matter_withdraw(
    *, actor: Actor, matter: Matter, reason: str, expected_version: int | None = None
) -> Matter:
    """Withdraw a matter that is not resolved yet, with the reason. A step waiting on a
    meeting's agenda is deferred there (暂缓); a step being voted on must be closed first."""
    require(actor, wf.MATTERS, matter.unit.path, "没有办理该事项的权限")
    if matter.status not in SCHEDULABLE:
        raise DomainError(f"该事项当前为“{Status(matter.status).label}”，不能撤销")
    reason = clean_text(reason, field="reason", label="撤销原因", max_length=500)
    current = live_item(matter)
    if current is not None and current.status == ItemStatus.VOTING:
        raise DomainError(
            f"第{current.matter_step}步正在“{current.meeting.title}”上表决，请先结束表决"
        )
    matter = _move(
        matter, sources=SCHEDULABLE, expected_version=expected_version, status=Status.WITHDRAWN
    )
    if current is not None:
        from lianxin.consultation.services.votes import item_conclude

        item_conclude(
            actor=actor, item=current, outcome=ItemStatus.DEFERRED, note=f"事项已撤销：{reason}"
        )
    _event(matter, actor, Action.WITHDRAW, item=current, note=reason)
    return matter
