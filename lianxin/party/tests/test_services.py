"""Services of the party app: organisation order, members, linkage rules, activity records."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from lianxin.audit.models import AuditEvent
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.testing import make_household, make_resident, make_unit
from lianxin.party import services
from lianxin.party.models import Duty, HouseholdLink, LinkageActivity, OrgKind, PartyMember
from lianxin.party.tests.factories import make_link, make_linked_households, make_member, make_org

pytestmark = pytest.mark.django_db


# --- organisations -----------------------------------------------------------------------


def test_organisation_tree_follows_the_kind_order(world) -> None:
    actor = world.actor("village_staff")
    committee = services.organisation_create(
        actor=actor, name="迎秀社区党委", kind=OrgKind.COMMITTEE, unit=world.village
    )
    branch = services.organisation_create(
        actor=actor, name="第一网格党支部", kind=OrgKind.BRANCH, unit=world.grid, parent=committee
    )
    group = services.organisation_create(
        actor=actor, name="1号楼党小组", kind=OrgKind.GROUP, unit=world.building, parent=branch
    )
    assert group.parent == branch and branch.parent == committee
    assert (
        AuditEvent.objects.filter(object_type="party.partyorganisation", action="create").count()
        == 3
    )

    with pytest.raises(DomainError, match="党支部不能设在党小组") as exc:
        services.organisation_create(
            actor=actor, name="错", kind=OrgKind.BRANCH, unit=world.building, parent=group
        )
    assert exc.value.field == "kind"
    with pytest.raises(DomainError, match="党委不能设在党支部"):
        services.organisation_create(
            actor=actor, name="错", kind=OrgKind.COMMITTEE, unit=world.grid, parent=branch
        )
    with pytest.raises(DomainError, match="党小组的上级必须是党支部"):
        services.organisation_create(
            actor=actor, name="错", kind=OrgKind.GROUP, unit=world.grid, parent=committee
        )
    with pytest.raises(DomainError, match="党小组必须设在党支部之下"):
        services.organisation_create(actor=actor, name="错", kind=OrgKind.GROUP, unit=world.grid)


def test_organisation_unit_must_lie_under_the_parent(world) -> None:
    actor = world.actor("village_staff")
    branch = make_org(world.grid, kind=OrgKind.BRANCH)
    with pytest.raises(DomainError, match="不在上级党组织") as exc:
        services.organisation_create(
            actor=actor,
            name="九号楼党小组",
            kind=OrgKind.GROUP,
            unit=world.sibling_building,
            parent=branch,
        )
    assert exc.value.field == "unit"


def test_organisation_create_refused_outside_scope_or_without_permission(world) -> None:
    with pytest.raises(PermissionDenied):
        services.organisation_create(
            actor=world.actor("other_village_staff"),
            name="党委",
            kind=OrgKind.COMMITTEE,
            unit=world.village,
        )
    with pytest.raises(PermissionDenied):  # grid workers see the party tree but do not change it
        services.organisation_create(
            actor=world.actor("grid_worker"), name="党支部", kind=OrgKind.BRANCH, unit=world.grid
        )


def test_organisation_duplicate_name_and_blank_name(world) -> None:
    actor = world.actor("village_staff")
    services.organisation_create(
        actor=actor, name="迎秀社区党委", kind=OrgKind.COMMITTEE, unit=world.village
    )
    with pytest.raises(DomainError, match="同名") as exc:
        services.organisation_create(
            actor=actor, name="迎秀社区党委", kind=OrgKind.COMMITTEE, unit=world.village
        )
    assert exc.value.field == "name"
    with pytest.raises(DomainError) as exc:
        services.organisation_create(
            actor=actor, name="  ", kind=OrgKind.COMMITTEE, unit=world.village
        )
    assert exc.value.field == "name"


# --- members -----------------------------------------------------------------------------


def test_member_from_resident_takes_the_name_and_protects_the_phone(world) -> None:
    actor = world.actor("village_staff")
    org = make_org(world.village, kind=OrgKind.COMMITTEE)
    resident = make_resident(make_household(world.building), name="王秀英")
    member = services.member_create(
        actor=actor,
        organisation=org,
        resident=resident,
        phone="139 1234 5678",
        is_central_household=True,
    )
    member.refresh_from_db()
    assert member.name == "王秀英" and member.resident == resident and member.is_central_household
    assert member.phone_masked == "139****5678" and member.contact_phone_masked == "139****5678"
    assert "13912345678" not in member.phone_cipher
    event = AuditEvent.objects.get(object_type="party.partymember", action="create")
    assert event.changes["phone_cipher"] == {"secret": True}
    assert "13912345678" not in str(event.changes)

    with pytest.raises(DomainError, match="已登记为党员") as exc:
        services.member_create(actor=actor, organisation=org, resident=resident)
    assert exc.value.field == "resident"


def test_member_without_resident_uses_the_resident_phone_when_linked_later(world) -> None:
    actor = world.actor("village_staff")
    org = make_org(world.village, kind=OrgKind.COMMITTEE)
    member = services.member_create(actor=actor, organisation=org, name="李明")
    assert member.resident is None and member.contact_phone_masked == ""
    resident = make_resident(make_household(world.building), name="李明", phone="13700001111")
    services.member_update(
        actor=actor, member=member, organisation=org, name="李明", resident=resident
    )
    assert PartyMember.objects.get(pk=member.pk).contact_phone_masked == "137****1111"


def test_member_create_rejects_bad_input_naming_the_field(world) -> None:
    actor = world.actor("village_staff")
    org = make_org(world.village, kind=OrgKind.COMMITTEE)
    for kwargs, field in [
        ({"name": ""}, "name"),
        ({"name": "李明", "phone": "12345"}, "phone"),
        ({"name": "李明", "joined_on": timezone.localdate() + dt.timedelta(days=1)}, "joined_on"),
        ({"name": "李明", "status": "bogus"}, "status"),
    ]:
        with pytest.raises(DomainError) as exc:
            services.member_create(actor=actor, organisation=org, **kwargs)
        assert exc.value.field == field
    assert not PartyMember.objects.exists()


def test_member_create_refuses_resident_or_organisation_outside_scope(world) -> None:
    actor = world.actor("other_village_staff")
    own_org = make_org(world.other_village, kind=OrgKind.COMMITTEE)
    foreign_resident = make_resident(make_household(world.building))
    with pytest.raises(PermissionDenied):
        services.member_create(actor=actor, organisation=own_org, resident=foreign_resident)
    with pytest.raises(PermissionDenied):
        services.member_create(actor=actor, organisation=make_org(world.village), name="李明")
    with pytest.raises(PermissionDenied):
        services.member_create(
            actor=world.actor("grid_worker"), organisation=make_org(world.grid), name="李明"
        )


def test_member_update_keeps_phone_when_none_and_refuses_move_leaving_links_behind(world) -> None:
    actor = world.actor("village_staff")
    grid_org = make_org(world.grid)
    sibling_org = make_org(world.sibling_grid)
    member = make_member(grid_org, name="赵强", phone="13812345678")
    make_linked_households(member, world.building, 2)
    services.member_update(
        actor=actor, member=member, organisation=grid_org, name="赵强", duty="组长", phone=None
    )
    member.refresh_from_db()
    assert member.duty == "组长" and member.phone_masked == "138****5678"
    with pytest.raises(DomainError, match="2 户联系户不在") as exc:
        services.member_update(actor=actor, member=member, organisation=sibling_org, name="赵强")
    assert exc.value.field == "organisation"
    assert PartyMember.objects.get(pk=member.pk).organisation == grid_org


def test_member_off_the_roll_ends_links_so_others_can_link(world) -> None:
    actor = world.actor("village_staff")
    org = make_org(world.grid)
    member = make_member(org)
    households = make_linked_households(member, world.building, 3)
    services.member_update(
        actor=actor, member=member, organisation=org, name=member.name, is_active=False
    )
    assert not member.links.filter(is_active=True).exists()
    assert member.links.filter(ended_on=timezone.localdate()).count() == 3
    other = make_member(org)
    assert len(services.household_link(actor=actor, member=other, households=households)) == 3


# --- household linkage -------------------------------------------------------------------


def test_link_households_and_refuse_one_already_linked_naming_it_and_the_member(world) -> None:
    actor = world.actor("village_staff")
    org = make_org(world.grid)
    first, second = make_member(org, name="王秀英"), make_member(org, name="李明")
    h1 = make_household(world.building, address="3单元501")
    h2 = make_household(world.building, address="3单元502")
    created = services.household_link(actor=actor, member=first, households=[h1, h2])
    assert {link.household for link in created} == {h1, h2}
    # Linking again to the same member changes nothing.
    assert services.household_link(actor=actor, member=first, households=[h1]) == []
    h3 = make_household(world.building, address="3单元503")
    with pytest.raises(DomainError) as exc:
        services.household_link(actor=actor, member=second, households=[h3, h1])
    assert "迎秀小区1号楼 3单元501" in exc.value.message and "王秀英" in exc.value.message
    # All or nothing: the free household was not linked either.
    assert not HouseholdLink.objects.filter(household=h3).exists()


def test_link_refuses_households_outside_the_organisation_territory(world) -> None:
    actor = world.actor("village_staff")
    member = make_member(make_org(world.grid))
    elsewhere = make_household(world.sibling_building, address="1单元101")
    with pytest.raises(DomainError, match="不在党组织") as exc:
        services.household_link(actor=actor, member=member, households=[elsewhere])
    assert exc.value.field == "households"


def test_link_refuses_actor_without_manage_permission_or_outside_scope(world) -> None:
    member = make_member(make_org(world.grid))
    household = make_household(world.building)
    for persona in ("grid_worker", "other_village_staff", "building_leader", "department_staff"):
        with pytest.raises(PermissionDenied):
            services.household_link(
                actor=world.actor(persona), member=member, households=[household]
            )
    assert not HouseholdLink.objects.exists()


def test_link_refuses_moved_out_household_and_inactive_member(world) -> None:
    actor = world.actor("village_staff")
    org = make_org(world.grid)
    member = make_member(org)
    gone = make_household(world.building)
    gone.is_active = False
    gone.save()
    with pytest.raises(DomainError, match="已注销"):
        services.household_link(actor=actor, member=member, households=[gone])
    retired = make_member(org)
    retired.is_active = False
    retired.save()
    with pytest.raises(DomainError, match="不在册"):
        services.household_link(
            actor=actor, member=retired, households=[make_household(world.building)]
        )


def test_unlink_keeps_history_and_frees_the_household(world) -> None:
    actor = world.actor("village_staff")
    org = make_org(world.grid)
    first, second = make_member(org), make_member(org)
    household = make_household(world.building)
    services.household_link(actor=actor, member=first, households=[household])
    assert services.household_unlink(actor=actor, member=first, households=[household]) == 1
    services.household_link(actor=actor, member=second, households=[household])
    links = HouseholdLink.objects.filter(household=household).order_by("id")
    assert [(lk.member_id, lk.is_active) for lk in links] == [(first.pk, False), (second.pk, True)]
    assert links[0].ended_on == timezone.localdate()
    assert (
        AuditEvent.objects.filter(object_type="party.householdlink", action="update").count() == 1
    )


def test_link_count_warning_outside_six_to_ten() -> None:
    assert "少于" in services.link_count_warning(5)
    assert services.link_count_warning(6) == ""
    assert services.link_count_warning(10) == ""
    assert "超过" in services.link_count_warning(11)


# --- linkage activities ------------------------------------------------------------------


def test_activity_recorded_by_grid_worker_for_a_linked_household(world) -> None:
    member = make_member(make_org(world.grid))
    household = make_household(world.building)
    make_link(member, household)
    actor = world.actor("grid_worker")
    day = timezone.localdate()
    activity = services.linkage_activity_record(
        actor=actor,
        member=member,
        duty=Duty.MEDIATE,
        occurred_on=day,
        summary=" 调解邻里漏水纠纷 ",
        household=household,
    )
    assert activity.recorded_by == world.users["grid_worker"]
    assert activity.summary == "调解邻里漏水纠纷" and activity.get_duty_display() == "矛盾调解"
    assert AuditEvent.objects.filter(object_type="party.linkageactivity", action="create").exists()


def test_activity_is_append_only(world) -> None:
    member = make_member(make_org(world.grid))
    activity = services.linkage_activity_record(
        actor=world.actor("village_staff"),
        member=member,
        duty=Duty.POLICY,
        occurred_on=timezone.localdate(),
        summary="宣传医保政策",
    )
    activity.summary = "改写"
    with pytest.raises(RuntimeError):
        activity.save()
    with pytest.raises(RuntimeError):
        activity.delete()
    assert LinkageActivity.objects.get(pk=activity.pk).summary == "宣传医保政策"


@pytest.mark.parametrize(
    "persona", ["sibling_grid_worker", "building_leader", "street_staff", "nobody"]
)
def test_activity_refused_outside_scope_or_without_linkage_permission(world, persona: str) -> None:
    member = make_member(make_org(world.grid))
    with pytest.raises(PermissionDenied):
        services.linkage_activity_record(
            actor=world.actor(persona),
            member=member,
            duty=Duty.VISIT,
            occurred_on=timezone.localdate(),
            summary="走访",
        )
    assert not LinkageActivity.objects.exists()


def test_activity_rejects_bad_input_naming_the_field(world) -> None:
    member = make_member(make_org(world.grid))
    not_linked = make_household(world.building)
    actor = world.actor("grid_worker")
    today = timezone.localdate()
    cases = [
        ({"duty": "party", "occurred_on": today, "summary": "x"}, "duty"),
        (
            {"duty": Duty.VISIT, "occurred_on": today + dt.timedelta(days=1), "summary": "x"},
            "occurred_on",
        ),
        ({"duty": Duty.VISIT, "occurred_on": today, "summary": "   "}, "summary"),
        ({"duty": Duty.VISIT, "occurred_on": today, "summary": "x" * 2001}, "summary"),
        (
            {"duty": Duty.VISIT, "occurred_on": today, "summary": "x", "household": not_linked},
            "household",
        ),
    ]
    for kwargs, field in cases:
        with pytest.raises(DomainError) as exc:
            services.linkage_activity_record(actor=actor, member=member, **kwargs)
        assert exc.value.field == field, kwargs
    assert not LinkageActivity.objects.exists()


def test_street_level_member_households_anywhere_in_the_street(world) -> None:
    # A street committee's member may link households in any village of the street.
    second_village = make_unit(
        "village", "410883001004", "平山园居民委员会", world.street, display_name="平山园社区"
    )
    member = make_member(make_org(world.street, kind=OrgKind.COMMITTEE))
    households = [make_household(world.building), make_household(second_village)]
    created = services.household_link(
        actor=world.actor("street_staff"), member=member, households=households
    )
    assert len(created) == 2
    with pytest.raises(PermissionDenied):  # village staff may not change a street member's links
        services.household_unlink(
            actor=world.actor("village_staff"), member=member, households=households
        )
