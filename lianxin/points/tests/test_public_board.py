"""积分公示栏: masked subjects, the objection form through the page, its rate limit, the
recently booked list, the QR code and query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from lianxin.accounts.actor import Actor
from lianxin.accounts.permissions import Role
from lianxin.core import clock
from lianxin.core.testing import make_household, make_resident, make_user
from lianxin.points.models import Objection, Proposal
from lianxin.points.services import proposals
from lianxin.points.services.accounts import account_for_household
from lianxin.points.services.config import points_settings
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def wang(unit, *, head: str = "王秀英", door: str = "3单元501室"):  # noqa: ANN001, ANN201
    """A household whose head's name, door and phone must never reach a public page."""
    household = make_household(unit, address=door, head_name=head)
    make_resident(household, name=head, phone=PHONE)
    return account_for_household(household)


def board_url(world) -> str:  # noqa: ANN001
    return reverse("points_public:board", args=[world.village.code])


def object_url(p: Proposal) -> str:
    return reverse("points_public:object", args=[p.public_id])


def test_board_shows_notice_with_masked_subject(world) -> None:  # noqa: ANN001
    account = wang(world.building)
    p = f.approved(world, account, description="王秀英家院子很干净，电话13912345678")
    f.propose(world, wang(world.building, head="李四海", door="5单元101室"))  # pending
    elsewhere = f.propose(
        world, wang(world.other_village, head="赵钱孙", door="1单元1室"), by="other_village_staff"
    )
    secretary = make_user("ov_secretary", Role.VILLAGE_SECRETARY, world.other_village)
    proposals.proposal_approve(actor=Actor.for_user(secretary), proposal=elsewhere)
    html = Client().get(board_url(world)).content.decode()
    assert "王**家 · 迎秀小区1号楼" in html
    assert "庭院整洁、物品摆放有序" in html and "+5 分" in html and "公示中" in html
    assert f"p-{p.public_id}" in html and "我有异议" in html
    assert "王秀英" not in html and "3单元501室" not in html
    assert "13912345678" not in html and "5678" not in html
    assert "李" not in html  # pending: not on the board yet
    assert "赵" not in html  # another village's board
    assert reverse("points_public:ranking", args=[world.village.code]) in html


def test_unknown_or_non_village_code_is_404(world) -> None:  # noqa: ANN001
    client = Client()
    assert client.get(reverse("points_public:board", args=["nope"])).status_code == 404
    assert client.get(reverse("points_public:board", args=[world.grid.code])).status_code == 404
    assert client.get(reverse("points_public:ranking", args=[world.grid.code])).status_code == 404


