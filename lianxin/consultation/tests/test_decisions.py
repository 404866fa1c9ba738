"""Decisions followed to their results through the services: the issue's story (a milestone
linked to a request reaches 100% when the request resolves), on time vs late, refusals,
compare-and-set, scope."""

from __future__ import annotations

import datetime as dt

import pytest

from lianxin.cases.services import lifecycle
from lianxin.cases.tests import factories as cf
from lianxin.consultation.models import Decision, Milestone, ProgressUpdate
from lianxin.consultation.receivers import is_resolving
from lianxin.consultation.services import decisions as svc
from lianxin.consultation.tests import scope_decisions as b
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied

pytestmark = pytest.mark.django_db


def test_story_milestone_follows_the_request_to_100(world) -> None:  # noqa: ANN001
    """A passed item becomes a decision; its step linked to a request reaches 100% when the
    grid worker resolves the request, and the decision is implemented on time."""
    item = b.passed_item(world)
    assert item.status == "passed"
    case = cf.assigned_case(world)
    d = b.decision(world, item=item, title="修缮排水沟")
    staff = world.actor("village_staff")
    survey = svc.milestone_add(actor=staff, decision=d, title="现场勘察", due_on=d.due_on)
    repair = svc.milestone_add(
        actor=staff, decision=d, title="维修排水沟", due_on=d.due_on, case=case
    )
    assert list(d.cases.all()) == [case]
    svc.milestone_progress(actor=staff, milestone=survey, progress=100, note="已勘察")
    d.refresh_from_db()
    assert (d.progress, d.status) == (50, "in_progress")

    gw = world.actor("grid_worker")
    lifecycle.case_take(case=case, actor=gw)
    lifecycle.case_resolve(case=case, actor=gw, result="排水沟已疏通，盖板更换完毕")

    repair.refresh_from_db()
    d.refresh_from_db()
    assert (repair.progress, repair.done_on) == (100, svc.today())
    assert (d.progress, d.status, d.done_on, d.on_time) == (100, "done", svc.today(), True)
    last = ProgressUpdate.objects.filter(milestone=repair).get()
    assert last.note == f"关联诉求已办结 {case.tracking_no}"
    assert (last.actor_id, last.actor_label) == (None, "系统")


def test_reopened_request_leaves_progress_and_close_is_idempotent(world) -> None:  # noqa: ANN001
    case = cf.assigned_case(world)
    d = b.decision(world)
    m = b.milestone(world, d, case=case)
    gw = world.actor("grid_worker")
    lifecycle.case_take(case=case, actor=gw)
    lifecycle.case_resolve(case=case, actor=gw, result="已修好")
    lifecycle.case_follow_up(case=case, actor=gw, satisfaction="unsatisfied", comment="还是堵")
    case.refresh_from_db()
    assert case.status == "assigned"  # reopened
    m.refresh_from_db()
    assert m.progress == 100
    assert ProgressUpdate.objects.filter(milestone=m).count() == 1
    # Resolved again: the step is already done, nothing more is written.
    lifecycle.case_take(case=case, actor=gw)
    lifecycle.case_resolve(case=case, actor=gw, result="重新疏通")
    assert ProgressUpdate.objects.filter(milestone=m).count() == 1


def test_late_when_the_last_step_ends_after_the_due_day(world) -> None:  # noqa: ANN001
    d = b.decision(world, due_on=svc.today() + dt.timedelta(days=3))
    staff = world.actor("village_staff")
    m1 = b.milestone(world, d, title="采购")
    m2 = b.milestone(world, d, title="安装")
    svc.milestone_progress(actor=staff, milestone=m1, progress=100, note="")
    later = clock.now() + dt.timedelta(days=10)
    with clock.travel(later):
        svc.milestone_progress(actor=staff, milestone=m2, progress=100, note="")
    d.refresh_from_db()
    assert d.status == "done"
    assert d.done_on == svc.today() + dt.timedelta(days=10)
    assert d.on_time is False
    # One step drops back (with a reason): in progress again, no completion day.
    svc.milestone_progress(actor=staff, milestone=m2, progress=60, note="验收发现渗漏，返工")
    d.refresh_from_db()
    assert (d.status, d.done_on, d.progress) == ("in_progress", None, 80)


