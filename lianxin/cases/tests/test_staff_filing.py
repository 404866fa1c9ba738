"""Filing a request on a resident's behalf: the phone-sized form, places limited to the
actor's scope (searchable when there are hundreds), a linked resident, errors that keep input."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from lianxin.cases.models import Case
from lianxin.cases.tests.factories import photo
from lianxin.cases.workflow import Channel, Status
from lianxin.core.testing import make_household, make_resident, make_unit

pytestmark = pytest.mark.django_db

TEXT = "3号楼2单元楼道灯不亮好几天了，晚上上下楼很危险"


def file_data(world: Any, **over: Any) -> dict[str, Any]:
    data = {
        "place": str(world.building.public_id),
        "channel": "patrol",
        "category": "lighting",
        "level": "",
        "description": TEXT,
        "address_text": "2单元3楼",
        "name": "李桂兰",
        "phone": "13912345678",
        "resident": "",
    }
    data.update(over)
    return data


def test_grid_worker_files_a_patrol_finding_with_a_photo(world) -> None:  # noqa: ANN001
    client = world.client("grid_worker")
    page = client.get(reverse("cases:file") + "?channel=patrol")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<option value="patrol" selected>' in html
    assert world.building.display_name in html and world.sibling_building.display_name not in html
    assert 'accept="image/*"' in html and 'capture="environment"' in html
    r = client.post(reverse("cases:file"), {**file_data(world), "photos": [photo()]})
    case = Case.objects.get()
    assert r.status_code == 302
    assert r["Location"] == reverse("cases:detail", args=[case.public_id]) + "?filed=1"
    assert case.channel == Channel.PATROL and case.filed_by == world.users["grid_worker"]
    assert case.status == Status.RECEIVED and case.photos.count() == 1
    assert case.reporter_phone_masked == "139****5678" and case.address_text == "2单元3楼"
    done = client.get(r["Location"]).content.decode()
    assert case.tracking_no in done and "已登记，受理编号" in done


def test_errors_name_the_field_and_keep_the_input(world) -> None:  # noqa: ANN001
    client = world.client("grid_worker")
    r = client.post(
        reverse("cases:file"), file_data(world, place=str(world.sibling_building.public_id))
    )
    html = r.content.decode()
    assert r.status_code == 200 and "请选择您负责范围内的楼栋、网格或村/社区" in html
    assert TEXT in html and 'value="13912345678"' in html and 'value="李桂兰"' in html
    r = client.post(reverse("cases:file"), file_data(world, description="。。。。。。"))
    assert "请用几句话说明问题" in r.content.decode()
    r = client.post(reverse("cases:file"), file_data(world, phone="12345"))
    assert "手机号" in r.content.decode() and TEXT in r.content.decode()
    r = client.post(reverse("cases:file"), file_data(world, channel="qr"))
    assert r.status_code == 200
    assert not Case.objects.exists()


def test_building_leader_files_for_their_building_only(world) -> None:  # noqa: ANN001
    client = world.client("building_leader")
    html = client.get(reverse("cases:file")).content.decode()
    assert world.building.display_name in html and world.grid.display_name + "（" not in html
    r = client.post(
        reverse("cases:file"),
        file_data(world, place=str(world.grid.public_id), channel="building_leader"),
    )
    assert "请选择您负责范围内的楼栋" in r.content.decode()
    r = client.post(reverse("cases:file"), file_data(world, channel="building_leader"))
    assert r.status_code == 302 and Case.objects.get().channel == Channel.BUILDING_LEADER
    assert world.client("department_staff").get(reverse("cases:file")).status_code == 404


def test_hundreds_of_buildings_are_found_by_search(world) -> None:  # noqa: ANN001
    from lianxin.territory.models import Unit

    grid = world.grid
    Unit.objects.bulk_create(
        [
            Unit(
                kind="building",
                code=f"B-MANY-{i:03d}",
                name=f"幸福小区{i}号楼",
                display_name=f"幸福小区{i}号楼",
                parent=grid,
                path=f"{grid.path}B-MANY-{i:03d}/",
                depth=grid.depth + 1,
            )
            for i in range(320)
        ]
    )
    client = world.client("village_staff")
    html = client.get(reverse("cases:file")).content.decode()
    assert "楼栋较多" in html and "幸福小区17号楼" not in html
    assert world.grid.display_name in html  # grids and villages stay selectable
    found = client.get(reverse("cases:place_options"), {"place_q": "小区17号"}).content.decode()
    assert "幸福小区17号楼" in found and "幸福小区18号楼" not in found
    assert "<optgroup" in found
    target = Unit.objects.get(code="B-MANY-017")
    r = client.post(
        reverse("cases:file"), file_data(world, place=str(target.public_id), description="x")
    )
    assert "幸福小区17号楼" in r.content.decode()  # the chosen building stays chosen
    r = client.post(reverse("cases:file"), file_data(world, place=str(target.public_id)))
    assert r.status_code == 302 and Case.objects.get().unit == target
    nothing = world.client("sibling_grid_worker").get(
        reverse("cases:place_options"), {"place_q": "幸福小区"}
    )
    assert "幸福小区" not in nothing.content.decode().replace("请换个关键词", "")


def test_link_a_resident_found_by_name(world) -> None:  # noqa: ANN001
    resident = make_resident(make_household(world.building, address="2单元301"), name="赵秀英")
    stranger = make_resident(make_household(world.sibling_building), name="赵秀芝")
    client = world.client("grid_worker")
    found = client.get(reverse("cases:resident_search"), {"resident_q": "赵秀"}).content.decode()
    assert "赵秀英" in found and "2单元301" in found and "赵秀芝" not in found
    assert str(resident.public_id) in found
    r = client.post(reverse("cases:file"), file_data(world, resident=str(stranger.public_id)))
    assert r.status_code == 200 and "关联的居民不存在或不在您的范围内" in r.content.decode()
    r = client.post(reverse("cases:file"), file_data(world, resident=str(resident.public_id)))
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.reporter_resident == resident and case.reporter_household == resident.household


def test_village_and_grid_are_places_too(world) -> None:  # noqa: ANN001
    extra = make_unit("grid", "G410883001002-09", "迎秀社区第九网格", world.village)
    client = world.client("village_staff")
    html = client.get(reverse("cases:file")).content.decode()
    assert "迎秀社区（整个村/社区）" in html and f"{extra.display_name}（整个网格）" in html
    r = client.post(
        reverse("cases:file"),
        file_data(world, place=str(world.village.public_id), channel="walk_in", level="big"),
    )
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.unit == world.village and case.level == "big"
