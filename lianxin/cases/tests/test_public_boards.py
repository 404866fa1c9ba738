"""楼院有话 (the community's public column) and the results board (成果清单, 示)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.cases.services import lifecycle
from lianxin.cases.tests.factories import make_case, photo, resolved_case, submit
from lianxin.cases.views.public import mask_digits
from lianxin.cases.workflow import Satisfaction

pytestmark = pytest.mark.django_db


def column_url(world) -> str:  # noqa: ANN001
    return reverse("resident:column", args=[world.village.code])


def board_url(world) -> str:  # noqa: ANN001
    return reverse("resident:board", args=[world.village.code])


def test_mask_digits() -> None:
    assert mask_digits("请打13812345678联系") == "请打＊＊＊联系"
    assert mask_digits("电话 138 1234 5678 或 0391-8123456") == "电话 ＊＊＊ 或 ＊＊＊"
    assert mask_digits("3号楼2单元501室，2024年") == "3号楼2单元501室，2024年"


def test_column_shows_published_requests_without_personal_data(world) -> None:
    make_case(
        world.building,
        text="楼道灯不亮，联系我13812345678。我家住3单元501",
        name="王秀英",
        phone="13812345678",
        allow_publish=True,
    )
    make_case(world.building, text="不愿公开的问题：邻居家漏水", allow_publish=False)
    hidden = make_case(world.building, text="被隐藏的问题：有人乱贴广告", allow_publish=True)
    lifecycle.case_board_visibility(
        case=hidden, actor=world.actor("village_staff"), hidden=True, reason="涉及个人纠纷"
    )
    make_case(world.other_village, text="西关社区的问题：路面塌陷", allow_publish=True)
    response = Client().get(column_url(world))
    assert response.status_code == 200
    html = response.content.decode()
    assert "楼道灯不亮，联系我＊＊＊" in html and "迎秀小区1号楼" in html
    assert "13812345678" not in html and "138****5678" not in html
    assert "王秀英" not in html and "3单元501" not in html  # only the title is public
    assert "邻居家漏水" not in html and "乱贴广告" not in html and "路面塌陷" not in html
    assert "我要反映" in html
    assert Client().get(reverse("resident:column", args=[world.grid.code])).status_code == 404


def test_column_shows_the_public_answers(world) -> None:
    case = make_case(world.building, text="家里水管漏水，楼下被淹了", allow_publish=True)
    lifecycle.case_guide(
        case=case,
        actor=world.actor("village_staff"),
        guidance="属于家庭维修，可拨打便民维修电话 0391-8123456",
    )
    html = Client().get(column_url(world)).content.decode()
    assert "属于家庭维修，可拨打便民维修电话 ＊＊＊" in html and "8123456" not in html


def _count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_column_query_count_is_constant(world) -> None:
    client = Client()
    for i in range(3):
        make_case(world.building, text=f"第{i}个问题：楼道堆放杂物很多", allow_publish=True)
    few = _count_queries(client, column_url(world))
    for i in range(27):
        unit = world.building if i % 2 else world.sibling_building
        make_case(
            unit, text=f"又一个问题{i}：垃圾清运不及时", allow_publish=True, code="sanitation"
        )
    many = _count_queries(client, column_url(world))
    assert few == many <= 6


def _board_case(world, text: str, **kw):  # noqa: ANN001, ANN003, ANN202
    case = resolved_case(world, text=text, photos=[photo("before.jpg")], **kw)
    return case


def test_board_lists_resolved_requests_and_hides_hidden_ones(world) -> None:
    shown = _board_case(world, "2单元楼道灯坏了，晚上很黑", allow_publish=True, name="李大爷")
    lifecycle.case_rate_by_resident(case=shown, satisfaction=Satisfaction.SATISFIED)
    private = _board_case(world, "我家门口的下水道堵了，电话13800001111", allow_publish=False)
    hidden = _board_case(world, "被隐藏的成果：乱停车", allow_publish=True)
    lifecycle.case_board_visibility(
        case=hidden, actor=world.actor("village_staff"), hidden=True, reason="当事人要求不公开"
    )
    make_case(world.building, text="还在办理的问题：路灯坏了", allow_publish=True)
    html = Client().get(board_url(world)).content.decode()
    assert "2单元楼道灯坏了" in html and "已更换楼道灯泡，恢复照明" in html
    assert "满意" in html and "李大爷" not in html
    # Without consent: the item shows by category and result, never the resident's words.
    assert "下水道堵了" not in html and "13800001111" not in html
    assert "乱停车" not in html and "还在办理的问题" not in html
    assert "2 件已办结" in html.replace("<strong>", "").replace("</strong>", "")
    # Photos: the consenting resident's before photo shows; the other one's does not.
    shown_before = shown.photos.get(stage="before")
    private_before = private.photos.get(stage="before")
    assert str(shown_before.public_id) in html and str(private_before.public_id) not in html


def test_board_photos_are_served_only_for_board_visible_requests(world) -> None:
    case = _board_case(world, "2单元楼道灯坏了，晚上很黑", allow_publish=True)
    before = case.photos.get(stage="before")
    url = reverse("resident:board_photo", args=[world.village.code, before.public_id])
    ok = Client().get(url)
    assert ok.status_code == 200 and ok["Content-Type"] == "image/jpeg"
    other = reverse("resident:board_photo", args=[world.other_village.code, before.public_id])
    assert Client().get(other).status_code == 404
    lifecycle.case_board_visibility(
        case=case, actor=world.actor("village_staff"), hidden=True, reason="涉及隐私"
    )
    assert Client().get(url).status_code == 404
    # An open request's photo is never on the board.
    pending = submit(world.building, photos=[photo()], allow_publish=True).case
    pending_url = reverse(
        "resident:board_photo", args=[world.village.code, pending.photos.get().public_id]
    )
    assert Client().get(pending_url).status_code == 404


def test_board_satisfaction_summary(world) -> None:
    for satisfaction in (Satisfaction.SATISFIED, Satisfaction.BASIC, Satisfaction.UNSATISFIED):
        case = _board_case(world, "2单元楼道灯坏了，晚上很黑", allow_publish=True)
        if satisfaction == Satisfaction.UNSATISFIED:
            # 不满意 reopens it: no longer on the board.
            lifecycle.case_rate_by_resident(case=case, satisfaction=satisfaction, comment="没修好")
        else:
            lifecycle.case_rate_by_resident(case=case, satisfaction=satisfaction)
    html = Client().get(board_url(world)).content.decode()
    # (1 + 0.9 × 1) / 2 = 95%
    assert "满意 1，基本满意 1，不满意 0" in html and "95.0%" in html


def test_board_query_count_is_constant(world) -> None:
    client = Client()
    for _ in range(3):
        _board_case(world, "2单元楼道灯坏了，晚上很黑", allow_publish=True)
    few = _count_queries(client, board_url(world))
    for i in range(27):
        _board_case(world, f"问题{i}：楼道灯坏了", allow_publish=bool(i % 2))
    many = _count_queries(client, board_url(world))
    assert few == many <= 8


def test_mediations_and_errands_never_reach_public_pages(world) -> None:
    from lianxin.cases.services import intake
    from lianxin.cases.workflow import Channel, Kind

    staff = world.actor("village_staff")
    errand = intake.case_file(
        actor=staff,
        unit=world.building,
        description="上门办：为独居老人张秀兰办理养老金资格认证",
        channel=Channel.VISIT,
        kind=Kind.ERRAND,
        allow_publish=True,  # even when the person agreed, errands stay off public pages
    ).case
    assert errand.allow_publish
    lifecycle.case_assign(
        case=errand, actor=staff, handler_unit=world.grid, assignee_id=world.users["grid_worker"].pk
    )
    gw = world.actor("grid_worker")
    lifecycle.case_take(case=errand, actor=gw)
    lifecycle.case_resolve(case=errand, actor=gw, result="已为张秀兰完成认证")
    intake.case_file(
        actor=staff,
        unit=world.building,
        description="楼上漏水淹了楼下，李家和赵家双方争执",
        channel=Channel.WALK_IN,
        kind=Kind.MEDIATION,
    )
    for url in (column_url(world), board_url(world)):
        html = Client().get(url).content.decode()
        assert "张秀兰" not in html and "养老金" not in html and "李家和赵家" not in html
    page = Client().get(reverse("resident:qr", args=[world.building.code])).content.decode()
    assert "张秀兰" not in page and "李家和赵家" not in page
