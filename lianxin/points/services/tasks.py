"""Micro-tasks (微任务认领): staff publish small tasks with points, slots and a deadline;
residents claim them from the phone or at a station; staff confirm completion with evidence.

Slots are never oversubscribed: a claim takes a slot with a conditional UPDATE
(`claimed_count < slots`, task open, deadline ahead), and the database checks
`claimed_count <= slots` besides. `claimed_count` counts live claims (claimed or completed);
withdrawing or a "not done" frees the slot. One live claim per resident per task is a
database constraint.

Completion pays through the same approval path as any proposal
(`services.proposals.proposal_create`, source "task", source key `task:<claim>`), proposed
by the confirming staff member, so someone else approves it as usual. A task published with
the fast path (only by someone who may approve points there: the approval is given up front)
books at once when completion is confirmed.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied, clean_text
from lianxin.people.models import Household, Resident
from lianxin.points import workflow as wf
from lianxin.points.models import (
    Account,
    Indicator,
    MicroTask,
    Proposal,
    SubjectKind,
    TaskClaim,
)
from lianxin.points.services import proposals
from lianxin.points.services.accounts import account_for_household
from lianxin.points.services.config import catalog_for, scheme_for
from lianxin.territory.models import Unit, UnitKind

DEFAULT_INDICATOR = "micro_task"
MAX_SLOTS = 1000
MAX_POINTS = 1000
TASK_UNIT_KINDS = (UnitKind.VILLAGE, UnitKind.GRID)
FAST_PATH_NOTE = "微任务快速通道：发布时已审定，确认完成即入账"
TaskStatus = MicroTask.Status
ClaimStatus = TaskClaim.Status


def _require_tasks(actor: Actor | None, path: str) -> None:
    if actor is None or not actor.can(wf.TASKS, path):
        raise PermissionDenied("该微任务不在您的管辖范围内")


# --- the catalog -----------------------------------------------------------------------------


def task_indicators(path: str, *, year: int | None = None) -> list[Indicator]:
    """Positive indicators of the household catalog that applies at `path` this year."""
    scheme = scheme_for(SubjectKind.HOUSEHOLD)
    year = year or timezone.localdate(clock.now()).year
    catalog = catalog_for(scheme=scheme, path=path, year=year)
    if catalog is None:
        return []
    return list(
        catalog.indicators.filter(is_active=True, points__gt=0)
        .select_related("aspect")
        .order_by("aspect__sort_order", "sort_order", "id")
    )


def default_indicator(indicators: list[Indicator]) -> Indicator | None:
    """The catalog's micro-task indicator (认领并完成微任务), if it has one."""
    return next((i for i in indicators if i.code == DEFAULT_INDICATOR), None)


def _check_fields(
    *,
    actor: Actor,
    unit: Unit,
    indicator: Indicator,
    points: int,
    slots: int,
    deadline: dt.datetime,
    fast_path: bool,
) -> None:
    if unit.kind not in TASK_UNIT_KINDS or not unit.is_active:
        raise DomainError("微任务发布到村（社区）或网格", field="unit")
    _require_tasks(actor, unit.path)
    if indicator.pk not in {i.pk for i in task_indicators(unit.path)}:
        raise DomainError(f"“{indicator.name}”不在本年度适用的户积分指标目录中", field="indicator")
    if points is None or points < 1 or points > MAX_POINTS:
        raise DomainError(f"积分须为 1–{MAX_POINTS} 的整数", field="points")
    if indicator.cap_points and points > indicator.cap_points:
        raise DomainError(
            f"“{indicator.name}”每期最多 {indicator.cap_points} 分，任务积分不能更高",
            field="points",
        )
    if slots is None or slots < 1 or slots > MAX_SLOTS:
        raise DomainError(f"名额须为 1–{MAX_SLOTS} 的整数", field="slots")
    if deadline is None or deadline <= clock.now():
        raise DomainError("截止时间须晚于现在", field="deadline")
    if fast_path and not actor.can(wf.APPROVE, unit.path):
        # The fast path skips the second person's approval: it is given when publishing.
        raise PermissionDenied("只有有积分审核权限的人员可以设置“确认完成后直接入账”")


# --- tasks -----------------------------------------------------------------------------------


