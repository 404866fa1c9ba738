"""The request lifecycle through its services: the closed loop, side roads and conflicts."""

from __future__ import annotations

import pytest

from lianxin.cases.models import Case, CaseEvent, Notification, Whistle
from lianxin.cases.services import intake, lifecycle, whistles
from lianxin.cases.tests.factories import assigned_case, make_case, photo, resolved_case, submit
from lianxin.cases.workflow import Action, Level, Satisfaction, Status
from lianxin.core.errors import Conflict, DomainError, PermissionDenied

pytestmark = pytest.mark.django_db


def test_closed_loop_from_qr_to_closed(world) -> None:
    sub = submit(world.building, phone="13812345678", photos=[photo()])
    case = sub.case
    assert case.status == Status.RECEIVED and case.respond_due_at is not None
    assert intake.case_by_token(sub.token) == case
    assert case.reporter_phone_masked == "138****5678"
    assert "13812345678" not in case.reporter_phone_cipher
    assert case.photos.count() == 1
    staff = world.actor("village_staff")
    lifecycle.case_accept(case=case, actor=staff)
    lifecycle.case_triage(case=case, actor=staff, level=Level.SMALL)
    lifecycle.case_assign(
        case=case, actor=staff, assignee_id=world.users["grid_worker"].pk, handler_unit=world.grid
    )
    assert case.resolve_due_at is not None
    assert Notification.objects.filter(
        recipient=world.users["grid_worker"], kind="assigned"
    ).exists()
    gw = world.actor("grid_worker")
    lifecycle.case_take(case=case, actor=gw)
    lifecycle.case_progress(case=case, actor=gw, note="已联系物业更换灯泡", photos=[photo()])
    lifecycle.case_resolve(case=case, actor=gw, result="已修好", photos=[photo(color="blue")])
    lifecycle.case_rate_by_resident(case=case, satisfaction=Satisfaction.BASIC)
    assert case.status == Status.FOLLOWED_UP
    lifecycle.case_close(case=case, actor=staff)
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.resolved_in_time is True
    actions = list(case.events.values_list("action", flat=True))
    assert actions == [
        Action.SUBMIT,
        Action.ACCEPT,
        Action.TRIAGE,
        Action.ASSIGN,
        Action.TAKE,
        Action.PROGRESS,
        Action.RESOLVE,
        Action.FOLLOW_UP,
        Action.CLOSE,
    ]


def test_stale_version_is_a_conflict(world) -> None:
    case = make_case(world.building)
    seen = case.version
    staff = world.actor("village_staff")
    lifecycle.case_accept(case=case, actor=staff, expected_version=seen)
    other = Case.objects.get(pk=case.pk)
    with pytest.raises(Conflict):
        lifecycle.case_reject(
            case=other, actor=world.actor("village_secretary"), reason="重复", expected_version=seen
        )
    assert Case.objects.get(pk=case.pk).status == Status.ACCEPTED


def test_outsider_cannot_act(world) -> None:
    case = make_case(world.building)
    with pytest.raises(PermissionDenied):
        lifecycle.case_accept(case=case, actor=world.actor("other_village_staff"))
    with pytest.raises(PermissionDenied):
        lifecycle.case_accept(case=case, actor=world.actor("grid_worker"))


def test_third_return_goes_to_the_level_above(world) -> None:
    case = assigned_case(world)
    staff, gw = world.actor("village_staff"), world.actor("grid_worker")
    for i in range(3):
        lifecycle.case_return(case=case, actor=gw, reason=f"不属于网格职责{i}")
        if i < 2:
            lifecycle.case_assign(
                case=case,
                actor=staff,
                handler_unit=world.grid,
                assignee_id=world.users["grid_worker"].pk,
            )
    assert case.return_count == 3 and case.handler_unit == world.village
    assert case.events.filter(action=Action.ESCALATE).exists()


def test_unsatisfied_follow_up_reopens(world) -> None:
    case = resolved_case(world)
    lifecycle.case_follow_up(
        case=case,
        actor=world.actor("grid_worker"),
        satisfaction=Satisfaction.UNSATISFIED,
        comment="灯还是不亮",
    )
    assert case.status == Status.ASSIGNED and case.reopen_count == 1


def test_whistle_summon_report_in(world) -> None:
    case = assigned_case(world)
    w = whistles.whistle_raise(
        case=case,
        actor=world.actor("village_staff"),
        reason="楼顶漏水涉及公共维修资金，社区无法解决",
    )
    assert case.handler_unit == world.street and case.is_whistled
    [s] = whistles.whistle_summon(
        whistle=w, actor=world.actor("street_staff"), departments=[world.department]
    )
    dept = world.actor("department_staff")
    from lianxin.cases.selectors import cases_for

    assert cases_for(dept).filter(pk=case.pk).exists()
    assert not cases_for(world.actor("other_street_staff")).filter(pk=case.pk).exists()
    whistles.whistle_report_in(summons=s, actor=dept, action_note="已派人现场查看，制定维修方案")
    lifecycle.case_assign(
        case=case,
        actor=world.actor("street_staff"),
        handler_unit=world.street,
        department=world.department,
    )
    lifecycle.case_take(case=case, actor=dept)
    lifecycle.case_resolve(case=case, actor=dept, result="楼顶防水已修复")
    whistles.whistle_close(
        whistle=w, actor=world.actor("street_staff"), outcome="closed", note="部门报到并修复"
    )
    assert Whistle.objects.get(pk=w.pk).outcome == "closed"


def test_garbage_is_rejected_with_the_field(world) -> None:
    for text in ["", "。。。。。。", "aaaaaaa", "x" * 3000]:
        with pytest.raises(DomainError) as exc:
            submit(world.building, text=text)
        assert exc.value.field == "description"
    assert not CaseEvent.objects.exists()


def test_resident_rates_once_per_resolution(world) -> None:
    case = resolved_case(world)
    lifecycle.case_rate_by_resident(case=case, satisfaction=Satisfaction.SATISFIED)
    with pytest.raises(DomainError, match="已评价"):
        lifecycle.case_rate_by_resident(
            case=case, satisfaction=Satisfaction.UNSATISFIED, comment="再评一次"
        )
    assert Case.objects.get(pk=case.pk).satisfaction == Satisfaction.SATISFIED


def test_handler_may_self_assign_only_to_themselves(world) -> None:
    case = make_case(world.building)
    gw = world.actor("grid_worker")
    with pytest.raises(PermissionDenied):
        lifecycle.case_assign(
            case=case,
            actor=gw,
            handler_unit=world.grid,
            assignee_id=world.users["building_leader"].pk,
        )
    lifecycle.case_assign(
        case=case, actor=gw, handler_unit=world.grid, assignee_id=world.users["grid_worker"].pk
    )
    assert case.assignee_id == world.users["grid_worker"].pk
    with pytest.raises(PermissionDenied):
        lifecycle.case_assign(
            case=make_case(world.sibling_building),
            actor=gw,
            assignee_id=world.users["grid_worker"].pk,
        )
