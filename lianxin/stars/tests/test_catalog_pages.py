"""The catalog pages: reading the county's sets of a year, editing stars, standards and
settings (percentages in, shares stored), refusals that keep the input, task forces and the
weak-branch list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from lianxin.core import clock
from lianxin.stars.models import CreationSettings, Standard, StarSet, TaskForce, WeakBranch
from lianxin.stars.tests import scope_catalog as sc

pytestmark = pytest.mark.django_db
YEAR = sc.YEAR


def html(response: Any) -> str:
    return response.content.decode()


def test_everyone_in_the_county_reads_both_sets_in_words(world) -> None:  # noqa: ANN001
    page = world.client("village_staff").get(reverse("stars:catalog"), {"year": YEAR})
    assert page.status_code == 200
    text = html(page)
    assert "农村“五星”支部" in text and "城市社区“五星”支部" in text
    assert "产业兴旺星" in text and "共建共享星" in text
    assert "矛盾纠纷调解成功率 不低于 90%" in text
    assert "数据来源：诉求办理统计（cases）" in text
    assert "村集体经济经营性收入 不低于 50,000 元" in text
    assert "满分 30 分，24 分及格" in text
    assert "佐证：上传全年会议记录或工作手册扫描件" in text
    assert "5 天" in text and "50,000 元" in text
    # Readers get no edit controls.
    assert "修改星" not in text and "增加标准" not in text
    assert StarSet.objects.filter(county=world.county, year=YEAR).count() == 2
    assert CreationSettings.objects.filter(county=world.county, year=YEAR).exists()


def test_catalog_page_query_budget(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    client = world.client("street_staff")
    client.get(reverse("stars:catalog"), {"year": YEAR})  # creates the year's catalogs
    with django_assert_max_num_queries(16):
        assert client.get(reverse("stars:catalog"), {"year": YEAR}).status_code == 200


def test_year_selector_and_copy_from_previous_year(world) -> None:  # noqa: ANN001
    sc.renamed_catalog(world)
    client = world.client("org_department")
    text = html(client.get(reverse("stars:catalog"), {"year": YEAR + 1}))
    assert f"{YEAR + 1}年" in text and sc.RENAMED in text
    assert f'<option value="{YEAR}"' in text
    # A year outside the offered ones falls back to this year.
    text = html(client.get(reverse("stars:catalog"), {"year": 1999}))
    assert f"{clock.today().year}年" in text


def test_county_edits_a_star(world) -> None:  # noqa: ANN001
    star = sc.branch_star(world)
    client = world.client("org_department")
    page = client.get(reverse("stars:catalog"), {"year": YEAR})
    assert "修改星" in html(page) and "增加标准" in html(page)
    url = reverse("stars:catalog_star_edit", args=[star.public_id])
    bad = client.post(url, {"name": "", "short_name": "过硬", "description": "要求"})
    assert bad.status_code == 400 and "请填写星的名称" in html(bad) and "要求" in html(bad)
    done = client.post(
        url, {"name": "支部堡垒星", "short_name": "堡垒", "description": "", "is_active": ""}
    )
    assert done.status_code == 302
    star.refresh_from_db()
    assert (star.name, star.is_active) == ("支部堡垒星", False)
    assert "已停用" in html(client.get(reverse("stars:catalog"), {"year": YEAR}))
    move = client.post(
        reverse("stars:catalog_star_move", args=[star.public_id]), {"direction": "down"}
    )
    assert move.status_code == 302
    star.refresh_from_db()
    assert star.sort_order == 2


def test_street_and_village_cannot_edit(world) -> None:  # noqa: ANN001
    star = sc.branch_star(world)
    standard = star.standards.get(code="team")
    data = {"name": "x", "kind": "manual", "max_score": "10", "pass_score": "5"}
    for persona in ("street_staff", "village_staff"):
        client = world.client(persona)
        assert (
            client.post(reverse("stars:catalog_standard_edit", args=[standard.public_id]), data)
        ).status_code == 404
        assert (
            client.post(
                reverse("stars:catalog_star_move", args=[star.public_id]), {"direction": "down"}
            )
        ).status_code == 404
        assert (
            client.get(
                reverse("stars:catalog_settings", args=[sc.settings(world).public_id])
            ).status_code
            == 404
        )
    standard.refresh_from_db()
    assert standard.name == "班子建设与组织生活"


def test_rate_threshold_typed_as_percent_is_stored_as_share(world) -> None:  # noqa: ANN001
    star = sc.branch_star(world)
    client = world.client("org_department")
    url = reverse("stars:catalog_standard_create", args=[star.public_id])
    done = client.post(
        url,
        {
            "name": "调解成功率",
            "kind": "figure",
            "figure_key": "cases.mediation_success_rate",
            "comparator": ">=",
            "threshold": "85",
            "is_required": "on",
            "is_active": "on",
        },
    )
    assert done.status_code == 302
    std = Standard.objects.get(star=star, name="调解成功率")
    assert std.threshold == Decimal("0.85") and std.max_score is None
    assert "矛盾纠纷调解成功率 不低于 85%" in html(
        client.get(reverse("stars:catalog"), {"year": YEAR})
    )
    form = html(client.get(reverse("stars:catalog_standard_edit", args=[std.public_id])))
    assert 'name="threshold" value="85"' in form
    # A count threshold is stored as typed.
    count = client.post(
        url,
        {
            "name": "诉求受理",
            "kind": "figure",
            "figure_key": "cases.received",
            "comparator": ">=",
            "threshold": "12",
            "is_active": "on",
        },
    )
    assert count.status_code == 302
    assert Standard.objects.get(star=star, name="诉求受理").threshold == Decimal(12)


@pytest.mark.parametrize(
    ("data", "message", "kept"),
    [
        (
            {"kind": "manual", "max_score": "30", "pass_score": "40"},
            "及格分应在0到满分（30）之间",
            'value="40"',
        ),
        ({"kind": "manual", "max_score": "abc", "pass_score": "4"}, "满分应为数字", 'value="abc"'),
        ({"kind": "evidence", "evidence_hint": ""}, "请填写佐证要求", 'value="村里的标准"'),
        (
            {"kind": "figure", "figure_key": "cases.satisfaction_rate", "comparator": ">="},
            "请填写阈值",
            'value="cases.satisfaction_rate" selected',
        ),
        (
            {
                "kind": "figure",
                "figure_key": "cases.satisfaction_rate",
                "comparator": ">=",
                "threshold": "150",
            },
            "阈值应在0%到100%之间",
            'value="150"',
        ),
        ({"kind": "figure", "figure_key": "", "threshold": "3"}, "请选择平台数据项", 'value="3"'),
    ],
)
def test_bad_standard_is_refused_keeping_the_input(world, data, message, kept) -> None:  # noqa: ANN001
    star = sc.branch_star(world)
    before = star.standards.count()
    url = reverse("stars:catalog_standard_create", args=[star.public_id])
    page = world.client("org_department").post(url, {"name": "村里的标准", **data})
    assert page.status_code == 400
    assert message in html(page) and kept in html(page)
    assert star.standards.count() == before


def test_kind_change_refused_on_the_page_once_declared(world) -> None:  # noqa: ANN001
    from lianxin.stars.tests.test_catalog import _declare

    standard = sc.branch_star(world).standards.get(code="team")
    _declare(world, standard)
    client = world.client("org_department")
    url = reverse("stars:catalog_standard_edit", args=[standard.public_id])
    assert "不能更改类型" in html(client.get(url))
    page = client.post(
        url, {"name": "班子建设", "kind": "evidence", "evidence_hint": "上传", "is_active": "on"}
    )
    assert page.status_code == 400 and "已被申报或评审引用" in html(page)
    standard.refresh_from_db()
    assert standard.kind == "manual"


def test_settings_page_takes_percentages(world) -> None:  # noqa: ANN001
    s = sc.settings(world)
    client = world.client("org_department")
    url = reverse("stars:catalog_settings", args=[s.public_id])
    form = html(client.get(url))
    assert 'name="reward_min_growth" value="10"' in form
    data = {
        "notice_days": "7",
        "progress_award": "50000",
        "reward_min_income": "50000",
        "reward_min_growth": "12.5",
        "reward_share": "150",
        "contest_advance": "2",
    }
    bad = client.post(url, data)
    assert bad.status_code == 400 and "奖励比例应在0%到100%之间" in html(bad)
    assert 'value="150"' in html(bad)
    assert client.post(url, data | {"reward_share": "20"}).status_code == 302
    s.refresh_from_db()
    assert (s.reward_min_growth, s.reward_share, s.notice_days) == (
        Decimal("0.125"),
        Decimal("0.2"),
        7,
    )


def test_task_force_pages(world) -> None:  # noqa: ANN001
    sc.branch_star(world)
    client = world.client("org_department")
    url = reverse("stars:task_force_create", args=[world.county.public_id])
    data = {"name": "支部过硬星创建专班", "lead_unit": "市委组织部", "star_code": "branch"}
    assert client.post(url, data).status_code == 302
    again = client.post(url, data)
    assert again.status_code == 400 and "已有名为“支部过硬星创建专班”的专班" in html(again)
    row = TaskForce.objects.get(county=world.county)
    listing = html(world.client("village_staff").get(reverse("stars:task_force_list")))
    assert "支部过硬星创建专班" in listing and "市委组织部" in listing
    assert "修改" not in listing.split("<tbody>")[1]
    edit = reverse("stars:task_force_edit", args=[row.public_id])
    assert client.post(edit, data | {"is_active": ""}).status_code == 302
    row.refresh_from_db()
    assert not row.is_active
    assert world.client("street_staff").post(edit, data).status_code == 404


def test_weak_branch_pages(world) -> None:  # noqa: ANN001
    now = timezone.make_aware(dt.datetime(YEAR, 9, 1, 9, 0))
    client = world.client("org_department")
    with clock.travel(now):
        url = reverse("stars:weak_branch_create", args=[world.county.public_id])
        form = html(client.get(url))
        assert "迎秀社区" in form and "西关社区" in form
        data = {"unit": str(world.village.public_id), "year": str(YEAR), "reason": "班子软弱"}
        future = client.post(url, data | {"year": str(YEAR + 3)})
        assert future.status_code == 400 and "年度应在" in html(future)
        assert client.post(url, data | {"liaison_name": "李组工"}).status_code == 302
        twice = client.post(url, data)
        assert twice.status_code == 400 and "已列入" in html(twice)
        row = WeakBranch.objects.get(unit=world.village)
        edit = reverse("stars:weak_branch_edit", args=[row.public_id])
        late = client.post(edit, {"op": "lift", "lifted_on": f"{YEAR}-12-01"})
        assert late.status_code == 400 and "不能晚于今天" in html(late)
        assert f"{YEAR}-12-01" in html(late)
        assert client.post(edit, {"op": "lift", "lifted_on": f"{YEAR}-08-20"}).status_code == 302
        row.refresh_from_db()
        assert row.lifted_on == dt.date(YEAR, 8, 20)
        listing = html(
            world.client("street_staff").get(reverse("stars:weak_branch_list"), {"year": YEAR})
        )
        assert "迎秀社区" in listing and "整顿转化" in listing
        other = html(
            world.client("other_street_staff").get(
                reverse("stars:weak_branch_list"), {"year": YEAR}
            )
        )
        assert "班子软弱" not in other
