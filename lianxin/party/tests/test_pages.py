"""Party pages: filters, forms that keep bad input, linkage management, query budgets."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lianxin.core.testing import make_household, make_resident
from lianxin.party.models import (
    HouseholdLink,
    LinkageActivity,
    OrgKind,
    PartyMember,
    PartyOrganisation,
)
from lianxin.party.tests.factories import (
    make_activity,
    make_link,
    make_linked_households,
    make_member,
    make_org,
)

pytestmark = pytest.mark.django_db


def _queries(client, url: str, params: dict | None = None) -> int:  # noqa: ANN001
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


# --- member list -------------------------------------------------------------------------


def test_member_list_filters_by_band_central_and_organisation_subtree(world) -> None:
    committee = make_org(world.village, name="迎秀社区党委", kind=OrgKind.COMMITTEE)
    branch = make_org(world.grid, name="一网格党支部", kind=OrgKind.BRANCH, parent=committee)
    other = make_org(world.sibling_grid, name="二网格党支部", kind=OrgKind.BRANCH, parent=committee)
    few = make_member(branch, name="甲少户")
    make_linked_households(few, world.building, 2)
    normal = make_member(branch, name="乙正常", is_central_household=True)
    make_linked_households(normal, world.building, 7)
    make_member(other, name="丙未联户")
    client = world.client("village_staff")
    url = reverse("party:member_list")

    page = client.get(url).content.decode()
    assert all(n in page for n in ("甲少户", "乙正常", "丙未联户"))
    assert "偏少" in page  # the 2-household member is flagged

    def names(**params: str) -> set[str]:
        body = client.get(url, params).content.decode()
        return {n for n in ("甲少户", "乙正常", "丙未联户") if n in body}

    assert names(band="under") == {"甲少户"}
    assert names(band="normal") == {"乙正常"}
    assert names(band="none") == {"丙未联户"}
    assert names(central="1") == {"乙正常"}
    assert names(org=str(branch.public_id)) == {"甲少户", "乙正常"}
    assert names(org=str(committee.public_id)) == {"甲少户", "乙正常", "丙未联户"}
    assert names(q="乙") == {"乙正常"}


def test_member_list_query_count_does_not_grow_with_rows(world) -> None:
    org = make_org(world.grid)
    client = world.client("grid_worker")
    url = reverse("party:member_list")
    for _ in range(2):
        make_linked_households(
            make_member(org, resident=make_resident(make_household(world.building))),
            world.building,
            1,
        )
    few = _queries(client, url)
    for _ in range(12):
        make_linked_households(
            make_member(org, resident=make_resident(make_household(world.building))),
            world.building,
            2,
        )
    assert _queries(client, url) == few


# --- member detail -----------------------------------------------------------------------


def test_member_detail_shows_links_activities_and_actions_by_permission(world) -> None:
    member = make_member(make_org(world.grid), name="王秀英", phone="13812345678")
    households = make_linked_households(member, world.building, 3, head_name="张建国")
    make_activity(member, summary="走访了解独居老人需求", household=households[0])
    url = reverse("party:member_detail", kwargs={"public_id": member.public_id})

    grid_page = world.client("grid_worker").get(url).content.decode()
    assert "走访了解独居老人需求" in grid_page and "138****5678" in grid_page
    assert "少于建议的 6–10 户" in grid_page
    assert reverse("party:activity_create", kwargs={"public_id": member.public_id}) in grid_page
    assert reverse("party:member_links", kwargs={"public_id": member.public_id}) not in grid_page
    village_page = world.client("village_staff").get(url).content.decode()
    assert reverse("party:member_links", kwargs={"public_id": member.public_id}) in village_page

    filtered = world.client("grid_worker").get(url, {"duty": "policy"}).content.decode()
    assert "走访了解独居老人需求" not in filtered


# --- member create / edit ----------------------------------------------------------------


def test_member_create_keeps_input_on_error_and_links_resident_by_id_number(world) -> None:
    org = make_org(world.village, name="迎秀社区党委", kind=OrgKind.COMMITTEE)
    client = world.client("village_staff")
    url = reverse("party:member_create")
    bad = {
        "organisation": str(org.public_id),
        "name": "",
        "status": "full",
        "duty": "宣传委员",
        "phone": "123",
    }
    response = client.post(url, bad)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="宣传委员"' in body and "手机号应为11位数字" in body
    assert not PartyMember.objects.exists()

    response = client.post(url, {**bad, "resident_id_number": "410883199001011234", "phone": ""})
    assert "未找到该身份证号的居民" in response.content.decode()

    from lianxin.core.idnumber import make_id_number

    id_number = make_id_number("410883", dt.date(1975, 5, 4), 17)
    from lianxin.people.services import resident_create

    resident = resident_create(
        household=make_household(world.building), name="刘桂兰", id_number=id_number
    )
    response = client.post(url, {**bad, "resident_id_number": id_number, "phone": "13912345678"})
    assert response.status_code == 302
    member = PartyMember.objects.get()
    assert (
        member.resident == resident
        and member.name == "刘桂兰"
        and member.phone_masked == "139****5678"
    )
    assert response["Location"] == reverse(
        "party:member_detail", kwargs={"public_id": member.public_id}
    )


def test_member_create_refused_without_manage_permission(world) -> None:
    url = reverse("party:member_create")
    assert world.client("grid_worker").get(url).status_code == 403
    assert world.client("nobody").get(url).status_code == 403


def test_member_resident_outside_scope_is_not_found_by_id_number(world) -> None:
    from lianxin.core.idnumber import make_id_number
    from lianxin.people.services import resident_create

    id_number = make_id_number("410883", dt.date(1980, 2, 3), 21)
    resident_create(household=make_household(world.building), name="外村居民", id_number=id_number)
    org = make_org(world.other_village, kind=OrgKind.COMMITTEE)
    response = world.client("other_village_staff").post(
        reverse("party:member_create"),
        {"organisation": str(org.public_id), "status": "full", "resident_id_number": id_number},
    )
    assert response.status_code == 200
    assert "未找到该身份证号的居民" in response.content.decode()


def test_member_edit_keeps_phone_when_blank_and_shows_mask(world) -> None:
    org = make_org(world.grid)
    member = make_member(org, name="赵强", phone="13812345678")
    client = world.client("village_staff")
    url = reverse("party:member_edit", kwargs={"public_id": member.public_id})
    page = client.get(url).content.decode()
    assert "138****5678" in page and "13812345678" not in page
    response = client.post(
        url,
        {
            "organisation": str(org.public_id),
            "name": "赵强",
            "status": "probationary",
            "duty": "",
            "phone": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.status == "probationary" and member.phone_masked == "138****5678"
    assert world.client("grid_worker").get(url).status_code == 403


def test_member_form_saves_board_phone_consent_and_audits_it(world) -> None:
    from lianxin.audit.models import AuditEvent

    org = make_org(world.grid)
    client = world.client("village_staff")
    page = client.get(reverse("party:member_create")).content.decode()
    assert "同意在公示牌上公开完整联系电话" in page and "仅在党员本人同意后勾选" in page
    response = client.post(
        reverse("party:member_create"),
        {
            "organisation": str(org.public_id),
            "name": "孙丽",
            "status": "full",
            "phone": "13812345678",
            "board_phone_consent": "on",
        },
    )
    assert response.status_code == 302
    member = PartyMember.objects.get(name="孙丽")
    assert member.board_phone_consent is True
    url = reverse("party:member_edit", kwargs={"public_id": member.public_id})
    box = re.search(
        r'<input[^>]*name="board_phone_consent"[^>]*>', client.get(url).content.decode()
    )
    assert box is not None and "checked" in box.group(0)
    # Unticking withdraws the consent; the change is in the audit trail.
    response = client.post(
        url,
        {"organisation": str(org.public_id), "name": "孙丽", "status": "full", "is_active": "on"},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.board_phone_consent is False
    update = AuditEvent.objects.filter(
        object_id=str(member.public_id), action=AuditEvent.Action.UPDATE
    ).latest("id")
    assert update.changes["board_phone_consent"] == {"old": True, "new": False}


# --- linked households -------------------------------------------------------------------


def test_member_links_page_links_filters_by_building_and_explains_conflicts(world) -> None:
    org = make_org(world.village, kind=OrgKind.COMMITTEE)
    member = make_member(org, name="王秀英")
    other = make_member(org, name="李明")
    h1 = make_household(world.building, address="1单元101", head_name="张建国")
    h2 = make_household(world.sibling_building, address="2单元202", head_name="陈小红")
    taken = make_household(world.building, address="1单元102")
    make_link(other, taken)
    client = world.client("village_staff")
    url = reverse("party:member_links", kwargs={"public_id": member.public_id})

    page = client.get(url).content.decode()
    assert "1单元101" in page and "2单元202" in page and "李明" in page
    only_building = client.get(url, {"building": str(world.building.public_id)}).content.decode()
    assert "1单元101" in only_building and "2单元202" not in only_building
    free = client.get(url, {"free": "1"}).content.decode()
    assert "1单元102" not in free

    response = client.post(
        url, {"action": "link", "households": [str(h1.public_id), str(h2.public_id)]}
    )
    assert response.status_code == 302
    assert set(member.links.filter(is_active=True).values_list("household_id", flat=True)) == {
        h1.pk,
        h2.pk,
    }
    page = client.get(url).content.decode()
    assert "少于建议的 6–10 户" in page

    response = client.post(url, {"action": "link", "households": [str(taken.public_id)]})
    assert response.status_code == 400
    assert "1单元102」已由党员 李明 联系" in response.content.decode()

    response = client.post(url, {"action": "unlink", "households": [str(h2.public_id)]})
    assert response.status_code == 302
    assert not HouseholdLink.objects.get(household=h2).is_active


def test_member_links_ignores_households_outside_scope(world) -> None:
    member = make_member(make_org(world.village, kind=OrgKind.COMMITTEE))
    foreign = make_household(world.other_village)
    response = world.client("village_staff").post(
        reverse("party:member_links", kwargs={"public_id": member.public_id}),
        {"action": "link", "households": [str(foreign.public_id), "not-a-uuid"]},
    )
    assert response.status_code == 400
    assert not HouseholdLink.objects.exists()


def test_member_links_candidate_list_query_count_is_constant(world) -> None:
    org = make_org(world.village, kind=OrgKind.COMMITTEE)
    member = make_member(org)
    linker = make_member(org)
    client = world.client("village_staff")
    url = reverse("party:member_links", kwargs={"public_id": member.public_id})
    make_linked_households(linker, world.building, 2)
    make_linked_households(member, world.building, 1)
    few = _queries(client, url)
    make_linked_households(linker, world.sibling_building, 15)
    make_linked_households(member, world.building, 5)
    for _ in range(10):
        make_household(world.building)
    assert _queries(client, url) == few


# --- activities --------------------------------------------------------------------------


def test_activity_form_records_and_keeps_input_on_error(world) -> None:
    member = make_member(make_org(world.grid))
    household = make_household(world.building, address="5单元601")
    make_link(member, household)
    client = world.client("grid_worker")
    url = reverse("party:activity_create", kwargs={"public_id": member.public_id})
    page = client.get(url, {"household": str(household.public_id)}).content.decode()
    assert "5单元601" in page and "联系走访" in page

    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    data = {
        "duty": "volunteer",
        "occurred_on": future,
        "household": str(household.public_id),
        "summary": "清理楼道杂物",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert (
        "日期不能晚于今天" in response.content.decode()
        and "清理楼道杂物" in response.content.decode()
    )
    assert not LinkageActivity.objects.exists()

    response = client.post(url, {**data, "occurred_on": timezone.localdate().isoformat()})
    assert response.status_code == 302
    activity = LinkageActivity.objects.get()
    assert activity.household == household and activity.duty == "volunteer"


def test_activity_form_refused_without_linkage_permission(world) -> None:
    member = make_member(make_org(world.village, kind=OrgKind.COMMITTEE))
    # Street staff see the member (party.view) but do not record duties.
    response = world.client("street_staff").get(
        reverse("party:activity_create", kwargs={"public_id": member.public_id})
    )
    assert response.status_code == 403


def test_activity_list_counts_per_duty_and_filters(world) -> None:
    member = make_member(make_org(world.grid))
    today = timezone.localdate()
    make_activity(member, duty="visit", summary="走访甲", occurred_on=today)
    make_activity(member, duty="visit", summary="走访乙", occurred_on=today)
    make_activity(member, duty="mediate", summary="调解丙", occurred_on=today)
    make_activity(
        member, duty="mediate", summary="去年调解", occurred_on=dt.date(today.year - 1, 6, 1)
    )
    client = world.client("grid_worker")
    url = reverse("party:activity_list")
    body = client.get(url).content.decode()
    assert "共 3 次" in body and "去年调解" not in body
    body = client.get(
        url, {"duty": "mediate", "start": f"{today.year - 1}-01-01", "end": today.isoformat()}
    ).content.decode()
    assert "去年调解" in body and "走访甲" not in body


def test_activity_list_query_count_is_constant(world) -> None:
    org = make_org(world.grid)
    client = world.client("grid_worker")
    url = reverse("party:activity_list")
    member = make_member(org)
    make_activity(member, household=make_linked_households(member, world.building, 1)[0])
    few = _queries(client, url)
    for _ in range(8):
        m = make_member(org)
        for h in make_linked_households(m, world.building, 2):
            make_activity(m, household=h, recorded_by=world.users["grid_worker"])
    assert _queries(client, url) == few


# --- organisations -----------------------------------------------------------------------


def test_org_create_page_under_parent_and_kind_error_shown(world) -> None:
    committee = make_org(world.village, name="迎秀社区党委", kind=OrgKind.COMMITTEE)
    client = world.client("village_staff")
    url = reverse("party:org_create") + f"?parent={committee.public_id}"
    page = client.get(url).content.decode()
    assert "迎秀小区1号楼" in page  # units under the parent's village are offered

    data = {
        "parent": str(committee.public_id),
        "kind": "committee",
        "name": "错误党委",
        "unit": str(world.grid.public_id),
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert (
        "党委不能设在党委" in response.content.decode()
        and 'value="错误党委"' in response.content.decode()
    )

    response = client.post(url, {**data, "kind": "branch", "name": "第一网格党支部"})
    assert response.status_code == 302
    branch = PartyOrganisation.objects.get(name="第一网格党支部")
    assert branch.parent == committee and branch.unit == world.grid


def test_org_list_shows_the_tree_indented_with_member_counts(world) -> None:
    committee = make_org(world.village, name="迎秀社区党委", kind=OrgKind.COMMITTEE)
    branch = make_org(world.grid, name="第一网格党支部", kind=OrgKind.BRANCH, parent=committee)
    make_org(world.building, name="1号楼党小组", kind=OrgKind.GROUP, parent=branch)
    make_member(branch)
    make_member(branch)
    body = world.client("village_staff").get(reverse("party:org_list")).content.decode()
    assert body.index("迎秀社区党委") < body.index("第一网格党支部") < body.index("1号楼党小组")
    assert "depth-2" in body
    # The grid worker sees the grid branch and below, as roots of their own tree.
    grid_body = world.client("grid_worker").get(reverse("party:org_list")).content.decode()
    assert "迎秀社区党委" not in grid_body and "第一网格党支部" in grid_body


def test_org_detail_lists_subtree_members_and_duty_counts(world) -> None:
    committee = make_org(world.village, name="迎秀社区党委", kind=OrgKind.COMMITTEE)
    branch = make_org(world.grid, name="第一网格党支部", kind=OrgKind.BRANCH, parent=committee)
    member = make_member(branch, name="王秀英")
    make_activity(member, duty="policy")
    body = (
        world.client("village_staff")
        .get(reverse("party:org_detail", kwargs={"public_id": committee.public_id}))
        .content.decode()
    )
    assert "王秀英" in body and "第一网格党支部" in body and "共 1 名" in body
