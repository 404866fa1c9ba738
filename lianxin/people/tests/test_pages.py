"""Pages: forms name the field and keep the input, masks everywhere, reveal, query budgets."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from lianxin.audit.models import AuditEvent
from lianxin.core import crypto
from lianxin.core.testing import make_household
from lianxin.people.models import Household, LedgerEntry, Resident, Visit
from lianxin.people.tests import factories
from lianxin.people.tests.factories import make_resident


def _url(name: str, obj=None, **kwargs) -> str:  # noqa: ANN001
    if obj is not None:
        kwargs["public_id"] = obj.public_id
    return reverse(f"people:{name}", kwargs=kwargs or None)


@pytest.mark.django_db
def test_household_create_form_keeps_input_and_names_the_field(world) -> None:  # noqa: ANN001
    make_household(world.building, address="1单元101")
    client = world.client("village_staff")
    data = {
        "unit": str(world.building.public_id),
        "address": "1单元101",
        "head_name": "周某某",
        "note": "我的备注",
    }
    page = client.post(_url("household_create"), data)
    assert page.status_code == 200
    html = page.content.decode()
    assert "该单元下已有门牌为“1单元101”的在册户" in html
    assert 'value="周某某"' in html and "我的备注" in html
    data["address"] = "1单元102"
    ok = client.post(_url("household_create"), data)
    h = Household.objects.get(address="1单元102")
    assert ok.status_code == 302 and ok["Location"] == _url("household_detail", h)


@pytest.mark.django_db
def test_resident_form_bad_id_and_phone_keep_what_was_typed(world) -> None:  # noqa: ANN001
    h = make_household(world.building)
    typed_id = factories.id_number()[:-1] + "Z"
    page = world.client("grid_worker").post(
        _url("resident_create", h),
        {"name": "吴某", "id_number": typed_id, "phone": "1234", "relation": "户主"},
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "身份证号只能包含数字，最后一位可以是X" in html
    assert "手机号应为11位数字（以1开头），座机请带区号" in html
    assert 'value="吴某"' in html and f'value="{typed_id}"' in html and 'value="1234"' in html
    assert not Resident.objects.exists()


@pytest.mark.django_db
def test_resident_form_duplicate_id_is_shown_on_the_field(world) -> None:  # noqa: ANN001
    number = factories.id_number()
    make_household(world.building)
    from lianxin.people.services import resident_create

    resident_create(household=make_household(world.building), name="甲", id_number=number)
    page = world.client("grid_worker").post(
        _url("resident_create", make_household(world.building)), {"name": "乙", "id_number": number}
    )
    assert "该身份证号已登记在其他居民名下" in page.content.decode()


@pytest.mark.django_db
def test_resident_create_and_edit_pages(world) -> None:  # noqa: ANN001
    h = make_household(world.building)
    number = factories.id_number()
    client = world.client("grid_worker")
    response = client.post(
        _url("resident_create", h), {"name": "郑某", "id_number": number, "phone": "13912345678"}
    )
    assert response.status_code == 302
    r = Resident.objects.get(name="郑某")
    edit = client.get(_url("resident_edit", r)).content.decode()
    assert number not in edit and "13912345678" not in edit and r.id_number_masked in edit
    client.post(
        _url("resident_edit", r),
        {"name": "郑某某", "id_number": "", "phone": "", "relation": "户主"},
    )
    r.refresh_from_db()
    assert (
        r.name == "郑某某"
        and crypto.decrypt(r.id_number_cipher) == number
        and r.phone_masked == "139****5678"
    )
    client.post(_url("resident_edit", r), {"name": "郑某某", "clear_phone": "on"})
    r.refresh_from_db()
    assert r.phone_masked == ""


@pytest.mark.django_db
def test_lists_and_details_show_masks_only(world) -> None:  # noqa: ANN001
    h = make_household(world.building, address="2单元202")
    r = make_resident(h, name="孙某", phone="13600001234")
    number = crypto.decrypt(r.id_number_cipher)
    client = world.client("village_staff")
    assert "2单元202" in client.get(_url("household_list")).content.decode()
    for url in [_url("household_detail", h), _url("resident_list"), _url("resident_detail", r)]:
        html = client.get(url).content.decode()
        assert number not in html and "13600001234" not in html, url
        assert r.id_number_masked in html and "136****1234" in html, url


@pytest.mark.django_db
def test_search_box_finds_by_complete_id_number(world) -> None:  # noqa: ANN001
    h = make_household(world.building, address="3单元303")
    r = make_resident(h)
    make_household(world.building, address="3单元304")
    html = (
        world.client("grid_worker")
        .get(_url("household_list"), {"q": crypto.decrypt(r.id_number_cipher)})
        .content.decode()
    )
    assert "3单元303" in html and "3单元304" not in html


@pytest.mark.django_db
def test_reveal_page_shows_plaintext_or_refuses(world) -> None:  # noqa: ANN001
    r = make_resident(make_household(world.building), phone="13512340000")
    url = _url("resident_reveal", r)
    shown = world.client("grid_worker").post(url, {"field": "phone"}, HTTP_HX_REQUEST="true")
    assert shown.status_code == 200 and "13512340000" in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    assert "<html" not in shown.content.decode()  # an htmx fragment
    full = world.client("grid_worker").post(url, {"field": "id_number"})
    assert crypto.decrypt(r.id_number_cipher) in full.content.decode()
    refused = world.client("building_leader").post(url, {"field": "phone"})
    assert refused.status_code == 200
    assert (
        "没有查看明文的权限" in refused.content.decode()
        and "13512340000" not in refused.content.decode()
    )
    assert world.client("sibling_grid_worker").post(url, {"field": "phone"}).status_code == 404
    assert world.client("grid_worker").get(url).status_code == 405
    reveals = AuditEvent.objects.filter(action=AuditEvent.Action.REVEAL, object_id=str(r.public_id))
    assert reveals.count() == 2
    assert {e.actor_id for e in reveals} == {world.users["grid_worker"].pk}
    assert reveals.first().ip == "127.0.0.1"


@pytest.mark.django_db
def test_household_move_out_page(world) -> None:  # noqa: ANN001
    h = make_household(world.building)
    client = world.client("village_staff")
    bad = client.post(
        _url("household_move_out", h), {"moved_out_on": "2026-13-01", "reason": "迁走"}
    )
    assert bad.status_code == 200 and 'value="迁走"' in bad.content.decode()
    ok = client.post(
        _url("household_move_out", h),
        {"moved_out_on": timezone.localdate().isoformat(), "reason": "迁走"},
    )
    assert ok.status_code == 302
    h.refresh_from_db()
    assert not h.is_active


@pytest.mark.django_db
def test_resident_move_page(world) -> None:  # noqa: ANN001
    r = make_resident(make_household(world.building), name="迁移人")
    target = make_household(world.sibling_building, address="目标门牌")
    client = world.client("village_staff")
    found = client.get(_url("resident_move", r), {"q": "目标"}).content.decode()
    assert "目标门牌" in found
    assert (
        client.post(
            _url("resident_move", r), {"household": str(target.public_id), "relation": "子女"}
        ).status_code
        == 302
    )
    r.refresh_from_db()
    assert r.household == target
    # A household the actor does not manage is refused with a message, not moved into.
    foreign = make_household(world.other_village)
    page = client.post(_url("resident_move", r), {"household": str(foreign.public_id)})
    assert "不在您的管理范围内" in page.content.decode()


@pytest.mark.django_db
def test_ledger_create_and_visit_with_photos(world) -> None:  # noqa: ANN001
    r = make_resident(make_household(world.building), name="刘奶奶")
    client = world.client("village_staff")
    form = client.get(_url("ledger_create", r)).content.decode()
    assert "grid_worker" in form and "other_village_staff" not in form
    response = client.post(
        _url("ledger_create", r),
        {
            "tag": "elderly_alone",
            "helper": f"u:{world.users['grid_worker'].public_id}",
            "started_on": timezone.localdate().isoformat(),
        },
    )
    entry = LedgerEntry.objects.get()
    assert response.status_code == 302 and entry.visit_interval_days == 7
    bad = client.post(
        _url("ledger_create", r),
        {
            "tag": "elderly_alone",
            "helper": "u:" + str(world.users["grid_worker"].public_id),
            "started_on": timezone.localdate().isoformat(),
        },
    )
    assert "该居民已在“独居老人”类别中登记" in bad.content.decode()
    photo = SimpleUploadedFile(
        "a.jpg", factories.png_bytes(exif_gps=True), content_type="image/jpeg"
    )
    worker = world.client("grid_worker")
    assert worker.get(_url("visit_create", entry)).status_code == 200
    done = worker.post(
        _url("visit_create", entry),
        {
            "visited_on": timezone.localdate().isoformat(),
            "found": "独自在家，身体尚可",
            "done": "测了血压",
            "photos": [photo],
        },
    )
    assert done.status_code == 302
    visit = Visit.objects.get()
    assert visit.photos.count() == 1 and visit.visitor == world.users["grid_worker"]
    detail = worker.get(_url("ledger_detail", entry)).content.decode()
    photo_url = reverse("people:visit_photo", kwargs={"public_id": visit.public_id, "number": 1})
    assert "独自在家，身体尚可" in detail and photo_url in detail
    assert visit.photos.get().image.url not in detail  # never the raw media path
    served = worker.get(photo_url)
    assert served.status_code == 200 and b"".join(served.streaming_content)[:3] == b"\xff\xd8\xff"
    assert world.client("sibling_grid_worker").get(photo_url).status_code == 404
    assert worker.get(photo_url.replace("/1/", "/2/")).status_code == 404
    not_image = SimpleUploadedFile("b.jpg", b"plain text", content_type="image/jpeg")
    page = worker.post(
        _url("visit_create", entry),
        {"visited_on": timezone.localdate().isoformat(), "found": "再访", "photos": [not_image]},
    )
    assert (
        page.status_code == 200
        and "不是有效的图片" in page.content.decode()
        and "再访" in page.content.decode()
    )


@pytest.mark.django_db
def test_ledger_end_page(world) -> None:  # noqa: ANN001
    entry = factories.ledger_entry(world)
    client = world.client("village_staff")
    assert (
        client.post(
            _url("ledger_end", entry),
            {"ended_on": timezone.localdate().isoformat(), "reason": "去世"},
        ).status_code
        == 302
    )
    entry.refresh_from_db()
    assert not entry.is_active
    # A grid worker may visit but not end entries: the end page is outside their scope.
    assert (
        world.client("grid_worker")
        .get(_url("ledger_end", factories.ledger_entry(world)))
        .status_code
        == 404
    )


@pytest.mark.django_db
def test_ledger_list_overdue_filter_and_summaries(world) -> None:  # noqa: ANN001
    today = timezone.localdate()
    factories.ledger_entry(world, name="逾期人", started_on=today - dt.timedelta(days=30))
    factories.ledger_entry(world, name="按时人", code="veteran", started_on=today)
    client = world.client("grid_worker")
    html = client.get(_url("ledger_list")).content.decode()
    assert "逾期人" in html and "按时人" in html and "迎秀社区第一网格" in html
    overdue = client.get(_url("ledger_list"), {"overdue": "1"}).content.decode()
    assert "逾期人" in overdue and "按时人" not in overdue


# --- query budgets --------------------------------------------------------------------------------


def _count_queries(client, url: str) -> int:  # noqa: ANN001
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _populate(world, n: int) -> None:  # noqa: ANN001
    for _ in range(n):
        h = make_household(world.building)
        r = make_resident(h)
        factories.ledger_entry(world, resident=r)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["household_list", "resident_list", "ledger_list", "import_list"])
def test_list_query_count_does_not_grow_with_rows(world, name) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    _populate(world, 2)
    factories.import_job(world)
    small = _count_queries(client, _url(name))
    _populate(world, 8)
    for _ in range(3):
        factories.import_job(world, rows=[])
    large = _count_queries(client, _url(name))
    assert small == large


@pytest.mark.django_db
def test_household_detail_query_count_is_constant(world) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    h = make_household(world.building)
    factories.ledger_entry(world, resident=make_resident(h))
    small = _count_queries(client, _url("household_detail", h))
    for _ in range(5):
        factories.ledger_entry(world, resident=make_resident(h))
    assert _count_queries(client, _url("household_detail", h)) == small


# --- export ---------------------------------------------------------------------------------------


def _sheet(response) -> list[tuple]:  # noqa: ANN001
    content = b"".join(response.streaming_content)
    return list(
        load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True)
    )


@pytest.mark.django_db
def test_resident_export_is_scoped_masked_and_audited(world) -> None:  # noqa: ANN001
    mine = make_resident(
        make_household(world.building, address="1单元1"), name="本村人", phone="13700001111"
    )
    make_resident(make_household(world.other_village), name="外村人")
    response = world.client("village_staff").get(_url("export", kind="residents"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = _sheet(response)
    assert rows[0] == (
        "楼栋",
        "门牌",
        "姓名",
        "性别",
        "出生日期",
        "与户主关系",
        "身份证号",
        "手机号",
        "备注",
    )
    assert [r[2] for r in rows[1:]] == ["本村人"]
    assert rows[1][6] == mine.id_number_masked and rows[1][7] == "137****1111"
    plain = crypto.decrypt(mine.id_number_cipher)
    assert not [c for r in rows for c in r if c and (plain in str(c) or "13700001111" in str(c))]
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert (
        event.changes == {"kind": "residents", "rows": 1}
        and event.actor_id == world.users["village_staff"].pk
    )


@pytest.mark.django_db
def test_household_export_unit_filter(world) -> None:  # noqa: ANN001
    make_household(world.building, address="一网格户")
    make_household(world.sibling_building, address="二网格户")
    client = world.client("village_staff")
    rows = _sheet(
        client.get(_url("export", kind="households"), {"unit": str(world.grid.public_id)})
    )
    assert [r[2] for r in rows[1:]] == ["一网格户"]
    assert (
        client.get(
            _url("export", kind="households"), {"unit": str(world.other_village.public_id)}
        ).status_code
        == 404
    )
    assert client.get(_url("export", kind="nonsense")).status_code == 404
    # Frontline roles have no export permission.
    assert world.client("grid_worker").get(_url("export", kind="households")).status_code == 404


@pytest.mark.django_db
def test_export_cli_writes_masked_file(world, tmp_path, capsys) -> None:  # noqa: ANN001
    from lianxin.people.exports import run_export_cli

    r = make_resident(make_household(world.building), name="命令行导出")
    out = tmp_path / "r.xlsx"
    assert (
        run_export_cli(
            kind="residents", path=out, unit_code=world.village.code, username="village_staff"
        )
        == 0
    )
    rows = list(load_workbook(out, read_only=True).active.iter_rows(values_only=True))
    assert rows[1][2] == "命令行导出" and rows[1][6] == r.id_number_masked
    assert "已导出居民 1 行" in capsys.readouterr().out
    assert (
        run_export_cli(
            kind="residents", path=out, unit_code=world.village.code, username="other_village_staff"
        )
        == 2
    )


@pytest.mark.django_db
def test_household_detail_shows_the_linking_party_member_masked(world) -> None:  # noqa: ANN001
    # Party test factories are imported here, not at module level: people comes before party.
    from lianxin.party.tests.factories import make_link, make_member, make_org

    h = make_household(world.building)
    make_resident(h)
    url = _url("household_detail", h)
    client = world.client("village_staff")
    unlinked = _count_queries(client, url)
    assert "联户党员" not in client.get(url).content.decode()

    member = make_member(make_org(world.village), name="刘联户", phone="13812345678")
    make_link(member, h)
    page = client.get(url).content.decode()
    assert "联户党员" in page and "刘联户" in page
    assert reverse("party:member_detail", kwargs={"public_id": member.public_id}) in page
    assert "138****5678" in page and "13812345678" not in page
    # One query for the link whether or not there is one, and none per resident.
    assert _count_queries(client, url) == unlinked
    for _ in range(4):
        make_resident(h)
    assert _count_queries(client, url) == unlinked


@pytest.mark.django_db
def test_household_detail_names_a_member_outside_scope_without_linking(world) -> None:  # noqa: ANN001
    from lianxin.party.tests.factories import make_link, make_member, make_org

    h = make_household(world.building)
    # The member's organisation sits at the street, above the grid worker's scope.
    member = make_member(make_org(world.street), name="街道党员")
    make_link(member, h)
    page = world.client("grid_worker").get(_url("household_detail", h)).content.decode()
    assert "街道党员" in page
    assert reverse("party:member_detail", kwargs={"public_id": member.public_id}) not in page
