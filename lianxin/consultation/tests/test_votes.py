"""Agenda items and votes through services and pages: one vote each, electors only, the
quorum, exact thresholds, one-time links, residents' sign-in and vote on the phone, the
request that hears back, and the ballot sheet's query budget."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.cases.models import OutboundMessage
from lianxin.cases.services.residents import SESSION_KEY, SESSION_MASK_KEY
from lianxin.cases.tests import factories as cf
from lianxin.consultation import electorate
from lianxin.consultation.models import AgendaItem, Attendance, Ballot, ResidentProposal
from lianxin.consultation.services import meetings, votes
from lianxin.consultation.tests import factories as f
from lianxin.core import clock
from lianxin.core.errors import DomainError
from lianxin.core.testing import make_household, make_resident

pytestmark = pytest.mark.django_db


def _keys(world: Any, kind: str = "households") -> list[str]:
    return [e.key for e in electorate.electors(world.village, kind, on=clock.now().date())]


def _resident_client(resident: Any) -> Client:
    client = Client()
    session = client.session
    session[SESSION_KEY] = resident.phone_digest
    session[SESSION_MASK_KEY] = resident.phone_masked
    session.save()
    return client


def _staff(world: Any) -> Any:
    return world.actor("village_staff")


# --- one vote each, electors only --------------------------------------------------------------


def test_one_vote_each_in_person_and_on_the_sheet(world) -> None:  # noqa: ANN001
    f.households(world.building, 3)
    m = f.open_meeting(world, code="property_face_to_face", attendees=3)
    item = f.voting_item(world, m)
    first, second = _keys(world)[:2]
    votes.ballot_record(actor=_staff(world), item=item, elector_key=first, choice="yes")
    with pytest.raises(DomainError, match="已经投过票") as exc:
        votes.ballot_record(actor=_staff(world), item=item, elector_key=first, choice="no")
    assert exc.value.field == "elector"
    # The sheet: an htmx click answers with the row, marked as voted, and the new count.
    client = world.client("village_staff")
    url = reverse("consultation:item_ballot", args=[item.public_id])
    html = client.post(
        url, {"elector": second, "choice": "no"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "已投：反对" in html and 'id="ballot-count" hx-swap-oob="true">2<' in html
    again = client.post(url, {"elector": second, "choice": "yes"}, HTTP_HX_REQUEST="true")
    assert "已经投过票" in again.content.decode()
    assert Ballot.objects.filter(item=item).count() == 2
    item.refresh_from_db()
    assert item.ballot_count == 2


def test_not_eligible_refused(world) -> None:  # noqa: ANN001
    f.households(world.building, 3)
    stranger = make_household(world.other_village, head_name="外村户")
    make_resident(stranger, name="外村户")
    m = f.open_meeting(world, code="property_face_to_face", attendees=2)
    item = f.voting_item(world, m)
    for key in (f"household:{stranger.pk}", "resident:1", "garbage", ""):
        with pytest.raises(DomainError, match="没有表决权"):
            votes.ballot_record(actor=_staff(world), item=item, elector_key=key, choice="yes")
    # An item for those present: a household that did not sign in has no vote.
    only_present = f.voting_item(world, m, title="到会表决", electorate="attendees")
    absent = _keys(world)[2]
    with pytest.raises(DomainError, match="没有表决权"):
        votes.ballot_record(
            actor=_staff(world), item=only_present, elector_key=absent, choice="yes"
        )
    # The sheet of that item lists the attendees only.
    html = world.client("village_staff").get(
        reverse("consultation:item_roll", args=[only_present.public_id])
    )
    assert "共 2 人" in html.content.decode()
    # Another village's staff cannot record at all.
    with pytest.raises(DomainError):
        votes.ballot_record(
            actor=world.actor("other_village_staff"),
            item=item,
            elector_key=_keys(world)[0],
            choice="yes",
        )
    assert not Ballot.objects.exists()


def test_vote_without_quorum_refused_on_the_page(world) -> None:  # noqa: ANN001
    f.representatives(world.village, 9)
    m = f.open_meeting(world, code="resident_reps", attendees=4)
    item = f.voting_item(world, m)
    for key in [a.elector_key for a in m.attendances.all()]:
        votes.ballot_record(actor=_staff(world), item=item, elector_key=key, choice="yes")
    client = world.client("village_staff")
    response = client.post(
        reverse("consultation:item_vote_close", args=[item.public_id]),
        {"note": "同意修缮", "version": item.version},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "到会4人，未达到法定人数" in html and "需6人" in html
    assert "同意修缮" in html  # what was typed is kept
    item.refresh_from_db()
    assert item.status == "voting" and item.decided_at is None


# --- exact thresholds ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yes", "status", "rate"), [(19, "passed", "0.9500"), (18, "rejected", "0.9000")]
)
def test_ninety_five_percent_of_households(world, yes: int, status: str, rate: str) -> None:  # noqa: ANN001
    f.households(world.building, 20)
    m = f.open_meeting(world, code="property_face_to_face", attendees=20)
    item = f.voting_item(
        world,
        m,
        title="加装电梯",
        threshold="share",
        threshold_share=Decimal("95"),
        base="eligible",
    )
    keys = _keys(world)
    for n, key in enumerate(keys):
        choice = "yes" if n < yes else "no"
        votes.ballot_record(actor=_staff(world), item=item, elector_key=key, choice=choice)
    closed = votes.item_vote_close(actor=_staff(world), item=item)
    assert (closed.status, closed.support_rate) == (status, Decimal(rate))
    assert (closed.yes_count, closed.no_count, closed.eligible_count) == (yes, 20 - yes, 20)
    html = (
        world.client("village_staff")
        .get(reverse("consultation:item_detail", args=[item.public_id]))
        .content.decode()
    )
    assert f"{Decimal(rate) * 100:.2f}%" in html and "95%以上同意" in html
    assert ("<strong>通过</strong>" in html) == (status == "passed")


# --- one-time links ------------------------------------------------------------------------------


def _link_token(item: AgendaItem) -> str:
    msg = OutboundMessage.objects.filter(template="consultation_vote_link").latest("id")
    assert msg.payload["title"] == item.title
    return msg.payload["url"].rstrip("/").rsplit("/", 1)[1]


def test_online_link_works_once_and_not_after_close(world) -> None:  # noqa: ANN001
    f.households(world.building, 4)
    m = f.open_meeting(world, code="property_face_to_face", attendees=4)
    item = f.voting_item(world, m, allow_online=True)
    client = world.client("village_staff")
    response = client.post(reverse("consultation:item_links_send", args=[item.public_id]))
    assert response.status_code == 302
    sent = OutboundMessage.objects.filter(template="consultation_vote_link")
    assert sent.count() == 4
    urls = [msg.payload["url"] for msg in sent.order_by("id")]
    assert all(u.startswith("http://testserver/c/vote/") for u in urls)
    tokens = [u.rstrip("/").rsplit("/", 1)[1] for u in urls]
    resident = Client()
    page = resident.get(f"/c/vote/{tokens[0]}/")
    assert page.status_code == 200 and "过半数同意" in page.content.decode()
    assert page["Referrer-Policy"] == "strict-origin"
    done = resident.post(f"/c/vote/{tokens[0]}/", {"choice": "yes"})
    assert "投票成功" in done.content.decode()
    again = resident.post(f"/c/vote/{tokens[0]}/", {"choice": "no"})
    assert again.status_code == 410 and "已失效" in again.content.decode()
    assert Ballot.objects.filter(item=item, channel="online").count() == 1
    # A second send goes only to those with neither link nor ballot: nobody.
    assert votes.vote_links_send(actor=_staff(world), item=item, base_url="http://x/c/vote/") == (
        0,
        0,
    )
    item.refresh_from_db()
    votes.item_vote_close(actor=_staff(world), item=item)
    late = resident.post(f"/c/vote/{tokens[1]}/", {"choice": "yes"})
    assert late.status_code == 410
    assert Ballot.objects.filter(item=item).count() == 1
    assert resident.get("/c/vote/not-a-token/").status_code == 410


def test_online_refused_for_attendees(world) -> None:  # noqa: ANN001
    f.households(world.building, 2)
    m = f.open_meeting(world, code="property_face_to_face", attendees=1)
    with pytest.raises(DomainError) as exc:
        votes.item_add(
            actor=_staff(world), meeting=m, title="x", electorate="attendees", allow_online=True
        )
    assert exc.value.field == "allow_online"


# --- residents on the phone ----------------------------------------------------------------------


def test_resident_signs_in_by_code(world) -> None:  # noqa: ANN001
    homes = f.households(world.building, 3)
    m = f.open_meeting(world, code="property_face_to_face")
    me = homes[0].residents.get()
    url = reverse("consultation_public:meeting_signin", args=[m.public_id])
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/r/login/?next=")
    client = _resident_client(me)
    page = client.get(url).content.decode()
    assert "签到码" in page and homes[0].address in page
    wrong = client.post(url, {"code": "000000" if m.signin_code != "000000" else "111111"})
    assert wrong.status_code == 400 and "签到码不正确" in wrong.content.decode()
    short = client.post(url, {"code": "12"})
    assert "签到码是6位数字" in short.content.decode()
    ok = client.post(url, {"code": m.signin_code}).content.decode()
    assert "签到成功" in ok
    assert Attendance.objects.filter(meeting=m, method="code").count() == 1
    assert "您已签到" in client.get(url).content.decode()
    assert "您已签到" in client.post(url, {"code": m.signin_code}).content.decode()
    assert Attendance.objects.filter(meeting=m).count() == 1
    # Someone of another village is told they are not in the electorate.
    outsider = make_resident(make_household(world.other_village), name="外村人")
    assert "不在本次会议的参会人员范围内" in _resident_client(outsider).get(url).content.decode()


def test_resident_votes_with_the_phone_session(world) -> None:  # noqa: ANN001
    homes = f.households(world.building, 3)
    m = f.open_meeting(world, code="property_face_to_face", attendees=2)
    item = f.voting_item(world, m, allow_online=True)
    url = reverse("consultation_public:item_vote", args=[item.public_id])
    assert Client().get(url).status_code == 302
    client = _resident_client(homes[2].residents.get())
    assert "同意" in client.get(url).content.decode()
    assert "投票成功" in client.post(url, {"choice": "abstain"}).content.decode()
    assert "您已投票" in client.post(url, {"choice": "yes"}).content.decode()
    ballot = Ballot.objects.get(item=item)
    assert (ballot.elector_key, ballot.choice) == (f"household:{homes[2].pk}", "abstain")
    offline = f.voting_item(world, m, title="现场表决")
    assert (
        client.get(reverse("consultation_public:item_vote", args=[offline.public_id])).status_code
        == 404
    )


# --- items from requests and proposals -----------------------------------------------------------


def test_item_from_a_request_leaves_notes_on_it(world) -> None:  # noqa: ANN001
    f.households(world.building, 5)
    case = cf.make_case(world.building)
    m = f.open_meeting(world, code="property_face_to_face", attendees=5)
    client = world.client("village_staff")
    response = client.post(
        reverse("consultation:item_add", args=[m.public_id]),
        {
            "source": "case",
            "tracking_no": case.tracking_no.lower(),
            "threshold": "majority",
            "base": "present",
        },
    )
    assert response.status_code == 302
    item = AgendaItem.objects.get(case=case)
    assert item.title == case.title and item.source == "case"
    item = votes.item_vote_open(actor=_staff(world), item=item)
    for n, key in enumerate(_keys(world)):
        votes.ballot_record(
            actor=_staff(world), item=item, elector_key=key, choice="yes" if n < 4 else "no"
        )
    votes.item_vote_close(actor=_staff(world), item=item, note="下月施工")
    notes = list(case.events.order_by("id").values_list("note", flat=True))
    assert any("已提交" in n and m.title in n for n in notes)
    assert any(n.startswith("协商结果：通过，支持率80.00%") and "下月施工" in n for n in notes)
    timeline = client.get(reverse("cases:detail", args=[case.public_id])).content.decode()
    assert "协商结果：通过" in timeline


def test_item_form_keeps_bad_input_and_refuses_foreign_requests(world) -> None:  # noqa: ANN001
    f.households(world.building, 2)
    foreign = cf.make_case(world.other_village)
    m = f.meeting(world, code="property_face_to_face")
    client = world.client("village_staff")
    url = reverse("consultation:item_add", args=[m.public_id])
    assert "增加议题" in client.get(url).content.decode()
    bad = client.post(
        url,
        {
            "source": "staff",
            "title": "修路",
            "description": "南段",
            "threshold": "share",
            "threshold_share": "40",
            "base": "cast",
        },
    )
    html = bad.content.decode()
    assert bad.status_code == 400 and "大于50%" in html and "南段" in html and "修路" in html
    missing = client.post(
        url,
        {
            "source": "case",
            "tracking_no": foreign.tracking_no,
            "threshold": "majority",
            "base": "cast",
        },
    )
    assert "未找到该诉求编号" in missing.content.decode()
    assert not AgendaItem.objects.exists()
    # Another village's staff never sees the form.
    assert world.client("other_village_staff").get(url).status_code == 404


def test_item_from_an_open_proposal(world) -> None:  # noqa: ANN001
    f.households(world.building, 2)
    proposal = ResidentProposal.objects.create(
        unit=world.village, title="增设快递柜", body="小区没有快递柜", proposer_label="王*"
    )
    m = f.meeting(world, code="property_face_to_face")
    client = world.client("village_staff")
    url = reverse("consultation:item_add", args=[m.public_id])
    assert "增设快递柜" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "source": "proposal",
            "proposal": str(proposal.public_id),
            "threshold": "two_thirds",
            "base": "cast",
            "electorate": "residents",
        },
    )
    assert response.status_code == 302
    assert "已增加议题：增设快递柜" in client.get(response["Location"]).content.decode()
    item = AgendaItem.objects.get(proposal=proposal)
    assert (item.title, item.threshold, item.electorate) == (
        "增设快递柜",
        "two_thirds",
        "residents",
    )
    proposal.refresh_from_db()
    assert proposal.status == "scheduled"
    # Scheduled: no longer on the pick list.
    assert "增设快递柜" not in client.get(url).content.decode()


def test_conclude_without_a_vote(world) -> None:  # noqa: ANN001
    f.households(world.building, 2)
    m = f.open_meeting(world, code="property_face_to_face", attendees=1)
    item = votes.item_add(actor=_staff(world), meeting=m, title="通报垃圾分类")
    client = world.client("village_staff")
    url = reverse("consultation:item_conclude", args=[item.public_id])
    empty = client.post(url, {"outcome": "discussed", "note": "", "version": item.version})
    assert empty.status_code == 400
    done = client.post(url, {"outcome": "deferred", "note": "下次再议", "version": item.version})
    assert done.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.outcome_note) == ("deferred", "下次再议")
    stale = client.post(url, {"outcome": "discussed", "note": "x", "version": item.version - 1})
    assert stale.status_code == 400  # not pending any more


def test_street_staff_sees_but_cannot_act(world) -> None:  # noqa: ANN001
    f.households(world.building, 2)
    m = f.open_meeting(world, code="property_face_to_face", attendees=2)
    item = votes.item_add(actor=_staff(world), meeting=m, title="修缮排水沟")
    client = world.client("street_staff")
    page = client.get(reverse("consultation:item_detail", args=[item.public_id]))
    assert page.status_code == 200 and "开始表决" not in page.content.decode()
    refused = client.post(
        reverse("consultation:item_vote_open", args=[item.public_id]), {"version": item.version}
    )
    assert refused.status_code == 403
    assert client.get(reverse("consultation:item_roll", args=[item.public_id])).status_code == 404


# --- query budgets -------------------------------------------------------------------------------


def test_ballot_sheet_and_item_page_query_budget(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    f.households(world.building, 70)
    m = f.open_meeting(world, code="property_face_to_face", attendees=40)
    item = f.voting_item(world, m, allow_online=True)
    for key in _keys(world)[:35]:
        votes.ballot_record(actor=_staff(world), item=item, elector_key=key, choice="yes")
    client = world.client("village_staff")
    roll = reverse("consultation:item_roll", args=[item.public_id])
    detail = reverse("consultation:item_detail", args=[item.public_id])
    client.get(roll)  # warm the session and the actor
    with django_assert_max_num_queries(12):
        html = client.get(roll).content.decode()
    assert html.count("已投：同意") == 30 and "共 70 人" in html
    with django_assert_max_num_queries(12):
        html = client.get(roll, {"page": "3"}).content.decode()
    assert html.count("已投：同意") == 0 and "第 3 / 3 页" in html
    with django_assert_max_num_queries(12):
        html = client.get(roll, {"q": "住户1"}).content.decode()
    assert "共 11 人" in html
    with django_assert_max_num_queries(16):
        html = client.get(detail).content.decode()
    assert "表决票（35）" in html
    key = _keys(world)[50]
    with django_assert_max_num_queries(20):
        client.post(
            reverse("consultation:item_ballot", args=[item.public_id]),
            {"elector": key, "choice": "no"},
            HTTP_HX_REQUEST="true",
        )
    assert meetings.meeting_quorum(m).present == 40


def test_agenda_rows_on_the_meeting_page(world) -> None:  # noqa: ANN001
    f.households(world.building, 4)
    case = cf.make_case(world.building)
    m = f.open_meeting(world, code="property_face_to_face", attendees=4)
    staff = _staff(world)
    votes.item_add(actor=staff, meeting=m, title="待议议题")
    voting = f.voting_item(world, m, title="表决中议题", case=case)
    decided = f.voting_item(world, m, title="已表决议题")
    for key in _keys(world)[:3]:
        votes.ballot_record(actor=staff, item=decided, elector_key=key, choice="yes")
    votes.item_vote_close(actor=staff, item=decided)
    html = (
        world.client("village_staff")
        .get(reverse("consultation:meeting_detail", args=[m.public_id]))
        .content.decode()
    )
    assert "开始表决" in html and "现场计票" in html and "查看结果" in html
    assert case.tracking_no in html and voting.title in html
    assert f"支持率 <strong>{_decided_rate(decided)}</strong>" in html


def _decided_rate(item: AgendaItem) -> str:
    item.refresh_from_db()
    assert item.support_rate is not None
    return f"{item.support_rate * 100:.2f}%"
