"""The resident's private page (督 / 评), lookup by phone and the list of one's requests."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from lianxin.cases.models import Case
from lianxin.cases.services import intake, lifecycle
from lianxin.cases.tests.factories import make_case, photo, submit
from lianxin.cases.workflow import Action, Level, Satisfaction, Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def track_url(token: str) -> str:
    return reverse("resident:track", args=[token])


def _dispatched(world, **kw):  # noqa: ANN001, ANN003, ANN202
    sub = submit(world.building, photos=[photo("before.jpg")], **kw)
    staff = world.actor("village_staff")
    lifecycle.case_accept(case=sub.case, actor=staff)
    lifecycle.case_triage(case=sub.case, actor=staff, level=Level.SMALL, note="内部分流说明甲")
    lifecycle.case_assign(
        case=sub.case,
        actor=staff,
        handler_unit=world.grid,
        assignee_id=world.users["grid_worker"].pk,
    )
    return sub


def test_private_page_shows_only_public_steps(world) -> None:
    sub = _dispatched(world)
    gw = world.actor("grid_worker")
    lifecycle.case_take(case=sub.case, actor=gw)
    lifecycle.case_note(case=sub.case, actor=gw, note="内部备注乙：住户难沟通")
    lifecycle.case_progress(case=sub.case, actor=gw, note="已联系物业，明天更换灯泡")
    response = Client().get(track_url(sub.token))
    assert response.status_code == 200
    html = response.content.decode()
    assert sub.case.tracking_no in html and "已受理" in html
    assert "已联系物业，明天更换灯泡" in html
    assert "内部分流说明甲" not in html and "内部备注乙" not in html
    # Steps are shown by post, not by a person's name.
    assert "网格员" in html and "grid_worker" not in html
    assert response["Referrer-Policy"] == "strict-origin"
    assert response["X-Robots-Tag"] == "noindex"
    assert "no-store" in response["Cache-Control"]


def test_wrong_token_is_404(world) -> None:
    make_case(world.building)
    assert Client().get(track_url("not-a-real-token")).status_code == 404
    assert Client().get(track_url("x" * 80)).status_code == 404


def test_photos_only_of_that_case(world) -> None:
    mine = submit(world.building, photos=[photo("mine.jpg")])
    other = submit(world.building, photos=[photo("other.jpg")], phone="13900000000")
    my_photo = mine.case.photos.get()
    their_photo = other.case.photos.get()
    ok = Client().get(reverse("resident:track_photo", args=[mine.token, my_photo.public_id]))
    assert ok.status_code == 200 and ok["Content-Type"] == "image/jpeg"
    assert ok["Referrer-Policy"] == "no-referrer"
    assert ok.getvalue()[:2] == b"\xff\xd8"
    stolen = Client().get(reverse("resident:track_photo", args=[mine.token, their_photo.public_id]))
    assert stolen.status_code == 404
    html = Client().get(track_url(mine.token)).content.decode()
    assert str(my_photo.public_id) in html and str(their_photo.public_id) not in html


def test_resolved_result_after_photos_and_rating(world) -> None:
    sub = _dispatched(world)
    gw = world.actor("grid_worker")
    lifecycle.case_take(case=sub.case, actor=gw)
    lifecycle.case_resolve(
        case=sub.case, actor=gw, result="已更换灯泡，恢复照明", photos=[photo("after.jpg")]
    )
    client = Client()
    html = client.get(track_url(sub.token)).content.decode()
    assert "已更换灯泡，恢复照明" in html and "评价办理结果" in html
    after = sub.case.photos.get(stage="after")
    assert str(after.public_id) in html
    # 不满意 needs a reason; the form says so next to the comment.
    refused = client.post(track_url(sub.token), {"satisfaction": Satisfaction.UNSATISFIED})
    assert "不满意时请说明原因" in refused.content.decode()
    done = client.post(
        track_url(sub.token), {"satisfaction": Satisfaction.BASIC, "comment": "还行"}
    )
    assert done.status_code == 302
    case = Case.objects.get(pk=sub.case.pk)
    assert case.status == Status.FOLLOWED_UP and case.satisfaction == Satisfaction.BASIC
    html = client.get(track_url(sub.token)).content.decode()
    assert "感谢您的评价" in html and "评价办理结果" not in html  # rated once per result
    again = client.post(track_url(sub.token), {"satisfaction": Satisfaction.SATISFIED})
    assert again.status_code == 200 and "您已评价过本次办理结果" in again.content.decode()
    assert Case.objects.get(pk=case.pk).satisfaction == Satisfaction.BASIC


def test_no_rating_form_before_the_result(world) -> None:
    sub = _dispatched(world)
    html = Client().get(track_url(sub.token)).content.decode()
    assert "评价办理结果" not in html
    response = Client().post(track_url(sub.token), {"satisfaction": Satisfaction.SATISFIED})
    assert "办结后才能评价" in response.content.decode()
    assert Case.objects.get(pk=sub.case.pk).satisfaction == ""


def test_rejection_reason_and_guidance_are_shown(world) -> None:
    rejected = submit(world.building)
    lifecycle.case_reject(
        case=rejected.case,
        actor=world.actor("village_staff"),
        reason="属于商品房质量纠纷，请联系开发商",
    )
    assert "属于商品房质量纠纷" in Client().get(track_url(rejected.token)).content.decode()
    guided = submit(world.building, text="家里水管漏水了，想找人来修一下", phone="13900001111")
    lifecycle.case_guide(
        case=guided.case,
        actor=world.actor("village_staff"),
        guidance="属于个人家庭维修，可联系社区便民维修服务",
        referral="便民维修站 电话 0391-1234567",
    )
    html = Client().get(track_url(guided.token)).content.decode()
    assert "属于个人家庭维修" in html and "便民维修站" in html and "私事" in html


def test_merged_request_shows_the_survivors_steps(world) -> None:
    survivor = _dispatched(world, allow_publish=True)
    dup = submit(world.building, text="楼道灯坏了好几天", phone="13900002222")
    lifecycle.case_merge(case=dup.case, into=survivor.case, actor=world.actor("village_staff"))
    gw = world.actor("grid_worker")
    alive = Case.objects.get(pk=survivor.case.pk)
    lifecycle.case_take(case=alive, actor=gw)
    lifecycle.case_progress(case=alive, actor=gw, note="灯泡已订购，明天到货")
    html = Client().get(track_url(dup.token)).content.decode()
    assert "已与同一问题合并办理" in html and survivor.case.tracking_no in html
    assert "灯泡已订购，明天到货" in html
    # The survivor's before photos were another resident's: not served through this link.
    their_before = survivor.case.photos.get(stage="before")
    url = reverse("resident:track_photo", args=[dup.token, their_before.public_id])
    assert Client().get(url).status_code == 404


def test_lookup_lists_all_requests_of_the_phone(world) -> None:
    first = submit(world.building, phone="13812345678")
    second = submit(world.sibling_building, phone="138-1234-5678", text="9号楼门口的路灯坏了一个月")
    submit(world.building, phone="13900000000", text="别人的问题：楼下有人占道经营")
    client = Client()
    response = client.post(
        reverse("resident:lookup"),
        {"tracking_no": first.case.tracking_no.lower(), "phone": "13812345678"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("resident:mine")
    html = client.get(reverse("resident:mine")).content.decode()
    assert first.case.tracking_no in html and second.case.tracking_no in html
    assert "占道经营" not in html
    detail = client.get(reverse("resident:mine_case", args=[second.case.tracking_no]))
    assert detail.status_code == 200 and "9号楼门口的路灯坏了" in detail.content.decode()
    assert detail["Referrer-Policy"] == "strict-origin"
    # Another phone's request is not reachable through the session.
    other = Case.objects.get(description__contains="占道经营")
    assert client.get(reverse("resident:mine_case", args=[other.tracking_no])).status_code == 404
    # Forgetting the phone ends the list.
    client.post(reverse("resident:mine"))
    assert client.get(reverse("resident:mine"))["Location"] == reverse("resident:lookup")


def test_lookup_error_does_not_reveal_whether_the_number_exists(world) -> None:
    sub = submit(world.building, phone="13812345678")
    wrong_phone = Client().post(
        reverse("resident:lookup"), {"tracking_no": sub.case.tracking_no, "phone": "13900000000"}
    )
    wrong_number = Client().post(
        reverse("resident:lookup"), {"tracking_no": "000000XXXXX", "phone": "13812345678"}
    )
    message = "没有找到匹配的诉求，请核对受理编号和手机号"
    assert message in wrong_phone.content.decode() and message in wrong_number.content.decode()
    assert Client().get(reverse("resident:mine"))["Location"] == reverse("resident:lookup")


def test_lookup_is_rate_limited_per_address(world) -> None:
    sub = submit(world.building, phone="13812345678")
    url = reverse("resident:lookup")
    for _ in range(20):
        Client().post(url, {"tracking_no": "000000XXXXX", "phone": "13800000000"})
    blocked = Client().post(url, {"tracking_no": sub.case.tracking_no, "phone": "13812345678"})
    assert blocked.status_code == 200 and "查询次数过多" in blocked.content.decode()
    elsewhere = Client().post(
        url, {"tracking_no": sub.case.tracking_no, "phone": "13812345678"}, REMOTE_ADDR="10.2.2.2"
    )
    assert elsewhere.status_code == 302


def test_the_token_is_stored_only_as_a_digest(world) -> None:
    sub = submit(world.building)
    case = Case.objects.get(pk=sub.case.pk)
    assert sub.token not in case.access_digest and case.access_digest == intake.access_digest(
        sub.token
    )
    assert case.events.filter(action=Action.SUBMIT, is_public=True).exists()
