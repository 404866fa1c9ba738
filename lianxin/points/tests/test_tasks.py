"""Micro-tasks' services: publish, claim (slots never oversubscribed, one live claim per
resident), withdraw, confirm (through the approval path, or the fast path), not done."""

from __future__ import annotations

import datetime as dt

import pytest

from lianxin.core import clock
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.testing import make_unit
from lianxin.points.models import MicroTask, PointEntry, Proposal, TaskClaim
from lianxin.points.services import ledger, proposals
from lianxin.points.services import tasks as svc
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db
Phone = TaskClaim.Channel.PHONE


def _resident(world, *, unit=None, name="张建国"):  # noqa: ANN001, ANN202
    return f.household_account(unit or world.building, head_name=name).household.residents.get()


def _task_state(task: MicroTask) -> tuple[int, int, int, int]:
    task.refresh_from_db()
    return (
        task.claimed_count,
        TaskClaim.objects.filter(task=task).count(),
        Proposal.objects.count(),
        PointEntry.objects.count(),
    )


def test_publish_defaults_to_the_micro_task_indicator(world) -> None:  # noqa: ANN001
    task = f.micro_task(world)
    assert task.indicator.code == "micro_task"
    assert task.status == MicroTask.Status.OPEN and task.slots_left == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"points": 0}, "points"),
        ({"points": 11}, "points"),  # above the indicator's cap of 10 a month
        ({"slots": 0}, "slots"),
        ({"title": " "}, "title"),
        ({"deadline_hours": -1}, "deadline"),
    ],
)
def test_publish_refuses_bad_input(world, change, field) -> None:  # noqa: ANN001
    indicators = svc.task_indicators(world.village.path)
    kw = {
        "actor": world.actor("village_staff"),
        "unit": world.village,
        "title": "清理楼道小广告",
        "description": "清理1号楼楼道内张贴的小广告",
        "indicator": svc.default_indicator(indicators),
        "points": 2,
        "slots": 5,
        "deadline": clock.now() + dt.timedelta(hours=change.pop("deadline_hours", 24)),
    }
    kw.update(change)
    with pytest.raises(DomainError) as err:
        svc.task_create(**kw)
    assert err.value.field == field
    assert not MicroTask.objects.exists()


def test_publish_scope_and_fast_path_permission(world) -> None:  # noqa: ANN001
    with pytest.raises(PermissionDenied):
        f.micro_task(world, unit=world.other_village, by="village_staff")
    with pytest.raises(PermissionDenied, match="审核权限"):
        f.micro_task(world, unit=world.grid, by="grid_worker", fast_path=True)
    task = f.micro_task(world, unit=world.grid, by="grid_worker")
    assert task.unit == world.grid


def test_claim_takes_a_slot_once_per_resident(world) -> None:  # noqa: ANN001
    task = f.micro_task(world, slots=2)
    resident = _resident(world)
    claim = svc.task_claim(task=task, resident=resident, channel=Phone)
    assert claim.status == TaskClaim.Status.CLAIMED
    before = _task_state(task)
    with pytest.raises(DomainError, match="已认领该任务"):
        svc.task_claim(task=task, resident=resident, channel=Phone)
    assert _task_state(task) == before == (1, 1, 0, 0)


def test_full_slots_refused(world) -> None:  # noqa: ANN001
    task = f.micro_task(world, slots=1)
    svc.task_claim(task=task, resident=_resident(world), channel=Phone)
    before = _task_state(task)
    with pytest.raises(DomainError, match="名额已满"):
        svc.task_claim(task=task, resident=_resident(world, name="李四"), channel=Phone)
    assert _task_state(task) == before


