"""Standings: period scores and RANK() ranks by grid, village and township, recomputed in
one statement; scoped recompute by township; bad periods refused."""

from __future__ import annotations

import datetime as dt

import pytest

from lianxin.core import clock
from lianxin.core.errors import DomainError
from lianxin.core.testing import make_unit
from lianxin.points.models import Account, EntryKind, Scheme, Standing
from lianxin.points.services import ledger
from lianxin.points.services.accounts import account_for_unit, merchant_account_create
from lianxin.points.services.standings import standings_recompute
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 10)


def scheme(code: str) -> Scheme:
    return Scheme.objects.get(code=code)


def standing(account: Account, period: str = "2026") -> Standing:
    return Standing.objects.get(account=account, period=period)


def test_score_is_the_period_sum_of_score_kinds(world) -> None:  # noqa: ANN001
    a = f.household_account(world.building)
    f.credit(a, 10, day=DAY)
    f.credit(a, -3, day=DAY)
    f.credit(a, 7, day=dt.date(2025, 12, 31))  # another year
    earned = f.credit(a, 5, day=dt.date(2026, 4, 1))
    ledger.entry_reverse(entry=earned, reason="重复申报", booked_by_id=None)
    # Spending moves the balance, not the score.
    ledger.entry_append(
        account=a, kind=EntryKind.SPEND, amount=-4, occurred_on=DAY, reason="兑换", source_key="s1"
    )
    standings_recompute(period="2026")
    assert standing(a).score == 7
    standings_recompute(period="2026-03")
    assert standing(a, "2026-03").score == 7
    standings_recompute(period="2026-04")
    assert standing(a, "2026-04").score == 0  # earned and reversed in April


def test_ranks_share_ties_and_skip(world) -> None:  # noqa: ANN001
    a, b, c, d = (f.household_account(world.building, head_name=n) for n in "甲乙丙丁")
    e = f.household_account(world.sibling_building, head_name="戊")
    idle = f.household_account(world.sibling_building, head_name="己")  # no entries
    for account, points in ((a, 100), (b, 90), (c, 90), (d, 80), (e, 95)):
        f.credit(account, points, day=DAY)
    written = standings_recompute(period="2026", schemes=[scheme("household")])
    assert written == 6
    got = {s.account_id: s for s in Standing.objects.filter(period="2026")}
    assert [got[x.pk].rank_grid for x in (a, b, c, d)] == [1, 2, 2, 4]
    assert [got[x.pk].rank_grid for x in (e, idle)] == [1, 2]
    # The village and the street rank both grids together.
    assert [got[x.pk].rank_village for x in (a, e, b, c, d, idle)] == [1, 2, 3, 3, 5, 6]
    assert got[idle.pk].rank_township == 6 and got[idle.pk].score == 0
    assert got[a.pk].grid_key == world.grid.pk
    assert got[a.pk].village_key == world.village.pk
    assert got[a.pk].township_key == world.street.pk


def test_recompute_replaces_the_period_and_leaves_others(world) -> None:  # noqa: ANN001
    a = f.household_account(world.building)
    f.credit(a, 10, day=DAY)
    standings_recompute(period="2026")
    standings_recompute(period="2026-03")
    f.credit(a, 5, day=DAY)
    with clock.travel(dt.datetime(2026, 5, 1, 2, tzinfo=dt.UTC)):
        standings_recompute(period="2026")
    assert Standing.objects.filter(account=a).count() == 2
    row = standing(a)
    assert row.score == 15 and row.computed_at == dt.datetime(2026, 5, 1, 2, tzinfo=dt.UTC)
    assert standing(a, "2026-03").score == 10  # not recomputed: still the cached figure


def test_one_mechanism_ranks_every_subject_kind(world) -> None:  # noqa: ANN001
    building = account_for_unit(world.building, scheme("building"))
    sibling = account_for_unit(world.sibling_building, scheme("building"))
    grid = account_for_unit(world.grid, scheme("grid"))
    shop = merchant_account_create(scheme=scheme("merchant"), unit=world.village, name="便民超市")
    household = f.household_account(world.building)
    f.credit(sibling, 8, day=DAY)
    f.credit(grid, 3, day=DAY)
    assert standings_recompute(period="2026") == 5
    assert standing(sibling).rank_village == 1 and standing(building).rank_village == 2
    assert standing(grid).rank_grid == 1 and standing(grid).score == 3
    # A merchant under the village itself: no grid, so no grid rank.
    assert standing(shop).rank_grid is None and standing(shop).rank_village == 1
    assert standing(household).scheme_id == scheme("household").pk


def test_schemes_are_ranked_apart(world) -> None:  # noqa: ANN001
    household = f.household_account(world.building)
    building = account_for_unit(world.building, scheme("building"))
    f.credit(household, 1, day=DAY)
    f.credit(building, 50, day=DAY)
    standings_recompute(period="2026")
    assert standing(household).rank_village == 1 and standing(building).rank_village == 1
    # Recomputing one scheme leaves the other scheme's rows alone.
    f.credit(building, 1, day=DAY)
    standings_recompute(period="2026", schemes=[scheme("household")])
    assert standing(building).score == 50