@transaction.atomic
def task_create(
    *,
    actor: Actor,
    unit: Unit,
    title: str,
    description: str,
    indicator: Indicator,
    points: int,
    slots: int,
    deadline: dt.datetime,
    place: str = "",
    fast_path: bool = False,
) -> MicroTask:
    """Publish a micro-task to a village or grid in the actor's scope (发布微任务)."""
    _check_fields(
        actor=actor,
        unit=unit,
        indicator=indicator,
        points=points,
        slots=slots,
        deadline=deadline,
        fast_path=fast_path,
    )
    return MicroTask.objects.create(
        unit=unit,
        title=clean_text(title, field="title", label="任务名称", max_length=80),
        description=clean_text(description, field="description", label="任务要求", max_length=2000),
        place=clean_text(place, field="place", label="地点", max_length=120, required=False),
        indicator=indicator,
        points=points,
        slots=slots,
        deadline=deadline,
        fast_path=fast_path,
        created_by_id=actor.user_id,
    )


@transaction.atomic
def task_update(
    *,
    actor: Actor,
    task: MicroTask,
    title: str,
    description: str,
    indicator: Indicator,
    points: int,
    slots: int,
    deadline: dt.datetime,
    place: str = "",
    fast_path: bool = False,
) -> MicroTask:
    """Edit an open task. Slots cannot drop below the live claims; completions already
    confirmed keep the points they were proposed with."""
    if task.status != TaskStatus.OPEN:
        raise DomainError(f"该任务{TaskStatus(task.status).label}，不能修改")
    _check_fields(
        actor=actor,
        unit=task.unit,
        indicator=indicator,
        points=points,
        slots=slots,
        deadline=deadline,
        fast_path=fast_path,
    )
    claimed = MicroTask.objects.filter(pk=task.pk).values_list("claimed_count", flat=True).get()
    if slots < claimed:
        raise DomainError(f"已有 {claimed} 人认领，名额不能少于 {claimed}", field="slots")
    task.title = clean_text(title, field="title", label="任务名称", max_length=80)
    task.description = clean_text(
        description, field="description", label="任务要求", max_length=2000
    )
    task.place = clean_text(place, field="place", label="地点", max_length=120, required=False)
    task.indicator = indicator
    task.points = points
    task.slots = slots
    task.deadline = deadline
    task.fast_path = fast_path
    try:
        # Not claimed_count: claims move it concurrently (the database keeps it <= slots).
        with transaction.atomic():
            task.save(
                update_fields=[
                    "title",
                    "description",
                    "place",
                    "indicator",
                    "points",
                    "slots",
                    "deadline",
                    "fast_path",
                    "updated_at",
                ]
            )
    except IntegrityError as exc:
        raise DomainError("刚刚有人认领，名额不能少于已认领人数", field="slots") from exc
    return task


@transaction.atomic
def task_close(*, actor: Actor, task: MicroTask) -> MicroTask:
    """Stop claims (结束认领). Claims already made can still be confirmed or marked not done."""
    _require_tasks(actor, task.unit.path)
    if task.status != TaskStatus.OPEN:
        raise DomainError(f"该任务{TaskStatus(task.status).label}")
    task.status = TaskStatus.CLOSED
    task.save(update_fields=["status", "updated_at"])
    return task


# --- claims ----------------------------------------------------------------------------------


def _why_not_claimable(task_pk: int, now: dt.datetime) -> str:
    task = MicroTask.objects.get(pk=task_pk)
    if task.status != TaskStatus.OPEN:
        return f"该任务{TaskStatus(task.status).label}，不能认领"
    if task.deadline <= now:
        return "已过认领截止时间"
    return "名额已满"


@transaction.atomic
def task_claim(
    *, task: MicroTask, resident: Resident, channel: str, actor: Actor | None = None
) -> TaskClaim:
    """A resident claims a slot (认领): from the phone (`actor` None) or registered at a
    station by staff (`actor`). Refused when the task is closed, past its deadline or full,
    when the resident already holds a claim, or lives outside the task's area."""
    if channel not in TaskClaim.Channel.values:
        raise DomainError("认领方式无效", field="channel")
    if channel == TaskClaim.Channel.STATION:
        _require_tasks(actor, task.unit.path)
    household: Household = resident.household
    if not resident.is_active or not household.is_active:
        raise DomainError("该居民不在册，不能认领", field="resident")
    if not household.unit.path.startswith(task.unit.path):
        raise DomainError(f"该任务面向{task.unit.display_name}的居民", field="resident")
    now = clock.now()
    if task.status != TaskStatus.OPEN or task.deadline <= now:
        raise DomainError(_why_not_claimable(task.pk, now))
    live = (ClaimStatus.CLAIMED, ClaimStatus.COMPLETED)
    if TaskClaim.objects.filter(task=task, resident=resident, status__in=live).exists():
        raise DomainError(f"{resident.name}已认领该任务", field="resident")
    # The slot: a conditional UPDATE, so concurrent claims never exceed the slots.
    taken = MicroTask.objects.filter(
        pk=task.pk,
        status=TaskStatus.OPEN,
        deadline__gt=now,
        claimed_count__lt=F("slots"),
    ).update(claimed_count=F("claimed_count") + 1, updated_at=now)
    if not taken:
        raise DomainError(_why_not_claimable(task.pk, now))
    account = account_for_household(household)
    try:
        with transaction.atomic():
            claim = TaskClaim.objects.create(
                task=task, resident=resident, account=account, channel=channel
            )
    except IntegrityError as exc:
        # A second claim racing the first: the slot taken above rolls back with this error.
        raise DomainError(f"{resident.name}已认领该任务", field="resident") from exc
    task.claimed_count += 1
    return claim


