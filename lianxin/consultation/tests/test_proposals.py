"""Residents' proposals through their services: who may propose, support (once per resident
and phone, not one's own, only while open, only neighbours), withdraw and decline; and the
way onto an agenda and back."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from lianxin.cases.services import residents
from lianxin.consultation.models import ProposalSupport, ResidentProposal
from lianxin.consultation.services import proposals as svc
from lianxin.consultation.services import votes
from lianxin.consultation.tests import factories as f
from lianxin.core import clock, crypto
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.testing import build_world, make_household, make_resident

pytestmark = pytest.mark.django_db

Status = ResidentProposal.Status


@pytest.fixture
def world():  # noqa: ANN201
    return build_world()


def neighbour(unit: Any, name: str = "王秀英", *, phone: str | None = None) -> Any:
    """A resident with a phone in a household of `unit`."""
    return make_resident(make_household(unit, head_name=name), name=name, phone=phone)


def propose(world: Any, resident: Any = None, **kw: Any) -> ResidentProposal:
    fields: dict[str, Any] = {"title": "小区东门加装路灯", "body": "晚上东门太黑，老人出入不便。"}
    fields.update(kw)
    return svc.proposal_submit(
        resident=resident or neighbour(world.building, "张建国"), unit=world.village, **fields
    )


def signed_in(phone: str) -> Client:
    """A browser signed in with the phone (the session resident:login opens)."""
    client = Client()
    session = client.session
    session[residents.SESSION_KEY] = crypto.phone_digest(phone)
    session[residents.SESSION_MASK_KEY] = crypto.mask_phone(phone)
    session.save()
    return client


def test_submit_is_public_with_a_masked_name(world) -> None:  # noqa: ANN001
    p = propose(world, neighbour(world.building, "张建国"), place=world.grid)
    assert (p.status, p.proposer_label, p.support_count) == (Status.OPEN, "张**", 0)
    assert p.place == world.grid


def test_submit_refuses_outsiders_bad_input_and_too_many(world) -> None:  # noqa: ANN001
    outsider = neighbour(world.other_village, "赵四")
    with pytest.raises(DomainError, match="本村（社区）登记的居民") as exc:
        propose(world, outsider)
    assert exc.value.field == "unit"
    me = neighbour(world.building, "钱五", phone="13900001111")
    with pytest.raises(DomainError) as exc:
        propose(world, me, title="  ")
    assert exc.value.field == "title"
    with pytest.raises(DomainError) as exc:
        propose(world, me, place=world.other_village)
    assert exc.value.field == "place"
    # A shared phone counts together: two residents of one phone, three a day in all.
    spouse = make_resident(me.household, name="孙六", phone="13900001111")
    propose(world, me)
    propose(world, spouse)
    propose(world, me)
    with pytest.raises(DomainError, match="每天最多") as exc:
        propose(world, spouse)
    assert exc.value.field == "title"
    with clock.travel(clock.now() + dt.timedelta(days=1)):
        propose(world, me)
    assert ResidentProposal.objects.filter(proposer__phone_digest=me.phone_digest).count() == 4


def test_twelve_neighbours_support_once_each(world) -> None:  # noqa: ANN001
    proposer = neighbour(world.building, "张建国")
    p = propose(world, proposer)
    supporters = [neighbour(world.sibling_building, f"邻居{i}") for i in range(12)]
    for r in supporters:
        svc.proposal_support(proposal=p, resident=r)
    p.refresh_from_db()
    assert p.support_count == 12
    # The 13th: again from a resident who supported, or another resident of the same phone.
    with pytest.raises(DomainError, match="只能支持一次"):
        svc.proposal_support(proposal=p, resident=supporters[0])
    same_phone = make_resident(
        supporters[1].household, name="邻居1家属", phone=crypto.decrypt(supporters[1].phone_cipher)
    )
    with pytest.raises(DomainError, match="只能支持一次"):
        svc.proposal_support(proposal=p, resident=same_phone)
    with pytest.raises(DomainError, match="不能支持自己"):
        svc.proposal_support(proposal=p, resident=proposer)
    with pytest.raises(DomainError, match="本村（社区）登记的居民"):
        svc.proposal_support(proposal=p, resident=neighbour(world.other_village, "外村人"))
    p.refresh_from_db()
    assert p.support_count == 12 == ProposalSupport.objects.filter(proposal=p).count()


def test_support_only_while_open_and_withdraw_by_the_proposer(world) -> None:  # noqa: ANN001
    proposer = neighbour(world.building, "张建国")
    p = propose(world, proposer)
    other = neighbour(world.building, "李四")
    with pytest.raises(DomainError, match="只有提议人"):
        svc.proposal_withdraw(proposal=p, resident=other)
    svc.proposal_withdraw(proposal=p, resident=proposer)
    p.refresh_from_db()
    assert p.status == Status.WITHDRAWN
    with pytest.raises(DomainError, match="不再征集支持"):
        svc.proposal_support(proposal=p, resident=other)
    with pytest.raises(DomainError, match="不能进行此操作"):
        svc.proposal_withdraw(proposal=p, resident=proposer)


def test_decline_needs_staff_and_an_answer(world) -> None:  # noqa: ANN001
    p = propose(world)
    with pytest.raises(PermissionDenied):
        svc.proposal_decline(actor=world.actor("other_village_staff"), proposal=p, answer="不行")
    with pytest.raises(PermissionDenied):
        svc.proposal_decline(actor=world.actor("grid_worker"), proposal=p, answer="不行")
    with pytest.raises(DomainError) as exc:
        svc.proposal_decline(actor=world.actor("village_staff"), proposal=p, answer=" ")
    assert exc.value.field == "answer"
    p = svc.proposal_decline(
        actor=world.actor("village_staff"), proposal=p, answer="已纳入街道亮化工程统一安装。"
    )
    p.refresh_from_db()
    assert (p.status, p.answer) == (Status.DECLINED, "已纳入街道亮化工程统一安装。")
    with pytest.raises(DomainError, match="不能进行此操作"):
        svc.proposal_decline(actor=world.actor("village_staff"), proposal=p, answer="再答复")


def test_agenda_and_back(world) -> None:  # noqa: ANN001
    p = propose(world)
    f.households(world.building, 3)
    m = f.open_meeting(world, attendees=3)
    staff = world.actor("village_staff")
    item = votes.item_add(actor=staff, meeting=m, title=p.title, proposal=p)
    p.refresh_from_db()
    assert p.status == Status.SCHEDULED
    with pytest.raises(DomainError, match="不再征集支持"):
        svc.proposal_support(proposal=p, resident=neighbour(world.building, "周七"))
    votes.item_conclude(actor=staff, item=item, outcome="discussed", note="由物业负责安装。")
    p.refresh_from_db()
    assert p.status == Status.DECIDED and "由物业负责安装" in p.answer
