"""Households' points pages: the list (with households that have no account yet), the
statement with resident contributions and indicator revisions, and its Excel export."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import NoReverseMatch, reverse
from openpyxl import load_workbook

from lianxin.core import clock
from lianxin.core.testing import make_household, make_resident
from lianxin.points.models import Account, PointEntry, PointsSettings
from lianxin.points.services import ledger
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings_row(db) -> None:  # noqa: ANN001
    PointsSettings.objects.get_or_create()


def _year() -> int:
    return clock.now().year


def test_list_shows_households_with_and_without_account(world) -> None:  # noqa: ANN001
    earning = f.household_account(world.building, head_name="赵积分")
    f.credit(earning, 12)
    make_household(world.building, head_name="钱未开户")
    make_household(world.sibling_building, head_name="孙邻网格")
    page = world.client("grid_worker").get(reverse("points:household_list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "赵积分家" in html and "钱未开户家" in html and "未开户" in html
    assert "孙邻网格" not in html  # the sibling grid is outside the grid worker's scope
    rows = {h.head_name: (h.balance, h.score) for h in page.context["page"].object_list}
    assert rows == {"赵积分": (12, 12), "钱未开户": (0, 0)}


def test_list_search_and_order(world) -> None:  # noqa: ANN001
    a = f.household_account(world.building, head_name="周大")
    f.credit(a, 3)
    b = f.household_account(world.building, head_name="吴二")
    f.credit(b, 30)
    make_resident(b.household, name="吴小妹")
    client = world.client("village_staff")
    found = client.get(reverse("points:household_list"), {"q": "吴小妹"})
    assert [h.head_name for h in found.context["page"].object_list] == ["吴二"]
    ordered = client.get(reverse("points:household_list"), {"order": "score"})
    assert [h.head_name for h in ordered.context["page"].object_list][:2] == ["吴二", "周大"]
    grid = client.get(reverse("points:household_list"), {"area": world.sibling_grid.code})
    assert list(grid.context["page"].object_list) == []


def test_list_query_count_does_not_grow(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    url = reverse("points:household_list")
    client.get(url)  # warm the per-process snapshots (schemes, settings)
    for i in range(3):
        f.credit(f.household_account(world.building, head_name=f"甲{i}"), 5)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for i in range(15):
        f.credit(f.household_account(world.sibling_building, head_name=f"乙{i}"), 5)
        make_household(world.building, head_name=f"丙{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 33


def test_month_period_counts_only_that_month(world) -> None:  # noqa: ANN001
    account = f.household_account(world.building, head_name="郑月")
    year = _year()
    f.credit(account, 4, day=dt.date(year, 1, 15))
    f.credit(account, 6, day=dt.date(year, 2, 15))
    page = world.client("grid_worker").get(
        reverse("points:household_list"), {"year": year, "month": 2}
    )
    (row,) = page.context["page"].object_list
    assert (row.balance, row.score) == (10, 6)


def test_open_creates_the_account_once(world) -> None:  # noqa: ANN001
    household = make_household(world.building, head_name="冯新户")
    client = world.client("grid_worker")
    url = reverse("points:household_open", args=[household.public_id])
    first = client.get(url, {"year": _year()})
    account = Account.objects.get(household=household)
    assert first.status_code == 302
    assert first["Location"] == (
        reverse("points:household_detail", args=[account.public_id]) + f"?year={_year()}"
    )
    client.get(url)
    assert Account.objects.filter(household=household).count() == 1
    other = make_household(world.sibling_building)
    assert client.get(reverse("points:household_open", args=[other.public_id])).status_code == 404
    assert not Account.objects.filter(household=other).exists()


@pytest.fixture
def statement(world):  # noqa: ANN001, ANN201
    """A household with a booked proposal by a resident, a household credit and a reversal."""
    account = f.household_account(world.building, head_name="陈明")
    son = make_resident(account.household, name="陈小明")
    f.booked(world, account, resident=son)
    wrong = f.credit(account, 3)
    ledger.entry_reverse(entry=wrong, reason="重复登记", booked_by_id=None)
    f.credit(account, 2)
    account.refresh_from_db()
    return account


def test_statement_shows_contributions_entries_and_revisions(world, statement) -> None:  # noqa: ANN001
    response = world.client("grid_worker").get(
        reverse("points:household_detail", args=[statement.public_id])
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["score"] == 7 and statement.balance == 7
    contributions = {c["name"]: c["total"] for c in response.context["contributions"]}
    assert contributions == {"陈小明": 5, "全户": 2}
    assert "庭院整洁、物品摆放有序 v1（+5分）" in html  # the indicator revision it booked under
    assert "冲正：重复登记" in html and "已冲正" in html
    assert "已入账" in html  # the proposal, with its status
    try:
        propose = reverse("points:proposal_create")
    except NoReverseMatch:
        propose = ""
    if propose:
        assert f"{propose}?account={statement.public_id}" in html


def test_statement_of_another_year_is_empty(world, statement) -> None:  # noqa: ANN001
    response = world.client("grid_worker").get(
        reverse("points:household_detail", args=[statement.public_id]), {"year": _year() - 1}
    )
    assert response.context["score"] == 0
    assert response.context["entries"].paginator.count == 0
    assert "本期间没有积分流水" in response.content.decode()


def test_statement_is_404_without_points_permission(world, statement) -> None:  # noqa: ANN001
    # Department staff have no points permission at all: 404, never a 403 that confirms.
    response = world.client("department_staff").get(
        reverse("points:household_detail", args=[statement.public_id])
    )
    assert response.status_code == 404


def test_statement_detail_query_count(world, statement, django_assert_max_num_queries) -> None:  # noqa: ANN001
    client = world.client("grid_worker")
    url = reverse("points:household_detail", args=[statement.public_id])
    client.get(url)
    for _ in range(20):
        f.credit(statement, 1)
    with django_assert_max_num_queries(16):
        client.get(url)


def test_statement_xlsx(world, statement) -> None:  # noqa: ANN001
    response = world.client("grid_worker").get(
        reverse("points:household_statement_xlsx", args=[statement.public_id]),
        {"year": _year()},
    )
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    summary = {r[0]: r[1] for r in wb["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["期间积分"] == 7 and summary["当前余额"] == 7
    entries = list(wb["流水"].iter_rows(min_row=2, values_only=True))
    assert [e[3] for e in entries] == [5, 3, -3, 2]
    assert entries[0][6] == "庭院整洁、物品摆放有序 v1（+5分）" and entries[0][7] == "陈小明"
    assert entries[1][9].startswith("已被第") and entries[2][9].startswith("冲正第")
    assert PointEntry.objects.filter(account=statement).count() == 4
    contributions = dict(wb["贡献"].iter_rows(min_row=2, values_only=True))
    assert contributions == {"陈小明": 5, "全户": 2}
