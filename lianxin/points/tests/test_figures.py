"""Figures for other apps (points.figures.unit_figures), checked against hand-counted data."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest

from lianxin.core import clock
from lianxin.core.testing import make_household, make_resident
from lianxin.party.tests.factories import make_link, make_member, make_org
from lianxin.points.figures import unit_figures
from lianxin.points.models import (
    EntryKind,
    MicroTask,
    Redemption,
    Store,
    StoreItem,
    TaskClaim,
)
from lianxin.points.services import ledger, proposals
from lianxin.points.services.accounts import account_for_household
from lianxin.points.services.config import points_settings
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db


def _entry(account: Any, kind: str, amount: int, day: dt.date) -> Any:
    return ledger.entry_append(
        account=account,
        kind=kind,
        amount=amount,
        occurred_on=day,
        reason="测试",
        source_key=f"test:{uuid.uuid4()}",
    )


@pytest.fixture
def data(world):  # noqa: ANN001, ANN201
    """Hand-counted data in the world's village (and noise in the other village and before
    the period). The period is the 30 days up to today."""
    today = f.today()
    early = today - dt.timedelta(days=60)
    hh = [make_household(world.building, head_name=f"户主{i}") for i in range(4)]
    accounts = [account_for_household(h) for h in hh]
    a1, a2, a3, a4 = accounts
    _entry(a1, EntryKind.EARN, 5, today)
    _entry(a1, EntryKind.DEDUCT, -2, today)
    one = _entry(a1, EntryKind.EARN, 1, today)
    ledger.entry_reverse(entry=one, reason="重复登记", booked_by_id=None)
    _entry(a2, EntryKind.EARN, 4, today)
    _entry(a3, EntryKind.DEDUCT, -5, today)
    _entry(a4, EntryKind.EARN, 7, early)  # before the period
    # Noise: another village.
    _entry(f.household_account(world.other_village, head_name="外村"), EntryKind.EARN, 10, today)
    # The store: a redemption picked up later (3 points) and a cancelled one (2, refunded).
    store = Store.objects.create(unit=world.village, name="迎秀积分超市")
    rice = StoreItem.objects.create(store=store, name="大米", price=3, stock=10)
    soap = StoreItem.objects.create(store=store, name="肥皂", price=2, stock=10)
    Redemption.objects.create(
        store=store,
        item=rice,
        account=a2,
        points=3,
        channel="counter",
        spend_entry=_entry(a2, EntryKind.SPEND, -3, today),
    )
    Redemption.objects.create(
        store=store,
        item=soap,
        account=a1,
        points=2,
        channel="phone",
        status=Redemption.Status.CANCELLED,
        spend_entry=_entry(a1, EntryKind.SPEND, -2, today),
        refund_entry=_entry(a1, EntryKind.REFUND, 2, today),
    )
    # Party members: m1 earns 8 and links h1, h2; m2 earns nothing and links h3.
    org = make_org(world.village)
    m1, m2 = make_member(org, name="党员甲"), make_member(org, name="党员乙")
    make_member(make_org(world.other_village), name="外村党员")
    f.credit(f.member_account(m1), 8, day=today)
    make_link(m1, hh[0])
    make_link(m1, hh[1])
    make_link(m2, hh[2])
    # Proposals: one pending (h4), one approved then objected (h3).
    f.propose(world, a4)
    objected = f.approved(world, a3)
    proposals.objection_file(proposal=objected, text="他家院子并没有打扫干净")
    # Micro-tasks: one published; one resident completed it, another only claimed.
    task = MicroTask.objects.create(
        unit=world.village,
        title="反诈宣传单入户",
        description="给3号楼每户发一张反诈宣传单",
        indicator=f.indicator("micro_task"),
        points=2,
        slots=5,
        deadline=clock.now() + dt.timedelta(days=3),
        created_by=world.users["village_staff"],
    )
    done_by, claimer = make_resident(hh[0], name="户主0"), make_resident(hh[1], name="户主1")
    TaskClaim.objects.create(
        task=task,
        resident=done_by,
        account=a1,
        channel="phone",
        status=TaskClaim.Status.COMPLETED,
        confirmed_at=clock.now(),
    )
    TaskClaim.objects.create(task=task, resident=claimer, account=a2, channel="station")
    return today - dt.timedelta(days=30), today


def test_unit_figures_match_the_hand_count(world, data, django_assert_max_num_queries) -> None:  # noqa: ANN001
    date_from, date_to = data
    with django_assert_max_num_queries(16):
        fig = unit_figures(world.village, date_from, date_to)
    household = fig["schemes"]["household"]
    # Earned 5 + 1 + 4; deducted 2 + 5; reversed −1; spent 3 + 2; refunded 2.
    assert household == {
        "name": household["name"],
        "awarded": 10,
        "deducted": 7,
        "reversed": -1,
        "net": 2,
        "spent": 5,
        "refunded": 2,
    }
    assert fig["schemes"]["party_member"]["awarded"] == 8
    # h1 (3) and h2 (4) have points, h3 (−5) only entries, h4 nothing in the period.
    assert fig["households"] == {
        "total": 4,
        "with_points": 2,
        "with_entry": 3,
        "entry_share": Decimal("0.7500"),
    }
    assert points_settings().low_score_threshold > 8
    # Own: (8 + 0) / 2; linked: m1 (3 + 4) / 2 = 3.50, m2 −5 / 1; mean −0.75.
    assert fig["members"] == {
        "total": 2,
        "own_average": Decimal("4.00"),
        "linked_average": Decimal("-0.75"),
        "linked_members": 2,
        "below_threshold": 2,
        "threshold": points_settings().low_score_threshold,
    }
    assert fig["proposals"]["pending"] == 1 and fig["proposals"]["objected"] == 1
    assert fig["proposals"]["total"] == 2 and fig["proposals"]["booked"] == 0
    assert fig["objections"] == {"total": 1, "open": 1, "upheld": 0, "dismissed": 0}
    assert fig["redemptions"] == {"total": 2, "picked_up": 0, "cancelled": 1, "points": 3}
    assert fig["micro_tasks"] == {"published": 1, "completed": 1, "residents": 1}


def test_smaller_units_and_other_periods(world, data) -> None:  # noqa: ANN001
    date_from, date_to = data
    other = unit_figures(world.other_village, date_from, date_to)
    assert other["schemes"]["household"]["awarded"] == 10
    assert other["households"]["total"] == 1 and other["members"]["total"] == 1
    assert other["proposals"]["total"] == 0 and other["redemptions"]["total"] == 0
    # The sibling grid has no households: no share rather than a division by zero.
    empty = unit_figures(world.sibling_grid, date_from, date_to)
    assert empty["households"]["entry_share"] is None
    assert empty["members"]["own_average"] is None
    # Sixty days back the early entry of h4 counts, the others do not.
    early = date_to - dt.timedelta(days=60)
    old = unit_figures(world.village, early, early)
    assert old["schemes"]["household"]["awarded"] == 7
    assert old["households"]["with_points"] == 1
    with pytest.raises(ValueError):
        unit_figures(world.village, date_to, date_from)
