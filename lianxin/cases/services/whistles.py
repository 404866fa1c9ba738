"""吹哨报到: a village/community whistles what it cannot solve up to the street, which
summons departments or units; each must report in (报到) before its deadline and record what
it did; the street closes the whistle as closed, coordinated or unresolved."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.accounts.models import Department
from lianxin.cases import workflow as wf
from lianxin.cases.models import Case, Whistle, WhistleSummons
from lianxin.cases.services import notify
from lianxin.cases.services.config import case_settings
from lianxin.cases.services.lifecycle import (
    _user_ids_at,
    actor_department_ids,
    case_transition,
    department_user_ids,
    record_event,
    require,
)
from lianxin.cases.services.routing import ancestor_of_kind
from lianxin.cases.workflow import Action
from lianxin.core import calendar, clock
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.territory.models import Unit


@transaction.atomic
def whistle_raise(
    *,
    case: Case,
    actor: Actor | None,
    reason: str,
    automatic: bool = False,
    expected_version: int | None = None,
) -> Whistle:
    """Send the request up to its street with a reason; the street now leads it."""
    street = ancestor_of_kind(case.place_path, "township")
    if street is None:
        raise DomainError("找不到该地点所属的街道/乡镇")
    if Whistle.objects.filter(case=case, outcome="").exists():
        raise DomainError("该诉求已吹哨，街道正在处理")
    now = clock.now()
    case_transition(
        case=case,
        action=Action.WHISTLE,
        actor=actor,
        note=reason,
        expected_version=expected_version,
        skip_permission=automatic,
        system_label="系统（超期自动吹哨）" if automatic else "",
        changes={
            "is_whistled": True,
            "handler_unit": street,
            "handler_department": None,
            "handler_team": None,
            "assignee_id": None,
            "assigned_at": case.assigned_at or now,
        },
    )
    whistle = Whistle.objects.create(
        case=case,
        place_path=case.place_path,
        street=street,
        reason=reason.strip(),
        is_automatic=automatic,
        raised_by_id=actor.user_id if actor else None,
        raised_at=now,
    )
    notify.notify_users(
        _user_ids_at(street, wf.WHISTLE),
        kind="whistled",
        text=f"吹哨：{case.tracking_no} {reason[:60]}",
        case=case,
    )
    return whistle


def _require_street(actor: Actor, whistle: Whistle) -> None:
    if not actor.can(wf.WHISTLE, whistle.street.path):
        raise PermissionDenied("只有街道/乡镇可以召集部门和办结吹哨")


@transaction.atomic
def whistle_summon(
    *,
    whistle: Whistle,
    actor: Actor,
    departments: Sequence[Department] = (),
    units: Sequence[Unit] = (),
    report_within_hours: int | None = None,
    note: str = "",
) -> list[WhistleSummons]:
    """The street summons departments and/or units to report in within a deadline."""
    _require_street(actor, whistle)
    if whistle.outcome:
        raise DomainError("该吹哨已办结")
    if not departments and not units:
        raise DomainError("请至少选择一个部门或单位", field="departments")
    hours = report_within_hours or case_settings().summons_report_hours
    now = clock.now()
    due = calendar.add_working_minutes(now, hours * 60)
    rows = [
        WhistleSummons(whistle=whistle, department=d, summoned_at=now, report_due_at=due)
        for d in departments
    ] + [WhistleSummons(whistle=whistle, unit=u, summoned_at=now, report_due_at=due) for u in units]
    WhistleSummons.objects.bulk_create(rows)
    names = "、".join([*(str(d) for d in departments), *(u.display_name for u in units)])
    case = whistle.case
    record_event(
        case,
        action=Action.SUMMON,
        actor=actor,
        note=note or f"召集{names}报到",
        from_status=case.status,
        to_status=case.status,
        data={
            "departments": [d.pk for d in departments],
            "units": [u.code for u in units],
            "due": due.isoformat(),
        },
    )
    ids: list[int] = []
    for d in departments:
        ids += department_user_ids(d.pk)
    for u in units:
        ids += _user_ids_at(u, wf.DISPATCH)
    notify.notify_users(
        ids, kind="summoned", text=f"召集报到：{case.tracking_no} {_deadline(due)}前报到", case=case
    )
    return rows


def _deadline(due: dt.datetime) -> str:
    return timezone.localtime(due).strftime("%m月%d日%H:%M")


@transaction.atomic
def whistle_report_in(*, summons: WhistleSummons, actor: Actor, action_note: str) -> WhistleSummons:
    """A summoned department or unit reports in and records what it did."""
    action_note = (action_note or "").strip()
    if not action_note:
        raise DomainError("请填写采取的措施", field="action_note")
    locked = (
        WhistleSummons.objects.select_for_update(of=("self",))
        .select_related("whistle__case", "unit")
        .get(pk=summons.pk)
    )
    if locked.reported_at is not None:
        raise DomainError("已报到，不能重复报到")
    allowed = (
        locked.department_id is not None and locked.department_id in actor_department_ids(actor)
    ) or (locked.unit is not None and actor.can(wf.DISPATCH, locked.unit.path))
    if not allowed:
        raise PermissionDenied("只有被召集的部门或单位可以报到")
    locked.reported_at = clock.now()
    locked.reported_by_id = actor.user_id
    locked.action_note = action_note
    locked.save(update_fields=["reported_at", "reported_by", "action_note"])
    case = locked.whistle.case
    record_event(
        case,
        action=Action.REPORT_IN,
        actor=actor,
        note=action_note,
        from_status=case.status,
        to_status=case.status,
        data={"summons": locked.pk, "late": locked.reported_at > locked.report_due_at},
    )
    return locked


@transaction.atomic
def whistle_close(*, whistle: Whistle, actor: Actor, outcome: str, note: str) -> Whistle:
    """Record the whistle's outcome: closed (办结), coordinated (协调处置) or unresolved."""
    _require_street(actor, whistle)
    if outcome not in Whistle.Outcome.values:
        raise DomainError("请选择结果", field="outcome")
    note = (note or "").strip()
    if not note:
        raise DomainError("请填写结果说明", field="note")
    updated = Whistle.objects.filter(pk=whistle.pk, outcome="").update(
        outcome=outcome, outcome_note=note, closed_at=clock.now()
    )
    if updated != 1:
        raise DomainError("该吹哨已办结")
    whistle.refresh_from_db()
    case = whistle.case
    record_event(
        case,
        action=Action.WHISTLE_CLOSE,
        actor=actor,
        note=note,
        from_status=case.status,
        to_status=case.status,
        data={"outcome": outcome},
    )
    return whistle


def whistle_for_case_open(case: Case) -> Whistle | None:
    return Whistle.objects.filter(case=case, outcome="").first()


def check_may_whistle(actor: Actor, case: Case) -> None:
    require(actor, case, wf.DISPATCH, "没有吹哨的权限")
