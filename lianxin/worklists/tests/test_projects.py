"""The project list's rules (services/projects.py): filing, matching within the library's
funds, declining, starting, spending within the allocation, finishing; who may do what;
compare-and-set; append-only updates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.worklists.models import DemandProject, ProjectUpdate
from lianxin.worklists.services import projects as svc
from lianxin.worklists.tests import scope_projects as sp

pytestmark = pytest.mark.django_db
Status = DemandProject.Status


def test_full_flow_writes_one_update_per_move(world) -> None:  # noqa: ANN001
    lib = sp.supply(world, funds="300000")
    project = sp.demand(world, funds="200000")
    assert project.status == Status.SUBMITTED
    county = world.actor("org_department")
    village = world.actor("village_staff")
    project = svc.demand_match(
        actor=county, project=project, supply=lib, funds_allocated="180000", note="首批"
    )
    assert (project.status, project.supply_id, project.funds_allocated) == (
        Status.MATCHED,
        lib.pk,
        Decimal("180000.00"),
    )
    project = svc.demand_start(actor=village, project=project, note="施工队进场")
    project = svc.demand_spend(actor=village, project=project, amount="100000", note="一期")
    project = svc.demand_spend(actor=village, project=project, amount="80,000")
    assert project.funds_spent == Decimal("180000.00")
    project = svc.demand_finish(actor=village, project=project, note="已验收")
    fresh = DemandProject.objects.get(pk=project.pk)
    assert fresh.status == Status.DONE and fresh.version == 6
    actions = list(
        ProjectUpdate.objects.filter(project=project).order_by("id").values_list("action", "amount")
    )
    assert actions == [
        ("submit", Decimal("200000.00")),
        ("match", Decimal("180000.00")),
        ("start", None),
        ("spend", Decimal("100000.00")),
        ("spend", Decimal("80000.00")),
        ("finish", None),
    ]


def test_spending_on_a_matched_project_starts_it(world) -> None:  # noqa: ANN001
    project = sp.matched(world)
    project = svc.demand_spend(actor=world.actor("village_staff"), project=project, amount="10")
    assert project.status == Status.UNDERWAY


def test_match_refused_beyond_the_library_funds(world) -> None:  # noqa: ANN001
    lib = sp.supply(world, funds="300000")
    county = world.actor("org_department")
    sp.matched(world, lib=lib, amount="200000", name="第一个项目")
    other = sp.demand(world, name="第二个项目", unit=world.other_village, by="org_department")
    with pytest.raises(DomainError) as exc:
        svc.demand_match(actor=county, project=other, supply=lib, funds_allocated="150000")
    assert exc.value.field == "funds_allocated"
    assert "尚余 100,000.00 元" in exc.value.message
    other.refresh_from_db()
    assert other.status == Status.SUBMITTED and other.supply_id is None
    # Exactly what is left passes.
    svc.demand_match(actor=county, project=other, supply=lib, funds_allocated="100000")
    assert svc.allocated_total(lib) == Decimal("300000.00")


def test_declined_demands_hold_no_funds(world) -> None:  # noqa: ANN001
    lib = sp.supply(world, funds="100000")
    county = world.actor("org_department")
    declined = svc.demand_decline(
        actor=county, project=sp.demand(world, name="不支持的"), reason="不符合支持条件"
    )
    assert declined.status == Status.DECLINED
    sp.matched(world, lib=lib, amount="100000", funds="100000")
    assert svc.allocated_total(lib) == Decimal("100000.00")
    with pytest.raises(DomainError):
        svc.demand_match(actor=county, project=declined, supply=lib, funds_allocated="1")


def test_match_refusals_name_the_field(world) -> None:  # noqa: ANN001
    lib = sp.supply(world)
    county = world.actor("org_department")
    project = sp.demand(world, funds="50000")
    for amount, message in (("60000", "不能超过申请资金"), ("abc", "须是数字"), ("0", "须大于0")):
        with pytest.raises(DomainError) as exc:
            svc.demand_match(actor=county, project=project, supply=lib, funds_allocated=amount)
        assert exc.value.field == "funds_allocated" and message in exc.value.message
    svc.supply_update(
        actor=county,
        supply=lib,
        name=lib.name,
        department=lib.department,
        funds=lib.funds,
        is_open=False,
    )
    with pytest.raises(DomainError) as exc:
        svc.demand_match(actor=county, project=project, supply=lib, funds_allocated="100")
    assert exc.value.field == "supply"
    assert ProjectUpdate.objects.filter(project=project, action="match").count() == 0


def test_only_the_county_matches_and_declines(world) -> None:  # noqa: ANN001
    lib = sp.supply(world)
    project = sp.demand(world)
    for persona in ("village_staff", "village_secretary", "street_staff"):
        with pytest.raises(PermissionDenied):
            svc.demand_match(
                actor=world.actor(persona), project=project, supply=lib, funds_allocated="1"
            )
        with pytest.raises(PermissionDenied):
            svc.demand_decline(actor=world.actor(persona), project=project, reason="不行")
    with pytest.raises(PermissionDenied):
        svc.supply_create(
            actor=world.actor("village_staff"),
            county=world.county,
            year=2026,
            name="x",
            department="y",
            funds="1",
        )


def test_villages_file_only_for_themselves(world) -> None:  # noqa: ANN001
    with pytest.raises(PermissionDenied):
        sp.demand(world, unit=world.other_village)
    with pytest.raises(PermissionDenied):
        sp.demand(world, by="street_staff")
    with pytest.raises(DomainError) as exc:
        sp.demand(world, unit=world.street, by="org_department")
    assert exc.value.field == "unit"
    with pytest.raises(DomainError) as exc:
        sp.demand(world, funds="-5")
    assert exc.value.field == "funds_requested"
    assert not DemandProject.objects.exists()


def test_spending_cannot_exceed_the_allocation(world) -> None:  # noqa: ANN001
    project = sp.matched(world, amount="150000")
    village = world.actor("village_staff")
    project = svc.demand_spend(actor=village, project=project, amount="140000")
    with pytest.raises(DomainError) as exc:
        svc.demand_spend(actor=village, project=project, amount="10000.01")
    assert exc.value.field == "amount" and "尚余 10,000.00 元" in exc.value.message
    project.refresh_from_db()
    assert project.funds_spent == Decimal("140000.00")
    with pytest.raises(PermissionDenied):
        svc.demand_spend(actor=world.actor("other_village_staff"), project=project, amount="1")


def test_state_rules(world) -> None:  # noqa: ANN001
    village = world.actor("village_staff")
    project = sp.demand(world)
    with pytest.raises(DomainError):
        svc.demand_start(actor=village, project=project)
    with pytest.raises(DomainError):
        svc.demand_finish(actor=village, project=project)
    with pytest.raises(DomainError):
        svc.demand_spend(actor=village, project=project, amount="1")


def test_stale_version_is_a_conflict(world) -> None:  # noqa: ANN001
    project = sp.matched(world)
    stale = DemandProject.objects.get(pk=project.pk)
    svc.demand_start(actor=world.actor("village_staff"), project=project)
    with pytest.raises(Conflict):
        svc.demand_start(
            actor=world.actor("org_department"),
            project=stale,
            expected_version=stale.version,
        )
    assert ProjectUpdate.objects.filter(project=project, action="start").count() == 1


def test_library_funds_cannot_fall_below_allocations(world) -> None:  # noqa: ANN001
    lib = sp.supply(world, funds="300000")
    sp.matched(world, lib=lib, amount="200000")
    with pytest.raises(DomainError) as exc:
        svc.supply_update(
            actor=world.actor("org_department"),
            supply=lib,
            name=lib.name,
            department=lib.department,
            funds="199999.99",
        )
    assert exc.value.field == "funds"
    lib.refresh_from_db()
    assert lib.funds == Decimal("300000.00")


def test_updates_are_append_only(world) -> None:  # noqa: ANN001
    update = ProjectUpdate.objects.filter(project=sp.demand(world)).get()
    update.note = "改写"
    with pytest.raises(RuntimeError):
        update.save()
    with pytest.raises(RuntimeError):
        update.delete()
