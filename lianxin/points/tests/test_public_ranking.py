"""积分榜: the village's top households (month and year), party members, buildings and
grids, with masked names; the ranks are the standings' (the staff pages' ranks)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lianxin.core import clock
from lianxin.core.testing import make_household, make_resident
from lianxin.party.tests.factories import make_member, make_org
from lianxin.points import public as sel
from lianxin.points.models import EntryKind
from lianxin.points.services.accounts import account_for_household, account_for_unit
from lianxin.points.services.config import scheme_get
from lianxin.points.services.standings import standings_recompute
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db

# Mid-June, so "this month" and "earlier this year" are both in the same year.
JUNE = timezone.make_aware(dt.datetime(2026, 6, 15, 10, 0))


@pytest.fixture(autouse=True)
def _in_june():  # noqa: ANN202
    with clock.travel(JUNE):
        yield


def recompute() -> None:
    """What the nightly job does."""
    standings_recompute(period="2026")
    standings_recompute(period="2026-06")


def home(unit, head: str, door: str):  # noqa: ANN001, ANN201
    household = make_household(unit, address=door, head_name=head)
    make_resident(household, name=head, phone="13912345678")
    return account_for_household(household)


def url(world) -> str:  # noqa: ANN001
    return reverse("points_public:ranking", args=[world.village.code])


def test_boards_rank_with_ties_and_list_positive_scores_only(world) -> None:  # noqa: ANN001
    scores = {"王秀英": 30, "李四海": 20, "赵大山": 20, "钱小花": 5, "孙二娘": -3}
    for i, (head, points) in enumerate(scores.items()):
        f.credit(home(world.building, head, f"{i}室"), points)
    home(world.building, "没积分", "9室")
    f.credit(home(world.other_village, "周其他", "1室"), 100)
    recompute()
    household, year = sel.ranking_boards(world.village)[:2]
    assert household.title == "本月积分榜（户）" and household.period_label == "2026年6月"
    assert [(r.rank, r.score) for r in year.rows] == [(1, 30), (2, 20), (2, 20), (4, 5)]
    assert year.rows[0].label == "王**家 · 迎秀小区1号楼"
    assert year.computed_at is not None


def test_ranking_page_month_year_members_buildings_grids(world) -> None:  # noqa: ANN001
    early = home(world.building, "王秀英", "3单元501室")
    f.credit(early, 40, day=dt.date(2026, 2, 1))  # this year, not this month
    late = home(world.sibling_building, "李四海", "9单元901室")
    f.credit(late, 12)
    spent = home(world.building, "赵大山", "1室")
    f.credit(spent, 9)
    f.credit(spent, -9, kind=EntryKind.SPEND)  # spending moves the balance, not the score
    member = make_member(make_org(world.village), name="张党员")
    f.credit(f.member_account(member), 15)
    f.credit(account_for_unit(world.building, scheme_get("building")), 25)
    f.credit(account_for_unit(world.grid, scheme_get("grid")), 33)
    recompute()
    html = Client().get(url(world)).content.decode()
    month = html.index("本月积分榜（户）")
    year = html.index("年度积分榜（户）")
    members = html.index("党员积分榜")
    month_part, year_part = html[month:year], html[year:members]
    assert "2026年6月" in month_part and "李**家 · 迎秀小区9号楼" in month_part
    assert "王**" not in month_part and "12 分" in month_part
    assert year_part.index("王**家") < year_part.index("李**家") and "40 分" in year_part
    assert "张**" in html[members:] and "15 分" in html[members:]
    assert "楼院积分榜" in html and "迎秀小区1号楼" in html and "25 分" in html
    assert "网格积分榜" in html and "迎秀社区第一网格" in html and "33 分" in html
    assert "统计时间 6月15日" in html
    for secret in ("王秀英", "李四海", "张党员", "3单元501室", "9单元901室", "13912345678"):
        assert secret not in html
    assert "赵**" in html  # 9 points this month and this year


def test_before_the_first_recompute_the_boards_are_empty(world) -> None:  # noqa: ANN001
    f.credit(home(world.building, "王秀英", "1室"), 10)
    html = Client().get(url(world)).content.decode()
    assert "暂无排名" in html and "王**" not in html


def test_ranking_query_count_is_constant(world, django_assert_max_num_queries, settings) -> None:  # noqa: ANN001
    settings.LIANXIN_CONFIG_RECHECK_SECONDS = 3600  # no snapshot freshness check mid-count
    for i in range(3):
        f.credit(home(world.building, f"甲{i}", f"{i}室"), i + 1)
    recompute()
    client = Client()
    client.get(url(world))
    # The village, then two queries a board (its rows, when they were last checked).
    with django_assert_max_num_queries(8) as few:
        client.get(url(world))
    for i in range(3, 30):
        f.credit(home(world.building, f"甲{i}", f"{i}室"), i + 1)
    recompute()
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(url(world)).content.decode()
    assert html.count('class="rank-no"') == 20  # ten a board, month and year