def test_inactive_accounts_are_not_ranked(world) -> None:  # noqa: ANN001
    a = f.household_account(world.building)
    b = f.household_account(world.building)
    Account.objects.filter(pk=b.pk).update(is_active=False)
    standings_recompute(period="2026")
    assert list(Standing.objects.values_list("account_id", flat=True)) == [a.pk]


def test_recompute_by_township_gives_the_full_ranks(world) -> None:  # noqa: ANN001
    here = [f.household_account(world.building) for _ in range(3)]
    there = [f.household_account(world.other_village) for _ in range(2)]
    for i, account in enumerate(here + there):
        f.credit(account, 10 * (i % 3) + 1, day=DAY)
    standings_recompute(period="2026")
    before = {s.account_id: s.score for s in Standing.objects.all()}
    # New points in both streets; only the first street is recomputed.
    f.credit(here[0], 100, day=DAY)
    f.credit(there[0], 100, day=DAY)
    with clock.travel(dt.datetime(2026, 6, 1, tzinfo=dt.UTC)):
        written = standings_recompute(period="2026", townships=[world.street.pk])
    assert written == 3
    assert standing(here[0]).rank_township == 1 and standing(here[0]).score == 101
    assert standing(there[0]).score == before[there[0].pk]  # other street untouched

    def ranks(accounts: list[Account]) -> list[tuple[int, int | None, int | None, int | None]]:
        return [
            (s.score, s.rank_grid, s.rank_village, s.rank_township)
            for s in Standing.objects.filter(account__in=accounts).order_by("account_id")
        ]

    partial = ranks(here)
    standings_recompute(period="2026")
    assert ranks(here) == partial  # the same ranks a full recompute gives
    assert standing(there[0]).score == 101
    assert standing(there[0]).township_key == world.other_street.pk


def test_moved_account_is_recomputed_in_its_new_township(world) -> None:  # noqa: ANN001
    a = f.household_account(world.building)
    standings_recompute(period="2026")
    Account.objects.filter(pk=a.pk).update(
        unit=world.other_village,
        grid=None,
        village=world.other_village,
        township=world.other_street,
    )
    standings_recompute(period="2026", townships=[world.other_street.pk])
    row = standing(a)
    assert row.township_key == world.other_street.pk and row.grid_key is None


def test_township_recompute_with_no_townships_does_nothing(world) -> None:  # noqa: ANN001
    f.household_account(world.building)
    assert standings_recompute(period="2026", townships=[]) == 0
    assert not Standing.objects.exists()


@pytest.mark.parametrize("period", ["", "2026-13", "26", "2026-1", "2026/11", "abcd"])
def test_bad_period_is_refused(world, period: str) -> None:  # noqa: ANN001
    with pytest.raises(DomainError) as err:
        standings_recompute(period=period)
    assert err.value.field == "period"


def test_accounts_in_a_new_street_rank_on_their_own(world) -> None:  # noqa: ANN001
    street = make_unit("township", "410883009", "新街道", world.county)
    village = make_unit("village", "410883009001", "新村", street)
    a = f.household_account(village)
    f.credit(a, 1, day=DAY)
    b = f.household_account(world.building)
    standings_recompute(period="2026")
    assert standing(a).rank_township == 1 and standing(b).rank_township == 1


def test_query_count_does_not_grow_with_accounts(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    for _ in range(5):
        f.credit(f.household_account(world.building), 3, day=DAY)
    # Schemes (a snapshot), the lock, two SET LOCAL on PostgreSQL, the temporary table (drop,
    # create, index, analyze, drop), the delete, the insert, the run record.
    with django_assert_max_num_queries(14):
        standings_recompute(period="2026")
    assert Standing.objects.count() == 5


def test_a_second_recompute_rewrites_only_what_changed(world) -> None:  # noqa: ANN001
    from lianxin.points.models import StandingRun

    accounts = [f.household_account(world.building) for _ in range(4)]
    for n, account in enumerate(accounts):
        f.credit(account, 10 + n, day=DAY)
    assert standings_recompute(period="2026") == 4
    first = dict(Standing.objects.values_list("account_id", "computed_at"))
    assert standings_recompute(period="2026") == 0  # nothing moved
    f.credit(accounts[0], 20, day=DAY)  # 10 → 30: first place, the others move down one
    assert standings_recompute(period="2026") == 4
    ranks = dict(Standing.objects.values_list("account_id", "rank_village"))
    assert ranks == {accounts[0].pk: 1, accounts[3].pk: 2, accounts[2].pk: 3, accounts[1].pk: 4}
    f.credit(accounts[1], 1, day=DAY)  # 11 → 12: still last
    assert standings_recompute(period="2026") == 1
    changed = {
        a for a, at in Standing.objects.values_list("account_id", "computed_at") if at != first[a]
    }
    assert accounts[1].pk in changed
    # One run record per recompute and scheme: when the ranks were last checked.
    active = Scheme.objects.filter(is_active=True).count()
    assert StandingRun.objects.filter(period="2026").count() == 4 * active
