"""QR intake (码上办) and the 楼院有话 form through the browser-facing pages."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from lianxin.cases.models import Case, CaseEvent, CasePhoto
from lianxin.cases.services.config import case_settings
from lianxin.cases.services.photos import gps_from_upload
from lianxin.cases.tests.factories import fake_photo, gps_photo, make_case, photo
from lianxin.cases.workflow import Channel, Status
from lianxin.core.testing import make_unit

pytestmark = pytest.mark.django_db

TEXT = "3号楼2单元楼道灯不亮好几天了，晚上上下楼很危险"


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def qr_url(unit) -> str:  # noqa: ANN001
    return reverse("resident:qr", args=[unit.code])


def post(client: Client, unit, **fields):  # noqa: ANN001, ANN003, ANN201
    ip = fields.pop("ip", "10.0.0.1")
    return client.post(qr_url(unit), {"description": TEXT, **fields}, REMOTE_ADDR=ip)


def test_qr_page_names_the_place(world) -> None:
    page = Client().get(qr_url(world.building))
    assert page.status_code == 200
    html = page.content.decode()
    assert "迎秀社区 · 迎秀小区1号楼" in html
    assert 'name="description"' in html and 'name="photos"' in html
    assert 'accept="image/*"' in html and "multiple" in html
    # Categories are grouped by parent and carry their help text.
    assert "<optgroup" in html and "楼道灯" in html
    assert Client().get(qr_url(world.village)).status_code == 200
    assert "迎秀社区第一网格" in Client().get(qr_url(world.grid)).content.decode()


def test_qr_page_404_for_other_kinds_and_retired_places(world) -> None:
    assert Client().get(qr_url(world.street)).status_code == 404
    assert Client().get(reverse("resident:qr", args=["nope"])).status_code == 404
    retired = make_unit("building", "B-RETIRED", "拆迁楼", world.grid)
    retired.is_active = False
    retired.save()
    assert Client().get(qr_url(retired)).status_code == 404


def test_submit_redirects_to_the_private_page_with_the_tracking_number(world) -> None:
    client = Client()
    response = post(client, world.building, phone="13812345678", name="王阿姨")
    assert response.status_code == 302
    case = Case.objects.get()
    assert response["Location"].startswith("/r/t/") and response["Location"].endswith("?new=1")
    assert case.channel == Channel.QR and case.unit == world.building
    assert case.status == Status.RECEIVED and case.reporter_phone_masked == "138****5678"
    assert case.source_digest and "10.0.0.1" not in case.source_digest
    page = client.get(response["Location"])
    html = page.content.decode()
    assert case.tracking_no in html and "请保存本页链接" in html
    assert page["Referrer-Policy"] == "strict-origin" and page["X-Robots-Tag"] == "noindex"


def test_category_is_optional_and_kept(world) -> None:
    post(Client(), world.building, category="lighting")
    post(Client(), world.building, ip="10.0.0.2")
    cats = sorted(str(c.category.code if c.category else "") for c in Case.objects.all())
    assert cats == ["", "lighting"]


def test_a_text_file_renamed_jpg_is_refused_naming_it(world) -> None:
    response = post(
        Client(),
        world.building,
        photos=[photo("ok.jpg"), fake_photo("账单.jpg")],
        name="王阿姨",
        phone="13812345678",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "文件“账单.jpg”不是有效的图片" in html
    # Everything typed is kept; the photos must be chosen again, and we say so kindly.
    assert TEXT in html and "王阿姨" in html and "13812345678" in html
    assert "请重新选择照片" in html
    assert not Case.objects.exists() and not CasePhoto.objects.exists()


def test_oversize_photo_is_refused(world) -> None:
    big = SimpleUploadedFile("大图.jpg", b"\xff\xd8" + b"0" * (5 * 1024 * 1024 + 10))
    response = post(Client(), world.building, photos=[big])
    assert "照片“大图.jpg”超过5MB" in response.content.decode()
    assert not Case.objects.exists()


def test_more_than_nine_photos_is_refused(world) -> None:
    response = post(Client(), world.building, photos=[photo(f"{i}.jpg") for i in range(10)])
    assert "最多上传9张照片" in response.content.decode()
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "请描述遇到的问题"),
        ("   ", "请描述遇到的问题"),
        ("。。。。。。。", "请用几句话说明问题"),
        ("aaaaaaaaaaaa", "问题描述看起来不完整"),
        ("楼" * 2001, "问题描述最多2000字"),
    ],
)
def test_empty_garbage_or_oversized_descriptions(world, text: str, message: str) -> None:
    response = post(Client(), world.building, description=text)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Case.objects.exists()


def test_bad_phone_is_shown_next_to_the_phone(world) -> None:
    html = post(Client(), world.building, phone="12345").content.decode()
    assert "手机号应为11位数字" in html and TEXT in html
    assert not Case.objects.exists()


def test_rate_limit_per_address(world) -> None:
    settings_row = case_settings()
    settings_row.public_per_source_hour = 2
    settings_row.save()
    client = Client()
    assert post(client, world.building).status_code == 302
    assert post(client, world.building).status_code == 302
    refused = post(client, world.building)
    assert refused.status_code == 200 and "提交过于频繁" in refused.content.decode()
    assert Case.objects.count() == 2
    # Another address is not affected.
    assert post(client, world.building, ip="10.9.9.9").status_code == 302


def test_rate_limit_per_phone(world) -> None:
    settings_row = case_settings()
    settings_row.public_per_phone_day = 1
    settings_row.save()
    assert post(Client(), world.building, phone="13812345678").status_code == 302
    refused = post(Client(), world.building, phone="138 1234 5678", ip="10.0.0.7")
    assert "该手机号今天提交的诉求已达上限" in refused.content.decode()
    assert Case.objects.count() == 1


def _stored_gps(case: Case) -> dict:
    stored = case.photos.get()
    with stored.image.open("rb") as fh, Image.open(io.BytesIO(fh.read())) as image:
        return dict(image.getexif().get_ifd(0x8825))


def test_location_is_kept_only_when_shared_and_never_in_the_stored_photo(world) -> None:
    post(Client(), world.building, photos=[gps_photo()], ip="10.0.0.3")
    not_shared = Case.objects.get()
    assert not_shared.latitude is None and not_shared.longitude is None
    assert _stored_gps(not_shared) == {}

    post(Client(), world.building, photos=[gps_photo()], share_location="on", ip="10.0.0.4")
    shared = Case.objects.exclude(pk=not_shared.pk).get()
    assert shared.latitude == Decimal("34.910000") and shared.longitude == Decimal("112.790000")
    assert _stored_gps(shared) == {}


def test_gps_reader_handles_photos_without_position(world) -> None:
    assert gps_from_upload(photo()) is None
    assert gps_from_upload(fake_photo()) is None
    upload = gps_photo()
    assert gps_from_upload(upload) is not None and upload.tell() == 0


def test_no_tracking_number_when_storing_a_photo_fails(world, monkeypatch) -> None:
    def broken(self, name, content):  # noqa: ANN001, ANN202
        raise OSError("disk full")

    monkeypatch.setattr(FileSystemStorage, "_save", broken)
    response = post(Client(), world.building, photos=[photo()], phone="13812345678")
    assert response.status_code == 200
    html = response.content.decode()
    assert "照片保存失败" in html and TEXT in html
    assert "/r/t/" not in html
    assert not Case.objects.exists() and not CaseEvent.objects.exists()


def test_public_posts_need_csrf(world) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post(qr_url(world.building), {"description": TEXT}).status_code == 403
    case = make_case(world.building, allow_publish=True)
    assert client.post(reverse("resident:support"), {"case": case.public_id}).status_code == 403
    assert client.post(reverse("resident:lookup"), {}).status_code == 403
    page = client.get(qr_url(world.building))
    assert "csrfmiddlewaretoken" in page.content.decode()
    assert not Case.objects.exclude(pk=case.pk).exists()


def test_similar_open_requests_are_shown_with_a_support_button(world) -> None:
    published = make_case(world.building, text="2单元楼道灯坏了，晚上很黑", allow_publish=True)
    make_case(world.building, text="2单元楼道灯不亮，请尽快修理", allow_publish=False)
    html = Client().get(qr_url(world.building)).content.decode()
    assert "2单元楼道灯坏了" in html and "我也遇到了（附议）" in html
    assert str(published.public_id) in html
    # Without the reporter's consent a request is never shown to other residents.
    assert "请尽快修理" not in html


def test_similar_partial_ranks_and_suggests_a_category(world) -> None:
    make_case(world.building, text="2单元楼道灯坏了，晚上很黑", allow_publish=True)
    make_case(
        world.building, text="小区门口垃圾堆了三天没人清运", code="sanitation", allow_publish=True
    )
    url = reverse("resident:similar")
    html = Client().get(url, {"unit": world.building.code, "description": TEXT}).content.decode()
    assert "2单元楼道灯坏了" in html and "垃圾" not in html
    assert "选这个类别" in html
    # Another grid's requests are not "the same place".
    elsewhere = Client().get(url, {"unit": world.sibling_building.code, "description": TEXT})
    assert "楼道灯坏了" not in elsewhere.content.decode()
    assert Client().get(url, {"unit": "nope", "description": TEXT}).status_code == 200


def test_support_instead_of_a_duplicate(world) -> None:
    case = make_case(world.building, allow_publish=True)
    client = Client()
    back = qr_url(world.building)
    response = client.post(
        reverse("resident:support"),
        {"case": case.public_id, "next": back, "description": "whatever"},
        REMOTE_ADDR="10.1.1.1",
    )
    assert response.status_code == 302 and response["Location"] == back
    case.refresh_from_db()
    assert case.support_count == 1
    again = client.post(
        reverse("resident:support"), {"case": case.public_id, "next": back}, REMOTE_ADDR="10.1.1.1"
    )
    assert "已经反映或附议过" in client.get(again["Location"]).content.decode()
    case.refresh_from_db()
    assert case.support_count == 1
    # Unpublished or unknown requests cannot be supported from outside.
    hidden = make_case(world.building, allow_publish=False)
    assert client.post(reverse("resident:support"), {"case": hidden.public_id}).status_code == 404


def test_support_refuses_an_offsite_next(world) -> None:
    case = make_case(world.building, allow_publish=True)
    response = Client().post(
        reverse("resident:support"), {"case": case.public_id, "next": "https://evil.example/"}
    )
    assert response["Location"] == qr_url(world.building)


def test_column_form_submits_with_a_chosen_place(world) -> None:
    url = reverse("resident:column_submit", args=[world.village.code])
    page = Client().get(url)
    html = page.content.decode()
    assert "迎秀小区1号楼" in html and "迎秀小区9号楼" in html and "西关" not in html
    missing = Client().post(url, {"description": TEXT})
    assert "请选择问题所在的楼栋" in missing.content.decode()
    other = Client().post(url, {"description": TEXT, "place": world.other_village.code})
    assert other.status_code == 200 and not Case.objects.exists()
    done = Client().post(
        url, {"description": TEXT, "place": world.sibling_building.code, "allow_publish": "on"}
    )
    assert done.status_code == 302
    case = Case.objects.get()
    assert case.channel == Channel.COLUMN and case.unit == world.sibling_building
    assert case.allow_publish is True
    assert Client().get(reverse("resident:column_submit", args=["nope"])).status_code == 404
