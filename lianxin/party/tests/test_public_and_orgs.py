"""The public member page behind the board's QR code, and renaming/retiring organisations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lianxin.audit.models import AuditEvent
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.testing import make_household
from lianxin.party import services
from lianxin.party.models import Duty, OrgKind, PartyOrganisation
from lianxin.party.tests.factories import (
    make_activity,
    make_link,
    make_linked_households,
    make_member,
    make_org,
)

pytestmark = pytest.mark.django_db


def _public_url(member) -> str:  # noqa: ANN001
    return reverse("party:member_public", kwargs={"public_id": member.public_id})


@pytest.fixture
def public_member(world):  # noqa: ANN001, ANN201
    org = make_org(world.grid, name="迎秀一网格党支部", kind=OrgKind.BRANCH)
    member = make_member(org, name="王建军", phone="13812345678", is_central_household=True)
    make_link(member, make_household(world.building, address="3单元501", head_name="欧阳娜娜"))
    make_link(
        member, make_household(world.sibling_building, address="1单元102", head_name="司马光明")
    )
    today = timezone.localdate()
    make_activity(member, duty=Duty.VISIT, occurred_on=today, summary="入户走访独居老人")
    make_activity(member, duty=Duty.VISIT, occurred_on=today - dt.timedelta(days=10))
    make_activity(member, duty=Duty.MEDIATE, occurred_on=today - dt.timedelta(days=200))
    return member


# --- public member page ------------------------------------------------------------------


def test_public_page_answers_anonymous_with_board_facts_only(public_member) -> None:
    response = Client().get(_public_url(public_member))
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("王建军", "迎秀一网格党支部", "138****5678", "党员中心户"):
        assert text in page
    for duty in ("联系走访", "政策宣传", "议事协商", "志愿服务", "矛盾调解"):
        assert duty in page
    assert "迎秀小区1号楼" in page and "迎秀小区9号楼" in page
    # Two visits in the last 90 days; the mediation 200 days ago is not counted.
    assert "<dt>联系走访</dt><dd>2 次</dd>" in page
    assert "<dt>矛盾调解</dt><dd>0 次</dd>" in page
    # No doors, no household heads (not even masked), no record text, no ids, no staff nav.
    for secret in ("3单元501", "1单元102", "欧阳", "司马", "入户走访独居老人", "13812345678"):
        assert secret not in page
    household_ids = [str(lk.household.public_id) for lk in public_member.links.all()]
    org_id = str(public_member.organisation.public_id)
    for opaque in [*household_ids, org_id]:
        assert opaque not in page
    assert 'id="mainnav"' not in page
    assert reverse("party:member_detail", kwargs={"public_id": public_member.public_id}) not in page


def test_public_page_stays_masked_even_with_board_consent(public_member) -> None:
    page = Client().get(_public_url(public_member)).content.decode()
    assert "如需联系请咨询社区（村）" in page and "完整号码见张贴的公示牌" not in page
    public_member.board_phone_consent = True
    public_member.save()
    page = Client().get(_public_url(public_member)).content.decode()
    assert "138****5678" in page and "13812345678" not in page
    assert "完整号码见张贴的公示牌" in page and "如需联系请咨询社区（村）" not in page


def test_public_page_of_inactive_or_unknown_member_is_404(world, public_member) -> None:
    services.member_update(
        actor=world.actor("village_staff"),
        member=public_member,
        organisation=public_member.organisation,
        name=public_member.name,
        is_active=False,
    )
    assert Client().get(_public_url(public_member)).status_code == 404
    unknown = reverse(
        "party:member_public", kwargs={"public_id": "00000000-0000-4000-8000-000000000000"}
    )
    assert Client().get(unknown).status_code == 404


def test_public_page_query_count_does_not_grow(world) -> None:
    org = make_org(world.grid)

    def count(member) -> int:  # noqa: ANN001
        with CaptureQueriesContext(connection) as ctx:
            assert Client().get(_public_url(member)).status_code == 200
        return len(ctx.captured_queries)

    small = make_member(org)
    make_linked_households(small, world.building, 1)
    big = make_member(org)
    make_linked_households(big, world.building, 6)
    make_linked_households(big, world.sibling_building, 6)
    for duty in Duty:
        make_activity(big, duty=duty)
    assert count(small) == count(big) <= 4


def test_board_qr_leads_to_the_public_page(settings, world, public_member) -> None:
    from lianxin.party.board import member_public_url

    settings.LIANXIN_PUBLIC_BASE_URL = "https://lianxin.example.cn"
    url = member_public_url(public_member)
    assert url == "https://lianxin.example.cn" + _public_url(public_member)


# --- renaming and retiring organisations -------------------------------------------------


def test_rename_keeps_old_name_in_audit_and_refuses_clash(world) -> None:
    actor = world.actor("village_staff")
    committee = make_org(world.village, name="迎秀社区党委", kind=OrgKind.COMMITTEE)
    make_org(world.village, name="迎秀社区党总支", kind=OrgKind.GENERAL_BRANCH)
    services.organisation_rename(actor=actor, organisation=committee, name=" 迎秀社区党委员会 ")
    committee.refresh_from_db()
    assert committee.name == "迎秀社区党委员会"
    event = AuditEvent.objects.filter(object_id=str(committee.public_id)).order_by("-id").first()
    assert event is not None and "迎秀社区党委" in str(event.changes)
    with pytest.raises(DomainError, match="同名") as exc:
        services.organisation_rename(actor=actor, organisation=committee, name="迎秀社区党总支")
    assert exc.value.field == "name"
    with pytest.raises(DomainError, match="不能为空"):
        services.organisation_rename(actor=actor, organisation=committee, name="  ")
    with pytest.raises(PermissionDenied):
        services.organisation_rename(
            actor=world.actor("other_village_staff"), organisation=committee, name="别的名字"
        )


def test_retire_refused_while_members_or_children_remain_naming_them(world) -> None:
    actor = world.actor("village_staff")
    committee = make_org(world.village, name="迎秀社区党委", kind=OrgKind.COMMITTEE)
    branch = make_org(world.grid, name="一网格党支部", kind=OrgKind.BRANCH, parent=committee)
    member = make_member(committee, name="李红梅")
    with pytest.raises(DomainError) as exc:
        services.organisation_retire(actor=actor, organisation=committee)
    assert "李红梅" in exc.value.message and "一网格党支部" in exc.value.message
    services.organisation_retire(actor=actor, organisation=branch)
    services.member_update(
        actor=actor, member=member, organisation=committee, name="李红梅", is_active=False
    )
    services.organisation_retire(actor=actor, organisation=committee)
    assert not PartyOrganisation.objects.get(pk=committee.pk).is_active
    with pytest.raises(DomainError, match="已撤销"):
        services.organisation_retire(actor=actor, organisation=committee)
    with pytest.raises(DomainError, match="已撤销"):
        services.organisation_rename(actor=actor, organisation=committee, name="新名")
    with pytest.raises(DomainError, match="已停用"):
        services.member_create(actor=actor, organisation=committee, name="新党员")


def test_retire_message_shortens_long_member_lists(world) -> None:
    org = make_org(world.grid, name="一网格党支部")
    for i in range(7):
        make_member(org, name=f"党员{i}")
    with pytest.raises(DomainError, match="等 7 个"):
        services.organisation_retire(actor=world.actor("village_staff"), organisation=org)


def test_org_edit_page_keeps_bad_input_and_saves(world) -> None:
    org = make_org(world.village, name="迎秀社区党委", kind=OrgKind.COMMITTEE)
    make_org(world.village, name="迎秀社区党总支", kind=OrgKind.GENERAL_BRANCH)
    client = world.client("village_staff")
    url = reverse("party:org_edit", kwargs={"public_id": org.public_id})
    response = client.post(url, {"name": "迎秀社区党总支"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "已有同名党组织" in body and 'value="迎秀社区党总支"' in body
    response = client.post(url, {"name": "迎秀社区党委（新）"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.name == "迎秀社区党委（新）"
    # Visible but not manageable: the grid worker sees the grid's branch, may not rename it.
    branch = make_org(world.grid, name="一网格党支部", parent=org)
    branch_url = reverse("party:org_edit", kwargs={"public_id": branch.public_id})
    assert world.client("grid_worker").get(branch_url).status_code == 403


def test_org_retire_page_needs_confirmation_and_lists_blockers(world) -> None:
    org = make_org(world.village, name="迎秀社区党委", kind=OrgKind.COMMITTEE)
    make_member(org, name="赵大勇")
    client = world.client("village_staff")
    url = reverse("party:org_retire", kwargs={"public_id": org.public_id})
    assert "赵大勇" in client.get(url).content.decode()
    response = client.post(url, {"confirm": "1"})
    assert response.status_code == 400
    assert "仍有在册党员 赵大勇" in response.content.decode()

    empty = make_org(world.village, name="迎秀社区旧党总支", kind=OrgKind.GENERAL_BRANCH)
    url = reverse("party:org_retire", kwargs={"public_id": empty.public_id})
    response = client.post(url, {})
    assert response.status_code == 400 and "请勾选确认" in response.content.decode()
    assert client.post(url, {"confirm": "1"}).status_code == 302
    empty.refresh_from_db()
    assert not empty.is_active
    detail = client.get(reverse("party:org_detail", kwargs={"public_id": empty.public_id}))
    assert "已撤销" in detail.content.decode()
    assert "迎秀社区旧党总支" not in client.get(reverse("party:org_list")).content.decode()
