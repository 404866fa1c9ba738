"""Ranking pages and selectors: a unit's ranking by scheme, level and period, scoped by the
actor; party members' own / linked (Σ/n) / combined scores; the public board; the Excel
export; the recompute button; query budgets."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from lianxin.core.testing import make_user
from lianxin.party.tests.factories import make_link, make_member, make_org
from lianxin.points import rankings as sel
from lianxin.points.models import Account, PointsSettings, Scheme, Standing
from lianxin.points.services.accounts import account_for_member, account_for_unit
from lianxin.points.services.standings import standings_recompute
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 10)
URL = "/points/rankings/"


def scheme(code: str) -> Scheme:
    return Scheme.objects.get(code=code)


@pytest.fixture
def ranked(world):  # noqa: ANN001, ANN201
    """Four households in grid 1 (one with two contributing residents), two in grid 2."""
    from lianxin.core.testing import make_resident

    a = f.household_account(world.building, head_name="王一")
    b = f.household_account(world.building, head_name="王二")
    c = f.household_account(world.building, head_name="王三")
    d = f.household_account(world.building, head_name="王四")
    e = f.household_account(world.sibling_building, head_name="李五")
    g = f.household_account(world.sibling_building, head_name="李六")
    spouse = make_resident(a.household, name="赵秀英")
    from lianxin.points.services import ledger

    ledger.entry_append(
        account=a,
        kind="earn",
        amount=6,
        occurred_on=DAY,
        reason="测试",
        source_key="t:spouse",
        resident_id=spouse.pk,
    )
    for account, points in ((a, 24), (b, 20), (c, 20), (d, 5), (e, 25)):
        f.credit(account, points, day=DAY)
    standings_recompute(period="2026")
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "g": g}


def page(world, persona: str, **query: str):  # noqa: ANN001, ANN201
    params = {"scheme": "household", "period": "2026", **query}
    return world.client(persona).get(URL, params)


def test_village_ranking_shows_ranks_scores_and_contributions(world, ranked) -> None:  # noqa: ANN001
    r = page(world, "village_staff", level="village", unit=world.village.code)
    assert r.status_code == 200
    rows = r.context["result"].page.object_list
    assert [(row.rank, row.account.label[:2], row.score) for row in rows] == [
        (1, "王一", 30),
        (2, "李五", 25),
        (3, "王二", 20),
        (3, "王三", 20),
        (5, "王四", 5),
        (6, "李六", 0),
    ]
    # The household's score is split by contributing resident.
    assert [(c["name"], c["total"]) for c in rows[0].contributions] == [
        ("全户", 24),
        ("赵秀英", 6),
    ]
    html = r.content.decode()
    assert "赵秀英 +6" in html and "排名计算于" in html and r.context["can_recompute"]
    result = r.context["result"]
    assert (result.subjects, result.total, result.average) == (6, 100, Decimal("16.7"))
    assert [(b.unit.display_name, b.subjects, b.total) for b in result.breakdown] == [
        ("迎秀社区第一网格", 4, 75),
        ("迎秀社区第二网格", 2, 25),
    ]


def test_default_is_the_posts_level_and_unit(world, ranked) -> None:  # noqa: ANN001
    r = world.client("grid_worker").get(URL, {"period": "2026"})
    assert r.context["result"].level.code == "grid"
    assert r.context["result"].unit == world.grid
    assert [row.rank for row in r.context["result"].page.object_list] == [1, 2, 2, 4]


def test_grid_worker_sees_village_ranks_of_own_grid_only(world, ranked) -> None:  # noqa: ANN001
    r = page(world, "grid_worker", level="village", unit=world.village.code)
    rows = r.context["result"].page.object_list
    assert [(row.rank, row.account.label[:2]) for row in rows] == [
        (1, "王一"),
        (3, "王二"),
        (3, "王三"),
        (5, "王四"),
    ]
    assert "李五" not in r.content.decode()
    assert not r.context["can_recompute"]  # no points.report


def test_street_staff_ranks_the_street_by_village(world, ranked) -> None:  # noqa: ANN001
    other = f.household_account(world.other_village, head_name="外街户")
    f.credit(other, 99, day=DAY)
    standings_recompute(period="2026")
    r = page(world, "street_staff", level="township", unit=world.street.code)
    result = r.context["result"]
    assert [row.rank for row in result.page.object_list] == [1, 2, 3, 3, 5, 6]
    assert [(b.unit, b.subjects) for b in result.breakdown] == [(world.village, 6)]
    assert "外街户" not in r.content.decode()


def test_county_level_ranks_on_the_fly(world, ranked) -> None:  # noqa: ANN001
    other = f.household_account(world.other_village, head_name="外街户")
    f.credit(other, 26, day=DAY)
    standings_recompute(period="2026")
    r = page(world, "org_department", level="county", unit=world.county.code)
    result = r.context["result"]
    assert [(row.rank, row.score) for row in result.page.object_list][:3] == [
        (1, 30),
        (2, 26),
        (3, 25),
    ]
    assert {b.unit for b in result.breakdown} == {world.street, world.other_street}
    # A village's staff cannot open the county level.
    assert not sel.ranking_units(world.actor("village_staff"), sel.LEVELS["county"]).exists()


def test_switching_level_keeps_the_place(world, ranked) -> None:  # noqa: ANN001
    r = page(world, "village_staff", level="grid", unit=world.village.code)
    assert r.context["result"].unit == world.grid  # first grid of the village
    r = page(world, "village_staff", level="village", unit=world.sibling_grid.code)
    assert r.context["result"].unit == world.village


def test_unit_outside_scope_is_a_form_error(world, ranked) -> None:  # noqa: ANN001
    r = page(world, "other_village_staff", level="village", unit=world.village.code)
    assert r.status_code == 200 and "result" not in r.context
    assert "不在您的查看范围内" in r.content.decode()


def test_bad_period_is_a_form_error(world, ranked) -> None:  # noqa: ANN001
    r = page(world, "village_staff", level="village", unit=world.village.code, period="2026-13")
    assert "result" not in r.context and "期间格式" in r.content.decode()


def test_not_computed_yet_says_so(world, ranked) -> None:  # noqa: ANN001
    r = page(world, "village_staff", level="village", unit=world.village.code, period="2025")
    assert r.context["result"].computed_at is None
    assert "本期排名尚未计算" in r.content.decode()


def test_household_links_to_its_statement_when_the_page_exists(world, ranked) -> None:  # noqa: ANN001
    from django.urls import NoReverseMatch

    r = page(world, "village_staff", level="village", unit=world.village.code)
    first = r.context["result"].page.object_list[0]
    try:
        expected = reverse("points:household_detail", kwargs={"public_id": first.account.public_id})
    except NoReverseMatch:
        expected = ""
    assert first.link == expected


def test_other_subject_kinds_rank_on_the_same_page(world) -> None:  # noqa: ANN001
    one = account_for_unit(world.building, scheme("building"))
    nine = account_for_unit(world.sibling_building, scheme("building"))
    f.credit(nine, 12, day=DAY)
    standings_recompute(period="2026")
    r = page(world, "village_staff", scheme="building", level="village", unit=world.village.code)
    rows = r.context["result"].page.object_list
    assert [(row.account, row.rank) for row in rows] == [(nine, 1), (one, 2)]
    assert "居民贡献" not in r.content.decode()


def test_list_query_count_does_not_grow(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = world.client("village_staff")
    query = {"scheme": "household", "level": "village", "unit": world.village.code}
    counts = []
    for n in (3, 30):
        for _ in range(n):
            f.credit(f.household_account(world.building), 2, day=DAY)
        standings_recompute(period="2026")
        client.get(URL, {**query, "period": "2026"})  # warm the configuration snapshots
        # 19: the page's fixed queries, two of them for when the ranks were last checked.
        with django_assert_max_num_queries(19), CaptureQueriesContext(connection) as ctx:
            r = client.get(URL, {**query, "period": "2026"})
        assert r.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_pagination(world) -> None:  # noqa: ANN001
    for i in range(55):
        f.credit(f.household_account(world.building), i + 1, day=DAY)
    standings_recompute(period="2026")
    r = page(world, "village_staff", level="village", unit=world.village.code, page="2")
    rows = r.context["result"].page.object_list
    assert len(rows) == 5 and rows[0].rank == 51 and rows[-1].score == 1


# --- party members -------------------------------------------------------------------------


@pytest.fixture
def members(world):  # noqa: ANN001, ANN201
    """Two members of the village branch: 刘 links three households (10 + 4 + 0 points),
    陈 links none; 刘 has 6 own points, 陈 9."""
    org = make_org(world.village)
    liu, chen = make_member(org, name="刘建华"), make_member(org, name="陈国强")
    households = [f.household_account(world.building) for _ in range(3)]
    for account, points in zip(households, (10, 4, 0), strict=True):
        make_link(liu, account.household)
        if points:
            f.credit(account, points, day=DAY)
    f.credit(account_for_member(liu), 6, day=DAY)
    f.credit(account_for_member(chen), 9, day=DAY)
    standings_recompute(period="2026")
    return liu, chen


def test_member_ranking_linked_score_is_sum_over_n(world, members) -> None:  # noqa: ANN001
    liu, chen = members
    actor = world.actor("village_staff")
    level = sel.LEVELS["village"]
    rows = sel.member_rows(
        actor,
        scheme=scheme("party_member"),
        level=level,
        unit=world.village,
        period="2026",
        order="linked",
    )
    assert [(r.account.member_id, r.rank) for r in rows] == [(liu.pk, 1), (chen.pk, None)]
    assert rows[0].linked.total == 14 and rows[0].linked.households == 3
    assert rows[0].linked.value == Decimal("4.67")  # 14 ÷ 3, half up to the cent
    # Combined = own × 0.5 + linked × 0.5 by default: 刘 5.34, 陈 4.50.
    by_combined = sel.member_rows(
        actor,
        scheme=scheme("party_member"),
        level=level,
        unit=world.village,
        period="2026",
        order="combined",
    )
    assert [(r.account.member_id, r.combined) for r in by_combined] == [
        (liu.pk, Decimal("5.34")),
        (chen.pk, Decimal("4.50")),
    ]
    by_own = sel.member_rows(
        actor,
        scheme=scheme("party_member"),
        level=level,
        unit=world.village,
        period="2026",
        order="own",
    )
    assert [r.account.member_id for r in by_own] == [chen.pk, liu.pk]


def test_member_ranking_follows_configured_weights(world, members) -> None:  # noqa: ANN001
    liu, chen = members
    cfg = PointsSettings.objects.first() or PointsSettings.objects.create()
    cfg.member_own_weight, cfg.member_linked_weight = Decimal("1.00"), Decimal("0.00")
    cfg.save()
    rows = sel.member_rows(
        world.actor("village_staff"),
        scheme=scheme("party_member"),
        level=sel.LEVELS["village"],
        unit=world.village,
        period="2026",
        order="combined",
    )
    assert [(r.account.member_id, r.combined) for r in rows] == [
        (chen.pk, Decimal("9.00")),
        (liu.pk, Decimal("6.00")),
    ]


def test_member_page_moves_by_sum_over_n(world, members) -> None:  # noqa: ANN001
    liu, _chen = members
    query = {"scheme": "party_member", "level": "village", "unit": world.village.code}
    r = page(world, "village_staff", order="linked", **query)
    assert "4.67" in r.content.decode() and "14 ÷ 3 户" in r.content.decode()
    # One linked household earns 3 more: the linked score moves by exactly 3 / 3 = 1.
    household = Account.objects.filter(household__party_links__member=liu).first()
    f.credit(household, 3, day=DAY)
    r = page(world, "village_staff", order="linked", **query)
    first = r.context["result"].page.object_list[0]
    assert first.linked.value == Decimal("5.67")


def test_member_page_query_count(world, members, django_assert_max_num_queries) -> None:  # noqa: ANN001
    org = make_org(world.village)
    for _ in range(20):
        account_for_member(make_member(org))
    client = world.client("village_staff")
    query = {"scheme": "party_member", "level": "village", "unit": world.village.code}
    client.get(URL, {**query, "period": "2026"})  # creates the settings row once
    # Four for the scores however many members (scores.py), two to check the settings row.
    with django_assert_max_num_queries(18):
        r = client.get(URL, {**query, "period": "2026"})
    assert len(r.context["result"].page.object_list) == 22


# --- export and recompute ------------------------------------------------------------------


def test_xlsx_export(world, ranked) -> None:  # noqa: ANN001
    url = reverse("points:ranking_xlsx", kwargs={"code": world.village.code})
    r = world.client("village_staff").get(
        url, {"scheme": "household", "level": "village", "period": "2026"}
    )
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "迎秀社区群众积分（户）排名（2026年）"
    assert values[2] == ["名次", "名称", "所在", "积分"]
    assert values[3][0] == 1 and values[3][1].startswith("王一") and values[3][3] == 30
    assert len(values) == 3 + 6


def test_xlsx_members(world, members) -> None:  # noqa: ANN001
    url = reverse("points:ranking_xlsx", kwargs={"code": world.village.code})
    r = world.client("village_staff").get(
        url, {"scheme": "party_member", "level": "village", "period": "2026", "order": "linked"}
    )
    values = [
        list(row) for row in load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True)
    ]
    assert values[2][:4] == ["名次", "姓名", "所在", "本人积分"]
    assert values[3][1] == "刘建华" and values[3][6] == pytest.approx(4.67)


def test_xlsx_bad_period_is_400(world, ranked) -> None:  # noqa: ANN001
    url = reverse("points:ranking_xlsx", kwargs={"code": world.village.code})
    r = world.client("village_staff").get(
        url, {"scheme": "household", "level": "village", "period": "20261"}
    )
    assert r.status_code == 400


def test_recompute_button_refreshes_the_street(world, ranked) -> None:  # noqa: ANN001
    f.credit(ranked["g"], 40, day=DAY)
    other = f.household_account(world.other_village)
    url = reverse("points:ranking_recompute", kwargs={"code": world.village.code})
    r = world.client("village_staff").post(
        url, {"scheme": "household", "level": "village", "period": "2026"}
    )
    assert r.status_code == 302 and "unit=" + world.village.code in r["Location"]
    assert Standing.objects.get(account=ranked["g"], period="2026").rank_village == 1
    # Another street is not this village's to recompute.
    assert not Standing.objects.filter(account=other).exists()


def test_recompute_bad_period_is_refused_with_a_message(world, ranked) -> None:  # noqa: ANN001
    url = reverse("points:ranking_recompute", kwargs={"code": world.village.code})
    r = world.client("village_staff").post(
        url, {"level": "village", "period": "2026-13"}, follow=True
    )
    assert "期间格式" in r.content.decode()


def test_recompute_needs_points_report(world, ranked) -> None:  # noqa: ANN001
    url = reverse("points:ranking_recompute", kwargs={"code": world.grid.code})
    r = world.client("grid_worker").post(url, {"level": "grid", "period": "2026"})
    assert r.status_code == 404


def test_micro_assistant_may_recompute(world, ranked) -> None:  # noqa: ANN001
    from lianxin.accounts.permissions import Role

    user = make_user("assistant", Role.MICRO_ASSISTANT, world.village)
    from django.test import Client

    client = Client()
    client.force_login(user)
    url = reverse("points:ranking_recompute", kwargs={"code": world.village.code})
    r = client.post(url, {"level": "village", "period": "2026-03"})
    assert r.status_code == 302
    assert Standing.objects.filter(period="2026-03").count() == 6


# --- public board --------------------------------------------------------------------------


def test_public_board_masks_names_and_limits(world, ranked) -> None:  # noqa: ANN001
    other = f.household_account(world.other_village, head_name="外村户")
    f.credit(other, 50, day=DAY)
    standings_recompute(period="2026")
    board = sel.public_board(world.village, scheme("household"), "2026", limit=3)
    assert [(r.rank, r.score) for r in board] == [(1, 30), (2, 25), (3, 20)]
    assert [r.label.split("家")[0] for r in board] == ["王*", "李*", "王*"]
    addresses = [x.household.address for x in ranked.values()]
    assert all("王一" not in r.label and not any(a in r.label for a in addresses) for r in board)
    assert board.computed_at is not None and len(board) == 3


def test_public_board_without_standings_is_empty(world, ranked) -> None:  # noqa: ANN001
    board = sel.public_board(world.village, scheme("household"), "2025")
    assert list(board) == [] and board.computed_at is None


def test_public_board_leaves_out_inactive_accounts(world, ranked) -> None:  # noqa: ANN001
    Account.objects.filter(pk=ranked["a"].pk).update(is_active=False)
    board = sel.public_board(world.village, scheme("household"), "2026", limit=1)
    assert [r.score for r in board] == [25]


def test_public_board_is_two_queries(world, ranked, django_assert_num_queries) -> None:  # noqa: ANN001
    household = scheme("household")
    # The rows, and when they were last checked (StandingRun).
    with django_assert_num_queries(2):
        board = sel.public_board(world.village, household, "2026")
    assert len(board) == 6


def test_public_board_of_members_masks_names(world, members) -> None:  # noqa: ANN001
    board = sel.public_board(world.village, scheme("party_member"), "2026")
    assert [(r.rank, r.label, r.score) for r in board] == [(1, "陈**", 9), (2, "刘**", 6)]
