"""Proposals: evidence, caps, scope, approval by someone else, notice, objections, booking."""

from __future__ import annotations

import datetime as dt

import pytest

from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.points.models import Objection, PointEntry, Proposal
from lianxin.points.services import proposals
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(world):  # noqa: ANN001, ANN201
    return f.household_account(world.building)


def test_proposal_goes_through_notice_and_books(world, account) -> None:  # noqa: ANN001
    p = f.approved(world, account)
    assert p.status == Proposal.Status.IN_NOTICE
    assert p.notice_until is not None
    assert proposals.proposals_book_due() == 0  # notice not over
    with clock.travel(p.notice_until + dt.timedelta(seconds=1)):
        assert proposals.proposals_book_due() == 1
    p.refresh_from_db()
    account.refresh_from_db()
    assert p.status == Proposal.Status.BOOKED
    assert p.entry is not None and p.entry.amount == 5
    assert account.balance == 5 and account.entry_count == 1
    assert [e.action for e in p.events.all()] == ["propose", "approve", "book"]


def test_proposer_never_approves_own(world, account) -> None:  # noqa: ANN001
    p = f.propose(world, account, by="village_secretary")
    with pytest.raises(PermissionDenied, match="自己"):
        proposals.proposal_approve(actor=world.actor("village_secretary"), proposal=p)
    proposals.proposal_approve(actor=world.actor("village_staff"), proposal=p)


def test_missing_photo_evidence_is_refused(world, account) -> None:  # noqa: ANN001
    with pytest.raises(DomainError) as err:
        f.propose(world, account, photos=[])
    assert err.value.field == "photos"
    assert not Proposal.objects.exists()


def test_cap_per_month(world, account) -> None:  # noqa: ANN001
    f.propose(world, account)  # 5 of a 5-point monthly cap
    with pytest.raises(DomainError, match="超过上限") as err:
        f.propose(world, account)
    assert err.value.field == "indicator"


def test_out_of_scope_household_is_refused(world) -> None:  # noqa: ANN001
    other = f.household_account(world.sibling_building)
    with pytest.raises(PermissionDenied, match="管辖范围"):
        f.propose(world, other, by="grid_worker")


def test_objection_holds_booking_until_dismissed(world, account) -> None:  # noqa: ANN001
    p = f.approved(world, account)
    objection = proposals.objection_file(proposal=p, text="他家院子其实没有打扫过")
    p.refresh_from_db()
    assert p.status == Proposal.Status.OBJECTED
    with clock.travel(p.notice_until + dt.timedelta(hours=1)):
        assert proposals.proposals_book_due() == 0
        proposals.objection_resolve(
            actor=world.actor("village_secretary"),
            objection=objection,
            upheld=False,
            resolution="经现场核实，庭院确已整治",
        )
    p.refresh_from_db()
    assert p.status == Proposal.Status.BOOKED
    assert Objection.objects.get().status == Objection.Status.DISMISSED


def test_upheld_objection_refuses(world, account) -> None:  # noqa: ANN001
    p = f.approved(world, account)
    objection = proposals.objection_file(proposal=p, text="照片不是他家的院子", phone="13912345678")
    assert objection.phone_masked == "139****5678"
    proposals.objection_resolve(
        actor=world.actor("village_staff"), objection=objection, upheld=True, resolution="属实"
    )
    p.refresh_from_db()
    assert p.status == Proposal.Status.REJECTED
    assert not PointEntry.objects.exists()


def test_reverse_appends_opposite_entry(world, account) -> None:  # noqa: ANN001
    p = f.booked(world, account)
    proposals.proposal_reverse(
        actor=world.actor("village_secretary"), proposal=p, reason="重复申报"
    )
    account.refresh_from_db()
    assert account.balance == 0
    assert list(PointEntry.objects.values_list("amount", "kind")) == [(5, "earn"), (-5, "reversal")]


def test_stale_version_conflicts(world, account) -> None:  # noqa: ANN001
    p = f.propose(world, account)
    stale = p.version
    proposals.proposal_reject(actor=world.actor("village_staff"), proposal=p, note="证据不足")
    p2 = Proposal.objects.get(pk=p.pk)
    p2.status = Proposal.Status.PENDING  # what the second tab still shows
    with pytest.raises(Conflict):
        proposals.proposal_approve(
            actor=world.actor("village_secretary"), proposal=p2, expected_version=stale
        )


def test_book_due_books_sets_and_holds_objected(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    approved = [
        f.approved(world, f.household_account(world.building, head_name=f"户{i}")) for i in range(6)
    ]
    proposals.objection_file(proposal=approved[0], text="这户的院子没有打扫过")
    last = max(p.notice_until for p in approved if p.notice_until)
    # A fixed number (13), however many proposals the set holds.
    with clock.travel(last + dt.timedelta(minutes=1)), django_assert_max_num_queries(13):
        assert proposals.proposals_book_due() == 5
    statuses = sorted(Proposal.objects.values_list("status", flat=True))
    assert statuses == ["booked"] * 5 + ["objected"]
    assert PointEntry.objects.count() == 5
    assert len({e.hash for e in PointEntry.objects.all()}) == 5


def test_a_set_with_a_stale_proposal_is_booked_one_by_one(world) -> None:  # noqa: ANN001
    first = f.approved(world, f.household_account(world.building, head_name="甲"))
    second = f.approved(world, f.household_account(world.building, head_name="乙"))
    assert first.notice_until is not None and second.notice_until is not None
    stale = Proposal.objects.get(pk=first.pk)
    with clock.travel(max(first.notice_until, second.notice_until) + dt.timedelta(minutes=1)):
        proposals.proposal_book(proposal=first)  # someone booked it meanwhile
        assert proposals._book_chunk([stale, Proposal.objects.get(pk=second.pk)]) == 1
    assert Proposal.objects.filter(status="booked").count() == 2
    assert PointEntry.objects.count() == 2