def _free_slot(claim: TaskClaim, now: dt.datetime) -> None:
    MicroTask.objects.filter(pk=claim.task_id, claimed_count__gt=0).update(
        claimed_count=F("claimed_count") - 1, updated_at=now
    )


def _move(claim: TaskClaim, to: str, **changes: object) -> None:
    """Compare-and-set: the claim moves only from `claimed`, once."""
    done = TaskClaim.objects.filter(pk=claim.pk, status=ClaimStatus.CLAIMED).update(
        status=to, updated_at=clock.now(), **changes
    )
    if not done:
        raise Conflict("该认领刚刚已被处理，请刷新后查看")
    claim.status = to
    for name, value in changes.items():
        setattr(claim, name, value)


@transaction.atomic
def claim_withdraw(*, claim: TaskClaim, resident: Resident) -> TaskClaim:
    """The resident gives the task back before completion (放弃); the slot is freed."""
    if claim.resident_id != resident.pk:
        raise PermissionDenied("只能放弃自己认领的任务")
    if claim.status != ClaimStatus.CLAIMED:
        raise DomainError(f"该认领{ClaimStatus(claim.status).label}，不能放弃")
    now = clock.now()
    _move(claim, ClaimStatus.WITHDRAWN)
    _free_slot(claim, now)
    return claim


@transaction.atomic
def claim_reject(*, actor: Actor, claim: TaskClaim, note: str) -> TaskClaim:
    """Staff record that the task was not done (未完成), with the reason; the slot is freed."""
    _require_tasks(actor, claim.task.unit.path)
    note = clean_text(note, field="note", label="未完成的原因", max_length=300)
    if claim.status != ClaimStatus.CLAIMED:
        raise DomainError(f"该认领{ClaimStatus(claim.status).label}，不能再处理")
    now = clock.now()
    _move(
        claim,
        ClaimStatus.REJECTED,
        evidence=note,
        confirmed_by_id=actor.user_id,
        confirmed_at=now,
    )
    _free_slot(claim, now)
    return claim


def _fast_book(proposal: Proposal, *, actor: Actor, task: MicroTask) -> Proposal:
    """Approve and book at once (the task's fast path): the publisher's approval stands for
    the second person's. Uses the proposal state machine, so events and compare-and-set are
    those of every proposal."""
    return proposals.proposal_fast_book(
        actor=actor, proposal=proposal, decided_by_id=task.created_by_id, note=FAST_PATH_NOTE
    )


def _claim_proposal(
    *, actor: Actor, claim: TaskClaim, evidence: str, photo: ContentFile | None
) -> Proposal:
    task = claim.task
    account: Account = claim.account
    day = timezone.localdate(clock.now())
    uploads = []
    if photo is not None:
        uploads = [SimpleUploadedFile(photo.name or "photo.jpg", photo.read(), "image/jpeg")]
        photo.seek(0)
    try:
        proposal = proposals.proposal_create(
            actor=actor,
            account=account,
            indicator=task.indicator,
            occurred_on=day,
            description=evidence or f"完成微任务：{task.title}",
            resident=claim.resident,
            link_note=f"微任务：{task.title}",
            photos=uploads,
            source="task",
            source_key=f"task:{claim.public_id}",
            points=task.points,
        )
    except DomainError as exc:
        if exc.field == "photos":
            exc.field = "photo"
        raise
    if task.fast_path:
        proposal = _fast_book(proposal, actor=actor, task=task)
    return proposal


