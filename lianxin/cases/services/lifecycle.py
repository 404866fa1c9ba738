"""The request lifecycle: one compare-and-set writer and one wrapper per action.

`case_transition` checks the action against `workflow.RULES`, checks the actor's permission
at the request's place (or as its handler), updates the row only if its `version` is still
the one the actor saw (two people acting at once: one wins, the other gets `Conflict`), and
appends the `CaseEvent` in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q

from lianxin.accounts.actor import Actor
from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.cases import workflow as wf
from lianxin.cases.models import Case, CaseEvent, CasePhoto, CaseSupporter, Category, MediationTeam
from lianxin.cases.services import notify, routing, sla
from lianxin.cases.workflow import Action, Level, Outcome, Satisfaction, Status
from lianxin.core import clock, crypto
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.territory.models import Unit

MAX_PHOTOS = 9
RESIDENT_LABEL = "居民"


def _now() -> dt.datetime:
    return clock.now()


# --- permission ------------------------------------------------------------------------------


def actor_department_ids(actor: Actor) -> set[int]:
    return {p.department_id for p in actor.posts_with(wf.DEPARTMENT) if p.department_id is not None}


def is_department_handler(actor: Actor, case: Case) -> bool:
    """A department user acts on a request routed to the department, or one it was summoned
    to by a whistle, within the unit of the department post."""
    depts = actor_department_ids(actor)
    if not depts or not actor.can(wf.DEPARTMENT, case.place_path):
        return False
    if case.handler_department_id in depts:
        return True
    from lianxin.cases.models import WhistleSummons

    return WhistleSummons.objects.filter(whistle__case_id=case.pk, department_id__in=depts).exists()


def actor_may(actor: Actor | None, case: Case, perm: str) -> bool:
    """Whether the actor holds `perm` for this request: at its place, at its handling unit,
    as its assignee (handling), or as a department handler (handling)."""
    if actor is None or actor.user_id is None:
        return False
    if actor.can(perm, case.place_path):
        return True
    handler_path = case.handler_unit.path if case.handler_unit_id and case.handler_unit else ""
    if handler_path and actor.can(perm, handler_path):
        return True
    if perm in {wf.HANDLE, wf.VIEW}:
        if case.assignee_id is not None and case.assignee_id == actor.user_id:
            return True
        return is_department_handler(actor, case)
    return False


def require(
    actor: Actor | None, case: Case, perm: str, message: str = "没有办理该诉求的权限"
) -> None:
    if not actor_may(actor, case, perm):
        raise PermissionDenied(message)


# --- the writer ------------------------------------------------------------------------------


def store_photos(
    case: Case, uploads: Sequence[UploadedFile], *, stage: str, event: CaseEvent | None
) -> list[CasePhoto]:
    """Validate (real images only, size-limited), strip EXIF and store under random names."""
    from lianxin.people.services import clean_photo

    if len(uploads) > MAX_PHOTOS:
        raise DomainError(f"最多上传{MAX_PHOTOS}张照片", field="photos")
    cleaned = [clean_photo(u) for u in uploads]
    out = []
    for photo in cleaned:
        pid = uuid.uuid4()
        out.append(
            CasePhoto.objects.create(
                public_id=pid,
                case=case,
                event=event,
                stage=stage,
                image=ContentFile(photo.content, name=f"{pid.hex}.{photo.extension}"),
            )
        )
    return out


def record_event(
    case: Case,
    *,
    action: str,
    actor: Actor | None,
    note: str = "",
    from_status: str = "",
    to_status: str = "",
    public: bool = True,
    data: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
    system_label: str = "",
) -> CaseEvent:
    """Append one event. Without a user it is the resident's step, unless `system_label`
    names the job that acted (e.g. 系统（超期自动吹哨）)."""
    if actor is not None and actor.user_id:
        actor_label = actor.display_name
    else:
        actor_label = system_label or RESIDENT_LABEL
    return CaseEvent.objects.create(
        case=case,
        place_path=case.place_path,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor_id=actor.user_id if actor else None,
        actor_label=actor_label[:100],
        post_label=(actor.post_label if actor and actor.user_id else "")[:150],
        note=note,
        is_public=public,
        data=data or {},
        created_at=at or _now(),
    )


@transaction.atomic
def case_transition(
    *,
    case: Case,
    action: str,
    actor: Actor | None,
    note: str = "",
    expected_version: int | None = None,
    changes: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    photos: Sequence[UploadedFile] = (),
    photo_stage: str = CasePhoto.Stage.PROGRESS,
    skip_permission: bool = False,
    system_label: str = "",
) -> CaseEvent:
    """Apply one action: check rule and permission, compare-and-set, append the event.

    `expected_version` is the version the actor saw (forms carry it); a different current
    version means someone acted first and the action is refused with `Conflict`.
    `skip_permission` is for the resident's private link and the system's own jobs only.
    """
    rule = wf.rule_for(action)
    if case.status not in rule.sources:
        raise DomainError(f"诉求当前为“{Status(case.status).label}”，不能{Action(action).label}")
    if not skip_permission:
        require(actor, case, rule.perm)
    note = (note or "").strip()
    if rule.needs_note and not note:
        raise DomainError("请填写说明", field="note")
    version = case.version if expected_version is None else expected_version
    from_status = case.status
    if action == Action.RESUME:
        target = case.status_before_pause or Status.ASSIGNED
    else:
        target = rule.target or case.status
    now = _now()
    updates: dict[str, Any] = {"status": target, **(changes or {})}
    updated = Case.objects.filter(pk=case.pk, version=version).update(
        version=F("version") + 1, updated_at=now, **updates
    )
    if updated != 1:
        raise Conflict("该诉求刚刚已被他人处理，请刷新页面查看最新状态后再操作")
    for key, value in updates.items():
        setattr(case, key, value)
    case.version = version + 1
    event = record_event(
        case,
        action=action,
        actor=actor,
        note=note,
        from_status=from_status,
        to_status=target,
        public=rule.public,
        data=data,
        at=now,
        system_label=system_label,
    )
    if photos:
        store_photos(case, photos, stage=photo_stage, event=event)
    return event


# --- wrappers --------------------------------------------------------------------------------


def _user_ids_at(unit: Unit | None, perm: str) -> list[int]:
    """Users holding a post at exactly `unit` whose role grants `perm`."""
    if unit is None:
        return []
    from lianxin.accounts.models import Post
    from lianxin.accounts.permissions import ROLE_PERMISSIONS

    roles = [r for r, perms in ROLE_PERMISSIONS.items() if perm in perms]
    return list(
        Post.objects.filter(
            unit=unit, role__in=roles, is_active=True, user__is_active=True
        ).values_list("user_id", flat=True)
    )


def department_user_ids(department_id: int | None) -> list[int]:
    if department_id is None:
        return []
    from lianxin.accounts.models import Post

    return list(
        Post.objects.filter(
            department_id=department_id, is_active=True, user__is_active=True
        ).values_list("user_id", flat=True)
    )


def handler_user_ids(case: Case) -> list[int]:
    """Who is told about a request: its assignee, else the dispatchers of its handling unit
    and the staff of its department."""
    if case.assignee_id:
        return [case.assignee_id]
    ids = _user_ids_at(case.handler_unit, wf.DISPATCH)
    ids += department_user_ids(case.handler_department_id)
    return ids


def case_accept(
    *, case: Case, actor: Actor, note: str = "", expected_version: int | None = None
) -> CaseEvent:
    """Respond to the resident (受理): the response clock stops here."""
    now = _now()
    return case_transition(
        case=case,
        action=Action.ACCEPT,
        actor=actor,
        note=note or "已受理，正在安排办理",
        expected_version=expected_version,
        changes={"accepted_at": now, "responded_in_time": _in_time(now, case.respond_due_at)},
    )


def _in_time(at: dt.datetime, due: dt.datetime | None) -> bool | None:
    return None if due is None else at <= due


def case_triage(
    *,
    case: Case,
    actor: Actor,
    level: str,
    category: Category | None = None,
    urgency: str | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> CaseEvent:
    """三事分流: confirm or change level (and category / urgency)."""
    if level not in Level.values:
        raise DomainError("请选择大事、小事或私事", field="level")
    urgency = urgency or case.urgency
    category = category or case.category
    changes: dict[str, Any] = {"level": level, "category": category, "urgency": urgency}
    if urgency != case.urgency and case.accepted_at is None:
        changes["respond_due_at"] = sla.respond_due(
            start=case.received_at, urgency=urgency, category=category
        )
    if urgency != case.urgency and case.assigned_at is not None:
        changes["resolve_due_at"] = sla.resolve_due(
            start=case.assigned_at, urgency=urgency, category=category
        )
    return case_transition(
        case=case,
        action=Action.TRIAGE,
        actor=actor,
        note=note,
        expected_version=expected_version,
        changes=changes,
        data={"level": level, "category": category.code if category else "", "urgency": urgency},
    )


def case_assign(
    *,
    case: Case,
    actor: Actor,
    handler_unit: Unit | None = None,
    department: Any = None,
    team: MediationTeam | None = None,
    assignee_id: int | None = None,
    note: str = "",
    expected_version: int | None = None,
    action: str = Action.ASSIGN,
) -> CaseEvent:
    """Dispatch (派遣) to a unit, department, mediation team and/or person. With nothing
    named, the routing rules decide. The resolution clock starts at the first dispatch."""
    if case.level == "":
        level = case.category.default_level if case.category else Level.SMALL
    else:
        level = case.level
    if level == Level.PRIVATE and action == Action.ASSIGN:
        raise DomainError("私事应引导居民自行解决或使用市场服务，请使用“引导办理”", field="level")
    if handler_unit is None and department is None and team is None and assignee_id is None:
        h = routing.route(place_path=case.place_path, category=case.category, level=level)
        handler_unit, department, team, assignee_id = h.unit, h.department, h.team, h.assignee_id
    # A handler without dispatch rights (a grid worker) may take on in person what they deal
    # with on the spot — an errand, a dispute they mediate — but only to themselves and only
    # within the unit of their own handling post.
    self_assign = (
        assignee_id is not None
        and assignee_id == actor.user_id
        and not actor_may(actor, case, wf.DISPATCH)
    )
    if self_assign and not actor.can(wf.HANDLE, (handler_unit or case.unit).path):
        raise PermissionDenied("只能在本人承办范围内自行接办")
    if assignee_id is not None:
        _check_assignee(assignee_id, handler_unit or case.unit)
    now = _now()
    changes: dict[str, Any] = {
        "level": level,
        "handler_unit": handler_unit,
        "handler_department": department,
        "handler_team": team,
        "assignee_id": assignee_id,
    }
    if case.accepted_at is None:
        changes["accepted_at"] = now
        changes["responded_in_time"] = _in_time(now, case.respond_due_at)
    if case.assigned_at is None:
        changes["assigned_at"] = now
        changes["resolve_due_at"] = sla.resolve_due(
            start=now, urgency=case.urgency, category=case.category
        )
    target_label = " · ".join(
        str(x) for x in (handler_unit and handler_unit.display_name, department, team) if x
    )
    event = case_transition(
        case=case,
        action=action,
        actor=actor,
        note=note or f"派遣至{target_label}",
        expected_version=expected_version,
        changes=changes,
        data={
            "handler_unit": handler_unit.code if handler_unit else "",
            "department": department.pk if department else None,
            "team": team.pk if team else None,
            "assignee": assignee_id,
            "self": self_assign,
        },
        skip_permission=self_assign,
    )
    notify.notify_users(
        handler_user_ids(case),
        kind="assigned",
        text=f"新派遣：{case.tracking_no} {case.title}",
        case=case,
    )
    return event


def _check_assignee(user_id: int, unit: Unit) -> None:
    from lianxin.accounts.models import Post

    ok = (
        Post.objects.filter(user_id=user_id, is_active=True, user__is_active=True)
        .filter(unit__path__startswith=unit.path)
        .exists()
    )
    if not ok:
        raise DomainError("承办人不在承办单位范围内", field="assignee")


def case_take(*, case: Case, actor: Actor, expected_version: int | None = None) -> CaseEvent:
    """The handler takes the request (接单): it is now theirs and in progress."""
    changes: dict[str, Any] = {}
    if case.assignee_id is None:
        changes["assignee_id"] = actor.user_id
    return case_transition(
        case=case,
        action=Action.TAKE,
        actor=actor,
        note="已接单，正在办理",
        expected_version=expected_version,
        changes=changes,
    )


def case_progress(
    *,
    case: Case,
    actor: Actor,
    note: str,
    photos: Sequence[UploadedFile] = (),
    expected_version: int | None = None,
) -> CaseEvent:
    return case_transition(
        case=case,
        action=Action.PROGRESS,
        actor=actor,
        note=note,
        photos=photos,
        expected_version=expected_version,
    )


def case_note(*, case: Case, actor: Actor, note: str) -> CaseEvent:
    """An internal note (not shown to the resident)."""
    return case_transition(case=case, action=Action.NOTE, actor=actor, note=note)


def case_return(
    *, case: Case, actor: Actor, reason: str, expected_version: int | None = None
) -> CaseEvent:
    """退单: the handler gives the request back with a reason. The third return sends it to
    the level above the handling unit."""
    count = case.return_count + 1
    changes: dict[str, Any] = {
        "return_count": count,
        "assignee_id": None,
        "handler_department": None,
        "handler_team": None,
    }
    escalate_to: Unit | None = None
    if wf.level_after_returns(count) and case.handler_unit is not None:
        escalate_to = case.handler_unit.parent
        if escalate_to is not None:
            changes["handler_unit"] = escalate_to
    event = case_transition(
        case=case,
        action=Action.RETURN,
        actor=actor,
        note=reason,
        expected_version=expected_version,
        changes=changes,
        data={"return_count": count},
    )
    if escalate_to is not None:
        record_event(
            case,
            action=Action.ESCALATE,
            actor=None,
            system_label="系统（退单上交）",
            public=False,
            note=f"退单已达{count}次，上交{escalate_to.display_name}",
            from_status=Status.RETURNED,
            to_status=Status.RETURNED,
        )
    notify.notify_users(
        _user_ids_at(case.handler_unit, wf.DISPATCH),
        kind="returned",
        text=f"退单：{case.tracking_no} {reason[:60]}",
        case=case,
    )
    return event


def case_resolve(
    *,
    case: Case,
    actor: Actor,
    result: str,
    photos: Sequence[UploadedFile] = (),
    expected_version: int | None = None,
) -> CaseEvent:
    """办结: the result text and after photos; the resident is told and can rate it."""
    result = (result or "").strip()
    if not result:
        raise DomainError("请填写办理结果", field="result")
    now = _now()
    event = case_transition(
        case=case,
        action=Action.RESOLVE,
        actor=actor,
        note=result,
        expected_version=expected_version,
        photos=photos,
        photo_stage=CasePhoto.Stage.AFTER,
        changes={
            "result": result,
            "resolved_at": now,
            "sla_state": "",
            "resolved_in_time": _in_time(now, case.resolve_due_at),
            "extension_pending": False,
        },
    )
    notify.notify_reporter(case, template="case_resolved", payload={"result": result[:100]})
    return event


def _follow_up(
    *,
    case: Case,
    actor: Actor | None,
    satisfaction: str,
    comment: str,
    action: str,
    expected_version: int | None,
    skip_permission: bool,
) -> CaseEvent:
    if satisfaction not in Satisfaction.values:
        raise DomainError("请选择满意、基本满意或不满意", field="satisfaction")
    comment = (comment or "").strip()
    if satisfaction == Satisfaction.UNSATISFIED and not comment:
        raise DomainError("不满意时请说明原因，便于重新办理", field="comment")
    now = _now()
    changes: dict[str, Any] = {
        "satisfaction": satisfaction,
        "satisfaction_comment": comment[:300],
        "followed_up_at": now,
    }
    data = {"satisfaction": satisfaction, "by": "resident" if actor is None else "staff"}
    if satisfaction == Satisfaction.UNSATISFIED:
        from lianxin.cases.services.config import case_settings

        reopen = case.reopen_count + 1
        changes.update(
            reopen_count=reopen,
            resolved_at=None,
            resolved_in_time=None,
            is_supervised=case.is_supervised or reopen >= case_settings().supervise_reopen_count,
        )
        event = case_transition(
            case=case,
            action=Action.REOPEN,
            actor=actor,
            note=comment,
            expected_version=expected_version,
            changes=changes,
            data=data,
            skip_permission=skip_permission,
        )
        notify.notify_users(
            handler_user_ids(case),
            kind="reopened",
            text=f"群众不满意，重新办理：{case.tracking_no}",
            case=case,
        )
        return event
    return case_transition(
        case=case,
        action=action,
        actor=actor,
        note=comment,
        expected_version=expected_version,
        changes=changes,
        data=data,
        skip_permission=skip_permission,
    )


def case_follow_up(
    *,
    case: Case,
    actor: Actor,
    satisfaction: str,
    comment: str = "",
    expected_version: int | None = None,
) -> CaseEvent:
    """回访 by staff: 满意 / 基本满意 closes the loop; 不满意 reopens the request."""
    return _follow_up(
        case=case,
        actor=actor,
        satisfaction=satisfaction,
        comment=comment,
        action=Action.FOLLOW_UP,
        expected_version=expected_version,
        skip_permission=False,
    )


def case_rate_by_resident(*, case: Case, satisfaction: str, comment: str = "") -> CaseEvent:
    """评: the resident rates the result from the private link (caller checked the token).

    While the request waits for follow-up the rating is the follow-up; afterwards it is
    recorded once per resolution and a 不满意 puts the request under supervision."""
    if case.status == Status.RESOLVED:
        return _follow_up(
            case=case,
            actor=None,
            satisfaction=satisfaction,
            comment=comment,
            action=Action.FOLLOW_UP,
            expected_version=None,
            skip_permission=True,
        )
    last_resolve = case.events.filter(action=Action.RESOLVE).order_by("-created_at").first()
    # A resident rates once per resolution: a RATE, or the FOLLOW_UP their rating made.
    already = case.events.filter(
        Q(action=Action.RATE) | Q(action=Action.FOLLOW_UP, data__by="resident")
    )
    if last_resolve is not None:
        already = already.filter(created_at__gte=last_resolve.created_at)
    if already.exists():
        raise DomainError("您已评价过本次办理结果")
    if case.status not in {Status.FOLLOWED_UP, Status.CLOSED}:
        raise DomainError("诉求办结后才能评价")
    if satisfaction not in Satisfaction.values:
        raise DomainError("请选择满意、基本满意或不满意", field="satisfaction")
    changes: dict[str, Any] = {
        "satisfaction": satisfaction,
        "satisfaction_comment": (comment or "")[:300],
    }
    if satisfaction == Satisfaction.UNSATISFIED:
        changes["is_supervised"] = True
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk, version=case.version).update(
            version=F("version") + 1, **changes
        )
        if updated != 1:
            raise Conflict("诉求状态刚刚有变化，请刷新后再评价")
        for k, v in changes.items():
            setattr(case, k, v)
        case.version += 1
        return record_event(
            case,
            action=Action.RATE,
            actor=None,
            note=comment,
            data={"satisfaction": satisfaction, "by": "resident"},
            from_status=case.status,
            to_status=case.status,
        )


def case_close(
    *, case: Case, actor: Actor, note: str = "", expected_version: int | None = None
) -> CaseEvent:
    """核查结案 after the follow-up."""
    return case_transition(
        case=case,
        action=Action.CLOSE,
        actor=actor,
        note=note or "核查结案",
        expected_version=expected_version,
        changes={"closed_at": _now(), "outcome": Outcome.RESOLVED},
    )


def case_guide(
    *,
    case: Case,
    actor: Actor,
    guidance: str,
    referral: str = "",
    expected_version: int | None = None,
) -> CaseEvent:
    """私事: record the guidance given (and an optional referral) and close as guided."""
    now = _now()
    event = case_transition(
        case=case,
        action=Action.GUIDE,
        actor=actor,
        note=guidance,
        expected_version=expected_version,
        changes={
            "level": Level.PRIVATE,
            "guidance": (guidance or "").strip(),
            "referral": referral.strip()[:200],
            "outcome": Outcome.GUIDED,
            "closed_at": now,
            "accepted_at": case.accepted_at or now,
            "responded_in_time": case.responded_in_time
            if case.accepted_at
            else _in_time(now, case.respond_due_at),
        },
        data={"referral": referral},
    )
    notify.notify_reporter(case, template="case_guided", payload={"guidance": guidance[:100]})
    return event


def case_reject(
    *, case: Case, actor: Actor, reason: str, expected_version: int | None = None
) -> CaseEvent:
    """不予受理: out of scope; the reason is shown to the resident."""
    return case_transition(
        case=case,
        action=Action.REJECT,
        actor=actor,
        note=reason,
        expected_version=expected_version,
        changes={
            "rejection_reason": (reason or "").strip()[:300],
            "outcome": Outcome.REJECTED,
            "closed_at": _now(),
        },
    )


def case_merge(
    *, case: Case, into: Case, actor: Actor, expected_version: int | None = None
) -> CaseEvent:
    """Merge a duplicate into a surviving open request: its reporter follows the survivor,
    which counts one more "also reported by"."""
    if into.pk == case.pk:
        raise DomainError("不能合并到自身", field="into")
    if not into.is_open:
        raise DomainError("只能合并到未办结的诉求", field="into")
    require(actor, into, wf.DISPATCH, "没有办理目标诉求的权限")
    with transaction.atomic():
        event = case_transition(
            case=case,
            action=Action.MERGE,
            actor=actor,
            note=f"与{into.tracking_no}为同一问题，合并办理",
            expected_version=expected_version,
            changes={"merged_into": into, "outcome": Outcome.MERGED, "closed_at": _now()},
            data={"into": into.tracking_no},
        )
        moved = CaseSupporter.objects.filter(case=case)
        moved_count = moved.count()
        moved.update(case=into)
        CaseSupporter.objects.create(
            case=into,
            source_case=case,
            phone_digest=case.reporter_phone_digest,
            source_digest=case.source_digest,
        )
        Case.objects.filter(pk=into.pk).update(
            support_count=F("support_count") + 1 + moved_count, version=F("version") + 1
        )
        record_event(
            into,
            action=Action.SUPPORT,
            actor=actor,
            public=True,
            note=f"合并了同一问题的诉求{case.tracking_no}",
            from_status=into.status,
            to_status=into.status,
        )
    return event


def case_request_extension(
    *, case: Case, actor: Actor, days: int, reason: str, expected_version: int | None = None
) -> CaseEvent:
    if case.extension_pending:
        raise DomainError("已有待审批的延期申请")
    if not 1 <= int(days) <= 30:
        raise DomainError("延期天数应为1到30个工作日", field="days")
    event = case_transition(
        case=case,
        action=Action.EXTENSION_REQUEST,
        actor=actor,
        note=reason,
        expected_version=expected_version,
        changes={"extension_pending": True},
        data={"days": int(days)},
    )
    notify.notify_users(
        _user_ids_at(case.handler_unit, wf.DISPATCH),
        kind="extension",
        text=f"延期申请：{case.tracking_no} {days}个工作日",
        case=case,
    )
    return event


def case_decide_extension(
    *,
    case: Case,
    actor: Actor,
    approve: bool,
    note: str = "",
    expected_version: int | None = None,
) -> CaseEvent:
    if not case.extension_pending:
        raise DomainError("没有待审批的延期申请")
    request = case.events.filter(action=Action.EXTENSION_REQUEST).order_by("-id").first()
    days = int((request.data or {}).get("days", 0)) if request else 0
    if request is not None and request.actor_id == actor.user_id:
        raise PermissionDenied("不能审批自己的延期申请")
    changes: dict[str, Any] = {"extension_pending": False}
    if approve and case.resolve_due_at is not None:
        from lianxin.core import calendar

        changes["resolve_due_at"] = calendar.add_working_days(case.resolve_due_at, days)
        changes["sla_state"] = ""
    return case_transition(
        case=case,
        action=Action.EXTENSION_APPROVE if approve else Action.EXTENSION_REFUSE,
        actor=actor,
        note=note or (f"同意延期{days}个工作日" if approve else ""),
        expected_version=expected_version,
        changes=changes,
        data={"days": days},
    )


def case_suspend(
    *, case: Case, actor: Actor, reason: str, expected_version: int | None = None
) -> CaseEvent:
    """挂起: the clock stops until resumed (e.g. waiting for the heating season)."""
    return case_transition(
        case=case,
        action=Action.SUSPEND,
        actor=actor,
        note=reason,
        expected_version=expected_version,
        changes={"paused_at": _now(), "status_before_pause": case.status},
    )


def case_resume(
    *, case: Case, actor: Actor, note: str = "", expected_version: int | None = None
) -> CaseEvent:
    now = _now()
    changes: dict[str, Any] = {"paused_at": None, "status_before_pause": ""}
    # Due times move by the paused time, counted as each limit counts (natural or working).
    changes.update(sla.resume_changes(case, now))
    return case_transition(
        case=case,
        action=Action.RESUME,
        actor=actor,
        note=note or "恢复办理",
        expected_version=expected_version,
        changes=changes,
    )


def case_supervise(
    *, case: Case, actor: Actor, reason: str, expected_version: int | None = None
) -> CaseEvent:
    """督办: put a request on the supervision list and tell its handlers."""
    event = case_transition(
        case=case,
        action=Action.SUPERVISE,
        actor=actor,
        note=reason,
        expected_version=expected_version,
        changes={"is_supervised": True},
    )
    notify.notify_users(
        handler_user_ids(case),
        kind="supervised",
        text=f"督办：{case.tracking_no} {reason[:60]}",
        case=case,
    )
    return event


@transaction.atomic
def case_board_visibility(*, case: Case, actor: Actor, hidden: bool, reason: str = "") -> None:
    """Hide a resolved request from the public results board (reason required), or show it."""
    require(actor, case, wf.DISPATCH)
    reason = (reason or "").strip()
    if hidden and not reason:
        raise DomainError("请填写隐藏理由", field="reason")
    Case.objects.filter(pk=case.pk).update(board_hidden=hidden, board_hidden_reason=reason[:200])
    case.board_hidden, case.board_hidden_reason = hidden, reason[:200]
    record_event(
        case,
        action=Action.BOARD_HIDE if hidden else Action.BOARD_SHOW,
        actor=actor,
        note=reason,
        public=False,
        from_status=case.status,
        to_status=case.status,
    )
    audit_record(
        action=AuditEvent.Action.UPDATE,
        obj=case,
        changes={"board_hidden": {"new": hidden, "reason": reason}},
    )


def case_reveal_phone(*, case: Case, actor: Actor) -> str:
    """The reporter's full phone number, for calling back; permission and audit required."""
    require(actor, case, wf.REVEAL, "没有查看反映人电话的权限")
    if not case.reporter_phone_cipher:
        raise DomainError("反映人未留电话")
    value = crypto.decrypt(case.reporter_phone_cipher)
    audit_record(
        action=AuditEvent.Action.REVEAL,
        obj=case,
        changes={"reporter_phone": {"revealed": True}},
        scope_path=case.place_path,
    )
    return value