def test_closed_task_and_expired_deadline_refused(world) -> None:  # noqa: ANN001
    task = f.micro_task(world, hours=2)
    resident = _resident(world)
    with clock.travel(clock.now() + dt.timedelta(hours=3)):
        with pytest.raises(DomainError, match="已过认领截止时间"):
            svc.task_claim(task=task, resident=resident, channel=Phone)
    svc.task_close(actor=world.actor("village_staff"), task=task)
    with pytest.raises(DomainError, match="已结束，不能认领"):
        svc.task_claim(task=task, resident=resident, channel=Phone)
    assert _task_state(task) == (0, 0, 0, 0)


def test_resident_outside_the_area_refused(world) -> None:  # noqa: ANN001
    task = f.micro_task(world, unit=world.grid, by="grid_worker")
    with pytest.raises(DomainError, match="面向迎秀社区第一网格"):
        svc.task_claim(
            task=task, resident=_resident(world, unit=world.sibling_building), channel=Phone
        )
    other = make_unit("building", "B-OTHER-9", "西关小区9号楼", world.other_village)
    village_task = f.micro_task(world)
    with pytest.raises(DomainError, match="面向迎秀社区"):
        svc.task_claim(task=village_task, resident=_resident(world, unit=other), channel=Phone)


def test_station_registration_needs_staff_in_scope(world) -> None:  # noqa: ANN001
    task = f.micro_task(world)
    resident = _resident(world)
    with pytest.raises(PermissionDenied):
        svc.task_claim(
            task=task,
            resident=resident,
            channel=TaskClaim.Channel.STATION,
            actor=world.actor("other_village_staff"),
        )
    claim = svc.task_claim(
        task=task,
        resident=resident,
        channel=TaskClaim.Channel.STATION,
        actor=world.actor("village_staff"),
    )
    assert claim.channel == "station"


def test_withdraw_frees_the_slot_and_allows_a_new_claim(world) -> None:  # noqa: ANN001
    task = f.micro_task(world, slots=1)
    resident = _resident(world)
    claim = svc.task_claim(task=task, resident=resident, channel=Phone)
    with pytest.raises(PermissionDenied):
        svc.claim_withdraw(claim=claim, resident=_resident(world, name="李四"))
    svc.claim_withdraw(claim=claim, resident=resident)
    task.refresh_from_db()
    assert task.claimed_count == 0
    again = svc.task_claim(task=task, resident=resident, channel=Phone)
    assert again.pk != claim.pk
    with pytest.raises(DomainError, match="已放弃"):
        svc.claim_withdraw(claim=claim, resident=resident)


def test_confirm_proposes_through_the_approval_path(world) -> None:  # noqa: ANN001
    task = f.micro_task(world, points=4)
    resident = _resident(world)
    claim = svc.task_claim(task=task, resident=resident, channel=Phone)
    with pytest.raises(DomainError, match="完成情况或上传照片") as err:
        svc.claim_confirm(actor=world.actor("village_staff"), claim=claim, evidence=" ")
    assert err.value.field == "evidence"
    svc.claim_confirm(
        actor=world.actor("village_staff"),
        claim=claim,
        evidence="已发放传单32份",
        photo=f.photo(),
    )
    claim.refresh_from_db()
    assert claim.status == TaskClaim.Status.COMPLETED and claim.photo
    p = claim.proposal
    assert p is not None
    assert (p.status, p.points, p.source, p.source_key) == (
        Proposal.Status.PENDING,
        4,
        "task",
        f"task:{claim.public_id}",
    )
    assert p.resident_id == resident.pk and p.photos.count() == 1
    assert not PointEntry.objects.exists()
    # The confirming staff member proposed it: someone else approves.
    with pytest.raises(PermissionDenied, match="自己"):
        proposals.proposal_approve(actor=world.actor("village_staff"), proposal=p)
    proposals.proposal_approve(actor=world.actor("village_secretary"), proposal=p)
    with clock.travel(p.notice_until + dt.timedelta(minutes=1)):
        proposals.proposals_book_due()
    p.refresh_from_db()
    assert p.status == Proposal.Status.BOOKED
    assert p.entry.amount == 4 and p.entry.source_key == f"task:{claim.public_id}"
    assert ledger.ledger_verify().ok


