"""Errands (帮办、代办、上门办) through their services: recorded as requests of kind errand,
taken straight to resolved when done on the spot, linked to the livelihood ledger."""

from __future__ import annotations

import pytest

from lianxin.cases.models import Case, Errand
from lianxin.cases.services import errands
from lianxin.cases.tests.factories import category, errand, photo
from lianxin.cases.workflow import Action, Channel, Kind, Status
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.testing import make_household
from lianxin.people.tests.factories import ledger_entry, make_resident

pytestmark = pytest.mark.django_db


def test_done_errand_is_resolved_by_the_grid_worker(world) -> None:
    e = errand(world, photos=[photo()])
    case = Case.objects.get(pk=e.case_id)
    assert case.kind == Kind.ERRAND and case.channel == Channel.VISIT
    assert case.status == Status.RESOLVED and case.result == "已上门办养老金资格认证"
    assert case.assignee_id == world.users["grid_worker"].pk and case.handler_unit == world.grid
    assert case.category == category("social_security")
    assert case.reporter_name == "王秀英" and e.done_at is not None
    assert list(case.events.values_list("action", flat=True)) == [
        Action.SUBMIT,
        Action.ASSIGN,
        Action.TAKE,
        Action.RESOLVE,
    ]
    assert case.photos.get().stage == "after"
    assert case.resolved_in_time is True and case.responded_in_time is True


def test_done_errand_by_village_staff_is_dispatched_to_themselves(world) -> None:
    e = errand(world, persona="village_staff", result="已帮老人完成认证")
    case = Case.objects.get(pk=e.case_id)
    assert case.status == Status.RESOLVED and case.result == "已帮老人完成认证"
    assert case.assignee_id == world.users["village_staff"].pk
    assert case.handler_unit == world.village


def test_errand_waiting_then_completed(world) -> None:
    e = errand(world, done=False, service="代购药品", mode="proxy", photos=[photo()])
    case = Case.objects.get(pk=e.case_id)
    assert case.status == Status.RECEIVED and e.done_at is None
    assert case.photos.get().stage == "before"
    with pytest.raises(PermissionDenied):
        errands.errand_complete(actor=world.actor("sibling_grid_worker"), errand=e, result="已代购")
    with pytest.raises(DomainError) as err:
        errands.errand_complete(actor=world.actor("grid_worker"), errand=e, result=" ")
    assert err.value.field == "result"
    errands.errand_complete(
        actor=world.actor("grid_worker"), errand=e, result="已代购降压药两盒并送到家"
    )
    case.refresh_from_db()
    assert case.status == Status.RESOLVED and case.assignee_id == world.users["grid_worker"].pk
    assert Errand.objects.get(pk=e.pk).done_at is not None
    with pytest.raises(DomainError):
        errands.errand_complete(actor=world.actor("grid_worker"), errand=e, result="再次")


def test_errand_assigned_by_staff_is_completed_by_the_assignee(world) -> None:
    from lianxin.cases.services import lifecycle

    e = errand(world, persona="building_leader", done=False)
    case = Case.objects.get(pk=e.case_id)
    assert case.channel == Channel.VISIT and case.status == Status.RECEIVED
    lifecycle.case_assign(
        case=case,
        actor=world.actor("village_staff"),
        handler_unit=world.grid,
        assignee_id=world.users["grid_worker"].pk,
    )
    e.case = case
    errands.errand_complete(actor=world.actor("grid_worker"), errand=e, result="已上门认证")
    case.refresh_from_db()
    assert case.status == Status.RESOLVED


def test_building_leader_records_but_does_not_resolve(world) -> None:
    with pytest.raises(PermissionDenied) as err:
        errand(world, persona="building_leader", done=True)
    assert err.value.field == "done"
    assert not Case.objects.exists()


def test_ledger_link_picks_the_matching_active_entry(world) -> None:
    resident = make_resident(make_household(world.building), name="刘桂芳")
    ledger_entry(world, resident=resident, code="elderly_alone")
    disabled = ledger_entry(world, resident=resident, code="disabled")
    e = errand(world, beneficiary_id=resident.pk, service="残疾证办理", mode="proxy")
    assert e.ledger_entry == disabled and e.beneficiary == resident
    case = Case.objects.get(pk=e.case_id)
    # The place defaults to the resident's home; the person is the request's reporter.
    assert case.unit == world.building and case.reporter_resident == resident
    assert case.category == category("assistance")
    # With no service hint the first entry by the tag's order is linked.
    e2 = errand(world, beneficiary_id=resident.pk, service="上门理发")
    assert e2.ledger_entry is not None and e2.ledger_entry.tag.code == "elderly_alone"


def test_no_ledger_link_without_an_active_entry(world) -> None:
    from lianxin.people.services import ledger_entry_end

    resident = make_resident(make_household(world.building), name="孙立国")
    entry = ledger_entry(world, resident=resident, code="elderly_70")
    ledger_entry_end(actor=world.actor("village_staff"), entry=entry, reason="迁往外地")
    assert errand(world, beneficiary_id=resident.pk).ledger_entry is None
    assert errand(world).ledger_entry is None  # by name only


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"service": " "}, "service"),
        ({"service": "长" * 61}, "service"),
        ({"mode": "fly"}, "mode"),
        ({"channel": Channel.QR}, "channel"),
        ({"beneficiary_name": ""}, "beneficiary_name"),
        ({"unit": None}, "unit"),
    ],
)
def test_errand_validation_names_the_field(world, kwargs, field) -> None:  # noqa: ANN001
    with pytest.raises(DomainError) as err:
        errand(world, **kwargs)
    assert err.value.field == field
    assert not Case.objects.exists()


def test_beneficiary_outside_scope_is_refused(world) -> None:
    stranger = make_resident(make_household(world.sibling_building), name="周敏")
    with pytest.raises(DomainError) as err:
        errand(world, beneficiary_id=stranger.pk)
    assert err.value.field == "beneficiary"
    with pytest.raises(PermissionDenied):
        errand(world, persona="sibling_grid_worker")


def test_beneficiary_search_is_scoped(world) -> None:
    make_resident(make_household(world.building), name="王秀英")
    make_resident(make_household(world.sibling_building), name="王秀兰")
    names = [r.name for r in errands.beneficiary_search(world.actor("grid_worker"), "王秀")]
    assert names == ["王秀英"]
    assert errands.beneficiary_search(world.actor("grid_worker"), " ") == []
