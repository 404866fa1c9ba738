"""The territory pages: browse, detail, and the forms that change units."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.accounts.models import Post
from lianxin.core.testing import make_household, make_unit
from lianxin.territory.models import Unit, UnitChange

pytestmark = pytest.mark.django_db


def _detail(unit: Unit) -> str:
    return reverse("territory:unit_detail", kwargs={"public_id": unit.public_id})


def _url(name: str, unit: Unit) -> str:
    return reverse(f"territory:{name}", kwargs={"public_id": unit.public_id})


def test_browse_shows_each_persona_its_own_units(world) -> None:  # noqa: ANN001
    page = world.client("grid_worker").get(reverse("territory:browse")).content.decode()
    assert "迎秀社区第一网格" in page and "迎秀小区1号楼" in page
    assert "迎秀社区第二网格" not in page

    page = world.client("village_staff").get(reverse("territory:browse")).content.decode()
    assert "迎秀社区" in page and "迎秀社区第一网格" in page and "迎秀社区第二网格" in page
    assert "西关社区" not in page

    page = world.client("nobody").get(reverse("territory:browse")).content.decode()
    assert "没有可查看的区划单元" in page


def test_browse_requires_login(client) -> None:  # noqa: ANN001
    response = client.get(reverse("territory:browse"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_detail_shows_codes_counts_history_and_links(world) -> None:  # noqa: ANN001
    make_household(world.building)
    make_household(world.building)
    make_household(world.grid)
    response = world.client("grid_worker").get(_detail(world.grid))
    page = response.content.decode()
    assert response.status_code == 200
    assert "G410883001002-01" in page
    assert f"/people/households/?unit={world.grid.public_id}" in page
    # 1 household directly on the grid, 3 in its subtree; the building row counts its 2.
    assert "<dd>1 户</dd>" in page and "<dd>3 户</dd>" in page
    assert '<td data-label="户数">2</td>' in page
    # Breadcrumbs name the ancestors but link only what the grid worker may open.
    assert "迎秀社区" in page and "大定街道" in page
    assert _detail(world.village) not in page
    # A grid worker may view, not manage.
    assert _url("unit_edit", world.grid) not in page


def test_detail_of_a_village_for_staff_offers_only_display_name_edit(world) -> None:  # noqa: ANN001
    page = world.client("village_staff").get(_detail(world.village)).content.decode()
    assert _url("unit_edit", world.village) in page and "修改简称" in page
    assert _url("unit_create", world.village) in page
    assert _url("unit_retire", world.village) not in page
    assert _url("unit_move", world.village) not in page
    page = world.client("village_staff").get(_detail(world.grid)).content.decode()
    for action in ("unit_move", "unit_merge", "unit_retire"):
        assert _url(action, world.grid) in page
    page = world.client("street_staff").get(_detail(world.village)).content.decode()
    assert _url("unit_retire", world.village) in page


def test_children_list_query_count_does_not_grow(world) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    client.get(_detail(world.village))  # warm the session and caches

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(_detail(world.village)).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(12):
        grid = make_unit("grid", f"G410883001002-{i + 10}", f"加测网格{i}", world.village)
        building = make_unit("building", f"B410883001002-{i + 10}-01", f"加测楼{i}", grid)
        make_household(building)
        make_household(grid)
    many = count()
    assert many == few, f"{few} queries with 2 children, {many} with 14"
    assert "加测网格11" in client.get(_detail(world.village)).content.decode()


def test_retired_children_are_listed_on_request(world) -> None:  # noqa: ANN001
    Unit.objects.filter(pk=world.sibling_grid.pk).update(is_active=False)
    client = world.client("village_staff")
    assert "迎秀社区第二网格" not in client.get(_detail(world.village)).content.decode()
    page = client.get(_detail(world.village) + "?retired=1").content.decode()
    assert "迎秀社区第二网格" in page and "已撤销" in page


def test_create_grid_page(world) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    url = _url("unit_create", world.village)
    page = client.get(url).content.decode()
    assert 'value="grid"' in page and 'value="building"' in page

    response = client.post(
        url, {"kind": "grid", "name": "迎秀社区第三网格", "display_name": "三网格"}
    )
    grid = Unit.objects.get(code="G410883001002-03")
    assert response.status_code == 302 and response["Location"] == _detail(grid)
    assert grid.display_name == "三网格"


def test_create_page_keeps_input_on_errors(world) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    url = _url("unit_create", world.village)
    response = client.post(url, {"kind": "grid", "name": "", "display_name": "保留的简称"})
    page = response.content.decode()
    assert response.status_code == 200 and "保留的简称" in page and "field-error" in page
    response = client.post(url, {"kind": "grid", "name": "迎秀社区第一网格", "display_name": ""})
    page = response.content.decode()
    assert "已有名为" in page and 'value="迎秀社区第一网格"' in page
    assert Unit.objects.filter(kind="grid").count() == 2


def test_edit_official_unit_changes_display_name_only(world) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    url = _url("unit_edit", world.village)
    page = client.get(url).content.decode()
    assert "disabled" in page and "只能修改页面上显示的简称" in page
    response = client.post(url, {"name": "篡改名称", "display_name": "迎秀"})
    assert response.status_code == 302
    village = Unit.objects.get(pk=world.village.pk)
    assert (village.name, village.display_name) == ("迎秀居民委员会", "迎秀")


def test_move_page(world) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    url = _url("unit_move", world.building)
    page = client.get(url).content.decode()
    assert str(world.sibling_grid.public_id) in page
    assert str(world.other_village.public_id) not in page
    response = client.post(url, {"new_parent": str(world.sibling_grid.public_id)})
    assert response.status_code == 302
    assert Unit.objects.get(pk=world.building.pk).parent_id == world.sibling_grid.pk
    # Not a candidate (another village): rejected by the form, nothing changes.
    response = client.post(
        _url("unit_move", world.grid), {"new_parent": str(world.other_village.public_id)}
    )
    assert response.status_code == 200 and "field-error" in response.content.decode()


def test_official_village_move_page_explains_refusal(world) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    page = client.get(_url("unit_move", world.village)).content.decode()
    assert "须由上级单位办理" in page


def test_merge_page(world) -> None:  # noqa: ANN001
    household = make_household(world.sibling_grid)
    client = world.client("village_staff")
    url = _url("unit_merge", world.sibling_grid)
    response = client.post(url, {"target": str(world.grid.public_id)})
    # Not confirmed: the form says so and nothing moves.
    assert response.status_code == 200 and "field-error" in response.content.decode()
    response = client.post(
        url, {"target": str(world.grid.public_id), "confirm": "on", "note": "合并"}
    )
    assert response.status_code == 302 and response["Location"] == _detail(world.grid)
    household.refresh_from_db()
    assert household.unit_id == world.grid.pk
    page = client.get(_detail(world.sibling_grid)).content.decode()
    assert "并入" in page and _detail(world.grid) in page


def test_retire_page_names_blockers_then_retires(world) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    url = _url("unit_retire", world.sibling_building)
    page = client.get(url).content.decode()
    assert "户在册家庭" not in page and "撤销前请先迁移" not in page
    make_household(world.sibling_building)
    page = client.get(url).content.decode()
    assert "1 户在册家庭" in page
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 200 and "1 户在册家庭" in response.content.decode()
    assert Unit.objects.get(pk=world.sibling_building.pk).is_active

    Post.objects.filter(unit=world.building).update(is_active=False)
    response = client.post(_url("unit_retire", world.building), {"confirm": "on", "note": "拆除"})
    assert response.status_code == 302
    assert not Unit.objects.get(pk=world.building.pk).is_active
    page = client.get(_detail(world.building)).content.decode()
    assert "已撤销" in page and "拆除" in page and _url("unit_restore", world.building) in page

    response = client.post(_url("unit_restore", world.building), {"confirm": "on"})
    assert response.status_code == 302 and Unit.objects.get(pk=world.building.pk).is_active
    kinds = set(UnitChange.objects.filter(unit=world.building).values_list("kind", flat=True))
    assert kinds == {"retired", "restored"}


def test_manage_pages_are_404_for_view_only_personas(world) -> None:  # noqa: ANN001
    for name in (
        "unit_create",
        "unit_edit",
        "unit_move",
        "unit_merge",
        "unit_retire",
        "unit_restore",
    ):
        assert world.client("grid_worker").get(_url(name, world.grid)).status_code == 404
        assert world.client("department_staff").post(_url(name, world.grid), {}).status_code == 404
