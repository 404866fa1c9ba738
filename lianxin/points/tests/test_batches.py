"""Batch evaluation: one indicator for a building's households, decided together."""

from __future__ import annotations

import datetime as dt

import pytest

from lianxin.core import clock
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.points.models import PointEntry, Proposal, ProposalEvent
from lianxin.points.services import batches, proposals
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db


def test_batch_for_a_building_books_each_household(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    accounts = [f.household_account(world.building, head_name=f"张{i}") for i in range(12)]
    with django_assert_max_num_queries(20):
        result = batches.proposal_batch_create(
            actor=world.actor("grid_worker"),
            accounts=accounts,
            indicator=f.indicator("courtyard_clean"),
            occurred_on=f.today(),
            description="十一月人居环境评比",
            photos=[f.photo()],
        )
    assert len(result.created) == 12 and not result.refused
    assert ProposalEvent.objects.filter(action="propose").count() == 12
    decided = batches.proposal_batch_decide(
        actor=world.actor("village_secretary"), batch=result.batch, approve=True
    )
    assert decided == 12
    p = Proposal.objects.filter(batch=result.batch).first()
    assert p is not None and p.notice_until is not None
    with clock.travel(p.notice_until + dt.timedelta(minutes=1)):
        assert proposals.proposals_book_due() == 12
    assert PointEntry.objects.count() == 12
    assert {
        a.balance for a in type(accounts[0]).objects.filter(pk__in=[a.pk for a in accounts])
    } == {5}


def test_batch_refuses_out_of_scope_and_capped_by_name(world) -> None:  # noqa: ANN001
    mine = f.household_account(world.building, head_name="李明")
    capped = f.household_account(world.building, head_name="王芳")
    f.propose(world, capped)  # uses this month's 5-point cap
    outside = f.household_account(world.sibling_building, head_name="赵强")
    result = batches.proposal_batch_create(
        actor=world.actor("grid_worker"),
        accounts=[mine, capped, outside],
        indicator=f.indicator("courtyard_clean"),
        occurred_on=f.today(),
        photos=[f.photo()],
    )
    assert [p.account_id for p in result.created] == [mine.pk]
    reasons = dict(result.refused)
    assert "超过上限" in reasons[capped.label]
    assert "管辖范围" in reasons[outside.label]
    with pytest.raises(DomainError, match="未保存"):
        batches.proposal_batch_create(
            actor=world.actor("grid_worker"),
            accounts=[capped],
            indicator=f.indicator("courtyard_clean"),
            occurred_on=f.today(),
            photos=[f.photo()],
            all_or_nothing=True,
        )


def test_batch_cannot_be_approved_by_its_proposer(world) -> None:  # noqa: ANN001
    accounts = [f.household_account(world.building)]
    result = batches.proposal_batch_create(
        actor=world.actor("village_secretary"),
        accounts=accounts,
        indicator=f.indicator("courtyard_clean"),
        occurred_on=f.today(),
        photos=[f.photo()],
    )
    with pytest.raises(PermissionDenied, match="自己"):
        batches.proposal_batch_decide(
            actor=world.actor("village_secretary"), batch=result.batch, approve=True
        )
    with pytest.raises(DomainError, match="原因"):
        batches.proposal_batch_decide(
            actor=world.actor("village_staff"), batch=result.batch, approve=False
        )
    assert (
        batches.proposal_batch_decide(
            actor=world.actor("village_staff"), batch=result.batch, approve=False, note="照片不清楚"
        )
        == 1
    )
