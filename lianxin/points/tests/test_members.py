"""Party members' points pages: the list (own, Σ, n, Σ/n, combined), the points card with
the formula in numbers, the low-score list, reminder talks and the 民主评议 export."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from lianxin.audit.models import AuditEvent
from lianxin.core import clock
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.testing import make_household
from lianxin.party.tests.factories import make_link, make_member, make_org
from lianxin.points.models import PointsSettings, ReminderTalk
from lianxin.points.services import talks
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings_row(db) -> None:  # noqa: ANN001
    # Explicit rules (the model defaults are the lead's to tune); read back as Decimals.
    cfg, _ = PointsSettings.objects.get_or_create()
    cfg.low_score_threshold = 60
    cfg.member_own_weight, cfg.member_linked_weight = Decimal("0.50"), Decimal("0.50")
    cfg.save()


def _year() -> int:
    return clock.now().year


def _day(month: int = 3) -> dt.date:
    return dt.date(_year(), month, 10)


@pytest.fixture
def branch(world):  # noqa: ANN001, ANN201
    return make_org(world.village, name="迎秀社区第一党支部")


@pytest.fixture
def li(world, branch):  # noqa: ANN001, ANN201
    """李红: own 70 this year; links three households scoring 12, 0 (no account) and 8."""
    member = make_member(branch, name="李红")
    f.credit(f.member_account(member), 70, day=_day())
    for head, points in (("张甲", 12), ("王乙", None), ("刘丙", 8)):
        if points is None:
            make_link(member, make_household(world.building, head_name=head))
            continue
        account = f.household_account(world.building, head_name=head)
        f.credit(account, points, day=_day())
        make_link(member, account.household)
    return member


def test_list_shows_own_linked_and_combined(world, li, branch) -> None:  # noqa: ANN001
    idle = make_member(branch, name="赵闲")
    page = world.client("village_staff").get(reverse("points:member_list"))
    assert page.status_code == 200
    rows = {r["member"].name: r for r in page.context["rows"]}
    s = rows["李红"]["score"]
    assert (s.own, s.linked.total, s.linked.households) == (70, 20, 3)
    assert s.linked.value == Decimal("6.67") and s.combined == Decimal("38.34")
    assert not rows["李红"]["low"] and rows["赵闲"]["low"]
    html = page.content.decode()
    assert "6.67" in html and "38.34" in html and "低分" in html and "无联系户" in html
    assert idle.pk in {r["member"].pk for r in page.context["rows"]}


def test_list_month_period_and_no_low_flag(world, li) -> None:  # noqa: ANN001
    page = world.client("village_staff").get(
        reverse("points:member_list"), {"year": _year(), "month": 4}
    )
    (row,) = page.context["rows"]
    assert (row["score"].own, row["score"].linked.total, row["score"].linked.households) == (
        0,
        0,
        3,
    )
    assert row["low"] is False  # the threshold is a yearly one


def test_list_filters_by_organisation_subtree(world, li, branch) -> None:  # noqa: ANN001
    group = make_org(world.grid, name="第一党小组", kind="group", parent=branch)
    make_member(group, name="小组党员")
    other = make_org(world.village, name="迎秀社区第二党支部")
    make_member(other, name="二支部党员")
    page = world.client("village_staff").get(
        reverse("points:member_list"), {"org": str(branch.public_id)}
    )
    assert {r["member"].name for r in page.context["rows"]} == {"李红", "小组党员"}
    assert "导出" in page.content.decode()  # the evaluation sheet of the chosen branch


def test_list_query_count_does_not_grow(world, branch, django_assert_max_num_queries) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    url = reverse("points:member_list")

    def members(n: int, prefix: str) -> None:
        for i in range(n):
            m = make_member(branch, name=f"{prefix}{i}")
            f.credit(f.member_account(m), 5, day=_day())
            account = f.household_account(world.building)
            f.credit(account, 3, day=_day())
            make_link(m, account.household)

    members(2, "甲")
    client.get(url)
    with django_assert_max_num_queries(14) as few:
        client.get(url)
    members(12, "乙")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["rows"]) == 14


def test_card_shows_the_formula_with_numbers(world, li) -> None:  # noqa: ANN001
    response = world.client("village_staff").get(
        reverse("points:member_detail", args=[li.public_id])
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["linked_formula"] == "(12 + 0 + 8) ÷ 3 = 20 ÷ 3 = 6.67"
    assert response.context["combined_formula"] == "70 × 0.5 + 6.67 × 0.5 = 38.34"
    assert "(12 + 0 + 8) ÷ 3 = 20 ÷ 3 = 6.67" in html
    scores = {
        h["row"].link.household.head_name: h["row"].score for h in response.context["households"]
    }
    assert scores == {"张甲": 12, "王乙": 0, "刘丙": 8}
    assert "测试加分" in html  # the member's own entries
    assert "登记提醒谈话" in html


def test_card_moves_by_exactly_sigma_over_n(world, li) -> None:  # noqa: ANN001
    """The issue's 'done means': a linked household earns 5, the member's linked score moves
    by exactly 5 ÷ n."""
    url = reverse("points:member_detail", args=[li.public_id])
    client = world.client("village_staff")
    before = client.get(url).context["score"].linked.value
    account = li.links.get(household__head_name="张甲").household.point_accounts.get()
    f.booked(world, account)  # 庭院整洁 +5
    after = client.get(url).context["score"].linked.value
    assert after - before == Decimal("1.66")  # 25/3 − 20/3, each to the cent: 8.33 − 6.67
    assert client.get(url).context["linked_formula"] == "(17 + 0 + 8) ÷ 3 = 25 ÷ 3 = 8.33"


def test_card_without_links_and_account(world, branch) -> None:  # noqa: ANN001
    lone = make_member(branch, name="孤党员")
    response = world.client("village_staff").get(
        reverse("points:member_detail", args=[lone.public_id])
    )
    assert response.context["linked_formula"] == "未联系住户，无联户积分"
    assert response.context["combined_formula"] == "0 × 0.5 + 0 × 0.5 = 0.00"
    assert "尚未联系住户" in response.content.decode()


def test_card_is_404_outside_scope(world, li) -> None:  # noqa: ANN001
    url = reverse("points:member_detail", args=[li.public_id])
    assert world.client("other_village_staff").get(url).status_code == 404
    assert world.client("grid_worker").get(url).status_code == 404  # branch is at the village


# --- low scores and talks --------------------------------------------------------------------


def test_low_score_list(world, li, branch, django_assert_max_num_queries) -> None:  # noqa: ANN001
    low = make_member(branch, name="钱低分")
    f.credit(f.member_account(low), 59, day=_day())
    make_member(branch, name="孙无分")  # no account: 0
    talks.talk_record(
        actor=world.actor("village_secretary"), member=low, talked_on=_day(), summary="提醒"
    )
    client = world.client("village_staff")
    url = reverse("points:low_scores")
    client.get(url)
    with django_assert_max_num_queries(12):
        page = client.get(url)
    rows = [(r["member"].name, r["member"].own, r["member"].talked) for r in page.context["rows"]]
    assert rows == [("孙无分", 0, False), ("钱低分", 59, True)]
    assert "李红" not in page.content.decode()  # 70 ≥ 60
    last_year = client.get(url, {"year": _year() - 1})
    assert {r["member"].name for r in last_year.context["rows"]} == {"李红", "钱低分", "孙无分"}
    assert not any(r["member"].talked for r in last_year.context["rows"])


def test_talk_record_rules(world, li) -> None:  # noqa: ANN001
    secretary = world.actor("village_secretary")
    with pytest.raises(PermissionDenied):
        talks.talk_record(
            actor=world.actor("grid_worker"), member=li, talked_on=_day(), summary="x"
        )
    with pytest.raises(PermissionDenied):
        talks.talk_record(
            actor=world.actor("other_village_staff"), member=li, talked_on=_day(), summary="x"
        )
    with pytest.raises(DomainError) as err:
        talks.talk_record(actor=secretary, member=li, talked_on=_day(), summary="  ")
    assert err.value.field == "summary"
    tomorrow = clock.now().date() + dt.timedelta(days=2)
    with pytest.raises(DomainError) as err:
        talks.talk_record(actor=secretary, member=li, talked_on=tomorrow, summary="谈话")
    assert err.value.field == "talked_on"
    assert not ReminderTalk.objects.exists()
    talk = talks.talk_record(
        actor=secretary, member=li, talked_on=_day(), summary="指出不足，提出改进要求"
    )
    assert (talk.year, talk.score, talk.threshold) == (_year(), 70, 60)
    assert AuditEvent.objects.filter(object_type="points.remindertalk").exists()
    talk.summary = "改写"
    with pytest.raises(RuntimeError, match="append-only"):
        talk.save()


def test_talk_page(world, li) -> None:  # noqa: ANN001
    client = world.client("village_secretary")
    url = reverse("points:talk_create", args=[li.public_id])
    form = client.get(url, {"year": _year()})
    assert form.status_code == 200 and "本人" in form.content.decode()
    bad = client.post(url, {"year": _year(), "talked_on": _day().isoformat(), "summary": ""})
    assert bad.status_code == 200 and "谈话内容" in bad.content.decode()
    future = (clock.now().date() + dt.timedelta(days=3)).isoformat()
    bad = client.post(url, {"year": _year(), "talked_on": future, "summary": "谈了"})
    html = bad.content.decode()
    assert "谈话日期不能晚于今天" in html and "谈了" in html  # the input is kept
    done = client.post(
        url, {"year": _year(), "talked_on": _day().isoformat(), "summary": "已谈话，表示改进"}
    )
    assert done.status_code == 302
    card = client.get(done["Location"])
    assert "已谈话，表示改进" in card.content.decode()
    assert world.client("grid_worker").get(url).status_code == 404  # no points.talk


# --- democratic evaluation ---------------------------------------------------------------------


def test_evaluation_xlsx(world, li, branch) -> None:  # noqa: ANN001
    wang = make_member(branch, name="王强")
    f.credit(f.member_account(wang), 80, day=_day())  # 80 × .5 + 0 = 40.00
    tie = make_member(branch, name="陈同")
    f.credit(f.member_account(tie), 80, day=_day())
    make_member(branch, name="周零")
    talks.talk_record(
        actor=world.actor("village_secretary"), member=li, talked_on=_day(), summary="提醒"
    )
    response = world.client("village_staff").get(
        reverse("points:evaluation_xlsx", args=[branch.public_id]), {"year": _year()}
    )
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content))["民主评议"]
    assert ws["A1"].value == f"迎秀社区第一党支部{_year()}年度党员民主评议积分表"
    rows = list(ws.iter_rows(min_row=5, values_only=True))
    by_name = {r[1]: r for r in rows}
    assert by_name["王强"][0] == by_name["陈同"][0] == 1  # equal combined scores share a rank
    assert by_name["李红"][:9] == (
        3,
        "李红",
        "迎秀社区第一党支部",
        70,
        3,
        20,
        6.67,
        38.34,
        _day().isoformat(),
    )
    assert by_name["周零"][6] == "无联系户" and by_name["周零"][9] == "低于分数线"
    assert AuditEvent.objects.filter(action="export", object_repr__contains="民主评议").exists()
    outsider = world.client("other_village_staff").get(
        reverse("points:evaluation_xlsx", args=[branch.public_id])
    )
    assert outsider.status_code == 404


def test_card_query_count_does_not_grow(world, li, django_assert_max_num_queries) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    url = reverse("points:member_detail", args=[li.public_id])
    client.get(url)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for _ in range(8):
        account = f.household_account(world.building)
        f.credit(account, 2, day=_day())
        make_link(li, account.household)
        f.credit(f.member_account(li), 1, day=_day())
    talks.talk_record(
        actor=world.actor("village_secretary"), member=li, talked_on=_day(), summary="提醒"
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["households"]) == 11