def test_fast_path_books_at_once(world) -> None:  # noqa: ANN001
    # Published to the grid by the secretary (who may approve), confirmed by the grid worker.
    task = f.micro_task(world, unit=world.grid, points=3, fast_path=True, by="village_secretary")
    claim = svc.task_claim(task=task, resident=_resident(world), channel=Phone)
    svc.claim_confirm(actor=world.actor("grid_worker"), claim=claim, evidence="楼道小广告已清理")
    claim.refresh_from_db()
    p = claim.proposal
    assert p.status == Proposal.Status.BOOKED and p.decided_by_id == task.created_by_id
    claim.account.refresh_from_db()
    assert claim.account.balance == 3
    assert [e.action for e in p.events.all()] == ["propose", "approve", "book"]
    assert ledger.ledger_verify().ok


def test_confirm_above_the_cap_refused_nothing_half_booked(world) -> None:  # noqa: ANN001
    resident = _resident(world)
    done = f.micro_task(world, points=10, fast_path=True)
    claim = svc.task_claim(task=done, resident=resident, channel=Phone)
    svc.claim_confirm(actor=world.actor("village_staff"), claim=claim, evidence="完成")
    second = f.micro_task(world, points=2, title="清理楼道小广告")
    claim2 = svc.task_claim(task=second, resident=resident, channel=Phone)
    before = _task_state(second)
    with pytest.raises(DomainError, match="超过上限"):
        svc.claim_confirm(actor=world.actor("village_staff"), claim=claim2, evidence="完成")
    assert _task_state(second) == before
    claim2.refresh_from_db()
    assert claim2.status == TaskClaim.Status.CLAIMED and claim2.proposal is None


def test_confirm_out_of_scope_and_twice_refused(world) -> None:  # noqa: ANN001
    task = f.micro_task(world)
    claim = svc.task_claim(task=task, resident=_resident(world), channel=Phone)
    with pytest.raises(PermissionDenied):
        svc.claim_confirm(actor=world.actor("other_village_staff"), claim=claim, evidence="完成")
    svc.claim_confirm(actor=world.actor("village_staff"), claim=claim, evidence="完成")
    with pytest.raises(DomainError, match="已完成，不能再确认"):
        svc.claim_confirm(actor=world.actor("village_staff"), claim=claim, evidence="完成")
    assert Proposal.objects.count() == 1


def test_not_done_frees_the_slot(world) -> None:  # noqa: ANN001
    task = f.micro_task(world, slots=1)
    claim = svc.task_claim(task=task, resident=_resident(world), channel=Phone)
    with pytest.raises(DomainError, match="原因"):
        svc.claim_reject(actor=world.actor("village_staff"), claim=claim, note="")
    svc.claim_reject(actor=world.actor("village_staff"), claim=claim, note="联系不上本人")
    task.refresh_from_db()
    claim.refresh_from_db()
    assert task.claimed_count == 0 and claim.status == TaskClaim.Status.REJECTED
    svc.task_claim(task=task, resident=_resident(world, name="李四"), channel=Phone)


def test_edit_keeps_slots_above_claims(world) -> None:  # noqa: ANN001
    task = f.micro_task(world, slots=3)
    svc.task_claim(task=task, resident=_resident(world), channel=Phone)
    svc.task_claim(task=task, resident=_resident(world, name="李四"), channel=Phone)
    kw = {
        "actor": world.actor("village_staff"),
        "task": task,
        "title": task.title,
        "description": task.description,
        "indicator": task.indicator,
        "points": 2,
        "deadline": task.deadline,
    }
    with pytest.raises(DomainError, match="名额不能少于 2") as err:
        svc.task_update(slots=1, **kw)
    assert err.value.field == "slots"
    svc.task_update(slots=2, **kw)
    task.refresh_from_db()
    assert task.slots == 2 and task.claimed_count == 2 and task.slots_left == 0