def test_progress_rules(world) -> None:  # noqa: ANN001
    d = b.decision(world)
    staff = world.actor("village_staff")
    m = b.milestone(world, d)
    for bad in (-1, 101):
        with pytest.raises(DomainError) as exc:
            svc.milestone_progress(actor=staff, milestone=m, progress=bad, note="")
        assert exc.value.field == "progress"
    svc.milestone_progress(actor=staff, milestone=m, progress=40, note="")
    with pytest.raises(DomainError, match="请说明原因") as exc:
        svc.milestone_progress(actor=staff, milestone=m, progress=20, note="")
    assert exc.value.field == "note"
    assert Milestone.objects.get(pk=m.pk).progress == 40
    assert ProgressUpdate.objects.filter(milestone=m).count() == 1
    # The page showed 0 but someone moved it to 40: refused, nothing written.
    with pytest.raises(Conflict):
        svc.milestone_progress(actor=staff, milestone=m, progress=70, note="", expected_progress=0)
    assert Milestone.objects.get(pk=m.pk).progress == 40


def test_mean_is_rounded_and_never_100_while_a_step_is_open(world) -> None:  # noqa: ANN001
    d = b.decision(world)
    staff = world.actor("village_staff")
    ms = [b.milestone(world, d, title=f"节点{i}") for i in range(3)]
    svc.milestone_progress(actor=staff, milestone=ms[0], progress=50, note="")
    d.refresh_from_db()
    assert d.progress == 17  # 16.67 → 17
    svc.milestone_progress(actor=staff, milestone=ms[0], progress=100, note="")
    svc.milestone_progress(actor=staff, milestone=ms[1], progress=100, note="")
    svc.milestone_progress(actor=staff, milestone=ms[2], progress=99, note="")
    d.refresh_from_db()
    assert (d.progress, d.status) == (99, "in_progress")


def test_a_decision_needs_a_decided_source(world) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    base = {
        "title": "修路",
        "summary": "修路",
        "responsible": "两委",
        "decided_on": svc.today(),
        "due_on": svc.today(),
    }
    with pytest.raises(DomainError, match="未经会议议定") as exc:
        svc.decision_create(actor=staff, **base)
    assert exc.value.field == "item"
    deferred = b.discussed_item(world, outcome="deferred")
    with pytest.raises(DomainError, match="未经会议议定"):
        svc.decision_create(actor=staff, item=deferred, **base)
    rejected = b.passed_item(world, yes=3, no=4)
    assert rejected.status == "rejected"
    with pytest.raises(DomainError, match="未经会议议定"):
        svc.decision_create(actor=staff, item=rejected, **base)
    item = b.discussed_item(world)
    with pytest.raises(DomainError) as exc:
        svc.decision_create(
            actor=staff, item=item, **{**base, "due_on": svc.today() - dt.timedelta(days=1)}
        )
    assert exc.value.field == "due_on"
    svc.decision_create(actor=staff, item=item, **base)
    with pytest.raises(DomainError, match="已登记"):
        svc.decision_create(actor=staff, item=item, **base)
    assert Decision.objects.count() == 1


