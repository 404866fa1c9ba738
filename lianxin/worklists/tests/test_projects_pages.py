"""The project list pages: the scoped list with funds per township and a query budget, the
Excel export, filing, the detail's actions (a refused match keeps what was typed, a stale one
answers 409), and the county's library."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse

from lianxin.worklists.models import DemandProject, SupplyProject
from lianxin.worklists.services import projects as svc
from lianxin.worklists.tests import scope_projects as sp

pytestmark = pytest.mark.django_db
LIST = reverse("worklists:project_list")


def _act(project: DemandProject, action: str) -> str:
    return reverse(
        "worklists:demand_act", kwargs={"public_id": project.public_id, "action": action}
    )


def _detail(project: DemandProject) -> str:
    return reverse("worklists:demand_detail", kwargs={"public_id": project.public_id})


def test_each_level_sees_its_own(world) -> None:  # noqa: ANN001
    sp.demand(world, name="迎秀的项目")
    sp.demand(world, name="西关的项目", unit=world.other_village, by="other_village_staff")
    sp.supply(world, name="县级项目库项目")
    seen = {
        persona: world.client(persona).get(LIST).content.decode()
        for persona in ("village_staff", "other_village_staff", "street_staff", "org_department")
    }
    assert "迎秀的项目" in seen["village_staff"] and "西关的项目" not in seen["village_staff"]
    assert "西关的项目" in seen["other_village_staff"]
    assert "迎秀的项目" not in seen["other_village_staff"]
    assert "迎秀的项目" in seen["street_staff"] and "西关的项目" not in seen["street_staff"]
    assert "迎秀的项目" in seen["org_department"] and "西关的项目" in seen["org_department"]
    library = reverse("worklists:supply_list")
    assert "县级项目库项目" in world.client("org_department").get(library).content.decode()
    for persona in ("village_staff", "street_staff"):
        page = world.client(persona).get(library)
        assert page.status_code == 200 and "县级项目库项目" not in page.content.decode()


def test_list_sums_per_township_and_query_budget(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    lib = sp.supply(world, funds="1000000")
    for i in range(6):
        sp.matched(world, lib=lib, name=f"迎秀项目{i}", funds="20000", amount="10000")
    sp.demand(world, name="西关项目", unit=world.other_village, funds="5000", by="org_department")
    client = world.client("org_department")
    with django_assert_max_num_queries(14):
        page = client.get(LIST)
    assert page.status_code == 200
    sums = {s["name"]: s for s in page.context["sums"]}
    assert sums["大定街道"]["count"] == 6 and sums["大定街道"]["matched"] == 6
    assert sums["大定街道"]["requested"] == Decimal("120000")
    assert sums["大定街道"]["allocated"] == Decimal("60000")
    assert sums["会昌街道"]["requested"] == Decimal("5000")
    assert sums["合计"]["requested"] == Decimal("125000")
    # More rows do not cost more queries.
    for i in range(20):
        sp.demand(world, name=f"更多{i}", funds="100")
    with django_assert_max_num_queries(14):
        assert client.get(LIST).status_code == 200
    filtered = client.get(LIST, {"unit": world.other_street.code}).context["sums"]
    assert [s["name"] for s in filtered] == ["会昌街道"]


def test_export_is_the_filtered_list(world) -> None:  # noqa: ANN001
    from openpyxl import load_workbook

    sp.matched(world, name="导出项目")
    sp.demand(world, name="另一村", unit=world.other_village, by="org_department")
    response = world.client("street_staff").get(reverse("worklists:project_export"))
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    assert rows[0][0] == "乡镇（街道）"
    assert [r[3] for r in rows[1:]] == ["导出项目"]
    assert rows[1][6] == "已对接"


def test_file_a_demand_and_bad_input_keeps_what_was_typed(world) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    url = reverse("worklists:demand_create")
    data = {
        "unit": world.village.code,
        "year": "2026",
        "name": "修建文化广场",
        "description": "新建 800 平方米文化广场",
        "star_code": "",
        "funds_requested": "十万",
    }
    page = client.post(url, data)
    assert page.status_code == 400
    html = page.content.decode()
    assert "申请资金须是数字" in html and "修建文化广场" in html and "十万" in html
    assert not DemandProject.objects.exists()
    data["funds_requested"] = "100000"
    response = client.post(url, data)
    project = DemandProject.objects.get()
    assert response.status_code == 302 and response["Location"] == _detail(project)
    assert project.created_by_id == world.users["village_staff"].pk


def test_overspent_match_is_refused_on_the_page(world) -> None:  # noqa: ANN001
    lib = sp.supply(world, funds="100000")
    sp.matched(world, lib=lib, amount="80000", name="先对接的")
    project = sp.demand(world, name="后对接的", funds="50000")
    client = world.client("org_department")
    detail = client.get(_detail(project))
    assert "对接项目库" in detail.content.decode()
    page = client.post(
        _act(project, "match"),
        {
            "match-version": str(project.version),
            "match-supply": str(lib.public_id),
            "match-funds_allocated": "30000",
        },
    )
    assert page.status_code == 400
    html = page.content.decode()
    assert "尚余 20,000.00 元" in html and 'value="30000"' in html
    ok = client.post(
        _act(project, "match"),
        {
            "match-version": str(project.version),
            "match-supply": str(lib.public_id),
            "match-funds_allocated": "20000",
        },
    )
    assert ok.status_code == 302
    project.refresh_from_db()
    assert project.status == "matched"
    # The same form again (stale version): the fresh state, 409.
    stale = client.post(
        _act(project, "decline"),
        {"decline-version": "1", "decline-reason": "重复"},
    )
    assert stale.status_code == 400  # declining a matched project is not offered any more
    start = client.post(_act(project, "start"), {"start-version": "1"})
    assert start.status_code == 409 and "刚刚有变化" in start.content.decode()


def test_village_sees_no_match_form_and_cannot_post_it(world) -> None:  # noqa: ANN001
    lib = sp.supply(world)
    project = sp.demand(world)
    client = world.client("village_staff")
    html = client.get(_detail(project)).content.decode()
    assert "等待县级对接项目库" in html and "match-funds_allocated" not in html
    page = client.post(
        _act(project, "match"),
        {
            "match-version": "1",
            "match-supply": str(lib.public_id),
            "match-funds_allocated": "1",
        },
    )
    assert page.status_code == 400
    project.refresh_from_db()
    assert project.status == "submitted"
    assert world.client("street_staff").post(_act(project, "start"), {}).status_code == 404


def test_library_pages(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    client = world.client("org_department")
    url = reverse("worklists:supply_create")
    bad = client.post(
        url,
        {
            "county": world.county.code,
            "year": "2026",
            "name": "产业发展扶持资金",
            "department": "市农业农村局",
            "funds": "-1",
        },
    )
    assert bad.status_code == 400 and "产业发展扶持资金" in bad.content.decode()
    response = client.post(
        url,
        {
            "county": world.county.code,
            "year": "2026",
            "name": "产业发展扶持资金",
            "department": "市农业农村局",
            "funds": "800000",
        },
    )
    lib = SupplyProject.objects.get()
    assert response.status_code == 302
    for i in range(3):
        sp.matched(world, lib=lib, name=f"产业项目{i}", amount="100000")
    with django_assert_max_num_queries(11):
        page = client.get(reverse("worklists:supply_list"))
    assert page.context["items"][0].left == Decimal("500000")
    detail = client.get(reverse("worklists:supply_detail", kwargs={"public_id": lib.public_id}))
    assert "产业项目2" in detail.content.decode()
    edit = reverse("worklists:supply_edit", kwargs={"public_id": lib.public_id})
    refused = client.post(edit, {"name": lib.name, "department": lib.department, "funds": "250000"})
    assert refused.status_code == 400 and "不能少于已安排" in refused.content.decode()
    closed = client.post(edit, {"name": lib.name, "department": lib.department, "funds": "300000"})
    assert closed.status_code == 302
    lib.refresh_from_db()
    assert not lib.is_open and lib.funds == Decimal("300000")
    assert svc.allocated_total(lib) == Decimal("300000")
