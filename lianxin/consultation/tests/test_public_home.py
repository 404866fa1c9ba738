"""The residents' side: a village's consultation page, proposing and supporting on the phone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.consultation.models import Decision, ResidentProposal
from lianxin.consultation.services import meetings, minutes, votes
from lianxin.consultation.services import proposals as svc
from lianxin.consultation.tests import factories as f
from lianxin.consultation.tests.test_proposals import neighbour, propose, signed_in
from lianxin.core.testing import build_world

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


@pytest.fixture
def world():  # noqa: ANN201
    return build_world()


def home_url(world) -> str:  # noqa: ANN001
    return reverse("consultation_public:unit_home", args=[world.village.code])


def _fill(world, n: int) -> None:  # noqa: ANN001
    """`n` of everything the page lists."""
    staff = world.actor("village_staff")
    for i in range(n):
        propose(world, neighbour(world.building, f"提议人{i}"), title=f"议题{i}")
        f.meeting(world, title=f"预告会议{i}")
    f.households(world.building, 3)
    m = f.open_meeting(world, attendees=3, title="已开会议")
    for i in range(n):
        item = votes.item_add(actor=staff, meeting=m, title=f"已议事项{i}")
        votes.item_conclude(actor=staff, item=item, outcome="discussed", note="同意")
    minutes.minutes_save(actor=staff, meeting=m, body="记录")
    meetings.meeting_close(actor=staff, meeting=m)
    minutes.minutes_lock(actor=staff, meeting=m)
    for i in range(n):
        Decision.objects.create(
            unit=world.village,
            title=f"落实事项{i}",
            summary="修路",
            responsible="村委会",
            decided_on=dt.date(2025, 1, 1),
            due_on=dt.date(2025, 6, 1),
            progress=40,
        )


def test_unit_home_lists_what_residents_may_see(world) -> None:  # noqa: ANN001
    me = neighbour(world.building, "王秀英", phone=PHONE)
    p = propose(world, neighbour(world.building, "张建国"), title="东门加装路灯")
    svc.proposal_support(proposal=p, resident=me)
    f.meeting(world, title="三月居民议事会")
    f.meeting(world, title="内部协调会", is_public=False)
    f.households(world.building, 7)
    m = f.open_meeting(world, attendees=7, title="二月议事会")
    item = f.voting_item(world, m, title="更换楼道灯")
    staff = world.actor("village_staff")
    for a in m.attendances.all()[:5]:
        votes.ballot_record(actor=staff, item=item, elector_key=a.elector_key, choice="yes")
    votes.item_vote_close(actor=staff, item=item)
    declined = propose(world, neighbour(world.building, "刘洋"), title="被答复的议题")
    svc.proposal_decline(actor=staff, proposal=declined, answer="已安排")

    html = Client().get(home_url(world)).content.decode()
    assert "三月居民议事会" in html and "内部协调会" not in html
    assert "东门加装路灯" in html and "张*" in html and "张建国" not in html
    assert "被答复的议题" not in html
    assert "更换楼道灯" in html and "71%" in html
    assert 'class="support"' in html
    # Signed in, the resident sees the proposal as supported.
    html = signed_in(PHONE).get(home_url(world)).content.decode()
    assert "已支持" in html


def test_unit_home_query_count_does_not_grow(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    _fill(world, 2)
    client = signed_in(PHONE)
    neighbour(world.building, "王秀英", phone=PHONE)
    with django_assert_max_num_queries(16) as small:
        assert client.get(home_url(world)).status_code == 200
    _fill(world, 8)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(home_url(world)).status_code == 200


def test_unknown_village_is_404(world) -> None:  # noqa: ANN001
    assert Client().get(reverse("consultation_public:unit_home", args=["nope"])).status_code == 404
    url = reverse("consultation_public:unit_home", args=[world.street.code])
    assert Client().get(url).status_code == 404


def test_proposal_new_needs_the_phone_session(world) -> None:  # noqa: ANN001
    url = reverse("consultation_public:proposal_new", args=[world.village.code])
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("resident:login") + "?next=%2Fc%2Fv%2F")
    # Signed in with a phone registered in another village: refused, with the reason.
    neighbour(world.other_village, "外村人", phone="13700000001")
    response = signed_in("13700000001").get(url)
    assert response.status_code == 403 and "没有登记在" in response.content.decode()


def test_propose_on_the_phone_keeps_input_on_errors(world) -> None:  # noqa: ANN001
    neighbour(world.building, "王秀英", phone=PHONE)
    client = signed_in(PHONE)
    url = reverse("consultation_public:proposal_new", args=[world.village.code])
    response = client.post(url, {"title": "", "body": "楼下垃圾桶太少"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "请填写议题" in html and "楼下垃圾桶太少" in html
    response = client.post(
        url, {"title": "增设垃圾桶", "body": "楼下垃圾桶太少", "place": world.grid.code}
    )
    p = ResidentProposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "consultation_public:proposal_public", args=[p.public_id]
    )
    assert (p.proposer_label, p.place) == ("王**", world.grid)
    page = client.get(response["Location"]).content.decode()
    assert "增设垃圾桶" in page and "撤回议题" in page and "我支持" not in page


def test_support_and_withdraw_buttons(world) -> None:  # noqa: ANN001
    proposer = neighbour(world.building, "张建国", phone="13600000000")
    p = propose(world, proposer)
    neighbour(world.sibling_building, "王秀英", phone=PHONE)
    page = reverse("consultation_public:proposal_public", args=[p.public_id])
    support = reverse("consultation_public:proposal_support", args=[p.public_id])
    # Not signed in: to the login, coming back to the proposal.
    response = Client().post(support)
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("resident:login")
    )
    client = signed_in(PHONE)
    assert client.post(support)["Location"] == page
    assert client.post(support)["Location"] == page
    p.refresh_from_db()
    assert p.support_count == 1
    html = client.get(page).content.decode()
    assert "您已支持" in html and "只能支持一次" in html
    # The proposer withdraws it; the public page is gone.
    owner = signed_in("13600000000")
    response = owner.post(reverse("consultation_public:proposal_withdraw", args=[p.public_id]))
    assert response["Location"] == home_url(world)
    assert Client().get(page).status_code == 404


def test_decided_proposal_shows_rate_and_answer(world) -> None:  # noqa: ANN001
    p = propose(world)
    f.households(world.building, 8)
    m = f.open_meeting(world, attendees=8)
    staff = world.actor("village_staff")
    item = f.voting_item(world, m, proposal=p, title=p.title)
    for a in m.attendances.all()[:6]:
        votes.ballot_record(actor=staff, item=item, elector_key=a.elector_key, choice="yes")
    item = votes.item_vote_close(actor=staff, item=item, note="下月安装")
    assert item.support_rate == Decimal("0.7500")
    html = Client().get(reverse("consultation_public:proposal_public", args=[p.public_id]))
    text = html.content.decode()
    assert "已议决" in text and "75%" in text and "下月安装" in text
