"""The monthly tally (points.tally) against a hand-counted month, its page and Excel export.

The fixture, May 2026 in 迎秀社区 (all household points unless said otherwise):

| # | subject | indicator | deed | what happens | state |
| --- | --- | --- | --- | --- | --- |
| p1 | 甲 (grid 1) | courtyard_clean +5 | 05-03 | approved 05-05, booked 05-08 | booked |
| p2 | 乙 (grid 2) | doorstep_duties +3 | 05-04 | approved 05-05, booked 05-08, reversed 05-20 | reversed |
| p3 | 丙 | safety_patrol +3 | 05-10 | — | pending |
| p4 | 丁 | courtyard_clean +5 | 05-10 | rejected 05-10 | rejected |
| p5 | 丙 | courtyard_clean +5 | 05-10 | withdrawn 05-10 | withdrawn |
| p6 | 丁 | doorstep_duties +3 | 05-10 | approved, 1 objection upheld 05-10 | rejected |
| p7 | 甲 | waste_sorting +2 | 05-10 | approved, objection dismissed, 2nd objection open | objected |
| p8 | 甲 | cleanup_labour +3 | 04-28 | approved 05-02, booked 05-05 | booked (April) |
| p9 | 乙 | clutter −5 | 05-05 | approved 05-05, booked 05-08 | booked |
| m1 | member 赵 (party) | meetings +2 | 05-07 | approved 05-07, booked 05-10 | booked |
| c1 | 丙 | (automatic, no indicator) +4 | 05-09 | ledger entry only | — |
| x | 外 (other village) | +5 entry, 1 pending proposal | 05 | must not count | — |
| j | 甲 | (automatic) +1 | 06-01 | June | — |
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.urls import reverse
from django.utils import timezone

from lianxin.core import clock
from lianxin.core.testing import make_household
from lianxin.party.tests.factories import make_member, make_org
from lianxin.points import tally
from lianxin.points.services import proposals
from lianxin.points.services.accounts import account_for_household
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db
D = dt.date


@contextmanager
def at(month: int, day: int, hour: int = 10) -> Iterator[None]:
    moment = dt.datetime(2026, month, day, hour, tzinfo=timezone.get_current_timezone())
    with clock.travel(moment):
        yield


@pytest.fixture
def may(world):  # noqa: ANN001, ANN201
    a = f.household_account(world.building, head_name="甲")
    b = f.household_account(world.sibling_building, head_name="乙")
    c = f.household_account(world.building, head_name="丙")
    d = f.household_account(world.building, head_name="丁")
    outside = account_for_household(make_household(world.other_village, head_name="外"))
    staff, secretary = world.actor("village_staff"), world.actor("village_secretary")
    with at(5, 2):
        f.booked(world, a, code="cleanup_labour", occurred_on=D(2026, 4, 28))
    with at(5, 5):
        f.booked(world, a, occurred_on=D(2026, 5, 3))
        p2 = f.booked(
            world, b, code="doorstep_duties", occurred_on=D(2026, 5, 4), by="village_staff"
        )
        f.booked(world, b, code="clutter", occurred_on=D(2026, 5, 5), by="village_staff")
    with at(5, 7):
        member = make_member(make_org(world.village), name="赵")
        f.booked(world, f.member_account(member), code="meetings", by="village_staff")
    with at(5, 9):
        f.credit(c, 4)
        f.credit(outside, 5)
    with at(5, 10):
        f.propose(world, c, code="safety_patrol", description="参加夜间巡逻两次")
        p4 = f.propose(world, d)
        proposals.proposal_reject(actor=staff, proposal=p4, note="照片看不清")
        p5 = f.propose(world, c)
        proposals.proposal_withdraw(actor=world.actor("grid_worker"), proposal=p5)
        p6 = f.approved(world, d, code="doorstep_duties")
        o6 = proposals.objection_file(proposal=p6, text="门前其实堆满了杂物")
        proposals.objection_resolve(actor=staff, objection=o6, upheld=True, resolution="属实")
        p7 = f.approved(world, a, code="waste_sorting")
        o7 = proposals.objection_file(proposal=p7, text="分类不规范，混着投放")
        proposals.objection_resolve(actor=staff, objection=o7, upheld=False, resolution="已核实")
        proposals.objection_file(proposal=p7, text="我也觉得不规范啊")
        proposals.proposal_create(
            actor=world.actor("other_village_staff"),
            account=outside,
            indicator=f.indicator("safety_patrol"),
            occurred_on=D(2026, 5, 10),
            description="巡逻",
        )
    with at(5, 20):
        proposals.proposal_reverse(actor=secretary, proposal=p2, reason="重复申报")
    with at(6, 1):
        f.credit(a, 1)
    return world


def scheme(t: tally.MonthTally, code: str) -> tally.SchemeTally:
    return next(s for s in t.schemes if s.code == code)


def test_may_by_hand(may) -> None:  # noqa: ANN001
    t = tally.month_tally(unit=may.village, month="2026-05")
    h = scheme(t, "household")
    assert h.by_status == {
        "pending": 1,
        "in_notice": 0,
        "objected": 1,
        "booked": 2,
        "rejected": 2,
        "withdrawn": 1,
        "reversed": 1,
    }
    assert h.proposals == 8 and h.points_proposed == 5 + 3 + 3 + 5 + 5 + 3 + 2 - 5
    # p1, p2, p6, p7, p8 (approved in May though its deed is April's), p9.
    assert h.work == {"approve": 6, "reject": 1, "withdraw": 1, "book": 4, "reverse": 1}
    assert h.objections == {"filed": 3, "upheld": 1, "dismissed": 1}
    # Booked in May's deeds: p1 +5, p2 +3 −3, p9 −5, c1 +4 (p8 is April's).
    assert (h.entries, h.earned, h.deducted, h.reversed, h.net) == (4, 12, -5, -3, 4)
    aspects = {a.name: a for a in h.aspects}
    assert list(aspects) == ["人居环境", "其他"]
    lines = {i.code: i for i in aspects["人居环境"].indicators}
    assert [i.code for i in aspects["人居环境"].indicators] == [
        "courtyard_clean",
        "doorstep_duties",
        "clutter",
    ]
    assert lines["courtyard_clean"].as_dict()["net"] == 5
    assert (lines["doorstep_duties"].earned, lines["doorstep_duties"].reversed) == (3, -3)
    assert lines["doorstep_duties"].net == 0 and lines["clutter"].deducted == -5
    assert aspects["人居环境"].net == 0 and aspects["人居环境"].entries == 3
    assert aspects["其他"].indicators[0].name == tally.NO_INDICATOR
    assert aspects["其他"].net == 4

    m = scheme(t, "party_member")
    assert m.by_status["booked"] == 1 and m.proposals == 1
    assert m.work["approve"] == 1 and m.work["book"] == 1 and m.net == 2
    assert [a.name for a in m.aspects] == ["组织生活"]

    assert t.total.proposals == 9 and t.total.work["approve"] == 7 and t.total.net == 6
    assert t.total.objections["filed"] == 3
    # Inactive-free schemes with nothing this month still appear (with zeros).
    assert {s.code for s in t.schemes} >= {"household", "party_member", "building", "grid"}
    assert scheme(t, "grid").is_empty


def test_months_count_by_the_right_clock(may) -> None:  # noqa: ANN001
    april = tally.month_tally(unit=may.village, month="2026-04")
    h = scheme(april, "household")
    # p8's deed is April's: its proposal and points count in April, its approval in May.
    assert h.by_status["booked"] == 1 and h.net == 3 and h.earned == 3
    assert h.work["approve"] == 0 and h.work["book"] == 0
    june = tally.month_tally(unit=may.village, month="2026-06")
    assert june.total.net == 1 and june.total.proposals == 0


def test_unit_subtree_and_other_village(may) -> None:  # noqa: ANN001
    grid = scheme(tally.month_tally(unit=may.grid, month="2026-05"), "household")
    # Grid 1 only: 甲, 丙, 丁 (乙 is in grid 2).
    assert grid.proposals == 6 and grid.net == 5 + 4
    other = tally.month_tally(unit=may.other_village, month="2026-05")
    assert scheme(other, "household").net == 5 and scheme(other, "household").proposals == 1
    # 西关社区 is in the other street: the street sees 迎秀 only, the county both.
    assert tally.month_tally(unit=may.street, month="2026-05").total.net == 6
    assert tally.month_tally(unit=may.county, month="2026-05").total.net == 6 + 5


def test_as_dict_for_other_apps(may) -> None:  # noqa: ANN001
    data = tally.month_tally(unit=may.village, month="2026-05").as_dict()
    assert data["unit"]["code"] == may.village.code and data["date_to"] == "2026-05-31"
    h = next(s for s in data["schemes"] if s["code"] == "household")
    assert h["booked"] == {"entries": 4, "earned": 12, "deducted": -5, "reversed": -3, "net": 4}
    assert data["total"]["objections"] == {"filed": 3, "upheld": 1, "dismissed": 1}


def test_month_range() -> None:
    assert tally.month_range("2026-02") == (D(2026, 2, 1), D(2026, 2, 28))
    assert tally.month_range("2026-12") == (D(2026, 12, 1), D(2026, 12, 31))
    with pytest.raises(ValueError):
        tally.month_range("2026-5")


# --- the page and the export ----------------------------------------------------------------------


def test_page_shows_the_numbers(may, django_assert_max_num_queries) -> None:  # noqa: ANN001
    client = may.client("village_staff")
    url = reverse("points:tally")
    client.get(url)  # warm the per-process snapshots
    with django_assert_max_num_queries(15):
        r = client.get(url, {"month": "2026-05", "village": may.village.code})
    html = r.content.decode()
    assert r.status_code == 200
    assert "迎秀社区2026年5月积分汇总" in html
    assert "庭院整洁、物品摆放有序" in html and "未关联指标的积分" in html
    # The list link filters the month's proposals of the village.
    assert f"?month=2026-05&amp;unit={may.village.public_id}" in html
    assert reverse("points:tally_xlsx", args=[may.village.code]) + "?month=2026-05" in html


def test_micro_assistant_gets_own_village_by_default(may) -> None:  # noqa: ANN001
    from lianxin.accounts.permissions import Role
    from lianxin.core.testing import make_user

    make_user("weizhuli", Role.MICRO_ASSISTANT, may.village)
    client = may.client("village_staff")
    client.force_login(may.users["village_staff"].__class__.objects.get(username="weizhuli"))
    html = client.get(reverse("points:tally"), {"month": "2026-05"}).content.decode()
    assert "迎秀社区2026年5月积分汇总" in html and "西关社区" not in html


def test_bad_month_and_foreign_village(may) -> None:  # noqa: ANN001
    client = may.client("village_staff")
    url = reverse("points:tally")
    html = client.get(url, {"month": "2026-13"}).content.decode()
    assert "月份格式应为 2026-05" in html
    html = client.get(url, {"month": "2099-01"}).content.decode()
    assert "不能选择未来的月份" in html
    html = client.get(url, {"month": "2026-05", "village": may.other_village.code}).content.decode()
    assert "村/社区不存在或不在您的管辖范围内" in html and "积分汇总</h1>" not in html
    assert may.client("grid_worker").get(url).status_code == 404  # no points.report


def test_street_staff_choose_among_villages(may) -> None:  # noqa: ANN001
    client = may.client("street_staff")
    html = client.get(reverse("points:tally"), {"month": "2026-05"}).content.decode()
    assert "迎秀社区" in html and "西关社区" not in html


def test_xlsx_has_the_same_numbers(may) -> None:  # noqa: ANN001
    from openpyxl import load_workbook

    url = reverse("points:tally_xlsx", args=[may.village.code])
    r = may.client("village_staff").get(url, {"month": "2026-05"})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["汇总", "积分明细", "申报清单"]
    summary = wb["汇总"]
    assert summary["A1"].value == "迎秀社区2026年5月积分汇总"
    rows = {row[0].value: [c.value for c in row[1:]] for row in summary.iter_rows(min_row=7)}
    head = [c.value for c in summary[6]]
    total_col = head.index("合计") - 1
    household_col = head.index("群众积分（户）") - 1
    assert rows["　申报合计"][total_col] == 9
    assert rows["　审核通过"][total_col] == 7
    assert rows["　提出异议"][household_col] == 3
    assert rows["　净积分"][household_col] == 4 and rows["　净积分"][total_col] == 6
    detail = [[c.value for c in row] for row in wb["积分明细"].iter_rows(min_row=2)]
    doorstep = next(r for r in detail if r[3] == "doorstep_duties")
    assert doorstep[4:] == [1, 3, 0, -3, 0]
    listing = list(wb["申报清单"].iter_rows(min_row=2, values_only=True))
    assert len(listing) == 9
    # Subjects leave masked, as on the public board.
    from lianxin.points.models import Account

    labels = {r[2] for r in listing}
    assert labels <= set(Account.objects.values_list("public_label", flat=True))
    households = Account.objects.filter(household__isnull=False)
    assert not labels & set(households.values_list("label", flat=True))  # no door numbers


def test_xlsx_scope_and_bad_month(may) -> None:  # noqa: ANN001
    url = reverse("points:tally_xlsx", args=[may.village.code])
    assert may.client("other_village_staff").get(url).status_code == 404
    assert may.client("village_staff").get(url, {"month": "May"}).status_code == 400
