"""Dispute mediation (排查—化解—回访) through its services: opening with parties, dispatch to a
team, sessions, conclusion, the revisit as the request's follow-up, and the success rate."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from lianxin.cases.models import Case, MediationSession
from lianxin.cases.services import lifecycle, mediation
from lianxin.cases.services.config import case_settings
from lianxin.cases.services.mediation import PartyInput
from lianxin.cases.tests.factories import category, mediation_team, open_mediation
from lianxin.cases.workflow import Action, Channel, Kind, Satisfaction, Status
from lianxin.core import clock, crypto
from lianxin.core.errors import Conflict, DomainError, PermissionDenied

pytestmark = pytest.mark.django_db

AGREEMENT = "楼上住户负责维修防水层并赔偿楼下住户粉刷费用800元，双方签字确认"


def _session(world, m, persona: str = "village_staff") -> MediationSession:  # noqa: ANN001
    return mediation.mediation_session_record(
        actor=world.actor(persona),
        mediation=m,
        mode="home",
        mediators="王调解、李调解",
        note="分别入户了解情况，双方同意坐下来谈",
    )


def _agree(world, m, persona: str = "village_staff"):  # noqa: ANN001, ANN202
    _session(world, m, persona)
    return mediation.mediation_conclude(
        actor=world.actor(persona), mediation=m, agreement_reached=True, agreement=AGREEMENT
    )


def test_open_registers_a_mediation_request_with_protected_parties_and_dispatches(world) -> None:
    team = mediation_team(world.village)
    m = open_mediation(world, team=team)
    case = Case.objects.get(pk=m.case_id)
    assert case.kind == Kind.MEDIATION and case.channel == Channel.VISIT
    assert case.status == Status.ASSIGNED
    assert case.handler_team == team and case.handler_unit == world.village
    assert case.category == category("neighbour_dispute") and case.level == "small"
    # The parties' names stay out of the request's reporter columns (they are masked data).
    assert case.reporter_name == "" and case.reporter_phone_cipher == ""
    parties = list(m.parties.order_by("id"))
    assert [(p.role, p.name) for p in parties] == [
        ("applicant", "张建国"),
        ("respondent", "李秀兰"),
    ]
    assert parties[0].phone_masked == "138****5678"
    assert "13812345678" not in parties[0].phone_cipher
    assert crypto.decrypt(parties[0].phone_cipher) == "13812345678"
    assert parties[0].phone_digest == crypto.phone_digest("13812345678")
    actions = list(case.events.values_list("action", flat=True))
    assert actions == [Action.SUBMIT, Action.ASSIGN]


def test_family_dispute_is_mediated_not_guided(world) -> None:
    """A category whose default level is 私事 still goes to the team when mediated."""
    team = mediation_team(world.village)
    m = mediation.mediation_open(
        actor=world.actor("village_staff"),
        unit=world.building,
        dispute_kind="家庭纠纷",
        category=category("family_dispute"),
        description="老人赡养问题，兄弟两人互相推诿",
        team=team,
        parties=[
            PartyInput(name="赵大", role="applicant"),
            PartyInput(name="赵二", role="respondent"),
        ],
    )
    assert Case.objects.get(pk=m.case_id).status == Status.ASSIGNED


@pytest.mark.parametrize(
    ("parties", "field"),
    [
        ([PartyInput(name="张建国", role="applicant")], "parties"),
        (
            [
                PartyInput(name="张建国", role="applicant"),
                PartyInput(name="李秀兰", role="respondent", phone="12345"),
            ],
            "parties.1.phone",
        ),
        (
            [
                PartyInput(name="", role="applicant", phone="13812345678"),
                PartyInput(name="李秀兰", role="respondent"),
            ],
            "parties.0.name",
        ),
        (
            [
                PartyInput(name="张建国", role="judge"),
                PartyInput(name="李秀兰", role="respondent"),
            ],
            "parties.0.role",
        ),
    ],
)
def test_open_names_the_faulty_party_field(world, parties, field) -> None:  # noqa: ANN001
    with pytest.raises(DomainError) as err:
        mediation.mediation_open(
            actor=world.actor("village_staff"),
            unit=world.building,
            dispute_kind="邻里纠纷",
            description="楼上漏水到楼下，两户多次争吵",
            parties=parties,
        )
    assert err.value.field == field
    assert not Case.objects.exists()


def test_open_validates_kind_and_description(world) -> None:
    ok = [PartyInput(name="甲", role="applicant"), PartyInput(name="乙", role="respondent")]
    staff = world.actor("village_staff")
    with pytest.raises(DomainError) as err:
        mediation.mediation_open(
            actor=staff,
            unit=world.building,
            dispute_kind=" ",
            description="两户争吵漏水",
            parties=ok,
        )
    assert err.value.field == "dispute_kind"
    with pytest.raises(DomainError) as err:
        mediation.mediation_open(
            actor=staff, unit=world.building, dispute_kind="邻里纠纷", description="吵", parties=ok
        )
    assert err.value.field == "description"


def test_open_permissions_and_team_scope(world) -> None:
    with pytest.raises(PermissionDenied):
        open_mediation(world, persona="other_village_staff")
    # A grid worker registers (排查) but does not dispatch.
    with pytest.raises(PermissionDenied) as denied:
        open_mediation(world, persona="grid_worker", team=mediation_team(world.village))
    assert denied.value.field == "team"
    # Teams outside the actor's scope, or no longer in use, cannot be picked.
    foreign = mediation_team(world.other_village, name="西关调解队")
    with pytest.raises(DomainError) as err:
        open_mediation(world, team=foreign)
    assert err.value.field == "team"
    retired = mediation_team(world.village, name="旧调解室")
    retired.is_active = False
    retired.save()
    with pytest.raises(DomainError) as err:
        open_mediation(world, team=retired)
    assert err.value.field == "team"
    assert not Case.objects.exists()
    m = open_mediation(world, persona="grid_worker")
    assert Case.objects.get(pk=m.case_id).status == Status.RECEIVED


def test_dispatch_later_to_a_team(world) -> None:
    m = open_mediation(world, persona="grid_worker")
    team = mediation_team(world.village)
    with pytest.raises(PermissionDenied):
        mediation.mediation_dispatch(actor=world.actor("grid_worker"), mediation=m, team=team)
    with pytest.raises(Conflict):
        mediation.mediation_dispatch(
            actor=world.actor("village_staff"), mediation=m, team=team, expected_version=99
        )
    mediation.mediation_dispatch(actor=world.actor("village_staff"), mediation=m, team=team)
    case = Case.objects.get(pk=m.case_id)
    assert case.status == Status.ASSIGNED and case.handler_team == team


def test_sessions_are_appended_and_checked(world) -> None:
    m = open_mediation(world)
    with pytest.raises(PermissionDenied):
        _session(world, m, "sibling_grid_worker")
    with pytest.raises(PermissionDenied):
        _session(world, m, "org_department")
    staff = world.actor("village_staff")
    bad: list[tuple[dict[str, Any], str]] = [
        ({"mode": "letter", "mediators": "王", "note": "情况"}, "mode"),
        ({"mode": "home", "mediators": " ", "note": "情况"}, "mediators"),
        ({"mode": "home", "mediators": "王", "note": ""}, "note"),
        (
            {
                "mode": "home",
                "mediators": "王",
                "note": "情况",
                "held_at": clock.now() + dt.timedelta(days=1),
            },
            "held_at",
        ),
    ]
    for kwargs, field in bad:
        with pytest.raises(DomainError) as err:
            mediation.mediation_session_record(actor=staff, mediation=m, **kwargs)
        assert err.value.field == field
    _session(world, m)
    mediation.mediation_session_record(
        actor=world.actor("grid_worker"),
        mediation=m,
        mode="meeting",
        mediators="网格员、楼栋长",
        note="在矛盾工作室召开协调会",
    )
    assert list(m.sessions.values_list("mode", flat=True)) == ["home", "meeting"]
    # The request's own timeline records each session as an internal note.
    notes = Case.objects.get(pk=m.case_id).events.filter(action=Action.NOTE)
    assert notes.count() == 2 and not notes.filter(is_public=True).exists()


def test_agreement_resolves_and_schedules_the_revisit(world) -> None:
    conf = case_settings()
    conf.mediation_revisit_days = 10
    conf.save()
    m = open_mediation(world, team=mediation_team(world.village))
    with pytest.raises(DomainError) as err:  # no session yet
        mediation.mediation_conclude(
            actor=world.actor("village_staff"),
            mediation=m,
            agreement_reached=True,
            agreement="和解",
        )
    assert err.value.field == "agreement"
    _session(world, m)
    with pytest.raises(DomainError) as err:
        mediation.mediation_conclude(
            actor=world.actor("village_staff"), mediation=m, agreement_reached=True, agreement=" "
        )
    assert err.value.field == "agreement"
    at = timezone.make_aware(dt.datetime(2025, 3, 10, 23, 30))
    with clock.travel(at):
        mediation.mediation_conclude(
            actor=world.actor("village_staff"),
            mediation=m,
            agreement_reached=True,
            agreement=AGREEMENT,
        )
    m.refresh_from_db()
    case = Case.objects.get(pk=m.case_id)
    assert case.status == Status.RESOLVED and case.result == AGREEMENT
    assert case.assignee_id == world.users["village_staff"].pk
    assert m.agreement_reached is True and m.concluded_at == at
    assert m.revisit_due_on == dt.date(2025, 3, 20)
    with pytest.raises(DomainError):
        _session(world, m)


def test_no_agreement_keeps_the_request_open(world) -> None:
    m = open_mediation(world, team=mediation_team(world.village))
    _session(world, m)
    with pytest.raises(DomainError) as err:
        mediation.mediation_conclude(
            actor=world.actor("village_staff"), mediation=m, agreement_reached=False, agreement=""
        )
    assert err.value.field == "agreement"
    mediation.mediation_conclude(
        actor=world.actor("village_staff"),
        mediation=m,
        agreement_reached=False,
        agreement="双方分歧较大，建议通过诉讼解决",
    )
    m.refresh_from_db()
    case = Case.objects.get(pk=m.case_id)
    assert m.agreement_reached is False and m.revisit_due_on is None
    assert case.status == Status.ASSIGNED and case.is_open
    with pytest.raises(DomainError):  # no revisit without an agreement
        mediation.mediation_revisit(actor=world.actor("village_staff"), mediation=m, stable=True)
    # Staff may still whistle it up or return it: the request is an ordinary open one.
    lifecycle.case_return(case=case, actor=world.actor("village_staff"), reason="调解不成，退回")
    assert Case.objects.get(pk=m.case_id).status == Status.RETURNED


def test_grid_worker_mediates_an_undispatched_dispute_in_person(world) -> None:
    m = open_mediation(world, persona="grid_worker")
    _agree(world, m, "grid_worker")
    case = Case.objects.get(pk=m.case_id)
    assert case.status == Status.RESOLVED
    assert case.assignee_id == world.users["grid_worker"].pk and case.handler_unit == world.grid
    assert list(case.events.exclude(action=Action.NOTE).values_list("action", flat=True)) == [
        Action.SUBMIT,
        Action.ASSIGN,
        Action.TAKE,
        Action.RESOLVE,
    ]


def test_stable_revisit_is_the_follow_up(world) -> None:
    m = open_mediation(world, team=mediation_team(world.village))
    _agree(world, m)
    with pytest.raises(PermissionDenied):
        mediation.mediation_revisit(
            actor=world.actor("sibling_grid_worker"), mediation=m, stable=True
        )
    mediation.mediation_revisit(
        actor=world.actor("grid_worker"), mediation=m, stable=True, note="双方已按协议履行"
    )
    m.refresh_from_db()
    case = Case.objects.get(pk=m.case_id)
    assert m.revisit_stable is True and m.revisited_at is not None
    assert case.status == Status.FOLLOWED_UP and case.satisfaction == Satisfaction.SATISFIED
    with pytest.raises(DomainError):
        mediation.mediation_revisit(actor=world.actor("grid_worker"), mediation=m, stable=True)


def test_stable_revisit_may_record_basic_satisfaction(world) -> None:
    m = open_mediation(world, team=mediation_team(world.village))
    _agree(world, m)
    mediation.mediation_revisit(
        actor=world.actor("village_staff"), mediation=m, stable=True, satisfaction="basic"
    )
    assert Case.objects.get(pk=m.case_id).satisfaction == Satisfaction.BASIC


def test_unstable_revisit_reopens_for_another_round(world) -> None:
    m = open_mediation(world, team=mediation_team(world.village))
    _agree(world, m)
    staff = world.actor("village_staff")
    with pytest.raises(DomainError) as err:
        mediation.mediation_revisit(actor=staff, mediation=m, stable=False)
    assert err.value.field == "note"
    mediation.mediation_revisit(
        actor=staff, mediation=m, stable=False, note="楼上仍未维修，双方再次发生争执"
    )
    case = Case.objects.get(pk=m.case_id)
    assert case.status == Status.ASSIGNED and case.reopen_count == 1
    assert case.satisfaction == Satisfaction.UNSATISFIED
    m.refresh_from_db()
    # The second round ends with a new agreement and a new revisit date.
    m.case = case
    _agree(world, m)
    m.refresh_from_db()
    assert m.agreement_reached is True and m.revisited_at is None and m.revisit_due_on


def test_revisit_after_the_resident_rated_only_records_it(world) -> None:
    m = open_mediation(world, team=mediation_team(world.village))
    _agree(world, m)
    case = Case.objects.get(pk=m.case_id)
    lifecycle.case_rate_by_resident(case=case, satisfaction=Satisfaction.SATISFIED)
    m.case = case
    mediation.mediation_revisit(actor=world.actor("village_staff"), mediation=m, stable=True)
    case.refresh_from_db()
    assert case.status == Status.FOLLOWED_UP and m.revisit_stable is True


def test_success_rate_per_unit_and_period(world) -> None:
    day = timezone.make_aware(dt.datetime(2025, 5, 6, 10, 0))
    with clock.travel(day):
        agreed = open_mediation(world, team=mediation_team(world.village))
        _agree(world, agreed)
        failed = open_mediation(world, text="9号楼门前停车位归属争议，两户互不相让")
        _session(world, failed)
        mediation.mediation_conclude(
            actor=world.actor("village_staff"),
            mediation=failed,
            agreement_reached=False,
            agreement="未能达成一致",
        )
        open_mediation(world, text="楼道堆放杂物引发邻里口角，需要调解")  # still ongoing
        mediation.mediation_revisit(
            actor=world.actor("village_staff"), mediation=agreed, stable=True
        )
        other = mediation.mediation_open(
            actor=world.actor("other_village_staff"),
            unit=world.other_village,
            dispute_kind="邻里纠纷",
            description="西关社区两户因噪声发生纠纷",
            parties=[
                PartyInput(name="甲", role="applicant"),
                PartyInput(name="乙", role="respondent"),
            ],
        )
        _agree(world, other, "other_village_staff")
    may = {"date_from": dt.date(2025, 5, 1), "date_to": dt.date(2025, 5, 31)}
    stats = mediation.mediation_stats(unit=world.village, **may)
    assert (stats.opened, stats.concluded, stats.agreed) == (3, 2, 1)
    assert (stats.revisited, stats.stable) == (1, 1)
    assert stats.success_rate == 0.5
    county = mediation.mediation_stats(unit=world.county, **may)
    assert (county.concluded, county.agreed) == (3, 2)
    assert mediation.mediation_stats(unit=world.other_village, **may).success_rate == 1.0
    grid2 = mediation.mediation_stats(unit=world.sibling_grid, **may)
    assert grid2.concluded == 0 and grid2.success_rate is None
    april = mediation.mediation_stats(
        unit=world.village, date_from=dt.date(2025, 4, 1), date_to=dt.date(2025, 5, 5)
    )
    assert (april.opened, april.concluded) == (0, 0)
    # The last day of the period counts whole (local dates).
    one_day = mediation.mediation_stats(
        unit=world.village, date_from=dt.date(2025, 5, 6), date_to=dt.date(2025, 5, 6)
    )
    assert one_day.concluded == 2
