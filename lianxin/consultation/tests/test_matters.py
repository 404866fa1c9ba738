"""四议两公开 through its services: four steps in order at meetings of the right type, each
with its quorum and vote; a failed step held again; both notices, the second only after the
first's notice period; every refusal leaves the matter as it was."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from lianxin.accounts.permissions import Role
from lianxin.consultation.models import AgendaItem, Matter, MatterEvent
from lianxin.consultation.services import matters, meetings, votes
from lianxin.consultation.tests import scope_matters as sm
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.core.testing import build_world, make_unit, make_user

pytestmark = pytest.mark.django_db
Status = Matter.Status
Action = MatterEvent.Action


@pytest.fixture
def world():  # noqa: ANN201
    w = build_world()
    sm.electors(w.village)
    return w


def _unchanged(matter: Matter) -> None:
    """The matter in the database is as the test holds it (a refusal changed nothing)."""
    fresh = Matter.objects.get(pk=matter.pk)
    assert (fresh.version, fresh.status, fresh.next_step) == (
        matter.version,
        matter.status,
        matter.next_step,
    )


def test_four_steps_in_order_then_both_notices(world) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    matter = sm.new_matter(world)
    assert (matter.status, matter.next_step, matter.amount) == (
        Status.IN_PROGRESS,
        1,
        Decimal("120000.00"),
    )
    for number, code in enumerate(sm.COMMUNITY_STEPS, start=1):
        item = sm.hold_step(world, matter, code)
        assert (item.matter_step, item.status, item.source) == (number, "passed", "matter")
        matter.refresh_from_db()
        assert matter.next_step == number + 1
    assert matter.status == Status.RESOLVED
    kinds = list(matter.events.values_list("action", "step"))
    assert kinds == [
        (Action.CREATE, None),
        *[(a, n) for n in range(1, 5) for a in (Action.STEP_SCHEDULED, Action.STEP_PASSED)],
    ]
    passed = matter.events.filter(action=Action.STEP_PASSED).last()
    assert "支持率100.00%" in passed.note and "居民代表会议" in passed.item.meeting.title
    assert all("village_staff" in e.actor_label for e in matter.events.all())

    published = clock.now()
    matter = matters.matter_resolution_publish(
        actor=staff, matter=matter, text="同意公开招租。", notice_days=5
    )
    day = timezone.localdate(published)
    assert matter.status == Status.ANNOUNCED
    assert matter.resolution_notice_until == day + dt.timedelta(days=5)
    # The notice runs from the next day for five days: not over on its last day.
    last_day = published + dt.timedelta(days=5)
    with clock.travel(last_day), pytest.raises(DomainError, match="期满后才能公开实施结果"):
        matters.matter_result_publish(actor=staff, matter=matter, text="已签约")
    _unchanged(matter)
    with clock.travel(published + dt.timedelta(days=6)):
        matter = matters.matter_result_publish(
            actor=staff, matter=matter, text="已与承租方签约，首年租金已入账。"
        )
    assert matter.status == Status.COMPLETED
    assert list(matter.events.values_list("action", flat=True))[-2:] == [
        Action.RESOLUTION,
        Action.RESULT,
    ]


def test_step_three_meeting_type_refused_for_step_one(world) -> None:  # noqa: ANN001
    matter = sm.new_matter(world)
    congress = sm.step_meeting(world, "party_congress")
    with pytest.raises(DomainError, match="党支部委员会会议") as exc:
        matters.matter_step_schedule(
            actor=world.actor("village_staff"), matter=matter, meeting=congress
        )
    assert exc.value.field == "meeting"
    assert "不能在党员大会上进行" in exc.value.message
    _unchanged(matter)
    assert not AgendaItem.objects.filter(matter=matter).exists()
    assert matter.events.count() == 1


def test_step_two_before_step_one_passed_refused(world) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    matter = sm.new_matter(world)
    two = sm.step_meeting(world, "two_committees")
    with pytest.raises(DomainError, match="第1步"):
        matters.matter_step_schedule(actor=staff, matter=matter, meeting=two)
    # Step 1 scheduled but not yet decided: still no step 2, and no second step-1 item.
    branch = sm.step_meeting(world, "branch_committee")
    matters.matter_step_schedule(actor=staff, matter=matter, meeting=branch)
    matter.refresh_from_db()
    with pytest.raises(DomainError, match="第1步"):
        matters.matter_step_schedule(actor=staff, matter=matter, meeting=two)
    other_branch = sm.step_meeting(world, "branch_committee")
    with pytest.raises(DomainError, match="已列入会议") as exc:
        matters.matter_step_schedule(actor=staff, matter=matter, meeting=other_branch)
    assert exc.value.field == "meeting"
    _unchanged(matter)
    assert AgendaItem.objects.filter(matter=matter).count() == 1


def test_publishing_before_resolution_refused(world) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    matter = sm.new_matter(world)
    sm.hold_step(world, matter, "branch_committee")
    matter.refresh_from_db()
    with pytest.raises(DomainError, match="形成决议后才能公开决议"):
        matters.matter_resolution_publish(actor=staff, matter=matter, text="同意")
    with pytest.raises(DomainError, match="决议公开之后才能公开实施结果"):
        matters.matter_result_publish(actor=staff, matter=matter, text="已完成")
    _unchanged(matter)
    assert matter.resolution_text == "" and matter.events.count() == 3


def test_resolution_needs_text_and_a_sane_notice_period(world) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    matter = sm.resolved_matter(world)
    with pytest.raises(DomainError) as exc:
        matters.matter_resolution_publish(actor=staff, matter=matter, text="  ")
    assert exc.value.field == "text"
    for days in (0, 61, "五"):
        with pytest.raises(DomainError) as exc:
            matters.matter_resolution_publish(
                actor=staff,
                matter=matter,
                text="同意",
                notice_days=days,  # type: ignore[arg-type]
            )
        assert exc.value.field == "notice_days"
    _unchanged(matter)


def test_failed_step_is_held_again_at_another_meeting(world) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    matter = sm.new_matter(world)
    sm.hold_step(world, matter, "branch_committee")
    matter.refresh_from_db()
    # Step 2 fails at an open meeting.
    meeting = sm.step_meeting(world, "two_committees")
    item = matters.matter_step_schedule(actor=staff, matter=matter, meeting=meeting)
    meeting = meetings.meeting_open(actor=staff, meeting=meeting)
    keys = [f"user:{world.users[p].pk}" for p in ("village_staff", "village_secretary")]
    for key in keys:
        meetings.attendance_record(actor=staff, meeting=meeting, elector_key=key)
    item = votes.item_vote_open(actor=staff, item=item)
    for key in keys:
        votes.ballot_record(actor=staff, item=item, elector_key=key, choice="no")
    item.refresh_from_db()
    votes.item_vote_close(actor=staff, item=item)
    matter.refresh_from_db()
    assert (matter.status, matter.next_step) == (Status.REJECTED, 2)
    failed = matter.events.get(action=Action.STEP_FAILED)
    assert failed.step == 2 and "同意0、反对2" in failed.note
    # Not again at the same meeting; at another one it is held again and passes.
    meeting.refresh_from_db()
    with pytest.raises(DomainError, match="已在该会议上审议过"):
        matters.matter_step_schedule(actor=staff, matter=matter, meeting=meeting)
    _unchanged(matter)
    sm.hold_step(world, matter, "two_committees")
    matter.refresh_from_db()
    assert (matter.status, matter.next_step) == (Status.IN_PROGRESS, 3)
    rescheduled = matter.events.filter(action=Action.STEP_SCHEDULED, step=2).last()
    assert "重新审议" in rescheduled.note


def test_deferred_step_changes_nothing(world) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    matter = sm.new_matter(world)
    meeting = sm.step_meeting(world, "branch_committee")
    item = matters.matter_step_schedule(actor=staff, matter=matter, meeting=meeting)
    matter.refresh_from_db()
    votes.item_conclude(actor=staff, item=item, outcome="deferred", note="材料不全")
    _unchanged(matter)
    with pytest.raises(DomainError, match="须表决"):
        votes.item_conclude(actor=staff, item=item, outcome="discussed", note="议过")
    # Another meeting may take the step up.
    sm.hold_step(world, matter, "branch_committee")
    matter.refresh_from_db()
    assert matter.next_step == 2


def test_cancelled_meeting_frees_the_step(world) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    matter = sm.new_matter(world)
    meeting = sm.step_meeting(world, "branch_committee")
    matters.matter_step_schedule(actor=staff, matter=matter, meeting=meeting)
    meeting.refresh_from_db()
    meetings.meeting_cancel(actor=staff, meeting=meeting, reason="书记外出")
    matter.refresh_from_db()
    sm.hold_step(world, matter, "branch_committee")
    matter.refresh_from_db()
    assert matter.next_step == 2


def test_withdraw(world) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    matter = sm.new_matter(world)
    meeting = sm.step_meeting(world, "branch_committee")
    item = matters.matter_step_schedule(actor=staff, matter=matter, meeting=meeting)
    matter.refresh_from_db()
    # Not while its step is being voted on.
    meeting = meetings.meeting_open(actor=staff, meeting=meeting)
    item = votes.item_vote_open(actor=staff, item=item)
    with pytest.raises(DomainError, match="正在.*表决"):
        matters.matter_withdraw(actor=staff, matter=matter, reason="政策调整")
    _unchanged(matter)
    with pytest.raises(DomainError) as exc:
        matters.matter_withdraw(actor=staff, matter=matter, reason="")
    assert exc.value.field == "reason"

    other = sm.new_matter(world, title="修缮村道")
    pending = matters.matter_step_schedule(
        actor=staff, matter=other, meeting=sm.step_meeting(world, "branch_committee")
    )
    other.refresh_from_db()
    other = matters.matter_withdraw(actor=staff, matter=other, reason="政策调整，暂不实施")
    pending.refresh_from_db()
    assert (other.status, pending.status) == (Status.WITHDRAWN, "deferred")
    assert other.events.last().note == "政策调整，暂不实施"
    with pytest.raises(DomainError, match="已撤销"):
        matters.matter_step_schedule(
            actor=staff, matter=other, meeting=sm.step_meeting(world, "branch_committee")
        )


def test_stale_version_is_a_conflict(world) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    matter = sm.new_matter(world)
    meeting = sm.step_meeting(world, "branch_committee")
    with pytest.raises(Conflict):
        matters.matter_step_schedule(
            actor=staff, matter=matter, meeting=meeting, expected_version=matter.version - 1 or 99
        )
    _unchanged(matter)
    assert not AgendaItem.objects.filter(matter=matter).exists()
    # Two pages open at once: the second withdraw loses.
    first = Matter.objects.get(pk=matter.pk)
    second = Matter.objects.get(pk=matter.pk)
    matters.matter_withdraw(actor=staff, matter=first, reason="甲")
    with pytest.raises(DomainError):
        matters.matter_withdraw(actor=staff, matter=second, reason="乙")
    assert Matter.objects.get(pk=matter.pk).events.filter(action=Action.WITHDRAW).count() == 1


def test_scope_and_permissions(world) -> None:  # noqa: ANN001
    with pytest.raises(PermissionDenied):
        sm.new_matter(world, by="grid_worker")
    with pytest.raises(PermissionDenied):
        sm.new_matter(world, by="other_village_staff")
    with pytest.raises(DomainError) as exc:
        sm.new_matter(world, unit=world.grid)
    assert exc.value.field == "unit"
    with pytest.raises(DomainError) as exc:
        matters.matter_create(
            actor=world.actor("village_staff"),
            unit=world.village,
            title="x",
            description="y",
            amount="-3",
        )
    assert exc.value.field == "amount"
    matter = sm.new_matter(world)
    with pytest.raises(PermissionDenied):
        matters.matter_step_schedule(
            actor=world.actor("other_village_staff"),
            matter=matter,
            meeting=sm.step_meeting(world, "branch_committee"),
        )
    elsewhere = sm.step_meeting(
        world, "branch_committee", unit=world.other_village, by="other_village_staff"
    )
    with pytest.raises(DomainError, match="本村（社区）的会议"):
        matters.matter_step_schedule(
            actor=world.actor("village_staff"), matter=matter, meeting=elsewhere
        )
    _unchanged(matter)


def test_events_are_append_only(world) -> None:  # noqa: ANN001
    matter = sm.new_matter(world)
    event = matter.events.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        MatterEvent.objects.filter(pk=event.pk).update(note="改写")
    with pytest.raises(IntegrityError), transaction.atomic():
        MatterEvent.objects.filter(pk=event.pk).delete()


def test_real_village_decides_at_the_villagers_representatives_meeting(world) -> None:  # noqa: ANN001
    village = make_unit("village", "410883001201", "南庄村民委员会", world.street)
    assert village.stat_code.endswith("201")
    for role in (Role.VILLAGE_STAFF, Role.VILLAGE_SECRETARY):
        make_user(f"nz_{role}", role, village)
    world.users["nz"] = make_user("nz_clerk", Role.VILLAGE_STAFF, village)
    sm.electors(village)
    matter = sm.new_matter(world, unit=village, by="nz", title="南庄村土地流转")
    for code in sm.VILLAGE_STEPS[:3]:
        sm.hold_step(world, matter, code, by="nz")
        matter.refresh_from_db()
    # A community's meeting type cannot even be held in a village.
    with pytest.raises(DomainError):
        sm.step_meeting(world, "resident_reps", unit=village, by="nz")
    item = sm.hold_step(world, matter, "village_reps", by="nz")
    matter.refresh_from_db()
    assert item.meeting.meeting_type.name == "村民代表会议"
    assert (matter.status, matter.next_step) == (Status.RESOLVED, 5)
