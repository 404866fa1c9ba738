"""SLA: due times on the working calendar, pause, and the sweep that marks near-due and
overdue requests, notifies once, supervises and whistles automatically."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianxin.cases.models import Case, CaseEvent, Notification, SlaTarget, Whistle
from lianxin.cases.services import lifecycle, sla
from lianxin.cases.services.config import case_settings
from lianxin.cases.tests.factories import assigned_case, make_case
from lianxin.cases.workflow import Action, Satisfaction, Status
from lianxin.core import calendar, clock

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _fresh_calendar():  # noqa: ANN202
    calendar.invalidate()
    yield
    calendar.invalidate()


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH)


# Tuesday 10 March 2026, 09:00: an ordinary week.
T0 = at(2026, 3, 10, 9)


def filed(world, when: dt.datetime = T0, **kw) -> Case:  # noqa: ANN001
    with clock.travel(when):
        return make_case(world.building, **kw)


def dispatched(world, when: dt.datetime = T0, **kw) -> Case:  # noqa: ANN001
    with clock.travel(when):
        return assigned_case(world, **kw)


def notified(world, persona: str, kind: str) -> int:  # noqa: ANN001
    return Notification.objects.filter(recipient=world.users[persona], kind=kind).count()


def sla_events(case: Case) -> list[str]:
    return list(
        case.events.filter(
            action__in=[Action.SLA_NEAR, Action.SLA_OVERDUE, Action.SUPERVISE]
        ).values_list("action", flat=True)
    )


# --- due times -------------------------------------------------------------------------------


def test_due_times_follow_the_targets_and_the_calendar(world) -> None:  # noqa: ANN001
    case = filed(world)  # lighting: general → respond 4 working hours
    assert case.respond_due_at == at(2026, 3, 10, 14, 30)
    case = dispatched(world, at(2026, 2, 12, 10))  # Thursday before the Spring Festival
    # 7 working days: Fri 13, Sat 14 (调休), Tue 24 … Fri 27, Sat 28 (调休 again).
    assert case.resolve_due_at == at(2026, 2, 28, 17, 30)
    danger = sla.target_for(urgency="danger", category=None)
    assert sla.add_span(at(2026, 2, 16, 3), danger.resolve_within, danger.resolve_counting) == at(
        2026, 2, 16, 5
    )  # natural hours: the holiday night does not stop the clock
    # Wednesday's close plus half a working day (3.5 h): Thursday 14:00.
    assert sla.add_span(T0, Decimal("1.5"), sla.WORKING_DAYS) == at(2026, 3, 12, 14, 0)


def test_category_override_beats_the_general_row(world) -> None:  # noqa: ANN001
    from lianxin.cases.tests.factories import category

    lighting = category("lighting")
    SlaTarget.objects.create(
        category=lighting.parent,
        urgency="general",
        respond_within=1,
        respond_counting=sla.WORKING_HOURS,
        resolve_within=2,
        resolve_counting=sla.WORKING_DAYS,
    )
    t = sla.target_for(urgency="general", category=lighting)
    assert (t.respond_within, t.resolve_within) == (Decimal(1), Decimal(2))
    table = sla.TargetTable()
    assert table.get("general", lighting.pk) == t
    assert table.get("general", None).resolve_within == Decimal(7)


# --- pause -----------------------------------------------------------------------------------


def test_shift_for_pause_counts_as_the_limit_counts() -> None:
    due = at(2026, 3, 13, 11)  # Friday 11:00
    paused, resumed = at(2026, 3, 13, 10), at(2026, 3, 16, 10)  # Friday 10:00 → Monday 10:00
    # Natural hours: the whole weekend was paused.
    assert sla.shift_for_pause(due, paused, resumed, sla.NATURAL_HOURS) == at(2026, 3, 16, 11)
    # Working time: one working hour was left and is left again.
    assert sla.shift_for_pause(due, paused, resumed, sla.WORKING_HOURS) == at(2026, 3, 16, 11)
    paused, resumed = at(2026, 3, 13, 18), at(2026, 3, 14, 17)  # Friday evening → Saturday
    assert sla.shift_for_pause(at(2026, 3, 16, 11), paused, resumed, sla.NATURAL_HOURS) == (
        at(2026, 3, 17, 10)
    )
    # A working-day limit loses nothing over a pause outside working hours...
    due_days = at(2026, 3, 17, 17, 30)
    assert sla.shift_for_pause(due_days, paused, resumed, sla.WORKING_DAYS) == due_days
    # ...and the last half hour of Friday paused moves it half an hour into Wednesday.
    shifted = sla.shift_for_pause(due_days, at(2026, 3, 13, 17), resumed, sla.WORKING_DAYS)
    assert shifted == at(2026, 3, 18, 9, 30)
    # The default (old call sites) counts working time; a request overdue when paused stays so.
    assert sla.shift_for_pause(due, paused, resumed) == due
    assert sla.shift_for_pause(at(2026, 3, 13, 9), paused, resumed) == at(2026, 3, 13, 9)


def test_resume_changes_shift_natural_and_working_clocks_differently(world) -> None:  # noqa: ANN001
    from lianxin.cases.tests.factories import category

    heating = filed(world, code="heating")  # utility: natural hours
    general = filed(world)
    for case in (heating, general):
        case.paused_at = at(2026, 3, 10, 10)
    resumed = at(2026, 3, 10, 20)  # ten natural hours, 6.5 working hours later
    assert sla.resume_changes(heating, resumed)["respond_due_at"] == (
        heating.respond_due_at + dt.timedelta(hours=10)
    )
    # 3 working hours were left at 10:00 (due 14:30) → Wednesday 9:00 + 3 h.
    assert sla.resume_changes(general, resumed)["respond_due_at"] == at(2026, 3, 11, 12, 0)
    assert category("heating").default_urgency == "utility"


def test_suspended_requests_are_not_marked(world) -> None:  # noqa: ANN001
    case = dispatched(world)
    with clock.travel(at(2026, 3, 11, 9)):
        lifecycle.case_suspend(case=case, actor=world.actor("village_staff"), reason="等待供暖季")
    run = sla.mark_sla(now=at(2026, 6, 1, 9))
    case.refresh_from_db()
    assert case.sla_state == "" and run.overdue == 0


# --- the sweep -------------------------------------------------------------------------------


def test_response_clock_goes_near_then_overdue_and_tells_each_once(world) -> None:  # noqa: ANN001
    case = filed(world)  # respond due 14:30, near from 13:42 (80 % of 4 h used)
    assert sla.mark_sla(now=at(2026, 3, 10, 13, 30)).near == 0
    run = sla.mark_sla(now=at(2026, 3, 10, 13, 45))
    case.refresh_from_db()
    assert run.near == 1 and case.sla_state == "near"
    # Not yet dispatched: the village/community's dispatchers, and the street above them.
    for persona in ("village_staff", "village_secretary", "street_staff"):
        assert notified(world, persona, "near_due") == 1
    assert notified(world, "grid_worker", "near_due") == 0
    assert notified(world, "other_street_staff", "near_due") == 0
    sla.mark_sla(now=at(2026, 3, 10, 14))
    assert notified(world, "village_staff", "near_due") == 1  # once per state change
    run = sla.mark_sla(now=at(2026, 3, 10, 14, 31))
    case.refresh_from_db()
    assert run.overdue == 1 and run.supervised == 1
    assert case.sla_state == "overdue" and case.is_supervised
    assert sla_events(case) == [Action.SLA_NEAR, Action.SLA_OVERDUE, Action.SUPERVISE]
    event = case.events.get(action=Action.SLA_OVERDUE)
    assert not event.is_public and event.actor_id is None and event.actor_label == sla.SYSTEM_LABEL
    assert "14:30" in event.note
    sla.mark_sla(now=at(2026, 3, 10, 16))
    sla.mark_sla(now=at(2026, 3, 11, 9))
    assert sla_events(case) == [Action.SLA_NEAR, Action.SLA_OVERDUE, Action.SUPERVISE]
    assert notified(world, "village_staff", "overdue") == 1
    # Overdue and supervised at once: one message says both.
    assert notified(world, "street_staff", "supervised") == 0
    text = Notification.objects.get(recipient=world.users["street_staff"], kind="overdue").text
    assert text.endswith("已列入督办")


def test_resolution_clock_tells_the_assignee_and_the_units_above(world) -> None:  # noqa: ANN001
    case = dispatched(world)  # due Thursday 19 March, 17:30
    assert case.resolve_due_at == at(2026, 3, 19, 17, 30)
    sla.mark_sla(now=at(2026, 3, 18, 9))  # 1.4 working days left of 7: not yet
    case.refresh_from_db()
    assert case.sla_state == ""
    sla.mark_sla(now=at(2026, 3, 18, 16))
    case.refresh_from_db()
    assert case.sla_state == "near"
    assert notified(world, "grid_worker", "near_due") == 1
    # Handled by the grid: the supervisors are the village's dispatchers.
    assert notified(world, "village_staff", "near_due") == 1
    assert notified(world, "street_staff", "near_due") == 0
    assert notified(world, "sibling_grid_worker", "near_due") == 0
    sla.mark_sla(now=at(2026, 3, 20, 9))
    case.refresh_from_db()
    assert case.sla_state == "overdue" and case.is_supervised
    assert notified(world, "grid_worker", "overdue") == 1


def test_the_sweep_never_bumps_the_version(world) -> None:  # noqa: ANN001
    case = dispatched(world)
    seen = case.version
    sla.mark_sla(now=at(2026, 3, 25, 9))
    assert Case.objects.get(pk=case.pk).version == seen
    # The grid worker acts on the version they saw: no conflict.
    with clock.travel(at(2026, 3, 25, 10)):
        lifecycle.case_take(case=case, actor=world.actor("grid_worker"), expected_version=seen)
        lifecycle.case_resolve(case=case, actor=world.actor("grid_worker"), result="已修好")
    case.refresh_from_db()
    assert case.status == Status.RESOLVED and case.sla_state == ""
    assert case.resolved_in_time is False


def test_states_clear_when_the_clock_stops_or_moves(world) -> None:  # noqa: ANN001
    case = filed(world)
    sla.mark_sla(now=at(2026, 3, 10, 14))
    with clock.travel(at(2026, 3, 10, 14, 10)):
        lifecycle.case_accept(case=case, actor=world.actor("village_staff"))
    run = sla.mark_sla(now=at(2026, 3, 10, 14, 20))
    case.refresh_from_db()
    assert case.sla_state == "" and run.cleared == 1
    assert not case.events.filter(action=Action.SLA_OVERDUE).exists()


def test_reopened_requests_go_on_supervision(world) -> None:  # noqa: ANN001
    case = dispatched(world)
    gw = world.actor("grid_worker")
    with clock.travel(at(2026, 3, 11, 10)):
        lifecycle.case_take(case=case, actor=gw)
        lifecycle.case_resolve(case=case, actor=gw, result="已修好")
        lifecycle.case_follow_up(
            case=case, actor=gw, satisfaction=Satisfaction.UNSATISFIED, comment="还是不亮"
        )
    case.refresh_from_db()
    assert case.reopen_count == 1 and not case.is_supervised
    assert sla.mark_sla(now=at(2026, 3, 11, 11)).supervised == 0
    settings_row = case_settings()
    settings_row.supervise_reopen_count = 1
    settings_row.save()
    run = sla.mark_sla(now=at(2026, 3, 11, 11))
    case.refresh_from_db()
    assert run.supervised == 1 and case.is_supervised
    event = case.events.get(action=Action.SUPERVISE)
    assert "重办1次" in event.note
    assert notified(world, "grid_worker", "supervised") == 1
    assert sla.mark_sla(now=at(2026, 3, 11, 12)).supervised == 0


def test_overdue_too_long_at_village_level_is_whistled(world) -> None:  # noqa: ANN001
    conf = case_settings()
    conf.auto_whistle_overdue_hours = 4
    conf.save()
    case = dispatched(world)  # due Thursday 19 March 17:30
    sla.mark_sla(now=at(2026, 3, 20, 12))  # 3 working hours late: overdue, not whistled yet
    case.refresh_from_db()
    assert case.sla_state == "overdue" and not case.is_whistled
    assert sla.mark_sla(now=at(2026, 3, 20, 14)).whistled == 0  # 3.5 h: still not
    run = sla.mark_sla(now=at(2026, 3, 20, 15))  # 4.5 working hours late
    case.refresh_from_db()
    assert run.whistled == 1
    assert case.is_whistled and case.handler_unit == world.street
    whistle = Whistle.objects.get(case=case)
    assert whistle.is_automatic and whistle.raised_by_id is None
    assert notified(world, "street_staff", "whistled") == 1
    assert sla.mark_sla(now=at(2026, 3, 23, 16)).whistled == 0  # at the street now


def test_auto_whistle_is_off_by_default(world) -> None:  # noqa: ANN001
    case = dispatched(world)
    sla.mark_sla(now=at(2026, 4, 30, 9))
    case.refresh_from_db()
    assert case.sla_state == "overdue" and not case.is_whistled
    assert not Whistle.objects.exists()


def test_the_sweep_is_set_based(world) -> None:  # noqa: ANN001
    """Query counts do not grow with the number of requests, whether they change or not."""

    def build(n: int) -> list[Case]:
        return [dispatched(world, T0 + dt.timedelta(minutes=i)) for i in range(n)]

    def count(now: dt.datetime) -> int:
        with CaptureQueriesContext(connection) as ctx:
            sla.mark_sla(now=now)
        return len(ctx)

    few = build(3)
    quiet_few = count(at(2026, 3, 11, 9))  # far from due: nothing changes
    overdue_few = count(at(2026, 3, 25, 9))  # all become overdue and supervised
    Case.objects.filter(pk__in=[c.pk for c in few]).update(status=Status.CLOSED)
    build(30)
    assert count(at(2026, 3, 11, 9)) == quiet_few
    assert count(at(2026, 3, 25, 9)) == overdue_few
    assert CaseEvent.objects.filter(action=Action.SLA_OVERDUE).count() == 33


def test_mediation_revisits_are_reminded_once_per_date(world) -> None:  # noqa: ANN001
    from lianxin.cases.models import Mediation

    case = dispatched(world)
    mediation = Mediation.objects.create(
        case=case, dispute_kind="邻里纠纷", revisit_due_on=dt.date(2026, 3, 20)
    )
    assert sla.remind_mediation_revisits(dt.date(2026, 3, 19)) == 0
    assert sla.remind_mediation_revisits(dt.date(2026, 3, 20)) == 1
    assert sla.remind_mediation_revisits(dt.date(2026, 3, 21)) == 0
    note = case.events.get(action=Action.NOTE)
    assert not note.is_public and note.data == {"revisit_due": "2026-03-20"}
    assert (
        Notification.objects.filter(recipient=world.users["grid_worker"])
        .filter(text__startswith="调解回访到期")
        .count()
        == 1
    )
    mediation.revisit_due_on = dt.date(2026, 3, 27)  # rescheduled: a new reminder then
    mediation.save()
    assert sla.remind_mediation_revisits(dt.date(2026, 3, 27)) == 1
    mediation.revisited_at = at(2026, 3, 27, 15)
    mediation.revisit_due_on = dt.date(2026, 4, 3)
    mediation.save()
    assert sla.remind_mediation_revisits(dt.date(2026, 4, 3)) == 0


def test_recipients_match_the_lifecycle_handlers(world) -> None:  # noqa: ANN001
    case = dispatched(world)
    with clock.travel(T0):
        lifecycle.case_return(case=case, actor=world.actor("grid_worker"), reason="不属于网格")
    case.refresh_from_db()
    r = sla.Recipients.for_cases([case])
    assert sorted(r.handlers[case.pk]) == sorted(lifecycle.handler_user_ids(case))
    village = sorted([world.users["village_staff"].pk, world.users["village_secretary"].pk])
    assert sorted(r.supervisors[case.pk]) == village
    assert r.unit_kind[case.pk] == "grid"
