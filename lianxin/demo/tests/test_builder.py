"""The demo city: the sizes the issue asks for, valid protected people, one build only."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import authenticate
from django.db.models import Count
from django.utils import timezone

from lianxin.accounts.middleware import password_change_required
from lianxin.accounts.models import Department, Post
from lianxin.accounts.permissions import Role
from lianxin.audit.models import AuditEvent
from lianxin.core import crypto
from lianxin.core.idnumber import parse_id_number
from lianxin.demo import builder
from lianxin.demo.tests.cases_checks import check_demo_requests
from lianxin.demo.tests.consultation_checks import check_consultation_demo
from lianxin.demo.tests.points_checks import check_points_demo
from lianxin.demo.tests.stars_checks import check_stars_demo
from lianxin.party.models import (
    Duty,
    HouseholdLink,
    LinkageActivity,
    PartyMember,
    PartyOrganisation,
)
from lianxin.people.models import Household, LedgerEntry, Resident, Visit
from lianxin.territory.models import Unit, UnitKind

EXPECTED_ROLES = {
    "wangge": Role.GRID_WORKER,
    "wangge2": Role.GRID_WORKER,
    "loudong": Role.BUILDING_LEADER,
    "shequ": Role.VILLAGE_STAFF,
    "shuji": Role.VILLAGE_SECRETARY,
    "weizhuli": Role.MICRO_ASSISTANT,
    "jiedao": Role.STREET_STAFF,
    "bumen": Role.DEPARTMENT_STAFF,
    "zuzhibu": Role.ORG_DEPARTMENT,
    "admin": Role.SYSADMIN,
}


@pytest.mark.django_db
def test_demo_builds_a_believable_slice_once() -> None:
    assert builder.ensure_demo() is True
    today = timezone.localdate()

    # The real tree of the whole city, with the street's real communities.
    assert Unit.objects.filter(path__startswith="/41/4108/", kind=UnitKind.COUNTY).count() == 11
    assert (
        Unit.objects.filter(path__startswith="/41/4108/410883/", kind=UnitKind.VILLAGE).count()
        == 289
    )
    street = Unit.objects.get(code=builder.STREET_CODE)
    assert street.display_name == "大定街道"

    # Grids of 300–500 households with 6–12 named buildings, about 3,000 households.
    grids = list(Unit.objects.filter(kind=UnitKind.GRID, path__startswith=street.path))
    assert len(grids) >= 6
    for grid in grids:
        buildings = list(grid.children.filter(kind=UnitKind.BUILDING))
        assert 6 <= len(buildings) <= 12, grid
        assert all(
            re.fullmatch(r".+(小区|花园|家园|新村|佳苑|华庭)\d+号楼", b.name) for b in buildings
        )
        assert 300 <= Household.objects.filter(unit__parent=grid).count() <= 500, grid
    households = Household.objects.count()
    assert 2700 <= households <= 3300
    assert Resident.objects.count() >= 2 * households

    # ID numbers are valid and match birth date and sex; stored only encrypted and masked.
    sample = list(Resident.objects.order_by("?")[:200])
    for r in sample:
        number = crypto.decrypt(r.id_number_cipher)
        info = parse_id_number(number)
        assert info.area_code == "410883"
        assert (info.birth_date, info.sex) == (r.birth_date, r.sex)
        assert r.id_number_masked == crypto.mask_id_number(number)
        assert r.id_number_digest == crypto.id_number_digest(number)
        if r.phone_cipher:
            phone = crypto.decrypt(r.phone_cipher)
            assert re.fullmatch(r"1[3-9]\d{9}", phone) and r.phone_masked == crypto.mask_phone(
                phone
            )
        assert r.relation
    assert (
        Resident.objects.values("id_number_digest").distinct().count() == Resident.objects.count()
    )
    heads = Resident.objects.filter(relation="户主")
    assert heads.count() == households
    ages = [(today - r.birth_date).days // 365 for r in heads[:500]]
    assert min(ages) >= 18 and max(ages) <= 100

    # Party tree 党委 → 支部 → 党小组 mirrors community → grid → building.
    assert PartyOrganisation.objects.filter(kind="committee").count() == len(
        {g.parent_id for g in grids}
    )
    assert PartyOrganisation.objects.filter(kind="branch", unit__kind=UnitKind.GRID).count() == len(
        grids
    )
    assert PartyOrganisation.objects.filter(
        kind="group", parent__kind="branch", unit__kind=UnitKind.BUILDING
    ).exists()
    link_counts = list(PartyMember.objects.annotate(n=Count("links")).values_list("n", flat=True))
    assert link_counts and min(link_counts) >= 6 and max(link_counts) <= 10
    assert PartyMember.objects.filter(is_central_household=True).exists()
    # A member links households of his or her own building.
    link = HouseholdLink.objects.select_related("member__organisation", "household").first()
    assert link.household.unit_id == link.member.organisation.unit_id
    duties = set(LinkageActivity.objects.values_list("duty", flat=True))
    assert duties == set(Duty.values)
    assert not LinkageActivity.objects.filter(occurred_on__gt=today).exists()
    assert LinkageActivity.objects.filter(occurred_on__lt=today - dt.timedelta(days=60)).exists()

    # Livelihood ledger: several classes, a helper for everyone, visits, some overdue.
    entries = LedgerEntry.objects.all()
    assert entries.values("tag").distinct().count() >= 5
    assert not entries.filter(helper_user__isnull=True, helper_resident__isnull=True).exists()
    assert entries.filter(helper_resident__isnull=False).exists()
    overdue = entries.filter(next_visit_due__lt=today).count()
    assert 0 < overdue < entries.count() // 3
    assert (
        Visit.objects.filter(visited_on__lte=today).count()
        == Visit.objects.count()
        > entries.count()
    )

    # One account per role with the documented password; two sibling grids for grid workers.
    for username, role in EXPECTED_ROLES.items():
        user = authenticate(username=username, password=builder.DEMO_PASSWORD)
        assert user is not None, username
        assert Post.objects.get(user=user).role == role
        # The documented password keeps working however long ago the demo was built.
        assert not password_change_required(user)
    assert [u for u, _ in builder.DEMO_ACCOUNTS] == list(EXPECTED_ROLES)
    first = Post.objects.get(user__username="wangge").unit
    sibling = Post.objects.get(user__username="wangge2").unit
    assert first != sibling and first.parent_id == sibling.parent_id
    assert first.parent.code == builder.COMMUNITY_CODE
    assert Post.objects.get(user__username="loudong").unit.parent_id == first.pk
    assert Post.objects.get(user__username="bumen").department.name == "孟州市住房和城乡建设局"
    assert set(Department.objects.values_list("name", flat=True)) == {
        "孟州市住房和城乡建设局",
        "孟州市水利局",
        "孟州市公安局",
    }

    # Bulk writes are summarised by one audit event, which is also the "built" marker.
    marker = AuditEvent.objects.get(object_type=builder.MARKER_TYPE)
    assert marker.changes["counts"]["households"] == households
    assert not AuditEvent.objects.filter(object_type="people.resident").exists()

    # A second start reuses the data.
    before = (Household.objects.count(), Resident.objects.count(), AuditEvent.objects.count())
    assert builder.ensure_demo() is False
    assert (
        Household.objects.count(),
        Resident.objects.count(),
        AuditEvent.objects.count(),
    ) == before

    # The requests and the points of the same build (one build: it is the slow part).
    summary = builder.DemoSummary(counts=marker.changes["counts"])
    check_demo_requests(summary)
    check_points_demo(summary)
    check_consultation_demo(summary)
    check_stars_demo(summary)


@pytest.mark.django_db
def test_an_interrupted_build_leaves_nothing_and_the_next_start_builds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import lianxin.demo.party

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # the operator pressed Ctrl+C half-way

    monkeypatch.setattr(lianxin.demo.party, "build_party", crash)
    with pytest.raises(KeyboardInterrupt):
        builder.ensure_demo()
    assert not builder.demo_exists()
    assert not Unit.objects.exists()
    assert not Household.objects.exists()
    assert not Resident.objects.exists()
    assert not Post.objects.exists()


@pytest.mark.django_db
def test_a_build_finished_by_another_process_meanwhile_is_reused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Not built when first asked, built by the other process once this one holds the lock.
    answers = iter([False, True])
    monkeypatch.setattr(builder, "demo_exists", lambda: next(answers))
    assert builder.ensure_demo() is False
    assert not Unit.objects.exists()