def test_scope_of_units_requests_and_staff(world) -> None:  # noqa: ANN001
    item = b.discussed_item(world)
    base = {
        "title": "修路",
        "summary": "修路",
        "responsible": "两委",
        "decided_on": svc.today(),
        "due_on": svc.today(),
    }
    for persona in ("other_village_staff", "street_staff", "grid_worker"):
        with pytest.raises(PermissionDenied):
            svc.decision_create(actor=world.actor(persona), item=item, **base)
    elsewhere = cf.make_case(world.other_village)
    with pytest.raises(DomainError, match="不在") as exc:
        svc.decision_create(
            actor=world.actor("village_staff"), item=item, cases=[elsewhere], **base
        )
    assert exc.value.field == "cases"
    d = svc.decision_create(actor=world.actor("village_staff"), item=item, **base)
    with pytest.raises(DomainError) as exc:
        b.milestone(world, d, case=elsewhere)
    assert exc.value.field == "case"
    with pytest.raises(PermissionDenied):
        svc.milestone_add(
            actor=world.actor("other_village_staff"), decision=d, title="x", due_on=d.due_on
        )
    assert list(Decision.objects.visible_to(world.actor("other_village_staff"))) == []
    assert list(Decision.objects.visible_to(world.actor("street_staff"))) == [d]


def test_link_unlink_and_cancel(world) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    d = b.decision(world)
    case = cf.make_case(world.building)
    other = cf.make_case(world.building)
    svc.decision_link_case(actor=staff, decision=d, case=other)
    with pytest.raises(DomainError, match="已关联"):
        svc.decision_link_case(actor=staff, decision=d, case=other)
    m = b.milestone(world, d, case=case)
    with pytest.raises(DomainError, match="取消节点的关联"):
        svc.decision_unlink_case(actor=staff, decision=d, case=case)
    svc.decision_unlink_case(actor=staff, decision=d, case=other)
    assert list(d.cases.all()) == [case]
    with pytest.raises(DomainError) as exc:
        svc.decision_cancel(actor=staff, decision=d, reason="")
    assert exc.value.field == "reason"
    with pytest.raises(Conflict):
        svc.decision_cancel(actor=staff, decision=d, reason="改变决定", expected_version=99)
    svc.decision_cancel(actor=staff, decision=d, reason="村民会议改变决定")
    assert Decision.objects.get(pk=d.pk).status == "cancelled"
    assert ProgressUpdate.objects.get(milestone=m).note == "事项已撤销：村民会议改变决定"
    with pytest.raises(DomainError, match="已撤销"):
        svc.milestone_progress(actor=staff, milestone=m, progress=50, note="")


def test_already_resolved_request_completes_the_new_step(world) -> None:  # noqa: ANN001
    case = cf.resolved_case(world)
    d = b.decision(world)
    m = b.milestone(world, d, case=case)
    d.refresh_from_db()
    assert (m.progress, d.status) == (100, "done")


def test_receiver_ignores_other_events(world) -> None:  # noqa: ANN001
    """Only resolving events (cases.workflow: → resolved, or closed as resolved) count."""
    case = cf.assigned_case(world)
    d = b.decision(world)
    m = b.milestone(world, d, case=case)
    gw = world.actor("grid_worker")
    take = lifecycle.case_take(case=case, actor=gw)
    assert not is_resolving(take)
    m.refresh_from_db()
    assert m.progress == 0
    guided = cf.make_case(world.building)
    m2 = b.milestone(world, d, case=guided)
    ev = lifecycle.case_guide(
        case=guided, actor=world.actor("village_staff"), guidance="请咨询律师"
    )
    assert not is_resolving(ev)
    m2.refresh_from_db()
    assert m2.progress == 0


def test_resolving_a_request_without_milestones_costs_no_consultation_query(
    world,
    django_assert_max_num_queries,  # noqa: ANN001
) -> None:
    case = cf.assigned_case(world)
    gw = world.actor("grid_worker")
    lifecycle.case_take(case=case, actor=gw)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        lifecycle.case_progress(case=case, actor=gw, note="正在联系维修")
    assert not [q for q in ctx.captured_queries if "consultation_" in q["sql"]]
    with CaptureQueriesContext(connection) as ctx:
        lifecycle.case_resolve(case=case, actor=gw, result="已修好")
    assert len([q for q in ctx.captured_queries if "consultation_milestone" in q["sql"]]) == 1