@transaction.atomic
def claim_confirm(
    *, actor: Actor, claim: TaskClaim, evidence: str = "", photo: UploadedFile | None = None
) -> TaskClaim:
    """Staff confirm the task done with evidence (text and/or a photo): the points are
    proposed for the claimant's household (or booked at once on the fast path)."""
    from lianxin.people.services import clean_photo

    task = claim.task
    _require_tasks(actor, task.unit.path)
    evidence = clean_text(
        evidence, field="evidence", label="完成情况", max_length=300, required=False
    )
    if not evidence and photo is None:
        raise DomainError("请填写完成情况或上传照片", field="evidence")
    if claim.status != ClaimStatus.CLAIMED:
        raise DomainError(f"该认领{ClaimStatus(claim.status).label}，不能再确认")
    image: ContentFile | None = None
    if photo is not None:
        try:
            cleaned = clean_photo(photo)
        except DomainError as exc:
            raise DomainError(exc.message, field="photo") from exc
        image = ContentFile(cleaned.content, name=f"{uuid.uuid4().hex}.{cleaned.extension}")
    proposal = _claim_proposal(actor=actor, claim=claim, evidence=evidence, photo=image)
    changes: dict[str, object] = {
        "evidence": evidence,
        "confirmed_by_id": actor.user_id,
        "confirmed_at": clock.now(),
        "proposal": proposal,
    }
    if image is not None:
        claim.photo.save(image.name or "photo.jpg", image, save=False)
        changes["photo"] = claim.photo.name
    _move(claim, ClaimStatus.COMPLETED, **changes)
    return claim


# --- reads -----------------------------------------------------------------------------------


def task_units(actor: Actor) -> QuerySet[Unit]:
    """Villages and grids where the actor may publish tasks."""
    return (
        Unit.objects.visible_to(actor, wf.TASKS)
        .filter(kind__in=TASK_UNIT_KINDS, is_active=True)
        .order_by("path")
    )


def task_list(actor: Actor, *, status: str = "", q: str = "") -> QuerySet[MicroTask]:
    """Tasks in the actor's scope, newest first (open ones by deadline)."""
    qs = MicroTask.objects.visible_to(actor, wf.TASKS).select_related("unit", "indicator")
    if status in TaskStatus.values:
        qs = qs.filter(status=status)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(place__icontains=q))
    return qs.order_by("-created_at", "-id")


def task_get(actor: Actor, public_id: object) -> MicroTask:
    """One task in scope (404 outside)."""
    return MicroTask.objects.select_related("unit", "indicator", "created_by").get_visible(
        actor, wf.TASKS, public_id=public_id
    )


def claim_get(actor: Actor, public_id: object) -> TaskClaim:
    """One claim in scope (404 outside)."""
    return TaskClaim.objects.select_related(
        "task__unit", "task__indicator", "resident__household__unit", "account", "proposal"
    ).get_visible(actor, wf.TASKS, public_id=public_id)


def task_claims(task: MicroTask) -> QuerySet[TaskClaim]:
    """A task's claims in the order they came."""
    return task.claims.select_related(
        "resident__household__unit", "confirmed_by", "proposal"
    ).order_by("created_at", "id")


def claim_candidates(actor: Actor, task: MicroTask, q: str, *, limit: int = 20) -> list[Resident]:
    """Residents of the task's area in the actor's scope whose name, door or head of
    household matches `q` (station registration)."""
    q = (q or "").strip()[:30]
    if not q:
        return []
    households = Household.objects.visible_to(actor, wf.TASKS).filter(
        unit__path__startswith=task.unit.path, is_active=True
    )
    return list(
        Resident.objects.filter(household__in=households, is_active=True)
        .filter(
            Q(name__icontains=q)
            | Q(household__address__icontains=q)
            | Q(household__head_name__icontains=q)
        )
        .select_related("household__unit")
        .order_by("household__unit__path", "household__address", "id")[:limit]
    )


def phone_tasks(accounts: list[Account]) -> list[MicroTask]:
    """Open tasks, before their deadline, of the villages and grids the signed-in
    households live in; soonest deadline first."""
    units = {u for a in accounts for u in (a.village_id, a.grid_id) if u}
    return list(
        MicroTask.objects.filter(
            unit_id__in=units, status=TaskStatus.OPEN, deadline__gt=clock.now()
        )
        .select_related("unit")
        .order_by("deadline", "id")
    )


def phone_claims(residents: list[Resident]) -> list[TaskClaim]:
    """The signed-in residents' claims, newest first."""
    return list(
        TaskClaim.objects.filter(resident__in=residents)
        .select_related("task__unit", "resident", "proposal")
        .order_by("-created_at", "-id")[:50]
    )