def test_objection_through_the_page(world) -> None:  # noqa: ANN001
    p = f.approved(world, wang(world.building))
    client = Client()
    response = client.post(
        object_url(p), {"text": "他家院子其实没有打扫过，堆满杂物", "phone": "138 0000 1111"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{board_url(world)}#p-{p.public_id}"
    html = client.get(board_url(world)).content.decode()
    assert "已收到您的异议" in html and "有异议" in html
    assert "13800001111" not in html and "1111" not in html
    objection = Objection.objects.get()
    assert objection.phone_masked == "138****1111"
    assert objection.source_digest  # keyed digest of the address, not the address
    assert "127.0.0.1" not in objection.source_digest
    p.refresh_from_db()
    assert p.status == Proposal.Status.OBJECTED
    # A second objection while it is held is still received.
    assert client.post(object_url(p), {"text": "我也认为不属实，请核实"}).status_code == 302
    assert Objection.objects.count() == 2


def test_objection_errors_name_the_field_and_keep_the_input(world) -> None:  # noqa: ANN001
    p = f.approved(world, wang(world.building))
    client = Client()
    html = client.post(object_url(p), {"text": "", "phone": "13800001111"}).content.decode()
    assert "请写明异议的理由" in html and 'value="13800001111"' in html
    assert f'id="o-{p.public_id}-text"' in html and "open" in html
    html = client.post(object_url(p), {"text": "不对", "phone": ""}).content.decode()
    assert "至少5个字" in html and "不对</textarea>" in html
    html = client.post(
        object_url(p), {"text": "这条积分与事实不符", "phone": "12345"}
    ).content.decode()
    assert "请填写11位手机号" in html and "这条积分与事实不符" in html
    assert not Objection.objects.exists()


def test_objection_rate_limit_per_address(world) -> None:  # noqa: ANN001
    limit = points_settings().objections_per_source_hour
    items = [
        f.approved(world, wang(world.building, head=f"居民{i}", door=f"{i}室")) for i in range(2)
    ]
    client = Client()
    for i in range(limit):
        response = client.post(object_url(items[i % 2]), {"text": f"第{i}条异议：情况不属实"})
        assert response.status_code == 302
    html = client.post(object_url(items[0]), {"text": "再提一条：情况不属实"}).content.decode()
    assert "提交过于频繁" in html
    assert Objection.objects.count() == limit
    # Another address is not held back.
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.post(object_url(items[0]), {"text": "另一处网络：情况不属实"}).status_code == 302
    # An hour later the first address may object again.
    with clock.travel(clock.now() + dt.timedelta(minutes=61)):
        assert (
            client.post(object_url(items[1]), {"text": "一小时后：情况不属实"}).status_code == 302
        )


def test_after_notice_no_form_and_objection_refused(world) -> None:  # noqa: ANN001
    p = f.approved(world, wang(world.building))
    with clock.travel(p.notice_until + dt.timedelta(minutes=5)):
        client = Client()
        html = client.get(board_url(world)).content.decode()
        assert "公示期满，待入账" in html and "提交异议" not in html
        html = client.post(object_url(p), {"text": "公示期过了还能提吗"}).content.decode()
        assert "公示期已结束" in html
    assert not Objection.objects.exists()


def test_object_needs_a_proposal_that_was_on_notice(world) -> None:  # noqa: ANN001
    import uuid

    client = Client()
    pending = f.propose(world, wang(world.building))
    assert client.post(object_url(pending), {"text": "还没公示的也能反对吗"}).status_code == 404
    url = reverse("points_public:object", args=[uuid.uuid4()])
    assert client.post(url, {"text": "不存在的事项反对一下"}).status_code == 404
    p = f.approved(world, wang(world.building, head="李四海", door="2室"))
    assert client.get(object_url(p)).status_code == 405


def test_recently_booked(world) -> None:  # noqa: ANN001
    old = f.booked(world, wang(world.building, head="钱老汉", door="1室"))
    with clock.travel(old.booked_at + dt.timedelta(days=31)):
        recent = f.booked(world, wang(world.building, head="孙大娘", door="2室"))
        html = Client().get(board_url(world)).content.decode()
    assert recent.status == Proposal.Status.BOOKED
    assert "孙*" in html and "入账" in html
    assert "钱*" not in html
    assert "孙大娘" not in html


def test_reversed_shows_as_such(world) -> None:  # noqa: ANN001
    p = f.booked(world, wang(world.building))
    proposals.proposal_reverse(actor=world.actor("village_secretary"), proposal=p, reason="重复")
    html = Client().get(board_url(world)).content.decode()
    assert "已冲正" in html


def test_board_qr_is_a_png_of_the_board_url(world) -> None:  # noqa: ANN001
    response = Client().get(reverse("points_public:board_qr", args=[world.village.code]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
    nope = reverse("points_public:board_qr", args=["nope"])
    assert Client().get(nope).status_code == 404


def _fill(world, start: int, stop: int) -> None:  # noqa: ANN001
    # Booked five days ago, so their booking sweep does not book today's approvals.
    with clock.travel(clock.now() - dt.timedelta(days=5)):
        for i in range(start, stop):
            f.booked(
                world,
                wang(world.sibling_building, head=f"乙{i}", door=f"{i}室"),
                by="village_staff",
            )
    for i in range(start, stop):
        f.approved(world, wang(world.building, head=f"甲{i}", door=f"{i}室"))


def test_board_query_count_is_constant(world, django_assert_max_num_queries, settings) -> None:  # noqa: ANN001
    settings.LIANXIN_CONFIG_RECHECK_SECONDS = 3600  # no snapshot freshness check mid-count
    _fill(world, 0, 3)
    client = Client()
    client.get(board_url(world))  # warm the configuration snapshots
    with django_assert_max_num_queries(4) as few:
        client.get(board_url(world))
    _fill(world, 3, 20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(board_url(world)).content.decode()
    assert html.count("我有异议") == 20 and html.count("入账</span>") == 20
