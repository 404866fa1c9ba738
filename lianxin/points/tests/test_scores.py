"""Scores: the linked-household score is Σ ÷ n exactly (seed 000), with n counting every
linked household — also those without a single point — and reversals taken back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from lianxin.core.testing import make_household
from lianxin.party.models import HouseholdLink
from lianxin.party.tests.factories import make_link, make_member, make_org
from lianxin.points.models import EntryKind, PointsSettings
from lianxin.points.scores import (
    LinkedScore,
    linked_score,
    member_own_score_expression,
    member_scores,
)
from lianxin.points.services import ledger
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db

YEAR = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
DAY = dt.date(2026, 5, 10)


@pytest.fixture(autouse=True)
def _settings_row(db) -> None:  # noqa: ANN001
    # Read back from the database, so the weights are Decimals (see the report to the lead).
    PointsSettings.objects.get_or_create()


@pytest.fixture
def member(world):  # noqa: ANN001, ANN201
    return make_member(make_org(world.village), name="李党员")


def _linked_account(world, member, points: list[int]):  # noqa: ANN001, ANN202
    account = f.household_account(world.building)
    make_link(member, account.household)
    for p in points:
        f.credit(account, p, day=DAY)
    return account


def test_linked_score_is_sum_over_count_exactly(world, member) -> None:  # noqa: ANN001
    _linked_account(world, member, [10, 2])  # 12
    _linked_account(world, member, [5])  # 5
    _linked_account(world, member, [3, -1])  # 2 (a deduction counts)
    ls = linked_score(member, *YEAR)
    assert (ls.total, ls.households) == (19, 3)
    assert ls.value == Decimal("6.33")  # 19 / 3 = 6.333…, half up to the cent


def test_households_without_points_count_in_n(world, member) -> None:  # noqa: ANN001
    _linked_account(world, member, [9])
    make_link(member, make_household(world.building))  # no account at all
    _linked_account(world, member, [])  # an account, no entries
    ls = linked_score(member, *YEAR)
    assert (ls.total, ls.households, ls.value) == (9, 3, Decimal("3.00"))


def test_member_without_links_has_no_linked_score(world, member) -> None:  # noqa: ANN001
    ls = linked_score(member, *YEAR)
    assert ls == LinkedScore(total=0, households=0)
    assert ls.value is None
    score = member_scores([member], *YEAR)[member.pk]
    assert score.own == 0 and score.combined == Decimal("0.00")


def test_ended_links_do_not_count(world, member) -> None:  # noqa: ANN001
    kept = _linked_account(world, member, [8])
    gone = _linked_account(world, member, [100])
    HouseholdLink.objects.filter(household=gone.household).update(is_active=False)
    ls = linked_score(member, *YEAR)
    assert (ls.total, ls.households, ls.value) == (8, 1, Decimal("8.00"))
    assert kept.household_id != gone.household_id


def test_reversal_takes_points_back_in_their_period(world, member) -> None:  # noqa: ANN001
    account = _linked_account(world, member, [])
    earned = f.credit(account, 6, day=DAY)
    f.credit(account, 4, day=DAY)
    assert linked_score(member, *YEAR).total == 10
    ledger.entry_reverse(entry=earned, reason="重复申报", booked_by_id=None)
    ls = linked_score(member, *YEAR)
    assert (ls.total, ls.households, ls.value) == (4, 1, Decimal("4.00"))
    # The reversal keeps the deed's date: May is corrected, June is untouched.
    may = linked_score(member, dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    assert may.total == 4
    assert linked_score(member, dt.date(2026, 6, 1), dt.date(2026, 6, 30)).total == 0


def test_spending_moves_balance_not_score(world, member) -> None:  # noqa: ANN001
    account = _linked_account(world, member, [20])
    ledger.entry_append(
        account=account,
        kind=EntryKind.SPEND,
        amount=-15,
        occurred_on=DAY,
        reason="兑换大米",
        source_key="test:spend",
    )
    account.refresh_from_db()
    assert account.balance == 5
    assert linked_score(member, *YEAR).total == 20


def test_period_bounds_are_inclusive(world, member) -> None:  # noqa: ANN001
    account = _linked_account(world, member, [])
    f.credit(account, 1, day=dt.date(2026, 1, 1))
    f.credit(account, 2, day=dt.date(2026, 12, 31))
    f.credit(account, 50, day=dt.date(2025, 12, 31))
    assert linked_score(member, *YEAR).total == 3


def test_combined_uses_configured_weights(world, member) -> None:  # noqa: ANN001
    cfg = PointsSettings.objects.get()
    cfg.member_own_weight = Decimal("0.60")
    cfg.member_linked_weight = Decimal("0.40")
    cfg.save()
    f.credit(f.member_account(member), 30, day=DAY)
    _linked_account(world, member, [10])
    _linked_account(world, member, [])
    score = member_scores([member], *YEAR)[member.pk]
    assert score.own == 30
    assert score.linked.value == Decimal("5.00")
    assert score.combined == Decimal("20.00")  # 30 × 0.6 + 5 × 0.4


def test_own_score_expression_matches_member_scores(world, member) -> None:  # noqa: ANN001
    from lianxin.party.models import PartyMember

    f.credit(f.member_account(member), 12, day=DAY)
    f.credit(f.member_account(member), -2, day=DAY)
    idle = make_member(member.organisation, name="王党员")
    rows = dict(
        PartyMember.objects.annotate(own=member_own_score_expression(*YEAR)).values_list(
            "pk", "own"
        )
    )
    assert rows == {member.pk: 10, idle.pk: 0}
    assert member_scores([member], *YEAR)[member.pk].own == 10
