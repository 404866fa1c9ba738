"""The periodic tasks of requests, run eagerly (HUEY.immediate in conftest)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from huey.contrib.djhuey import HUEY

from lianxin.cases import tasks
from lianxin.cases.models import Mediation, Notification
from lianxin.cases.tests.factories import assigned_case
from lianxin.core import calendar, clock

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _fresh_calendar():  # noqa: ANN202
    calendar.invalidate()
    yield
    calendar.invalidate()


def test_tasks_are_registered_as_periodic() -> None:
    names = {t.name for t in HUEY._registry.periodic_tasks}
    assert {"cases_mark_sla_task", "cases_mediation_revisit_task"} <= names
    sweep = tasks.cases_mark_sla_task.task_class()
    assert sweep.validate_datetime(dt.datetime(2026, 3, 10, 1, 5))
    assert not sweep.validate_datetime(dt.datetime(2026, 3, 10, 1, 7))
    revisit = tasks.cases_mediation_revisit_task.task_class()
    assert revisit.validate_datetime(dt.datetime(2026, 3, 10, 0, 30))  # 08:30 in Shanghai


def test_sla_task_marks_overdue_requests(world) -> None:  # noqa: ANN001
    with clock.travel(dt.datetime(2026, 3, 10, 9, tzinfo=SH)):
        case = assigned_case(world)
    # Periodic tasks store no result: the eager call is checked by its effects.
    with clock.travel(dt.datetime(2026, 3, 25, 9, tzinfo=SH)):
        tasks.cases_mark_sla_task()
    case.refresh_from_db()
    assert case.sla_state == "overdue"
    assert Notification.objects.filter(
        recipient=world.users["grid_worker"], kind="overdue"
    ).exists()
    with clock.travel(dt.datetime(2026, 3, 25, 9, 5, tzinfo=SH)):
        summary = tasks.cases_mark_sla_task.call_local()
    assert summary["overdue"] == 0 and summary["checked"] == 1


def test_revisit_task_acts_in_the_morning_once(world) -> None:  # noqa: ANN001
    with clock.travel(dt.datetime(2026, 3, 10, 9, tzinfo=SH)):
        case = assigned_case(world)
    Mediation.objects.create(
        case=case, dispute_kind="邻里纠纷", revisit_due_on=dt.date(2026, 3, 20)
    )
    with clock.travel(dt.datetime(2026, 3, 20, 7, 30, tzinfo=SH)):
        assert tasks.cases_mediation_revisit_task.call_local() == 0
    with clock.travel(dt.datetime(2026, 3, 20, 8, 30, tzinfo=SH)):
        tasks.cases_mediation_revisit_task()
    with clock.travel(dt.datetime(2026, 3, 20, 9, 30, tzinfo=SH)):
        assert tasks.cases_mediation_revisit_task.call_local() == 0
    reminders = Notification.objects.filter(text__startswith="调解回访到期")
    assert list(reminders.values_list("recipient__username", flat=True)) == ["grid_worker"]
